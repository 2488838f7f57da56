//! The evidence a probe keeps with each observation: the request and its redirect chain,
//! the answer's identity (status, type, charset, size, hash), the rule that decided and
//! what it matched, the control request, the options read off a checkout, and how long it
//! took. The probe engine writes an [`Evidence`] (as JSON, in the `evidence` column); the
//! pages, the API and the reclassifier read the same type back.
//!
//! Stored rows are outside data (old layouts, rows edited by hand or written by a hostile
//! hand), so reading one never fails on its contents: fields this version does not know are
//! kept as they were ([`Evidence::other`]), a field of the wrong shape reads as missing, a
//! list keeps the items it can read, and a number stored as something else is kept as the
//! text it was ([`Figure::Text`]) to be shown, never computed with.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// The layout this code writes. Rows written before the field existed have the same
/// layout and read as version 1.
pub const EVIDENCE_VERSION: u32 = 1;

/// What a probe kept of one answer.
///
/// Fields are in alphabetical order: serialised, the JSON keeps the key order stored
/// evidence has always had.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Bytes of the body kept (after decompression, at most the pack's cap).
    #[serde(default, deserialize_with = "lenient::figure")]
    pub body_bytes: Option<Figure>,
    /// SHA-256 of the body: the snapshot it was judged on.
    #[serde(default, deserialize_with = "lenient::text")]
    pub body_sha256: Option<String>,
    /// The encoding the body was decoded with (`UTF-8`, `GBK` …).
    #[serde(default, deserialize_with = "lenient::text")]
    pub charset: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub content_type: Option<String>,
    /// The target fetched by itself, when the verdict was a restriction.
    #[serde(default, deserialize_with = "lenient::item")]
    pub control: Option<Control>,
    /// Why the verdict is what it is, in words (failures, downgrades).
    #[serde(default, deserialize_with = "lenient::text")]
    pub detail: Option<String>,
    /// What the deciding rule matched, capped.
    #[serde(default, deserialize_with = "lenient::text")]
    pub excerpt: Option<String>,
    /// The pack's known-good link sent through the same bridge, when it has one.
    #[serde(
        default,
        deserialize_with = "lenient::item",
        skip_serializing_if = "Option::is_none"
    )]
    pub in_app_control: Option<Control>,
    /// Payment options read off a checkout page (payment packs).
    #[serde(default, deserialize_with = "lenient::list")]
    pub extracted: Vec<ExtractedOption>,
    /// The failure class when the fetch failed (`dns`, `timeout` …).
    #[serde(default, deserialize_with = "lenient::text")]
    pub failure: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub final_url: Option<String>,
    /// Every exchange of the redirect chain, in order.
    #[serde(default, deserialize_with = "lenient::list")]
    pub hops: Vec<Hop>,
    /// The answer's `Location` header resolved against its URL, when it had one.
    #[serde(default, deserialize_with = "lenient::text")]
    pub location: Option<String>,
    /// Set when today's rules re-read a kept snapshot and decided otherwise.
    #[serde(
        default,
        deserialize_with = "lenient::item",
        skip_serializing_if = "Option::is_none"
    )]
    pub reclassified_from: Option<Reclassified>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub request_url: Option<String>,
    /// The id of the rule that decided.
    #[serde(default, deserialize_with = "lenient::text")]
    pub rule: Option<String>,
    #[serde(default, deserialize_with = "lenient::figure")]
    pub rule_version: Option<Figure>,
    /// The answer's HTTP status.
    #[serde(default, deserialize_with = "lenient::figure")]
    pub status: Option<Figure>,
    #[serde(default, deserialize_with = "lenient::item")]
    pub timings: Option<Timings>,
    /// The layout version ([`EVIDENCE_VERSION`] when written by this code).
    #[serde(default = "version_one", deserialize_with = "lenient::version")]
    pub v: u32,
    /// Fields this version does not know, kept as they were.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

fn version_one() -> u32 {
    1
}

impl Default for Evidence {
    fn default() -> Self {
        Evidence {
            body_bytes: None,
            body_sha256: None,
            charset: None,
            content_type: None,
            control: None,
            detail: None,
            excerpt: None,
            in_app_control: None,
            extracted: Vec::new(),
            failure: None,
            final_url: None,
            hops: Vec::new(),
            location: None,
            reclassified_from: None,
            request_url: None,
            rule: None,
            rule_version: None,
            status: None,
            timings: None,
            v: EVIDENCE_VERSION,
            other: BTreeMap::new(),
        }
    }
}

impl Evidence {
    /// Reads stored evidence; `None` when it is not even a JSON object.
    pub fn from_json(value: Value) -> Option<Evidence> {
        match value {
            Value::Object(_) => Evidence::deserialize(value).ok(),
            _ => None,
        }
    }

    /// The evidence as stored.
    pub fn to_json(&self) -> Value {
        // Plain data with string keys: serialising cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// One HTTP exchange of the redirect chain.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Hop {
    /// Milliseconds from the start of the request to this answer's headers.
    #[serde(default, deserialize_with = "lenient::figure")]
    pub elapsed_ms: Option<Figure>,
    /// Its `Location` header as sent (may be relative).
    #[serde(default, deserialize_with = "lenient::text")]
    pub location: Option<String>,
    #[serde(default, deserialize_with = "lenient::figure")]
    pub status: Option<Figure>,
    /// The URL requested.
    #[serde(default, deserialize_with = "lenient::text")]
    pub url: Option<String>,
}

/// The control request: the target fetched by itself, to tell a restriction apart from a
/// target that is down.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Control {
    #[serde(default, deserialize_with = "lenient::text")]
    pub detail: Option<String>,
    /// Why it failed (a failure class); `internal_address` when it was never sent.
    #[serde(default, deserialize_with = "lenient::text")]
    pub failure: Option<String>,
    /// Whether the target answered (below 400).
    #[serde(default, deserialize_with = "lenient::flag")]
    pub ok: Option<bool>,
    #[serde(default, deserialize_with = "lenient::figure")]
    pub status: Option<Figure>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub url: Option<String>,
}

/// A payment option read off a checkout page.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ExtractedOption {
    /// The payment methods its names map to.
    #[serde(default, deserialize_with = "lenient::texts")]
    pub methods: Vec<String>,
    /// What the page calls it (text, `alt`, ids, classes …).
    #[serde(default, deserialize_with = "lenient::texts")]
    pub names: Vec<String>,
    /// Whether it was pre-selected.
    #[serde(default, deserialize_with = "lenient::flag")]
    pub selected: Option<bool>,
}

/// How long the probe took.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Timings {
    /// The fetch alone (to the whole body, or to the failure).
    #[serde(default, deserialize_with = "lenient::figure")]
    pub fetch_ms: Option<Figure>,
    /// Fetch, control and classification.
    #[serde(default, deserialize_with = "lenient::figure")]
    pub total_ms: Option<Figure>,
}

/// The verdict a reclassification replaced.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Reclassified {
    #[serde(default, deserialize_with = "lenient::text")]
    pub failure: Option<String>,
    /// The observation replaced.
    #[serde(default, deserialize_with = "lenient::figure")]
    pub observation: Option<Figure>,
    #[serde(default, deserialize_with = "lenient::figure")]
    pub rule_version: Option<Figure>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub status: Option<String>,
}

/// A count, code or duration as evidence holds it: a whole number when Hutong wrote it;
/// from a row written otherwise, the scalar that stood there, kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Figure {
    Number(i64),
    Text(String),
}

impl Figure {
    /// The number, when it is one.
    pub fn number(&self) -> Option<i64> {
        match self {
            Figure::Number(n) => Some(*n),
            Figure::Text(_) => None,
        }
    }

    fn from_value(value: Value) -> Option<Figure> {
        match value {
            Value::Number(n) => Some(match n.as_i64() {
                Some(i) => Figure::Number(i),
                None => Figure::Text(n.to_string()),
            }),
            Value::String(s) => Some(Figure::Text(s)),
            Value::Bool(b) => Some(Figure::Text(b.to_string())),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        }
    }
}

impl From<i64> for Figure {
    fn from(n: i64) -> Self {
        Figure::Number(n)
    }
}

impl From<u64> for Figure {
    fn from(n: u64) -> Self {
        i64::try_from(n).map_or_else(|_| Figure::Text(n.to_string()), Figure::Number)
    }
}

impl From<u16> for Figure {
    fn from(n: u16) -> Self {
        Figure::Number(n.into())
    }
}

impl From<usize> for Figure {
    fn from(n: usize) -> Self {
        Figure::from(n as u64)
    }
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Figure::Number(n) => write!(f, "{n}"),
            Figure::Text(s) => f.write_str(s),
        }
    }
}

impl Serialize for Figure {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Figure::Number(n) => s.serialize_i64(*n),
            Figure::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Figure {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Figure::from_value(Value::deserialize(d)?)
            .ok_or_else(|| serde::de::Error::custom("not a number or text"))
    }
}

/// Field readers that never fail on a value of the wrong shape.
mod lenient {
    use super::*;

    /// Text; numbers and booleans as their text; anything else is missing.
    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(scalar_text(Value::deserialize(d)?))
    }

    pub fn figure<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Figure>, D::Error> {
        Ok(Figure::from_value(Value::deserialize(d)?))
    }

    pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Ok(Value::deserialize(d)?.as_bool())
    }

    pub fn version<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        Ok(Value::deserialize(d)?
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or(1))
    }

    /// A record, or missing when it cannot be read as one.
    pub fn item<'de, D: Deserializer<'de>, T: DeserializeOwned>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        Ok(match Value::deserialize(d)? {
            v @ Value::Object(_) => T::deserialize(v).ok(),
            _ => None,
        })
    }

    /// The records of a list that can be read as such; no list is an empty one.
    pub fn list<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Array(items) => items
                .into_iter()
                .filter(Value::is_object)
                .filter_map(|v| T::deserialize(v).ok())
                .collect(),
            _ => Vec::new(),
        })
    }

    /// The texts of a list (numbers and booleans as text); other items are left out.
    pub fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Array(items) => items.into_iter().filter_map(scalar_text).collect(),
            _ => Vec::new(),
        })
    }

    fn scalar_text(v: Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Evidence exactly as the engine wrote it before evidence was a type (taken from
    /// rows the demo packs stored against the simulator): a warned link with its control,
    /// a checkout with the options read off it, and a failed fetch.
    const LINK_ROW: &str = r#"{"body_bytes":1945,"body_sha256":"5f7d1509a86e74f1f6846a018ab782f7c42c28363c1c5047541f2109fd0bc6bc","charset":"UTF-8","content_type":"text/html; charset=utf-8","control":{"detail":"HTTP 200","failure":null,"ok":true,"status":200,"url":"http://shop.simshop.test/item/1"},"detail":null,"excerpt":"var cgiData = {\"type\":\"gray\",\"title\":\"将要访问\",\"desc\":\"非微信官方网页，请确认是否继续访问。该网页可能不是由微信提供，微信无法确保内容的安全性，如果要继续访问，请注意保护好个人信息。\",\"url\":\"http://shop.simshop.test/item/1\",\"appeal_url\":\"\",\"btns\":[{\"name\":\"继续访问\",\"url\":\"http://shop.simshop.test/item/1\"}],\"r…","extracted":[],"failure":null,"final_url":"http://safety.simchat.test/cgi-bin/newredirectconfirmcgi?main_type=2&target=t&url=http%3A%2F%2Fshop.simshop.test%2Fitem%2F1","hops":[{"elapsed_ms":6,"location":"http://safety.simchat.test/cgi-bin/newredirectconfirmcgi?main_type=2&target=t&url=http%3A%2F%2Fshop.simshop.test%2Fitem%2F1","status":302,"url":"http://bridge.simchat.test/wapredirect?url=http%3A%2F%2Fshop%2Esimshop%2Etest%2Fitem%2F1"},{"elapsed_ms":8,"location":null,"status":200,"url":"http://safety.simchat.test/cgi-bin/newredirectconfirmcgi?main_type=2&target=t&url=http%3A%2F%2Fshop.simshop.test%2Fitem%2F1"}],"location":null,"request_url":"http://bridge.simchat.test/wapredirect?url=http%3A%2F%2Fshop%2Esimshop%2Etest%2Fitem%2F1","rule":"interstitial-gray","rule_version":1,"status":200,"timings":{"fetch_ms":8,"total_ms":30}}"#;
    const PAYMENT_ROW: &str = r#"{"body_bytes":1278,"body_sha256":"db2a3fba9c35394c01faa13ab1c18dd18fd3d1142713a5dbead42132a53dd2db","charset":"UTF-8","content_type":"text/html; charset=utf-8","control":null,"detail":null,"excerpt":"支付宝花呗分期可用 (selected)","extracted":[{"methods":["alipay"],"names":["支付宝花呗分期可用","支付宝","ALI_PAY","paybox-alipay selected","tip","alipay"],"selected":true}],"failure":null,"final_url":"http://pay.simshop.test/cashier","hops":[{"elapsed_ms":1,"location":null,"status":200,"url":"http://pay.simshop.test/cashier"}],"location":null,"request_url":"http://pay.simshop.test/cashier","rule":"extract","rule_version":1,"status":200,"timings":{"fetch_ms":1,"total_ms":7}}"#;
    const FAILURE_ROW: &str = r#"{"body_bytes":null,"body_sha256":null,"charset":null,"content_type":null,"control":null,"detail":"the body could not be decoded of http://lab.sim.test/gzip-broken: deflate decompression error.","excerpt":null,"extracted":[],"failure":"decode","final_url":null,"hops":[{"elapsed_ms":9,"location":null,"status":200,"url":"http://lab.sim.test/gzip-broken"}],"location":null,"request_url":"http://lab.sim.test/gzip-broken","rule":null,"rule_version":1,"status":null,"timings":{"fetch_ms":9,"total_ms":19}}"#;

    fn read(row: &str) -> Evidence {
        Evidence::from_json(serde_json::from_str(row).expect("the row is JSON"))
            .expect("the row reads as evidence")
    }

    #[test]
    fn rows_written_before_evidence_was_a_type_still_read() {
        let link = read(LINK_ROW);
        assert_eq!(link.v, 1, "no version field: the first layout");
        assert_eq!(link.rule.as_deref(), Some("interstitial-gray"));
        assert_eq!(link.status, Some(Figure::Number(200)));
        assert_eq!(link.hops.len(), 2);
        assert_eq!(link.hops[0].status, Some(Figure::Number(302)));
        assert_eq!(
            link.hops[0].url.as_deref(),
            Some(
                "http://bridge.simchat.test/wapredirect?url=http%3A%2F%2Fshop%2Esimshop%2Etest%2Fitem%2F1"
            )
        );
        let control = link.control.as_ref().expect("a control request");
        assert_eq!(control.ok, Some(true));
        assert_eq!(control.status, Some(Figure::Number(200)));
        assert_eq!(control.failure, None);
        assert_eq!(
            link.timings.as_ref().and_then(|t| t.total_ms.clone()),
            Some(Figure::Number(30))
        );
        assert!(
            link.excerpt
                .as_deref()
                .is_some_and(|e| e.contains("将要访问"))
        );
        assert!(link.other.is_empty(), "every field is known");

        let payment = read(PAYMENT_ROW);
        assert_eq!(payment.extracted.len(), 1);
        assert_eq!(payment.extracted[0].methods, ["alipay"]);
        assert_eq!(payment.extracted[0].names[1], "支付宝");
        assert_eq!(payment.extracted[0].selected, Some(true));
        assert_eq!(payment.body_bytes, Some(Figure::Number(1278)));

        let failure = read(FAILURE_ROW);
        assert_eq!(failure.failure.as_deref(), Some("decode"));
        assert_eq!(failure.status, None);
        assert_eq!(failure.final_url, None);
        assert_eq!(failure.hops.len(), 1);
    }

    #[test]
    fn written_again_a_row_keeps_its_keys_and_values_and_gains_its_version() {
        for row in [LINK_ROW, PAYMENT_ROW, FAILURE_ROW] {
            let mut expected: Value = serde_json::from_str(row).unwrap();
            expected["v"] = json!(1);
            assert_eq!(read(row).to_json(), expected);
        }
    }

    #[test]
    fn unknown_fields_are_kept_and_odd_ones_do_not_lose_the_row() {
        let odd = json!({
            "v": 7,
            "screenshot": {"sha256": "ab"},
            "hops": [
                {"url": "https://a.example/", "status": 302, "elapsed_ms": 12},
                {"url": "https://b.example/", "status": "two hundred", "elapsed_ms": "n/a"},
                "not a hop",
            ],
            "status": true,
            "rule": 5,
            "control": ["not", "a", "control"],
            "extracted": [{"names": ["支付宝", {"odd": true}], "selected": "yes"}],
            "timings": {"total_ms": 40.5},
        });
        let e = Evidence::from_json(odd).expect("an object always reads");
        assert_eq!(e.v, 7);
        assert_eq!(e.other["screenshot"], json!({"sha256": "ab"}));
        assert_eq!(e.hops.len(), 2, "the item that is not a hop is left out");
        assert_eq!(e.hops[1].status, Some(Figure::Text("two hundred".into())));
        assert_eq!(
            e.hops[1].status.as_ref().unwrap().to_string(),
            "two hundred"
        );
        assert_eq!(e.hops[1].status.as_ref().unwrap().number(), None);
        assert_eq!(e.status, Some(Figure::Text("true".into())));
        assert_eq!(e.rule.as_deref(), Some("5"));
        assert_eq!(e.control, None);
        assert_eq!(e.extracted[0].names, ["支付宝"]);
        assert_eq!(e.extracted[0].selected, None);
        assert_eq!(
            e.timings.unwrap().total_ms,
            Some(Figure::Text("40.5".into()))
        );
        // Written again, the unknown field is still there.
        assert_eq!(
            Evidence::from_json(json!({"screenshot": 1}))
                .unwrap()
                .to_json()["screenshot"],
            1
        );
        // Not an object: no evidence at all.
        assert_eq!(Evidence::from_json(json!(["odd", 1])), None);
        assert_eq!(Evidence::from_json(json!("text")), None);
    }
}
