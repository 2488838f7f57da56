//! Records as the JSON API writes them, where several endpoints show the same thing.

use crate::domain::CheckState;
use crate::domain::ObservationRecord;
use serde_json::{Value, json};

/// A check: its id, kind and sides.
pub fn check_json(c: &crate::domain::Check) -> Value {
    json!({ "id": c.id, "kind": c.kind, "subject": c.subject, "object": c.object })
}

/// A check's state as JSON: the leading status, every source's latest word, disagreement.
pub fn state_json(s: Option<&CheckState>) -> Value {
    match s {
        None => {
            json!({ "status": "unknown", "latest": null, "sources": [], "disagreement": false })
        }
        Some(s) => json!({
            "status": s.status(),
            "latest": s.latest.as_ref().map(observation_json),
            "sources": s.per_source.iter().map(observation_json).collect::<Vec<_>>(),
            "disagreement": !s.disagreeing().is_empty(),
        }),
    }
}

/// An observation with its citation and evidence.
pub fn observation_json(o: &ObservationRecord) -> Value {
    json!({
        "id": o.id,
        "check": o.check_id,
        "observed_at": o.observed_at,
        "precision": o.precision,
        "status": o.status,
        "source_kind": o.source_kind,
        "simulated": o.source_kind == "simulated",
        "source": o.source_id,
        "citation": o.source_publisher.as_ref().map(|p| json!({
            "publisher": p,
            "title": o.source_title,
            "url": o.source_url,
        })),
        "vantage": o.vantage,
        "quote": o.quote,
        "note_en": o.note_en,
        "note_zh": o.note_zh,
        "evidence": o.evidence,
    })
}
