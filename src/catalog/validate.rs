//! Validation of the catalog files, one function per section, in the order sections refer
//! to each other (groups, platforms, methods, kinds, sources, checks, then the facts).
//!
//! Every problem of every entry is reported in one run: a section checks each field of an
//! entry even when another is wrong, and registers the entry's key even when the entry is
//! broken, so what refers to it is not reported a second time. A file that does not parse
//! is reported alone: the others are not checked against it (they would only echo it).

use super::raw::{self, RawFile, S};
use super::read::{self, is_placeholder};
use super::text::control_characters;
use super::{Catalog, LineIndex, Observation, Problem, Problems, line_of, sorted};
use crate::domain::{
    self, Check, Group, Kind, Method, Milestone, PLATFORM_KINDS, Platform, Precision, Requirement,
    Side, Source, SourceKind, Status,
};
use crate::time::{self, DayOrTime, SHANGHAI};
use chrono::NaiveDate;
use chrono_tz::Tz;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Where an entry or field was defined, for messages and "first defined at".
#[derive(Clone)]
struct Loc {
    file: PathBuf,
    line: usize,
    /// A placeholder for a missing or ill-typed field: its mistake is already reported.
    placeholder: bool,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// One parsed file and its entries.
struct File<'a> {
    path: &'a Path,
    lines: LineIndex,
    raw: RawFile,
}

impl File<'_> {
    fn loc(&self, span: Range<usize>) -> Loc {
        Loc {
            file: self.path.to_path_buf(),
            line: if is_placeholder(&span) {
                0
            } else {
                self.lines.line(span.start)
            },
            placeholder: is_placeholder(&span),
        }
    }
}

/// Every key defined so far, by namespace, with where it was first defined. An entry's key
/// is registered even when the entry is broken.
#[derive(Default)]
struct Seen {
    groups: HashMap<String, Loc>,
    platforms: HashMap<String, Loc>,
    methods: HashMap<String, Loc>,
    kinds: HashMap<String, Loc>,
    sources: HashMap<String, Loc>,
    checks: HashMap<String, Loc>,
    milestones: HashMap<String, Loc>,
    requirements: HashMap<String, Loc>,
    observations: HashMap<String, Loc>,
}

/// What a reference resolves to.
enum Ref<'a, T> {
    Valid(&'a T),
    /// Defined, but the definition has problems of its own (already reported).
    Broken,
    Unknown,
}

fn resolve<'a, T>(
    key: &str,
    valid: &HashMap<&str, &'a T>,
    seen: &HashMap<String, Loc>,
) -> Ref<'a, T> {
    match valid.get(key) {
        Some(t) => Ref::Valid(*t),
        None if seen.contains_key(key) => Ref::Broken,
        None => Ref::Unknown,
    }
}

struct Validator {
    problems: Vec<Problem>,
    seen: Seen,
}

impl Validator {
    fn report(&mut self, loc: &Loc, message: impl Into<String>) {
        if loc.placeholder {
            return;
        }
        self.problems.push(Problem {
            file: loc.file.clone(),
            line: loc.line,
            column: 0,
            message: message.into(),
        });
    }

    /// Registers `key` in `seen`; reports a duplicate with the first definition's place.
    fn unique(
        seen: &mut HashMap<String, Loc>,
        problems: &mut Vec<Problem>,
        what: &str,
        key: &str,
        loc: &Loc,
    ) -> bool {
        if let Some(first) = seen.get(key) {
            if !loc.placeholder {
                problems.push(Problem {
                    file: loc.file.clone(),
                    line: loc.line,
                    column: 0,
                    message: format!("duplicate {what} \"{key}\" (first defined at {first})"),
                });
            }
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

    fn text(&mut self, file: &File<'_>, field: &str, value: &S) {
        if value.get_ref().trim().is_empty() {
            self.report(&file.loc(value.span()), format!("{field} is empty"));
        }
    }

    /// A text meant for Chinese pages must be written in Chinese: one holding no Chinese
    /// character is most likely the English pasted in (a Chinese page would show it).
    fn chinese(&mut self, file: &File<'_>, field: &str, value: &S) {
        let text = value.get_ref();
        if !text.trim().is_empty() && !text.chars().any(is_han) {
            self.report(
                &file.loc(value.span()),
                format!("{field} holds no Chinese character: it is shown on Chinese pages, write it in Chinese"),
            );
        }
    }

    fn day(&mut self, loc: &Loc, field: &str, value: &str) -> Option<NaiveDate> {
        time::parse_day(value)
            .map_err(|e| self.report(loc, format!("{field}: {e}")))
            .ok()
    }

    /// Reports a reference to something never defined; `true` when it is defined.
    fn known(
        &mut self,
        loc: &Loc,
        what: &str,
        value: &str,
        seen: impl Fn(&Seen) -> &HashMap<String, Loc>,
    ) -> bool {
        let ok = seen(&self.seen).contains_key(value);
        if !ok {
            self.report(loc, format!("unknown {what} \"{value}\""));
        }
        ok
    }
}

/// Validates already-read files (`(path, text)` pairs). `unreadable` lists the problems
/// of files that could not even be read: like files that do not parse, they are reported
/// alone.
pub(super) fn run(
    files: &[(PathBuf, &str)],
    unreadable: Vec<Problem>,
) -> Result<Catalog, Problems> {
    let mut broken = unreadable;
    let mut parsed = Vec::new();
    for (path, text) in files {
        match read::parse(text) {
            Ok(doc) => parsed.push((path.as_path(), *text, doc)),
            Err((offset, message)) => broken.push(Problem {
                file: path.clone(),
                line: line_of(text, offset),
                column: 0,
                message: format!("not valid TOML: {message}"),
            }),
        }
    }
    if !broken.is_empty() {
        let mut not_parsed: Vec<PathBuf> = broken.iter().map(|p| p.file.clone()).collect();
        not_parsed.sort();
        not_parsed.dedup();
        let others_parsed = !parsed.is_empty();
        return Err(Problems(
            sorted(broken),
            if others_parsed {
                not_parsed
            } else {
                Vec::new()
            },
        ));
    }

    let mut v = Validator {
        problems: Vec::new(),
        seen: Seen::default(),
    };
    let mut read_files = Vec::new();
    for (path, text, doc) in &parsed {
        v.problems
            .extend(control_characters(path, text, doc, &raw::MULTILINE_FIELDS));
        let (raw, mistakes) = RawFile::read(doc);
        let lines = LineIndex::new(text);
        for (span, message) in mistakes {
            v.problems.push(Problem {
                file: path.to_path_buf(),
                line: lines.line(span.start),
                column: 0,
                message,
            });
        }
        read_files.push(File { path, lines, raw });
    }
    let files = &read_files;

    let mut cat = Catalog {
        groups: groups(&mut v, files),
        ..Catalog::default()
    };
    cat.platforms = platforms(&mut v, files);
    cat.methods = methods(&mut v, files);
    cat.kinds = kinds(&mut v, files);
    cat.sources = sources(&mut v, files);
    let kinds: HashMap<&str, &Kind> = cat.kinds.iter().map(|k| (k.id.as_str(), k)).collect();
    cat.checks = checks(&mut v, files, &kinds);
    let sources: HashMap<&str, &Source> = cat.sources.iter().map(|s| (s.id.as_str(), s)).collect();
    let checks_by_id: HashMap<&str, &Check> =
        cat.checks.iter().map(|c| (c.id.as_str(), c)).collect();
    let milestones = milestones(&mut v, files);
    let requirements = requirements(&mut v, files, &kinds, &sources);
    let observations = observations(&mut v, files, &kinds, &sources, &checks_by_id);
    cat.milestones = milestones;
    cat.requirements = requirements;
    cat.observations = observations;

    if v.problems.is_empty() {
        Ok(cat)
    } else {
        Err(Problems(sorted(v.problems), Vec::new()))
    }
}

fn groups(v: &mut Validator, files: &[File<'_>]) -> Vec<Group> {
    let mut out = Vec::new();
    for f in files {
        for g in &f.raw.group {
            let g = g.get_ref();
            let slug = g.slug.get_ref();
            let kloc = f.loc(g.slug.span());
            let valid = v.slug(&kloc, "group slug", slug);
            let new = Validator::unique(
                &mut v.seen.groups,
                &mut v.problems,
                "group slug",
                slug,
                &kloc,
            );
            v.text(f, "name_zh", &g.name_zh);
            v.text(f, "name_en", &g.name_en);
            if valid && new {
                out.push(Group {
                    slug: slug.clone(),
                    name_zh: g.name_zh.get_ref().clone(),
                    name_en: g.name_en.get_ref().clone(),
                    ecosystem: g.ecosystem.as_ref().map(|e| e.get_ref().clone()),
                    simulated: g.simulated.unwrap_or(false),
                });
            }
        }
    }
    // An ecosystem may be a group defined later: check once all are known.
    for f in files {
        for g in &f.raw.group {
            if let Some(e) = &g.get_ref().ecosystem
                && !v.seen.groups.contains_key(e.get_ref())
            {
                v.report(
                    &f.loc(e.span()),
                    format!("unknown group \"{}\" as ecosystem", e.get_ref()),
                );
            }
        }
    }
    out
}

fn platforms(v: &mut Validator, files: &[File<'_>]) -> Vec<Platform> {
    let mut out = Vec::new();
    for f in files {
        for p in &f.raw.platform {
            let p = p.get_ref();
            let slug = p.slug.get_ref();
            let kloc = f.loc(p.slug.span());
            let valid = v.slug(&kloc, "platform slug", slug);
            let new = Validator::unique(
                &mut v.seen.platforms,
                &mut v.problems,
                "platform slug",
                slug,
                &kloc,
            );
            v.text(f, "name_zh", &p.name_zh);
            v.text(f, "name_en", &p.name_en);
            v.known(&f.loc(p.group.span()), "group", p.group.get_ref(), |s| {
                &s.groups
            });
            if !PLATFORM_KINDS.contains(&p.kind.get_ref().as_str()) {
                v.report(
                    &f.loc(p.kind.span()),
                    format!(
                        "platform kind \"{}\" is not one of {}",
                        p.kind.get_ref(),
                        PLATFORM_KINDS.join(", ")
                    ),
                );
            }
            for d in &p.domains {
                let host = d.get_ref();
                let looks_like_host = !host.is_empty()
                    && host.contains('.')
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
                if !looks_like_host {
                    v.report(
                        &f.loc(d.span()),
                        format!("domain \"{host}\" is not a host name like example.com"),
                    );
                }
            }
            if valid && new {
                out.push(Platform {
                    slug: slug.clone(),
                    name_zh: p.name_zh.get_ref().clone(),
                    name_en: p.name_en.get_ref().clone(),
                    group: p.group.get_ref().clone(),
                    kind: p.kind.get_ref().clone(),
                    domains: p
                        .domains
                        .iter()
                        .map(|d| d.get_ref().to_ascii_lowercase())
                        .collect(),
                });
            }
        }
    }
    out
}

fn methods(v: &mut Validator, files: &[File<'_>]) -> Vec<Method> {
    let mut out = Vec::new();
    for f in files {
        for m in &f.raw.method {
            let loc = f.loc(m.span());
            let m = m.get_ref();
            let slug = m.slug.get_ref();
            let kloc = f.loc(m.slug.span());
            let valid = v.slug(&kloc, "payment method slug", slug);
            let new = Validator::unique(
                &mut v.seen.methods,
                &mut v.problems,
                "payment method slug",
                slug,
                &kloc,
            );
            v.text(f, "name_zh", &m.name_zh);
            v.text(f, "name_en", &m.name_en);
            let aliases = m
                .aliases
                .as_ref()
                .map(|a| a.get_ref().as_slice())
                .unwrap_or_default();
            if aliases.iter().all(|a| a.trim().is_empty()) {
                let aloc = m.aliases.as_ref().map_or(loc, |a| f.loc(a.span()));
                v.report(&aloc, format!("payment method \"{slug}\" has no aliases"));
            }
            v.known(&f.loc(m.group.span()), "group", m.group.get_ref(), |s| {
                &s.groups
            });
            if valid && new {
                out.push(Method {
                    slug: slug.clone(),
                    name_zh: m.name_zh.get_ref().clone(),
                    name_en: m.name_en.get_ref().clone(),
                    group: m.group.get_ref().clone(),
                    aliases: aliases.to_vec(),
                    code_prefixes: m.code_prefixes.clone(),
                });
            }
        }
    }
    out
}

fn kinds(v: &mut Validator, files: &[File<'_>]) -> Vec<Kind> {
    let mut out = Vec::new();
    for f in files {
        for k in &f.raw.kind {
            let loc = f.loc(k.span());
            let kloc = f.loc(k.get_ref().id.span());
            let id = k.get_ref().id.get_ref();
            let new =
                Validator::unique(&mut v.seen.kinds, &mut v.problems, "check kind", id, &kloc);
            if let Some(kind) = kind(v, f, &loc, k.get_ref())
                && new
            {
                out.push(kind);
            }
        }
    }
    out
}

fn kind(v: &mut Validator, f: &File<'_>, loc: &Loc, k: &raw::RawKind) -> Option<Kind> {
    let id = k.id.get_ref();
    let valid = v.slug(&f.loc(k.id.span()), "check kind id", id);
    let mut side = |field: &str, value: &S| match value.get_ref().as_str() {
        "platform" => Some(Side::Platform),
        "method" => Some(Side::Method),
        other => {
            v.report(
                &f.loc(value.span()),
                format!("{field} \"{other}\" is not platform or method"),
            );
            None
        }
    };
    let subject = side("subject", &k.subject);
    let object = side("object", &k.object);
    if k.status.is_empty() {
        v.report(
            loc,
            format!("check kind \"{id}\" has no [[kind.status]] ladder"),
        );
    }
    let mut seen = HashSet::new();
    let mut statuses = Vec::new();
    let mut scores_known = true;
    for s in &k.status {
        let s = s.get_ref();
        let sid = s.id.get_ref();
        let sloc = f.loc(s.id.span());
        if sid == domain::UNKNOWN {
            v.report(
                &sloc,
                "status \"unknown\" is implicit in every ladder: do not declare it",
            );
            continue;
        }
        let valid_id = v.slug(&sloc, "status id", sid);
        if !seen.insert(sid.clone()) {
            v.report(
                &sloc,
                format!("duplicate status \"{sid}\" in the ladder of \"{id}\""),
            );
            continue;
        }
        let score = *s.score.get_ref();
        scores_known &= !is_placeholder(&s.score.span());
        if !(0.0..=1.0).contains(&score) {
            v.report(
                &f.loc(s.score.span()),
                format!("score {score} of status \"{sid}\" is not between 0.0 and 1.0"),
            );
        }
        if valid_id {
            statuses.push(Status {
                id: sid.clone(),
                label_zh: s.label_zh.clone(),
                label_en: s.label_en.clone(),
                description_en: s.description_en.clone(),
                score,
            });
        }
    }
    if scores_known && statuses.windows(2).any(|w| w[0].score < w[1].score) {
        v.report(
            loc,
            format!("the ladder of \"{id}\" must be ordered most open first (scores descending)"),
        );
    }
    if !valid {
        return None;
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

fn sources(v: &mut Validator, files: &[File<'_>]) -> Vec<Source> {
    let mut out = Vec::new();
    for f in files {
        for s in &f.raw.source {
            let s = s.get_ref();
            let id = s.id.get_ref();
            let kloc = f.loc(s.id.span());
            let valid = v.id(&kloc, "source id", id);
            let new =
                Validator::unique(&mut v.seen.sources, &mut v.problems, "source id", id, &kloc);
            v.text(f, "publisher", &s.publisher);
            v.text(f, "title", &s.title);
            v.text(f, "language", &s.language);
            v.text(f, "region", &s.region);
            let kind = match s.kind.get_ref().as_str() {
                "article" => Some(SourceKind::Article),
                "manual" => Some(SourceKind::Manual),
                other => {
                    v.report(
                        &f.loc(s.kind.span()),
                        format!("source kind \"{other}\" is not article or manual"),
                    );
                    None
                }
            };
            let date = match &s.date {
                Some(d) => v.day(&f.loc(d.span()), "date", d.get_ref()).map(Some),
                None => Some(None),
            };
            if let Some(u) = &s.url
                && url::Url::parse(u.get_ref())
                    .map(|u| u.scheme() != "https" && u.scheme() != "http")
                    .unwrap_or(true)
            {
                v.report(
                    &f.loc(u.span()),
                    format!("url \"{}\" is not an http(s) URL", u.get_ref()),
                );
            }
            if let (true, true, Some(kind), Some(date)) = (valid, new, kind, date) {
                out.push(Source {
                    id: id.clone(),
                    kind,
                    publisher: s.publisher.get_ref().clone(),
                    title: s.title.get_ref().clone(),
                    title_en: s.title_en.clone(),
                    date,
                    language: s.language.get_ref().clone(),
                    region: s.region.get_ref().clone(),
                    url: s.url.as_ref().map(|u| u.get_ref().clone()),
                });
            }
        }
    }
    out
}

fn side_exists(seen: &Seen, side: Side, slug: &str) -> bool {
    match side {
        Side::Platform => seen.platforms.contains_key(slug),
        Side::Method => seen.methods.contains_key(slug),
    }
}

fn checks(v: &mut Validator, files: &[File<'_>], kinds: &HashMap<&str, &Kind>) -> Vec<Check> {
    let mut out = Vec::new();
    for f in files {
        for c in &f.raw.checks {
            let c = c.get_ref();
            let kind_id = c.kind.get_ref();
            let kind = match resolve(kind_id, kinds, &v.seen.kinds) {
                Ref::Valid(k) => Some(k),
                Ref::Broken => None,
                Ref::Unknown => {
                    v.report(
                        &f.loc(c.kind.span()),
                        format!("unknown check kind \"{kind_id}\""),
                    );
                    None
                }
            };
            let subject = c.subject.get_ref();
            let subject_ok = match kind {
                Some(kind) if !side_exists(&v.seen, kind.subject, subject) => {
                    v.report(
                        &f.loc(c.subject.span()),
                        format!(
                            "unknown {} \"{subject}\" as subject of a {} check",
                            kind.subject.as_str(),
                            kind.id
                        ),
                    );
                    false
                }
                Some(_) => true,
                None => false,
            };
            if c.objects.get_ref().is_empty() {
                v.report(
                    &f.loc(c.objects.span()),
                    "objects is empty: list at least one",
                );
            }
            for o in c.objects.get_ref() {
                let oloc = f.loc(o.span());
                let object_ok = match kind {
                    Some(kind) if !side_exists(&v.seen, kind.object, o.get_ref()) => {
                        v.report(
                            &oloc,
                            format!(
                                "unknown {} \"{}\" as object of a {} check",
                                kind.object.as_str(),
                                o.get_ref(),
                                kind.id
                            ),
                        );
                        false
                    }
                    Some(_) => true,
                    None => false,
                };
                // Registered even when broken, so observations of it are not reported too.
                let id = domain::check_id(kind_id, subject, o.get_ref());
                let new =
                    Validator::unique(&mut v.seen.checks, &mut v.problems, "check", &id, &oloc);
                if let (Some(kind), true, true, true) = (kind, subject_ok, object_ok, new) {
                    out.push(Check {
                        id,
                        kind: kind.id.clone(),
                        subject: subject.clone(),
                        object: o.get_ref().clone(),
                    });
                }
            }
        }
    }
    out
}

fn milestones(v: &mut Validator, files: &[File<'_>]) -> Vec<Milestone> {
    let mut out = Vec::new();
    for f in files {
        for m in &f.raw.milestone {
            let m = m.get_ref();
            let id = m.id.get_ref();
            let kloc = f.loc(m.id.span());
            let valid = v.id(&kloc, "milestone id", id);
            let new = Validator::unique(
                &mut v.seen.milestones,
                &mut v.problems,
                "milestone id",
                id,
                &kloc,
            );
            v.text(f, "title_zh", &m.title_zh);
            v.chinese(f, "title_zh", &m.title_zh);
            v.text(f, "title_en", &m.title_en);
            let date = v.day(&f.loc(m.date.span()), "date", m.date.get_ref());
            let source_ok = v.known(&f.loc(m.source.span()), "source", m.source.get_ref(), |s| {
                &s.sources
            });
            for k in &m.kinds {
                v.known(&f.loc(k.span()), "check kind", k.get_ref(), |s| &s.kinds);
            }
            for p in &m.platforms {
                v.known(&f.loc(p.span()), "platform", p.get_ref(), |s| &s.platforms);
            }
            if let (true, true, Some(date), true) = (valid, new, date, source_ok) {
                out.push(Milestone {
                    id: id.clone(),
                    date,
                    approximate: m.approximate,
                    title_zh: m.title_zh.get_ref().clone(),
                    title_en: m.title_en.get_ref().clone(),
                    source: m.source.get_ref().clone(),
                    kinds: m.kinds.iter().map(|k| k.get_ref().clone()).collect(),
                    platforms: m.platforms.iter().map(|p| p.get_ref().clone()).collect(),
                });
            }
        }
    }
    out
}

fn requirements(
    v: &mut Validator,
    files: &[File<'_>],
    kinds: &HashMap<&str, &Kind>,
    sources: &HashMap<&str, &Source>,
) -> Vec<Requirement> {
    let mut out = Vec::new();
    for f in files {
        for r in &f.raw.requirement {
            let loc = f.loc(r.span());
            let r = r.get_ref();
            let id = r.id.get_ref();
            let kloc = f.loc(r.id.span());
            let valid = v.id(&kloc, "requirement id", id);
            let new = Validator::unique(
                &mut v.seen.requirements,
                &mut v.problems,
                "requirement id",
                id,
                &kloc,
            );
            for (field, value) in [
                ("authority_zh", &r.authority_zh),
                ("authority_en", &r.authority_en),
                ("title_zh", &r.title_zh),
                ("title_en", &r.title_en),
            ] {
                v.text(f, field, value);
            }
            v.chinese(f, "authority_zh", &r.authority_zh);
            v.chinese(f, "title_zh", &r.title_zh);
            let issued = v.day(&f.loc(r.issued.span()), "issued", r.issued.get_ref());
            let tz_name = r
                .timezone
                .as_ref()
                .map_or_else(|| SHANGHAI.name().to_string(), |t| t.get_ref().clone());
            let tz: Option<Tz> = match tz_name.parse() {
                Ok(tz) => Some(tz),
                Err(_) => {
                    let tloc = r.timezone.as_ref().map_or(loc.clone(), |t| f.loc(t.span()));
                    v.report(
                        &tloc,
                        format!(
                            "timezone \"{tz_name}\" is not an IANA time zone such as Asia/Shanghai"
                        ),
                    );
                    None
                }
            };
            let deadline = match &r.deadline {
                None => Some(None),
                Some(d) => match time::parse_day_or_time(d.get_ref()) {
                    Ok(day_or_time) => tz.map(|tz| {
                        Some(match day_or_time {
                            DayOrTime::Day(day) => time::end_of_day(day, tz),
                            DayOrTime::Time(t) => time::local_to_utc(t, tz),
                        })
                    }),
                    Err(e) => {
                        v.report(&f.loc(d.span()), format!("deadline: {e}"));
                        None
                    }
                },
            };
            if let (Some(Some(deadline)), Some(issued)) = (deadline, issued)
                && time::shanghai_day(deadline) < issued
            {
                v.report(&loc, "deadline is before the requirement was issued");
            }
            let source_ok = match resolve(r.source.get_ref(), sources, &v.seen.sources) {
                Ref::Valid(_) => true,
                Ref::Broken => false,
                Ref::Unknown => {
                    v.report(
                        &f.loc(r.source.span()),
                        format!("unknown source \"{}\"", r.source.get_ref()),
                    );
                    false
                }
            };
            let scope_loc = f.loc(r.scope.span());
            let scope = r.scope.get_ref();
            let kind = match resolve(scope.kind.as_str(), kinds, &v.seen.kinds) {
                Ref::Valid(k) => Some(k),
                Ref::Broken => None,
                Ref::Unknown => {
                    v.report(
                        &scope_loc,
                        format!("unknown check kind \"{}\" in scope", scope.kind),
                    );
                    None
                }
            };
            for s in &scope.subjects {
                v.known(&scope_loc, "platform", s, |seen| &seen.platforms);
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
            let cloc = f.loc(r.compliant.span());
            if r.compliant.get_ref().is_empty() {
                v.report(&cloc, "compliant is empty: name the statuses that comply");
            }
            if let Some(kind) = kind {
                for s in r.compliant.get_ref() {
                    on_ladder(v, &cloc, kind, s);
                }
            }
            if let (true, true, Some(issued), Some(deadline), true, Some(_)) =
                (valid, new, issued, deadline, source_ok, kind)
            {
                out.push(Requirement {
                    id: id.clone(),
                    authority_zh: r.authority_zh.get_ref().clone(),
                    authority_en: r.authority_en.get_ref().clone(),
                    title_zh: r.title_zh.get_ref().clone(),
                    title_en: r.title_en.get_ref().clone(),
                    issued,
                    deadline,
                    timezone: tz_name,
                    scope: scope.clone(),
                    compliant: r.compliant.get_ref().clone(),
                    source: r.source.get_ref().clone(),
                });
            }
        }
    }
    out
}

fn observations(
    v: &mut Validator,
    files: &[File<'_>],
    kinds: &HashMap<&str, &Kind>,
    sources: &HashMap<&str, &Source>,
    checks: &HashMap<&str, &Check>,
) -> Vec<Observation> {
    let mut out = Vec::new();
    for f in files {
        for o in &f.raw.observation {
            let loc = f.loc(o.span());
            let o = o.get_ref();
            let id = o.id.get_ref();
            let valid = v.id(&f.loc(o.id.span()), "observation id", id);
            let targets: Vec<&S> = match (&o.check, &o.checks) {
                (Some(c), None) => vec![c],
                (None, Some(cs)) if !cs.get_ref().is_empty() => cs.get_ref().iter().collect(),
                (None, Some(cs)) if is_placeholder(&cs.span()) => Vec::new(),
                (None, _) => {
                    v.report(&loc, "an observation needs `check` or a non-empty `checks`");
                    Vec::new()
                }
                (Some(_), Some(_)) => {
                    v.report(
                        &loc,
                        "an observation has either `check` or `checks`, not both",
                    );
                    Vec::new()
                }
            };
            let source = match resolve(o.source.get_ref(), sources, &v.seen.sources) {
                Ref::Valid(s) => Some(s),
                Ref::Broken => None,
                Ref::Unknown => {
                    v.report(
                        &f.loc(o.source.span()),
                        format!("unknown source \"{}\"", o.source.get_ref()),
                    );
                    None
                }
            };
            if let Some(note) = &o.note_zh {
                v.chinese(f, "note_zh", note);
            }
            let at = time::parse_day_or_time(o.at.get_ref());
            let when = match &at {
                Ok(DayOrTime::Day(day)) => Some((time::start_of_day(*day, SHANGHAI), *day)),
                Ok(DayOrTime::Time(t)) => Some((time::local_to_utc(*t, SHANGHAI), t.date())),
                Err(e) => {
                    v.report(&f.loc(o.at.span()), format!("at: {e}"));
                    None
                }
            };
            if let (Some((_, day)), Some(source)) = (when, source)
                && let Some(published) = source.date
                && day > published
            {
                v.report(
                    &f.loc(o.at.span()),
                    format!(
                        "at {day} is after its source \"{}\" was published ({published})",
                        source.id
                    ),
                );
            }
            let precision = if o.approximate {
                Precision::Approximate
            } else if matches!(at, Ok(DayOrTime::Time(_))) {
                Precision::Instant
            } else {
                Precision::Day
            };
            for target in targets {
                let tloc = f.loc(target.span());
                let key = if o.checks.is_some() {
                    format!("{id}/{}", target.get_ref())
                } else {
                    id.clone()
                };
                let new = Validator::unique(
                    &mut v.seen.observations,
                    &mut v.problems,
                    "observation id",
                    &key,
                    &tloc,
                );
                let check = match resolve(target.get_ref(), checks, &v.seen.checks) {
                    Ref::Valid(c) => Some(c),
                    Ref::Broken => None,
                    Ref::Unknown => {
                        v.report(
                            &tloc,
                            format!(
                                "unknown check \"{}\" (declare it under [[checks]])",
                                target.get_ref()
                            ),
                        );
                        None
                    }
                };
                let status_ok =
                    check
                        .and_then(|c| kinds.get(c.kind.as_str()))
                        .is_some_and(|kind| {
                            on_ladder(v, &f.loc(o.status.span()), kind, o.status.get_ref())
                        });
                if let (true, true, Some(check), true, Some((observed_at, _)), Some(source)) =
                    (valid, new, check, status_ok, when, source)
                {
                    out.push(Observation {
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
                        note_zh: o
                            .note_zh
                            .as_ref()
                            .map(|n| n.get_ref().clone())
                            .filter(|n| !n.trim().is_empty()),
                    });
                }
            }
        }
    }
    out
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

/// A Han (Chinese) character: the CJK Unified Ideographs and their extension A.
fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}
