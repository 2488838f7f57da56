//! The platform simulator, driven over real HTTP as a proxy (the way probes reach it) and
//! in-process through its router.

use crate::common::sel;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use hutong::simulator::{INTERNAL_SECRET, LinkState, RunningSimulator, Simulator, Timetable};
use scraper::Html;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tower::ServiceExt;

async fn start(timetable: Timetable) -> (Simulator, RunningSimulator, reqwest::Client) {
    let sim = Simulator::new(timetable);
    let running = sim
        .start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("simulator starts");
    let client = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(format!("http://{}", running.addr)).expect("proxy"))
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    (sim, running, client)
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    content_type: Option<String>,
    body: Vec<u8>,
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

async fn get(client: &reqwest::Client, url: &str) -> Answer {
    let response = client.get(url).send().await.expect("request");
    let header = |name: header::HeaderName| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_string())
    };
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
    let location = header(header::LOCATION);
    let content_type = header(header::CONTENT_TYPE);
    let body = response.bytes().await.expect("body").to_vec();
    Answer {
        status,
        location,
        content_type,
        body,
    }
}

/// One request through the router, with the given `Host`.
async fn oneshot(
    sim: &Simulator,
    host: Option<&str>,
    uri: &str,
) -> (StatusCode, Vec<(String, String)>, Vec<u8>) {
    let mut request = Request::builder().uri(uri);
    if let Some(host) = host {
        request = request.header(header::HOST, host);
    }
    let response = sim
        .router()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The JSON object of `var cgiData = {…};`, as written (URLs still entity-escaped).
fn cgi_data(page: &str) -> serde_json::Value {
    let at = page.find("var cgiData = ").expect("cgiData in the page") + "var cgiData = ".len();
    serde_json::Deserializer::from_str(&page[at..])
        .into_iter::<serde_json::Value>()
        .next()
        .expect("a JSON value")
        .expect("valid JSON")
}

fn assert_simulated(page: &str) {
    assert!(
        page.contains("模拟 / SIMULATED"),
        "no visible simulated line"
    );
    assert!(page.contains("<meta name=\"generator\" content=\"hutong-simulator\">"));
}

const SHOP_ITEM: &str = "http://shop.simshop.test/item/1?from=share&spm=a1";

#[tokio::test]
async fn simchat_bridge_answers_each_link_state() {
    let (sim, _running, client) = start(Timetable::Fixed).await;
    let bridge = format!(
        "http://bridge.simchat.test/wapredirect?url={}",
        enc(SHOP_ITEM)
    );

    sim.set_link("simchat", "simshop", LinkState::Open);
    let a = get(&client, &bridge).await;
    assert_eq!(a.status, StatusCode::FOUND);
    assert_eq!(a.location.as_deref(), Some(SHOP_ITEM));

    for (state, kind, heading) in [
        (LinkState::Blocked, "block", "已停止访问该网页"),
        (LinkState::Warned, "gray", "将要访问"),
        (
            LinkState::TokenOnly,
            "empty",
            "如需浏览，请长按网址复制后使用浏览器访问",
        ),
    ] {
        sim.set_link("simchat", "simshop", state);
        assert_eq!(sim.link_state("simchat", "simshop"), state);
        let a = get(&client, &bridge).await;
        assert_eq!(a.status, StatusCode::FOUND, "{state}");
        let location = a.location.expect("Location");
        assert!(
            location
                .starts_with("http://safety.simchat.test/cgi-bin/newredirectconfirmcgi?main_type="),
            "{location}"
        );
        assert!(
            location.ends_with(
                "&url=http%3A%2F%2Fshop.simshop.test%2Fitem%2F1%3Ffrom%3Dshare%26spm%3Da1"
            ),
            "{location}"
        );

        let page = get(&client, &location).await;
        assert_eq!(page.status, StatusCode::OK);
        let text = page.text();
        assert_simulated(&text);
        let cgi = cgi_data(&text);
        assert_eq!(cgi["type"], kind, "{state}");
        let url = cgi["url"].as_str().unwrap();
        assert!(
            url.contains("from=share&amp;spm=a1"),
            "entity-escaped like WeChat: {url}"
        );
        let html = Html::parse_document(&text);
        let title: String = html
            .select(&sel("h2.weui-msg__title"))
            .next()
            .expect("heading")
            .text()
            .collect();
        assert_eq!(title, heading);
        // The wording of every type is in the page: only cgiData tells them apart.
        assert!(text.contains("已停止访问该网页") && text.contains("将要访问"));
        match state {
            LinkState::Blocked => assert!(html.select(&sel("a#js_appeal")).next().is_some()),
            LinkState::Warned => {
                assert!(text.contains("非微信官方网页，请确认是否继续访问"));
                let cont = html.select(&sel("a#js_continue")).next().expect("继续访问");
                assert_eq!(cont.text().collect::<String>(), "继续访问");
                assert_eq!(cont.value().attr("href"), Some(SHOP_ITEM));
            }
            _ => assert!(html.select(&sel("a#js_continue")).next().is_none()),
        }
    }
}

#[tokio::test]
async fn the_interstitial_decides_by_the_current_state_not_the_query() {
    let (sim, _running, client) = start(Timetable::Fixed).await;
    let item = "http://video.simvideo.test/v/9";
    // main_type=1 claims "block"; the state is warned.
    sim.set_link("simchat", "simvideo", LinkState::Warned);
    let url = format!(
        "http://safety.simchat.test/cgi-bin/newredirectconfirmcgi?main_type=1&type=block&url={}",
        enc(item)
    );
    let page = get(&client, &url).await;
    assert_eq!(cgi_data(&page.text())["type"], "gray");
    // Opened since: the interstitial lets the user through.
    sim.set_link("simchat", "simvideo", LinkState::Open);
    let a = get(&client, &url).await;
    assert_eq!(a.status, StatusCode::FOUND);
    assert_eq!(a.location.as_deref(), Some(item));
}

#[tokio::test]
async fn simtalk_bridge_answers_each_link_state() {
    let (sim, _running, client) = start(Timetable::Fixed).await;
    let item = "http://news.simnews.test/a/7";
    let bridge = format!("http://c.simtalk.test/middlem.html?pfurl={}", enc(item));

    sim.set_link("simtalk", "simnews", LinkState::Open);
    let a = get(&client, &bridge).await;
    assert_eq!(
        (a.status, a.location.as_deref()),
        (StatusCode::FOUND, Some(item))
    );

    sim.set_link("simtalk", "simnews", LinkState::Warned);
    let a = get(&client, &bridge).await;
    assert_eq!(a.status, StatusCode::OK);
    let text = a.text();
    assert_simulated(&text);
    assert!(text.contains("当前网页非官方页面"));
    let html = Html::parse_document(&text);
    let cont = html
        .select(&sel("a#continue"))
        .next()
        .expect("continue link");
    assert_eq!(cont.value().attr("href"), Some(item));

    sim.set_link("simtalk", "simnews", LinkState::TokenOnly);
    let a = get(&client, &bridge).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text().contains("请复制链接到浏览器打开"));
    assert!(!a.text().contains("当前网页非官方页面"));

    sim.set_link("simtalk", "simnews", LinkState::Blocked);
    let a = get(&client, &bridge).await;
    assert_eq!(a.status, StatusCode::FOUND);
    let location = a.location.unwrap();
    assert_eq!(
        location,
        "http://c.simtalk.test/pc.html?url=http%3A%2F%2Fnews.simnews.test%2Fa%2F7"
    );
    let page = get(&client, &location).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = Html::parse_document(&page.text());
    let h1: String = html
        .select(&sel("h1.title"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert_eq!(h1, "已停止访问该网页");
}

#[tokio::test]
async fn fixed_states_stay_and_differ_across_links() {
    let sim = Simulator::new(Timetable::Fixed);
    let before: Vec<LinkState> = ["simshop", "simvideo", "simnews"]
        .iter()
        .flat_map(|t| ["simchat", "simtalk"].map(|a| sim.link_state(a, t)))
        .collect();
    let states: HashSet<_> = before.iter().collect();
    assert!(states.len() >= 3, "a varied starting picture: {before:?}");
    assert_eq!(sim.link_state("simchat", "simshop"), LinkState::Warned);
    assert_eq!(
        sim.cashier("simshop"),
        (vec!["alipay".to_string()], Some("alipay".to_string()))
    );
    tokio::time::sleep(Duration::from_millis(30)).await;
    let after: Vec<LinkState> = ["simshop", "simvideo", "simnews"]
        .iter()
        .flat_map(|t| ["simchat", "simtalk"].map(|a| sim.link_state(a, t)))
        .collect();
    assert_eq!(before, after);
}

#[tokio::test]
async fn a_rotating_timetable_walks_through_every_state_and_pins_override_it() {
    let period = Duration::from_millis(50);
    let (sim, _running, client) = start(Timetable::Rotating { period }).await;
    sim.set_link("simtalk", "simshop", LinkState::Blocked);
    let bridge = format!(
        "http://bridge.simchat.test/wapredirect?url={}",
        enc(SHOP_ITEM)
    );

    let mut seen = HashSet::new();
    let mut seen_over_http = HashSet::new();
    let mut cashiers = HashSet::new();
    let mut out_of_step = false;
    let started = Instant::now();
    while started.elapsed() < Duration::from_millis(1500) {
        seen.insert(sim.link_state("simchat", "simshop"));
        cashiers.insert(sim.cashier("simvideo"));
        if sim.link_state("simchat", "simshop") != sim.link_state("simchat", "simvideo") {
            out_of_step = true;
        }
        let a = get(&client, &bridge).await;
        seen_over_http.insert(a.location.map(|l| l.starts_with(SHOP_ITEM)));
        assert_eq!(
            sim.link_state("simtalk", "simshop"),
            LinkState::Blocked,
            "pinned"
        );
        tokio::time::sleep(Duration::from_millis(7)).await;
    }
    assert_eq!(seen.len(), 4, "all four states in turn: {seen:?}");
    assert!(cashiers.len() >= 3, "cashier phases change: {cashiers:?}");
    assert!(out_of_step, "links do not change in lockstep");
    assert!(
        seen_over_http.contains(&Some(true)) && seen_over_http.contains(&Some(false)),
        "the bridge follows the timetable"
    );

    // A pin holds a cashier too.
    sim.set_cashier("simvideo", &["ecny"], None);
    tokio::time::sleep(period * 3).await;
    assert_eq!(sim.cashier("simvideo"), (vec!["ecny".to_string()], None));
}

#[tokio::test]
async fn a_rotating_state_changes_after_one_period() {
    let period = Duration::from_millis(100);
    let sim = Simulator::new(Timetable::Rotating { period });
    let position = |s: LinkState| LinkState::ALL.iter().position(|x| *x == s).unwrap();
    // Waiting one period moves the state one step (two if the wait overshoots a little).
    // A badly overloaded machine may oversleep: try again rather than judge.
    for _ in 0..10 {
        let t0 = Instant::now();
        let before = sim.link_state("simchat", "simnews");
        tokio::time::sleep(period).await;
        let after = sim.link_state("simchat", "simnews");
        if t0.elapsed() < period + period / 2 {
            let steps = (position(after) + 4 - position(before)) % 4;
            assert!(steps == 1 || steps == 2, "{before} -> {after}");
            return;
        }
    }
    panic!("could not sleep for about one period");
}

#[tokio::test]
async fn target_pages_are_padded_deterministic_and_the_news_is_gbk() {
    let (_sim, _running, client) = start(Timetable::Fixed).await;
    let shop = get(&client, "http://shop.simshop.test/item/42").await;
    assert_eq!(shop.status, StatusCode::OK);
    assert_eq!(
        shop.content_type.as_deref(),
        Some("text/html; charset=utf-8")
    );
    let n = shop.body.len();
    assert!((30 * 1024..34 * 1024).contains(&n), "about 30 KiB: {n}");
    let text = shop.text();
    assert_simulated(&text);
    assert!(text.contains("￥") && text.contains("class=\"rate-item\""));
    assert_eq!(
        get(&client, "http://shop.simshop.test/item/42").await.body,
        shop.body
    );

    let video = get(&client, "http://video.simvideo.test/v/3?kb=100").await;
    let n = video.body.len();
    assert!((100 * 1024..104 * 1024).contains(&n), "about 100 KiB: {n}");
    assert!(video.text().contains("模拟视频"));

    let news = get(&client, "http://news.simnews.test/a/5?kb=50").await;
    assert_eq!(news.status, StatusCode::OK);
    assert_eq!(news.content_type.as_deref(), Some("text/html"));
    assert!(std::str::from_utf8(&news.body).is_err(), "not UTF-8");
    let n = news.body.len();
    assert!((50 * 1024..54 * 1024).contains(&n), "about 50 KiB: {n}");
    let (decoded, _, had_errors) = encoding_rs::GBK.decode(&news.body);
    assert!(!had_errors);
    assert!(
        decoded.contains("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gbk\">")
    );
    assert!(decoded.contains("模拟新闻") && decoded.contains("本报讯"));
    assert_simulated(&decoded);

    for url in [
        "http://shop.simshop.test/",
        "http://shop.simshop.test/item/",
        "http://video.simvideo.test/item/1",
    ] {
        assert_eq!(
            get(&client, url).await.status,
            StatusCode::NOT_FOUND,
            "{url}"
        );
    }
    assert_eq!(
        get(&client, "http://shop.simshop.test/item/1?kb=lots")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn cashiers_list_methods_like_real_ones() {
    let (sim, _running, client) = start(Timetable::Fixed).await;
    sim.set_cashier(
        "simshop",
        &[
            "alipay",
            "wechat_pay",
            "unionpay",
            "ecny",
            "apple_pay",
            "jd_pay",
            "qq_wallet",
        ],
        Some("wechat_pay"),
    );
    let a = get(&client, "http://pay.simshop.test/cashier").await;
    assert_eq!(a.status, StatusCode::OK);
    let text = a.text();
    assert_simulated(&text);
    let html = Html::parse_document(&text);
    assert!(html.select(&sel("form#cashier")).next().is_some());
    let options: Vec<_> = html.select(&sel("ul.pay-list > li")).collect();
    assert_eq!(options.len(), 7);
    let alts: Vec<&str> = html
        .select(&sel("ul.pay-list > li img"))
        .filter_map(|i| i.value().attr("alt"))
        .collect();
    assert_eq!(alts, ["支付宝", "微信支付", "QQ钱包"]);
    assert!(
        html.select(&sel("li#ALI_PAY.paybox-alipay"))
            .next()
            .is_some()
    );
    assert!(
        html.select(&sel("li#weixin[data-method=WX_JSAPI]"))
            .next()
            .is_some()
    );
    assert!(
        html.select(&sel("li.paybox-ysf input[value=upacp]"))
            .next()
            .is_some()
    );
    assert!(text.contains("数字人民币") && text.contains("Apple Pay") && text.contains("京东支付"));
    let checked: Vec<_> = html.select(&sel("form#cashier [checked]")).collect();
    assert_eq!(checked.len(), 1, "exactly one pre-selected");
    let selected: Vec<_> = html.select(&sel("ul.pay-list > li.selected")).collect();
    assert_eq!(selected.len(), 1);
    assert_eq!(selected[0].value().id(), Some("weixin"));
    assert!(selected[0].select(&sel("input[checked]")).next().is_some());
    // The decoy is on the form but outside the list of methods.
    assert!(html.select(&sel("form#cashier li.coupon")).next().is_some());
    assert!(html.select(&sel("ul.pay-list li.coupon")).next().is_none());

    // Nothing pre-selected.
    sim.set_cashier("simshop", &["alipay", "unionpay"], None);
    let html = Html::parse_document(&get(&client, "http://pay.simshop.test/cashier").await.text());
    assert_eq!(html.select(&sel("ul.pay-list > li")).count(), 2);
    assert_eq!(html.select(&sel("[checked], .selected")).count(), 0);

    // SimVideo's cashier is GBK; its starting phase pre-selects WeChat Pay.
    let a = get(&client, "http://pay.simvideo.test/cashier").await;
    assert_eq!(a.content_type.as_deref(), Some("text/html; charset=GBK"));
    let (decoded, _, had_errors) = encoding_rs::GBK.decode(&a.body);
    assert!(!had_errors);
    let html = Html::parse_document(&decoded);
    let names: Vec<String> = html
        .select(&sel("ul.pay-list > li"))
        .map(|li| li.text().collect::<String>())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(
        names[0].contains("微信支付") && names[1].contains("支付宝") && names[2].contains("云闪付")
    );
    let chosen = html
        .select(&sel("ul.pay-list > li.selected"))
        .next()
        .unwrap();
    assert_eq!(chosen.value().id(), Some("weixin"));
    assert_eq!(
        sim.cashier("simvideo"),
        (
            vec![
                "wechat_pay".to_string(),
                "alipay".to_string(),
                "unionpay".to_string()
            ],
            Some("wechat_pay".to_string())
        )
    );
}

#[tokio::test]
async fn the_lab_serves_hostile_answers() {
    let (sim, running, client) = start(Timetable::Fixed).await;

    let a = get(&client, "http://lab.sim.test/huge?mb=3").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body.len(), 3 * 1024 * 1024);
    assert!(a.body.starts_with(b"<!DOCTYPE html>"));

    let a = get(&client, "http://lab.sim.test/loop").await;
    assert_eq!(a.status, StatusCode::FOUND);
    assert_eq!(a.location.as_deref(), Some("http://lab.sim.test/loop2"));
    let b = get(&client, "http://lab.sim.test/loop2").await;
    assert_eq!(b.location.as_deref(), Some("http://lab.sim.test/loop"));
    let following = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(format!("http://{}", running.addr)).unwrap())
        .build()
        .unwrap();
    let err = following
        .get("http://lab.sim.test/loop")
        .send()
        .await
        .unwrap_err();
    assert!(err.is_redirect(), "{err}");

    let t = Instant::now();
    let a = get(&client, "http://lab.sim.test/slow?ms=150").await;
    assert!(t.elapsed() >= Duration::from_millis(150));
    assert_eq!(a.status, StatusCode::OK);

    let t = Instant::now();
    let a = get(&client, "http://lab.sim.test/dribble?ms=30&n=6").await;
    assert!(t.elapsed() >= Duration::from_millis(150));
    assert!(a.text().ends_with("</html>\n"));

    let a = get(&client, "http://lab.sim.test/challenge").await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.text().contains("验证码"));
    let a = get(&client, "http://lab.sim.test/captcha").await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.text().contains("滑动验证"));
    assert_eq!(
        get(&client, "http://lab.sim.test/down").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );

    let a = get(&client, "http://lab.sim.test/malformed").await;
    assert!(a.body.contains(&0) && std::str::from_utf8(&a.body).is_err());

    // Deep nesting, sized on request; NUL bytes in the page's words and elsewhere.
    let a = get(&client, "http://lab.sim.test/deep?n=1000&tag=b").await;
    let text = a.text();
    assert_eq!(text.matches("<b id=").count(), 1000);
    assert!(text.contains("<h1>深层嵌套</h1>") && text.contains("最深处"));
    let a = get(&client, "http://lab.sim.test/deep").await;
    assert_eq!(a.text().matches("<div>").count(), 40_000);
    for bad in ["n=lots", "tag=table", "tag=%FF"] {
        let a = get(&client, &format!("http://lab.sim.test/deep?{bad}")).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let a = get(&client, "http://lab.sim.test/nul").await;
    assert_eq!(a.body.iter().filter(|b| **b == 0).count(), 6);
    assert!(a.text().contains("已停止访问该网页\0（页面含 NUL 字节）"));
    assert!(a.text().contains("<title>含\0NUL 的页面</title>"));

    let a = get(&client, "http://lab.sim.test/script").await;
    let text = a.text();
    assert!(
        text.contains(
            "已停止访问该网页<script>alert(\"xss\")</script><img src=x onerror=alert(1)>"
        )
    );

    for url in [
        "http://lab.sim.test/fake-block",
        "http://fake.simscam.test/",
    ] {
        let a = get(&client, url).await;
        assert_eq!(a.status, StatusCode::OK);
        assert!(a.text().contains("已停止访问该网页"));
        assert_simulated(&a.text());
    }
    // Shared through SimChat, the look-alike opens: only its own page says "blocked".
    let a = get(
        &client,
        &format!(
            "http://bridge.simchat.test/wapredirect?url={}",
            enc("http://fake.simscam.test/")
        ),
    )
    .await;
    assert_eq!(a.location.as_deref(), Some("http://fake.simscam.test/"));

    let a = get(&client, "http://lab.sim.test/bench?kb=10").await;
    assert_eq!(a.body.len(), 10 * 1024);
    assert_simulated(&a.text());
    assert_eq!(
        get(&client, "http://lab.sim.test/bench?kb=10").await.body,
        a.body
    );

    // Broken gzip, seen raw through the router (a decompressing client fails on it).
    let (status, headers, body) = oneshot(&sim, Some("lab.sim.test"), "/gzip-broken").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-encoding" && v == "gzip")
    );
    assert!(body.starts_with(&[0x1f, 0x8b]));
    let decompressing = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(format!("http://{}", running.addr)).unwrap())
        .build()
        .unwrap();
    let r = decompressing
        .get("http://lab.sim.test/gzip-broken")
        .send()
        .await
        .unwrap();
    assert!(r.bytes().await.is_err());

    assert!(sim.requests_served() >= 20);
}

#[tokio::test]
async fn odd_requests_get_error_pages_not_panics() {
    let (sim, running, client) = start(Timetable::Fixed).await;
    let a = get(&client, "http://nowhere.test/").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_simulated(&a.text());
    assert_eq!(
        get(&client, "http://lab.sim.test/nothing").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&client, "http://bridge.simchat.test/other")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    for query in [
        "url=%ZZ",
        "url=http%3A%2F%2Fshop.simshop.test%2Fitem%2F%E4%B8",
        "url=%",
        "url=",
        "",
        "url=not%20a%20url",
        "url=http%3A%2F%2Fexample.com%2F",
        "url=ftp%3A%2F%2Fshop.simshop.test%2F",
    ] {
        let a = get(
            &client,
            &format!("http://bridge.simchat.test/wapredirect?{query}"),
        )
        .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{query}");
        let a = get(
            &client,
            &format!("http://c.simtalk.test/middlem.html?p{query}"),
        )
        .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "p{query}");
        let a = get(
            &client,
            &format!("http://safety.simchat.test/cgi-bin/newredirectconfirmcgi?{query}"),
        )
        .await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{query}");
    }
    assert_eq!(
        get(&client, "http://lab.sim.test/huge?mb=-1").await.status,
        StatusCode::BAD_REQUEST
    );

    // In-process: no Host at all, Host with a port, absolute URI without Host, huge query.
    let (status, _, _) = oneshot(&sim, None, "/wapredirect").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = oneshot(&sim, Some("LAB.sim.test:8080"), "/down").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    let (status, _, _) = oneshot(&sim, None, "http://lab.sim.test/challenge").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let big = format!("/wapredirect?junk={}&url=%FF", "%".repeat(60_000));
    let (status, _, _) = oneshot(&sim, Some("bridge.simchat.test"), &big).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let big = format!(
        "http://shop.simshop.test/item/1?{}",
        "k%E4=%ZZ&".repeat(3000)
    );
    assert_eq!(get(&client, &big).await.status, StatusCode::OK);

    // Shut down: nothing answers any more.
    let addr = running.addr;
    running.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn the_lab_redirects_to_internal_addresses_which_answer_secrets() {
    let (sim, running, client) = start(Timetable::Fixed).await;
    assert_eq!(sim.local_addr(), Some(running.addr));
    // To the simulator's own loopback address, as a hostile page would to Hutong's API.
    let a = get(&client, "http://lab.sim.test/redirect-internal").await;
    assert_eq!(a.status, StatusCode::FOUND);
    let own = format!("http://{}/api/v1/requirements", running.addr);
    assert_eq!(a.location.as_deref(), Some(own.as_str()));
    let a = get(&client, "http://lab.sim.test/redirect-metadata").await;
    assert_eq!(a.status, StatusCode::FOUND);
    assert_eq!(
        a.location.as_deref(),
        Some("http://169.254.169.254/latest/meta-data/iam/security-credentials/")
    );
    // Through the proxy only (nothing leaves this machine): internal hosts answer a page
    // carrying the marker that must never be stored.
    for url in [
        own.as_str(),
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://localhost/admin",
        "http://[::1]/",
    ] {
        let a = get(&client, url).await;
        assert_eq!(a.status, StatusCode::OK, "{url}");
        assert!(a.text().contains(INTERNAL_SECRET), "{url}");
        assert_simulated(&a.text());
    }
    // Public-looking hosts do not.
    let a = get(&client, "http://example.test/").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(!a.text().contains(INTERNAL_SECRET));
    running.shutdown().await;
}
