//! The catalog: Hutong's reference data and historical facts, kept as reviewable TOML files
//! under `catalog/` (format: `catalog/README.md`). This module reads and validates them;
//! every problem is reported with its file and line, and nothing is loaded until all pass.

mod raw;

use crate::domain::{self, Precision, SourceKind};
use crate::time::{self, DayOrTime, SHANGHAI};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use raw::{RawFile, S};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

// The reference types live in the domain; re-exported here for the code that still
// names them by their old path (removed once every caller uses `crate::domain`).
pub use crate::domain::{
    Check, Group, Kind, Method, Milestone, PLATFORM_KINDS, Platform, Requirement, Scope, Side,
    Source, Status,
};

/// A historical fact: the state of a check at a time, according to a source.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Stable key (`id`, or `id/check` for multi-check entries): reloading updates this row.
    pub key: String,
    pub check: String,
    pub observed_at: DateTime<Utc>,
    pub precision: Precision,
    pub status: String,
    pub source: String,
    pub source_kind: SourceKind,
    pub vantage: String,
    pub quote: Option<String>,
    pub note_en: Option<String>,
    pub note_zh: Option<String>,
}

/// A validated catalog: every reference resolves, every status is on its ladder.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    pub groups: Vec<Group>,
    pub platforms: Vec<Platform>,
    pub methods: Vec<Method>,
    pub kinds: Vec<Kind>,
    pub checks: Vec<Check>,
    pub sources: Vec<Source>,
    pub milestones: Vec<Milestone>,
    pub requirements: Vec<Requirement>,
    pub observations: Vec<Observation>,
}

impl Catalog {
    pub fn kind(&self, id: &str) -> Option<&Kind> {
        self.kinds.iter().find(|k| k.id == id)
    }
}

/// One thing wrong with the catalog, and where.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based; 0 when the problem concerns the whole file or folder.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        }
    }
}

/// Every problem found, in file and line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the catalog has {} problem(s):", self.0.len())?;
        for p in &self.0 {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// Reads and validates every catalog file under `dir`.
pub fn load_dir(dir: &Path) -> Result<Catalog, Problems> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    collect_files(dir, &mut files, &mut problems);
    if files.is_empty() && problems.is_empty() {
        problems.push(Problem {
            file: dir.to_path_buf(),
            line: 0,
            message: "no catalog files (*.toml) found".into(),
        });
    }
    files.sort();
    let parsed = read_texts(files, &mut problems);
    let sources: Vec<(PathBuf, &str)> = parsed
        .iter()
        .map(|(p, t)| (p.clone(), t.as_str()))
        .collect();
    match validate(&sources) {
        Ok(catalog) if problems.is_empty() => Ok(catalog),
        Ok(_) => Err(Problems(sorted(problems))),
        Err(Problems(more)) => {
            problems.extend(more);
            Err(Problems(sorted(problems)))
        }
    }
}

/// Reads each file as UTF-8 text; files that cannot be read, or are not UTF-8, become
/// problems (catalog files and probe packs alike).
pub(crate) fn read_texts(
    files: Vec<PathBuf>,
    problems: &mut Vec<Problem>,
) -> Vec<(PathBuf, String)> {
    let mut texts = Vec::new();
    for path in files {
        match std::fs::read(&path) {
            Err(e) => problems.push(Problem {
                file: path,
                line: 0,
                message: format!("cannot be read: {e}"),
            }),
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(e) => problems.push(Problem {
                    file: path,
                    line: 0,
                    message: format!(
                        "is not UTF-8 text (invalid byte at offset {})",
                        e.utf8_error().valid_up_to()
                    ),
                }),
                Ok(text) => texts.push((path, text)),
            },
        }
    }
    texts
}

fn sorted(mut problems: Vec<Problem>) -> Vec<Problem> {
    problems.sort();
    problems.dedup();
    problems
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>, problems: &mut Vec<Problem>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(Problem {
                file: dir.to_path_buf(),
                line: 0,
                message: format!("cannot read the catalog folder: {e}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            // Probe packs have their own format and their own checker.
            if path.file_name().is_some_and(|n| n != "probes") {
                collect_files(&path, out, problems);
            }
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
}

/// Where an entry was defined, for "first defined at" messages.
#[derive(Clone)]
struct Loc {
    file: PathBuf,
    line: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// Validation state for one run over all files.
struct Validator {
    problems: Vec<Problem>,
}

impl Validator {
    fn report(&mut self, loc: &Loc, message: impl Into<String>) {
        self.problems.push(Problem {
            file: loc.file.clone(),
            line: loc.line,
            message: message.into(),
        });
    }

    /// Registers `key` in `seen`; reports a duplicate with the first definition's place.
    fn unique(
        &mut self,
        seen: &mut HashMap<String, Loc>,
        what: &str,
        key: &str,
        loc: &Loc,
    ) -> bool {
        if let Some(first) = seen.get(key) {
            let message = format!("duplicate {what} \"{key}\" (first defined at {first})");
            self.report(loc, message);
            false
        } else {
            seen.insert(key.to_string(), loc.clone());
            true
        }
    }

    fn slug(&mut self, loc: &Loc, what: &str, value: &str) -> bool {
        let ok = domain::is_slug(value);
        if !ok {
            self.report(
                loc,
                format!("{what} \"{value}\" is not a slug (lowercase a-z, 0-9, _)"),
            );
        }
        ok
    }

    fn id(&mut self, loc: &Loc, what: &str, value: &str) -> bool {
        let ok = domain::is_id(value);
        if !ok {
            self.report(
                loc,
                format!("{what} \"{value}\" is not an id (lowercase a-z, 0-9, _, -)"),
            );
        }
        ok
    }

    fn text(&mut self, loc: &Loc, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.report(loc, format!("{field} is empty"));
        }
    }

    fn day(&mut self, loc: &Loc, field: &str, value: &str) -> Option<NaiveDate> {
        time::parse_day(value)
            .map_err(|e| self.report(loc, format!("{field}: {e}")))
            .ok()
    }
}

/// Validates already-read files: `(path, text)` pairs.
pub fn validate(files: &[(PathBuf, &str)]) -> Result<Catalog, Problems> {
    let mut v = Validator {
        problems: Vec::new(),
    };
    let mut raws = Vec::new();
    for (path, text) in files {
        match toml::from_str::<RawFile>(text) {
            Ok(raw) => raws.push((path.clone(), *text, raw)),
            Err(e) => {
                let line = e.span().map_or(0, |s| line_of(text, s.start));
                let message = e.message().trim().to_string();
                v.problems.push(Problem {
                    file: path.clone(),
                    line,
                    message: format!("not valid catalog TOML: {message}"),
                });
            }
        }
    }
    let at = |path: &Path, text: &str, span: std::ops::Range<usize>| Loc {
        file: path.to_path_buf(),
        line: line_of(text, span.start),
    };
    let mut cat = Catalog::default();

    // Pass 1: everything that others refer to.
    let mut group_seen = HashMap::new();
    let mut platform_seen = HashMap::new();
    let mut method_seen = HashMap::new();
    let mut kind_seen = HashMap::new();
    let mut source_seen = HashMap::new();
    let mut group_ecosystems = Vec::new();
    let mut platform_groups = Vec::new();
    let mut method_groups = Vec::new();
    for (path, text, raw) in &raws {
        for g in &raw.group {
            let loc = at(path, text, g.span());
            let g = g.get_ref();
            let slug = g.slug.get_ref();
            let kloc = at(path, text, g.slug.span());
            if v.slug(&kloc, "group slug", slug)
                && v.unique(&mut group_seen, "group slug", slug, &kloc)
            {
                v.text(&loc, "name_zh", &g.name_zh);
                v.text(&loc, "name_en", &g.name_en);
                if let Some(e) = &g.ecosystem {
                    group_ecosystems.push((at(path, text, e.span()), e.get_ref().clone()));
                }
                cat.groups.push(Group {
                    slug: slug.clone(),
                    name_zh: g.name_zh.clone(),
                    name_en: g.name_en.clone(),
                    ecosystem: g.ecosystem.as_ref().map(|e| e.get_ref().clone()),
                    simulated: g.simulated.unwrap_or(false),
                });
            }
        }
        for p in &raw.platform {
            let loc = at(path, text, p.span());
            let p = p.get_ref();
            let slug = p.slug.get_ref();
            let kloc = at(path, text, p.slug.span());
            if v.slug(&kloc, "platform slug", slug)
                && v.unique(&mut platform_seen, "platform slug", slug, &kloc)
            {
                v.text(&loc, "name_zh", &p.name_zh);
                v.text(&loc, "name_en", &p.name_en);
                platform_groups.push((at(path, text, p.group.span()), p.group.get_ref().clone()));
                if !PLATFORM_KINDS.contains(&p.kind.get_ref().as_str()) {
                    let kloc = at(path, text, p.kind.span());
                    v.report(
                        &kloc,
                        format!(
                            "platform kind \"{}\" is not one of {}",
                            p.kind.get_ref(),
                            PLATFORM_KINDS.join(", ")
                        ),
                    );
                }
                for d in &p.domains {
                    let valid = !d.is_empty()
                        && d.contains('.')
                        && d.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
                    if !valid {
                        v.report(
                            &loc,
                            format!("domain \"{d}\" is not a host name like example.com"),
                        );
                    }
                }
                cat.platforms.push(Platform {
                    slug: slug.clone(),
                    name_zh: p.name_zh.clone(),
                    name_en: p.name_en.clone(),
                    group: p.group.get_ref().clone(),
                    kind: p.kind.get_ref().clone(),
                    domains: p.domains.iter().map(|d| d.to_ascii_lowercase()).collect(),
                });
            }
        }
        for m in &raw.method {
            let loc = at(path, text, m.span());
            let m = m.get_ref();
            let slug = m.slug.get_ref();
            let kloc = at(path, text, m.slug.span());
            if v.slug(&kloc, "payment method slug", slug)
                && v.unique(&mut method_seen, "payment method slug", slug, &kloc)
            {
                v.text(&loc, "name_zh", &m.name_zh);
                v.text(&loc, "name_en", &m.name_en);
                if m.aliases.iter().all(|a| a.trim().is_empty()) {
                    v.report(&loc, format!("payment method \"{slug}\" has no aliases"));
                }
                method_groups.push((at(path, text, m.group.span()), m.group.get_ref().clone()));
                cat.methods.push(Method {
                    slug: slug.clone(),
                    name_zh: m.name_zh.clone(),
                    name_en: m.name_en.clone(),
                    group: m.group.get_ref().clone(),
                    aliases: m.aliases.clone(),
                    code_prefixes: m.code_prefixes.clone(),
                });
            }
        }
        for k in &raw.kind {
            let loc = at(path, text, k.span());
            if let Some(kind) = validate_kind(&mut v, &loc, k.get_ref(), |s| at(path, text, s))
                && v.unique(&mut kind_seen, "check kind", &kind.id, &loc)
            {
                cat.kinds.push(kind);
            }
        }
        for s in &raw.source {
            let loc = at(path, text, s.span());
            let s = s.get_ref();
            let id = s.id.get_ref();
            let kloc = at(path, text, s.id.span());
            if !(v.id(&kloc, "source id", id) && v.unique(&mut source_seen, "source id", id, &kloc))
            {
                continue;
            }
            v.text(&loc, "publisher", &s.publisher);
            v.text(&loc, "title", &s.title);
            v.text(&loc, "language", &s.language);
            v.text(&loc, "region", &s.region);
            let kind = match s.kind.get_ref().as_str() {
                "article" => SourceKind::Article,
                "manual" => SourceKind::Manual,
                other => {
                    let kloc = at(path, text, s.kind.span());
                    v.report(
                        &kloc,
                        format!("source kind \"{other}\" is not article or manual"),
                    );
                    continue;
                }
            };
            let date = match &s.date {
                Some(d) => {
                    let dloc = at(path, text, d.span());
                    match v.day(&dloc, "date", d.get_ref()) {
                        Some(day) => Some(day),
                        None => continue,
                    }
                }
                None => None,
            };
            if let Some(u) = &s.url
                && url::Url::parse(u)
                    .map(|u| u.scheme() != "https" && u.scheme() != "http")
                    .unwrap_or(true)
            {
                v.report(&loc, format!("url \"{u}\" is not an http(s) URL"));
            }
            cat.sources.push(Source {
                id: id.clone(),
                kind,
                publisher: s.publisher.clone(),
                title: s.title.clone(),
                title_en: s.title_en.clone(),
                date,
                language: s.language.clone(),
                region: s.region.clone(),
                url: s.url.clone(),
            });
        }
    }
    for (loc, g) in group_ecosystems {
        if !group_seen.contains_key(&g) {
            v.report(&loc, format!("unknown group \"{g}\" as ecosystem"));
        }
    }
    for (loc, g) in platform_groups.into_iter().chain(method_groups) {
        if !group_seen.contains_key(&g) {
            v.report(&loc, format!("unknown group \"{g}\""));
        }
    }

    // Pass 2: checks, which refer to kinds, platforms and methods.
    let kinds: HashMap<&str, &Kind> = cat.kinds.iter().map(|k| (k.id.as_str(), k)).collect();
    let mut check_seen = HashMap::new();
    let mut checks = Vec::new();
    for (path, text, raw) in &raws {
        for c in &raw.checks {
            let loc = at(path, text, c.span());
            let c = c.get_ref();
            let Some(kind) = kinds.get(c.kind.get_ref().as_str()) else {
                let kloc = at(path, text, c.kind.span());
                v.report(
                    &kloc,
                    format!("unknown check kind \"{}\"", c.kind.get_ref()),
                );
                continue;
            };
            let sloc = at(path, text, c.subject.span());
            if !side_exists(
                kind.subject,
                c.subject.get_ref(),
                &platform_seen,
                &method_seen,
            ) {
                v.report(
                    &sloc,
                    format!(
                        "unknown {} \"{}\" as subject of a {} check",
                        kind.subject.as_str(),
                        c.subject.get_ref(),
                        kind.id
                    ),
                );
                continue;
            }
            if c.objects.is_empty() {
                v.report(&loc, "objects is empty: list at least one");
            }
            for o in &c.objects {
                let oloc = at(path, text, o.span());
                if !side_exists(kind.object, o.get_ref(), &platform_seen, &method_seen) {
                    v.report(
                        &oloc,
                        format!(
                            "unknown {} \"{}\" as object of a {} check",
                            kind.object.as_str(),
                            o.get_ref(),
                            kind.id
                        ),
                    );
                    continue;
                }
                let id = domain::check_id(&kind.id, c.subject.get_ref(), o.get_ref());
                if v.unique(&mut check_seen, "check", &id, &oloc) {
                    checks.push(Check {
                        id,
                        kind: kind.id.clone(),
                        subject: c.subject.get_ref().clone(),
                        object: o.get_ref().clone(),
                    });
                }
            }
        }
    }
    cat.checks = checks;

    // Pass 3: everything that cites sources and checks.
    let checks_by_id: HashMap<&str, &Check> =
        cat.checks.iter().map(|c| (c.id.as_str(), c)).collect();
    let sources_by_id: HashMap<&str, &Source> =
        cat.sources.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut milestone_seen = HashMap::new();
    let mut requirement_seen = HashMap::new();
    let mut observation_seen = HashMap::new();
    let mut milestones = Vec::new();
    let mut requirements = Vec::new();
    let mut observations = Vec::new();
    for (path, text, raw) in &raws {
        let loc_of = |s: std::ops::Range<usize>| at(path, text, s);
        for m in &raw.milestone {
            let loc = loc_of(m.span());
            let m = m.get_ref();
            let id = m.id.get_ref();
            let kloc = loc_of(m.id.span());
            if !(v.id(&kloc, "milestone id", id)
                && v.unique(&mut milestone_seen, "milestone id", id, &kloc))
            {
                continue;
            }
            v.text(&loc, "title_zh", &m.title_zh);
            v.text(&loc, "title_en", &m.title_en);
            let date = v.day(&loc_of(m.date.span()), "date", m.date.get_ref());
            let source_ok = known(
                &mut v,
                &loc_of(m.source.span()),
                "source",
                m.source.get_ref(),
                |s| sources_by_id.contains_key(s),
            );
            for k in &m.kinds {
                known(&mut v, &loc, "check kind", k, |k| kinds.contains_key(k));
            }
            for p in &m.platforms {
                known(&mut v, &loc, "platform", p, |p| {
                    platform_seen.contains_key(p)
                });
            }
            if let (Some(date), true) = (date, source_ok) {
                milestones.push(Milestone {
                    id: id.clone(),
                    date,
                    approximate: m.approximate,
                    title_zh: m.title_zh.clone(),
                    title_en: m.title_en.clone(),
                    source: m.source.get_ref().clone(),
                    kinds: m.kinds.clone(),
                    platforms: m.platforms.clone(),
                });
            }
        }
        for r in &raw.requirement {
            let loc = loc_of(r.span());
            let r = r.get_ref();
            let id = r.id.get_ref();
            let kloc = loc_of(r.id.span());
            if !(v.id(&kloc, "requirement id", id)
                && v.unique(&mut requirement_seen, "requirement id", id, &kloc))
            {
                continue;
            }
            for (field, value) in [
                ("authority_zh", &r.authority_zh),
                ("authority_en", &r.authority_en),
                ("title_zh", &r.title_zh),
                ("title_en", &r.title_en),
            ] {
                v.text(&loc, field, value);
            }
            let issued = v.day(&loc_of(r.issued.span()), "issued", r.issued.get_ref());
            let tz_name = r
                .timezone
                .clone()
                .unwrap_or_else(|| SHANGHAI.name().to_string());
            let tz: Option<Tz> = match tz_name.parse() {
                Ok(tz) => Some(tz),
                Err(_) => {
                    v.report(
                        &loc,
                        format!(
                            "timezone \"{tz_name}\" is not an IANA time zone such as Asia/Shanghai"
                        ),
                    );
                    None
                }
            };
            let deadline = match (&r.deadline, tz) {
                (Some(d), Some(tz)) => match time::parse_day_or_time(d.get_ref()) {
                    Ok(DayOrTime::Day(day)) => Some(Some(time::end_of_day(day, tz))),
                    Ok(DayOrTime::Time(t)) => Some(Some(time::local_to_utc(t, tz))),
                    Err(e) => {
                        v.report(&loc_of(d.span()), format!("deadline: {e}"));
                        None
                    }
                },
                (None, _) => Some(None),
                (Some(_), None) => None,
            };
            if let (Some(Some(deadline)), Some(issued)) = (deadline, issued)
                && time::shanghai_day(deadline) < issued
            {
                v.report(&loc, "deadline is before the requirement was issued");
            }
            let source_ok = known(
                &mut v,
                &loc_of(r.source.span()),
                "source",
                r.source.get_ref(),
                |s| sources_by_id.contains_key(s),
            );
            let scope_loc = loc_of(r.scope.span());
            let scope = r.scope.get_ref();
            let Some(kind) = kinds.get(scope.kind.as_str()) else {
                v.report(
                    &scope_loc,
                    format!("unknown check kind \"{}\" in scope", scope.kind),
                );
                continue;
            };
            for s in &scope.subjects {
                known(&mut v, &scope_loc, "platform", s, |p| {
                    platform_seen.contains_key(p)
                });
            }
            for k in &scope.subject_kinds {
                if !PLATFORM_KINDS.contains(&k.as_str()) {
                    v.report(
                        &scope_loc,
                        format!(
                            "platform kind \"{k}\" is not one of {}",
                            PLATFORM_KINDS.join(", ")
                        ),
                    );
                }
            }
            let cloc = loc_of(r.compliant.span());
            if r.compliant.get_ref().is_empty() {
                v.report(&cloc, "compliant is empty: name the statuses that comply");
            }
            for s in r.compliant.get_ref() {
                on_ladder(&mut v, &cloc, kind, s);
            }
            if let (Some(issued), Some(deadline), true) = (issued, deadline, source_ok) {
                requirements.push(Requirement {
                    id: id.clone(),
                    authority_zh: r.authority_zh.clone(),
                    authority_en: r.authority_en.clone(),
                    title_zh: r.title_zh.clone(),
                    title_en: r.title_en.clone(),
                    issued,
                    deadline,
                    timezone: tz_name,
                    scope: scope.clone(),
                    compliant: r.compliant.get_ref().clone(),
                    source: r.source.get_ref().clone(),
                });
            }
        }
        for o in &raw.observation {
            let loc = loc_of(o.span());
            let o = o.get_ref();
            let id = o.id.get_ref();
            if !v.id(&loc, "observation id", id) {
                continue;
            }
            let targets: Vec<&S> = match (&o.check, &o.checks) {
                (Some(c), None) => vec![c],
                (None, Some(cs)) if !cs.is_empty() => cs.iter().collect(),
                (None, _) => {
                    v.report(&loc, "an observation needs `check` or a non-empty `checks`");
                    continue;
                }
                (Some(_), Some(_)) => {
                    v.report(
                        &loc,
                        "an observation has either `check` or `checks`, not both",
                    );
                    continue;
                }
            };
            let source = match sources_by_id.get(o.source.get_ref().as_str()) {
                Some(s) => Some(*s),
                None => {
                    v.report(
                        &loc_of(o.source.span()),
                        format!("unknown source \"{}\"", o.source.get_ref()),
                    );
                    None
                }
            };
            let when = match time::parse_day_or_time(o.at.get_ref()) {
                Ok(DayOrTime::Day(day)) => Some((time::start_of_day(day, SHANGHAI), day)),
                Ok(DayOrTime::Time(t)) => Some((time::local_to_utc(t, SHANGHAI), t.date())),
                Err(e) => {
                    v.report(&loc_of(o.at.span()), format!("at: {e}"));
                    None
                }
            };
            if let (Some((_, day)), Some(source)) = (when, source)
                && let Some(published) = source.date
                && day > published
            {
                v.report(
                    &loc_of(o.at.span()),
                    format!(
                        "at {day} is after its source \"{}\" was published ({published})",
                        source.id
                    ),
                );
            }
            let precision = if o.approximate {
                Precision::Approximate
            } else if matches!(
                time::parse_day_or_time(o.at.get_ref()),
                Ok(DayOrTime::Time(_))
            ) {
                Precision::Instant
            } else {
                Precision::Day
            };
            for target in targets {
                let tloc = loc_of(target.span());
                let key = if o.checks.is_some() {
                    format!("{id}/{}", target.get_ref())
                } else {
                    id.clone()
                };
                if !v.unique(&mut observation_seen, "observation id", &key, &tloc) {
                    continue;
                }
                let Some(check) = checks_by_id.get(target.get_ref().as_str()) else {
                    v.report(
                        &tloc,
                        format!(
                            "unknown check \"{}\" (declare it under [[checks]])",
                            target.get_ref()
                        ),
                    );
                    continue;
                };
                let status_ok = kinds.get(check.kind.as_str()).is_some_and(|kind| {
                    on_ladder(&mut v, &loc_of(o.status.span()), kind, o.status.get_ref())
                });
                if let (true, Some((observed_at, _)), Some(source)) = (status_ok, when, source) {
                    observations.push(Observation {
                        key,
                        check: check.id.clone(),
                        observed_at,
                        precision,
                        status: o.status.get_ref().clone(),
                        source: source.id.clone(),
                        source_kind: source.kind,
                        vantage: source.region.clone(),
                        quote: o.quote.clone().filter(|q| !q.trim().is_empty()),
                        note_en: o.note_en.clone().filter(|n| !n.trim().is_empty()),
                        note_zh: o.note_zh.clone().filter(|n| !n.trim().is_empty()),
                    });
                }
            }
        }
    }
    cat.milestones = milestones;
    cat.requirements = requirements;
    cat.observations = observations;

    if v.problems.is_empty() {
        Ok(cat)
    } else {
        Err(Problems(sorted(v.problems)))
    }
}

fn validate_kind(
    v: &mut Validator,
    loc: &Loc,
    k: &raw::RawKind,
    at: impl Fn(std::ops::Range<usize>) -> Loc,
) -> Option<Kind> {
    let id = k.id.get_ref();
    if !v.slug(loc, "check kind id", id) {
        return None;
    }
    let side = |v: &mut Validator, field: &str, value: &S| match value.get_ref().as_str() {
        "platform" => Some(Side::Platform),
        "method" => Some(Side::Method),
        other => {
            v.report(
                &at(value.span()),
                format!("{field} \"{other}\" is not platform or method"),
            );
            None
        }
    };
    let subject = side(v, "subject", &k.subject);
    let object = side(v, "object", &k.object);
    if k.status.is_empty() {
        v.report(
            loc,
            format!("check kind \"{id}\" has no [[kind.status]] ladder"),
        );
    }
    let mut seen = HashSet::new();
    let mut statuses = Vec::new();
    for s in &k.status {
        let sloc = at(s.span());
        let s = s.get_ref();
        if s.id == domain::UNKNOWN {
            v.report(
                &sloc,
                "status \"unknown\" is implicit in every ladder: do not declare it",
            );
            continue;
        }
        if !v.slug(&sloc, "status id", &s.id) {
            continue;
        }
        if !seen.insert(s.id.clone()) {
            v.report(
                &sloc,
                format!("duplicate status \"{}\" in the ladder of \"{id}\"", s.id),
            );
            continue;
        }
        if !(0.0..=1.0).contains(&s.score) {
            v.report(
                &sloc,
                format!(
                    "score {} of status \"{}\" is not between 0.0 and 1.0",
                    s.score, s.id
                ),
            );
        }
        statuses.push(Status {
            id: s.id.clone(),
            label_zh: s.label_zh.clone(),
            label_en: s.label_en.clone(),
            description_en: s.description_en.clone(),
            score: s.score,
        });
    }
    if statuses.windows(2).any(|w| w[0].score < w[1].score) {
        v.report(
            loc,
            format!("the ladder of \"{id}\" must be ordered most open first (scores descending)"),
        );
    }
    Some(Kind {
        id: id.clone(),
        name_zh: k.name_zh.clone(),
        name_en: k.name_en.clone(),
        subject: subject?,
        object: object?,
        subject_label_zh: k.subject_label_zh.clone(),
        subject_label_en: k.subject_label_en.clone(),
        object_label_zh: k.object_label_zh.clone(),
        object_label_en: k.object_label_en.clone(),
        statuses,
    })
}

fn side_exists(
    side: Side,
    slug: &str,
    platforms: &HashMap<String, Loc>,
    methods: &HashMap<String, Loc>,
) -> bool {
    match side {
        Side::Platform => platforms.contains_key(slug),
        Side::Method => methods.contains_key(slug),
    }
}

fn known(
    v: &mut Validator,
    loc: &Loc,
    what: &str,
    value: &str,
    exists: impl Fn(&str) -> bool,
) -> bool {
    let ok = exists(value);
    if !ok {
        v.report(loc, format!("unknown {what} \"{value}\""));
    }
    ok
}

fn on_ladder(v: &mut Validator, loc: &Loc, kind: &Kind, status: &str) -> bool {
    let ok = kind.statuses.iter().any(|s| s.id == status);
    if !ok {
        let ladder: Vec<&str> = kind.statuses.iter().map(|s| s.id.as_str()).collect();
        v.report(
            loc,
            format!(
                "status \"{status}\" is not on the ladder of {} checks ({})",
                kind.id,
                ladder.join(", ")
            ),
        );
    }
    ok
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Counts per table, for `catalog check` and `catalog load` summaries.
pub fn summary(cat: &Catalog) -> BTreeMap<&'static str, usize> {
    BTreeMap::from([
        ("groups", cat.groups.len()),
        ("platforms", cat.platforms.len()),
        ("payment methods", cat.methods.len()),
        ("check kinds", cat.kinds.len()),
        ("checks", cat.checks.len()),
        ("sources", cat.sources.len()),
        ("milestones", cat.milestones.len()),
        ("requirements", cat.requirements.len()),
        ("observations", cat.observations.len()),
    ])
}

#[cfg(test)]
mod tests;
