//! Turning records into what pages show: names, statuses in words, citations, cells,
//! timeline entries, links that keep the date and language. Shared by the questions'
//! modules; what only one question shows lives in its module.
//!
//! Words are in the language passed in. Where the API shows the same data, an
//! [`Audience`] says whether it is for a reader (words and dates in their language) or a
//! program (English, dates in ISO 8601).

pub mod cite;
pub mod compliance;
pub mod fleet;
pub mod json;
pub mod packs;
pub mod table;

use super::request::AsOf;
use crate::domain::CheckState;
use crate::domain::UNKNOWN;
use crate::domain::evidence::{Evidence, Figure};
use crate::domain::{Check, Kind, Milestone, Side};
use crate::domain::{ObservationRecord, Reference, TransitionRecord};
use crate::storage::{Reads, StateFilter};
use crate::time::SHANGHAI;
use chrono::{DateTime, Utc};
use hutong_app::i18n::Lang;
use hutong_app::model::*;

/// Who view data is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// A reader of a page: words and dates in their language, links keep it.
    Reader(Lang),
    /// A program reading the API: English words, dates in ISO 8601.
    Program,
}

impl Audience {
    pub fn lang(self) -> Lang {
        match self {
            Audience::Reader(lang) => lang,
            Audience::Program => Lang::En,
        }
    }
}

/// The query internal links carry: the page's date (unless today) and its language.
pub fn date_query(as_of: &AsOf, lang: Lang) -> String {
    hutong_app::components::keep_query(as_of.day_in_links(), lang)
}

/// A link to `path` with its own parameters, keeping the page's date and language.
pub fn link_with(path: &str, params: &[(String, String)], as_of: &AsOf, lang: Lang) -> String {
    hutong_app::components::link_with(path, params, as_of.day_in_links(), lang)
}

/// Each check's state at `at`: of the checks of `kind` (all when `None`), for reference data
/// already read; simulated observations count only when asked for (the matrices and pages
/// of simulated platforms).
pub async fn states_at(
    reads: &Reads,
    reference: &Reference,
    at: DateTime<Utc>,
    kind: Option<&str>,
    include_simulated: bool,
) -> Result<crate::storage::memo::CheckStates, crate::storage::StorageError> {
    let filter = StateFilter {
        kind: kind.map(str::to_string),
        include_simulated,
        ..StateFilter::default()
    };
    let checks: Vec<&crate::domain::Check> = reference
        .checks
        .iter()
        .filter(|c| kind.is_none_or(|k| c.kind == k))
        .collect();
    reads.check_states(at, &filter, &checks).await
}

/// Transitions (already filtered and newest first) and milestones merged, newest first;
/// the entries of page `page` of `per_page`.
pub fn merged_entries(
    r: &Reference,
    transitions: &[TransitionRecord],
    milestones: &[&Milestone],
    page: usize,
    per_page: usize,
    query: &str,
    a: Audience,
) -> Vec<TimelineEntry> {
    let mut merged: Vec<(DateTime<Utc>, TimelineEntry)> = transitions
        .iter()
        .map(|t| (t.occurred_at, transition_entry(r, t, query, a)))
        .chain(milestones.iter().map(|m| {
            (
                crate::time::start_of_day(m.date, SHANGHAI),
                milestone_entry(r, m, a),
            )
        }))
        .collect();
    merged.sort_by_key(|e| std::cmp::Reverse(e.0));
    merged
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|(_, e)| e)
        .collect()
}

pub fn name(zh: &str, en: &str) -> Name {
    Name::new(zh, en)
}

/// The name of whatever one side of a check refers to.
pub fn side_name(r: &Reference, side: Side, slug: &str) -> Name {
    match side {
        Side::Platform => r.platform(slug).map(|p| name(&p.name_zh, &p.name_en)),
        Side::Method => r.method(slug).map(|m| name(&m.name_zh, &m.name_en)),
    }
    .unwrap_or_else(|| name("", slug))
}

pub fn side_header(r: &Reference, side: Side, slug: &str, query: &str, lang: Lang) -> Header {
    let href = (side == Side::Platform).then(|| format!("/platforms/{slug}{query}"));
    let note = match side {
        Side::Method => r
            .method(slug)
            .and_then(|m| r.group(&m.group))
            .map(|g| name(&g.name_zh, &g.name_en).get(lang).to_string()),
        Side::Platform => None,
    };
    Header {
        name: side_name(r, side, slug),
        href,
        note,
    }
}

pub fn status_view(kind: Option<&Kind>, status: &str, lang: Lang) -> StatusView {
    let rungs = kind.map_or(0, |k| k.statuses.len());
    let found = kind.and_then(|k| k.statuses.iter().enumerate().find(|(_, s)| s.id == status));
    match found {
        Some((rung, s)) => StatusView {
            id: s.id.clone(),
            label: name(&s.label_zh, &s.label_en),
            description: status_description(kind, &s.id, &s.description_en, lang),
            score: Some(s.score),
            rung: Some(rung),
            rungs,
        },
        None => StatusView {
            id: status.to_string(),
            label: if status == UNKNOWN {
                name(
                    &Lang::ZhCn.t("status-unknown"),
                    &Lang::En.t("status-unknown"),
                )
            } else {
                name("", status)
            },
            description: if status == UNKNOWN {
                lang.t("status-unknown-description")
            } else {
                lang.t("status-off-ladder-description")
            },
            score: None,
            rung: None,
            rungs,
        },
    }
}

/// A status's description: the catalog's English, or its translation in `catalog.ftl`
/// (`status-description-{kind}-{status}`) for other languages, English when there is none.
fn status_description(kind: Option<&Kind>, status: &str, english: &str, lang: Lang) -> String {
    match (lang, kind) {
        (Lang::En, _) | (_, None) => english.to_string(),
        (other, Some(k)) => other.t_or(
            &format!("status-description-{}-{}", k.id, status).replace('_', "-"),
            english,
        ),
    }
}

pub fn ladder(kind: &Kind, lang: Lang) -> Vec<StatusView> {
    kind.statuses
        .iter()
        .map(|s| status_view(Some(kind), &s.id, lang))
        .collect()
}

/// "2021-10-17" for dated facts, "2021-10-17 16:11 UTC+8" for exact instants (Beijing
/// time): view data stays ISO 8601, and pages write it in their language.
pub fn when(at: DateTime<Utc>, precision: &str) -> String {
    let local = at.with_timezone(&SHANGHAI);
    if precision == "instant" {
        local.format("%Y-%m-%d %H:%M UTC+8").to_string()
    } else {
        local.format("%Y-%m-%d").to_string()
    }
}

/// A calendar day in the reader's language, ISO 8601 for programs.
pub fn day(d: chrono::NaiveDate, a: Audience) -> String {
    match a {
        Audience::Reader(lang) => lang.date(d),
        Audience::Program => d.to_string(),
    }
}

fn citation_for(
    r: &Reference,
    source_kind: &str,
    source_id: Option<&str>,
    source_key: &str,
    a: Audience,
) -> CitationView {
    match source_id.and_then(|id| r.source(id)) {
        Some(s) => {
            let label = match s.date {
                Some(d) => a.lang().t_args(
                    "citation-label",
                    &[
                        ("publisher", s.publisher.clone().into()),
                        ("date", day(d, a).into()),
                    ],
                ),
                None => s.publisher.clone(),
            };
            let title = match &s.title_en {
                Some(en) => format!("{} ({en})", s.title),
                None => s.title.clone(),
            };
            CitationView {
                source_kind: source_kind.to_string(),
                label,
                title: Some(title),
                url: s.url.clone(),
                // A source's page does not depend on the date; it keeps the language.
                href: Some(match a {
                    Audience::Reader(lang) => format!("/sources/{}?lang={}", s.id, lang.code()),
                    Audience::Program => format!("/sources/{}", s.id),
                }),
            }
        }
        None => CitationView {
            source_kind: source_kind.to_string(),
            label: source_key.to_string(),
            title: None,
            url: None,
            href: None,
        },
    }
}

pub fn citation(r: &Reference, o: &ObservationRecord, lang: Lang) -> CitationView {
    citation_for(
        r,
        &o.source_kind,
        o.source_id.as_deref(),
        &o.source_key,
        Audience::Reader(lang),
    )
}

pub fn opinion(
    r: &Reference,
    kind: Option<&Kind>,
    o: &ObservationRecord,
    lang: Lang,
) -> OpinionView {
    OpinionView {
        status: status_view(kind, &o.status, lang),
        citation: citation(r, o, lang),
        when: when(o.observed_at, &o.precision),
        approximate: o.is_approximate(),
    }
}

pub fn cell(
    r: &Reference,
    check: &Check,
    state: Option<&CheckState>,
    as_of: &AsOf,
    query: &str,
    lang: Lang,
) -> CellView {
    let kind = r.kind(&check.kind);
    let latest = state.and_then(|s| s.latest.as_ref());
    CellView {
        check_id: check.id.clone(),
        href: format!("/checks/{}{query}", check.id),
        status: status_view(kind, latest.map_or(UNKNOWN, |o| o.status.as_str()), lang),
        latest: latest.map(|o| opinion(r, kind, o, lang)),
        disagreeing: state
            .map(|s| {
                crate::state::opinions(s, as_of.stale_after_days)
                    .disagreeing
                    .into_iter()
                    .map(|o| opinion(r, kind, o, lang))
                    .collect()
            })
            .unwrap_or_default(),
        age_days: latest.map(|o| as_of.age_of(o.observed_at).days),
        stale: state
            .and_then(|s| crate::state::evidence_age(s, as_of.instant, as_of.stale_after_days))
            .is_some_and(|a| a.stale),
        agreement: state
            .and_then(|s| crate::state::vantage_agreement(s, as_of.stale_after_days))
            .map(|a| AgreementView {
                status: status_view(kind, &a.status, lang),
                agreeing: a.agreeing,
                points: a.points,
            }),
    }
}

/// How old a set of checks' evidence is, in words: "11 checks: 2 with evidence from the
/// last 180 days, 9 stale, 0 unknown; last real evidence 17 Oct 2021".
pub fn freshness_words(f: &crate::state::Freshness, stale_after_days: u32, lang: Lang) -> String {
    let counts = lang.t_args(
        "freshness-counts",
        &[
            ("total", f.total.into()),
            ("fresh", f.fresh.into()),
            ("days", i64::from(stale_after_days).into()),
            ("stale", f.stale.into()),
            ("unknown", f.unknown.into()),
        ],
    );
    match f.last_evidence_at {
        Some(at) => lang.t_args(
            "freshness-last",
            &[
                ("counts", counts.into()),
                ("date", lang.date(crate::time::shanghai_day(at)).into()),
            ],
        ),
        None => lang.t_args("freshness-none", &[("counts", counts.into())]),
    }
}

pub fn check_title(r: &Reference, check: &Check, lang: Lang) -> String {
    let Some(kind) = r.kind(&check.kind) else {
        return check.id.clone();
    };
    format!(
        "{} × {}",
        side_name(r, kind.subject, &check.subject).get(lang),
        side_name(r, kind.object, &check.object).get(lang)
    )
}

pub fn transition_entry(
    r: &Reference,
    t: &TransitionRecord,
    query: &str,
    a: Audience,
) -> TimelineEntry {
    let lang = a.lang();
    let kind = r.kind(&t.kind);
    let check = Check {
        id: t.check_id.clone(),
        kind: t.kind.clone(),
        subject: t.subject.clone(),
        object: t.object.clone(),
    };
    TimelineEntry::Change {
        when: when(t.occurred_at, &t.precision),
        approximate: t.is_approximate(),
        check_href: format!("/checks/{}{query}", t.check_id),
        check_title: check_title(r, &check, lang),
        kind_name: kind.map_or_else(|| name("", &t.kind), |k| name(&k.name_zh, &k.name_en)),
        from: t.from_status.as_deref().map(|s| status_view(kind, s, lang)),
        to: status_view(kind, &t.to_status, lang),
        citation: citation_for(r, &t.source_kind, t.source_id.as_deref(), &t.source_key, a),
    }
}

/// A catalog source cited by id (milestones, requirements).
pub fn source_citation(r: &Reference, source_id: &str, a: Audience) -> CitationView {
    let kind = r.source(source_id).map_or("article", |s| s.kind.as_str());
    citation_for(r, kind, Some(source_id), source_id, a)
}

pub fn milestone_entry(r: &Reference, m: &Milestone, a: Audience) -> TimelineEntry {
    TimelineEntry::Milestone {
        when: m.date.to_string(),
        approximate: m.approximate,
        title: name(&m.title_zh, &m.title_en),
        citation: source_citation(r, &m.source, a),
    }
}

/// Longest excerpt shown from a scraped page.
pub const EXCERPT_CAP: usize = 2_000;
/// Longest URL shown from evidence.
pub const URL_CAP: usize = 500;
/// Longest short field (rule ids, charsets, statuses …) shown from evidence.
pub const SHORT_CAP: usize = 200;

/// Scraped text cut to `cap` characters, control characters (other than line breaks and
/// tabs) replaced: it is shown as text, and must not be able to garble the page.
pub fn capped(s: &str, cap: usize) -> String {
    let mut out: String = s
        .chars()
        .take(cap)
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    if s.chars().nth(cap).is_some() {
        out.push('…');
    }
    out
}

/// A text of evidence as shown: trimmed and capped, control characters replaced; `None`
/// when nothing is left.
pub fn evidence_text(v: Option<&str>, cap: usize) -> Option<String> {
    let s = capped(v?.trim(), cap);
    (!s.is_empty()).then_some(s)
}

/// A probe's evidence as shown: every value capped text (a number stored as something
/// else shows as the text it is).
pub fn evidence_view(e: &Evidence) -> EvidenceView {
    let text = |v: &Option<String>, cap| evidence_text(v.as_deref(), cap);
    let figure =
        |v: &Option<Figure>| evidence_text(v.as_ref().map(Figure::to_string).as_deref(), SHORT_CAP);
    EvidenceView {
        request_url: text(&e.request_url, URL_CAP),
        hops: e
            .hops
            .iter()
            .take(50)
            .map(|h| HopView {
                url: text(&h.url, URL_CAP),
                status: figure(&h.status),
                location: text(&h.location, URL_CAP),
                elapsed_ms: figure(&h.elapsed_ms),
            })
            .collect(),
        final_url: text(&e.final_url, URL_CAP),
        final_status: figure(&e.status),
        rule: text(&e.rule, SHORT_CAP),
        excerpt: text(&e.excerpt, EXCERPT_CAP),
        charset: text(&e.charset, SHORT_CAP),
        content_type: text(&e.content_type, SHORT_CAP),
        body_sha256: text(&e.body_sha256, SHORT_CAP),
        body_bytes: figure(&e.body_bytes),
        total_ms: e.timings.as_ref().and_then(|t| figure(&t.total_ms)),
        control: e.control.as_ref().map(|c| ControlView {
            url: text(&c.url, URL_CAP),
            status: figure(&c.status),
            ok: c.ok,
            refused: c.failure.as_deref()
                == Some(crate::probes::FailureClass::InternalAddress.as_str()),
        }),
        in_app_control: e.in_app_control.as_ref().map(|c| ControlView {
            url: text(&c.url, URL_CAP),
            status: figure(&c.status),
            ok: c.ok,
            refused: c.failure.as_deref()
                == Some(crate::probes::FailureClass::InternalAddress.as_str()),
        }),
        detail: text(&e.detail, EXCERPT_CAP),
        extracted: e
            .extracted
            .iter()
            .take(50)
            .map(|x| ExtractedView {
                names: x
                    .names
                    .iter()
                    .take(20)
                    .filter_map(|n| evidence_text(Some(n), SHORT_CAP))
                    .collect(),
                method: evidence_text(Some(&x.methods.join(", ")), SHORT_CAP),
                selected: x.selected,
            })
            .collect(),
        rule_version: figure(&e.rule_version),
    }
}

/// What a failure class means, in words a reader can act on.
pub fn failure_words(class: &str, lang: Lang) -> String {
    use crate::probes::FailureClass as F;
    match class.parse::<F>() {
        Ok(F::Dns) => lang.t("failure-dns"),
        Ok(F::Connect) => lang.t("failure-connect"),
        Ok(F::Tls) => lang.t("failure-tls"),
        Ok(F::Timeout) => lang.t("failure-timeout"),
        Ok(F::HttpStatus) => lang.t("failure-http-status"),
        Ok(F::TooLarge) => lang.t("failure-too-large"),
        Ok(F::Decode) => lang.t("failure-decode"),
        Ok(F::BotChallenge) => lang.t("failure-bot-challenge"),
        Ok(F::ControlFailed) => lang.t("failure-control-failed"),
        Ok(F::NoRuleMatched) => lang.t("failure-no-rule-matched"),
        Ok(F::RedirectLoop) => lang.t("failure-redirect-loop"),
        Ok(F::InternalAddress) => lang.t("failure-internal-address"),
        Ok(F::TooComplex) => lang.t("failure-too-complex"),
        Ok(F::BridgeFailed) => lang.t("failure-bridge-failed"),
        Err(_) => lang.t("failure-unknown"),
    }
}

/// An observation's note in the reader's language. A probe writes its note in English
/// (its detail: "HTTP 403 from …"); on a Chinese page that note is said in Chinese from
/// what the probe recorded (its failure class, or the anomaly flag), and the English
/// sentence stays in the evidence. Other notes: Chinese, else English.
pub fn note(o: &ObservationRecord, lang: Lang) -> Option<String> {
    let probe_words_only = lang == Lang::ZhCn && o.pack_id.is_some() && o.note_zh.is_none();
    if !probe_words_only || o.note_en.is_none() {
        return o.note_in(lang);
    }
    match (&o.failure, o.confirmed) {
        (Some(f), _) => Some(failure_words(f, lang)),
        (None, Some(false)) => Some(lang.t("observation-anomaly")),
        _ => None,
    }
}

/// A retracted observation's when and why, as pages show it; `None` while it counts.
pub fn retraction(o: &ObservationRecord) -> Option<hutong_app::model::RetractionView> {
    let at = o.retracted_at?;
    Some(hutong_app::model::RetractionView {
        when: when(at, "instant"),
        reason: capped(
            o.retraction_reason.as_deref().unwrap_or_default(),
            EXCERPT_CAP,
        ),
    })
}

/// A probe verdict's details for a history row; `None` for other sources.
pub fn probe_note(o: &ObservationRecord) -> Option<ProbeNote> {
    o.pack_id.as_ref()?;
    Some(ProbeNote {
        failure: o.failure.as_deref().map(|f| capped(f, SHORT_CAP)),
        anomaly: o.confirmed == Some(false),
        rule: o
            .evidence
            .as_ref()
            .and_then(|e| evidence_text(e.rule.as_deref(), SHORT_CAP)),
        superseded: o.superseded_by.is_some(),
    })
}

/// An instant in Beijing time, to the minute, in the reader's language (ISO 8601 for
/// programs).
pub fn instant(at: DateTime<Utc>, a: Audience) -> String {
    match a {
        Audience::Reader(lang) => lang.datetime(at),
        Audience::Program => when(at, "instant"),
    }
}

/// On Chinese pages, the Chinese rendering of a source title in another language: the
/// catalog keeps such titles in their language only, their translation is `catalog.ftl`'s
/// `source-title-{id}`. `None` on English pages, for Chinese titles, and untranslated ones.
pub fn title_zh(s: &crate::domain::Source, lang: Lang) -> Option<String> {
    let id = format!("source-title-{}", s.id);
    (lang == Lang::ZhCn && !s.language.starts_with("zh") && lang.has(&id)).then(|| lang.t(&id))
}

/// Text XML 1.0 can hold: the characters it forbids (most control characters, U+FFFE,
/// U+FFFF) replaced by U+FFFD. Catalog and scraped text may carry them; the feed's writer
/// escapes markup but would pass them through, and a feed reader would reject the document.
pub fn xml_text(s: &str) -> std::borrow::Cow<'_, str> {
    let forbidden = |c: char| {
        (c < '\u{20}' && !matches!(c, '\t' | '\n' | '\r')) || c == '\u{FFFE}' || c == '\u{FFFF}'
    };
    if s.chars().any(forbidden) {
        std::borrow::Cow::Owned(
            s.chars()
                .map(|c| if forbidden(c) { '\u{FFFD}' } else { c })
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}
