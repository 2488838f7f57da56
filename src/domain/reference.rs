//! The reference data Hutong reasons with: platforms and their groups, payment methods,
//! kinds of check with their status ladders, checks, sources, milestones and requirements.
//! The catalog loader validates them from TOML, storage keeps them, and every pure module
//! (state, compliance, charts) and page reads them in these types.

use super::SourceKind;
use chrono::{DateTime, NaiveDate, Utc};

/// Platform kinds a catalog may use.
pub const PLATFORM_KINDS: &[&str] = &[
    "messaging",
    "social",
    "short_video",
    "ecommerce",
    "local_services",
    "content",
    "payment",
    "other",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub ecosystem: Option<String>,
    /// Platforms of this group exist only in Hutong's simulator: never in real figures.
    pub simulated: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Platform {
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub group: String,
    pub kind: String,
    pub domains: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Method {
    pub slug: String,
    pub name_zh: String,
    pub name_en: String,
    pub group: String,
    pub aliases: Vec<String>,
    pub code_prefixes: Vec<String>,
}

/// What one side of a check names: a platform or a payment method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Platform,
    Method,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Platform => "platform",
            Side::Method => "method",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub description_en: String,
    /// Openness, 0.0 (closed) to 1.0 (open).
    pub score: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Kind {
    pub id: String,
    pub name_zh: String,
    pub name_en: String,
    pub subject: Side,
    pub object: Side,
    pub subject_label_zh: String,
    pub subject_label_en: String,
    pub object_label_zh: String,
    pub object_label_en: String,
    /// The ladder, most open first.
    pub statuses: Vec<Status>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub id: String,
    pub kind: String,
    pub subject: String,
    pub object: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub id: String,
    pub kind: SourceKind,
    pub publisher: String,
    pub title: String,
    pub title_en: Option<String>,
    pub date: Option<NaiveDate>,
    pub language: String,
    pub region: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Milestone {
    pub id: String,
    pub date: NaiveDate,
    pub approximate: bool,
    pub title_zh: String,
    pub title_en: String,
    pub source: String,
    pub kinds: Vec<String>,
    pub platforms: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    pub kind: String,
    #[serde(default)]
    pub subjects: Vec<String>,
    #[serde(default)]
    pub subject_kinds: Vec<String>,
}

impl Scope {
    /// Whether this scope covers a check of `check_kind` whose subject is `subject` (a
    /// platform of kind `subject_kind`, when it is a platform).
    pub fn covers(&self, check_kind: &str, subject: &str, subject_kind: Option<&str>) -> bool {
        self.kind == check_kind
            && ((self.subjects.is_empty() && self.subject_kinds.is_empty())
                || self.subjects.iter().any(|s| s == subject)
                || subject_kind.is_some_and(|k| self.subject_kinds.iter().any(|s| s == k)))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    pub id: String,
    pub authority_zh: String,
    pub authority_en: String,
    pub title_zh: String,
    pub title_en: String,
    pub issued: NaiveDate,
    pub deadline: Option<DateTime<Utc>>,
    pub timezone: String,
    pub scope: Scope,
    pub compliant: Vec<String>,
    pub source: String,
}

/// Everything small that every page needs to name things, read in one go.
///
/// Lookups by slug or id go through an index built on the first lookup: a page names
/// thousands of checks, and with a catalog of thousands of platforms a scan per name grew
/// with the product. Edit the lists of a fresh clone, before any lookup (a clone starts
/// without an index). As a guard, a list whose length changed since the index was built is
/// scanned, and a position is used only when the entry there still has its key; an entry
/// replaced in place after a lookup, leaving the length unchanged, is not seen.
#[derive(Debug, Default)]
pub struct Reference {
    pub groups: Vec<Group>,
    pub platforms: Vec<Platform>,
    pub methods: Vec<Method>,
    pub kinds: Vec<Kind>,
    pub checks: Vec<Check>,
    pub sources: Vec<Source>,
    pub milestones: Vec<Milestone>,
    pub requirements: Vec<Requirement>,
    /// Kept by the lookups; build a `Reference` with `..Reference::default()`.
    pub index: ReferenceIndex,
}

impl Clone for Reference {
    fn clone(&self) -> Self {
        Reference {
            groups: self.groups.clone(),
            platforms: self.platforms.clone(),
            methods: self.methods.clone(),
            kinds: self.kinds.clone(),
            checks: self.checks.clone(),
            sources: self.sources.clone(),
            milestones: self.milestones.clone(),
            requirements: self.requirements.clone(),
            index: ReferenceIndex::default(),
        }
    }
}

/// Positions by key of one list, with the list's length when they were taken.
#[derive(Debug, Default)]
struct Positions {
    len: usize,
    at: std::collections::HashMap<String, usize>,
}

impl Positions {
    fn of<T>(items: &[T], key: impl Fn(&T) -> &str) -> Positions {
        let mut at = std::collections::HashMap::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            // The first of equal keys, as a scan finds it.
            at.entry(key(item).to_owned()).or_insert(i);
        }
        Positions {
            len: items.len(),
            at,
        }
    }

    fn find<'a, T>(&self, items: &'a [T], wanted: &str, key: impl Fn(&T) -> &str) -> Option<&'a T> {
        if self.len == items.len() {
            match self.at.get(wanted) {
                Some(&i) => {
                    if let Some(item) = items.get(i).filter(|item| key(item) == wanted) {
                        return Some(item);
                    }
                }
                // Not there when the index was taken, and the list's length is the same.
                None => return None,
            }
        }
        items.iter().find(|item| key(item) == wanted)
    }
}

/// The positions [`Reference`]'s lookups keep (nothing to set or read outside it).
#[derive(Debug, Default)]
pub struct ReferenceIndex(std::sync::OnceLock<Index>);

#[derive(Debug, Default)]
struct Index {
    groups: Positions,
    platforms: Positions,
    methods: Positions,
    kinds: Positions,
    checks: Positions,
    sources: Positions,
}

impl Reference {
    fn index(&self) -> &Index {
        self.index.0.get_or_init(|| Index {
            groups: Positions::of(&self.groups, |g| &g.slug),
            platforms: Positions::of(&self.platforms, |p| &p.slug),
            methods: Positions::of(&self.methods, |m| &m.slug),
            kinds: Positions::of(&self.kinds, |k| &k.id),
            checks: Positions::of(&self.checks, |c| &c.id),
            sources: Positions::of(&self.sources, |s| &s.id),
        })
    }

    pub fn platform(&self, slug: &str) -> Option<&Platform> {
        self.index()
            .platforms
            .find(&self.platforms, slug, |p| &p.slug)
    }
    pub fn method(&self, slug: &str) -> Option<&Method> {
        self.index().methods.find(&self.methods, slug, |m| &m.slug)
    }
    pub fn group(&self, slug: &str) -> Option<&Group> {
        self.index().groups.find(&self.groups, slug, |g| &g.slug)
    }
    pub fn kind(&self, id: &str) -> Option<&Kind> {
        self.index().kinds.find(&self.kinds, id, |k| &k.id)
    }
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.index().checks.find(&self.checks, id, |c| &c.id)
    }
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.index().sources.find(&self.sources, id, |s| &s.id)
    }
    pub fn status(&self, kind: &str, id: &str) -> Option<&Status> {
        self.kind(kind)?.statuses.iter().find(|s| s.id == id)
    }

    /// Whether a platform exists only in the simulator (its group is simulated).
    pub fn is_simulated_platform(&self, slug: &str) -> bool {
        self.platform(slug)
            .and_then(|p| self.group(&p.group))
            .is_some_and(|g| g.simulated)
    }

    /// Whether a check involves a simulated platform on either side.
    pub fn is_simulated_check(&self, check: &Check) -> bool {
        self.is_simulated_platform(&check.subject) || self.is_simulated_platform(&check.object)
    }

    /// The ecosystem a group belongs to (itself when it names none).
    pub fn ecosystem_of_group<'a>(&'a self, group: &'a str) -> &'a str {
        self.group(group)
            .and_then(|g| g.ecosystem.as_deref())
            .unwrap_or(group)
    }

    /// The ecosystem of whatever one side of a check names.
    pub fn ecosystem_of(&self, side: Side, slug: &str) -> Option<&str> {
        let group = match side {
            Side::Platform => &self.platform(slug)?.group,
            Side::Method => &self.method(slug)?.group,
        };
        Some(self.ecosystem_of_group(group))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(slug: &str, name_en: &str) -> Platform {
        Platform {
            slug: slug.into(),
            name_zh: String::new(),
            name_en: name_en.into(),
            group: "g".into(),
            kind: "messaging".into(),
            domains: Vec::new(),
        }
    }

    fn check(id: &str) -> Check {
        Check {
            id: id.into(),
            kind: "link".into(),
            subject: "a".into(),
            object: "b".into(),
        }
    }

    /// What a scan finds, the way lookups answered before the index.
    fn scanned<'a>(r: &'a Reference, slug: &str) -> Option<&'a Platform> {
        r.platforms.iter().find(|p| p.slug == slug)
    }

    #[test]
    fn lookups_answer_as_a_scan_before_and_after_the_lists_change() {
        let mut r = Reference {
            platforms: (0..500)
                .map(|i| platform(&format!("p{i}"), &format!("first {i}")))
                .collect(),
            checks: (0..500).map(|i| check(&format!("c{i}"))).collect(),
            ..Reference::default()
        };
        // Equal keys: the first one, as a scan finds it.
        r.platforms.push(platform("p7", "second 7"));
        let wanted = ["p0", "p7", "p499", "p500", "", "P1", "c1"];
        for slug in wanted {
            assert_eq!(r.platform(slug), scanned(&r, slug), "{slug}");
        }
        assert_eq!(
            r.platform("p7").map(|p| p.name_en.as_str()),
            Some("first 7")
        );
        assert_eq!(r.check("c250").map(|c| c.id.as_str()), Some("c250"));
        assert!(r.check("p1").is_none());

        // Grown after the index was built: the new entry is found.
        r.platforms.push(platform("late", "late"));
        assert_eq!(r.platform("late").map(|p| p.name_en.as_str()), Some("late"));
        // Shrunk: what is gone is gone, what moved is found where it is now.
        r.platforms.retain(|p| p.slug != "p3");
        assert!(r.platform("p3").is_none());
        assert_eq!(r.platform("p4"), scanned(&r, "p4"));

        // A clone edited before its first lookup answers for its own lists.
        let mut real = r.clone();
        real.platforms.retain(|p| p.slug.len() > 3);
        real.platforms.push(platform("zz", "zz"));
        real.platforms.truncate(real.platforms.len());
        assert!(real.platform("p10").is_none(), "removed from the clone");
        assert!(r.platform("p10").is_some(), "still in the original");
        assert_eq!(real.platform("p100"), scanned(&real, "p100"));
        assert_eq!(real.platform("zz").map(|p| p.name_en.as_str()), Some("zz"));
    }
}
