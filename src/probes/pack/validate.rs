//! Reading probe packs: the file as written (TOML, every field with its place), then
//! validation against the catalog and compilation into a [`ProbePack`], one function per
//! section of the file (`[pack]`, `[targets]`, `[request]`/`[control]`, `[[rule]]`,
//! `[extract]`) and one per kind of condition. Every mistake is a [`Problem`] at its line.

use super::selector;
use super::{
    Condition, Extract, HostPattern, MethodNames, ProbePack, RequestTemplate, Rule, Target,
    TargetCheck, ValueTest,
};
use crate::catalog::read::{self, is_placeholder};
use crate::catalog::text::control_characters;
use crate::catalog::{Catalog, Problem, Problems, line_of};
use crate::domain::{self, Kind};
use crate::probes::select::{ElementTest, FastSelector};
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;
use toml::de::DeValue;

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
    in_app_control: Option<Spanned<RawInAppControl>>,
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

/// `[in_app_control]`: a known-good link sent through the pack's own request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInAppControl {
    url: Spanned<String>,
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

    /// Compiles a pack section by section. A mistake in one section stops nothing: the
    /// rest of the pack is still checked, so that one run reports all of its mistakes (the
    /// pack is refused at the end).
    fn compile(&mut self, raw: RawPackFile, catalog: &Catalog) -> Option<ProbePack> {
        let pack_span = raw.pack.span();
        let p = raw.pack.into_inner();
        self.pack_id(&p.id);
        let kind_id = p.kind.get_ref().as_str();
        let kind = self.kind(&p.kind, catalog);
        let ladder: Vec<String> = kind
            .map(|k| k.statuses.iter().map(|s| s.id.clone()).collect())
            .unwrap_or_default();
        self.limits(&p);
        let request_span = raw.request.span();
        let request = self.request(raw.request.into_inner());
        let control = raw.control.map(|c| self.request(c.into_inner()));
        let follows_redirects = request.as_ref().is_some_and(|r| r.follow_redirects);

        let subject = p.subject.as_ref().map(|s| s.get_ref().clone());
        if kind_id == "link" && subject.is_none() {
            self.report(
                pack_span.clone(),
                "a link pack needs `subject` (the host app)",
            );
        }
        let methods = self.methods(p.methods.as_deref(), catalog);
        let targets = self.targets(
            raw.targets,
            &pack_span,
            kind.map(|_| kind_id),
            subject.as_deref(),
            &methods,
            catalog,
        );
        let templates = [
            ("request", request.as_ref()),
            ("control", control.as_ref().and_then(Option::as_ref)),
        ];
        self.filled_urls(&targets, &templates, &request_span);
        let in_app_control = raw
            .in_app_control
            .and_then(|c| self.in_app_control(c, kind_id, subject.as_deref(), &targets));
        let challenge = self.challenge(&p.challenge, &pack_span);
        let ladder_known = kind.map(|_| ladder.as_slice());
        let rules = self.rules(raw.rule, kind_id, ladder_known, follows_redirects);
        let has_extract = raw.extract.is_some();
        let extract = raw.extract.and_then(|e| self.extract(e.into_inner()));
        self.sections_of_kind(kind_id, has_extract, rules.is_empty(), &pack_span);

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
            id: p.id.into_inner(),
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
            in_app_control,
            rules,
            challenge,
            extract,
            targets,
            top_status: ladder.first().cloned().unwrap_or_default(),
            vocabulary: MethodNames::from_methods(&catalog.methods),
            file: self.path.to_path_buf(),
        })
    }

    /// `[pack] id`: its form, and its line (for duplicate ids across files).
    fn pack_id(&mut self, id: &Spanned<String>) {
        self.id_line = line_of(self.text, id.span().start);
        if !domain::is_id(id.get_ref()) {
            self.report(
                id.span(),
                format!(
                    "pack id \"{}\" must be lowercase letters, digits, '-' or '_'",
                    id.get_ref()
                ),
            );
        }
    }

    /// `[pack] kind`: a kind of the catalog that packs can observe (link or payment).
    fn kind<'c>(&mut self, kind: &Spanned<String>, catalog: &'c Catalog) -> Option<&'c Kind> {
        let kind_id = kind.get_ref().as_str();
        match catalog.kind(kind_id) {
            None => {
                self.report(
                    kind.span(),
                    format!(
                        "unknown check kind \"{kind_id}\" (packs observe link or payment checks)"
                    ),
                );
                None
            }
            Some(_) if kind_id != "link" && kind_id != "payment" => {
                self.report(
                    kind.span(),
                    format!("packs observe link or payment checks, not \"{kind_id}\""),
                );
                None
            }
            Some(kind) => Some(kind),
        }
    }

    /// `[pack]`'s schedule and limits.
    fn limits(&mut self, p: &RawPack) {
        if let Err(e) = crate::probes::parse_cron(p.schedule.get_ref()) {
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
    }

    /// `[pack] methods`: the payment methods a payment pack asks about (all by default).
    fn methods(&mut self, listed: Option<&[Spanned<String>]>, catalog: &Catalog) -> Vec<String> {
        let Some(list) = listed else {
            return catalog.methods.iter().map(|m| m.slug.clone()).collect();
        };
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

    /// `[targets]`: each an http(s) URL, and the catalog's checks its answer decides.
    /// `kind_id` is `None` when the pack's kind is unknown: the URLs are still checked.
    fn targets(
        &mut self,
        raw: Option<Spanned<BTreeMap<String, Spanned<String>>>>,
        pack_span: &std::ops::Range<usize>,
        kind_id: Option<&str>,
        subject: Option<&str>,
        methods: &[String],
        catalog: &Catalog,
    ) -> Vec<Target> {
        let raw_targets = match raw {
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
        let mut targets = Vec::new();
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
            // Which checks a target decides depends on the pack's kind.
            let decided = match kind_id {
                None => continue,
                Some("link") => match subject {
                    Some(s) => self.link_checks(&key, &url, s, catalog),
                    None => continue,
                },
                Some(_) => self.payment_checks(&key, &url, methods, catalog),
            };
            let Some((subject, object, checks)) = decided else {
                continue;
            };
            targets.push(Target {
                key: key.clone(),
                url: url.get_ref().clone(),
                host,
                checks,
                subject,
                object,
            });
        }
        targets
    }

    /// The in-app control as a target of no check: an http(s) URL, in a link pack, that is
    /// none of the pack's targets (it would prove nothing about itself).
    fn in_app_control(
        &mut self,
        raw: Spanned<RawInAppControl>,
        kind_id: &str,
        subject: Option<&str>,
        targets: &[Target],
    ) -> Option<Target> {
        let span = raw.span();
        let url = raw.into_inner().url;
        if kind_id != "link" {
            self.report(
                span,
                "[in_app_control] belongs to link packs (a known-good link sent through the bridge)",
            );
            return None;
        }
        let parsed = match url::Url::parse(url.get_ref()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => u,
            _ => {
                self.report(
                    url.span(),
                    format!(
                        "in_app_control: \"{}\" is not an http(s) URL",
                        url.get_ref()
                    ),
                );
                return None;
            }
        };
        if targets.iter().any(|t| t.url == *url.get_ref()) {
            self.report(
                url.span(),
                "in_app_control: the known-good link must not be one of the targets",
            );
            return None;
        }
        let host = parsed.host_str().unwrap_or_default().to_string();
        Some(Target {
            key: "in-app-control".into(),
            url: url.into_inner(),
            host: host.clone(),
            checks: vec![TargetCheck {
                check_id: "in-app-control".into(),
                method: None,
            }],
            subject: subject.unwrap_or_default().to_string(),
            object: host,
        })
    }

    /// A link pack's target decides one check: the host app × the target.
    fn link_checks(
        &mut self,
        key: &str,
        url: &Spanned<String>,
        subject: &str,
        catalog: &Catalog,
    ) -> Option<(String, String, Vec<TargetCheck>)> {
        let check = domain::check_id("link", subject, key);
        if !catalog.checks.iter().any(|c| c.id == check) {
            self.report(
                url.span(),
                format!("target \"{key}\": there is no check \"{check}\" in the catalog"),
            );
            return None;
        }
        Some((
            subject.to_string(),
            key.to_string(),
            vec![TargetCheck {
                check_id: check,
                method: None,
            }],
        ))
    }

    /// A payment pack's target (a merchant app) decides one check per method asked about.
    fn payment_checks(
        &mut self,
        key: &str,
        url: &Spanned<String>,
        methods: &[String],
        catalog: &Catalog,
    ) -> Option<(String, String, Vec<TargetCheck>)> {
        let checks: Vec<TargetCheck> = methods
            .iter()
            .map(|m| (m, domain::check_id("payment", key, m)))
            .filter(|(_, c)| catalog.checks.iter().any(|x| x.id == *c))
            .map(|(m, c)| TargetCheck {
                check_id: c,
                method: Some(m.clone()),
            })
            .collect();
        if checks.is_empty() {
            self.report(
                url.span(),
                format!("target \"{key}\": the catalog has no payment check for app \"{key}\""),
            );
            return None;
        }
        Some((key.to_string(), String::new(), checks))
    }

    /// Every URL the request and control templates give for the targets is http(s).
    fn filled_urls(
        &mut self,
        targets: &[Target],
        templates: &[(&str, Option<&RequestTemplate>)],
        request_span: &std::ops::Range<usize>,
    ) {
        for t in targets {
            for (what, tpl) in templates {
                let Some(tpl) = tpl else { continue };
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

    /// `[pack] challenge`: conditions that recognise an anti-bot page.
    fn challenge(
        &mut self,
        raw: &[toml::Value],
        pack_span: &std::ops::Range<usize>,
    ) -> Vec<Condition> {
        raw.iter()
            .enumerate()
            .filter_map(|(i, c)| match compile_condition(c) {
                Ok(c) => Some(c),
                Err(e) => {
                    self.report(pack_span.clone(), format!("challenge[{i}]: {e}"));
                    None
                }
            })
            .collect()
    }

    /// `[[rule]]`s: ids, statuses on the ladder (`None` when the kind is unknown, which
    /// is reported once, elsewhere), conditions, and rules that can never match.
    fn rules(
        &mut self,
        raw: Vec<Spanned<RawRule>>,
        kind_id: &str,
        ladder: Option<&[String]>,
        follows_redirects: bool,
    ) -> Vec<Rule> {
        let mut rules: Vec<Rule> = Vec::new();
        let mut rule_ids = HashSet::new();
        let mut earlier_keys: Vec<(String, String)> = Vec::new();
        for r in raw {
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
            if let Some(ladder) = ladder
                && !ladder.contains(r.status.get_ref())
            {
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
        rules
    }

    /// `[extract]`: how a payment pack reads the methods a checkout offers.
    fn extract(&mut self, e: RawExtract) -> Option<Extract> {
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
            let ok = READABLE.contains(&r.get_ref().as_str()) || r.get_ref().starts_with("data-");
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
        let fast = crate::probes::options::FastOptions::parse(
            e.option.get_ref(),
            e.selected.as_ref().map(|s| s.get_ref().as_str()),
        );
        Some(Extract {
            page,
            option: option?,
            option_source: e.option.get_ref().clone(),
            selected,
            read: e.read.iter().map(|r| r.get_ref().clone()).collect(),
            fast,
        })
    }

    /// The sections each kind of pack needs or refuses: link packs decide by rules,
    /// payment packs by `[extract]`.
    fn sections_of_kind(
        &mut self,
        kind_id: &str,
        has_extract: bool,
        no_rules: bool,
        pack_span: &std::ops::Range<usize>,
    ) {
        if kind_id == "payment" && !has_extract {
            self.report(pack_span.clone(), "a payment pack needs an [extract] table");
        }
        if kind_id == "link" && no_rules {
            self.report(pack_span.clone(), "a link pack needs at least one [[rule]]");
        }
        if kind_id == "payment" && !no_rules {
            self.report(
                pack_span.clone(),
                "payment packs take no [[rule]]: [extract] decides (use extract.page to recognise the checkout)",
            );
        }
        if kind_id == "link" && has_extract {
            self.report(pack_span.clone(), "[extract] is for payment packs only");
        }
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

/// Compiles one condition table: the first key it holds, in the order of
/// `CONDITION_KEYS`, says which condition it is.
pub fn compile_condition(v: &toml::Value) -> Result<Condition, String> {
    let toml::Value::Table(t) = v else {
        return Err(format!(
            "a condition must be a table such as {{ status = 302 }}, not {v}"
        ));
    };
    let t = Fields(t);
    if t.has("status") {
        return status(&t);
    }
    for (key, make) in [
        (
            "location_host",
            Condition::LocationHost as fn(HostPattern) -> Condition,
        ),
        ("hop_host", Condition::HopHost),
        ("final_host", Condition::FinalHost),
    ] {
        if t.has(key) {
            t.only(&[key])?;
            return Ok(make(HostPattern::parse(&t.string(key)?)?));
        }
    }
    for (key, make) in [
        (
            "location_contains",
            Condition::LocationContains as fn(String) -> Condition,
        ),
        ("final_url_contains", Condition::FinalUrlContains),
        ("body_contains", Condition::BodyContains),
    ] {
        if t.has(key) {
            t.only(&[key])?;
            return Ok(make(t.string(key)?));
        }
    }
    if t.has("body_regex") {
        return body_regex(&t);
    }
    if t.has("selector") {
        return selector_condition(&t);
    }
    if t.has("script_var") {
        return script_var(&t);
    }
    if t.has("all") {
        t.only(&["all"])?;
        return Ok(Condition::All(t.list("all")?));
    }
    if t.has("any") {
        t.only(&["any"])?;
        return Ok(Condition::Any(t.list("any")?));
    }
    if t.has("not") {
        t.only(&["not"])?;
        let inner = t.0.get("not").map(compile_condition).transpose()?;
        return inner
            .map(|c| Condition::Not(Box::new(c)))
            .ok_or_else(|| "`not` needs a condition".into());
    }
    match t.0.keys().next() {
        Some(k) => Err(format!("unknown condition `{k}` (known: {CONDITION_KEYS})")),
        None => Err(format!("an empty condition {{}} (known: {CONDITION_KEYS})")),
    }
}

/// A condition table's fields, read with mistakes said in the pack writer's words.
struct Fields<'a>(&'a toml::Table);

impl Fields<'_> {
    fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    fn string(&self, key: &str) -> Result<String, String> {
        match self.0.get(key) {
            Some(toml::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(other) => Err(format!("`{key}` must be a non-empty string, not {other}")),
            None => Err(format!("`{key}` is missing")),
        }
    }

    /// The table holds no key but `allowed`.
    fn only(&self, allowed: &[&str]) -> Result<(), String> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(format!(
                "unexpected key `{k}` here (this condition takes {})",
                allowed.join(", ")
            )),
            None => Ok(()),
        }
    }

    fn list(&self, key: &str) -> Result<Vec<Condition>, String> {
        match self.0.get(key) {
            Some(toml::Value::Array(items)) => all_of(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, c)| compile_condition(c).map_err(|e| format!("{key}[{i}]: {e}"))),
            ),
            _ => Err(format!("`{key}` must be a list of conditions")),
        }
    }
}

/// `{ status = 302 }` or `{ status = [301, 302] }`.
fn status(t: &Fields) -> Result<Condition, String> {
    t.only(&["status"])?;
    let codes: Vec<i64> = match &t.0["status"] {
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
    Ok(Condition::Status(codes))
}

/// `{ body_regex = "…" }`, compiled once with a size limit.
fn body_regex(t: &Fields) -> Result<Condition, String> {
    t.only(&["body_regex"])?;
    let src = t.string("body_regex")?;
    let re = regex::RegexBuilder::new(&src)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("`body_regex` \"{src}\" is not a valid regular expression: {e}"))?;
    Ok(Condition::BodyRegex(re))
}

/// `{ selector = "…" }` with at most one test of the elements it selects.
fn selector_condition(t: &Fields) -> Result<Condition, String> {
    t.only(&[
        "selector",
        "text_contains",
        "alt_contains",
        "attr",
        "contains",
    ])?;
    let source = t.string("selector")?;
    let selector = selector::parse(&source)?;
    let tests = ["text_contains", "alt_contains", "attr"]
        .iter()
        .filter(|k| t.has(k))
        .count();
    if tests > 1 {
        return Err("use one of text_contains, alt_contains or attr per selector".into());
    }
    let test = if t.has("text_contains") {
        ElementTest::Text(t.string("text_contains")?)
    } else if t.has("alt_contains") {
        ElementTest::Alt(t.string("alt_contains")?)
    } else if t.has("attr") {
        ElementTest::Attr {
            name: t.string("attr")?,
            contains: if t.has("contains") {
                Some(t.string("contains")?)
            } else {
                None
            },
        }
    } else {
        if t.has("contains") {
            return Err("`contains` goes with `attr`".into());
        }
        ElementTest::Present
    };
    let fast = FastSelector::parse(&source);
    Ok(Condition::Selector {
        selector,
        source,
        test,
        fast,
    })
}

/// `{ script_var = "cgiData", path = "type", equals = "block" }` (or `contains`).
fn script_var(t: &Fields) -> Result<Condition, String> {
    t.only(&["script_var", "path", "equals", "contains"])?;
    let var = t.string("script_var")?;
    if !var
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    {
        return Err(format!(
            "`script_var` \"{var}\" is not a script variable name"
        ));
    }
    let path = match t.0.get("path") {
        None => Vec::new(),
        Some(_) => t.string("path")?.split('.').map(str::to_string).collect(),
    };
    let test = match (t.0.get("equals"), t.0.get("contains")) {
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
        (None, Some(_)) => ValueTest::Contains(t.string("contains")?),
        (None, None) => ValueTest::Exists,
    };
    Ok(Condition::ScriptVar { var, path, test })
}
