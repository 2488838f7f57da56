//! Components rendered from fixed data, as the server would hand it over.

use crate::components::*;
use crate::model::*;
use crate::render_document;
use chrono::NaiveDate;
use leptos::prelude::*;

fn status(id: &str, en: &str, zh: &str, rung: Option<usize>, rungs: usize) -> StatusView {
    StatusView {
        id: id.into(),
        label: Name::new(zh, en),
        description: format!("{en} means …"),
        score: rung.map(|r| 1.0 - r as f64 / 3.0),
        rung,
        rungs,
    }
}

fn citation(label: &str) -> CitationView {
    CitationView {
        source_kind: "article".into(),
        label: label.into(),
        title: Some("标题".into()),
        url: None,
        href: None,
    }
}

fn chrome(at_is_today: bool) -> Chrome {
    Chrome {
        title: "Links".into(),
        section: Section::Links,
        path: "/links".into(),
        at: NaiveDate::from_ymd_opt(2021, 10, 17).unwrap(),
        at_is_today,
        today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        keep: vec![("platform".into(), "wechat & co".into())],
    }
}

#[test]
fn tones_follow_the_rung_not_the_name() {
    assert_eq!(status("a", "", "", Some(0), 4).tone(), "tone-0");
    assert_eq!(status("d", "", "", Some(3), 4).tone(), "tone-3");
    assert_eq!(status("b", "", "", Some(1), 4).tone(), "tone-1");
    assert_eq!(status("c", "", "", Some(2), 3).tone(), "tone-3");
    assert_eq!(status("u", "", "", None, 4).tone(), "tone-unknown");
}

#[test]
fn a_badge_says_the_status_in_words_in_both_languages() {
    let html = status_badge(&status(
        "warned",
        "Opens after a warning",
        "提示后打开",
        Some(1),
        4,
    ))
    .to_html();
    assert!(html.contains("Opens after a warning"), "{html}");
    assert!(html.contains("提示后打开"));
    assert!(html.contains("data-status=\"warned\""));
    assert!(html.contains("tone-1"));
}

#[test]
fn a_disputed_cell_names_every_side() {
    let accepted = status("accepted", "Accepted", "支持", Some(0), 4);
    let refused = status("not_accepted", "Not accepted", "不支持", Some(3), 4);
    let cell = CellView {
        check_id: "payment.meituan.alipay".into(),
        href: "/checks/payment.meituan.alipay?at=2021-10-17".into(),
        status: refused.clone(),
        latest: Some(OpinionView {
            status: refused,
            citation: citation("cnBeta, 2021-10-17"),
            when: "2021-10-17".into(),
            approximate: false,
        }),
        disagreeing: vec![OpinionView {
            status: accepted,
            citation: citation("财联社, 2021-09-28"),
            when: "2021-09-28".into(),
            approximate: false,
        }],
        age_days: Some(0),
    };
    let html = cell_view(&cell).to_html();
    assert!(html.contains("cell disputed"));
    assert!(html.contains("Sources disagree"));
    assert!(
        html.contains("财联社, 2021-09-28") && html.contains("cnBeta, 2021-10-17"),
        "{html}"
    );
    assert!(html.contains("href=\"/checks/payment.meituan.alipay?at=2021-10-17\""));
}

#[test]
fn cited_text_is_escaped() {
    let html = citation_view(&citation("<script>alert(1)</script>")).to_html();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"));
    let name = name_view(&Name::new("<b>微信</b>", "WeChat\" onmouseover=\"x")).to_html();
    assert!(!name.contains("<b>"), "{name}");
}

#[test]
fn the_document_has_the_date_form_and_no_script() {
    let page = render_document(&chrome(false), view! { <p>"body"</p> });
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("As of 2021-10-17"));
    assert!(page.contains("name=\"at\"") && page.contains("value=\"2021-10-17\""));
    // Filters survive a date change, encoded.
    assert!(
        page.contains("name=\"platform\"") && page.contains("value=\"wechat &amp; co\""),
        "{page}"
    );
    assert!(page.contains("Back to today"));
    assert!(
        page.contains("href=\"/links?at=2021-10-17\" aria-current=\"page\""),
        "{page}"
    );
    assert!(!page.contains("<script"));
    let today = render_document(&chrome(true), view! { <p>"body"</p> });
    assert!(today.contains("As of today, 2021-10-17") && !today.contains("Back to today"));
}

#[test]
fn hrefs_encode_their_parameters() {
    let href = href_with(
        "/timeline",
        &[("platform".into(), "a&b c".into())],
        Some("2021-10-17"),
    );
    assert_eq!(href, "/timeline?platform=a%26b+c&at=2021-10-17");
    assert_eq!(href_with("/timeline", &[], None), "/timeline");
}
