//! What storage hands back: observation and transition records, and the reference data
//! (platforms, kinds, checks, sources …) read back into the catalog's own types.

use super::{Db, StorageError, Store, on_pool};
use crate::catalog::{
    Check, Group, Kind, Method, Milestone, Platform, Requirement, Scope, Side, Source, Status,
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::types::Json;
use std::collections::HashMap;

/// One stored observation, with its source's citation when it has one.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ObservationRecord {
    pub id: i64,
    pub check_id: String,
    pub observed_at: DateTime<Utc>,
    pub precision: String,
    pub status: String,
    pub source_kind: String,
    pub source_key: String,
    pub source_id: Option<String>,
    pub vantage: String,
    pub quote: Option<String>,
    pub note_en: Option<String>,
    pub note_zh: Option<String>,
    pub evidence: Option<Json<serde_json::Value>>,
    #[serde(skip)]
    pub catalog_key: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub pack_id: Option<String>,
    pub rule_version: Option<i64>,
    pub confirmed: Option<bool>,
    pub failure: Option<String>,
    pub snapshot: Option<String>,
    pub superseded_by: Option<i64>,
    pub reclassifies: Option<i64>,
    pub source_publisher: Option<String>,
    pub source_title: Option<String>,
    pub source_url: Option<String>,
}

impl ObservationRecord {
    /// The stored time is an estimate (the source gave no exact date).
    pub fn is_approximate(&self) -> bool {
        self.precision == crate::domain::Precision::Approximate.as_str()
    }

    /// The note to show: English when there is one, else Chinese.
    pub fn note(&self) -> Option<String> {
        self.note_en.clone().or_else(|| self.note_zh.clone())
    }

    /// Hutong's note in the reader's language, else in the other one.
    pub fn note_in(&self, lang: hutong_app::i18n::Lang) -> Option<String> {
        match lang {
            hutong_app::i18n::Lang::En => self.note(),
            hutong_app::i18n::Lang::ZhCn => self.note_zh.clone().or_else(|| self.note_en.clone()),
        }
    }
}

/// A change of status between two consecutive observations of one check by one source.
/// `from_status` is `None` for the first observation a source made of a check.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct TransitionRecord {
    pub id: i64,
    pub check_id: String,
    pub source_key: String,
    pub observation_id: i64,
    pub occurred_at: DateTime<Utc>,
    pub from_status: Option<String>,
    pub to_status: String,
    pub source_kind: String,
    pub source_id: Option<String>,
    pub precision: String,
    pub kind: String,
    pub subject: String,
    pub object: String,
}

impl TransitionRecord {
    pub fn is_approximate(&self) -> bool {
        self.precision == crate::domain::Precision::Approximate.as_str()
    }

    /// The same transition, borrowed.
    pub fn view(&self) -> TransitionRef<'_> {
        TransitionRef {
            id: self.id,
            check_id: &self.check_id,
            source_key: &self.source_key,
            observation_id: self.observation_id,
            occurred_at: self.occurred_at,
            from_status: self.from_status.as_deref(),
            to_status: &self.to_status,
            source_kind: &self.source_kind,
            source_id: self.source_id.as_deref(),
            precision: &self.precision,
            kind: &self.kind,
            subject: &self.subject,
            object: &self.object,
        }
    }
}

/// A [`TransitionRecord`] whose text is borrowed: from the record, or straight from the
/// database's row buffer while a long read steps through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionRef<'a> {
    pub id: i64,
    pub check_id: &'a str,
    pub source_key: &'a str,
    pub observation_id: i64,
    pub occurred_at: DateTime<Utc>,
    pub from_status: Option<&'a str>,
    pub to_status: &'a str,
    pub source_kind: &'a str,
    pub source_id: Option<&'a str>,
    pub precision: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub object: &'a str,
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

#[derive(sqlx::FromRow)]
struct KindRow {
    id: String,
    name_zh: String,
    name_en: String,
    subject: String,
    object: String,
    subject_label_zh: String,
    subject_label_en: String,
    object_label_zh: String,
    object_label_en: String,
}

#[derive(sqlx::FromRow)]
struct StatusRow {
    kind: String,
    id: String,
    score: f64,
    label_zh: String,
    label_en: String,
    description_en: String,
}

#[derive(sqlx::FromRow)]
struct SourceRow {
    id: String,
    kind: String,
    publisher: String,
    title: String,
    title_en: Option<String>,
    published_on: Option<NaiveDate>,
    language: String,
    region: String,
    url: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MilestoneRow {
    id: String,
    occurred_on: NaiveDate,
    approximate: bool,
    title_zh: String,
    title_en: String,
    source_id: String,
    kinds: Json<Vec<String>>,
    platforms: Json<Vec<String>>,
}

#[derive(sqlx::FromRow)]
struct RequirementRow {
    id: String,
    authority_zh: String,
    authority_en: String,
    title_zh: String,
    title_en: String,
    issued_on: NaiveDate,
    deadline: Option<DateTime<Utc>>,
    timezone: String,
    scope: Json<Scope>,
    compliant: Json<Vec<String>>,
    source_id: String,
}

type GroupRow = (String, String, String, Option<String>, bool);
type PlatformRow = (String, String, String, String, String, Json<Vec<String>>);
type MethodRow = (
    String,
    String,
    String,
    String,
    Json<Vec<String>>,
    Json<Vec<String>>,
);

fn side(s: &str) -> Side {
    if s == "method" {
        Side::Method
    } else {
        Side::Platform
    }
}

impl Store {
    /// Reads all reference data. Small (hundreds of rows), so pages read it per request
    /// and always see what the last `catalog load` wrote.
    pub async fn reference(&self) -> Result<Reference, StorageError> {
        on_pool!(self, pool => {
            let groups: Vec<GroupRow> =
                sqlx::query_as("select slug, name_zh, name_en, ecosystem, simulated from groups order by slug")
                    .fetch_all(pool)
                    .await?;
            let platforms: Vec<PlatformRow> = sqlx::query_as(
                "select slug, name_zh, name_en, group_slug, kind, domains from platforms order by slug",
            )
            .fetch_all(pool)
            .await?;
            let methods: Vec<MethodRow> = sqlx::query_as(
                "select slug, name_zh, name_en, group_slug, aliases, code_prefixes
                 from payment_methods order by slug",
            )
            .fetch_all(pool)
            .await?;
            let kinds: Vec<KindRow> = sqlx::query_as(
                "select id, name_zh, name_en, subject, object, subject_label_zh, subject_label_en,
                        object_label_zh, object_label_en
                 from check_kinds order by id",
            )
            .fetch_all(pool)
            .await?;
            let statuses: Vec<StatusRow> = sqlx::query_as(
                "select kind, id, score, label_zh, label_en, description_en
                 from statuses order by kind, position",
            )
            .fetch_all(pool)
            .await?;
            let checks: Vec<(String, String, String, String)> =
                sqlx::query_as("select id, kind, subject, object from checks order by id")
                    .fetch_all(pool)
                    .await?;
            let sources: Vec<SourceRow> = sqlx::query_as(
                "select id, kind, publisher, title, title_en, published_on, language, region, url
                 from sources order by id",
            )
            .fetch_all(pool)
            .await?;
            let milestones: Vec<MilestoneRow> = sqlx::query_as(
                "select id, occurred_on, approximate, title_zh, title_en, source_id, kinds, platforms
                 from milestones order by occurred_on, id",
            )
            .fetch_all(pool)
            .await?;
            let requirements: Vec<RequirementRow> = sqlx::query_as(
                "select id, authority_zh, authority_en, title_zh, title_en, issued_on, deadline,
                        timezone, scope, compliant, source_id
                 from requirements order by issued_on, id",
            )
            .fetch_all(pool)
            .await?;
            let mut ladders: HashMap<String, Vec<Status>> = HashMap::new();
            for s in statuses {
                ladders.entry(s.kind).or_default().push(Status {
                    id: s.id,
                    label_zh: s.label_zh,
                    label_en: s.label_en,
                    description_en: s.description_en,
                    score: s.score,
                });
            }
            Ok(Reference {
                groups: groups
                    .into_iter()
                    .map(|(slug, name_zh, name_en, ecosystem, simulated)| Group { slug, name_zh, name_en, ecosystem, simulated })
                    .collect(),
                platforms: platforms
                    .into_iter()
                    .map(|(slug, name_zh, name_en, group, kind, domains)| Platform {
                        slug,
                        name_zh,
                        name_en,
                        group,
                        kind,
                        domains: domains.0,
                    })
                    .collect(),
                methods: methods
                    .into_iter()
                    .map(|(slug, name_zh, name_en, group, aliases, code_prefixes)| Method {
                        slug,
                        name_zh,
                        name_en,
                        group,
                        aliases: aliases.0,
                        code_prefixes: code_prefixes.0,
                    })
                    .collect(),
                kinds: kinds
                    .into_iter()
                    .map(|k| Kind {
                        statuses: ladders.remove(&k.id).unwrap_or_default(),
                        id: k.id,
                        name_zh: k.name_zh,
                        name_en: k.name_en,
                        subject: side(&k.subject),
                        object: side(&k.object),
                        subject_label_zh: k.subject_label_zh,
                        subject_label_en: k.subject_label_en,
                        object_label_zh: k.object_label_zh,
                        object_label_en: k.object_label_en,
                    })
                    .collect(),
                checks: checks
                    .into_iter()
                    .map(|(id, kind, subject, object)| Check { id, kind, subject, object })
                    .collect(),
                sources: sources
                    .into_iter()
                    .map(|s| Source {
                        id: s.id,
                        kind: s.kind.parse().unwrap_or(crate::domain::SourceKind::Article),
                        publisher: s.publisher,
                        title: s.title,
                        title_en: s.title_en,
                        date: s.published_on,
                        language: s.language,
                        region: s.region,
                        url: s.url,
                    })
                    .collect(),
                milestones: milestones
                    .into_iter()
                    .map(|m| Milestone {
                        id: m.id,
                        date: m.occurred_on,
                        approximate: m.approximate,
                        title_zh: m.title_zh,
                        title_en: m.title_en,
                        source: m.source_id,
                        kinds: m.kinds.0,
                        platforms: m.platforms.0,
                    })
                    .collect(),
                requirements: requirements
                    .into_iter()
                    .map(|r| Requirement {
                        id: r.id,
                        authority_zh: r.authority_zh,
                        authority_en: r.authority_en,
                        title_zh: r.title_zh,
                        title_en: r.title_en,
                        issued: r.issued_on,
                        deadline: r.deadline,
                        timezone: r.timezone,
                        scope: r.scope.0,
                        compliant: r.compliant.0,
                        source: r.source_id,
                    })
                    .collect(),
            })
        })
    }
}
