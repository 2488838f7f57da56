//! The chat apps' link bridges: SimChat (like WeChat) and SimTalk (like QQ).

use super::html::{self, BadRequest, Charset, Param, esc};
use super::{LinkState, Simulator, target_of_host};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use url::Url;

/// A shared link: the URL and, when it is one, the simulated target platform.
struct Shared {
    url: Url,
    target: Option<&'static str>,
}

/// Reads the shared URL from parameter `name`. Only `http(s)` URLs on `.test` hosts are
/// accepted: the simulator never points anyone at the real network.
fn shared(query: &str, name: &str) -> Result<Shared, BadRequest> {
    let raw = match html::param(query, name) {
        Param::Value(v) if !v.trim().is_empty() => v,
        Param::Value(_) | Param::Missing => {
            return Err(BadRequest(format!(
                "缺少参数 {name}（要访问的网址）。Parameter {name} (the shared URL) is missing."
            )));
        }
        Param::Bad => {
            return Err(BadRequest(format!(
                "参数 {name} 的百分号编码无效。Parameter {name} is badly percent-encoded."
            )));
        }
    };
    let Ok(url) = Url::parse(raw.trim()) else {
        return Err(BadRequest(
            "无法识别的网址。The shared URL cannot be parsed.".into(),
        ));
    };
    let host = url
        .host_str()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if !matches!(url.scheme(), "http" | "https") || !host.ends_with(".test") {
        return Err(BadRequest(
            "模拟器只处理 .test 域名的 http(s) 网址。The simulator only handles http(s) URLs on .test hosts."
                .into(),
        ));
    }
    Ok(Shared {
        target: target_of_host(&host),
        url,
    })
}

/// The state a chat app applies to a shared link: the simulated state for a known target,
/// `open` for any other `.test` site (e.g. the look-alike `fake.simscam.test`).
fn state_of(sim: &Simulator, app: &str, shared: &Shared) -> LinkState {
    if sim.bridge_intercepts_all(app) {
        return LinkState::Blocked;
    }
    shared
        .target
        .map_or(LinkState::Open, |t| sim.link_state(app, t))
}

const SIMCHAT_INTERSTITIAL: &str = "http://safety.simchat.test/cgi-bin/newredirectconfirmcgi";

/// `bridge.simchat.test/wapredirect?url=…`: straight to the target, or to the interstitial.
pub fn simchat_bridge(sim: &Simulator, path: &str, query: &str) -> Response {
    if !matches!(path, "/wapredirect" | "/mp/wapredirect") {
        return html::not_found("bridge.simchat.test", path);
    }
    let shared = match shared(query, "url") {
        Ok(s) => s,
        Err(bad) => return bad.into_response(),
    };
    let main_type = match state_of(sim, "simchat", &shared) {
        LinkState::Open => return html::redirect(shared.url.as_str()),
        LinkState::Blocked => 1,
        LinkState::Warned => 2,
        LinkState::TokenOnly => 3,
    };
    html::redirect(&format!(
        "{SIMCHAT_INTERSTITIAL}?main_type={main_type}&target=t&url={}",
        html::encode_component(shared.url.as_str())
    ))
}

/// Escapes like WeChat does inside `cgiData`: HTML entities in string values.
fn entity(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\'', "&#39;")
}

/// `safety.simchat.test/cgi-bin/newredirectconfirmcgi?url=…`: the interstitial, decided by
/// the current state of (simchat, target), whatever the query string says.
pub fn simchat_interstitial(sim: &Simulator, path: &str, query: &str) -> Response {
    match path {
        "/cgi-bin/newredirectconfirmcgi" | "/cgi-bin/mmspamsupport-bin/newredirectconfirmcgi" => {}
        "/cgi-bin/appeal" => return appeal_page(),
        _ => return html::not_found("safety.simchat.test", path),
    }
    let shared = match shared(query, "url") {
        Ok(s) => s,
        Err(bad) => return bad.into_response(),
    };
    let url = shared.url.as_str();
    let state = state_of(sim, "simchat", &shared);
    let appeal = format!(
        "http://safety.simchat.test/cgi-bin/appeal?url={}&scene=1",
        html::encode_component(url)
    );
    let (kind, title, desc, block) = match state {
        LinkState::Open => return html::redirect(url),
        LinkState::Blocked => (
            "block",
            "已停止访问该网页",
            "据用户投诉及模拟聊天安全中心检测，该网页包含违规内容。为维护绿色上网环境，已停止访问。",
            format!(
                "<p class=\"weui-msg__desc\">网址：{u}</p>\n\
                 <p class=\"weui-msg__desc\"><a id=\"js_appeal\" href=\"{a}\">对网页进行申诉</a></p>",
                u = esc(url),
                a = esc(&appeal)
            ),
        ),
        LinkState::Warned => (
            "gray",
            "将要访问",
            "非微信官方网页，请确认是否继续访问。该网页可能不是由微信提供，微信无法确保内容的安全性，如果要继续访问，请注意保护好个人信息。",
            format!(
                "<p class=\"weui-msg__desc weui-msg__url\">{u}</p>\n\
                 <div class=\"weui-msg__opr-area\"><p class=\"weui-btn-area\">\
                 <a class=\"weui-btn weui-btn_primary\" id=\"js_continue\" href=\"{u}\">继续访问</a></p></div>",
                u = esc(url)
            ),
        ),
        LinkState::TokenOnly => (
            "empty",
            "如需浏览，请长按网址复制后使用浏览器访问",
            "该网页暂不支持在模拟聊天内直接打开。",
            format!(
                "<p class=\"weui-msg__desc weui-msg__url\" id=\"js_url\">{u}</p>",
                u = esc(url)
            ),
        ),
    };
    // Written field by field, in the order WeChat's page has them (`type` first).
    let btns = if kind == "gray" {
        serde_json::json!([{ "name": "继续访问", "url": entity(url) }])
    } else {
        serde_json::json!([])
    };
    let appeal_url = if kind == "block" {
        entity(&appeal)
    } else {
        String::new()
    };
    let fields: [(&str, serde_json::Value); 8] = [
        ("type", kind.into()),
        ("title", title.into()),
        ("desc", desc.into()),
        ("url", entity(url).into()),
        ("appeal_url", appeal_url.into()),
        ("btns", btns),
        ("ret", 0.into()),
        ("simulated", true.into()),
    ];
    let cgi = fields
        .iter()
        .map(|(k, v)| format!("\"{k}\":{v}"))
        .collect::<Vec<_>>()
        .join(",");
    let body = format!(
        "<div class=\"weui-msg\" id=\"js_msg\">\n\
         <div class=\"weui-msg__icon-area\"><i class=\"weui-icon-warn weui-icon_msg\"></i></div>\n\
         <div class=\"weui-msg__text-area\">\n\
         <h2 class=\"weui-msg__title\">{title}</h2>\n\
         <p class=\"weui-msg__desc\">{desc}</p>\n{block}\n</div>\n</div>\n\
         <script type=\"text/javascript\">\n\
         var cgiData = {{{cgi}}};\n\
         </script>\n\
         <script type=\"text/javascript\">\n\
         // wording for every type; the page shows the one cgiData.type names\n\
         var wording = {{\"block\":\"已停止访问该网页\",\"gray\":\"将要访问\",\
         \"grayTips\":\"非微信官方网页，请确认是否继续访问\",\"cont\":\"继续访问\",\
         \"empty\":\"如需浏览，请长按网址复制后使用浏览器访问\"}};\n\
         </script>",
        title = esc(title),
        desc = esc(desc),
    );
    html::html(
        StatusCode::OK,
        html::document(Charset::Utf8, "模拟聊天安全中心", "", &body),
    )
}

fn appeal_page() -> Response {
    html::html(
        StatusCode::OK,
        html::document(
            Charset::Utf8,
            "网页申诉",
            "",
            "<div class=\"appeal\"><h1>网页申诉</h1><p>请填写申诉理由，我们会在 3 个工作日内处理。</p>\
             <form><textarea name=\"reason\"></textarea><button type=\"submit\">提交</button></form></div>",
        ),
    )
}

/// `c.simtalk.test`: `middlem.html?pfurl=…` (the bridge) and `pc.html?url=…` (blocked).
pub fn simtalk(sim: &Simulator, path: &str, query: &str) -> Response {
    match path {
        "/middlem.html" => {}
        "/pc.html" | "/ios.html" => {
            return match shared(query, "url") {
                Ok(shared) => simtalk_blocked(&shared),
                Err(bad) => bad.into_response(),
            };
        }
        _ => return html::not_found("c.simtalk.test", path),
    }
    let shared = match shared(query, "pfurl") {
        Ok(s) => s,
        Err(bad) => return bad.into_response(),
    };
    let url = shared.url.as_str();
    let body = match state_of(sim, "simtalk", &shared) {
        LinkState::Open => return html::redirect(url),
        LinkState::Blocked => {
            return html::redirect(&format!(
                "http://c.simtalk.test/pc.html?url={}",
                html::encode_component(url)
            ));
        }
        LinkState::Warned => format!(
            "<div class=\"main\" id=\"warning\">\n<div class=\"icon icon-warn\"></div>\n\
             <h1 class=\"title\">当前网页非官方页面</h1>\n\
             <p class=\"desc\">该网页未经模拟对话官方认证，请注意保护个人信息和财产安全。</p>\n\
             <p class=\"url\">{u}</p>\n\
             <a class=\"btn btn-primary\" id=\"continue\" href=\"{u}\">继续访问</a>\n</div>",
            u = esc(url)
        ),
        LinkState::TokenOnly => format!(
            "<div class=\"main\" id=\"copy\">\n<div class=\"icon icon-info\"></div>\n\
             <h1 class=\"title\">请复制链接到浏览器打开</h1>\n\
             <p class=\"desc\">该网页暂不支持在模拟对话内直接访问。</p>\n\
             <input class=\"url\" id=\"url\" readonly value=\"{u}\">\n\
             <button class=\"btn\" id=\"copy-btn\" type=\"button\">复制链接</button>\n</div>",
            u = esc(url)
        ),
    };
    html::html(
        StatusCode::OK,
        html::document(Charset::Utf8, "模拟对话安全提示", "", &body),
    )
}

fn simtalk_blocked(shared: &Shared) -> Response {
    let body = format!(
        "<div class=\"main\" id=\"blocked\">\n<div class=\"icon icon-stop\"></div>\n\
         <h1 class=\"title\">已停止访问该网页</h1>\n\
         <p class=\"desc\">该网页已被多人举报，包含不安全内容，为保护您的安全已停止访问。</p>\n\
         <p class=\"url\">{u}</p>\n</div>",
        u = esc(shared.url.as_str())
    );
    html::html(
        StatusCode::OK,
        html::document(Charset::Utf8, "模拟对话安全提示", "", &body),
    )
}
