//! Text as both databases can keep it. PostgreSQL refuses U+0000 in `text` ("invalid byte
//! sequence for encoding UTF8: 0x00") and in `jsonb` ("unsupported Unicode escape
//! sequence"), and scraped pages carry it into excerpts, notes and evidence. Everything
//! an observation or a run record writes goes through here, on both backends, so SQLite
//! and PostgreSQL keep the same characters; a page's raw bytes stay exact in its snapshot.

use crate::domain::NewObservation;
use serde_json::Value;
use std::borrow::Cow;

/// What U+0000 becomes: the replacement character, as HTML parsers and browsers show it.
pub const NUL_REPLACEMENT: char = '\u{FFFD}';

/// `s` with every U+0000 replaced (borrowed when there is none, the usual case).
pub fn storable_text(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', &NUL_REPLACEMENT.to_string()))
    } else {
        Cow::Borrowed(s)
    }
}

/// Replaces U+0000 in every string and key of `value`; whether anything changed.
pub fn storable_json(value: &mut Value) -> bool {
    match value {
        Value::String(s) => replace_in(s),
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| storable_json(v) | changed),
        Value::Object(map) => {
            let mut changed = false;
            if map.keys().any(|k| k.contains('\0')) {
                let entries = std::mem::take(map);
                for (k, v) in entries {
                    map.insert(storable_text(&k).into_owned(), v);
                }
                changed = true;
            }
            map.values_mut()
                .fold(changed, |changed, v| storable_json(v) | changed)
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn replace_in(s: &mut String) -> bool {
    match storable_text(s) {
        Cow::Borrowed(_) => false,
        Cow::Owned(clean) => {
            *s = clean;
            true
        }
    }
}

fn json_has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(json_has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Each of `batch` as both databases can keep it ([`NewObservation::storable`]). The
/// observations of one fetch share one evidence: it is looked through once, not once for
/// each of them.
pub fn storable_all(batch: &[NewObservation]) -> Vec<Cow<'_, NewObservation>> {
    let mut clean: Option<&std::sync::Arc<Value>> = None;
    batch
        .iter()
        .map(|o| {
            let known =
                matches!((clean, &o.evidence), (Some(c), Some(e)) if std::sync::Arc::ptr_eq(c, e));
            let storable = o.storable_unless_known(known);
            if let (Cow::Borrowed(_), Some(e)) = (&storable, &o.evidence) {
                clean = Some(e);
            }
            storable
        })
        .collect()
}

/// [`storable_all`], taking the observations: each kept as it is unless it had to change.
pub fn into_storable_all(batch: Vec<NewObservation>) -> Vec<NewObservation> {
    let changed: Vec<Option<NewObservation>> = storable_all(&batch)
        .into_iter()
        .map(|o| match o {
            Cow::Owned(changed) => Some(changed),
            Cow::Borrowed(_) => None,
        })
        .collect();
    batch
        .into_iter()
        .zip(changed)
        .map(|(o, changed)| changed.unwrap_or(o))
        .collect()
}

impl NewObservation {
    /// This observation as both databases can keep it (borrowed when already so).
    pub fn storable(&self) -> Cow<'_, NewObservation> {
        self.storable_unless_known(false)
    }

    /// [`NewObservation::storable`], its evidence not looked through when `evidence_clean`
    /// (it is known to hold no U+0000).
    fn storable_unless_known(&self, evidence_clean: bool) -> Cow<'_, NewObservation> {
        let text = |s: &String| s.contains('\0');
        let opt = |s: &Option<String>| s.as_ref().is_some_and(text);
        let dirty = text(&self.check_id)
            || text(&self.status)
            || text(&self.vantage)
            || opt(&self.source_id)
            || opt(&self.quote)
            || opt(&self.note_en)
            || opt(&self.note_zh)
            || opt(&self.catalog_key)
            || (!evidence_clean && self.evidence.as_deref().is_some_and(json_has_nul))
            || self.probe.as_ref().is_some_and(|p| {
                text(&p.pack_id) || opt(&p.failure) || opt(&p.snapshot) || opt(&p.run_key)
            });
        if dirty {
            Cow::Owned(self.clone().into_storable())
        } else {
            Cow::Borrowed(self)
        }
    }

    /// [`NewObservation::storable`], taking the observation.
    pub fn into_storable(mut self) -> NewObservation {
        let text = |s: &mut String| {
            replace_in(s);
        };
        let opt = |s: &mut Option<String>| {
            if let Some(s) = s {
                replace_in(s);
            }
        };
        text(&mut self.check_id);
        text(&mut self.status);
        text(&mut self.vantage);
        opt(&mut self.source_id);
        opt(&mut self.quote);
        opt(&mut self.note_en);
        opt(&mut self.note_zh);
        opt(&mut self.catalog_key);
        if let Some(e) = &mut self.evidence {
            storable_json(std::sync::Arc::make_mut(e));
        }
        if let Some(p) = &mut self.probe {
            text(&mut p.pack_id);
            opt(&mut p.failure);
            opt(&mut p.snapshot);
            opt(&mut p.run_key);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_is_replaced_everywhere_and_nothing_else_changes() {
        assert!(matches!(storable_text("互通 ok"), Cow::Borrowed(_)));
        assert_eq!(storable_text("a\0b\0"), "a\u{FFFD}b\u{FFFD}");
        let mut v = json!({
            "excerpt": "已停止\0访问",
            "hops": [{"url": "http://x/\0", "status": 302}],
            "k\0ey": {"nested": ["\0", 1, null, true]},
            "clean": "<script>alert(1)</script>",
        });
        assert!(storable_json(&mut v));
        assert_eq!(
            v,
            json!({
                "excerpt": "已停止\u{FFFD}访问",
                "hops": [{"url": "http://x/\u{FFFD}", "status": 302}],
                "k\u{FFFD}ey": {"nested": ["\u{FFFD}", 1, null, true]},
                "clean": "<script>alert(1)</script>",
            })
        );
        assert!(!storable_json(&mut v), "a second pass changes nothing");
        assert!(!v.to_string().contains("\\u0000"));
    }

    fn observation(check: &str, evidence: &std::sync::Arc<Value>) -> NewObservation {
        let mut o = crate::storage::evidence::tests::observation(None, None);
        o.check_id = check.into();
        o.evidence = Some(evidence.clone());
        o
    }

    #[test]
    fn a_batch_sharing_evidence_is_made_storable_like_each_alone() {
        // One fetch's clean evidence shared by two checks, the second check's id holding
        // U+0000; then another fetch's evidence holding it, shared by two.
        let clean = std::sync::Arc::new(json!({"final_url": "https://a.example/"}));
        let dirty = std::sync::Arc::new(json!({"excerpt": "已停止\0访问"}));
        let batch = vec![
            observation("payment:a:alipay", &clean),
            observation("payment:a:\0wechat", &clean),
            observation("payment:b:alipay", &dirty),
            observation("payment:b:wechat", &dirty),
        ];
        let all = storable_all(&batch);
        for (o, s) in batch.iter().zip(&all) {
            let alone = o.storable();
            assert_eq!(s.check_id, alone.check_id);
            assert_eq!(s.evidence, alone.evidence, "{}", o.check_id);
            assert!(
                !s.check_id.contains('\0')
                    && !s.evidence.as_ref().unwrap().to_string().contains("\\u0000")
            );
        }
        assert!(matches!(all[0], Cow::Borrowed(_)));
        assert!(
            matches!(all[3], Cow::Owned(_)),
            "the shared evidence is looked through again when it was not clean"
        );
        assert_eq!(
            all[3].evidence.as_deref(),
            Some(&json!({"excerpt": "已停止\u{FFFD}访问"}))
        );
    }
}
