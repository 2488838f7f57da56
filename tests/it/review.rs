//! Reviewing hand tests (issue 13): who may reach the review pages, the queue, approve /
//! reject / send back, the contributor's answer, and what approval publishes.

use crate::common::visitor::{PASSWORD, account, csrf_in};
use crate::common::{TestApp, Visitor, real_catalog, sel, sqlite_with_catalog};
use hutong::domain::Role;

#[tokio::test]
async fn signing_in_brings_the_reader_back_to_the_page_they_asked_for() {
    let app = TestApp::new().await;
    account(app.store(), "li", Role::Contributor, "Li").await;
    let mut li = Visitor::new(&app);
    let asked = li.get("/contribute/mine?lang=zh-CN").await;
    assert_eq!(asked.status, 303);
    let to = asked.header("location").to_string();
    assert_eq!(to, "/sign-in?next=%2Fcontribute%2Fmine%3Flang%3Dzh-CN");
    let page = li.get(&to).await;
    let next = page
        .html()
        .select(&sel("form input[name=next]"))
        .next()
        .and_then(|i| i.value().attr("value").map(str::to_string));
    assert_eq!(next.as_deref(), Some("/contribute/mine?lang=zh-CN"));
    let csrf = csrf_in(&page);
    let signed = li
        .post(
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("login", "li"),
                ("password", PASSWORD),
                ("next", "/contribute/mine?lang=zh-CN"),
            ],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    assert_eq!(signed.header("location"), "/contribute/mine?lang=zh-CN");
    // Never to another site.
    for elsewhere in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let mut v = Visitor::new(&app);
        let csrf = v.csrf_of("/sign-in").await;
        let signed = v
            .post(
                "/sign-in",
                &[
                    ("csrf", &csrf),
                    ("login", "li"),
                    ("password", PASSWORD),
                    ("next", elsewhere),
                ],
            )
            .await;
        assert_eq!(signed.status, 303);
        assert_eq!(signed.header("location"), "/account?lang=en", "{elsewhere}");
    }
}

const CHECK: &str = "link.wechat.taobao";
const FORM: &str = "/contribute/link.wechat.taobao";
/// What the tester saw: unique enough to find wherever the hand test reaches.
const SEEN: &str = "A grey page: 已停止访问该网页 (hand-test-marker-7731)";

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

fn fields(csrf: &str, seen: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", csrf.to_string()),
        ("observed_at", "2026-11-29T21:30".into()),
        ("status", "blocked".into()),
        ("device", "iPhone 13".into()),
        ("os", "iOS 18.1".into()),
        ("app", "WeChat".into()),
        ("app_version", "8.0.50".into()),
        ("network", "China Mobile 5G".into()),
        ("network_region", "Beijing".into()),
        ("account_region", "mainland China".into()),
        (
            "steps",
            "Pasted a Taobao link in a chat and tapped it.".into(),
        ),
        ("seen", seen.into()),
    ]
}

async fn signed_in<'a>(app: &'a TestApp, login: &str, role: Role, name: &str) -> Visitor<'a> {
    account(app.store(), login, role, name).await;
    let mut v = Visitor::new(app);
    assert_eq!(v.sign_in(login, PASSWORD).await.status, 303);
    v
}

/// `v` submits a hand test with one screenshot; its id.
async fn submit(v: &mut Visitor<'_>, fields: &[(&'static str, String)]) -> i64 {
    let shot = png(390, 844);
    let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reply = v
        .post_multipart(FORM, &f, &[("screenshot", "chat.png", &shot)])
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let location = reply.header("location").to_string();
    location
        .split("submitted=")
        .nth(1)
        .and_then(|s| s.split('&').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location}"))
}

async fn submitted(v: &mut Visitor<'_>, seen: &str) -> i64 {
    let csrf = v.csrf_of(FORM).await;
    submit(v, &fields(&csrf, seen)).await
}

/// Li Ming's hand test (with one screenshot) approved by Wang Fang, a reviewer: Wang
/// signed in, the submission's id and the observation it published.
async fn published(app: &TestApp) -> (Visitor<'_>, i64, i64) {
    let mut li = signed_in(app, "li", Role::Contributor, "Li Ming").await;
    let mut wang = signed_in(app, "wang", Role::Reviewer, "Wang Fang").await;
    let id = submitted(&mut li, SEEN).await;
    let page = wang.get(&format!("/review/{id}")).await;
    let observation = approve(app, &mut wang, id, &csrf_in(&page)).await;
    (wang, id, observation)
}

/// `reviewer` retracts observation `observation` through its form, giving `reason`.
async fn retract(reviewer: &mut Visitor<'_>, observation: i64, reason: &str) {
    let path = format!("/observations/{observation}/retract");
    let form = reviewer.get(&path).await;
    let reply = reviewer
        .post(&path, &[("csrf", &csrf_in(&form)), ("reason", reason)])
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
}

/// `reviewer` approves hand test `id`; the observation it published.
async fn approve(app: &TestApp, reviewer: &mut Visitor<'_>, id: i64, csrf: &str) -> i64 {
    let approved = reviewer
        .post(&format!("/review/{id}/approve"), &[("csrf", csrf)])
        .await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    app.store()
        .submission(id)
        .await
        .unwrap()
        .unwrap()
        .observation_id
        .expect("published")
}

async fn state_of(app: &TestApp, id: i64) -> String {
    app.store()
        .submission(id)
        .await
        .expect("read")
        .expect("stored")
        .state
        .as_str()
        .to_string()
}

#[tokio::test]
async fn a_contributor_gets_403_on_every_review_page_and_post_and_anonymous_readers_sign_in() {
    let app = TestApp::new().await;
    let mut li = signed_in(&app, "li", Role::Contributor, "Li").await;
    let mut zhou = signed_in(&app, "zhou", Role::Contributor, "Zhou").await;
    let id = submitted(&mut li, SEEN).await;
    let page = format!("/review/{id}");
    for path in ["/review", page.as_str(), "/review?lang=zh-CN"] {
        let reply = zhou.get(path).await;
        assert_eq!(reply.status, 403, "{path}");
        assert!(reply.html_lang() == "en" || path.contains("zh-CN"));
    }
    let zh = zhou.get("/review?lang=zh-CN").await;
    assert!(zh.body.contains("审核员"), "in their language: {}", zh.body);
    // Each POST, with the session's own valid token: still no.
    let csrf = zhou.csrf_of("/account").await;
    for (action, extra) in [
        ("approve", ("reason", "")),
        ("reject", ("reason", "no")),
        ("send-back", ("question", "why?")),
    ] {
        let reply = zhou
            .post(&format!("/review/{id}/{action}"), &[("csrf", &csrf), extra])
            .await;
        assert_eq!(reply.status, 403, "{action}");
    }
    assert_eq!(state_of(&app, id).await, "pending");
    // Anonymous readers are sent to sign in, pages and posts alike.
    for path in ["/review", page.as_str()] {
        let reply = app.get(path).await;
        assert_eq!(reply.status, 303, "{path}");
        assert_eq!(
            reply.header("location"),
            format!("/sign-in?next={}", path.replace('/', "%2F"))
        );
    }
    let reply = app
        .post_form(format!("/review/{id}/approve"), &[("csrf", "x")])
        .await;
    assert_eq!(reply.status, 303);
    assert!(reply.header("location").starts_with("/sign-in?next="));
    assert_eq!(state_of(&app, id).await, "pending");
}

#[tokio::test]
async fn nobody_approves_their_own_hand_test_even_with_a_forged_post() {
    let app = TestApp::new().await;
    let mut wang = signed_in(&app, "wang", Role::Reviewer, "Wang").await;
    let id = submitted(&mut wang, SEEN).await;
    let page = wang.get(&format!("/review/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.html()
            .select(&sel("form[action*='/approve']"))
            .next()
            .is_none(),
        "no decision offered on one's own"
    );
    let csrf = wang.csrf_of("/account").await;
    let reply = wang
        .post(&format!("/review/{id}/approve"), &[("csrf", &csrf)])
        .await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    assert_eq!(state_of(&app, id).await, "pending");
    // Storage refuses it too, whoever calls it.
    let me = app
        .store()
        .account_by_login("wang")
        .await
        .unwrap()
        .expect("wang");
    let refused = app
        .store()
        .review_submission(
            id,
            &me,
            &hutong::domain::Decision::Approve,
            &hutong::accounts::Actor::command_line().entry("submission-approved", None, None),
        )
        .await
        .unwrap();
    assert_eq!(refused, Err(hutong::domain::ReviewRefused::OwnSubmission));
    assert_eq!(state_of(&app, id).await, "pending");
}

/// The texts a hand test leaves on public pages, and whether `needle` is on any of them.
async fn public_places(app: &TestApp) -> Vec<(&'static str, String)> {
    let api = app.api_observations(CHECK).await.body;
    vec![
        ("check page", app.check_page(CHECK, "").await.body),
        ("matrix", app.links("").await.body),
        ("timeline", app.timeline("entries=all").await.body),
        ("timeline CSV", app.timeline_csv("entries=all").await.body),
        ("API", api),
    ]
}

async fn review_publish_and_its_traces(db: crate::common::TestDb) {
    let app = TestApp::on(db);
    let mut li = signed_in(&app, "li", Role::Contributor, "Li Ming").await;
    let mut wang = signed_in(&app, "wang", Role::Reviewer, "Wang Fang").await;
    let dataset_before = app.dataset().await;
    let id = submitted(&mut li, SEEN).await;
    // Not public anywhere before approval.
    for (place, body) in public_places(&app).await {
        assert!(!body.contains("hand-test-marker-7731"), "{place} shows it");
        assert!(!body.contains("Li Ming"), "{place} names the contributor");
    }
    let dataset = app.dataset().await;
    assert_eq!(dataset.bytes, dataset_before.bytes, "dataset.zip unchanged");
    // Its screenshots are not served to the public: only to the contributor and reviewers.
    let private = app.get(format!("/submissions/{id}/screenshots/1")).await;
    assert_eq!(private.status, 303, "anonymous readers are sent to sign in");
    assert_eq!(
        li.get(&format!("/submissions/{id}/screenshots/1"))
            .await
            .status,
        200
    );
    // The queue lists it, with its age; the page shows it beside the check.
    let queue = wang.get("/review").await;
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains("Li Ming"), "{}", queue.body);
    assert!(queue.body.contains("waiting"), "{}", queue.body);
    let page = wang.get(&format!("/review/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    for words in [
        "iPhone 13",
        "China Mobile 5G",
        "Pasted a Taobao link",
        "hand-test-marker-7731",
    ] {
        assert!(page.body.contains(words), "{words}");
    }
    let thumb = page
        .html()
        .select(&sel("ul.screenshots a img"))
        .next()
        .and_then(|i| i.value().attr("src").map(str::to_string))
        .expect("a thumbnail");
    assert_eq!(wang.get(&thumb).await.content_type, "image/png");
    // Beside it: the check now (the 2021 articles' word), its dated facts said as days.
    assert!(page.body.contains("opinions"), "{}", page.body);
    let recent: String = page
        .html()
        .select(&sel("section table"))
        .next_back()
        .expect("the check's recent observations")
        .text()
        .collect();
    assert!(recent.contains("17 Oct 2021"), "{recent}");
    assert!(
        !recent.contains("00:00"),
        "a day said as its midnight: {recent}"
    );
    let csrf = csrf_in(&page);
    // A rejection needs a reason.
    let reply = wang
        .post(
            &format!("/review/{id}/reject"),
            &[("csrf", &csrf), ("reason", "  ")],
        )
        .await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("required"), "{}", reply.body);
    assert_eq!(state_of(&app, id).await, "pending");
    // A decision that is not one of the three is no page, and decides nothing.
    let reply = wang
        .post(&format!("/review/{id}/publish"), &[("csrf", &csrf)])
        .await;
    assert_eq!(reply.status, 404, "{}", reply.body);
    assert_eq!(state_of(&app, id).await, "pending");
    // Approved: published.
    let reply = wang
        .post(&format!("/review/{id}/approve"), &[("csrf", &csrf)])
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert!(reply.header("location").starts_with("/review?done="));
    assert_eq!(state_of(&app, id).await, "approved");
    // The decision has its audit line, with who decided.
    let audit = app.store().audit_log(10).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "submission-approved" && e.actor == "wang"),
        "{audit:?}"
    );
    let s = app.store().submission(id).await.unwrap().unwrap();
    let observation = s.observation_id.expect("published");
    for (place, body) in public_places(&app).await {
        assert!(!body.contains("li@example.org"), "{place} shows the email");
        if matches!(place, "check page" | "API") {
            assert!(body.contains("hand-test-marker-7731"), "{place} lacks it");
        }
    }
    let matrix = app.links("").await;
    assert!(
        matrix
            .html()
            .select(&sel(
                "a[href^='/checks/link.wechat.taobao'] .sk-manual, .sk-manual"
            ))
            .next()
            .is_some(),
        "the matrix shows a hand test: {}",
        matrix.body
    );
    let timeline = app.timeline("entries=all").await;
    assert!(
        timeline.body.contains("Li Ming"),
        "timeline: {}",
        timeline.body
    );
    let csv = app.timeline_csv("entries=all").await;
    assert!(csv.body.contains("manual"), "CSV: {}", csv.body);
    assert!(csv.body.contains("Li Ming"), "CSV: {}", csv.body);
    let check = app.check_page(CHECK, "").await;
    assert!(
        check.body.contains(&format!("/observations/{observation}")),
        "check page links it"
    );
    // Its page: screenshots public now, credited by public names only.
    let o = app.observation_page(observation, "").await;
    assert_eq!(o.status, 200);
    assert!(
        o.body
            .contains("Hand test by Li Ming, reviewed by a Hutong reviewer (Wang Fang)"),
        "{}",
        o.body
    );
    assert!(
        !o.body.contains(">li<") && !o.body.contains("wang@"),
        "no login or email"
    );
    let public_thumb = o
        .html()
        .select(&sel("ul.screenshots a img"))
        .next()
        .and_then(|i| i.value().attr("src").map(str::to_string))
        .expect("a public thumbnail");
    let shot = app.get(&public_thumb).await;
    assert_eq!(shot.status, 200);
    assert_eq!(shot.content_type, "image/png");
    assert_eq!(shot.header("x-content-type-options"), "nosniff");
    assert_eq!(shot.header("content-security-policy"), "sandbox");
    assert!(
        shot.header_values("set-cookie").is_empty(),
        "public: no cookie"
    );
    // The source page lists the contributor's hand tests.
    let source = app
        .source_page(&hutong::domain::hand_test_source_id(s.account_id), "")
        .await;
    assert_eq!(source.status, 200);
    assert!(source.body.contains("Li Ming"), "{}", source.body);
    // The API's observation: no login, email or private field.
    let api = app.api_observations(CHECK).await.json();
    let hand = api["observations"]
        .as_array()
        .or_else(|| api.as_array())
        .expect("a list")
        .iter()
        .find(|x| x["source_kind"] == "manual")
        .cloned()
        .expect("the hand test in the API");
    let text = hand.to_string();
    for private in [
        "li@example.org",
        "\"li\"",
        "login",
        "email",
        "reviewer",
        "account_id",
    ] {
        assert!(!text.contains(private), "{private} in {text}");
    }
    assert_ne!(
        app.dataset().await.bytes,
        dataset_before.bytes,
        "dataset.zip moved"
    );
    // Decided once: a second decision is refused, naming who decided.
    let again = wang
        .post(
            &format!("/review/{id}/send-back"),
            &[("csrf", &csrf), ("question", "?")],
        )
        .await;
    assert_eq!(again.status, 409);
    assert!(
        again.body.contains("Already decided by Wang Fang"),
        "{}",
        again.body
    );
}

#[tokio::test]
async fn approval_publishes_a_hand_test_that_was_nowhere_public_before_on_sqlite() {
    review_publish_and_its_traces(sqlite_with_catalog(&real_catalog()).await).await;
}

#[tokio::test]
async fn approval_publishes_a_hand_test_that_was_nowhere_public_before_on_postgres() {
    let Some(db) = crate::common::postgres().await else {
        return;
    };
    db.store
        .apply_catalog(&real_catalog())
        .await
        .expect("load the catalog");
    review_publish_and_its_traces(db).await;
}

async fn two_reviewers_at_once(db: crate::common::TestDb) {
    let app = TestApp::on(db);
    let mut li = signed_in(&app, "li", Role::Contributor, "Li").await;
    account(app.store(), "wang", Role::Reviewer, "Wang").await;
    account(app.store(), "zhao", Role::Reviewer, "Zhao").await;
    let store = app.store().clone();
    let who = |login: &'static str| {
        let store = store.clone();
        async move { store.account_by_login(login).await.unwrap().unwrap() }
    };
    let (wang, zhao) = (who("wang").await, who("zhao").await);
    for round in 0..5 {
        let id = submitted(&mut li, &format!("{SEEN} {round}")).await;
        let decide = |reviewer: hutong::domain::Account| {
            let store = store.clone();
            tokio::spawn(async move {
                let audit = hutong::accounts::Actor::account(&reviewer, None).entry(
                    "submission-approved",
                    None,
                    None,
                );
                store
                    .review_submission(id, &reviewer, &hutong::domain::Decision::Approve, &audit)
                    .await
            })
        };
        let (a, b) = tokio::join!(decide(wang.clone()), decide(zhao.clone()));
        let outcomes = [a.unwrap().unwrap(), b.unwrap().unwrap()];
        let winners = outcomes.iter().filter(|o| o.is_ok()).count();
        assert_eq!(winners, 1, "round {round}: {outcomes:?}");
        let loser = outcomes.iter().find_map(|o| o.clone().err()).unwrap();
        assert!(
            matches!(loser, hutong::domain::ReviewRefused::AlreadyReviewed { by: Some(ref n), .. } if n == "Wang" || n == "Zhao"),
            "{loser:?}"
        );
        let published = app
            .api_observations(CHECK)
            .await
            .body
            .matches(&format!("hand-test-marker-7731) {round}"))
            .count();
        assert_eq!(published, 1, "round {round}: exactly one observation");
    }
}

#[tokio::test]
async fn two_reviewers_approving_at_once_make_one_observation_on_sqlite() {
    two_reviewers_at_once(sqlite_with_catalog(&real_catalog()).await).await;
}

#[tokio::test]
async fn two_reviewers_approving_at_once_make_one_observation_on_postgres() {
    let Some(db) = crate::common::postgres().await else {
        return;
    };
    db.store
        .apply_catalog(&real_catalog())
        .await
        .expect("load the catalog");
    two_reviewers_at_once(db).await;
}

#[tokio::test]
async fn a_sent_back_hand_test_is_answered_corrected_and_returns_to_the_queue_with_its_thread() {
    let app = TestApp::new().await;
    let mut li = signed_in(&app, "li", Role::Contributor, "Li").await;
    let mut wang = signed_in(&app, "wang", Role::Reviewer, "Wang").await;
    let id = submitted(&mut li, SEEN).await;
    let csrf = wang.csrf_of(&format!("/review/{id}")).await;
    // A send-back needs a question.
    let reply = wang
        .post(
            &format!("/review/{id}/send-back"),
            &[("csrf", &csrf), ("question", "")],
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(state_of(&app, id).await, "pending");
    let reply = wang
        .post(
            &format!("/review/{id}/send-back"),
            &[
                ("csrf", &csrf),
                ("question", "Which WeChat version exactly?"),
            ],
        )
        .await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(state_of(&app, id).await, "returned");
    assert!(
        !wang
            .get("/review")
            .await
            .body
            .contains(&format!("submission-{id}"))
    );
    // The contributor sees the question and a way to answer.
    let mine = li.get("/contribute/mine").await;
    assert!(
        mine.body.contains("Which WeChat version exactly?"),
        "{}",
        mine.body
    );
    let href = mine
        .html()
        .select(&sel(&format!("#submission-{id} a[href*='/answer']")))
        .next()
        .and_then(|a| a.value().attr("href").map(str::to_string))
        .expect("an answer link");
    let form = li.get(&href).await;
    assert_eq!(form.status, 200);
    // Prefilled as stored; the screenshots shown as kept.
    let value = |name: &str| {
        form.html()
            .select(&sel(&format!("input[name={name}]")))
            .next()
            .and_then(|i| i.value().attr("value").map(str::to_string))
    };
    assert_eq!(value("device").as_deref(), Some("iPhone 13"));
    assert_eq!(value("observed_at").as_deref(), Some("2026-11-29T21:30"));
    assert!(form.body.contains("Which WeChat version exactly?"));
    assert!(
        form.html()
            .select(&sel("ul.screenshots img"))
            .next()
            .is_some()
    );
    // Someone else cannot answer it, nor see its form.
    let mut zhou = signed_in(&app, "zhou", Role::Contributor, "Zhou").await;
    assert_eq!(zhou.get(&href).await.status, 404);
    // An answer is required; the corrected fields come back as typed.
    let mut f = fields(&csrf_in(&form), SEEN);
    for (k, v) in &mut f {
        if *k == "app_version" {
            *v = "8.0.53".into();
        }
    }
    let action = format!("/contribute/mine/{id}/answer");
    let without: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reply = li.post_multipart(&action, &without, &[]).await;
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert!(reply.body.contains("8.0.53"), "kept as typed");
    assert_eq!(state_of(&app, id).await, "returned");
    f.push((
        "answer",
        "WeChat 8.0.53, I checked in Settings › About.".into(),
    ));
    let with: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let reply = li.post_multipart(&action, &with, &[]).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(state_of(&app, id).await, "pending");
    let s = app.store().submission(id).await.unwrap().unwrap();
    assert_eq!(s.vantage.app_version, "8.0.53");
    assert_eq!(s.screenshots.len(), 1, "screenshots kept");
    // Back in the queue, with the thread for the reviewer.
    let queue = wang.get("/review").await;
    assert!(
        queue.body.contains(&format!("submission-{id}")),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("answered a question"));
    let page = wang.get(&format!("/review/{id}")).await;
    let thread: Vec<String> = page
        .html()
        .select(&sel("ol.review-thread li"))
        .map(|li| li.text().collect::<String>())
        .collect();
    assert_eq!(thread.len(), 2, "{thread:?}");
    assert!(thread[0].contains("Which WeChat version exactly?") && thread[0].contains("Wang"));
    assert!(thread[1].contains("Settings › About") && thread[1].contains("Li"));
    // A second answer is refused: it is no longer sent back.
    let reply = li.post_multipart(&action, &with, &[]).await;
    assert_eq!(reply.status, 404);
}

#[tokio::test]
async fn every_review_form_refuses_a_missing_or_wrong_csrf_token() {
    let app = TestApp::new().await;
    let mut li = signed_in(&app, "li", Role::Contributor, "Li").await;
    let mut wang = signed_in(&app, "wang", Role::Reviewer, "Wang").await;
    let id = submitted(&mut li, SEEN).await;
    let _ = wang.get(&format!("/review/{id}")).await;
    for token in ["", "forged"] {
        for (action, extra) in [
            ("approve", ("reason", "")),
            ("reject", ("reason", "Blurry")),
            ("send-back", ("question", "When?")),
        ] {
            let mut f = vec![extra];
            if !token.is_empty() {
                f.push(("csrf", token));
            }
            let reply = wang.post(&format!("/review/{id}/{action}"), &f).await;
            assert_eq!(reply.status, 403, "{action} with {token:?}");
        }
    }
    assert_eq!(state_of(&app, id).await, "pending");
    // The answer form too.
    let csrf = wang.csrf_of(&format!("/review/{id}")).await;
    wang.post(
        &format!("/review/{id}/send-back"),
        &[("csrf", &csrf), ("question", "When?")],
    )
    .await;
    assert_eq!(state_of(&app, id).await, "returned");
    let mut f = fields("", SEEN);
    f.push(("answer", "Yesterday.".into()));
    for token in ["", "forged"] {
        f[0].1 = token.to_string();
        let with: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = li
            .post_multipart(&format!("/contribute/mine/{id}/answer"), &with, &[])
            .await;
        assert_eq!(reply.status, 403, "answer with {token:?}");
    }
    assert_eq!(state_of(&app, id).await, "returned");
}

#[tokio::test]
async fn script_in_every_text_field_is_shown_as_text_wherever_it_goes() {
    const X: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let app = TestApp::new().await;
    let mut li = signed_in(&app, "li", Role::Contributor, &format!("Li {X}")).await;
    let mut wang = signed_in(&app, "wang", Role::Reviewer, &format!("Wang {X}")).await;
    let mut f = fields(&li.csrf_of(FORM).await, &format!("seen {X}"));
    for (k, v) in &mut f {
        if *k != "csrf" && *k != "observed_at" && *k != "status" {
            *v = format!("{k} {X}");
        }
    }
    let id = submit(&mut li, &f).await;
    let csrf = wang.csrf_of(&format!("/review/{id}")).await;
    wang.post(
        &format!("/review/{id}/send-back"),
        &[("csrf", &csrf), ("question", &format!("question {X}"))],
    )
    .await;
    let answer_form = li.get(&format!("/contribute/mine/{id}/answer")).await;
    let mut a = f.clone();
    a[0].1 = csrf_in(&answer_form);
    a.push(("answer", format!("answer {X}")));
    let with: Vec<(&str, &str)> = a.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        li.post_multipart(&format!("/contribute/mine/{id}/answer"), &with, &[])
            .await
            .status,
        303
    );
    // A second hand test, rejected with a reason.
    let other = submitted(&mut li, SEEN).await;
    wang.post(
        &format!("/review/{other}/reject"),
        &[("csrf", &csrf), ("reason", &format!("reason {X}"))],
    )
    .await;
    let observation = approve(&app, &mut wang, id, &csrf).await;
    let source = hutong::domain::hand_test_source_id(
        app.store()
            .account_by_login("li")
            .await
            .unwrap()
            .unwrap()
            .id,
    );
    let pages = vec![
        ("queue", wang.get("/review").await),
        ("review page", wang.get(&format!("/review/{id}")).await),
        (
            "rejected review page",
            wang.get(&format!("/review/{other}")).await,
        ),
        ("mine", li.get("/contribute/mine").await),
        ("observation", app.observation_page(observation, "").await),
        ("check", app.check_page(CHECK, "").await),
        ("matrix", app.links("").await),
        ("timeline", app.timeline("entries=all").await),
        ("source", app.source_page(&source, "").await),
    ];
    for (name, page) in &pages {
        assert_eq!(page.status, 200, "{name}");
        assert!(
            !page.body.contains("<script>alert"),
            "{name}: {}",
            page.body
        );
        assert!(!page.body.contains("<img src=x"), "{name}");
    }
    let text = |name: &str| {
        pages
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| p.html().root_element().text().collect::<String>())
            .unwrap()
    };
    for (page, words) in [
        ("review page", "steps <script>alert(1)</script>"),
        ("review page", "device <script>"),
        ("review page", "question <script>"),
        ("review page", "answer <script>"),
        ("review page", "Li <script>"),
        ("rejected review page", "reason <script>"),
        ("mine", "reason <script>"),
        ("observation", "steps <script>"),
        ("observation", "seen <script>"),
        ("observation", "device <script>"),
        ("observation", "Li <script>"),
        ("check", "seen <script>"),
    ] {
        assert!(text(page).contains(words), "{page} shows {words:?} as text");
    }
}

/// A retracted hand test keeps its words, struck, as the record; its screenshots stop
/// being public (a screenshot can hold what its words do not), while its reviewers still
/// see them. A cache that kept one must ask again, and is answered "gone", not "unchanged".
#[tokio::test]
async fn retracting_a_hand_test_withdraws_its_screenshots_from_the_public() {
    let app = TestApp::on(sqlite_with_catalog(&real_catalog()).await);
    let (mut wang, id, observation) = published(&app).await;
    let public = format!("/observations/{observation}/screenshots/1");
    let shot = app.get(&public).await;
    assert_eq!(shot.status, 200);
    assert_eq!(shot.header("cache-control"), "public, no-cache");
    let etag = shot.header("etag").to_string();
    assert!(!etag.is_empty(), "an ETag to ask again with");
    let again = app.get(&public).header("if-none-match", &etag).await;
    assert_eq!(again.status, 304, "unchanged while published");
    assert!(again.body.is_empty());

    retract(&mut wang, observation, "shows a phone number").await;

    for path in [public.clone(), format!("{public}/thumbnail")] {
        for cached in [None, Some(etag.as_str())] {
            let request = app.get(&path);
            let request = match cached {
                Some(tag) => request.header("if-none-match", tag),
                None => request,
            };
            let gone = request.await;
            assert_eq!(gone.status, 410, "{path} {cached:?}");
            assert!(
                gone.body
                    .contains("withdrawn when the observation was retracted"),
                "{}",
                gone.body
            );
            assert_ne!(gone.content_type, "image/png");
        }
    }
    let zh = app.get(format!("{public}?lang=zh-CN")).await;
    assert_eq!(zh.status, 410);
    assert!(zh.body.contains("已在该观察撤回时撤下"), "{}", zh.body);
    // Its page: the words stay, struck; the images are said to be withdrawn, not linked.
    let o = app.observation_page(observation, "").await;
    assert_eq!(o.status, 200);
    assert!(o.body.contains("hand-test-marker-7731"), "the words stay");
    assert!(
        o.body.contains("The screenshots were withdrawn"),
        "{}",
        o.body
    );
    assert!(
        o.html().select(&sel("ul.screenshots a")).next().is_none(),
        "no screenshot linked: {}",
        o.body
    );
    assert!(!o.body.contains("/screenshots/"), "{}", o.body);
    // Reviewers still see them, on the submission's own address.
    let private = wang.get(&format!("/submissions/{id}/screenshots/1")).await;
    assert_eq!(private.status, 200);
    assert_eq!(private.content_type, "image/png");
    // Anonymous readers there are still sent to sign in.
    assert_eq!(
        app.get(format!("/submissions/{id}/screenshots/1"))
            .await
            .status,
        303
    );
}

/// The CSV's records as maps from column to cell (the BOM dropped).
fn csv_maps(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

/// A journalist's exports carry a hand test's steps and its screenshots' public addresses
/// (the check's CSV and JSON, the dataset's observations), not only a link to its page.
/// Once it is retracted, the steps stay, as its words do; the screenshots' addresses go,
/// as the screenshots do.
#[tokio::test]
async fn exports_carry_a_hand_tests_steps_and_screenshots_until_it_is_retracted() {
    let app = TestApp::on(sqlite_with_catalog(&real_catalog()).await);
    let (mut wang, _, observation) = published(&app).await;
    let steps = "Pasted a Taobao link in a chat and tapped it.";
    let shot = format!("/observations/{observation}/screenshots/1");
    let ours = |rows: Vec<std::collections::HashMap<String, String>>| {
        rows.into_iter()
            .find(|r| r["observation_id"] == observation.to_string())
            .expect("the hand test's row")
    };
    let exported = |retracted: bool| {
        let app = &app;
        async move {
            let csv = app.get(format!("/checks/{CHECK}.csv?lang=en")).await;
            assert_eq!(csv.status, 200);
            let row = ours(csv_maps(&csv.body));
            assert_eq!(row["hand_test_steps"], steps);
            let json = app.get(format!("/checks/{CHECK}.json?lang=en")).await;
            let json: serde_json::Value = serde_json::from_str(&json.body).unwrap();
            let kept = json["rows"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["observation_id"] == observation)
                .unwrap()
                .clone();
            assert_eq!(kept["hand_test_steps"], steps);
            let zip = app.dataset().await;
            let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip.bytes.to_vec())).unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut zip.by_name("observations.csv").unwrap(), &mut text)
                .unwrap();
            let in_dataset = ours(csv_maps(&text));
            assert_eq!(in_dataset["hand_test_steps"], steps);
            // Rows that are no hand test say nothing of steps.
            let others = csv_maps(&csv.body);
            assert!(
                others
                    .iter()
                    .filter(|r| r["observation_id"] != observation.to_string())
                    .all(|r| r["hand_test_steps"].is_empty()
                        && r["hand_test_screenshots"].is_empty())
            );
            assert_eq!(row["retracted"], if retracted { "yes" } else { "no" });
            (
                row["hand_test_screenshots"].clone(),
                kept["hand_test_screenshots"].clone(),
                in_dataset["hand_test_screenshots"].clone(),
            )
        }
    };
    let (csv, json, dataset) = exported(false).await;
    assert!(csv.ends_with(&shot) && csv.starts_with("http"), "{csv}");
    assert_eq!(json, csv.as_str());
    assert_eq!(dataset, csv);
    // The address answers with the image.
    assert_eq!(app.get(&shot).await.status, 200);

    retract(&mut wang, observation, "shows a phone number").await;
    let (csv, json, dataset) = exported(true).await;
    assert_eq!(csv, "", "withdrawn screenshots are not exported");
    assert!(json.is_null(), "{json}");
    assert_eq!(dataset, "");
}
