//! What the web layer promises about itself, checked in-process: each request reads the
//! data version once, and every error a reader can meet is in the reader's language.
//! (What readers see of each page is tested in `tests/`.)

use super::{AppState, router};
use crate::storage::Store;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use hutong_app::i18n::Lang;
use tower::ServiceExt;

async fn app() -> (Router, AppState, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("web.db").display());
    let store = Store::open(&url, 4).await.expect("open sqlite");
    let catalog =
        crate::catalog::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog"))
            .expect("the shipped catalog is valid");
    store.apply_catalog(&catalog).await.expect("load catalog");
    let state = AppState::new(store);
    (router(state.clone()), state, dir)
}

/// Status, content type and body of a GET.
async fn get(app: &Router, uri: &str) -> (StatusCode, String, String) {
    let response = app
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).expect("request"))
        .await
        .expect("answer");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (
        status,
        content_type,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

/// A page reads the data version once, however many kept results it uses (the overview
/// used to read it about eight times: once per kept result).
#[tokio::test]
async fn each_request_reads_the_data_version_once() {
    let (app, state, _dir) = app().await;
    for uri in [
        "/",
        "/?at=2021-10-17",
        "/links",
        "/payments?at=2021-09-01",
        "/checks/link.wechat.taobao",
        "/platforms/wechat",
        "/timeline?kind=link",
        "/requirements",
        "/requirements/miit-2021-link-unblocking",
        "/charts/openness-links.svg",
        "/timeline.csv",
        "/timeline.atom",
        "/requirements.ics",
        "/api/v1/timeline",
        "/api/v1/matrix?kind=link",
        "/api/v1/requirements",
    ] {
        // Twice: once computing, once from what was kept.
        for _ in 0..2 {
            let before = state.memo.version_reads();
            let (status, _, body) = get(&app, uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}: {body}");
            assert_eq!(
                state.memo.version_reads() - before,
                1,
                "{uri} read the data version more than once"
            );
        }
    }
}

/// Errors that were English on Chinese pages and downloads are in the reader's language
/// now; the API stays English.
#[tokio::test]
async fn every_error_is_in_the_readers_language() {
    let (app, _state, _dir) = app().await;
    let zh = Lang::ZhCn;
    for (uri, status, words) in [
        (
            "/requirements/nope?lang=zh-CN",
            StatusCode::NOT_FOUND,
            zh.t_args("error-no-requirement", &[("id", "nope".into())]),
        ),
        (
            "/charts/requirements/nope.svg?lang=zh-CN",
            StatusCode::NOT_FOUND,
            zh.t_args("error-no-requirement", &[("id", "nope".into())]),
        ),
        (
            "/charts/requirements/x.gif?lang=zh-CN",
            StatusCode::NOT_FOUND,
            zh.t_args("error-no-chart-requirement", &[("file", "x.gif".into())]),
        ),
        (
            "/charts/checks/link.nobody.nothing.svg?lang=zh-CN",
            StatusCode::NOT_FOUND,
            zh.t_args("error-no-check", &[("id", "link.nobody.nothing".into())]),
        ),
        (
            "/charts/checks/x.gif?lang=zh-CN",
            StatusCode::NOT_FOUND,
            zh.t_args("error-no-chart-check", &[("file", "x.gif".into())]),
        ),
        (
            "/charts/openness-qr.svg?lang=zh-CN",
            StatusCode::NOT_FOUND,
            zh.t_args(
                "error-no-chart-openness",
                &[("file", "openness-qr.svg".into())],
            ),
        ),
        (
            "/timeline.csv?from=2021-10-01&to=2021-09-01&lang=zh-CN",
            StatusCode::BAD_REQUEST,
            zh.t_args(
                "error-param-range-reversed",
                &[("from", "2021-10-01".into()), ("to", "2021-09-01".into())],
            ),
        ),
    ] {
        let (got, _, body) = get(&app, uri).await;
        assert_eq!(got, status, "{uri}: {body}");
        assert!(body.contains(&words), "{uri}: {body} lacks {words}");
    }
    for (uri, words) in [
        ("/api/v1/nothing", "there is no API endpoint at /nothing"),
        (
            "/api/v1/matrix",
            "kind: required, one of: link, payment, qr",
        ),
        (
            "/api/v1/requirements/nope",
            "there is no requirement \"nope\"",
        ),
    ] {
        let (status, content_type, body) = get(&app, uri).await;
        assert!(status.is_client_error(), "{uri}");
        assert!(content_type.starts_with("application/json"), "{uri}");
        let error: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        assert!(
            error["error"].as_str().is_some_and(|e| e.contains(words)),
            "{uri}: {body}"
        );
    }
}
