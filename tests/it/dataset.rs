//! `/dataset.zip` for researchers: every real observation, source, milestone, requirement
//! and the catalog as CSV and JSON with a `metadata.json`, the same bytes for the same data
//! version, on SQLite and PostgreSQL.

use crate::common::{self, TestApp, observation, real_catalog, sel};
use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Read;

/// The archive's files, in their order.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("the download is a zip");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).expect("an entry");
            let mut out = Vec::new();
            file.read_to_end(&mut out).expect("read an entry");
            (file.name().expect("an entry name").to_string(), out)
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A CSV file's records as maps from column to cell (the BOM dropped).
fn csv_records(bytes: &[u8]) -> Vec<HashMap<String, String>> {
    let text = std::str::from_utf8(bytes).expect("CSV is UTF-8");
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().expect("a header row").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a well-formed CSV record");
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

/// What one download holds, checked against its own metadata: every file is listed with
/// its SHA-256 and its row count, which the CSV and the JSON both have.
fn checked(name: &str, bytes: &[u8]) -> (Value, HashMap<String, Vec<u8>>) {
    let files = unzip(bytes);
    assert_eq!(files[0].0, "metadata.json", "{name}: metadata comes first");
    let metadata: Value = serde_json::from_slice(&files[0].1).expect("metadata.json is JSON");
    let listed = metadata["files"].as_array().expect("files listed");
    assert_eq!(listed.len(), files.len() - 1, "{name}: every file listed");
    for (facts, (file, data)) in listed.iter().zip(&files[1..]) {
        assert_eq!(facts["name"], file.as_str(), "{name}: listed in order");
        assert_eq!(facts["sha256"], hex(&Sha256::digest(data)), "{name} {file}");
        assert_eq!(facts["bytes"], data.len(), "{name} {file}");
        let rows = facts["rows"].as_u64().expect("rows") as usize;
        if file.ends_with(".csv") {
            assert_eq!(csv_records(data).len(), rows, "{name} {file}");
        } else {
            let json: Value = serde_json::from_slice(data).expect("JSON");
            assert_eq!(json.as_array().map(Vec::len), Some(rows), "{name} {file}");
        }
    }
    let tables: Vec<&str> = listed.iter().filter_map(|f| f["name"].as_str()).collect();
    for table in [
        "observations",
        "sources",
        "milestones",
        "requirements",
        "platforms",
        "checks",
        "ladders",
    ] {
        for ext in ["csv", "json"] {
            let file = format!("{table}.{ext}");
            assert!(tables.contains(&file.as_str()), "{name}: {file} missing");
        }
    }
    (metadata, files.into_iter().collect())
}

fn rows_of(metadata: &Value, file: &str) -> u64 {
    metadata["files"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["name"] == file))
        .and_then(|f| f["rows"].as_u64())
        .unwrap_or_else(|| panic!("{file} not in the metadata"))
}

#[tokio::test]
async fn the_dataset_is_every_real_record_the_same_bytes_for_the_same_data() {
    let mut apps = vec![("sqlite", TestApp::new().await)];
    if let Some(db) = common::postgres().await {
        db.store.apply_catalog(&real_catalog()).await.unwrap();
        apps.push(("postgres", TestApp::on(db)));
    }
    for (name, app) in &apps {
        let store = app.store();
        let reference = store.reference().await.unwrap();
        let real_check = reference
            .checks
            .iter()
            .find(|c| !reference.is_simulated_check(c))
            .expect("a real check");
        let simulated_check = reference
            .checks
            .iter()
            .find(|c| reference.is_simulated_check(c))
            .expect("a check of a simulated platform");
        let when = Utc.with_ymd_and_hms(2026, 3, 1, 4, 0, 0).unwrap();
        // Simulated data, both ways: from the simulator, and of a simulated platform.
        for o in [
            observation(&real_check.id, when, "open")
                .simulated()
                .quote("SIMULATED-QUOTE")
                .build(),
            observation(&simulated_check.id, when, "open")
                .quote("SIMULATED-PLATFORM")
                .build(),
        ] {
            store.insert_observation(&o).await.unwrap();
        }

        let first = app.dataset().await;
        assert_eq!(first.status, StatusCode::OK, "{name}: {}", first.body);
        assert_eq!(first.content_type, "application/zip", "{name}");
        let version = store.data_version().await.unwrap();
        let disposition = first.headers["content-disposition"].to_str().unwrap();
        assert!(
            disposition.starts_with("attachment;")
                && disposition.contains(&format!("hutong-dataset-v{version}-")),
            "{name}: {disposition}"
        );
        let etag = first.headers["etag"].to_str().unwrap().to_string();
        assert_eq!(etag, format!("\"{}\"", hex(&Sha256::digest(&first.bytes))));

        // The same data, the same bytes: from the kept archive and from a fresh server.
        let again = app.dataset().await;
        assert_eq!(again.bytes, first.bytes, "{name}: two downloads differ");
        let fresh_server = TestApp::on(app.db.clone()).dataset().await;
        assert_eq!(
            fresh_server.bytes, first.bytes,
            "{name}: rebuilt, it differs"
        );
        let unchanged = app.dataset().header("if-none-match", &etag).await;
        assert_eq!(unchanged.status, StatusCode::NOT_MODIFIED, "{name}");
        assert!(unchanged.bytes.is_empty());

        let (metadata, files) = checked(name, &first.bytes);
        assert_eq!(metadata["data_version"], version, "{name}");
        assert_eq!(metadata["simulated_data_included"], false);
        assert!(
            metadata["licence"]["en"]
                .as_str()
                .is_some_and(|l| !l.is_empty())
        );
        let real = store.real_observation_count().await.unwrap() as u64;
        assert!(
            real > 0,
            "{name}: the catalog's cited observations are real"
        );
        assert_eq!(rows_of(&metadata, "observations.csv"), real, "{name}");
        // Nothing simulated anywhere in the archive.
        for (file, data) in &files {
            let text = String::from_utf8_lossy(data);
            for mark in ["SIMULATED-QUOTE", "SIMULATED-PLATFORM", &simulated_check.id] {
                assert!(!text.contains(mark), "{name}: {file} holds {mark}");
            }
        }
        let simulated_platform = if reference.is_simulated_platform(&simulated_check.subject) {
            &simulated_check.subject
        } else {
            &simulated_check.object
        };
        let platforms = csv_records(&files["platforms.csv"]);
        assert!(platforms.iter().any(|p| p["slug"] == real_check.subject));
        assert!(platforms.iter().all(|p| &p["slug"] != simulated_platform));
        let observations = csv_records(&files["observations.csv"]);
        assert!(observations.iter().all(|o| o["simulated"] == "no"));
        let newest = observations
            .iter()
            .map(|o| o["observed_at_utc"].clone())
            .max()
            .unwrap();
        assert_eq!(metadata["newest_observation_at"], newest.as_str(), "{name}");

        // A new observation: new bytes, one more row, a new version and newest time.
        let later = Utc.with_ymd_and_hms(2026, 6, 1, 4, 0, 0).unwrap();
        store
            .insert_observation(&observation(&real_check.id, later, "open").build())
            .await
            .unwrap();
        let after = app.dataset().await;
        assert_ne!(
            after.bytes, first.bytes,
            "{name}: new data, the same archive"
        );
        assert_ne!(after.headers["etag"], first.headers["etag"]);
        let stale = app.dataset().header("if-none-match", &etag).await;
        assert_eq!(
            stale.status,
            StatusCode::OK,
            "{name}: an old copy is not current"
        );
        let (metadata, _) = checked(name, &after.bytes);
        assert_eq!(rows_of(&metadata, "observations.csv"), real + 1, "{name}");
        assert_eq!(rows_of(&metadata, "observations.json"), real + 1, "{name}");
        assert_ne!(metadata["data_version"], version, "{name}");
        assert_eq!(metadata["newest_observation_at"], "2026-06-01T04:00:00Z");
    }
}

#[tokio::test]
async fn the_overview_timeline_and_sources_link_to_the_dataset() {
    let app = TestApp::new().await;
    for lang in ["en", "zh-CN"] {
        for (page, reply) in [
            ("overview", app.overview(&format!("lang={lang}")).await),
            ("timeline", app.timeline(&format!("lang={lang}")).await),
            ("sources", app.sources(&format!("lang={lang}")).await),
        ] {
            assert_eq!(reply.status, StatusCode::OK, "{page} {lang}");
            let html = reply.html();
            let link = html
                .select(&sel("a[href='/dataset.zip']"))
                .next()
                .unwrap_or_else(|| panic!("{page} {lang}: no dataset link"));
            let words: String = link.text().collect();
            assert!(words.contains("dataset.zip"), "{page} {lang}: {words}");
        }
    }
    let sources = app.sources("lang=zh-CN").await.html();
    assert!(
        sources
            .select(&sel("main a[href='/dataset.zip']"))
            .next()
            .is_some(),
        "/sources offers the dataset in its body"
    );
}
