//! Accounts (issue 13): signing in and out, sessions kept in the database on both
//! backends, CSRF on every form that changes something, sign-in limits, the audit log,
//! and `hutong user …`.

use crate::common::visitor::{PASSWORD, account, csrf_in};
use crate::common::{TestApp, TestDb, Visitor, hutong, on_both, sel};
use hutong::accounts::Actor;
use hutong::domain::Role;
use hutong::storage::{Store, StoredSessions};
use std::collections::HashMap;
use std::io::Write;
use std::process::Stdio;
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

// The session store, the same stories on SQLite and PostgreSQL.

fn record(data: &[(&str, serde_json::Value)], expires_in: time::Duration) -> Record {
    Record {
        id: Id::default(),
        data: data
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<HashMap<_, _>>(),
        expiry_date: time::OffsetDateTime::now_utc() + expires_in,
    }
}

async fn sessions_are_stored_loaded_saved_and_deleted(store: &Store) {
    let sessions = StoredSessions::new(store.clone());
    let mut r = record(&[("csrf", "abc".into())], time::Duration::hours(1));
    sessions.create(&mut r).await.expect("create");
    let loaded = sessions.load(&r.id).await.expect("load").expect("found");
    assert_eq!(loaded.data, r.data);
    r.data.insert("note".into(), "changed".into());
    sessions.save(&r).await.expect("save");
    let loaded = sessions.load(&r.id).await.expect("load").expect("found");
    assert_eq!(loaded.data["note"], "changed");
    // Another id loads nothing.
    assert!(sessions.load(&Id::default()).await.expect("load").is_none());
    sessions.delete(&r.id).await.expect("delete");
    assert!(sessions.load(&r.id).await.expect("load").is_none());
}

async fn an_expired_session_is_not_loaded(store: &Store) {
    let sessions = StoredSessions::new(store.clone());
    let mut r = record(&[("csrf", "abc".into())], time::Duration::seconds(-1));
    sessions.create(&mut r).await.expect("create");
    assert!(sessions.load(&r.id).await.expect("load").is_none());
    assert_eq!(store.delete_expired_sessions().await.expect("delete"), 1);
}

async fn disabling_an_account_ends_its_sessions(store: &Store) {
    account(store, "li", Role::Contributor, "Li").await;
    let li = store.account_by_login("li").await.unwrap().unwrap();
    let sessions = StoredSessions::new(store.clone());
    let mut r = record(&[("account", li.id.into())], time::Duration::hours(1));
    sessions.create(&mut r).await.expect("create");
    assert_eq!(store.session_count(li.id).await.unwrap(), 1);
    hutong::accounts::disable(store, "li", &Actor::command_line())
        .await
        .expect("disable");
    assert!(sessions.load(&r.id).await.expect("load").is_none());
    // Nor can the session be written back by a request that was in flight.
    sessions.save(&r).await.expect("save");
    assert!(sessions.load(&r.id).await.expect("load").is_none());
}

async fn a_login_is_taken_once_whatever_its_case(store: &Store) {
    account(store, "Wang", Role::Reviewer, "Wang").await;
    let again = hutong::accounts::add(
        store,
        hutong::domain::NewAccount {
            login: "wang".into(),
            public_name: "Other".into(),
            organisation: None,
            email: None,
            role: Role::Admin,
        },
        Some(PASSWORD.into()),
        &Actor::command_line(),
    )
    .await;
    assert!(
        matches!(again, Err(hutong::accounts::AccountError::LoginTaken(_))),
        "{again:?}"
    );
    assert_eq!(store.account_count().await.unwrap(), 1);
}

on_both!(
    sessions_are_stored_loaded_saved_and_deleted,
    an_expired_session_is_not_loaded,
    disabling_an_account_ends_its_sessions,
    a_login_is_taken_once_whatever_its_case,
);

// Signing in and out, through the pages.

async fn app_with(accounts: &[(&str, Role, &str)]) -> TestApp {
    let app = TestApp::new().await;
    for (login, role, name) in accounts {
        account(app.store(), login, *role, name).await;
    }
    app
}

async fn signing_in_and_out(db: TestDb) {
    let app = TestApp::on(db);
    account(app.store(), "li", Role::Contributor, "Li Ming").await;
    let mut li = Visitor::new(&app);
    // Not signed in: the account page sends to the sign-in page.
    let before = li.get("/account").await;
    assert_eq!(before.status, 303);
    assert_eq!(before.header("location"), "/sign-in?next=%2Faccount");
    let signed = li.sign_in("li", PASSWORD).await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    let page = li.get("/account").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Li Ming"), "{}", page.body);
    assert_eq!(page.header("cache-control"), "no-store");
    let cookie = signed.header("set-cookie").to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    // Served over plain HTTP (the default public URL): not `Secure`, or it would not be
    // sent back.
    assert!(!cookie.contains("Secure"), "{cookie}");
    let csrf = csrf_in(&page);
    let out = li.post("/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(li.get("/account").await.status, 303);
}

#[tokio::test]
async fn signing_in_and_out_on_sqlite() {
    signing_in_and_out(crate::common::sqlite_with_catalog(&crate::common::real_catalog()).await)
        .await;
}

#[tokio::test]
async fn signing_in_and_out_on_postgres() {
    let Some(db) = crate::common::postgres().await else {
        return;
    };
    signing_in_and_out(db).await;
}

#[tokio::test]
async fn the_session_cookie_is_secure_when_served_over_https() {
    let db = crate::common::sqlite().await;
    let app = TestApp::builder(db)
        .public_url("https://hutong.example.org")
        .build();
    let page = app.sign_in_page().await;
    assert!(
        page.header("set-cookie").contains("Secure"),
        "{:?}",
        page.headers
    );
}

#[tokio::test]
async fn a_wrong_password_or_login_is_refused_alike() {
    let app = app_with(&[("li", Role::Contributor, "Li")]).await;
    for (login, password) in [("li", "not the password at all"), ("nobody", PASSWORD)] {
        let mut v = Visitor::new(&app);
        let reply = v.sign_in(login, password).await;
        assert_eq!(reply.status, 401, "{login}");
        assert!(
            reply.body.contains("Wrong login or password."),
            "{}",
            reply.body
        );
        assert_eq!(v.get("/account").await.status, 303);
    }
}

#[tokio::test]
async fn a_form_without_or_with_a_wrong_csrf_token_is_refused() {
    let app = app_with(&[("li", Role::Contributor, "Li")]).await;
    let mut li = Visitor::new(&app);
    // Signing in itself needs the token (no signing someone into an attacker's account).
    let _ = li.get("/sign-in").await;
    let no_token = li
        .post("/sign-in", &[("login", "li"), ("password", PASSWORD)])
        .await;
    assert_eq!(no_token.status, 403);
    assert!(
        no_token.body.contains("This form has expired"),
        "{}",
        no_token.body
    );
    assert_eq!(li.get("/account").await.status, 303, "not signed in");
    assert_eq!(li.sign_in("li", PASSWORD).await.status, 303);
    // Signing out from another site: refused, still signed in.
    for token in [None, Some("0".repeat(64)), Some(String::new())] {
        let fields: Vec<(&str, &str)> = token.as_deref().map(|t| ("csrf", t)).into_iter().collect();
        let reply = li.post("/sign-out", &fields).await;
        assert_eq!(reply.status, 403, "token {token:?}");
        assert_eq!(li.get("/account").await.status, 200, "still signed in");
    }
    // In Chinese for a Chinese reader.
    let reply = li.post("/sign-out?lang=zh-CN", &[]).await;
    assert_eq!(reply.status, 403);
    assert!(reply.body.contains("此表单已过期"), "{}", reply.body);
}

#[tokio::test]
async fn a_session_cookie_from_before_sign_in_is_not_valid_after_it() {
    let app = app_with(&[("li", Role::Contributor, "Li")]).await;
    let mut li = Visitor::new(&app);
    let _ = li.get("/sign-in").await;
    let before = li.cookie.clone().expect("the sign-in page gives a session");
    assert_eq!(li.sign_in("li", PASSWORD).await.status, 303);
    let after = li.cookie.clone().expect("signed in");
    assert_ne!(before, after, "a new session id at sign-in");
    // Someone who planted or saw the first cookie gets nothing from it.
    let fixated = app.account_page().header("cookie", &before).await;
    assert_eq!(fixated.status, 303);
    assert_eq!(fixated.header("location"), "/sign-in?next=%2Faccount");
    assert_eq!(li.get("/account").await.status, 200);
}

#[tokio::test]
async fn a_disabled_accounts_session_stops_working() {
    let app = app_with(&[("li", Role::Contributor, "Li")]).await;
    let mut li = Visitor::new(&app);
    assert_eq!(li.sign_in("li", PASSWORD).await.status, 303);
    assert_eq!(li.get("/account").await.status, 200);
    hutong::accounts::disable(app.store(), "li", &Actor::command_line())
        .await
        .expect("disable");
    let after = li.get("/account").await;
    assert_eq!(after.status, 303);
    assert_eq!(after.header("location"), "/sign-in?next=%2Faccount");
    // Nor can it sign in again, with the right password.
    let again = Visitor::new(&app).sign_in("li", PASSWORD).await;
    assert_eq!(again.status, 401);
}

#[tokio::test]
async fn a_reset_password_ends_the_old_sessions() {
    let app = app_with(&[("li", Role::Contributor, "Li")]).await;
    let mut li = Visitor::new(&app);
    assert_eq!(li.sign_in("li", PASSWORD).await.status, 303);
    let (_, new) = hutong::accounts::reset(app.store(), "li", None, &Actor::command_line())
        .await
        .expect("reset");
    assert_eq!(li.get("/account").await.status, 303);
    assert_eq!(
        Visitor::new(&app).sign_in("li", PASSWORD).await.status,
        401,
        "the old password no longer works"
    );
    let new = new.expect("a new password is made up");
    assert_eq!(Visitor::new(&app).sign_in("li", &new).await.status, 303);
}

#[tokio::test]
async fn sign_in_brute_force_gets_429_after_the_limit() {
    let app = app_with(&[("li", Role::Contributor, "Li")]).await;
    let burst = hutong::web::limits::SIGN_IN_BURST_PER_ACCOUNT;
    let mut attacker = Visitor::new(&app);
    for i in 0..burst {
        let reply = attacker
            .sign_in("li", &format!("guess number {i:04}"))
            .await;
        assert_eq!(reply.status, 401, "attempt {i}");
    }
    let limited = attacker.sign_in("li", "guess number 9999").await;
    assert_eq!(limited.status, 429, "{}", limited.body);
    assert!(
        limited.body.contains("Too many sign-in attempts"),
        "{}",
        limited.body
    );
    assert!(
        limited
            .header("retry-after")
            .parse::<u64>()
            .is_ok_and(|s| s >= 1),
        "{:?}",
        limited.headers
    );
    // Even the right password waits: the limit is per account, whoever tries.
    let owner = Visitor::new(&app).sign_in("li", PASSWORD).await;
    assert_eq!(owner.status, 429);
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_address_across_logins() {
    let app = app_with(&[]).await;
    let burst = hutong::web::limits::SIGN_IN_BURST_PER_ADDRESS;
    let mut attacker = Visitor::new(&app);
    for i in 0..burst {
        let reply = attacker.sign_in(&format!("user{i}"), PASSWORD).await;
        assert_eq!(reply.status, 401, "attempt {i}");
    }
    assert_eq!(attacker.sign_in("someone-else", PASSWORD).await.status, 429);
}

#[tokio::test]
async fn script_in_a_public_name_is_shown_as_text() {
    let app = app_with(&[("li", Role::Contributor, "<script>alert(1)</script>")]).await;
    let mut li = Visitor::new(&app);
    li.sign_in("li", PASSWORD).await;
    let page = li.get("/account").await;
    assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
    assert!(
        page.body.contains("&lt;script&gt;alert(1)"),
        "{}",
        page.body
    );
    let heading: String = page
        .html()
        .select(&sel("h1"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(heading.contains("<script>alert(1)</script>"), "{heading}");
}

#[tokio::test]
async fn the_audit_log_records_who_did_what_from_where_and_no_secret() {
    let app = app_with(&[("li", Role::Contributor, "Li")]).await;
    let mut li = Visitor::new(&app);
    li.sign_in("li", "a wrong password here").await;
    // A password typed into the login box is not kept as the login tried.
    li.sign_in("Secret-typed-in-login-box", "li").await;
    li.sign_in("li", PASSWORD).await;
    let csrf = li.csrf_of("/account").await;
    li.post("/sign-out", &[("csrf", &csrf)]).await;
    let log = app.store().audit_log(100).await.unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .rev()
        .map(|e| (e.actor.as_str(), e.action.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("cli", "account-created"),
            ("li", "sign-in-refused"),
            ("(unknown login)", "sign-in-refused"),
            ("li", "signed-in"),
            ("li", "signed-out")
        ]
    );
    assert!(log.iter().all(|e| e.address.is_some()));
    let text = format!("{log:?}");
    assert!(
        !text.contains(PASSWORD)
            && !text.contains("a wrong password")
            && !text.contains("Secret-typed-in-login-box"),
        "{text}"
    );
    assert!(
        !text.contains("li@example.org"),
        "no email in the audit log: {text}"
    );
}

#[tokio::test]
async fn passwords_are_stored_as_argon2id_hashes_only() {
    let app = app_with(&[("li", Role::Contributor, "Li")]).await;
    let (_, hash) = app
        .store()
        .account_for_sign_in("li")
        .await
        .unwrap()
        .expect("the account");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(PASSWORD));
}

// The command line.

#[tokio::test]
async fn the_first_admin_comes_from_the_command_line() {
    let db = crate::common::sqlite().await;
    let mut child = hutong()
        .args([
            "--database-url",
            &db.url,
            "user",
            "add",
            "root",
            "--role",
            "admin",
            "--name",
            "Hutong editors",
            "--email",
            "editors@example.org",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hutong");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("write the password");
    let out = child.wait_with_output().expect("hutong ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("account root created (admin"), "{stdout}");
    assert!(!stdout.contains(PASSWORD), "{stdout}");
    let app = TestApp::on(db.clone());
    assert_eq!(
        Visitor::new(&app).sign_in("root", PASSWORD).await.status,
        303
    );

    // Without --password-stdin a password is made up and printed once.
    let out = hutong()
        .args(["--database-url", &db.url, "user", "reset", "root"])
        .output()
        .expect("run hutong");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let new = stdout
        .lines()
        .find_map(|l| l.strip_prefix("password (shown once; give it to its owner): "))
        .expect("the new password is printed");
    assert_eq!(Visitor::new(&app).sign_in("root", new).await.status, 303);

    let out = hutong()
        .args(["--database-url", &db.url, "user", "disable", "root"])
        .output()
        .expect("run hutong");
    assert!(out.status.success());
    let list = hutong()
        .args(["--database-url", &db.url, "user", "list"])
        .output()
        .expect("run hutong");
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        listed.contains("root") && listed.contains("disabled"),
        "{listed}"
    );
    assert!(!listed.contains("editors@example.org"), "{listed}");

    // A weak password or a second "root" is refused with the reason.
    let out = hutong()
        .args([
            "--database-url",
            &db.url,
            "user",
            "add",
            "ROOT",
            "--role",
            "reviewer",
            "--name",
            "x",
        ])
        .output()
        .expect("run hutong");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the login \"ROOT\" is taken"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
