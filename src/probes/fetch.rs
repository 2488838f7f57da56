//! The fetcher (stub until the real one lands).
use super::{FetchError, Response};
use std::time::Duration;

pub struct FetcherOptions {
    pub user_agent: String,
    pub proxy: Option<url::Url>,
    pub connect_timeout: Duration,
}
pub struct FetchSettings {
    pub method: reqwest::Method,
    pub headers: Vec<(String, String)>,
    pub follow_redirects: bool,
    pub max_redirects: usize,
    pub timeout: Duration,
    pub max_body_bytes: usize,
    pub per_host_concurrency: usize,
    pub min_host_spacing: Duration,
}
impl Default for FetchSettings {
    fn default() -> Self {
        todo!()
    }
}
#[derive(Debug, thiserror::Error)]
#[error("x")]
pub struct FetcherBuildError;
#[derive(Clone)]
pub struct Fetcher;
impl Fetcher {
    pub fn new(_options: FetcherOptions) -> Result<Fetcher, FetcherBuildError> {
        todo!()
    }
    pub async fn fetch(
        &self,
        _url: &str,
        _settings: &FetchSettings,
    ) -> Result<Response, FetchError> {
        todo!()
    }
}
pub fn decode_text(
    _body: &[u8],
    _content_type: Option<&str>,
) -> (String, &'static encoding_rs::Encoding) {
    todo!()
}
