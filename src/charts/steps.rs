//! Chart (b): one check's status over time as steps. The kind's ladder runs down the y
//! axis (most open on top, unknown at the bottom); each stretch of time is a bar in its
//! status's row, coloured by openness AND filled with that rung's pattern, with the status
//! in words when the bar is wide enough: it reads in greyscale and without colour.

use super::axis::TimeAxis;
use super::share::{WIDTH, simulated_banner};
use super::svg::{self, GRID, INK, MUTED, Svg, escape, pattern_id, shorten, tone, tone_colours};
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
            ("list", parts.join("; ").into()),
        ],
    )
}

pub fn render(chart: &StepChart, lang: Lang) -> String {
    let rows = chart.ladder.len() + 1;
    let bottom = TOP + ROW * rows as f64;
    let height = bottom + 80.0;
    let title = if chart.simulated {
        format!("{} ({})", chart.title, lang.t("charts-simulated"))
    } else {
        chart.title.clone()
    };
    let mut s = Svg::new(
        &chart.id,
        WIDTH,
        height,
        &title,
        &describe(chart, lang),
        lang.code(),
    );
    s.raw(&format!("<defs>{}</defs>", svg::tone_patterns(&chart.id)));
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

    // Rows: a swatch of the rung's pattern and its name, then a band across the plot.
    let rungs = chart.ladder.len();
    for row in 0..rows {
        let y = TOP + ROW * row as f64;
        let rung = (row < rungs).then_some(row);
        let t = tone(rung, rungs);
        let (ink, _) = tone_colours(t);
        let label = chart
            .ladder
            .get(row)
            .map_or(chart.unknown_label.as_str(), |(_, l)| l.as_str());
        s.rect(
            16.0,
            y + 10.0,
            16.0,
            14.0,
            &format!(
                r#"fill="url(#{})" stroke="{ink}""#,
                pattern_id(&chart.id, t)
            ),
        );
        s.text(38.0, y + 22.0, "", &shorten(label, 24));
        s.line(
            LEFT,
            y + ROW,
            RIGHT,
            y + ROW,
            &format!(r#"stroke="{GRID}""#),
        );
    }
    s.line(LEFT, TOP, LEFT, bottom, &format!(r#"stroke="{INK}""#));

    let axis = TimeAxis::new(chart.start, chart.end, LEFT, RIGHT);
    for (d, label) in axis.ticks(8) {
        let x = axis.x_day(d);
        s.line(x, bottom, x, bottom + 5.0, &format!(r#"stroke="{MUTED}""#));
        s.text(
            x,
            bottom + 18.0,
            &format!(r#"text-anchor="middle" fill="{MUTED}" font-size="11""#),
            &label,
        );
    }
    s.line(LEFT, bottom, RIGHT, bottom, &format!(r#"stroke="{INK}""#));

    if chart.segments.is_empty() {
        s.text(
            (LEFT + RIGHT) / 2.0,
            (TOP + bottom) / 2.0,
            &format!(r#"text-anchor="middle" fill="{MUTED}" font-size="14""#),
            &lang.t("charts-steps-none"),
        );
    }
    let mut previous: Option<(f64, usize)> = None;
    for seg in &chart.segments {
        let row = row_of(chart, &seg.status);
        let rung = (row < rungs).then_some(row);
        let t = tone(rung, rungs);
        let (ink, _) = tone_colours(t);
        let x0 = axis.x(seg.from);
        let x1 = axis.x(seg.to).max(x0 + 2.0);
        let y = TOP + ROW * row as f64;
        // The change: a line from the previous status's row to this one.
        if let Some((px, prow)) = previous
            && prow != row
        {
            let (a, b) = (TOP + ROW * prow as f64 + ROW / 2.0, y + ROW / 2.0);
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
            y + 5.0,
            x1 - x0,
            ROW - 10.0,
            &format!(
                r#"fill="url(#{})" stroke="{ink}" stroke-width="1.5""#,
                pattern_id(&chart.id, t)
            ),
        );
        // The status in words, haloed in white so the pattern does not hide it.
        let width_needed = 7.0 * label.chars().count() as f64 + 10.0;
        if x1 - x0 >= width_needed {
            s.text(
                x0 + 5.0,
                y + ROW / 2.0 + 4.0,
                &format!(
                    r##"font-size="11" font-weight="bold" fill="{INK}" stroke="#ffffff" stroke-width="3" paint-order="stroke""##
                ),
                &label,
            );
        }
        s.close_group();
    }

    let attrs = format!(r#"fill="{MUTED}" font-size="11""#);
    s.text(
        16.0,
        height - 26.0,
        &attrs,
        &shorten(&chart.source_line, 130),
    );
    s.text(16.0, height - 10.0, &attrs, &shorten(&chart.date_line, 130));
    s.finish()
}
