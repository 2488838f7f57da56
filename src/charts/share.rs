//! Chart (a): a share (0 to 1) over time, one or two series, with dated milestones as
//! numbered vertical markers listed under the plot. Used for openness on the overview;
//! any "share of checks that … over time" (compliance with a requirement) can use it too.

use super::axis::TimeAxis;
use super::svg::{self, GRID, INK, Layout, MUTED, Svg, escape, num, shorten};
use crate::time::{self, SHANGHAI};
use chrono::NaiveDate;
use hutong_app::i18n::Lang;
use std::fmt::Write;

/// Everything chart (a) draws. Texts arrive already in the reader's language; the chart
/// adds only its fixed words (legend headings, "no data", the description's sentences).
#[derive(Debug, Clone, PartialEq)]
pub struct ShareChart {
    /// Unique among the charts of one page: element ids (`{id}-title` …) derive from it.
    /// Lowercase letters, digits and `-`.
    pub id: String,
    pub title: String,
    /// What the share is a share of, printed under the title.
    pub subtitle: String,
    /// One or two series; the first is drawn as a solid line over a shaded area, the
    /// second as a dashed line (they differ in greyscale too). More are ignored.
    pub series: Vec<ShareSeries>,
    /// Dated events; those outside the series' dates are left out.
    pub milestones: Vec<Marker>,
    /// Where the figures come from, printed at the foot of the image.
    pub source_line: String,
    /// The as-of date and when the image was made, printed under the source line.
    pub date_line: String,
    /// Prints a SIMULATED banner on the image.
    pub simulated: bool,
    /// What the first series is a share of, told apart at each of its dates: drawn as
    /// bands stacked from the top of the plot (unknown, then stale), so the line, the
    /// blank between it and the bands, and the bands add up to all the checks.
    pub bands: Option<Bands>,
}

/// The parts of the whole that are neither the series' share nor its complement: stale
/// evidence and unknown status, each a share (0 to 1) of all the checks at each date.
#[derive(Debug, Clone, PartialEq)]
pub struct Bands {
    /// Oldest first, at the first series' dates.
    pub points: Vec<BandPoint>,
    /// The legend's words for the blank between the line and the bands ("not open").
    pub rest_label: String,
    pub stale_label: String,
    pub unknown_label: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BandPoint {
    pub date: NaiveDate,
    pub stale: f64,
    pub unknown: f64,
}

/// A named series of (date, share) points, oldest first. `value` is 0.0 ..= 1.0, or `None`
/// where nothing was known (the line breaks there).
#[derive(Debug, Clone, PartialEq)]
pub struct ShareSeries {
    pub label: String,
    pub points: Vec<SharePoint>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SharePoint {
    pub date: NaiveDate,
    pub value: Option<f64>,
}

/// A milestone: a date and a short label (cut to fit the image). An approximate date
/// (the source gives only the month, say) is printed with `≈`.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub date: NaiveDate,
    pub approximate: bool,
    pub label: String,
}

impl Marker {
    /// `2021-09-09`, or `≈2021-07-01` when approximate.
    pub fn date_text(&self) -> String {
        if self.approximate {
            format!("≈{}", self.date)
        } else {
            self.date.to_string()
        }
    }
}

pub const WIDTH: f64 = 800.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 760.0;
const PLOT_TOP: f64 = 92.0;
const PLOT_BOTTOM: f64 = 332.0;
const LINE: f64 = 17.0;
/// Milestones listed under the plot; more are counted, not listed.
const MAX_MARKERS: usize = 14;
const SERIES_COLOURS: [&str; 2] = ["#1d4e6b", "#b5472f"];

/// "62%"
pub fn percent(v: f64) -> String {
    format!("{:.0}%", (v * 100.0).clamp(0.0, 100.0))
}

/// The milestones drawn: inside the dates of the series, oldest first, at most
/// [`MAX_MARKERS`]; and how many more there were.
fn shown_markers(chart: &ShareChart, first: NaiveDate, last: NaiveDate) -> (Vec<&Marker>, usize) {
    let mut inside: Vec<&Marker> = chart
        .milestones
        .iter()
        .filter(|m| m.date >= first && m.date <= last)
        .collect();
    inside.sort_by_key(|m| m.date);
    let more = inside.len().saturating_sub(MAX_MARKERS);
    inside.truncate(MAX_MARKERS);
    (inside, more)
}

/// The data in words, for `<desc>` (screen readers, and anyone who cannot see the image).
pub fn describe(chart: &ShareChart, lang: Lang) -> String {
    let series: Vec<&ShareSeries> = chart.series.iter().take(2).collect();
    let dates: Vec<NaiveDate> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.date))
        .collect();
    let (Some(first), Some(last)) = (dates.iter().min(), dates.iter().max()) else {
        return lang.t("charts-desc-empty");
    };
    let mut out = lang.t_args(
        "charts-desc-range",
        &[
            ("from", first.to_string().into()),
            ("to", last.to_string().into()),
        ],
    );
    for s in &series {
        let known: Vec<(NaiveDate, f64)> = s
            .points
            .iter()
            .filter_map(|p| p.value.map(|v| (p.date, v)))
            .collect();
        out.push(' ');
        let (Some(f), Some(l)) = (known.first(), known.last()) else {
            out.push_str(&lang.t_args(
                "charts-desc-series-empty",
                &[("label", s.label.clone().into())],
            ));
            continue;
        };
        let min = known.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or(f);
        let max = known.iter().max_by(|a, b| a.1.total_cmp(&b.1)).unwrap_or(f);
        out.push_str(&lang.t_args(
            "charts-desc-series",
            &[
                ("label", s.label.clone().into()),
                ("first", percent(f.1).into()),
                ("first_date", f.0.to_string().into()),
                ("last", percent(l.1).into()),
                ("last_date", l.0.to_string().into()),
                ("min", percent(min.1).into()),
                ("min_date", min.0.to_string().into()),
                ("max", percent(max.1).into()),
                ("max_date", max.0.to_string().into()),
            ],
        ));
    }
    if let Some(p) = chart.bands.as_ref().and_then(|b| b.points.last()) {
        out.push(' ');
        out.push_str(&lang.t_args(
            "charts-desc-bands",
            &[
                ("date", p.date.to_string().into()),
                ("stale", percent(p.stale).into()),
                ("unknown", percent(p.unknown).into()),
            ],
        ));
    }
    let (markers, _) = shown_markers(chart, *first, *last);
    if !markers.is_empty() {
        let list: Vec<String> = markers
            .iter()
            .map(|m| format!("{} {}", m.date_text(), m.label))
            .collect();
        out.push(' ');
        out.push_str(&lang.t_args(
            "charts-desc-milestones",
            &[
                ("count", markers.len().into()),
                ("list", list.join(lang.semicolon()).into()),
            ],
        ));
    }
    out
}

/// Where the parts of a share chart go in one layout.
struct Frame {
    layout: Layout,
    /// The SVG's id (the chart's id, suffixed in the narrow layout); pattern ids derive from it.
    id: String,
    width: f64,
    left: f64,
    right: f64,
    plot_top: f64,
    plot_bottom: f64,
    /// Font size of axis labels, values, tags and legends.
    small: f64,
    /// Radius of a milestone's numbered tag, and how close two tags may be before the second
    /// is moved down.
    tag: f64,
    /// At most this many ticks on the time axis.
    ticks: usize,
}

/// The narrow drawing: 360 units wide, texts from [`NARROW_MARGIN`] to `360 - NARROW_MARGIN`.
pub(super) const NARROW_WIDTH: f64 = 360.0;
pub(super) const NARROW_MARGIN: f64 = 14.0;
pub(super) const NARROW_TEXT: f64 = NARROW_WIDTH - 2.0 * NARROW_MARGIN;
/// Type of the narrow drawing: at 390 CSS pixels the drawing is scaled to about 0.95, so
/// 12-unit type shows at 11 pixels or more.
pub(super) const NARROW_SMALL: f64 = 12.0;
pub(super) const NARROW_TITLE: f64 = 16.0;
pub(super) const NARROW_LINE: f64 = 16.0;
const NARROW_PLOT_HEIGHT: f64 = 210.0;

/// The chart as a standalone SVG document (also valid inline in HTML): the wide drawing,
/// used by pages from tablets up, downloads and PNGs.
pub fn render(chart: &ShareChart, lang: Lang) -> String {
    draw(chart, lang, Layout::Wide)
}

/// The narrow drawing for phones: fewer ticks, legends under the plot one per line, long
/// texts wrapped, taller rather than wider, larger type.
pub fn render_narrow(chart: &ShareChart, lang: Lang) -> String {
    draw(chart, lang, Layout::Narrow)
}

/// Texts of the narrow drawing, broken into lines before anything is drawn (the height of
/// the image depends on them).
struct NarrowTexts {
    title: Vec<String>,
    subtitle: Vec<String>,
    /// Each series' legend lines.
    series: Vec<Vec<String>>,
    /// Each milestone's lines.
    markers: Vec<Vec<String>>,
    footer: Vec<String>,
}

impl NarrowTexts {
    fn new(chart: &ShareChart, markers: &[&Marker]) -> NarrowTexts {
        let title = svg::wrap_at_most(&chart.title, NARROW_TEXT, NARROW_TITLE, 5);
        let subtitle = svg::wrap_at_most(&chart.subtitle, NARROW_TEXT, NARROW_SMALL, 3);
        let series = chart
            .series
            .iter()
            .take(2)
            .map(|s| svg::wrap_at_most(&s.label, NARROW_TEXT - 30.0, NARROW_SMALL, 2))
            .collect();
        let markers = markers
            .iter()
            .enumerate()
            .map(|(i, m)| {
                svg::wrap_at_most(
                    &format!("{}  {}  {}", i + 1, m.date_text(), m.label),
                    NARROW_TEXT,
                    NARROW_SMALL,
                    3,
                )
            })
            .collect();
        let mut footer = svg::wrap_at_most(&chart.source_line, NARROW_TEXT, NARROW_SMALL, 3);
        footer.extend(svg::wrap_at_most(
            &chart.date_line,
            NARROW_TEXT,
            NARROW_SMALL,
            2,
        ));
        NarrowTexts {
            title,
            subtitle,
            series,
            markers,
            footer,
        }
    }
}

fn draw(chart: &ShareChart, lang: Lang, layout: Layout) -> String {
    let series: Vec<&ShareSeries> = chart.series.iter().take(2).collect();
    let dates: Vec<NaiveDate> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.date))
        .collect();
    let first = dates.iter().min().copied();
    let last = dates.iter().max().copied();
    let (markers, more) = match (first, last) {
        (Some(f), Some(l)) => shown_markers(chart, f, l),
        _ => (Vec::new(), 0),
    };
    let title = if chart.simulated {
        format!("{} ({})", chart.title, lang.t("charts-simulated"))
    } else {
        chart.title.clone()
    };
    let texts = NarrowTexts::new(chart, &markers);
    let (frame, height, legend_top) = match layout {
        Layout::Wide => {
            let legend_lines = markers.len() + usize::from(more > 0);
            // Under the axis: the bands' legend (when drawn), then the milestones.
            let legend_top = PLOT_BOTTOM + 44.0 + if chart.bands.is_some() { 22.0 } else { 0.0 };
            let frame = Frame {
                layout,
                id: chart.id.clone(),
                width: WIDTH,
                left: LEFT,
                right: RIGHT,
                plot_top: PLOT_TOP,
                plot_bottom: PLOT_BOTTOM,
                small: 11.0,
                tag: 8.0,
                ticks: 9,
            };
            (
                frame,
                legend_top + LINE * legend_lines as f64 + 48.0,
                legend_top,
            )
        }
        Layout::Narrow => {
            // Title, banner, subtitle, one legend line per series, then the plot.
            let mut y = 24.0 + 20.0 * (texts.title.len().max(1) - 1) as f64;
            if chart.simulated {
                y += 34.0;
            }
            y += 18.0 + NARROW_LINE * (texts.subtitle.len().max(1) - 1) as f64;
            for lines in &texts.series {
                y += 20.0 + NARROW_LINE * (lines.len().max(1) - 1) as f64;
            }
            let plot_top = y + 22.0;
            let plot_bottom = plot_top + NARROW_PLOT_HEIGHT;
            // Under the axis: the bands' legend, one per line, then the milestones.
            let mut legend_top = plot_bottom + 34.0;
            if chart.bands.is_some() {
                legend_top += 3.0 * 20.0 + 12.0;
            }
            let mut h = legend_top;
            if !markers.is_empty() {
                h += 8.0;
                for lines in &texts.markers {
                    h += NARROW_LINE * lines.len() as f64 + 4.0;
                }
            }
            if more > 0 {
                h += NARROW_LINE;
            }
            h += 12.0 + NARROW_LINE * texts.footer.len() as f64;
            let frame = Frame {
                layout,
                id: layout.svg_id(&chart.id),
                width: NARROW_WIDTH,
                left: 40.0,
                right: NARROW_WIDTH - 38.0,
                plot_top,
                plot_bottom,
                small: NARROW_SMALL,
                tag: 9.0,
                ticks: 4,
            };
            (frame, h, legend_top)
        }
    };
    let mut svg = Svg::new(
        &frame.id,
        frame.width,
        height,
        &title,
        &describe(chart, lang),
        lang.code(),
    );
    match layout {
        Layout::Wide => wide_header(&mut svg, chart, &series, lang),
        Layout::Narrow => narrow_header(&mut svg, chart, &texts, lang),
    }
    // Y grid: 0, 25, 50, 75, 100 %.
    let y = |v: f64| frame.plot_bottom - (frame.plot_bottom - frame.plot_top) * v.clamp(0.0, 1.0);
    let small = num(frame.small);
    for i in 0..=4 {
        let v = i as f64 / 4.0;
        svg.line(
            frame.left,
            y(v),
            frame.right,
            y(v),
            &format!(r#"stroke="{GRID}""#),
        );
        svg.text(
            frame.left - 6.0,
            y(v) + 4.0,
            &format!(r#"text-anchor="end" fill="{MUTED}" font-size="{small}""#),
            &percent(v),
        );
    }

    let (Some(first), Some(last)) = (first, last) else {
        svg.text(
            (frame.left + frame.right) / 2.0,
            (frame.plot_top + frame.plot_bottom) / 2.0,
            &format!(r#"text-anchor="middle" fill="{MUTED}" font-size="14""#),
            &lang.t("charts-no-data"),
        );
        footer(&mut svg, chart, &frame, &texts, height);
        return svg.finish();
    };
    let axis = TimeAxis::new(
        time::start_of_day(first, SHANGHAI),
        time::start_of_day(last, SHANGHAI),
        frame.left,
        frame.right,
    );
    for (t, label) in axis.ticks(frame.ticks) {
        let x = axis.x(t);
        svg.line(
            x,
            frame.plot_bottom,
            x,
            frame.plot_bottom + 5.0,
            &format!(r#"stroke="{MUTED}""#),
        );
        svg.text(
            x,
            frame.plot_bottom + 18.0,
            &format!(r#"text-anchor="middle" fill="{MUTED}" font-size="{small}""#),
            &label,
        );
    }
    svg.line(
        frame.left,
        frame.plot_bottom,
        frame.right,
        frame.plot_bottom,
        &format!(r#"stroke="{INK}""#),
    );

    // Milestones: dashed verticals under the lines, numbered tags (staggered when they
    // crowd) over them.
    let mut tags: Vec<(f64, f64, usize)> = Vec::new();
    let mut placed: Vec<(f64, usize)> = Vec::new();
    let step = 2.5 * frame.tag;
    let levels = (((frame.plot_bottom - frame.plot_top - 10.0) / step) as usize).max(1);
    for (i, m) in markers.iter().enumerate() {
        let x = axis.x_day(m.date);
        let level = tag_level(&placed, x, step, levels);
        placed.push((x, level));
        tags.push((x, frame.plot_top + 10.0 + step * level as f64, i + 1));
        svg.open_group("milestone", &[("date", &m.date.to_string())]);
        svg.raw(&format!(
            "<title>{}</title>",
            escape(&format!("{} {}", m.date_text(), m.label))
        ));
        svg.line(
            x,
            frame.plot_top,
            x,
            frame.plot_bottom,
            &format!(r#"stroke="{MUTED}" stroke-dasharray="3 3""#),
        );
        svg.close_group();
    }

    // Bands from the top: unknown, then stale under it.
    if let Some(bands) = &chart.bands {
        let pts: Vec<(f64, f64, f64)> = bands
            .points
            .iter()
            .map(|p| {
                let u = p.unknown.clamp(0.0, 1.0);
                let st = p.stale.clamp(0.0, 1.0 - u);
                (axis.x_day(p.date), y(1.0 - u), y(1.0 - u - st))
            })
            .collect();
        let area = |upper: &dyn Fn(&(f64, f64, f64)) -> f64,
                    lower: &dyn Fn(&(f64, f64, f64)) -> f64|
         -> String {
            let mut d = String::new();
            for (k, p) in pts.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{},{} ",
                    if k == 0 { 'M' } else { 'L' },
                    num(p.0),
                    num(upper(p))
                );
            }
            for p in pts.iter().rev() {
                let _ = write!(d, "L{},{} ", num(p.0), num(lower(p)));
            }
            d.push('Z');
            d
        };
        if pts.len() > 1 {
            svg.open_group("band", &[("band", "unknown")]);
            svg.raw(&format!(
                r#"<path d="{}" fill="url(#{})" stroke="{MUTED}" stroke-width="0.5"/>"#,
                area(&|_| y(1.0), &|p| p.1),
                svg::pattern_id(&frame.id, None)
            ));
            svg.close_group();
            svg.open_group("band", &[("band", "stale")]);
            svg.raw(&format!(
                r#"<path d="{}" fill="url(#{})" stroke="{MUTED}" stroke-width="0.5"/>"#,
                area(&|p| p.1, &|p| p.2),
                stale_id(&frame.id)
            ));
            svg.close_group();
        }
    }

    // Series: the first over a shaded area, the second dashed; each breaks where unknown.
    for (i, s) in series.iter().enumerate() {
        let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut run: Vec<(f64, f64)> = Vec::new();
        for p in &s.points {
            match p.value {
                Some(v) => run.push((axis.x_day(p.date), y(v))),
                None => {
                    if !run.is_empty() {
                        runs.push(std::mem::take(&mut run));
                    }
                }
            }
        }
        if !run.is_empty() {
            runs.push(run);
        }
        let colour = SERIES_COLOURS[i];
        svg.open_group("series", &[("label", &s.label)]);
        for run in &runs {
            let mut d = String::new();
            for (k, (px, py)) in run.iter().enumerate() {
                let _ = write!(
                    d,
                    "{}{},{} ",
                    if k == 0 { 'M' } else { 'L' },
                    num(*px),
                    num(*py)
                );
            }
            if i == 0 && run.len() > 1 {
                let (fx, _) = run[0];
                let (lx, _) = run[run.len() - 1];
                svg.raw(&format!(
                    r#"<path d="{d}L{},{} L{},{} Z" fill="{colour}" fill-opacity="0.12" stroke="none"/>"#,
                    num(lx),
                    num(frame.plot_bottom),
                    num(fx),
                    num(frame.plot_bottom)
                ));
            }
            let dash = if i == 1 {
                r#" stroke-dasharray="6 4""#
            } else {
                ""
            };
            svg.raw(&format!(
                r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="2.5" stroke-linejoin="round"{dash}/>"#,
                d.trim_end()
            ));
            if run.len() == 1 {
                let (px, py) = run[0];
                svg.raw(&format!(
                    r#"<circle cx="{}" cy="{}" r="3" fill="{colour}"/>"#,
                    num(px),
                    num(py)
                ));
            }
        }
        // The latest value, printed at the end of the line.
        if let Some(p) = s.points.iter().rev().find(|p| p.value.is_some())
            && let Some(v) = p.value
        {
            svg.text(
                axis.x_day(p.date) + 5.0,
                y(v) + 4.0 + (frame.small + 1.0) * i as f64,
                &format!(r#"fill="{colour}" font-weight="bold" font-size="{small}""#),
                &percent(v),
            );
        }
        svg.close_group();
    }

    let tag_font = match layout {
        Layout::Wide => "10",
        Layout::Narrow => "12",
    };
    for (x, ty, n) in tags {
        svg.raw(&format!(
            r##"<circle cx="{}" cy="{}" r="{}" fill="#ffffff" stroke="{MUTED}"/>"##,
            num(x),
            num(ty),
            num(frame.tag)
        ));
        svg.text(
            x,
            ty + 4.0,
            &format!(r#"text-anchor="middle" font-size="{tag_font}" font-weight="bold""#),
            &n.to_string(),
        );
    }

    // The bands' swatches, with patterns as well as colours: readable in greyscale. Side
    // by side in the wide drawing, one per line in the narrow one.
    if let Some(bands) = &chart.bands {
        let mut x = frame.left - 40.0;
        let mut top = frame.plot_bottom + 28.0;
        if layout == Layout::Narrow {
            x = NARROW_MARGIN;
            top = frame.plot_bottom + 34.0;
        }
        svg.raw(&format!("<defs>{}</defs>", band_patterns(&frame.id)));
        for (fill, label) in [
            ("#ffffff".to_string(), &bands.rest_label),
            (format!("url(#{})", stale_id(&frame.id)), &bands.stale_label),
            (
                format!("url(#{})", svg::pattern_id(&frame.id, None)),
                &bands.unknown_label,
            ),
        ] {
            svg.rect(
                x,
                top,
                16.0,
                14.0,
                &format!(r#"fill="{fill}" stroke="{MUTED}""#),
            );
            let label = shorten(label, 40);
            svg.text(x + 22.0, top + 12.0, "", &label);
            match layout {
                Layout::Wide => x += 22.0 + text_width(&label, 7.0) + 20.0,
                Layout::Narrow => top += 20.0,
            }
        }
    }

    match layout {
        Layout::Wide => wide_milestones(&mut svg, &markers, more, legend_top, lang),
        Layout::Narrow => narrow_milestones(&mut svg, &texts, more, legend_top, lang),
    }
    footer(&mut svg, chart, &frame, &texts, height);
    svg.finish()
}

/// Title, subtitle, SIMULATED banner and the series' legend side by side, above the plot.
fn wide_header(svg: &mut Svg, chart: &ShareChart, series: &[&ShareSeries], lang: Lang) {
    svg.text(
        LEFT - 40.0,
        28.0,
        r#"font-size="17" font-weight="bold""#,
        &chart.title,
    );
    svg.text(
        LEFT - 40.0,
        48.0,
        &format!(r#"fill="{MUTED}""#),
        &shorten(&chart.subtitle, 120),
    );
    if chart.simulated {
        simulated_banner(svg, lang);
    }

    // Legend: a solid and a dashed swatch, with the series' names.
    let mut x = LEFT;
    for (i, s) in series.iter().enumerate() {
        let dash = if i == 1 {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        svg.line(
            x,
            68.0,
            x + 28.0,
            68.0,
            &format!(r#"stroke="{}" stroke-width="3"{dash}"#, SERIES_COLOURS[i]),
        );
        let label = shorten(&s.label, 48);
        svg.text(x + 34.0, 72.0, "", &label);
        x += 34.0 + 7.5 * label.chars().count() as f64 + 24.0;
    }
}

/// The top of a narrow drawing: the title and subtitle lines, with the SIMULATED banner
/// between them; gives the baseline of the last subtitle line.
pub(super) fn narrow_heading(
    svg: &mut Svg,
    title: &[String],
    subtitle: &[String],
    simulated: bool,
    lang: Lang,
) -> f64 {
    let mut y = 24.0;
    for (i, line) in title.iter().enumerate() {
        if i > 0 {
            y += 20.0;
        }
        svg.text(
            NARROW_MARGIN,
            y,
            &format!(r#"font-size="{}" font-weight="bold""#, num(NARROW_TITLE)),
            line,
        );
    }
    if simulated {
        narrow_banner(svg, y + 10.0, lang);
        y += 34.0;
    }
    y += 18.0;
    for (i, line) in subtitle.iter().enumerate() {
        if i > 0 {
            y += NARROW_LINE;
        }
        svg.text(
            NARROW_MARGIN,
            y,
            &format!(r#"fill="{MUTED}" font-size="{}""#, num(NARROW_SMALL)),
            line,
        );
    }
    y
}

/// The narrow header: the title and subtitle wrapped, the SIMULATED banner on its own line,
/// the series' legend one per line.
fn narrow_header(svg: &mut Svg, chart: &ShareChart, texts: &NarrowTexts, lang: Lang) {
    let mut y = narrow_heading(svg, &texts.title, &texts.subtitle, chart.simulated, lang);
    for (i, lines) in texts.series.iter().enumerate() {
        y += 20.0;
        let dash = if i == 1 {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        svg.line(
            NARROW_MARGIN,
            y - 4.0,
            NARROW_MARGIN + 24.0,
            y - 4.0,
            &format!(r#"stroke="{}" stroke-width="3"{dash}"#, SERIES_COLOURS[i]),
        );
        for (k, line) in lines.iter().enumerate() {
            if k > 0 {
                y += NARROW_LINE;
            }
            svg.text(
                NARROW_MARGIN + 30.0,
                y,
                &format!(r#"font-size="{}""#, num(NARROW_SMALL)),
                line,
            );
        }
    }
}

/// The row of a milestone's tag at `x`: the highest of `levels` rows where no tag already
/// `placed` stands within `step` of it; when every row is that crowded, the row whose
/// nearest tag is farthest.
fn tag_level(placed: &[(f64, usize)], x: f64, step: f64, levels: usize) -> usize {
    let nearest = |level: usize| {
        placed
            .iter()
            .filter(|(_, l)| *l == level)
            .map(|(px, _)| (x - px).abs())
            .fold(f64::INFINITY, f64::min)
    };
    (0..levels)
        .find(|&l| nearest(l) >= step)
        .unwrap_or_else(|| {
            (0..levels)
                .max_by(|a, b| nearest(*a).total_cmp(&nearest(*b)))
                .unwrap_or(0)
        })
}

/// The milestones listed under the plot, numbered as on the plot.
fn wide_milestones(svg: &mut Svg, markers: &[&Marker], more: usize, legend_top: f64, lang: Lang) {
    if !markers.is_empty() {
        svg.text(
            LEFT - 40.0,
            legend_top - 6.0,
            r#"font-weight="bold" font-size="11""#,
            &lang.t("charts-milestones"),
        );
    }
    let max_chars = match lang {
        Lang::ZhCn => 56,
        Lang::En => 104,
    };
    for (i, m) in markers.iter().enumerate() {
        svg.text(
            LEFT - 40.0,
            legend_top + 10.0 + LINE * i as f64,
            r#"font-size="11""#,
            &format!(
                "{}  {}  {}",
                i + 1,
                m.date_text(),
                shorten(&m.label, max_chars)
            ),
        );
    }
    if more > 0 {
        svg.text(
            LEFT - 40.0,
            legend_top + 10.0 + LINE * markers.len() as f64,
            &format!(r#"font-size="11" fill="{MUTED}""#),
            &lang.t_args("charts-more-milestones", &[("count", more.into())]),
        );
    }
}

/// The narrow drawing's milestones: each wrapped over up to three lines.
fn narrow_milestones(svg: &mut Svg, texts: &NarrowTexts, more: usize, top: f64, lang: Lang) {
    let attrs = format!(r#"font-size="{}""#, num(NARROW_SMALL));
    let mut y = top;
    if !texts.markers.is_empty() {
        svg.text(
            NARROW_MARGIN,
            y,
            &format!(r#"font-weight="bold" font-size="{}""#, num(NARROW_SMALL)),
            &lang.t("charts-milestones"),
        );
        y += 4.0;
    }
    for lines in &texts.markers {
        for line in lines {
            y += NARROW_LINE;
            svg.text(NARROW_MARGIN, y, &attrs, line);
        }
        y += 4.0;
    }
    if more > 0 {
        svg.text(
            NARROW_MARGIN,
            y + NARROW_LINE,
            &format!(r#"font-size="{}" fill="{MUTED}""#, num(NARROW_SMALL)),
            &lang.t_args("charts-more-milestones", &[("count", more.into())]),
        );
    }
}

/// The stale band's pattern id (the unknown band uses the status charts' unknown pattern).
fn stale_id(chart_id: &str) -> String {
    format!("{chart_id}-pat-stale")
}

/// The bands' patterns: stale hatched at 135° in grey as stale cells on the pages, unknown
/// in vertical lines as unknown rungs in the step charts.
fn band_patterns(chart_id: &str) -> String {
    let (ink, fill) = svg::tone_colours(None);
    format!(
        r##"<pattern id="{stale}" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#f4f5f7"/><path d="M0,0 v8" stroke="{MUTED}" stroke-width="2.5"/></pattern><pattern id="{unknown}" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{fill}"/><path d="M2,0 v8 M6,0 v8" stroke="{ink}" stroke-width="1"/></pattern>"##,
        stale = escape(&stale_id(chart_id)),
        unknown = escape(&svg::pattern_id(chart_id, None)),
    )
}

/// About how wide a label is drawn at 12 px, its Latin characters `latin` units each (7
/// regular, 7.5 bold): CJK characters (and full-width punctuation) are a whole em and a
/// little.
pub(super) fn text_width(label: &str, latin: f64) -> f64 {
    label
        .chars()
        .map(|c| if c.is_ascii() { latin } else { 12.5 })
        .sum()
}

fn footer(svg: &mut Svg, chart: &ShareChart, frame: &Frame, texts: &NarrowTexts, height: f64) {
    if frame.layout == Layout::Narrow {
        let attrs = format!(r#"fill="{MUTED}" font-size="{}""#, num(NARROW_SMALL));
        let n = texts.footer.len();
        for (i, line) in texts.footer.iter().enumerate() {
            let y = height - 10.0 - NARROW_LINE * (n - 1 - i) as f64;
            svg.text(NARROW_MARGIN, y, &attrs, line);
        }
        return;
    }
    let attrs = format!(r#"fill="{MUTED}" font-size="11""#);
    svg.text(
        LEFT - 40.0,
        height - 26.0,
        &attrs,
        &shorten(&chart.source_line, 130),
    );
    svg.text(
        LEFT - 40.0,
        height - 10.0,
        &attrs,
        &shorten(&chart.date_line, 130),
    );
}

/// A red-bordered "SIMULATED — not real data" box at the top right.
pub(super) fn simulated_banner(svg: &mut Svg, lang: Lang) {
    let text = lang.t("charts-simulated-banner");
    let w = 16.0 + text_width(&text, 7.5);
    svg.open_group("simulated", &[]);
    svg.rect(
        WIDTH - 12.0 - w,
        10.0,
        w,
        26.0,
        &format!(
            r##"fill="#fbe0de" stroke="{}" stroke-width="2""##,
            svg::ALERT
        ),
    );
    svg.text(
        WIDTH - 12.0 - w / 2.0,
        28.0,
        &format!(
            r#"text-anchor="middle" font-weight="bold" fill="{}""#,
            svg::ALERT
        ),
        &text,
    );
    svg.close_group();
}

/// The banner of the narrow drawing: the width of the image, under the title.
pub(super) fn narrow_banner(svg: &mut Svg, top: f64, lang: Lang) {
    svg.open_group("simulated", &[]);
    svg.rect(
        NARROW_MARGIN,
        top,
        NARROW_TEXT,
        24.0,
        &format!(
            r##"fill="#fbe0de" stroke="{}" stroke-width="2""##,
            svg::ALERT
        ),
    );
    svg.text(
        NARROW_WIDTH / 2.0,
        top + 17.0,
        &format!(
            r#"text-anchor="middle" font-weight="bold" font-size="{}" fill="{}""#,
            num(NARROW_SMALL),
            svg::ALERT
        ),
        &shorten(&lang.t("charts-simulated-banner"), 44),
    );
    svg.close_group();
}
