//! What pages are given to show: plain data, filled in by the server. Pages never reach
//! for storage; tests render them from values built by hand.

use chrono::NaiveDate;

/// A name in both of the catalog's languages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Name {
    pub zh: String,
    pub en: String,
}

impl Name {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The name in `lang`, or in the other language when this one is missing.
    pub fn get(&self, lang: crate::i18n::Lang) -> &str {
        let (first, other) = match lang {
            crate::i18n::Lang::En => (&self.en, &self.zh),
            crate::i18n::Lang::ZhCn => (&self.zh, &self.en),
        };
        if first.is_empty() { other } else { first }
    }
}

/// The earliest date a reader may ask for (`at`, `then`, `from`, `to`); the latest is today
/// in Beijing. Every platform, wallet and link wall Hutong records came later (Taobao 2003,
/// Alipay 2004, WeChat 2011), and a fixed floor keeps every date far from the calendar's
/// edges, where chart and time arithmetic would overflow.
pub const EARLIEST_DAY: NaiveDate = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a real date");

/// Page furniture: which section, which date, which query to keep when the date changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Chrome {
    pub title: String,
    pub section: Section,
    /// The path of this page, for the date form's action.
    pub path: String,
    /// The date the page shows the state as of.
    pub at: NaiveDate,
    /// Whether `at` is today (no `?at=` given, or today's date).
    pub at_is_today: bool,
    pub today: NaiveDate,
    /// Other query parameters of this page (filters), kept by the date form.
    pub keep: Vec<(String, String)>,
    /// The interface language.
    pub lang: crate::i18n::Lang,
    /// The cite box under the page, on pages one can cite.
    pub cite: Option<CiteBox>,
    /// Where readers reach this server (`public_url`, no trailing slash): the printed
    /// permalink is absolute from it. `None`: the permalink is the page's path.
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Overview,
    Links,
    Payments,
    Qr,
    Timeline,
    Platforms,
    Probes,
    Requirements,
    Other,
}

/// A status as shown: a word (never colour alone) and its rung on the ladder.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusView {
    pub id: String,
    pub label: Name,
    pub description: String,
    /// Openness score; `None` for unknown.
    pub score: Option<f64>,
    /// 0 = most open rung; `None` for unknown.
    pub rung: Option<usize>,
    /// How many rungs the ladder has.
    pub rungs: usize,
}

impl StatusView {
    /// The CSS class that colours this status by openness, not by name.
    pub fn tone(&self) -> String {
        match (self.rung, self.rungs) {
            (Some(r), n) if n > 1 => format!("tone-{}", (r * 3 + (n - 2)) / (n - 1)),
            (Some(_), _) => "tone-0".into(),
            (None, _) => "tone-unknown".into(),
        }
    }
}

/// Who said it: a cited source or a probe, with a link to read it.
#[derive(Debug, Clone, PartialEq)]
pub struct CitationView {
    /// `article`, `manual`, `probe`, `simulated`.
    pub source_kind: String,
    /// Short label: publisher and date.
    pub label: String,
    pub title: Option<String>,
    /// The original, when its URL is known.
    pub url: Option<String>,
    /// Hutong's page for the source or evidence.
    pub href: Option<String>,
}

/// One source's latest word on a check.
#[derive(Debug, Clone, PartialEq)]
pub struct OpinionView {
    pub status: StatusView,
    pub citation: CitationView,
    pub when: String,
    pub approximate: bool,
}

/// A cell of a matrix: the check's state as of the page's date.
#[derive(Debug, Clone, PartialEq)]
pub struct CellView {
    pub check_id: String,
    pub href: String,
    /// The newest source's status, or unknown when nothing was observed.
    pub status: StatusView,
    /// The newest source's word; `None` when the check was never observed by then.
    pub latest: Option<OpinionView>,
    /// Other sources whose latest word differs: a disagreement, shown, never hidden.
    pub disagreeing: Vec<OpinionView>,
    /// Days between the newest observation and the page's date.
    pub age_days: Option<i64>,
    /// The newest evidence is older than the stale threshold at the page's date: the
    /// status is the last word, not today's fact.
    pub stale: bool,
    /// Where more than one vantage point has spoken: how many say what.
    pub agreement: Option<AgreementView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub name: Name,
    pub href: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MatrixRow {
    pub header: Header,
    /// One per column; `None` where no such check is declared.
    pub cells: Vec<Option<CellView>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MatrixView {
    pub kind_id: String,
    pub kind_name: Name,
    pub subject_label: Name,
    pub object_label: Name,
    pub columns: Vec<Header>,
    pub rows: Vec<MatrixRow>,
    pub ladder: Vec<StatusView>,
    /// The matrix of simulated platforms (demo data), labelled as such everywhere.
    pub simulated_included: bool,
}

/// Share of checks in each status at one date.
#[derive(Debug, Clone, PartialEq)]
pub struct OpennessView {
    pub caption: String,
    pub date: NaiveDate,
    pub total: usize,
    pub buckets: Vec<Bucket>,
    /// The figure in words, e.g. "7 of 14 cross-group pairs accepted (50%)".
    pub headline: String,
    /// How old the evidence is, in words: "11 checks: 2 with evidence from the last 180
    /// days, 9 stale, 0 unknown; last real evidence 17 Oct 2021".
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub status: StatusView,
    pub count: usize,
    /// Of `count`, checks whose evidence is stale at the date.
    pub stale: usize,
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RequirementView {
    pub id: String,
    pub title: Name,
    pub authority: Name,
    pub issued: NaiveDate,
    /// In the requirement's own zone, e.g. "2021-09-17 23:59 (Asia/Shanghai)".
    pub deadline: Option<String>,
    /// "passed 1,893 days ago", "in 12 days", "no deadline set".
    pub deadline_state: String,
    pub overdue: bool,
    pub compliant_statuses: Vec<StatusView>,
    pub in_scope: usize,
    pub compliant: usize,
    pub not_compliant: usize,
    pub unknown: usize,
    pub citation: CitationView,
    /// The checks in scope that do not comply, named: who did not comply.
    pub failing: Vec<FailingCheck>,
    /// How old the evidence of the checks in scope is, in words.
    pub evidence: String,
    /// The requirement's own page (its full list).
    pub href: String,
}

/// A check out of compliance with a requirement, as a card names it.
#[derive(Debug, Clone, PartialEq)]
pub struct FailingCheck {
    pub title: String,
    pub href: String,
    pub status: StatusView,
    /// Days since the deadline, when it has passed.
    pub overdue_days: Option<i64>,
    /// Days its evidence is old at the page's date, when that is stale.
    pub stale_days: Option<i64>,
}

// Short-lived view data, built and rendered once per request: size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum TimelineEntry {
    Change {
        when: String,
        approximate: bool,
        check_href: String,
        check_title: String,
        kind_name: Name,
        from: Option<StatusView>,
        to: StatusView,
        citation: CitationView,
    },
    Milestone {
        when: String,
        approximate: bool,
        title: Name,
        citation: CitationView,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct OverviewView {
    pub links: Vec<OpennessView>,
    pub payments: Vec<OpennessView>,
    pub latest: Vec<TimelineEntry>,
    pub requirements: Vec<RequirementView>,
    pub observations: i64,
    pub checks: i64,
    /// Probe packs failing for longer than allowed, in words.
    pub probe_alerts: Vec<String>,
    /// Vantage points silent for longer than allowed, in words.
    pub silent_vantages: Vec<String>,
    /// Overdue requirements and deadlines in the next 30 days.
    pub deadlines: DeadlineHighlights,
    /// Openness over time (links, payments), when anything has been observed.
    pub charts: Vec<crate::charts::ChartView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub when: String,
    pub approximate: bool,
    pub status: StatusView,
    pub citation: CitationView,
    pub quote: Option<String>,
    pub note: Option<String>,
    /// Set when this observation changed its source's status: the status before it
    /// (`Some(None)` for the source's first observation of the check).
    pub transition_from: Option<Option<StatusView>>,
    /// Observed after the page's date: shown, but greyed.
    pub after_at: bool,
    /// The observation's own page (probe observations, with their evidence).
    pub observation_href: Option<String>,
    /// What a probe said beyond the status, compactly.
    pub probe: Option<ProbeNote>,
    /// Retracted by a reviewer: shown struck through, counted nowhere.
    pub retraction: Option<RetractionView>,
}

/// A probe observation's verdict details, compactly: failure, anomaly, matched rule.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProbeNote {
    pub failure: Option<String>,
    /// No rule recognising a known page matched: the verdict is flagged.
    pub anomaly: bool,
    pub rule: Option<String>,
    pub superseded: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckView {
    pub id: String,
    pub kind_name: Name,
    pub subject_label: Name,
    pub object_label: Name,
    pub subject: Header,
    pub object: Header,
    pub cell: CellView,
    /// Every source's latest word as of the page's date.
    pub current: Vec<OpinionView>,
    /// Older words that conflict with the newest but were stale by its date: superseded,
    /// listed with their dates, never called a disagreement.
    pub superseded: Vec<OpinionView>,
    /// One page of observations, newest first.
    pub history: Vec<HistoryRow>,
    pub ladder: Vec<StatusView>,
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    pub newer: Option<String>,
    pub older: Option<String>,
    /// The status step chart.
    pub chart: Option<crate::charts::ChartView>,
    /// Its requirement(s), filtered timeline and downloads.
    pub links: CheckLinks,
    /// The check's name in Chinese and in English, for its citation.
    pub cite_names: (String, String),
    /// A check of simulated platforms: demo data, bannered as such.
    pub simulated: bool,
    /// Public milestones that concern the check (its kind and one of its platforms),
    /// newest first: context, not a status.
    pub milestones: Vec<TimelineEntry>,
    /// Each probe source (a pack at a vantage point) that has spoken on the check.
    pub vantages: Vec<VantageSection>,
    /// The days of the windowed verdict.
    pub window_days: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CheckSummary {
    pub kind_name: Name,
    pub role: String,
    pub other: Header,
    pub cell: CellView,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlatformView {
    pub slug: String,
    pub name: Name,
    pub kind: String,
    pub group: Name,
    pub ecosystem: Option<Name>,
    pub domains: Vec<String>,
    pub checks: Vec<CheckSummary>,
    /// Exists only in Hutong's simulator.
    pub simulated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlatformListItem {
    pub slug: String,
    pub name: Name,
    pub kind: String,
    pub group: Name,
    pub checks: usize,
    pub simulated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FilterOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimelineView {
    pub entries: Vec<TimelineEntry>,
    pub platforms: Vec<FilterOption>,
    pub kinds: Vec<FilterOption>,
    pub sources: Vec<FilterOption>,
    pub page: usize,
    pub pages: usize,
    pub total: usize,
    pub newer: Option<String>,
    pub older: Option<String>,
    /// The date range shown (`from`, `to`: Beijing days), as given.
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    /// Downloads of this timeline with its current filters (CSV, JSON, NDJSON, Atom).
    pub exports: Vec<ExportLink>,
    /// Changes, first sightings or both (`?entries=`).
    pub entries_shown: Vec<FilterOption>,
    /// How many changes and first sightings the other filters keep.
    pub changes: usize,
    pub first_sightings: usize,
    /// One check only: its id and title.
    pub check: Option<(String, String)>,
    /// Simulated entries are shown (`source=simulated`, or a simulated platform or check).
    pub simulated: bool,
}

/// A source and everything Hutong takes from it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceView {
    pub id: String,
    pub kind: String,
    pub publisher: String,
    pub title: String,
    pub title_en: Option<String>,
    /// On Chinese pages, the Chinese rendering of a title in another language.
    pub title_zh: Option<String>,
    pub date: Option<NaiveDate>,
    pub language: String,
    pub region: String,
    pub url: Option<String>,
    pub facts: Vec<SourceFact>,
    pub milestones: Vec<TimelineEntry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SourceFact {
    pub check_title: String,
    pub check_href: String,
    pub when: String,
    pub approximate: bool,
    pub status: StatusView,
    pub quote: Option<String>,
    pub note: Option<String>,
    /// Retracted by a reviewer: shown struck through, counted nowhere.
    pub retraction: Option<RetractionView>,
}

/// One observation with its evidence, for its own page. Evidence values come from scraped
/// pages: they arrive here as capped plain text and are only ever shown as text.
#[derive(Debug, Clone, PartialEq)]
pub struct ObservationView {
    pub id: i64,
    pub check_id: String,
    pub check_href: String,
    pub check_title: String,
    /// Beijing time.
    pub when: String,
    pub status: StatusView,
    pub source_kind: String,
    pub simulated: bool,
    pub citation: CitationView,
    pub vantage: String,
    pub pack_id: Option<String>,
    pub rule_version: Option<i64>,
    /// `Some(true)`: a rule recognising a known page matched; `Some(false)`: an anomaly.
    pub confirmed: Option<bool>,
    /// The failure class and what it means, in words.
    pub failure: Option<(String, String)>,
    pub superseded_by: Option<i64>,
    pub reclassifies: Option<i64>,
    pub quote: Option<String>,
    pub note: Option<String>,
    pub evidence: Option<EvidenceView>,
    /// `/observations/{id}/snapshot` when the body was kept.
    pub snapshot_href: Option<String>,
    pub snapshot_sha: Option<String>,
    /// Retracted by a reviewer: shown struck through, counted nowhere.
    pub retraction: Option<RetractionView>,
    /// A published hand test: who made it, their steps, their screenshots.
    pub hand_test: Option<HandTestView>,
}

/// A screenshot as pages show it: the thumbnail linking to the full image.
#[derive(Debug, Clone, PartialEq)]
pub struct Screenshot {
    pub thumbnail: String,
    pub full: String,
    pub alt: String,
}

/// What an observation page adds for a hand test.
#[derive(Debug, Clone, PartialEq)]
pub struct HandTestView {
    /// "hand test by NAME, reviewed by a Hutong reviewer (NAME)".
    pub credit: String,
    pub steps: String,
    /// Empty when withdrawn.
    pub screenshots: Vec<Screenshot>,
    /// The hand test was retracted: its screenshots are no longer public.
    pub screenshots_withdrawn: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EvidenceView {
    pub request_url: Option<String>,
    pub hops: Vec<HopView>,
    pub final_url: Option<String>,
    pub final_status: Option<String>,
    pub rule: Option<String>,
    pub excerpt: Option<String>,
    pub charset: Option<String>,
    pub content_type: Option<String>,
    pub body_sha256: Option<String>,
    pub body_bytes: Option<String>,
    pub total_ms: Option<String>,
    pub control: Option<ControlView>,
    /// The known-good link sent through the same bridge (`ok`: let through).
    pub in_app_control: Option<ControlView>,
    pub detail: Option<String>,
    pub extracted: Vec<ExtractedView>,
    pub rule_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct HopView {
    pub url: Option<String>,
    pub status: Option<String>,
    pub location: Option<String>,
    pub elapsed_ms: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ControlView {
    pub url: Option<String>,
    pub status: Option<String>,
    /// `Some(true)` when the target itself answered.
    pub ok: Option<bool>,
    /// Not sent: it would have reached an internal address.
    pub refused: bool,
}

/// A payment option found on a checkout page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExtractedView {
    pub names: Vec<String>,
    pub method: Option<String>,
    pub selected: Option<bool>,
}

/// The probe packs, their runs and method changes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ProbesView {
    pub packs: Vec<PackView>,
    pub runs: Vec<RunRow>,
    /// Slots the scheduler did not run, newest first, with why.
    pub missed: Vec<MissedRow>,
    pub method_changes: Vec<MethodChangeRow>,
    /// A pack counts as failing after this long, in words ("1 h").
    pub alert_after: String,
    /// Each vantage point, each worker and the latest lease takeovers.
    pub vantages: Vec<VantageRow>,
    pub workers: Vec<WorkerRow>,
    pub takeovers: Vec<TakeoverRow>,
}

/// A vantage point as /probes lists it; counts are over the last hour.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VantageRow {
    pub name: String,
    pub description: Option<String>,
    /// Network, region, account region, device: what is known, in words.
    pub details: Vec<String>,
    pub workers_alive: i64,
    /// The latest run or heartbeat (Beijing time) and how long ago, in words.
    pub last_seen: Option<String>,
    pub ago: Option<String>,
    pub runs: i64,
    pub failures: i64,
    pub leases: i64,
    pub takeovers: i64,
    /// Set when the point has been silent for longer than allowed: the alert, in words.
    pub silent: Option<String>,
}

/// A worker as /probes lists it; counts are over the last hour (takeovers: ever).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WorkerRow {
    pub id: String,
    pub host: String,
    pub pid: i64,
    pub vantage: String,
    pub started: String,
    pub last_heartbeat: String,
    pub ago: String,
    pub alive: bool,
    /// When it stopped, if it did.
    pub stopped: Option<String>,
    pub runs: i64,
    pub failures: i64,
    pub leases: i64,
    pub takeovers: i64,
}

/// A run taken over from a worker whose lease expired.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TakeoverRow {
    pub run_id: i64,
    pub pack_id: String,
    pub vantage: String,
    pub slot: String,
    pub from: Option<String>,
    pub to: String,
    pub when: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PackView {
    pub id: String,
    pub name: Name,
    pub kind: String,
    pub version: i64,
    pub verified: bool,
    pub simulated: bool,
    pub enabled: bool,
    pub scheduled: bool,
    pub schedule: String,
    pub next_run: Option<String>,
    pub last_run: Option<RunRow>,
    pub last_success: Option<String>,
    /// Consecutive failed runs, newest first.
    pub failed_runs: usize,
    /// Slots missed since the last successful run.
    pub missed_slots: i64,
    /// Set when the pack has failed for longer than allowed: the alert, in words.
    pub failing: Option<String>,
    pub checks: usize,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunRow {
    pub pack_id: String,
    pub slot: String,
    pub started: String,
    pub finished: Option<String>,
    pub state: String,
    pub done: i64,
    pub planned: i64,
    pub failures: i64,
    pub failed: bool,
    pub detail: Option<String>,
}

/// Consecutive slots of one pack that the scheduler did not run, for one reason.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MissedRow {
    pub pack_id: String,
    pub first: String,
    pub last: String,
    pub slots: i64,
    /// Why, in words.
    pub reason: String,
    /// The error or streak behind it, as recorded (shown as text).
    pub detail: Option<String>,
    /// Kept in memory: the database has refused it so far.
    pub pending: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MethodChangeRow {
    pub pack_id: String,
    pub from_version: Option<i64>,
    pub to_version: i64,
    pub when: String,
    pub checked: i64,
    pub changed: i64,
}

/// A requirement's deadline as shown: its day and time in Beijing, and where it stands.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadlineView {
    /// The deadline's day in Beijing time.
    pub day: NaiveDate,
    /// The deadline's wall-clock time in Beijing, `2021-09-17 23:59`.
    pub beijing: String,
    /// Days still to go (0 = ends on the page's date), when ahead.
    pub countdown_days: Option<i64>,
    /// Days since the deadline day, when it has passed.
    pub days_since: Option<i64>,
}

/// A requirement's figures as of the page's date (real checks only).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ComplianceFigures {
    pub in_scope: usize,
    pub compliant_now: usize,
    pub not_compliant_now: usize,
    /// No evidence.
    pub unknown: usize,
    pub never_compliant: usize,
    /// Compliant at the end of the deadline day; `None` before it or without one.
    pub complied_at_deadline: Option<usize>,
    /// With a known status at the deadline; `None` before it or without one.
    pub known_at_deadline: Option<usize>,
    /// How old the evidence of the checks in scope is, in words.
    pub evidence: String,
    pub complied_late: usize,
    pub longest_delay_days: Option<i64>,
    /// Compliant now, with nothing observed by the deadline.
    pub compliant_unknown_at_deadline: usize,
    /// Deadline passed and not compliant now.
    pub overdue: usize,
    pub overdue_days: Option<i64>,
}

/// One requirement on `/requirements` (and at the top of its own page).
#[derive(Debug, Clone, PartialEq)]
pub struct RequirementItem {
    pub id: String,
    /// Its page, keeping the date and language.
    pub href: String,
    pub title: Name,
    pub authority: Name,
    pub issued: NaiveDate,
    pub deadline: Option<DeadlineView>,
    /// The kind of check in scope.
    pub scope_kind: Name,
    /// Kinds of host platform in scope (catalog ids such as `messaging`); empty = all.
    pub scope_subject_kinds: Vec<String>,
    /// Named host platforms in scope; empty = all.
    pub scope_subjects: Vec<Name>,
    pub compliant_statuses: Vec<StatusView>,
    pub citation: CitationView,
    pub figures: ComplianceFigures,
}

/// How one check stands against a requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComplianceOutcome {
    /// Nothing real observed up to the date.
    Unknown,
    NeverCompliant,
    /// Compliant now, and at the deadline (or none has passed).
    Compliant,
    CompliedLate,
    /// Compliant now; nothing was observed by the deadline.
    CompliantUnknownAtDeadline,
    LostCompliance,
}

/// One check in a requirement's scope, on the requirement's page.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckComplianceRow {
    pub check_id: String,
    /// The check's page, keeping the date and language.
    pub href: String,
    /// `微信 × 淘宝` / `WeChat × Taobao`.
    pub title: Name,
    pub status_now: StatusView,
    /// Its status at the end of the deadline day, when that has passed.
    pub status_at_deadline: Option<StatusView>,
    pub outcome: ComplianceOutcome,
    /// Start of the current compliant run (its day in Beijing time).
    pub compliant_since: Option<NaiveDate>,
    /// First compliance after a missed deadline (its day in Beijing time).
    pub complied_after_deadline: Option<NaiveDate>,
    pub delay_days: Option<i64>,
    pub overdue_days: Option<i64>,
}

/// One point of the share of checks compliant over time.
#[derive(Debug, Clone, PartialEq)]
pub struct SharePointView {
    pub day: NaiveDate,
    pub compliant: usize,
    pub known: usize,
    pub in_scope: usize,
    /// 0.0 – 1.0.
    pub share: f64,
}

/// The share compliant over time, weekly: the table shows it, a chart can draw it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShareSeriesView {
    pub deadline_day: Option<NaiveDate>,
    pub points: Vec<SharePointView>,
}

/// `/requirements/{id}`.
#[derive(Debug, Clone, PartialEq)]
pub struct RequirementPageView {
    /// The share over time drawn as an SVG chart (none before anything is observed).
    pub chart: Option<crate::charts::ChartView>,
    pub requirement: RequirementItem,
    pub checks: Vec<CheckComplianceRow>,
    pub series: ShareSeriesView,
}

/// `/requirements`.
#[derive(Debug, Clone, PartialEq)]
pub struct RequirementsView {
    pub requirements: Vec<RequirementItem>,
    /// The iCalendar feed, in the page's language.
    pub ics_href: String,
}

/// The overview's highlight: requirements overdue, and deadlines in the next 30 days.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeadlineHighlights {
    pub overdue: Vec<RequirementItem>,
    pub upcoming: Vec<RequirementItem>,
}

/// A download of the data a page shows, with the page's filters.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportLink {
    pub href: String,
    /// The media type (`text/csv`, `application/atom+xml` …), the link's `type`.
    pub mime: String,
    /// The format's short name (CSV, JSON …).
    pub format: String,
}

/// A page's cite box: its permalink (with `at` and `lang`) and a citation ready to paste
/// in Chinese and in English.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CiteBox {
    /// The page's own address (path and query), linked.
    pub path: String,
    /// The same, absolute (from `public_url`), shown and cited.
    pub permalink: String,
    pub zh: String,
    pub en: String,
}

/// Where a check leads a journalist: its requirement(s), its filtered timeline, its
/// downloads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckLinks {
    /// (title, href) of each requirement whose scope holds the check.
    pub requirements: Vec<(String, String)>,
    pub timeline: String,
    pub csv: String,
    pub json: String,
}

/// One source in the sources index.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceListItem {
    pub id: String,
    pub href: String,
    pub kind: String,
    pub publisher: String,
    /// The headline as published, in its own language.
    pub title: String,
    pub title_en: Option<String>,
    /// On Chinese pages, the Chinese rendering of a title in another language.
    pub title_zh: Option<String>,
    pub language: String,
    pub date: Option<NaiveDate>,
    pub url: Option<String>,
}

/// One check whose status differs between two dates.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareRow {
    pub check_id: String,
    pub href: String,
    pub title: String,
    pub kind: String,
    pub from: StatusView,
    pub to: StatusView,
}

/// `/compare`: the checks that changed between two days.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// How many real checks were compared.
    pub checks: usize,
    /// Checks whose status changed (known on day A, different on day B).
    pub rows: Vec<CompareRow>,
    /// Checks first sighted between the days (unknown on day A): listed apart, after.
    pub first_sightings: Vec<CompareRow>,
    /// One-click choices: (label, href).
    pub presets: Vec<(String, String)>,
    pub json: String,
}

/// A retracted observation: struck through wherever it is listed, with these words (so
/// it is never conveyed by style alone).
#[derive(Debug, Clone, PartialEq)]
pub struct RetractionView {
    /// When it was retracted, as `when` text (an instant, Beijing time).
    pub when: String,
    /// The reviewer's reason, as text.
    pub reason: String,
}

/// Vantage points agreeing in a cell: `agreeing` of `points` say `status`.
#[derive(Debug, Clone, PartialEq)]
pub struct AgreementView {
    pub status: StatusView,
    pub agreeing: usize,
    pub points: usize,
}

/// One vantage point's word on a check (its check page section): what the point stands
/// for, its latest verdict as of the page's date, its changes and its windowed verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct VantageSection {
    pub vantage: String,
    /// The pack probing there.
    pub pack: String,
    pub simulated: bool,
    /// From the registry; `None` when no process registered the point.
    pub description: Option<String>,
    pub network: Option<String>,
    pub region: Option<String>,
    pub account_region: Option<String>,
    pub device: Option<String>,
    /// Its latest verdict as of the page's date (`None` when it spoke only later).
    pub latest: Option<OpinionView>,
    pub age_days: Option<i64>,
    /// The latest verdict is older than the stale threshold at the page's date.
    pub stale: bool,
    /// Its confirmed changes up to the page's date, newest first (at most a page's worth).
    pub changes: Vec<VantageChange>,
    /// Changes left out of `changes`.
    pub more_changes: usize,
    pub window: WindowView,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VantageChange {
    pub when: String,
    pub approximate: bool,
    pub from: Option<StatusView>,
    pub to: StatusView,
}

/// The share of a window's confirmed verdicts in each status.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub verdicts: usize,
    /// (status, share from 0 to 1), largest first.
    pub shares: Vec<(StatusView, f64)>,
}
