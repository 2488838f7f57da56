//! Retracting published observations and the public corrections log (issue 13): a
//! retraction is kept and shown, struck through with its reason, flagged in exports, and
//! counted nowhere; the log lists retractions and method changes newest first.

use crate::common::visitor::{PASSWORD, account, csrf_in};
use crate::common::{TestApp, TestDb, Visitor, observation, sel};
use chrono::{TimeZone, Utc};
use hutong::domain::{MAX_REASON_CHARS, ObservationRecord, RetractOutcome, Role};
use hutong::storage::Store;

const CATALOG_CHECK: &str = "link.wechat.taobao";
const PROBED_CHECK: &str = "link.wechat.douyin";

async fn reviewer<'a>(app: &'a TestApp, login: &str, role: Role) -> Visitor<'a> {
    account(app.store(), login, role, &format!("Reviewer {login}")).await;
    let mut v = Visitor::new(app);
    assert_eq!(v.sign_in(login, PASSWORD).await.status, 303);
    v
}

/// Retracts `id` through the form, as a person in a browser: the form's page, then its
/// post with that page's token.
async fn retract_by_form(v: &mut Visitor<'_>, id: i64, reason: &str) -> crate::common::Reply {
    let form = v.get(&format!("/observations/{id}/retract")).await;
    assert_eq!(form.status, 200, "{}", form.body);
    let csrf = csrf_in(&form);
    v.post(
        &format!("/observations/{id}/retract"),
        &[("csrf", &csrf), ("reason", reason)],
    )
    .await
}

/// The catalog's "warned" observation of Taobao links in WeChat (cnBeta, 2021-10-17).
async fn catalog_warned(store: &Store) -> ObservationRecord {
    store
        .observations(CATALOG_CHECK)
        .await
        .expect("read")
        .into_iter()
        .find(|o| o.catalog_key.is_some() && o.status == "warned")
        .expect("the catalog says warned")
}

fn cell_status(matrix: &serde_json::Value, id: &str) -> String {
    matrix["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["id"] == id)
        .map(|c| {
            c["state"]["status"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default()
}

async fn changes_of(app: &TestApp, check: &str) -> (u64, Vec<String>) {
    let t = app
        .api_timeline(&format!("check={check}&entries=changes"))
        .await
        .json();
    let tos = t["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            format!(
                "{}→{}",
                e["from"].as_str().unwrap_or("-"),
                e["to"].as_str().unwrap_or("-")
            )
        })
        .collect();
    (t["changes"].as_u64().expect("changes"), tos)
}

/// The overview's "N observations of M checks".
async fn overview_observation_count(app: &TestApp) -> i64 {
    let body = app.overview("").await.body;
    let before = body
        .split(" observations of ")
        .next()
        .expect("the overview counts observations");
    let digits: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(|c| c.is_ascii_digit())
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no count before 'observations of'"))
}

async fn retracting_restores_what_the_rest_says(db: TestDb) {
    let app = TestApp::on(db.clone());
    let store = app.store().clone();
    let mut rev = reviewer(&app, "zhao", Role::Reviewer).await;

    // A catalog fact: Taobao links warned in WeChat on 2021-10-17 (token only before).
    let at = "at=2021-10-17";
    assert_eq!(
        cell_status(
            &app.api_matrix(&format!("kind=link&{at}")).await.json(),
            CATALOG_CHECK
        ),
        "warned"
    );
    let warned = catalog_warned(&store).await;
    let counted_before = overview_observation_count(&app).await;
    let reply = retract_by_form(&mut rev, warned.id, "The article tested a different link.").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    // The overview's "N observations of M checks" no longer counts it.
    assert_eq!(overview_observation_count(&app).await, counted_before - 1);
    assert_eq!(
        reply.header("location"),
        format!("/observations/{}?lang=en", warned.id)
    );
    let check = app.api_check(CATALOG_CHECK, at).await.json();
    assert_eq!(check["state"]["status"], "token_only", "{check}");
    assert_eq!(
        cell_status(
            &app.api_matrix(&format!("kind=link&{at}")).await.json(),
            CATALOG_CHECK
        ),
        "token_only"
    );

    // Reloading the catalog keeps it retracted (matched by its catalog key).
    store
        .apply_catalog(&crate::common::real_catalog())
        .await
        .expect("reload the catalog");
    assert!(catalog_warned(&store).await.retracted_at.is_some());
    assert_eq!(
        app.api_check(CATALOG_CHECK, at).await.json()["state"]["status"],
        "token_only"
    );

    // A probe's verdicts: open, blocked, open. Retracting "blocked" leaves no change at
    // all: neither open→blocked nor a phantom blocked→open.
    let day = |d: u32| Utc.with_ymd_and_hms(2026, 11, d, 4, 0, 0).unwrap();
    let mut ids = Vec::new();
    for (d, status) in [(1, "open"), (2, "blocked"), (3, "open")] {
        ids.push(
            store
                .insert_observation(&observation(PROBED_CHECK, day(d), status).probed().build())
                .await
                .expect("store"),
        );
    }
    let (before, _) = changes_of(&app, PROBED_CHECK).await;
    let on_the_2nd = "at=2026-11-02";
    assert_eq!(
        cell_status(
            &app.api_matrix(&format!("kind=link&{on_the_2nd}"))
                .await
                .json(),
            PROBED_CHECK
        ),
        "blocked"
    );
    let reply = retract_by_form(&mut rev, ids[1], "The probe ran behind a captive portal.").await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let (after, entries) = changes_of(&app, PROBED_CHECK).await;
    assert_eq!(after, before - 2, "{entries:?}");
    assert!(
        entries.iter().all(|e| !e.contains("blocked")),
        "{entries:?}"
    );
    assert_eq!(
        cell_status(
            &app.api_matrix(&format!("kind=link&{on_the_2nd}"))
                .await
                .json(),
            PROBED_CHECK
        ),
        "open"
    );
    assert_eq!(
        app.api_check(PROBED_CHECK, on_the_2nd).await.json()["state"]["status"],
        "open"
    );
    // The transitions are what the remaining observations say.
    let transitions = store.transitions(PROBED_CHECK).await.expect("read");
    assert!(transitions.iter().all(|t| t.observation_id != ids[1]));
    assert!(transitions.iter().all(|t| t.observation_id != ids[2]));

    // Shown struck through with the reason, on its page, the check's history and the
    // source's page; never as current.
    let page = app.observation_page(warned.id, "").await;
    assert_eq!(page.status, 200);
    assert!(
        page.html().select(&sel("del.retracted")).next().is_some(),
        "{}",
        page.body
    );
    assert!(page.body.contains("Retracted on"), "{}", page.body);
    assert!(page.body.contains("The article tested a different link."));
    let history = app.check_page(CATALOG_CHECK, "").await;
    let row = history
        .html()
        .select(&sel("table.history tr.retracted"))
        .map(|r| r.text().collect::<String>())
        .next()
        .expect("a retracted row");
    assert!(
        row.contains("Retracted on") && row.contains("different link"),
        "{row}"
    );
    let source = app.source_page("cnbeta-2021-10-17", "").await;
    assert!(
        source
            .html()
            .select(&sel("tr.retracted del.retracted"))
            .next()
            .is_some()
    );
    let zh = app.observation_page(warned.id, "lang=zh-CN").await;
    assert!(zh.body.contains("撤回"), "{}", zh.body);

    // Twice: refused, nothing changed.
    let version = store.data_version().await.expect("version");
    let audit = store.audit_log(1000).await.expect("audit").len();
    let csrf = rev.csrf_of("/account").await;
    let again = rev
        .post(
            &format!("/observations/{}/retract", warned.id),
            &[("csrf", &csrf), ("reason", "Once more.")],
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(
        again.body.contains("was already retracted"),
        "{}",
        again.body
    );
    assert_eq!(store.data_version().await.expect("version"), version);
    assert_eq!(store.audit_log(1000).await.expect("audit").len(), audit);
    assert_eq!(
        catalog_warned(&store).await.retraction_reason.as_deref(),
        Some("The article tested a different link.")
    );
    // The audit line names the reviewer, the observation and the reason.
    let line = store
        .audit_log(10)
        .await
        .expect("audit")
        .into_iter()
        .find(|a| a.action == "observation.retract")
        .expect("an audit line");
    assert_eq!(line.actor, "zhao");
    assert_eq!(line.subject, Some(format!("observation {}", ids[1])));
}

#[tokio::test]
async fn retracting_restores_what_the_rest_says_on_sqlite() {
    retracting_restores_what_the_rest_says(
        crate::common::sqlite_with_catalog(&crate::common::real_catalog()).await,
    )
    .await;
}

#[tokio::test]
async fn retracting_restores_what_the_rest_says_on_postgres() {
    let Some(db) = crate::common::postgres().await else {
        return;
    };
    db.store
        .apply_catalog(&crate::common::real_catalog())
        .await
        .expect("load the catalog");
    retracting_restores_what_the_rest_says(db).await;
}

/// Retracts the catalog's "warned" fact directly in storage, as reviewer `zhao`.
async fn retract_in_store(store: &Store, reason: &str) -> ObservationRecord {
    account(store, "zhao", Role::Reviewer, "Zhao Reviewer").await;
    let zhao = store.account_by_login("zhao").await.unwrap().unwrap();
    let warned = catalog_warned(store).await;
    let audit = hutong::accounts::Actor::account(&zhao, Some("127.0.0.1".into())).entry(
        "observation.retract",
        Some(format!("observation {}", warned.id)),
        Some(reason.into()),
    );
    let outcome = store
        .retract_observation(warned.id, reason, &audit)
        .await
        .expect("retract");
    assert_eq!(
        outcome,
        RetractOutcome::Retracted {
            check_id: CATALOG_CHECK.into()
        }
    );
    warned
}

#[tokio::test]
async fn exports_keep_a_retracted_observation_with_its_flag() {
    let app = TestApp::new().await;
    let store = app.store().clone();
    let first = app.dataset().await;
    let etag = first.header("etag").to_string();
    let warned = retract_in_store(&store, "Wrong link tested.").await;

    // The check's CSV and JSON.
    let csv = app.check_csv(CATALOG_CHECK, "").await;
    let mut reader = csv::Reader::from_reader(csv.body.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let row = rows
        .iter()
        .find(|r| r[col("observation_id")] == warned.id.to_string())
        .expect("the retracted row is kept");
    assert_eq!(&row[col("retracted")], "yes");
    assert_eq!(&row[col("retraction_reason")], "Wrong link tested.");
    assert!(!row[col("retracted_at")].is_empty());
    assert!(
        rows.iter()
            .filter(|r| r[col("observation_id")] != warned.id.to_string())
            .all(|r| &r[col("retracted")] == "no")
    );
    let json = app.check_json(CATALOG_CHECK, "").await.json();
    let kept = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["observation_id"] == warned.id)
        .expect("kept in JSON");
    assert_eq!(kept["retracted"], true);
    assert_eq!(kept["retraction_reason"], "Wrong link tested.");

    // The observations API.
    let api = app.api_observations(CATALOG_CHECK).await.json();
    let kept = api["observations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == warned.id)
        .expect("kept in the API");
    assert_eq!(kept["retracted"], true);
    assert!(kept["retracted_at"].is_string());

    // The dataset: new bytes, a new ETag, the row flagged, its meaning in the metadata.
    let after = app.dataset().await;
    assert_ne!(after.bytes, first.bytes);
    assert_ne!(after.header("etag"), etag);
    let stale = app.dataset().header("if-none-match", &etag).await;
    assert_eq!(stale.status, 200);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(after.bytes.to_vec())).unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("observations.csv").unwrap(), &mut text)
        .unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let flagged = reader
        .records()
        .map(Result::unwrap)
        .find(|r| {
            r[headers.iter().position(|h| h == "observation_id").unwrap()] == warned.id.to_string()
        })
        .expect("in the dataset");
    assert_eq!(
        &flagged[headers.iter().position(|h| h == "retracted").unwrap()],
        "yes"
    );
    let mut metadata = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("metadata.json").unwrap(), &mut metadata)
        .unwrap();
    let metadata: serde_json::Value = serde_json::from_str(&metadata).unwrap();
    assert!(
        metadata["retractions"]["en"]
            .as_str()
            .is_some_and(|t| t.contains("retracted")),
        "{metadata}"
    );
}

/// A pack that runs against the simulator: its figures are simulated.
fn simulated_pack() -> hutong::probes::PackSummary {
    hutong::probes::PackSummary {
        id: "demo-lab".into(),
        name_en: "Demo lab".into(),
        name_zh: "演示实验室".into(),
        kind: "link".into(),
        version: 2,
        verified: false,
        simulated: true,
        enabled: true,
        scheduled: true,
        schedule: "0 */5 * * * *".into(),
        confirmations: 1,
        checks: Vec::new(),
        file: "probes/demo-lab.toml".into(),
    }
}

async fn the_log_lists_retractions_and_method_changes_newest_first(db: TestDb) {
    let app = TestApp::builder(db).packs(vec![simulated_pack()]).build();
    let store = app.store().clone();
    store
        .record_method_change("wechat-link", Some(1), 2, 40, 3)
        .await
        .expect("method change");
    // The simulator's pack changing method is simulated data: never in the log.
    store
        .record_method_change("demo-lab", Some(1), 2, 9, 9)
        .await
        .expect("method change");
    let warned = retract_in_store(&store, "Wrong link tested.").await;
    store
        .record_method_change("qq-link", None, 1, 12, 0)
        .await
        .expect("method change");

    let json = app.api_corrections("").await.json();
    assert_eq!(json["total"], 3, "{json}");
    let entries = json["entries"].as_array().unwrap();
    let kinds: Vec<_> = entries
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["method_change", "retraction", "method_change"]);
    assert_eq!(entries[0]["pack"], "qq-link");
    assert_eq!(entries[2]["pack"], "wechat-link");
    assert_eq!(entries[2]["rederived"], 40);
    let r = &entries[1];
    assert_eq!(r["observation_id"], warned.id);
    assert_eq!(r["check"], CATALOG_CHECK);
    assert_eq!(r["status"], "warned");
    assert_eq!(r["reason"], "Wrong link tested.");
    assert_eq!(r["reviewer"], "Zhao Reviewer");
    assert!(!json.to_string().contains("demo-lab"), "{json}");
    // The reviewer's login and email are never shown.
    let text = json.to_string();
    assert!(!text.contains("zhao@example.org") && !text.contains("\"zhao\""));

    // The page, in both languages, in the same order.
    for (q, retraction_word) in [("", "Retraction"), ("lang=zh-CN", "撤回")] {
        let page = app.corrections(q).await;
        assert_eq!(page.status, 200);
        let cookies = page.header_values("set-cookie");
        assert!(
            cookies.iter().all(|c| !c.contains("hutong_session")),
            "{cookies:?}"
        );
        let items: Vec<String> = page
            .html()
            .select(&sel("ol.corrections > li"))
            .map(|li| li.text().collect::<String>())
            .collect();
        assert_eq!(items.len(), 3, "{}", page.body);
        assert!(items[0].contains("qq-link"), "{items:?}");
        assert!(items[1].contains(retraction_word) && items[1].contains("Wrong link tested."));
        assert!(items[2].contains("wechat-link"));
        assert!(!page.body.contains("zhao@example.org"));
    }

    // The feed: valid Atom, newest first, ids that do not change.
    let feed = app.corrections_atom("").await;
    assert_eq!(feed.content_type, "application/atom+xml; charset=utf-8");
    let parsed: atom_syndication::Feed = feed.body.parse().expect("valid Atom");
    let ids: Vec<&str> = parsed.entries().iter().map(|e| e.id()).collect();
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert!(ids[0].contains(":method-change/"), "{ids:?}");
    assert!(
        ids[1].ends_with(&format!(":retraction/{}", warned.id)),
        "{ids:?}"
    );
    let again: atom_syndication::Feed = app.corrections_atom("").await.body.parse().unwrap();
    let ids_again: Vec<&str> = again.entries().iter().map(|e| e.id()).collect();
    assert_eq!(ids, ids_again);

    // Paged: the JSON's page 2 is empty, the page past the end is a 404.
    assert_eq!(app.corrections("page=2").await.status, 404);
}

#[tokio::test]
async fn the_log_lists_retractions_and_method_changes_newest_first_on_sqlite() {
    the_log_lists_retractions_and_method_changes_newest_first(
        crate::common::sqlite_with_catalog(&crate::common::real_catalog()).await,
    )
    .await;
}

#[tokio::test]
async fn the_log_lists_retractions_and_method_changes_newest_first_on_postgres() {
    let Some(db) = crate::common::postgres().await else {
        return;
    };
    db.store
        .apply_catalog(&crate::common::real_catalog())
        .await
        .expect("load the catalog");
    the_log_lists_retractions_and_method_changes_newest_first(db).await;
}

#[tokio::test]
async fn only_reviewers_retract_and_every_post_needs_its_token() {
    let app = TestApp::new().await;
    let store = app.store().clone();
    let warned = catalog_warned(&store).await;
    let path = format!("/observations/{}/retract", warned.id);

    // Nobody signed in: to the sign-in page.
    let anonymous = app.retract_page(warned.id).await;
    assert_eq!(anonymous.status, 303);
    assert!(
        anonymous.header("location").starts_with("/sign-in"),
        "{:?}",
        anonymous.headers
    );

    // A contributor: 403 on the page and on a post carrying a valid token.
    let mut li = reviewer(&app, "li", Role::Contributor).await;
    assert_eq!(li.get(&path).await.status, 403);
    let csrf = li.csrf_of("/account").await;
    let post = li
        .post(&path, &[("csrf", &csrf), ("reason", "I disagree.")])
        .await;
    assert_eq!(post.status, 403, "{}", post.body);
    assert!(catalog_warned(&store).await.retracted_at.is_none());

    // A reviewer without the token, or with a wrong one: refused, nothing done.
    let mut zhao = reviewer(&app, "zhao", Role::Reviewer).await;
    let version = store.data_version().await.unwrap();
    for fields in [
        vec![("reason", "No token.")],
        vec![("csrf", "0000"), ("reason", "A wrong token.")],
    ] {
        let refused = zhao.post(&path, &fields).await;
        assert_eq!(refused.status, 403, "{fields:?}: {}", refused.body);
    }
    assert!(catalog_warned(&store).await.retracted_at.is_none());
    assert_eq!(store.data_version().await.unwrap(), version);

    // No reason: the form again, saying so, nothing done.
    let form = zhao.get(&path).await;
    let empty = zhao
        .post(&path, &[("csrf", &csrf_in(&form)), ("reason", "   ")])
        .await;
    assert_eq!(empty.status, 400);
    assert!(empty.body.contains("needs a reason"), "{}", empty.body);
    assert!(catalog_warned(&store).await.retracted_at.is_none());

    // The public observation page offers nothing to the public and sets no cookie.
    let public = app.observation_page(warned.id, "").await;
    assert!(!public.body.contains("/retract"), "{}", public.body);
    assert!(public.header_values("set-cookie").is_empty());
}

#[tokio::test]
async fn script_in_a_reason_is_shown_as_text_everywhere() {
    let app = TestApp::new().await;
    let store = app.store().clone();
    let reason = "<script>alert('x')</script><img src=x onerror=alert(1)>";
    let warned = retract_in_store(&store, reason).await;
    for page in [
        app.observation_page(warned.id, "").await,
        app.check_page(CATALOG_CHECK, "").await,
        app.source_page("cnbeta-2021-10-17", "").await,
        app.corrections("").await,
        app.corrections("lang=zh-CN").await,
    ] {
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("<script>alert"), "{}", page.body);
        assert!(!page.body.contains("<img src=x"), "{}", page.body);
        assert!(page.body.contains("&lt;script&gt;alert"), "{}", page.body);
    }
    let feed = app.corrections_atom("").await;
    assert!(!feed.body.contains("<script>"), "{}", feed.body);
    let parsed: atom_syndication::Feed = feed.body.parse().expect("valid Atom");
    let content = parsed.entries()[0]
        .content()
        .and_then(|c| c.value())
        .unwrap_or_default()
        .to_string();
    assert!(content.contains(reason), "{content}");
    assert_eq!(
        app.api_corrections("").await.json()["entries"][0]["reason"],
        reason
    );
}

/// A refused reason comes back in the form's text box as text: a `</textarea>` in it does
/// not end the box and turn the rest into markup.
#[tokio::test]
async fn a_refused_reason_comes_back_in_its_box_as_text() {
    let app = TestApp::new().await;
    let warned = catalog_warned(app.store()).await;
    let mut zhao = reviewer(&app, "zhao", Role::Reviewer).await;
    let too_long = format!(
        "</textarea><h1 id=injected>forged</h1>{}",
        "x".repeat(MAX_REASON_CHARS)
    );
    let refused = retract_by_form(&mut zhao, warned.id, &too_long).await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    let page = scraper::Html::parse_document(&refused.body);
    assert!(
        page.select(&sel("#injected")).next().is_none(),
        "{}",
        refused.body
    );
    let kept: String = page
        .select(&sel("textarea#reason"))
        .next()
        .expect("the reason's box")
        .text()
        .collect();
    assert!(kept.starts_with("</textarea><h1 id=injected>"), "{kept}");
    assert!(catalog_warned(app.store()).await.retracted_at.is_none());
}

#[tokio::test]
async fn the_command_line_retracts_as_a_reviewer_only() {
    let db = crate::common::sqlite_with_catalog(&crate::common::real_catalog()).await;
    let store = db.store.clone();
    account(&store, "li", Role::Contributor, "Li").await;
    account(&store, "zhao", Role::Reviewer, "Zhao").await;
    let config = hutong::config::Config {
        database_url: db.url.clone(),
        ..hutong::config::Config::default()
    };
    let warned = catalog_warned(&store).await;
    let refused = hutong::cli::observe_retract(&config, warned.id, "Wrong.", "li")
        .await
        .expect_err("a contributor cannot");
    assert!(
        refused.to_string().contains("only reviewers and admins"),
        "{refused}"
    );
    let empty = hutong::cli::observe_retract(&config, warned.id, " ", "zhao")
        .await
        .expect_err("a reason is needed");
    assert!(empty.to_string().contains("needs a reason"), "{empty}");
    assert!(catalog_warned(&store).await.retracted_at.is_none());
    let done = hutong::cli::observe_retract(&config, warned.id, "Wrong link tested.", "zhao")
        .await
        .expect("retracted");
    assert!(done.contains("retracted"), "{done}");
    let twice = hutong::cli::observe_retract(&config, warned.id, "Again.", "zhao")
        .await
        .expect_err("twice");
    assert!(twice.to_string().contains("already retracted"), "{twice}");
    let line = store
        .audit_log(10)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.action == "observation.retract")
        .expect("an audit line");
    assert_eq!(line.actor, "zhao");
    assert_eq!(line.address.as_deref(), Some("command line"));
}

/// The review queue has a box to reach any observation's retraction form by its number or
/// its address, for reviewers only; anything else typed there is sent back, named.
#[tokio::test]
async fn a_reviewer_reaches_the_retraction_form_from_the_queue_by_number_or_address() {
    let app = TestApp::new().await;
    let warned = catalog_warned(app.store()).await;
    let mut zhao = reviewer(&app, "zhao", Role::Reviewer).await;
    let queue = zhao.get("/review?lang=zh-CN").await;
    let form = queue
        .html()
        .select(&sel(
            "form[action='/review/retract'] input[name=observation]",
        ))
        .count();
    assert_eq!(form, 1, "{}", queue.body);
    for typed in [
        warned.id.to_string(),
        format!("https://hutong.example/observations/{}?lang=en", warned.id),
    ] {
        let query = serde_urlencoded::to_string([("lang", "zh-CN"), ("observation", &typed)])
            .expect("a query");
        let go = zhao.get(&format!("/review/retract?{query}")).await;
        assert_eq!(go.status, 303, "{typed}: {}", go.body);
        let to = go.header("location").to_string();
        assert_eq!(
            to,
            format!("/observations/{}/retract?lang=zh-CN", warned.id)
        );
        let page = zhao.get(&to).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.html()
                .select(&sel("form textarea[name=reason]"))
                .next()
                .is_some()
        );
    }
    let wrong = zhao
        .get("/review/retract?lang=en&observation=%3Cb%3Elink.wechat%3C%2Fb%3E")
        .await;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body.contains("&lt;b&gt;link.wechat&lt;/b&gt;")
            && wrong.body.contains("is not an observation"),
        "{}",
        wrong.body
    );
    assert!(
        !wrong.body.contains("<b>link"),
        "typed text is never markup"
    );
    // The queue again, the box holding what was typed.
    let typed_again = wrong
        .html()
        .select(&sel("form.find-retraction input[name=observation]"))
        .next()
        .and_then(|i| i.value().attr("value").map(str::to_string));
    assert_eq!(typed_again.as_deref(), Some("<b>link.wechat</b>"));
    // Only reviewers.
    let mut li = reviewer(&app, "li", Role::Contributor).await;
    assert_eq!(li.get("/review/retract?observation=1").await.status, 403);
    let anonymous = app.get("/review/retract?observation=1").await;
    assert_eq!(anonymous.status, 303);
    assert!(anonymous.header("location").starts_with("/sign-in"));
}
