//! Writing a validated catalog into the database, idempotently: reference rows are upserted,
//! catalog observations are matched by their stable key. Nothing is ever deleted, except a
//! kind's status ladder, which the catalog owns whole.

use super::{Db, StorageError, Store, WritePool, on_pool};
use crate::catalog::Catalog;
use crate::domain::NewObservation;
use chrono::{DateTime, Utc};
use sqlx::SqlSafeStr;
use sqlx::types::Json;

/// What a catalog load changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LoadReport {
    pub observations_inserted: usize,
    pub observations_updated: usize,
    pub observations_unchanged: usize,
    pub reference_rows: usize,
}

type ExistingRow = (
    i64,
    String,
    DateTime<Utc>,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Rows per multi-row insert on PostgreSQL: at 6 columns, 3,000 parameters, well under its
/// limit of 65,535.
const ROWS_PER_INSERT_POSTGRES: usize = 500;

/// Rows per multi-row insert on SQLite. In-process, a statement still costs a hand-off to
/// the connection's thread and back (two thread switches): one row a statement, 35,000
/// checks took 4.7 s to store. SQLite looks each `$N` parameter up among the statement's
/// names, so thousands a statement cost more again: measured with `hutong bench catalog
/// --platforms 5000 --checks 35000`, 20 rows 558 ms, 50 rows 529, 100 rows 540, 250 rows
/// 721. With `?` (no names, session 42) the store took 203–209 ms at 250 rows, 223–251 at
/// 50, and 283–308 with `$N` at 50.
const ROWS_PER_INSERT_SQLITE: usize = 250;

/// `{insert} values (p, …), (…), … {tail}` for `rows` rows of `columns` values
/// ([`values_sql`]: `$1` … on PostgreSQL, `?` on SQLite).
///
/// [`values_sql`]: super::batch_statements::values_sql
fn multi_row_insert(
    insert: &str,
    columns: usize,
    rows: usize,
    tail: &str,
    postgres: bool,
) -> String {
    let mut sql =
        super::batch_statements::values_sql(&format!("{insert} values "), columns, rows, postgres);
    sql.push(' ');
    sql.push_str(tail);
    sql
}

impl Store {
    /// Loads `cat` in one transaction: either all of it is written or none.
    pub async fn apply_catalog(&self, cat: &Catalog) -> Result<LoadReport, StorageError> {
        let postgres = self.backend() == super::Backend::Postgres;
        let rows_per_insert = if postgres {
            ROWS_PER_INSERT_POSTGRES
        } else {
            ROWS_PER_INSERT_SQLITE
        };
        on_pool!(self, pool => {
            let mut report = LoadReport::default();
            let mut tx = pool.begin_write().await?;
            for g in &cat.groups {
                sqlx::query(
                    "insert into groups (slug, name_zh, name_en, ecosystem, simulated)
                     values ($1, $2, $3, $4, $5)
                     on conflict (slug) do update set name_zh = excluded.name_zh,
                         name_en = excluded.name_en, ecosystem = excluded.ecosystem,
                         simulated = excluded.simulated",
                )
                .bind(&g.slug)
                .bind(&g.name_zh)
                .bind(&g.name_en)
                .bind(g.ecosystem.as_deref())
                .bind(g.simulated)
                .execute(&mut *tx)
                .await?;
            }
            // Many rows a statement: one round trip (and on PostgreSQL one data-version bump)
            // per few dozen or hundred platforms or checks instead of one per row.
            for chunk in cat.platforms.chunks(rows_per_insert) {
                let sql = multi_row_insert(
                    "insert into platforms (slug, name_zh, name_en, group_slug, kind, domains)",
                    6,
                    chunk.len(),
                    "on conflict (slug) do update set name_zh = excluded.name_zh,
                         name_en = excluded.name_en, group_slug = excluded.group_slug,
                         kind = excluded.kind, domains = excluded.domains",
                    postgres,
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql).into_sql_str());
                for p in chunk {
                    q = q
                        .bind(&p.slug)
                        .bind(&p.name_zh)
                        .bind(&p.name_en)
                        .bind(&p.group)
                        .bind(&p.kind)
                        .bind(Json(&p.domains));
                }
                q.execute(&mut *tx).await?;
            }
            for m in &cat.methods {
                sqlx::query(
                    "insert into payment_methods (slug, name_zh, name_en, group_slug, aliases, code_prefixes)
                     values ($1, $2, $3, $4, $5, $6)
                     on conflict (slug) do update set name_zh = excluded.name_zh,
                         name_en = excluded.name_en, group_slug = excluded.group_slug,
                         aliases = excluded.aliases, code_prefixes = excluded.code_prefixes",
                )
                .bind(&m.slug)
                .bind(&m.name_zh)
                .bind(&m.name_en)
                .bind(&m.group)
                .bind(Json(&m.aliases))
                .bind(Json(&m.code_prefixes))
                .execute(&mut *tx)
                .await?;
            }
            for k in &cat.kinds {
                sqlx::query(
                    "insert into check_kinds (id, name_zh, name_en, subject, object, subject_label_zh,
                         subject_label_en, object_label_zh, object_label_en)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     on conflict (id) do update set name_zh = excluded.name_zh,
                         name_en = excluded.name_en, subject = excluded.subject,
                         object = excluded.object, subject_label_zh = excluded.subject_label_zh,
                         subject_label_en = excluded.subject_label_en,
                         object_label_zh = excluded.object_label_zh,
                         object_label_en = excluded.object_label_en",
                )
                .bind(&k.id)
                .bind(&k.name_zh)
                .bind(&k.name_en)
                .bind(k.subject.as_str())
                .bind(k.object.as_str())
                .bind(&k.subject_label_zh)
                .bind(&k.subject_label_en)
                .bind(&k.object_label_zh)
                .bind(&k.object_label_en)
                .execute(&mut *tx)
                .await?;
                sqlx::query("delete from statuses where kind = $1")
                    .bind(&k.id)
                    .execute(&mut *tx)
                    .await?;
                for (position, s) in k.statuses.iter().enumerate() {
                    sqlx::query(
                        "insert into statuses (kind, id, position, score, label_zh, label_en, description_en)
                         values ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&k.id)
                    .bind(&s.id)
                    .bind(position as i64)
                    .bind(s.score)
                    .bind(&s.label_zh)
                    .bind(&s.label_en)
                    .bind(&s.description_en)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            for chunk in cat.checks.chunks(rows_per_insert) {
                let sql = multi_row_insert(
                    "insert into checks (id, kind, subject, object)",
                    4,
                    chunk.len(),
                    "on conflict (id) do nothing",
                    postgres,
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql).into_sql_str());
                for c in chunk {
                    q = q.bind(&c.id).bind(&c.kind).bind(&c.subject).bind(&c.object);
                }
                q.execute(&mut *tx).await?;
            }
            for s in &cat.sources {
                sqlx::query(
                    "insert into sources (id, kind, publisher, title, title_en, published_on,
                         language, region, url)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     on conflict (id) do update set kind = excluded.kind,
                         publisher = excluded.publisher, title = excluded.title,
                         title_en = excluded.title_en, published_on = excluded.published_on,
                         language = excluded.language, region = excluded.region, url = excluded.url",
                )
                .bind(&s.id)
                .bind(s.kind.as_str())
                .bind(&s.publisher)
                .bind(&s.title)
                .bind(s.title_en.as_deref())
                .bind(s.date)
                .bind(&s.language)
                .bind(&s.region)
                .bind(s.url.as_deref())
                .execute(&mut *tx)
                .await?;
            }
            for m in &cat.milestones {
                sqlx::query(
                    "insert into milestones (id, occurred_on, approximate, title_zh, title_en,
                         source_id, kinds, platforms)
                     values ($1, $2, $3, $4, $5, $6, $7, $8)
                     on conflict (id) do update set occurred_on = excluded.occurred_on,
                         approximate = excluded.approximate, title_zh = excluded.title_zh,
                         title_en = excluded.title_en, source_id = excluded.source_id,
                         kinds = excluded.kinds, platforms = excluded.platforms",
                )
                .bind(&m.id)
                .bind(m.date)
                .bind(m.approximate)
                .bind(&m.title_zh)
                .bind(&m.title_en)
                .bind(&m.source)
                .bind(Json(&m.kinds))
                .bind(Json(&m.platforms))
                .execute(&mut *tx)
                .await?;
            }
            for r in &cat.requirements {
                sqlx::query(
                    "insert into requirements (id, authority_zh, authority_en, title_zh, title_en,
                         issued_on, deadline, timezone, scope, compliant, source_id)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                     on conflict (id) do update set authority_zh = excluded.authority_zh,
                         authority_en = excluded.authority_en, title_zh = excluded.title_zh,
                         title_en = excluded.title_en, issued_on = excluded.issued_on,
                         deadline = excluded.deadline, timezone = excluded.timezone,
                         scope = excluded.scope, compliant = excluded.compliant,
                         source_id = excluded.source_id",
                )
                .bind(&r.id)
                .bind(&r.authority_zh)
                .bind(&r.authority_en)
                .bind(&r.title_zh)
                .bind(&r.title_en)
                .bind(r.issued)
                .bind(r.deadline)
                .bind(&r.timezone)
                .bind(Json(&r.scope))
                .bind(Json(&r.compliant))
                .bind(&r.source)
                .execute(&mut *tx)
                .await?;
            }
            report.reference_rows = cat.groups.len()
                + cat.platforms.len()
                + cat.methods.len()
                + cat.kinds.len()
                + cat.checks.len()
                + cat.sources.len()
                + cat.milestones.len()
                + cat.requirements.len();

            for o in &cat.observations {
                let new = NewObservation {
                    check_id: o.check.clone(),
                    observed_at: o.observed_at,
                    precision: o.precision,
                    status: o.status.clone(),
                    source_kind: o.source_kind,
                    source_id: Some(o.source.clone()),
                    vantage: o.vantage.clone(),
                    quote: o.quote.clone(),
                    note_en: o.note_en.clone(),
                    note_zh: o.note_zh.clone(),
                    evidence: None,
                    catalog_key: Some(o.key.clone()),
                    probe: None,
                }
                .into_storable();
                let existing: Option<ExistingRow> = sqlx::query_as(
                    "select id, check_id, observed_at, precision, status, source_id, vantage,
                            quote, note_en, note_zh
                     from observations where catalog_key = $1",
                )
                .bind(&o.key)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(old) = existing else {
                    super::insert_observation_in!(tx, &new);
                    report.observations_inserted += 1;
                    continue;
                };
                let same = old.1 == new.check_id
                    && old.2 == new.observed_at
                    && old.3 == new.precision.as_str()
                    && old.4 == new.status
                    && old.5 == new.source_id
                    && old.6 == new.vantage
                    && old.7 == new.quote
                    && old.8 == new.note_en
                    && old.9 == new.note_zh;
                if same {
                    report.observations_unchanged += 1;
                    continue;
                }
                let new_key = new.source_key();
                let old_key: String = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "select source_key from {} where id = $1",
                    self.observations_by_id("$1")
                )))
                    .bind(old.0)
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query(
                    "update observations set check_id = $2, observed_at = $3, precision = $4,
                         status = $5, source_kind = $6, source_key = $7, source_id = $8,
                         vantage = $9, quote = $10, note_en = $11, note_zh = $12
                     where id = $1",
                )
                .bind(old.0)
                .bind(&new.check_id)
                .bind(new.observed_at)
                .bind(new.precision.as_str())
                .bind(&new.status)
                .bind(new.source_kind.as_str())
                .bind(&new_key)
                .bind(new.source_id.as_deref())
                .bind(&new.vantage)
                .bind(new.quote.as_deref())
                .bind(new.note_en.as_deref())
                .bind(new.note_zh.as_deref())
                .execute(&mut *tx)
                .await?;
                sqlx::query("insert into check_sources (check_id, source_key) values ($1, $2) on conflict do nothing")
                    .bind(&new.check_id)
                    .bind(&new_key)
                    .execute(&mut *tx)
                    .await?;
                // The row may have moved between pairs: rebuild both.
                super::rebuild_transitions_in!(tx, &old.1, &old_key);
                super::rebuild_transitions_in!(tx, &new.check_id, &new_key);
                report.observations_updated += 1;
            }
            tx.commit().await?;
            Ok(report)
        })
    }
}
