//! API tokens and the submissions API (issue 13), and `hutong observe add`: programs
//! submit hand tests through the same checks as the form; what they submit waits for
//! review; a token reaches nothing else.

use crate::common::visitor::{PASSWORD, account, csrf_in};
use crate::common::{Reply, TestApp, TestDb, Visitor, hutong, sel};
use hutong::domain::Role;
use image::{DynamicImage, ImageFormat};
use std::io::Cursor;

const CHECK: &str = "link.wechat.taobao";

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 40])
    });
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image)
        .write_to(&mut out, ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

const FIELDS: &[(&str, &str)] = &[
    ("check", CHECK),
    ("observed_at", "2026-11-29 21:30"),
    ("status", "blocked"),
    ("device", "Pixel 8"),
    ("os", "Android 15"),
    ("app", "WeChat"),
    ("app_version", "8.0.50"),
    ("network", "China Unicom 5G"),
    ("network_region", "Shanghai"),
    (
        "steps",
        "A script pasted a Taobao link in a chat and tapped it.",
    ),
    ("seen", "A page saying the link cannot be opened."),
];

/// Signs `login` in and creates a token on `/account/tokens`: the visitor and the token.
async fn token_of<'a>(app: &'a TestApp, login: &str) -> (Visitor<'a>, String) {
    let mut v = Visitor::new(app);
    assert_eq!(v.sign_in(login, PASSWORD).await.status, 303);
    let csrf = v.csrf_of("/account/tokens").await;
    let made = v
        .post(
            "/account/tokens",
            &[("csrf", &csrf), ("name", "lab script")],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page = v.get(made.header("location")).await;
    let token = page
        .html()
        .select(&sel("code.secret"))
        .next()
        .map(|c| c.text().collect::<String>())
        .expect("the token, shown once");
    // Once only.
    assert!(!v.get("/account/tokens").await.body.contains(&token));
    (v, token)
}

async fn app_with_contributor(db: TestDb) -> TestApp {
    let app = TestApp::on(db);
    account(app.store(), "li", Role::Contributor, "Li").await;
    app
}

async fn a_valid_token_submits_a_pending_hand_test(db: TestDb) {
    let app = app_with_contributor(db).await;
    let (_, token) = token_of(&app, "li").await;
    let before = app.api_observations(CHECK).await.json();
    let shot = png(390, 844);
    let reply = app
        .api_submit(Some(&token), FIELDS, &[("chat.png", &shot)])
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert!(reply.header_values("set-cookie").is_empty(), "no session");
    let answer = reply.json();
    assert_eq!(answer["state"], "pending");
    assert_eq!(answer["check"], CHECK);
    let id = answer["id"].as_i64().expect("an id");
    // Stored, pending, with its screenshot; not public.
    let stored = app.store().submission(id).await.unwrap().expect("stored");
    assert_eq!(stored.state.as_str(), "pending");
    assert_eq!(stored.screenshots.len(), 1);
    assert_eq!(stored.vantage.device, "Pixel 8");
    assert!(stored.observation_id.is_none());
    assert_eq!(app.api_observations(CHECK).await.json(), before);
    // The owner's list has it, with its state.
    let mine = app.api_my_submissions(Some(&token)).await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    let list = mine.json()["submissions"].as_array().unwrap().clone();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["id"], id);
    assert_eq!(list[0]["state"], "pending");
    // The audit line says who, and that it came through the API.
    let log = app.store().audit_log(10).await.unwrap();
    let line = log
        .iter()
        .find(|l| l.action == "submission-created")
        .expect("an audit line");
    assert_eq!(line.actor, "li");
    assert!(
        line.address
            .as_deref()
            .unwrap_or_default()
            .ends_with("(api)"),
        "{line:?}"
    );
}

#[tokio::test]
async fn a_valid_token_submits_a_pending_hand_test_on_sqlite() {
    a_valid_token_submits_a_pending_hand_test(
        crate::common::sqlite_with_catalog(&crate::common::real_catalog()).await,
    )
    .await;
}

#[tokio::test]
async fn a_valid_token_submits_a_pending_hand_test_on_postgres() {
    let Some(db) = crate::common::postgres().await else {
        return;
    };
    db.store
        .apply_catalog(&crate::common::real_catalog())
        .await
        .expect("load the catalog");
    a_valid_token_submits_a_pending_hand_test(db).await;
}

#[tokio::test]
async fn a_missing_bad_or_revoked_token_or_a_disabled_account_gets_401() {
    let app = app_with_contributor(crate::common::sqlite().await).await;
    let (mut li, token) = token_of(&app, "li").await;
    let shot = png(40, 40);
    let unauthorized = |reply: &Reply, what: &str| {
        assert_eq!(reply.status, 401, "{what}: {}", reply.body);
        assert_eq!(reply.header("www-authenticate"), "Bearer", "{what}");
        assert!(reply.json()["error"].as_str().unwrap().contains("Bearer"));
    };
    unauthorized(
        &app.api_submit(None, FIELDS, &[("a.png", &shot)]).await,
        "none",
    );
    unauthorized(&app.api_my_submissions(None).await, "none");
    let wrong = format!("{}0", &token[..token.len() - 1]);
    let wrong = if wrong == token {
        format!("{}1", &token[..token.len() - 1])
    } else {
        wrong
    };
    unauthorized(
        &app.api_submit(Some(&wrong), FIELDS, &[("a.png", &shot)])
            .await,
        "wrong",
    );
    unauthorized(
        &app.api_my_submissions(Some("not-a-token")).await,
        "garbage",
    );
    // Works, until revoked.
    assert_eq!(app.api_my_submissions(Some(&token)).await.status, 200);
    let page = li.get("/account/tokens").await;
    let revoke = page
        .html()
        .select(&sel("form[action^='/account/tokens/']"))
        .next()
        .and_then(|f| f.value().attr("action").map(str::to_string))
        .expect("a revoke form");
    let done = li.post(&revoke, &[("csrf", &csrf_in(&page))]).await;
    assert_eq!(done.status, 303);
    unauthorized(&app.api_my_submissions(Some(&token)).await, "revoked");
    unauthorized(
        &app.api_submit(Some(&token), FIELDS, &[("a.png", &shot)])
            .await,
        "revoked",
    );
    // A disabled account's tokens stop working too.
    let (_, second) = token_of(&app, "li").await;
    assert_eq!(app.api_my_submissions(Some(&second)).await.status, 200);
    hutong::accounts::disable(app.store(), "li", &hutong::accounts::Actor::command_line())
        .await
        .unwrap();
    unauthorized(&app.api_my_submissions(Some(&second)).await, "disabled");
    assert_eq!(app.store().submission_totals().await.unwrap(), (0, 0));
}

#[tokio::test]
async fn a_token_reaches_nothing_but_the_submissions_api() {
    let app = TestApp::on(crate::common::sqlite().await);
    account(app.store(), "wang", Role::Admin, "Wang").await;
    account(app.store(), "li", Role::Contributor, "Li").await;
    // The token of an admin: still nothing more than anonymous anywhere else.
    let (_, token) = token_of(&app, "wang").await;
    let bearer = format!("Bearer {token}");
    for path in [
        "/account",
        "/account/tokens",
        "/admin/accounts",
        "/admin/audit.csv",
        "/contribute",
        "/contribute/mine",
        "/review",
    ] {
        let anonymous = app.get(path).await;
        let with_token = app.get(path).header("authorization", &bearer).await;
        assert_eq!(with_token.status, anonymous.status, "GET {path}");
        assert_ne!(with_token.status, 200, "GET {path}");
        assert_eq!(with_token.body, anonymous.body, "GET {path}");
    }
    for path in [
        "/admin/accounts",
        "/admin/accounts/li/disable",
        "/account/tokens",
        "/review/1/approve",
    ] {
        let with_token = app
            .post_form(path, &[("login", "mallory"), ("name", "x")])
            .header("authorization", &bearer)
            .await;
        assert!(
            [303, 403, 404, 405].contains(&with_token.status.as_u16()),
            "POST {path}: {}",
            with_token.status
        );
    }
    assert!(
        app.store()
            .account_by_login("mallory")
            .await
            .unwrap()
            .is_none()
    );
    let li = app.store().account_by_login("li").await.unwrap().unwrap();
    assert!(!li.is_disabled());
    assert_eq!(app.store().tokens_of(li.id).await.unwrap().len(), 0);
}

#[tokio::test]
async fn a_disguised_upload_through_the_api_is_refused_naming_the_file_with_nothing_stored() {
    let app = app_with_contributor(
        crate::common::sqlite_with_catalog(&crate::common::real_catalog()).await,
    )
    .await;
    let (_, token) = token_of(&app, "li").await;
    let good = png(100, 200);
    let html = b"<!DOCTYPE html><script>alert(1)</script>".to_vec();
    let reply = app
        .api_submit(
            Some(&token),
            FIELDS,
            &[("fine.png", &good), ("holiday.png", &html)],
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    let problems = reply.json()["problems"].as_array().unwrap().clone();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["field"], "screenshot");
    assert_eq!(problems[0]["file"], "holiday.png");
    assert!(
        problems[0]["message"]
            .as_str()
            .unwrap()
            .contains("holiday.png"),
        "{problems:?}"
    );
    assert_eq!(app.store().submission_totals().await.unwrap(), (0, 0));

    // Every field problem is listed at once.
    let reply = app
        .api_submit(
            Some(&token),
            &[
                ("check", CHECK),
                ("observed_at", "2099-01-01 10:00"),
                ("status", "maybe"),
            ],
            &[],
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    let fields: Vec<String> = reply.json()["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["field"].as_str().unwrap().to_string())
        .collect();
    for wanted in [
        "observed_at",
        "status",
        "device",
        "steps",
        "seen",
        "screenshot",
    ] {
        assert!(fields.iter().any(|f| f == wanted), "{wanted} in {fields:?}");
    }
    let reply = app
        .api_submit(Some(&token), &[("check", "no.such.check")], &[])
        .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert_eq!(reply.json()["problems"][0]["field"], "check");
    assert_eq!(app.store().submission_totals().await.unwrap(), (0, 0));
}

#[tokio::test]
async fn the_token_api_is_rate_limited() {
    let app = TestApp::on(crate::common::sqlite().await);
    let statuses: Vec<u16> = {
        let mut out = Vec::new();
        for _ in 0..(hutong::web::limits::API_BURST_PER_ADDRESS + 2) {
            out.push(
                app.api_my_submissions(Some("hutong_guess"))
                    .await
                    .status
                    .as_u16(),
            );
        }
        out
    };
    assert!(statuses.starts_with(&[401, 401]), "{statuses:?}");
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

// The command line.

#[tokio::test]
async fn observe_add_stores_a_pending_submission_and_refuses_a_bad_file_naming_its_path() {
    let db = crate::common::sqlite_with_catalog(&crate::common::real_catalog()).await;
    account(&db.store, "li", Role::Contributor, "Li").await;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("chat.png");
    std::fs::write(&good, png(300, 600)).unwrap();
    let bad = dir.path().join("disguised.png");
    std::fs::write(&bad, b"<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap();
    let args = |shots: &[&std::path::Path]| {
        let mut args: Vec<String> = [
            "--database-url",
            &db.url,
            "observe",
            "add",
            "--as",
            "li",
            "--check",
            CHECK,
            "--observed-at",
            "2026-11-29 21:30",
            "--status",
            "blocked",
            "--device",
            "iPhone 13",
            "--os",
            "iOS 18",
            "--app",
            "WeChat",
            "--steps",
            "Tapped a Taobao link in a chat.",
            "--seen",
            "A warning page.",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for s in shots {
            args.push("--screenshot".into());
            args.push(s.display().to_string());
        }
        args
    };
    let out = hutong().args(args(&[&good, &bad])).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(&bad.display().to_string()),
        "names the file by its path: {stderr}"
    );
    assert!(stderr.contains("not a PNG, JPEG or WebP"), "{stderr}");
    assert_eq!(db.store.submission_totals().await.unwrap(), (0, 0));
    let missing = dir.path().join("nowhere.png");
    let out = hutong().args(args(&[&missing])).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");

    let out = hutong().args(args(&[&good])).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("waits for review"), "{stdout}");
    let li = db.store.account_by_login("li").await.unwrap().unwrap();
    let mine = db.store.submissions_of(li.id).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].state.as_str(), "pending");
    assert_eq!(mine[0].check_id, CHECK);
    assert_eq!(mine[0].screenshots.len(), 1);
    assert!(
        stdout.contains(&format!("hand test {}", mine[0].id)),
        "{stdout}"
    );
    let log = db.store.audit_log(5).await.unwrap();
    assert_eq!(log[0].action, "submission-created");
    assert_eq!(log[0].actor, "li");
    assert_eq!(log[0].address.as_deref(), Some("cli"));
}
