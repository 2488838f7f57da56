//! The streaming selector matcher against the tree: wherever `scan` decides, it must decide
//! as scraper's tree does. Pages: every kind the simulator serves, hand-written traps, and
//! generated tag soup.

use super::bounded::Budget;
use super::classify::{Match, fast_select, tree_select};
use super::scan::{Scan, scan};
use super::select::{ElementTest, FastSelector};
use crate::simulator::{LinkState, Simulator, Timetable};
use axum::body::Body;
use axum::http::Request;
use scraper::{Html, Selector};
use tower::ServiceExt;

/// Selectors covering every fast form, and some that must fall back to the tree.
const SELECTORS: &[&str] = &[
    "h1",
    "h2",
    "title",
    "a",
    "a[href]",
    "a[href^=\"/item\"]",
    "a[href$=\".html\"]",
    "a[href*=simshop]",
    "div.bench",
    ".price",
    "#main",
    "span.x.y",
    "[data-state]",
    "[data-state=blocked]",
    "li[class~=on]",
    "div[lang|=zh]",
    "meta[name=description]",
    "script",
    "span, em.note",
    "label[for]",
    "input[name=pay]",
    "img[alt]",
    "ul li",
    "li:first-child",
    "*",
    "p",
    "td.x",
];

fn tests() -> Vec<ElementTest> {
    vec![
        ElementTest::Present,
        ElementTest::Alt("支付".into()),
        ElementTest::Alt("x".into()),
        ElementTest::Attr {
            name: "href".into(),
            contains: Some("/".into()),
        },
        ElementTest::Attr {
            name: "class".into(),
            contains: None,
        },
        ElementTest::Attr {
            name: "data-state".into(),
            contains: Some("block".into()),
        },
    ]
}

/// Compares fast and tree answers on one page; returns how many were decided fast.
fn compare(name: &str, page: &str, strict_excerpts: bool) -> usize {
    let html = Html::parse_document(page);
    let mut decided = 0;
    for source in SELECTORS {
        let selector = Selector::parse(source).expect("test selectors parse");
        let Some(fast) = FastSelector::parse(source) else {
            continue;
        };
        for test in tests() {
            let tree: Option<Match> = tree_select(&html, &selector, &test);
            let Ok(quick) = fast_select(page, &selector, &fast, &test, &Budget::default()) else {
                continue;
            };
            decided += 1;
            assert_eq!(
                quick.is_some(),
                tree.is_some(),
                "{name}: `{source}` {test:?}: fast {quick:?}, tree {tree:?}\n{page}"
            );
            if strict_excerpts {
                assert_eq!(
                    quick, tree,
                    "{name}: `{source}` {test:?}: excerpts differ\n{page}"
                );
            }
        }
    }
    decided
}

async fn get(sim: &Simulator, url: &str) -> (u16, Option<String>, String) {
    let uri: axum::http::Uri = url.parse().expect("test URLs parse");
    let host = uri.host().unwrap_or_default().to_string();
    let response = sim
        .router()
        .oneshot(
            Request::builder()
                .uri(url)
                .header("host", host)
                .body(Body::empty())
                .expect("request builds"),
        )
        .await
        .expect("the simulator answers");
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let gbk = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("gbk"));
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .unwrap_or_default();
    let text = if gbk {
        encoding_rs::GBK.decode(&bytes).0.into_owned()
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    (status, location, text)
}

/// Every page the simulator serves: targets, bridges in each state, interstitials,
/// cashiers, and the lab's hostile pages.
async fn simulator_pages() -> Vec<(String, String)> {
    let sim = Simulator::new(Timetable::Fixed);
    let mut urls: Vec<String> = Vec::new();
    for id in ["1", "7", "42"] {
        for kb in ["5", "30"] {
            urls.push(format!("http://shop.simshop.test/item/{id}?kb={kb}"));
            urls.push(format!("http://video.simvideo.test/v/{id}?kb={kb}"));
            urls.push(format!("http://news.simnews.test/a/{id}?kb={kb}"));
        }
    }
    for path in [
        "malformed",
        "script",
        "fake-block",
        "captcha",
        "challenge",
        "down",
        "bench?kb=10",
        "nothing",
    ] {
        urls.push(format!("http://lab.sim.test/{path}"));
    }
    urls.push("http://fake.simscam.test/".into());
    urls.push("http://pay.simshop.test/cashier".into());
    urls.push("http://pay.simvideo.test/cashier".into());
    let mut pages = Vec::new();
    for url in urls {
        let (_, _, text) = get(&sim, &url).await;
        pages.push((url, text));
    }
    let target = "http%3A%2F%2Fshop.simshop.test%2Fitem%2F1";
    for state in [
        LinkState::Open,
        LinkState::Warned,
        LinkState::TokenOnly,
        LinkState::Blocked,
    ] {
        sim.set_link("simchat", "simshop", state);
        sim.set_link("simtalk", "simshop", state);
        for start in [
            format!("http://bridge.simchat.test/wapredirect?url={target}"),
            format!("http://c.simtalk.test/middlem.html?pfurl={target}"),
        ] {
            // Follow the chain by hand, keeping every page on the way.
            let mut url = start;
            for _ in 0..5 {
                let (status, location, text) = get(&sim, &url).await;
                pages.push((format!("{url} ({state:?})"), text));
                match location {
                    Some(l) if (300..400).contains(&status) => url = l,
                    _ => break,
                }
            }
        }
    }
    pages
}

#[tokio::test]
async fn fast_selectors_agree_with_the_tree_on_every_simulator_page() {
    let pages = simulator_pages().await;
    assert!(pages.len() > 40, "{} pages", pages.len());
    let mut decided = 0;
    for (url, page) in &pages {
        decided += compare(url, page, true);
    }
    assert!(decided > 1000, "only {decided} answers were decided fast");
}

#[tokio::test]
async fn ordinary_pages_never_need_the_tree_for_simple_selectors() {
    let sim = Simulator::new(Timetable::Fixed);
    for url in [
        "http://shop.simshop.test/item/3?kb=30",
        "http://video.simvideo.test/v/3?kb=30",
        "http://news.simnews.test/a/3?kb=30",
    ] {
        let (_, _, page) = get(&sim, url).await;
        for source in ["h1", "div.bench", "a[href]", "meta[name=description]"] {
            let fast = FastSelector::parse(source).expect("a simple selector is fast");
            let answer = scan(&page, &fast, &ElementTest::Present);
            assert!(
                !matches!(answer, Scan::Undecided(_)),
                "{url}: `{source}` fell back to the tree: {answer:?}"
            );
        }
    }
}

/// Traps: each page makes the tag stream and the tree differ, or looks like markup
/// where there is none. The fast path must either agree or step aside.
const TRAPS: &[&str] = &[
    "<!DOCTYPE html><h1>a</h1>",
    "<!-- <h1> --><h2>x</h2>",
    "<!--><h1>short comment</h1>",
    "<!---><h1>shorter</h1>",
    "<!-- a --!><h1>bang</h1>",
    "<!-- never closed <h1>",
    "<![CDATA[<h1>]]><h2>c</h2>",
    "<?php <h1> ?><h2>pi</h2>",
    "</ h1><h2>bogus end</h2>",
    "</h1 class=\"<h2>\"><em class=note>q</em>",
    "<title><h1></title><h2>t</h2>",
    "<textarea><h1 class=x></textarea>",
    "<script>document.write('<h1>')</script>",
    "<script><!-- <script> </script> <h1> --></script><h2>d</h2>",
    "<style>h1 { color: red }</STYLE ><h2>s</h2>",
    "<xmp><h1></xmp><iframe><h1></iframe><noembed><h1></noembed>",
    "<H1 CLASS=Price>upper</H1><span class=price>lower</span>",
    "<h1/>self-closing<h2/>",
    "<a href='/item/1' href=\"/other\">dup</a>",
    "<a href=/item/1.html>unquoted</a>",
    "<a href=\"/item/1?a=1&amp;b=2\">entity</a>",
    "<img alt=\"微信&#25903;付\">",
    "<img alt=\"微信支付\" src=x><image alt=\"支付\">",
    "<span class=\"x\ty\">tab</span>",
    "<span class=\"x\r\ny\">cr</span>",
    "<div lang=zh-CN>dash</div><div lang=zhx>no</div>",
    "<li class=\"on off\">w</li>",
    "<table><td class=x>cell</td></table><span class=x>s</span>",
    "<td class=x>stray cell</td>",
    "<p class=x>para</p></p>",
    "<form class=f><form class=g><input name=pay></form>",
    "<select><h1>in select</h1><option>o</select>",
    "<template><h1>inert</h1></template>",
    "<svg><h1>breaks out</h1><a href=/x>svg a</a></svg>",
    "<math><mi>x</mi></math><h2>m</h2>",
    "<noscript><h1>ns</h1></noscript>",
    "<frameset><frame></frameset><h1>late</h1>",
    "<plaintext><h1>",
    "<body class=a><body class=x><h1>b</h1>",
    "<html data-state=blocked><h1>h</h1>",
    "<head class=x></head><h1>h</h1>",
    "<h1>unterminated <h2",
    "<h1 class=\"never closed quote>",
    "<h1>nul \0 here</h1>",
    "<h1>a<h2>b</h2></h1><h1>c",
    "<a href=/a><a href=/b>nested</a></a>",
    "<b><h2>x</b>y</h2>",
    "<label for=pay>Pay</label><input name=pay id=main>",
    "<div data-state=\"block&ed\">e</div>",
    "<div data-state=blocked/>slash</div>",
    "<div data-state= blocked >spaces</div>",
    "<div =data-state=x>eq</div>",
    "<span data-state>bare</span>",
];

#[test]
fn traps_are_decided_as_the_tree_decides_or_left_to_it() {
    let mut decided = 0;
    for page in TRAPS {
        decided += compare(page, page, !page.contains("<table"));
    }
    assert!(decided > 300, "only {decided} answers were decided fast");
}

/// Pieces of generated tag soup, trap constructs included.
const SOUP_FRAGMENTS: &[&str] = &[
    "<h1>",
    "</h1>",
    "<h2 class=x>",
    "</h2>",
    "<div class=\"bench x\">",
    "</div>",
    "<div id=main>",
    "<span class=\"x y\">",
    "</span>",
    "<em class=note>",
    "</em>",
    "<a href=\"/item/9\">",
    "<a href=/v.html>",
    "</a>",
    "<li class=on>",
    "<ul>",
    "</ul>",
    "<img alt=\"微信支付\">",
    "<img alt=x src=y>",
    "<p>",
    "</p>",
    "<br>",
    "</br>",
    "<table>",
    "<tr>",
    "<td class=x>",
    "</table>",
    "<!-- <h1> -->",
    "<!-->",
    "<script>var a = '<h2>';</script>",
    "<style>.x{}</style>",
    "<title>T</title>",
    "<textarea><h1></textarea>",
    "<!DOCTYPE html>",
    "<![CDATA[ <h2> ]]>",
    "<?x?>",
    "</h2 a='>'>",
    "<meta name=description content=d>",
    "<label for=pay>",
    "<input name=pay>",
    "<div data-state=blocked>",
    "<div lang=zh-CN>",
    "text ",
    "文本 ",
    "&amp; ",
    "<b>",
    "</b>",
    "<i>",
    "</i>",
    "<form>",
    "</form>",
    "<select>",
    "<svg>",
    "<template>",
    "<body class=x>",
    "<html lang=en>",
    "<h1 class='q>uote'>",
    "<span data-state>",
    "< h1>",
    "<1>",
    "</>",
];

/// 1,500 pages of generated tag soup: random sequences of fragments, some cut mid-token.
fn soups() -> Vec<String> {
    let fragments = SOUP_FRAGMENTS;
    let mut rng = crate::simulator::Rng::new(0x5eed);
    let mut pages = Vec::new();
    for round in 0..1500 {
        let n = 1 + rng.range(0, 24) as usize;
        let mut page = String::new();
        for _ in 0..n {
            page.push_str(fragments[rng.range(0, fragments.len() as u64 - 1) as usize]);
        }
        // Sometimes cut the page mid-token.
        if round % 7 == 0 && page.len() > 3 {
            let mut cut = rng.range(1, page.len() as u64 - 1) as usize;
            while !page.is_char_boundary(cut) {
                cut -= 1;
            }
            page.truncate(cut);
        }
        pages.push(page);
    }
    pages
}

/// Generated tag soup: random sequences of fragments, trap constructs included.
#[test]
fn generated_soup_is_decided_as_the_tree_decides() {
    let mut decided = 0;
    for (round, page) in soups().iter().enumerate() {
        decided += compare(&format!("soup {round}"), page, false);
    }
    assert!(decided > 10_000, "only {decided} answers were decided fast");
}

#[test]
fn selectors_the_tree_must_answer_are_not_fast() {
    for source in [
        "ul li",
        "ul > li",
        "li:first-child",
        "*",
        "p",
        "td.x",
        "body.x",
        "html",
        "form",
        "img[alt]",
        "input[type=radio]",
        "a[href=\"x\" i]",
        "[data-x^=\"\"]",
        "a\\:b",
        "li + li",
    ] {
        assert_eq!(
            FastSelector::parse(source),
            None,
            "`{source}` should need the tree"
        );
    }
    for source in [
        "h1",
        ".x",
        "#y",
        "a[href^='/']",
        "span.a.b, em",
        "*.x",
        "div[data-x]",
    ] {
        assert!(
            FastSelector::parse(source).is_some(),
            "`{source}` should be fast"
        );
    }
}

/// A condition that only asks whether it holds (a payment pack's `extract.page`) is
/// answered without reading the matched element's text: it must hold exactly where the
/// full evaluation matches, alone and inside `all`, `any` and `not`, on every simulator
/// page, trap and generated soup.
#[tokio::test]
async fn whether_a_condition_holds_is_what_its_evaluation_says() {
    use super::classify::holds_and_evaluates;
    use super::pack::Condition;
    let mut pages: Vec<(String, String)> = simulator_pages().await;
    pages.extend(TRAPS.iter().map(|p| (p.to_string(), p.to_string())));
    pages.extend(
        soups()
            .into_iter()
            .enumerate()
            .map(|(i, p)| (format!("soup {i}"), p)),
    );
    let conditions: Vec<Condition> = SELECTORS
        .iter()
        .flat_map(|source| {
            tests().into_iter().map(move |test| Condition::Selector {
                selector: Selector::parse(source).expect("test selectors parse"),
                source: source.to_string(),
                test,
                fast: FastSelector::parse(source),
            })
        })
        .collect();
    let selector = |source: &str| Condition::Selector {
        selector: Selector::parse(source).expect("test selectors parse"),
        source: source.to_string(),
        test: ElementTest::Present,
        fast: FastSelector::parse(source),
    };
    let compound = [
        Condition::All(vec![selector("h1"), selector("#main")]),
        Condition::Any(vec![selector("span.x.y"), selector("ul li")]),
        Condition::Not(Box::new(selector("div.bench"))),
        Condition::All(vec![
            Condition::Not(Box::new(selector(".price"))),
            Condition::Any(vec![selector("a[href]"), selector("[data-state]")]),
        ]),
    ];
    let conditions: Vec<Condition> = conditions.into_iter().chain(compound).collect();
    let (mut holding, mut not_holding) = (0, 0);
    for (name, page) in &pages {
        let answers = holds_and_evaluates(page, &conditions);
        for (condition, (holds, evaluates)) in conditions.iter().zip(answers) {
            assert_eq!(
                holds, evaluates,
                "{name}: {condition:?}: holds {holds}, evaluates to a match {evaluates}\n{page}"
            );
            if holds {
                holding += 1;
            } else {
                not_holding += 1;
            }
        }
    }
    assert!(
        holding > 10_000 && not_holding > 10_000,
        "{holding} held, {not_holding} did not"
    );
}
