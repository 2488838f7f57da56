//! The binary and the server's life: start, answer over real TCP, stop on a signal; refuse
//! to start on a bad catalog or an unreachable database, saying why without secrets.

mod common;

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

fn hutong() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hutong"))
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
