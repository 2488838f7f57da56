//! The journalist's path, cell → evidence → citation → export, through the real router:
//! the timeline's changes apart from first sightings, one check's timeline and exports,
//! the sources index, the cite box, comparing two dates and the dataset download.

use crate::common::{self, TestApp, sel};
use axum::http::StatusCode;
use serde_json::Value;

/// The API's entries, every page of them.
async fn api_entries(app: &TestApp, query: &str) -> (Value, Vec<Value>) {
    let first = app.api_timeline(query).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let head = first.json();
    let mut entries: Vec<Value> = head["entries"].as_array().cloned().unwrap_or_default();
    let total = head["total"].as_u64().unwrap_or(0) as usize;
    let mut page = 1;
    while entries.len() < total {
        page += 1;
        let next = app
            .api_timeline(&format!("{query}&page={page}"))
            .await
            .json();
        let more = next["entries"].as_array().cloned().unwrap_or_default();
        assert!(!more.is_empty(), "page {page} of {query} is empty");
        entries.extend(more);
    }
    (head, entries)
}

fn is_first_sighting(e: &Value) -> bool {
    e["type"] == "change" && e["from"].is_null()
}

fn is_change(e: &Value) -> bool {
    e["type"] == "change" && !e["from"].is_null()
}

#[tokio::test]
async fn the_timeline_shows_changes_by_default_and_counts_first_sightings_apart() {
    let app = TestApp::new().await;
    // Everything, as the API always answered.
    let (head, all) = api_entries(&app, "at=2026-11-30").await;
    let changes = all.iter().filter(|e| is_change(e)).count();
    let firsts = all.iter().filter(|e| is_first_sighting(e)).count();
    let milestones = all.iter().filter(|e| e["type"] == "milestone").count();
    assert!(
        changes >= 1 && firsts > changes,
        "{changes} changes, {firsts} first sightings"
    );
    assert_eq!(head["changes"], changes);
    assert_eq!(head["first_sightings"], firsts);
    assert_eq!(head["entries_kept"], "all");

    // Changes only: no first sighting, every change and milestone.
    let (head, only) = api_entries(&app, "at=2026-11-30&entries=changes").await;
    assert!(only.iter().all(|e| !is_first_sighting(e)));
    assert_eq!(only.len(), changes + milestones);
    assert_eq!(
        head["first_sightings"], firsts,
        "counts ignore the entries filter"
    );
    // First sightings only: nothing else.
    let (_, first) = api_entries(&app, "at=2026-11-30&entries=first").await;
    assert_eq!(first.len(), firsts);
    assert!(first.iter().all(is_first_sighting));

    // The page shows changes (and milestones) unless asked, says both counts, and its
    // exports carry the choice.
    for lang in ["en", "zh-CN"] {
        let page = app.timeline(&format!("at=2026-11-30&lang={lang}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.html();
        let shown = html.select(&sel("ol.timeline li.entry")).count();
        assert_eq!(shown, (changes + milestones).min(50), "{lang}");
        let firsts_shown = html.select(&sel("ol.timeline li.entry .first")).count();
        assert_eq!(firsts_shown, 0, "{lang}: no first sighting by default");
        let counts = html
            .select(&sel(".entry-counts"))
            .next()
            .map(|e| e.text().collect::<String>())
            .unwrap_or_default();
        assert!(
            counts.contains(&changes.to_string()) && counts.contains(&firsts.to_string()),
            "{lang}: {counts}"
        );
        let selected = html
            .select(&sel("select[name=entries] option[selected]"))
            .next()
            .and_then(|o| o.value().attr("value"))
            .unwrap_or_default()
            .to_string();
        assert_eq!(selected, "changes");
        let csv = html
            .select(&sel("p.exports a[type='text/csv']"))
            .next()
            .and_then(|a| a.value().attr("href"))
            .unwrap_or_default()
            .to_string();
        assert!(csv.contains("entries=changes"), "{csv}");
    }
    let page = app.timeline("at=2026-11-30&entries=all").await.html();
    assert_eq!(
        page.select(&sel("ol.timeline li.entry")).count(),
        (changes + firsts + milestones).min(50)
    );

    // Exports: unset keeps what the link always meant (everything); entries= filters.
    let rows = |body: &str| -> Vec<csv::StringRecord> {
        let body = body.trim_start_matches('\u{FEFF}');
        csv::Reader::from_reader(body.as_bytes())
            .records()
            .map(|r| r.expect("a CSV record"))
            .collect()
    };
    let every = rows(&app.timeline_csv("at=2026-11-30").await.body);
    assert_eq!(every.len(), changes + firsts + milestones);
    let changed = rows(&app.timeline_csv("at=2026-11-30&entries=changes").await.body);
    assert_eq!(changed.len(), changes + milestones);
    let json = app
        .timeline_json("at=2026-11-30&entries=first")
        .await
        .json();
    assert_eq!(json["rows"].as_array().map(Vec::len), Some(firsts));
    assert_eq!(json["filters"]["entries"], "first");

    let bad = app.timeline("entries=some").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("entries"), "{}", bad.body);
}

#[tokio::test]
async fn the_timeline_and_its_exports_follow_one_check() {
    let app = TestApp::new().await;
    let (_, all) = api_entries(&app, "at=2026-11-30").await;
    let check = all
        .iter()
        .find(|e| is_change(e))
        .and_then(|e| e["check"].as_str())
        .expect("a real change")
        .to_string();
    let of_check = all
        .iter()
        .filter(|e| e["type"] == "change" && e["check"] == check.as_str())
        .count();
    assert!(of_check < all.iter().filter(|e| e["type"] == "change").count());
    let (head, entries) =
        api_entries(&app, &format!("at=2026-11-30&entries=all&check={check}")).await;
    let changes: Vec<_> = entries.iter().filter(|e| e["type"] == "change").collect();
    assert_eq!(changes.len(), of_check);
    assert!(changes.iter().all(|e| e["check"] == check.as_str()));
    assert!(head["changes"].as_u64().unwrap_or(0) >= 1);

    let csv = app
        .timeline_csv(&format!("at=2026-11-30&entries=all&check={check}"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let body = csv.body.trim_start_matches('\u{FEFF}');
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let col = reader
        .headers()
        .expect("a header")
        .iter()
        .position(|h| h == "check_id")
        .expect("a check_id column");
    let records: Vec<_> = reader.records().map(|r| r.expect("a record")).collect();
    let changed: Vec<_> = records.iter().filter(|r| !r[col].is_empty()).collect();
    assert_eq!(changed.len(), of_check);
    assert!(changed.iter().all(|r| r[col] == check));

    // The page names the check and keeps it in its form.
    let page = app
        .timeline(&format!("at=2026-11-30&check={check}"))
        .await
        .html();
    assert!(
        page.select(&sel("form.filters input[name=check]"))
            .next()
            .and_then(|i| i.value().attr("value"))
            == Some(check.as_str())
    );
    assert!(page.select(&sel(".check-filter a")).next().is_some());

    let bad = app.api_timeline("check=link.nobody.nowhere").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("link.nobody.nowhere"), "{}", bad.body);
}

/// The CSV's records keyed by column, after its byte-order mark.
fn csv_maps(body: &str) -> Vec<std::collections::HashMap<String, String>> {
    let body = body.strip_prefix('\u{FEFF}').expect("a byte-order mark");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .expect("a header")
        .iter()
        .map(str::to_string)
        .collect();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a record");
            headers
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_check_page_leads_to_its_requirement_timeline_and_downloads() {
    let app = TestApp::new().await;
    let id = "link.wechat.taobao";
    for lang in ["en", "zh-CN"] {
        let page = app
            .check_page(id, &format!("at=2021-12-31&lang={lang}"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.html();
        let links: Vec<String> = html
            .select(&sel(".check-links a"))
            .filter_map(|a| a.value().attr("href").map(str::to_string))
            .collect();
        assert!(
            links.iter().any(|h| h.starts_with("/requirements/")),
            "{lang}: {links:?}"
        );
        let timeline = links
            .iter()
            .find(|h| h.starts_with("/timeline?"))
            .expect("a link to the check's timeline");
        assert!(timeline.contains(&format!("check={id}")), "{timeline}");
        assert!(
            links
                .iter()
                .any(|h| h.starts_with(&format!("/checks/{id}.csv")))
        );
        assert!(
            links
                .iter()
                .any(|h| h.starts_with(&format!("/checks/{id}.json")))
        );
        // The linked timeline answers, and names the check.
        let followed = app.get(timeline.clone()).await;
        assert_eq!(followed.status, StatusCode::OK, "{timeline}");
    }

    // Every observation of the check, each with its evidence and citation.
    let history = app.api_observations(id).await.json();
    let observations = history["observations"]
        .as_array()
        .or_else(|| history.as_array())
        .map(Vec::len)
        .expect("observations");
    let csv = app.check_csv(id, "").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(
        csv.header("content-disposition")
            .contains("hutong-check-link_wechat_taobao.csv"),
        "{}",
        csv.header("content-disposition")
    );
    let rows = csv_maps(&csv.body);
    assert_eq!(rows.len(), observations);
    for row in &rows {
        assert_eq!(row["check_id"], id);
        assert!(row["evidence_url"].contains("/observations/"), "{row:?}");
        if !row["citation"].is_empty() {
            // A cited source has an address or says plainly that none is known.
            assert!(!row["citation_url"].is_empty(), "{row:?}");
        }
    }
    assert!(rows.iter().any(|r| !r["citation"].is_empty()));
    let json = app.check_json(id, "").await.json();
    assert_eq!(json["rows"].as_array().map(Vec::len), Some(observations));
    assert_eq!(json["rows"][0]["check_id"], id);

    let missing = app.check_csv("link.nobody.nowhere", "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.body.contains("link.nobody.nowhere"),
        "{}",
        missing.body
    );
}

#[tokio::test]
async fn the_sources_index_lists_every_source_as_published_and_says_where_no_address_is_known() {
    let app = TestApp::new().await;
    let api = app.api_sources().await;
    assert_eq!(api.status, StatusCode::OK);
    let api = api.json();
    let sources = api["sources"].as_array().cloned().unwrap_or_default();
    assert!(sources.len() >= 2);
    for s in &sources {
        let title = s["title"].as_str().unwrap_or_default();
        // Headlines as published: no underscore standing for quotation marks.
        assert!(!title.contains('_'), "{title}");
        match s["url"].as_str() {
            Some(url) => assert_eq!(s["address"], url),
            None => assert_eq!(s["address"], "no address known"),
        }
    }
    for (lang, words) in [("en", "no address known"), ("zh-CN", "网址未知")] {
        let page = app.sources(&format!("lang={lang}")).await;
        assert_eq!(page.status, StatusCode::OK, "{lang}");
        let html = page.html();
        let rows = html.select(&sel("table.sources tbody tr")).count();
        assert_eq!(rows, sources.len());
        assert!(page.body.contains("互联网平台“拆墙”进展如何了"), "{lang}");
        let unknown = sources.iter().filter(|s| s["url"].is_null()).count();
        assert_eq!(page.body.matches(words).count(), unknown, "{lang}");
        // Each row leads to the source's page.
        let href = html
            .select(&sel("table.sources tbody a"))
            .next()
            .and_then(|a| a.value().attr("href"))
            .unwrap_or_default()
            .to_string();
        assert_eq!(app.get(href.clone()).await.status, StatusCode::OK, "{href}");
    }
    // Exports say it too, rather than leave the cell empty.
    let csv = app.timeline_csv("at=2026-11-30").await;
    let rows = csv_maps(&csv.body);
    let cited: Vec<_> = rows.iter().filter(|r| !r["citation"].is_empty()).collect();
    assert!(!cited.is_empty());
    assert!(
        cited
            .iter()
            .all(|r| r["citation_url"] == "no address known"),
        "{:?}",
        cited.iter().map(|r| &r["citation_url"]).collect::<Vec<_>>()
    );
    assert!(cited.iter().all(|r| !r["citation"].contains('_')));
}

#[tokio::test]
async fn check_observation_source_and_requirement_pages_have_a_cite_box() {
    let app = common::TestApp::builder(common::sqlite_with_catalog(&common::real_catalog()).await)
        .public_url("https://hutong.example.org/")
        .build();
    let csv = app.check_csv("link.wechat.taobao", "").await;
    let observation = csv_maps(&csv.body)
        .into_iter()
        .find(|r| !r["citation"].is_empty())
        .map(|r| r["observation_id"].clone())
        .expect("a cited observation");
    let requirement = app.api_requirements("").await.json()["requirements"][0]["id"]
        .as_str()
        .expect("a requirement")
        .to_string();
    let pages = [
        "/checks/link.wechat.taobao".to_string(),
        format!("/observations/{observation}"),
        "/sources/cnbeta-2021-10-17".to_string(),
        format!("/requirements/{requirement}"),
    ];
    for path in &pages {
        for lang in ["en", "zh-CN"] {
            let page = app.get(format!("{path}?at=2021-12-31&lang={lang}")).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            let html = page.html();
            let link = html.select(&sel(".cite-box a.permalink")).next();
            let href = link
                .and_then(|a| a.value().attr("href"))
                .unwrap_or_default();
            assert_eq!(href, format!("{path}?at=2021-12-31&lang={lang}"));
            let permalink = link
                .map(|a| a.text().collect::<String>())
                .unwrap_or_default();
            assert_eq!(
                permalink,
                format!("https://hutong.example.org{path}?at=2021-12-31&lang={lang}")
            );
            let text = |s: &str| {
                html.select(&sel(s))
                    .next()
                    .map(|t| t.text().collect::<String>())
                    .unwrap_or_default()
            };
            let zh = text(".cite-box textarea.cite-zh");
            let en = text(".cite-box textarea.cite-en");
            assert!(
                zh.contains(&format!("{path}?at=2021-12-31&lang=zh-CN")),
                "{zh}"
            );
            assert!(zh.contains("2021年12月31日"), "{zh}");
            assert!(
                en.contains(&format!("{path}?at=2021-12-31&lang=en")),
                "{en}"
            );
            assert!(en.contains("31 December 2021"), "{en}");
            if path.starts_with("/sources/") || path.starts_with("/observations/") {
                assert!(
                    en.contains("No address known") && en.contains("cnBeta"),
                    "{en}"
                );
                assert!(zh.contains("网址未知"), "{zh}");
            }
        }
    }
}

#[tokio::test]
async fn compare_shows_the_checks_that_changed_between_two_dates() {
    let app = TestApp::new().await;
    // The one real change: WeChat × Taobao links, on 17 Oct 2021.
    let api = app.api_compare("from=2021-10-01&to=2021-12-31").await;
    assert_eq!(api.status, StatusCode::OK, "{}", api.body);
    let api = api.json();
    let changed = api["changed"].as_array().cloned().unwrap_or_default();
    assert!(!changed.is_empty());
    assert!(changed.iter().all(|c| c["from_status"] != c["to_status"]));
    // Each differs as the check's own API says, on both days.
    for c in &changed {
        let id = c["check"].as_str().expect("a check id");
        for (day, key) in [("2021-10-01", "from_status"), ("2021-12-31", "to_status")] {
            let state = app.api_check(id, &format!("at={day}")).await.json();
            let status = state["state"]["status"]
                .as_str()
                .or_else(|| state["status"].as_str())
                .unwrap_or("unknown");
            assert_eq!(status, c[key], "{id} on {day}: {state}");
        }
    }
    // Nothing changes between a day and itself.
    let same = app
        .api_compare("from=2021-12-31&to=2021-12-31")
        .await
        .json();
    assert_eq!(same["changed"].as_array().map(Vec::len), Some(0));

    for lang in ["en", "zh-CN"] {
        let page = app
            .compare(&format!("from=2021-10-01&to=2021-12-31&lang={lang}"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{lang}");
        let html = page.html();
        let rows: Vec<_> = html.select(&sel("table.compare tbody tr")).collect();
        assert_eq!(rows.len(), changed.len(), "{lang}");
        // Both statuses side by side.
        for row in &rows {
            assert_eq!(row.select(&sel(".status")).count(), 2);
        }
        // One click: since the deadline.
        let preset = html
            .select(&sel("a.preset"))
            .next()
            .and_then(|a| a.value().attr("href"))
            .expect("a 'since the deadline' preset")
            .to_string();
        assert!(preset.starts_with("/compare?from="), "{preset}");
        assert_eq!(
            app.get(preset.clone()).await.status,
            StatusCode::OK,
            "{preset}"
        );
    }
    let reversed = app.compare("from=2021-12-31&to=2021-10-01").await;
    assert_eq!(reversed.status, StatusCode::BAD_REQUEST);

    // The overview's "then" has a control: a GET form with the date, and a way to compare.
    let overview = app.overview("at=2021-12-31&then=2021-10-01").await.html();
    let input = overview
        .select(&sel("form.then input[name=then]"))
        .next()
        .and_then(|i| i.value().attr("value"))
        .unwrap_or_default()
        .to_string();
    assert_eq!(input, "2021-10-01");
    let compare = overview
        .select(&sel("form.then a.compare-link"))
        .next()
        .and_then(|a| a.value().attr("href"))
        .unwrap_or_default()
        .to_string();
    assert!(
        compare.starts_with("/compare?from=2021-10-01&to=2021-12-31"),
        "{compare}"
    );
}
