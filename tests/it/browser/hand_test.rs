//! A hand test's whole path, driven in Chromium with JavaScript off (issue 13): the first
//! admin comes from the command line; in the browser the admin creates a contributor and a
//! reviewer; the contributor signs in and submits a hand test with a screenshot; it is not
//! public; the reviewer approves it; it is on the check page, the matrix (with its source
//! kind), the timeline and the timeline's CSV; the reviewer retracts it; the corrections
//! log shows it, and the public pages no longer count it.

use super::{Browser, Harness, Js, harness};
use crate::common;
use std::io::Write;
use std::process::Stdio;

const CHECK: &str = "link.wechat.taobao";
/// What the tester saw, in words no other page of the demo has.
const SEEN: &str = "Hand-tested: a grey page said the Taobao link cannot be opened.";
const NAME: &str = "Lin Yue (browser test)";

impl Browser {
    async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear");
        field
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("{}: typing into `{css}`: {e}", self.ctx()));
    }

    /// Clicks the submit button of the form `form` and waits for where it leads.
    async fn submit(&self, form: &str, what: &str, ok: impl Fn(&url::Url) -> bool) -> url::Url {
        let button = self.find(&format!("main {form} button[type=submit]")).await;
        self.click_away(button, what).await;
        self.wait_for_url(what, ok).await
    }

    async fn sign_in(&self, login: &str, password: &str) {
        self.goto("/sign-in").await;
        self.fill("#login", login).await;
        self.fill("#password", password).await;
        self.submit("form[action^='/sign-in']", "signing in", |u| {
            u.path() != "/sign-in"
        })
        .await;
        self.no_error_text(&format!("signed in as {login}")).await;
    }

    async fn sign_out(&self) {
        self.goto("/account").await;
        self.submit("form[action^='/sign-out']", "signing out", |u| {
            u.path() != "/account"
        })
        .await;
    }

    async fn body_text(&self) -> String {
        self.text("body").await
    }
}

/// A small PNG on disk, for the file field.
fn screenshot_file(dir: &std::path::Path) -> std::path::PathBuf {
    let image = image::RgbImage::from_fn(360, 640, |x, y| {
        image::Rgb([(x % 200) as u8 + 40, (y % 180) as u8 + 50, 120])
    });
    let path = dir.join("wechat-taobao.png");
    image.save(&path).expect("write the screenshot");
    path
}

/// `hutong user add LOGIN --role ROLE …` on the server's database, the password piped in.
fn add_account_from_the_command_line(database_url: &str, login: &str, role: &str, password: &str) {
    let mut child = common::hutong()
        .args([
            "user",
            "add",
            login,
            "--role",
            role,
            "--name",
            "Hutong editors",
        ])
        .arg("--password-stdin")
        .env("HUTONG_DATABASE_URL", database_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run hutong user add");
    writeln!(child.stdin.take().expect("stdin"), "{password}").expect("password");
    let out = child.wait_with_output().expect("hutong user add");
    assert!(
        out.status.success(),
        "hutong user add {login}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// An anonymous reader's view of a path (no cookie), as text.
async fn public(h: &Harness, path: &str) -> String {
    let reply = reqwest::get(format!("{}{path}", h.server.base))
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    assert_eq!(reply.status(), 200, "GET {path}");
    reply.text().await.expect("body")
}

async fn whole_path(h: &Harness) {
    let b = Browser::open(h, Js::Off).await;
    let files = tempfile::tempdir().expect("temp dir");
    let shot = screenshot_file(files.path());

    // The first admin comes from the command line.
    add_account_from_the_command_line(
        &h.server.database_url,
        "editor",
        "admin",
        "correct horse battery staple",
    );
    b.sign_in("editor", "correct horse battery staple").await;

    // The admin creates a contributor and a reviewer; each password is shown once.
    let mut passwords = Vec::new();
    for (login, name, role) in [
        ("linyue", NAME, "contributor"),
        ("zhoumin", "Zhou Min", "reviewer"),
    ] {
        b.goto("/admin/accounts").await;
        b.page_ok("hand-test-admin-accounts").await;
        b.fill("#new-login", login).await;
        b.fill("#new-name", name).await;
        b.find(&format!("#new-role option[value={role}]"))
            .await
            .click()
            .await
            .expect("choose the role");
        b.submit(
            "form.account-form[action^='/admin/accounts']",
            "creating an account",
            |u| u.path().starts_with("/admin/accounts"),
        )
        .await;
        let secret = b.text(".notice.once code.secret").await;
        assert!(
            secret.len() >= 12,
            "a made-up password is shown once: {secret:?}"
        );
        passwords.push(secret);
    }
    b.sign_out().await;

    // The contributor finds the check and submits a hand test with a screenshot.
    b.sign_in("linyue", &passwords[0]).await;
    b.goto("/contribute?q=taobao").await;
    b.page_ok("hand-test-search").await;
    b.follow(&format!("a[href^='/contribute/{CHECK}']")).await;
    b.page_ok("hand-test-form").await;
    // Chrome's date-and-time field for en-US: month, day, year, hour, minute, AM/PM.
    b.fill("#observed_at", "11292026\u{E014}0930AM").await;
    let typed = b
        .find("#observed_at")
        .await
        .prop("value")
        .await
        .expect("value");
    assert_eq!(
        typed.as_deref(),
        Some("2026-11-29T09:30"),
        "the observed time typed"
    );
    b.find("#status option[value=blocked]")
        .await
        .click()
        .await
        .expect("choose the status");
    for (id, text) in [
        ("#device", "iPhone 13"),
        ("#os", "iOS 18.1"),
        ("#app", "WeChat"),
        ("#app_version", "8.0.50"),
        ("#network", "China Mobile 5G"),
        ("#network_region", "Beijing"),
        ("#account_region", "mainland China"),
        (
            "#steps",
            "Pasted a Taobao item link into a chat and tapped it.",
        ),
        ("#seen", SEEN),
    ] {
        b.fill(id, text).await;
    }
    b.find("#screenshot")
        .await
        .send_keys(&shot.display().to_string())
        .await
        .expect("choose the screenshot");
    b.submit(
        &format!("form[action^='/contribute/{CHECK}']"),
        "submitting the hand test",
        |u| u.path().starts_with("/contribute/mine"),
    )
    .await;
    b.page_ok("hand-test-mine").await;
    assert!(
        b.text("main table").await.contains("29 Nov 2026 09:30"),
        "my submissions list it with its Beijing time"
    );

    // Not public: no public page or export carries it, and the matrix cell has no hand test.
    for path in [
        &format!("/checks/{CHECK}") as &str,
        "/links",
        "/timeline?entries=all",
        "/timeline.csv?entries=all",
        "/sources",
        "/api/v1/checks/link.wechat.taobao/observations",
    ] {
        let page = public(h, path).await;
        assert!(
            !page.contains(SEEN) && !page.contains(NAME),
            "{path} shows the unreviewed hand test"
        );
    }
    assert!(!matrix_cell_has_a_hand_test(h).await, "before review");
    b.sign_out().await;

    // The reviewer opens the queue, sees the submission beside the check, and approves it.
    b.sign_in("zhoumin", &passwords[1]).await;
    b.goto("/review").await;
    b.page_ok("hand-test-queue").await;
    let review = b.follow("main table a[href^='/review/']").await;
    b.page_ok("hand-test-review").await;
    assert!(
        b.body_text().await.contains(SEEN),
        "the reviewer reads the words"
    );
    b.submit("form[action*='/approve']", "approving", |u| {
        u.path() == "/review"
    })
    .await;
    b.no_error_text("approved").await;
    b.goto(review.path()).await;
    let observation = b
        .attr("main .notice a[href^='/observations/']", "href")
        .await
        .expect("the published observation's link");
    let observation = observation
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    b.sign_out().await;

    // Public now: the check page leads to it, with its screenshot; the matrix marks the
    // hand test; the timeline and its CSV carry it, as a hand test.
    b.goto(&format!("/checks/{CHECK}")).await;
    b.page_ok("hand-test-check").await;
    b.follow(&format!("main a[href^='{observation}']")).await;
    b.page_ok("hand-test-observation").await;
    let text = b.body_text().await;
    assert!(
        text.contains(NAME) && text.contains(SEEN),
        "the observation page: {text}"
    );
    let thumbnail = b
        .attr("main img[src*='/screenshots/']", "src")
        .await
        .expect("a screenshot's thumbnail");
    let image = reqwest::get(format!("{}{thumbnail}", h.server.base))
        .await
        .expect("the thumbnail");
    assert_eq!(image.status(), 200);
    assert_eq!(image.headers()["content-type"], "image/png");
    assert!(matrix_cell_has_a_hand_test(h).await, "after approval");
    b.goto("/timeline?entries=all").await;
    b.page_ok("hand-test-timeline").await;
    assert!(
        b.body_text().await.contains(NAME),
        "the timeline credits the hand test"
    );
    let csv = public(h, "/timeline.csv?entries=all").await;
    let row = csv
        .lines()
        .find(|l| l.contains(NAME))
        .unwrap_or_else(|| panic!("the CSV has no row of the hand test:\n{csv}"));
    assert!(row.contains(CHECK) && row.contains("manual"), "{row}");

    // The reviewer retracts it, with a reason; the corrections log says so, and the
    // public record no longer counts it.
    let reason = "The screenshot shows a different app's page.";
    b.sign_in("zhoumin", &passwords[1]).await;
    b.goto(&format!("{observation}/retract")).await;
    b.page_ok("hand-test-retract").await;
    b.fill("#reason", reason).await;
    b.submit("form[action*='/retract']", "retracting", |u| {
        !u.path().ends_with("/retract")
    })
    .await;
    b.no_error_text("retracted").await;
    b.sign_out().await;
    b.goto("/corrections").await;
    b.page_ok("hand-test-corrections").await;
    let log = b.text("main").await;
    assert!(log.contains(reason), "the corrections log: {log}");
    b.goto(&observation).await;
    b.page_ok("hand-test-retracted").await;
    let main = b.text("main").await;
    assert!(
        main.contains("Retracted on") && main.contains(reason),
        "the observation page says it was retracted and why: {main}"
    );
    assert!(
        !b.text("main del").await.trim().is_empty(),
        "its status is struck through"
    );
    assert!(!matrix_cell_has_a_hand_test(h).await, "after retraction");
    let csv = public(h, "/timeline.csv?entries=all").await;
    assert!(
        !csv.lines().any(|l| l.contains(NAME) && !l.contains("true")),
        "the CSV still counts the retracted hand test:\n{csv}"
    );
    b.close().await;
}

/// The Links matrix marks WeChat × Taobao's cell as resting on a hand test.
async fn matrix_cell_has_a_hand_test(h: &Harness) -> bool {
    let page = scraper::Html::parse_document(&public(h, "/links").await);
    let link = common::sel(&format!("a[href^='/checks/{CHECK}']"));
    let cell = page
        .select(&common::sel("td"))
        .find(|td| td.select(&link).next().is_some())
        .expect("the matrix has WeChat × Taobao's cell");
    cell.select(&common::sel(".sk-manual")).next().is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_test_goes_from_contributor_through_review_to_the_record_and_is_retracted() {
    let h = harness().await;
    whole_path(&h).await;
    h.done("hand test path");
}
