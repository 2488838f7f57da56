//! Words and honesty on pages: Chinese pages written in Chinese (no English catalog
//! sentences, no raw ids, full-width punctuation after Chinese text), the printed
//! permalink, the simulated timeline, newer sources superseding stale ones, and changes
//! told apart from first sightings.

use crate::common::{self, TestApp, sel};
use axum::http::StatusCode;

async fn real_app() -> TestApp {
    TestApp::builder(common::sqlite_with_catalog(&common::real_catalog()).await)
        .public_url("https://hutong.example.org/")
        .build()
}

/// The printed stamp names the page by an address one can type from paper: absolute,
/// from `public_url`, with the page's filters, its date and its language.
#[tokio::test]
async fn the_printed_permalink_is_absolute_from_public_url() {
    let app = real_app().await;
    for (path, query) in [
        ("/links", "at=2021-10-17&lang=zh-CN"),
        ("/timeline", "platform=douyin&at=2021-12-31&lang=en"),
        ("/checks/link.wechat.taobao", "at=2021-12-31&lang=en"),
    ] {
        let page = app.get(format!("{path}?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let stamp: String = page
            .html()
            .select(&sel(".print-stamp .url"))
            .next()
            .map(|u| u.text().collect())
            .unwrap_or_default();
        assert_eq!(
            stamp,
            format!("https://hutong.example.org{path}?{query}"),
            "{path}"
        );
    }
}
