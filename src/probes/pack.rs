//! Probe packs: the TOML files under `catalog/probes/`, validated against the catalog and
//! compiled once (selectors, regexes, host patterns) into [`ProbePack`]s. The format is
//! documented in `catalog/probes/README.md`; every problem is reported as `file:line`.

mod selector;
mod validate;

pub use validate::{compile_condition, load_packs, validate_packs};

use super::select::{ElementTest, FastSelector};

use crate::domain::Method;
use regex::Regex;
use scraper::Selector;
use std::path::PathBuf;
use std::time::Duration;

/// A compiled, validated pack.
#[derive(Debug, Clone)]
pub struct ProbePack {
    pub id: String,
    pub name_en: String,
    pub name_zh: String,
    pub kind: String,
    pub subject: Option<String>,
    pub version: i64,
    pub verified: bool,
    pub simulated: bool,
    pub enabled: bool,
    pub schedule: String,
    pub confirmations: u32,
    pub timeout: Duration,
    pub max_body_bytes: usize,
    pub max_redirects: usize,
    pub per_host_concurrency: usize,
    pub min_host_spacing: Duration,
    pub request: RequestTemplate,
    pub control: Option<RequestTemplate>,
    /// A known-good link sent through the same request template as the targets (the
    /// host's own domain, a neutral site): when the bridge does not let it through, the
    /// run's verdicts are `unknown` / `bridge_failed`.
    pub in_app_control: Option<Target>,
    pub rules: Vec<Rule>,
    pub challenge: Vec<Condition>,
    pub extract: Option<Extract>,
    pub targets: Vec<Target>,
    /// The status at the top of the observed kind's ladder (the most open).
    pub top_status: String,
    /// The payment vocabulary (payment packs).
    pub vocabulary: Vec<MethodNames>,
    pub file: PathBuf,
}

/// One URL the pack asks about and the checks its answer decides.
#[derive(Debug, Clone)]
pub struct Target {
    /// The target platform (link packs) or the merchant app (payment packs).
    pub key: String,
    pub url: String,
    pub host: String,
    /// For link packs one check; for payment packs `(method, check)` pairs.
    pub checks: Vec<TargetCheck>,
    pub subject: String,
    pub object: String,
}

#[derive(Debug, Clone)]
pub struct TargetCheck {
    pub check_id: String,
    /// The payment method this check is about (payment packs).
    pub method: Option<String>,
}

#[derive(Debug, Clone)]
pub struct RequestTemplate {
    pub method: reqwest::Method,
    pub url: String,
    pub follow_redirects: bool,
    pub headers: Vec<(String, String)>,
}

impl RequestTemplate {
    /// The URL for one target, with its variables filled in.
    pub fn url_for(&self, target: &Target) -> String {
        fill(&self.url, target)
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub status: String,
    pub confirmed: bool,
    pub when: Condition,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Extract {
    pub page: Option<Condition>,
    pub option: Selector,
    pub option_source: String,
    pub selected: Option<Selector>,
    pub read: Vec<String>,
    /// `option` and `selected` in a form the page's tokens answer, when they are simple
    /// enough (`#pay-methods > li`, `[checked]`): the options are then read without
    /// building the tree where that is exact (`super::options`).
    pub fast: Option<super::options::FastOptions>,
}

/// A payment method's names on pages.
#[derive(Debug, Clone)]
pub struct MethodNames {
    pub slug: String,
    /// Lowercased aliases.
    pub aliases: Vec<String>,
    pub code_prefixes: Vec<String>,
}

impl MethodNames {
    pub fn from_methods(methods: &[Method]) -> Vec<MethodNames> {
        methods
            .iter()
            .map(|m| MethodNames {
                slug: m.slug.clone(),
                aliases: m
                    .aliases
                    .iter()
                    .chain([&m.name_zh, &m.name_en])
                    .map(|a| a.to_lowercase())
                    .collect(),
                code_prefixes: m.code_prefixes.clone(),
            })
            .collect()
    }
}

/// Where a host must be.
#[derive(Debug, Clone, PartialEq)]
pub enum HostPattern {
    Exact(String),
    /// `*.qq.com`: `qq.com` and its subdomains.
    Suffix(String),
    /// The target's own host.
    TargetHost,
}

impl HostPattern {
    fn parse(s: &str) -> Result<HostPattern, String> {
        if s == "{target_host}" {
            return Ok(HostPattern::TargetHost);
        }
        let (suffix, host) = match s.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let valid = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !valid {
            return Err(format!(
                "\"{s}\" is not a host pattern (a host, *.suffix, or {{target_host}})"
            ));
        }
        let host = host.to_ascii_lowercase();
        Ok(if suffix {
            HostPattern::Suffix(host)
        } else {
            HostPattern::Exact(host)
        })
    }

    pub fn matches(&self, host: &str, target_host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        match self {
            HostPattern::Exact(h) => host == *h,
            HostPattern::Suffix(s) => host == *s || host.ends_with(&format!(".{s}")),
            HostPattern::TargetHost => host == target_host.to_ascii_lowercase(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ValueTest {
    Exists,
    Equals(serde_json::Value),
    Contains(String),
}

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Condition {
    Status(Vec<u16>),
    LocationHost(HostPattern),
    LocationContains(String),
    HopHost(HostPattern),
    FinalHost(HostPattern),
    FinalUrlContains(String),
    Selector {
        selector: Selector,
        source: String,
        test: ElementTest,
        /// The selector's streaming form, when start tags alone can answer it.
        fast: Option<FastSelector>,
    },
    BodyContains(String),
    BodyRegex(Regex),
    ScriptVar {
        var: String,
        path: Vec<String>,
        test: ValueTest,
    },
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    /// A rule without `when`.
    Always,
}

impl Condition {
    /// A structural key: two conditions with equal keys match the same answers.
    fn key(&self) -> String {
        match self {
            Condition::Selector {
                source, test: t, ..
            } => format!("selector({source},{t:?})"),
            Condition::BodyRegex(r) => format!("regex({})", r.as_str()),
            Condition::All(cs) => format!(
                "all[{}]",
                cs.iter().map(Condition::key).collect::<Vec<_>>().join(";")
            ),
            Condition::Any(cs) => format!(
                "any[{}]",
                cs.iter().map(Condition::key).collect::<Vec<_>>().join(";")
            ),
            Condition::Not(c) => format!("not({})", c.key()),
            other => format!("{other:?}"),
        }
    }

    /// Whether the condition needs the parsed HTML document.
    pub fn needs_html(&self) -> bool {
        match self {
            Condition::Selector { .. } => true,
            Condition::All(cs) | Condition::Any(cs) => cs.iter().any(Condition::needs_html),
            Condition::Not(c) => c.needs_html(),
            _ => false,
        }
    }

    /// Why this condition can never hold, when that can be told without a page.
    fn never(&self, follows_redirects: bool) -> Option<String> {
        match self {
            Condition::Any(cs) if cs.is_empty() => Some("`any = []` never holds".into()),
            Condition::Any(cs) => {
                let reasons: Vec<String> = cs
                    .iter()
                    .filter_map(|c| c.never(follows_redirects))
                    .collect();
                (reasons.len() == cs.len()).then(|| reasons.join("; "))
            }
            Condition::All(cs) => {
                if let Some(r) = cs.iter().find_map(|c| c.never(follows_redirects)) {
                    return Some(r);
                }
                let sets: Vec<&Vec<u16>> = cs
                    .iter()
                    .filter_map(|c| match c {
                        Condition::Status(s) => Some(s),
                        _ => None,
                    })
                    .collect();
                if sets.len() > 1
                    && !sets[0]
                        .iter()
                        .any(|s| sets[1..].iter().all(|o| o.contains(s)))
                {
                    return Some("it requires HTTP statuses that exclude each other".into());
                }
                None
            }
            Condition::Not(c) if matches!(**c, Condition::Always) => {
                Some("`not` of a condition that always holds".into())
            }
            Condition::Status(codes)
                if follows_redirects && codes.iter().all(|c| (300..400).contains(c)) =>
            {
                Some(
                    "the request follows redirects, so the answer classified is never a redirect"
                        .into(),
                )
            }
            Condition::LocationHost(_) | Condition::LocationContains(_) if follows_redirects => {
                Some(
                    "the request follows redirects, so the answer classified has no Location"
                        .into(),
                )
            }
            _ => None,
        }
    }
}

fn fill(template: &str, t: &Target) -> String {
    let encoded: String =
        percent_encoding::utf8_percent_encode(&t.url, percent_encoding::NON_ALPHANUMERIC).collect();
    template
        .replace("{target_url}", &encoded)
        .replace("{target_raw}", &t.url)
        .replace("{target_host}", &t.host)
        .replace("{subject}", &t.subject)
        .replace("{object}", &t.object)
}
