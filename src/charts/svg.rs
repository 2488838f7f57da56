//! The few pieces every chart is drawn with: escaping, number formatting, a text writer
//! that escapes everything it is given, and the colours and patterns of the status tones.

use std::fmt::Write;

/// Text and attribute values escaped for XML (and so for SVG inline in HTML). Control
/// characters, which XML 1.0 forbids, become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Text cut to `max` characters with an ellipsis: long labels must not run off the image.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() > max {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    } else {
        s.to_string()
    }
}

/// A coordinate with one decimal, without trailing `.0`.
pub fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// Which drawing of a chart: the wide one (800 units: pages from tablets up, downloads,
/// PNGs) or the narrow one (360 units, taller, larger type: phones, where the wide one
/// would shrink its type to a few pixels). A page carries both and its stylesheet shows one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Wide,
    Narrow,
}

impl Layout {
    /// The id of the chart's SVG in this layout: the narrow drawing's ids (title, desc,
    /// patterns all derive from it) differ from the wide one's, so both fit on one page.
    pub fn svg_id(self, chart_id: &str) -> String {
        match self {
            Layout::Wide => chart_id.to_string(),
            Layout::Narrow => format!("{chart_id}-narrow"),
        }
    }
}

/// `text` broken into lines that fit `width` units at `font_size`: at spaces, and inside
/// words (Chinese has no spaces) where a word alone is too long. Widths are estimated (a
/// Latin character about 0.6 em, a CJK one 1.2 em), on the generous side.
pub fn wrap(text: &str, width: f64, font_size: f64) -> Vec<String> {
    let columns = (width / (0.6 * font_size)).floor().max(4.0) as usize;
    textwrap::wrap(text, textwrap::Options::new(columns).break_words(true))
        .into_iter()
        .map(|l| l.into_owned())
        .collect()
}

/// [`wrap`] to at most `max` lines; when the text needs more, the last line ends in `…`.
pub fn wrap_at_most(text: &str, width: f64, font_size: f64, max: usize) -> Vec<String> {
    let mut lines = wrap(text, width, font_size);
    if lines.len() > max {
        lines.truncate(max);
        if let Some(last) = lines.last_mut() {
            let n = last.chars().count();
            *last = shorten(&format!("{last}…"), n.max(1));
        }
    }
    lines
}

/// Fonts named in every chart: Noto Sans CJK SC draws Chinese (Debian `fonts-noto-cjk`).
pub const FONT_FAMILY: &str =
    "'Noto Sans CJK SC', 'Noto Sans SC', 'Noto Sans', 'DejaVu Sans', 'Liberation Sans', sans-serif";

pub const INK: &str = "#1b2430";
pub const MUTED: &str = "#5b6675";
pub const GRID: &str = "#d8dde3";
pub const ALERT: &str = "#a12622";

/// The colour tone of a rung, as on the pages (`StatusView::tone`): 0 most open … 3 most
/// closed, `None` for unknown.
pub fn tone(rung: Option<usize>, rungs: usize) -> Option<usize> {
    match (rung, rungs) {
        (Some(r), n) if n > 1 => Some(((r * 3 + (n - 2)) / (n - 1)).min(3)),
        (Some(_), _) => Some(0),
        (None, _) => None,
    }
}

/// (stroke/ink, fill) of a tone.
pub fn tone_colours(tone: Option<usize>) -> (&'static str, &'static str) {
    match tone {
        Some(0) => ("#1f7a4d", "#bfe6cf"),
        Some(1) => ("#7a6a00", "#f3e39a"),
        Some(2) => ("#9a4b00", "#f8c9a0"),
        Some(_) => ("#a12622", "#f2b8b4"),
        None => ("#5b6675", "#dde1e6"),
    }
}

/// `<pattern>` definitions, one per tone, so a status reads in greyscale too: tone 0 plain,
/// 1 diagonal stripes, 2 dots, 3 cross-hatch, unknown vertical lines. Ids are prefixed with
/// the chart's id so two charts on one page do not share them.
pub fn tone_patterns(prefix: &str) -> String {
    let mut s = String::new();
    for t in [Some(0), Some(1), Some(2), Some(3), None] {
        let (ink, fill) = tone_colours(t);
        let id = pattern_id(prefix, t);
        let marks = match t {
            Some(0) => String::new(),
            Some(1) => format!(
                r#"<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{ink}" stroke-width="1.5"/>"#
            ),
            Some(2) => format!(
                r#"<circle cx="2" cy="2" r="1.3" fill="{ink}"/><circle cx="6" cy="6" r="1.3" fill="{ink}"/>"#
            ),
            Some(_) => {
                format!(r#"<path d="M0,0 l8,8 M8,0 l-8,8" stroke="{ink}" stroke-width="1.2"/>"#)
            }
            None => format!(r#"<path d="M2,0 v8 M6,0 v8" stroke="{ink}" stroke-width="1"/>"#),
        };
        let _ = write!(
            s,
            r#"<pattern id="{id}" width="8" height="8" patternUnits="userSpaceOnUse"><rect width="8" height="8" fill="{fill}"/>{marks}</pattern>"#
        );
    }
    s
}

pub fn pattern_id(prefix: &str, tone: Option<usize>) -> String {
    match tone {
        Some(t) => format!("{prefix}-pat-{t}"),
        None => format!("{prefix}-pat-u"),
    }
}

/// Writes SVG elements; every text and attribute value that is not a number goes
/// through [`escape`].
pub struct Svg {
    out: String,
}

impl Svg {
    /// Opens the document: size fixed in the viewBox, `role="img"`, `<title>` and `<desc>`
    /// referenced by `aria-labelledby`.
    pub fn new(id: &str, width: f64, height: f64, title: &str, desc: &str, lang: &str) -> Svg {
        let id = escape(id);
        let mut out = String::new();
        let _ = write!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" id="{id}" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-labelledby="{id}-title {id}-desc" lang="{lang}" xml:lang="{lang}" font-family="{font}" font-size="12" fill="{INK}"><title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>"#,
            w = num(width),
            h = num(height),
            lang = escape(lang),
            font = FONT_FAMILY,
            title = escape(title),
            desc = escape(desc),
        );
        // A white ground: downloaded images must not be transparent on dark viewers.
        let _ = write!(
            out,
            r##"<rect x="0" y="0" width="{}" height="{}" fill="#ffffff"/>"##,
            num(width),
            num(height)
        );
        Svg { out }
    }

    /// Markup built by this module's own functions (patterns, paths of numbers).
    pub fn raw(&mut self, markup: &str) {
        self.out.push_str(markup);
    }

    /// Text at (x, y); `attrs` are fixed attribute strings written by the caller's code
    /// (never outside data), the text itself is escaped.
    pub fn text(&mut self, x: f64, y: f64, attrs: &str, text: &str) {
        let _ = write!(
            self.out,
            r#"<text x="{}" y="{}" {attrs}>{}</text>"#,
            num(x),
            num(y),
            escape(text)
        );
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, attrs: &str) {
        let _ = write!(
            self.out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" {attrs}/>"#,
            num(x1),
            num(y1),
            num(x2),
            num(y2)
        );
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, attrs: &str) {
        let _ = write!(
            self.out,
            r#"<rect x="{}" y="{}" width="{}" height="{}" {attrs}/>"#,
            num(x),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0))
        );
    }

    /// A group with a data attribute naming what it shows (tests and scrapers read it).
    pub fn open_group(&mut self, class: &str, data: &[(&str, &str)]) {
        let _ = write!(self.out, r#"<g class="{}""#, escape(class));
        for (k, v) in data {
            let _ = write!(self.out, r#" data-{k}="{}""#, escape(v));
        }
        self.out.push('>');
    }

    pub fn close_group(&mut self) {
        self.out.push_str("</g>");
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>");
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("<script>alert(\"x\")</script> & 'y'\u{1}"),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;\u{FFFD}"
        );
        assert_eq!(shorten("abcdef", 4), "abc…");
        assert_eq!(shorten("abc", 4), "abc");
        assert_eq!(num(2.0), "2");
        assert_eq!(num(2.25), "2.3");
        assert_eq!(num(f64::NAN), "0");
    }

    /// Wrapped lines stay inside the width, English at spaces, Chinese between characters;
    /// nothing is lost.
    #[test]
    fn wraps_english_and_chinese_inside_the_width() {
        let en = "Share of the checks under this requirement that are compliant, week by week";
        let lines = wrap(en, 200.0, 12.0);
        assert!(lines.len() > 1, "{lines:?}");
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() as f64 * 0.6 * 12.0 <= 200.0)
        );
        assert_eq!(lines.join(" "), en);
        let zh = "要求：平台之间的链接应当可以直接打开，不再屏蔽或要求复制口令";
        let lines = wrap(zh, 200.0, 12.0);
        assert!(lines.len() > 1, "{lines:?}");
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() as f64 * 1.2 * 12.0 <= 200.0)
        );
        assert_eq!(lines.concat(), zh);
        let cut = wrap_at_most(en, 200.0, 12.0, 2);
        assert_eq!(cut.len(), 2);
        assert!(cut[1].ends_with('…'), "{cut:?}");
        assert!(cut[1].chars().count() as f64 * 0.6 * 12.0 <= 200.0);
        assert_eq!(wrap_at_most("short", 200.0, 12.0, 1), ["short"]);
        assert_eq!(Layout::Narrow.svg_id("chart-x"), "chart-x-narrow");
        assert_eq!(Layout::Wide.svg_id("chart-x"), "chart-x");
    }
}
