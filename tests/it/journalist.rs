//! The journalist's path, cell → evidence → citation → export, through the real router:
//! the timeline's changes apart from first sightings, one check's timeline and exports,
//! the sources index, the cite box, comparing two dates and the dataset download.

use crate::common::{TestApp, sel};
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
