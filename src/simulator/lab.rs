//! `lab.sim.test`: hostile and odd answers that probes must survive, the look-alike
//! `fake.simscam.test`, and what internal hosts answer. `catalog/probes/demo-lab.toml`
//! probes every page here.

use super::Simulator;
use super::html::{self, Charset};
use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::time::Duration;

const HOST: &str = "lab.sim.test";

pub async fn handle(sim: &Simulator, path: &str, query: &str) -> Response {
    match path {
        "/slow" => slow(query).await,
        "/dribble" => dribble(query),
        "/huge" => huge(query),
        "/malformed" => malformed(),
        "/challenge" => challenge(),
        "/captcha" => captcha(),
        "/loop" => html::redirect("http://lab.sim.test/loop2"),
        "/loop2" => html::redirect("http://lab.sim.test/loop"),
        "/down" => down(),
        "/gzip-broken" => gzip_broken(),
        "/script" => script(),
        "/fake-block" => fake_block(),
        // The case: a redirect to this machine's own API (here, the simulator).
        "/redirect-internal" => {
            let own = sim
                .local_addr()
                .map_or_else(|| "127.0.0.1".to_string(), |a| a.to_string());
            html::redirect(&format!("http://{own}/api/v1/requirements"))
        }
        "/redirect-metadata" => {
            html::redirect("http://169.254.169.254/latest/meta-data/iam/security-credentials/")
        }
        "/deep" => deep(query),
        "/nul" => nul(),
        "/bench" => match html::number(query, "kb", 30, 16 * 1024) {
            Ok(kb) => (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                sim.bench_page(kb),
            )
                .into_response(),
            Err(bad) => bad.into_response(),
        },
        _ => html::not_found(HOST, path),
    }
}

fn page(title: &str, body: &str) -> String {
    html::document(Charset::Utf8, title, "", body)
}

/// Waits `ms` (default 3000, at most 60000) before answering.
async fn slow(query: &str) -> Response {
    let ms = match html::number(query, "ms", 3000, 60_000) {
        Ok(ms) => ms,
        Err(bad) => return bad.into_response(),
    };
    tokio::time::sleep(Duration::from_millis(ms)).await;
    html::html(
        StatusCode::OK,
        page(
            "慢速页面",
            &format!("<h1>慢速页面</h1><p>等待了 {ms} 毫秒才回答。</p>"),
        ),
    )
}

/// Sends headers at once, then the body in `n` small chunks (default 20, at most 1000),
/// `ms` apart (default 200, at most 10000).
fn dribble(query: &str) -> Response {
    let (ms, n) = match (
        html::number(query, "ms", 200, 10_000),
        html::number(query, "n", 20, 1000),
    ) {
        (Ok(ms), Ok(n)) => (ms, n),
        (Err(bad), _) | (_, Err(bad)) => return bad.into_response(),
    };
    let whole = page(
        "滴灌页面",
        "<h1>滴灌页面</h1><p>这个页面每次只发送一小段。</p>",
    );
    let head = Bytes::from(whole.clone().into_bytes());
    let chunks = usize::try_from(n).unwrap_or(1).max(1);
    let size = head.len().div_ceil(chunks).max(1);
    let parts: Vec<Bytes> = (0..head.len())
        .step_by(size)
        .map(|i| head.slice(i..(i + size).min(head.len())))
        .collect();
    let stream = futures_util::stream::unfold((parts, 0usize), move |(parts, i)| async move {
        let part = parts.get(i)?.clone();
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        Some((Ok::<_, Infallible>(part), (parts, i + 1)))
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        Body::from_stream(stream),
    )
        .into_response()
}

const HUGE_CHUNK: usize = 64 * 1024;

/// Streams exactly `mb` MiB (default 1, at most 64) of HTML, chunked.
fn huge(query: &str) -> Response {
    let mb = match html::number(query, "mb", 1, 64) {
        Ok(mb) => mb,
        Err(bad) => return bad.into_response(),
    };
    let total = usize::try_from(mb).unwrap_or(0) * 1024 * 1024;
    let line = b"<p>hutong simulator huge page filler / \xe6\xa8\xa1\xe6\x8b\x9f\xe5\xa1\xab\xe5\x85\x85</p>\n";
    let mut filler = Vec::with_capacity(HUGE_CHUNK);
    while filler.len() < HUGE_CHUNK {
        let n = line.len().min(HUGE_CHUNK - filler.len());
        filler.extend_from_slice(&line[..n]);
    }
    // The first chunk opens the page (and says it is simulated); the rest is filler.
    let head = page("超大页面", "<h1>超大页面</h1>");
    let head = head.trim_end_matches("</body>\n</html>\n");
    let mut first = filler.clone();
    let n = head.len().min(HUGE_CHUNK);
    first[..n].copy_from_slice(&head.as_bytes()[..n]);
    let first = Bytes::from(first);
    let filler = Bytes::from(filler);
    let chunks = total / HUGE_CHUNK;
    let stream = futures_util::stream::iter((0..chunks).map(move |i| {
        Ok::<_, Infallible>(if i == 0 {
            first.clone()
        } else {
            filler.clone()
        })
    }));
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        Body::from_stream(stream),
    )
        .into_response()
}

/// Broken HTML: unclosed tags, stray end tags, a NUL byte, invalid UTF-8.
fn malformed() -> Response {
    let mut body = Vec::new();
    body.extend_from_slice(
        b"<html><head><meta name=\"generator\" content=\"hutong-simulator\"><title>\xe5\x9d\x8f\xe9\xa1\xb5\xe9\x9d\xa2 broken",
    );
    body.extend_from_slice(
        "<body><div class=\"sim-banner\">模拟 / SIMULATED</div></div></div>\
         <div><p>未闭合的段落<b>粗体<i>斜体</span></td>\n<ul><li>一<li>二<li>三\n"
            .as_bytes(),
    );
    body.extend_from_slice(b"NUL here:\0 invalid UTF-8: \xff\xfe \xc3\x28 \xe6\xa8 end");
    body.extend_from_slice(b"\n<script>var x = \"unterminated;</scr");
    body.extend_from_slice(b"\n<div class=\"a\" id=\"b\" <p>attr soup=\"\n</div></div></html");
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// An anti-bot answer: 403 with a 验证码 page.
fn challenge() -> Response {
    html::html(
        StatusCode::FORBIDDEN,
        page(
            "安全验证",
            "<div class=\"verify\"><h1>请输入验证码</h1>\
             <p>您的访问过于频繁，请完成验证后继续。</p>\
             <img src=\"/captcha.jpg\" alt=\"验证码\"><input name=\"captcha\" placeholder=\"验证码\">\
             <button type=\"submit\">提交</button></div>",
        ),
    )
}

/// A 200 slider captcha page.
fn captcha() -> Response {
    html::html(
        StatusCode::OK,
        page(
            "滑动验证",
            "<div id=\"nc_1_wrapper\" class=\"nc-container\"><h1>滑动验证</h1>\
             <div class=\"nc_scale\"><span class=\"nc-lang-cnt\">请按住滑块，拖动到最右边</span>\
             <span class=\"btn_slide\" id=\"nc_1_n1z\">&gt;&gt;</span></div></div>",
        ),
    )
}

fn down() -> Response {
    let mut answer = html::error_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "服务暂不可用 / Service Unavailable",
        "服务器维护中，请稍后再试。The server is down for maintenance.",
    );
    answer
        .headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("120"));
    answer
}

/// Claims gzip; sends a gzip magic number and then garbage.
fn gzip_broken() -> Response {
    let mut body = vec![0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03];
    let mut x: u32 = 0x1234_5678;
    for _ in 0..512 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        body.push((x >> 7) as u8);
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_ENCODING, "gzip"),
        ],
        body,
    )
        .into_response()
}

/// A block-looking page with script and an event handler inside the heading: whoever
/// shows an excerpt must escape it.
fn script() -> Response {
    html::html(
        StatusCode::OK,
        page(
            "已停止访问该网页",
            "<div class=\"weui-msg\"><h2 class=\"weui-msg__title\">已停止访问该网页\
             <script>alert(\"xss\")</script><img src=x onerror=alert(1)></h2>\
             <p class=\"weui-msg__desc\">这是一个包含脚本的测试页面。</p></div>",
        ),
    )
}

/// A look-alike: an ordinary site painting its OWN "blocked" overlay (served on
/// `lab.sim.test/fake-block` and on every path of `fake.simscam.test`).
pub fn fake_block() -> Response {
    html::html(
        StatusCode::OK,
        page(
            "超值好物 限时抢购",
            "<div class=\"shop\"><h1>超值好物 限时抢购</h1><ul class=\"goods\">\
             <li>蓝牙耳机 ￥19.9</li><li>保温杯 ￥9.9</li></ul></div>\n\
             <div class=\"fake-overlay\" style=\"position:fixed;top:0;left:0;right:0;bottom:0;background:#fff\">\
             <div class=\"weui-msg\"><h2 class=\"weui-msg__title\">已停止访问该网页</h2>\
             <p class=\"weui-msg__desc\">请点击右上角，选择在浏览器中打开，领取优惠。</p></div></div>",
        ),
    )
}

/// What an internal service would answer (any path of an internal host): a page no probe
/// may ever fetch, store or publish.
pub fn internal() -> Response {
    html::html(
        StatusCode::OK,
        page(
            "内部接口",
            &format!(
                "<h1>内部接口 / internal service</h1>\
                 <p>只应在本机或内网可见。Only this machine or its network should see this.</p>\
                 <pre class=\"secret\">{{\"AccessKeyId\": \"{}\"}}</pre>",
                super::INTERNAL_SECRET
            ),
        ),
    )
}

/// Tags `/deep` may nest.
const DEEP_TAGS: [&str; 4] = ["div", "b", "span", "font"];

/// `<h1>深层嵌套</h1>` followed by `n` (default 40,000, at most 1,000,000) nested `tag`
/// elements (`div` by default, or `b`, `span`, `font`; each `b` with its own `id`, which
/// defeats the parser's limit on identical formatting elements), then a line of text
/// that only a full tree reaches. Unbounded, building this tree costs time quadratic in
/// `n`: seconds for 40,000 and minutes for 1.5 MB.
fn deep(query: &str) -> Response {
    let n = match html::number(query, "n", 40_000, 1_000_000) {
        Ok(n) => usize::try_from(n).unwrap_or(0),
        Err(bad) => return bad.into_response(),
    };
    let tag = match html::param(query, "tag") {
        html::Param::Missing => "div",
        html::Param::Value(t) => match DEEP_TAGS.iter().find(|d| **d == t) {
            Some(d) => d,
            None => {
                return html::bad_request(
                    "参数 tag 必须是 div、b、span 或 font。Parameter tag must be div, b, span or font.",
                );
            }
        },
        html::Param::Bad => {
            return html::bad_request("参数 tag 的编码无效。Parameter tag is badly encoded.");
        }
    };
    let mut body = String::with_capacity(n * (tag.len() + 12) + 64);
    body.push_str("<h1>深层嵌套</h1>\n");
    for i in 0..n {
        if tag == "b" {
            body.push_str(&format!("<b id=\"d{i}\">"));
        } else {
            body.push('<');
            body.push_str(tag);
            body.push('>');
        }
    }
    body.push_str("<p>最深处 the deepest line</p>");
    html::html(StatusCode::OK, page("深层嵌套", &body))
}

/// NUL bytes (U+0000) in the title, an attribute, a script, a JSON-like variable, and
/// the visible "blocked" wording a rule matches: the excerpt stored carries one.
fn nul() -> Response {
    let body = "<div class=\"weui-msg\" data-note=\"a\0b\">\
         <h2 class=\"weui-msg__title\">已停止访问该网页\0（页面含 NUL 字节）</h2>\
         <p class=\"weui-msg__desc\">NUL\0在这里 here\0and here.</p></div>\
         <script>var cgiData = {\"type\": \"x\0y\", \"title\": \"\\u0000\"};</script>";
    let doc = page("含 NUL 的页面", body).replace("<title>含 NUL", "<title>含\0NUL");
    html::html(StatusCode::OK, doc)
}
