//! Reading stored observations as answers: the state of each check at a date (with any
//! disagreement between sources) and openness shares. Pure functions over the domain's
//! records, shared by the pages and the JSON API (compliance with requirements is
//! [`crate::compliance`]'s).

use crate::domain::{Check, Kind, ObservationRecord, Reference, UNKNOWN};
use crate::domain::{CheckState, OPEN_SCORE};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// How old a check's newest evidence is at a date: Beijing calendar days from the day it
/// was observed to the page's day (the count deadlines use). Evidence more than the
/// threshold's days old is stale: still the latest word, but not today's fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EvidenceAge {
    pub days: i64,
    pub stale: bool,
    pub last_evidence_at: DateTime<Utc>,
}

/// The age of `observed_at` at `at`, stale after `stale_after_days`.
pub fn age_at(observed_at: DateTime<Utc>, at: DateTime<Utc>, stale_after_days: u32) -> EvidenceAge {
    let days = (crate::time::shanghai_day(at) - crate::time::shanghai_day(observed_at)).num_days();
    EvidenceAge {
        days,
        stale: days > i64::from(stale_after_days),
        last_evidence_at: observed_at,
    }
}

/// The age of a check's newest evidence at `at`; `None` when its status is unknown
/// (never observed, or the newest word is a failure): unknown is counted apart.
pub fn evidence_age(
    state: &CheckState,
    at: DateTime<Utc>,
    stale_after_days: u32,
) -> Option<EvidenceAge> {
    let latest = state.latest.as_ref().filter(|o| o.status != UNKNOWN)?;
    Some(age_at(latest.observed_at, at, stale_after_days))
}

/// Checks by the age of their evidence: fresh, stale and unknown are told apart, never
/// folded into one another.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Freshness {
    pub total: usize,
    /// Known status, evidence at most the threshold's days old.
    pub fresh: usize,
    /// Known status, evidence older than the threshold.
    pub stale: usize,
    /// No known status.
    pub unknown: usize,
    /// The newest evidence of any of them.
    pub last_evidence_at: Option<DateTime<Utc>>,
}

/// Counts `states` (`None`: a check never observed) by the age of their evidence at `at`.
pub fn freshness<'a>(
    states: impl IntoIterator<Item = Option<&'a CheckState>>,
    at: DateTime<Utc>,
    stale_after_days: u32,
) -> Freshness {
    let mut f = Freshness::default();
    for state in states {
        f.total += 1;
        match state.and_then(|s| evidence_age(s, at, stale_after_days)) {
            None => f.unknown += 1,
            Some(age) => {
                if age.stale {
                    f.stale += 1;
                } else {
                    f.fresh += 1;
                }
                f.last_evidence_at = f.last_evidence_at.max(Some(age.last_evidence_at));
            }
        }
    }
    f
}

/// Every source's latest word on a check, sorted by what it means now. A newer source that
/// states a status supersedes an older one that was already stale when the newer word came
/// (older than the stale threshold at its date): a 2024 report outranks a 2021 one rather
/// than disagreeing with it. Sources of comparable age (within the threshold of the newest
/// word) that conflict disagree. The one definition of "sources disagree" for cells, check
/// pages, the API and the overview.
#[derive(Debug, Clone, Default)]
pub struct Opinions<'a> {
    /// The newest word and every source that agrees with it or is of comparable age,
    /// newest first.
    pub current: Vec<&'a ObservationRecord>,
    /// Of `current`, those whose status differs from the newest word's.
    pub disagreeing: Vec<&'a ObservationRecord>,
    /// Older words that conflict with the newest one but were stale by its date, newest
    /// first: listed, dated, never counted as a disagreement.
    pub superseded: Vec<&'a ObservationRecord>,
}

/// Sorts a check's sources into current, disagreeing and superseded (see [`Opinions`]).
/// An unknown newest word (a failed probe) supersedes nothing: it states no status.
pub fn opinions(state: &CheckState, stale_after_days: u32) -> Opinions<'_> {
    let mut o = Opinions::default();
    let Some(latest) = state.latest.as_ref() else {
        return o;
    };
    for word in &state.per_source {
        let conflicts = word.status != latest.status;
        let stale_by_then = age_at(word.observed_at, latest.observed_at, stale_after_days).stale;
        if conflicts && stale_by_then && latest.status != UNKNOWN {
            o.superseded.push(word);
        } else {
            if conflicts {
                o.disagreeing.push(word);
            }
            o.current.push(word);
        }
    }
    o
}

/// Groups `state_as_of` rows by check, for every declared check (unobserved ones included).
pub fn states<'a>(
    checks: impl IntoIterator<Item = &'a Check>,
    rows: Vec<ObservationRecord>,
) -> HashMap<String, CheckState> {
    let mut by_check: HashMap<String, Vec<ObservationRecord>> = HashMap::new();
    for row in rows {
        by_check.entry(row.check_id.clone()).or_default().push(row);
    }
    checks
        .into_iter()
        .map(|c| {
            let mut per_source = by_check.remove(&c.id).unwrap_or_default();
            per_source.sort_by(|a, b| b.observed_at.cmp(&a.observed_at).then(b.id.cmp(&a.id)));
            let state = CheckState {
                check_id: c.id.clone(),
                latest: per_source.first().cloned(),
                per_source,
            };
            (c.id.clone(), state)
        })
        .collect()
}

/// How many checks are in each status, `unknown` last.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Distribution {
    pub total: usize,
    /// (status id, count) in ladder order, then `unknown`.
    pub counts: Vec<(String, usize)>,
    /// Checks whose status scores at least [`OPEN_SCORE`]: open enough to count as open.
    pub open: usize,
    /// Checks with a known status.
    pub known: usize,
    /// Mean openness score of the known ones.
    pub mean_score: Option<f64>,
}

pub fn distribution<'a>(
    kind: &Kind,
    states: impl IntoIterator<Item = &'a CheckState>,
) -> Distribution {
    let mut counts: Vec<(String, usize)> =
        kind.statuses.iter().map(|s| (s.id.clone(), 0)).collect();
    counts.push((UNKNOWN.to_string(), 0));
    let mut total = 0;
    let mut score_sum = 0.0;
    let mut known = 0;
    let mut open = 0;
    for state in states {
        total += 1;
        let status = state.status();
        if let Some(slot) = counts.iter_mut().find(|(id, _)| id == status) {
            slot.1 += 1;
        } else if let Some(unknown) = counts.last_mut() {
            unknown.1 += 1;
        }
        if let Some(s) = kind.statuses.iter().find(|s| s.id == status) {
            known += 1;
            score_sum += s.score;
            if s.score >= OPEN_SCORE {
                open += 1;
            }
        }
    }
    Distribution {
        total,
        counts,
        open,
        known,
        mean_score: (known > 0).then(|| score_sum / known as f64),
    }
}

/// Payment checks whose app and method belong to different ecosystems.
pub fn is_cross_group(reference: &Reference, check: &Check) -> bool {
    let Some(kind) = reference.kind(&check.kind) else {
        return false;
    };
    match (
        reference.ecosystem_of(kind.subject, &check.subject),
        reference.ecosystem_of(kind.object, &check.object),
    ) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    }
}

/// Days the windowed verdict looks back (the best-known tracker of blocking in China
/// reports a 30-day share for the same reason: single measurements are noisy).
pub const WINDOW_DAYS: i64 = 30;

/// One vantage point's confirmed verdicts on a check over a window: how many, and the
/// share of each status. Stale evidence never reads as current: the window's bounds and
/// its count travel with the shares, and an empty window has no shares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowedVerdict {
    /// The source: a probe pack at this vantage point (`probe:PACK@VANTAGE`).
    pub source_key: String,
    pub vantage: String,
    /// The probe pack whose verdicts these are.
    pub pack_id: String,
    pub simulated: bool,
    /// Confirmed verdicts observed in the window (retracted and reclassified ones left out).
    pub verdicts: usize,
    /// (status, share of `verdicts`), largest share first, then ladder order by name.
    pub shares: Vec<(String, f64)>,
    /// The latest confirmed verdict in the window, if any.
    pub latest_at: Option<DateTime<Utc>>,
}

impl WindowedVerdict {
    /// A source's window from its verdicts' count per status (statuses counted 0 left out).
    pub fn from_counts<'a>(
        source_key: &str,
        vantage: &str,
        pack_id: &str,
        simulated: bool,
        counts: impl IntoIterator<Item = (&'a str, usize)>,
        latest_at: Option<DateTime<Utc>>,
    ) -> WindowedVerdict {
        let counts: Vec<(&str, usize)> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
        let total: usize = counts.iter().map(|(_, n)| n).sum();
        let mut shares: Vec<(String, f64)> = counts
            .into_iter()
            .map(|(status, n)| (status.to_string(), n as f64 / total as f64))
            .collect();
        shares.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        WindowedVerdict {
            source_key: source_key.to_string(),
            vantage: vantage.to_string(),
            pack_id: pack_id.to_string(),
            simulated,
            verdicts: total,
            shares,
            latest_at,
        }
    }
}

/// Whether a probe verdict counts in its source's windowed verdicts: confirmed, neither
/// retracted nor superseded (`probe_days`, migration 0038, counts the same).
pub fn counts_in_window(o: &ObservationRecord) -> bool {
    o.pack_id.is_some()
        && o.confirmed == Some(true)
        && o.retracted_at.is_none()
        && o.superseded_by.is_none()
}

/// The windowed verdicts of every probe source among `observations` (one check's), over
/// `(from, to]`: one per source that has ever spoken, empty windows included.
pub fn windowed(
    observations: &[ObservationRecord],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<WindowedVerdict> {
    let mut by_source: std::collections::BTreeMap<
        &str,
        (&ObservationRecord, Vec<&ObservationRecord>),
    > = Default::default();
    for o in observations
        .iter()
        .filter(|o| o.pack_id.is_some() && o.observed_at <= to)
    {
        let entry = by_source.entry(&o.source_key).or_insert((o, Vec::new()));
        if counts_in_window(o) && o.observed_at > from {
            entry.1.push(o);
        }
    }
    by_source
        .into_iter()
        .map(|(key, (first, inside))| {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for o in &inside {
                *counts.entry(o.status.as_str()).or_default() += 1;
            }
            WindowedVerdict::from_counts(
                key,
                &first.vantage,
                first.pack_id.as_deref().unwrap_or_default(),
                first.source_kind == crate::domain::SourceKind::Simulated.as_str(),
                counts,
                inside.iter().map(|o| o.observed_at).max(),
            )
        })
        .collect()
}

/// How the vantage points that have a current word on a check (see [`opinions`]) agree:
/// `agreeing` of `points` say `status`, the newest known probe verdict among them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VantageAgreement {
    pub status: String,
    pub agreeing: usize,
    pub points: usize,
}

/// The agreement between vantage points on a check; `None` unless at least two vantage
/// points' probes have a current word and one of them knows a status. Each point counts
/// once, by its newest word; a failed probe (unknown) counts as a point that does not agree.
pub fn vantage_agreement(state: &CheckState, stale_after_days: u32) -> Option<VantageAgreement> {
    let o = opinions(state, stale_after_days);
    let mut points: Vec<(&str, &str)> = Vec::new();
    for word in o.current.iter().filter(|w| w.pack_id.is_some()) {
        if !points.iter().any(|(v, _)| *v == word.vantage) {
            points.push((&word.vantage, &word.status));
        }
    }
    let status = points.iter().map(|(_, s)| *s).find(|s| *s != UNKNOWN)?;
    (points.len() > 1).then(|| VantageAgreement {
        status: status.to_string(),
        agreeing: points.iter().filter(|(_, s)| *s == status).count(),
        points: points.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;
    use chrono::Utc;

    fn obs(id: i64, check: &str, day: u32, status: &str, source: &str) -> ObservationRecord {
        ObservationRecord {
            id,
            check_id: check.into(),
            observed_at: chrono::TimeZone::with_ymd_and_hms(&Utc, 2021, 10, day, 0, 0, 0).unwrap(),
            precision: "day".into(),
            status: status.into(),
            source_kind: "article".into(),
            source_key: format!("article:{source}"),
            source_id: Some(source.into()),
            vantage: "CN".into(),
            quote: None,
            note_en: None,
            note_zh: None,
            evidence: None,
            catalog_key: None,
            pack_id: None,
            rule_version: None,
            confirmed: None,
            failure: None,
            snapshot: None,
            superseded_by: None,
            reclassifies: None,
            retracted_at: None,
            retraction_reason: None,
            recorded_at: Utc::now(),
            source_publisher: None,
            source_title: None,
            source_url: None,
        }
    }

    fn kind() -> Kind {
        let status = |id: &str, score| Status {
            id: id.into(),
            label_zh: String::new(),
            label_en: id.into(),
            description_en: String::new(),
            score,
        };
        Kind {
            id: "payment".into(),
            name_zh: String::new(),
            name_en: "Payments".into(),
            subject: crate::domain::Side::Platform,
            object: crate::domain::Side::Method,
            subject_label_zh: String::new(),
            subject_label_en: String::new(),
            object_label_zh: String::new(),
            object_label_en: String::new(),
            statuses: vec![
                status("accepted", 1.0),
                status("pending", 0.25),
                status("not_accepted", 0.0),
            ],
        }
    }

    #[test]
    fn newest_source_leads_and_disagreement_is_kept() {
        let checks = [Check {
            id: "payment.meituan.alipay".into(),
            kind: "payment".into(),
            subject: "meituan".into(),
            object: "alipay".into(),
        }];
        let rows = vec![
            obs(1, "payment.meituan.alipay", 1, "accepted", "cls"),
            obs(2, "payment.meituan.alipay", 17, "not_accepted", "cnbeta"),
        ];
        let states = states(&checks, rows);
        let s = &states["payment.meituan.alipay"];
        assert_eq!(s.status(), "not_accepted");
        let o = opinions(s, 180);
        assert_eq!(o.disagreeing.len(), 1);
        assert_eq!(o.disagreeing[0].source_id.as_deref(), Some("cls"));
        assert_eq!(o.current.len(), 2, "both sources stand");
        assert!(o.superseded.is_empty());
    }

    fn on(id: i64, ymd: (i32, u32, u32), status: &str, source: &str) -> ObservationRecord {
        let mut o = obs(id, "payment.taobao.wechat_pay", 1, status, source);
        o.observed_at =
            chrono::TimeZone::with_ymd_and_hms(&Utc, ymd.0, ymd.1, ymd.2, 0, 0, 0).unwrap();
        o
    }

    fn taobao_wechat_pay(rows: Vec<ObservationRecord>) -> CheckState {
        let check = Check {
            id: "payment.taobao.wechat_pay".into(),
            kind: "payment".into(),
            subject: "taobao".into(),
            object: "wechat_pay".into(),
        };
        states([&check], rows).remove(&check.id).unwrap()
    }

    #[test]
    fn a_newer_source_supersedes_an_older_stale_one() {
        // cnBeta (2021) said not accepted; Global Times (2024) says accepted.
        let s = taobao_wechat_pay(vec![
            on(1, (2021, 10, 17), "not_accepted", "cnbeta"),
            on(2, (2024, 9, 5), "accepted", "globaltimes"),
        ]);
        assert_eq!(s.status(), "accepted");
        let o = opinions(&s, 180);
        assert!(o.disagreeing.is_empty(), "no disagreement: {o:?}");
        assert_eq!(o.current.iter().map(|w| w.id).collect::<Vec<_>>(), [2]);
        assert_eq!(o.superseded.iter().map(|w| w.id).collect::<Vec<_>>(), [1]);
        // Under a longer threshold the two are of comparable age, and disagree.
        let o = opinions(&s, 2000);
        assert_eq!(o.disagreeing.iter().map(|w| w.id).collect::<Vec<_>>(), [1]);
        assert!(o.superseded.is_empty());
    }

    #[test]
    fn sources_of_comparable_age_that_conflict_still_disagree() {
        // Both current: 179 days apart.
        let s = taobao_wechat_pay(vec![
            on(1, (2024, 3, 10), "not_accepted", "a"),
            on(2, (2024, 9, 5), "accepted", "b"),
        ]);
        let o = opinions(&s, 180);
        assert_eq!(o.disagreeing.iter().map(|w| w.id).collect::<Vec<_>>(), [1]);
        assert!(o.superseded.is_empty());
        // An old source that agrees is not superseded: it corroborates.
        let s = taobao_wechat_pay(vec![
            on(1, (2021, 10, 17), "accepted", "a"),
            on(2, (2024, 9, 5), "accepted", "b"),
        ]);
        let o = opinions(&s, 180);
        assert_eq!(o.current.len(), 2);
        assert!(o.disagreeing.is_empty() && o.superseded.is_empty());
        // A failed probe (unknown) supersedes nothing.
        let s = taobao_wechat_pay(vec![
            on(1, (2021, 10, 17), "accepted", "a"),
            on(2, (2024, 9, 5), "unknown", "probe"),
        ]);
        let o = opinions(&s, 180);
        assert_eq!(o.disagreeing.iter().map(|w| w.id).collect::<Vec<_>>(), [1]);
        assert!(o.superseded.is_empty());
    }

    #[test]
    fn evidence_is_stale_after_the_threshold_at_the_page_date() {
        let checks: Vec<Check> = ["a", "b", "c"]
            .iter()
            .map(|o| Check {
                id: format!("payment.x.{o}"),
                kind: "payment".into(),
                subject: "x".into(),
                object: (*o).into(),
            })
            .collect();
        // Observed 2021-10-01 and 2021-10-17 (Beijing days); c never.
        let rows = vec![
            obs(1, "payment.x.a", 1, "accepted", "s"),
            obs(2, "payment.x.b", 17, "not_accepted", "s"),
        ];
        let states = states(&checks, rows);
        let at = |y, m, d| chrono::TimeZone::with_ymd_and_hms(&Utc, y, m, d, 12, 0, 0).unwrap();
        let of = |id: &str| states.get(id);
        // At the article's date both are fresh.
        let f = freshness(checks.iter().map(|c| of(&c.id)), at(2021, 10, 17), 180);
        assert_eq!((f.total, f.fresh, f.stale, f.unknown), (3, 2, 0, 1));
        // 180 days later b is exactly at the threshold (fresh), a is past it (stale).
        let later = at(2021, 10, 17) + chrono::Duration::days(180);
        let f = freshness(checks.iter().map(|c| of(&c.id)), later, 180);
        assert_eq!((f.fresh, f.stale, f.unknown), (1, 1, 1));
        assert_eq!(
            f.last_evidence_at,
            Some(chrono::TimeZone::with_ymd_and_hms(&Utc, 2021, 10, 17, 0, 0, 0).unwrap())
        );
        let age = evidence_age(&states["payment.x.a"], later, 180).unwrap();
        assert_eq!((age.days, age.stale), (196, true));
        assert!(evidence_age(&states["payment.x.c"], later, 180).is_none());
    }

    #[test]
    fn distribution_counts_unknown_separately() {
        let checks: Vec<Check> = ["a", "b", "c"]
            .iter()
            .map(|o| Check {
                id: format!("payment.x.{o}"),
                kind: "payment".into(),
                subject: "x".into(),
                object: (*o).into(),
            })
            .collect();
        let rows = vec![
            obs(1, "payment.x.a", 1, "accepted", "s"),
            obs(2, "payment.x.b", 1, "pending", "s"),
        ];
        let states = states(&checks, rows);
        let d = distribution(&kind(), states.values());
        assert_eq!(d.total, 3);
        assert_eq!(d.known, 2);
        assert_eq!(d.open, 1);
        assert_eq!(d.counts.last(), Some(&("unknown".to_string(), 1)));
        assert_eq!(d.mean_score, Some(0.625));
    }

    fn probed(id: i64, day: u32, status: &str, vantage: &str) -> ObservationRecord {
        let mut o = obs(id, "link.wechat.taobao", day, status, "p");
        o.source_kind = "probe".into();
        o.source_key = format!("probe:wechat-links@{vantage}");
        o.pack_id = Some("wechat-links".into());
        o.vantage = vantage.into();
        o
    }

    #[test]
    fn vantage_points_agree_by_their_newest_word_each() {
        let check = Check {
            id: "link.wechat.taobao".into(),
            kind: "link".into(),
            subject: "wechat".into(),
            object: "taobao".into(),
        };
        let state = |rows| states([&check], rows).remove(&check.id).unwrap();
        let one = state(vec![probed(1, 3, "blocked", "bj")]);
        assert_eq!(
            vantage_agreement(&one, 180),
            None,
            "one point: nothing to agree"
        );
        let three = state(vec![
            probed(1, 3, "blocked", "bj"),
            probed(2, 4, "blocked", "sh"),
            probed(3, 5, "open", "hk"),
            obs(4, "link.wechat.taobao", 6, "warned", "article"),
        ]);
        assert_eq!(
            vantage_agreement(&three, 180),
            Some(VantageAgreement {
                status: "open".into(),
                agreeing: 1,
                points: 3
            })
        );
        let failed = state(vec![
            probed(1, 3, "blocked", "bj"),
            probed(2, 4, UNKNOWN, "hk"),
        ]);
        assert_eq!(
            vantage_agreement(&failed, 180),
            Some(VantageAgreement {
                status: "blocked".into(),
                agreeing: 1,
                points: 2
            })
        );
    }
}
