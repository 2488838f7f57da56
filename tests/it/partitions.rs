//! PostgreSQL keeps repeats by year (migration 0041), and the changes they repeat (0053): a
//! year is made ahead of the clock, a row dated past every year is moved into its year when
//! that year is made, and a past year detaches for archive with what pages count and show
//! following it, the changes later answers stand on staying live. SQLite says it has no
//! partitions.

use crate::common::{self, observation};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use hutong::domain::{NewObservation, ObservationRecord, ProbeFacts};
use hutong::storage::{DetachedYear, StateFilter, Store};
use hutong::time::SHANGHAI;

/// A probe verdict of pack `p` (a repeat when it equals its pair's newest row).
fn verdict(check: &str, at: DateTime<Utc>, status: &str) -> NewObservation {
    observation(check, at, status)
        .probed()
        .evidence(serde_json::json!({ "final_url": "https://example.com/" }))
        .pack(ProbeFacts {
            pack_id: "p".into(),
            rule_version: 1,
            confirmed: true,
            ..ProbeFacts::default()
        })
        .build()
}

/// One verdict a day at 08:00 in Shanghai, `days` days from `first`.
fn daily(check: &str, first: DateTime<Utc>, days: i64, status: &str) -> Vec<NewObservation> {
    (0..days)
        .map(|d| verdict(check, first + Duration::days(d), status))
        .collect()
}

fn utc(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

/// A check's observations, newest first, and its kept count.
async fn history(store: &Store, check: &str) -> (Vec<(i64, DateTime<Utc>, String)>, i64) {
    let (rows, total) = store.check_history(check, 1000, 0).await.unwrap();
    (
        rows.into_iter()
            .map(|o| (o.id, o.observed_at, o.status.to_string()))
            .collect(),
        total,
    )
}

async fn partition_names(store: &Store) -> Vec<String> {
    store
        .partitions()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect()
}

/// Each source's state of `check` at `at`.
async fn states(store: &Store, check: &str, at: DateTime<Utc>) -> Vec<ObservationRecord> {
    let filter = StateFilter {
        check: Some(check.into()),
        ..StateFilter::default()
    };
    store.state_as_of(at, &filter).await.unwrap()
}

async fn current(store: &Store, check: &str, now: DateTime<Utc>) -> Vec<(i64, DateTime<Utc>)> {
    let states = states(store, check, now).await;
    states.into_iter().map(|o| (o.id, o.observed_at)).collect()
}

/// A PostgreSQL database as 0040 left it, the catalog loaded; `None` when skipping.
async fn before_partitions() -> Option<common::TestDb> {
    let db = common::postgres_at(40).await?;
    db.store
        .apply_catalog(&common::real_catalog())
        .await
        .unwrap();
    Some(db)
}

/// A database with years of repeats (written before 0041, then migrated: probes write at
/// the present, and a fresh database starts its years at this one).
#[tokio::test]
async fn repeats_are_kept_by_year_and_a_past_year_detaches_for_archive() {
    let Some(db) = before_partitions().await else {
        return;
    };
    let store = &db.store;
    let (taobao, douyin, jd) = ("link.wechat.taobao", "link.wechat.douyin", "link.wechat.jd");
    // The migration makes years up to next year by the clock; `ahead` is past them all.
    let this_year = Utc::now().with_timezone(&SHANGHAI).year();
    let ahead = this_year + 5;
    // taobao across the turn of 2025 (08:00 in Shanghai: the same date there), douyin in
    // June 2024 only (its current state a 2024 repeat), jd dated in `ahead`.
    let mut batch = daily(taobao, utc(2024, 12, 20), 22, "open");
    batch.extend(daily(douyin, utc(2024, 6, 1), 5, "blocked"));
    batch.extend(daily(jd, utc(ahead, 3, 1), 3, "open"));
    store.insert_probe_results(&[], &batch).await.unwrap();
    store.migrate().await.unwrap();

    // From the oldest repeat's year to next year, one before and one after; the changes
    // (0053), all live, in one.
    let mut expected = vec!["observation_repeats_before_2024".to_string()];
    expected.extend((2024..=this_year + 1).map(|y| format!("observation_repeats_{y}")));
    expected.push(format!("observation_repeats_from_{}", this_year + 2));
    expected.push("observations_live".to_string());
    assert_eq!(partition_names(store).await, expected);

    // Years made up to `ahead + 1`: jd's repeats move out of the last partition into
    // their year, read back and are counted once.
    let jd_before = history(store, jd).await;
    let made = store
        .ensure_repeat_partitions(utc(ahead + 1, 6, 1))
        .await
        .unwrap();
    assert_eq!(made, 5, "{} to {}", this_year + 2, ahead + 1);
    assert_eq!(
        store
            .ensure_repeat_partitions(utc(ahead + 1, 6, 1))
            .await
            .unwrap(),
        0
    );
    let names = partition_names(store).await;
    assert!(names.contains(&format!("observation_repeats_{ahead}")));
    assert!(names.contains(&format!("observation_repeats_from_{}", ahead + 2)));
    assert_eq!(names.last().unwrap(), "observations_live");
    assert_eq!(history(store, jd).await, jd_before);
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let in_ahead: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "select count(*) from only observation_repeats_{ahead}"
    )))
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(in_ahead, 2, "jd's two repeats are in their year");
    // Still written to after the move, into its year.
    store
        .insert_probe_results(&[], &daily(jd, utc(ahead, 3, 4), 1, "open"))
        .await
        .unwrap();
    assert_eq!(history(store, jd).await.1, jd_before.1 + 1);

    let now = utc(2026, 6, 1);
    let (taobao_rows, taobao_count) = history(store, taobao).await;
    let (douyin_rows, douyin_count) = history(store, douyin).await;
    let douyin_base = douyin_rows
        .iter()
        .find(|r| r.1 == utc(2024, 6, 1))
        .unwrap()
        .clone();
    let last_repeat = douyin_rows
        .iter()
        .find(|r| r.1 == utc(2024, 6, 5))
        .unwrap()
        .clone();
    assert!(
        current(store, douyin, now)
            .await
            .contains(&(last_repeat.0, last_repeat.1))
    );

    // Only whole past years, and only attached ones.
    let refused = store.detach_year(2026, now).await.unwrap_err();
    assert!(
        refused.to_string().contains("year 2026 has not ended"),
        "{refused}"
    );
    let refused = store.detach_year(2019, now).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("nothing of year 2019 is attached"),
        "{refused}"
    );
    assert_eq!(
        history(store, taobao).await.1,
        taobao_count,
        "nothing changed"
    );

    // 2024: taobao's 11 December repeats and douyin's 4; both changes of 2024 still stand.
    assert_eq!(
        store.detach_year(2024, now).await.unwrap(),
        DetachedYear {
            repeats: Some(15),
            changes: 0
        }
    );
    assert!(
        !partition_names(store)
            .await
            .contains(&"observation_repeats_2024".into())
    );
    let (rows, count) = history(store, taobao).await;
    assert_eq!(count, taobao_count - 11);
    // 2025 begins at 16:00 UTC on 31 December 2024.
    let in_2024 = |t: DateTime<Utc>, first: DateTime<Utc>| {
        t > first && t < utc(2024, 12, 31) + Duration::hours(16)
    };
    let kept: Vec<_> = taobao_rows
        .iter()
        .filter(|r| !in_2024(r.1, utc(2024, 12, 20)))
        .cloned()
        .collect();
    assert_eq!(kept.len(), taobao_rows.len() - 11);
    assert_eq!(
        rows, kept,
        "the 2025 repeats and the change they repeat stay"
    );
    let (rows, count) = history(store, douyin).await;
    assert_eq!(count, douyin_count - 4);
    let kept: Vec<_> = douyin_rows
        .iter()
        .filter(|r| !in_2024(r.1, utc(2024, 6, 1)))
        .cloned()
        .collect();
    assert_eq!(rows, kept);
    assert!(rows.contains(&douyin_base));
    // douyin's current state was a 2024 repeat: sought again, it is the change itself.
    let states = current(store, douyin, now).await;
    assert!(
        states.contains(&(douyin_base.0, douyin_base.1)),
        "{states:?}"
    );
    assert!(!states.contains(&(last_repeat.0, last_repeat.1)));
    // The archive keeps them until dropped.
    let archived: i64 = sqlx::query_scalar("select count(*) from observation_repeats_2024")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(archived, 15);
    let refused = store.detach_year(2024, now).await.unwrap_err();
    assert!(refused.to_string().contains("is attached"), "{refused}");
    pool.close().await;
    db.drop_database().await;
}

/// A database written before 0041 keeps every repeat through it: the same histories,
/// counts and current states, each repeat in its year, and probes write on.
#[tokio::test]
async fn repeats_stored_before_partitioning_read_back_after() {
    let Some(db) = before_partitions().await else {
        return;
    };
    let store = &db.store;
    let checks = ["link.wechat.taobao", "link.wechat.douyin"];
    let mut batch = daily(checks[0], utc(2023, 12, 25), 14, "open");
    batch.extend(daily(checks[1], utc(2025, 2, 1), 6, "blocked"));
    batch.extend(daily(checks[1], utc(2025, 2, 7), 3, "open"));
    store.insert_probe_results(&[], &batch).await.unwrap();
    let now = utc(2026, 6, 1);
    let mut before = Vec::new();
    for check in checks {
        before.push((
            history(store, check).await,
            current(store, check, now).await,
        ));
    }
    let forms = store.stored_forms().await.unwrap();
    assert!(forms.1 > 15, "mostly repeats: {forms:?}");

    store.migrate().await.unwrap();
    let mut after = Vec::new();
    for check in checks {
        after.push((
            history(store, check).await,
            current(store, check, now).await,
        ));
    }
    assert_eq!(after, before);
    assert_eq!(store.stored_forms().await.unwrap(), forms);
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let by_year: Vec<(String, i64)> = sqlx::query_as(
        "select tableoid::regclass::text, count(*) from observation_repeats group by 1 order by 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        by_year,
        vec![
            ("observation_repeats_2023".to_string(), 6),
            ("observation_repeats_2024".to_string(), 7),
            ("observation_repeats_2025".to_string(), 7),
        ]
    );
    pool.close().await;
    store
        .insert_probe_results(&[], &daily(checks[1], utc(2025, 2, 10), 2, "open"))
        .await
        .unwrap();
    assert_eq!(history(store, checks[1]).await.1, before[1].0.1 + 2);
    db.drop_database().await;
}

/// One fetch a day at 08:00 in Shanghai giving a verdict of each of `checks`, `days` days
/// from `first` (repeats of one fetch are one row on PostgreSQL, migration 0052).
fn fetched(checks: &[&str], first: DateTime<Utc>, days: i64, status: &str) -> Vec<NewObservation> {
    (0..days)
        .flat_map(|d| {
            checks.iter().map(move |check| {
                let mut new = verdict(check, first + Duration::days(d), status);
                if let Some(p) = new.probe.as_mut() {
                    p.snapshot = Some(format!("{:064x}", first.timestamp() + d));
                }
                new
            })
        })
        .collect()
}

/// Repeats of fetches (migration 0052) are kept by year as repeats are: a fetch dated past
/// every year moves into its year when that year is made, and a past year detaches with its
/// fetches' repeats (archived with the year's repeats), pages following it.
#[tokio::test]
async fn repeats_of_fetches_are_kept_by_year_and_a_past_year_detaches_with_them() {
    let Some(db) = before_partitions().await else {
        return;
    };
    let store = &db.store;
    let (taobao, jd) = ("link.wechat.taobao", "link.wechat.jd");
    // A repeat of January 2024 before partitioning, so the migration makes 2024's year.
    store
        .insert_probe_results(&[], &daily(taobao, utc(2024, 1, 10), 2, "open"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let this_year = Utc::now().with_timezone(&SHANGHAI).year();
    let ahead = this_year + 5;
    // Then a fetch a day of both checks across the turn of 2025, and three in `ahead`.
    let mut batch = fetched(&[taobao, jd], utc(2024, 12, 20), 22, "open");
    batch.extend(fetched(&[taobao, jd], utc(ahead, 3, 1), 3, "open"));
    store.insert_probe_results(&[], &batch).await.unwrap();
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let fetch_rows = |table: String| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "select count(*) from only {table}"
            )))
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    // jd's first verdict is a row, each later fetch one row of two repeats.
    assert_eq!(
        fetch_rows("repeat_fetches".into()).await,
        0,
        "the parent holds none"
    );
    let in_2024 = fetch_rows("repeat_fetches_2024".into()).await;
    assert_eq!(in_2024, 12, "20 to 31 December 2024, a fetch each");
    let before = (history(store, taobao).await, history(store, jd).await);

    let made = store
        .ensure_repeat_partitions(utc(ahead + 1, 6, 1))
        .await
        .unwrap();
    assert_eq!(made, 5, "{} to {}", this_year + 2, ahead + 1);
    assert_eq!(
        fetch_rows(format!("repeat_fetches_{ahead}")).await,
        3,
        "the fetches dated in {ahead} are in their year"
    );
    assert_eq!(
        (history(store, taobao).await, history(store, jd).await),
        before,
        "read back alike"
    );

    // 2024: taobao's repeats of 11 January and 20–31 December, jd's of 21–31 December.
    let now = utc(2026, 6, 1);
    assert_eq!(
        store.detach_year(2024, now).await.unwrap().repeats,
        Some(1 + 12 + 11)
    );
    let gone: Option<String> =
        sqlx::query_scalar("select to_regclass('repeat_fetches_2024')::text")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(gone, None, "the year's fetches went with its repeats");
    let archived: i64 = sqlx::query_scalar("select count(*) from observation_repeats_2024")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(archived, 1 + 12 + 11, "archived as repeats");
    // 2025 begins at 16:00 UTC on 31 December 2024.
    let year_2024 = |t: DateTime<Utc>| {
        t >= utc(2023, 12, 31) + Duration::hours(16) && t < utc(2024, 12, 31) + Duration::hours(16)
    };
    for (check, (rows, count), base) in [
        (taobao, before.0.clone(), utc(2024, 1, 10)),
        (jd, before.1.clone(), utc(2024, 12, 20)),
    ] {
        let kept: Vec<_> = rows
            .iter()
            .filter(|r| !year_2024(r.1) || r.1 == base)
            .cloned()
            .collect();
        let (after, after_count) = history(store, check).await;
        assert_eq!(
            after, kept,
            "{check}: its 2024 repeats left, the rest stays"
        );
        assert_eq!(after_count, count - (rows.len() - kept.len()) as i64);
        // The year after keeps its fetches.
        assert!(after.iter().any(|r| r.1 == utc(2025, 1, 10)));
    }
    assert!(fetch_rows("repeat_fetches_2025".into()).await > 0);
    pool.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn sqlite_says_it_has_no_partitions() {
    let db = common::sqlite().await;
    let refused = db.store.partitions().await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("only PostgreSQL partitions observations by year"),
        "{refused}"
    );
    let refused = db
        .store
        .detach_year(2021, utc(2026, 6, 1))
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("only PostgreSQL partitions observations by year"),
        "{refused}"
    );
    assert_eq!(
        db.store
            .ensure_repeat_partitions(utc(2030, 1, 1))
            .await
            .unwrap(),
        0
    );
}

/// Each source's status about `check` at `at`, with its evidence.
async fn answer(store: &Store, check: &str, at: DateTime<Utc>) -> Vec<(String, String)> {
    let states = states(store, check, at).await;
    states
        .into_iter()
        .map(|o| (o.status.to_string(), format!("{:?}", o.evidence)))
        .collect()
}

/// The changes observed in a past year (migration 0053): those no later answer stands on
/// leave with the year's repeats, into `observations_YEAR`; each pair's last change before
/// the year's end that its state could be on (and every row a repeat that stays names)
/// stays live, so every answer about a later date is as it was.
#[tokio::test]
async fn a_past_year_of_changes_detaches_but_what_still_stands_stays() {
    let Some(db) = before_partitions().await else {
        return;
    };
    let store = &db.store;
    let (taobao, douyin, jd) = ("link.wechat.taobao", "link.wechat.douyin", "link.wechat.jd");
    // A repeat of 2023 before partitioning, so the migration makes the repeats' years from
    // 2023 on; then taobao: blocked in March 2024, open from May (repeated in 2025);
    // douyin: three changes in 2024, the last standing; jd: open in April 2024, blocked
    // from March 2025.
    store
        .insert_probe_results(&[], &daily(taobao, utc(2023, 6, 1), 2, "open"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let mut batch = daily(taobao, utc(2024, 3, 1), 2, "blocked");
    batch.extend(daily(taobao, utc(2024, 5, 1), 2, "open"));
    batch.extend(daily(taobao, utc(2025, 2, 1), 1, "open"));
    batch.extend(daily(douyin, utc(2024, 2, 1), 1, "blocked"));
    batch.extend(daily(douyin, utc(2024, 8, 1), 1, "open"));
    batch.extend(daily(douyin, utc(2024, 9, 1), 1, "blocked"));
    batch.extend(daily(jd, utc(2024, 4, 1), 1, "open"));
    batch.extend(daily(jd, utc(2025, 3, 1), 1, "blocked"));
    store.insert_probe_results(&[], &batch).await.unwrap();
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    // A change's archive year is the detach's alone.
    let refused = sqlx::query(
        "update observations set archive_year = 2024 where check_id = 'link.wechat.jd'",
    )
    .execute(&pool)
    .await
    .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("set by partitions detach alone"),
        "{refused}"
    );

    let now = utc(2026, 6, 1);
    let dates = [utc(2025, 1, 15), utc(2025, 6, 1), now];
    let checks = [taobao, douyin, jd];
    let mut answers = Vec::new();
    let mut before = Vec::new();
    for check in checks {
        before.push(history(store, check).await);
        for at in dates {
            answers.push(answer(store, check, at).await);
        }
    }
    let transitions_of = |check: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_as::<_, (i64, DateTime<Utc>)>(
                "select observation_id, occurred_at from transitions where check_id = $1
                 order by occurred_at",
            )
            .bind(check)
            .fetch_all(&pool)
            .await
            .unwrap()
        }
    };
    let taobao_transitions = transitions_of(taobao).await;

    // Leaving: taobao's blocked change (superseded in May), douyin's first two; their two
    // repeats of 2024 (taobao's 2 March and 2 May) with them.
    assert_eq!(
        store.detach_year(2024, now).await.unwrap(),
        DetachedYear {
            repeats: Some(2),
            changes: 3
        }
    );
    let names = partition_names(store).await;
    assert!(
        names.contains(&"observations_live".to_string()),
        "{names:?}"
    );
    assert!(!names.contains(&"observations_2024".to_string()));

    // Every answer about a later date is as it was (where it was a repeat of 2024, it is
    // now the change that repeat repeated: the same status, the same evidence).
    let mut after = Vec::new();
    for check in checks {
        for at in dates {
            after.push(answer(store, check, at).await);
        }
    }
    assert_eq!(after, answers);
    assert_eq!(
        current(store, jd, utc(2025, 1, 15)).await[0].1,
        utc(2024, 4, 1),
        "jd's April change, which stood at the year's end, still answers for January"
    );

    let in_2024 = |t: DateTime<Utc>| {
        t >= utc(2023, 12, 31) + Duration::hours(16) && t < utc(2024, 12, 31) + Duration::hours(16)
    };
    let leaving = [
        (taobao, utc(2024, 3, 1)),
        (taobao, utc(2024, 3, 2)),
        (taobao, utc(2024, 5, 2)),
        (douyin, utc(2024, 2, 1)),
        (douyin, utc(2024, 8, 1)),
    ];
    for (check, (rows, count)) in checks.iter().zip(&before) {
        let kept: Vec<_> = rows
            .iter()
            .filter(|r| !leaving.contains(&(*check, r.1)))
            .cloned()
            .collect();
        let (rows_after, count_after) = history(store, check).await;
        assert_eq!(rows_after, kept, "{check}");
        assert_eq!(
            count_after,
            count - (rows.len() - kept.len()) as i64,
            "{check}"
        );
        // What stays of 2024: one change per pair, the one that stood at its end.
        let of_2024: Vec<_> = rows_after.iter().filter(|r| in_2024(r.1)).collect();
        assert_eq!(of_2024.len(), 1, "{check}: {of_2024:?}");
    }
    // The archive holds the leaving changes; the standing ones are live (with the catalog's
    // articles of 2024, which stand too).
    let archived: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
        "select check_id, observed_at from observations_2024 order by check_id, observed_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        archived,
        vec![
            (douyin.to_string(), utc(2024, 2, 1)),
            (douyin.to_string(), utc(2024, 8, 1)),
            (taobao.to_string(), utc(2024, 3, 1)),
        ]
    );
    let kept_rows: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
        "select check_id, observed_at from observations
         where check_id like 'link.wechat.%' and source_kind = 'probe'
           and observed_at >= '2023-12-31T16:00:00Z' and observed_at < '2024-12-31T16:00:00Z'
         order by check_id, observed_at",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        kept_rows,
        vec![
            (douyin.to_string(), utc(2024, 9, 1)),
            (jd.to_string(), utc(2024, 4, 1)),
            (taobao.to_string(), utc(2024, 5, 1)),
        ]
    );
    // The transition taobao's blocked change began left with it; the rest stay.
    let archived_id = before[0]
        .0
        .iter()
        .find(|r| r.1 == utc(2024, 3, 1))
        .unwrap()
        .0;
    let expected: Vec<_> = taobao_transitions
        .iter()
        .filter(|t| t.0 != archived_id)
        .cloned()
        .collect();
    assert_eq!(expected.len() + 1, taobao_transitions.len());
    assert_eq!(transitions_of(taobao).await, expected);

    // Probes write on, repeating what stayed.
    store
        .insert_probe_results(&[], &daily(taobao, utc(2026, 2, 1), 1, "open"))
        .await
        .unwrap();
    assert_eq!(history(store, taobao).await.1, before[0].1 - 3 + 1);

    // Once: its table stays until archived and dropped; then nothing of it is left.
    let refused = store.detach_year(2024, now).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("the table observations_2024 is still there"),
        "{refused}"
    );
    sqlx::query("drop table observations_2024, observation_repeats_2024")
        .execute(&pool)
        .await
        .unwrap();
    let refused = store.detach_year(2024, now).await.unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("nothing of year 2024 is attached"),
        "{refused}"
    );
    assert_eq!(history(store, taobao).await.1, before[0].1 - 3 + 1);
    pool.close().await;
    db.drop_database().await;
}
