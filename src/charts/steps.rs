//! Chart (b): one check's status over time as steps. The kind's ladder runs down the y
//! axis (most open on top, unknown at the bottom); each stretch of time is a bar in its
//! status's row, coloured by openness AND filled with that rung's pattern, with the status
//! in words when the bar is wide enough: it reads in greyscale and without colour.

use super::axis::TimeAxis;
use super::share::{
    NARROW_LINE, NARROW_MARGIN, NARROW_SMALL, NARROW_TEXT, NARROW_TITLE, NARROW_WIDTH, WIDTH,
    narrow_heading, simulated_banner,
};
use super::svg::{
    self, GRID, INK, Layout, MUTED, Svg, escape, num, pattern_id, shorten, tone, tone_colours,
};
use crate::time;
use chrono::{DateTime, Utc};
use hutong_app::i18n::Lang;

/// Everything chart (b) draws; texts arrive in the reader's language.
#[derive(Debug, Clone, PartialEq)]
pub struct StepChart {
    /// Unique among the charts of one page (lowercase letters, digits, `-`).
    pub id: String,
    pub title: String,
    pub subtitle: String,
    /// The ladder, most open first: (status id, label). `unknown` is added below it.
    pub ladder: Vec<(String, String)>,
    pub unknown_label: String,
    /// Oldest first, not overlapping.
    pub segments: Vec<Segment>,
    /// The time axis: from the first change to the as-of instant.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub source_line: String,
    pub date_line: String,
    /// Prints a SIMULATED banner on the image.
    pub simulated: bool,
}

/// A stretch of time in one status.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub status: String,
}

const LEFT: f64 = 210.0;
const RIGHT: f64 = 770.0;
const TOP: f64 = 70.0;
const ROW: f64 = 34.0;

/// The row of a status: its place on the ladder, unknown (or anything off the ladder) last.
fn row_of(chart: &StepChart, status: &str) -> usize {
    chart
        .ladder
        .iter()
        .position(|(id, _)| id == status)
        .unwrap_or(chart.ladder.len())
}

fn label_of(chart: &StepChart, status: &str) -> String {
    chart
        .ladder
        .iter()
        .find(|(id, _)| id == status)
        .map_or_else(|| chart.unknown_label.clone(), |(_, l)| l.clone())
}

fn day(t: DateTime<Utc>) -> String {
    time::shanghai_day(t).to_string()
}

pub fn describe(chart: &StepChart, lang: Lang) -> String {
    if chart.segments.is_empty() {
        return lang.t("charts-steps-desc-empty");
    }
    let parts: Vec<String> = chart
        .segments
        .iter()
        .map(|s| {
            lang.t_args(
                "charts-steps-desc-segment",
                &[
                    ("status", label_of(chart, &s.status).into()),
                    ("from", day(s.from).into()),
                    ("to", day(s.to).into()),
                ],
            )
        })
        .collect();
    lang.t_args(
        "charts-steps-desc",
        &[
            ("count", chart.segments.len().into()),
            ("list", parts.join(lang.semicolon()).into()),
        ],
    )
}

/// The chart as a standalone SVG document: the wide drawing (pages from tablets up,
/// downloads, PNGs).
pub fn render(chart: &StepChart, lang: Lang) -> String {
    draw(chart, lang, Layout::Wide)
}

/// The narrow drawing for phones: each status's name above its row, the rows across the
/// whole width, fewer ticks, long texts wrapped, larger type.
pub fn render_narrow(chart: &StepChart, lang: Lang) -> String {
    draw(chart, lang, Layout::Narrow)
}

/// Where the parts of a step chart go in one layout.
struct Frame {
    id: String,
    width: f64,
    left: f64,
    right: f64,
    top: f64,
    row: f64,
    /// The bar of a row: its top below the row's top, and its height.
    bar_top: f64,
    bar: f64,
    /// A row's swatch (its top below the row's top) and name (x, baseline below the row's top).
    swatch_top: f64,
    label: (f64, f64),
    small: f64,
    ticks: usize,
}

fn draw(chart: &StepChart, lang: Lang, layout: Layout) -> String {
    let rows = chart.ladder.len() + 1;
    let title = if chart.simulated {
        format!("{} ({})", chart.title, lang.t("charts-simulated"))
    } else {
        chart.title.clone()
    };
    let title_lines = svg::wrap_at_most(&chart.title, NARROW_TEXT, NARROW_TITLE, 5);
    let subtitle_lines = svg::wrap_at_most(&chart.subtitle, NARROW_TEXT, NARROW_SMALL, 3);
    let mut footer_lines = svg::wrap_at_most(&chart.source_line, NARROW_TEXT, NARROW_SMALL, 3);
    footer_lines.extend(svg::wrap_at_most(
        &chart.date_line,
        NARROW_TEXT,
        NARROW_SMALL,
        2,
    ));
    let frame = match layout {
        Layout::Wide => Frame {
            id: chart.id.clone(),
            width: WIDTH,
            left: LEFT,
            right: RIGHT,
            top: TOP,
            row: ROW,
            bar_top: 5.0,
            bar: ROW - 10.0,
            swatch_top: 10.0,
            label: (38.0, 22.0),
            small: 11.0,
            ticks: 8,
        },
        Layout::Narrow => {
            let mut top = 24.0 + 20.0 * (title_lines.len().max(1) - 1) as f64;
            if chart.simulated {
                top += 34.0;
            }
            top += 18.0 + NARROW_LINE * (subtitle_lines.len().max(1) - 1) as f64 + 14.0;
            Frame {
                id: layout.svg_id(&chart.id),
                width: NARROW_WIDTH,
                left: NARROW_MARGIN,
                right: NARROW_WIDTH - NARROW_MARGIN,
                top,
                row: 46.0,
                bar_top: 20.0,
                bar: 22.0,
                swatch_top: 3.0,
                label: (NARROW_MARGIN + 22.0, 15.0),
                small: NARROW_SMALL,
                ticks: 4,
            }
        }
    };
    let bottom = frame.top + frame.row * rows as f64;
    let height = match layout {
        Layout::Wide => bottom + 80.0,
        Layout::Narrow => bottom + 40.0 + NARROW_LINE * footer_lines.len() as f64,
    };
    let mut s = Svg::new(
        &frame.id,
        frame.width,
        height,
        &title,
        &describe(chart, lang),
        lang.code(),
    );
    s.raw(&format!("<defs>{}</defs>", svg::tone_patterns(&frame.id)));
    match layout {
        Layout::Wide => {
            s.text(
                16.0,
                28.0,
                r#"font-size="17" font-weight="bold""#,
                &shorten(&chart.title, 70),
            );
            s.text(
                16.0,
                48.0,
                &format!(r#"fill="{MUTED}""#),
                &shorten(&chart.subtitle, 120),
            );
            if chart.simulated {
                simulated_banner(&mut s, lang);
            }
        }
        Layout::Narrow => {
            narrow_heading(&mut s, &title_lines, &subtitle_lines, chart.simulated, lang);
        }
    }
    let small = num(frame.small);

    // Rows: a swatch of the rung's pattern and its name (left of the plot in the wide
    // drawing, above the row in the narrow one), then a band across the plot.
    let rungs = chart.ladder.len();
    for row in 0..rows {
        let y = frame.top + frame.row * row as f64;
        let rung = (row < rungs).then_some(row);
        let t = tone(rung, rungs);
        let (ink, _) = tone_colours(t);
        let label = chart
            .ladder
            .get(row)
            .map_or(chart.unknown_label.as_str(), |(_, l)| l.as_str());
        s.rect(
            16.0_f64.min(frame.left),
            y + frame.swatch_top,
            16.0,
            14.0,
            &format!(
                r#"fill="url(#{})" stroke="{ink}""#,
                pattern_id(&frame.id, t)
            ),
        );
        match layout {
            Layout::Wide => s.text(frame.label.0, y + frame.label.1, "", &shorten(label, 24)),
            Layout::Narrow => s.text(
                frame.label.0,
                y + frame.label.1,
                &format!(r#"font-size="{small}""#),
                &shorten(label, 40),
            ),
        }
        s.line(
            frame.left,
            y + frame.row,
            frame.right,
            y + frame.row,
            &format!(r#"stroke="{GRID}""#),
        );
    }
    s.line(
        frame.left,
        frame.top,
        frame.left,
        bottom,
        &format!(r#"stroke="{INK}""#),
    );

    let axis = TimeAxis::new(chart.start, chart.end, frame.left, frame.right);
    for (d, label) in axis.ticks(frame.ticks) {
        let x = axis.x_day(d);
        s.line(x, bottom, x, bottom + 5.0, &format!(r#"stroke="{MUTED}""#));
        s.text(
            x,
            bottom + 18.0,
            &format!(r#"text-anchor="middle" fill="{MUTED}" font-size="{small}""#),
            &label,
        );
    }
    s.line(
        frame.left,
        bottom,
        frame.right,
        bottom,
        &format!(r#"stroke="{INK}""#),
    );

    if chart.segments.is_empty() {
        s.text(
            (frame.left + frame.right) / 2.0,
            (frame.top + bottom) / 2.0,
            &format!(r#"text-anchor="middle" fill="{MUTED}" font-size="14""#),
            &lang.t("charts-steps-none"),
        );
    }
    let bar_middle = frame.bar_top + frame.bar / 2.0;
    let mut previous: Option<(f64, usize)> = None;
    for seg in &chart.segments {
        let row = row_of(chart, &seg.status);
        let rung = (row < rungs).then_some(row);
        let t = tone(rung, rungs);
        let (ink, _) = tone_colours(t);
        let x0 = axis.x(seg.from);
        let x1 = axis.x(seg.to).max(x0 + 2.0);
        let y = frame.top + frame.row * row as f64;
        // The change: a line from the previous status's row to this one.
        if let Some((px, prow)) = previous
            && prow != row
        {
            let (a, b) = (
                frame.top + frame.row * prow as f64 + bar_middle,
                y + bar_middle,
            );
            s.line(
                px,
                a,
                px,
                b,
                &format!(r#"stroke="{INK}" stroke-width="1.5""#),
            );
        }
        previous = Some((x1, row));
        let label = label_of(chart, &seg.status);
        s.open_group(
            "segment",
            &[
                ("status", &seg.status),
                ("from", &seg.from.to_rfc3339()),
                ("to", &seg.to.to_rfc3339()),
            ],
        );
        s.raw(&format!(
            "<title>{}</title>",
            escape(&format!("{label}: {} – {}", day(seg.from), day(seg.to)))
        ));
        s.rect(
            x0,
            y + frame.bar_top,
            x1 - x0,
            frame.bar,
            &format!(
                r#"fill="url(#{})" stroke="{ink}" stroke-width="1.5""#,
                pattern_id(&frame.id, t)
            ),
        );
        // The status in words, haloed in white so the pattern does not hide it; in the
        // wide drawing only, where the row's name is left of the plot: the narrow one names
        // each row just above its bar, and the same words on the bar crowded it.
        let width_needed = 7.0 * label.chars().count() as f64 + 10.0;
        if layout == Layout::Wide && x1 - x0 >= width_needed {
            s.text(
                x0 + 5.0,
                y + bar_middle + 4.0,
                &format!(
                    r##"font-size="{small}" font-weight="bold" fill="{INK}" stroke="#ffffff" stroke-width="3" paint-order="stroke""##
                ),
                &label,
            );
        }
        s.close_group();
    }

    let attrs = format!(r#"fill="{MUTED}" font-size="{small}""#);
    match layout {
        Layout::Wide => {
            s.text(
                16.0,
                height - 26.0,
                &attrs,
                &shorten(&chart.source_line, 130),
            );
            s.text(16.0, height - 10.0, &attrs, &shorten(&chart.date_line, 130));
        }
        Layout::Narrow => {
            let n = footer_lines.len();
            for (i, line) in footer_lines.iter().enumerate() {
                let y = height - 10.0 - NARROW_LINE * (n - 1 - i) as f64;
                s.text(NARROW_MARGIN, y, &attrs, line);
            }
        }
    }
    s.finish()
}
