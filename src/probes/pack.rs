//! Probe packs: the TOML files under `catalog/probes/`, validated against the catalog and
//! compiled once (selectors, regexes, host patterns) into [`ProbePack`]s. The format is
//! documented in `catalog/probes/README.md`; every problem is reported as `file:line`.

mod selector;

use crate::catalog::read::{self, is_placeholder};
use crate::catalog::text::control_characters;
use crate::catalog::{Catalog, Method, Problem, Problems, line_of};
use crate::domain;
use regex::Regex;
use scraper::Selector;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;
use toml::de::DeValue;

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

/// What a `selector` condition tests on the elements it selects.
#[derive(Debug, Clone, PartialEq)]
pub enum ElementTest {
    Present,
    Text(String),
    Alt(String),
    Attr {
        name: String,
        contains: Option<String>,
    },
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
        fast: Option<super::scan::FastSelector>,
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

// ---------------------------------------------------------------------------------------
// The file as written.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPackFile {
    pack: Spanned<RawPack>,
    #[serde(default)]
    targets: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
    request: Spanned<RawRequest>,
    control: Option<Spanned<RawRequest>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
    extract: Option<Spanned<RawExtract>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    id: Spanned<String>,
    name_en: String,
    name_zh: String,
    kind: Spanned<String>,
    subject: Option<Spanned<String>>,
    version: i64,
    #[serde(default)]
    verified: bool,
    #[serde(default)]
    simulated: bool,
    #[serde(default = "yes")]
    enabled: bool,
    schedule: Spanned<String>,
    #[serde(default = "two")]
    confirmations: Spanned<u32>,
    #[serde(default = "fifteen")]
    timeout_secs: Spanned<u64>,
    #[serde(default = "five_mib")]
    max_body_bytes: Spanned<usize>,
    #[serde(default = "ten")]
    max_redirects: usize,
    #[serde(default = "two_usize")]
    per_host_concurrency: Spanned<usize>,
    #[serde(default = "half_second")]
    min_host_spacing_ms: u64,
    #[serde(default)]
    challenge: Vec<toml::Value>,
    methods: Option<Vec<Spanned<String>>>,
}

fn yes() -> bool {
    true
}
fn two() -> Spanned<u32> {
    Spanned::new(0..0, 2)
}
fn fifteen() -> Spanned<u64> {
    Spanned::new(0..0, 15)
}
fn five_mib() -> Spanned<usize> {
    Spanned::new(0..0, 5 * 1024 * 1024)
}
fn ten() -> usize {
    10
}
fn two_usize() -> Spanned<usize> {
    Spanned::new(0..0, 2)
}
fn half_second() -> u64 {
    500
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequest {
    #[serde(default = "get")]
    method: Spanned<String>,
    url: Spanned<String>,
    #[serde(default)]
    follow_redirects: bool,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

fn get() -> Spanned<String> {
    Spanned::new(0..0, "GET".into())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    status: Spanned<String>,
    #[serde(default = "yes")]
    confirmed: bool,
    when: Option<Spanned<toml::Value>>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtract {
    page: Option<Spanned<toml::Value>>,
    option: Spanned<String>,
    selected: Option<Spanned<String>>,
    #[serde(default = "default_read")]
    read: Vec<Spanned<String>>,
}

fn default_read() -> Vec<Spanned<String>> {
    ["text", "alt", "id", "class", "value"]
        .into_iter()
        .map(|s| Spanned::new(0..0, s.to_string()))
        .collect()
}

const READABLE: [&str; 5] = ["text", "alt", "id", "class", "value"];

/// Pack fields that may hold tabs and line breaks: the rule's note and patterns matched
/// against page text; every other text is one line.
const MULTILINE_FIELDS: [&str; 4] = ["note", "body_contains", "body_regex", "text_contains"];

// ---------------------------------------------------------------------------------------
// Loading and validation.

/// Reads, validates and compiles every `*.toml` in `dir` (the packs folder). A missing
/// folder means no packs.
pub fn load_packs(dir: &Path, catalog: &Catalog) -> Result<Vec<ProbePack>, Problems> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => problems.push(Problem {
            file: dir.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read the probe packs folder: {e}"),
        }),
        Ok(entries) => {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "toml") {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    let texts = crate::catalog::read_texts(files, &mut problems);
    let refs: Vec<(PathBuf, &str)> = texts.iter().map(|(p, t)| (p.clone(), t.as_str())).collect();
    match validate_packs(&refs, catalog) {
        Ok(packs) if problems.is_empty() => Ok(packs),
        Ok(_) => Err(Problems::new(problems)),
        Err(Problems(more, _)) => {
            problems.extend(more);
            problems.sort();
            Err(Problems::new(problems))
        }
    }
}

/// Validates packs given as `(path, text)`.
pub fn validate_packs(
    files: &[(PathBuf, &str)],
    catalog: &Catalog,
) -> Result<Vec<ProbePack>, Problems> {
    let mut problems = Vec::new();
    let mut packs: Vec<ProbePack> = Vec::new();
    let mut seen_ids: BTreeMap<String, (PathBuf, usize)> = BTreeMap::new();
    for (path, text) in files {
        let mut v = PackValidator {
            path,
            text,
            problems: Vec::new(),
            id_line: 0,
        };
        let doc = match read::parse(text) {
            Ok(doc) => doc,
            Err((offset, message)) => {
                problems.push(Problem {
                    file: path.clone(),
                    line: line_of(text, offset),
                    column: 0,
                    message: format!("not a valid probe pack: {message}"),
                });
                continue;
            }
        };
        v.problems
            .extend(control_characters(path, text, &doc, &MULTILINE_FIELDS));
        let doc = Spanned::new(doc.span(), DeValue::Table(doc.into_inner()));
        // Every mistake in the file's shape at once; placeholders stand in for the fields
        // at fault, so the rest of the pack is still checked.
        let (raw, mistakes) = read::entry::<RawPackFile>(&doc, "");
        for (span, message) in mistakes {
            v.report(span, message);
        }
        let Some(raw) = raw else {
            problems.extend(v.problems);
            continue;
        };
        if let Some(pack) = v.compile(raw, catalog) {
            if let Some((first, line)) = seen_ids.get(&pack.id) {
                v.problems.push(Problem {
                    file: path.clone(),
                    line: v.id_line,
                    column: 0,
                    message: format!(
                        "pack id \"{}\" is already used by {}:{line}",
                        pack.id,
                        first.display()
                    ),
                });
            } else {
                seen_ids.insert(pack.id.clone(), (path.clone(), v.id_line));
                if v.problems.is_empty() {
                    packs.push(pack);
                }
            }
        }
        problems.extend(v.problems);
    }
    if problems.is_empty() {
        Ok(packs)
    } else {
        problems.sort();
        Err(Problems::new(problems))
    }
}

struct PackValidator<'a> {
    path: &'a Path,
    text: &'a str,
    problems: Vec<Problem>,
    /// The line of `id = …` under `[pack]` (for duplicate pack ids).
    id_line: usize,
}

impl PackValidator<'_> {
    fn report(&mut self, span: std::ops::Range<usize>, message: impl Into<String>) {
        // A placeholder for a field whose mistake is already reported.
        if is_placeholder(&span) {
            return;
        }
        let line = if span.start == 0 && span.end == 0 {
            0
        } else {
            line_of(self.text, span.start)
        };
        self.problems.push(Problem {
            file: self.path.to_path_buf(),
            line,
            column: 0,
            message: message.into(),
        });
    }

    fn compile(&mut self, raw: RawPackFile, catalog: &Catalog) -> Option<ProbePack> {
        let pack_span = raw.pack.span();
        let p = raw.pack.into_inner();
        let id = p.id.get_ref().clone();
        self.id_line = line_of(self.text, p.id.span().start);
        if !domain::is_id(&id) {
            self.report(
                p.id.span(),
                format!("pack id \"{id}\" must be lowercase letters, digits, '-' or '_'"),
            );
        }
        // A mistake here stops nothing: the rest of the pack is still checked, so that one
        // run reports all of its mistakes (the pack is refused at the end).
        let kind_id = p.kind.get_ref().as_str();
        let kind = match catalog.kind(kind_id) {
            None => {
                self.report(
                    p.kind.span(),
                    format!(
                        "unknown check kind \"{kind_id}\" (packs observe link or payment checks)"
                    ),
                );
                None
            }
            Some(_) if kind_id != "link" && kind_id != "payment" => {
                self.report(
                    p.kind.span(),
                    format!("packs observe link or payment checks, not \"{kind_id}\""),
                );
                None
            }
            Some(kind) => Some(kind),
        };
        let ladder: Vec<String> = kind
            .map(|k| k.statuses.iter().map(|s| s.id.clone()).collect())
            .unwrap_or_default();
        if let Err(e) = super::parse_cron(p.schedule.get_ref()) {
            self.report(p.schedule.span(), e);
        }
        if *p.confirmations.get_ref() == 0 || *p.confirmations.get_ref() > 100 {
            self.report(
                p.confirmations.span(),
                "confirmations must be between 1 and 100",
            );
        }
        if *p.timeout_secs.get_ref() == 0 || *p.timeout_secs.get_ref() > 600 {
            self.report(
                p.timeout_secs.span(),
                "timeout_secs must be between 1 and 600",
            );
        }
        if *p.max_body_bytes.get_ref() < 1024 || *p.max_body_bytes.get_ref() > 256 * 1024 * 1024 {
            self.report(
                p.max_body_bytes.span(),
                "max_body_bytes must be between 1 KiB and 256 MiB",
            );
        }
        if *p.per_host_concurrency.get_ref() == 0 {
            self.report(
                p.per_host_concurrency.span(),
                "per_host_concurrency must be at least 1",
            );
        }
        let request_span = raw.request.span();
        let request = self.request(raw.request.into_inner());
        let control = raw.control.map(|c| self.request(c.into_inner()));
        let follows_redirects = request.as_ref().is_some_and(|r| r.follow_redirects);

        // Targets and the checks they decide.
        let vocabulary = MethodNames::from_methods(&catalog.methods);
        let mut targets = Vec::new();
        let raw_targets = match raw.targets {
            Some(t) => {
                if t.get_ref().is_empty() {
                    self.report(t.span(), "[targets] is empty");
                }
                t.into_inner()
            }
            None => {
                self.report(pack_span.clone(), "a pack needs a [targets] table");
                BTreeMap::new()
            }
        };
        let check_exists = |id: &str| catalog.checks.iter().any(|c| c.id == id);
        let subject = p.subject.as_ref().map(|s| s.get_ref().clone());
        if kind_id == "link" && subject.is_none() {
            self.report(
                pack_span.clone(),
                "a link pack needs `subject` (the host app)",
            );
        }
        let methods: Vec<String> = match &p.methods {
            Some(list) => {
                let mut out = Vec::new();
                for m in list {
                    if catalog.methods.iter().any(|x| &x.slug == m.get_ref()) {
                        out.push(m.get_ref().clone());
                    } else {
                        self.report(
                            m.span(),
                            format!("unknown payment method \"{}\"", m.get_ref()),
                        );
                    }
                }
                out
            }
            None => catalog.methods.iter().map(|m| m.slug.clone()).collect(),
        };
        for (key, url) in raw_targets {
            let parsed = match url::Url::parse(url.get_ref()) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
                _ => {
                    self.report(
                        url.span(),
                        format!(
                            "target \"{key}\": \"{}\" is not an http(s) URL",
                            url.get_ref()
                        ),
                    );
                    continue;
                }
            };
            let host = parsed.host_str().unwrap_or_default().to_string();
            if kind.is_none() {
                // Which checks a target decides depends on the pack's kind.
                continue;
            }
            let (subj, obj, checks) = if kind_id == "link" {
                let Some(s) = &subject else {
                    continue;
                };
                let check = domain::check_id("link", s, &key);
                if !check_exists(&check) {
                    self.report(
                        url.span(),
                        format!("target \"{key}\": there is no check \"{check}\" in the catalog"),
                    );
                    continue;
                }
                (
                    s.clone(),
                    key.clone(),
                    vec![TargetCheck {
                        check_id: check,
                        method: None,
                    }],
                )
            } else {
                let checks: Vec<TargetCheck> = methods
                    .iter()
                    .map(|m| (m, domain::check_id("payment", &key, m)))
                    .filter(|(_, c)| check_exists(c))
                    .map(|(m, c)| TargetCheck {
                        check_id: c,
                        method: Some(m.clone()),
                    })
                    .collect();
                if checks.is_empty() {
                    self.report(
                        url.span(),
                        format!(
                            "target \"{key}\": the catalog has no payment check for app \"{key}\""
                        ),
                    );
                    continue;
                }
                (key.clone(), String::new(), checks)
            };
            targets.push(Target {
                key: key.clone(),
                url: url.get_ref().clone(),
                host,
                checks,
                subject: subj,
                object: obj,
            });
        }
        // Every filled-in URL must be an http(s) URL.
        for t in &targets {
            for (what, tpl) in [
                ("request", request.as_ref()),
                ("control", control.as_ref().and_then(Option::as_ref)),
            ] {
                if let Some(tpl) = tpl {
                    let u = tpl.url_for(t);
                    if !url::Url::parse(&u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) {
                        self.report(
                            request_span.clone(),
                            format!(
                                "{what} URL for target \"{}\" is not an http(s) URL: {u}",
                                t.key
                            ),
                        );
                    }
                }
            }
        }

        let challenge: Vec<Condition> = p
            .challenge
            .iter()
            .enumerate()
            .filter_map(|(i, c)| match compile_condition(c) {
                Ok(c) => Some(c),
                Err(e) => {
                    self.report(pack_span.clone(), format!("challenge[{i}]: {e}"));
                    None
                }
            })
            .collect();

        // Rules.
        let mut rules: Vec<Rule> = Vec::new();
        let mut rule_ids = HashSet::new();
        let mut earlier_keys: Vec<(String, String)> = Vec::new();
        for r in raw.rule {
            let span = r.span();
            let r = r.into_inner();
            let rid = r.id.get_ref().clone();
            if !domain::is_id(&rid) {
                self.report(
                    r.id.span(),
                    format!("rule id \"{rid}\" must be lowercase letters, digits, '-' or '_'"),
                );
            }
            if !rule_ids.insert(rid.clone()) {
                self.report(r.id.span(), format!("rule id \"{rid}\" is used twice"));
            }
            // (An unknown kind has no ladder to check against: that is reported once, above.)
            if kind.is_some() && !ladder.contains(r.status.get_ref()) {
                self.report(
                    r.status.span(),
                    format!(
                        "rule \"{rid}\": status \"{}\" is not on the {kind_id} ladder ({})",
                        r.status.get_ref(),
                        ladder.join(", ")
                    ),
                );
            }
            let when = match &r.when {
                None => Condition::Always,
                Some(w) => match compile_when(w.get_ref()) {
                    Ok(c) => c,
                    Err(e) => {
                        self.report(w.span(), format!("rule \"{rid}\": {e}"));
                        continue;
                    }
                },
            };
            if let Some(reason) = when.never(follows_redirects) {
                self.report(
                    span.clone(),
                    format!("rule \"{rid}\" can never match: {reason}"),
                );
            }
            let key = when.key();
            if let Some((earlier, _)) = earlier_keys
                .iter()
                .find(|(_, k)| *k == key || k == "Always")
            {
                self.report(
                    span.clone(),
                    format!("rule \"{rid}\" can never match: rule \"{earlier}\" above matches the same pages first"),
                );
            }
            earlier_keys.push((rid.clone(), key));
            rules.push(Rule {
                id: rid,
                status: r.status.into_inner(),
                confirmed: r.confirmed,
                when,
                line: line_of(self.text, span.start),
            });
        }

        let has_extract = raw.extract.is_some();
        let extract = match raw.extract {
            None => None,
            Some(e) => {
                let e_span = e.span();
                let e = e.into_inner();
                let page = match &e.page {
                    None => None,
                    Some(pg) => match compile_when(pg.get_ref()) {
                        Ok(c) => Some(c),
                        Err(err) => {
                            self.report(pg.span(), format!("extract.page: {err}"));
                            None
                        }
                    },
                };
                let option = match selector::parse(e.option.get_ref()) {
                    Ok(s) => Some(s),
                    Err(err) => {
                        self.report(e.option.span(), format!("extract.option: {err}"));
                        None
                    }
                };
                let selected = match &e.selected {
                    None => None,
                    Some(s) => match selector::parse(s.get_ref()) {
                        Ok(sel) => Some(sel),
                        Err(err) => {
                            self.report(s.span(), format!("extract.selected: {err}"));
                            None
                        }
                    },
                };
                for r in &e.read {
                    let ok = READABLE.contains(&r.get_ref().as_str())
                        || r.get_ref().starts_with("data-");
                    if !ok {
                        self.report(
                            r.span(),
                            format!(
                                "extract.read: \"{}\" is not readable (text, alt, id, class, value or a data-* attribute)",
                                r.get_ref()
                            ),
                        );
                    }
                }
                option
                    .map(|option| Extract {
                        page,
                        option,
                        option_source: e.option.get_ref().clone(),
                        selected,
                        read: e.read.iter().map(|r| r.get_ref().clone()).collect(),
                    })
                    .or_else(|| {
                        let _ = e_span;
                        None
                    })
            }
        };
        if kind_id == "payment" && !has_extract {
            self.report(pack_span.clone(), "a payment pack needs an [extract] table");
        }
        if kind_id == "link" && rules.is_empty() {
            self.report(pack_span.clone(), "a link pack needs at least one [[rule]]");
        }
        if kind_id == "payment" && !rules.is_empty() {
            self.report(
                pack_span.clone(),
                "payment packs take no [[rule]]: [extract] decides (use extract.page to recognise the checkout)",
            );
        }
        if kind_id == "link" && has_extract {
            self.report(pack_span.clone(), "[extract] is for payment packs only");
        }

        // Refused for a mistake that let the checks above go on without it.
        let control = match control {
            None => None,
            Some(Some(c)) => Some(c),
            Some(None) => return None,
        };
        let (Some(_), Some(request)) = (kind, request) else {
            return None;
        };
        Some(ProbePack {
            id,
            name_en: p.name_en,
            name_zh: p.name_zh,
            kind: kind_id.to_string(),
            subject,
            version: p.version,
            verified: p.verified,
            simulated: p.simulated,
            enabled: p.enabled,
            schedule: p.schedule.into_inner(),
            confirmations: p.confirmations.into_inner().clamp(1, 100),
            timeout: Duration::from_secs(p.timeout_secs.into_inner().clamp(1, 600)),
            max_body_bytes: p.max_body_bytes.into_inner(),
            max_redirects: p.max_redirects,
            per_host_concurrency: p.per_host_concurrency.into_inner().max(1),
            min_host_spacing: Duration::from_millis(p.min_host_spacing_ms),
            request,
            control,
            rules,
            challenge,
            extract,
            targets,
            top_status: ladder.first().cloned().unwrap_or_default(),
            vocabulary,
            file: self.path.to_path_buf(),
        })
    }

    fn request(&mut self, r: RawRequest) -> Option<RequestTemplate> {
        let method = match r.method.get_ref().to_ascii_uppercase().as_str() {
            "GET" => Some(reqwest::Method::GET),
            "HEAD" => Some(reqwest::Method::HEAD),
            "POST" => Some(reqwest::Method::POST),
            other => {
                self.report(
                    r.method.span(),
                    format!("method \"{other}\" is not GET, HEAD or POST"),
                );
                None
            }
        };
        let url = r.url.get_ref();
        for var in template_vars(url) {
            if !TEMPLATE_VARS.contains(&var.as_str()) {
                self.report(
                    r.url.span(),
                    format!(
                        "unknown template variable {{{var}}} (known: {})",
                        TEMPLATE_VARS.map(|v| format!("{{{v}}}")).join(", ")
                    ),
                );
            }
        }
        for (name, value) in &r.headers {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err()
                || reqwest::header::HeaderValue::from_str(value).is_err()
            {
                self.report(
                    r.url.span(),
                    format!("header \"{name}\" is not a valid HTTP header"),
                );
            }
        }
        Some(RequestTemplate {
            method: method?,
            url: url.clone(),
            follow_redirects: r.follow_redirects,
            headers: r.headers.into_iter().collect(),
        })
    }
}

const TEMPLATE_VARS: [&str; 5] = [
    "target_url",
    "target_raw",
    "target_host",
    "subject",
    "object",
];

fn template_vars(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                out.push(after[..end].to_string());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
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

/// `when` is one condition table or a list that must all hold.
fn compile_when(v: &toml::Value) -> Result<Condition, String> {
    match v {
        toml::Value::Array(items) => {
            let cs = all_of(items.iter().enumerate().map(|(i, c)| {
                compile_condition(c).map_err(|e| format!("condition {}: {e}", i + 1))
            }))?;
            if cs.is_empty() {
                return Err(
                    "`when = []` is empty: omit `when` for a rule that always matches".into(),
                );
            }
            Ok(Condition::All(cs))
        }
        other => compile_condition(other),
    }
}

/// Every condition of a list, or every mistake in it (not only the first), joined.
fn all_of(
    results: impl Iterator<Item = Result<Condition, String>>,
) -> Result<Vec<Condition>, String> {
    let (ok, errors): (Vec<_>, Vec<_>) = results.partition(Result::is_ok);
    if errors.is_empty() {
        Ok(ok.into_iter().filter_map(Result::ok).collect())
    } else {
        Err(errors
            .into_iter()
            .filter_map(Result::err)
            .collect::<Vec<_>>()
            .join("; "))
    }
}

const CONDITION_KEYS: &str = "status, location_host, location_contains, hop_host, final_host, \
     final_url_contains, selector, body_contains, body_regex, script_var, all, any, not";

/// Compiles one condition table.
pub fn compile_condition(v: &toml::Value) -> Result<Condition, String> {
    let toml::Value::Table(t) = v else {
        return Err(format!(
            "a condition must be a table such as {{ status = 302 }}, not {v}"
        ));
    };
    let str_of = |key: &str| -> Result<String, String> {
        match t.get(key) {
            Some(toml::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(other) => Err(format!("`{key}` must be a non-empty string, not {other}")),
            None => Err(format!("`{key}` is missing")),
        }
    };
    let only = |allowed: &[&str]| -> Result<(), String> {
        match t.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(format!(
                "unexpected key `{k}` here (this condition takes {})",
                allowed.join(", ")
            )),
            None => Ok(()),
        }
    };
    let list = |key: &str| -> Result<Vec<Condition>, String> {
        match t.get(key) {
            Some(toml::Value::Array(items)) => all_of(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, c)| compile_condition(c).map_err(|e| format!("{key}[{i}]: {e}"))),
            ),
            _ => Err(format!("`{key}` must be a list of conditions")),
        }
    };
    if t.contains_key("status") {
        only(&["status"])?;
        let codes: Vec<i64> = match &t["status"] {
            toml::Value::Integer(i) => vec![*i],
            toml::Value::Array(items) => items
                .iter()
                .map(|i| {
                    i.as_integer()
                        .ok_or_else(|| format!("status {i} is not a number"))
                })
                .collect::<Result<_, _>>()?,
            other => return Err(format!("`status` must be a number or a list, not {other}")),
        };
        if codes.is_empty() {
            return Err("`status = []` never holds".into());
        }
        let codes = codes
            .into_iter()
            .map(|c| {
                u16::try_from(c)
                    .ok()
                    .filter(|c| (100..=599).contains(c))
                    .ok_or_else(|| format!("{c} is not an HTTP status (100-599)"))
            })
            .collect::<Result<Vec<u16>, _>>()?;
        return Ok(Condition::Status(codes));
    }
    for (key, make) in [("location_host", 0), ("hop_host", 1), ("final_host", 2)] {
        if t.contains_key(key) {
            only(&[key])?;
            let p = HostPattern::parse(&str_of(key)?)?;
            return Ok(match make {
                0 => Condition::LocationHost(p),
                1 => Condition::HopHost(p),
                _ => Condition::FinalHost(p),
            });
        }
    }
    if t.contains_key("location_contains") {
        only(&["location_contains"])?;
        return Ok(Condition::LocationContains(str_of("location_contains")?));
    }
    if t.contains_key("final_url_contains") {
        only(&["final_url_contains"])?;
        return Ok(Condition::FinalUrlContains(str_of("final_url_contains")?));
    }
    if t.contains_key("body_contains") {
        only(&["body_contains"])?;
        return Ok(Condition::BodyContains(str_of("body_contains")?));
    }
    if t.contains_key("body_regex") {
        only(&["body_regex"])?;
        let src = str_of("body_regex")?;
        let re = regex::RegexBuilder::new(&src)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| {
                format!("`body_regex` \"{src}\" is not a valid regular expression: {e}")
            })?;
        return Ok(Condition::BodyRegex(re));
    }
    if t.contains_key("selector") {
        only(&[
            "selector",
            "text_contains",
            "alt_contains",
            "attr",
            "contains",
        ])?;
        let source = str_of("selector")?;
        let selector = selector::parse(&source)?;
        let tests = ["text_contains", "alt_contains", "attr"]
            .iter()
            .filter(|k| t.contains_key(**k))
            .count();
        if tests > 1 {
            return Err("use one of text_contains, alt_contains or attr per selector".into());
        }
        let test = if t.contains_key("text_contains") {
            ElementTest::Text(str_of("text_contains")?)
        } else if t.contains_key("alt_contains") {
            ElementTest::Alt(str_of("alt_contains")?)
        } else if t.contains_key("attr") {
            ElementTest::Attr {
                name: str_of("attr")?,
                contains: if t.contains_key("contains") {
                    Some(str_of("contains")?)
                } else {
                    None
                },
            }
        } else {
            if t.contains_key("contains") {
                return Err("`contains` goes with `attr`".into());
            }
            ElementTest::Present
        };
        let fast = super::scan::FastSelector::parse(&source);
        return Ok(Condition::Selector {
            selector,
            source,
            test,
            fast,
        });
    }
    if t.contains_key("script_var") {
        only(&["script_var", "path", "equals", "contains"])?;
        let var = str_of("script_var")?;
        if !var
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        {
            return Err(format!(
                "`script_var` \"{var}\" is not a script variable name"
            ));
        }
        let path = match t.get("path") {
            None => Vec::new(),
            Some(_) => str_of("path")?.split('.').map(str::to_string).collect(),
        };
        let test = match (t.get("equals"), t.get("contains")) {
            (Some(_), Some(_)) => return Err("use `equals` or `contains`, not both".into()),
            (Some(v), None) => ValueTest::Equals(match v {
                toml::Value::String(s) => serde_json::Value::String(s.clone()),
                toml::Value::Integer(i) => serde_json::Value::from(*i),
                toml::Value::Float(f) => serde_json::Value::from(*f),
                toml::Value::Boolean(b) => serde_json::Value::Bool(*b),
                other => {
                    return Err(format!(
                        "`equals` must be a string, number or boolean, not {other}"
                    ));
                }
            }),
            (None, Some(_)) => ValueTest::Contains(str_of("contains")?),
            (None, None) => ValueTest::Exists,
        };
        return Ok(Condition::ScriptVar { var, path, test });
    }
    if t.contains_key("all") {
        only(&["all"])?;
        return Ok(Condition::All(list("all")?));
    }
    if t.contains_key("any") {
        only(&["any"])?;
        return Ok(Condition::Any(list("any")?));
    }
    if t.contains_key("not") {
        only(&["not"])?;
        let inner = t.get("not").map(compile_condition).transpose()?;
        return inner
            .map(|c| Condition::Not(Box::new(c)))
            .ok_or_else(|| "`not` needs a condition".into());
    }
    match t.keys().next() {
        Some(k) => Err(format!("unknown condition `{k}` (known: {CONDITION_KEYS})")),
        None => Err(format!("an empty condition {{}} (known: {CONDITION_KEYS})")),
    }
}
