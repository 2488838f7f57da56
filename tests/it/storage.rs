//! The storage conformance suite: the same stories against SQLite and PostgreSQL.
//! Each story gets a fresh, empty database.

use crate::common::{self, ObservationBuilder, observation};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use hutong::domain::SourceKind;
use hutong::domain::{NewObservation, ProbeFacts};
use hutong::storage::{
    COPY_MIN_ROWS, NewSnapshot, RunStart, StateFilter, StorageError, Store, TimelineEntries,
    TimelineOrder, TimelineQuery,
};
use hutong::time::{SHANGHAI, end_of_day};

common::on_both!(
    migrating_twice_is_harmless,
    catalog_load_is_idempotent_and_updates_changed_rows,
    state_as_of_follows_the_articles,
    disagreeing_sources_are_both_kept,
    probe_observations_make_transitions_only_on_change,
    out_of_order_observations_rebuild_transitions,
    bad_observations_are_refused_and_nothing_is_lost,
    timeline_filters_and_pages,
    simulated_observations_stay_out_of_real_figures,
    instants_round_trip_exactly,
    text_a_batch_writes_reads_back_exactly,
    check_history_pages_newest_first_and_counts_real_data,
    a_change_counts_after_n_agreeing_probe_observations,
    probe_runs_resume_and_snapshots_are_stored_once,
    every_write_raises_the_data_version,
    a_seed_written_by_two_writers_stores_what_one_writer_stores,
    writers_storing_the_same_checks_in_any_order_never_deadlock,
    writers_storing_one_pairs_changing_verdicts_side_by_side_keep_its_transitions,
    writers_storing_the_same_new_evidence_in_any_order_never_deadlock,
    a_probe_batch_and_an_insert_storing_one_pairs_new_evidence_side_by_side_never_deadlock,
    evidence_that_repeats_is_stored_once_and_reads_back_as_given,
    a_fetchs_verdicts_keep_its_figures_and_snapshot_once,
    the_fetches_and_run_keys_verdicts_name_are_never_deleted,
    a_runs_key_is_kept_once_and_still_refuses_a_check_twice,
    a_catalog_of_thousands_of_platforms_loads_every_row_and_every_change,
    what_every_write_keeps_equals_a_count_of_the_rows,
    the_reference_is_read_again_after_catalog_writes_only,
    a_batch_keeps_exactly_what_rows_written_one_at_a_time_keep,
    windows_find_each_probes_latest_verdict_before_them,
    windowed_verdicts_counted_by_day_equal_a_count_of_every_verdict_after_every_kind_of_write,
    a_settled_state_is_kept_while_probes_write_now_and_read_again_when_a_write_reaches_back,
    settled_openness_points_stay_right_while_probes_write_and_when_a_change_is_confirmed_late,
    current_states_are_kept_while_other_checks_are_written_and_read_again_after_any_write_to_theirs,
    a_checks_page_reads_are_kept_while_other_checks_are_written_and_read_again_after_any_write_to_its_own,
    repeats_are_stored_thin_and_every_reader_answers_as_for_whole_rows,
    on_mostly_repeats_history_pages_seeks_and_versions_answer_as_for_whole_rows,
    a_change_confirmed_over_repeats_is_dated_at_its_first_verdict,
    retracting_a_pairs_latest_row_hands_its_state_to_the_repeat_before_it,
    a_repeat_dated_over_a_day_ago_renews_the_past_and_one_dated_now_does_not,
);

fn day_end(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    end_of_day(NaiveDate::from_ymd_opt(y, m, d).unwrap(), SHANGHAI)
}

/// A fixed pseudo-random sequence from `seed` (xorshift, the same on every run): each call
/// gives a number below its argument.
fn pseudo_random(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    }
}

async fn loaded(store: &Store) {
    store
        .apply_catalog(&common::real_catalog())
        .await
        .expect("catalog loads");
}

async fn status_of(store: &Store, check: &str, at: DateTime<Utc>) -> Vec<(String, String)> {
    let filter = StateFilter {
        check: Some(check.into()),
        ..StateFilter::default()
    };
    let mut rows: Vec<(String, String)> = store
        .state_as_of(at, &filter)
        .await
        .unwrap()
        .into_iter()
        .map(|o| (o.source_id.unwrap_or(o.source_key), o.status))
        .collect();
    rows.sort();
    rows
}

/// A probe's observation with the least evidence, of no pack.
fn probed(check: &str, at: DateTime<Utc>, status: &str) -> ObservationBuilder {
    observation(check, at, status)
        .probed()
        .evidence(serde_json::json!({ "final_url": "https://example.com/" }))
}

fn probe(check: &str, at: DateTime<Utc>, status: &str) -> NewObservation {
    probed(check, at, status).build()
}

async fn migrating_twice_is_harmless(store: &Store) {
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
    assert_eq!(store.counts().await.unwrap().observations, 0);
}

async fn catalog_load_is_idempotent_and_updates_changed_rows(store: &Store) {
    let mut cat = common::real_catalog();
    let first = store.apply_catalog(&cat).await.unwrap();
    assert_eq!(first.observations_inserted, cat.observations.len());
    let counts = store.counts().await.unwrap();

    let second = store.apply_catalog(&cat).await.unwrap();
    assert_eq!(second.observations_inserted, 0);
    assert_eq!(second.observations_updated, 0);
    assert_eq!(second.observations_unchanged, cat.observations.len());
    assert_eq!(
        store.counts().await.unwrap(),
        counts,
        "a second load changes nothing"
    );

    // Edit one fact and one name, as a reviewer would in a pull request.
    let edited = cat
        .observations
        .iter_mut()
        .find(|o| o.check == "link.wechat.douyin")
        .expect("the catalog knows WeChat × Douyin");
    edited.status = "blocked".into();
    cat.platforms
        .iter_mut()
        .find(|p| p.slug == "douyin")
        .unwrap()
        .name_en = "Douyin (TikTok China)".into();
    let third = store.apply_catalog(&cat).await.unwrap();
    assert_eq!(third.observations_updated, 1);
    assert_eq!(
        store.counts().await.unwrap().observations,
        counts.observations,
        "updated in place"
    );
    assert_eq!(
        status_of(store, "link.wechat.douyin", day_end(2021, 10, 17)).await,
        vec![("cnbeta-2021-10-17".into(), "blocked".into())]
    );
    let reference = store.reference().await.unwrap();
    assert_eq!(
        reference.platform("douyin").unwrap().name_en,
        "Douyin (TikTok China)"
    );
    let transitions = store.transitions("link.wechat.douyin").await.unwrap();
    assert_eq!(transitions.last().unwrap().to_status, "blocked");
}

async fn state_as_of_follows_the_articles(store: &Store) {
    loaded(store).await;
    let taobao = "link.wechat.taobao";
    assert_eq!(
        status_of(store, taobao, day_end(2021, 9, 1)).await,
        vec![("cnbeta-2021-10-17".into(), "token_only".into())]
    );
    assert_eq!(
        status_of(store, taobao, day_end(2021, 10, 17)).await,
        vec![("cnbeta-2021-10-17".into(), "warned".into())]
    );
    assert_eq!(
        status_of(store, "link.wechat.douyin", day_end(2021, 10, 17)).await[0].1,
        "token_only"
    );
    assert_eq!(
        status_of(store, "link.wechat.jd", day_end(2021, 10, 17)).await[0].1,
        "open"
    );
    // Before anything was observed there is no state at all.
    assert!(
        status_of(store, taobao, day_end(2020, 1, 1))
            .await
            .is_empty()
    );

    let transitions = store.transitions(taobao).await.unwrap();
    let path: Vec<(Option<&str>, &str)> = transitions
        .iter()
        .map(|t| (t.from_status.as_deref(), t.to_status.as_str()))
        .collect();
    assert_eq!(
        path,
        vec![(None, "token_only"), (Some("token_only"), "warned")]
    );

    let observations = store.observations(taobao).await.unwrap();
    assert_eq!(observations.len(), 2);
    assert!(
        observations[0].observed_at < observations[1].observed_at,
        "oldest first"
    );
    assert_eq!(observations[0].precision, "approximate");
    assert_eq!(observations[1].source_publisher.as_deref(), Some("cnBeta"));
    assert_eq!(observations[1].vantage, "CN");
}

async fn disagreeing_sources_are_both_kept(store: &Store) {
    loaded(store).await;
    let check = "payment.meituan.alipay";
    assert_eq!(
        status_of(store, check, day_end(2021, 9, 30)).await,
        vec![("cls-2021-09-28".into(), "accepted".into())]
    );
    assert_eq!(
        status_of(store, check, day_end(2021, 10, 17)).await,
        vec![
            ("cls-2021-09-28".into(), "accepted".into()),
            ("cnbeta-2021-10-17".into(), "not_accepted".into())
        ]
    );
    // One source saying two different things would be a transition; two sources are not.
    let transitions = store.transitions(check).await.unwrap();
    assert!(
        transitions.iter().all(|t| t.from_status.is_none()),
        "{transitions:?}"
    );
}

async fn probe_observations_make_transitions_only_on_change(store: &Store) {
    loaded(store).await;
    let check = "link.weibo.taobao";
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let statuses = ["blocked", "blocked", "warned", "warned", "warned", "open"];
    for (i, s) in statuses.iter().enumerate() {
        store
            .insert_observation(&probe(check, t0 + Duration::hours(i as i64), s))
            .await
            .unwrap();
    }
    let path: Vec<(Option<String>, String)> = store
        .transitions(check)
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.from_status, t.to_status))
        .collect();
    assert_eq!(
        path,
        vec![
            (None, "blocked".into()),
            (Some("blocked".into()), "warned".into()),
            (Some("warned".into()), "open".into())
        ]
    );
    assert_eq!(
        store.observations(check).await.unwrap().len(),
        6,
        "every observation is kept"
    );
    assert_eq!(
        status_of(store, check, t0 + Duration::minutes(150)).await,
        vec![("probe@cn-test".into(), "warned".into())]
    );
    let o = &store.observations(check).await.unwrap()[0];
    assert_eq!(
        o.evidence.as_ref().unwrap().final_url.as_deref(),
        Some("https://example.com/")
    );
}

async fn out_of_order_observations_rebuild_transitions(store: &Store) {
    loaded(store).await;
    let check = "link.weibo.taobao";
    let t0 = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    store
        .insert_observation(&probe(check, t0, "blocked"))
        .await
        .unwrap();
    store
        .insert_observation(&probe(check, t0 + Duration::hours(2), "blocked"))
        .await
        .unwrap();
    // A late report of something in between: the story becomes blocked → open → blocked.
    store
        .insert_observation(&probe(check, t0 + Duration::hours(1), "open"))
        .await
        .unwrap();
    let path: Vec<String> = store
        .transitions(check)
        .await
        .unwrap()
        .into_iter()
        .map(|t| format!("{}→{}", t.from_status.unwrap_or_default(), t.to_status))
        .collect();
    assert_eq!(path, vec!["→blocked", "blocked→open", "open→blocked"]);
}

async fn bad_observations_are_refused_and_nothing_is_lost(store: &Store) {
    loaded(store).await;
    let before = store.counts().await.unwrap();
    let now = Utc::now();
    let err = store
        .insert_observation(&probe("link.wechat.taobao", now, "warnd"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StorageError::Invalid(ref m) if m.contains("\"warnd\" is not on the ladder")),
        "{err}"
    );
    let err = store
        .insert_observation(&probe("link.nobody.taobao", now, "open"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown check \"link.nobody.taobao\""),
        "{err}"
    );
    assert_eq!(store.counts().await.unwrap(), before);
    // In a batch the first refused observation is named, with its check's whole ladder,
    // and nothing of the batch is stored.
    let err = store
        .insert_observations(&[
            probe("link.wechat.taobao", now, "open"),
            probe("link.wechat.taobao", now, "unknown"),
            probe(
                "link.wechat.taobao",
                now + Duration::seconds(1),
                "half-open",
            ),
            probe("link.nobody.taobao", now, "open"),
        ])
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "status \"half-open\" is not on the ladder of check \"link.wechat.taobao\" \
         (open, warned, token_only, blocked)"
    );
    let err = store
        .insert_observations(&[
            probe("link.wechat.taobao", now, "blocked"),
            probe("link.nobody.taobao", now, "open"),
            probe("link.wechat.taobao", now, "warnd"),
        ])
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("unknown check \"link.nobody.taobao\""),
        "{err}"
    );
    assert_eq!(store.counts().await.unwrap(), before);
    // `unknown` is on every ladder.
    store
        .insert_observation(&probe("link.wechat.taobao", now, "unknown"))
        .await
        .unwrap();
    assert_eq!(
        store.counts().await.unwrap().observations,
        before.observations + 1
    );
}

async fn timeline_filters_and_pages(store: &Store) {
    loaded(store).await;
    let q = |platform: Option<&str>, kind: Option<&str>, limit: i64, offset: i64| TimelineQuery {
        until: day_end(2021, 12, 31),
        since: None,
        platform: platform.map(Into::into),
        kind: kind.map(Into::into),
        source_kind: None,
        include_simulated: false,
        check: None,
        entries: Default::default(),
        limit,
        offset,
    };
    let (all, total) = store.timeline(&q(None, None, 1000, 0)).await.unwrap();
    assert_eq!(all.len() as i64, total);
    assert!(
        all.windows(2).all(|w| w[0].occurred_at >= w[1].occurred_at),
        "newest first"
    );

    let (taobao, _) = store
        .timeline(&q(Some("taobao"), None, 1000, 0))
        .await
        .unwrap();
    assert!(!taobao.is_empty());
    assert!(
        taobao
            .iter()
            .all(|t| t.subject == "taobao" || t.object == "taobao")
    );
    assert!(
        taobao
            .iter()
            .any(|t| t.check_id == "link.wechat.taobao" && t.to_status == "warned")
    );

    let (links, _) = store
        .timeline(&q(None, Some("link"), 1000, 0))
        .await
        .unwrap();
    assert!(links.iter().all(|t| t.kind == "link"));

    let (page1, _) = store.timeline(&q(None, None, 5, 0)).await.unwrap();
    let (page2, _) = store.timeline(&q(None, None, 5, 5)).await.unwrap();
    assert_eq!(page1.len(), 5);
    assert!(
        page2.iter().all(|t| !page1.iter().any(|p| p.id == t.id)),
        "pages do not overlap"
    );

    let (early, _) = store
        .timeline(&TimelineQuery {
            until: day_end(2021, 9, 1),
            ..q(None, None, 1000, 0)
        })
        .await
        .unwrap();
    assert!(early.iter().all(|t| t.occurred_at <= day_end(2021, 9, 1)));
    assert!(early.len() < all.len());
}

async fn simulated_observations_stay_out_of_real_figures(store: &Store) {
    loaded(store).await;
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let mut sim = probe("link.wechat.taobao", at, "blocked");
    sim.source_kind = SourceKind::Simulated;
    sim.vantage = "simulator".into();
    store.insert_observation(&sim).await.unwrap();
    let real = store
        .state_as_of(
            at,
            &StateFilter {
                check: Some("link.wechat.taobao".into()),
                ..StateFilter::default()
            },
        )
        .await
        .unwrap();
    assert!(real.iter().all(|o| o.source_kind != "simulated"));
    let with_sim = store
        .state_as_of(
            at,
            &StateFilter {
                check: Some("link.wechat.taobao".into()),
                include_simulated: true,
                ..StateFilter::default()
            },
        )
        .await
        .unwrap();
    assert!(
        with_sim
            .iter()
            .any(|o| o.source_kind == "simulated" && o.status == "blocked")
    );
    let q = TimelineQuery {
        until: at,
        since: None,
        platform: None,
        kind: None,
        source_kind: None,
        include_simulated: false,
        check: None,
        entries: Default::default(),
        limit: 1000,
        offset: 0,
    };
    let (rows, _) = store.timeline(&q).await.unwrap();
    assert!(rows.iter().all(|t| t.source_kind != "simulated"));
    let (rows, _) = store
        .timeline(&TimelineQuery {
            include_simulated: true,
            check: None,
            entries: Default::default(),
            source_kind: Some(SourceKind::Simulated),
            ..q
        })
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
}

async fn instants_round_trip_exactly(store: &Store) {
    loaded(store).await;
    let at = Utc.with_ymd_and_hms(2026, 5, 4, 3, 2, 1).unwrap() + Duration::microseconds(123_456);
    let id = store
        .insert_observation(&probe("link.qq.jd", at, "open"))
        .await
        .unwrap();
    let o = store
        .observations("link.qq.jd")
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.id == id)
        .unwrap();
    assert_eq!(o.observed_at, at);
    // "As of" is inclusive of the instant itself and exclusive of a microsecond before.
    assert_eq!(
        status_of(store, "link.qq.jd", at)
            .await
            .iter()
            .filter(|(s, _)| s.starts_with("probe"))
            .count(),
        1
    );
    assert_eq!(
        status_of(store, "link.qq.jd", at - Duration::microseconds(1))
            .await
            .iter()
            .filter(|(s, _)| s.starts_with("probe"))
            .count(),
        0
    );
}

/// Quotes, notes, vantage points, pack ids and failures written in one batch read back as
/// given, whatever they hold: PostgreSQL writes a batch of [`COPY_MIN_ROWS`] or more with
/// COPY's text format, where a tab, newline, carriage return, backslash or `\N` in a value
/// would otherwise split, end, or null it, and a smaller batch with INSERT: the awkward rows
/// are written once in a batch of their own (below the threshold) and once padded to the
/// threshold. U+0000 is kept as U+FFFD on both databases.
async fn text_a_batch_writes_reads_back_exactly(store: &Store) {
    loaded(store).await;
    let awkward = [
        "tab\there",
        "line one\nline two\r\n",
        "a backslash \\ and \\\\ two",
        "\\N",
        "\\t is not a tab",
        "ends with a backslash \\",
        "\t\t",
        "引号\t“中文”\n第二行",
        "nul\0here",
    ];
    let kept = |s: &str| s.replace('\0', "\u{FFFD}");
    // Below the threshold, then exactly at it; each batch in its own month.
    for (month, size) in [(4, awkward.len()), (5, COPY_MIN_ROWS.max(awkward.len()))] {
        let start = Utc.with_ymd_and_hms(2026, month, 1, 0, 0, 0).unwrap();
        let batch: Vec<NewObservation> = (0..size)
            .map(|i| {
                let text = awkward.get(i).copied().unwrap_or("plain");
                let mut o = probed("link.qq.jd", start + Duration::minutes(i as i64), "open")
                    .vantage(&format!("cn\t{i}\\{text}"))
                    .quote(text)
                    .note_en(&format!("{text} (en)"))
                    .pack(ProbeFacts {
                        pack_id: format!("pack\\{i}\t"),
                        rule_version: 1,
                        confirmed: true,
                        failure: Some(format!("failure\n{text}")),
                        snapshot: None,
                        reclassifies: None,
                        run_key: None,
                        confirmations: 1,
                    })
                    .build();
                o.note_zh = Some(format!("{text}（中）"));
                o
            })
            .collect();
        let ids = store.insert_observations(&batch).await.unwrap();
        assert_eq!(ids.len(), batch.len(), "a batch of {size}: one id per row");
        let stored: std::collections::HashMap<i64, _> = store
            .observations("link.qq.jd")
            .await
            .unwrap()
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
        for (new, id) in batch.iter().zip(&ids) {
            let o = stored
                .get(id)
                .unwrap_or_else(|| panic!("a batch of {size}: observation {id} is stored"));
            assert_eq!(o.quote, new.quote.as_deref().map(kept), "quote");
            assert_eq!(o.note_en, new.note_en.as_deref().map(kept), "note_en");
            assert_eq!(o.note_zh, new.note_zh.as_deref().map(kept), "note_zh");
            assert_eq!(o.vantage, kept(&new.vantage), "vantage");
            assert_eq!(o.observed_at, new.observed_at);
            let facts = new.probe.as_ref().unwrap();
            assert_eq!(o.pack_id.as_deref(), Some(kept(&facts.pack_id).as_str()));
            assert_eq!(o.failure, facts.failure.as_deref().map(kept), "failure");
            assert_eq!(o.source_key, kept(&new.source_key()), "source key");
        }
    }
}

async fn check_history_pages_newest_first_and_counts_real_data(store: &Store) {
    loaded(store).await;
    let real_before = store.real_observation_count().await.unwrap();
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let batch: Vec<NewObservation> = (0..7)
        .map(|i| {
            probe(
                "link.weibo.taobao",
                start + Duration::hours(i),
                if i % 2 == 0 { "open" } else { "blocked" },
            )
        })
        .collect();
    let ids = store.insert_observations(&batch).await.unwrap();
    let (page, total) = store
        .check_history("link.weibo.taobao", 3, 0)
        .await
        .unwrap();
    assert_eq!(total, 7);
    assert_eq!(
        page.iter().map(|o| o.id).collect::<Vec<_>>(),
        vec![ids[6], ids[5], ids[4]],
        "newest first"
    );
    let (last, _) = store
        .check_history("link.weibo.taobao", 3, 6)
        .await
        .unwrap();
    assert_eq!(last.iter().map(|o| o.id).collect::<Vec<_>>(), vec![ids[0]]);
    let (none, total) = store
        .check_history("link.nobody.nothing", 3, 0)
        .await
        .unwrap();
    assert!(none.is_empty() && total == 0);

    // Simulated observations, and any observation of a simulated platform, are not real.
    assert_eq!(
        store.real_observation_count().await.unwrap(),
        real_before + 7
    );
    let mut sim = probe("link.wechat.taobao", start, "blocked");
    sim.source_kind = SourceKind::Simulated;
    store.insert_observation(&sim).await.unwrap();
    assert_eq!(
        store.real_observation_count().await.unwrap(),
        real_before + 7
    );
    store
        .execute_admin("update groups set simulated = true where slug = 'sina'")
        .await
        .unwrap();
    assert_eq!(store.real_observation_count().await.unwrap(), real_before);

    // Run times can be set (runs from hours ago).
    let slot = start - Duration::hours(5);
    let hutong::storage::RunStart::Fresh(run) = store
        .begin_run("p", "cn-test", slot, "schedule", 2, None)
        .await
        .unwrap()
    else {
        panic!("a fresh run")
    };
    store.finish_run(run, 2, 2, None).await.unwrap();
    store
        .set_run_times(run, slot, Some(slot + Duration::minutes(1)))
        .await
        .unwrap();
    let runs = store.recent_runs("p", 5).await.unwrap();
    assert_eq!(runs[0].started_at, slot);
    assert_eq!(runs[0].finished_at, Some(slot + Duration::minutes(1)));
    assert!(runs[0].failed());
}

/// An observation of the pack `p`, which needs two agreeing observations for a change.
fn pack_obs(check: &str, at: DateTime<Utc>, status: &str, failure: Option<&str>) -> NewObservation {
    probed(check, at, status)
        .pack(ProbeFacts {
            pack_id: "p".into(),
            rule_version: 1,
            confirmed: true,
            failure: failure.map(str::to_string),
            confirmations: 2,
            ..ProbeFacts::default()
        })
        .build()
}

/// `new` as one of the verdicts of the fetch named `fetch` (its snapshot), when one is named:
/// the verdicts of one fetch a batch writes share their fetch, and on PostgreSQL those that
/// repeat are stored as one row of `repeat_fetches` (migration 0052).
fn of_fetch(mut new: NewObservation, fetch: Option<String>) -> NewObservation {
    if let (Some(fetch), Some(p)) = (fetch, new.probe.as_mut()) {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        fetch.hash(&mut h);
        p.snapshot = Some(format!("{:064x}", h.finish()));
    }
    new
}

/// PostgreSQL: the repeats of fetches a database keeps (rows of `repeat_fetches`) and the
/// most repeats one of them stands for.
async fn fetch_repeats_kept(url: &str) -> (i64, i32) {
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    sqlx::query_as(
        "select count(*), coalesce(max(cardinality(s.bases)), 0)
         from repeat_fetches f join repeat_sets s on s.id = f.set_id",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap()
}

/// The stories of repeats again with each round's verdicts of a source from one fetch: on
/// PostgreSQL they are stored a row per fetch (migration 0052), and every reader answers as
/// for whole rows, through corrections, late reports and changes confirmed over repeats.
#[tokio::test]
async fn postgres_repeats_of_one_fetch_answer_every_reader_as_whole_rows() {
    let Some(db) = common::postgres().await else {
        return;
    };
    repeats_are_stored_thin_and_every_reader_answers_as_for_whole_rows_in(&db.store, true).await;
    let (fetch_rows, most) = fetch_repeats_kept(&db.url).await;
    assert!(
        fetch_rows >= 10 && most == 3,
        "{fetch_rows} fetches of up to {most} repeats"
    );
}

#[tokio::test]
async fn postgres_repeats_of_one_fetch_read_in_time_order_as_whole_rows() {
    let Some(db) = common::postgres().await else {
        return;
    };
    on_mostly_repeats_history_pages_seeks_and_versions_answer_as_for_whole_rows_in(&db.store, true)
        .await;
    let (fetch_rows, most) = fetch_repeats_kept(&db.url).await;
    assert!(
        fetch_rows >= 250 && most == 2,
        "{fetch_rows} fetches of up to {most} repeats"
    );
}

#[tokio::test]
async fn postgres_retracting_a_pairs_latest_row_hands_its_state_to_a_repeat_of_a_fetch() {
    let Some(db) = common::postgres().await else {
        return;
    };
    retracting_a_pairs_latest_row_hands_its_state_to_the_repeat_before_it_in(&db.store, true).await;
    assert!(fetch_repeats_kept(&db.url).await.0 > 0);
}

#[tokio::test]
async fn postgres_a_change_confirmed_over_repeats_of_fetches_is_dated_at_its_first_verdict() {
    let Some(db) = common::postgres().await else {
        return;
    };
    a_change_confirmed_over_repeats_is_dated_at_its_first_verdict_in(&db.store, true).await;
    assert!(fetch_repeats_kept(&db.url).await.0 > 0);
}

async fn a_change_counts_after_n_agreeing_probe_observations(store: &Store) {
    loaded(store).await;
    let check = "link.wechat.taobao";
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let at = |m: i64| t0 + Duration::minutes(m);
    // blocked, blocked → change; a single warned (a flap) → nothing; a failed probe in the
    // middle of a run neither breaks nor counts; warned, (timeout), warned → change.
    let seq = [
        ("blocked", None),
        ("blocked", None),
        ("warned", None),
        ("blocked", None),
        ("warned", None),
        ("unknown", Some("timeout")),
        ("warned", None),
    ];
    for (i, (status, failure)) in seq.iter().enumerate() {
        store
            .insert_observation(&pack_obs(check, at(i as i64), status, *failure))
            .await
            .unwrap();
    }
    let probe_only = |t: Vec<hutong::domain::TransitionRecord>| {
        t.into_iter()
            .filter(|t| t.source_key.starts_with("probe:"))
            .collect::<Vec<_>>()
    };
    let t = probe_only(store.transitions(check).await.unwrap());
    let got: Vec<_> = t
        .iter()
        .map(|t| (t.from_status.clone(), t.to_status.clone(), t.occurred_at))
        .collect();
    assert_eq!(
        got,
        [
            (None, "blocked".to_string(), at(0)),
            (Some("blocked".to_string()), "warned".to_string(), at(4)),
        ],
        "each change is dated at the first of its agreeing observations"
    );
    // Every observation is still stored, and a failed probe does not hide the state.
    let stored = store.observations(check).await.unwrap();
    assert_eq!(stored.iter().filter(|o| o.pack_id.is_some()).count(), 7);
    let state = store
        .state_as_of(
            at(10),
            &StateFilter {
                check: Some(check.into()),
                ..StateFilter::default()
            },
        )
        .await
        .unwrap();
    let probe_state: Vec<_> = state.iter().filter(|o| o.pack_id.is_some()).collect();
    assert_eq!(probe_state.len(), 1);
    assert_eq!(probe_state[0].status, "warned");

    // A late observation rebuilds the pair with the same rule.
    store
        .insert_observation(&pack_obs(
            check,
            at(3) + Duration::seconds(30),
            "blocked",
            None,
        ))
        .await
        .unwrap();
    let t = probe_only(store.transitions(check).await.unwrap());
    assert_eq!(
        t.iter().map(|t| t.occurred_at).collect::<Vec<_>>(),
        [at(0), at(4)],
        "blocked at 3 and 3:30 agree with the current state: still two changes"
    );
}

/// A change needs four agreeing verdicts; the three before the one that confirms it are
/// stored as a row and two repeats of it (migration 0032), and the batch writer's look
/// back, which seeks a pair's last rows and their last repeats, must count them.
async fn a_change_confirmed_over_repeats_is_dated_at_its_first_verdict(store: &Store) {
    a_change_confirmed_over_repeats_is_dated_at_its_first_verdict_in(store, false).await;
}

async fn a_change_confirmed_over_repeats_is_dated_at_its_first_verdict_in(
    store: &Store,
    fetches: bool,
) {
    loaded(store).await;
    let check = "link.wechat.taobao";
    let t0 = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    let at = |m: i64| t0 + Duration::minutes(15 * m);
    let verdict = |i: i64, status: &str| {
        let mut new = pack_obs(check, at(i), status, None);
        if let Some(p) = new.probe.as_mut() {
            p.confirmations = 4;
        }
        new
    };
    // With fetches, each verdict beside one of another check from the same fetch (a fetch
    // of one verdict keeps its figures in the row), JD's always open.
    let batch = |i: i64, status: &str| {
        let fetch = fetches.then(|| format!("{i}"));
        let mut batch = vec![of_fetch(verdict(i, status), fetch.clone())];
        if fetches {
            batch.push(of_fetch(
                pack_obs("link.wechat.jd", at(i), "open", None),
                fetch,
            ));
        }
        batch
    };
    // open ×6, blocked ×4, open ×2 (a flap: not confirmed), blocked ×1, open ×5.
    let seq: Vec<&str> = [
        ["open"; 6].as_slice(),
        &["blocked"; 4],
        &["open"; 2],
        &["blocked"; 1],
        &["open"; 5],
    ]
    .concat();
    let (rows_before, repeats_before) = store.stored_forms().await.unwrap();
    for (i, status) in seq.iter().enumerate() {
        store
            .insert_probe_results(&[], &batch(i as i64, status))
            .await
            .unwrap();
    }
    let (rows, repeats) = store.stored_forms().await.unwrap();
    let jd = if fetches {
        (1, seq.len() as i64 - 1)
    } else {
        (0, 0)
    };
    assert_eq!(
        (rows - rows_before, repeats - repeats_before),
        (5 + jd.0, 13 + jd.1),
        "a row where the status differs from the pair's newest row, the rest repeats"
    );
    let got: Vec<_> = store
        .transitions(check)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.source_key.starts_with("probe:"))
        .map(|t| (t.from_status, t.to_status, t.occurred_at))
        .collect();
    assert_eq!(
        got,
        [
            (None, "open".to_string(), at(0)),
            (Some("open".to_string()), "blocked".to_string(), at(6)),
            (Some("blocked".to_string()), "open".to_string(), at(13)),
        ],
        "each change dated at the first of four agreeing verdicts, repeats among them"
    );
}

/// A probe batch storing a verdict more than a day old as a repeat (a late report, a
/// backfill) raises the past's version, so kept results of past dates are read again; one
/// dated now leaves it (PostgreSQL: the batch raises it itself since migration 0050).
async fn a_repeat_dated_over_a_day_ago_renews_the_past_and_one_dated_now_does_not(store: &Store) {
    loaded(store).await;
    let check = "link.wechat.taobao";
    let t0 = Utc::now() - Duration::days(3);
    // Two agreeing verdicts: the change to open (dated then, which renews the past itself).
    for at in [t0, t0 + Duration::minutes(10)] {
        store
            .insert_probe_results(&[], &[pack_obs(check, at, "open", None)])
            .await
            .unwrap();
    }
    let (_, repeats_before) = store.stored_forms().await.unwrap();
    let before = store.data_versions().await.unwrap();
    store
        .insert_probe_results(
            &[],
            &[pack_obs(check, t0 + Duration::hours(1), "open", None)],
        )
        .await
        .unwrap();
    let late = store.data_versions().await.unwrap();
    assert_eq!(
        store.stored_forms().await.unwrap().1,
        repeats_before + 1,
        "stored as a repeat"
    );
    assert!(late.past > before.past, "{before:?} → {late:?}");
    assert!(late.data > before.data);
    store
        .insert_probe_results(&[], &[pack_obs(check, Utc::now(), "open", None)])
        .await
        .unwrap();
    let now = store.data_versions().await.unwrap();
    assert_eq!(store.stored_forms().await.unwrap().1, repeats_before + 2);
    assert_eq!(now.past, late.past, "a repeat dated now leaves the past");
    assert!(now.data > late.data);
}

/// The observation a probe pair's current state names is retracted: the state goes back to
/// the latest observation that still counts, which here is a repeat of an earlier row (what
/// pages show as the pair's latest word, with its time).
async fn retracting_a_pairs_latest_row_hands_its_state_to_the_repeat_before_it(store: &Store) {
    retracting_a_pairs_latest_row_hands_its_state_to_the_repeat_before_it_in(store, false).await;
}

async fn retracting_a_pairs_latest_row_hands_its_state_to_the_repeat_before_it_in(
    store: &Store,
    fetches: bool,
) {
    loaded(store).await;
    let check = "link.wechat.taobao";
    let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 6, 0, 0).unwrap();
    let at = |h: i64| t0 + Duration::hours(h);
    let (rows_before, repeats_before) = store.stored_forms().await.unwrap();
    let mut ids = Vec::new();
    for (h, status) in [(0, "open"), (1, "open"), (2, "open"), (3, "blocked")] {
        ids.push(
            store
                .insert_probe_results(&[], &{
                    // With fetches, beside a verdict of another check from the same fetch
                    // (a fetch of one verdict keeps its figures in the row).
                    let fetch = fetches.then(|| format!("{h}"));
                    let mut batch = vec![of_fetch(
                        pack_obs(check, at(h), status, None),
                        fetch.clone(),
                    )];
                    if fetches {
                        batch.push(of_fetch(
                            pack_obs("link.wechat.jd", at(h), "open", None),
                            fetch,
                        ));
                    }
                    batch
                })
                .await
                .unwrap()[0],
        );
    }
    let (rows, repeats) = store.stored_forms().await.unwrap();
    let jd = if fetches { (1, 3) } else { (0, 0) };
    assert_eq!(
        (rows - rows_before, repeats - repeats_before),
        (2 + jd.0, 2 + jd.1),
        "open, two repeats of it, then blocked"
    );
    let filter = StateFilter {
        check: Some(check.into()),
        ..StateFilter::default()
    };
    let now = Utc::now();
    let state = |got: Vec<hutong::domain::ObservationRecord>| -> Vec<(i64, DateTime<Utc>, String)> {
        got.into_iter()
            .filter(|o| o.source_key.starts_with("probe:"))
            .map(|o| (o.id, o.observed_at, o.status))
            .collect()
    };
    assert_eq!(
        state(store.state_as_of(now, &filter).await.unwrap()),
        [(ids[3], at(3), "blocked".to_string())]
    );
    store
        .retract_observation(ids[3], "wrong page", &retraction_by_test())
        .await
        .unwrap();
    let kept = state(store.state_as_of(now, &filter).await.unwrap());
    assert_eq!(
        kept,
        [(ids[2], at(2), "open".to_string())],
        "the latest verdict that counts is the second repeat, not the row it repeats"
    );
    assert_eq!(
        kept,
        state(
            store
                .state_as_of_from_observations(now, &filter)
                .await
                .unwrap()
        )
    );
}

async fn probe_runs_resume_and_snapshots_are_stored_once(store: &Store) {
    loaded(store).await;
    let slot = Utc.with_ymd_and_hms(2026, 2, 1, 6, 0, 0).unwrap();
    let RunStart::Fresh(id) = store
        .begin_run("p", "cn-test", slot, "schedule", 2, None)
        .await
        .unwrap()
    else {
        panic!("a new slot starts fresh");
    };
    let body = b"<html>same page</html>".to_vec();
    let snap = NewSnapshot {
        sha256: "ab".repeat(32),
        size: body.len() as i64,
        content_type: Some("text/html".into()),
        compressed: body.clone(),
        base_sha256: None,
    };
    let mut first = pack_obs("link.wechat.taobao", slot, "open", None);
    if let Some(p) = first.probe.as_mut() {
        p.run_key = Some(hutong::storage::run_key(
            "p",
            "cn-test",
            slot,
            "link.wechat.taobao",
        ));
        p.snapshot = Some(snap.sha256.clone());
    }
    store
        .insert_probe_results(&[snap.clone(), snap.clone()], std::slice::from_ref(&first))
        .await
        .unwrap();
    // The same run key again is refused, and nothing of the batch is written.
    assert!(
        store
            .insert_probe_results(std::slice::from_ref(&snap), std::slice::from_ref(&first))
            .await
            .is_err()
    );
    assert_eq!(
        store.snapshot_totals().await.unwrap().0,
        1,
        "identical bodies are stored once"
    );
    let stored = store.snapshot(&snap.sha256).await.unwrap().unwrap();
    assert_eq!(stored.body, body);

    // Stopped mid-run: the next start resumes it and knows what is done.
    let interrupted = store.interrupted_runs("cn-test").await.unwrap();
    assert_eq!(interrupted.len(), 1);
    match store
        .begin_run("p", "cn-test", slot, "resume", 2, None)
        .await
        .unwrap()
    {
        RunStart::Resumed { id: again, done } => {
            assert_eq!(again, id);
            assert_eq!(done, ["link.wechat.taobao"]);
        }
        other => panic!("expected a resume, got {other:?}"),
    }
    store.finish_run(id, 2, 0, None).await.unwrap();
    assert!(matches!(
        store
            .begin_run("p", "cn-test", slot, "schedule", 2, None)
            .await
            .unwrap(),
        RunStart::AlreadyFinished(_)
    ));
    assert!(store.interrupted_runs("cn-test").await.unwrap().is_empty());
}

/// Whatever is written — catalog rows, an observation (and the transition it makes), an
/// edit by hand — the data version moves, so nothing a page kept outlives it; reads leave
/// it alone.
async fn every_write_raises_the_data_version(store: &Store) {
    let v0 = store.data_version().await.unwrap();
    loaded(store).await;
    let v1 = store.data_version().await.unwrap();
    assert!(v1 > v0, "loading the catalog: {v0} -> {v1}");
    // Reads do not move it.
    let _ = store.reference().await.unwrap();
    let _ = status_of(store, "link.wechat.taobao", Utc::now()).await;
    assert_eq!(store.data_version().await.unwrap(), v1);
    let at = day_end(2030, 1, 1);
    store
        .insert_observation(&probe("link.wechat.taobao", at, "open"))
        .await
        .unwrap();
    let v2 = store.data_version().await.unwrap();
    assert!(v2 > v1, "an observation: {v1} -> {v2}");
    store
        .execute_admin("update platforms set name_en = 'WeChat (edited)' where slug = 'wechat'")
        .await
        .unwrap();
    let v3 = store.data_version().await.unwrap();
    assert!(v3 > v2, "an edit by hand: {v2} -> {v3}");
    // A refused write changes nothing.
    assert!(
        store
            .insert_observation(&probe("link.wechat.taobao", at, "no-such-status"))
            .await
            .is_err()
    );
    assert_eq!(store.data_version().await.unwrap(), v3);
    // The latest observation at or before a time: what states are kept under.
    assert_eq!(store.latest_observation_at(at).await.unwrap(), Some(at));
    assert_eq!(
        store
            .latest_observation_at(at - chrono::Duration::seconds(1))
            .await
            .unwrap()
            .map(|t| t < at),
        Some(true)
    );
    let before_all = NaiveDate::from_ymd_opt(1990, 1, 1).unwrap();
    assert_eq!(
        store
            .latest_observation_at(end_of_day(before_all, SHANGHAI))
            .await
            .unwrap(),
        None
    );
}

/// A disk that fills up fails the write that needed the room (nothing of it is kept) and
/// nothing after it: once there is room again, writes work at once. On SQLite the failed
/// write used to leave its pooled connection counted inside a transaction, and every later
/// write failed ("attempted to call begin_with at non-zero transaction depth").
///
/// `fill` and `free` make the database full and give room back: on SQLite a page limit on
/// the only pooled connection (writes past it fail with SQLITE_FULL and SQLite rolls the
/// whole transaction back, as on a full disk); on PostgreSQL a commit that fails with the
/// server's own "disk full" error.
async fn a_full_disk_fails_one_write_and_the_store_recovers(store: &Store, fill: &str, free: &str) {
    loaded(store).await;
    let check = "link.wechat.taobao";
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let at = |m: i64| t0 + Duration::minutes(m);
    store
        .insert_observation(&pack_obs(check, at(0), "open", None))
        .await
        .unwrap();
    let before = store.counts().await.unwrap();
    let snapshots_before = store.snapshot_totals().await.unwrap();

    store.execute_admin(fill).await.unwrap();
    // A page that does not compress (as a probe would keep it): a megabyte of noise.
    let mut x: u32 = 1;
    let body: Vec<u8> = (0..1_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let big = NewSnapshot {
        sha256: "ee".repeat(32),
        size: body.len() as i64,
        content_type: Some("text/html".into()),
        compressed: body,
        base_sha256: None,
    };
    let err = store
        .insert_probe_results(
            std::slice::from_ref(&big),
            &[pack_obs(check, at(1), "blocked", None)],
        )
        .await
        .expect_err("a write into a full database fails");
    assert!(
        err.is_unavailable(),
        "a full disk is the database being unavailable, not bad data: {err}"
    );
    assert_eq!(
        store.counts().await.unwrap(),
        before,
        "nothing of it is kept"
    );
    assert_eq!(store.snapshot_totals().await.unwrap(), snapshots_before);

    store.execute_admin(free).await.unwrap();
    // Several writes, so that the pooled connection the failure happened on is used again.
    for m in 2..6 {
        let status = if m % 2 == 0 { "blocked" } else { "open" };
        store
            .insert_probe_results(
                std::slice::from_ref(&big),
                &[pack_obs(check, at(m), status, None)],
            )
            .await
            .unwrap_or_else(|e| panic!("write {m} after room came back: {e}"));
    }
    let stored: Vec<_> = store
        .observations(check)
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.pack_id.is_some())
        .map(|o| (o.observed_at, o.status))
        .collect();
    assert_eq!(
        stored,
        [
            (at(0), "open".to_string()),
            (at(2), "blocked".to_string()),
            (at(3), "open".to_string()),
            (at(4), "blocked".to_string()),
            (at(5), "open".to_string()),
        ]
    );
    assert_eq!(
        store.snapshot_totals().await.unwrap().0,
        snapshots_before.0 + 1
    );
}

mod full_disk {
    use super::*;

    #[tokio::test]
    async fn sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("full.db").display());
        // One connection: the page limit below is a setting of the connection it is set on.
        let store = Store::open(&url, 1).await.unwrap();
        // A limit below the file's size stops it at its size: every new page fails.
        a_full_disk_fails_one_write_and_the_store_recovers(
            &store,
            "pragma max_page_count = 1",
            "pragma max_page_count = 1073741823",
        )
        .await;
    }

    #[tokio::test]
    async fn postgres() {
        let Some(db) = common::postgres().await else {
            return;
        };
        let store = Store::open(&db.url, 1).await.unwrap();
        a_full_disk_fails_one_write_and_the_store_recovers(
            &store,
            "create function test_disk_full() returns trigger language plpgsql as $$
             begin
                 raise exception using errcode = 'disk_full',
                     message = 'could not extend file: No space left on device';
             end $$;
             create constraint trigger test_disk_full after insert on snapshots
                 deferrable initially deferred
                 for each row execute function test_disk_full();",
            "drop trigger test_disk_full on snapshots; drop function test_disk_full();",
        )
        .await;
    }
}

/// Run records the database refused are written later by `flush_pending`; a flush stopped
/// while it waits for the database (the process shutting down) loses nothing: the record
/// stays pending, counted, until a later flush has written it, once.
#[tokio::test]
async fn a_flush_stopped_halfway_loses_nothing() {
    use hutong::storage::MissReason;
    let db = common::sqlite_with(1).await;
    let slot = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    db.store
        .execute_admin("pragma query_only = 1")
        .await
        .unwrap();
    let refused = db
        .store
        .record_missed(
            "pack-a",
            "local",
            slot,
            slot,
            1,
            MissReason::DatabaseUnavailable,
            None,
        )
        .await;
    assert!(refused.is_err(), "the database refuses writes");
    assert_eq!(db.store.pending_counts().missed_slots, 1);
    db.store
        .execute_admin("pragma query_only = 0")
        .await
        .unwrap();

    // Another process holds the write lock: the flush waits for it, and is stopped.
    let path = db.url.trim_start_matches("sqlite://").to_string();
    let lock = rusqlite::Connection::open(&path).unwrap();
    lock.execute_batch("begin immediate").unwrap();
    let store = db.store.clone();
    let flush = tokio::spawn(async move { store.flush_pending().await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!flush.is_finished(), "the flush waits for the write lock");
    assert_eq!(
        db.store.pending_counts().missed_slots,
        1,
        "still pending while it is being written"
    );
    flush.abort();
    let _ = flush.await;
    lock.execute_batch("rollback").unwrap();
    drop(lock);

    assert_eq!(db.store.pending_counts().missed_slots, 1, "nothing lost");
    assert_eq!(db.store.flush_pending().await.unwrap(), 1);
    assert_eq!(db.store.pending_counts(), Default::default());
    // Written once, and a second flush adds nothing.
    assert_eq!(db.store.flush_pending().await.unwrap(), 0);
    let missed = db.store.missed_slots("pack-a", 10).await.unwrap();
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert_eq!((missed[0].slots, missed[0].pending), (1, false));
}

/// Reads `q` in batches on a blocking thread, as an export does: every row's
/// (transition id, check id, time), and how many batches carried them.
async fn read_all(store: &Store, q: &TimelineQuery) -> (Vec<(i64, String, i64)>, usize) {
    let batches = store
        .timeline_batches(q, TimelineOrder::OldestFirst)
        .await
        .expect("opened");
    tokio::task::spawn_blocking(move || {
        let mut batches = batches;
        let (mut rows, mut count) = (Vec::new(), 0);
        while let Some(batch) = batches.next() {
            let batch = batch.expect("a batch");
            count += 1;
            rows.extend(
                batch
                    .rows()
                    .map(|t| (t.id, t.check_id.to_string(), t.occurred_at.timestamp())),
            );
            batches.recycle(batch);
        }
        (rows, count)
    })
    .await
    .expect("read")
}

/// `bench seed --writers 2` (what fills a PostgreSQL in half the time): each writer takes its
/// own share of the checks, and the database ends holding exactly what one writer stores,
/// in a second database of the same kind: every check's transitions (so every observation
/// in its order, none lost or doubled), the counts, and the report's.
async fn a_seed_written_by_two_writers_stores_what_one_writer_stores(store: &Store) {
    let other = another_like(store).await;
    let mut reports = Vec::new();
    for (target, writers) in [(store, 2), (&other.store, 1)] {
        let mut args = hutong::bench::seed::SeedArgs::new(3_001, 7, common::catalog_dir());
        args.change_every = 3;
        // Small batches: many of them in flight side by side.
        args.batch = 150;
        args.writers = writers;
        reports.push(
            hutong::bench::seed::seed(target, &args)
                .await
                .expect("seed"),
        );
    }
    let (two, one) = (&reports[0], &reports[1]);
    assert_eq!((two.observations, one.observations), (3_001, 3_001));
    assert_eq!(two.transitions, one.transitions);
    assert_eq!(two.checks, one.checks);
    let (counts_two, counts_one) = (
        store.counts().await.unwrap(),
        other.store.counts().await.unwrap(),
    );
    assert_eq!(counts_two.observations, counts_one.observations);
    assert_eq!(counts_two.transitions, counts_one.transitions);
    for check in &two.checks {
        let of = |list: Vec<hutong::domain::TransitionRecord>| {
            list.into_iter()
                .map(|t| (t.occurred_at, t.from_status, t.to_status))
                .collect::<Vec<_>>()
        };
        let written_by_two = of(store.transitions(check).await.unwrap());
        assert!(written_by_two.len() > 10, "{check} changes");
        assert_eq!(
            written_by_two,
            of(other.store.transitions(check).await.unwrap()),
            "{check}"
        );
    }
}

/// Both readers storage may choose give every row, in order, in batches of a thousand;
/// a read that cannot be opened fails before any batch.
#[tokio::test(flavor = "multi_thread")]
async fn both_readers_give_the_same_batches() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("b.db").display());
    let store = Store::open(&url, 4).await.expect("open");
    let catalog = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog");
    let mut args = hutong::bench::seed::SeedArgs::new(2_500, 5, catalog);
    args.change_every = 1;
    hutong::bench::seed::seed(&store, &args)
        .await
        .expect("seed");
    let q = TimelineQuery {
        until: Utc::now(),
        since: None,
        platform: None,
        kind: None,
        source_kind: Some(SourceKind::Simulated),
        include_simulated: true,
        check: None,
        entries: Default::default(),
        limit: 0,
        offset: 0,
    };
    assert!(store.sqlite_timeline_reader().is_some());
    let (direct, direct_batches) = read_all(&store, &q).await;
    let pooled_store = store.clone().through_pool_only();
    let (pooled, pooled_batches) = read_all(&pooled_store, &q).await;
    assert_eq!(direct.len(), 2_500);
    assert_eq!(direct, pooled);
    assert_eq!((direct_batches, pooled_batches), (3, 3));
    assert!(direct.windows(2).all(|w| w[0].2 <= w[1].2), "oldest first");

    store
        .execute_admin("alter table transitions rename to transitions_gone")
        .await
        .expect("rename");
    for s in [&store, &pooled_store] {
        assert!(
            s.timeline_batches(&q, TimelineOrder::OldestFirst)
                .await
                .is_err()
        );
    }
}

/// Runs of one pack in neighbouring slots, stored by two workers at once, hold the same
/// checks in whatever order their probes finished. Every batch is stored: none is lost to
/// a deadlock between the writers.
async fn writers_storing_the_same_checks_in_any_order_never_deadlock(store: &Store) {
    loaded(store).await;
    let checks = [
        "link.wechat.taobao",
        "link.wechat.douyin",
        "link.wechat.jd",
        "link.wechat.meituan",
        "link.douyin.taobao",
        "link.douyin.jd",
    ];
    let mut before = Vec::new();
    for check in checks {
        before.push(store.check_history(check, 1, 0).await.unwrap().1);
    }
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let mut writers = Vec::new();
    for w in 0..6_i64 {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            for round in 0..8_i64 {
                // Each writer its own order: rotated, and reversed for every other one.
                let mut order: Vec<&str> = checks.to_vec();
                order.rotate_left((w + round) as usize % checks.len());
                if w % 2 == 1 {
                    order.reverse();
                }
                let at = t0 + Duration::seconds(w * 100 + round);
                let batch: Vec<NewObservation> = order
                    .iter()
                    .map(|c| pack_obs(c, at, "open", None))
                    .collect();
                if let Err(e) = store.insert_probe_results(&[], &batch).await {
                    failures.push(e.to_string());
                }
            }
            failures
        }));
    }
    every_batch_stored(writers).await;
    for (check, stored) in checks
        .iter()
        .zip(stored_since(store, &checks, before).await)
    {
        assert_eq!(
            stored, 48,
            "six writers' eight rounds each are stored for {check}"
        );
    }
}

/// Waits for writers that each give the errors of the batches they could not store, and
/// fails naming them.
async fn every_batch_stored(writers: Vec<tokio::task::JoinHandle<Vec<String>>>) {
    let mut failures = Vec::new();
    for w in writers {
        failures.extend(w.await.unwrap());
    }
    assert!(failures.is_empty(), "batches lost: {failures:?}");
}

/// The windowed verdicts of `check` over `(from, to]` that each of `stores` counts
/// (`Store::probe_windows`, migration 0038) equal those of `state::windowed` over `every`
/// (the check's observations).
async fn windows_count(
    stores: &[&Store],
    every: &[hutong::domain::ObservationRecord],
    check: &str,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    label: &str,
) {
    let windows = hutong::state::windowed(every, from, to);
    for (n, store) in stores.iter().enumerate() {
        assert_eq!(
            store.probe_windows(check, from, to).await.unwrap(),
            windows,
            "{label}: store {n}'s windows of {check} over ({from}, {to}]"
        );
    }
}

/// Two writers (0 and 1) store `rounds` batches each (`batch(writer, round)`), a round's
/// two batches set off together; writer 1 through `insert_probe_results` when
/// `probe_writer`, else both through `insert_observations`. Every batch must be stored.
async fn side_by_side(
    store: &Store,
    rounds: i64,
    probe_writer: bool,
    batch: impl Fn(i64, i64) -> Vec<NewObservation> + Send + Sync + 'static,
) {
    let batch = std::sync::Arc::new(batch);
    let together = std::sync::Arc::new(tokio::sync::Barrier::new(2));
    let mut writers = Vec::new();
    for w in 0..2_i64 {
        let (store, together, batch) = (store.clone(), together.clone(), batch.clone());
        writers.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            for round in 0..rounds {
                let rows = batch(w, round);
                together.wait().await;
                let stored = if probe_writer && w == 1 {
                    store.insert_probe_results(&[], &rows).await
                } else {
                    store.insert_observations(&rows).await
                };
                if let Err(e) = stored {
                    failures.push(e.to_string());
                }
            }
            failures
        }));
    }
    every_batch_stored(writers).await;
}

/// A second, fresh database of the same kind as `store`'s.
async fn another_like(store: &Store) -> common::TestDb {
    match store.backend() {
        hutong::storage::Backend::Sqlite => common::sqlite().await,
        hutong::storage::Backend::Postgres => common::postgres().await.expect("the test server"),
    }
}

/// The observations each of `checks` has had stored since it had `before`.
async fn stored_since(store: &Store, checks: &[&str], before: Vec<i64>) -> Vec<i64> {
    let mut stored = Vec::new();
    for (check, before) in checks.iter().zip(before) {
        stored.push(store.check_history(check, 1, 0).await.unwrap().1 - before);
    }
    stored
}

/// Two workers storing one pair's verdicts side by side (runs of neighbouring slots, the
/// later one's batch sometimes first) end with the transitions one writer storing the same
/// verdicts one batch at a time keeps, in a second database of the same kind.
async fn writers_storing_one_pairs_changing_verdicts_side_by_side_keep_its_transitions(
    store: &Store,
) {
    loaded(store).await;
    let other = another_like(store).await;
    loaded(&other.store).await;
    let checks = ["link.wechat.taobao", "link.wechat.jd"];
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    // Batch b holds rounds 4b..4b+3 of both checks; statuses change every few rounds.
    let statuses = ["open", "blocked", "open", "warned", "blocked"];
    let batch = move |b: i64| -> Vec<NewObservation> {
        (4 * b..4 * b + 4)
            .flat_map(|round| {
                let status = statuses[((round * 7 / 5) % 5) as usize];
                checks
                    .iter()
                    .map(move |c| probe(c, t0 + Duration::minutes(round * 15), status))
            })
            .collect()
    };
    let batches = 40_i64;
    for b in 0..batches {
        other.store.insert_observations(&batch(b)).await.unwrap();
    }
    let mut writers = Vec::new();
    for w in 0..2_i64 {
        let store = store.clone();
        writers.push(tokio::spawn(async move {
            // Writer 0 the even batches, writer 1 the odd ones, each in time order.
            for b in (0..batches).filter(|b| b % 2 == w) {
                store.insert_observations(&batch(b)).await.unwrap();
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    for check in checks {
        let of = |list: Vec<hutong::domain::TransitionRecord>| {
            list.into_iter()
                .map(|t| (t.occurred_at, t.from_status, t.to_status))
                .collect::<Vec<_>>()
        };
        let serial = of(other.store.transitions(check).await.unwrap());
        assert!(serial.len() > 20, "{check} changes");
        assert_eq!(
            of(store.transitions(check).await.unwrap()),
            serial,
            "{check}"
        );
    }
}

/// Two writers storing the same new evidence bodies at the same moment, in opposite orders
/// (two workers meeting the same new blocking pages), both store every batch: neither
/// waits for a body the other holds while holding one the other waits for.
async fn writers_storing_the_same_new_evidence_in_any_order_never_deadlock(store: &Store) {
    loaded(store).await;
    let checks = ["link.wechat.taobao", "link.wechat.jd"];
    let mut before = Vec::new();
    for check in checks {
        before.push(store.check_history(check, 1, 0).await.unwrap().1);
    }
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let rounds = 30_i64;
    side_by_side(store, rounds, false, move |w, round| {
        // Eight bodies new this round: writer 0 meets them first to last, writer 1 last
        // to first.
        (0..8_i64)
            .map(|k| {
                let body = if w == 0 { k } else { 7 - k };
                observation(
                    checks[w as usize],
                    t0 + Duration::minutes(round * 10 + k),
                    "open",
                )
                .probed()
                .evidence(serde_json::json!({
                    "final_url": format!("https://example.com/{round}/{body}")
                }))
                .build()
            })
            .collect()
    })
    .await;
    for (check, stored) in checks
        .iter()
        .zip(stored_since(store, &checks, before).await)
    {
        assert_eq!(stored, rounds * 8, "every round is stored for {check}");
    }
}

/// Both insert paths take evidence bodies (by hash) before their pairs: a probe batch
/// (`insert_probe_results`) and an insert (`insert_observations`, hand-run probes, imports)
/// storing verdicts of one pair with the same new bodies side by side wait for each other,
/// never each for the other. A probe batch that took its pair first deadlocked with an
/// insert holding a body it needed (PostgreSQL). What both add to the pair's counts by day
/// (migration 0038) adds up.
async fn a_probe_batch_and_an_insert_storing_one_pairs_new_evidence_side_by_side_never_deadlock(
    store: &Store,
) {
    loaded(store).await;
    let check = "link.wechat.taobao";
    let before = store.check_history(check, 1, 0).await.unwrap().1;
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let rounds = 30_i64;
    side_by_side(store, rounds, true, move |w, round| {
        // Eight bodies new this round, the same for both: the insert (writer 0) meets them
        // first to last, the probe batch (writer 1) last to first.
        (0..8_i64)
            .map(|k| {
                let body = if w == 1 { 7 - k } else { k };
                let at = t0 + Duration::minutes(round * 10) + Duration::seconds(k * 2 + w);
                let mut new = pack_obs(check, at, "open", None);
                new.evidence = Some(std::sync::Arc::new(serde_json::json!({
                    "final_url": format!("https://example.com/{round}/{body}")
                })));
                new
            })
            .collect()
    })
    .await;
    let after = store.check_history(check, 1, 0).await.unwrap().1;
    assert_eq!(
        after - before,
        rounds * 2 * 8,
        "every round of both is stored"
    );
    // What both added to the day's kept counts side by side (migration 0038) adds up.
    let all = store.observations(check).await.unwrap();
    for (from, to) in [
        (t0 - Duration::days(2), t0 + Duration::days(1)),
        (t0, t0 + Duration::hours(3)),
    ] {
        windows_count(&[store], &all, check, (from, to), "side by side").await;
    }
    let whole_day = store
        .probe_windows(check, t0 - Duration::days(2), t0 + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(
        whole_day.iter().map(|w| w.verdicts as i64).sum::<i64>(),
        rounds * 2 * 8,
        "every verdict counted"
    );
}

/// A payment probe's evidence as the engine writes it, from a fetch that took `ms`.
/// An accepted verdict of `method` from fetch number `fetch` (its own figures and snapshot).
fn fetch_verdict(check: &str, method: &str, at: DateTime<Utc>, fetch: u64) -> NewObservation {
    let sha = format!("{}", fetch + 1).repeat(64);
    let mut new = pack_obs(check, at, "accepted", None);
    new.evidence = Some(std::sync::Arc::new(payment_evidence(
        3 + fetch * 2,
        &sha,
        method,
    )));
    if let Some(p) = new.probe.as_mut() {
        p.snapshot = Some(sha);
    }
    new
}

fn payment_evidence(ms: u64, sha: &str, method: &str) -> serde_json::Value {
    serde_json::json!({
        "body_bytes": 1278, "body_sha256": sha, "charset": "UTF-8",
        "content_type": "text/html; charset=utf-8", "control": null, "detail": null,
        "excerpt": format!("{method} (selected)"),
        "extracted": [{"methods": [method], "names": [method], "selected": true}],
        "failure": null, "final_url": "http://pay.simshop.test/cashier",
        "hops": [{"elapsed_ms": ms, "location": null, "status": 200,
                  "url": "http://pay.simshop.test/cashier"}],
        "location": null, "request_url": "http://pay.simshop.test/cashier",
        "rule": "extract", "rule_version": 1, "status": 200,
        "timings": {"fetch_ms": ms, "total_ms": ms + 6}, "v": 1
    })
}

/// Three runs of a payment probe over an unchanged page: the evidence that repeats is kept
/// once, each observation keeps its own fetch's figures, and every observation reads back
/// exactly the evidence it was given. A row stored whole (as before migration 0015) still
/// reads back.
async fn evidence_that_repeats_is_stored_once_and_reads_back_as_given(store: &Store) {
    loaded(store).await;
    let check = "payment.taobao.alipay";
    let t0 = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
    let mut given = Vec::new();
    for run in 0..3_u64 {
        let sha = format!("{run}").repeat(64);
        let mut new = pack_obs(
            check,
            t0 + Duration::minutes(run as i64 * 15),
            "accepted",
            None,
        );
        new.evidence = Some(std::sync::Arc::new(payment_evidence(
            3 + run * 2,
            &sha,
            "alipay",
        )));
        if let Some(p) = new.probe.as_mut() {
            p.snapshot = Some(sha);
        }
        given.push(new);
    }
    let ids = store.insert_probe_results(&[], &given).await.unwrap();
    let (bodies, _) = store.evidence_totals().await.unwrap();
    assert_eq!(
        bodies, 1,
        "three fetches of one unchanged page keep one evidence body"
    );
    for (id, new) in ids.iter().zip(&given) {
        let stored = store.observation(*id).await.unwrap().unwrap();
        assert_eq!(
            stored.evidence.map(|e| e.to_json()),
            new.evidence.as_deref().cloned(),
            "observation {id} reads back its own fetch's evidence"
        );
    }
    // Another method's verdict is other evidence.
    let mut other = pack_obs("payment.taobao.wechat_pay", t0, "accepted", None);
    other.evidence = Some(std::sync::Arc::new(payment_evidence(
        4,
        &"9".repeat(64),
        "wechatpay",
    )));
    store.insert_probe_results(&[], &[other]).await.unwrap();
    assert_eq!(store.evidence_totals().await.unwrap().0, 2);

    // A row written whole, as before migration 0015.
    let old = payment_evidence(11, &"a".repeat(64), "alipay");
    store
        .execute_admin(&format!(
            "update observations set evidence = '{old}', evidence_id = null, \
             evidence_fetch = null where id = {}",
            ids[0]
        ))
        .await
        .unwrap();
    let stored = store.observation(ids[0]).await.unwrap().unwrap();
    assert_eq!(stored.evidence.map(|e| e.to_json()), Some(old));
}

/// Two fetches of one cashier page, each classified for two payment methods: each fetch's
/// own figures and snapshot are kept once (one `fetches` row) for its verdicts, and every
/// observation reads back exactly what it was given, by id and in its check's history. A
/// fetch with one verdict, and a row keeping them in its own columns (as before migration
/// 0026), read back the same.
/// A verdict names its fetch (figures, snapshot) and its run's key. Deleting either is
/// refused, whether a whole row or only repeats name it (on PostgreSQL repeats name them
/// without foreign keys, migration 0044), and every verdict reads back as before.
async fn the_fetches_and_run_keys_verdicts_name_are_never_deleted(store: &Store) {
    loaded(store).await;
    let t0 = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
    let methods = [
        ("payment.taobao.alipay", "alipay"),
        ("payment.taobao.wechat_pay", "wechatpay"),
    ];
    let verdicts = |fetch: u64| {
        let at = t0 + Duration::minutes(fetch as i64 * 15);
        methods.map(|(check, method)| {
            let mut new = fetch_verdict(check, method, at, fetch);
            if let Some(p) = new.probe.as_mut() {
                p.run_key = Some(hutong::storage::run_key("p", "cn-test", at, check));
            }
            new
        })
    };
    let mut ids = Vec::new();
    for fetch in 0..3 {
        ids.extend(
            store
                .insert_probe_results(&[], &verdicts(fetch))
                .await
                .unwrap(),
        );
    }
    let (_, repeats) = store.stored_forms().await.unwrap();
    assert_eq!(repeats, 4, "the later fetches' verdicts are repeats");
    let mut before = Vec::new();
    for id in &ids {
        before.push(store.observation(*id).await.unwrap().unwrap());
    }
    let last = ids[ids.len() - 1];
    for statement in [
        format!(
            "delete from fetches where id = (select fetch_id from observations_all where id = {last})"
        ),
        format!(
            "delete from run_keys where id = (select run_key_id from observations_all where id = {last})"
        ),
        "delete from fetches".to_string(),
        "delete from run_keys".to_string(),
    ] {
        assert!(
            store.execute_admin(&statement).await.is_err(),
            "refused: {statement}"
        );
        for (id, was) in ids.iter().zip(&before) {
            let now = store.observation(*id).await.unwrap().unwrap();
            assert_eq!(
                (&now.snapshot, now.evidence.as_ref().map(|e| e.to_json())),
                (&was.snapshot, was.evidence.as_ref().map(|e| e.to_json())),
                "observation {id}'s fetch after {statement}"
            );
        }
        assert_eq!(
            store.fetch_totals().await.unwrap(),
            (3, 6),
            "after {statement}"
        );
        assert_eq!(
            store.run_key_totals().await.unwrap(),
            (3, 6),
            "after {statement}: three runs' parts, named by every verdict"
        );
        assert!(
            store.insert_probe_results(&[], &verdicts(2)).await.is_err(),
            "the last run's checks again are still refused after {statement}"
        );
    }
}

async fn a_fetchs_verdicts_keep_its_figures_and_snapshot_once(store: &Store) {
    loaded(store).await;
    let t0 = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
    let methods = [
        ("payment.taobao.alipay", "alipay"),
        ("payment.taobao.wechat_pay", "wechatpay"),
    ];
    let mut given = Vec::new();
    for fetch in 0..2_u64 {
        for (check, method) in methods {
            let at = t0 + Duration::minutes(fetch as i64 * 15);
            given.push(fetch_verdict(check, method, at, fetch));
        }
    }
    let ids = store.insert_probe_results(&[], &given).await.unwrap();
    assert_eq!(
        store.fetch_totals().await.unwrap(),
        (2, 4),
        "two fetches kept once each, named by their four verdicts"
    );
    let reads_back = |stored: &hutong::domain::ObservationRecord, new: &NewObservation| {
        assert_eq!(
            stored.evidence.as_ref().map(|e| e.to_json()),
            new.evidence.as_deref().cloned(),
            "observation {} reads back its own fetch's evidence",
            stored.id
        );
        assert_eq!(
            stored.snapshot,
            new.probe.as_ref().and_then(|p| p.snapshot.clone()),
            "observation {} names its fetch's snapshot",
            stored.id
        );
    };
    for (id, new) in ids.iter().zip(&given) {
        reads_back(&store.observation(*id).await.unwrap().unwrap(), new);
    }
    for (check, _) in methods {
        let (history, _) = store.check_history(check, 50, 0).await.unwrap();
        let mut seen = 0;
        for stored in &history {
            if let Some(i) = ids.iter().position(|id| *id == stored.id) {
                reads_back(stored, &given[i]);
                seen += 1;
            }
        }
        assert_eq!(seen, 2, "{check}'s history lists both its verdicts");
    }
    // A fetch only one verdict names keeps its figures and snapshot in that row.
    let sha = "3".repeat(64);
    let mut alone = pack_obs(methods[0].0, t0 + Duration::minutes(30), "accepted", None);
    alone.evidence = Some(std::sync::Arc::new(payment_evidence(9, &sha, methods[0].1)));
    if let Some(p) = alone.probe.as_mut() {
        p.snapshot = Some(sha);
    }
    let id = store
        .insert_probe_results(&[], std::slice::from_ref(&alone))
        .await
        .unwrap()[0];
    assert_eq!(store.fetch_totals().await.unwrap(), (2, 4));
    reads_back(&store.observation(id).await.unwrap().unwrap(), &alone);
    // A row keeping its fetch's figures and snapshot itself, as before migration 0026.
    let own = store.observation(ids[0]).await.unwrap().unwrap();
    store
        .execute_admin(&format!(
            "update observations set \
             evidence_fetch = (select f.evidence_fetch from fetches f where f.id = fetch_id), \
             snapshot = (select f.snapshot from fetches f where f.id = fetch_id), \
             fetch_id = null where id = {}",
            ids[0]
        ))
        .await
        .unwrap();
    let stored = store.observation(ids[0]).await.unwrap().unwrap();
    assert_eq!(stored.evidence, own.evidence);
    reads_back(&stored, &given[0]);
}

/// On PostgreSQL the verdicts of one fetch (one cashier page fetched once, classified for
/// each of its app's payment methods) take consecutive ids, though a probe batch writes its
/// rows sorted by (check, source), which scatters a fetch's verdicts among other fetches'.
/// Batches of several pages from two vantages at two instants (kept thin), then one of
/// more than [`COPY_MIN_ROWS`] rows: each pair's ids still rise with time, and a store
/// keeping whole rows (INSERTed or copied) gives the same ids and reads back the same.
#[tokio::test]
async fn postgres_a_fetchs_verdicts_take_consecutive_ids() {
    let Some(db) = common::postgres().await else {
        return;
    };
    let store = &db.store;
    loaded(store).await;
    let other = another_like(store).await;
    let whole = other.store.clone().with_repeats_whole();
    loaded(&whole).await;
    let apps = ["taobao", "tmall"];
    let methods = ["alipay", "wechat_pay", "unionpay"];
    let vantages = ["cn-test", "cn-test-2"];
    let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let slot = |n: i64| t0 + Duration::minutes(15 * n);
    // Tmall's UnionPay comes and goes every three slots: changes, and fetches whose verdicts
    // are partly repeats and partly whole rows.
    let status = |app: &str, method: &str, n: i64| {
        if app == "tmall" && method == "unionpay" && (n / 3) % 2 == 1 {
            "not_accepted"
        } else {
            "accepted"
        }
    };
    // Every fetch of slots `from..to`, page after page, as the engine hands them over.
    let mut fetches = 0_u64;
    let mut batch = |from: i64, to: i64| {
        let mut rows = Vec::new();
        for n in from..to {
            for vantage in vantages {
                for app in apps {
                    let sha = format!("{fetches:064x}");
                    for method in methods {
                        let check = format!("payment.{app}.{method}");
                        let mut new = pack_obs(&check, slot(n), status(app, method, n), None);
                        new.vantage = vantage.to_string();
                        new.evidence = Some(std::sync::Arc::new(payment_evidence(
                            3 + fetches * 2,
                            &sha,
                            method,
                        )));
                        if let Some(p) = new.probe.as_mut() {
                            p.snapshot = Some(sha.clone());
                            p.run_key =
                                Some(hutong::storage::run_key("p", vantage, slot(n), &check));
                        }
                        rows.push(new);
                    }
                    fetches += 1;
                }
            }
        }
        rows
    };
    let per_slot = vantages.len() * apps.len() * methods.len();
    let big = COPY_MIN_ROWS.div_ceil(per_slot) as i64;
    let mut batches: Vec<Vec<NewObservation>> = (0..4).map(|b| batch(2 * b, 2 * b + 2)).collect();
    batches.push(batch(8, 8 + big));
    let mut ids = Vec::new();
    for (b, rows) in batches.iter().enumerate() {
        let thin_ids = store.insert_probe_results(&[], rows).await.unwrap();
        let whole_ids = whole.insert_probe_results(&[], rows).await.unwrap();
        assert_eq!(thin_ids, whole_ids, "batch {b}: the same ids");
        ids.extend(thin_ids);
    }
    let (_, repeats) = store.stored_forms().await.unwrap();
    assert!(repeats > 0, "the store keeps repeats thin");
    assert_eq!(whole.stored_forms().await.unwrap().1, 0);
    type Verdict = (i64, String, String, DateTime<Utc>, i64, Option<i64>);
    for url in [&db.url, &other.url] {
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url)
            .await
            .unwrap();
        let verdicts: Vec<Verdict> = sqlx::query_as(
            "select id, check_id, source_key, observed_at, fetch_id, run_key_id
             from observations_all where fetch_id is not null order by id",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        assert_eq!(verdicts.len(), ids.len());
        let mut by_fetch: std::collections::BTreeMap<_, Vec<i64>> = Default::default();
        let mut by_pair: std::collections::BTreeMap<_, Vec<(DateTime<Utc>, i64)>> =
            Default::default();
        for (id, check, key, at, fetch, run) in verdicts {
            by_fetch.entry((fetch, at, run)).or_default().push(id);
            by_pair.entry((check, key)).or_default().push((at, id));
        }
        assert_eq!(by_fetch.len() as u64, fetches, "one group per fetch");
        for (fetch, of_fetch) in &by_fetch {
            let first = of_fetch[0];
            assert_eq!(
                of_fetch,
                &(first..first + methods.len() as i64).collect::<Vec<_>>(),
                "{url}: fetch {fetch:?}'s verdicts take consecutive ids"
            );
        }
        for (pair, mut of_pair) in by_pair {
            of_pair.sort();
            assert!(
                of_pair
                    .windows(2)
                    .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1),
                "{url}: {pair:?}'s ids rise with time"
            );
        }
        sqlx::Connection::close(conn).await.unwrap();
    }
    let shown = |records: Vec<hutong::domain::ObservationRecord>| {
        records
            .into_iter()
            .map(|mut o| {
                o.recorded_at = t0;
                serde_json::to_value(o).unwrap()
            })
            .collect::<Vec<_>>()
    };
    for app in apps {
        for method in methods {
            let check = format!("payment.{app}.{method}");
            assert_eq!(
                shown(store.observations(&check).await.unwrap()),
                shown(whole.observations(&check).await.unwrap()),
                "observations of {check}"
            );
            let (a, n) = store.check_history(&check, 50, 0).await.unwrap();
            let (b, m) = whole.check_history(&check, 50, 0).await.unwrap();
            assert_eq!((shown(a), n), (shown(b), m), "history of {check}");
            let changes = |t: Vec<hutong::domain::TransitionRecord>| {
                t.into_iter()
                    .map(|t| (t.source_key, t.observation_id, t.occurred_at, t.to_status))
                    .collect::<Vec<_>>()
            };
            let kept = changes(store.transitions(&check).await.unwrap());
            assert_eq!(
                kept,
                changes(whole.transitions(&check).await.unwrap()),
                "transitions of {check}"
            );
            if check == "payment.tmall.unionpay" {
                assert!(kept.len() > 2, "{check} changes");
            }
        }
    }
    for id in ids.iter().step_by(5) {
        assert_eq!(
            shown(store.observation(*id).await.unwrap().into_iter().collect()),
            shown(whole.observation(*id).await.unwrap().into_iter().collect()),
            "observation {id}"
        );
    }
    let at = slot(8 + big);
    assert_eq!(
        shown(
            store
                .state_as_of(at, &StateFilter::default())
                .await
                .unwrap()
        ),
        shown(
            whole
                .state_as_of(at, &StateFilter::default())
                .await
                .unwrap()
        ),
        "the state now"
    );
    other.drop_database().await;
    db.drop_database().await;
}

/// A run's verdicts name its run key's run part, kept once; the same key is still refused,
/// and a key stored whole (as before migration 0027) still counts for the run's resume and
/// its observations.
async fn a_runs_key_is_kept_once_and_still_refuses_a_check_twice(store: &Store) {
    loaded(store).await;
    let slot = Utc.with_ymd_and_hms(2026, 2, 1, 6, 0, 0).unwrap();
    let RunStart::Fresh(id) = store
        .begin_run("p", "cn-test", slot, "schedule", 3, None)
        .await
        .unwrap()
    else {
        panic!("a new slot starts fresh");
    };
    let verdict = |check: &str| {
        let mut new = pack_obs(check, slot, "open", None);
        if let Some(p) = new.probe.as_mut() {
            p.run_key = Some(hutong::storage::run_key("p", "cn-test", slot, check));
        }
        new
    };
    let checks = ["link.wechat.taobao", "link.wechat.douyin", "link.wechat.jd"];
    let ids = store
        .insert_probe_results(&[], &checks.map(verdict))
        .await
        .unwrap();
    assert_eq!(
        store.run_key_totals().await.unwrap(),
        (1, 3),
        "one run part for the run's three verdicts"
    );
    for check in checks {
        assert!(
            store
                .insert_probe_results(&[], &[verdict(check)])
                .await
                .is_err(),
            "{check} again in the same run is refused"
        );
    }
    // Another run's key for the same check is another key.
    let mut later = verdict(checks[0]);
    if let Some(p) = later.probe.as_mut() {
        p.run_key = Some(hutong::storage::run_key(
            "p",
            "cn-test",
            slot + Duration::hours(1),
            checks[0],
        ));
    }
    store.insert_probe_results(&[], &[later]).await.unwrap();
    assert_eq!(store.run_key_totals().await.unwrap(), (2, 4));
    // One key stored whole, as before migration 0027.
    store
        .execute_admin(&format!(
            "update observations set \
             run_key = (select k.prefix from run_keys k where k.id = run_key_id) || check_id, \
             run_key_id = null where id = {}",
            ids[2]
        ))
        .await
        .unwrap();
    assert_eq!(store.run_key_totals().await.unwrap(), (2, 3));
    let listed: Vec<i64> = store
        .run_observations("p", slot)
        .await
        .unwrap()
        .iter()
        .map(|o| o.id)
        .collect();
    let mut want = ids.clone();
    want.sort_unstable();
    let mut got = listed.clone();
    got.sort_unstable();
    assert_eq!(
        got, want,
        "the run lists its three verdicts, whole key or not"
    );
    match store
        .begin_run("p", "cn-test", slot, "resume", 3, None)
        .await
        .unwrap()
    {
        RunStart::Resumed {
            id: again,
            mut done,
        } => {
            assert_eq!(again, id);
            done.sort();
            let mut want = checks.map(str::to_string).to_vec();
            want.sort();
            assert_eq!(done, want, "a resume knows every check done");
        }
        other => panic!("expected a resume, got {other:?}"),
    }
}

/// More platforms and checks than one statement of the load holds (500 rows on
/// PostgreSQL): every row is stored, and a change to a row past the first statement is too.
async fn a_catalog_of_thousands_of_platforms_loads_every_row_and_every_change(store: &Store) {
    use hutong::domain::{Check, Platform};
    let mut cat = common::real_catalog();
    let group = cat.groups[0].slug.clone();
    let host = cat.platforms[0].slug.clone();
    let base = (cat.platforms.len(), cat.checks.len());
    for i in 0..1_203 {
        let slug = format!("many_{i:04}");
        cat.platforms.push(Platform {
            slug: slug.clone(),
            name_zh: format!("平台{i}"),
            name_en: format!("Platform {i}"),
            group: group.clone(),
            kind: "other".into(),
            domains: vec![format!("p{i}.example.com")],
        });
        cat.checks.push(Check {
            id: hutong::domain::check_id("link", &host, &slug),
            kind: "link".into(),
            subject: host.clone(),
            object: slug,
        });
    }
    store.apply_catalog(&cat).await.expect("loads");
    let counts = store.counts().await.unwrap();
    assert_eq!(counts.platforms as usize, base.0 + 1_203);
    assert_eq!(counts.checks as usize, base.1 + 1_203);
    let stored = store.reference().await.unwrap();
    let last = stored
        .platform("many_1202")
        .expect("the last platform is stored");
    assert_eq!(last.domains, vec!["p1202.example.com".to_string()]);

    let i = cat.platforms.len() - 2;
    cat.platforms[i].name_en = "Renamed platform".into();
    store.apply_catalog(&cat).await.expect("reloads");
    let stored = store.reference().await.unwrap();
    assert_eq!(
        stored.platform("many_1201").map(|p| p.name_en.as_str()),
        Some("Renamed platform")
    );
    assert_eq!(
        store.counts().await.unwrap().platforms as usize,
        base.0 + 1_203
    );
}

/// The charts' evidence times (first and last evidence of each check, the long gaps
/// between), the observation counts and the timeline's counts are kept by every write
/// instead of computed from every row per page.
/// Whatever is written — evidence in order, out of order, at an instant already seen,
/// failures, unknowns, simulated rows; then retractions, supersessions, moves to another
/// instant or check, deletions — what is kept equals a scan of the observations, for every
/// threshold and kind, after each step; so do the counts, under every timeline filter, and
/// the state per (check, source) read from each pair's kept latest observation.
async fn what_every_write_keeps_equals_a_count_of_the_rows(store: &Store) {
    loaded(store).await;
    let checks = ["link.wechat.taobao", "link.wechat.douyin", "link.wechat.jd"];
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut next = pseudo_random(0x2545_f491_4f6c_dd1d);
    let same = |label: String| async move {
        for days in [2, 3, 8, 40] {
            for kind in [None, Some("link")] {
                let kept = store.evidence_times(kind, days).await.unwrap();
                let scanned = store
                    .evidence_times_from_observations(kind, days)
                    .await
                    .unwrap();
                assert_eq!(kept, scanned, "{label}: kind {kind:?}, {days} days");
            }
        }
        // The state per (check, source): from the kept latest, at any date from the
        // latest on; sought at earlier ones. Dates before, inside and after the writes.
        for at in [
            t0 - Duration::days(1),
            t0 + Duration::days(20),
            t0 + Duration::days(45),
            t0 + Duration::days(80),
            t0 + Duration::days(91),
            day_end(2031, 1, 1),
        ] {
            for include_simulated in [false, true] {
                let filter = StateFilter {
                    include_simulated,
                    ..StateFilter::default()
                };
                let rows = |r: Vec<hutong::domain::ObservationRecord>| {
                    r.into_iter()
                        .map(|o| (o.check_id, o.source_key, o.id, o.observed_at))
                        .collect::<Vec<_>>()
                };
                let kept = rows(store.state_as_of(at, &filter).await.unwrap());
                let sought = rows(
                    store
                        .state_as_of_from_observations(at, &filter)
                        .await
                        .unwrap(),
                );
                assert_eq!(kept, sought, "{label}: state as of {at}, {filter:?}");
            }
        }
        // The check page's windowed verdicts per vantage point: whole days from the kept
        // counts (`probe_days`), partial days read, sources from `probed_pairs`; as from
        // every observation of the check. 30-day windows ending at midnight (rows at
        // both ends' instants) and within a day, windows within one day, across one
        // midnight, and empty.
        for check in checks {
            let all = store.observations(check).await.unwrap();
            for at in [
                t0 + Duration::days(20),
                t0 + Duration::days(45),
                t0 + Duration::days(80),
                t0 + Duration::days(130),
                t0 + Duration::days(140),
            ] {
                for (from, to) in [
                    (at - Duration::days(hutong::state::WINDOW_DAYS), at),
                    (
                        at - Duration::days(hutong::state::WINDOW_DAYS) + Duration::minutes(810),
                        at + Duration::minutes(810),
                    ),
                    (at + Duration::hours(1), at + Duration::hours(5)),
                    (at - Duration::hours(10), at + Duration::hours(3)),
                    (at - Duration::days(1), at),
                    (at, at),
                ] {
                    windows_count(&[store], &all, check, (from, to), &label).await;
                }
            }
        }
        // The counts kept per check: the check pages' totals and the overview's.
        for check in checks {
            let (_, total) = store.check_history(check, 1, 0).await.unwrap();
            let all = store.observations(check).await.unwrap().len();
            assert_eq!(total as usize, all, "{label}: observations of {check}");
        }
        let real = store.real_observations().await.unwrap();
        let counted = real.iter().filter(|o| o.retracted_at.is_none()).count();
        assert_eq!(
            store.real_observation_count().await.unwrap() as usize,
            counted,
            "{label}: real observations"
        );
        // The timeline's totals up to now, under every filter.
        let now = TimelineQuery {
            until: day_end(2031, 1, 1),
            since: None,
            platform: None,
            kind: None,
            source_kind: None,
            include_simulated: false,
            check: None,
            entries: Default::default(),
            limit: 1_000_000,
            offset: 0,
        };
        for q in [
            now.clone(),
            TimelineQuery {
                include_simulated: true,
                ..now.clone()
            },
            TimelineQuery {
                source_kind: Some(SourceKind::Probe),
                ..now.clone()
            },
            TimelineQuery {
                platform: Some("wechat".into()),
                kind: Some("link".into()),
                ..now.clone()
            },
            TimelineQuery {
                check: Some(checks[0].into()),
                include_simulated: true,
                ..now.clone()
            },
        ] {
            let kept = store.timeline_counts(&q).await.unwrap();
            let counted = store.timeline_counts_from_transitions(&q).await.unwrap();
            assert_eq!(kept, counted, "{label}: timeline counts of {q:?}");
            for (entries, expected) in [
                (TimelineEntries::All, kept.0 + kept.1),
                (TimelineEntries::Changes, kept.0),
                (TimelineEntries::FirstSightings, kept.1),
            ] {
                let q = TimelineQuery {
                    entries,
                    ..q.clone()
                };
                let (rows, total) = store.timeline(&q).await.unwrap();
                assert_eq!(
                    (rows.len() as i64, total),
                    (expected, expected),
                    "{label}: {q:?}"
                );
            }
        }
    };
    let mut ids = Vec::new();
    for step in 0..60 {
        let check = checks[next(3) as usize];
        // Instants over 90 days, a few hours apart or weeks apart; some repeat exactly.
        let at = t0 + Duration::hours(next(90 * 24) as i64);
        let status = ["open", "blocked", "unknown"][next(3) as usize];
        let new = match next(8) {
            0 => pack_obs(check, at, status, Some("timeout")),
            1 => observation(check, at, status).simulated().build(),
            // A pack's verdict, among rows of the same pair without one.
            2 => pack_obs(check, at, status, None),
            _ => probe(check, at, status),
        };
        ids.push(store.insert_observation(&new).await.unwrap());
        if step % 10 == 9 {
            same(format!("after {} inserts", step + 1)).await;
        }
    }
    // The same instant as an earlier one, twice over.
    let again = probe(checks[0], t0 + Duration::days(45), "open");
    ids.push(store.insert_observation(&again).await.unwrap());
    ids.push(store.insert_observation(&again).await.unwrap());
    same("two at one instant".into()).await;
    // Batches: one INSERT of many rows, several per check and pair, in no order, some at
    // one instant, some before the first or after the last evidence, several inside one
    // kept gap (migration 0021 keeps everything per statement, not per row).
    for batch_no in 0..8 {
        let mut batch = Vec::new();
        for _ in 0..(5 + next(36)) {
            let check = checks[next(3) as usize];
            let at = match next(6) {
                0 => t0 - Duration::hours(next(40 * 24) as i64),
                1 => t0 + Duration::days(90) + Duration::hours(next(40 * 24) as i64),
                2 => batch.last().map_or(t0, |o: &NewObservation| o.observed_at),
                _ => t0 + Duration::hours(next(90 * 24) as i64),
            };
            let status = ["open", "blocked", "unknown"][next(3) as usize];
            let mut new = match next(8) {
                0 => pack_obs(check, at, status, Some("timeout")),
                1 => observation(check, at, status).simulated().build(),
                _ => probe(check, at, status),
            };
            // Two vantage points: several pairs per check in one statement.
            if next(2) == 0 {
                new.vantage = format!("{}-2", new.vantage);
            }
            batch.push(new);
        }
        ids.extend(store.insert_observations(&batch).await.unwrap());
        same(format!("after batch {batch_no} of {} rows", batch.len())).await;
    }
    // Batches of repeats (SQLite keeps what their triggers keep per batch, migration 0042):
    // every pair after its newest row, several verdicts a pair a batch in no order, the
    // same status through a batch: pack verdicts (some not confirmed, some simulated),
    // failed ones, plain probe rows; now and then a pair's next batch two days on (its
    // check's evidence then opens a gap).
    let mut clock = t0 + Duration::days(131);
    for batch_no in 0..10 {
        clock += Duration::hours(if batch_no % 4 == 3 { 50 } else { 3 });
        let mut batch = Vec::new();
        for (p, check) in checks.iter().enumerate() {
            for vantage in 0..2 {
                let status = ["open", "blocked", "unknown"][(p + vantage + batch_no / 5) % 3];
                for k in 0..(1 + next(4)) {
                    let at = clock + Duration::minutes(next(120) as i64 + k as i64);
                    let mut new = match (p + 2 * vantage) % 5 {
                        0 => pack_obs(check, at, status, None),
                        1 => pack_obs(check, at, "unknown", Some("timeout")),
                        2 => {
                            let mut new = pack_obs(check, at, status, None);
                            new.source_kind = SourceKind::Simulated;
                            new
                        }
                        3 => {
                            let mut new = pack_obs(check, at, status, None);
                            new.probe.as_mut().unwrap().confirmed = false;
                            new
                        }
                        _ => probe(check, at, status),
                    };
                    if vantage == 1 {
                        new.vantage = format!("{}-2", new.vantage);
                    }
                    batch.push(new);
                }
            }
        }
        ids.extend(store.insert_observations(&batch).await.unwrap());
        same(format!(
            "after batch of repeats {batch_no} of {} rows",
            batch.len()
        ))
        .await;
    }
    // PostgreSQL: repeats inserted by hand, not by a batch's writer (which keeps their
    // counts, states and probe days itself, migration 0046), are kept by their trigger: a
    // repeat of each pair's newest row an hour after the pair's newest observation, pack
    // verdicts confirmed or not among them.
    if store.backend() == hutong::storage::Backend::Postgres {
        let statement = "insert into observation_repeats (id, repeat_of, check_no, observed_at,
                             recorded_at)
                         select nextval(pg_get_serial_sequence('observations', 'id')), l.id, n.no,
                                (select max(a.observed_at) from observations_all a
                                 where a.check_id = l.check_id and a.source_key = l.source_key)
                                + interval '1 hour', now()
                         from (select distinct on (check_id, source_key) id, check_id, source_key
                               from observations
                               order by check_id, source_key, observed_at desc, id desc) l
                         join check_numbers n on n.check_id = l.check_id";
        store.execute_admin(statement).await.unwrap();
        same("after repeats inserted by hand".into()).await;
    }
    // Repeats deleted by hand, not written out whole: the newest ones, each its pair's
    // current state and its check's latest evidence, so both are sought again.
    store
        .execute_admin(
            "delete from observation_repeats
             where id in (select id from observation_repeats order by id desc limit 5)",
        )
        .await
        .unwrap();
    same("after the newest repeats deleted by hand".into()).await;
    for round in 0..24 {
        let id = ids[next(ids.len() as u64) as usize];
        let other = ids[next(ids.len() as u64) as usize];
        let statement = match round % 6 {
            0 => format!("update observations set retracted_at = observed_at where id = {id}"),
            1 => format!("update observations set retracted_at = null where id = {id}"),
            2 => format!("update observations set superseded_by = {other} where id = {id}"),
            3 => format!(
                "update observations set observed_at = (select observed_at from observations
                 where id = {other}) where id = {id}"
            ),
            4 => format!(
                "update observations set check_id = (select check_id from observations
                 where id = {other}) where id = {id}"
            ),
            _ => format!(
                "delete from transitions where observation_id = {id};
                 update observations set superseded_by = null where superseded_by = {id};
                 delete from observations where id = {id}"
            ),
        };
        store.execute_admin(&statement).await.unwrap();
        same(format!("after {statement}")).await;
    }
}

/// Probes write every second; the catalog changes when someone loads it. What pages keep
/// of the catalog (the reference) outlives observation writes, and nothing else does: the
/// first page after a catalog edit shows the edit.
async fn the_reference_is_read_again_after_catalog_writes_only(store: &Store) {
    loaded(store).await;
    let memo = std::sync::Arc::new(hutong::storage::Memo::default());
    let first = memo.reads(store).await.unwrap();
    let reference = first.reference().await.unwrap();
    let before = store.data_versions().await.unwrap();
    let (data, catalog) = (before.data, before.catalog);
    store
        .insert_observation(&probe("link.wechat.taobao", day_end(2030, 1, 1), "open"))
        .await
        .unwrap();
    let after = store.data_versions().await.unwrap();
    let (data_after, catalog_after) = (after.data, after.catalog);
    assert!(data_after > data, "an observation raises the data version");
    assert_eq!(
        catalog_after, catalog,
        "an observation leaves the catalog's alone"
    );
    let second = memo.reads(store).await.unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&reference, &second.reference().await.unwrap()),
        "the reference kept before the observation is the one read after it"
    );
    // What rests on observations is read anew.
    let state = second
        .state_as_of(day_end(2030, 1, 2), &StateFilter::default())
        .await
        .unwrap();
    assert!(state.iter().any(|o| o.observed_at == day_end(2030, 1, 1)));
    store
        .execute_admin("update platforms set name_en = 'WeChat (edited)' where slug = 'wechat'")
        .await
        .unwrap();
    let third = memo.reads(store).await.unwrap();
    let edited = third.reference().await.unwrap();
    assert!(!std::sync::Arc::ptr_eq(&reference, &edited));
    assert!(
        edited
            .platforms
            .iter()
            .any(|p| p.name_en == "WeChat (edited)"),
        "the first read after a catalog edit shows it"
    );
}

/// Issue 15: a batch is written in a few statements, its transitions worked out in memory.
/// The same rows, written once one at a time (vantage points `…-a`) and once in batches
/// (`…-b`), leave the same observations, transitions and kept counts: late rows, repeated
/// statuses and instants, one to three confirmations (changing midway for one pair),
/// failed probes, batches of one to thirty rows.
async fn a_batch_keeps_exactly_what_rows_written_one_at_a_time_keep(store: &Store) {
    loaded(store).await;
    let checks = ["link.wechat.taobao", "link.wechat.douyin", "link.wechat.jd"];
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut next = pseudo_random(0x9e37_79b9_7f4a_7c15);
    // The rows, each for side `a`; the batches (lengths) of side `b`.
    let mut rows: Vec<NewObservation> = Vec::new();
    let mut clock = [0i64; 6];
    for i in 0..400 {
        let pair = next(6) as usize;
        let check = checks[pair % 3];
        let vantage = if pair < 3 { "one" } else { "two" };
        // Mostly forward, a few hours at a time; one in ten late; some at the same instant.
        let at = match next(10) {
            0 => clock[pair] - next(20) as i64,
            1 => clock[pair],
            _ => {
                clock[pair] += 1 + next(3) as i64;
                clock[pair]
            }
        };
        // Statuses repeat: a change now and then, flaps in between.
        let status = ["open", "blocked", "warned", "unknown"][(next(100) / 45).min(3) as usize];
        let failure = (next(8) == 0).then_some("timeout");
        let mut new = pack_obs(check, t0 + Duration::hours(at), status, failure);
        new.vantage = format!("{vantage}-a");
        if let Some(p) = new.probe.as_mut() {
            // One to three confirmations per pair; pair 5 changes its mind at row 200.
            p.confirmations = match pair {
                5 if i >= 200 => 1,
                p => (p % 3) as u32 + 1,
            };
        }
        rows.push(new);
    }
    // Side `a`, one at a time.
    for new in &rows {
        store.insert_observation(new).await.unwrap();
    }
    // Side `b`, in batches of 1 to 30 rows.
    let mut start = 0;
    while start < rows.len() {
        let end = (start + 1 + next(30) as usize).min(rows.len());
        let batch: Vec<NewObservation> = rows[start..end]
            .iter()
            .map(|o| NewObservation {
                vantage: o.vantage.replace("-a", "-b"),
                ..o.clone()
            })
            .collect();
        let ids = store.insert_observations(&batch).await.unwrap();
        assert_eq!(ids.len(), batch.len());
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "ids in the given order"
        );
        start = end;
    }
    let side = |key: &str| -> Option<String> {
        key.strip_suffix("-a")
            .map(str::to_string)
            .or_else(|| key.strip_suffix("-b").map(|k| format!("{k}#b")))
    };
    let mut transitions_seen = 0;
    for check in checks {
        let obs = store.observations(check).await.unwrap();
        let mut a = Vec::new();
        let mut b = Vec::new();
        for o in &obs {
            let Some(key) = side(&o.source_key) else {
                continue;
            };
            let row = (
                key.trim_end_matches("#b").to_string(),
                o.observed_at,
                o.status.clone(),
                o.failure.clone(),
                o.evidence.clone(),
            );
            if key.ends_with("#b") {
                b.push(row)
            } else {
                a.push(row)
            }
        }
        assert!(!a.is_empty());
        assert_eq!(a, b, "observations of {check}");
        let trans = store.transitions(check).await.unwrap();
        let mut a = Vec::new();
        let mut b = Vec::new();
        for t in &trans {
            let Some(key) = side(&t.source_key) else {
                continue;
            };
            // Which observation of the pair it is dated at: its place among them.
            let place = obs
                .iter()
                .filter(|o| o.source_key == t.source_key)
                .position(|o| o.id == t.observation_id);
            let row = (
                key.trim_end_matches("#b").to_string(),
                t.occurred_at,
                t.from_status.clone(),
                t.to_status.clone(),
                place,
            );
            if key.ends_with("#b") {
                b.push(row)
            } else {
                a.push(row)
            }
        }
        a.sort();
        b.sort();
        transitions_seen += a.len();
        assert_eq!(a, b, "transitions of {check}");
        // The kept counts: each check's observations, and the timeline's totals by source
        // kind, equal a count of the rows.
        let (_, total) = store.check_history(check, 1, 0).await.unwrap();
        assert_eq!(total as usize, obs.len(), "observations kept for {check}");
        let q = TimelineQuery {
            until: day_end(2031, 1, 1),
            since: None,
            platform: None,
            kind: None,
            source_kind: Some(SourceKind::Probe),
            include_simulated: false,
            check: Some(check.into()),
            entries: Default::default(),
            limit: 1_000_000,
            offset: 0,
        };
        assert_eq!(
            store.timeline_counts(&q).await.unwrap(),
            store.timeline_counts_from_transitions(&q).await.unwrap(),
            "transition counts kept for {check}"
        );
    }
    assert!(
        transitions_seen > 20,
        "the rows change status: {transitions_seen}"
    );
    for days in [2, 3, 8] {
        assert_eq!(
            store.evidence_times(None, days).await.unwrap(),
            store
                .evidence_times_from_observations(None, days)
                .await
                .unwrap(),
            "evidence times, {days} days"
        );
    }
}

/// Issue 15: the check page's 30-day windows per vantage point seek, for each pair a probe
/// has spoken on, its latest probe verdict before the window (`probed_pairs` says which
/// pairs and from when), without walking pairs that have none. A verdict long before the
/// window (then many rows of the same vantage point without a pack, and synthetic history:
/// pairs of their own, never sought), one written late (out of order), one moved earlier:
/// the windows are what every observation says.
async fn windows_find_each_probes_latest_verdict_before_them(store: &Store) {
    loaded(store).await;
    let check = "link.wechat.taobao";
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let day = |d: i64| t0 + Duration::days(d);
    let verdict = |at, vantage: &str| {
        probed(check, at, "blocked")
            .vantage(vantage)
            .pack(ProbeFacts {
                pack_id: format!("pack-{vantage}"),
                rule_version: 1,
                confirmed: true,
                confirmations: 1,
                ..ProbeFacts::default()
            })
            .build()
    };
    let mut rows = vec![verdict(day(0), "long")];
    // 40 days of rows without a pack, at the same vantage point and synthetic.
    for d in 1..=40 {
        rows.push(probed(check, day(d), "open").vantage("long").build());
        rows.push(observation(check, day(d), "open").simulated().build());
    }
    rows.push(verdict(day(70), "long"));
    // Written late: day 60 first, then day 5.
    rows.push(verdict(day(60), "late"));
    rows.push(verdict(day(5), "late"));
    let first = store.insert_observation(&rows[0]).await.unwrap();
    let moved = store
        .insert_observation(&verdict(day(80), "moved"))
        .await
        .unwrap();
    for row in &rows[1..] {
        store.insert_observation(row).await.unwrap();
    }
    // Moved from day 80 to day 0 (the first verdict's instant).
    store
        .execute_admin(&format!(
            "update observations set observed_at = (select observed_at from observations
             where id = {first}) where id = {moved}"
        ))
        .await
        .unwrap();
    let all = store.observations(check).await.unwrap();
    for at in [day(3), day(20), day(45), day(65), day(75), day(200)] {
        let from = at - Duration::days(hutong::state::WINDOW_DAYS);
        let windows = store.probe_windows(check, from, at).await.unwrap();
        assert_eq!(
            windows,
            hutong::state::windowed(&all, from, at),
            "as of {at}"
        );
        if at == day(45) {
            let spoken: Vec<&str> = windows.iter().map(|w| w.vantage.as_str()).collect();
            assert_eq!(spoken, ["late", "long", "moved"], "as of {at}");
        }
    }
}

/// Issue 15: the check page's windowed verdicts are counted by UTC day in `probe_days`
/// (migration 0038, kept by every write), the window's first and last days read where it
/// cuts them. After
/// every kind of write they equal a count of every observation of the check, over windows
/// whose ends fall just before, on and just after midnight: batches that fold into
/// repeats, verdicts at and around midnight, one written late among repeats, a failed
/// and an unconfirmed one; a base with repeats retracted (its repeats written out whole)
/// and back; a verdict superseded, moved across midnight, moved to another check, deleted;
/// a base with repeats deleted.
async fn windowed_verdicts_counted_by_day_equal_a_count_of_every_verdict_after_every_kind_of_write(
    store: &Store,
) {
    loaded(store).await;
    let checks = ["link.wechat.taobao", "link.wechat.douyin"];
    let vantages = ["cn-test", "cn-test-2"];
    let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    // Instant `k` around midnight `d`: a microsecond before, on it, a microsecond after,
    // and seven hours after.
    let near = |d: i64, k: i64| {
        t0 + Duration::days(d)
            + match k {
                0 => -Duration::microseconds(1),
                1 => Duration::zero(),
                2 => Duration::microseconds(1),
                _ => Duration::hours(7),
            }
    };
    let verdict = |check: &str, vantage: &str, at: DateTime<Utc>, status: &str| {
        let mut new = pack_obs(check, at, status, None);
        new.vantage = vantage.to_string();
        new
    };
    let same = |label: &'static str| async move {
        let mut total = 0;
        for check in checks {
            let all = store.observations(check).await.unwrap();
            for to_day in [1, 2, 3, 5, 8] {
                for k in 0..4 {
                    let to = near(to_day, k);
                    for from in [
                        to - Duration::days(2),
                        near(to_day - 2, (k + 1) % 4),
                        to - Duration::hours(1),
                        near(-1, 1),
                        to,
                    ] {
                        let windows = store.probe_windows(check, from, to).await.unwrap();
                        assert_eq!(
                            windows,
                            hutong::state::windowed(&all, from, to),
                            "{label}: {check} over ({from}, {to}]"
                        );
                        if (from, to) == (near(-1, 1), near(8, 3)) {
                            total += windows.iter().map(|w| w.verdicts).sum::<usize>();
                        }
                    }
                }
            }
        }
        total
    };
    // Batches at each instant around the first seven midnights: every pair's verdict
    // repeats its last but taobao's at the second vantage point, which turns blocked at
    // the fourth midnight.
    let mut bases = Vec::new();
    let mut turned = None;
    for d in 0..7 {
        for k in 0..4 {
            let mut batch = Vec::new();
            for check in checks {
                for vantage in vantages {
                    let blocked = check == checks[0] && vantage == vantages[1] && d >= 4;
                    let status = if blocked { "blocked" } else { "open" };
                    batch.push(verdict(check, vantage, near(d, k), status));
                }
            }
            let ids = store.insert_probe_results(&[], &batch).await.unwrap();
            if (d, k) == (0, 0) {
                bases = ids.clone();
            }
            if (d, k) == (4, 0) {
                turned = Some(ids[1]);
            }
        }
    }
    let (_, repeats) = store.stored_forms().await.unwrap();
    assert!(repeats > 80, "the batches fold into repeats ({repeats})");
    let mut total = same("after the batches").await;
    assert_eq!(total, 4 * 28, "every verdict counts");
    // Written late among repeats (they are written out whole after it), failed, and
    // not confirmed.
    let late = store
        .insert_observation(&verdict(
            checks[1],
            vantages[0],
            near(2, 3) - Duration::hours(1),
            "blocked",
        ))
        .await
        .unwrap();
    let failed = store
        .insert_observation(&pack_obs(checks[1], near(5, 3), "unknown", Some("timeout")))
        .await
        .unwrap();
    let mut unconfirmed = verdict(checks[0], vantages[0], near(6, 2), "blocked");
    if let Some(p) = unconfirmed.probe.as_mut() {
        p.confirmed = false;
    }
    store.insert_observation(&unconfirmed).await.unwrap();
    let now = same("after a late, a failed and an unconfirmed verdict").await;
    assert_eq!(now, total + 2, "the late and the failed verdicts count");
    total = now;
    let base = bases[0];
    for (label, statement, change) in [
        (
            "a base with repeats retracted",
            format!("update observations set retracted_at = observed_at where id = {base}"),
            -1,
        ),
        (
            "the base un-retracted",
            format!("update observations set retracted_at = null where id = {base}"),
            1,
        ),
        (
            "a verdict superseded",
            format!("update observations set superseded_by = {failed} where id = {late}"),
            -1,
        ),
        (
            "a verdict moved across midnight",
            format!(
                "update observations set observed_at = (select observed_at from observations
                 where id = {}) where id = {}",
                bases[2],
                turned.unwrap()
            ),
            0,
        ),
        (
            "a verdict moved to another check",
            format!(
                "update observations set check_id = '{}' where id = {failed}",
                checks[0]
            ),
            0,
        ),
        (
            "a verdict deleted (the one it superseded counts again)",
            format!(
                "delete from transitions where observation_id = {failed};
                 update observations set superseded_by = null where superseded_by = {failed};
                 delete from observations where id = {failed}"
            ),
            0,
        ),
        (
            "a base with repeats deleted",
            format!(
                "delete from transitions where observation_id = {};
                 delete from observations where id = {}",
                bases[3], bases[3]
            ),
            -1,
        ),
    ] {
        store.execute_admin(&statement).await.unwrap();
        let now = same(label).await;
        assert_eq!(now as i64, total as i64 + change, "{label}: {statement}");
        total = now;
    }
}

/// Issue 15: a state as of a date well in the past (a matrix at a past date, the overview's
/// "then") is kept while probes store what they see now, and read again after any write
/// that reaches back to it: a late row, a retraction (here by hand-made SQL), a pair
/// removed. Each kept answer equals the store's own answer at that moment.
async fn a_settled_state_is_kept_while_probes_write_now_and_read_again_when_a_write_reaches_back(
    store: &Store,
) {
    loaded(store).await;
    let check = "link.wechat.taobao";
    // The catalog's facts (articles) on this check are there too: the probe's row is
    // what the story follows.
    let filter = StateFilter {
        check: Some(check.to_string()),
        ..StateFilter::default()
    };
    let then = day_end(2021, 10, 1);
    store
        .insert_observation(&probe(check, day_end(2021, 9, 1), "blocked"))
        .await
        .unwrap();
    let memo = std::sync::Arc::new(hutong::storage::Memo::default());
    let statuses = |s: &[hutong::domain::ObservationRecord]| {
        s.iter()
            .filter(|o| o.source_kind == SourceKind::Probe.as_str())
            .map(|o| (o.check_id.clone(), o.status.clone()))
            .collect::<Vec<_>>()
    };
    let rows = |s: &[hutong::domain::ObservationRecord]| {
        s.iter()
            .map(|o| (o.id, o.check_id.clone(), o.status.clone(), o.observed_at))
            .collect::<Vec<_>>()
    };
    let first = memo.reads(store).await.unwrap();
    let kept = first.state_as_of(then, &filter).await.unwrap();
    assert_eq!(
        statuses(&kept),
        [(check.to_string(), "blocked".to_string())]
    );

    // Probes writing now: the data version moves, the settled past's does not, and the
    // state as of `then` is the one kept; the state as of now is read anew.
    let before = store.data_versions().await.unwrap();
    for minutes in [3, 2, 1] {
        store
            .insert_observation(&probe(
                check,
                Utc::now() - Duration::minutes(minutes),
                "open",
            ))
            .await
            .unwrap();
    }
    let after = store.data_versions().await.unwrap();
    assert!(
        after.data > before.data,
        "probe rows raise the data version"
    );
    assert_eq!(
        after.past, before.past,
        "rows of now leave the past's alone"
    );
    let second = memo.reads(store).await.unwrap();
    let again = second.state_as_of(then, &filter).await.unwrap();
    assert!(
        std::sync::Arc::ptr_eq(&kept, &again),
        "kept across probe writes"
    );
    assert_eq!(
        rows(&again),
        rows(&store.state_as_of(then, &filter).await.unwrap())
    );
    let now = second.state_as_of(Utc::now(), &filter).await.unwrap();
    assert_eq!(statuses(&now), [(check.to_string(), "open".to_string())]);

    // A late row before `then`: the past's version moves and the state shows it.
    let late = store
        .insert_observation(&probe(check, then - Duration::hours(1), "warned"))
        .await
        .unwrap();
    let third = memo.reads(store).await.unwrap();
    let fresh = third.state_as_of(then, &filter).await.unwrap();
    assert_eq!(
        statuses(&fresh),
        [(check.to_string(), "warned".to_string())]
    );
    assert_eq!(
        rows(&fresh),
        rows(&store.state_as_of(then, &filter).await.unwrap())
    );
    assert!(store.data_versions().await.unwrap().past > after.past);

    // Retracted by hand-made SQL: back to what was seen before it.
    store
        .execute_admin(&format!(
            "update observations set retracted_at = observed_at, retraction_reason = 'wrong page' \
             where id = {late}"
        ))
        .await
        .unwrap();
    let fourth = memo.reads(store).await.unwrap();
    let retracted = fourth.state_as_of(then, &filter).await.unwrap();
    assert_eq!(
        statuses(&retracted),
        [(check.to_string(), "blocked".to_string())]
    );

    // Kept again while probes write, until a row at an old instant is deleted.
    store
        .insert_observation(&probe(check, Utc::now(), "open"))
        .await
        .unwrap();
    let fifth = memo.reads(store).await.unwrap();
    let kept = fifth.state_as_of(then, &filter).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&retracted, &kept));
    store
        .execute_admin(&format!(
            "delete from transitions where observation_id = {late}; \
             delete from observations where id = {late}"
        ))
        .await
        .unwrap();
    let sixth = memo.reads(store).await.unwrap();
    let deleted = sixth.state_as_of(then, &filter).await.unwrap();
    assert!(
        !std::sync::Arc::ptr_eq(&kept, &deleted),
        "read again after a delete"
    );
    assert_eq!(
        rows(&deleted),
        rows(&store.state_as_of(then, &filter).await.unwrap())
    );
}

/// The overview's weekly openness keeps the points of settled days under the settled
/// past's version. Probes writing now leave them as they are; a probe confirming now a
/// change it first saw days ago writes a transition dated back then (the first agreeing
/// observation), which moves a settled point: the past's version moves with it (0029) and
/// the points are counted again. Compared each time with counting every change afresh.
async fn settled_openness_points_stay_right_while_probes_write_and_when_a_change_is_confirmed_late(
    store: &Store,
) {
    use hutong::charts::data::weekly_openness;
    use hutong::time::{shanghai_day, start_of_day};
    loaded(store).await;
    let check = "link.wechat.taobao";
    let reference = store.reference().await.unwrap();
    let kind = reference.kind("link").unwrap().clone();
    let population: Vec<&hutong::domain::Check> = reference
        .checks
        .iter()
        .filter(|c| c.kind == "link" && !reference.is_simulated_check(c))
        .collect();
    let stale = 30;
    let fresh = |now: DateTime<Utc>| {
        let population = population.clone();
        let kind = kind.clone();
        async move {
            let changes = store.status_changes("link", None).await.unwrap();
            let evidence = store.evidence_times(Some("link"), stale).await.unwrap();
            weekly_openness(
                &kind,
                &population,
                &changes,
                &evidence,
                stale,
                shanghai_day(now),
                now,
            )
        }
    };
    let memo = std::sync::Arc::new(hutong::storage::Memo::default());
    let kept = |now: DateTime<Utc>| {
        let population = population.clone();
        let kind = kind.clone();
        let memo = memo.clone();
        async move {
            memo.reads(store)
                .await
                .unwrap()
                .weekly_openness(&kind, &population, stale, shanghai_day(now), now, 10_000)
                .await
                .unwrap()
        }
    };

    // The weekly points fall every seventh day from the first change (the catalog's): the
    // last one whose day ended before the settled instant (two days back, to its day's
    // start) is `settled_day`.
    let now = Utc::now();
    let first = store.status_changes("link", None).await.unwrap()[0].at;
    let before = start_of_day(shanghai_day(now - Duration::days(2)), SHANGHAI);
    let mut settled_day = shanghai_day(first);
    while end_of_day(settled_day + chrono::Days::new(7), SHANGHAI) < before {
        settled_day = settled_day + chrono::Days::new(7);
    }
    let noon = |day: NaiveDate| {
        SHANGHAI
            .from_local_datetime(&day.and_hms_opt(12, 0, 0).unwrap())
            .unwrap()
            .with_timezone(&Utc)
    };
    // Blocked a week before that day (two agreeing probes), open on that day: the first of
    // two, not yet a change.
    let week_before = noon(settled_day - chrono::Days::new(7));
    for at in [week_before, week_before + Duration::minutes(5)] {
        store
            .insert_observation(&pack_obs(check, at, "blocked", None))
            .await
            .unwrap();
    }
    store
        .insert_observation(&pack_obs(check, noon(settled_day), "open", None))
        .await
        .unwrap();
    let points = kept(now).await;
    assert_eq!(points, fresh(now).await);
    let at_day = |points: &[hutong::charts::data::OpennessPoint]| {
        *points.iter().find(|p| p.day == settled_day).unwrap()
    };

    // Probes writing now (another check): the past's version stays, the points are right.
    let versions = store.data_versions().await.unwrap();
    store
        .insert_observation(&probe("link.wechat.jd", Utc::now(), "open"))
        .await
        .unwrap();
    assert_eq!(store.data_versions().await.unwrap().past, versions.past);
    let now = Utc::now();
    assert_eq!(kept(now).await, fresh(now).await);

    // Confirmed now: the change is dated at noon on the settled day.
    store
        .insert_observation(&pack_obs(check, Utc::now(), "open", None))
        .await
        .unwrap();
    let dated: Vec<DateTime<Utc>> = store
        .status_changes("link", None)
        .await
        .unwrap()
        .iter()
        .filter(|c| c.check_id == check)
        .map(|c| c.at)
        .collect();
    assert!(dated.contains(&noon(settled_day)), "{dated:?}");
    assert!(store.data_versions().await.unwrap().past > versions.past);
    let now = Utc::now();
    let after = kept(now).await;
    assert_eq!(after, fresh(now).await);
    assert_ne!(
        at_day(&after),
        at_day(&points),
        "the settled day's point moved"
    );
}

/// Migration 0028: the unique index on a run's whole key holds only the rows that have one
/// (every row written since 0027 holds none there); a whole key is still refused twice.
#[tokio::test]
async fn sqlite_indexes_a_whole_run_key_only_where_a_row_has_one() {
    let db = common::sqlite().await;
    let store = &db.store;
    loaded(store).await;
    let at = Utc.with_ymd_and_hms(2026, 2, 1, 6, 0, 0).unwrap();
    let keyed = |check: &str, key: Option<&str>| {
        let mut new = pack_obs(check, at, "open", None);
        if let Some(p) = new.probe.as_mut() {
            p.run_key = key.map(str::to_string);
        }
        new
    };
    store
        .insert_observations(&[
            keyed("link.wechat.taobao", None),
            keyed("link.wechat.douyin", None),
            keyed("link.wechat.jd", Some("whole-key")),
        ])
        .await
        .unwrap();
    assert!(
        store
            .insert_observations(&[keyed("link.wechat.jd", Some("whole-key"))])
            .await
            .is_err(),
        "a whole key is refused twice"
    );
    let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
    let partial: i64 = sqlx::query_scalar(
        "select \"partial\" from pragma_index_list('observations')
         where name = 'observations_by_run_key'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(partial, 1, "the index is partial");
    let indexed: i64 = sqlx::query_scalar(
        "select count(*) from observations indexed by observations_by_run_key
         where run_key is not null",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(indexed, 1, "only the row with a whole key is in it");
    pool.close().await;
}

/// Migration 0036 (PostgreSQL): two transactions writing the settled past side by side (a
/// correction here, a late hand test there, a seed's writers) do not wait for each other on
/// the past's version, and a reader sees that version count each of them when, and only
/// when, it commits.
/// A run's repeats stored before migration 0051 (found then by the repeats' index of run
/// keys) still refuse the run's check again after it: each run key's earliest instant is
/// taken from its repeats, and the check's repeats are read from there on.
#[tokio::test]
async fn postgres_a_runs_repeats_stored_before_0051_still_refuse_its_check_again() {
    let Some(db) = common::postgres_at(50).await else {
        return;
    };
    let store = &db.store;
    loaded(store).await;
    let checks = ["link.wechat.taobao", "link.wechat.douyin"];
    let t0 = Utc.with_ymd_and_hms(2026, 2, 1, 6, 0, 0).unwrap();
    let verdict = |check: &str, slot: DateTime<Utc>| {
        let mut new = pack_obs(check, slot + Duration::minutes(1), "open", None);
        if let Some(p) = new.probe.as_mut() {
            p.run_key = Some(hutong::storage::run_key("p", "cn-test", slot, check));
        }
        new
    };
    // Three runs of the same verdicts: whole rows, then repeats of them.
    for n in 0..3 {
        let slot = t0 + Duration::hours(n);
        store
            .insert_probe_results(&[], &checks.map(|c| verdict(c, slot)))
            .await
            .unwrap();
    }
    let (_, repeats) = store.stored_forms().await.unwrap();
    assert_eq!(repeats, 4, "the later runs' verdicts are repeats");
    store.migrate().await.unwrap();
    for n in 0..3 {
        for check in checks {
            let again = store
                .insert_probe_results(&[], &[verdict(check, t0 + Duration::hours(n))])
                .await;
            assert!(again.is_err(), "{check} again in run {n} is refused");
        }
    }
    // A new run stores them, as repeats.
    store
        .insert_probe_results(&[], &checks.map(|c| verdict(c, t0 + Duration::hours(3))))
        .await
        .unwrap();
    assert_eq!(store.stored_forms().await.unwrap().1, 6);
}

#[tokio::test]
async fn postgres_writers_of_the_past_do_not_wait_for_each_other() {
    let Some(db) = common::postgres().await else {
        return;
    };
    let store = &db.store;
    loaded(store).await;
    let at = Utc.with_ymd_and_hms(2025, 3, 1, 6, 0, 0).unwrap();
    store
        .insert_observations(&[
            probe("link.wechat.taobao", at, "open"),
            probe("link.wechat.jd", at, "open"),
        ])
        .await
        .unwrap();
    let before = store.data_versions().await.unwrap();
    let mut first = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    let mut second = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    for (conn, check) in [
        (&mut first, "link.wechat.taobao"),
        (&mut second, "link.wechat.jd"),
    ] {
        sqlx::raw_sql("set lock_timeout = '5s'; begin")
            .execute(&mut *conn)
            .await
            .unwrap();
        let written = sqlx::query(
            "update observations set note_en = 'corrected by hand' where check_id = $1",
        )
        .bind(check)
        .execute(&mut *conn)
        .await;
        assert!(
            written.is_ok(),
            "a writer of {check} waited for the other: {written:?}"
        );
    }
    let past = || async { store.data_versions().await.unwrap().past };
    assert_eq!(past().await, before.past, "nothing committed yet");
    sqlx::raw_sql("commit").execute(&mut second).await.unwrap();
    assert_eq!(past().await, before.past + 1, "the second writer committed");
    sqlx::raw_sql("commit").execute(&mut first).await.unwrap();
    let after = store.data_versions().await.unwrap();
    assert_eq!(after.past, before.past + 2, "both committed");
    assert!(after.data > before.data);
}

/// The audit line of a retraction made by these tests (no account).
fn retraction_by_test() -> hutong::domain::NewAuditEntry {
    hutong::domain::NewAuditEntry {
        actor_id: None,
        actor: "test".into(),
        action: "observation.retract",
        subject: None,
        detail: None,
        address: None,
    }
}

/// A connection of its own to the PostgreSQL database `url`, inside a transaction begun by
/// hand that has run `sql` (waiting at most 20 s for a lock) and is left open.
async fn in_a_transaction_by_hand(url: &str, sql: &str) -> sqlx::PgConnection {
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "set lock_timeout = '20s'; begin; {sql}"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
    conn
}

/// A row deleted by hand while a probe stores its pair's next verdict (PostgreSQL, where
/// repeats name their base without a foreign key, migration 0044): the probe's batch waits
/// for the delete, then stores its verdict as the pair's row. Nothing it stored is lost.
#[tokio::test]
async fn postgres_a_verdict_stored_while_its_pairs_row_is_deleted_by_hand_is_kept() {
    let Some(db) = common::postgres().await else {
        return;
    };
    let store = &db.store;
    loaded(store).await;
    let check = "link.wechat.taobao";
    let at = Utc.with_ymd_and_hms(2026, 5, 1, 6, 0, 0).unwrap();
    let (_, before) = store.check_history(check, 1, 0).await.unwrap();
    let base = store
        .insert_probe_results(&[], &[pack_obs(check, at, "open", None)])
        .await
        .unwrap()[0];
    let mut by_hand = in_a_transaction_by_hand(
        &db.url,
        &format!(
            "delete from transitions where observation_id = {base};
             delete from observations where id = {base}"
        ),
    )
    .await;
    let writer = store.clone();
    let next = pack_obs(check, at + Duration::hours(1), "open", None);
    let stored = tokio::spawn(async move { writer.insert_probe_results(&[], &[next]).await });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    sqlx::raw_sql("commit").execute(&mut by_hand).await.unwrap();
    let id = stored.await.unwrap().expect("the verdict is stored")[0];
    let kept = store.observation(id).await.unwrap();
    assert_eq!(
        kept.map(|o| (o.check_id, o.status)),
        Some((check.to_string(), "open".to_string())),
        "the verdict stored during the delete reads back"
    );
    assert!(store.observation(base).await.unwrap().is_none());
    let (history, total) = store.check_history(check, 1, 0).await.unwrap();
    assert_eq!(
        (history[0].id, total),
        (id, before + 1),
        "the check's history lists it, newest, and not the deleted row"
    );
}

/// A row retracted while a probe stores its pair's next verdict, which repeats it
/// (PostgreSQL, where several transactions write at once): the retraction waits for the
/// probe's batch, so the verdict it stored is kept as a verdict of its own, and the pair's
/// state now reads the same from what pages keep as from the observations themselves.
#[tokio::test]
async fn postgres_a_row_retracted_while_a_probe_repeats_it_leaves_the_verdict_standing() {
    let Some(db) = common::postgres().await else {
        return;
    };
    let store = &db.store;
    loaded(store).await;
    let check = "link.wechat.taobao";
    let at = Utc.with_ymd_and_hms(2026, 5, 1, 6, 0, 0).unwrap();
    let base = store
        .insert_probe_results(&[], &[pack_obs(check, at, "open", None)])
        .await
        .unwrap()[0];
    // The probe's batch is held after it read the pair (its repeat's upkeep waits for the
    // check's count, locked here), while the row it repeats is retracted.
    let mut by_hand = in_a_transaction_by_hand(
        &db.url,
        &format!("select 1 from check_counts where check_id = '{check}' for update"),
    )
    .await;
    let writer = store.clone();
    let next = pack_obs(check, at + Duration::hours(1), "open", None);
    let stored = tokio::spawn(async move { writer.insert_probe_results(&[], &[next]).await });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let corrector = store.clone();
    let retracted = tokio::spawn(async move {
        corrector
            .retract_observation(base, "wrong page", &retraction_by_test())
            .await
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    sqlx::raw_sql("commit").execute(&mut by_hand).await.unwrap();
    let id = stored.await.unwrap().expect("the verdict is stored")[0];
    assert!(matches!(
        retracted.await.unwrap(),
        Ok(hutong::domain::RetractOutcome::Retracted { .. })
    ));
    let filter = StateFilter {
        kind: None,
        check: Some(check.to_string()),
        include_simulated: true,
    };
    let now = Utc::now();
    let shown = |states: Vec<hutong::domain::ObservationRecord>| {
        states
            .into_iter()
            .map(|o| (o.id, o.status, o.retracted_at.is_some()))
            .collect::<Vec<_>>()
    };
    let kept = shown(store.state_as_of(now, &filter).await.unwrap());
    let sought = shown(
        store
            .state_as_of_from_observations(now, &filter)
            .await
            .unwrap(),
    );
    assert!(
        kept.contains(&(id, "open".to_string(), false)) && !kept.iter().any(|o| o.0 == base),
        "the verdict stored during the retraction is its pair's state: {kept:?}"
    );
    assert_eq!(sought, kept, "sought from the observations, the same");
}

/// `bench pages --database-url` names a database filled by `bench seed`; one that was never
/// seeded is refused, saying so, instead of measuring pages that answer 404.
#[tokio::test]
async fn bench_pages_refuses_a_database_that_was_never_seeded() {
    let db = common::sqlite().await;
    loaded(&db.store).await;
    let refused = hutong::bench::pages::pages(hutong::bench::pages::PagesBench {
        requests: 1,
        concurrency: 1,
        database_url: Some(db.url.clone()),
        seed_observations: 1_000,
        seed_checks: 20,
        catalog_dir: common::catalog_dir(),
        write_rate: 0,
    })
    .await
    .expect_err("an unseeded database is refused");
    let said = format!("{refused:#}");
    assert!(
        said.contains("no synthetic history") && said.contains("bench seed"),
        "{said}"
    );
}

/// Migration 0033 (PostgreSQL): the indexes of a pack, of a run's whole key and of a
/// catalog key hold only the rows that have one (most rows have none); each is still
/// unique where it was, and a read that names a value still uses it, also under a
/// generic plan (a prepared statement's parameter).
#[tokio::test]
async fn postgres_indexes_pack_run_key_and_catalog_key_only_where_a_row_has_one() {
    let Some(db) = common::postgres().await else {
        return;
    };
    let store = &db.store;
    loaded(store).await;
    let at = Utc.with_ymd_and_hms(2026, 2, 1, 6, 0, 0).unwrap();
    let mut whole = pack_obs("link.wechat.jd", at, "open", None);
    if let Some(p) = whole.probe.as_mut() {
        p.run_key = Some("whole-key".into());
    }
    store
        .insert_observations(&[
            whole.clone(),
            pack_obs("link.wechat.taobao", at, "open", None),
            probe("link.wechat.douyin", at, "open"),
        ])
        .await
        .unwrap();
    assert!(
        store.insert_observations(&[whole]).await.is_err(),
        "a whole key is refused twice"
    );
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&db.url)
        .await
        .unwrap();
    for (index, column) in [
        ("observations_by_pack", "pack_id"),
        ("observations_by_run_key", "run_key"),
        ("observations_by_catalog_key", "catalog_key"),
    ] {
        let def: String = sqlx::query_scalar(
            "select indexdef from pg_indexes where tablename = 'observations' and indexname = $1",
        )
        .bind(index)
        .fetch_optional(&mut conn)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{index} exists"));
        assert!(
            def.ends_with(&format!("WHERE ({column} IS NOT NULL)")),
            "{index} is partial: {def}"
        );
    }
    let catalog_key: String = sqlx::query_scalar(
        "select catalog_key from observations where catalog_key is not null limit 1",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let again = sqlx::query(
        "insert into observations (check_id, observed_at, precision, status, source_kind,
             source_key, vantage, catalog_key, recorded_at)
         select check_id, observed_at, precision, status, source_kind, source_key, vantage,
             catalog_key, recorded_at
         from observations where catalog_key = $1",
    )
    .bind(&catalog_key)
    .execute(&mut conn)
    .await;
    assert!(again.is_err(), "a catalog key is refused twice");
    sqlx::raw_sql(
        "set enable_seqscan = off; set plan_cache_mode = force_generic_plan;
         prepare by_pack(text, bigint, bigint) as
             select id from observations where pack_id = $1 and id > $2 and id <= $3;
         prepare by_catalog_key(text) as select id from observations where catalog_key = $1;
         prepare by_run_key(text) as select id from observations where run_key = $1",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    for (read, index) in [
        (
            "explain execute by_pack('p', 0, 100)",
            "observations_by_pack",
        ),
        (
            "explain execute by_catalog_key('x')",
            "observations_by_catalog_key",
        ),
        ("explain execute by_run_key('x')", "observations_by_run_key"),
    ] {
        let plan: Vec<String> = sqlx::query_scalar(read).fetch_all(&mut conn).await.unwrap();
        // The index, or (since migration 0053 partitions the table) its partitions'.
        let names: Vec<String> = sqlx::query_scalar(
            "select $1::text union all
             select c.relname::text from pg_inherits i join pg_class c on c.oid = i.inhrelid
             where i.inhparent = to_regclass($1)",
        )
        .bind(index)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        let uses = |line: &String| names.iter().any(|n| line.contains(&format!("using {n} ")));
        assert!(
            plan.iter().filter(|line| line.contains("Scan")).all(uses) && plan.iter().any(uses),
            "{read} reads {index}: {plan:?}"
        );
    }
    sqlx::Connection::close(conn).await.unwrap();
    db.drop_database().await;
}

/// Session 29 (migration 0031): the current state of a set of checks (the overview's real
/// checks) is kept under their own versions, so writes to other checks leave it; any
/// write to one of its checks (a probe's row, a status edited in place, a retraction, a
/// deletion, a row moved from another check) has it read again, each time equal to the
/// store's own answer.
async fn current_states_are_kept_while_other_checks_are_written_and_read_again_after_any_write_to_theirs(
    store: &Store,
) {
    loaded(store).await;
    let reference = store.reference().await.unwrap();
    let (a, b, other) = ("link.wechat.taobao", "link.wechat.jd", "link.wechat.douyin");
    let checks: Vec<&hutong::domain::Check> = [a, b]
        .iter()
        .map(|id| reference.check(id).unwrap())
        .collect();
    let filter = StateFilter::default();
    let memo = std::sync::Arc::new(hutong::storage::Memo::default());
    // Each check's sources with their rows' ids and statuses.
    let shown = |s: &hutong::storage::memo::CheckStates| {
        let mut v: Vec<(String, Vec<(i64, String)>)> = s
            .values()
            .map(|c| {
                let mut rows: Vec<(i64, String)> = c
                    .per_source
                    .iter()
                    .map(|o| (o.id, o.status.clone()))
                    .collect();
                rows.sort();
                (c.check_id.clone(), rows)
            })
            .collect();
        v.sort();
        v
    };
    let fresh = || async {
        let rows = store.state_as_of(Utc::now(), &filter).await.unwrap();
        let states = hutong::state::states(checks.iter().copied(), rows);
        shown(&std::sync::Arc::new(states))
    };
    let now = |s: i64| Utc::now() - Duration::seconds(s);
    let first = current_of(&memo, store, &checks).await;
    assert_eq!(shown(&first), fresh().await);

    // Another check written: the data version moves, the kept states stay.
    store
        .insert_observation(&probe(other, now(30), "blocked"))
        .await
        .unwrap();
    let again = current_of(&memo, store, &checks).await;
    assert!(
        std::sync::Arc::ptr_eq(&first, &again),
        "kept across a write to another check"
    );

    // One of the checks written by a probe.
    let row = store
        .insert_observation(&probe(a, now(20), "blocked"))
        .await
        .unwrap();
    let mut previous = again;
    let (what, got) = ("a probe's row", current_of(&memo, store, &checks).await);
    assert!(!std::sync::Arc::ptr_eq(&previous, &got), "{what}");
    assert_eq!(shown(&got), fresh().await, "{what}");
    assert!(
        shown(&got)
            .iter()
            .any(|(_, rows)| rows.contains(&(row, "blocked".into())))
    );
    previous = got;

    // Its status edited in place (as a catalog load edits a fact): the same row id.
    store
        .execute_admin(&format!(
            "update observations set status = 'open' where id = {row}"
        ))
        .await
        .unwrap();
    let (what, got) = (
        "a status edited in place",
        current_of(&memo, store, &checks).await,
    );
    assert!(!std::sync::Arc::ptr_eq(&previous, &got), "{what}");
    assert_eq!(shown(&got), fresh().await, "{what}");
    assert!(
        shown(&got)
            .iter()
            .any(|(_, rows)| rows.contains(&(row, "open".into())))
    );
    previous = got;

    // Retracted by hand-made SQL.
    store
        .execute_admin(&format!(
            "update observations set retracted_at = observed_at, retraction_reason = 'wrong page' \
             where id = {row}"
        ))
        .await
        .unwrap();
    let (what, got) = ("a retraction", current_of(&memo, store, &checks).await);
    assert!(!std::sync::Arc::ptr_eq(&previous, &got), "{what}");
    assert_eq!(shown(&got), fresh().await, "{what}");
    assert!(
        !shown(&got)
            .iter()
            .any(|(_, rows)| rows.iter().any(|r| r.0 == row))
    );
    previous = got;

    // A row of the other check moved to one of these (whose probe already spoke: the
    // pair of check and source is known).
    store
        .insert_observation(&probe(b, now(40), "open"))
        .await
        .unwrap();
    let (what, got) = (
        "a probe's row on the other check of the two",
        current_of(&memo, store, &checks).await,
    );
    assert!(!std::sync::Arc::ptr_eq(&previous, &got), "{what}");
    assert_eq!(shown(&got), fresh().await, "{what}");
    previous = got;
    let moved = store
        .insert_observation(&probe(other, now(10), "warned"))
        .await
        .unwrap();
    let (_, kept): (&str, _) = (
        "another check written",
        current_of(&memo, store, &checks).await,
    );
    assert!(
        std::sync::Arc::ptr_eq(&previous, &kept),
        "kept across a write to another check"
    );
    store
        .execute_admin(&format!(
            "update observations set check_id = '{b}' where id = {moved}"
        ))
        .await
        .unwrap();
    let (what, got) = ("a row moved in", current_of(&memo, store, &checks).await);
    assert_eq!(shown(&got), fresh().await, "{what}");
    assert!(
        shown(&got)
            .iter()
            .any(|(_, rows)| rows.contains(&(moved, "warned".into())))
    );

    // Deleted.
    store
        .execute_admin(&format!(
            "delete from transitions where observation_id = {moved}; \
             delete from observations where id = {moved}"
        ))
        .await
        .unwrap();
    let (what, got) = ("a deletion", current_of(&memo, store, &checks).await);
    assert_eq!(shown(&got), fresh().await, "{what}");
    assert!(
        !shown(&got)
            .iter()
            .any(|(_, rows)| rows.iter().any(|r| r.0 == moved))
    );
}

/// Session 32 (migration 0034): what a check's page reads of that check (a page of its
/// history and the changes its rows made, a source's latest changes, latest transitions and
/// their count) is kept under the check's own version, so writes to other checks leave it;
/// a probe's row on the check, a transition edited or deleted by hand-made SQL (no
/// observation written) have it read again, each time equal to the store's own answer. An
/// end before the newest observation is never answered from what was kept for "now". The
/// overview's real observation count is kept across a write to a simulated check and read
/// again after a write to a real one; the evidence times and changes the overview's weekly
/// series of real checks reads are kept across a write to a simulated check of the kind and
/// read again after one to a real check.
async fn a_checks_page_reads_are_kept_while_other_checks_are_written_and_read_again_after_any_write_to_its_own(
    store: &Store,
) {
    use std::sync::Arc;
    loaded(store).await;
    let (a, other, simulated) = (
        "link.wechat.taobao",
        "link.wechat.douyin",
        "link.simchat.simshop",
    );
    let ago = |s: i64| Utc::now() - Duration::seconds(s);
    // A history with changes: open, blocked, open, warned.
    for (s, status) in [(90, "open"), (80, "blocked"), (70, "open"), (60, "warned")] {
        store
            .insert_observation(&probe(a, ago(s), status))
            .await
            .unwrap();
    }
    let key: String = store
        .state_as_of(
            Utc::now(),
            &StateFilter {
                check: Some(a.into()),
                ..StateFilter::default()
            },
        )
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.check_id == a)
        .expect("the probe's word")
        .source_key;
    let memo = Arc::new(hutong::storage::Memo::default());
    type Kept = (
        Arc<(Vec<hutong::domain::ObservationRecord>, i64)>,
        Arc<std::collections::HashMap<i64, Option<String>>>,
        Arc<Vec<(DateTime<Utc>, String)>>,
        Arc<Vec<hutong::domain::TransitionRecord>>,
        i64,
    );
    // What the page reads through the memo, at `until`.
    let page = |until: DateTime<Utc>| {
        let memo = memo.clone();
        let key = key.clone();
        async move {
            let reads = memo.reads(store).await.unwrap();
            let history = reads.check_history(a, 50, 0).await.unwrap();
            let ids: Vec<i64> = history.0.iter().map(|o| o.id).collect();
            let made = reads.transitions_made_by(a, &ids).await.unwrap();
            let changes = reads.latest_changes(a, &key, until, 201).await.unwrap();
            let transitions = reads.latest_transitions(a, &key, until, 10).await.unwrap();
            let count = reads.transition_count(a, &key, until).await.unwrap();
            (history, made, changes, transitions, count) as Kept
        }
    };
    // The same read from the store, and shown comparably.
    let shown = |k: &Kept| {
        let mut made: Vec<(i64, Option<String>)> =
            k.1.iter().map(|(id, from)| (*id, from.clone())).collect();
        made.sort();
        (
            k.0.0
                .iter()
                .map(|o| (o.id, o.status.clone(), o.observed_at))
                .collect::<Vec<_>>(),
            k.0.1,
            made,
            (*k.2).clone(),
            k.3.iter()
                .map(|t| (t.id, t.to_status.clone(), t.occurred_at))
                .collect::<Vec<_>>(),
            k.4,
        )
    };
    let fresh = |until: DateTime<Utc>| {
        let key = key.clone();
        async move {
            let history = store.check_history(a, 50, 0).await.unwrap();
            let ids: Vec<i64> = history.0.iter().map(|o| o.id).collect();
            let made = store.transitions_made_by(&ids).await.unwrap();
            let changes = store.latest_changes(a, &key, until, 201).await.unwrap();
            let transitions = store.latest_transitions(a, &key, until, 10).await.unwrap();
            let count = store.transition_count(a, &key, until).await.unwrap();
            shown(&(
                Arc::new(history),
                Arc::new(made),
                Arc::new(changes),
                Arc::new(transitions),
                count,
            ))
        }
    };
    let same = |x: &Kept, y: &Kept| {
        Arc::ptr_eq(&x.0, &y.0)
            && Arc::ptr_eq(&x.1, &y.1)
            && Arc::ptr_eq(&x.2, &y.2)
            && Arc::ptr_eq(&x.3, &y.3)
    };
    let first = page(Utc::now()).await;
    assert_eq!(shown(&first), fresh(Utc::now()).await);
    assert_eq!(first.4, 4, "four changes");

    // Another check written: the data version moves, what was read of this one stays.
    store
        .insert_observation(&probe(other, ago(50), "blocked"))
        .await
        .unwrap();
    let again = page(Utc::now()).await;
    assert!(same(&first, &again), "kept across a write to another check");

    // The check written by a probe: read again, with its row and its change.
    let row = store
        .insert_observation(&probe(a, ago(40), "blocked"))
        .await
        .unwrap();
    let got = page(Utc::now()).await;
    assert!(!Arc::ptr_eq(&again.0, &got.0), "a probe's row");
    assert_eq!(shown(&got), fresh(Utc::now()).await, "a probe's row");
    assert_eq!(got.0.0.first().map(|o| o.id), Some(row));
    assert_eq!(got.4, 5);
    let previous = got;

    // A transition edited by hand-made SQL, no observation written.
    store
        .execute_admin(&format!(
            "update transitions set to_status = 'token_only' where observation_id = {row}"
        ))
        .await
        .unwrap();
    let got = page(Utc::now()).await;
    assert!(!Arc::ptr_eq(&previous.2, &got.2), "a transition edited");
    assert_eq!(shown(&got), fresh(Utc::now()).await, "a transition edited");
    assert_eq!(
        got.2.first().map(|c| c.1.as_str()),
        Some("token_only"),
        "the edited change"
    );
    let previous = got;

    // A transition deleted by hand-made SQL.
    store
        .execute_admin(&format!(
            "delete from transitions where observation_id = {row}"
        ))
        .await
        .unwrap();
    let got = page(Utc::now()).await;
    assert!(!Arc::ptr_eq(&previous.2, &got.2), "a transition deleted");
    assert_eq!(shown(&got), fresh(Utc::now()).await, "a transition deleted");
    assert_eq!(got.4, 4);

    // An end before the newest observation (between the second and third changes) is read
    // for itself, never answered from what was kept for now.
    let between = ago(75);
    let then = page(between).await;
    assert_eq!(shown(&then), fresh(between).await, "an end in the past");
    assert_eq!(then.4, 2, "two changes by then");
    assert!(!Arc::ptr_eq(&got.2, &then.2));

    // The overview's count of real observations: kept across a write to a simulated
    // check, read again after one to a real check.
    let real = memo
        .reads(store)
        .await
        .unwrap()
        .real_reference()
        .await
        .unwrap();
    let count = || async {
        memo.reads(store)
            .await
            .unwrap()
            .real_observation_count(&real.checks)
            .await
            .unwrap()
    };
    let before = count().await;
    assert_eq!(before, store.real_observation_count().await.unwrap());
    store
        .insert_observation(&probe(simulated, ago(30), "open"))
        .await
        .unwrap();
    assert_eq!(
        count().await,
        before,
        "a simulated check's row counts nothing"
    );
    store
        .insert_observation(&probe(other, ago(20), "open"))
        .await
        .unwrap();
    assert_eq!(count().await, before + 1, "a real check's row counts");
    assert_eq!(count().await, store.real_observation_count().await.unwrap());

    // The overview's weekly series of real link checks: the evidence times and the changes
    // it reads are kept across a write to a simulated check of the kind, read again after
    // a write to one of its checks, each time equal to the store's own answer for them.
    let kind = real.kind("link").unwrap().clone();
    let population: Vec<&hutong::domain::Check> =
        real.checks.iter().filter(|c| c.kind == "link").collect();
    assert!(population.iter().all(|c| c.id != simulated));
    let after = Some(ago(85));
    let of_population = || async {
        let reads = memo.reads(store).await.unwrap();
        let evidence = reads
            .evidence_times_of(&kind, &population, 1)
            .await
            .unwrap();
        let changes = reads
            .status_changes_after_of(&kind, &population, after, 10_000)
            .await
            .unwrap();
        (evidence, changes)
    };
    let mine = |changes: &[hutong::domain::StatusChange]| {
        changes
            .iter()
            .filter(|c| population.iter().any(|p| p.id == c.check_id))
            .map(|c| (c.check_id.clone(), c.at, c.status.clone()))
            .collect::<Vec<_>>()
    };
    let fresh_changes =
        || async { mine(&store.status_changes_after("link", after).await.unwrap()) };
    let (evidence, changes) = of_population().await;
    assert_eq!(mine(&changes), fresh_changes().await);
    assert!(
        mine(&changes).iter().any(|c| c.0 == a),
        "the check's changes"
    );
    store
        .insert_observation(&probe(simulated, ago(15), "blocked"))
        .await
        .unwrap();
    let (evidence_kept, changes_kept) = of_population().await;
    assert!(
        Arc::ptr_eq(&evidence, &evidence_kept) && Arc::ptr_eq(&changes, &changes_kept),
        "kept across a simulated check's write"
    );
    store
        .insert_observation(&probe(a, ago(10), "open"))
        .await
        .unwrap();
    let (evidence_again, changes_again) = of_population().await;
    assert!(
        !Arc::ptr_eq(&evidence, &evidence_again),
        "evidence read again"
    );
    assert!(!Arc::ptr_eq(&changes, &changes_again), "changes read again");
    assert_eq!(mine(&changes_again), fresh_changes().await);
    assert_eq!(
        mine(&changes_again)
            .last()
            .map(|c| (c.0.as_str(), c.2.as_str())),
        Some((a, "open")),
        "the new change"
    );
    assert_eq!(
        evidence_again.by_check.get(a),
        store
            .evidence_times(Some("link"), 1)
            .await
            .unwrap()
            .by_check
            .get(a),
        "the check's evidence times"
    );
}

/// The current state of `checks` through `memo`, as a page reads it.
async fn current_of(
    memo: &std::sync::Arc<hutong::storage::Memo>,
    store: &Store,
    checks: &[&hutong::domain::Check],
) -> hutong::storage::memo::CheckStates {
    memo.reads(store)
        .await
        .unwrap()
        .check_states(Utc::now(), &StateFilter::default(), checks)
        .await
        .unwrap()
}

/// Repeats stored thin (migration 0032): rounds of a pack's verdicts where statuses rarely
/// change are stored as a few whole rows and many repeats, and every reader answers exactly
/// as for the same verdicts stored as whole rows (written through a store that never
/// folds, in a second database of the same kind): the same ids, fields, order and counts;
/// what the triggers keep equals a count of the rows; a run still refuses a check twice;
/// retracting a repeat or a row with repeats, and superseding one, act as on whole rows.
async fn repeats_are_stored_thin_and_every_reader_answers_as_for_whole_rows(store: &Store) {
    repeats_are_stored_thin_and_every_reader_answers_as_for_whole_rows_in(store, false).await;
}

async fn repeats_are_stored_thin_and_every_reader_answers_as_for_whole_rows_in(
    store: &Store,
    fetches: bool,
) {
    loaded(store).await;
    let other = another_like(store).await;
    let whole = other.store.clone().with_repeats_whole();
    loaded(&whole).await;
    let (catalog_rows, none) = store.stored_forms().await.unwrap();
    assert_eq!(none, 0);
    let checks = ["link.wechat.taobao", "link.wechat.douyin", "link.wechat.jd"];
    let vantages = ["cn-test", "cn-test-2"];
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    // Six hours apart, with a pause of three days after round 15 (a kept evidence gap).
    let slot = |round: i64| {
        t0 + Duration::hours(6 * round) + Duration::days(if round > 15 { 3 } else { 0 })
    };
    let verdict = |check: &str, vantage: &str, round: i64, status: &str, failure: Option<&str>| {
        let mut new = pack_obs(check, slot(round), status, failure);
        new.vantage = vantage.to_string();
        if let Some(p) = new.probe.as_mut() {
            p.run_key = Some(hutong::storage::run_key("p", vantage, slot(round), check));
        }
        of_fetch(new, fetches.then(|| format!("{vantage} {round}")))
    };
    let rounds = 30;
    let mut ids = Vec::new();
    for round in 0..rounds {
        let mut batch = Vec::new();
        for check in checks {
            for vantage in vantages {
                let failed = check == checks[2] && round == 12 && vantage == vantages[0];
                let status = if failed {
                    "unknown"
                } else if (check == checks[0] && round >= 10) || (check == checks[1] && round == 20)
                {
                    "blocked"
                } else {
                    "open"
                };
                batch.push(verdict(
                    check,
                    vantage,
                    round,
                    status,
                    failed.then_some("timeout"),
                ));
            }
        }
        if round == rounds - 1 {
            for s in [store, &whole] {
                assert!(matches!(
                    s.begin_run("p", vantages[0], slot(round), "schedule", 6, None)
                        .await
                        .unwrap(),
                    RunStart::Fresh(_)
                ));
            }
        }
        let thin_ids = store.insert_probe_results(&[], &batch).await.unwrap();
        let whole_ids = whole.insert_probe_results(&[], &batch).await.unwrap();
        assert_eq!(thin_ids, whole_ids, "round {round}: the same ids");
        ids.extend(thin_ids);
    }
    // (a) Stored thin: a whole row where a pair starts or changes (6 pairs, taobao's
    // change, douyin's flap there and back, jd's failure and the row after it), the rest
    // repeats.
    let (rows, repeats) = store.stored_forms().await.unwrap();
    assert_eq!(rows - catalog_rows, 6 + 2 + 4 + 2, "whole rows");
    assert_eq!(repeats, 6 * rounds - 14, "repeats");
    assert_eq!(
        whole.stored_forms().await.unwrap(),
        (catalog_rows + 6 * rounds, 0),
        "the comparison store keeps whole rows"
    );
    let shown = |records: Vec<hutong::domain::ObservationRecord>| {
        records
            .into_iter()
            .map(|mut o| {
                // When each was written or retracted: the two stores did it at different
                // moments.
                o.recorded_at = t0;
                o.retracted_at = o.retracted_at.map(|_| t0);
                serde_json::to_value(o).unwrap()
            })
            .collect::<Vec<_>>()
    };
    let compare = |label: &'static str| {
        let ids = ids.clone();
        let whole = whole.clone();
        async move {
            for check in checks {
                assert_eq!(
                    shown(store.observations(check).await.unwrap()),
                    shown(whole.observations(check).await.unwrap()),
                    "{label}: observations of {check}"
                );
                for (limit, offset) in [(7, 0), (7, 7), (100, 0)] {
                    let (a, n) = store.check_history(check, limit, offset).await.unwrap();
                    let (b, m) = whole.check_history(check, limit, offset).await.unwrap();
                    assert_eq!((shown(a), n), (shown(b), m), "{label}: history of {check}");
                }
                let (_, total) = store.check_history(check, 1, 0).await.unwrap();
                let all = store.observations(check).await.unwrap().len();
                assert_eq!(
                    total as usize, all,
                    "{label}: counted observations of {check}"
                );
                let every = whole.observations(check).await.unwrap();
                for round in [3, 17, 29] {
                    let at = slot(round);
                    for from in [
                        at - Duration::days(hutong::state::WINDOW_DAYS),
                        at - Duration::hours(20),
                    ] {
                        windows_count(&[store, &whole], &every, check, (from, at), label).await;
                    }
                }
            }
            assert_eq!(
                shown(store.real_observations().await.unwrap()),
                shown(whole.real_observations().await.unwrap()),
                "{label}: the dataset's observations"
            );
            assert_eq!(
                store.real_observation_count().await.unwrap(),
                whole.real_observation_count().await.unwrap(),
                "{label}: real observations counted"
            );
            for &id in &ids {
                assert_eq!(
                    shown(store.observation(id).await.unwrap().into_iter().collect()),
                    shown(whole.observation(id).await.unwrap().into_iter().collect()),
                    "{label}: observation {id}"
                );
            }
            for round in [0, 15, 29] {
                let mut a = shown(store.run_observations("p", slot(round)).await.unwrap());
                let mut b = shown(whole.run_observations("p", slot(round)).await.unwrap());
                let by_id = |v: &serde_json::Value| v["id"].as_i64();
                a.sort_by_key(by_id);
                b.sort_by_key(by_id);
                assert_eq!(a, b, "{label}: run of round {round}");
            }
            for round in [-1, 5, 14, 16, 25, 29, 40] {
                for include_simulated in [false, true] {
                    let filter = StateFilter {
                        include_simulated,
                        ..StateFilter::default()
                    };
                    let at = slot(round);
                    let kept = shown(store.state_as_of(at, &filter).await.unwrap());
                    assert_eq!(
                        kept,
                        shown(
                            store
                                .state_as_of_from_observations(at, &filter)
                                .await
                                .unwrap()
                        ),
                        "{label}: kept state at round {round} against its rows"
                    );
                    assert_eq!(
                        kept,
                        shown(whole.state_as_of(at, &filter).await.unwrap()),
                        "{label}: state at round {round}"
                    );
                }
            }
            for days in [1, 2, 3] {
                for kind in [None, Some("link")] {
                    let kept = store.evidence_times(kind, days).await.unwrap();
                    assert_eq!(
                        kept,
                        store
                            .evidence_times_from_observations(kind, days)
                            .await
                            .unwrap(),
                        "{label}: kept evidence times against its rows"
                    );
                    assert_eq!(
                        kept,
                        whole.evidence_times(kind, days).await.unwrap(),
                        "{label}: evidence times, {days} days"
                    );
                }
            }
            let q = TimelineQuery {
                until: day_end(2031, 1, 1),
                since: None,
                platform: None,
                kind: None,
                source_kind: None,
                include_simulated: true,
                check: None,
                entries: Default::default(),
                limit: 1_000,
                offset: 0,
            };
            let (a, n) = store.timeline(&q).await.unwrap();
            let (b, m) = whole.timeline(&q).await.unwrap();
            assert_eq!(
                (serde_json::to_value(a).unwrap(), n),
                (serde_json::to_value(b).unwrap(), m),
                "{label}: the timeline"
            );
            assert_eq!(
                store.timeline_counts(&q).await.unwrap(),
                store.timeline_counts_from_transitions(&q).await.unwrap(),
                "{label}: timeline counts"
            );
        }
    };
    compare("as written").await;
    // A resumed run knows every check it stored, repeats too, and refuses one again.
    for s in [store, &whole] {
        match s
            .begin_run("p", vantages[0], slot(rounds - 1), "resume", 6, None)
            .await
            .unwrap()
        {
            RunStart::Resumed { mut done, .. } => {
                done.sort();
                assert_eq!(done, checks.map(str::to_string).to_vec().tap_sorted());
            }
            other => panic!("expected a resume, got {other:?}"),
        }
        for check in checks {
            assert!(
                s.insert_probe_results(
                    &[],
                    &[verdict(check, vantages[0], rounds - 1, "open", None)]
                )
                .await
                .is_err(),
                "{check} again in the same run is refused"
            );
        }
    }
    // Corrections: a repeat retracted, a row with repeats retracted, a repeat superseded.
    let audit = retraction_by_test();
    let repeat = ids[6 * 25 + 1];
    let base = ids[0];
    let superseded = ids[6 * 27 + 4];
    for s in [store, &whole] {
        s.retract_observation(repeat, "wrong page", &audit)
            .await
            .unwrap();
        s.retract_observation(base, "wrong page", &audit)
            .await
            .unwrap();
        let old = s.observation(superseded).await.unwrap().unwrap();
        let mut new = verdict(&old.check_id, &old.vantage, 27, "blocked", None);
        if let Some(p) = new.probe.as_mut() {
            p.rule_version = 2;
            p.run_key = None;
            p.reclassifies = Some(superseded);
        }
        s.supersede(&[new]).await.unwrap();
    }
    compare("after corrections").await;
    assert!(
        store.stored_forms().await.unwrap().1 < repeats,
        "the corrected repeats are whole rows now"
    );
}

trait TapSorted {
    fn tap_sorted(self) -> Self;
}

impl TapSorted for Vec<String> {
    fn tap_sorted(mut self) -> Self {
        self.sort();
        self
    }
}

/// Repeats stored thin, read in time order (migration 0032): on data that is nearly all
/// repeats (300 rounds of 4 pairs, a change, a flap, a failure, instants with and without
/// fractions of a second, and late reports written among a base's repeats), a check's
/// history pages at several offsets, the state at past dates (the matrix's seeks), the check
/// page's windows, each observation by id, the latest observation at or before a date and
/// the newest observation answer exactly as for the same verdicts stored as whole rows; a
/// round of repeats alone raises its checks' versions (0031) and no other's.
async fn on_mostly_repeats_history_pages_seeks_and_versions_answer_as_for_whole_rows(
    store: &Store,
) {
    on_mostly_repeats_history_pages_seeks_and_versions_answer_as_for_whole_rows_in(store, false)
        .await;
}

async fn on_mostly_repeats_history_pages_seeks_and_versions_answer_as_for_whole_rows_in(
    store: &Store,
    fetches: bool,
) {
    loaded(store).await;
    let other = another_like(store).await;
    let whole = other.store.clone().with_repeats_whole();
    loaded(&whole).await;
    let (catalog_rows, _) = store.stored_forms().await.unwrap();
    let checks = ["link.wechat.taobao", "link.wechat.jd"];
    let vantages = ["cn-test", "cn-test-2"];
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    // An hour apart; fractions of a second as RFC 3339 shows them with 0, 3, 6 and 9 digits.
    let slot = |round: i64| {
        t0 + Duration::hours(round)
            + match round % 4 {
                0 => Duration::zero(),
                1 => Duration::milliseconds(500),
                2 => Duration::microseconds(123_456),
                _ => Duration::nanoseconds(123_456_789),
            }
    };
    let verdict =
        |check: &str, vantage: &str, at: DateTime<Utc>, status: &str, failure: Option<&str>| {
            let mut new = pack_obs(check, at, status, failure);
            new.vantage = vantage.to_string();
            of_fetch(new, fetches.then(|| format!("{vantage} {at}")))
        };
    let rounds = 300;
    let mut ids = Vec::new();
    let write = |batch: Vec<NewObservation>| {
        let whole = whole.clone();
        async move {
            let a = store.insert_probe_results(&[], &batch).await.unwrap();
            let b = whole.insert_probe_results(&[], &batch).await.unwrap();
            assert_eq!(a, b, "the same ids");
            a
        }
    };
    for round in 0..rounds {
        let mut batch = Vec::new();
        for check in checks {
            for vantage in vantages {
                let failed = check == checks[1] && round == 120 && vantage == vantages[0];
                let status = if failed {
                    "unknown"
                } else if (check == checks[0] && round >= 100)
                    || (check == checks[1] && round == 200)
                {
                    "blocked"
                } else {
                    "open"
                };
                batch.push(verdict(
                    check,
                    vantage,
                    slot(round),
                    status,
                    failed.then_some("timeout"),
                ));
            }
        }
        ids.extend(write(batch).await);
    }
    let (rows, repeats) = store.stored_forms().await.unwrap();
    assert!(
        repeats > 10 * (rows - catalog_rows),
        "mostly repeats: {repeats} repeats, {} rows",
        rows - catalog_rows
    );
    // A round of repeats alone raises its checks' versions, and no other check's.
    let before = store.current_versions().await.unwrap();
    ids.extend(
        write(vec![verdict(
            checks[1],
            vantages[1],
            slot(rounds),
            "open",
            None,
        )])
        .await,
    );
    let after = store.current_versions().await.unwrap();
    assert_eq!(
        store.stored_forms().await.unwrap(),
        (rows, repeats + 1),
        "written as a repeat"
    );
    let version = |v: &hutong::storage::CurrentVersions, c: &str| {
        v.checks.get(c).copied().unwrap_or_default()
    };
    assert!(
        version(&after, checks[1]) > version(&before, checks[1]),
        "a repeat raises its check's version"
    );
    assert_eq!(version(&after, checks[0]), version(&before, checks[0]));
    assert_eq!(
        after.newest_observation,
        Some(slot(rounds)),
        "the newest observation is the repeat"
    );
    let shown = |records: Vec<hutong::domain::ObservationRecord>| {
        records
            .into_iter()
            .map(|mut o| {
                o.recorded_at = t0;
                o.retracted_at = o.retracted_at.map(|_| t0);
                serde_json::to_value(o).unwrap()
            })
            .collect::<Vec<_>>()
    };
    let compare = |label: &'static str, ids: Vec<i64>| {
        let whole = whole.clone();
        async move {
            assert_eq!(
                store.current_versions().await.unwrap().newest_observation,
                whole.current_versions().await.unwrap().newest_observation,
                "{label}: the newest observation"
            );
            for check in checks {
                for (limit, offset) in [
                    (50, 0),
                    (50, 1),
                    (7, 95),
                    (50, 190),
                    (50, 550),
                    (50, 1000),
                    (1000, 0),
                ] {
                    let (a, n) = store.check_history(check, limit, offset).await.unwrap();
                    let (b, m) = whole.check_history(check, limit, offset).await.unwrap();
                    assert_eq!(
                        (shown(a), n),
                        (shown(b), m),
                        "{label}: history of {check} at {offset}"
                    );
                }
                let every = whole.observations(check).await.unwrap();
                for round in [
                    0, 1, 2, 3, 99, 100, 101, 119, 121, 150, 199, 200, 201, 202, 299, 300,
                ] {
                    let at = slot(round);
                    for to in [
                        at,
                        at - Duration::nanoseconds(1),
                        at + Duration::minutes(30),
                    ] {
                        for from in [to - Duration::hours(10), to - Duration::hours(50)] {
                            windows_count(&[store, &whole], &every, check, (from, to), label).await;
                        }
                    }
                }
            }
            for round in [
                -1, 0, 1, 2, 3, 50, 99, 100, 101, 120, 121, 199, 200, 201, 202, 250, 299, 300, 400,
            ] {
                let at = slot(round);
                for t in [
                    at,
                    at - Duration::nanoseconds(1),
                    at - Duration::microseconds(1),
                    at + Duration::minutes(30),
                ] {
                    let filter = StateFilter {
                        include_simulated: true,
                        ..StateFilter::default()
                    };
                    let kept = shown(store.state_as_of(t, &filter).await.unwrap());
                    assert_eq!(
                        kept,
                        shown(
                            store
                                .state_as_of_from_observations(t, &filter)
                                .await
                                .unwrap()
                        ),
                        "{label}: kept state at {t} against its observations"
                    );
                    assert_eq!(
                        kept,
                        shown(whole.state_as_of(t, &filter).await.unwrap()),
                        "{label}: state at {t}"
                    );
                    assert_eq!(
                        store.latest_observation_at(t).await.unwrap(),
                        whole.latest_observation_at(t).await.unwrap(),
                        "{label}: latest observation at or before {t}"
                    );
                }
            }
            for &id in ids.iter().step_by(7).chain(ids.last()) {
                assert_eq!(
                    shown(store.observation(id).await.unwrap().into_iter().collect()),
                    shown(whole.observation(id).await.unwrap().into_iter().collect()),
                    "{label}: observation {id}"
                );
            }
        }
    };
    compare("as written", ids.clone()).await;
    // Late reports among a base's repeats: a verdict that repeats (written whole, being
    // late) and one that differs; the repeats after them are written out whole.
    let late = vec![
        verdict(
            checks[0],
            vantages[0],
            slot(150) + Duration::minutes(30),
            "blocked",
            None,
        ),
        verdict(
            checks[1],
            vantages[1],
            slot(250) + Duration::minutes(30),
            "blocked",
            None,
        ),
    ];
    ids.extend(write(late).await);
    let (rows_late, repeats_late) = store.stored_forms().await.unwrap();
    assert!(
        repeats_late < repeats,
        "the repeats after a late report are whole rows now"
    );
    assert!(rows_late > rows + 2);
    compare("after late reports", ids.clone()).await;
}

/// SQLite: a probe batch takes the pairs earlier batches left known (every verdict a
/// repeat, no transition) instead of reading them, while nothing else has written since
/// (`data_version`); once anything has (here another writer's verdict of one of the pairs,
/// through a store that keeps nothing), it reads them itself. Either way the store keeps
/// exactly what batches always reading their pairs keep, row for row and transition for
/// transition, whether the pack asks for two agreeing verdicts or three.
#[tokio::test]
async fn batches_taking_the_pairs_earlier_batches_left_keep_what_reading_them_keeps() {
    let kept_db = common::sqlite().await;
    let plain_db = common::sqlite().await;
    let kept = &kept_db.store;
    let plain = &plain_db.store.clone().without_kept_pairs();
    loaded(kept).await;
    loaded(plain).await;
    // Another writer of each database, keeping nothing of its own.
    let others = [
        kept.clone().without_kept_pairs(),
        plain.clone().without_kept_pairs(),
    ];
    let checks = ["link.wechat.taobao", "link.wechat.douyin", "link.wechat.jd"];
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
    let mut next = pseudo_random(0x2545_f491_4f6c_dd1d);
    let mut status = ["open"; 3];
    let (mut after_other, mut taken_rounds) = (0, 0);
    for round in 0..80i64 {
        let at = t0 + Duration::hours(round);
        // The pack's rule asks for two agreeing verdicts, then for ten rounds three.
        let confirmations = if (round / 10) % 2 == 0 { 2 } else { 3 };
        // Statuses mostly repeat; now and then one changes.
        let mut run: Vec<NewObservation> = (0..3)
            .map(|c| {
                if next(6) == 0 {
                    status[c] = ["open", "blocked", "warned"][next(3) as usize];
                }
                let mut new = pack_obs(checks[c], at + Duration::minutes(30), status[c], None);
                if let Some(p) = new.probe.as_mut() {
                    p.confirmations = confirmations;
                }
                new
            })
            .collect();
        // A fourth batch writes the first pair again.
        let mut again = pack_obs(checks[0], at + Duration::minutes(50), status[0], None);
        if let Some(p) = again.probe.as_mut() {
            p.confirmations = confirmations;
        }
        run.push(again);
        // Another writer's verdict of the first pair before batch `other_at` (4: none).
        let other_at = next(8).min(4) as usize;
        let other = pack_obs(
            checks[0],
            at + Duration::minutes(10),
            ["open", "blocked"][next(2) as usize],
            None,
        );
        let round_before = kept.kept_pairs_taken();
        for (b, new) in run.iter().enumerate() {
            if b == other_at {
                for store in &others {
                    store
                        .insert_probe_results(&[], std::slice::from_ref(&other))
                        .await
                        .unwrap();
                }
            }
            let before = kept.kept_pairs_taken();
            let rows = hutong::storage::ProbeRow::all(vec![new.clone()]);
            kept.insert_probe_rows(&[], &rows).await.unwrap();
            plain.insert_probe_rows(&[], &rows).await.unwrap();
            if b == other_at {
                // Something else wrote since the last batch: nothing is taken.
                assert_eq!(
                    kept.kept_pairs_taken(),
                    before,
                    "round {round}, batch {b}: taken after another writer wrote"
                );
                after_other += 1;
            }
        }
        if kept.kept_pairs_taken() > round_before {
            taken_rounds += 1;
        }
    }
    assert_eq!(plain.kept_pairs_taken(), 0);
    assert!(
        taken_rounds > 30 && after_other > 20,
        "pairs taken in {taken_rounds} rounds; {after_other} batches after another writer"
    );
    assert_eq!(
        kept.stored_forms().await.unwrap(),
        plain.stored_forms().await.unwrap(),
        "rows and repeats"
    );
    for check in checks {
        let seen = |obs: Vec<hutong::domain::ObservationRecord>| -> Vec<_> {
            obs.into_iter()
                .map(|o| (o.id, o.source_key, o.observed_at, o.status, o.failure))
                .collect()
        };
        assert_eq!(
            seen(kept.observations(check).await.unwrap()),
            seen(plain.observations(check).await.unwrap()),
            "observations of {check}"
        );
        let changes = |ts: Vec<hutong::domain::TransitionRecord>| -> Vec<_> {
            ts.into_iter()
                .map(|t| (t.source_key, t.occurred_at, t.from_status, t.to_status))
                .collect()
        };
        let made = changes(kept.transitions(check).await.unwrap());
        assert!(made.len() > 2, "{check} changed");
        assert_eq!(
            made,
            changes(plain.transitions(check).await.unwrap()),
            "transitions of {check}"
        );
        let filter = StateFilter {
            check: Some(check.into()),
            ..StateFilter::default()
        };
        let state = |got: Vec<hutong::domain::ObservationRecord>| -> Vec<_> {
            got.into_iter()
                .map(|o| (o.id, o.source_key, o.observed_at, o.status))
                .collect()
        };
        let now = Utc::now();
        assert_eq!(
            state(kept.state_as_of(now, &filter).await.unwrap()),
            state(plain.state_as_of(now, &filter).await.unwrap()),
            "current state of {check}"
        );
    }
}

/// The store's PostgreSQL connections compile no statement (`jit` off, which a server built
/// with LLVM has on by default: the probes' first batches on a new database were compiled,
/// tens of milliseconds each), unless the URL's own `options` choose.
#[tokio::test]
async fn postgres_connections_compile_no_statement_unless_the_url_says() {
    let Some(db) = common::postgres().await else {
        return;
    };
    assert_eq!(
        db.store.postgres_setting("jit").await.unwrap().as_deref(),
        Some("off")
    );
    let chosen = hutong::storage::Store::connect(&format!("{}?options=-c%20jit%3Don", db.url), 1)
        .await
        .unwrap();
    assert_eq!(
        chosen.postgres_setting("jit").await.unwrap().as_deref(),
        Some("on")
    );
    chosen.close().await;
    db.drop_database().await;
}
