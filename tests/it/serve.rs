//! The binary and the server's life: start, answer over real TCP, stop on a signal; refuse
//! to start on a bad catalog or an unreachable database, saying why without secrets.

use crate::common::{self, hutong};
use hutong::config::Config;
use hutong::serve::Application;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn config_in(dir: &std::path::Path) -> Config {
    Config {
        database_url: format!("sqlite://{}", dir.join("data/hutong.db").display()),
        listen: "127.0.0.1:0".parse().unwrap(),
        catalog_dir: common::catalog_dir(),
        ..Config::default()
    }
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn serves_over_tcp_and_stops_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let app = Application::build(&config_in(tmp.path())).await.unwrap();
    assert!(
        tmp.path().join("data/hutong.db").exists(),
        "the SQLite file is created on first start"
    );
    let addr = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let health = http_get(addr, "/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    let links = http_get(addr, "/links?at=2021-10-17").await;
    assert!(links.contains("data-status=\"warned\""));
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn an_unreachable_database_is_named_without_its_password() {
    let tmp = tempfile::tempdir().unwrap();
    let config = Config {
        database_url: "postgres://hutong:s3cret-pw@127.0.0.1:1/hutong".into(),
        ..config_in(tmp.path())
    };
    let err = format!(
        "{:#}",
        Application::build(&config).await.err().expect("must fail")
    );
    assert!(
        err.contains("cannot open database postgres://hutong:***@127.0.0.1:1/hutong"),
        "{err}"
    );
    assert!(!err.contains("s3cret-pw"), "{err}");
    let config = Config {
        database_url: "mysql://x@y/z".into(),
        ..config_in(tmp.path())
    };
    let err = format!(
        "{:#}",
        Application::build(&config).await.err().expect("must fail")
    );
    assert!(
        err.contains("must start with sqlite:// or postgres://"),
        "{err}"
    );
}

#[test]
fn the_binary_checks_the_catalog_and_exits_non_zero_on_problems() {
    let out = hutong()
        .args(["catalog", "check", "--catalog-dir"])
        .arg(common::catalog_dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("is valid"));

    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("bad.toml"), "[[platform]]\nslug = \"Bad Slug\"\nname_zh = \"x\"\nname_en = \"x\"\ngroup = \"g\"\nkind = \"app\"\n").unwrap();
    let out = hutong()
        .args(["catalog", "check", "--catalog-dir"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.toml:2: platform slug \"Bad Slug\" is not a slug"),
        "{stderr}"
    );
}

#[test]
fn the_binary_serves_and_stops_on_sigterm() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = hutong()
        .current_dir(tmp.path())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log",
            "info",
            "--catalog-dir",
        ])
        .arg(common::catalog_dir())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let started = Instant::now();
    let addr = loop {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start"
        );
        let line = lines.next().expect("server output").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            assert!(
                line.contains("SQLite database sqlite://data/hutong.db"),
                "logs the database: {line}"
            );
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        tmp.path().join("data/hutong.db").exists(),
        "default database under ./data/"
    );

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(
        rest.iter().any(|l| l.contains("SIGTERM received")),
        "{rest:?}"
    );
}

#[test]
fn a_bad_database_url_exits_non_zero_with_the_cause() {
    let out = hutong()
        .args([
            "migrate",
            "--database-url",
            "postgres://u:hunter2@127.0.0.1:1/db",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot open database postgres://u:***@127.0.0.1:1/db"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"));
}

/// The probe figures in the README (memory within 150 MiB) are the binary's with jemalloc
/// and the settings `src/main.rs` gives it. jemalloc prints its statistics at exit when
/// `stats_print` is set: they come only from jemalloc, with the options in force, and a
/// setting it cannot read would be named in a `<jemalloc>:` warning.
#[test]
fn the_binary_allocates_with_jemalloc_and_its_settings_are_taken() {
    let out = hutong()
        .arg("--help")
        .env("_RJEM_MALLOC_CONF", "stats_print:true")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("jemalloc statistics"), "{stderr}");
    assert!(!stderr.contains("<jemalloc>:"), "{stderr}");
    for option in [
        "opt.narenas: 2\n",
        "opt.dirty_decay_ms: 1000 ",
        "opt.muzzy_decay_ms: 0 ",
    ] {
        assert!(
            stderr.contains(option),
            "{option:?} not in force:\n{stderr}"
        );
    }
}

/// Waits for `child` at most `limit` (a hang detector, not a measurement): killed and
/// `None` when it is still running then.
fn wait_at_most(
    child: &mut std::process::Child,
    limit: Duration,
) -> Option<std::process::ExitStatus> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What each target of `catalog/probes/demo-lab.toml` must give: (check, status, failure,
/// confirmed).
const LAB_VERDICTS: &[(&str, &str, Option<&str>, bool)] = &[
    ("link.simlab.simshop", "open", None, true),
    ("link.simlab.simvideo", "open", None, true),
    ("link.simlab.simnews", "open", None, true),
    ("link.simlab.lab_dribble", "open", None, true),
    ("link.simlab.lab_script", "open", None, false),
    ("link.simlab.lab_fake_block", "open", None, false),
    ("link.simlab.lab_nul", "open", None, false),
    (
        "link.simlab.lab_malformed",
        "unknown",
        Some("no_rule_matched"),
        false,
    ),
    ("link.simlab.lab_slow", "unknown", Some("timeout"), false),
    ("link.simlab.lab_huge", "unknown", Some("too_large"), false),
    (
        "link.simlab.lab_challenge",
        "unknown",
        Some("bot_challenge"),
        false,
    ),
    (
        "link.simlab.lab_captcha",
        "unknown",
        Some("bot_challenge"),
        false,
    ),
    (
        "link.simlab.lab_loop",
        "unknown",
        Some("redirect_loop"),
        false,
    ),
    (
        "link.simlab.lab_down",
        "unknown",
        Some("http_status"),
        false,
    ),
    (
        "link.simlab.lab_gzip_broken",
        "unknown",
        Some("decode"),
        false,
    ),
    (
        "link.simlab.lab_deep",
        "unknown",
        Some("too_complex"),
        false,
    ),
    (
        "link.simlab.lab_internal",
        "unknown",
        Some("internal_address"),
        false,
    ),
    (
        "link.simlab.lab_metadata",
        "unknown",
        Some("internal_address"),
        false,
    ),
];

/// `hutong probe run --pack demo-lab` against the simulator's hostile lab ends, every
/// hostile page classified and every normal target stored, the run finished.
async fn the_hostile_lab_is_probed_to_the_end(db: common::TestDb) {
    let mut child = hutong()
        .args(["probe", "run", "--pack", "demo-lab", "--catalog-dir"])
        .arg(common::catalog_dir())
        .args(["--database-url", &db.url, "--log", "warn"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_at_most(&mut child, Duration::from_secs(120)).expect("probe run ends");
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{status:?}\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("demo-lab (rule version 1, SIMULATED): 18 observed, 11 failed"),
        "{stdout}"
    );

    let runs = db.store.recent_runs("demo-lab", 5).await.unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run = &runs[0];
    assert_eq!(
        (
            run.state.as_str(),
            run.done,
            run.failures,
            run.detail.as_deref()
        ),
        ("finished", 18, 11, None),
        "{run:?}"
    );
    let obs = db
        .store
        .run_observations("demo-lab", run.slot)
        .await
        .unwrap();
    let found: Vec<(&str, &str, Option<&str>, bool)> = obs
        .iter()
        .map(|o| {
            (
                o.check_id.as_str(),
                o.status.as_str(),
                o.failure.as_deref(),
                o.confirmed == Some(true),
            )
        })
        .collect();
    let mut want = LAB_VERDICTS.to_vec();
    want.sort();
    assert_eq!(found, want);
    for o in &obs {
        assert_eq!(o.source_kind, "simulated", "{o:?}");
        assert!(o.evidence.is_some(), "{o:?}");
    }
    // NUL bytes: replaced in the excerpt kept as text, exact in the raw page kept.
    let nul = obs
        .iter()
        .find(|o| o.check_id == "link.simlab.lab_nul")
        .unwrap();
    let excerpt = nul.evidence.as_ref().unwrap().excerpt.clone().unwrap();
    assert!(
        excerpt.contains("该网页\u{FFFD}（页面含 NUL 字节）"),
        "{excerpt}"
    );
    let snapshot = db
        .store
        .snapshot(nul.snapshot.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    let body = zstd::decode_all(snapshot.body.as_slice()).unwrap();
    assert_eq!(
        body.iter().filter(|b| **b == 0).count(),
        6,
        "every NUL kept"
    );
    // Nothing from an internal address is kept: no snapshot, only the refused hop.
    for id in ["link.simlab.lab_internal", "link.simlab.lab_metadata"] {
        let o = obs.iter().find(|o| o.check_id == id).unwrap();
        assert!(o.snapshot.is_none(), "{o:?}");
        let evidence = o.evidence.as_ref().unwrap().to_json().to_string();
        assert!(
            !evidence.contains(hutong::simulator::INTERNAL_SECRET),
            "{evidence}"
        );
    }
    // The deep page says which bound it met.
    let deep = obs
        .iter()
        .find(|o| o.check_id == "link.simlab.lab_deep")
        .unwrap();
    assert!(
        deep.note_en
            .as_deref()
            .unwrap_or_default()
            .contains("512 levels"),
        "{deep:?}"
    );
}

#[tokio::test]
async fn the_hostile_lab_is_probed_to_the_end_on_sqlite() {
    the_hostile_lab_is_probed_to_the_end(common::sqlite().await).await;
}

#[tokio::test]
async fn the_hostile_lab_is_probed_to_the_end_on_postgres() {
    if let Some(db) = common::postgres().await {
        the_hostile_lab_is_probed_to_the_end(db).await;
    }
}

/// A catalog (the real one, copied) with a pack whose pages stall a tree builder: deeply
/// nested `<b id=…>` (minutes each without limits), and one page that answers late.
fn stalling_catalog(dir: &std::path::Path) -> std::path::PathBuf {
    let catalog = dir.join("catalog");
    common::copy_dir(&common::catalog_dir(), &catalog);
    let deep: String = ["simshop", "simvideo", "simnews", "lab_deep"]
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "{t} = \"http://lab.sim.test/deep?tag=b&n={}\"\n",
                60_000 + i
            )
        })
        .collect();
    std::fs::write(
        catalog.join("probes/stall.toml"),
        format!(
            r#"[pack]
id = "stall"
name_en = "Stall"
name_zh = "卡住"
kind = "link"
subject = "simlab"
version = 1
verified = true
simulated = true
schedule = "*/5 * * * * *"
timeout_secs = 30
max_body_bytes = 5242880
per_host_concurrency = 8
min_host_spacing_ms = 0

[targets]
{deep}lab_slow = "http://lab.sim.test/slow?ms=20000"

[request]
url = "{{target_raw}}"
follow_redirects = true

[[rule]]
id = "deepest"
status = "open"
when = {{ selector = "body", text_contains = "最深处" }}
"#
        ),
    )
    .unwrap();
    catalog
}

/// Starts `hutong <args>` on a SQLite file in `dir` with the stalling catalog, waits until
/// the `stall` pack's run is under way, sends SIGTERM, and returns how it ended (or `None`
/// when it was still alive 15 s later: the issue saw more than 30 s) and its output.
async fn terminated_while_classifying(
    dir: &std::path::Path,
    args: &[&str],
) -> (Option<std::process::ExitStatus>, String) {
    let catalog = stalling_catalog(dir);
    let url = format!("sqlite://{}", dir.join("hutong.db").display());
    // Output to a file: a pipe nobody reads could fill and stall the process itself.
    let log = dir.join("output.log");
    let mut child = hutong()
        .args(args)
        .arg("--catalog-dir")
        .arg(&catalog)
        .args(["--database-url", &url, "--log", "info"])
        .env("NO_COLOR", "1")
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::options().append(true).open(&log).unwrap())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "{args:?} ended before its run"
        );
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{args:?}: no run"
        );
        if let Ok(store) = hutong::storage::Store::connect(&url, 1).await {
            let runs = store.recent_runs("stall", 1).await.unwrap_or_default();
            store.close().await;
            if runs.first().is_some_and(|r| r.state == "running") {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Its pages fetched and being read.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = wait_at_most(&mut child, Duration::from_secs(15));
    (status, std::fs::read_to_string(&log).unwrap())
}

#[tokio::test]
async fn serve_worker_and_probe_run_stop_promptly_on_sigterm_while_classifying() {
    for args in [&["serve", "--demo", "--listen", "127.0.0.1:0"][..]] {
        let tmp = tempfile::tempdir().unwrap();
        let (status, stderr) = terminated_while_classifying(tmp.path(), args).await;
        let status =
            status.unwrap_or_else(|| panic!("{args:?} still alive 15 s after SIGTERM\n{stderr}"));
        assert!(status.success(), "{args:?}: {status:?}\n{stderr}");
        assert!(stderr.contains("SIGTERM received"), "{stderr}");
    }
    // `probe run` stops its run and leaves it to be resumed.
    let tmp = tempfile::tempdir().unwrap();
    let (status, stderr) =
        terminated_while_classifying(tmp.path(), &["probe", "run", "--pack", "stall"]).await;
    let status =
        status.unwrap_or_else(|| panic!("probe run still alive 15 s after SIGTERM\n{stderr}"));
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is left interrupted"), "{stderr}");
    let store = hutong::storage::Store::connect(
        &format!("sqlite://{}", tmp.path().join("hutong.db").display()),
        1,
    )
    .await
    .unwrap();
    let runs = store.recent_runs("stall", 1).await.unwrap();
    assert_eq!(runs[0].state, "interrupted", "{runs:?}");
}

/// Waits for a spawned `hutong serve` to say where it listens; returns the address and
/// the rest of its output.
fn listening_addr(
    lines: &mut std::io::Lines<BufReader<std::process::ChildStdout>>,
) -> (String, Vec<String>) {
    let mut seen = Vec::new();
    loop {
        let line = lines.next().expect("server output").unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            return (rest.split_whitespace().next().unwrap().to_string(), seen);
        }
        seen.push(line);
    }
}

/// A server process that does not outlive a failed test.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A socket that sent half a request head and then nothing.
fn half_open(addr: &str) -> std::net::TcpStream {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: slow")
        .unwrap();
    stream
}

/// Reads until the server closes the connection; `None` if it has not after a minute.
fn read_until_closed(stream: &mut std::net::TcpStream) -> Option<Vec<u8>> {
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Some(got),
            Err(_) => return None,
        }
    }
}

/// Issue 10's slowloris with a low open-file limit: 300 half-open requests against a
/// server allowed 128 files stopped it for good ("accept error: Too many open files" in
/// a loop). Now the connection limit is lowered below the file limit (and said so), the
/// connections beyond it wait to be accepted, the half-open ones are cut after the header
/// timeout, and a normal request is answered; SIGTERM still stops the server cleanly.
#[test]
fn half_open_requests_beyond_the_file_limit_do_not_stop_the_server() {
    let tmp = tempfile::tempdir().unwrap();
    let child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 128 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_hutong"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log",
            "info",
            "--catalog-dir",
        ])
        .arg(common::catalog_dir())
        .current_dir(tmp.path())
        .env("NO_COLOR", "1")
        .env("HUTONG_HTTP__HEADER_TIMEOUT_SECS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let (addr, before) = listening_addr(&mut lines);
    assert!(
        before
            .iter()
            .any(|l| l.contains("open-file limit is low: at most 64 client connections")),
        "{before:?}"
    );
    let mut slow: Vec<std::net::TcpStream> = (0..300).map(|_| half_open(&addr)).collect();
    let mut normal = std::net::TcpStream::connect(&addr).unwrap();
    normal
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let answer = read_until_closed(&mut normal).expect("answered within a minute");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // The half-open requests were cut, none answered.
    for stream in slow.iter_mut().take(5) {
        let got = read_until_closed(stream).expect("cut");
        assert!(!String::from_utf8_lossy(&got).contains(" 200 "));
    }
    let pid = child.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.0.wait().unwrap();
    assert!(status.success(), "clean exit on SIGTERM: {status:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let accept_errors = rest.iter().filter(|l| l.contains("accept error")).count();
    assert!(accept_errors <= 1, "{rest:?}");
}

fn app_config(dir: &std::path::Path, header: u64, idle: u64) -> Config {
    Config {
        http: hutong::config::HttpConfig {
            header_timeout_secs: header.try_into().unwrap(),
            idle_timeout_secs: idle.try_into().unwrap(),
            ..Default::default()
        },
        ..config_in(dir)
    }
}

/// A client that sends half a request head is disconnected after the header timeout, and
/// so is a kept-alive connection left waiting for its next request; requests meanwhile
/// are answered.
#[tokio::test]
async fn half_a_request_head_is_cut_after_the_header_timeout_while_others_are_answered() {
    let tmp = tempfile::tempdir().unwrap();
    let app = Application::build(&app_config(tmp.path(), 1, 60))
        .await
        .unwrap();
    let addr = app.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /links HTTP/1.1\r\nHost: x\r\nAccept: text/ht")
        .await
        .unwrap();
    let mut kept = tokio::net::TcpStream::connect(addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let links = http_get(addr, "/links?at=2021-10-17").await;
    assert!(links.starts_with("HTTP/1.1 200"), "{links}");
    let read_all = |mut s: tokio::net::TcpStream| async move {
        let mut got = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut got)).await;
        (read.is_ok(), String::from_utf8_lossy(&got).into_owned())
    };
    let (closed, got) = read_all(slow).await;
    assert!(closed, "a half-sent request head is cut");
    assert!(!got.contains(" 200 "), "{got}");
    // The kept-alive connection got its answer, then was closed while idle.
    let (closed, got) = read_all(kept).await;
    assert!(closed, "an idle kept-alive connection is closed");
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
}

/// A client that stops reading a long answer is disconnected after the idle timeout,
/// and the connection's place is freed (a connection whose answer is still being produced
/// is never closed to make room).
#[tokio::test]
async fn a_client_that_stops_reading_is_cut_after_the_idle_timeout() {
    use axum::routing::get;
    use hutong::connections::{ConnectionLimits, serve};
    // Streamed, as the exports are: 64 MiB in chunks of 64 KiB.
    const CHUNKS: usize = 1024;
    const BODY: usize = CHUNKS * 65536;
    let app = axum::Router::new().route(
        "/big",
        get(|| async {
            let chunk = axum::body::Bytes::from(vec![b'x'; 65536]);
            let chunks = futures_util::stream::iter(
                (0..CHUNKS).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
            );
            axum::body::Body::from_stream(chunks)
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = ConnectionLimits {
        header_timeout: Duration::from_secs(3600),
        idle_timeout: Duration::from_secs(1),
        max_connections: 1,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app, limits, async {
        let _ = stopped.await;
    }));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    // The one connection allowed is taken by a reader that reads nothing: the next
    // request is answered only once the idle connection is cut.
    let next = tokio::time::timeout(Duration::from_secs(60), http_get(addr, "/nothing"))
        .await
        .expect("answered once the idle connection is cut");
    assert!(next.starts_with("HTTP/1.1 404"), "{next}");
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut got))
        .await
        .expect("closed");
    assert!(
        got.len() < BODY,
        "cut before the whole answer: {}",
        got.len()
    );
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .unwrap()
        .unwrap();
}

/// Shutdown stops accepting, lets a request in progress finish, and closes idle and
/// half-open connections at once instead of waiting for their timeouts.
#[tokio::test]
async fn graceful_shutdown_finishes_requests_in_progress_and_closes_idle_connections() {
    use axum::routing::get;
    use hutong::connections::{ConnectionLimits, serve};
    use std::sync::Arc;
    let (entered_tx, entered) = tokio::sync::mpsc::channel::<()>(1);
    let release = Arc::new(tokio::sync::Notify::new());
    let app = axum::Router::new()
        .route(
            "/slow",
            get({
                let release = release.clone();
                move || async move {
                    let _ = entered_tx.send(()).await;
                    release.notified().await;
                    "finished"
                }
            }),
        )
        .route("/quick", get(|| async { "quick" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = ConnectionLimits {
        header_timeout: Duration::from_secs(3600),
        idle_timeout: Duration::from_secs(3600),
        max_connections: 16,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app, limits, async {
        let _ = stopped.await;
    }));
    let in_progress = tokio::spawn(http_get(addr, "/slow"));
    let mut entered = entered;
    entered.recv().await.unwrap();
    let mut half = tokio::net::TcpStream::connect(addr).await.unwrap();
    half.write_all(b"GET /quick HTTP/1.1\r\nHo").await.unwrap();
    let mut idle = tokio::net::TcpStream::connect(addr).await.unwrap();
    idle.write_all(b"GET /quick HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    stop.send(()).unwrap();
    // Idle and half-open connections are closed now, not after an hour.
    for mut s in [half, idle] {
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut rest))
            .await
            .expect("closed at shutdown")
            .ok();
    }
    release.notify_one();
    let answer = tokio::time::timeout(Duration::from_secs(30), in_progress)
        .await
        .unwrap()
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("finished"), "{answer}");
    tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("stops once the request is done")
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

/// At the connection limit, a new client does not wait for half-open connections to time
/// out: the least recently active connection with nothing in progress is closed to make
/// room. A connection whose request is being answered is never closed for that: the new
/// client waits for it.
#[tokio::test]
async fn at_the_limit_idle_connections_make_room_and_requests_in_progress_do_not() {
    use axum::routing::get;
    use hutong::connections::{ConnectionLimits, serve};
    use std::sync::Arc;
    let (entered_tx, mut entered) = tokio::sync::mpsc::channel::<()>(1);
    let release = Arc::new(tokio::sync::Notify::new());
    let app = axum::Router::new()
        .route(
            "/slow",
            get({
                let release = release.clone();
                move || async move {
                    let _ = entered_tx.send(()).await;
                    release.notified().await;
                    "finished"
                }
            }),
        )
        .route("/quick", get(|| async { "quick" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let limits = ConnectionLimits {
        header_timeout: Duration::from_secs(3600),
        idle_timeout: Duration::from_secs(3600),
        max_connections: 4,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app, limits, async {
        let _ = stopped.await;
    }));
    let mut half_open = Vec::new();
    for _ in 0..12 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /quick HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .unwrap();
        half_open.push(s);
    }
    let quick = tokio::time::timeout(Duration::from_secs(60), http_get(addr, "/quick"))
        .await
        .expect("answered without waiting an hour for the half-open requests");
    assert!(quick.ends_with("quick"), "{quick}");
    // Every place taken by a request in progress: nothing is closed to make room.
    drop(half_open);
    let mut in_progress = Vec::new();
    for _ in 0..4 {
        in_progress.push(tokio::spawn(http_get(addr, "/slow")));
        entered.recv().await.unwrap();
    }
    let waiting = tokio::spawn(http_get(addr, "/quick"));
    tokio::task::yield_now().await;
    assert!(!waiting.is_finished());
    release.notify_waiters();
    for r in in_progress {
        let answer = tokio::time::timeout(Duration::from_secs(60), r)
            .await
            .unwrap()
            .unwrap();
        assert!(answer.ends_with("finished"), "{answer}");
    }
    let answer = tokio::time::timeout(Duration::from_secs(60), waiting)
        .await
        .unwrap()
        .unwrap();
    assert!(answer.ends_with("quick"), "{answer}");
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .unwrap()
        .unwrap();
}
