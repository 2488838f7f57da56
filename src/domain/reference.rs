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
#[derive(Debug, Clone, Default)]
pub struct Reference {
    pub groups: Vec<Group>,
    pub platforms: Vec<Platform>,
    pub methods: Vec<Method>,
    pub kinds: Vec<Kind>,
    pub checks: Vec<Check>,
    pub sources: Vec<Source>,
    pub milestones: Vec<Milestone>,
    pub requirements: Vec<Requirement>,
}

impl Reference {
    pub fn platform(&self, slug: &str) -> Option<&Platform> {
        self.platforms.iter().find(|p| p.slug == slug)
    }
    pub fn method(&self, slug: &str) -> Option<&Method> {
        self.methods.iter().find(|m| m.slug == slug)
    }
    pub fn group(&self, slug: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.slug == slug)
    }
    pub fn kind(&self, id: &str) -> Option<&Kind> {
        self.kinds.iter().find(|k| k.id == id)
    }
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }
    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
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
