//! Reading stored observations as answers: the state of each check at a date (with any
//! disagreement between sources) and openness shares. Pure functions over the domain's
//! records, shared by the pages and the JSON API (compliance with requirements is
//! [`crate::compliance`]'s).

use crate::domain::{Check, Kind, ObservationRecord, Reference, UNKNOWN};
use crate::domain::{CheckState, OPEN_SCORE};
use serde::Serialize;
use std::collections::HashMap;

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
        let others = s.disagreeing();
        assert_eq!(others.len(), 1);
        assert_eq!(others[0].source_id.as_deref(), Some("cls"));
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
}
