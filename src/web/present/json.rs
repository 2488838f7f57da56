//! Records as the JSON API writes them, where several endpoints show the same thing.

use crate::domain::CheckState;
use crate::domain::ObservationRecord;
use crate::web::request::AsOf;
use serde_json::{Value, json};

/// A check: its id, kind and sides.
pub fn check_json(c: &crate::domain::Check) -> Value {
    json!({ "id": c.id, "kind": c.kind, "subject": c.subject, "object": c.object })
}

/// A check's state at the page's date as JSON: the leading status, every source's latest
/// word, disagreement, and the age of the evidence (`stale` when older than the
/// threshold at that date; `null` ages when the status is unknown).
pub fn state_json(s: Option<&CheckState>, as_of: &AsOf) -> Value {
    let age = s.and_then(|s| crate::state::evidence_age(s, as_of.instant, as_of.stale_after_days));
    let mut v = match s {
        None => {
            json!({ "status": "unknown", "latest": null, "sources": [], "disagreement": false, "superseded": [] })
        }
        Some(s) => json!({
            "status": s.status(),
            "latest": s.latest.as_ref().map(observation_json),
            "sources": s.per_source.iter().map(observation_json).collect::<Vec<_>>(),
            "disagreement": !crate::state::opinions(s, as_of.stale_after_days).disagreeing.is_empty(),
            "superseded": crate::state::opinions(s, as_of.stale_after_days)
                .superseded
                .iter()
                .map(|o| o.id)
                .collect::<Vec<_>>(),
        }),
    };
    v["stale"] = json!(age.is_some_and(|a| a.stale));
    v["evidence_age_days"] = json!(age.map(|a| a.days));
    v["last_evidence_at"] = json!(age.map(|a| a.last_evidence_at));
    v["stale_after_days"] = json!(as_of.stale_after_days);
    // Where two or more vantage points have spoken: how many say the newest known verdict.
    v["vantage_agreement"] =
        json!(s.and_then(|s| crate::state::vantage_agreement(s, as_of.stale_after_days)));
    v
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
        "retracted": o.retracted_at.is_some(),
        "retracted_at": o.retracted_at,
        "retraction_reason": o.retraction_reason,
    })
}
