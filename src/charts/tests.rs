//! Charts drawn from fixed data: well-formed, accessible, escaped, readable without
//! colour, and rasterised with Chinese text.

use super::*;
use crate::time::{self, SHANGHAI};
use chrono::{DateTime, NaiveDate, Utc};
use hutong_app::i18n::Lang;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn noon(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    time::start_of_day(day(y, m, d), SHANGHAI) + chrono::Duration::hours(12)
}

fn share_chart() -> ShareChart {
    let weeks = |values: &[Option<f64>]| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| SharePoint {
                date: day(2021, 9, 1) + chrono::Days::new(7 * i as u64),
                value: *v,
            })
            .collect()
    };
    ShareChart {
        id: "chart-test".into(),
        title: "Link sharing: openness over time".into(),
        subtitle: "share of observed checks".into(),
        series: vec![
            ShareSeries {
                label: "Links open".into(),
                points: weeks(&[Some(0.0), Some(0.25), None, Some(0.5), Some(0.75)]),
            },
            ShareSeries {
                label: "Compliant".into(),
                points: weeks(&[Some(0.1), Some(0.2), Some(0.3), Some(0.4), Some(1.0)]),
            },
        ],
        milestones: vec![
            Marker {
                date: day(2021, 9, 17),
                approximate: false,
                label: "<script>alert(1)</script> & \"deadline\"".into(),
            },
            Marker {
                date: day(2019, 1, 1),
                approximate: true,
                label: "before the data: left out".into(),
            },
        ],
        source_line: "Source: test <fixture>".into(),
        date_line: "As of 2021-09-29".into(),
        simulated: false,
        bands: None,
    }
}

fn step_chart(simulated: bool) -> StepChart {
    let ladder = [
        ("open", "Opens directly"),
        ("warned", "Opens after a warning"),
        ("token_only", "Copy token or link"),
        ("blocked", "Blocked"),
    ];
    StepChart {
        id: "chart-steps".into(),
        title: "WeChat × Taobao: status over time".into(),
        subtitle: "link.wechat.taobao".into(),
        ladder: ladder
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        unknown_label: "Unknown".into(),
        lines: vec![StepLine {
            name: "cnBeta, 17 Oct 2021".into(),
            segments: vec![
                Segment {
                    from: noon(2021, 7, 1),
                    to: noon(2021, 9, 17),
                    status: "token_only".into(),
                    stale: false,
                },
                Segment {
                    from: noon(2021, 9, 17),
                    to: noon(2021, 12, 31),
                    status: "warned".into(),
                    stale: false,
                },
            ],
        }],
        start: noon(2021, 7, 1),
        end: noon(2021, 12, 31),
        source_line: "Source: test".into(),
        date_line: "As of 2021-12-31".into(),
        simulated,
    }
}

/// The SVG parsed as XML (fails the test when it is not well-formed).
fn parse(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not well-formed XML: {e}\n{svg}"))
}

fn child_text(doc: &roxmltree::Document, tag: &str) -> String {
    doc.root_element()
        .children()
        .find(|n| n.has_tag_name(tag))
        .and_then(|n| n.text())
        .unwrap_or_else(|| panic!("no <{tag}>"))
        .to_string()
}

fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text().map(str::to_string))
        .collect()
}

/// Checks what every chart must have: role, title, desc, aria-labelledby naming them,
/// a fixed viewBox, no script and no reference outside the document.
fn assert_accessible_and_closed(doc: &roxmltree::Document) {
    assert_accessible_and_closed_at(doc, 800);
}

fn assert_accessible_and_closed_at(doc: &roxmltree::Document, width: u32) {
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("role"), Some("img"));
    assert!(
        root.attribute("viewBox")
            .is_some_and(|v| v.starts_with(&format!("0 0 {width} "))),
        "{:?}",
        root.attribute("viewBox")
    );
    let labelled: Vec<&str> = root
        .attribute("aria-labelledby")
        .expect("aria-labelledby")
        .split(' ')
        .collect();
    for id in &labelled {
        assert!(
            doc.descendants().any(|n| n.attribute("id") == Some(id)),
            "aria-labelledby names a missing id {id}"
        );
    }
    assert!(labelled.iter().any(|id| id.ends_with("-title")));
    assert!(labelled.iter().any(|id| id.ends_with("-desc")));
    for n in doc.descendants() {
        assert!(!n.has_tag_name("script") && !n.has_tag_name("foreignObject"));
        for a in n.attributes() {
            assert!(!a.name().starts_with("on"), "event handler {}", a.name());
            if a.name() == "href" || a.value().contains("url(") {
                assert!(
                    a.value().starts_with('#') || a.value().starts_with("url(#"),
                    "external reference {}",
                    a.value()
                );
            }
        }
    }
}

#[test]
fn share_chart_is_well_formed_accessible_and_escaped() {
    let chart = share_chart();
    let svg = share::render(&chart, Lang::En);
    let doc = parse(&svg);
    assert_accessible_and_closed(&doc);
    assert_eq!(
        child_text(&doc, "title"),
        "Link sharing: openness over time"
    );
    let desc = child_text(&doc, "desc");
    // The data in words: range, each series' first, last, lowest and highest values.
    assert!(
        desc.contains("2021-09-01") && desc.contains("2021-09-29"),
        "{desc}"
    );
    assert!(
        desc.contains("Links open: 0% on 2021-09-01, 75% on 2021-09-29; lowest 0% (2021-09-01), highest 75% (2021-09-29)"),
        "{desc}"
    );
    assert!(
        desc.contains("Compliant: 10% on 2021-09-01, 100% on 2021-09-29"),
        "{desc}"
    );
    // The hostile label is text, never an element; and only the milestone in range shows.
    assert!(!svg.contains("<script"));
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;deadline&quot;"));
    let all = texts(&doc);
    assert!(
        all.iter()
            .any(|t| t.contains("2021-09-17  <script>alert(1)</script> & \"deadline\"")),
        "{all:?}"
    );
    assert!(!svg.contains("before the data"));
    let markers: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("milestone"))
        .collect();
    assert_eq!(markers.len(), 1);
    assert_eq!(markers[0].attribute("data-date"), Some("2021-09-17"));
    // Source and date are printed on the image; the latest values label the lines.
    assert!(all.iter().any(|t| t == "Source: test <fixture>"));
    assert!(all.iter().any(|t| t == "As of 2021-09-29"));
    assert!(all.iter().any(|t| t == "75%") && all.iter().any(|t| t == "100%"));
    // Two series: the second is dashed (it differs in greyscale too), the first breaks
    // where the value is unknown (two runs → two line paths).
    let series: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("series"))
        .collect();
    assert_eq!(series.len(), 2);
    let lines = |g: &roxmltree::Node| {
        g.children()
            .filter(|n| n.has_tag_name("path") && n.attribute("fill") == Some("none"))
            .count()
    };
    assert_eq!(lines(&series[0]), 2, "a gap where nothing was known");
    assert!(
        series[1]
            .descendants()
            .any(|n| n.attribute("stroke-dasharray").is_some())
    );
    // usvg (what the PNG route uses) reads it too.
    assert!(raster::png(&svg).is_ok());
}

#[test]
fn an_empty_share_chart_says_so() {
    let mut chart = share_chart();
    chart.series.clear();
    let svg = share::render(&chart, Lang::ZhCn);
    let doc = parse(&svg);
    assert_accessible_and_closed(&doc);
    assert!(texts(&doc).iter().any(|t| t == "尚无观察"));
    assert_eq!(child_text(&doc, "desc"), "尚无数据。");
}

#[test]
fn step_chart_shows_status_by_row_pattern_and_words() {
    let chart = step_chart(false);
    let svg = steps::render(&chart, Lang::En);
    let doc = parse(&svg);
    assert_accessible_and_closed(&doc);
    let segments: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("segment"))
        .collect();
    let got: Vec<(&str, &str, &str)> = segments
        .iter()
        .map(|g| {
            (
                g.attribute("data-status").unwrap(),
                g.attribute("data-from").unwrap(),
                g.attribute("data-to").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "token_only",
                "2021-07-01T04:00:00+00:00",
                "2021-09-17T04:00:00+00:00"
            ),
            (
                "warned",
                "2021-09-17T04:00:00+00:00",
                "2021-12-31T04:00:00+00:00"
            ),
        ]
    );
    // Each bar is filled with its rung's pattern (distinct per rung) and says its status.
    let fill = |g: &roxmltree::Node| {
        g.children()
            .find(|n| n.has_tag_name("rect"))
            .and_then(|n| n.attribute("fill"))
            .unwrap()
            .to_string()
    };
    assert_eq!(fill(&segments[0]), "url(#chart-steps-pat-2)");
    assert_eq!(fill(&segments[1]), "url(#chart-steps-pat-1)");
    let patterns: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("pattern"))
        .collect();
    assert_eq!(patterns.len(), 5, "one pattern per tone and unknown");
    let words = |g: &roxmltree::Node| {
        g.descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect::<String>()
    };
    assert_eq!(words(&segments[0]), "Copy token or link");
    assert_eq!(words(&segments[1]), "Opens after a warning");
    // The ladder is labelled down the y axis, unknown last.
    let all = texts(&doc);
    for label in [
        "Opens directly",
        "Opens after a warning",
        "Copy token or link",
        "Blocked",
        "Unknown",
    ] {
        assert!(all.iter().any(|t| t == label), "{label} in {all:?}");
    }
    let desc = child_text(&doc, "desc");
    assert!(
        desc.contains("Copy token or link from 2021-07-01 to 2021-09-17; Opens after a warning from 2021-09-17 to 2021-12-31"),
        "{desc}"
    );
    assert!(!svg.contains("SIMULATED"));
}

#[test]
fn simulated_step_chart_is_labelled_on_the_image() {
    let svg = steps::render(&step_chart(true), Lang::En);
    let doc = parse(&svg);
    assert!(texts(&doc).iter().any(|t| t == "SIMULATED: not real data"));
    assert!(child_text(&doc, "title").contains("(simulated)"));
    let zh = steps::render(&step_chart(true), Lang::ZhCn);
    assert!(texts(&parse(&zh)).iter().any(|t| t == "模拟数据：并非真实"));
}

/// Pixels of the alert red's hue (red well above green and blue) in a region of a PNG.
fn red_pixels(png: &[u8], x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
    pixels(png, (x0, y0, x1, y1), |r, g, b| {
        r > 120 && r > g.saturating_add(50) && b < 120
    })
}

/// Pixels of a region (x0, y0, x1, y1, image pixels) whose colour `is` accepts.
fn pixels(
    png: &[u8],
    (x0, y0, x1, y1): (u32, u32, u32, u32),
    is: impl Fn(u8, u8, u8) -> bool,
) -> usize {
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(png).expect("a PNG");
    let mut n = 0;
    for y in y0..y1.min(pixmap.height()) {
        for x in x0..x1.min(pixmap.width()) {
            let p = pixmap.pixel(x, y).unwrap();
            if is(p.red(), p.green(), p.blue()) {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn the_simulated_banner_holds_its_words_in_both_languages() {
    for lang in [Lang::En, Lang::ZhCn] {
        let svg = steps::render(&step_chart(true), lang);
        let doc = parse(&svg);
        let rect = doc
            .descendants()
            .find(|n| n.has_tag_name("g") && n.attribute("class") == Some("simulated"))
            .and_then(|g| g.children().find(|n| n.has_tag_name("rect")))
            .expect("the banner's box");
        let x: f64 = rect.attribute("x").unwrap().parse().unwrap();
        let png = raster::png(&svg).expect("renders");
        let s = f64::from(raster::SCALE);
        // The box's border is red: look from 2 units outside it, 40 units to its left.
        let (x1, x0) = (((x - 2.0) * s) as u32, ((x - 42.0).max(0.0) * s) as u32);
        let outside = red_pixels(&png, x0, (10.0 * s) as u32, x1, (36.0 * s) as u32);
        assert_eq!(
            outside, 0,
            "{lang:?}: the banner's words run out of its box"
        );
        // The words are drawn at all (the count means something).
        let inside = red_pixels(
            &png,
            ((x + 4.0) * s) as u32,
            14 * 2,
            (share::WIDTH * s) as u32 - 30,
            32 * 2,
        );
        assert!(inside > 100, "{lang:?}: {inside}");
    }
}

/// Dark pixels (any channel under 128) in a region of a PNG, in image pixels.
fn dark_pixels(png: &[u8], x0: u32, y0: u32, x1: u32, y1: u32) -> usize {
    pixels(png, (x0, y0, x1, y1), |r, g, b| {
        r < 128 && g < 128 && b < 128
    })
}

#[test]
fn chinese_text_is_drawn_in_the_png() {
    // A title of Chinese characters only: without a CJK font nothing would be drawn.
    let mut chart = step_chart(false);
    chart.title = "微信 × 淘宝：状态变化".into();
    let png = raster::png(&steps::render(&chart, Lang::ZhCn)).expect("renders");
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
    assert_eq!(
        pixmap.width(),
        (share::WIDTH * f64::from(raster::SCALE)) as u32
    );
    // The title sits at x 16.., baseline y 28 (SVG units), drawn at SCALE.
    let s = raster::SCALE as u32;
    let title = dark_pixels(&png, 16 * s, 10 * s, 260 * s, 32 * s);
    assert!(title > 200, "the Chinese title left {title} dark pixels");
    // A region with nothing in it stays blank: the count means something.
    assert_eq!(dark_pixels(&png, 400 * s, 8 * s, 780 * s, 20 * s), 0);
}

#[test]
fn oversized_images_are_refused() {
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 5000 10" width="5000" height="10"/>"#;
    assert!(matches!(
        raster::png(svg),
        Err(raster::RasterError::TooLarge(..))
    ));
}

// ---- The narrow drawing (phones) ------------------------------------------------------

/// A share chart with everything that takes room: a long title and subtitle, two series,
/// bands, the SIMULATED banner and many milestones with long labels.
fn crowded_share_chart(lang: Lang) -> ShareChart {
    let mut chart = share_chart();
    chart.simulated = true;
    let (title, label) = match lang {
        Lang::En => (
            "Links between platforms open directly: share of the observed checks over time, week by week",
            "Taobao and Tmall open WeChat Pay to all merchants after the regulator's guidance on interoperability",
        ),
        Lang::ZhCn => (
            "平台之间的链接可以直接打开：按周统计的已观察检查中开放的比例随时间的变化",
            "淘宝和天猫在监管部门发布互联互通指导意见之后向所有商家开放微信支付",
        ),
    };
    chart.title = title.into();
    chart.subtitle = format!("{title} ({title})");
    chart.source_line = format!("{label}; {label}");
    chart.milestones = (0..5)
        .map(|i| Marker {
            date: day(2021, 9, 2) + chrono::Days::new(6 * i),
            approximate: i == 2,
            label: label.into(),
        })
        .collect();
    chart.bands = Some(Bands {
        points: chart.series[0]
            .points
            .iter()
            .map(|p| BandPoint {
                date: p.date,
                stale: 0.2,
                unknown: 0.3,
            })
            .collect(),
        rest_label: "Not open".into(),
        stale_label: "Stale evidence (older than 180 days)".into(),
        unknown_label: "Unknown".into(),
    });
    chart
}

/// Ids of every element of a drawing.
fn ids(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter_map(|n| n.attribute("id").map(str::to_string))
        .collect()
}

/// What a phone needs of the narrow drawing: 360 units wide; no text smaller than 12
/// units (11 CSS px at 390 px, where the page scales it by about 0.95); every text, laid
/// out with the PNG's fonts, inside the image; no id shared with the wide drawing.
fn assert_fits_a_phone(narrow: &str, wide: &str) {
    let doc = parse(narrow);
    assert_accessible_and_closed_at(&doc, 360);
    for n in doc.descendants().filter(|n| n.has_tag_name("text")) {
        let size = n
            .ancestors()
            .find_map(|a| a.attribute("font-size"))
            .and_then(|s| s.parse::<f64>().ok())
            .expect("a font size");
        assert!(size >= 12.0, "{size}-unit text {:?}", n.text());
    }
    let narrow_ids = ids(&doc);
    let wide_ids = ids(&parse(wide));
    assert!(!narrow_ids.is_empty());
    for id in &narrow_ids {
        assert!(!wide_ids.contains(id), "id {id} in both drawings");
    }
    let tree = raster::tree(narrow).expect("usvg reads it");
    let (w, h) = (tree.size().width(), tree.size().height());
    assert_eq!(w, 360.0);
    let mut texts = 0;
    let mut stack = vec![tree.root()];
    while let Some(group) = stack.pop() {
        for node in group.children() {
            match node {
                resvg::usvg::Node::Group(g) => stack.push(g.as_ref()),
                resvg::usvg::Node::Text(t) => {
                    texts += 1;
                    let b = t.abs_bounding_box();
                    assert!(
                        b.left() >= 0.0 && b.right() <= w && b.top() >= 0.0 && b.bottom() <= h,
                        "text {:?} at {b:?} outside the {w}×{h} image",
                        t.chunks().iter().map(|c| c.text()).collect::<String>()
                    );
                }
                _ => {}
            }
        }
    }
    let drawn = doc.descendants().filter(|n| n.has_tag_name("text")).count();
    assert_eq!(texts, drawn, "texts laid out: fonts missing?");
}

#[test]
fn narrow_share_chart_fits_a_phone_in_both_languages() {
    for lang in Lang::ALL {
        let chart = crowded_share_chart(lang);
        let narrow = share::render_narrow(&chart, lang);
        assert_fits_a_phone(&narrow, &share::render(&chart, lang));
        let doc = parse(&narrow);
        assert_eq!(
            doc.root_element().attribute("id"),
            Some("chart-test-narrow")
        );
        // Nothing said on the wide image is lost: the title, wrapped, the banner, the bands'
        // names, every milestone and the source.
        let all = texts(&doc).join(" ");
        let words = |s: &str| s.split_whitespace().collect::<String>();
        assert!(words(&all).contains(&words(&chart.title)), "{all}");
        assert!(all.contains(&lang.t("charts-simulated-banner")), "{all}");
        for band in ["Not open", "Unknown"] {
            assert!(all.contains(band), "{band} in {all}");
        }
        for n in 1..=5 {
            let approx = if n == 3 { "≈" } else { "" };
            assert!(
                all.contains(&format!("{n}  {approx}2021-09")),
                "milestone {n} in {all}"
            );
        }
        assert!(all.contains("≈2021-09-14"), "{all}");
        assert_eq!(child_text(&doc, "desc"), share::describe(&chart, lang));
        // The bands are filled with the narrow drawing's own patterns.
        let fills: Vec<&str> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("band"))
            .filter_map(|g| g.children().find_map(|n| n.attribute("fill")))
            .collect();
        assert_eq!(
            fills,
            [
                "url(#chart-test-narrow-pat-u)",
                "url(#chart-test-narrow-pat-stale)"
            ]
        );
    }
    // With no data at all it still fits and says so.
    let mut empty = share_chart();
    empty.series.clear();
    assert_fits_a_phone(
        &share::render_narrow(&empty, Lang::ZhCn),
        &share::render(&empty, Lang::ZhCn),
    );
}

#[test]
fn narrow_step_chart_fits_a_phone_in_both_languages() {
    for lang in Lang::ALL {
        let mut chart = step_chart(true);
        if lang == Lang::ZhCn {
            chart.title = "微信 × 淘宝：链接分享的状态随时间的变化，从第一次观察到今天".into();
            chart.ladder[1].1 = "提示风险后可以打开".into();
        }
        let narrow = steps::render_narrow(&chart, lang);
        assert_fits_a_phone(&narrow, &steps::render(&chart, lang));
        let doc = parse(&narrow);
        let all = texts(&doc);
        for (_, label) in &chart.ladder {
            assert!(all.contains(label), "{label} in {all:?}");
        }
        assert!(all.contains(&chart.unknown_label));
        let segments: Vec<_> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("segment"))
            .collect();
        assert_eq!(segments.len(), 2);
        assert_eq!(
            segments[0]
                .children()
                .find(|n| n.has_tag_name("rect"))
                .and_then(|n| n.attribute("fill")),
            Some("url(#chart-steps-narrow-pat-2)")
        );
        // Each row is named just above its bar: the bars carry no second copy of the name
        // (the wide drawing, whose names are left of the plot, keeps it on a long bar).
        for segment in &segments {
            assert!(
                !segment.children().any(|n| n.has_tag_name("text")),
                "words on a narrow bar: {narrow}"
            );
        }
        let wide = steps::render(&chart, lang);
        let wide_doc = parse(&wide);
        assert!(
            wide_doc
                .descendants()
                .filter(|n| n.attribute("class") == Some("segment"))
                .any(|g| g.children().any(|n| n.has_tag_name("text"))),
            "the wide drawing names a long bar on it: {wide}"
        );
        assert_eq!(child_text(&doc, "desc"), steps::describe(&chart, lang));
    }
}

#[test]
fn chinese_descriptions_join_their_parts_with_a_full_width_semicolon() {
    let chart = step_chart(true);
    assert!(chart.lines[0].segments.len() > 1, "needs two parts to join");
    let zh = steps::describe(&chart, Lang::ZhCn);
    assert!(zh.contains('；') && !zh.contains("; "), "{zh}");
    let en = steps::describe(&chart, Lang::En);
    assert!(en.contains("; ") && !en.contains('；'), "{en}");
}

/// Milestones days apart: every numbered tag stands clear of every other (none drawn over
/// another, however many crowd), on the wide and the narrow drawing.
#[test]
fn crowded_milestone_tags_never_cover_each_other() {
    let mut chart = share_chart();
    chart.milestones = (0..8)
        .map(|i| Marker {
            date: day(2021, 9, 10) + chrono::Days::new(i),
            approximate: false,
            label: format!("milestone {i}"),
        })
        .collect();
    // Two years of data: a day is a fraction of a tag's width.
    for series in &mut chart.series {
        series.points.push(SharePoint {
            date: day(2023, 9, 1),
            value: Some(0.5),
        });
    }
    for svg in [
        share::render(&chart, Lang::En),
        share::render_narrow(&chart, Lang::En),
    ] {
        let doc = parse(&svg);
        let tags: Vec<(f64, f64, f64)> = doc
            .descendants()
            .filter(|n| n.has_tag_name("circle") && n.attribute("fill") == Some("#ffffff"))
            .map(|n| {
                let f = |a: &str| n.attribute(a).and_then(|v| v.parse().ok()).unwrap();
                (f("cx"), f("cy"), f("r"))
            })
            .collect();
        assert_eq!(tags.len(), 8, "{svg}");
        for (i, a) in tags.iter().enumerate() {
            for b in &tags[i + 1..] {
                let apart = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
                assert!(apart >= a.2 + b.2, "tags {a:?} and {b:?} overlap");
            }
        }
    }
}

/// Two sources that disagree: a row each, named; each status told by its pattern, its
/// words and the legend; a stale word drawn as an empty dashed bar saying so, never as its
/// status; the phone's drawing shows the same and fits.
#[test]
fn sources_that_disagree_are_drawn_a_row_each_and_a_stale_word_as_no_current_word() {
    let mut chart = step_chart(false);
    chart.lines.push(StepLine {
        name: "财联社, 28 Sep 2021".into(),
        segments: vec![
            Segment {
                from: noon(2021, 7, 10),
                to: noon(2021, 8, 1),
                status: "blocked".into(),
                stale: false,
            },
            Segment {
                from: noon(2021, 8, 1),
                to: noon(2021, 12, 31),
                status: "blocked".into(),
                stale: true,
            },
        ],
    });
    for lang in Lang::ALL {
        let wide = steps::render(&chart, lang);
        let narrow = steps::render_narrow(&chart, lang);
        assert_fits_a_phone(&narrow, &wide);
        for svg in [&wide, &narrow] {
            let doc = parse(svg);
            let sources: Vec<(&str, Vec<(&str, &str)>)> = doc
                .descendants()
                .filter(|n| n.attribute("class") == Some("source"))
                .map(|g| {
                    let segments = g
                        .descendants()
                        .filter(|n| n.attribute("class") == Some("segment"))
                        .map(|s| {
                            (
                                s.attribute("data-status").unwrap(),
                                s.attribute("data-stale").unwrap(),
                            )
                        })
                        .collect();
                    (g.attribute("data-source").unwrap(), segments)
                })
                .collect();
            assert_eq!(
                sources,
                [
                    (
                        "cnBeta, 17 Oct 2021",
                        vec![("token_only", "false"), ("warned", "false")]
                    ),
                    (
                        "财联社, 28 Sep 2021",
                        vec![("blocked", "false"), ("blocked", "true")]
                    ),
                ],
                "{lang:?}"
            );
            let all = texts(&doc);
            // Each row is named; the legend names every status of the ladder and unknown.
            for name in ["cnBeta, 17 Oct 2021", "财联社, 28 Sep 2021"] {
                assert!(all.iter().any(|t| t == name), "{name} in {all:?}");
            }
            for (_, label) in &chart.ladder {
                assert!(all.contains(label), "{label} in {all:?}");
            }
            // The stale bar: an outline, no pattern, saying there is no current word.
            let stale = doc
                .descendants()
                .find(|n| n.attribute("data-stale") == Some("true"))
                .unwrap();
            let rect = stale.children().find(|n| n.has_tag_name("rect")).unwrap();
            assert_eq!(rect.attribute("fill"), Some("#ffffff"));
            assert!(rect.attribute("stroke-dasharray").is_some());
            let said = lang.t_args("charts-steps-stale", &[("status", "Blocked".into())]);
            let words: String = stale
                .descendants()
                .filter(|n| n.has_tag_name("text"))
                .filter_map(|n| n.text())
                .collect();
            assert_eq!(words, said, "{lang:?}");
            assert_eq!(child_text(&doc, "desc"), steps::describe(&chart, lang));
        }
        let desc = steps::describe(&chart, lang);
        assert!(desc.contains("财联社") && desc.contains("cnBeta"), "{desc}");
    }
}
