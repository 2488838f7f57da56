//! The two interface languages through the real router: how a page's language is chosen,
//! the language switch, links that keep the language, and every page read in Chinese and
//! in English with no message missing.

use crate::common::{self, Reply, TestApp, observation, real_catalog, sel};
use axum::http::{StatusCode, header};
use chrono::{Duration, Utc};
use hutong::domain::ProbeFacts;
use hutong::probes::PackSummary;

fn pack() -> PackSummary {
    PackSummary {
        id: "wechat-links".into(),
        name_en: "WeChat links".into(),
        name_zh: "微信链接".into(),
        kind: "link".into(),
        version: 3,
        verified: false,
        simulated: false,
        enabled: true,
        scheduled: true,
        schedule: "0 17 */6 * * *".into(),
        confirmations: 2,
        checks: vec!["link.wechat.taobao".into()],
        file: "probes/wechat.toml".into(),
    }
}

/// The real catalog, one probe pack, and one failed probe observation (its id).
async fn app() -> (TestApp, i64) {
    let db = common::sqlite_with_catalog(&real_catalog()).await;
    let failed = observation(
        "link.wechat.taobao",
        Utc::now() - Duration::minutes(5),
        "unknown",
    )
    .probed()
    .evidence(serde_json::json!({
        "request_url": "https://bridge.example/?u=x",
        "hops": [{"url": "https://bridge.example/?u=x", "status": 403, "elapsed_ms": 12}],
        "status": 403,
        "excerpt": "<b>请完成安全验证</b>",
        "timings": {"total_ms": 40},
        "control": {"url": "https://item.taobao.com/", "status": 200, "ok": true},
    }))
    .pack(ProbeFacts {
        pack_id: "wechat-links".into(),
        rule_version: 3,
        confirmed: false,
        failure: Some("bot_challenge".into()),
        confirmations: 1,
        ..ProbeFacts::default()
    });
    let ids = db
        .store
        .insert_probe_results(&[], &[failed.build()])
        .await
        .expect("store probe result");
    (TestApp::builder(db).packs(vec![pack()]).build(), ids[0])
}

/// Every page of the dashboard, with the status it answers and a text it shows in Chinese
/// (beyond the navigation) that its English page does not.
fn pages(observation: i64) -> Vec<(String, StatusCode, &'static str, &'static str)> {
    vec![
        (
            "/?at=2021-10-17".into(),
            StatusCode::OK,
            "链接分享：过去与现在",
            "Link sharing: then and now",
        ),
        (
            "/links?at=2021-10-17".into(),
            StatusCode::OK,
            "状态（从最开放到最不开放）",
            "Statuses, most open first",
        ),
        (
            "/payments?at=2021-10-17".into(),
            StatusCode::OK,
            "来源说法不一",
            "Sources disagree",
        ),
        (
            "/qr?at=2021-10-17".into(),
            StatusCode::OK,
            "每个单元格是截至",
            "Each cell is the newest observation",
        ),
        (
            "/checks/link.wechat.taobao?at=2021-10-17".into(),
            StatusCode::OK,
            "全部观察记录",
            "Every observation",
        ),
        ("/platforms".into(), StatusCode::OK, "运营方", "Operator"),
        (
            "/platforms/wechat".into(),
            StatusCode::OK,
            "即时通讯",
            "messaging",
        ),
        (
            "/timeline?at=2021-12-31".into(),
            StatusCode::OK,
            "全部真实来源",
            "all real sources",
        ),
        (
            "/sources/cnbeta-2021-10-17".into(),
            StatusCode::OK,
            "取自该来源的事实",
            "facts taken from it",
        ),
        (
            "/probes".into(),
            StatusCode::OK,
            "接口尚未确认可用",
            "endpoints not confirmed live",
        ),
        (
            format!("/observations/{observation}"),
            StatusCode::OK,
            "反爬虫验证",
            "anti-bot check",
        ),
        (
            "/nowhere".into(),
            StatusCode::NOT_FOUND,
            "没有这个页面",
            "There is no page at",
        ),
        (
            "/checks/link.wechat.nowhere".into(),
            StatusCode::NOT_FOUND,
            "没有检查项",
            "there is no check",
        ),
        (
            "/links?at=2021-02-30".into(),
            StatusCode::BAD_REQUEST,
            "不是真实存在的日期",
            "is not a real calendar date",
        ),
        (
            "/timeline?kind=rumour".into(),
            StatusCode::BAD_REQUEST,
            "不是以下取值之一",
            "is not one of",
        ),
        (
            "/observations/x".into(),
            StatusCode::BAD_REQUEST,
            "不是观察记录编号",
            "is not an observation number",
        ),
    ]
}

fn with_lang(uri: &str, lang: &str) -> String {
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}lang={lang}")
}

#[tokio::test]
async fn every_page_reads_in_chinese_and_in_english_with_no_message_missing() {
    let (app, observation) = app().await;
    for (uri, status, zh_text, en_text) in pages(observation) {
        let zh = app.get(with_lang(&uri, "zh-CN")).await;
        assert_eq!(zh.status, status, "{uri} in Chinese");
        assert!(
            !zh.body.contains('⟦'),
            "{uri}: a message is missing in zh-CN"
        );
        assert_eq!(zh.html_lang(), "zh-CN", "{uri}");
        assert!(
            zh.body.contains(zh_text),
            "{uri} in Chinese shows {zh_text}"
        );
        assert!(
            !zh.body.contains(en_text),
            "{uri} in Chinese still says {en_text}"
        );
        let doc = zh.html();
        let nav: Vec<String> = doc
            .select(&sel("header nav:not(.lang) a"))
            .map(|a| a.text().collect())
            .collect();
        assert_eq!(
            nav,
            [
                "概览",
                "链接",
                "支付",
                "扫码互认",
                "时间线",
                "监管要求",
                "平台",
                "探针"
            ],
            "{uri}"
        );
        for english in [
            "Skip to content",
            "Show the state as of",
            "Back to the overview",
        ] {
            assert!(
                !zh.body.contains(english),
                "{uri} in Chinese says {english}"
            );
        }

        let en = app.get(with_lang(&uri, "en")).await;
        assert_eq!(en.status, status, "{uri} in English");
        assert!(!en.body.contains('⟦'), "{uri}: a message is missing in en");
        assert_eq!(en.html_lang(), "en", "{uri}");
        assert!(
            en.body.contains(en_text),
            "{uri} in English shows {en_text}"
        );
        assert!(
            !en.body.contains(zh_text),
            "{uri} in English says {zh_text}"
        );
        assert!(en.body.contains(">Overview</a>"), "{uri}");

        // Without any hint the page is English, as it always was.
        let default = app.get(&uri).await;
        assert_eq!(default.html_lang(), "en", "{uri}");
        assert!(default.body.contains(en_text), "{uri} by default");
    }
}

#[tokio::test]
async fn dates_are_written_in_the_pages_language_and_kept_iso_for_machines() {
    let (app, _) = app().await;
    let zh = app.links("at=2021-10-17&lang=zh-CN").await;
    assert!(
        zh.body.contains("截至 2021年10月17日"),
        "the date at the top"
    );
    let doc = zh.html();
    assert!(
        doc.select(&sel("form.asof input[name=at][value=\"2021-10-17\"]"))
            .next()
            .is_some(),
        "the date form keeps its ISO value"
    );
    let cell = doc
        .select(&sel("a.cell-link[href^=\"/checks/link.wechat.taobao\"]"))
        .next()
        .expect("WeChat × Taobao cell");
    let cell = scraper::ElementRef::wrap(cell.parent().expect("cell")).expect("element");
    let text: String = cell.text().collect();
    assert!(
        text.contains("提示后打开"),
        "status in Chinese first: {text}"
    );
    assert!(text.contains("cnBeta，2021年10月17日"), "{text}");
    let timeline = app.timeline("at=2021-12-31&lang=zh-CN").await;
    let doc = timeline.html();
    let first = doc.select(&sel("li.entry time")).next().expect("an entry");
    assert_eq!(first.value().attr("datetime"), Some("2021-12-02"));
    assert_eq!(first.text().collect::<String>(), "2021年12月2日");
    // The API stays language-neutral: ISO dates, whatever the reader's language.
    let api = app
        .api_timeline("at=2021-12-31")
        .headers(&[("accept-language", "zh-CN"), ("cookie", "lang=zh-CN")])
        .await;
    assert_eq!(api.status, StatusCode::OK);
    assert!(api.body.contains("\"when\":\"2021-12-02\""), "{}", api.body);
}

#[tokio::test]
async fn the_language_comes_from_the_url_then_the_cookie_then_the_browser() {
    let (app, _) = app().await;
    let lang = |reply: &Reply| reply.html_lang();

    // Accept-Language alone, with weights and order.
    let r = app
        .links("")
        .header("accept-language", "zh-CN,zh;q=0.9,en;q=0.8")
        .await;
    assert_eq!(lang(&r), "zh-CN");
    let r = app
        .links("")
        .header("accept-language", "en;q=0.4, zh-TW;q=0.9")
        .await;
    assert_eq!(lang(&r), "zh-CN", "a higher weight wins over order");
    let r = app
        .links("")
        .header("accept-language", "zh;q=0, en;q=0.1")
        .await;
    assert_eq!(lang(&r), "en", "q=0 refuses a language");
    let r = app
        .links("")
        .header("accept-language", "fr-FR, de;q=0.9")
        .await;
    assert_eq!(
        lang(&r),
        "en",
        "languages the site lacks fall back to English"
    );
    let r = app
        .links("")
        .header("accept-language", "fr, zh-HK;q=0.5")
        .await;
    assert_eq!(lang(&r), "zh-CN", "zh-* is Chinese");

    // The cookie beats the browser; a cookie for a language the site lacks is ignored.
    let r = app
        .links("")
        .headers(&[
            ("accept-language", "zh-CN"),
            ("cookie", "theme=dark; lang=en"),
        ])
        .await;
    assert_eq!(lang(&r), "en");
    let r = app
        .links("")
        .headers(&[("accept-language", "zh-CN"), ("cookie", "lang=fr")])
        .await;
    assert_eq!(lang(&r), "zh-CN");
    assert!(
        r.header_values(header::SET_COOKIE).is_empty(),
        "no ?lang=, no cookie set"
    );

    // ?lang= beats both, and is remembered.
    let r = app
        .links("lang=zh")
        .headers(&[("accept-language", "en"), ("cookie", "lang=en")])
        .await;
    assert_eq!(lang(&r), "zh-CN");
    assert_eq!(
        r.header_values(header::SET_COOKIE),
        ["lang=zh-CN; Path=/; Max-Age=31536000; SameSite=Lax"]
    );
    let r = app.links("lang=en").header("cookie", "lang=zh-CN").await;
    assert_eq!(lang(&r), "en");
    assert_eq!(
        r.header_values(header::SET_COOKIE),
        ["lang=en; Path=/; Max-Age=31536000; SameSite=Lax"]
    );

    // Pages say what they depend on; the JSON API does not depend on the language.
    assert_eq!(r.header_values(header::VARY), ["Accept-Language, Cookie"]);
    let api = app.api_platforms("lang=fr").await;
    assert_eq!(api.status, StatusCode::OK, "the API ignores lang");
    assert!(api.header_values(header::VARY).is_empty());
    assert!(api.header_values(header::SET_COOKIE).is_empty());
}

#[tokio::test]
async fn a_wrong_lang_is_a_400_that_names_it() {
    let (app, _) = app().await;
    let r = app.links("lang=fr&at=2021-10-17").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let doc = r.html();
    let alert: String = doc
        .select(&sel("p.alert"))
        .next()
        .expect("the error")
        .text()
        .collect();
    assert!(
        alert.contains("lang") && alert.contains("\"fr\"") && alert.contains("en, zh-CN"),
        "{alert}"
    );
    assert!(r.header_values(header::SET_COOKIE).is_empty());
    // Its language switch offers the same page with a language the site has.
    assert!(
        doc.select(&sel(
            "nav.lang a[hreflang=zh-CN][href=\"/links?at=2021-10-17&lang=zh-CN\"]"
        ))
        .next()
        .is_some(),
        "{}",
        r.body
    );
    // Said in the language the reader would otherwise get, still naming the parameter.
    let zh = app
        .links("lang=klingon")
        .header("accept-language", "zh-CN")
        .await;
    assert_eq!(zh.status, StatusCode::BAD_REQUEST);
    assert_eq!(zh.html_lang(), "zh-CN");
    assert!(
        zh.body.contains("lang：“klingon”不是本站的语言"),
        "{}",
        zh.body
    );
    assert!(!zh.body.contains('⟦'));
}

#[tokio::test]
async fn the_language_switch_keeps_every_other_parameter() {
    let (app, _) = app().await;
    let r = app
        .timeline("at=2021-12-31&platform=douyin&kind=link&lang=zh-CN")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.html();
    let nav = doc
        .select(&sel("nav.lang"))
        .next()
        .expect("the language switch");
    assert_eq!(nav.value().attr("aria-label"), Some("语言"));
    let links: Vec<(String, String, String, String)> = nav
        .select(&sel("a"))
        .map(|a| {
            let v = a.value();
            (
                v.attr("hreflang").unwrap_or_default().to_string(),
                v.attr("lang").unwrap_or_default().to_string(),
                v.attr("href").unwrap_or_default().to_string(),
                a.text().collect(),
            )
        })
        .collect();
    assert_eq!(
        links,
        [
            (
                "en".to_string(),
                "en".to_string(),
                "/timeline?platform=douyin&kind=link&at=2021-12-31&lang=en".to_string(),
                "English".to_string()
            ),
            (
                "zh-CN".to_string(),
                "zh-CN".to_string(),
                "/timeline?platform=douyin&kind=link&at=2021-12-31&lang=zh-CN".to_string(),
                "中文".to_string()
            ),
        ]
    );
    // Following the English link shows the same filtered page in English.
    let en = app.get(&links[0].2).await;
    assert_eq!(en.html_lang(), "en");
    let doc = en.html();
    assert!(
        doc.select(&sel("select[name=platform] option[value=douyin][selected]"))
            .next()
            .is_some()
    );

    // The overview's `then` and a check's history page survive too.
    let r = app.overview("at=2021-10-17&then=2021-09-01").await;
    let doc = r.html();
    assert!(
        doc.select(&sel(
            "nav.lang a[hreflang=zh-CN][href=\"/?then=2021-09-01&at=2021-10-17&lang=zh-CN\"]"
        ))
        .next()
        .is_some(),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn internal_links_and_forms_keep_the_language() {
    let (app, observation) = app().await;
    for uri in [
        "/?at=2021-10-17&lang=zh-CN".to_string(),
        "/links?at=2021-10-17&lang=zh-CN".to_string(),
        "/payments?lang=zh-CN".to_string(),
        "/checks/payment.meituan.alipay?at=2021-10-17&lang=zh-CN".to_string(),
        "/platforms?lang=zh-CN".to_string(),
        "/platforms/taobao?lang=zh-CN".to_string(),
        "/timeline?at=2021-12-31&lang=zh-CN".to_string(),
        "/sources/cnbeta-2021-10-17?lang=zh-CN".to_string(),
        format!("/observations/{observation}?lang=zh-CN"),
        "/nowhere?lang=zh-CN".to_string(),
    ] {
        let r = app.get(&uri).await;
        let doc = r.html();
        let mut internal = 0;
        // The language switch's links change the language on purpose.
        for a in doc.select(&sel("a[href^=\"/\"]:not([hreflang])")) {
            let href = a.value().attr("href").unwrap_or_default();
            // The JSON API and the dataset archive are language-neutral; a raw page is a
            // download.
            if href.starts_with("/api/") || href.ends_with("/snapshot") || href == "/dataset.zip" {
                continue;
            }
            internal += 1;
            assert!(
                href.contains("lang=zh-CN"),
                "{uri}: {href} loses the language"
            );
        }
        assert!(internal >= 8, "{uri}: {internal} links");
        for form in doc.select(&sel("form[method=get]")) {
            assert!(
                form.select(&sel("input[type=hidden][name=lang][value=zh-CN]"))
                    .next()
                    .is_some(),
                "{uri}: a form loses the language"
            );
        }
    }
}
