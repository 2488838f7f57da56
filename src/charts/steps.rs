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
    /// One line per source, in the order drawn. One line is drawn on the ladder (a row per
    /// status, a step at each change); several are drawn a row per source, each stretch's
    /// status told by its tone, its pattern and its words, so that sources that disagree are
    /// seen side by side instead of one hiding the other.
    pub lines: Vec<StepLine>,
    /// The time axis: from the first change to the as-of instant.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub source_line: String,
    pub date_line: String,
    /// Prints a SIMULATED banner on the image.
    pub simulated: bool,
}

/// One source's status over time.
#[derive(Debug, Clone, PartialEq)]
pub struct StepLine {
    /// The source, as readers know it (publisher and date, or the vantage point).
    pub name: String,
    /// Oldest first, not overlapping.
    pub segments: Vec<Segment>,
}

/// A stretch of time in one status.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub status: String,
    /// The source's last word had gone stale: nothing it said was current any more. Drawn
    /// as an empty dashed bar, never as the status itself.
    pub stale: bool,
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

/// What a segment says in words: its status, or that the source's last word (its status)
/// was no longer current.
pub fn segment_words(chart: &StepChart, segment: &Segment, lang: Lang) -> String {
    let label = label_of(chart, &segment.status);
    if segment.stale {
        lang.t_args("charts-steps-stale", &[("status", label.into())])
    } else {
        label
    }
}

fn describe_segments(chart: &StepChart, segments: &[Segment], lang: Lang) -> String {
    let parts: Vec<String> = segments
        .iter()
        .map(|s| {
            lang.t_args(
                "charts-steps-desc-segment",
                &[
                    ("status", segment_words(chart, s, lang).into()),
                    ("from", day(s.from).into()),
                    ("to", day(s.to).into()),
                ],
            )
        })
        .collect();
    lang.t_args(
        "charts-steps-desc",
        &[
            ("count", segments.len().into()),
            ("list", parts.join(lang.semicolon()).into()),
        ],
    )
}

pub fn describe(chart: &StepChart, lang: Lang) -> String {
    match chart.lines.as_slice() {
        [] => lang.t("charts-steps-desc-empty"),
        [line] => describe_segments(chart, &line.segments, lang),
        lines => lines
            .iter()
            .map(|l| {
                lang.t_args(
                    "charts-steps-desc-source",
                    &[
                        ("source", l.name.clone().into()),
                        (
                            "periods",
                            describe_segments(chart, &l.segments, lang).into(),
                        ),
                    ],
                )
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The chart as a standalone SVG document: the wide drawing (pages from tablets up,
/// downloads, PNGs).
pub fn render(chart: &StepChart, lang: Lang) -> String {
    draw(chart, lang, Layout::Wide)
}

/// The narrow drawing for phones: each row's name above it, the rows across the whole
/// width, fewer ticks, long texts wrapped, larger type.
pub fn render_narrow(chart: &StepChart, lang: Lang) -> String {
    draw(chart, lang, Layout::Narrow)
}

/// Where the parts of a step chart go in one layout.
struct Frame {
    id: String,
    layout: Layout,
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

impl Frame {
    fn row_top(&self, row: usize) -> f64 {
        self.top + self.row * row as f64
    }
}

/// The legend of a chart drawn a row per source: each status's swatch and name, flowing
/// onto as many lines as the width needs. Returns the swatches' places (x, line) and the
/// number of lines.
fn legend_places(
    entries: &[String],
    left: f64,
    right: f64,
    size: f64,
) -> (Vec<(f64, usize)>, usize) {
    let latin = 0.6 * size;
    let mut places = Vec::with_capacity(entries.len());
    let (mut x, mut line) = (left, 0);
    for words in entries {
        let w = 18.0 + super::share::text_width(words, latin);
        if x > left && x + w > right {
            x = left;
            line += 1;
        }
        places.push((x, line));
        x += w + 14.0;
    }
    (places, line + 1)
}

const LEGEND_LINE: f64 = 18.0;

fn draw(chart: &StepChart, lang: Lang, layout: Layout) -> String {
    let by_source = chart.lines.len() > 1;
    let rungs = chart.ladder.len();
    let rows = if by_source {
        chart.lines.len()
    } else {
        rungs + 1
    };
    let title = if chart.simulated {
        format!("{} ({})", chart.title, lang.t("charts-simulated"))
    } else {
        chart.title.clone()
    };
    let title_lines = svg::wrap_at_most(&chart.title, NARROW_TEXT, NARROW_TITLE, 5);
    let subtitle_lines = svg::wrap_at_most(&chart.subtitle, NARROW_TEXT, NARROW_SMALL, 4);
    let mut footer_lines = svg::wrap_at_most(&chart.source_line, NARROW_TEXT, NARROW_SMALL, 3);
    footer_lines.extend(svg::wrap_at_most(
        &chart.date_line,
        NARROW_TEXT,
        NARROW_SMALL,
        2,
    ));
    // The statuses' legend, drawn above the rows when the rows are sources.
    let mut legend: Vec<String> = chart.ladder.iter().map(|(_, l)| l.clone()).collect();
    legend.push(chart.unknown_label.clone());
    let mut frame = match layout {
        Layout::Wide => Frame {
            id: chart.id.clone(),
            layout,
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
                layout,
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
    let legend_left = match layout {
        Layout::Wide => 16.0,
        Layout::Narrow => NARROW_MARGIN,
    };
    let (legend_at, legend_lines) =
        legend_places(&legend, legend_left, frame.width - 16.0, frame.small);
    let legend_top = frame.top - 6.0;
    if by_source {
        frame.top += LEGEND_LINE * legend_lines as f64 + 6.0;
        if layout == Layout::Narrow {
            // A source's name above its bar: no swatch beside it.
            frame.label = (NARROW_MARGIN, 15.0);
        } else {
            frame.label = (16.0, 22.0);
        }
    }
    let bottom = frame.row_top(rows);
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

    if by_source {
        // The legend: each status's swatch and name.
        s.open_group("legend", &[]);
        for (i, (words, (x, line))) in legend.iter().zip(&legend_at).enumerate() {
            let rung = (i < rungs).then_some(i);
            let t = tone(rung, rungs);
            let (ink, _) = tone_colours(t);
            let y = legend_top + LEGEND_LINE * *line as f64;
            s.rect(
                *x,
                y,
                14.0,
                12.0,
                &format!(
                    r#"fill="url(#{})" stroke="{ink}""#,
                    pattern_id(&frame.id, t)
                ),
            );
            s.text(
                x + 18.0,
                y + 10.5,
                &format!(r#"font-size="{small}""#),
                words,
            );
        }
        s.close_group();
    }

    // Rows: on the ladder, a swatch of the rung's pattern and its name; by source, the
    // source's name (left of the plot in the wide drawing, above the row in the narrow
    // one), then a band across the plot.
    for row in 0..rows {
        let y = frame.row_top(row);
        if by_source {
            let name = &chart.lines[row].name;
            match layout {
                Layout::Wide => s.text(frame.label.0, y + frame.label.1, "", &shorten(name, 26)),
                Layout::Narrow => s.text(
                    frame.label.0,
                    y + frame.label.1,
                    &format!(r#"font-size="{small}" font-weight="bold""#),
                    &shorten(name, 44),
                ),
            }
        } else {
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
    for (t, label) in axis.ticks(frame.ticks) {
        let x = axis.x(t);
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

    if chart.lines.is_empty() {
        s.text(
            (frame.left + frame.right) / 2.0,
            (frame.top + bottom) / 2.0,
            &format!(r#"text-anchor="middle" fill="{MUTED}" font-size="14""#),
            &lang.t("charts-steps-none"),
        );
    }
    for (n, line) in chart.lines.iter().enumerate() {
        if by_source {
            s.open_group("source", &[("source", &line.name)]);
        }
        draw_line(
            &mut s,
            chart,
            line,
            (by_source).then_some(n),
            &frame,
            &axis,
            lang,
        );
        if by_source {
            s.close_group();
        }
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

/// One source's bars: on the ladder (`row` none), each in its status's row with a step
/// between rows at each change; by source, all in the source's own `row`.
fn draw_line(
    s: &mut Svg,
    chart: &StepChart,
    line: &StepLine,
    row: Option<usize>,
    frame: &Frame,
    axis: &TimeAxis,
    lang: Lang,
) {
    let rungs = chart.ladder.len();
    let small = num(frame.small);
    let bar_middle = frame.bar_top + frame.bar / 2.0;
    let mut previous: Option<(f64, usize)> = None;
    for seg in &line.segments {
        let status_row = row_of(chart, &seg.status);
        let rung = (status_row < rungs).then_some(status_row);
        let t = tone(rung, rungs);
        let (ink, _) = tone_colours(t);
        let x0 = axis.x(seg.from);
        let x1 = axis.x(seg.to).max(x0 + 2.0);
        let drawn_row = row.unwrap_or(status_row);
        let y = frame.row_top(drawn_row);
        // On the ladder, the change: a line from the previous status's row to this one.
        if let Some((px, prow)) = previous
            && prow != drawn_row
        {
            let (a, b) = (frame.row_top(prow) + bar_middle, y + bar_middle);
            s.line(
                px,
                a,
                px,
                b,
                &format!(r#"stroke="{INK}" stroke-width="1.5""#),
            );
        }
        previous = Some((x1, drawn_row));
        let words = segment_words(chart, seg, lang);
        let stale = if seg.stale { "true" } else { "false" };
        s.open_group(
            "segment",
            &[
                ("status", &seg.status),
                ("stale", stale),
                ("from", &seg.from.to_rfc3339()),
                ("to", &seg.to.to_rfc3339()),
            ],
        );
        s.raw(&format!(
            "<title>{}</title>",
            escape(&format!("{words}: {} – {}", day(seg.from), day(seg.to)))
        ));
        let fill = if seg.stale {
            // Nothing current: an outline only, dashed, in the last status's ink.
            format!(r##"fill="#ffffff" stroke="{ink}" stroke-width="1.5" stroke-dasharray="5 4""##)
        } else {
            format!(
                r#"fill="url(#{})" stroke="{ink}" stroke-width="1.5""#,
                pattern_id(&frame.id, t)
            )
        };
        s.rect(x0, y + frame.bar_top, x1 - x0, frame.bar, &fill);
        // The status in words, haloed in white so the pattern does not hide it. On the
        // ladder, in the wide drawing only, where the row's name is left of the plot: the
        // narrow one names each row just above its bar, and the same words on the bar
        // crowded it. By source, the bar's words are the only words for its status.
        let width_needed = super::share::text_width(&words, 7.0) + 10.0;
        let words_fit = x1 - x0 >= width_needed;
        if words_fit && (row.is_some() || frame.layout == Layout::Wide) {
            s.text(
                x0 + 5.0,
                y + bar_middle + 4.0,
                &format!(
                    r##"font-size="{small}" font-weight="bold" fill="{INK}" stroke="#ffffff" stroke-width="3" paint-order="stroke""##
                ),
                &words,
            );
        }
        s.close_group();
    }
}
