//! Real headless Chromium drives the running server, once with JavaScript disabled and
//! once with it enabled: every page opens with its heading and no error, the date form
//! changes the date, a matrix cell leads to its check, the language switch keeps the date,
//! the timeline's CSV downloads and parses; the browser console stays free of errors.
//! Screenshots of every page go to `target/browser-screenshots/<js-off|js-on>/`.
//!
//! Needs `chromium` and `chromedriver` (Debian's `chromium` and `chromium-driver`, plus
//! `fonts-noto-cjk` for the Chinese text in screenshots): `./scripts/test` installs them.
//! Without them these tests fail, saying so; they never pass without running.

mod hand_test;

use crate::common;
use axum::http::Method;
use chrono::NaiveDate;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hutong::catalog::Catalog;
use hutong::config::{Config, ProbeConfig};
use hutong::serve::Application;
use hutong_app::i18n::Lang;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The two ways a reader may come: the pages must work the same without JavaScript.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Js {
    Off,
    On,
}

impl Js {
    fn name(self) -> &'static str {
        match self {
            Js::Off => "js-off",
            Js::On => "js-on",
        }
    }
}

const MODES: [Js; 2] = [Js::Off, Js::On];

/// Console entries the browser logs at SEVERE level that are not errors of the page,
/// listed one by one: (which page, what the message contains). Chromium reports every
/// 4xx answer to a navigation as "Failed to load resource", so the 404 page's own status
/// is expected there, and nowhere else; the test also fails if it is missing there.
const EXPECTED_CONSOLE_NOISE: &[(&str, &str)] =
    &[("not-found", "the server responded with a status of 404")];

/// The date the form is set to: Chrome's `en-US` date field takes it month, day, year.
const DATE: (i32, u32, u32) = (2021, 10, 17);

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(DATE.0, DATE.1, DATE.2).expect("a real date")
}

// ---------------------------------------------------------------------------------------
// chromedriver, as a child process that dies with the test

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    names.iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn missing(what: &str) -> ! {
    panic!(
        "{what} is not installed: run ./scripts/test, which installs Debian's `chromium`, \
         `chromium-driver` and `fonts-noto-cjk` (as root or with sudo), or install them \
         yourself (apt-get install chromium chromium-driver fonts-noto-cjk)"
    )
}

/// chromedriver on a free loopback port; killed when dropped, also when a test panics.
struct ChromeDriver {
    child: Child,
    url: String,
    browser: PathBuf,
}

impl ChromeDriver {
    fn start() -> ChromeDriver {
        let driver = find_program(&["chromedriver"]).unwrap_or_else(|| missing("chromedriver"));
        let browser = find_program(&["chromium", "chromium-browser", "google-chrome"])
            .unwrap_or_else(|| missing("Chromium"));
        let mut child = Command::new(&driver)
            .arg("--port=0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver.display()));
        // It picks the port itself and says which: no race with other processes.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("started successfully on port ").nth(1) {
                    let port: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(port);
                    }
                }
                // Keep reading so chromedriver never blocks on a full pipe.
            }
        });
        let mut driver = ChromeDriver {
            child,
            url: String::new(),
            browser,
        };
        match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(port) => driver.url = format!("http://127.0.0.1:{port}"),
            Err(_) => panic!(
                "chromedriver did not say which port it listens on within 20 s (exited: {:?})",
                driver.child.try_wait()
            ),
        }
        driver
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------
// the real server, in-process, with the catalog and simulated demo observations

struct Server {
    base: String,
    /// The server's SQLite database, for the command line (the first admin comes from it).
    database_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// `hutong serve --demo` on 127.0.0.1:0 with a fresh SQLite database: the catalog's cited
/// history, plus each simulated pack run twice against the in-process simulator (so the
/// simulated matrix, probe runs and observation pages have something to show).
async fn start_server() -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = format!("sqlite://{}", dir.path().join("hutong.db").display());
    let config = Config {
        database_url: database_url.clone(),
        listen: "127.0.0.1:0".parse().expect("address"),
        catalog_dir: common::catalog_dir(),
        probes: ProbeConfig {
            demo: true,
            schedule: false,
            ..ProbeConfig::default()
        },
        ..Config::default()
    };
    let app = Application::build(&config)
        .await
        .expect("the server starts");
    let engine = app.probes().engine.clone();
    let simulated: Vec<String> = app
        .probes()
        .summaries
        .iter()
        .filter(|p| p.simulated)
        .map(|p| p.id.clone())
        .collect();
    assert!(!simulated.is_empty(), "the catalog ships simulated packs");
    let now = chrono::Utc::now();
    for pack in &simulated {
        for slot in [now - chrono::Duration::minutes(1), now] {
            engine
                .run_pack(pack, slot, "manual", None, &|_| {})
                .await
                .unwrap_or_else(|e| panic!("demo pack {pack}: {e}"));
        }
    }
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    Server {
        base,
        database_url,
        stop: Some(stop),
        _dir: dir,
    }
}

/// One chromedriver and one server, shared by the sessions of one test function.
struct Harness {
    driver: ChromeDriver,
    server: Server,
    catalog: Catalog,
    started: Instant,
}

async fn harness() -> Harness {
    let started = Instant::now();
    let driver = ChromeDriver::start();
    let server = start_server().await;
    eprintln!(
        "browser: chromedriver at {} and Hutong at {} ready in {:.1} s",
        driver.url,
        server.base,
        started.elapsed().as_secs_f64()
    );
    Harness {
        driver,
        server,
        catalog: common::real_catalog(),
        started,
    }
}

impl Harness {
    fn done(&self, test: &str) {
        eprintln!(
            "browser: {test} done in {:.1} s; screenshots in {}",
            self.started.elapsed().as_secs_f64(),
            screenshot_root().display()
        );
    }
}

fn screenshot_root() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(target)
    };
    target.join("browser-screenshots")
}

// ---------------------------------------------------------------------------------------
// WebDriver commands fantoccini has no method for

/// A raw command on the current session: `path` is appended to `/session/{id}/`.
#[derive(Debug)]
struct SessionCommand {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionCommand {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.expect("a session is open");
        base_url.join(&format!("session/{session}/{}", self.path))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (Method, Option<String>) {
        (Method::POST, Some(self.body.to_string()))
    }
}

// ---------------------------------------------------------------------------------------
// one browser session

struct Browser {
    client: Client,
    js: Js,
    base: String,
    shots: PathBuf,
    downloads: tempfile::TempDir,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn open(h: &Harness, js: Js) -> Browser {
        let profile = tempfile::tempdir().expect("temp dir");
        let downloads = tempfile::tempdir().expect("temp dir");
        let mut prefs = json!({
            "download.default_directory": downloads.path(),
            "download.prompt_for_download": false,
            "intl.accept_languages": "en-US,en",
        });
        if js == Js::Off {
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": h.driver.browser,
                "args": [
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    format!("--user-data-dir={}", profile.path().display()),
                    "--window-size=1280,1600",
                    "--lang=en-US",
                ],
                "prefs": prefs,
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let caps = match caps {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&h.driver.url)
            .await
            .unwrap_or_else(|e| panic!("{}: cannot open a Chromium session: {e}", js.name()));
        let shots = screenshot_root().join(js.name());
        std::fs::create_dir_all(&shots).expect("screenshot folder");
        let browser = Browser {
            client,
            js,
            base: h.server.base.clone(),
            shots,
            downloads,
            _profile: profile,
        };
        browser.check_javascript_mode().await;
        browser
    }

    /// The browser really runs with JavaScript as asked: `<noscript>` content becomes
    /// elements only when scripting is off.
    async fn check_javascript_mode(&self) {
        self.client
            .goto("data:text/html,<noscript><p id=nojs>off</p></noscript><p>page</p>")
            .await
            .expect("open a data: page");
        let noscript_shown = !self
            .client
            .find_all(Locator::Css("#nojs"))
            .await
            .expect("find")
            .is_empty();
        assert_eq!(
            noscript_shown,
            self.js == Js::Off,
            "{}: Chromium's scripting setting is not what this session asked for",
            self.ctx()
        );
    }

    fn ctx(&self) -> &'static str {
        self.js.name()
    }

    async fn close(self) {
        let _ = self.client.close().await;
    }

    async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("{}: cannot open {path}: {e}", self.ctx()));
    }

    async fn url(&self) -> url::Url {
        self.client.current_url().await.expect("current url")
    }

    /// Waits until the address satisfies `ok` (a click's navigation may still be under way).
    async fn wait_for_url(&self, what: &str, ok: impl Fn(&url::Url) -> bool) -> url::Url {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let url = self.url().await;
            if ok(&url) {
                // And wait for the new document to be there.
                let _ = self
                    .client
                    .wait()
                    .at_most(Duration::from_secs(10))
                    .for_element(Locator::Css("main h1"))
                    .await;
                return url;
            }
            if Instant::now() > deadline {
                panic!("{}: {what}: still at {url}", self.ctx());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks `element` and waits until the document it was on has gone. Until the new
    /// page arrives the old one still answers every query, so a check made too soon would
    /// read the page the click left (and an address that stays the same proves nothing).
    async fn click_away(&self, element: fantoccini::elements::Element, what: &str) {
        let old = self
            .client
            .find(Locator::Css("html"))
            .await
            .unwrap_or_else(|e| panic!("{}: {what}: no document: {e}", self.ctx()));
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("{}: {what}: {e}", self.ctx()));
        let deadline = Instant::now() + Duration::from_secs(15);
        while old.tag_name().await.is_ok() {
            if Instant::now() > deadline {
                let url = self.url().await;
                panic!("{}: {what}: still on the page at {url}", self.ctx());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(e) => {
                let url = self.client.current_url().await.map(|u| u.to_string());
                panic!("{}: no `{css}` on {url:?}: {e}", self.ctx())
            }
        }
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css).await.attr(name).await.expect("attribute")
    }

    /// Follows the link `css` by clicking it, and returns where it led.
    async fn follow(&self, css: &str) -> url::Url {
        let link = self.find(css).await;
        let href = link
            .attr("href")
            .await
            .expect("href")
            .unwrap_or_else(|| panic!("{}: `{css}` has no href", self.ctx()));
        let target = url::Url::parse(&self.base)
            .expect("base")
            .join(&href)
            .expect("href is a URL");
        self.click_away(link, &format!("following `{css}`")).await;
        self.wait_for_url(&format!("following {href}"), |u| {
            u.path() == target.path() && u.query() == target.query()
        })
        .await
    }

    /// The page's main heading: there, visible, and not an error page's.
    async fn heading(&self, name: &str) -> String {
        let h1 = self.find("main h1").await;
        assert!(
            h1.is_displayed().await.expect("displayed"),
            "{}: {name}: the main heading is not visible",
            self.ctx()
        );
        let text = h1.text().await.expect("text");
        assert!(
            !text.trim().is_empty(),
            "{}: {name}: empty heading",
            self.ctx()
        );
        text
    }

    async fn no_error_text(&self, name: &str) {
        let alerts = self
            .client
            .find_all(Locator::Css(".alert[role=alert]"))
            .await
            .expect("find");
        let mut shown = Vec::new();
        for a in alerts {
            shown.push(a.text().await.unwrap_or_default());
        }
        assert!(
            shown.is_empty(),
            "{}: {name} shows an error: {shown:?}",
            self.ctx()
        );
    }

    async fn screenshot(&self, name: &str) {
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("{}: screenshot of {name}: {e}", self.ctx()));
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Reads (and empties) the browser console and fails on any SEVERE entry that is not
    /// listed in EXPECTED_CONSOLE_NOISE for this page.
    async fn console_is_clean(&self, name: &str) {
        let log = self
            .client
            .issue_cmd(SessionCommand {
                path: "se/log",
                body: json!({ "type": "browser" }),
            })
            .await
            .unwrap_or_else(|e| panic!("{}: reading the browser log: {e}", self.ctx()));
        let entries = log.as_array().cloned().unwrap_or_default();
        let severe: Vec<&str> = entries
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or_default())
            .collect();
        let expected: Vec<&str> = EXPECTED_CONSOLE_NOISE
            .iter()
            .filter(|(page, _)| *page == name)
            .map(|(_, text)| *text)
            .collect();
        // What is expected must be there: proof that the console is really being read.
        for text in &expected {
            assert!(
                severe.iter().any(|m| m.contains(text)),
                "{}: {name}: the console should report {text:?}; it has {entries:?}",
                self.ctx()
            );
        }
        let unexpected: Vec<&str> = severe
            .into_iter()
            .filter(|m| !expected.iter().any(|text| m.contains(text)))
            .collect();
        assert!(
            unexpected.is_empty(),
            "{}: {name}: the browser console has errors: {unexpected:#?}",
            self.ctx()
        );
    }

    /// Everything every page must satisfy; returns the heading.
    async fn page_ok(&self, name: &str) -> String {
        let heading = self.heading(name).await;
        if name != "not-found" {
            self.no_error_text(name).await;
        }
        self.screenshot(name).await;
        self.console_is_clean(name).await;
        heading
    }

    /// Sets the header form's date to DATE and submits it.
    async fn change_date_with_the_form(&self) {
        let input = self.find("form.asof input[name=at]").await;
        // Chrome's date field for en-US is three segments, month/day/year; sending keys
        // focuses its first segment, and each segment takes its digits and moves on.
        let (y, m, d) = DATE;
        input
            .send_keys(&format!("{m:02}{d:02}{y:04}"))
            .await
            .expect("type the date");
        let value = input.prop("value").await.expect("value");
        assert_eq!(
            value.as_deref(),
            Some(date().to_string().as_str()),
            "{}: the date field after typing {m:02}/{d:02}/{y}",
            self.ctx()
        );
        let button = self.find("form.asof button[type=submit]").await;
        self.click_away(button, "submitting the date form").await;
        let at = format!("at={}", date());
        self.wait_for_url("submitting the date form", |u| {
            u.query().is_some_and(|q| q.contains(&at))
        })
        .await;
    }

    /// The header says the state shown is as of `d`, in either language's words.
    async fn shows_as_of(&self, d: NaiveDate) {
        let said = self.text("form.asof .asof-date").await;
        let forms = [d.to_string(), Lang::En.date(d), Lang::ZhCn.date(d)];
        assert!(
            forms.iter().any(|f| said.contains(f.as_str())),
            "{}: the header says {said:?}, not the date {d}",
            self.ctx()
        );
        let value = self.attr("form.asof input[name=at]", "value").await;
        assert_eq!(
            value.as_deref(),
            Some(d.to_string().as_str()),
            "{}: the date field",
            self.ctx()
        );
    }
}

fn platform_name<'a>(catalog: &'a Catalog, slug: &str) -> &'a str {
    catalog
        .platforms
        .iter()
        .find(|p| p.slug == slug)
        .map(|p| p.name_en.as_str())
        .unwrap_or_else(|| panic!("platform {slug} is in the catalog"))
}

fn kind_name<'a>(catalog: &'a Catalog, id: &str) -> &'a str {
    &catalog.kind(id).expect("kind in catalog").name_en
}

// ---------------------------------------------------------------------------------------
// the scenarios

/// Every page, the date form, a matrix cell to its check, citations and evidence.
async fn pages_and_navigation(h: &Harness, js: Js) {
    let started = Instant::now();
    let b = Browser::open(h, js).await;
    let c = &h.catalog;

    b.goto("/").await;
    assert!(b.page_ok("overview").await.contains("Overview"));

    // The date form, on the links page: the address and the header follow.
    b.goto("/links").await;
    b.change_date_with_the_form().await;
    let url = b.url().await;
    assert_eq!(
        url.path(),
        "/links",
        "{}: the form stays on the page",
        b.ctx()
    );
    b.shows_as_of(date()).await;
    assert!(b.page_ok("links").await.contains(kind_name(c, "link")));

    // A cell of the real matrix leads to its check, as of the same date.
    let url = b
        .follow("table.matrix[data-simulated=false] a.cell-link")
        .await;
    let check_id = url
        .path()
        .strip_prefix("/checks/")
        .unwrap_or_else(|| panic!("{}: a cell led to {url}, not a check", b.ctx()))
        .to_string();
    let check = c
        .checks
        .iter()
        .find(|k| k.id == check_id)
        .unwrap_or_else(|| panic!("{check_id} is a catalog check"));
    let heading = b.page_ok("check").await;
    for slug in [&check.subject, &check.object] {
        let name = platform_name(c, slug);
        assert!(
            heading.contains(name),
            "{}: check {check_id}'s heading {heading:?} lacks {name}",
            b.ctx()
        );
    }
    b.shows_as_of(date()).await;

    // Its citation leads to the source page, titled as the catalog says.
    let url = b.follow("a.cite[href^='/sources/']").await;
    let source_id = url.path().trim_start_matches("/sources/").to_string();
    let source = c
        .sources
        .iter()
        .find(|s| s.id == source_id)
        .unwrap_or_else(|| panic!("{source_id} is a catalog source"));
    assert_eq!(b.page_ok("source").await, source.title);

    b.goto(&format!("/payments?at={}", date())).await;
    assert!(
        b.page_ok("payments")
            .await
            .contains(kind_name(c, "payment"))
    );
    b.goto(&format!("/qr?at={}", date())).await;
    assert!(b.page_ok("qr").await.contains(kind_name(c, "qr")));
    b.goto("/timeline").await;
    assert!(b.page_ok("timeline").await.contains("Timeline"));

    b.goto("/platforms").await;
    assert!(b.page_ok("platforms").await.contains("Platforms"));
    let url = b.follow("main a[href^='/platforms/']").await;
    let slug = url.path().trim_start_matches("/platforms/").to_string();
    assert!(
        b.page_ok("platform")
            .await
            .contains(platform_name(c, &slug))
    );

    b.goto("/probes").await;
    assert!(b.page_ok("probes").await.contains("Probes"));

    // Simulated demo data: its cell, its check, then one probe observation's evidence.
    b.goto("/links").await;
    b.follow("section.simulated-section a.cell-link").await;
    b.page_ok("simulated-check").await;
    let url = b.follow("a.evidence-link").await;
    assert!(url.path().starts_with("/observations/"), "{url}");
    let heading = b.page_ok("observation").await;
    assert!(heading.starts_with("Observation"), "{heading:?}");
    let main = b.text("main").await;
    assert!(
        main.to_lowercase().contains("simulated"),
        "{}: simulated evidence is labelled so: {main:?}",
        b.ctx()
    );

    b.goto("/no-such-page").await;
    assert_eq!(b.page_ok("not-found").await, "Not found");
    let alert = b.text(".alert[role=alert]").await;
    assert!(alert.contains("/no-such-page"), "{}: {alert:?}", b.ctx());

    b.close().await;
    eprintln!(
        "browser: {}: pages and navigation in {:.1} s",
        js.name(),
        started.elapsed().as_secs_f64()
    );
}

/// The zh-CN link keeps the page and the date, and the page is in Chinese.
async fn language_switch(h: &Harness, js: Js) {
    let started = Instant::now();
    let b = Browser::open(h, js).await;
    b.goto("/links").await;
    b.change_date_with_the_form().await;
    b.shows_as_of(date()).await;
    let url = b.follow("nav.lang a[hreflang='zh-CN']").await;
    assert_eq!(
        url.path(),
        "/links",
        "{}: the switch stays on the page",
        b.ctx()
    );
    let query = url.query().unwrap_or_default();
    assert!(query.contains("lang=zh-CN"), "{}: {url}", b.ctx());
    assert!(
        query.contains(&format!("at={}", date())),
        "{}: {url}",
        b.ctx()
    );
    assert_eq!(
        b.attr("html", "lang").await.as_deref(),
        Some("zh-CN"),
        "{}",
        b.ctx()
    );
    b.shows_as_of(date()).await;
    b.page_ok("links-zh-CN").await;

    // Internal links keep the language: follow a cell, then switch back.
    let url = b
        .follow("table.matrix[data-simulated=false] a.cell-link")
        .await;
    assert!(
        url.query().unwrap_or_default().contains("lang=zh-CN"),
        "{}: {url}",
        b.ctx()
    );
    assert_eq!(b.attr("html", "lang").await.as_deref(), Some("zh-CN"));
    b.page_ok("check-zh-CN").await;
    let url = b.follow("nav.lang a[hreflang='en']").await;
    assert!(url.query().unwrap_or_default().contains("lang=en"), "{url}");
    assert_eq!(b.attr("html", "lang").await.as_deref(), Some("en"));
    b.shows_as_of(date()).await;
    b.close().await;
    eprintln!(
        "browser: {}: language switch in {:.1} s",
        js.name(),
        started.elapsed().as_secs_f64()
    );
}

/// The timeline's CSV link downloads a file that parses, with as many rows as the page
/// counts.
async fn csv_download(h: &Harness, js: Js) {
    let started = Instant::now();
    let b = Browser::open(h, js).await;
    // Headless Chromium honours the download prefs; say it over CDP as well, which is
    // the documented way, in case a version does not.
    let _ = b
        .client
        .issue_cmd(SessionCommand {
            path: "goog/cdp/execute",
            body: json!({
                "cmd": "Browser.setDownloadBehavior",
                "params": { "behavior": "allow", "downloadPath": b.downloads.path() },
            }),
        })
        .await;
    b.goto(&format!("/timeline?at={}", date())).await;
    b.page_ok("timeline-csv").await;
    let count = b.text("p.count").await;
    let total: usize = count
        .split(|ch: char| !ch.is_ascii_digit())
        .find(|s| !s.is_empty())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{}: no count in {count:?}", b.ctx()));
    assert!(total > 0, "{}: the timeline has entries", b.ctx());

    let link = b.find("a[type='text/csv']").await;
    let href = link.attr("href").await.expect("href").expect("an href");
    assert!(href.starts_with("/timeline.csv"), "{}: {href}", b.ctx());
    assert!(
        href.contains(&format!("at={}", date())),
        "{}: the link carries the date: {href}",
        b.ctx()
    );
    link.click().await.expect("click the CSV link");

    let file = wait_for_download(b.downloads.path(), js).await;
    let bytes = std::fs::read(&file).expect("read the download");
    let text = std::str::from_utf8(&bytes).expect("the CSV is UTF-8");
    assert!(
        text.starts_with('\u{feff}'),
        "{}: the CSV starts with a BOM ({} bytes, beginning {:?})",
        b.ctx(),
        bytes.len(),
        text.chars().take(40).collect::<String>()
    );
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().expect("a header row").clone();
    assert!(header.len() > 1, "{}: header {header:?}", b.ctx());
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: the CSV parses: {e}", b.ctx()));
    assert!(!rows.is_empty(), "{}: at least one data row", b.ctx());
    assert_eq!(
        rows.len(),
        total,
        "{}: the CSV has one row per entry the page counts ({count:?})",
        b.ctx()
    );
    b.console_is_clean("timeline-csv-download").await;
    b.close().await;
    eprintln!(
        "browser: {}: CSV download in {:.1} s",
        js.name(),
        started.elapsed().as_secs_f64()
    );
}

async fn wait_for_download(dir: &Path, js: Js) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let files: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("download folder")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                !p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .starts_with('.')
            })
            .collect();
        // Chromium writes to `NAME.crdownload` and may hold the final name meanwhile as an
        // empty file: a download is done once no part is left and its file has content.
        let writing = files
            .iter()
            .any(|p| p.to_string_lossy().ends_with(".crdownload"));
        let done = files
            .into_iter()
            .find(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0));
        if let (false, Some(file)) = (writing, done) {
            return file;
        }
        if Instant::now() > deadline {
            panic!(
                "{}: no download finished (a file with content, no .crdownload left) in {} within 20 s",
                js.name(),
                dir.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------
// the tests: one chromedriver and one server each, both JavaScript modes in turn

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_forms_and_links_with_and_without_javascript() {
    let h = harness().await;
    for js in MODES {
        pages_and_navigation(&h, js).await;
    }
    h.done("pages");
}

// The language switch (`nav.lang`) and the timeline's CSV export are being built on other
// branches; these two tests are written against their contracts and are to be switched on
// (the `ignore` line removed) once those branches are merged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_switch_keeps_the_page_and_date() {
    let h = harness().await;
    for js in MODES {
        language_switch(&h, js).await;
    }
    h.done("language switch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_download_from_the_timeline_parses() {
    let h = harness().await;
    for js in MODES {
        csv_download(&h, js).await;
    }
    h.done("CSV download");
}

// ---------------------------------------------------------------------------------------
// every page on every screen, and on paper

/// The widths a page must fit: a phone, a laptop, a desktop.
const WIDTHS: [u32; 3] = [390, 1366, 1920];

/// The printable width of an A4 page with the print stylesheet's 12 mm margins, in CSS
/// pixels (96 per inch): what print emulation lays the page out in.
const A4_PRINTABLE_PX: u32 = 703;

/// What the page looks like, read in the browser: page-level sideways overflow and what
/// sticks out, each matrix's columns cut off, the print stamp if shown, Chinese runs shown one
/// character per line, status chips broken inside a word, and the smallest chart type.
const MEASURE: &str = r#"
const d = document.documentElement, cw = d.clientWidth;
const over = [];
if (d.scrollWidth > cw) {
  for (const e of document.querySelectorAll('body *')) {
    const p = e.parentElement && e.parentElement.closest('.matrix-wrap, .table-wrap, .chart-svg, table');
    if (!p && e.getBoundingClientRect().right > cw + 1) over.push(e.tagName.toLowerCase() + '.' + e.className);
  }
}
const matrices = [...document.querySelectorAll('table.matrix')].map(t => {
  const wrap = t.closest('.matrix-wrap') || t.parentElement;
  const right = Math.min(wrap.getBoundingClientRect().right, cw) + 1;
  const cols = [...t.querySelectorAll('thead th')];
  return { simulated: t.dataset.simulated === 'true', columns: cols.length,
    cut: cols.filter(c => c.getBoundingClientRect().right > right).map(c => c.textContent.trim()) };
});
const lines = (node, from, to) => { const r = document.createRange(); r.setStart(node, from); r.setEnd(node, to);
  return new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top))).size; };
const textNodes = (root) => { const w = document.createTreeWalker(root, NodeFilter.SHOW_TEXT); const out = []; let n;
  while ((n = w.nextNode())) { if (n.parentElement && n.parentElement.offsetParent !== null) out.push(n); } return out; };
const perChar = [];
if (document.documentElement.lang.startsWith('zh')) {
  for (const n of textNodes(document.querySelector('main'))) {
    for (const m of n.data.matchAll(/[\u4e00-\u9fff]{2,}/g)) {
      // Wrapping at the end of a line of prose is normal; a box too narrow for two
      // characters, which puts each on its own line, is not.
      let box = n.parentElement;
      while (box && getComputedStyle(box).display.startsWith('inline')) box = box.parentElement;
      const em = parseFloat(getComputedStyle(n.parentElement).fontSize);
      if (lines(n, m.index, m.index + m[0].length) >= 2 && box && box.clientWidth < 2.5 * em) perChar.push(m[0]);
    }
  }
}
const brokenChips = [];
for (const chip of document.querySelectorAll('.status')) {
  for (const n of textNodes(chip)) {
    for (const m of n.data.matchAll(/\S+/g)) {
      if (lines(n, m.index, m.index + m[0].length) > 1) brokenChips.push(m[0]);
    }
  }
}
// Each chart figure shows exactly one drawing (the page carries a wide and a narrow one),
// that drawing fits its frame, and its smallest text as drawn on screen.
let chartPx = null, smallest = null;
const charts = [...document.querySelectorAll('figure.chart')].map(f => {
  const shown = [...f.querySelectorAll('.chart-svg')].filter(d => d.offsetParent !== null);
  const scrolls = shown.filter(d => d.scrollWidth > d.clientWidth + 1).length;
  for (const svg of shown.map(d => d.querySelector('svg')).filter(Boolean)) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const t of svg.querySelectorAll('text')) {
      const px = parseFloat(getComputedStyle(t).fontSize) * scale;
      if (chartPx === null || px < chartPx) { chartPx = px; smallest = t.textContent.slice(0, 40); }
    }
  }
  return { id: f.id, shown: shown.length, scrolls };
});
const seen = new Set(), dupIds = [];
for (const e of document.querySelectorAll('[id]')) { if (seen.has(e.id)) dupIds.push(e.id); seen.add(e.id); }
const stamp = document.querySelector('.print-stamp');
const stampShown = stamp && getComputedStyle(stamp).display !== 'none' ? stamp.textContent : null;
return { scroll: d.scrollWidth, client: cw, over: over.slice(0, 5), matrices, stamp: stampShown,
  perChar: perChar.slice(0, 5), brokenChips: brokenChips.slice(0, 5), chartPx, smallest, charts,
  dupIds: dupIds.slice(0, 5) };
"#;

/// The pages with matrices.
const MATRIX_PAGES: [&str; 3] = ["links", "payments", "qr"];

/// The pages that show charts (openness, compliance, a check's steps).
const CHART_PAGES: [&str; 3] = ["overview", "requirement", "check"];

/// Smallest legible chart type on any screen, in CSS pixels.
const MIN_CHART_TYPE_PX: f64 = 10.0;

impl Browser {
    /// A Chrome DevTools command on this session.
    async fn cdp(&self, cmd: &str, params: Value) {
        self.client
            .issue_cmd(SessionCommand {
                path: "goog/cdp/execute",
                body: json!({ "cmd": cmd, "params": params }),
            })
            .await
            .unwrap_or_else(|e| panic!("{}: {cmd}: {e}", self.ctx()));
    }

    /// Lays pages out `width` CSS pixels wide (a phone below 500, with touch and no zoom).
    async fn screen(&self, width: u32, media: &str) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500 }),
        )
        .await;
        self.cdp("Emulation.setEmulatedMedia", json!({ "media": media }))
            .await;
    }

    async fn measure(&self) -> Value {
        self.client
            .execute(MEASURE, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("{}: measuring the page: {e}", self.ctx()))
    }

    /// The path (no query) of the first link matching `css` on the page open now.
    async fn link_path(&self, css: &str) -> String {
        let href = self
            .attr(css, "href")
            .await
            .unwrap_or_else(|| panic!("{}: `{css}` has no href", self.ctx()));
        href.split('?').next().unwrap_or_default().to_string()
    }
}

/// Every page of the site: the sections, plus one of each kind of detail page, found by
/// following the site's own links.
async fn every_page(b: &Browser) -> Vec<(String, String)> {
    let mut pages: Vec<(String, String)> = [
        ("overview", "/"),
        ("links", "/links"),
        ("payments", "/payments"),
        ("qr", "/qr"),
        ("timeline", "/timeline"),
        ("requirements", "/requirements"),
        ("platforms", "/platforms"),
        ("probes", "/probes"),
        ("sources", "/sources"),
        ("compare", "/compare?from=2021-09-01&to=2021-10-17"),
    ]
    .into_iter()
    .map(|(n, p)| (n.to_string(), p.to_string()))
    .collect();
    b.goto("/links").await;
    let check = b
        .link_path("table.matrix[data-simulated=false] a.cell-link")
        .await;
    let simulated = b.link_path("section.simulated-section a.cell-link").await;
    b.goto(&check).await;
    let source = b.link_path("a.cite[href^='/sources/']").await;
    b.goto(&simulated).await;
    let observation = b.link_path("a.evidence-link").await;
    b.goto("/requirements").await;
    let requirement = b.link_path("main a[href^='/requirements/']").await;
    b.goto("/platforms").await;
    let platform = b.link_path("main a[href^='/platforms/']").await;
    for (name, path) in [
        ("check", check),
        ("simulated-check", simulated),
        ("source", source),
        ("observation", observation),
        ("requirement", requirement),
        ("platform", platform),
    ] {
        pages.push((name.to_string(), path));
    }
    pages
}

/// At 390 and 1366 px (and the matrices at 1920) and on A4 paper, in both languages, every page: no sideways
/// scroll of the page, every real matrix column in view from 1366 px up and on paper, the
/// print stamp (date and permanent link) on paper only, no Chinese one character per line,
/// no status chip broken inside a word; every chart shows one drawing that fits its frame
/// (no sideways scroll inside it) with type at least 10 px, and no id is used twice.
async fn screens_and_paper(h: &Harness) {
    let started = Instant::now();
    let b = Browser::open(h, Js::On).await;
    let pages = every_page(&b).await;
    let mut problems = Vec::new();
    let mut looked = 0;
    let shots = b.shots.join("screens");
    std::fs::create_dir_all(&shots).expect("screenshot folder");
    for (width, media) in WIDTHS
        .iter()
        .map(|w| (*w, "screen"))
        .chain([(A4_PRINTABLE_PX, "print")])
    {
        b.screen(width, media).await;
        for lang in Lang::ALL {
            for (name, path) in &pages {
                // What fits at 1366 fits at 1920; there only the matrices are looked at
                // (their columns share the width), to keep the test short.
                if width == 1920 && !MATRIX_PAGES.contains(&name.as_str()) {
                    continue;
                }
                let sep = if path.contains('?') { '&' } else { '?' };
                // The day in Beijing as the page is asked for (it may turn over before the
                // check below: the stamp then carries this one).
                let asked_on = hutong::time::today();
                b.goto(&format!("{path}{sep}lang={}", lang.code())).await;
                let m = b.measure().await;
                looked += 1;
                let at = format!("{name} ({}) at {width} px {media}", lang.code());
                let before = problems.len();
                if m["scroll"].as_u64() > m["client"].as_u64() {
                    problems.push(format!(
                        "{at}: the page scrolls sideways ({} px wide in {} px), sticking out: {}",
                        m["scroll"], m["client"], m["over"]
                    ));
                }
                if width >= 1366 || media == "print" {
                    for matrix in m["matrices"].as_array().into_iter().flatten() {
                        let cut = matrix["cut"].as_array().map_or(0, Vec::len);
                        // The simulated matrix has a column per demo platform (18): on a
                        // screen it scrolls in its frame; real data and paper show all.
                        if cut > 0 && (matrix["simulated"] == false || media == "print") {
                            problems.push(format!(
                                "{at}: {cut} of {} matrix columns out of view: {}",
                                matrix["columns"], matrix["cut"]
                            ));
                        }
                    }
                }
                let stamp = m["stamp"].as_str();
                if media == "print" {
                    let link = format!("lang={}", lang.code());
                    let ok = stamp.is_some_and(|s| {
                        [asked_on, hutong::time::today()]
                            .iter()
                            .any(|day| s.contains(&lang.date(*day)))
                            && s.contains(&format!("{}?", path.split('?').next().unwrap_or(path)))
                            && s.contains("at=")
                            && s.contains(&link)
                    });
                    if !ok {
                        problems.push(format!(
                            "{at}: paper lacks the as-of date and permanent link: {stamp:?}"
                        ));
                    }
                } else if stamp.is_some() {
                    problems.push(format!("{at}: the print stamp shows on screen"));
                }
                for (key, what) in [
                    ("perChar", "Chinese shown one character per line"),
                    ("brokenChips", "status chips broken inside a word"),
                ] {
                    if m[key].as_array().is_some_and(|a| !a.is_empty()) {
                        problems.push(format!("{at}: {what}: {}", m[key]));
                    }
                }
                if let Some(px) = m["chartPx"].as_f64()
                    && px < MIN_CHART_TYPE_PX
                    && media == "screen"
                {
                    problems.push(format!(
                        "{at}: chart type {px:.1} px tall ({})",
                        m["smallest"]
                    ));
                }
                let charts = m["charts"].as_array().cloned().unwrap_or_default();
                if CHART_PAGES.contains(&name.as_str()) && charts.is_empty() {
                    problems.push(format!("{at}: no chart on a page that has one"));
                }
                for chart in &charts {
                    if chart["shown"] != 1 {
                        problems.push(format!(
                            "{at}: chart {} shows {} drawings, not one",
                            chart["id"], chart["shown"]
                        ));
                    }
                    if chart["scrolls"] != 0 && media == "screen" {
                        problems.push(format!(
                            "{at}: chart {} scrolls sideways inside its frame",
                            chart["id"]
                        ));
                    }
                }
                if m["dupIds"].as_array().is_some_and(|a| !a.is_empty()) {
                    problems.push(format!("{at}: ids used twice: {}", m["dupIds"]));
                }
                if problems.len() > before {
                    // A picture of what went wrong (only then: screenshots cost time).
                    let png = b.client.screenshot().await.expect("screenshot");
                    let file = format!("{name}-{}-{width}-{media}.png", lang.code());
                    std::fs::write(shots.join(file), png).expect("write screenshot");
                }
            }
        }
    }
    b.screen(1280, "screen").await;
    b.close().await;
    eprintln!(
        "browser: {looked} page views (every page, 3 widths and paper, 2 languages) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(
        problems.is_empty(),
        "{} layout problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_every_screen_and_paper() {
    let h = harness().await;
    screens_and_paper(&h).await;
    h.done("screens and paper");
}
