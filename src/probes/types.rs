//! What a probe fetch hands to classification: the answer (every hop, the final page, its
//! decoded text), or a failure with its class. Shared by the fetcher, the classifier, the
//! snapshot store and reclassification.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Why a probe could not observe a status. A verdict of `unknown` always carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// The host name did not resolve.
    Dns,
    /// No TCP connection (refused, unreachable, reset before an answer).
    Connect,
    /// The TLS handshake failed (bad certificate, not TLS at all …).
    Tls,
    /// The request (redirects included) took longer than the pack allows.
    Timeout,
    /// An HTTP status of 400 or more that no rule explains.
    HttpStatus,
    /// The body, after decompression, is larger than the cap.
    TooLarge,
    /// Broken compression or an undecodable body.
    Decode,
    /// An anti-bot answer (403, 429, a captcha page): not the platform's policy.
    BotChallenge,
    /// The control request (the target itself) failed, so a restriction cannot be told
    /// apart from a target that is down.
    ControlFailed,
    /// The page was fetched but no rule recognises it.
    NoRuleMatched,
    /// More redirects than allowed, or a redirect back to a URL already visited.
    RedirectLoop,
    /// A request, redirect or control would have reached an internal address (loopback,
    /// private, link-local, cloud metadata …): refused before connecting.
    InternalAddress,
    /// The page is nested too deeply, has too many elements, or took too long to read:
    /// Hutong stopped reading it (hostile or broken markup).
    TooComplex,
    /// The pack's in-app control (a known-good link sent through the same bridge) was
    /// intercepted or failed: the bridge itself misbehaves, so no verdict of the run
    /// says anything about the targets.
    BridgeFailed,
}

impl FailureClass {
    pub const ALL: [FailureClass; 14] = [
        Self::Dns,
        Self::Connect,
        Self::Tls,
        Self::Timeout,
        Self::HttpStatus,
        Self::TooLarge,
        Self::Decode,
        Self::BotChallenge,
        Self::ControlFailed,
        Self::NoRuleMatched,
        Self::RedirectLoop,
        Self::InternalAddress,
        Self::TooComplex,
        Self::BridgeFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::Connect => "connect",
            Self::Tls => "tls",
            Self::Timeout => "timeout",
            Self::HttpStatus => "http_status",
            Self::TooLarge => "too_large",
            Self::Decode => "decode",
            Self::BotChallenge => "bot_challenge",
            Self::ControlFailed => "control_failed",
            Self::NoRuleMatched => "no_rule_matched",
            Self::RedirectLoop => "redirect_loop",
            Self::InternalAddress => "internal_address",
            Self::TooComplex => "too_complex",
            Self::BridgeFailed => "bridge_failed",
        }
    }
}

impl fmt::Display for FailureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FailureClass {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("\"{s}\" is not a failure class"))
    }
}

/// One HTTP exchange of a request's redirect chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hop {
    /// The URL requested.
    pub url: String,
    /// The status it answered.
    pub status: u16,
    /// Its `Location` header, as sent (may be relative), capped in length.
    pub location: Option<String>,
    /// Milliseconds from the start of the request to this answer's headers.
    pub elapsed_ms: u64,
}

/// A fetched answer: the last hop's page, decoded.
#[derive(Debug, Clone)]
pub struct Response {
    /// The first URL requested.
    pub request_url: String,
    /// Every exchange, in order; the last is the answer classified. Never empty.
    pub hops: Vec<Hop>,
    /// The URL of the classified answer (the last hop's URL).
    pub final_url: String,
    /// Its HTTP status.
    pub status: u16,
    /// Its `Location` header resolved against its URL, when it has one.
    pub location: Option<String>,
    /// Its `Content-Type` header, capped in length.
    pub content_type: Option<String>,
    /// The body after decompression, exactly as received (at most the cap).
    pub body: Vec<u8>,
    /// The body decoded to text with `charset`.
    pub text: String,
    /// The encoding used to decode (`UTF-8`, `GBK`, `gb18030` …: encoding_rs names).
    pub charset: String,
    /// Milliseconds from the start to the whole body.
    pub elapsed_ms: u64,
}

/// A request that produced no page to classify.
#[derive(Debug, Clone)]
pub struct FetchError {
    pub class: FailureClass,
    /// What went wrong, in words, for evidence and logs (never shown unescaped).
    pub detail: String,
    /// The exchanges completed before the failure.
    pub hops: Vec<Hop>,
    pub elapsed_ms: u64,
}
