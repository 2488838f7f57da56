//! What storage hands back: observation and transition records read from rows, and the
//! reference data (platforms, kinds, checks, sources …) read back into the domain's types.

use super::{Db, StorageError, Store, on_pool};
use crate::domain::{
    Check, Evidence, Group, Kind, Method, Milestone, ObservationRecord, Platform, Reference,
    Requirement, Scope, Side, Source, Status, StatusChange, TransitionRecord,
};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;
use sqlx::{FromRow, Row};
use std::collections::HashMap;

/// Rows into the domain's records, on either backend: one field list per record, read by
/// column name (the queries select exactly these columns).
macro_rules! records_from {
    ($row:ty) => {
        impl<'r> FromRow<'r, $row> for ObservationRecord {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(ObservationRecord {
                    id: row.try_get("id")?,
                    check_id: row.try_get("check_id")?,
                    observed_at: row.try_get("observed_at")?,
                    precision: row.try_get("precision")?,
                    status: row.try_get("status")?,
                    source_kind: row.try_get("source_kind")?,
                    source_key: row.try_get("source_key")?,
                    source_id: row.try_get("source_id")?,
                    vantage: row.try_get("vantage")?,
                    quote: row.try_get("quote")?,
                    note_en: row.try_get("note_en")?,
                    note_zh: row.try_get("note_zh")?,
                    evidence: match row.try_get::<Option<String>, _>("evidence_body")? {
                        // Written since migration 0015: the body kept once, with this
                        // fetch's own figures.
                        Some(body) => super::evidence::join(
                            &body,
                            row.try_get::<Option<String>, _>("evidence_fetch")?
                                .as_deref(),
                            row.try_get::<Option<String>, _>("snapshot")?.as_deref(),
                        ),
                        None => row
                            .try_get::<Option<Json<serde_json::Value>>, _>("evidence")?
                            .map(|stored| stored.0),
                    }
                    .and_then(Evidence::from_json),
                    catalog_key: row.try_get("catalog_key")?,
                    recorded_at: row.try_get("recorded_at")?,
                    pack_id: row.try_get("pack_id")?,
                    rule_version: row.try_get("rule_version")?,
                    confirmed: row.try_get("confirmed")?,
                    failure: row.try_get("failure")?,
                    snapshot: row.try_get("snapshot")?,
                    superseded_by: row.try_get("superseded_by")?,
                    reclassifies: row.try_get("reclassifies")?,
                    retracted_at: row.try_get("retracted_at")?,
                    retraction_reason: row.try_get("retraction_reason")?,
                    source_publisher: row.try_get("source_publisher")?,
                    source_title: row.try_get("source_title")?,
                    source_url: row.try_get("source_url")?,
                })
            }
        }

        impl<'r> FromRow<'r, $row> for TransitionRecord {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(TransitionRecord {
                    id: row.try_get("id")?,
                    check_id: row.try_get("check_id")?,
                    source_key: row.try_get("source_key")?,
                    observation_id: row.try_get("observation_id")?,
                    occurred_at: row.try_get("occurred_at")?,
                    from_status: row.try_get("from_status")?,
                    to_status: row.try_get("to_status")?,
                    source_kind: row.try_get("source_kind")?,
                    source_id: row.try_get("source_id")?,
                    precision: row.try_get("precision")?,
                    kind: row.try_get("kind")?,
                    subject: row.try_get("subject")?,
                    object: row.try_get("object")?,
                })
            }
        }

        impl<'r> FromRow<'r, $row> for StatusChange {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(StatusChange {
                    check_id: row.try_get("check_id")?,
                    at: row.try_get("at")?,
                    status: row.try_get("status")?,
                })
            }
        }
    };
}

records_from!(sqlx::sqlite::SqliteRow);
records_from!(sqlx::postgres::PgRow);

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
                ..Reference::default()
            })
        })
    }
}
