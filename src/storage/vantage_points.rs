//! The registry of vantage points: each worker (and `serve` when it probes) writes the
//! vantage point it probes from when it starts, so that every process reading the
//! database, the web server included, can say what a point's name stands for.

use super::{Db, StorageError, Store, WritePool, on_pool, storable_text};
use crate::config::VantagePoint;
use chrono::{DateTime, Utc};
use sqlx::{FromRow, Row};

/// A vantage point as the database knows it: the latest description a process gave.
#[derive(Debug, Clone, PartialEq)]
pub struct RegisteredVantagePoint {
    pub point: VantagePoint,
    /// When a process first registered the name.
    pub first_registered_at: DateTime<Utc>,
    /// When a process last registered it (the description is the one it gave).
    pub registered_at: DateTime<Utc>,
}

macro_rules! registered_from {
    ($row:ty) => {
        impl<'r> FromRow<'r, $row> for RegisteredVantagePoint {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(RegisteredVantagePoint {
                    point: VantagePoint {
                        name: row.try_get("name")?,
                        description: row.try_get("description")?,
                        network: row.try_get("network")?,
                        region: row.try_get("region")?,
                        account_region: row.try_get("account_region")?,
                        device: row.try_get("device")?,
                    },
                    first_registered_at: row.try_get("first_registered_at")?,
                    registered_at: row.try_get("registered_at")?,
                })
            }
        }
    };
}

registered_from!(sqlx::sqlite::SqliteRow);
registered_from!(sqlx::postgres::PgRow);

impl Store {
    /// Records `point` under its name, replacing what an earlier start said of it (the
    /// configuration is the truth: a point re-described is shown as now described).
    pub async fn register_vantage_point(&self, point: &VantagePoint) -> Result<(), StorageError> {
        point.check().map_err(StorageError::Invalid)?;
        let text = |v: &Option<String>| v.as_deref().map(|s| storable_text(s).into_owned());
        let now = Utc::now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "insert into vantage_points (name, description, network, region,
                     account_region, device, first_registered_at, registered_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $7)
                 on conflict (name) do update set description = excluded.description,
                     network = excluded.network, region = excluded.region,
                     account_region = excluded.account_region, device = excluded.device,
                     registered_at = excluded.registered_at",
            )
            .bind(&point.name)
            .bind(text(&point.description))
            .bind(text(&point.network))
            .bind(text(&point.region))
            .bind(text(&point.account_region))
            .bind(text(&point.device))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every registered vantage point, by name.
    pub async fn vantage_points(&self) -> Result<Vec<RegisteredVantagePoint>, StorageError> {
        let sql = "select name, description, network, region, account_region, device,
                          first_registered_at, registered_at
                   from vantage_points order by name";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).fetch_all(pool).await?))
    }
}
