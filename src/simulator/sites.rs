//! Target pages (SimShop items, SimVideo videos, SimNews articles in GBK) and cashiers.

use super::Simulator;
use super::fnv;
use super::html::{self, Charset, NAMES, PHRASES, Rng, esc};
use axum::body::Bytes;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// Largest `?kb=` a target page is padded to.
const MAX_KB: u64 = 4096;

/// The id in `path` after `prefix` (one non-empty segment).
fn id_after<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let id = path.strip_prefix(prefix)?;
    let id = id.strip_suffix(".html").unwrap_or(id);
    (!id.is_empty() && !id.contains('/')).then_some(id)
}

/// `shop.simshop.test/item/{id}`, `video.simvideo.test/v/{id}`, `news.simnews.test/a/{id}`.
pub fn target(app: &str, path: &str, query: &str) -> Response {
    let (prefix, host) = match app {
        "simshop" => ("/item/", "shop.simshop.test"),
        "simvideo" => ("/v/", "video.simvideo.test"),
        _ => ("/a/", "news.simnews.test"),
    };
    let Some(id) = id_after(path, prefix) else {
        return html::not_found(host, path);
    };
    let kb = match html::number(query, "kb", 30, MAX_KB) {
        Ok(kb) => kb,
        Err(bad) => return bad.into_response(),
    };
    let want = usize::try_from(kb * 1024).unwrap_or(usize::MAX);
    // Pages are deterministic: build each once, like a real site's cache would serve it.
    let key = format!("{app}/{id}/{kb}");
    if let Some(body) = PAGES.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return cached(app, body);
    }
    let mut rng = Rng::new(fnv(&[app, id]));
    let body = match app {
        "simshop" => Bytes::from(shop_page(id, want, &mut rng)),
        "simvideo" => Bytes::from(video_page(id, want, &mut rng)),
        _ => {
            let page = news_page(id, want, &mut rng);
            Bytes::from(encoding_rs::GBK.encode(&page).0.into_owned())
        }
    };
    if let Ok(mut c) = PAGES.lock() {
        if c.len() >= 4096 {
            c.clear();
        }
        c.insert(key, body.clone());
    }
    cached(app, body)
}

static PAGES: LazyLock<Mutex<HashMap<String, Bytes>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn cached(app: &str, body: Bytes) -> Response {
    let content_type = if app == "simnews" {
        "text/html"
    } else {
        "text/html; charset=utf-8"
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Appends blocks from `block` to `out` until the page (with `rest` still to come) reaches
/// `want` bytes once encoded.
fn fill(
    out: &mut String,
    rest: usize,
    want: usize,
    charset: Charset,
    rng: &mut Rng,
    mut block: impl FnMut(&mut Rng, usize) -> String,
) {
    let mut len = html::encoded_len(out, charset) + rest;
    let mut n = 0;
    while len < want {
        let b = block(rng, n);
        len += html::encoded_len(&b, charset);
        out.push_str(&b);
        n += 1;
    }
}

/// Wraps `body` in the document shell and pads `pad_into` (a marker in `body`) to `want`.
fn padded(
    charset: Charset,
    title: &str,
    body: &str,
    want: usize,
    rng: &mut Rng,
    block: impl FnMut(&mut Rng, usize) -> String,
) -> String {
    let page = html::document(charset, title, "", body);
    let (before, after) = page.split_once("<!--PAD-->").unwrap_or((&page, ""));
    let mut out = before.to_string();
    fill(
        &mut out,
        html::encoded_len(after, charset),
        want,
        charset,
        rng,
        block,
    );
    out.push_str(after);
    out
}

fn sentence(rng: &mut Rng) -> String {
    format!("{}，{}。", rng.pick(PHRASES), rng.pick(PHRASES))
}

const PRODUCTS: &[&str] = &[
    "纯棉短袖T恤 男女同款 宽松百搭",
    "无线蓝牙耳机 主动降噪 长续航",
    "家用智能电饭煲 4L 大容量",
    "不锈钢保温杯 500ml 学生办公",
    "双肩背包 大容量 通勤旅行",
    "有机大米 东北五常 5kg",
];
const CITIES: &[&str] = &["浙江杭州", "广东广州", "浙江义乌", "广东深圳", "上海"];

fn shop_page(id: &str, want: usize, rng: &mut Rng) -> String {
    let name = rng.pick(PRODUCTS);
    let price = rng.range(9, 999);
    let cents = rng.range(0, 99);
    let colours = ["黑色", "白色", "藏青", "浅灰", "卡其"]
        .iter()
        .enumerate()
        .map(|(i, c)| format!("<li data-value=\"{i}\"><a href=\"#\"><span>{c}</span></a></li>"))
        .collect::<String>();
    let body = format!(
        "<div class=\"site-nav\"><a href=\"/\">模拟商城首页</a> <a href=\"/my\">我的订单</a> \
         <a href=\"/cart\">购物车</a></div>\n\
         <div class=\"tb-detail\" id=\"detail\" data-item-id=\"{id}\">\n\
         <h1 class=\"tb-main-title\">{name}</h1>\n<p class=\"tb-subtitle\">{sub}</p>\n\
         <div class=\"tb-price\"><span>价格</span><em class=\"tb-rmb\">￥</em>\
         <em class=\"tb-rmb-num\">{price}.{cents:02}</em></div>\n\
         <ul class=\"tb-meta\"><li>月销量 <b>{sold}</b></li><li>累计评价 <b>{rated}</b></li>\
         <li>发货地 {city}</li></ul>\n\
         <dl class=\"tb-sku\"><dt>颜色分类</dt><dd><ul>{colours}</ul></dd></dl>\n\
         <a class=\"buy\" href=\"http://pay.simshop.test/cashier?item={id}\">立即购买</a>\n</div>\n\
         <div class=\"tb-reviews\"><h2>宝贝评价</h2>\n<!--PAD-->\n</div>",
        id = esc(id),
        sub = rng.pick(PHRASES),
        sold = rng.range(10, 99_999),
        rated = rng.range(10, 50_000),
        city = rng.pick(CITIES),
    );
    padded(
        Charset::Utf8,
        &format!("{name}-模拟商城"),
        &body,
        want,
        rng,
        |rng, n| {
            if n % 8 == 7 {
                format!(
                    "<ul class=\"recommend\"><li><a href=\"/item/{i}\">{p}</a>\
                     <span class=\"price\">￥{y}.00</span></li></ul>\n",
                    i = rng.range(1, 99_999),
                    p = rng.pick(PRODUCTS),
                    y = rng.range(5, 500),
                )
            } else {
                format!(
                    "<div class=\"rate-item\"><div class=\"rate-user\">{u}</div>\
                     <div class=\"rate-content\">{s}</div>\
                     <div class=\"rate-date\">2021-{m:02}-{d:02} 颜色分类：黑色</div></div>\n",
                    u = rng.pick(NAMES),
                    s = sentence(rng),
                    m = rng.range(1, 12),
                    d = rng.range(1, 28),
                )
            }
        },
    )
}

const VIDEOS: &[&str] = &[
    "十分钟学会做红烧肉",
    "城市夜景延时摄影合集",
    "小猫第一次见到雪",
    "周末骑行去郊外",
    "老街里的手艺人",
];

fn video_page(id: &str, want: usize, rng: &mut Rng) -> String {
    let title = rng.pick(VIDEOS);
    let body = format!(
        "<div class=\"video-info\"><h1 class=\"video-title\" title=\"{title}\">{title}</h1>\n\
         <div class=\"video-data\"><span class=\"view\">{views}万播放</span>\
         <span class=\"dm\">{dm}条弹幕</span><span class=\"pubdate\">2021-09-{day:02}</span></div></div>\n\
         <div class=\"player\"><video id=\"player\" poster=\"/cover/{id}.jpg\" preload=\"none\">\
         <source src=\"/media/{id}.mp4\" type=\"video/mp4\"></video></div>\n\
         <div class=\"up-info\"><a class=\"up-name\" href=\"/u/{up}\">{upname}</a>\
         <span class=\"fans\">粉丝 {fans}</span><button type=\"button\">+ 关注</button></div>\n\
         <div class=\"comments\"><h2>评论</h2>\n<ul class=\"comment-list\">\n<!--PAD-->\n</ul></div>",
        id = esc(id),
        views = rng.range(1, 999),
        dm = rng.range(10, 9999),
        day = rng.range(1, 30),
        up = rng.range(1000, 99_999),
        upname = rng.pick(NAMES),
        fans = rng.range(100, 999_999),
    );
    padded(
        Charset::Utf8,
        &format!("{title}_模拟视频"),
        &body,
        want,
        rng,
        |rng, n| {
            if n % 6 == 5 {
                format!(
                    "<li class=\"related\"><a href=\"/v/{i}\"><img src=\"/cover/{i}.jpg\" alt=\"{t}\">\
                     <span class=\"title\">{t}</span></a><span class=\"view\">{v}万</span></li>\n",
                    i = rng.range(1, 99_999),
                    t = rng.pick(VIDEOS),
                    v = rng.range(1, 500),
                )
            } else {
                format!(
                    "<li class=\"comment\"><span class=\"user\">{u}</span><p class=\"text\">{s}</p>\
                     <span class=\"like\">{l}</span></li>\n",
                    u = rng.pick(NAMES),
                    s = sentence(rng),
                    l = rng.range(0, 5000),
                )
            }
        },
    )
}

const HEADLINES: &[&str] = &[
    "多部门推进互联互通 平台外链逐步放开",
    "扫码支付互认互扫试点范围扩大",
    "秋季消费市场回暖 线上销售稳步增长",
    "城市公共交通推出新的便民措施",
];

fn news_page(id: &str, want: usize, rng: &mut Rng) -> String {
    let headline = rng.pick(HEADLINES);
    let body = format!(
        "<div class=\"header\"><a href=\"/\">模拟新闻首页</a> | <a href=\"/c/gn\">国内</a> | \
         <a href=\"/c/cj\">财经</a> | <a href=\"/c/kj\">科技</a></div>\n\
         <div class=\"article\" id=\"article\" data-id=\"{id}\">\n\
         <h1 class=\"main-title\">{headline}</h1>\n\
         <div class=\"date-source\"><span class=\"date\">2021年10月{day}日 {h:02}:{m:02}</span>\
         <span class=\"source\">模拟新闻</span></div>\n\
         <div class=\"article-body\">\n<p>本报讯 {lead}</p>\n<!--PAD-->\n</div>\n\
         <p class=\"editor\">责任编辑：{editor}</p>\n</div>",
        id = esc(id),
        day = rng.range(1, 31),
        h = rng.range(0, 23),
        m = rng.range(0, 59),
        lead = sentence(rng),
        editor = rng.pick(NAMES),
    );
    padded(
        Charset::Gbk,
        &format!("{headline}_模拟新闻"),
        &body,
        want,
        rng,
        |rng, n| {
            if n % 10 == 9 {
                format!(
                    "<ul class=\"related\"><li><a href=\"/a/{i}\">{t}</a></li></ul>\n",
                    i = rng.range(1, 99_999),
                    t = rng.pick(HEADLINES),
                )
            } else {
                format!("<p>{}{}</p>\n", sentence(rng), sentence(rng))
            }
        },
    )
}

/// One payment option, written the way real cashiers write that method.
fn method_option(slug: &str, selected: bool) -> String {
    let checked = if selected { " checked" } else { "" };
    let sel = if selected { " selected" } else { "" };
    match slug {
        "alipay" => format!(
            "<li class=\"paybox-alipay{sel}\" id=\"ALI_PAY\"><img src=\"/img/pay/alipay.png\" alt=\"支付宝\">\
             <span>支付宝</span><em class=\"tip\">花呗分期可用</em>\
             <input type=\"radio\" name=\"pay\" value=\"alipay\"{checked}></li>"
        ),
        "wechat_pay" => format!(
            "<li id=\"weixin\" class=\"pay-item{sel}\" data-method=\"WX_JSAPI\">\
             <img src=\"/img/pay/wx.png\" alt=\"微信支付\"><span class=\"name\">微信支付</span>\
             <input type=\"radio\" name=\"pay\" value=\"weixin\"{checked}></li>"
        ),
        "unionpay" => format!(
            "<li class=\"paybox-ysf{sel}\"><i class=\"icon-ysf\"></i><span>云闪付</span>\
             <em class=\"tip\">银联卡均可使用</em>\
             <input type=\"radio\" name=\"pay\" value=\"upacp\"{checked}></li>"
        ),
        "ecny" => format!(
            "<li class=\"pay-item{sel}\" data-channel=\"dcep\"><span class=\"name\">数字人民币</span>\
             <em class=\"tip\">试点地区可用</em>\
             <input type=\"radio\" name=\"pay\" value=\"DCEP\"{checked}></li>"
        ),
        "jd_pay" => format!(
            "<li class=\"pay-item{sel}\" id=\"jdpay\"><span class=\"name\">京东支付</span>\
             <em class=\"tip\">白条、小金库均可使用</em>\
             <input type=\"radio\" name=\"pay\" value=\"jdpay\"{checked}></li>"
        ),
        "apple_pay" => format!(
            "<li class=\"pay-item pay-apple{sel}\"><span class=\"name\">Apple Pay</span>\
             <input type=\"radio\" name=\"pay\" value=\"applepay\"{checked}></li>"
        ),
        "qq_wallet" => format!(
            "<li class=\"pay-item{sel}\" id=\"qqwallet\"><img src=\"/img/pay/qq.png\" alt=\"QQ钱包\">\
             <span class=\"name\">QQ钱包</span>\
             <input type=\"radio\" name=\"pay\" value=\"qqpay\"{checked}></li>"
        ),
        other => format!(
            "<li class=\"pay-item{sel}\"><span class=\"name\">{o}</span>\
             <input type=\"radio\" name=\"pay\" value=\"{o}\"{checked}></li>",
            o = esc(other)
        ),
    }
}

/// `pay.simshop.test/cashier` (UTF-8) and `pay.simvideo.test/cashier` (GBK).
pub fn cashier(sim: &Simulator, app: &str, path: &str) -> Response {
    let host = if app == "simshop" {
        "pay.simshop.test"
    } else {
        "pay.simvideo.test"
    };
    if !matches!(path, "/cashier" | "/cashier/" | "/cashier.htm") {
        return html::not_found(host, path);
    }
    let (offered, selected) = sim.cashier(app);
    let options: String = offered
        .iter()
        .map(|m| method_option(m, selected.as_deref() == Some(m.as_str())))
        .collect::<Vec<_>>()
        .join("\n");
    let mut rng = Rng::new(fnv(&["cashier", app]));
    let (shop, charset) = if app == "simshop" {
        ("模拟商城", Charset::Utf8)
    } else {
        ("模拟视频会员", Charset::Gbk)
    };
    let body = format!(
        "<div class=\"cashier-head\"><h1>{shop} 收银台</h1>\n\
         <p class=\"order\">订单号：SIM2021{order}</p>\n\
         <p class=\"amount\">应付金额 <em>￥{yuan}.{fen:02}</em></p></div>\n\
         <form id=\"cashier\" method=\"post\" action=\"/pay\">\n\
         <input type=\"hidden\" name=\"order_id\" value=\"SIM2021{order}\">\n\
         <div class=\"pay-title\">选择支付方式</div>\n\
         <ul class=\"pay-list\">\n{options}\n</ul>\n\
         <div class=\"extras\"><ul class=\"pay-extra\">\n\
         <li class=\"coupon\"><span>使用优惠券</span><em>2张可用</em></li>\n\
         <li class=\"points\"><span>积分抵扣</span></li>\n</ul></div>\n\
         <button type=\"submit\" class=\"btn-pay\">确认支付</button>\n</form>",
        order = rng.range(10_000_000, 99_999_999),
        yuan = rng.range(1, 399),
        fen = rng.range(0, 99),
    );
    let page = html::document(charset, &format!("{shop}收银台"), "", &body);
    match charset {
        Charset::Utf8 => html::html(StatusCode::OK, page),
        Charset::Gbk => html::gbk(StatusCode::OK, &page, "text/html; charset=GBK"),
    }
}

/// A platform's own home page: an ordinary page any bridge should let through.
pub fn home(name: &str, host: &str) -> Response {
    html::html(
        StatusCode::OK,
        html::document(
            Charset::Utf8,
            name,
            "",
            &format!("<h1>{}</h1><p>欢迎 Welcome · {}</p>", esc(name), esc(host)),
        ),
    )
}
