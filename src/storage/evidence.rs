//! Evidence stored once (migration 0015): a probe's evidence is split into what repeats from
//! one fetch to the next (kept once in `evidence_bodies`, named by the SHA-256 of its JSON)
//! and what each fetch has of its own (the body's size and hash, the timings, each hop's
//! elapsed time: kept with the observation in `evidence_fetch`). Reading joins them back
//! into exactly the JSON that was given.
//!
//! The split works on the JSON value, whatever its shape: it moves out only keys that are
//! there, so evidence of an old layout, or not an object at all, comes back as it was.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The keys of an evidence object that change with every fetch.
const PER_FETCH: [&str; 3] = ["body_bytes", "body_sha256", "timings"];
/// Each hop's key that changes with every fetch.
const HOP_PER_FETCH: &str = "elapsed_ms";
/// In `evidence_fetch`: the hops' elapsed times, in order, each as `[value]` (`[]` for a
/// hop without one).
const HOPS_KEY: &str = "hops_elapsed_ms";
/// In `evidence_fetch`: set when `body_sha256` was the observation's snapshot hash, which
/// the observation keeps anyway.
const SHA_IS_SNAPSHOT: &str = "body_sha256_is_snapshot";

/// Evidence split for storing: the part kept once, its hash, and the fetch's own part.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitEvidence {
    /// The JSON kept once.
    pub body: String,
    /// SHA-256 of `body`, in hex.
    pub sha256: String,
    /// The fetch's own figures as JSON, or `None` when the evidence had none.
    pub fetch: Option<String>,
}

/// Splits `evidence` of an observation whose snapshot hash is `snapshot`.
pub fn split(evidence: &Value, snapshot: Option<&str>) -> SplitEvidence {
    let mut body = evidence.clone();
    let mut fetch = Map::new();
    if let Value::Object(map) = &mut body {
        for key in PER_FETCH {
            if let Some(v) = map.remove(key) {
                if key == "body_sha256" && snapshot.is_some() && v.as_str() == snapshot {
                    fetch.insert(SHA_IS_SNAPSHOT.into(), Value::Bool(true));
                } else {
                    fetch.insert(key.into(), v);
                }
            }
        }
        if let Some(Value::Array(hops)) = map.get_mut("hops") {
            let elapsed: Vec<Value> = hops
                .iter_mut()
                .map(|hop| match hop {
                    // `[value]` for a hop with the key, `[]` for one without (or not an
                    // object), whatever the value is.
                    Value::Object(h) => Value::Array(h.remove(HOP_PER_FETCH).into_iter().collect()),
                    _ => Value::Array(Vec::new()),
                })
                .collect();
            if elapsed
                .iter()
                .any(|v| v.as_array().is_some_and(|a| !a.is_empty()))
            {
                fetch.insert(HOPS_KEY.into(), Value::Array(elapsed));
            }
        }
    }
    let body = body.to_string();
    let sha256 = hex::encode(Sha256::digest(body.as_bytes()));
    let fetch = (!fetch.is_empty()).then(|| Value::Object(fetch).to_string());
    SplitEvidence {
        body,
        sha256,
        fetch,
    }
}

/// The split evidence of an observation about to be stored, if it has evidence.
pub fn split_of(new: &crate::domain::NewObservation) -> Option<SplitEvidence> {
    let snapshot = new.probe.as_ref().and_then(|p| p.snapshot.as_deref());
    new.evidence.as_ref().map(|e| split(e, snapshot))
}

/// The distinct bodies among `splits`, in the order of their hashes: the order every writer
/// stores new bodies in, so two writers storing the same new bodies side by side wait for
/// each other, never each for the other (a deadlock on PostgreSQL).
pub fn distinct_bodies(splits: &[Option<SplitEvidence>]) -> Vec<&SplitEvidence> {
    distinct_bodies_of(splits.iter().flatten())
}

/// [`distinct_bodies`] of the splits given.
pub fn distinct_bodies_of<'a>(
    splits: impl Iterator<Item = &'a SplitEvidence>,
) -> Vec<&'a SplitEvidence> {
    let mut bodies: Vec<&SplitEvidence> = splits.collect();
    bodies.sort_by(|a, b| a.sha256.cmp(&b.sha256));
    bodies.dedup_by(|a, b| a.sha256 == b.sha256);
    bodies
}

/// The split evidence of each observation about to be stored, in order. The observations
/// of one fetch share one evidence (one per check the target decides): one whose evidence
/// (the same, or equal) and snapshot hash equal the observation's just before it takes a
/// copy of that split instead of cloning, serialising and hashing the evidence again.
pub fn split_all<'a>(
    observations: impl IntoIterator<Item = &'a crate::domain::NewObservation>,
) -> Vec<Option<SplitEvidence>> {
    let snapshot =
        |o: &'a crate::domain::NewObservation| o.probe.as_ref().and_then(|p| p.snapshot.as_deref());
    let mut out: Vec<Option<SplitEvidence>> = Vec::new();
    let mut before: Option<&crate::domain::NewObservation> = None;
    for o in observations {
        let split = match (before, out.last()) {
            (Some(b), Some(Some(split)))
                if same_evidence(&b.evidence, &o.evidence) && snapshot(b) == snapshot(o) =>
            {
                Some(split.clone())
            }
            _ => split_of(o),
        };
        out.push(split);
        before = Some(o);
    }
    out
}

/// Whether two observations' evidence is the same: shared, or equal.
fn same_evidence(a: &Option<std::sync::Arc<Value>>, b: &Option<std::sync::Arc<Value>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => std::sync::Arc::ptr_eq(a, b) || a == b,
        (a, b) => a.is_none() && b.is_none(),
    }
}

/// Joins a kept body, the fetch's own part and the observation's snapshot hash back into
/// the evidence as it was given. `None` when the body is not JSON (a row edited by hand);
/// a fetch part that is not JSON is left out.
pub fn join(body: &str, fetch: Option<&str>, snapshot: Option<&str>) -> Option<Value> {
    let mut evidence: Value = serde_json::from_str(body).ok()?;
    let fetch: Option<Map<String, Value>> = fetch
        .and_then(|f| serde_json::from_str::<Value>(f).ok())
        .and_then(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        });
    let (Value::Object(map), Some(mut fetch)) = (&mut evidence, fetch) else {
        return Some(evidence);
    };
    if let Some(Value::Array(elapsed)) = fetch.remove(HOPS_KEY)
        && let Some(Value::Array(hops)) = map.get_mut("hops")
    {
        for (hop, e) in hops.iter_mut().zip(elapsed) {
            if let (Value::Object(h), Value::Array(mut kept)) = (hop, e)
                && let Some(v) = kept.pop()
            {
                h.insert(HOP_PER_FETCH.into(), v);
            }
        }
    }
    if fetch.remove(SHA_IS_SNAPSHOT) == Some(Value::Bool(true))
        && let Some(sha) = snapshot
    {
        map.insert("body_sha256".into(), Value::String(sha.into()));
    }
    for key in PER_FETCH {
        if let Some(v) = fetch.remove(key) {
            map.insert(key.into(), v);
        }
    }
    Some(evidence)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::domain::NewObservation;
    use serde_json::json;

    fn payment(total_ms: u64, sha: &str) -> Value {
        json!({"body_bytes":1278,"body_sha256":sha,"charset":"UTF-8",
            "content_type":"text/html; charset=utf-8","control":null,"detail":null,
            "excerpt":"支付宝 (selected)","extracted":[{"methods":["alipay"],"selected":true}],
            "failure":null,"final_url":"http://pay.simshop.test/cashier",
            "hops":[{"elapsed_ms":3,"location":"http://x/","status":302,"url":"http://a/"},
                    {"elapsed_ms":total_ms,"location":null,"status":200,"url":"http://x/"}],
            "location":null,"request_url":"http://a/","rule":"extract","rule_version":1,
            "status":200,"timings":{"fetch_ms":1,"total_ms":total_ms},"v":1})
    }

    #[test]
    fn two_fetches_of_the_same_page_share_one_body_and_join_back_exactly() {
        let a = payment(7, "aa");
        let b = payment(9, "bb");
        let (sa, sb) = (split(&a, Some("aa")), split(&b, Some("bb")));
        assert_eq!(sa.sha256, sb.sha256, "the repeating part is the same");
        assert_eq!(sa.body, sb.body);
        assert!(!sa.body.contains("timings") && !sa.body.contains("elapsed_ms"));
        assert_eq!(join(&sa.body, sa.fetch.as_deref(), Some("aa")), Some(a));
        assert_eq!(join(&sb.body, sb.fetch.as_deref(), Some("bb")), Some(b));
    }

    #[test]
    fn a_body_hash_other_than_the_snapshot_is_kept_with_the_fetch() {
        let a = payment(7, "aa");
        let s = split(&a, Some("zz"));
        assert!(s.fetch.as_deref().unwrap().contains("\"aa\""));
        assert_eq!(
            join(&s.body, s.fetch.as_deref(), Some("zz")),
            Some(a.clone())
        );
        let s = split(&a, None);
        assert_eq!(join(&s.body, s.fetch.as_deref(), None), Some(a));
    }

    #[test]
    fn odd_shapes_come_back_as_they_were() {
        for odd in [
            json!("a string"),
            json!(null),
            json!([1, 2]),
            json!({"hops": "not a list", "timings": 5}),
            json!({"hops": [1, {"elapsed_ms": null}, {"url": "u"}], "body_sha256": null}),
            json!({"hops": [{"url": "u"}], "extra": {"nested": true}}),
            json!({"hops": [{"elapsed_ms": {}}, {"elapsed_ms": []}, "x"]}),
            json!({}),
        ] {
            let s = split(&odd, Some("aa"));
            assert_eq!(
                join(&s.body, s.fetch.as_deref(), Some("aa")),
                Some(odd.clone()),
                "{odd}"
            );
        }
    }

    /// A probe's observation with `evidence` and snapshot hash `snapshot` (tests of the
    /// storage layer).
    pub(in crate::storage) fn observation(
        evidence: Option<Value>,
        snapshot: Option<&str>,
    ) -> NewObservation {
        NewObservation {
            check_id: "payment:a:alipay".into(),
            observed_at: chrono::Utc::now(),
            precision: crate::domain::Precision::Instant,
            status: "accepted".into(),
            source_kind: crate::domain::SourceKind::Probe,
            source_id: None,
            vantage: "here".into(),
            quote: None,
            note_en: None,
            note_zh: None,
            evidence: evidence.map(std::sync::Arc::new),
            catalog_key: None,
            probe: Some(crate::domain::ProbeFacts {
                pack_id: "p".into(),
                snapshot: snapshot.map(str::to_string),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn a_batch_split_at_once_is_each_observation_split_alone() {
        // The observations of one fetch share their evidence; a copy is taken only where
        // both the evidence and the snapshot hash are the ones just before.
        let batch = vec![
            observation(Some(payment(7, "aa")), Some("aa")),
            observation(Some(payment(7, "aa")), Some("aa")),
            observation(Some(payment(7, "aa")), Some("aa")),
            // The same evidence with another snapshot: the body hash moves to the fetch part.
            observation(Some(payment(7, "aa")), Some("zz")),
            observation(Some(payment(7, "aa")), None),
            // Another fetch: other timings, another body.
            observation(Some(payment(9, "bb")), Some("bb")),
            observation(None, Some("bb")),
            observation(None, Some("bb")),
            observation(Some(payment(9, "bb")), Some("bb")),
            observation(Some(json!({"rule": "r"})), Some("bb")),
            observation(Some(json!({"rule": "s"})), Some("bb")),
        ];
        let alone: Vec<Option<SplitEvidence>> = batch.iter().map(split_of).collect();
        assert_eq!(split_all(&batch), alone);
        assert_ne!(
            alone[2], alone[3],
            "the batch has splits that differ next to each other"
        );
    }

    #[test]
    fn a_broken_row_reads_as_missing_or_without_its_fetch_part() {
        assert_eq!(join("{not json", None, None), None);
        assert_eq!(
            join("{\"rule\":\"r\"}", Some("[broken"), None),
            Some(json!({"rule":"r"}))
        );
    }
}
