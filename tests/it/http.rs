//! The dashboard and the API, driven in-process through the real router, on the real
//! catalog: what a regulator or a journalist would see.

use crate::common::{self, TestApp, observation, sel};
use axum::http::StatusCode;
use scraper::Html;

/// The status word shown in the cell of check `id`, as `data-status`.
fn cell_status(html: &Html, id: &str) -> String {
    let link = sel(&format!("a.cell-link[href^=\"/checks/{id}\"] .status"));
    html.select(&link)
        .next()
        .unwrap_or_else(|| panic!("no cell for {id}"))
        .value()
        .attr("data-status")
        .expect("data-status")
        .to_string()
}

fn cell_text(html: &Html, id: &str) -> String {
    let link = sel(&format!("a.cell-link[href^=\"/checks/{id}\"]"));
    let a = html
        .select(&link)
        .next()
        .unwrap_or_else(|| panic!("no cell for {id}"));
    let cell = scraper::ElementRef::wrap(a.parent().unwrap()).unwrap();
    cell.text().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn links_page_shows_the_state_as_of_each_date() {
    let app = TestApp::new().await;
    let page = app.links("at=2021-10-17").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type.starts_with("text/html"));
    let html = page.html();
    assert_eq!(cell_status(&html, "link.wechat.taobao"), "warned");
    assert_eq!(cell_status(&html, "link.wechat.douyin"), "token_only");
    assert_eq!(cell_status(&html, "link.wechat.jd"), "open");
    // A word, not colour alone, and how it was known.
    let text = cell_text(&html, "link.wechat.taobao");
    assert!(
        text.contains("Opens after a warning") || text.contains("warn"),
        "{text}"
    );
    assert!(
        text.contains("article") && text.contains("cnBeta, 17 Oct 2021"),
        "{text}"
    );
    // The date is prominent and the form changes it.
    assert!(page.body.contains("As of 17 Oct 2021"));
    assert!(
        html.select(&sel(
            "form.asof[method=get] input[name=at][value=\"2021-10-17\"]"
        ))
        .next()
        .is_some()
    );
    // Cells keep the date when followed.
    assert!(
        html.select(&sel(
            "a[href=\"/checks/link.wechat.taobao?at=2021-10-17&lang=en\"]"
        ))
        .next()
        .is_some()
    );

    let before = app.links("at=2021-09-01").await.html();
    assert_eq!(cell_status(&before, "link.wechat.taobao"), "token_only");
    assert!(
        cell_text(&before, "link.wechat.taobao").contains("≈"),
        "the pre-2021-09-17 date is approximate"
    );
    // Nothing observed yet for JD on 2021-09-01.
    assert_eq!(cell_status(&before, "link.wechat.jd"), "unknown");
}

#[tokio::test]
async fn payments_page_shows_refusals_and_the_meituan_disagreement() {
    let app = TestApp::new().await;
    let page = app.payments("at=2021-10-17").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.html();
    assert_eq!(
        cell_status(&html, "payment.taobao.wechat_pay"),
        "not_accepted"
    );
    assert_eq!(
        cell_status(&html, "payment.pinduoduo.alipay"),
        "accepted_not_default"
    );
    let meituan = cell_text(&html, "payment.meituan.alipay");
    assert!(meituan.contains("Sources disagree"), "{meituan}");
    assert!(
        meituan.contains("cnBeta") && meituan.contains("28 Sep 2021"),
        "both sides named: {meituan}"
    );
    // On 2021-09-30 only source A had spoken: no disagreement yet.
    let early = app.payments("at=2021-09-30").await.html();
    assert_eq!(cell_status(&early, "payment.meituan.alipay"), "accepted");
    assert!(!cell_text(&early, "payment.meituan.alipay").contains("disagree"));
}

#[tokio::test]
async fn every_fact_links_to_its_source() {
    let app = TestApp::new().await;
    let mut followed = 0;
    let at = "at=2021-10-17";
    for matrix in [app.links(at), app.payments(at), app.qr(at)] {
        let html = matrix.await.html();
        for a in html.select(&sel("a.cell-link")) {
            let status = a
                .select(&sel(".status"))
                .next()
                .unwrap()
                .value()
                .attr("data-status")
                .unwrap();
            if status == "unknown" {
                continue;
            }
            let href = a.value().attr("href").unwrap();
            let check = app.get(href).await;
            assert_eq!(check.status, StatusCode::OK, "{href}");
            let doc = check.html();
            // Rows after the page's date (later reports) are not what the cell shows.
            let cites: Vec<String> = doc
                .select(&sel("table.history tr:not(.after) .citation .cite"))
                .map(|c| c.text().collect::<String>())
                .collect();
            assert!(!cites.is_empty(), "{href} cites nothing");
            assert!(
                cites.iter().all(|c| c.contains(" 2021")),
                "{href}: {cites:?}"
            );
            let links = doc
                .select(&sel(
                    "table.history tr:not(.after) a.cite[href^=\"/sources/\"]",
                ))
                .count();
            assert_eq!(
                links,
                cites.len(),
                "{href}: every citation links to its source"
            );
            assert!(
                doc.select(&sel("table.history blockquote"))
                    .next()
                    .is_some(),
                "{href} quotes nothing"
            );
            followed += 1;
        }
    }
    assert!(followed >= 40, "only {followed} facts followed");
}

#[tokio::test]
async fn check_page_shows_history_transitions_and_disagreement() {
    let app = TestApp::new().await;
    let page = app.check_page("link.wechat.taobao", "at=2021-10-17").await;
    let html = page.html();
    let rows: Vec<_> = html.select(&sel("table.history tbody tr")).collect();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.value().classes().any(|c| c == "transition"))
    );
    // Newest first: the later observation, which changed the status, leads.
    let newest = rows[0].text().collect::<String>();
    assert!(newest.contains("changed from"), "{newest}");
    assert!(
        page.body.contains("淘口令"),
        "the article's words are quoted"
    );
    assert!(
        page.body.contains("微信") && page.body.contains("WeChat"),
        "both names"
    );

    let dispute = app
        .check_page("payment.meituan.alipay", "at=2021-10-17")
        .await;
    assert!(dispute.body.contains("Sources disagree"));
    let opinions = dispute.html().select(&sel("ul.opinions li")).count();
    assert_eq!(opinions, 2);

    // As of a date before the second observation, the later row is marked as after.
    let early = app
        .check_page("link.wechat.taobao", "at=2021-09-01")
        .await
        .html();
    assert_eq!(early.select(&sel("tr.after")).count(), 1);

    let missing = app.check_page("link.wechat.nowhere", "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing
            .body
            .contains("there is no check \"link.wechat.nowhere\"")
    );
}

#[tokio::test]
async fn platform_pages_list_checks_as_host_and_as_target() {
    let app = TestApp::new().await;
    let page = app.platform_page("taobao", "at=2021-10-17").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.html();
    assert_eq!(cell_status(&html, "link.wechat.taobao"), "warned");
    assert_eq!(
        cell_status(&html, "payment.taobao.wechat_pay"),
        "not_accepted"
    );
    assert!(
        page.body.contains("阿里巴巴") && page.body.contains("Alibaba"),
        "operator shown"
    );
    let list = app.platforms("").await;
    assert!(list.body.contains("/platforms/wechat"));
    let missing = app.platform_page("myspace", "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("no platform \"myspace\""));
}

#[tokio::test]
async fn timeline_filters_by_platform_and_kind() {
    let app = TestApp::new().await;
    // Changes and first sightings (the page shows changes only unless asked).
    let all = app.timeline("at=2021-12-31&entries=all").await.html();
    let entries = all.select(&sel("li.entry")).count();
    assert!(entries > 20, "{entries}");
    // Dates are written in words; each <time> keeps the ISO date for machines.
    let dates: Vec<String> = all
        .select(&sel("li.entry time"))
        .map(|t| t.value().attr("datetime").expect("datetime").to_string())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "newest first");

    let douyin = app
        .timeline("at=2021-12-31&platform=douyin&kind=link&entries=all")
        .await
        .html();
    let changes: Vec<String> = douyin
        .select(&sel("li.entry.change .what a"))
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert!(!changes.is_empty());
    assert!(
        changes
            .iter()
            .all(|h| h.starts_with("/checks/link.") && h.contains("douyin")),
        "{changes:?}"
    );
    assert_eq!(
        douyin.select(&sel("li.entry.milestone")).count(),
        0,
        "milestones are not link changes"
    );
    assert!(
        douyin
            .select(&sel("select[name=platform] option[value=douyin][selected]"))
            .next()
            .is_some(),
        "the filter is kept in the form"
    );

    let milestones = app.timeline("kind=milestone").await.html();
    assert!(milestones.select(&sel("li.entry.milestone")).count() >= 10);
    assert_eq!(milestones.select(&sel("li.entry.change")).count(), 0);

    let bad = app.timeline("kind=rumour").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body
            .contains("kind: \"rumour\" is not one of: link, payment, qr, milestone"),
        "{}",
        bad.body
    );
    let bad = app.timeline("platform=nowhere").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad = app.timeline("page=0").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn overview_compares_then_and_now_and_lists_deadlines() {
    let app = TestApp::new().await;
    let page = app.overview("at=2021-10-17").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.html();
    let figures: Vec<String> = html
        .select(&sel("figure.openness figcaption"))
        .map(|f| f.text().collect())
        .collect();
    assert_eq!(
        figures.len(),
        4,
        "links and payments, then and now: {figures:?}"
    );
    assert!(figures[0].contains("Then: 16 Sep 2021"), "{figures:?}");
    assert!(figures[1].contains("Now: 17 Oct 2021"), "{figures:?}");
    // Then, the one WeChat link the sources date before the deadline was token-only.
    assert!(
        figures[0].contains("0 of 1 observed check at"),
        "{figures:?}"
    );
    assert!(
        page.body.contains("17 Sep 2021 23:59 (Beijing time)"),
        "deadline in Beijing time"
    );
    assert!(page.body.contains("MIIT") || page.body.contains("工业和信息化部"));
    assert!(
        html.select(&sel("ol.timeline li.entry")).count() >= 5,
        "latest changes"
    );
    // WeChat × Douyin is still token-only after the deadline: the requirement is overdue.
    assert!(
        html.select(&sel("article.requirement.overdue"))
            .next()
            .is_some()
    );
}

#[tokio::test]
async fn wrong_parameters_get_a_clear_400() {
    let app = TestApp::new().await;
    for (uri, expected) in [
        (
            "/links?at=2021-02-30",
            "at: \"2021-02-30\" is not a real calendar date",
        ),
        (
            "/links?at=yesterday",
            "at: \"yesterday\" is not a date of the form YYYY-MM-DD",
        ),
        ("/payments?at=2999-01-01", "at: 2999-01-01 is in the future"),
        ("/?then=2021-13-40", "then: \"2021-13-40\""),
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(
            r.body.contains(&expected.replace('"', "&quot;")) || r.body.contains(expected),
            "{uri}: {}",
            r.body
        );
    }
    let r = app.get("/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn api_answers_json_and_json_errors() {
    let app = TestApp::new().await;
    let platforms = app.api_platforms("").await.json();
    assert!(
        platforms["platforms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["slug"] == "wechat" && p["name_zh"] == "微信")
    );

    let matrix = app.api_matrix("kind=link&at=2021-10-17").await.json();
    let status = |id: &str| {
        matrix["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["state"]["status"]
            .clone()
    };
    assert_eq!(status("link.wechat.taobao"), "warned");
    assert_eq!(status("link.wechat.douyin"), "token_only");

    let check = app
        .api_check("payment.meituan.alipay", "at=2021-10-17")
        .await
        .json();
    assert_eq!(check["state"]["disagreement"], true);
    assert_eq!(check["state"]["sources"].as_array().unwrap().len(), 2);

    let obs = app.api_observations("link.wechat.taobao").await.json();
    assert_eq!(obs["observations"].as_array().unwrap().len(), 2);
    assert_eq!(obs["observations"][0]["citation"]["publisher"], "cnBeta");

    let checks = app.api_checks("kind=qr").await.json();
    assert!(
        checks["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["kind"] == "qr")
    );

    let timeline = app
        .api_timeline("at=2021-10-17&platform=taobao")
        .await
        .json();
    assert!(timeline["total"].as_u64().unwrap() > 0);

    for (uri, status, message) in [
        (
            "/api/v1/matrix?kind=links",
            400,
            "kind: \"links\" is not one of: link, payment, qr",
        ),
        ("/api/v1/matrix", 400, "kind: required"),
        (
            "/api/v1/matrix?kind=link&at=17-10-2021",
            400,
            "at: \"17-10-2021\" is not a date",
        ),
        ("/api/v1/checks/nope", 404, "there is no check \"nope\""),
        (
            "/api/v1/platforms/nope",
            404,
            "there is no platform \"nope\"",
        ),
        ("/api/v1/nothing", 404, "no API endpoint"),
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status.as_u16(), status, "{uri}");
        assert!(r.content_type.starts_with("application/json"), "{uri}");
        let message_seen = r.json()["error"].as_str().unwrap().to_string();
        assert!(message_seen.contains(message), "{uri}: {message_seen}");
    }
}

#[tokio::test]
async fn health_says_whether_the_database_is_reachable() {
    let app = TestApp::new().await;
    let ok = app.health().await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["database"], "SQLite");
    app.store().close().await;
    let down = app.health().await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.json()["status"], "unavailable");
}

#[tokio::test]
async fn hostile_text_is_escaped_and_pages_run_no_script() {
    let app = TestApp::new().await;
    let hostile = observation(
        "link.weibo.taobao",
        chrono::Utc::now() - chrono::Duration::hours(1),
        "blocked",
    )
    .instant()
    .vantage("<img src=x onerror=alert(1)>")
    .quote("<script>alert('pwned')</script>已停止访问该网页")
    .note_en("\"><iframe src=//evil.example>");
    app.store()
        .insert_observation(&hostile.build())
        .await
        .unwrap();
    let page = app.check_page("link.weibo.taobao", "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<script"), "no script element at all");
    assert!(!page.body.contains("<iframe"));
    assert!(!page.body.contains("<img src=x"));
    assert!(
        page.body
            .contains("&lt;script&gt;alert('pwned')&lt;/script&gt;已停止访问该网页")
    );
    let csp = page
        .headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(
        page.headers.get("x-content-type-options").unwrap(),
        "nosniff"
    );
    for uri in ["/", "/links", "/payments", "/qr", "/timeline", "/platforms"] {
        assert!(!app.get(uri).await.body.contains("<script"), "{uri}");
    }
}

#[tokio::test]
async fn stylesheet_and_favicon_are_served_with_cache_headers() {
    let app = TestApp::new().await;
    let css = app.stylesheet().await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.content_type.starts_with("text/css"));
    assert!(
        css.headers
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    assert!(css.body.contains(".status"));
    let icon = app.favicon().await;
    assert!(icon.content_type.starts_with("image/svg+xml"));
}

#[tokio::test]
async fn a_citation_leads_to_its_source_and_every_fact_it_backs() {
    let app = TestApp::new().await;
    let check = app
        .check_page("link.wechat.taobao", "at=2021-10-17")
        .await
        .html();
    let href = check
        .select(&sel("table.history a.cite"))
        .next()
        .expect("the citation is a link")
        .value()
        .attr("href")
        .unwrap()
        .to_string();
    assert_eq!(href, "/sources/cnbeta-2021-10-17?lang=en");
    let page = app.get(&href).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("cnBeta") && page.body.contains("2021-10-17"));
    let doc = page.html();
    let facts: Vec<String> = doc
        .select(&sel("table.history tbody tr a"))
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert!(
        facts
            .iter()
            .any(|h| h.starts_with("/checks/link.wechat.taobao")),
        "{facts:?}"
    );
    assert!(
        facts
            .iter()
            .any(|h| h.starts_with("/checks/payment.meituan.alipay")),
        "{facts:?}"
    );
    assert!(facts.len() >= 20, "{}", facts.len());
    let missing = app.source_page("nobody", "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// Pages keep what they computed while the data is unchanged; a write by anyone, here
/// through a second connection as another `hutong` process would make it, shows at once:
/// in the matrix now, in the check page's history and chart, and in the names shown.
#[tokio::test]
async fn a_write_from_another_process_shows_at_once() {
    let app = TestApp::new().await;
    let douyin = "link.wechat.douyin";
    let links = || async { app.links("").await.html() };
    let before = cell_status(&links().await, douyin);
    assert_ne!(before, "open");
    // Seen twice: the second view is answered from what the first kept.
    assert_eq!(cell_status(&links().await, douyin), before);
    let check = app.check_page(douyin, "").await.body;
    let rows_before = Html::parse_document(&check)
        .select(&sel("table.history tbody tr"))
        .count();
    // The newest change on the timeline: (its check link, its date).
    let newest_change = |body: String| {
        let html = Html::parse_document(&body);
        let entry = html
            .select(&sel("li.entry.change"))
            .next()
            .expect("a change");
        let href = entry
            .select(&sel(".what a"))
            .next()
            .and_then(|a| a.value().attr("href"));
        let when = entry
            .select(&sel("time"))
            .next()
            .and_then(|t| t.value().attr("datetime"));
        (
            href.unwrap_or_default().to_string(),
            when.unwrap_or_default().to_string(),
        )
    };
    // `datetime` may be written in Beijing or in UTC: either day is "today".
    let now = chrono::Utc::now();
    let todays = [
        hutong::time::shanghai_day(now).to_string(),
        now.date_naive().to_string(),
    ];
    let is_today = |when: &str| todays.iter().any(|d| when.starts_with(d.as_str()));
    let before_write = newest_change(app.timeline("platform=douyin&entries=all").await.body);
    assert!(!is_today(&before_write.1), "{before_write:?}");

    let other = hutong::storage::Store::open(&app.db.url, 1).await.unwrap();
    let opened = observation(
        douyin,
        chrono::Utc::now() - chrono::Duration::minutes(5),
        "open",
    )
    .probed()
    .vantage("cn-elsewhere")
    .evidence(serde_json::json!({ "final_url": "https://www.douyin.com/" }));
    other.insert_observation(&opened.build()).await.unwrap();
    assert_eq!(cell_status(&links().await, douyin), "open");
    let check = app.check_page(douyin, "").await.body;
    let rows_after = Html::parse_document(&check)
        .select(&sel("table.history tbody tr"))
        .count();
    assert_eq!(rows_after, rows_before + 1);
    // The timeline (kept too) leads with today's change of that check.
    let (href, when) = newest_change(app.timeline("platform=douyin&entries=all").await.body);
    assert!(href.starts_with(&format!("/checks/{douyin}")), "{href}");
    assert!(is_today(&when), "{when}");
    // The past is what it was: a date before the write still shows the old state.
    let then = app.links("at=2021-10-17").await.html();
    assert_eq!(cell_status(&then, douyin), "token_only");

    other
        .execute_admin("update platforms set name_en = 'Douyin (renamed)' where slug = 'douyin'")
        .await
        .unwrap();
    assert!(app.links("").await.body.contains("Douyin (renamed)"));
    other.close().await;
}

/// A TCP relay in front of the PostgreSQL test server that can be cut and restored: seen
/// from the store, a server that goes down (sessions dropped, connections refused) and
/// comes back. The shared server itself is never stopped.
struct Relay {
    port: u16,
    target: String,
    accepting: Option<tokio::task::JoinHandle<()>>,
    sessions: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::AbortHandle>>>,
}

impl Relay {
    async fn start(target: String) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut relay = Relay {
            port,
            target,
            accepting: None,
            sessions: Default::default(),
        };
        relay.accept(listener);
        relay
    }

    fn accept(&mut self, listener: tokio::net::TcpListener) {
        let target = self.target.clone();
        let sessions = self.sessions.clone();
        self.accepting = Some(tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let target = target.clone();
                let session = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                sessions.lock().unwrap().push(session.abort_handle());
            }
        }));
    }

    /// The server goes down: every session is dropped and new connections are refused.
    fn cut(&mut self) {
        if let Some(accepting) = self.accepting.take() {
            accepting.abort();
        }
        for session in self.sessions.lock().unwrap().drain(..) {
            session.abort();
        }
    }

    /// The server is back, on the same port.
    async fn restore(&mut self) {
        let mut tries = 0;
        let listener = loop {
            match tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                // The aborted listener may take a moment to be dropped.
                Err(e) if tries < 100 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Err(e) => panic!("the relay's port cannot be bound again: {e}"),
            }
        };
        self.accept(listener);
    }
}

/// With PostgreSQL down, pages answer 503 in the reader's language saying the database is
/// unavailable, the API and exports answer 503 with `{"error": …}` or text, every 503 says
/// when to retry, and all of it comes back by itself with the database. They used to wait
/// 10 s for the pool each and answer 500.
#[tokio::test]
async fn a_database_outage_is_a_quick_503_in_the_readers_language() {
    use hutong_app::i18n::Lang;
    let Some(db) = common::postgres().await else {
        return;
    };
    db.store
        .apply_catalog(&common::real_catalog())
        .await
        .unwrap();
    let url = url::Url::parse(&db.url).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let mut relay = Relay::start(target).await;
    let mut relayed = url.clone();
    relayed.set_host(Some("127.0.0.1")).unwrap();
    relayed.set_port(Some(relay.port)).unwrap();
    let store = hutong::storage::Store::open(relayed.as_str(), 4)
        .await
        .unwrap();
    let app = TestApp::builder(db).serving(store).build();
    assert_eq!(app.overview("").await.status, StatusCode::OK);
    assert_eq!(app.health().await.status, StatusCode::OK);

    relay.cut();
    let zh = [("accept-language", "zh-CN,zh;q=0.9")];
    let en = [("accept-language", "en")];
    for (uri, headers, lang) in [
        ("/", &zh, Lang::ZhCn),
        ("/links", &en, Lang::En),
        ("/timeline?lang=zh-CN", &en, Lang::ZhCn),
        ("/checks/link.wechat.taobao", &en, Lang::En),
    ] {
        let started = std::time::Instant::now();
        let page = app.get(uri).headers(headers).await;
        println!("{uri} answered {} in {:?}", page.status, started.elapsed());
        assert_eq!(
            page.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{uri}: {}",
            page.body
        );
        assert!(page.content_type.starts_with("text/html"), "{uri}");
        assert!(page.headers.contains_key("retry-after"), "{uri}");
        for words in [lang.t("error-heading-503"), lang.t("error-unavailable")] {
            assert!(
                page.body.contains(&words),
                "{uri} lacks {words:?}: {}",
                page.body
            );
        }
        assert!(
            page.body
                .contains(&format!("<html lang=\"{}\"", lang.code())),
            "{uri}: the page is in {}",
            lang.code()
        );
    }
    let started = std::time::Instant::now();
    let api = app.api_checks("").await;
    println!(
        "/api/v1/checks answered {} in {:?}",
        api.status,
        started.elapsed()
    );
    assert_eq!(api.status, StatusCode::SERVICE_UNAVAILABLE, "{}", api.body);
    assert!(api.headers.contains_key("retry-after"));
    assert_eq!(api.json()["error"], Lang::En.t("error-unavailable"));
    let csv = app.timeline_csv("").await;
    assert_eq!(csv.status, StatusCode::SERVICE_UNAVAILABLE, "{}", csv.body);
    assert!(
        csv.body.contains(&Lang::En.t("error-unavailable")),
        "{}",
        csv.body
    );
    let health = app.health().await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(health.headers.contains_key("retry-after"));

    relay.restore().await;
    let back = app.overview("").await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.body);
    assert_eq!(app.api_checks("").await.status, StatusCode::OK);
    assert_eq!(app.health().await.status, StatusCode::OK);
}

/// SQLite files deleted under a running server: `/healthz` says so, naming the file, and
/// an export answers an error status with a message instead of a 200 that breaks off
/// empty. Both used to answer 200.
#[tokio::test]
async fn deleted_database_files_are_noticed() {
    let app = TestApp::new().await;
    assert_eq!(app.health().await.status, StatusCode::OK);
    assert_eq!(app.timeline_csv("").await.status, StatusCode::OK);
    let file = app.store().sqlite_file().unwrap().to_path_buf();
    for suffix in ["", "-wal", "-shm"] {
        let mut path = file.clone().into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
    let health = app.health().await;
    assert_eq!(health.status, StatusCode::SERVICE_UNAVAILABLE);
    let error = health.json()["error"].as_str().unwrap().to_string();
    assert!(
        error.contains(&file.display().to_string()) && error.contains("deleted"),
        "{error}"
    );
    let message = hutong_app::i18n::Lang::ZhCn.t("error-unavailable");
    let csv = app.timeline_csv("lang=zh-CN").await;
    assert_eq!(csv.status, StatusCode::SERVICE_UNAVAILABLE, "{}", csv.body);
    assert!(csv.body.contains(&message), "{}", csv.body);
    let json = app.timeline_json("lang=zh-CN").await;
    assert_eq!(
        json.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        json.body
    );
    assert_eq!(json.json()["error"], message);
}

/// Every route that takes a date, and the date parameters it takes (found by asking each
/// route with a malformed value of each: these answer 400, the others ignore it).
const DATE_ROUTES: &[(&str, &[&str])] = &[
    ("/", &["at", "then"]),
    ("/links", &["at"]),
    ("/payments", &["at"]),
    ("/qr", &["at"]),
    ("/checks/link.wechat.taobao", &["at"]),
    ("/platforms", &["at"]),
    ("/platforms/wechat", &["at"]),
    ("/sources/caixin-2021-12-03", &["at"]),
    ("/probes", &["at"]),
    ("/observations/1", &["at"]),
    ("/requirements", &["at"]),
    ("/requirements/miit-2021-link-unblocking", &["at"]),
    ("/requirements.ics", &["at"]),
    ("/timeline", &["at", "from", "to"]),
    ("/timeline.csv", &["at", "from", "to"]),
    ("/timeline.json", &["at", "from", "to"]),
    ("/timeline.ndjson", &["at", "from", "to"]),
    ("/timeline.atom", &["at", "from", "to"]),
    ("/charts/openness-links.svg", &["at"]),
    ("/charts/openness-payments.svg", &["at"]),
    ("/charts/checks/link.wechat.taobao.svg", &["at"]),
    (
        "/charts/requirements/miit-2021-link-unblocking.svg",
        &["at"],
    ),
    ("/api/v1/checks/link.wechat.taobao", &["at"]),
    ("/api/v1/matrix?kind=link", &["at"]),
    ("/api/v1/timeline", &["at", "from", "to"]),
    ("/api/v1/requirements", &["at"]),
    ("/api/v1/requirements/miit-2021-link-unblocking", &["at"]),
];

fn with_param(route: &str, key: &str, value: &str) -> String {
    let sep = if route.contains('?') { '&' } else { '?' };
    format!("{route}{sep}{key}={value}")
}

/// Hutong accepts dates from 2000-01-01 to today (Beijing). Every page, chart, export and
/// API answer renders at both ends of that range, on leap days, and with a change
/// observed at the range's very first instant; the calendar's edges (years 0, 1 and 9999,
/// 1970, the days just outside the range, leap days that do not exist) are 400s that
/// name the parameter, and say the range when the date is outside it. In a debug build an
/// overflow anywhere here panics and resets the connection.
#[tokio::test]
async fn every_date_parameter_renders_at_the_edges_of_the_range_and_refuses_beyond() {
    use hutong::time::{SHANGHAI, start_of_day, today};
    use hutong_app::model::EARLIEST_DAY;
    let app = TestApp::new().await;
    let check = "link.wechat.taobao";
    let leap = chrono::NaiveDate::from_ymd_opt(2000, 2, 29).unwrap();
    app.store()
        .insert_observations(&[
            observation(check, start_of_day(EARLIEST_DAY, SHANGHAI), "blocked").build(),
            observation(check, start_of_day(leap, SHANGHAI), "token_only").build(),
        ])
        .await
        .unwrap();
    let today = today();
    let earliest = EARLIEST_DAY.to_string();
    let accepted = [
        earliest.clone(),
        "2000-02-29".to_string(),
        "2024-02-29".to_string(),
        today.to_string(),
    ];
    let outside = [
        "0000-01-01".to_string(),
        "0001-01-01".to_string(),
        "1970-01-01".to_string(),
        (EARLIEST_DAY.pred_opt().unwrap()).to_string(),
        (today.succ_opt().unwrap()).to_string(),
        "9999-12-31".to_string(),
    ];
    let unreal = ["2023-02-29", "1900-02-29", "2100-02-29", "0000-02-30"];
    let range = format!("dates from {earliest} to today, {today}");
    for (route, keys) in DATE_ROUTES {
        for key in *keys {
            for day in &accepted {
                let uri = with_param(route, key, day);
                let r = app.get(&uri).await;
                assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
            }
            for day in &outside {
                let uri = with_param(route, key, day);
                let r = app.get(&uri).await;
                assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
                assert!(
                    r.body.contains(&format!("{key}: {day} is")) && r.body.contains(&range),
                    "{uri}: {}",
                    r.body
                );
            }
            for day in unreal {
                let uri = with_param(route, key, day);
                let r = app.get(&uri).await;
                assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
                assert!(r.body.contains("not a real calendar date"), "{uri}");
            }
        }
    }
    // The widest range, and a range of one day at the earliest date.
    for route in ["/timeline", "/timeline.csv", "/api/v1/timeline"] {
        for query in [
            format!("from={earliest}&to={today}"),
            format!("from={earliest}&to={earliest}&at={earliest}"),
        ] {
            let r = app.get(format!("{route}?{query}")).await;
            assert_eq!(r.status, StatusCode::OK, "{route}?{query}: {}", r.body);
        }
    }
    // The change at the first instant is there at the earliest date, and the leap day's.
    let r = app.api_check(check, &format!("at={earliest}")).await;
    assert!(r.body.contains("\"blocked\""), "{}", r.body);
    let r = app.check_page(check, "at=2000-02-29").await;
    assert!(r.body.contains("data-status=\"token_only\""), "{}", r.body);
    // PNGs draw at both ends (fewer: each takes a second or more in a debug build).
    for route in [
        "/charts/openness-links.png",
        "/charts/checks/link.wechat.taobao.png",
        "/charts/requirements/miit-2021-link-unblocking.png",
    ] {
        for day in [&earliest, &today.to_string()] {
            let r = app.get(with_param(route, "at", day)).await;
            assert_eq!(r.status, StatusCode::OK, "{route} at {day}: {}", r.body);
            assert_eq!(r.content_type, "image/png");
        }
    }
    // The range is said in the reader's language too.
    let r = app.links("at=1970-01-01&lang=zh-CN").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body
            .contains(&format!("互通接受的日期从 {earliest} 到今天（{today}）")),
        "{}",
        r.body
    );
}
