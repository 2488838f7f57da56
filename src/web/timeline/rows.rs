//! What every timeline export shares: the request, read strictly from its URL; the
//! columns; and the rows, each entry's words in the export's language with its citation or
//! an absolute link to its evidence (`RowMaker`). The CSV, JSON and NDJSON encoders and the
//! Atom feed write these rows; `export` streams them.

use super::filter::TimelineFilter;
use crate::domain::{Milestone, Side};
use crate::domain::{Reference, TransitionRef};
use crate::storage::Reads;
use crate::time::{self, SHANGHAI};
use crate::web::error::WebError;
use crate::web::present::cite::NO_ADDRESS;
use crate::web::request::AsOf;
use chrono::{DateTime, SecondsFormat, Utc};
use hutong_app::i18n::Lang;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// Bytes gathered before a chunk is handed to the client.
pub(super) const CHUNK: usize = 64 * 1024;

/// The columns of the CSV export, in order; also the keys of each JSON row.
pub const COLUMNS: [&str; 25] = [
    "when",
    "when_utc",
    "precision",
    "entry",
    "check_id",
    "kind",
    "subject",
    "subject_zh",
    "subject_en",
    "object",
    "object_zh",
    "object_en",
    "from_status",
    "from_label",
    "to_status",
    "to_label",
    "title",
    "source_kind",
    "simulated",
    "source",
    "citation",
    "citation_url",
    "evidence_url",
    "check_url",
    "observation_id",
];

/// What one export request asks for, read strictly from its URL.
pub(super) struct ExportRequest {
    pub(super) as_of: AsOf,
    pub(super) filter: TimelineFilter,
    pub(super) lang: Lang,
    pub(super) reads: Reads,
    pub(super) reference: std::sync::Arc<Reference>,
}

impl ExportRequest {
    /// The request's date, reads and filters, each error in the order a reader fixes them.
    pub(super) async fn new(
        lang: Lang,
        at: Result<AsOf, WebError>,
        reads: Result<Reads, WebError>,
        filter: Result<TimelineFilter, WebError>,
    ) -> Result<ExportRequest, WebError> {
        let as_of = at?;
        let reads = reads?;
        let reference = reads.reference().await?;
        let filter = filter?;
        Ok(ExportRequest {
            as_of,
            filter,
            lang,
            reads,
            reference,
        })
    }
}

/// One exported entry; keys are [`COLUMNS`]. Words are in the export's language, ids are not.
#[derive(Debug, Serialize)]
pub struct Row<'a> {
    pub when: String,
    pub when_utc: String,
    pub precision: &'a str,
    pub entry: &'static str,
    pub check_id: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub subject_zh: Option<&'a str>,
    pub subject_en: Option<&'a str>,
    pub object: Option<&'a str>,
    pub object_zh: Option<&'a str>,
    pub object_en: Option<&'a str>,
    pub from_status: Option<&'a str>,
    pub from_label: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub to_label: Option<&'a str>,
    pub title: String,
    pub source_kind: &'a str,
    pub simulated: bool,
    pub source: &'a str,
    pub citation: Option<&'a str>,
    pub citation_url: Option<&'a str>,
    pub evidence_url: String,
    pub check_url: Option<String>,
    pub observation_id: Option<i64>,
    /// For milestones: the catalog id (the Atom entry's id).
    #[serde(skip)]
    pub milestone_id: Option<&'a str>,
}

/// A cited source as exports show it.
struct Cited {
    kind: String,
    text: String,
    url: Option<String>,
    author: String,
}

/// What change rows say of one check, in the export's language.
struct CheckWords {
    /// (zh, en) names of the subject and the object, when the catalog has them.
    subject: Option<(String, String)>,
    object: Option<(String, String)>,
    /// `微信 × 抖音`: the check as titles name it.
    display: String,
    /// (status, label) along the check kind's ladder.
    ladder: Vec<(String, String)>,
    /// A check of a simulated platform.
    simulated: bool,
}

/// The text buffers of a [`Row`], handed from one row to the next.
#[derive(Debug, Default)]
pub struct RowBufs {
    when: String,
    when_utc: String,
    title: String,
    evidence_url: String,
    check_url: String,
}

impl Row<'_> {
    /// The row's buffers, for the next row.
    pub fn into_bufs(self) -> RowBufs {
        RowBufs {
            when: self.when,
            when_utc: self.when_utc,
            title: self.title,
            evidence_url: self.evidence_url,
            check_url: self.check_url.unwrap_or_default(),
        }
    }
}

/// Everything needed to turn records into rows, looked up once per export.
pub struct RowMaker {
    lang: Lang,
    pub(super) base: String,
    /// (zh, en) names of platforms and of payment methods.
    platforms: HashMap<String, (String, String)>,
    methods: HashMap<String, (String, String)>,
    /// kind → (subject side, object side)
    sides: HashMap<String, (Side, Side)>,
    /// kind → status → label in the export's language
    labels: HashMap<String, HashMap<String, String>>,
    sources: HashMap<String, Cited>,
    simulated_checks: HashSet<String>,
    /// Every catalog check's words, by check id.
    checks: HashMap<String, CheckWords, foldhash::fast::RandomState>,
    /// Milestones the filters keep, oldest first, with their instant.
    pub(super) milestones: Vec<(DateTime<Utc>, Milestone)>,
    change_title: Template,
    first_title: Template,
    pub(super) simulated_mark: String,
}

/// A message formatted once with stand-ins for its per-row arguments, then filled in per
/// row by plain concatenation: Fluent's formatter is too slow to run a million times.
struct Template {
    /// Literal pieces; between piece `i` and `i + 1` goes argument `slots[i]`.
    pieces: Vec<String>,
    slots: Vec<usize>,
}

impl Template {
    fn new(lang: Lang, id: &str, args: &[&str], fixed: &[(&str, String)]) -> Template {
        let marker = |i: usize| format!("\u{1}{i}\u{1}");
        let mut all: Vec<(&str, hutong_app::i18n::Arg)> = args
            .iter()
            .enumerate()
            .map(|(i, a)| (*a, marker(i).into()))
            .collect();
        all.extend(fixed.iter().map(|(k, v)| (*k, v.clone().into())));
        let text = lang.t_args(id, &all);
        let mut pieces = Vec::new();
        let mut slots = Vec::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find('\u{1}') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('\u{1}') else {
                break;
            };
            match after[..end].parse::<usize>() {
                Ok(slot) => {
                    pieces.push(rest[..start].to_string());
                    slots.push(slot);
                }
                Err(_) => break,
            }
            rest = &after[end + 1..];
        }
        pieces.push(rest.to_string());
        Template { pieces, slots }
    }

    fn fill(&self, out: &mut String, args: &[&str]) {
        for (i, piece) in self.pieces.iter().enumerate() {
            out.push_str(piece);
            if let Some(arg) = self.slots.get(i).and_then(|&s| args.get(s)) {
                out.push_str(arg);
            }
        }
    }
}

impl RowMaker {
    pub(super) fn new(req: &ExportRequest, public_url: &str) -> RowMaker {
        let r = &req.reference;
        let lang = req.lang;
        let mut milestones: Vec<(DateTime<Utc>, Milestone)> = r
            .milestones
            .iter()
            .filter(|m| req.filter.keeps_milestone(r, m, &req.as_of))
            .map(|m| (time::start_of_day(m.date, SHANGHAI), m.clone()))
            .collect();
        milestones.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        let pick = |zh: &str, en: &str| -> String {
            match lang {
                Lang::ZhCn if !zh.is_empty() => zh.to_string(),
                _ => en.to_string(),
            }
        };
        let mut maker = RowMaker {
            lang,
            base: public_url.trim_end_matches('/').to_string(),
            platforms: r
                .platforms
                .iter()
                .map(|p| (p.slug.clone(), (p.name_zh.clone(), p.name_en.clone())))
                .collect(),
            methods: r
                .methods
                .iter()
                .map(|m| (m.slug.clone(), (m.name_zh.clone(), m.name_en.clone())))
                .collect(),
            sides: r
                .kinds
                .iter()
                .map(|k| (k.id.clone(), (k.subject, k.object)))
                .collect(),
            labels: r
                .kinds
                .iter()
                .map(|k| {
                    let ladder = k
                        .statuses
                        .iter()
                        .map(|s| (s.id.clone(), pick(&s.label_zh, &s.label_en)))
                        .collect();
                    (k.id.clone(), ladder)
                })
                .collect(),
            sources: r
                .sources
                .iter()
                .map(|s| {
                    let mut text = s.publisher.clone();
                    if let Some(d) = s.date {
                        let _ = write!(text, ", {d}");
                    }
                    let _ = write!(text, ": {}", s.title);
                    if let (Lang::En, Some(en)) = (lang, &s.title_en) {
                        let _ = write!(text, " ({en})");
                    }
                    (
                        s.id.clone(),
                        Cited {
                            kind: s.kind.as_str().to_string(),
                            text,
                            url: s.url.clone(),
                            author: s.publisher.clone(),
                        },
                    )
                })
                .collect(),
            simulated_checks: r
                .checks
                .iter()
                .filter(|c| r.is_simulated_check(c))
                .map(|c| c.id.clone())
                .collect(),
            milestones,
            change_title: Template::new(
                lang,
                "exports-change-title",
                &["check", "from", "to"],
                &[],
            ),
            first_title: Template::new(
                lang,
                "exports-change-first-title",
                &["check", "to"],
                &[("first", lang.t("exports-first-recorded"))],
            ),
            simulated_mark: lang.t("exports-simulated-mark"),
            checks: HashMap::default(),
        };
        maker.checks = r
            .checks
            .iter()
            .map(|c| {
                let words = maker.check_words(&c.kind, &c.subject, &c.object, &c.id);
                (c.id.clone(), words)
            })
            .collect();
        maker
    }

    fn side_name(&self, side: Side, slug: &str) -> Option<&(String, String)> {
        match side {
            Side::Platform => self.platforms.get(slug),
            Side::Method => self.methods.get(slug),
        }
    }

    fn name_in_lang<'a>(&self, names: Option<&'a (String, String)>, slug: &'a str) -> &'a str {
        match (names, self.lang) {
            (Some((zh, _)), Lang::ZhCn) if !zh.is_empty() => zh,
            (Some((_, en)), _) => en,
            (None, _) => slug,
        }
    }

    fn label<'a>(&'a self, kind: &str, status: &'a str) -> &'a str {
        self.labels
            .get(kind)
            .and_then(|ladder| ladder.get(status))
            .map_or(status, String::as_str)
    }

    /// What rows say of a check: worked out in [`RowMaker::new`] for every catalog check.
    fn check_words(&self, kind: &str, subject: &str, object: &str, check_id: &str) -> CheckWords {
        let (subject_side, object_side) = self
            .sides
            .get(kind)
            .copied()
            .unwrap_or((Side::Platform, Side::Platform));
        let subject_names = self.side_name(subject_side, subject);
        let object_names = self.side_name(object_side, object);
        CheckWords {
            display: format!(
                "{} × {}",
                self.name_in_lang(subject_names, subject),
                self.name_in_lang(object_names, object)
            ),
            subject: subject_names.cloned(),
            object: object_names.cloned(),
            ladder: self
                .labels
                .get(kind)
                .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            simulated: self.simulated_checks.contains(check_id),
        }
    }

    /// One change as a row, its text written into `bufs` (taken back with
    /// [`Row::into_bufs`], so that a long export allocates nothing per row).
    pub fn change_row<'a>(&'a self, t: &TransitionRef<'a>, bufs: RowBufs) -> Row<'a> {
        // Every catalog check is prepared; one added since the export began is worked out
        // here, its words looked up again below.
        let found: Option<&'a CheckWords> = self.checks.get(t.check_id);
        let prepared;
        let words: &CheckWords = match found {
            Some(w) => w,
            None => {
                prepared = self.check_words(t.kind, t.subject, t.object, t.check_id);
                &prepared
            }
        };
        let label = |status: &'a str| -> &'a str {
            match found {
                Some(w) => w
                    .ladder
                    .iter()
                    .find(|(id, _)| id == status)
                    .map_or(status, |(_, l)| l.as_str()),
                None => self.label(t.kind, status),
            }
        };
        let from_label = t.from_status.map(label);
        let to_label = label(t.to_status);
        let simulated = t.source_kind == "simulated" || words.simulated;
        let RowBufs {
            mut when,
            mut when_utc,
            mut title,
            mut evidence_url,
            mut check_url,
        } = bufs;
        title.clear();
        if simulated {
            title.push('[');
            title.push_str(&self.simulated_mark);
            title.push_str("] ");
        }
        match from_label {
            Some(from) => self
                .change_title
                .fill(&mut title, &[&words.display, from, to_label]),
            None => self
                .first_title
                .fill(&mut title, &[&words.display, to_label]),
        }
        let cited = t.source_id.and_then(|id| self.sources.get(id));
        when.clear();
        push_rfc3339_shanghai(&mut when, t.occurred_at);
        when_utc.clear();
        push_rfc3339_utc(&mut when_utc, t.occurred_at);
        evidence_url.clear();
        evidence_url.push_str(&self.base);
        evidence_url.push_str("/observations/");
        evidence_url.push_str(itoa::Buffer::new().format(t.observation_id));
        check_url.clear();
        check_url.push_str(&self.base);
        check_url.push_str("/checks/");
        check_url.push_str(t.check_id);
        check_url.push_str("?at=");
        // The local date: the start of `when`.
        check_url.push_str(
            when.get(..when.find('T').unwrap_or(when.len()))
                .unwrap_or(""),
        );
        let names = |side: fn(&CheckWords) -> &Option<(String, String)>, slug: &'a str, which| {
            let names: Option<&'a (String, String)> = match found {
                Some(w) => side(w).as_ref(),
                None => {
                    let (subject_side, object_side) = self
                        .sides
                        .get(t.kind)
                        .copied()
                        .unwrap_or((Side::Platform, Side::Platform));
                    self.side_name(if which { subject_side } else { object_side }, slug)
                }
            };
            (names.map(|n| n.0.as_str()), names.map(|n| n.1.as_str()))
        };
        let (subject_zh, subject_en) = names(|w| &w.subject, t.subject, true);
        let (object_zh, object_en) = names(|w| &w.object, t.object, false);
        Row {
            when,
            when_utc,
            precision: t.precision,
            entry: "change",
            check_id: Some(t.check_id),
            kind: Some(t.kind),
            subject: Some(t.subject),
            subject_zh,
            subject_en,
            object: Some(t.object),
            object_zh,
            object_en,
            from_status: t.from_status,
            from_label,
            to_status: Some(t.to_status),
            to_label: Some(to_label),
            title,
            source_kind: t.source_kind,
            simulated,
            source: t.source_id.unwrap_or(t.source_key),
            citation: cited.map(|c| c.text.as_str()),
            citation_url: cited.map(|c| c.url.as_deref().unwrap_or(NO_ADDRESS)),
            evidence_url,
            check_url: Some(check_url),
            observation_id: Some(t.observation_id),
            milestone_id: None,
        }
    }

    pub fn milestone_row<'a>(&'a self, at: DateTime<Utc>, m: &'a Milestone) -> Row<'a> {
        let cited = self.sources.get(&m.source);
        let title = match self.lang {
            Lang::ZhCn if !m.title_zh.is_empty() => m.title_zh.clone(),
            _ => m.title_en.clone(),
        };
        Row {
            when: at
                .with_timezone(&SHANGHAI)
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            when_utc: at.to_rfc3339_opts(SecondsFormat::Secs, true),
            precision: if m.approximate { "approximate" } else { "day" },
            entry: "milestone",
            check_id: None,
            kind: None,
            subject: None,
            subject_zh: None,
            subject_en: None,
            object: None,
            object_zh: None,
            object_en: None,
            from_status: None,
            from_label: None,
            to_status: None,
            to_label: None,
            title,
            source_kind: cited.map_or("article", |c| c.kind.as_str()),
            simulated: false,
            source: &m.source,
            citation: cited.map(|c| c.text.as_str()),
            citation_url: cited.map(|c| c.url.as_deref().unwrap_or(NO_ADDRESS)),
            evidence_url: format!("{}/sources/{}", self.base, m.source),
            check_url: None,
            observation_id: None,
            milestone_id: Some(&m.id),
        }
    }

    pub(super) fn author(&self, row: &Row<'_>) -> String {
        match self.sources.get(row.source) {
            Some(c) => c.author.clone(),
            None => self.lang.t("exports-author-hutong"),
        }
    }
}

/// Appends `t` as `to_rfc3339_opts(SecondsFormat::Secs, true)` writes it, in UTC (`…Z`).
fn push_rfc3339_utc(out: &mut String, t: DateTime<Utc>) {
    push_rfc3339(out, t.naive_utc(), 0);
}

/// Appends `t` in Asia/Shanghai time as `to_rfc3339_opts(SecondsFormat::Secs, true)`
/// writes it (`…+08:00`).
fn push_rfc3339_shanghai(out: &mut String, t: DateTime<Utc>) {
    use chrono::{Offset, TimeZone};
    let offset = SHANGHAI
        .offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc();
    match t
        .naive_utc()
        .checked_add_signed(chrono::Duration::seconds(offset.into()))
    {
        Some(local) => push_rfc3339(out, local, offset),
        // The last hours chrono can represent have no local time: the instant in UTC.
        None => push_rfc3339(out, t.naive_utc(), 0),
    }
}

/// `YYYY-MM-DDTHH:MM:SS` and the offset (`Z` for zero), seconds truncated; digits written
/// by hand, a million rows at a time. Years outside 0–9999 and offsets of odd seconds
/// (local mean time, before 1901) go through chrono.
fn push_rfc3339(out: &mut String, local: chrono::NaiveDateTime, offset_secs: i32) {
    use chrono::{Datelike, Timelike};
    let year = local.year();
    if !(0..=9999).contains(&year) || offset_secs % 60 != 0 {
        let fixed = chrono::FixedOffset::east_opt(offset_secs);
        let utc = local.checked_sub_signed(chrono::Duration::seconds(offset_secs.into()));
        if let (Some(fixed), Some(utc)) = (fixed, utc) {
            out.push_str(
                &DateTime::<Utc>::from_naive_utc_and_offset(utc, Utc)
                    .with_timezone(&fixed)
                    .to_rfc3339_opts(SecondsFormat::Secs, true),
            );
            return;
        }
    }
    let two = |out: &mut String, n: u32| {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    let year = year as u32;
    two(out, year / 100);
    two(out, year % 100);
    out.push('-');
    two(out, local.month());
    out.push('-');
    two(out, local.day());
    out.push('T');
    two(out, local.hour());
    out.push(':');
    two(out, local.minute());
    out.push(':');
    two(out, local.second());
    if offset_secs == 0 {
        out.push('Z');
    } else {
        out.push(if offset_secs < 0 { '-' } else { '+' });
        let minutes = offset_secs.unsigned_abs() / 60;
        two(out, minutes / 60);
        out.push(':');
        two(out, minutes % 60);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_as_chrono_writes_them() {
        let check = |t: DateTime<Utc>| {
            let (mut utc, mut local) = (String::new(), String::new());
            push_rfc3339_utc(&mut utc, t);
            push_rfc3339_shanghai(&mut local, t);
            assert_eq!(utc, t.to_rfc3339_opts(SecondsFormat::Secs, true));
            assert_eq!(
                local,
                t.with_timezone(&SHANGHAI)
                    .to_rfc3339_opts(SecondsFormat::Secs, true)
            );
        };
        // Every hour across China's summer-time years (1986–1991) and around them.
        let start = chrono::TimeZone::with_ymd_and_hms(&Utc, 1985, 1, 1, 0, 0, 0).unwrap();
        for h in 0..(8 * 366 * 24) {
            check(start + chrono::Duration::hours(h) + chrono::Duration::seconds(h % 61));
        }
        // Spread over the years, with sub-second parts that are truncated.
        let mut seed = 1u64;
        for _ in 0..20_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let secs = (seed >> 20) as i64 % (400 * 365 * 86_400) - 200 * 365 * 86_400;
            check(DateTime::from_timestamp(secs, (seed % 1_000_000_000) as u32).unwrap());
        }
        // Years chrono writes with a sign or five digits.
        for t in [
            DateTime::<Utc>::MIN_UTC + chrono::Duration::days(1),
            DateTime::<Utc>::MAX_UTC - chrono::Duration::days(1),
            chrono::TimeZone::with_ymd_and_hms(&Utc, 9999, 12, 31, 20, 0, 0).unwrap(),
            chrono::TimeZone::with_ymd_and_hms(&Utc, 0, 1, 1, 0, 0, 0).unwrap(),
            chrono::TimeZone::with_ymd_and_hms(&Utc, -1, 12, 31, 23, 0, 0).unwrap(),
        ] {
            check(t);
        }
        // Where chrono's own local time overflows, the instant is still written.
        let mut last = String::new();
        push_rfc3339_shanghai(&mut last, DateTime::<Utc>::MAX_UTC);
        assert!(last.ends_with('Z'), "{last}");
    }
}
