//! Timeline exports through the real router: CSV ready for Excel (BOM, CRLF, RFC 4180
//! quoting, formula cells neutralised, Chinese intact), JSON and NDJSON with the same rows,
//! the Atom feed, the page's export links, 400s, and a streamed export of thousands of rows.

use crate::common::{self, Reply, TestApp, observation, real_catalog, sqlite};
use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use hutong::domain::SourceKind;
use hutong::domain::{Milestone, Source};
use hutong::web::exports::COLUMNS;
use std::collections::HashMap;

const BOM: &str = "\u{FEFF}";

/// The CSV as records keyed by column, after checking the BOM and the header.
fn csv_rows(reply: &Reply) -> Vec<HashMap<String, String>> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body.starts_with(BOM), "the CSV starts with a BOM");
    let mut reader = csv::Reader::from_reader(&reply.body.as_bytes()[BOM.len()..]);
    let headers: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(headers, COLUMNS);
    reader
        .records()
        .map(|r| {
            let r = r.expect("a well-formed CSV record");
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn key(row: &HashMap<String, String>) -> (String, String, String, String) {
    (
        row["entry"].clone(),
        row["when_utc"].clone(),
        row["check_id"].clone(),
        row["to_status"].clone(),
    )
}

#[tokio::test]
async fn csv_of_wechat_link_changes_is_ready_for_excel() {
    let app = TestApp::new().await;
    let reply = app
        .timeline_csv("at=2021-12-31&platform=wechat&kind=link")
        .await;
    assert!(
        reply.content_type.starts_with("text/csv"),
        "{}",
        reply.content_type
    );
    assert_eq!(
        reply.headers["content-disposition"],
        "attachment; filename=\"hutong-timeline-platform-wechat_kind-link-2021-12-31.csv\""
    );
    // Every line ends with CRLF.
    assert!(reply.body.ends_with("\r\n"));
    assert_eq!(
        reply.body.matches('\n').count(),
        reply.body.matches("\r\n").count()
    );
    let rows = csv_rows(&reply);
    assert!(rows.len() >= 5, "{}", rows.len());
    for row in &rows {
        assert!(
            row["subject"] == "wechat" || row["object"] == "wechat" || row["entry"] == "milestone",
            "{row:?}"
        );
        assert_eq!(row["simulated"], "no");
        assert!(row["when"].ends_with("+08:00"), "{}", row["when"]);
        assert!(row["when_utc"].ends_with('Z'), "{}", row["when_utc"]);
        // Every row leads to its evidence, and cited rows name their source.
        assert!(
            row["evidence_url"].starts_with("http://127.0.0.1:8080/observations/")
                || row["evidence_url"].starts_with("http://127.0.0.1:8080/sources/"),
            "{row:?}"
        );
        if row["source_kind"] == "article" {
            assert!(!row["citation"].is_empty(), "{row:?}");
        }
    }
    // Oldest first.
    let times: Vec<&str> = rows.iter().map(|r| r["when_utc"].as_str()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted);
    // The story the articles tell: WeChat × Taobao went to "opens after a warning".
    let taobao = rows
        .iter()
        .find(|r| r["check_id"] == "link.wechat.taobao" && r["to_status"] == "warned")
        .expect("WeChat × Taobao warned");
    assert_eq!(taobao["subject_zh"], "微信");
    assert_eq!(taobao["subject_en"], "WeChat");
    assert_eq!(taobao["object_zh"], "淘宝");
    assert!(taobao["citation"].contains("财联社") || !taobao["citation"].is_empty());
    assert!(taobao["check_url"].starts_with("http://127.0.0.1:8080/checks/link.wechat.taobao?at="));

    // The same entries as the timeline's API (all pages) for the same filters.
    let api = app
        .api_timeline("at=2021-12-31&platform=wechat&kind=link")
        .await
        .json();
    assert_eq!(api["total"].as_u64(), Some(rows.len() as u64));
}

#[tokio::test]
async fn labels_follow_the_language_and_ids_do_not() {
    let app = TestApp::new().await;
    let en = csv_rows(
        &app.timeline_csv("at=2021-12-31&platform=taobao&kind=link&lang=en")
            .await,
    );
    let zh = csv_rows(
        &app.timeline_csv("at=2021-12-31&platform=taobao&kind=link&lang=zh-CN")
            .await,
    );
    assert_eq!(en.len(), zh.len());
    let pick = |rows: &[HashMap<String, String>]| {
        rows.iter()
            .find(|r| r["check_id"] == "link.wechat.taobao" && r["to_status"] == "warned")
            .cloned()
            .expect("WeChat × Taobao warned")
    };
    let (en, zh) = (pick(&en), pick(&zh));
    assert_eq!(en["to_status"], zh["to_status"], "ids are language-neutral");
    assert_ne!(en["to_label"], zh["to_label"]);
    assert!(zh["title"].contains("微信 × 淘宝"), "{}", zh["title"]);
    assert!(en["title"].contains("WeChat × Taobao"), "{}", en["title"]);
    // Accept-Language chooses when the URL does not.
    let reply = app
        .timeline_csv("at=2021-12-31&platform=taobao&kind=link")
        .header("accept-language", "zh-CN,zh;q=0.9,en;q=0.5")
        .await;
    assert!(
        String::from_utf8(reply.bytes)
            .unwrap()
            .contains("微信 × 淘宝")
    );
}

/// A source whose words a spreadsheet would otherwise run as a formula or split into cells.
#[tokio::test]
async fn hostile_and_chinese_text_round_trips_and_formulas_are_neutralised() {
    let mut cat = real_catalog();
    let title = "=HYPERLINK(\"http://evil.example\",\"点我\"), \"引号\"\n第二行";
    cat.sources.push(Source {
        id: "hostile-2021".into(),
        kind: SourceKind::Article,
        publisher: "@公众号".into(),
        title: title.into(),
        title_en: None,
        date: None,
        language: "zh".into(),
        region: "CN".into(),
        url: Some("https://example.com/a?b=1,2".into()),
    });
    cat.milestones.push(Milestone {
        id: "hostile-milestone".into(),
        date: chrono::NaiveDate::from_ymd_opt(2021, 11, 1).unwrap(),
        approximate: false,
        title_zh: "-1+1 假消息".into(),
        title_en: "+1 <script>alert(1)</script>".into(),
        source: "hostile-2021".into(),
        kinds: vec!["link".into()],
        platforms: vec!["wechat".into()],
    });
    let app = TestApp::with_catalog(&cat).await;
    let at = Utc.with_ymd_and_hms(2021, 11, 2, 4, 0, 0).unwrap();
    let cited = observation("link.wechat.taobao", at, "blocked").cited("hostile-2021");
    app.store()
        .insert_observation(&cited.build())
        .await
        .unwrap();
    let reply = app
        .timeline_csv("at=2021-12-31&platform=wechat&from=2021-11-01&to=2021-11-30")
        .await;
    // Quotes are doubled inside a quoted field; the line break stays inside the field.
    assert!(reply.body.contains("\"\"引号\"\""), "{}", reply.body);
    let rows = csv_rows(&reply);
    let change = rows
        .iter()
        .find(|r| r["source"] == "hostile-2021" && r["entry"] == "change")
        .expect("the hostile change");
    assert_eq!(
        change["citation"],
        format!("'@公众号: {title}"),
        "formula neutralised, Chinese, quotes, comma and newline intact"
    );
    assert_eq!(change["citation_url"], "https://example.com/a?b=1,2");
    let milestone = rows
        .iter()
        .find(|r| r["entry"] == "milestone" && r["source"] == "hostile-2021")
        .expect("the hostile milestone");
    assert_eq!(milestone["title"], "'+1 <script>alert(1)</script>");
    assert_eq!(
        milestone["evidence_url"],
        "http://127.0.0.1:8080/sources/hostile-2021"
    );
    // The range keeps only November.
    assert!(
        rows.iter().all(|r| r["when"].starts_with("2021-11-")),
        "{rows:?}"
    );

    // JSON carries text as it is: neutralising is for spreadsheets only.
    let json = app
        .timeline_json("at=2021-12-31&platform=wechat&from=2021-11-01&to=2021-11-30")
        .await
        .json();
    let m = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["entry"] == "milestone")
        .unwrap();
    assert_eq!(m["title"], "+1 <script>alert(1)</script>");

    // The Atom feed escapes it: well-formed, and the script is text.
    let atom = app.timeline_atom("at=2021-12-31&platform=wechat").await;
    assert!(!atom.body.contains("<script>"), "{}", atom.body);
    let doc = roxmltree::Document::parse(&atom.body).expect("well-formed XML");
    let titles: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("entry"))
        .filter_map(|e| e.children().find(|c| c.has_tag_name("title")))
        .filter_map(|t| t.text().map(str::to_string))
        .collect();
    assert!(
        titles.iter().any(|t| t == "+1 <script>alert(1)</script>"),
        "{titles:?}"
    );
}

#[tokio::test]
async fn json_and_ndjson_carry_the_same_rows_as_csv() {
    let app = TestApp::new().await;
    let q = "at=2021-12-31&platform=wechat";
    let csv = csv_rows(&app.timeline_csv(q).await);
    let json_reply = app.timeline_json(q).await;
    assert_eq!(json_reply.content_type, "application/json");
    let json = json_reply.json();
    assert_eq!(json["filters"]["platform"], "wechat");
    assert_eq!(json["filters"]["at"], "2021-12-31");
    assert_eq!(json["order"], "oldest_first");
    let rows = json["rows"].as_array().expect("rows");
    assert_eq!(json["rows_total"].as_u64(), Some(rows.len() as u64));
    assert_eq!(json["simulated_rows"].as_u64(), Some(0));
    let nd = app.timeline_ndjson(q).await;
    assert_eq!(nd.content_type, "application/x-ndjson");
    let lines: Vec<serde_json::Value> = nd
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    let json_key = |r: &serde_json::Value| {
        (
            text(&r["entry"]),
            text(&r["when_utc"]),
            text(&r["check_id"]),
            text(&r["to_status"]),
        )
    };
    let csv_keys: Vec<_> = csv.iter().map(key).collect();
    assert_eq!(rows.iter().map(json_key).collect::<Vec<_>>(), csv_keys);
    assert_eq!(lines.iter().map(json_key).collect::<Vec<_>>(), csv_keys);
    for r in rows {
        assert_eq!(r["simulated"], false);
        assert!(r["evidence_url"].as_str().unwrap().starts_with("http://"));
    }
}

#[tokio::test]
async fn simulated_rows_are_left_out_by_default_and_marked_when_asked_for() {
    let app = TestApp::new().await;
    let at = Utc.with_ymd_and_hms(2022, 3, 1, 0, 0, 0).unwrap();
    let simulated = observation("link.wechat.taobao", at, "blocked")
        .instant()
        .simulated();
    app.store()
        .insert_observation(&simulated.build())
        .await
        .unwrap();
    let real = csv_rows(&app.timeline_csv("platform=taobao").await);
    assert!(
        real.iter()
            .all(|r| r["simulated"] == "no" && r["source_kind"] != "simulated")
    );
    let sim = csv_rows(&app.timeline_csv("platform=taobao&source=simulated").await);
    assert_eq!(sim.len(), 1, "{sim:?}");
    assert_eq!(sim[0]["simulated"], "yes");
    assert_eq!(sim[0]["source_kind"], "simulated");
    assert!(
        sim[0]["title"].starts_with("[SIMULATED]"),
        "{}",
        sim[0]["title"]
    );
    let json = app
        .timeline_json("platform=taobao&source=simulated")
        .await
        .json();
    assert_eq!(json["simulated_rows"].as_u64(), Some(1));
    let atom = app
        .timeline_atom("platform=taobao&source=simulated&lang=zh-CN")
        .await;
    let doc = roxmltree::Document::parse(&atom.body).expect("well-formed XML");
    let entry = doc
        .descendants()
        .find(|n| n.has_tag_name("entry"))
        .expect("one entry");
    let title = entry
        .children()
        .find(|c| c.has_tag_name("title"))
        .and_then(|t| t.text())
        .unwrap();
    assert!(title.starts_with("[模拟]"), "{title}");
    assert!(
        entry
            .children()
            .any(|c| c.has_tag_name("category") && c.attribute("term") == Some("simulated"))
    );
}

#[tokio::test]
async fn atom_feed_is_well_formed_with_required_elements() {
    let app = TestApp::new().await;
    let reply = app.timeline_atom("at=2021-12-31&kind=link").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.content_type.starts_with("application/atom+xml"));
    let doc = roxmltree::Document::parse(&reply.body).expect("well-formed XML");
    let feed = doc.root_element();
    assert!(feed.has_tag_name(("http://www.w3.org/2005/Atom", "feed")));
    fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> roxmltree::Node<'a, 'i> {
        n.children()
            .find(|c| c.has_tag_name(name))
            .unwrap_or_else(|| panic!("<{name}> missing"))
    }
    for name in ["id", "title", "updated"] {
        child(feed, name);
    }
    let links: Vec<(String, String)> = feed
        .children()
        .filter(|c| c.has_tag_name("link"))
        .map(|l| {
            (
                l.attribute("rel").unwrap_or("").to_string(),
                l.attribute("href").unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(
        links.contains(&(
            "self".into(),
            "http://127.0.0.1:8080/timeline.atom?kind=link&at=2021-12-31&lang=en".into()
        )),
        "{links:?}"
    );
    assert!(links.iter().any(|(rel, href)| rel == "alternate"
        && href.starts_with("http://127.0.0.1:8080/timeline?kind=link")));
    let entries: Vec<_> = feed
        .children()
        .filter(|c| c.has_tag_name("entry"))
        .collect();
    assert!(
        entries.len() >= 5 && entries.len() <= 100,
        "{}",
        entries.len()
    );
    let mut ids = std::collections::HashSet::new();
    for e in &entries {
        let id = child(*e, "id").text().unwrap_or("").to_string();
        assert!(id.starts_with("tag:127.0.0.1,2021:"), "{id}");
        assert!(ids.insert(id), "entry ids are unique");
        assert!(!child(*e, "title").text().unwrap_or("").is_empty());
        let updated = child(*e, "updated").text().unwrap_or("");
        assert!(
            chrono::DateTime::parse_from_rfc3339(updated).is_ok(),
            "{updated}"
        );
        assert!(child(child(*e, "author"), "name").text().is_some());
        assert!(
            child(*e, "link")
                .attribute("href")
                .unwrap()
                .starts_with("http://127.0.0.1:8080/")
        );
        assert_eq!(child(*e, "content").attribute("type"), Some("text"));
    }
    // Newest first, and the ids stay the same from one request to the next.
    let again = app.timeline_atom("at=2021-12-31&kind=link").await;
    assert_eq!(
        again.body.matches("<id>").count(),
        reply.body.matches("<id>").count()
    );
    let first_id = |body: &str| {
        body.split("<entry>")
            .nth(1)
            .and_then(|e| e.split("</id>").next())
            .map(str::to_string)
    };
    assert_eq!(first_id(&again.body), first_id(&reply.body));
}

#[tokio::test]
async fn bad_parameters_are_400s_that_say_what_was_wrong() {
    let app = TestApp::new().await;
    let reversed = app.timeline_csv("from=2021-10-01&to=2021-09-01").await;
    assert_eq!(reversed.status, StatusCode::BAD_REQUEST);
    assert!(reversed.content_type.starts_with("text/plain"));
    assert!(
        reversed.body.contains("from") && reversed.body.contains("to"),
        "{}",
        reversed.body
    );
    assert!(reversed.body.contains("2021-10-01") && reversed.body.contains("2021-09-01"));
    let bad = app.timeline_csv("from=2021-02-30").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.starts_with("from: "), "{}", bad.body);
    let bad = app.timeline_json("to=yesterday").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"].as_str().unwrap().starts_with("to: "));
    let bad = app.timeline_ndjson("platform=nowhere").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"].as_str().unwrap().contains("platform"));
    let bad = app.timeline_atom("lang=fr").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("lang: \"fr\""), "{}", bad.body);
    let bad = app.timeline_csv("at=2999-01-01").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    // The page answers the same range error.
    let page = app.timeline("from=2021-10-01&to=2021-09-01").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.body
            .contains("from 2021-10-01 is later than to 2021-09-01")
    );
}

#[tokio::test]
async fn the_timeline_page_filters_by_dates_and_links_to_every_export() {
    let app = TestApp::new().await;
    let page = app
        .timeline("at=2021-12-31&platform=wechat&from=2021-09-01&to=2021-10-31")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    // The page shows changes unless asked otherwise, and its links say so.
    let q = "platform=wechat&amp;from=2021-09-01&amp;to=2021-10-31&amp;entries=changes&amp;at=2021-12-31&amp;lang=en";
    assert!(
        page.body
            .contains(&format!("<a type=\"text/csv\" href=\"/timeline.csv?{q}\"")),
        "{}",
        page.body
    );
    for (mime, ext) in [
        ("application/json", "json"),
        ("application/x-ndjson", "ndjson"),
        ("application/atom+xml", "atom"),
    ] {
        assert!(
            page.body
                .contains(&format!("<a type=\"{mime}\" href=\"/timeline.{ext}?{q}\"")),
            "{ext}"
        );
    }
    assert!(page.body.contains(&format!(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"Hutong: timeline of changes (Atom)\" href=\"/timeline.atom?{q}\""
    )));
    assert!(page.body.contains("name=\"from\" value=\"2021-09-01\""));
    assert!(page.body.contains("name=\"to\" value=\"2021-10-31\""));
    // The page shows only entries in the range; the CSV has the same number.
    let html = page.html();
    let times: Vec<String> = html
        .select(&scraper::Selector::parse("li.entry time").unwrap())
        .map(|t| {
            t.value()
                .attr("datetime")
                .unwrap_or_default()
                .chars()
                .take(10)
                .collect::<String>()
        })
        .collect();
    assert!(!times.is_empty());
    assert!(
        times
            .iter()
            .all(|t| ("2021-09-01".."2021-11-01").contains(&t.as_str())),
        "{times:?}"
    );
    let csv = csv_rows(
        &app.timeline_csv(
            "at=2021-12-31&platform=wechat&from=2021-09-01&to=2021-10-31&entries=changes",
        )
        .await,
    );
    assert_eq!(csv.len(), times.len());
}

/// More rows than any one storage page, streamed from the database in order.
#[tokio::test]
async fn thousands_of_rows_stream_completely_and_in_order() {
    let db = sqlite().await;
    let mut args = hutong::bench::seed::SeedArgs::new(5_000, 7, common::catalog_dir());
    args.change_every = 1;
    args.batch = 1_500;
    let report = hutong::bench::seed::seed(&db.store, &args).await.unwrap();
    assert_eq!(report.observations, 5_000);
    assert_eq!(report.transitions, 5_000);
    let app = TestApp::builder(db)
        .public_url("https://hutong.example/")
        .build();
    let reply = app.timeline_csv("source=simulated").await;
    let rows = csv_rows(&reply);
    assert_eq!(rows.len(), 5_000);
    let ids: std::collections::HashSet<&str> =
        rows.iter().map(|r| r["observation_id"].as_str()).collect();
    assert_eq!(ids.len(), 5_000, "no row twice");
    assert!(
        rows.windows(2)
            .all(|w| w[0]["when_utc"] <= w[1]["when_utc"])
    );
    assert!(rows.iter().all(|r| r["simulated"] == "yes"
        && r["subject_en"] == "Synthetic host app"
        && r["evidence_url"].starts_with("https://hutong.example/observations/")));
    // Real figures leave all of it out.
    let real = csv_rows(&app.timeline_csv("platform=synthetic_host").await);
    assert!(real.is_empty());
    let nd = app.timeline_ndjson("source=simulated").await;
    assert_eq!(nd.body.lines().count(), 5_000);
    let json = app.timeline_json("source=simulated").await.json();
    assert_eq!(json["rows_total"].as_u64(), Some(5_000));
    assert_eq!(json["simulated_rows"].as_u64(), Some(5_000));
    // Pages work on a seeded database.
    let page = app.platform_page("synthetic_0003", "").await;
    assert_eq!(page.status, StatusCode::OK);
}

/// On a SQLite file the export reads the file directly, on its own thread; through the
/// pool (as on PostgreSQL) it must write the very same bytes, whatever the filters.
#[tokio::test]
async fn direct_and_pooled_reads_export_the_same_bytes() {
    let db = common::sqlite_with_catalog(&real_catalog()).await;
    let mut args = hutong::bench::seed::SeedArgs::new(3_000, 9, common::catalog_dir());
    args.change_every = 3;
    args.batch = 1_000;
    hutong::bench::seed::seed(&db.store, &args).await.unwrap();
    assert!(db.store.sqlite_timeline_reader().is_some());
    let pooled_store = db.store.clone().through_pool_only();
    assert!(pooled_store.sqlite_timeline_reader().is_none());
    let base = "https://hutong.example";
    let pooled = TestApp::builder(db.clone())
        .serving(pooled_store)
        .public_url(base)
        .build();
    let direct = TestApp::builder(db).public_url(base).build();
    for (url, at_least) in [
        ("/timeline.csv", 10),
        ("/timeline.csv?source=simulated", 900),
        ("/timeline.csv?at=2021-12-31&platform=wechat&kind=link", 5),
        (
            "/timeline.csv?lang=zh-CN&source=simulated&from=2022-06-01&to=2023-01-31",
            100,
        ),
        ("/timeline.csv?kind=milestone&lang=zh-CN", 3),
        ("/timeline.csv?kind=payment&at=2022-01-01", 3),
        (
            "/timeline.ndjson?source=simulated&platform=synthetic_0003",
            50,
        ),
        ("/timeline.ndjson?lang=zh-CN", 10),
    ] {
        let a = direct.get(url).await;
        let b = pooled.get(url).await;
        assert_eq!(a.status, StatusCode::OK, "{url}: {}", a.body);
        let lines = a.body.lines().count();
        assert!(lines > at_least, "{url}: only {lines} lines");
        assert_eq!(a.body, b.body, "{url}");
    }
    // JSON: the same document but for the time it was made.
    let without_time = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("generated_at");
        v
    };
    let url = "/timeline.json?source=simulated&lang=zh-CN";
    assert_eq!(
        without_time(direct.get(url).await.json()),
        without_time(pooled.get(url).await.json())
    );
}

/// A stored time that is not one (a damaged or hand-edited file) stops the direct read
/// with an error naming the row; nothing panics.
#[tokio::test]
async fn a_damaged_row_is_named_by_the_direct_reader() {
    let db = common::sqlite_with_catalog(&real_catalog()).await;
    db.store
        .execute_admin(
            "update transitions set occurred_at = '2021-02-30 at noon' \
             where id = (select min(id) from transitions)",
        )
        .await
        .unwrap();
    let q = hutong::storage::TimelineQuery {
        until: Utc::now(),
        since: None,
        platform: None,
        kind: None,
        source_kind: None,
        include_simulated: false,
        check: None,
        entries: Default::default(),
        limit: 0,
        offset: 0,
    };
    let reader = db.store.sqlite_timeline_reader().unwrap();
    let (one, two) = tokio::task::spawn_blocking(move || {
        let order = hutong::storage::TimelineOrder::NewestFirst;
        let keep_going =
            |_: &hutong::domain::TransitionRef<'_>| std::ops::ControlFlow::Continue(());
        (
            reader.for_each(&q, order, keep_going),
            reader.for_each_batched(&q, order, keep_going),
        )
    })
    .await
    .unwrap();
    for err in [one, two] {
        let message = err.expect_err("a damaged time is an error").to_string();
        assert!(
            message.contains("occurred_at") && message.contains("2021-02-30 at noon"),
            "{message}"
        );
    }
}

/// The export's two-thread reader gives the one-thread reader's rows, in order, and
/// stops reading when its caller stops (a client that went away).
#[tokio::test]
async fn the_batched_reader_gives_the_same_rows_and_stops_when_asked() {
    let db = sqlite().await;
    let mut args = hutong::bench::seed::SeedArgs::new(5_000, 7, common::catalog_dir());
    args.change_every = 2;
    args.batch = 2_500;
    hutong::bench::seed::seed(&db.store, &args).await.unwrap();
    let q = hutong::storage::TimelineQuery {
        until: Utc::now(),
        since: None,
        platform: None,
        kind: None,
        source_kind: None,
        include_simulated: true,
        check: None,
        entries: Default::default(),
        limit: 0,
        offset: 0,
    };
    let reader = db.store.sqlite_timeline_reader().unwrap();
    let (plain, batched, first) = tokio::task::spawn_blocking(move || {
        use std::ops::ControlFlow::{Break, Continue};
        let order = hutong::storage::TimelineOrder::OldestFirst;
        // Every row (up to `limit`) as its debug text, from one reader or the other.
        let read = |batched: bool, limit: usize| {
            let mut rows = Vec::new();
            let each = |t: &hutong::domain::TransitionRef<'_>| {
                rows.push(format!("{t:?}"));
                if rows.len() == limit {
                    Break(())
                } else {
                    Continue(())
                }
            };
            if batched {
                reader.for_each_batched(&q, order, each)
            } else {
                reader.for_each(&q, order, each)
            }
            .unwrap();
            rows
        };
        (
            read(false, usize::MAX),
            read(true, usize::MAX),
            read(true, 1_500),
        )
    })
    .await
    .unwrap();
    assert!(plain.len() > 2_000, "{}", plain.len());
    assert_eq!(plain, batched);
    assert_eq!(first.len(), 1_500);
    assert_eq!(first[..], plain[..1_500]);
}

/// An export whose read cannot be made answers an error status with a message before
/// anything is sent, on every reader: the direct SQLite reader, the pooled SQLite stream
/// and PostgreSQL's. It used to answer 200 and then break off an empty body.
#[tokio::test]
async fn an_export_that_cannot_be_read_is_an_error_status_with_a_message() {
    let sqlite_db = common::sqlite_with_catalog(&real_catalog()).await;
    let pooled_store = sqlite_db.store.clone().through_pool_only();
    let mut apps = vec![
        ("direct", TestApp::on(sqlite_db.clone())),
        (
            "pooled",
            TestApp::builder(sqlite_db).serving(pooled_store).build(),
        ),
    ];
    if let Some(db) = common::postgres().await {
        db.store.apply_catalog(&real_catalog()).await.unwrap();
        apps.push(("postgres", TestApp::on(db)));
    }
    for (name, app) in &apps {
        let store = app.store();
        assert_eq!(app.timeline_csv("").await.status, StatusCode::OK);
        // What the exports read is gone; the catalog the request is checked against is not.
        store
            .execute_admin("alter table transitions rename to transitions_gone")
            .await
            .unwrap();
        let csv = app.timeline_csv("").await;
        assert_eq!(csv.status, StatusCode::INTERNAL_SERVER_ERROR, "{name}");
        assert!(csv.content_type.starts_with("text/plain"), "{name}");
        assert!(
            csv.body.contains("it has been logged"),
            "{name}: {}",
            csv.body
        );
        for url in ["/timeline.json", "/timeline.ndjson"] {
            let json = app.get(url).await;
            assert_eq!(
                json.status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{name} {url}"
            );
            assert!(
                json.json()["error"]
                    .as_str()
                    .is_some_and(|m| m.contains("it has been logged")),
                "{name} {url}: {}",
                json.body
            );
        }
        // Milestones come from the catalog alone: still exported.
        let milestones = app.timeline_csv("kind=milestone").await;
        assert_eq!(milestones.status, StatusCode::OK, "{name}");
        store
            .execute_admin("alter table transitions_gone rename to transitions")
            .await
            .unwrap();
    }
}
