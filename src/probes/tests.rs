//! Unit tests of pack validation and classification: small packs written as TOML,
//! validated against the real catalog, and answers built by hand.

use super::classify::{Classification, classify, map_methods, script_var, unescape_entities};
use super::pack::{MethodNames, ProbePack, validate_packs};
use super::{FailureClass, Hop, Response};
use crate::catalog::Catalog;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    crate::catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog"))
        .expect("the shipped catalog is valid")
});

// ---------------------------------------------------------------------------------------
// Fixtures.

/// A link pack for `link.simchat.simshop` with `pack_extra` under `[pack]`.
fn link_text(pack_extra: &str, follow_redirects: bool, rules: &str) -> String {
    format!(
        r#"[pack]
id = "t"
name_en = "T"
name_zh = "T"
kind = "link"
subject = "simchat"
version = 1
schedule = "0 0 * * * *"
{pack_extra}

[targets]
simshop = "http://shop.simshop.test/item/1"

[request]
url = "http://bridge.simchat.test/wapredirect?url={{target_url}}"
follow_redirects = {follow_redirects}

{rules}
"#
    )
}

fn compile(text: &str) -> ProbePack {
    match validate_packs(&[(PathBuf::from("packs/t.toml"), text)], &CATALOG) {
        Ok(mut packs) => {
            assert_eq!(packs.len(), 1);
            packs.remove(0)
        }
        Err(e) => panic!("the pack should be valid:\n{e}\n{text}"),
    }
}

/// A link pack (redirects not followed) with these rules.
fn link(rules: &str) -> ProbePack {
    compile(&link_text("", false, rules))
}

/// A pack with one rule `hit` (status `blocked`) whose `when` is `when`.
fn one_rule(when: &str) -> ProbePack {
    link(&format!(
        "[[rule]]\nid = \"hit\"\nstatus = \"blocked\"\nwhen = {when}\n"
    ))
}

fn page(status: u16, url: &str, body: &str) -> Response {
    Response {
        request_url: url.to_string(),
        hops: vec![Hop {
            url: url.to_string(),
            status,
            location: None,
            elapsed_ms: 1,
        }],
        final_url: url.to_string(),
        status,
        location: None,
        content_type: Some("text/html; charset=utf-8".into()),
        body: body.as_bytes().to_vec(),
        text: body.to_string(),
        charset: "UTF-8".into(),
        elapsed_ms: 1,
    }
}

fn redirect(status: u16, url: &str, location: &str) -> Response {
    let mut r = page(status, url, "");
    r.location = Some(location.to_string());
    r.hops[0].location = Some(location.to_string());
    r
}

/// A chain: `request_url` → … → the last URL, which answers `status` with `body`.
fn chain(urls: &[&str], status: u16, body: &str) -> Response {
    let last = urls.last().expect("a URL");
    let mut r = page(status, last, body);
    r.request_url = urls[0].to_string();
    r.hops = urls
        .iter()
        .enumerate()
        .map(|(i, u)| Hop {
            url: u.to_string(),
            status: if i + 1 == urls.len() { status } else { 302 },
            location: urls.get(i + 1).map(|n| n.to_string()),
            elapsed_ms: i as u64,
        })
        .collect();
    r
}

const BRIDGE: &str = "http://bridge.simchat.test/wapredirect?url=x";
const SHOP: &str = "http://shop.simshop.test/item/1";
const SAFETY: &str = "http://safety.simchat.test/cgi-bin/newredirectconfirmcgi";

fn run(pack: &ProbePack, r: &Response) -> Classification {
    classify(pack, &pack.targets[0], r)
}

#[track_caller]
fn assert_verdict(
    c: &Classification,
    status: &str,
    failure: Option<FailureClass>,
    confirmed: bool,
    rule: Option<&str>,
) {
    assert_eq!(c.verdicts.len(), 1, "{c:?}");
    let v = &c.verdicts[0];
    assert_eq!(v.check_id, "link.simchat.simshop");
    assert_eq!(v.status, status, "{c:?}");
    assert_eq!(v.failure, failure, "{c:?}");
    assert_eq!(v.confirmed, confirmed, "{c:?}");
    assert_eq!(c.rule.as_deref(), rule, "{c:?}");
}

#[track_caller]
fn assert_hit(c: &Classification, excerpt_has: &str) {
    assert_verdict(c, "blocked", None, true, Some("hit"));
    let excerpt = c.excerpt.as_deref().unwrap_or_default();
    assert!(
        excerpt.contains(excerpt_has),
        "excerpt {excerpt:?} should show {excerpt_has:?}"
    );
}

#[track_caller]
fn assert_miss(c: &Classification) {
    assert_verdict(c, "unknown", Some(FailureClass::NoRuleMatched), false, None);
}

// ---------------------------------------------------------------------------------------
// Conditions.

#[test]
fn status_single_and_list() {
    let p = one_rule("{ status = 302 }");
    assert_hit(&run(&p, &redirect(302, BRIDGE, SHOP)), "HTTP 302");
    assert_miss(&run(&p, &redirect(301, BRIDGE, SHOP)));
    assert_miss(&run(&p, &page(200, BRIDGE, "<p>hi</p>")));

    let p = one_rule("{ status = [301, 307] }");
    assert_hit(&run(&p, &redirect(301, BRIDGE, SHOP)), "HTTP 301");
    assert_hit(&run(&p, &redirect(307, BRIDGE, SHOP)), "HTTP 307");
    assert_miss(&run(&p, &redirect(302, BRIDGE, SHOP)));
}

#[test]
fn location_host_exact_suffix_and_target_host() {
    let p = one_rule(r#"{ location_host = "safety.simchat.test" }"#);
    assert_hit(
        &run(&p, &redirect(302, BRIDGE, SAFETY)),
        "Location: http://safety.simchat.test/cgi-bin",
    );
    // Host comparison is case-insensitive; a longer host is not the same host.
    assert_hit(
        &run(&p, &redirect(302, BRIDGE, "http://SAFETY.simchat.test/")),
        "Location:",
    );
    assert_miss(&run(
        &p,
        &redirect(302, BRIDGE, "http://safety.simchat.test.evil.test/"),
    ));
    assert_miss(&run(&p, &page(200, BRIDGE, "no location")));

    let p = one_rule(r#"{ location_host = "*.simshop.test" }"#);
    assert_hit(&run(&p, &redirect(302, BRIDGE, SHOP)), "shop.simshop.test");
    assert_hit(
        &run(&p, &redirect(302, BRIDGE, "https://simshop.test/")),
        "simshop.test",
    );
    assert_miss(&run(&p, &redirect(302, BRIDGE, "https://notsimshop.test/")));

    let p = one_rule(r#"{ location_host = "{target_host}" }"#);
    assert_hit(&run(&p, &redirect(302, BRIDGE, SHOP)), SHOP);
    assert_miss(&run(
        &p,
        &redirect(302, BRIDGE, "http://video.simvideo.test/v/1"),
    ));
}

#[test]
fn location_contains() {
    let p = one_rule(r#"{ location_contains = "newredirectconfirmcgi" }"#);
    assert_hit(
        &run(&p, &redirect(302, BRIDGE, SAFETY)),
        "newredirectconfirmcgi",
    );
    assert_miss(&run(&p, &redirect(302, BRIDGE, SHOP)));
}

#[test]
fn hop_host_final_host_and_final_url() {
    let p = one_rule(r#"{ hop_host = "bridge.simchat.test" }"#);
    assert_hit(
        &run(&p, &chain(&[BRIDGE, SHOP], 200, "")),
        "via http://bridge",
    );
    assert_miss(&run(&p, &chain(&[SHOP], 200, "")));
    // The request URL counts as a hop even when the hop list starts later.
    let mut r = chain(&[SHOP], 200, "");
    r.request_url = BRIDGE.to_string();
    assert_hit(&run(&p, &r), "via http://bridge");

    let p = one_rule(r#"{ final_host = "safety.simchat.test" }"#);
    assert_hit(
        &run(&p, &chain(&[BRIDGE, SAFETY], 200, "")),
        "from http://safety",
    );
    assert_miss(&run(&p, &chain(&[SAFETY, SHOP], 200, "")));

    let p = one_rule(r#"{ final_url_contains = "/item/" }"#);
    assert_hit(&run(&p, &chain(&[BRIDGE, SHOP], 200, "")), "/item/1");
    assert_miss(&run(&p, &chain(&[BRIDGE, SAFETY], 200, "")));
}

const INTERSTITIAL: &str = r#"<html><head><title>已停止访问</title></head><body>
<div class="weui-msg"><h2 class="weui-msg__title">已停止访问该网页</h2>
<p class="weui-msg__desc">据用户投诉及腾讯安全网址安全中心检测</p>
<img class="icon" src="/warn.png" alt="警告 图标">
<a id="go" href="http://shop.simshop.test/item/1" data-kind="continue">继续访问</a>
</div></body></html>"#;

#[test]
fn selector_present_text_alt_and_attr() {
    let r = page(200, SAFETY, INTERSTITIAL);
    let plain = page(200, SHOP, "<html><body><p>商品</p></body></html>");

    let p = one_rule(r#"{ selector = "h2.weui-msg__title" }"#);
    assert_hit(&run(&p, &r), "已停止访问该网页");
    assert_miss(&run(&p, &plain));

    let p = one_rule(r#"{ selector = "p.weui-msg__desc", text_contains = "投诉" }"#);
    assert_hit(&run(&p, &r), "据用户投诉");
    let p = one_rule(r#"{ selector = "p.weui-msg__desc", text_contains = "没有" }"#);
    assert_miss(&run(&p, &r));

    let p = one_rule(r#"{ selector = "img", alt_contains = "警告" }"#);
    assert_hit(&run(&p, &r), "警告 图标");
    let p = one_rule(r#"{ selector = "img", alt_contains = "成功" }"#);
    assert_miss(&run(&p, &r));

    let p = one_rule(r#"{ selector = "a#go", attr = "data-kind" }"#);
    assert_hit(&run(&p, &r), "data-kind=\"continue\"");
    let p = one_rule(r#"{ selector = "a#go", attr = "rel" }"#);
    assert_miss(&run(&p, &r));

    let p = one_rule(r#"{ selector = "a", attr = "href", contains = "simshop" }"#);
    assert_hit(&run(&p, &r), "href=\"http://shop.simshop.test/item/1\"");
    let p = one_rule(r#"{ selector = "a", attr = "href", contains = "simvideo" }"#);
    assert_miss(&run(&p, &r));
}

#[test]
fn body_contains_and_regex() {
    let r = page(200, SAFETY, INTERSTITIAL);
    let p = one_rule(r#"{ body_contains = "安全网址安全中心" }"#);
    assert_hit(&run(&p, &r), "安全网址安全中心");
    // Case-sensitive.
    let p = one_rule(r#"{ body_contains = "WEUI-MSG" }"#);
    assert_miss(&run(&p, &r));

    let p = one_rule(r#"{ body_regex = "item/[0-9]+" }"#);
    assert_hit(&run(&p, &r), "item/1");
    let p = one_rule(r#"{ body_regex = "item/[a-z]+\\b" }"#);
    assert_miss(&run(&p, &r));
}

fn cgi(json: &str) -> Response {
    page(
        200,
        SAFETY,
        &format!(
            "<html><body><script>\n  var cgiData = {json};\n  var other = 1;\n</script></body></html>"
        ),
    )
}

#[test]
fn script_var_equals_contains_exists() {
    let r = cgi(
        r#"{"type": "block", "code": 3, "ok": false, "detail": {"level": 2.0},
            "url": "http://a.test/x?a=1&amp;b=2", "list": ["x", "y"]}"#,
    );
    let cases_hit = [
        r#"{ script_var = "cgiData", path = "type", equals = "block" }"#,
        r#"{ script_var = "cgiData", path = "code", equals = 3 }"#,
        r#"{ script_var = "cgiData", path = "ok", equals = false }"#,
        r#"{ script_var = "cgiData", path = "detail.level", equals = 2 }"#,
        r#"{ script_var = "cgiData", path = "url", equals = "http://a.test/x?a=1&b=2" }"#,
        r#"{ script_var = "cgiData", path = "url", contains = "a=1&b=2" }"#,
        r#"{ script_var = "cgiData", path = "list.1", equals = "y" }"#,
        r#"{ script_var = "cgiData", path = "detail" }"#,
        r#"{ script_var = "cgiData" }"#,
    ];
    for when in cases_hit {
        let c = run(&one_rule(when), &r);
        assert_verdict(&c, "blocked", None, true, Some("hit"));
        assert!(
            c.excerpt
                .as_deref()
                .unwrap_or_default()
                .starts_with("[read: json] var cgiData = {"),
            "{when}: {c:?}"
        );
    }
    let cases_miss = [
        r#"{ script_var = "cgiData", path = "type", equals = "gray" }"#,
        r#"{ script_var = "cgiData", path = "code", equals = "3" }"#,
        r#"{ script_var = "cgiData", path = "code", equals = 4 }"#,
        r#"{ script_var = "cgiData", path = "ok", equals = true }"#,
        r#"{ script_var = "cgiData", path = "url", equals = "http://a.test/x?a=1&amp;b=2" }"#,
        r#"{ script_var = "cgiData", path = "code", contains = "3" }"#,
        r#"{ script_var = "cgiData", path = "missing" }"#,
        r#"{ script_var = "cgiData", path = "type.deeper" }"#,
        r#"{ script_var = "otherData" }"#,
    ];
    for when in cases_miss {
        assert_miss(&run(&one_rule(when), &r));
    }
}

/// Interstitials as real pages write them: JavaScript, not strict JSON. Each variant
/// still gives `type`, and the excerpt says how the object was read.
#[test]
fn script_var_reads_javascript_objects_and_garbled_captures() {
    let p = one_rule(r#"{ script_var = "cgiData", path = "type", equals = "block" }"#);
    let variants: &[(&str, &str, &str)] = &[
        (
            "strict JSON",
            r#"{"type": "block", "desc": "x"}"#,
            "[read: json]",
        ),
        (
            "unquoted keys",
            r#"{type: "block", btns: [{text: "ok"}]}"#,
            "[read: js-object]",
        ),
        (
            "single quotes",
            r#"{'type': 'block', 'url': 'http://x'}"#,
            "[read: js-object]",
        ),
        (
            "trailing commas",
            r#"{"type": "block", "list": [1, 2,],}"#,
            "[read: js-object]",
        ),
        (
            "HTML entities in strings",
            r#"{type: 'bl&#111;ck', url: 'http:&#x2F;&#x2F;a.test&#x2F;?a=1&amp;b=2'}"#,
            "[read: js-object]",
        ),
        (
            "one value garbled",
            r#"{type: 'block', url: http://a.test/?a=1&b=2, desc: "x"}"#,
            "[read: key-scan]",
        ),
        (
            "cut short",
            r#"{"type": "block", "desc": "the link to be opened contains"#,
            "[read: key-scan]",
        ),
        (
            "a value the object reads as code",
            "{type : \"block\", url: location.href, n: 1}",
            "[read: key-scan]",
        ),
    ];
    for (kind, object, read) in variants {
        let c = run(&p, &cgi(object));
        assert_eq!(c.status(), "blocked", "{kind}: {c:?}");
        let excerpt = c.excerpt.as_deref().unwrap_or_default();
        assert!(excerpt.starts_with(read), "{kind}: {excerpt}");
    }
    // The key is a whole key, not part of another (`subtype`), nor a value.
    let c = run(&p, &cgi(r#"{subtype: 'block', type: 'gray', x: oops}"#));
    assert_miss(&c);
    // The value read by scanning is the whole string, not a prefix of it.
    let c = run(&p, &cgi(r#"{type: 'blocker', x: oops"#));
    assert_miss(&c);
    // Not declared: a mention in a string is not the variable.
    let r = page(
        200,
        SAFETY,
        r#"<script>log("cgiData = {\"type\": \"block\"}")</script>"#,
    );
    assert_miss(&run(&p, &r));
    // `window.cgiData =` and `const` are declarations.
    let r = page(
        200,
        SAFETY,
        r#"<script>window.cgiData = {"type": "block"};</script>"#,
    );
    assert_hit(&run(&p, &r), "block");
    // A nested path read by scanning: each key after the one before.
    let nested = one_rule(r#"{ script_var = "cgiData", path = "page.type", equals = "block" }"#);
    let c = run(
        &nested,
        &cgi(r#"{type: 'gray', page: {type: 'block', u: a b c"#),
    );
    assert_eq!(c.status(), "blocked", "{c:?}");
}

#[test]
fn script_var_and_entities_helpers() {
    // Single quotes are a JavaScript literal: read.
    let (v, _) = script_var(
        r#"<script>var x = 1; const cgiData = {"a": "}{", "b": {"c": 'q'}};</script>"#,
        "cgiData",
    )
    .unwrap();
    assert_eq!(v["b"]["c"], "q");
    let (v, raw) = script_var(r#"let cgiData = {"a": "}{", "n": [1, 2]};"#, "cgiData").unwrap();
    assert_eq!(v["a"], "}{");
    assert_eq!(raw, r#"{"a": "}{", "n": [1, 2]}"#);

    assert_eq!(unescape_entities("a=1&amp;b=2"), "a=1&b=2");
    assert_eq!(unescape_entities("http:&#x2F;&#x2f;x&#47;y"), "http://x/y");
    assert_eq!(
        unescape_entities("&lt;b&gt; &quot;q&quot; &#39;"),
        "<b> \"q\" '"
    );
    assert_eq!(
        unescape_entities("AT&T &nbsp; &; &#xZZ;"),
        "AT&T &nbsp; &; &#xZZ;"
    );
    assert_eq!(unescape_entities("no entities"), "no entities");
    // An ampersand followed by multi-byte text must not split a character.
    assert_eq!(unescape_entities("a&b中文中文中文"), "a&b中文中文中文");
    assert_eq!(unescape_entities("&中文中文中文&amp;"), "&中文中文中文&");
}

#[test]
fn all_any_not() {
    let r = chain(&[BRIDGE, SAFETY], 200, INTERSTITIAL);

    let p = one_rule(
        r#"{ all = [ { final_host = "safety.simchat.test" }, { body_contains = "投诉" } ] }"#,
    );
    // The excerpt prefers what the page says over where it came from.
    assert_hit(&run(&p, &r), "投诉");
    let p = one_rule(
        r#"{ all = [ { final_host = "safety.simchat.test" }, { body_contains = "没有" } ] }"#,
    );
    assert_miss(&run(&p, &r));

    // A list `when` is an `all`.
    let p = one_rule(r#"[ { status = 200 }, { hop_host = "*.simchat.test" } ]"#);
    assert_hit(&run(&p, &r), "HTTP 200");

    let p = one_rule(r#"{ any = [ { body_contains = "没有" }, { body_contains = "继续访问" } ] }"#);
    assert_hit(&run(&p, &r), "继续访问");
    let p = one_rule(r#"{ any = [ { body_contains = "没有" }, { status = 404 } ] }"#);
    assert_miss(&run(&p, &r));

    let p = one_rule(r#"{ not = { final_host = "{target_host}" } }"#);
    assert_verdict(&run(&p, &r), "blocked", None, true, Some("hit"));
    assert_miss(&run(&p, &chain(&[BRIDGE, SHOP], 200, "")));

    let p = one_rule(
        r#"[ { not = { any = [ { status = 404 }, { status = 500 } ] } }, { selector = "a#go", attr = "href", contains = "item" } ]"#,
    );
    assert_hit(&run(&p, &r), "href=");
}

#[test]
fn first_matching_rule_wins() {
    let rules_a = r#"
[[rule]]
id = "specific"
status = "blocked"
when = [ { final_host = "safety.simchat.test" }, { body_contains = "已停止访问该网页" } ]

[[rule]]
id = "general"
status = "warned"
when = { final_host = "safety.simchat.test" }
"#;
    let rules_b = r#"
[[rule]]
id = "general"
status = "warned"
when = { final_host = "safety.simchat.test" }

[[rule]]
id = "specific"
status = "blocked"
when = [ { final_host = "safety.simchat.test" }, { body_contains = "已停止访问该网页" } ]
"#;
    let r = chain(&[BRIDGE, SAFETY], 200, INTERSTITIAL);
    let c = run(&link(rules_a), &r);
    assert_verdict(&c, "blocked", None, true, Some("specific"));
    let c = run(&link(rules_b), &r);
    assert_verdict(&c, "warned", None, true, Some("general"));
    // A page only the general rule knows.
    let c = run(
        &link(rules_a),
        &chain(&[BRIDGE, SAFETY], 200, "<p>其他</p>"),
    );
    assert_verdict(&c, "warned", None, true, Some("general"));
}

// ---------------------------------------------------------------------------------------
// Bot challenges and unmatched answers.

#[test]
fn status_403_and_429_are_bot_challenges_before_any_rule() {
    let p = link(
        r#"
[[rule]]
id = "refused"
status = "blocked"
when = { status = [403, 429] }

[[rule]]
id = "anything"
status = "open"
"#,
    );
    for status in [403, 429] {
        let c = run(&p, &page(status, SHOP, "<h1>Forbidden</h1>"));
        assert_verdict(&c, "unknown", Some(FailureClass::BotChallenge), false, None);
        assert!(
            c.detail
                .as_deref()
                .unwrap()
                .contains(&format!("HTTP {status}"))
        );
        assert!(c.excerpt.as_deref().unwrap().contains("Forbidden"));
    }
}

#[test]
fn captcha_pages_are_bot_challenges() {
    let p = link(
        r#"
[[rule]]
id = "anything"
status = "open"
"#,
    );
    let body = "<html><head><title>滑动验证</title></head><body><div id=\"nc\">请按住滑块，拖动到最右边 滑动验证</div></body></html>";
    let c = run(&p, &page(200, SHOP, body));
    assert_verdict(&c, "unknown", Some(FailureClass::BotChallenge), false, None);
    assert!(c.excerpt.as_deref().unwrap().contains("滑动验证"), "{c:?}");
    let c = run(
        &p,
        &page(200, SHOP, "<form><input name=\"CAPTCHA\"></form>"),
    );
    assert_verdict(&c, "unknown", Some(FailureClass::BotChallenge), false, None);
    // An ordinary page is not a challenge.
    let c = run(&p, &page(200, SHOP, "<p>商品详情</p>"));
    assert_verdict(&c, "open", None, true, Some("anything"));
}

#[test]
fn pack_challenge_signature() {
    let text = link_text(
        r#"challenge = [ { body_contains = "访问过于频繁" }, { selector = "div.slider-mask" } ]"#,
        false,
        "[[rule]]\nid = \"anything\"\nstatus = \"open\"\n",
    );
    let p = compile(&text);
    let c = run(&p, &page(200, SHOP, "<p>您的访问过于频繁，请稍后再试</p>"));
    assert_verdict(&c, "unknown", Some(FailureClass::BotChallenge), false, None);
    assert!(c.excerpt.as_deref().unwrap().contains("访问过于频繁"));
    let c = run(&p, &page(200, SHOP, "<div class=\"slider-mask\">拖</div>"));
    assert_verdict(&c, "unknown", Some(FailureClass::BotChallenge), false, None);
    let c = run(&p, &page(200, SHOP, "<p>正常页面</p>"));
    assert_verdict(&c, "open", None, true, Some("anything"));
}

#[test]
fn unmatched_answers() {
    let p = one_rule(r#"{ body_contains = "never on these pages" }"#);
    let c = run(
        &p,
        &page(200, SHOP, "<html><head><title>商品</title></head></html>"),
    );
    assert_miss(&c);
    let excerpt = c.excerpt.as_deref().unwrap();
    assert!(
        excerpt.contains("HTTP 200") && excerpt.contains("商品"),
        "{excerpt}"
    );
    assert!(c.detail.as_deref().unwrap().contains("no rule"));

    for status in [404, 500, 503] {
        let c = run(&p, &page(status, SHOP, "<h1>error</h1>"));
        assert_verdict(&c, "unknown", Some(FailureClass::HttpStatus), false, None);
        assert!(
            c.detail
                .as_deref()
                .unwrap()
                .contains(&format!("HTTP {status}"))
        );
    }
    // A 5xx that a rule explains is that rule's verdict.
    let p = one_rule("{ status = 500 }");
    assert_hit(&run(&p, &page(500, SHOP, "")), "HTTP 500");
}

const BLOCK_RULES: &str = r#"
[[rule]]
id = "interstitial-block"
status = "blocked"
when = [ { final_host = "safety.simchat.test" }, { body_contains = "已停止访问该网页" } ]
"#;

const FAKE_BLOCK: &str = r#"<html><body><div class="shop"><h1>超值好物</h1></div>
<div class="fake-overlay"><div class="weui-msg"><h2 class="weui-msg__title">已停止访问该网页</h2>
<p>请点击右上角，选择在浏览器中打开，领取优惠。</p></div></div></body></html>"#;

#[test]
fn a_fake_block_page_is_not_blocked() {
    let r = chain(&[BRIDGE, "http://fake.simscam.test/"], 200, FAKE_BLOCK);
    let c = run(&link(BLOCK_RULES), &r);
    assert_miss(&c);

    // With an anomaly rule for look-alikes: open, flagged.
    let rules = format!(
        r#"{BLOCK_RULES}
[[rule]]
id = "painted-block"
status = "open"
confirmed = false
when = [ {{ not = {{ final_host = "safety.simchat.test" }} }}, {{ body_contains = "已停止访问该网页" }} ]
"#
    );
    let p = link(&rules);
    let c = run(&p, &r);
    assert_verdict(&c, "open", None, false, Some("painted-block"));
    assert!(c.detail.as_deref().unwrap().contains("anomaly"));
    assert!(c.excerpt.as_deref().unwrap().contains("已停止访问该网页"));
    // The real interstitial is still blocked.
    let real = chain(&[BRIDGE, SAFETY], 200, INTERSTITIAL);
    assert_verdict(
        &run(&p, &real),
        "blocked",
        None,
        true,
        Some("interstitial-block"),
    );
}

#[test]
fn malformed_and_huge_pages_do_not_panic() {
    let p = link(
        r#"
[[rule]]
id = "sel"
status = "blocked"
when = { selector = "div.a > p", text_contains = "never" }

[[rule]]
id = "var"
status = "warned"
when = { script_var = "cgiData", path = "type", equals = "x" }

[[rule]]
id = "re"
status = "token_only"
when = { body_regex = "(?s)zzz.*qqq" }
"#,
    );
    let malformed = "<html><head><title>坏页面 broken<body><div class=\"sim\">模拟</div></div></div>\
        <div><p>未闭合的段落<b>粗体<i>斜体</span></td>\n<ul><li>一<li>二\nNUL here:\0 \u{fffd}\
        <script>var cgiData = {\"type\": \"unterminated</scr\n<div class=\"a\" id=\"b\" <p>attr soup=\"\n</div></div></html";
    let c = run(&p, &page(200, SHOP, malformed));
    assert_miss(&c);
    let c = run(&p, &page(200, SHOP, "</div></div>\0\0<<<>>>&&&;;"));
    assert_miss(&c);
    let c = run(&p, &page(200, SHOP, ""));
    assert_miss(&c);

    let mut huge = String::from("<html><body>");
    while huge.len() < 2 * 1024 * 1024 {
        huge.push_str("<div class=\"a\"><p>模拟填充 filler <b>x</div>");
    }
    huge.push_str("<script>var cgiData = {\"type\": \"x\"};</script>");
    let c = run(&p, &page(200, SHOP, &huge));
    assert_verdict(&c, "warned", None, true, Some("var"));
    assert!(c.excerpt.as_deref().unwrap().chars().count() <= 241);
}

/// `<h1>x</h1>` and `n` nested `<tag>`s: a tree builder's worst case.
fn deep_page(tag: &str, n: usize) -> String {
    let mut page = String::from("<html><head><title>深</title></head><body><h1>x</h1>");
    for i in 0..n {
        page.push_str(&format!("<{tag} id=\"d{i}\">"));
    }
    page.push_str("已停止访问该网页");
    page
}

#[test]
fn deeply_nested_pages_are_too_complex_when_rules_need_the_tree() {
    let p = link(
        r#"
[[rule]]
id = "text"
status = "blocked"
when = { selector = "body", text_contains = "已停止访问该网页" }
"#,
    );
    for tag in ["div", "b"] {
        let started = std::time::Instant::now();
        let c = run(&p, &page(200, SHOP, &deep_page(tag, 40_000)));
        assert_verdict(&c, "unknown", Some(FailureClass::TooComplex), false, None);
        let detail = c.detail.as_deref().unwrap();
        assert!(detail.contains("512 levels"), "{detail}");
        assert!(c.excerpt.as_deref().unwrap().contains("HTTP 200"), "{c:?}");
        // Printed, not asserted: how long the bound takes to trip.
        println!("{tag} × 40,000: too_complex in {:?}", started.elapsed());
    }
    // Within the bounds the same rule reads the same text.
    let c = run(&p, &page(200, SHOP, &deep_page("div", 400)));
    assert_verdict(&c, "blocked", None, true, Some("text"));

    // Rules that need no tree answer as before: the bound is on work done, not on pages.
    let p = link(
        r#"
[[rule]]
id = "words"
status = "blocked"
when = [ { body_contains = "已停止访问该网页" }, { selector = "h1" } ]
"#,
    );
    let c = run(&p, &page(200, SHOP, &deep_page("div", 40_000)));
    assert_verdict(&c, "blocked", None, true, Some("words"));

    // A checkout page that deep is not read either.
    let pay = compile(PAY_PACK);
    let body = format!(
        "<form id=\"cashier\"><ul class=\"pay-list\"><li>支付宝</li></ul></form>{}",
        deep_page("span", 40_000)
    );
    let c = classify(
        &pay,
        &pay.targets[0],
        &page(200, "http://pay.simshop.test/cashier", &body),
    );
    assert!(
        c.verdicts
            .iter()
            .all(|v| v.status == "unknown" && v.failure == Some(FailureClass::TooComplex)),
        "{c:?}"
    );
}

#[test]
fn a_page_read_past_its_deadline_is_too_complex() {
    use super::bounded::{Budget, ParseLimits};
    let p = one_rule(r#"{ selector = "h1", text_contains = "x" }"#);
    let r = page(200, SHOP, "<h1>x</h1>");
    let late = Budget::new(ParseLimits {
        time: std::time::Duration::ZERO,
        ..ParseLimits::default()
    });
    let c = super::classify::classify_within(&p, &p.targets[0], &r, &late);
    assert_verdict(&c, "unknown", Some(FailureClass::TooComplex), false, None);
    assert!(
        c.detail.as_deref().unwrap().contains("longer than 0 s"),
        "{c:?}"
    );
    let c = super::classify::classify_within(&p, &p.targets[0], &r, &Budget::default());
    assert_verdict(&c, "blocked", None, true, Some("hit"));
}

// ---------------------------------------------------------------------------------------
// Payment extraction.

const PAY_PACK: &str = r#"[pack]
id = "pay"
name_en = "Pay"
name_zh = "支付"
kind = "payment"
version = 1
schedule = "0 0 * * * *"

[targets]
simshop = "http://pay.simshop.test/cashier"

[request]
url = "{target_raw}"
follow_redirects = true

[extract]
page = { selector = "form#cashier" }
option = "ul.pay-list > li"
selected = "[checked], .selected"
read = ["text", "alt", "id", "class", "value", "data-method"]
"#;

fn cashier(items: &str) -> Response {
    page(
        200,
        "http://pay.simshop.test/cashier",
        &format!(
            "<html><body><form id=\"cashier\"><ul class=\"pay-list\">{items}</ul></form>\
             <div class=\"coupon\"><li>支付宝红包</li></div></body></html>"
        ),
    )
}

/// method → (status, failure, confirmed)
fn by_method(c: &Classification) -> BTreeMap<String, (String, Option<FailureClass>, bool)> {
    c.verdicts
        .iter()
        .map(|v| {
            (
                v.check_id
                    .strip_prefix("payment.simshop.")
                    .expect("a simshop payment check")
                    .to_string(),
                (v.status.clone(), v.failure, v.confirmed),
            )
        })
        .collect()
}

fn statuses(c: &Classification) -> BTreeMap<String, String> {
    by_method(c)
        .into_iter()
        .map(|(m, (s, ..))| (m, s))
        .collect()
}

#[test]
fn payment_options_by_text_alt_id_class_data_and_codes() {
    let p = compile(PAY_PACK);
    assert_eq!(p.targets[0].checks.len(), 7);
    let c = run(
        &p,
        &cashier(
            r#"<li class="selected"><input type="radio" checked value="a"><span>支付宝</span></li>
               <li><img src="wx.png" alt="微信支付"></li>
               <li id="upacp"><input type="radio" value="x"></li>
               <li class="opt dcep"><i></i></li>
               <li data-method="WX_JSAPI"><b></b></li>
               <li><span id="ALI_PAY"></span></li>
               <li><input type="radio" value="Apple Pay"></li>"#,
        ),
    );
    assert_eq!(c.rule.as_deref(), Some("extract"));
    assert_eq!(
        c.extracted.len(),
        7,
        "the coupon outside the list is ignored"
    );
    let methods: Vec<Vec<String>> = c.extracted.iter().map(|o| o.methods.clone()).collect();
    assert_eq!(
        methods,
        vec![
            vec!["alipay".to_string()],
            vec!["wechat_pay".to_string()],
            vec!["unionpay".to_string()],
            vec!["ecny".to_string()],
            vec!["wechat_pay".to_string()],
            vec!["alipay".to_string()],
            vec!["apple_pay".to_string()],
        ]
    );
    let s = statuses(&c);
    assert_eq!(s["alipay"], "accepted");
    assert_eq!(s["wechat_pay"], "accepted_not_default");
    assert_eq!(s["unionpay"], "accepted_not_default");
    assert_eq!(s["ecny"], "accepted_not_default");
    assert_eq!(s["apple_pay"], "accepted_not_default");
    assert_eq!(s["jd_pay"], "not_accepted");
    assert_eq!(s["qq_wallet"], "not_accepted");
    assert!(
        c.verdicts
            .iter()
            .all(|v| v.confirmed && v.failure.is_none())
    );
    let excerpt = c.excerpt.as_deref().unwrap();
    assert!(excerpt.contains("支付宝 (selected)"), "{excerpt}");
    assert!(c.detail.is_none());
}

#[test]
fn payment_selection() {
    let p = compile(PAY_PACK);
    // Another method pre-selected (the radio's `checked` inside the option).
    let c = run(
        &p,
        &cashier(r#"<li>支付宝</li><li><label><input type="radio" checked> 微信支付</label></li>"#),
    );
    let s = statuses(&c);
    assert_eq!(s["alipay"], "accepted_not_default");
    assert_eq!(s["wechat_pay"], "accepted");
    assert_eq!(s["unionpay"], "not_accepted");

    // Nothing pre-selected: every offered method is accepted.
    let c = run(
        &p,
        &cashier("<li>支付宝</li><li>云闪付</li><li>京东支付</li>"),
    );
    let s = statuses(&c);
    assert_eq!(s["alipay"], "accepted");
    assert_eq!(s["unionpay"], "accepted");
    assert_eq!(s["jd_pay"], "accepted");
    assert_eq!(s["wechat_pay"], "not_accepted");
    assert_eq!(s["qq_wallet"], "not_accepted");
}

#[test]
fn payment_page_with_no_options_is_unknown() {
    let p = compile(PAY_PACK);
    let c = run(&p, &cashier(""));
    let m = by_method(&c);
    assert_eq!(m.len(), 7);
    assert!(
        m.values().all(|v| *v
            == (
                "unknown".to_string(),
                Some(FailureClass::NoRuleMatched),
                false
            )),
        "{m:?}"
    );
    assert!(c.detail.as_deref().unwrap().contains("ul.pay-list > li"));
}

#[test]
fn payment_option_naming_no_method_is_an_anomaly() {
    let p = compile(PAY_PACK);
    let c = run(
        &p,
        &cashier("<li class=\"selected\">支付宝</li><li>积分抵扣</li>"),
    );
    let m = by_method(&c);
    assert_eq!(m["alipay"], ("accepted".to_string(), None, false));
    assert_eq!(m["wechat_pay"], ("not_accepted".to_string(), None, false));
    assert!(
        c.detail.as_deref().unwrap().contains("1 option(s)"),
        "{c:?}"
    );
    assert!(
        c.extracted
            .iter()
            .any(|o| o.methods.is_empty() && o.names.iter().any(|n| n == "积分抵扣"))
    );
}

/// Every verdict unknown (no rule matched), because `extract.page` found no checkout.
#[track_caller]
fn assert_not_the_checkout(c: &Classification) {
    assert!(by_method(c).values().all(|v| *v
        == (
            "unknown".to_string(),
            Some(FailureClass::NoRuleMatched),
            false
        )));
    assert!(c.detail.as_deref().unwrap().contains("extract.page"));
}

/// A checkout recognised by a selector the start tags answer (`#cashier`, not
/// `form#cashier`) is read in one pass with its options: the same verdicts, and the same
/// refusal of a page that is not the checkout.
#[test]
fn a_fast_checkout_selector_and_the_options_read_in_one_pass_decide_as_the_tree() {
    use super::pack::Condition;
    let p = compile(&PAY_PACK.replace("form#cashier", "#cashier"));
    let list = "<ul class=\"pay-list\"><li>支付宝</li><li class=\"selected\">微信支付</li></ul>";
    let checkout = page(
        200,
        "http://pay.simshop.test/cashier",
        &format!("<html><body><div id=\"cashier\">{list}</div></body></html>"),
    );
    let login = page(
        200,
        "http://pay.simshop.test/login",
        &format!("<html><body><div id=\"login\">{list}</div></body></html>"),
    );
    // Both pages are decided from the tokens in one pass (not left to the tree).
    let extract = p.extract.as_ref().expect("a payment pack");
    let Some(Condition::Selector {
        fast: Some(fast_page),
        ..
    }) = &extract.page
    else {
        panic!("#cashier is a fast selector");
    };
    for (r, found) in [(&checkout, true), (&login, false)] {
        let read = super::options::read_checkout(
            &r.text,
            extract.fast.as_ref().expect("fast options"),
            fast_page,
            &extract.read,
            200,
            super::bounded::ParseLimits::default(),
        );
        assert_eq!(read.map(|(f, o)| (f, o.len())), Some((found, 2)));
    }
    let c = run(&p, &checkout);
    let verdicts = by_method(&c);
    assert_eq!(
        verdicts["alipay"],
        ("accepted_not_default".to_string(), None, true)
    );
    assert_eq!(verdicts["wechat_pay"], ("accepted".to_string(), None, true));
    assert!(
        verdicts
            .iter()
            .filter(|(m, _)| !["alipay", "wechat_pay"].contains(&m.as_str()))
            .all(|(_, v)| v.0 == "not_accepted")
    );
    let c = run(&p, &login);
    assert_not_the_checkout(&c);
}

#[test]
fn payment_page_check_not_matching_is_unmatched() {
    let p = compile(PAY_PACK);
    let r = page(
        200,
        "http://pay.simshop.test/login",
        "<html><body><form id=\"login\"><ul class=\"pay-list\"><li>支付宝</li></ul></form></body></html>",
    );
    let c = run(&p, &r);
    assert_not_the_checkout(&c);
    // A cashier that errors is an HTTP failure, not "accepts nothing".
    let mut r = cashier("<li>支付宝</li>");
    r.status = 502;
    let c = run(&p, &r);
    assert!(
        c.verdicts
            .iter()
            .all(|v| v.failure == Some(FailureClass::HttpStatus))
    );
}

#[test]
fn map_methods_words_and_codes() {
    let vocab = MethodNames::from_methods(&CATALOG.methods);
    let m = |names: &[&str]| {
        map_methods(
            &names.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            &vocab,
        )
    };
    assert_eq!(m(&["ALI_PAY"]), ["alipay"]);
    assert_eq!(m(&["WX_JSAPI"]), ["wechat_pay"]);
    assert_eq!(m(&["pay-item YSF_QR"]), ["unionpay"]);
    assert_eq!(m(&["使用支付宝付款"]), ["alipay"]);
    assert_eq!(m(&["ALIPAY"]), ["alipay"]);
    assert_eq!(m(&["apple pay"]), ["apple_pay"]);
    assert_eq!(m(&["Pay with WeChat Pay"]), ["wechat_pay"]);
    assert_eq!(m(&["e-CNY"]), ["ecny"]);
    assert_eq!(m(&["pay by e-CNY wallet"]), ["ecny"]);
    // Latin aliases only on word boundaries; codes only as prefixes.
    assert!(m(&["wxyz"]).is_empty());
    assert!(m(&["applepayment"]).is_empty());
    assert!(m(&["MY_ALI_PAY"]).is_empty());
    assert!(m(&["积分抵扣"]).is_empty());
    assert_eq!(m(&["支付宝", "微信支付"]), ["alipay", "wechat_pay"]);
}

/// The mapping as it was written first (each name lowercased and split once per method):
/// `map_methods` now does that once per name, and must answer the same.
fn map_methods_reference(names: &[String], vocabulary: &[MethodNames]) -> Vec<String> {
    let mut out = Vec::new();
    for v in vocabulary {
        let hit = names.iter().any(|name| {
            let lower = name.to_lowercase();
            let words: Vec<&str> = lower
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            v.aliases.iter().any(|alias| {
                if alias.is_ascii() {
                    let parts: Vec<&str> = alias
                        .split(|c: char| !c.is_alphanumeric())
                        .filter(|w| !w.is_empty())
                        .collect();
                    if parts.is_empty() {
                        false
                    } else if parts.len() > 1 {
                        words.windows(parts.len()).any(|w| w == parts.as_slice())
                    } else {
                        words.contains(&alias.as_str())
                    }
                } else {
                    lower.contains(alias.as_str())
                }
            }) || name.split_whitespace().any(|token| {
                v.code_prefixes
                    .iter()
                    .any(|p| token.starts_with(p.as_str()))
            })
        });
        if hit {
            out.push(v.slug.clone());
        }
    }
    out
}

#[test]
fn map_methods_answers_as_the_first_version_did() {
    let vocab = MethodNames::from_methods(&CATALOG.methods);
    // Pieces of names: every alias and code prefix of the catalog, in both cases, cut
    // and glued with separators, plus words that name nothing.
    let mut pieces: Vec<String> = vec!["pay".into(), "with".into(), "积分".into(), "x".into()];
    for v in &vocab {
        for a in v.aliases.iter().chain(&v.code_prefixes) {
            pieces.push(a.clone());
            pieces.push(a.to_uppercase());
            let cut: String = a.chars().take(a.chars().count().div_ceil(2)).collect();
            pieces.push(cut);
        }
    }
    let glue = [" ", "-", "", "_", "·", "  "];
    let mut seed = 0x9e37_79b9_u64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for _ in 0..3000 {
        let names: Vec<String> = (0..1 + next(3))
            .map(|_| {
                let mut name = String::new();
                for i in 0..1 + next(4) {
                    if i > 0 {
                        name.push_str(glue[next(glue.len())]);
                    }
                    name.push_str(&pieces[next(pieces.len())]);
                }
                name
            })
            .collect();
        assert_eq!(
            map_methods(&names, &vocab),
            map_methods_reference(&names, &vocab),
            "{names:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Validation errors: the file, the line, the cause.

fn problems_of(files: &[(&str, &str)]) -> Vec<String> {
    let files: Vec<(PathBuf, &str)> = files.iter().map(|(p, t)| (PathBuf::from(p), *t)).collect();
    match validate_packs(&files, &CATALOG) {
        Ok(_) => panic!("the packs should be invalid"),
        Err(problems) => problems.0.iter().map(|p| p.to_string()).collect(),
    }
}

/// The 1-based line of the first line containing `marker`.
fn line_with(text: &str, marker: &str) -> usize {
    text.lines()
        .position(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("{marker:?} not in the text"))
        + 1
}

#[track_caller]
fn assert_problem(problems: &[String], file: &str, line: usize, cause: &str) {
    let prefix = format!("{file}:{line}: ");
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&prefix) && p.contains(cause)),
        "expected a problem \"{prefix}… {cause} …\", got:\n{}",
        problems.join("\n")
    );
}

/// The line of the `[[rule]]` header of rule `id` (rule-wide problems are reported there).
fn rule_header(text: &str, id: &str) -> usize {
    let at = line_with(text, &format!("id = \"{id}\""));
    assert_eq!(text.lines().nth(at - 2), Some("[[rule]]"));
    at - 1
}

fn invalid_one(text: &str) -> Vec<String> {
    problems_of(&[("packs/x.toml", text)])
}

#[test]
fn bad_selector_is_reported_at_its_line() {
    let text = link_text(
        "",
        false,
        "[[rule]]\nid = \"a\"\nstatus = \"blocked\"\nwhen = { selector = \"div[\" }\n",
    );
    let ps = invalid_one(&text);
    assert_problem(
        &ps,
        "packs/x.toml",
        line_with(&text, "div["),
        "is not a CSS selector",
    );
}

#[test]
fn bad_cron_is_reported_at_its_line() {
    for cron in ["0 0 25 * * *", "every hour", "0 * * * *"] {
        let text = link_text("", false, "[[rule]]\nid = \"a\"\nstatus = \"open\"\n")
            .replace("0 0 * * * *", cron);
        let ps = invalid_one(&text);
        let cause = if cron.split_whitespace().count() == 6 {
            "is not a valid cron"
        } else {
            "must have six fields"
        };
        assert_problem(&ps, "packs/x.toml", line_with(&text, "schedule ="), cause);
    }
}

#[test]
fn unknown_check_target_is_reported_at_its_line() {
    let text = link_text("", false, "[[rule]]\nid = \"a\"\nstatus = \"open\"\n").replace(
        "simshop = \"http://shop.simshop.test/item/1\"",
        "simshop = \"http://shop.simshop.test/item/1\"\nnosuchapp = \"http://x.test/\"",
    );
    let ps = invalid_one(&text);
    assert_problem(
        &ps,
        "packs/x.toml",
        line_with(&text, "nosuchapp"),
        "there is no check \"link.simchat.nosuchapp\"",
    );
}

#[test]
fn status_off_the_ladder_is_reported_at_its_line() {
    let text = link_text(
        "",
        false,
        "[[rule]]\nid = \"a\"\nstatus = \"accepted\"\nwhen = { status = 200 }\n",
    );
    let ps = invalid_one(&text);
    assert_problem(
        &ps,
        "packs/x.toml",
        line_with(&text, "status = \"accepted\""),
        "is not on the link ladder",
    );
}

#[test]
fn unknown_condition_key_and_bad_regex() {
    let text = link_text(
        "",
        false,
        r#"[[rule]]
id = "a"
status = "blocked"
when = { body_has = "x" }

[[rule]]
id = "b"
status = "warned"
when = [ { status = 200 }, { body_regex = "(unclosed" } ]

[[rule]]
id = "c"
status = "open"
when = { selector = "p", colour = "red" }
"#,
    );
    let ps = invalid_one(&text);
    assert_problem(
        &ps,
        "packs/x.toml",
        line_with(&text, "body_has"),
        "unknown condition `body_has`",
    );
    assert_problem(
        &ps,
        "packs/x.toml",
        line_with(&text, "(unclosed"),
        "is not a valid regular expression",
    );
    assert_problem(
        &ps,
        "packs/x.toml",
        line_with(&text, "colour"),
        "unexpected key `colour`",
    );
}

#[test]
fn unknown_template_variable() {
    let text = link_text("", false, "[[rule]]\nid = \"a\"\nstatus = \"open\"\n")
        .replace("url={target_url}", "url={target_url}&x={foo}");
    let ps = invalid_one(&text);
    assert_problem(
        &ps,
        "packs/x.toml",
        line_with(&text, "{foo}"),
        "unknown template variable {foo}",
    );
}

#[test]
fn rules_that_can_never_match() {
    // A redirect status while redirects are followed.
    let text = link_text(
        "",
        true,
        "[[rule]]\nid = \"redir\"\nstatus = \"open\"\nwhen = { status = 302 }\n\n\
         [[rule]]\nid = \"loc\"\nstatus = \"open\"\nwhen = { location_host = \"x.test\" }\n",
    );
    let ps = invalid_one(&text);
    assert_problem(
        &ps,
        "packs/x.toml",
        rule_header(&text, "redir"),
        "rule \"redir\" can never match: the request follows redirects",
    );
    assert_problem(
        &ps,
        "packs/x.toml",
        rule_header(&text, "loc"),
        "rule \"loc\" can never match",
    );

    // After a rule with no `when`; a duplicate `when`; `any = []`; exclusive statuses.
    let text = link_text(
        "",
        false,
        r#"[[rule]]
id = "first"
status = "blocked"
when = { body_contains = "x" }

[[rule]]
id = "dup"
status = "warned"
when = { body_contains = "x" }

[[rule]]
id = "empty-any"
status = "warned"
when = { any = [] }

[[rule]]
id = "both"
status = "warned"
when = [ { status = 200 }, { status = 404 } ]

[[rule]]
id = "catch-all"
status = "open"

[[rule]]
id = "after"
status = "open"
when = { status = 200 }
"#,
    );
    let ps = invalid_one(&text);
    assert_problem(
        &ps,
        "packs/x.toml",
        rule_header(&text, "dup"),
        "rule \"first\" above matches the same pages first",
    );
    assert_problem(
        &ps,
        "packs/x.toml",
        rule_header(&text, "empty-any"),
        "`any = []` never holds",
    );
    assert_problem(
        &ps,
        "packs/x.toml",
        rule_header(&text, "both"),
        "exclude each other",
    );
    assert_problem(
        &ps,
        "packs/x.toml",
        rule_header(&text, "after"),
        "rule \"catch-all\" above matches the same pages first",
    );
    // Several problems in one file are all reported.
    assert_eq!(ps.len(), 4, "{ps:#?}");
}

#[test]
fn duplicate_rule_ids() {
    let text = link_text(
        "",
        false,
        "[[rule]]\nid = \"same\"\nstatus = \"open\"\nwhen = { status = 200 }\n\n\
         [[rule]]\nid = \"same\"\nstatus = \"blocked\"\nwhen = { status = 404 }\n",
    );
    let ps = invalid_one(&text);
    let second = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("id = \"same\""))
        .nth(1)
        .unwrap()
        .0
        + 1;
    assert_problem(
        &ps,
        "packs/x.toml",
        second,
        "rule id \"same\" is used twice",
    );
    assert_eq!(ps.len(), 1, "{ps:#?}");
}

#[test]
fn duplicate_pack_ids_across_files() {
    let a = link_text("", false, "[[rule]]\nid = \"a\"\nstatus = \"open\"\n");
    let b = format!("# A second pack with the same id.\n\n{a}");
    let ps = problems_of(&[("packs/a.toml", &a), ("packs/b.toml", &b)]);
    assert_problem(
        &ps,
        "packs/b.toml",
        line_with(&b, "id = \"t\""),
        &format!(
            "pack id \"t\" is already used by packs/a.toml:{}",
            line_with(&a, "id = \"t\"")
        ),
    );
    assert_eq!(ps.len(), 1, "{ps:#?}");
}

#[test]
fn payment_pack_without_extract() {
    let text = PAY_PACK.split("[extract]").next().unwrap().to_string();
    let ps = invalid_one(&text);
    assert!(
        ps.iter()
            .any(|p| p.starts_with("packs/x.toml:") && p.contains("needs an [extract] table")),
        "{ps:#?}"
    );
    assert_problem(&ps, "packs/x.toml", 1, "needs an [extract] table");
}

#[test]
fn payment_pack_with_rules_is_refused() {
    // Rules would be silently ignored by payment classification: say so instead.
    let text = format!("{PAY_PACK}\n[[rule]]\nid = \"r\"\nstatus = \"accepted\"\n");
    let ps = invalid_one(&text);
    assert!(
        ps.iter()
            .any(|p| p.starts_with("packs/x.toml:") && p.contains("payment packs take no [[rule]]")),
        "{ps:#?}"
    );
}

#[test]
fn not_toml_at_all() {
    let text = "[pack]\nid = \"t\"\nthis is not toml\n";
    let ps = invalid_one(text);
    assert_problem(&ps, "packs/x.toml", 3, "not a valid probe pack");
    let ps = invalid_one("just words");
    assert!(
        ps[0].starts_with("packs/x.toml:1: not a valid probe pack"),
        "{ps:?}"
    );
}

#[test]
fn several_problems_in_one_file_are_all_reported() {
    let text = link_text(
        "",
        false,
        r#"[[rule]]
id = "a"
status = "maybe"
when = { status = 200 }

[[rule]]
id = "b"
status = "open"
when = { selector = ">>" }
"#,
    )
    .replace("0 0 * * * *", "nope");
    let ps = invalid_one(&text);
    assert_problem(
        &ps,
        "packs/x.toml",
        line_with(&text, "schedule ="),
        "six fields",
    );
    assert_problem(
        &ps,
        "packs/x.toml",
        line_with(&text, "\"maybe\""),
        "not on the link ladder",
    );
    assert_problem(
        &ps,
        "packs/x.toml",
        line_with(&text, "\">>\""),
        "not a CSS selector",
    );
    assert_eq!(ps.len(), 3, "{ps:#?}");
}

#[test]
fn the_shipped_packs_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("catalog/probes");
    let packs = super::pack::load_packs(&dir, &CATALOG).unwrap_or_else(|e| panic!("{e}"));
    assert!(packs.iter().any(|p| p.id == "demo-simchat-links"));
    assert!(packs.iter().any(|p| p.id == "demo-payments"));
}
