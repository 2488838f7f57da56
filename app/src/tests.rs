//! Components rendered from fixed data, as the server would hand it over.

use crate::components::*;
use crate::i18n::Lang;
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
        lang: Default::default(),
        cite: None,
        public_url: None,
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
    let html = status_badge(
        &status("warned", "Opens after a warning", "提示后打开", Some(1), 4),
        Lang::En,
    )
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
        stale: false,
        agreement: None,
    };
    let html = cell_view(&cell, Lang::En).to_html();
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
    let html = citation_view(&citation("<script>alert(1)</script>"), Lang::En).to_html();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"));
    let name = name_view(
        &Name::new("<b>微信</b>", "WeChat\" onmouseover=\"x"),
        Lang::En,
    )
    .to_html();
    assert!(!name.contains("<b>"), "{name}");
}

#[test]
fn a_cite_box_shows_a_closing_textarea_tag_as_text() {
    // Leptos writes a textarea's children raw: a title holding `</textarea>` would end the
    // box and what follows would be markup.
    let hostile = "标题</textarea><script>alert(1)</script>";
    let c = CiteBox {
        path: "/checks/x".into(),
        permalink: "https://example.org/checks/x".into(),
        zh: hostile.into(),
        en: hostile.replace("标题", "Title"),
    };
    let html = cite_box_view(&c, Lang::En).to_html();
    assert!(!html.contains("<script>"), "{html}");
    assert_eq!(html.matches("</textarea>").count(), 2, "{html}");
    assert!(
        html.contains("标题&lt;/textarea&gt;&lt;script&gt;"),
        "{html}"
    );
}

#[test]
fn the_document_has_the_date_form_and_no_script() {
    let page = render_document(&chrome(false), view! { <p>"body"</p> });
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains("As of 17 Oct 2021"), "{page}");
    assert!(page.contains("name=\"at\"") && page.contains("value=\"2021-10-17\""));
    // Filters survive a date change, encoded.
    assert!(
        page.contains("name=\"platform\"") && page.contains("value=\"wechat &amp; co\""),
        "{page}"
    );
    assert!(page.contains("Back to today"));
    assert!(
        page.contains("href=\"/links?at=2021-10-17&amp;lang=en\" aria-current=\"page\""),
        "{page}"
    );
    assert!(!page.contains("<script"));
    let today = render_document(&chrome(true), view! { <p>"body"</p> });
    assert!(today.contains("As of today, 17 Oct 2021") && !today.contains("Back to today"));
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

fn other_chrome(title: &str, section: Section, path: &str) -> Chrome {
    Chrome {
        title: title.into(),
        section,
        path: path.into(),
        at: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        at_is_today: true,
        today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        keep: Vec::new(),
        lang: Default::default(),
        cite: None,
        public_url: None,
    }
}

fn observation(evidence: Option<EvidenceView>, simulated: bool) -> ObservationView {
    ObservationView {
        id: 42,
        check_id: "link.wechat.taobao".into(),
        check_href: "/checks/link.wechat.taobao".into(),
        check_title: "WeChat × Taobao".into(),
        when: "2026-11-22 10:00 UTC+8".into(),
        status: status("blocked", "Blocked", "屏蔽", Some(3), 4),
        source_kind: if simulated { "simulated" } else { "probe" }.into(),
        simulated,
        citation: citation("probe:wechat-links@cn"),
        vantage: "cn".into(),
        pack_id: Some("wechat-links".into()),
        rule_version: Some(3),
        confirmed: Some(false),
        failure: None,
        superseded_by: Some(43),
        reclassifies: None,
        quote: None,
        note: None,
        evidence,
        snapshot_href: Some("/observations/42/snapshot".into()),
        snapshot_sha: Some("ab12".into()),
        hand_test: None,
        retraction: None,
    }
}

#[test]
fn evidence_is_shown_as_text_never_as_markup() {
    let evidence = EvidenceView {
        request_url: Some("https://bridge.example/?u=\"><script>alert(3)</script>".into()),
        hops: vec![HopView {
            url: Some("https://evil.example/\"><img src=x onerror=alert(1)>".into()),
            status: Some("302".into()),
            location: Some("javascript:alert(2)".into()),
            elapsed_ms: Some("12".into()),
        }],
        rule: Some("interstitial-block".into()),
        excerpt: Some("<script>alert(1)</script>已停止访问".into()),
        control: Some(ControlView {
            url: Some("https://item.taobao.com/".into()),
            status: Some("200".into()),
            ok: Some(true),
            refused: false,
        }),
        extracted: vec![ExtractedView {
            names: vec!["<b>支付宝</b>".into()],
            method: Some("alipay".into()),
            selected: Some(true),
        }],
        ..EvidenceView::default()
    };
    let page = crate::pages::observation_page(
        &other_chrome("Observation", Section::Other, "/observations/42"),
        &observation(Some(evidence), false),
    );
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("<img"));
    assert!(!page.contains("<b>支付宝"));
    assert!(
        page.contains(
            "<pre class=\"excerpt\">&lt;script&gt;alert(1)&lt;/script&gt;已停止访问</pre>"
        ),
        "{page}"
    );
    assert!(
        !page.contains("href=\"https://"),
        "scraped URLs are never links"
    );
    assert!(!page.contains("href=\"javascript"));
    assert!(page.contains("href=\"/observations/42/snapshot\""));
    assert!(page.contains("Download the raw page"));
    assert!(page.contains("Anomaly"));
    assert!(
        page.contains("href=\"/observations/43?lang=en\""),
        "superseded-by link"
    );
    assert!(!page.contains("SIMULATED"));
    let simulated = crate::pages::observation_page(
        &other_chrome("Observation", Section::Other, "/observations/42"),
        &observation(None, true),
    );
    assert!(simulated.contains("SIMULATED") && simulated.contains("not real data"));
    assert!(simulated.contains("carries no probe evidence"));
}

#[test]
fn a_failed_probe_is_not_called_an_anomaly() {
    // The in-app control intercepted: a rule matched the target, but the bridge failed.
    let failed = ObservationView {
        status: status("unknown", "unknown", "未知", None, 4),
        failure: Some((
            "bridge_failed".into(),
            "the bridge itself misbehaves".into(),
        )),
        ..observation(None, false)
    };
    let chrome = other_chrome("Observation", Section::Other, "/observations/42");
    let page = crate::pages::observation_page(&chrome, &failed);
    assert!(page.contains("bridge_failed"), "{page}");
    assert!(!page.contains("Anomaly"), "{page}");
    assert!(!page.contains("no rule for a known page matched"), "{page}");
}

fn matrix(simulated: bool) -> MatrixView {
    let unknown = status("unknown", "unknown", "未知", None, 4);
    let header = |en: &str| Header {
        name: Name::new("", en),
        href: None,
        note: None,
    };
    MatrixView {
        kind_id: "link".into(),
        kind_name: Name::new("链接", "Link sharing"),
        subject_label: Name::new("", "Host"),
        object_label: Name::new("", "Target"),
        columns: vec![header(if simulated { "SimShop" } else { "Taobao" })],
        rows: vec![MatrixRow {
            header: header(if simulated { "SimChat" } else { "WeChat" }),
            cells: vec![Some(CellView {
                check_id: "c".into(),
                href: "/checks/c".into(),
                status: unknown,
                latest: None,
                disagreeing: Vec::new(),
                age_days: None,
                stale: false,
                agreement: None,
            })],
        }],
        ladder: Vec::new(),
        simulated_included: simulated,
    }
}

#[test]
fn the_simulated_matrix_comes_after_the_real_one_labelled_everywhere() {
    let chrome = other_chrome("Links", Section::Links, "/links");
    let page = crate::pages::matrix_page(&chrome, &matrix(false), Some(&matrix(true)));
    let real = page.find("Taobao").unwrap();
    let heading = page
        .find("Simulated platforms (demo) — not real data")
        .expect("heading");
    assert!(real < heading);
    assert!(page.contains("<caption>SIMULATED"), "{page}");
    let simulated_part = &page[heading..];
    assert!(
        simulated_part.contains("<td><span class=\"source-kind sk-simulated\">SIMULATED</span>")
    );
    let alone = crate::pages::matrix_page(&chrome, &matrix(false), None);
    assert!(!alone.contains("SIMULATED"));
}

#[test]
fn a_failing_pack_is_flagged_and_no_packs_are_explained() {
    let chrome = other_chrome("Probes", Section::Probes, "/probes");
    let empty = crate::pages::probes_page(&chrome, &ProbesView::default());
    assert!(empty.contains("No probe packs are loaded"));
    assert!(empty.contains("href=\"/probes?lang=en\" aria-current=\"page\""));
    let view = ProbesView {
        packs: vec![PackView {
            id: "broken".into(),
            name: Name::new("坏", "Broken"),
            verified: false,
            failing: Some(
                "Probe pack broken has failed for 3 h (12 runs); last success never".into(),
            ),
            failed_runs: 12,
            next_run: Some("2026-11-22 18:17 UTC+8".into()),
            ..PackView::default()
        }],
        method_changes: vec![MethodChangeRow {
            pack_id: "broken".into(),
            from_version: Some(1),
            to_version: 2,
            when: "2026-11-20 10:00 UTC+8".into(),
            checked: 10,
            changed: 1,
        }],
        alert_after: "1 h".into(),
        ..ProbesView::default()
    };
    let page = crate::pages::probes_page(&chrome, &view);
    assert!(page.contains("FAILING"));
    assert!(page.contains("has failed for 3 h (12 runs)"));
    assert!(page.contains("endpoints not confirmed live"));
    assert!(page.contains("2026-11-22 18:17 UTC+8"));
    assert!(page.contains("1 → 2"));
    assert!(page.contains("not a platform changing its policy"));
}

#[test]
fn a_probe_row_links_to_its_evidence_and_pages_are_linked() {
    let blocked = status("blocked", "Blocked", "屏蔽", Some(3), 4);
    let cell = CellView {
        check_id: "link.wechat.taobao".into(),
        href: "/checks/link.wechat.taobao".into(),
        status: blocked.clone(),
        latest: None,
        disagreeing: Vec::new(),
        age_days: None,
        stale: false,
        agreement: None,
    };
    let header = Header {
        name: Name::new("微信", "WeChat"),
        href: None,
        note: None,
    };
    let view = CheckView {
        simulated: false,
        id: "link.wechat.taobao".into(),
        kind_name: Name::new("链接", "Link sharing"),
        subject_label: Name::new("", "Host"),
        object_label: Name::new("", "Target"),
        subject: header.clone(),
        object: header,
        cell,
        current: Vec::new(),
        superseded: Vec::new(),
        history: vec![HistoryRow {
            when: "2026-11-22 10:00 UTC+8".into(),
            approximate: false,
            status: blocked,
            citation: citation("probe"),
            quote: None,
            note: None,
            transition_from: None,
            after_at: false,
            observation_href: Some("/observations/7?at=2021-10-17".into()),
            probe: Some(ProbeNote {
                failure: Some("timeout".into()),
                anomaly: true,
                rule: Some("<i>rule</i>".into()),
                superseded: false,
            }),
            retraction: None,
        }],
        ladder: Vec::new(),
        page: 2,
        pages: 3,
        total: 120,
        newer: Some("/checks/link.wechat.taobao?at=2021-10-17".into()),
        older: Some("/checks/link.wechat.taobao?page=3&at=2021-10-17".into()),
        chart: None,
        links: Default::default(),
        cite_names: Default::default(),
        milestones: Vec::new(),
        vantages: Vec::new(),
        window_days: 30,
    };
    let page = crate::pages::check_page(&chrome(false), &view);
    assert!(page.contains("href=\"/observations/7?at=2021-10-17\""));
    assert!(page.contains("failed: timeout") && page.contains("anomaly"));
    assert!(page.contains("&lt;i&gt;rule&lt;/i&gt;"));
    assert!(page.contains("120 observations; page 2 of 3"));
    assert!(page.contains("rel=\"prev\" href=\"/checks/link.wechat.taobao?at=2021-10-17\""));
    assert!(page.contains("rel=\"next\""));
}

fn chinese(mut c: Chrome) -> Chrome {
    c.lang = crate::i18n::Lang::ZhCn;
    c
}

#[test]
fn the_chinese_shell_is_chinese_and_its_language_switch_keeps_the_filters() {
    let page = render_document(&chinese(chrome(false)), view! { <p>"body"</p> });
    assert!(page.contains("<html lang=\"zh-CN\">"), "{page}");
    assert!(!page.contains(crate::i18n::MISSING_MARK));
    assert!(page.contains("截至 2021年10月17日") && page.contains("回到今天"));
    assert!(page.contains(">链接</a>") && page.contains(">概览</a>"));
    // Both languages offered, each link this page with its filter, date and language.
    assert!(
        page.contains(
            "<a hreflang=\"en\" lang=\"en\" href=\"/links?platform=wechat+%26+co&amp;at=2021-10-17&amp;lang=en\">English</a>"
        ),
        "{page}"
    );
    assert!(page.contains(
        "<a hreflang=\"zh-CN\" lang=\"zh-CN\" href=\"/links?platform=wechat+%26+co&amp;at=2021-10-17&amp;lang=zh-CN\" aria-current=\"true\">中文</a>"
    ));
    // The date form sends the language along with the date and the filters.
    assert!(page.contains("<input type=\"hidden\" name=\"lang\" value=\"zh-CN\">"));
    assert!(page.contains("href=\"/links?at=2021-10-17&amp;lang=zh-CN\" aria-current=\"page\""));
    let english = render_document(&chrome(false), view! { <p>"body"</p> });
    assert!(english.contains("<html lang=\"en\">") && english.contains("As of 17 Oct 2021"));
    assert!(!english.contains("截至"));
}

#[test]
fn a_badge_leads_with_the_pages_language() {
    let warned = status("warned", "Opens after a warning", "提示后打开", Some(1), 4);
    let english = status_badge(&warned, Lang::En).to_html();
    assert!(
        english.find("Opens after a warning").unwrap() < english.find("提示后打开").unwrap(),
        "{english}"
    );
    let wechat = Name::new("微信", "WeChat");
    let name = name_view(&wechat, Lang::En).to_html();
    assert!(
        name.find("WeChat").unwrap() < name.find("微信").unwrap(),
        "{name}"
    );
    let name = name_view(&wechat, Lang::ZhCn).to_html();
    assert!(
        name.find("微信").unwrap() < name.find("WeChat").unwrap(),
        "{name}"
    );
    let chinese = status_badge(&warned, Lang::ZhCn).to_html();
    assert!(
        chinese.contains("lang=\"zh-CN\" class=\"status-word\">提示后打开</span>"),
        "{chinese}"
    );
    assert!(chinese.contains("Opens after a warning"));
    // Dates in the view data are ISO; shown in words, kept for machines.
    let when = time_view("2021-09-17", true, true, Lang::ZhCn).to_html();
    assert!(when.contains("datetime=\"2021-09-17\""), "{when}");
    assert!(when.contains("≈ 2021年9月17日（大致日期）"), "{when}");
    let instant = time_view("2021-10-17 16:11 UTC+8", false, false, Lang::ZhCn).to_html();
    assert!(
        instant.contains("datetime=\"2021-10-17T16:11+08:00\"")
            && instant.contains("2021年10月17日 16:11（北京时间）"),
        "{instant}"
    );
}
