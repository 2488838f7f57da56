//! Issue 12, sections 1 and 2: old evidence never reads as "now", milestones that state a
//! status are cited observations, and the regulator's figures name who did not comply and
//! keep unknown and stale apart.

use crate::common::{TestApp, real_catalog, sel, sqlite_with_catalog};
use scraper::Html;

/// The `.cell` around the cell link of check `id`.
fn cell<'a>(html: &'a Html, id: &str) -> scraper::ElementRef<'a> {
    let link = sel(&format!("a.cell-link[href^=\"/checks/{id}\"]"));
    let a = html
        .select(&link)
        .next()
        .unwrap_or_else(|| panic!("no cell for {id}"));
    scraper::ElementRef::wrap(a.parent().expect("a cell")).expect("an element")
}

fn status_of(html: &Html, id: &str) -> String {
    cell(html, id)
        .select(&sel(".status"))
        .next()
        .and_then(|s| s.value().attr("data-status"))
        .expect("data-status")
        .to_string()
}

fn is_stale(html: &Html, id: &str) -> bool {
    cell(html, id).value().classes().any(|c| c == "stale")
}

fn text(e: scraper::ElementRef<'_>) -> String {
    e.text().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn evidence_from_2021_is_fresh_at_its_date_and_stale_today() {
    let app = TestApp::new().await;
    // At the article's date the evidence is the news of the day.
    let then = app.links("at=2021-10-17").await.html();
    assert_eq!(status_of(&then, "link.wechat.douyin"), "token_only");
    assert!(!is_stale(&then, "link.wechat.douyin"));
    assert!(!text(cell(&then, "link.wechat.douyin")).contains("Stale"));

    // Today the same word is years old: said in words, marked for the pattern.
    let now = app.links("").await.html();
    assert_eq!(status_of(&now, "link.wechat.douyin"), "token_only");
    assert!(is_stale(&now, "link.wechat.douyin"));
    let words = text(cell(&now, "link.wechat.douyin"));
    assert!(
        words.contains("Stale: evidence") && words.contains("days old"),
        "{words}"
    );
    // Never observed is unknown, not stale.
    let unknown: Vec<_> = now
        .select(&sel("a.cell-link .status[data-status=unknown]"))
        .collect();
    assert!(!unknown.is_empty());
    for u in unknown {
        let c = scraper::ElementRef::wrap(u.parent().unwrap().parent().unwrap()).unwrap();
        assert!(!c.value().classes().any(|c| c == "stale"), "{}", c.html());
    }

    let zh = app.links("lang=zh-CN").await.html();
    let words = text(cell(&zh, "link.wechat.douyin"));
    assert!(words.contains("已过时"), "{words}");
}

#[tokio::test]
async fn the_stale_threshold_is_configurable() {
    let db = sqlite_with_catalog(&real_catalog()).await;
    // Twenty years: nothing Hutong holds is that old.
    let app = TestApp::builder(db).stale_after_days(7300).build();
    let now = app.links("").await.html();
    assert!(!is_stale(&now, "link.wechat.douyin"));
    let json = app.api_check("link.wechat.douyin", "").await.json();
    assert_eq!(json["state"]["stale"], false);
    assert_eq!(json["state"]["stale_after_days"], 7300);
}

#[tokio::test]
async fn the_api_flags_stale_evidence_with_its_age() {
    let app = TestApp::new().await;
    let then = app
        .api_check("link.wechat.douyin", "at=2021-10-17")
        .await
        .json();
    assert_eq!(then["state"]["stale"], false);
    assert_eq!(then["state"]["evidence_age_days"], 0);
    assert_eq!(then["state"]["stale_after_days"], 180);
    let last = then["state"]["last_evidence_at"].as_str().expect("a date");
    assert!(last.starts_with("2021-10-1"), "{last}");

    let now = app.api_check("link.wechat.douyin", "").await.json();
    assert_eq!(now["state"]["stale"], true);
    let age = now["state"]["evidence_age_days"].as_i64().expect("an age");
    assert!(age > 1800, "{age}");

    // Unknown has no age and is not stale.
    let matrix = app.api_matrix("kind=link").await.json();
    let cells = matrix["cells"].as_array().expect("cells");
    let unknown = cells
        .iter()
        .find(|c| c["state"]["status"] == "unknown")
        .expect("an unobserved check");
    assert_eq!(unknown["state"]["stale"], false);
    assert!(unknown["state"]["evidence_age_days"].is_null());
    assert!(cells.iter().any(|c| c["state"]["stale"] == true));
}

#[tokio::test]
async fn taobao_wechat_pay_follows_its_2024_milestone_as_a_cited_observation() {
    let app = TestApp::new().await;
    // 2021: the article's refusal stands.
    let then = app.payments("at=2021-10-17").await.html();
    assert_eq!(
        status_of(&then, "payment.taobao.wechat_pay"),
        "not_accepted"
    );
    // Today: the 2024 report that WeChat Pay is offered to all merchants is the latest word.
    let now = app.payments("").await.html();
    for id in ["payment.taobao.wechat_pay", "payment.tmall.wechat_pay"] {
        assert_eq!(status_of(&now, id), "accepted", "{id}");
        let words = text(cell(&now, id));
        assert!(words.contains("Global Times"), "{id}: {words}");
    }
    // The check page cites it, says the report's words are not held, and quotes nothing.
    let page = app.check_page("payment.taobao.wechat_pay", "").await;
    let html = page.html();
    let newest = html
        .select(&sel("table.history tbody tr"))
        .next()
        .expect("a history row");
    let row = text(newest);
    assert!(row.contains("Global Times"), "{row}");
    assert!(row.contains("does not hold this report's words"), "{row}");
    assert!(newest.select(&sel("blockquote")).next().is_none(), "{row}");
}

/// The digits of the first number in `s` ("overdue 1,900 days" → 1900).
fn first_number(s: &str) -> i64 {
    let digits: String = s
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number in {s}"))
}

/// The overview's evidence-age lines, one per openness figure, in page order.
fn evidence_lines(html: &Html) -> Vec<String> {
    let lines: Vec<String> = html
        .select(&sel("figure.openness .evidence-age"))
        .map(text)
        .collect();
    assert!(!lines.is_empty(), "no evidence-age lines");
    lines
}

#[tokio::test]
async fn overview_shares_say_how_many_checks_rest_on_stale_evidence() {
    let app = TestApp::new().await;
    // At the articles' date their evidence is fresh: nothing stale.
    let then = app.overview("at=2021-10-17").await.html();
    let lines = evidence_lines(&then);
    for line in &lines {
        assert!(line.contains(" 0 stale"), "{lines:?}");
    }

    // Today every real word is years old: counted as stale, and neither as current nor
    // as unknown; the last real evidence is dated.
    let now = app.overview("").await.html();
    let lines = evidence_lines(&now);
    let all = lines.join(" | ");
    assert!(
        all.contains(": 0 with evidence from the last 180 days"),
        "{all}"
    );
    assert!(all.contains("last real evidence 17 Oct 2021"), "{all}");
    assert!(
        all.contains("last real evidence 5 Sep 2024"),
        "payments: {all}"
    );
    // Each figure's table counts the stale ones per status, and they add up to the line's.
    for figure in now.select(&sel("figure.openness")) {
        let line = text(figure.select(&sel(".evidence-age")).next().expect("a line"));
        let stale: usize = figure
            .select(&sel("td.stale-count"))
            .map(|td| text(td).trim().parse::<usize>().expect("a count"))
            .sum();
        assert!(line.contains(&format!(" {stale} stale")), "{stale}: {line}");
        // The bar draws stale evidence as its own, hatched band.
        if stale > 0 {
            assert!(figure.select(&sel(".bar .seg.stale")).next().is_some());
        }
    }

    // The headline's share itself says how much of it rests on stale evidence: "10 of 11
    // observed checks at the open end: 91%" must not read as today's fact.
    // (The overview's "then" figures, at 16 Sep 2021, rest on fresh evidence: no such words.)
    let mut stale_figures = 0;
    for figure in now.select(&sel("figure.openness")) {
        let caption = text(figure.select(&sel("figcaption")).next().expect("a caption"));
        let age = text(figure.select(&sel(".evidence-age")).next().expect("a line"));
        let headline = caption.split(" — ").nth(1).unwrap_or_default();
        if age.contains(" 0 stale") {
            assert!(!headline.contains("days old"), "{headline}");
            continue;
        }
        stale_figures += 1;
        assert!(
            headline.contains("rest on evidence over 180 days old"),
            "{headline}"
        );
        // The bar's accessible name is the headline, with the same words.
        let bar = figure.select(&sel(".bar")).next().expect("a bar");
        assert!(
            bar.value()
                .attr("aria-label")
                .is_some_and(|l| l.contains("over 180 days old")),
            "{caption}"
        );
    }
    assert_eq!(stale_figures, 2, "links and payments, now");

    let zh = app.overview("lang=zh-CN").await.body;
    assert!(zh.contains("个证据已过时"), "Chinese words for stale");
    assert!(
        zh.contains("的证据已超过 180 天"),
        "the headline in Chinese"
    );
}

#[tokio::test]
async fn the_requirement_card_names_who_did_not_comply_with_the_page_s_day_count() {
    let app = TestApp::new().await;
    let overview = app.overview("").await.html();
    let card = overview
        .select(&sel("#req-miit-2021-link-unblocking"))
        .next()
        .expect("the link-unblocking card");
    let failing: Vec<String> = card.select(&sel("ul.failing li")).map(text).collect();
    let douyin = failing
        .iter()
        .find(|l| l.contains("WeChat × Douyin"))
        .unwrap_or_else(|| panic!("WeChat × Douyin not named: {failing:?}"));
    assert!(
        douyin.contains("Copy") || douyin.contains("token"),
        "{douyin}"
    );
    assert!(douyin.contains("overdue"), "{douyin}");
    assert!(douyin.contains("stale evidence"), "{douyin}");
    // Compliant checks are not named among the failing.
    assert!(
        !failing.iter().any(|l| l.contains("WeChat × JD")),
        "{failing:?}"
    );
    let overdue = first_number(&douyin[douyin.find("overdue").expect("overdue")..]);

    // The requirement page counts the same days for the same check.
    let page = app
        .requirement_page("miit-2021-link-unblocking", "")
        .await
        .html();
    let row = page
        .select(&sel("tr[data-check=\"link.wechat.douyin\"] td.late"))
        .next()
        .expect("the Douyin row");
    assert_eq!(first_number(&text(row)), overdue);

    let zh = app.overview("lang=zh-CN").await.html();
    let card = zh
        .select(&sel("#req-miit-2021-link-unblocking ul.failing"))
        .next()
        .expect("the card in Chinese");
    assert!(text(card).contains("已逾期"), "{}", text(card));
}

#[tokio::test]
async fn the_requirement_page_puts_who_did_not_comply_first_and_keeps_stale_and_unknown_apart() {
    let app = TestApp::new().await;
    let req = "miit-2021-link-unblocking";
    let page = app.requirement_page(req, "").await.html();
    let rows: Vec<_> = page.select(&sel("table.compliance tbody tr")).collect();
    assert_eq!(rows.len(), 9);
    assert_eq!(
        rows[0].value().attr("data-check"),
        Some("link.wechat.douyin"),
        "the one check out of compliance leads"
    );
    assert!(
        rows[1..]
            .iter()
            .all(|r| r.value().attr("data-outcome") != Some("never_compliant")),
    );
    // "Compliant since" repeated the outcome's words: gone.
    assert!(page.select(&sel("td.since")).next().is_none());
    let heads: Vec<String> = page
        .select(&sel("table.compliance thead th"))
        .map(text)
        .collect();
    assert!(
        !heads.iter().any(|h| h.contains("Compliant since")),
        "{heads:?}"
    );

    let figure = |html: &Html| {
        text(
            html.select(&sel("tr.fig-evidence td"))
                .next()
                .expect("the evidence figure"),
        )
    };
    let now = figure(&page);
    assert!(
        now.contains("9 checks: 0 with evidence from the last 180 days, 9 stale, 0 unknown"),
        "{now}"
    );
    assert!(now.contains("last real evidence 17 Oct 2021"), "{now}");
    let then = app.requirement_page(req, "at=2021-10-17").await.html();
    assert!(figure(&then).contains(", 0 stale,"), "{}", figure(&then));

    // The API says the same.
    let json = app.api_requirement(req, "").await.json();
    assert_eq!(json["evidence"]["fresh"], 0);
    assert_eq!(json["evidence"]["stale"], 9);
    assert_eq!(json["evidence"]["stale_after_days"], 180);
    let douyin = json["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check_id"] == "link.wechat.douyin")
        .expect("Douyin");
    assert_eq!(douyin["stale"], true);
    assert_eq!(
        app.api_requirement(req, "at=2021-10-17").await.json()["evidence"]["stale"],
        0
    );
}

#[tokio::test]
async fn check_pages_show_the_milestones_that_concern_them() {
    let app = TestApp::new().await;
    let page = app.check_page("payment.jd.alipay", "").await;
    let html = page.html();
    let section = html
        .select(&sel("section.check-milestones"))
        .next()
        .expect("a milestones section");
    let words = text(section);
    // NDRC's 2025 statement that JD will soon accept Alipay states no status: it stays a
    // milestone, shown here, and the check's status is not changed by it.
    assert!(
        words.contains("NDRC says JD will soon accept Alipay"),
        "{words}"
    );
    assert!(words.contains("国家发展和改革委员会"), "cited: {words}");
    let json = app.api_check("payment.jd.alipay", "").await.json();
    assert_ne!(json["state"]["status"], "accepted");

    // A check of another platform does not show it.
    let other = app.check_page("payment.meituan.alipay", "").await.html();
    let shown: String = other
        .select(&sel("section.check-milestones"))
        .map(text)
        .collect();
    assert!(!shown.contains("JD"), "{shown}");

    let zh = app.check_page("payment.jd.alipay", "lang=zh-CN").await.body;
    assert!(zh.contains("与此检查项有关的公开大事记"));
}
