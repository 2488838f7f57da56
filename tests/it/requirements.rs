//! Requirements and deadlines as a regulator meets them, through the real router on the
//! real catalog: who missed the 2021-09-17 deadline and when each complied, in English and
//! Chinese, with no script; the overview's highlight; the JSON API; the iCalendar feed
//! parsed back line by line; and the one storage query on both databases.

use crate::common::{self, Reply, TestApp, observation, real_catalog, sel};
use axum::http::StatusCode;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use hutong::domain::SourceKind;
use hutong::storage::Store;
use hutong::time::{SHANGHAI, end_of_day, start_of_day};
use scraper::{ElementRef, Html};

const MIIT: &str = "miit-2021-link-unblocking";
const PBOC: &str = "pboc-2021-payment-interfaces";

/// The nine real link checks of the messaging apps (WeChat ×6, QQ ×3); the simulator's
/// two messaging apps are messaging too, and must not count.
const MIIT_CHECKS: [&str; 9] = [
    "link.wechat.taobao",
    "link.wechat.tmall",
    "link.wechat.douyin",
    "link.wechat.jd",
    "link.wechat.meituan",
    "link.wechat.pinduoduo",
    "link.qq.taobao",
    "link.qq.douyin",
    "link.qq.jd",
];

fn text(e: ElementRef) -> String {
    e.text().collect::<Vec<_>>().join("")
}

fn one<'a>(html: &'a Html, s: &str) -> ElementRef<'a> {
    html.select(&sel(s))
        .next()
        .unwrap_or_else(|| panic!("nothing matches {s}"))
}

fn figure(article: ElementRef, class: &str) -> Option<String> {
    article
        .select(&sel(&format!("tr.{class} td")))
        .next()
        .map(text)
}

fn no_missing_messages(page: &Reply) {
    assert!(
        !page.body.contains(hutong_app::i18n::MISSING_MARK),
        "a message is missing: {}",
        page.body
    );
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[tokio::test]
async fn the_list_answers_who_missed_the_deadline_in_english() {
    let app = TestApp::new().await;
    let page = app.requirements("at=2021-10-17").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.content_type.starts_with("text/html"));
    no_missing_messages(&page);
    assert!(!page.body.contains("<script"), "no script at all");
    let html = page.html();
    assert_eq!(one(&html, "html").value().attr("lang"), Some("en"));
    assert_eq!(
        text(one(&html, "nav a[aria-current=page]")),
        "Requirements",
        "the nav item is current"
    );

    let miit = one(&html, &format!("article#req-{MIIT}"));
    assert!(miit.value().attr("class").unwrap().contains("overdue"));
    let body = text(miit);
    assert!(body.contains("MIIT Information and Communication Administration Bureau"));
    assert!(body.contains("2021-09-17 23:59 (Beijing time)"), "{body}");
    assert!(body.contains("passed 30 days ago"), "{body}");
    assert!(body.contains("9 Sep 2021"), "issued: {body}");
    assert!(body.contains("messaging"), "scope: {body}");
    // Nine real checks in scope: the simulator's messaging apps are left out.
    assert_eq!(figure(miit, "fig-in-scope").as_deref(), Some("9"));
    // By 2021-10-17 every one opens except WeChat × Douyin; at the deadline only WeChat ×
    // Taobao had been observed (and did not comply): unknown is said, not counted as "no".
    assert_eq!(figure(miit, "fig-compliant-now").as_deref(), Some("8 of 9"));
    assert_eq!(
        figure(miit, "fig-at-deadline").as_deref(),
        Some("0 of 1 observed, 8 unknown")
    );
    assert_eq!(
        figure(miit, "fig-overdue").as_deref(),
        Some("1, by 30 days")
    );
    // Only WeChat × Taobao was seen failing at the deadline (token only) and complied
    // later; the other seven were first seen after it, so whether they met it is unknown.
    assert_eq!(
        figure(miit, "fig-late").as_deref(),
        Some("1 (longest delay 30 days)")
    );
    assert_eq!(figure(miit, "fig-unseen-at-deadline").as_deref(), Some("7"));
    assert_eq!(figure(miit, "fig-never").as_deref(), Some("1"));
    // The source, on Hutong's own page, keeping the date and language.
    let cite = one(&html, &format!("article#req-{MIIT} a.cite"));
    assert_eq!(
        cite.value().attr("href"),
        Some("/sources/cnbeta-2021-10-17?at=2021-10-17&lang=en")
    );
    // Its own page, keeping the date.
    assert!(
        html.select(&sel(&format!(
            "a[href=\"/requirements/{MIIT}?at=2021-10-17&lang=en\"]"
        )))
        .next()
        .is_some()
    );

    // No deadline: said so, and no overdue figures.
    let pboc = one(&html, &format!("article#req-{PBOC}"));
    assert!(text(pboc).contains("no deadline"));
    assert_eq!(figure(pboc, "fig-overdue"), None);
    assert_eq!(figure(pboc, "fig-at-deadline"), None);
    assert!(!pboc.value().attr("class").unwrap().contains("overdue"));

    // The calendar feed, linked and announced.
    let feed = one(&html, "a[type=\"text/calendar\"]");
    assert_eq!(
        feed.value().attr("href"),
        Some("/requirements.ics?at=2021-10-17&lang=en")
    );
    assert!(
        html.select(&sel("head link[rel=alternate][type=\"text/calendar\"]"))
            .next()
            .is_some()
    );
}

#[tokio::test]
async fn the_list_in_chinese() {
    let app = TestApp::new().await;
    let page = app.requirements("at=2021-10-17&lang=zh-CN").await;
    assert_eq!(page.status, StatusCode::OK);
    no_missing_messages(&page);
    let html = page.html();
    assert_eq!(one(&html, "html").value().attr("lang"), Some("zh-CN"));
    assert_eq!(text(one(&html, "h1")), "监管要求与期限");
    let miit = one(&html, &format!("article#req-{MIIT}"));
    let body = text(miit);
    assert!(body.contains("2021-09-17 23:59（北京时间）"), "{body}");
    assert!(body.contains("已过期 30 天"), "{body}");
    assert!(body.contains("2021年9月9日"), "{body}");
    assert_eq!(
        figure(miit, "fig-compliant-now").as_deref(),
        Some("9 项中 8 项")
    );
    assert_eq!(
        figure(miit, "fig-overdue").as_deref(),
        Some("1 项，逾期 30 天")
    );
    let pboc = one(&html, &format!("article#req-{PBOC}"));
    assert!(text(pboc).contains("未设期限"));
    // The language is kept by the links, and chosen by Accept-Language without `?lang=`.
    assert!(
        html.select(&sel(&format!(
            "a[href=\"/requirements/{MIIT}?at=2021-10-17&lang=zh-CN\"]"
        )))
        .next()
        .is_some()
    );
    let negotiated = app
        .requirements("")
        .header("accept-language", "zh-CN,zh;q=0.9")
        .await;
    assert!(negotiated.body.contains("<html lang=\"zh-CN\""));
}

/// The row of one check on a requirement's page.
fn check_row<'a>(html: &'a Html, id: &str) -> ElementRef<'a> {
    one(html, &format!("table.compliance tr[data-check=\"{id}\"]"))
}

#[tokio::test]
async fn the_miit_page_shows_when_each_messaging_check_complied() {
    let app = TestApp::new().await;
    let page = app.requirement_page(MIIT, "at=2021-10-17").await;
    assert_eq!(page.status, StatusCode::OK);
    no_missing_messages(&page);
    let html = page.html();
    let rows: Vec<String> = html
        .select(&sel("table.compliance tbody tr"))
        .map(|r| r.value().attr("data-check").unwrap().to_string())
        .collect();
    let mut expected = MIIT_CHECKS.map(String::from).to_vec();
    expected.sort();
    let mut got = rows.clone();
    got.sort();
    assert_eq!(
        got, expected,
        "every real messaging check, nothing simulated"
    );

    // WeChat × Taobao: token only at the deadline, complied (with a warning) 30 days late.
    let taobao = check_row(&html, "link.wechat.taobao");
    assert_eq!(taobao.value().attr("data-outcome"), Some("complied_late"));
    assert_eq!(
        one_in(taobao, "td.at-deadline .status")
            .value()
            .attr("data-status"),
        Some("token_only")
    );
    assert_eq!(
        one_in(taobao, "td.now .status").value().attr("data-status"),
        Some("warned")
    );
    assert_eq!(
        text(one_in(taobao, "td.outcome")),
        "Complied on 17 Oct 2021, 30 days after the deadline"
    );
    // The outcome says since when: no column repeats it.
    assert!(taobao.select(&sel("td.since")).next().is_none());
    assert_eq!(text(one_in(taobao, "td.late")), "30 days late");
    assert_eq!(
        one_in(taobao, "a").value().attr("href"),
        Some("/checks/link.wechat.taobao?at=2021-10-17&lang=en")
    );
    // WeChat × Douyin: still a copied token, never compliant, overdue.
    let douyin = check_row(&html, "link.wechat.douyin");
    assert_eq!(douyin.value().attr("data-outcome"), Some("never_compliant"));
    assert_eq!(text(one_in(douyin, "td.outcome")), "Never compliant");
    assert_eq!(text(one_in(douyin, "td.late")), "overdue by 30 days");
    // Nothing known at the deadline for QQ × JD: not called late, but when it was first
    // seen complying is said.
    let qq = check_row(&html, "link.qq.jd");
    assert_eq!(
        qq.value().attr("data-outcome"),
        Some("compliant_unknown_at_deadline")
    );
    assert_eq!(
        one_in(qq, "td.at-deadline .status")
            .value()
            .attr("data-status"),
        Some("unknown")
    );
    assert_eq!(
        text(one_in(qq, "td.outcome")),
        "Compliant since 17 Oct 2021; nothing observed by the deadline"
    );
    assert_eq!(
        text(one_in(qq, "td.late")),
        "first seen compliant 30 days after"
    );

    // The share over time, as a table inside <details>, ending at the page's date.
    let details = one(&html, "details table.share");
    let last = details
        .select(&sel("tbody tr"))
        .last()
        .expect("weekly rows");
    let cells: Vec<String> = last.select(&sel("td")).map(text).collect();
    assert_eq!(text(one_in(last, "th")), "17 Oct 2021");
    assert_eq!(cells, ["8", "9", "9", "89%"]);
    let first = details.select(&sel("tbody tr")).next().unwrap();
    assert_eq!(
        text(one_in(first, "th")),
        "1 Jul 2021",
        "from the first observation"
    );
    assert!(
        html.select(&sel("tr.deadline-week")).next().is_some(),
        "the deadline's week is marked"
    );
}

fn one_in<'a>(e: ElementRef<'a>, s: &str) -> ElementRef<'a> {
    e.select(&sel(s))
        .next()
        .unwrap_or_else(|| panic!("nothing matches {s} in {}", e.html()))
}

#[tokio::test]
async fn the_miit_page_in_chinese() {
    let app = TestApp::new().await;
    let page = app.requirement_page(MIIT, "at=2021-10-17&lang=zh-CN").await;
    assert_eq!(page.status, StatusCode::OK);
    no_missing_messages(&page);
    let html = page.html();
    assert!(text(one(&html, "title")).contains("即时通信软件按合规标准解除屏蔽网址链接"));
    let taobao = check_row(&html, "link.wechat.taobao");
    assert_eq!(text(one_in(taobao, "th a")), "微信 × 淘宝");
    assert_eq!(
        text(one_in(taobao, "td.outcome")),
        "2021年10月17日合规，比期限晚 30 天"
    );
    let douyin = check_row(&html, "link.wechat.douyin");
    assert_eq!(text(one_in(douyin, "td.outcome")), "从未合规");
    assert_eq!(text(one_in(douyin, "td.late")), "已逾期 30 天");
    assert_eq!(
        text(one(
            &html,
            "section[aria-labelledby=h-share] > details > summary"
        )),
        "逐周数据（表格）"
    );
}

#[tokio::test]
async fn earlier_dates_show_a_countdown_or_no_compliance_yet() {
    let app = TestApp::new().await;
    // A week before the deadline: a countdown, no deadline column, nothing overdue.
    let page = app.requirement_page(MIIT, "at=2021-09-10").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.html();
    assert!(page.body.contains("7 days to go"));
    assert!(html.select(&sel("td.at-deadline")).next().is_none());
    let article = one(&html, &format!("article#req-{MIIT}"));
    assert_eq!(figure(article, "fig-overdue"), None);
    // Only WeChat × Taobao was observed (token only, dated 2021-07-01); the rest unknown.
    assert_eq!(
        check_row(&html, "link.wechat.taobao")
            .value()
            .attr("data-outcome"),
        Some("never_compliant")
    );
    assert_eq!(
        check_row(&html, "link.wechat.jd")
            .value()
            .attr("data-outcome"),
        Some("unknown")
    );
    assert_eq!(figure(article, "fig-unknown").as_deref(), Some("8"));

    // Two weeks after it, before the article: overdue, nobody known to comply yet.
    let page = app.requirement_page(MIIT, "at=2021-10-01").await;
    let html = page.html();
    let article = one(&html, &format!("article#req-{MIIT}"));
    assert_eq!(
        figure(article, "fig-overdue").as_deref(),
        Some("1, by 14 days")
    );
    assert_eq!(
        figure(article, "fig-compliant-now").as_deref(),
        Some("0 of 1 observed, 8 unknown")
    );
}

#[tokio::test]
async fn simulated_observations_never_count() {
    let app = TestApp::new().await;
    let simulated = |check: &str, status: &str| {
        observation(check, end_of_day(day(2021, 10, 1), SHANGHAI), status)
            .instant()
            .simulated()
            .build()
    };
    app.store()
        .insert_observations(&[
            simulated("link.wechat.douyin", "open"),
            simulated("link.simchat.simshop", "open"),
        ])
        .await
        .unwrap();
    let page = app.requirement_page(MIIT, "at=2021-10-17").await;
    let html = page.html();
    assert_eq!(
        check_row(&html, "link.wechat.douyin")
            .value()
            .attr("data-outcome"),
        Some("never_compliant"),
        "a simulated 'open' does not make WeChat × Douyin comply"
    );
    assert!(
        html.select(&sel("tr[data-check^=\"link.simchat\"]"))
            .next()
            .is_none()
    );
    let api = app.api_requirement(MIIT, "at=2021-10-17").await.json();
    assert_eq!(api["summary"]["in_scope"], 9);
    assert_eq!(api["summary"]["compliant_now"], 8);
}

#[tokio::test]
async fn the_overview_highlights_overdue_and_coming_deadlines() {
    let app = TestApp::new().await;
    let page = app.overview("at=2021-10-17").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.html();
    let block = one(&html, "section.deadlines");
    let overdue = one_in(block, "ul.overdue li");
    assert_eq!(
        one_in(overdue, "a").value().attr("href"),
        Some(format!("/requirements/{MIIT}?at=2021-10-17&lang=en").as_str())
    );
    assert!(
        text(overdue).contains("1 of 9 checks overdue, by 30 days"),
        "{}",
        text(overdue)
    );
    assert!(block.select(&sel("ul.upcoming")).next().is_none());

    // 2021-09-01: the deadline is 16 days ahead.
    let page = app.overview("at=2021-09-01").await;
    let html = page.html();
    let upcoming = one(&html, "section.deadlines ul.upcoming li");
    let words = text(upcoming);
    assert!(words.contains("2021-09-17 23:59 (Beijing time)"), "{words}");
    assert!(words.contains("16 days to go"), "{words}");
    assert!(
        words.contains("0 of 1 observed checks comply now, 8 unknown"),
        "{words}"
    );
    assert!(
        html.select(&sel("section.deadlines ul.overdue"))
            .next()
            .is_none()
    );

    // 2021-08-01: 47 days ahead and nothing overdue: no highlight at all.
    let page = app.overview("at=2021-08-01").await;
    assert!(!page.body.contains("class=\"alert deadlines\""));
}

#[tokio::test]
async fn the_api_gives_the_same_figures() {
    let app = TestApp::new().await;
    let list = app.api_requirements("at=2021-10-17").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.content_type.starts_with("application/json"));
    let list = list.json();
    assert_eq!(list["at"], "2021-10-17");
    let reqs = list["requirements"].as_array().unwrap();
    assert_eq!(reqs.len(), 2);
    let miit = reqs.iter().find(|r| r["id"] == MIIT).unwrap();
    assert_eq!(miit["deadline"], "2021-09-17T15:59:59.999999Z");
    assert_eq!(miit["deadline_beijing"], "2021-09-17 23:59");
    assert_eq!(miit["summary"]["in_scope"], 9);
    assert_eq!(miit["summary"]["complied_at_deadline"], 0);
    assert_eq!(miit["summary"]["overdue"], 1);
    assert_eq!(miit["summary"]["overdue_days"], 30);
    assert_eq!(miit["summary"]["longest_delay_days"], 30);
    let pboc = reqs.iter().find(|r| r["id"] == PBOC).unwrap();
    assert_eq!(pboc["summary"]["deadline_state"], "none");
    assert!(pboc["summary"]["overdue_days"].is_null());

    let one = app.api_requirement(MIIT, "at=2021-10-17").await.json();
    let checks = one["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 9);
    let taobao = checks
        .iter()
        .find(|c| c["check_id"] == "link.wechat.taobao")
        .unwrap();
    assert_eq!(taobao["outcome"], "complied_late");
    assert_eq!(taobao["status_at_deadline"], "token_only");
    assert_eq!(taobao["delay_days"], 30);
    assert_eq!(taobao["complied_after_deadline"], "2021-10-16T16:00:00Z");
    let points = one["share_over_time"]["points"].as_array().unwrap();
    assert_eq!(points.last().unwrap()["compliant"], 8);
    assert_eq!(one["share_over_time"]["deadline_day"], "2021-09-17");

    let missing = app.api_requirement("nope", "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.json()["error"].as_str().unwrap().contains("nope"));
    let bad = app.api_requirements("at=2021-13-01").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.json()["error"].as_str().unwrap().starts_with("at:"));
}

#[tokio::test]
async fn bad_parameters_get_a_400_and_unknown_requirements_a_404() {
    let app = TestApp::new().await;
    for (uri, expected) in [
        ("/requirements?at=2021-02-30", "at: "),
        ("/requirements?lang=fr", "lang: \"fr\""),
        (&format!("/requirements/{MIIT}?at=soon") as &str, "at: "),
        (
            &format!("/requirements/{MIIT}?lang=klingon") as &str,
            "lang: ",
        ),
        ("/requirements.ics?lang=xx", "lang: "),
        ("/requirements.ics?at=2999-01-01", "at: "),
    ] {
        let page = app.get(uri).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(page.body.contains(expected), "{uri}: {}", page.body);
    }
    let missing = app.requirement_page("no-such-thing", "lang=zh-CN").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("no-such-thing"));
    assert!(missing.body.contains("<html lang=\"zh-CN\""));
}

/// The feed's content lines: physical lines checked (CRLF, ≤ 75 octets), then unfolded.
fn unfold(body: &str) -> Vec<String> {
    assert!(body.ends_with("\r\n"), "ends with CRLF");
    let without_crlf = body.replace("\r\n", "");
    assert!(
        !without_crlf.contains('\n') && !without_crlf.contains('\r'),
        "every line break is CRLF"
    );
    let mut lines: Vec<String> = Vec::new();
    for physical in body.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(
            physical.len() <= 75,
            "{} octets: {physical:?}",
            physical.len()
        );
        match physical.strip_prefix(' ') {
            Some(rest) => lines.last_mut().expect("a continuation").push_str(rest),
            None => lines.push(physical.to_string()),
        }
    }
    lines
}

/// RFC 5545 TEXT unescaping.
fn unescape(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn property<'a>(event: &'a [String], name: &str) -> &'a str {
    event
        .iter()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in {event:?}"))
}

fn events(lines: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for l in lines {
        match l.as_str() {
            "BEGIN:VEVENT" => current = Some(Vec::new()),
            "END:VEVENT" => out.push(current.take().expect("an open event")),
            _ => {
                if let Some(c) = current.as_mut() {
                    c.push(l.clone());
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn the_ics_feed_has_every_deadline_and_parses_back() {
    // A title with every character TEXT must escape, long enough to fold.
    let mut catalog = real_catalog();
    let tricky = "Links, payments; and a \\ backslash\nsecond line of a title long enough to be folded twice over";
    catalog
        .requirements
        .iter_mut()
        .find(|r| r.id == MIIT)
        .unwrap()
        .title_en = tricky.into();
    let db = common::sqlite_with_catalog(&catalog).await;
    let app = TestApp::builder(db)
        .public_url("http://hutong.example:8080")
        .build();

    // Links come from public_url, whatever host the request names.
    let feed = app
        .requirements_ics("at=2021-10-17")
        .header("host", "elsewhere.example")
        .await;
    assert_eq!(feed.status, StatusCode::OK);
    assert_eq!(feed.content_type, "text/calendar; charset=utf-8");
    let lines = unfold(&feed.body);
    assert_eq!(lines.first().map(String::as_str), Some("BEGIN:VCALENDAR"));
    assert_eq!(lines.last().map(String::as_str), Some("END:VCALENDAR"));
    assert!(lines.iter().any(|l| l == "VERSION:2.0"));
    assert!(lines.iter().any(|l| l.starts_with("PRODID:")));
    let events = events(&lines);
    assert_eq!(events.len(), 1, "only the MIIT requirement has a deadline");
    let e = &events[0];
    assert_eq!(property(e, "UID"), format!("requirement-{MIIT}@hutong"));
    let stamp = property(e, "DTSTAMP");
    assert!(
        stamp.len() == 16 && stamp.ends_with('Z'),
        "DTSTAMP in UTC: {stamp}"
    );
    // 23:59–24:00 on 2021-09-17 in Beijing, written in UTC.
    assert_eq!(property(e, "DTSTART"), "20210917T155900Z");
    assert_eq!(property(e, "DTEND"), "20210917T160000Z");
    assert_eq!(
        unescape(property(e, "SUMMARY")),
        format!("Deadline: {tricky}")
    );
    assert!(
        property(e, "SUMMARY").contains("Links\\, payments\\; and a \\\\ backslash\\nsecond"),
        "{}",
        property(e, "SUMMARY")
    );
    let description = unescape(property(e, "DESCRIPTION"));
    assert!(description.contains("MIIT Information and Communication Administration Bureau"));
    assert!(
        description.contains("8 of 9 checks in scope comply; 1 overdue; 0 unknown"),
        "{description}"
    );
    assert_eq!(
        property(e, "URL"),
        format!("http://hutong.example:8080/requirements/{MIIT}?at=2021-10-17&lang=en")
    );

    // The UID is stable from one request to the next; the language follows ?lang=.
    let zh = app.requirements_ics("lang=zh-CN").header("host", "h").await;
    let zh_lines = unfold(&zh.body);
    let zh_events = self::events(&zh_lines);
    assert_eq!(property(&zh_events[0], "UID"), property(e, "UID"));
    assert!(unescape(property(&zh_events[0], "SUMMARY")).starts_with("期限：即时通信软件"));
    assert!(
        unescape(property(&zh_events[0], "DESCRIPTION")).contains("工业和信息化部信息通信管理局")
    );
}

/// Anyone can send a `Host` (or `X-Forwarded-*`) header: a feed that a calendar keeps, or
/// an export a journalist cites, must link to Hutong's own address, `public_url`.
#[tokio::test]
async fn absolute_links_come_from_public_url_never_from_the_request() {
    let public = "https://hutong.example.org";
    let db = common::sqlite_with_catalog(&real_catalog()).await;
    let app = TestApp::builder(db).public_url(public).build();
    let hostile = [
        ("host", "evil.example"),
        ("x-forwarded-host", "evil.example"),
        ("x-forwarded-proto", "http"),
        ("forwarded", "host=evil.example;proto=http"),
    ];
    // Every output with absolute links has them, all on public_url.
    for uri in [
        "/requirements.ics?at=2021-10-17",
        "/requirements.ics?lang=zh-CN",
        "/timeline.csv",
        "/timeline.json",
        "/timeline.ndjson",
        "/timeline.atom",
    ] {
        let reply = app.get(uri).headers(&hostile).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.body);
        // The feed folds long lines: read it unfolded.
        let body = if uri.contains(".ics") {
            unfold(&reply.body).join("\n")
        } else {
            reply.body.clone()
        };
        assert!(!body.contains("evil.example"), "{uri}: {body}");
        assert!(body.contains(&format!("{public}/")), "{uri}: {body}");
    }
    let feed = app
        .requirements_ics("at=2021-10-17")
        .headers(&hostile)
        .await;
    let lines = unfold(&feed.body);
    let events = events(&lines);
    assert_eq!(
        property(&events[0], "URL"),
        format!("{public}/requirements/{MIIT}?at=2021-10-17&lang=en")
    );
    assert!(
        unescape(property(&events[0], "DESCRIPTION"))
            .contains(&format!("{public}/requirements/{MIIT}")),
    );
    // No page, API answer or image repeats the request's host either.
    for uri in [
        "/",
        "/links",
        "/payments",
        "/timeline",
        "/requirements",
        &format!("/requirements/{MIIT}"),
        "/checks/link.wechat.taobao",
        "/platforms/wechat",
        "/probes",
        "/api/v1/requirements",
        "/api/v1/timeline",
        "/charts/openness-links.svg",
        "/no-such-page",
    ] {
        let reply = app.get(uri).headers(&hostile).await;
        assert!(
            !reply.body.contains("evil.example"),
            "{uri}: {}",
            reply.body
        );
        for (name, value) in &reply.headers {
            assert!(
                !value.to_str().unwrap_or_default().contains("evil.example"),
                "{uri}: {name}"
            );
        }
    }
}

/// The one storage query, on both databases: real transitions of the given checks, oldest
/// first, up to a date.
async fn real_transitions_story(store: &Store) {
    store.apply_catalog(&real_catalog()).await.unwrap();
    let at = |d: NaiveDate| start_of_day(d, SHANGHAI);
    let obs = |check: &str, when: DateTime<Utc>, status: &str, kind: SourceKind| {
        observation(check, when, status)
            .instant()
            .source_kind(kind)
            .build()
    };
    store
        .insert_observations(&[
            obs(
                "link.weibo.taobao",
                at(day(2022, 1, 9)),
                "open",
                SourceKind::Manual,
            ),
            obs(
                "link.weibo.taobao",
                at(day(2022, 1, 2)),
                "blocked",
                SourceKind::Manual,
            ),
            obs(
                "link.qq.taobao",
                at(day(2022, 1, 5)),
                "blocked",
                SourceKind::Simulated,
            ),
        ])
        .await
        .unwrap();
    let ids = ["link.weibo.taobao", "link.qq.taobao", "link.wechat.taobao"];
    let end = end_of_day(day(2030, 1, 1), SHANGHAI);
    let all = store.real_transitions_of_checks(&ids, end).await.unwrap();
    let seen: Vec<(&str, &str)> = all
        .iter()
        .map(|t| (t.check_id.as_str(), t.to_status.as_str()))
        .collect();
    // Oldest first, the late report in its place, the simulated one left out.
    assert_eq!(
        seen,
        [
            ("link.wechat.taobao", "token_only"),
            ("link.wechat.taobao", "warned"),
            ("link.qq.taobao", "open"),
            ("link.weibo.taobao", "blocked"),
            ("link.weibo.taobao", "open"),
        ]
    );
    let until = store
        .real_transitions_of_checks(&ids, at(day(2022, 1, 9)) - Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(until.len(), 4, "the 2022-01-09 change is after the date");
    assert!(
        store
            .real_transitions_of_checks(&[], end)
            .await
            .unwrap()
            .is_empty()
    );
    // More checks than one query takes.
    let many: Vec<String> = (0..1200).map(|i| format!("link.none.{i}")).collect();
    let mut many: Vec<&str> = many.iter().map(String::as_str).collect();
    many.push("link.weibo.taobao");
    assert_eq!(
        store
            .real_transitions_of_checks(&many, end)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn sqlite_real_transitions_of_checks() {
    let db = common::sqlite().await;
    real_transitions_story(&db.store).await;
}

#[tokio::test]
async fn postgres_real_transitions_of_checks() {
    let Some(db) = common::postgres().await else {
        return;
    };
    real_transitions_story(&db.store).await;
}

/// The digits right after `prefix` in `words`, as a number.
fn days_after(words: &str, prefix: &str) -> i64 {
    let start = words
        .find(prefix)
        .unwrap_or_else(|| panic!("no \"{prefix}\" in {words}"))
        + prefix.len();
    let digits: String = words[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after \"{prefix}\" in {words}"))
}

#[tokio::test]
async fn the_overview_and_the_requirement_page_count_the_same_days_since_the_deadline() {
    let app = TestApp::new().await;
    // Today (no date): the instant is now, not the end of a day, so a count of 24-hour
    // spans from the deadline (23:59 Beijing) falls one short of the calendar days.
    let overview = app.overview("").await;
    assert_eq!(overview.status, StatusCode::OK);
    let page = app.requirement_page(MIIT, "").await;
    assert_eq!(page.status, StatusCode::OK);
    let expected = (hutong::time::shanghai_day(Utc::now()) - day(2021, 9, 17)).num_days();

    let html = overview.html();
    let row = text(one(&html, &format!("article#req-{MIIT} dd strong")));
    assert_eq!(days_after(&row, "passed "), expected, "overview: {row}");

    let html = page.html();
    let standing = text(one(&html, "strong.passed"));
    assert_eq!(
        days_after(&standing, "passed "),
        expected,
        "page: {standing}"
    );
}
