//! PostgreSQL's observations partitioned for archive: the repeats by year observed
//! (migration 0041), the changes they repeat by the year they were filed under (0053: all
//! live but those of a detached year); the partitions listed, years made ahead, a past year
//! detached. SQLite keeps one table of each and has none of this.

use super::{Db, StorageError, Store};
use crate::time::SHANGHAI;
use chrono::{DateTime, TimeZone, Utc};

/// One partition of `observation_repeats` or of `observations`.
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    /// `observation_repeats_2024`, `observation_repeats_from_2028`, `observations_live`
    /// (every change pages read), ….
    pub name: String,
    /// Its first instant (none: from the beginning of time).
    pub from: Option<DateTime<Utc>>,
    /// The instant after its last (none: to the end of time).
    pub to: Option<DateTime<Utc>>,
    /// The planner's estimate of its rows (no count of a year of repeats is cheap).
    pub rows_estimate: i64,
    /// Its tables' and indexes' bytes.
    pub bytes: i64,
}

impl Partition {
    /// The year it holds, when it holds exactly one (`partitions detach --year` takes it).
    pub fn year(&self) -> Option<i32> {
        self.name
            .strip_prefix("observation_repeats_")
            .and_then(|y| y.parse().ok())
    }

    /// Whether it holds changes (`observations`) rather than repeats.
    pub fn changes(&self) -> bool {
        !self.name.starts_with("observation_repeats_")
    }
}

/// What detaching a year took out of what pages read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DetachedYear {
    /// Repeats, now the table `observation_repeats_YEAR` (none: the year had no partition
    /// of repeats, and no table is made).
    pub repeats: Option<i64>,
    /// Changes observed in the year that no later answer stands on, now the table
    /// `observations_YEAR` (those that still stand stay live; none left: no table).
    pub changes: i64,
}

/// Midnight of 1 January of `year` in Asia/Shanghai, as the migration's
/// `hutong_repeat_year_start`.
fn year_start(year: i32) -> Option<DateTime<Utc>> {
    SHANGHAI
        .with_ymd_and_hms(year, 1, 1, 0, 0, 0)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The bounds a partition's name gives (`observation_repeats_2024`,
/// `observation_repeats_before_2021`, `observation_repeats_from_2028`; none for the
/// changes' `observations_live`, a list's partition).
fn bounds(name: &str) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let year = |s: &str| s.parse::<i32>().ok();
    let rest = name.strip_prefix("observation_repeats_").unwrap_or(name);
    if let Some(y) = rest.strip_prefix("before_").and_then(year) {
        (None, year_start(y))
    } else if let Some(y) = rest.strip_prefix("from_").and_then(year) {
        (year_start(y), None)
    } else if let Some(y) = year(rest) {
        (year_start(y), year_start(y + 1))
    } else {
        (None, None)
    }
}

/// A refusal raised by the migration's functions, as the message it gives.
fn refused(e: sqlx::Error) -> StorageError {
    match &e {
        sqlx::Error::Database(d) if d.code().as_deref() == Some("P0001") => {
            StorageError::Invalid(d.message().to_string())
        }
        _ => StorageError::Query(e),
    }
}

fn postgres_only(what: &str) -> StorageError {
    StorageError::Invalid(format!(
        "{what}: only PostgreSQL partitions observations by year; a SQLite database is one file \
         (archive it whole with `sqlite3 FILE .backup`)"
    ))
}

impl Store {
    /// The partitions of repeats, oldest first, then those of changes, oldest first.
    pub async fn partitions(&self) -> Result<Vec<Partition>, StorageError> {
        let Db::Postgres(pool) = &self.db else {
            return Err(postgres_only("partitions list"));
        };
        // With the year's repeats of fetches (migration 0052: the partition of
        // `repeat_fetches` named alike), each fetch counted as its set's mean members; then
        // the changes' partitions (0053).
        let repeats = if self.fetch_repeats() {
            "select c.relname::text,
                    (greatest(c.reltuples, 0) + coalesce(greatest(fc.reltuples, 0)
                        * (select avg(cardinality(bases)) from repeat_sets), 0))::real,
                    pg_total_relation_size(c.oid)
                    + coalesce(pg_total_relation_size(fc.oid), 0)
             from pg_inherits i join pg_class c on c.oid = i.inhrelid
             left join lateral (
                 select fc.oid, fc.reltuples from pg_inherits fi
                 join pg_class fc on fc.oid = fi.inhrelid
                 where fi.inhparent = 'repeat_fetches'::regclass
                   and fc.relname = 'repeat_fetches_' || substr(c.relname, 21)) fc on true
             where i.inhparent = 'observation_repeats'::regclass"
        } else {
            "select c.relname::text, c.reltuples, pg_total_relation_size(c.oid)
             from pg_inherits i join pg_class c on c.oid = i.inhrelid
             where i.inhparent = 'observation_repeats'::regclass"
        };
        let rows: Vec<(String, f32, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{repeats}
             union all
             select c.relname::text, c.reltuples, pg_total_relation_size(c.oid)
             from pg_inherits i join pg_class c on c.oid = i.inhrelid
             where i.inhparent = 'observations'::regclass"
        )))
        .fetch_all(pool)
        .await?;
        let mut parts: Vec<Partition> = rows
            .into_iter()
            .map(|(name, tuples, bytes)| {
                let (from, to) = bounds(&name);
                Partition {
                    name,
                    from,
                    to,
                    // -1 until the table is first vacuumed or analysed.
                    rows_estimate: (tuples.max(0.0)) as i64,
                    bytes,
                }
            })
            .collect();
        parts.sort_by_key(|p| (p.changes(), p.from.is_some(), p.from));
        Ok(parts)
    }

    /// Makes years of repeats until one begins after `upto`; how many were made (the
    /// changes need none: a year of them gets its partition when detached). A no-op on
    /// SQLite.
    pub async fn ensure_repeat_partitions(&self, upto: DateTime<Utc>) -> Result<i32, StorageError> {
        let Db::Postgres(pool) = &self.db else {
            return Ok(0);
        };
        sqlx::query_scalar("select hutong_repeat_partitions_ensure($1)")
            .bind(upto)
            .fetch_one(pool)
            .await
            .map_err(refused)
    }

    /// Detaches the observations of `year` (which ended before `now`'s year began) for
    /// archive: its repeats as the table `observation_repeats_YEAR`, and its changes that
    /// no later answer stands on as `observations_YEAR`; both stay, outside what pages read,
    /// until someone archives and drops them. The year's changes that still stand (a pair
    /// unchanged since, a row something staying names) stay live.
    pub async fn detach_year(
        &self,
        year: i32,
        now: DateTime<Utc>,
    ) -> Result<DetachedYear, StorageError> {
        let Db::Postgres(pool) = &self.db else {
            return Err(postgres_only("partitions detach"));
        };
        // One statement, so one transaction; the function refuses what it must.
        let (repeats, changes): (Option<i64>, i64) =
            sqlx::query_as("select repeats, changes from hutong_year_detach($1, $2)")
                .bind(year)
                .bind(now)
                .fetch_one(pool)
                .await
                .map_err(refused)?;
        Ok(DetachedYear { repeats, changes })
    }
}

/// How often a running `serve` or `worker` makes sure next year's repeats have a partition.
const AHEAD_EVERY: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// Keeps a year of partitions ahead of the clock for as long as it runs (PostgreSQL; on
/// SQLite it returns at once). A refusal (a role without CREATE) is logged and tried again
/// later: until the year turns, writes still land in the partition from the newest year on.
pub async fn keep_years_ahead(store: Store) {
    if !matches!(store.db, Db::Postgres(_)) {
        return;
    }
    loop {
        match store
            .ensure_repeat_partitions(Utc::now() + chrono::Duration::days(366))
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(years = n, "partitions of repeats made ahead"),
            Err(e) => tracing::warn!("partitions of repeats could not be made ahead: {e}"),
        }
        tokio::time::sleep(AHEAD_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_give_bounds_in_shanghai_years() {
        let (from, to) = bounds("observation_repeats_2024");
        assert_eq!(from.unwrap().to_rfc3339(), "2023-12-31T16:00:00+00:00");
        assert_eq!(to.unwrap().to_rfc3339(), "2024-12-31T16:00:00+00:00");
        let (from, to) = bounds("observation_repeats_before_2021");
        assert_eq!(
            (from, to.unwrap().to_rfc3339()),
            (None, "2020-12-31T16:00:00+00:00".into())
        );
        let (from, to) = bounds("observation_repeats_from_2028");
        assert_eq!(
            (from.unwrap().to_rfc3339(), to),
            ("2027-12-31T16:00:00+00:00".into(), None)
        );
        assert_eq!(bounds("something_else"), (None, None));
        assert_eq!(bounds("observations_live"), (None, None));
    }
}
