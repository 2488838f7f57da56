//! The admin pages (issue 13): accounts created, reset, disabled and re-roled by admins
//! only, the audit log read and exported without secrets, and the way in.

use crate::common::visitor::{PASSWORD, account, csrf_in};
use crate::common::{Reply, TestApp, TestDb, Visitor, sel};
use hutong::domain::Role;

async fn app_with(db: TestDb, accounts: &[(&str, Role, &str)]) -> TestApp {
    let app = TestApp::on(db);
    for (login, role, name) in accounts {
        account(app.store(), login, *role, name).await;
    }
    app
}

async fn signed_in<'a>(app: &'a TestApp, login: &str) -> Visitor<'a> {
    let mut v = Visitor::new(app);
    let reply = v.sign_in(login, PASSWORD).await;
    assert_eq!(reply.status, 303, "{login}: {}", reply.body);
    v
}

/// The secret a page shows once, if it shows one.
fn shown_once(page: &Reply) -> Option<String> {
    page.html()
        .select(&sel("code.secret"))
        .next()
        .map(|c| c.text().collect::<String>())
}

const ADMIN_GETS: &[&str] = &[
    "/admin/accounts",
    "/admin/audit",
    "/admin/audit.csv",
    "/admin/audit.json",
    "/admin/webhooks",
];

const ADMIN_POSTS: &[(&str, &[(&str, &str)])] = &[
    (
        "/admin/accounts",
        &[
            ("login", "mallory"),
            ("public_name", "Mallory"),
            ("role", "admin"),
        ],
    ),
    ("/admin/accounts/wang/reset", &[]),
    ("/admin/accounts/wang/disable", &[]),
    ("/admin/accounts/wang/enable", &[]),
    ("/admin/accounts/wang/role", &[("role", "contributor")]),
];

#[tokio::test]
async fn contributors_and_reviewers_get_403_on_every_admin_page_and_post() {
    let app = app_with(
        crate::common::sqlite().await,
        &[
            ("li", Role::Contributor, "Li"),
            ("zhao", Role::Reviewer, "Zhao"),
            ("wang", Role::Admin, "Wang"),
        ],
    )
    .await;
    for login in ["li", "zhao"] {
        let mut v = signed_in(&app, login).await;
        for path in ADMIN_GETS {
            let reply = v.get(path).await;
            assert_eq!(reply.status, 403, "{login} GET {path}: {}", reply.body);
            assert!(!reply.body.contains("wang@example.org"), "{login} {path}");
        }
        // With this session's own, valid CSRF token: still refused, nothing done.
        let csrf = v.csrf_of("/account").await;
        for (path, fields) in ADMIN_POSTS {
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend_from_slice(fields);
            let reply = v.post(path, &form).await;
            assert_eq!(reply.status, 403, "{login} POST {path}: {}", reply.body);
        }
    }
    assert!(
        app.store()
            .account_by_login("mallory")
            .await
            .unwrap()
            .is_none()
    );
    let wang = app.store().account_by_login("wang").await.unwrap().unwrap();
    assert_eq!(wang.role, Role::Admin);
    assert!(!wang.is_disabled());
    assert_eq!(
        Visitor::new(&app).sign_in("wang", PASSWORD).await.status,
        303,
        "the admin's password was not reset"
    );
    // Anonymous readers are sent to sign in.
    for path in ADMIN_GETS {
        let reply = app.get(*path).await;
        assert_eq!(reply.status, 303, "{path}");
        assert!(reply.header("location").starts_with("/sign-in"), "{path}");
    }
}

async fn an_admin_creates_an_account_which_can_then_sign_in(db: TestDb) {
    let app = app_with(db, &[("wang", Role::Admin, "Wang")]).await;
    let mut wang = signed_in(&app, "wang").await;
    let page = wang.get("/admin/accounts").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.header("cache-control"), "no-store");
    let created = wang
        .post(
            "/admin/accounts",
            &[
                ("csrf", &csrf_in(&page)),
                ("login", "li.ming"),
                ("public_name", "Li Ming"),
                ("organisation", "Consumer Council"),
                ("email", "li@example.org"),
                ("role", "contributor"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    assert!(created.header("location").starts_with("/admin/accounts"));
    let next = wang.get(created.header("location")).await;
    let password = shown_once(&next).expect("the made-up password, shown once");
    assert!(password.len() >= 12, "{password}");
    assert!(next.body.contains("li@example.org"), "admins see emails");
    // Once only.
    let again = wang.get("/admin/accounts").await;
    assert_eq!(shown_once(&again), None);
    assert!(!again.body.contains(&password));
    let li = app
        .store()
        .account_by_login("li.ming")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(li.role, Role::Contributor);
    assert_eq!(li.organisation.as_deref(), Some("Consumer Council"));
    assert_eq!(
        Visitor::new(&app)
            .sign_in("li.ming", &password)
            .await
            .status,
        303
    );

    // A reset makes up another password, shown once; the old one stops working.
    let reset = wang
        .post(
            "/admin/accounts/li.ming/reset",
            &[("csrf", &csrf_in(&again))],
        )
        .await;
    assert_eq!(reset.status, 303);
    let shown = wang.get(reset.header("location")).await;
    let new = shown_once(&shown).expect("the new password");
    assert_ne!(new, password);
    assert_eq!(
        Visitor::new(&app)
            .sign_in("li.ming", &password)
            .await
            .status,
        401
    );
    assert_eq!(
        Visitor::new(&app).sign_in("li.ming", &new).await.status,
        303
    );

    // The role changes.
    let role = wang
        .post(
            "/admin/accounts/li.ming/role",
            &[("csrf", &csrf_in(&shown)), ("role", "reviewer")],
        )
        .await;
    assert_eq!(role.status, 303);
    let li = app
        .store()
        .account_by_login("li.ming")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(li.role, Role::Reviewer);
    // The list says when each signed in last.
    let list = wang.get("/admin/accounts").await;
    let row: String = list
        .html()
        .select(&sel("#account-li\\.ming"))
        .next()
        .expect("li's row")
        .text()
        .collect();
    assert!(row.contains("reviewer"), "{row}");
    assert!(!row.contains('—'), "a last sign-in is shown: {row}");
}

#[tokio::test]
async fn an_admin_creates_an_account_which_can_then_sign_in_on_sqlite() {
    an_admin_creates_an_account_which_can_then_sign_in(crate::common::sqlite().await).await;
}

#[tokio::test]
async fn an_admin_creates_an_account_which_can_then_sign_in_on_postgres() {
    let Some(db) = crate::common::postgres().await else {
        return;
    };
    an_admin_creates_an_account_which_can_then_sign_in(db).await;
}

#[tokio::test]
async fn a_disabled_accounts_session_stops_working_from_the_admin_page() {
    let app = app_with(
        crate::common::sqlite().await,
        &[
            ("li", Role::Contributor, "Li"),
            ("wang", Role::Admin, "Wang"),
        ],
    )
    .await;
    let mut li = signed_in(&app, "li").await;
    assert_eq!(li.get("/account").await.status, 200);
    let mut wang = signed_in(&app, "wang").await;
    let csrf = wang.csrf_of("/admin/accounts").await;
    let done = wang
        .post("/admin/accounts/li/disable", &[("csrf", &csrf)])
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let after = li.get("/account").await;
    assert_eq!(after.status, 303, "the session ended at once");
    assert!(after.header("location").starts_with("/sign-in"));
    assert_eq!(Visitor::new(&app).sign_in("li", PASSWORD).await.status, 401);
    // Enabled again: the same password works again.
    let enabled = wang
        .post("/admin/accounts/li/enable", &[("csrf", &csrf)])
        .await;
    assert_eq!(enabled.status, 303);
    assert_eq!(Visitor::new(&app).sign_in("li", PASSWORD).await.status, 303);
}

#[tokio::test]
async fn an_admin_cannot_disable_themselves_or_remove_the_last_admin() {
    let app = app_with(
        crate::common::sqlite().await,
        &[("wang", Role::Admin, "Wang")],
    )
    .await;
    let mut wang = signed_in(&app, "wang").await;
    let csrf = wang.csrf_of("/admin/accounts").await;
    let own = wang
        .post("/admin/accounts/wang/disable", &[("csrf", &csrf)])
        .await;
    assert_eq!(own.status, 303);
    let page = wang.get(own.header("location")).await;
    assert!(
        page.body.contains("cannot disable your own account"),
        "{}",
        page.body
    );
    let demoted = wang
        .post(
            "/admin/accounts/wang/role",
            &[("csrf", &csrf), ("role", "contributor")],
        )
        .await;
    let page = wang.get(demoted.header("location")).await;
    assert!(page.body.contains("last enabled admin"), "{}", page.body);
    let stored = app.store().account_by_login("wang").await.unwrap().unwrap();
    assert_eq!(stored.role, Role::Admin);
    assert!(!stored.is_disabled());
    // A second admin may be disabled; then the first is the last again.
    account(app.store(), "zhao", Role::Admin, "Zhao").await;
    let other = wang
        .post("/admin/accounts/zhao/disable", &[("csrf", &csrf)])
        .await;
    let page = wang.get(other.header("location")).await;
    assert!(page.body.contains("zhao is disabled"), "{}", page.body);
    // The command line may (it is where a locked-out site is recovered from).
    hutong::accounts::set_role(
        app.store(),
        "wang",
        Role::Reviewer,
        &hutong::accounts::Actor::command_line(),
    )
    .await
    .expect("the command line changes any role");
}

async fn the_audit_export_lists_the_actions_with_address_and_no_secrets(db: TestDb) {
    let app = app_with(
        db,
        &[
            ("li", Role::Contributor, "Li"),
            ("wang", Role::Admin, "Wang"),
        ],
    )
    .await;
    let mut wang = signed_in(&app, "wang").await;
    let page = wang.get("/admin/accounts").await;
    let csrf = csrf_in(&page);
    let reset = wang
        .post("/admin/accounts/li/reset", &[("csrf", &csrf)])
        .await;
    let password = shown_once(&wang.get(reset.header("location")).await).expect("a password");
    wang.post(
        "/admin/accounts/li/role",
        &[("csrf", &csrf), ("role", "reviewer")],
    )
    .await;
    wang.post("/admin/accounts/li/disable", &[("csrf", &csrf)])
        .await;
    let made = wang
        .post("/account/tokens", &[("csrf", &csrf), ("name", "script")])
        .await;
    let token = shown_once(&wang.get(made.header("location")).await).expect("a token");
    let session_cookie = wang.cookie.clone().expect("a session");
    let session_id = session_cookie.split('=').nth(1).unwrap_or_default();

    let csv = wang.get("/admin/audit.csv").await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(csv.content_type.starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(csv.bytes.as_slice());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let actions: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r[column("actor")].to_string(),
                r[column("action")].to_string(),
                r[column("subject")].to_string(),
            )
        })
        .collect();
    for (actor, action, subject) in [
        ("wang", "password-reset", "li"),
        ("wang", "role-changed", "li"),
        ("wang", "account-disabled", "li"),
        ("wang", "token-created", "token 1"),
        ("wang", "signed-in", ""),
    ] {
        assert!(
            actions
                .iter()
                .any(|a| (a.0.as_str(), a.1.as_str(), a.2.as_str()) == (actor, action, subject)),
            "{actor} {action} {subject} in {actions:?}"
        );
    }
    // Newest first, every line with an address.
    assert_eq!(actions[0].1, "token-created", "{actions:?}");
    assert!(rows.iter().all(|r| !r[column("address")].is_empty()));

    let json = wang.get("/admin/audit.json?action=password-reset").await;
    assert_eq!(json.status, 200);
    let lines = json.json()["lines"].as_array().unwrap().clone();
    assert_eq!(lines.len(), 1, "filtered by action: {lines:?}");
    assert_eq!(lines[0]["subject"], "li");

    for body in [&csv.body, &json.body] {
        for secret in [
            PASSWORD,
            password.as_str(),
            token.as_str(),
            session_id,
            "$argon2",
            "li@example.org",
        ] {
            assert!(!body.contains(secret), "{secret} in {body}");
        }
    }
    // The page shows the same, filtered by actor.
    let page = wang
        .get("/admin/audit?actor=wang&action=role-changed")
        .await;
    assert_eq!(page.status, 200);
    let rows = page.html().select(&sel("table.audit tbody tr")).count();
    assert_eq!(rows, 1, "{}", page.body);
}

#[tokio::test]
async fn the_audit_export_lists_the_actions_with_address_and_no_secrets_on_sqlite() {
    the_audit_export_lists_the_actions_with_address_and_no_secrets(crate::common::sqlite().await)
        .await;
}

#[tokio::test]
async fn the_audit_export_lists_the_actions_with_address_and_no_secrets_on_postgres() {
    let Some(db) = crate::common::postgres().await else {
        return;
    };
    the_audit_export_lists_the_actions_with_address_and_no_secrets(db).await;
}

#[tokio::test]
async fn the_audit_log_pages_newest_first() {
    let app = app_with(
        crate::common::sqlite().await,
        &[("wang", Role::Admin, "Wang")],
    )
    .await;
    for n in 0..60 {
        app.store()
            .record_audit(&hutong::accounts::Actor::command_line().entry(
                "test-line",
                Some(format!("line {n}")),
                None,
            ))
            .await
            .unwrap();
    }
    let mut wang = signed_in(&app, "wang").await;
    let first = wang.get("/admin/audit?action=test-line").await;
    let subjects = |page: &Reply| -> Vec<String> {
        page.html()
            .select(&sel("table.audit tbody tr td:nth-child(4)"))
            .map(|td| td.text().collect())
            .collect()
    };
    let one = subjects(&first);
    assert_eq!(one.len(), 50);
    assert_eq!(one[0], "line 59");
    let older = first
        .html()
        .select(&sel("a[rel=next]"))
        .next()
        .and_then(|a| a.value().attr("href").map(str::to_string))
        .expect("a link to older lines");
    let two = subjects(&wang.get(&older).await);
    assert_eq!(two.len(), 10);
    assert_eq!(two.last().map(String::as_str), Some("line 0"));
}

#[tokio::test]
async fn script_in_every_admin_entered_field_is_shown_as_text() {
    let app = app_with(
        crate::common::sqlite().await,
        &[("wang", Role::Admin, "Wang")],
    )
    .await;
    let mut wang = signed_in(&app, "wang").await;
    let csrf = wang.csrf_of("/admin/accounts").await;
    let name = "<script>alert(1)</script>";
    let organisation = "<img src=x onerror=alert(2)>";
    let email = "<b>x</b>@example.org";
    let made = wang
        .post(
            "/admin/accounts",
            &[
                ("csrf", &csrf),
                ("login", "li"),
                ("public_name", name),
                ("organisation", organisation),
                ("email", email),
                ("role", "contributor"),
            ],
        )
        .await;
    assert_eq!(made.status, 303);
    let page = wang.get("/admin/accounts").await;
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(!page.body.contains("<img src=x"), "{}", page.body);
    assert!(!page.body.contains("<b>x</b>"), "{}", page.body);
    let row: String = page
        .html()
        .select(&sel("#account-li"))
        .next()
        .expect("li's row")
        .text()
        .collect();
    for shown in [name, organisation, email] {
        assert!(row.contains(shown), "{shown} shown as text in {row}");
    }
    // A refused creation keeps what was typed: as text too.
    let refused = wang
        .post(
            "/admin/accounts",
            &[
                ("csrf", &csrf),
                ("login", "<script>"),
                ("public_name", name),
                ("role", "contributor"),
            ],
        )
        .await;
    let page = wang.get(refused.header("location")).await;
    assert!(page.body.contains("role=\"alert\""), "{}", page.body);
    assert!(!page.body.contains("<script>"), "{}", page.body);
    // A token's name, and the audit page's filter.
    let token = wang
        .post("/account/tokens", &[("csrf", &csrf), ("name", name)])
        .await;
    let tokens = wang.get(token.header("location")).await;
    assert!(!tokens.body.contains("<script>alert"), "{}", tokens.body);
    assert!(
        tokens
            .html()
            .root_element()
            .text()
            .any(|t| t.contains(name))
    );
    let audit = wang
        .get("/admin/audit?actor=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert_eq!(audit.status, 200);
    assert!(!audit.body.contains("<script>alert"), "{}", audit.body);
}

#[tokio::test]
async fn the_way_in_is_a_link_in_every_pages_footer_and_the_account_page_links_by_role() {
    let app = app_with(
        crate::common::sqlite_with_catalog(&crate::common::real_catalog()).await,
        &[
            ("li", Role::Contributor, "Li"),
            ("wang", Role::Admin, "Wang"),
        ],
    )
    .await;
    let pages = [
        ("overview", app.overview("").await),
        ("links", app.links("").await),
        ("timeline", app.timeline("").await),
        ("check", app.check_page("link.wechat.taobao", "").await),
    ];
    for (path, page) in pages {
        assert_eq!(page.status, 200, "{path}");
        let link = page
            .html()
            .select(&sel("footer a.sign-in-link"))
            .next()
            .and_then(|a| a.value().attr("href").map(str::to_string));
        assert_eq!(link.as_deref(), Some("/sign-in?lang=en"), "{path}");
        assert!(
            page.header_values("set-cookie").is_empty(),
            "a public page sets no cookie: {path}"
        );
    }
    let zh = app.get("/?lang=zh-CN").await;
    assert!(zh.body.contains("登录"), "{}", zh.body);
    let links = |page: &Reply| -> Vec<String> {
        page.html()
            .select(&sel("main ul a, ul a"))
            .filter_map(|a| a.value().attr("href").map(str::to_string))
            .collect()
    };
    let mut li = signed_in(&app, "li").await;
    let li_links = links(&li.get("/account").await);
    assert!(li_links.iter().any(|l| l.starts_with("/contribute?")));
    assert!(li_links.iter().any(|l| l.starts_with("/account/tokens")));
    assert!(!li_links.iter().any(|l| l.starts_with("/admin")));
    assert!(!li_links.iter().any(|l| l.starts_with("/review")));
    let mut wang = signed_in(&app, "wang").await;
    let wang_links = links(&wang.get("/account").await);
    for wanted in ["/admin/accounts", "/admin/audit", "/review", "/contribute?"] {
        assert!(
            wang_links.iter().any(|l| l.starts_with(wanted)),
            "{wanted} in {wang_links:?}"
        );
    }
}

/// Two admins demoting (or disabling) each other at the same moment: one succeeds, the
/// other is refused, and an enabled admin is always left. The check and the change are
/// one transaction (the admins' rows locked on PostgreSQL).
async fn two_admins_removing_each_other_at_once_leave_one(db: TestDb) {
    use hutong::accounts::{self, AccountError, Actor};
    let store = db.store.clone();
    account(&store, "an", Role::Admin, "An").await;
    account(&store, "bo", Role::Admin, "Bo").await;
    let enabled_admins = |store: hutong::storage::Store| async move {
        let mut n = 0;
        for login in ["an", "bo"] {
            let a = store.account_by_login(login).await.unwrap().unwrap();
            if a.role == Role::Admin && !a.is_disabled() {
                n += 1;
            }
        }
        n
    };
    for round in 0..8 {
        let an = store.account_by_login("an").await.unwrap().unwrap();
        let bo = store.account_by_login("bo").await.unwrap().unwrap();
        let (by_an, by_bo) = (Actor::account(&an, None), Actor::account(&bo, None));
        let disable = round % 2 == 1;
        let (s1, s2) = (store.clone(), store.clone());
        let (r1, r2) = tokio::join!(
            tokio::spawn(async move {
                if disable {
                    accounts::disable(&s1, "bo", &by_an).await.map(|_| ())
                } else {
                    accounts::set_role(&s1, "bo", Role::Reviewer, &by_an)
                        .await
                        .map(|_| ())
                }
            }),
            tokio::spawn(async move {
                if disable {
                    accounts::disable(&s2, "an", &by_bo).await.map(|_| ())
                } else {
                    accounts::set_role(&s2, "an", Role::Reviewer, &by_bo)
                        .await
                        .map(|_| ())
                }
            }),
        );
        let results = [r1.unwrap(), r2.unwrap()];
        assert_eq!(
            enabled_admins(store.clone()).await,
            1,
            "round {round}: {results:?}"
        );
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        assert!(
            results
                .iter()
                .any(|r| matches!(r, Err(AccountError::LastAdmin(_)))),
            "{results:?}"
        );
        // Both admins again, from the command line, for the next round.
        for login in ["an", "bo"] {
            accounts::set_role(&store, login, Role::Admin, &Actor::command_line())
                .await
                .unwrap();
            accounts::enable(&store, login, &Actor::command_line())
                .await
                .unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_removing_each_other_at_once_leave_one_on_sqlite() {
    two_admins_removing_each_other_at_once_leave_one(crate::common::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_admins_removing_each_other_at_once_leave_one_on_postgres() {
    let Some(db) = crate::common::postgres().await else {
        return;
    };
    two_admins_removing_each_other_at_once_leave_one(db).await;
}

/// The delivery log reads as words in the reader's language, the error under the answer
/// it replaced, and every value labelled (on a phone each delivery is a card of lines).
#[tokio::test]
async fn the_webhook_log_says_each_delivery_in_words_with_every_value_labelled() {
    use hutong::config::WebhookConfig;
    use hutong::webhooks::{Receiver, Webhooks};
    let db = crate::common::sqlite().await;
    let app = app_with(db, &[("wang", Role::Admin, "Wang")]).await;
    // A receiver nobody listens on: the attempt fails without an answer.
    let down = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let receiver = Receiver::from_config(&WebhookConfig {
        url: format!("http://{down}/hook"),
        secret: Some("s3cret-webhook-key".into()),
        secret_file: None,
        events: vec!["alert".into()],
        allow_http: true,
        first_retry_secs: 60,
        max_attempts: 3,
    })
    .unwrap();
    let w = Webhooks::new(app.store().clone(), vec![receiver], "https://h.example.org").unwrap();
    w.alert_silent_vantage("cn-sh-telecom", None).await.unwrap();
    w.round().await.unwrap();

    let mut v = signed_in(&app, "wang").await;
    for (lang, event, no_answer) in [("en", "alert", "no answer"), ("zh-CN", "告警", "无应答")]
    {
        let page = v.get(&format!("/admin/webhooks?lang={lang}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let html = page.html();
        let row = html
            .select(&sel("table.webhooks tbody tr"))
            .next()
            .expect("a row");
        let cells: Vec<_> = row.select(&sel("td")).collect();
        assert_eq!(cells.len(), 8);
        for c in &cells {
            assert!(
                c.value().attr("data-label").is_some_and(|l| !l.is_empty()),
                "{lang}: an unlabelled value {:?}",
                c.html()
            );
        }
        let what: String = cells[2].text().collect();
        assert!(what.starts_with(event), "{lang}: {what}");
        assert!(
            what.contains("cn-sh-telecom"),
            "{lang}: which alert: {what}"
        );
        let last = &cells[6];
        let error: String = last.select(&sel(".note")).flat_map(|e| e.text()).collect();
        let answer: String = last.text().collect();
        assert!(answer.starts_with(no_answer), "{lang}: {answer}");
        assert!(
            !error.is_empty() && answer.ends_with(&error),
            "{lang}: {answer}"
        );
        assert!(!page.body.contains("s3cret-webhook-key"));
    }
}
