//! Share and step charts' SVG drawings, kept by what they show. Drawing the overview's two openness
//! charts (each wide and narrow) was about a fifth of its CPU; what they show changes far
//! less often than the data version does (a probe storing the status it stored before moves
//! the version on, not the share of open checks). A drawing is kept under the SHA-256 of its
//! shape, its language and the chart's whole description (every field, named one by one
//! so a field added later cannot compile until it is in the key), bounded in bytes. A chart that differs in anything at all (a value, a label, the minute in its
//! "generated" line) is drawn afresh; an equal one is the same drawing.
//!
//! The check page's step chart (session 29) was about two fifths of that page's CPU: it
//! was drawn on every request because its time axis ended at the request's instant, to
//! the nanosecond. It now ends at the request's second ([`crate::charts::data::chart_end`],
//! never before the latest change drawn), so one drawing serves every request of that
//! second until the check's changes or the minute of the "generated" line move.

use crate::charts::share::{self, ShareChart};
use crate::charts::steps::{self, Segment, StepChart, StepLine};
use crate::charts::{BandPoint, Bands, Marker, SharePoint, ShareSeries};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use hutong_app::i18n::Lang;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes of drawings kept at most (a wide openness chart is about 70 KB).
const KEPT_BYTES: u64 = 16 << 20;

type Key = [u8; 32];

/// Which drawing of a chart: the page's, or the one for phones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Wide,
    Narrow,
}

#[derive(Clone)]
struct ByteWeight;

impl quick_cache::Weighter<Key, Arc<str>> for ByteWeight {
    fn weight(&self, _key: &Key, svg: &Arc<str>) -> u64 {
        svg.len() as u64
    }
}

/// Shared by every clone of the web's `AppState`.
pub struct Drawings {
    kept: quick_cache::sync::Cache<Key, Arc<str>, ByteWeight>,
    drawn: AtomicU64,
    reused: AtomicU64,
}

impl Default for Drawings {
    fn default() -> Self {
        Drawings {
            kept: quick_cache::sync::Cache::with_weighter(64, KEPT_BYTES, ByteWeight),
            drawn: AtomicU64::new(0),
            reused: AtomicU64::new(0),
        }
    }
}

impl std::fmt::Debug for Drawings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drawings")
            .field("kept", &self.kept.len())
            .field("drawn", &self.drawn())
            .field("reused", &self.reused())
            .finish()
    }
}

/// What goes into a drawing's key, as bytes. Each chart type names every one of its fields
/// (destructured without `..`), so a field added later fails to compile until it is in the
/// key; strings and lists carry their lengths, so no two charts feed the same bytes. Floats
/// go in as their bits: formatting them (the key used to hash the chart's `Debug` text) was
/// most of the key's cost.
trait Feed {
    fn feed(&self, h: &mut Sha256);
}

impl Feed for str {
    fn feed(&self, h: &mut Sha256) {
        (self.len() as u64).feed(h);
        h.update(self.as_bytes());
    }
}

impl Feed for String {
    fn feed(&self, h: &mut Sha256) {
        self.as_str().feed(h);
    }
}

impl Feed for u64 {
    fn feed(&self, h: &mut Sha256) {
        h.update(self.to_le_bytes());
    }
}

impl Feed for f64 {
    fn feed(&self, h: &mut Sha256) {
        self.to_bits().feed(h);
    }
}

impl Feed for bool {
    fn feed(&self, h: &mut Sha256) {
        h.update([u8::from(*self)]);
    }
}

impl Feed for NaiveDate {
    fn feed(&self, h: &mut Sha256) {
        h.update(self.num_days_from_ce().to_le_bytes());
    }
}

impl Feed for DateTime<Utc> {
    fn feed(&self, h: &mut Sha256) {
        h.update(self.timestamp().to_le_bytes());
        h.update(self.timestamp_subsec_nanos().to_le_bytes());
    }
}

impl<A: Feed, B: Feed> Feed for (A, B) {
    fn feed(&self, h: &mut Sha256) {
        self.0.feed(h);
        self.1.feed(h);
    }
}

impl<T: Feed> Feed for Option<T> {
    fn feed(&self, h: &mut Sha256) {
        match self {
            None => h.update([0]),
            Some(v) => {
                h.update([1]);
                v.feed(h);
            }
        }
    }
}

impl<T: Feed> Feed for Vec<T> {
    fn feed(&self, h: &mut Sha256) {
        (self.len() as u64).feed(h);
        for v in self {
            v.feed(h);
        }
    }
}

impl Feed for ShareChart {
    fn feed(&self, h: &mut Sha256) {
        let ShareChart {
            id,
            title,
            subtitle,
            series,
            milestones,
            source_line,
            date_line,
            simulated,
            bands,
        } = self;
        id.feed(h);
        title.feed(h);
        subtitle.feed(h);
        series.feed(h);
        milestones.feed(h);
        source_line.feed(h);
        date_line.feed(h);
        simulated.feed(h);
        bands.feed(h);
    }
}

impl Feed for ShareSeries {
    fn feed(&self, h: &mut Sha256) {
        let ShareSeries { label, points } = self;
        label.feed(h);
        points.feed(h);
    }
}

impl Feed for SharePoint {
    fn feed(&self, h: &mut Sha256) {
        let SharePoint { date, value } = self;
        date.feed(h);
        value.feed(h);
    }
}

impl Feed for Marker {
    fn feed(&self, h: &mut Sha256) {
        let Marker {
            date,
            approximate,
            label,
        } = self;
        date.feed(h);
        approximate.feed(h);
        label.feed(h);
    }
}

impl Feed for Bands {
    fn feed(&self, h: &mut Sha256) {
        let Bands {
            points,
            rest_label,
            stale_label,
            unknown_label,
        } = self;
        points.feed(h);
        rest_label.feed(h);
        stale_label.feed(h);
        unknown_label.feed(h);
    }
}

impl Feed for BandPoint {
    fn feed(&self, h: &mut Sha256) {
        let BandPoint {
            date,
            stale,
            unknown,
        } = self;
        date.feed(h);
        stale.feed(h);
        unknown.feed(h);
    }
}

impl Feed for StepChart {
    fn feed(&self, h: &mut Sha256) {
        let StepChart {
            id,
            title,
            subtitle,
            ladder,
            unknown_label,
            lines,
            start,
            end,
            source_line,
            date_line,
            simulated,
        } = self;
        id.feed(h);
        title.feed(h);
        subtitle.feed(h);
        ladder.feed(h);
        unknown_label.feed(h);
        lines.feed(h);
        start.feed(h);
        end.feed(h);
        source_line.feed(h);
        date_line.feed(h);
        simulated.feed(h);
    }
}

impl Feed for StepLine {
    fn feed(&self, h: &mut Sha256) {
        let StepLine { name, segments } = self;
        name.feed(h);
        segments.feed(h);
    }
}

impl Feed for Segment {
    fn feed(&self, h: &mut Sha256) {
        let Segment {
            from,
            to,
            status,
            stale,
        } = self;
        from.feed(h);
        to.feed(h);
        status.feed(h);
        stale.feed(h);
    }
}

/// A drawing's key: the chart's type (`share`, `steps`), its shape, language and every
/// field of the chart.
fn key(of: &str, chart: &impl Feed, lang: Lang, shape: Shape) -> Key {
    let mut h = Sha256::new();
    of.feed(&mut h);
    match shape {
        Shape::Wide => "wide",
        Shape::Narrow => "narrow",
    }
    .feed(&mut h);
    lang.code().feed(&mut h);
    chart.feed(&mut h);
    h.finalize().into()
}

impl Drawings {
    /// `chart` drawn as `shape` in `lang`: the kept drawing of an equal chart, or a new one.
    pub fn share(&self, chart: &ShareChart, lang: Lang, shape: Shape) -> String {
        self.kept_or_drawn(key("share", chart, lang, shape), || match shape {
            Shape::Wide => share::render(chart, lang),
            Shape::Narrow => share::render_narrow(chart, lang),
        })
    }

    /// A check's step chart drawn as `shape` in `lang`, kept as [`Drawings::share`].
    pub fn steps(&self, chart: &StepChart, lang: Lang, shape: Shape) -> String {
        self.kept_or_drawn(key("steps", chart, lang, shape), || match shape {
            Shape::Wide => steps::render(chart, lang),
            Shape::Narrow => steps::render_narrow(chart, lang),
        })
    }

    fn kept_or_drawn(&self, key: Key, draw: impl FnOnce() -> String) -> String {
        if let Some(svg) = self.kept.get(&key) {
            self.reused.fetch_add(1, Ordering::Relaxed);
            return svg.to_string();
        }
        let svg = draw();
        self.drawn.fetch_add(1, Ordering::Relaxed);
        self.kept.insert(key, Arc::from(svg.as_str()));
        svg
    }

    /// Drawings made (not found kept).
    pub fn drawn(&self) -> u64 {
        self.drawn.load(Ordering::Relaxed)
    }

    /// Drawings found kept.
    pub fn reused(&self) -> u64 {
        self.reused.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(value: f64) -> ShareChart {
        let day = |d| NaiveDate::from_ymd_opt(2021, 9, d).unwrap();
        ShareChart {
            id: "chart-t".into(),
            title: "Openness".into(),
            subtitle: "share".into(),
            series: vec![ShareSeries {
                label: "open".into(),
                points: vec![
                    SharePoint {
                        date: day(1),
                        value: Some(0.25),
                    },
                    SharePoint {
                        date: day(8),
                        value: Some(value),
                    },
                ],
            }],
            milestones: Vec::new(),
            source_line: "Hutong".into(),
            date_line: "as of 2021-09-08".into(),
            simulated: false,
            bands: None,
        }
    }

    #[test]
    fn an_equal_chart_is_the_same_drawing_and_any_difference_is_drawn_afresh() {
        let d = Drawings::default();
        let first = d.share(&chart(0.5), Lang::En, Shape::Wide);
        assert_eq!(first, share::render(&chart(0.5), Lang::En));
        assert_eq!((d.drawn(), d.reused()), (1, 0));
        assert_eq!(d.share(&chart(0.5), Lang::En, Shape::Wide), first);
        assert_eq!((d.drawn(), d.reused()), (1, 1));

        // A value one bit away, the other shape, the other language, a changed label and
        // the SIMULATED banner are each another drawing, equal to drawing it directly.
        let nudged = chart(f64::from_bits(0.5f64.to_bits() + 1));
        let mut relabelled = chart(0.5);
        relabelled.subtitle = "share of real checks".into();
        let mut simulated = chart(0.5);
        simulated.simulated = true;
        // Text moved from one field to the next: the same letters in the same order.
        let mut shifted = chart(0.5);
        shifted.title = "Opennes".into();
        shifted.subtitle = "sshare".into();
        let day = NaiveDate::from_ymd_opt(2021, 9, 8).unwrap();
        let band = |stale: f64| Bands {
            points: vec![BandPoint {
                date: day,
                stale,
                unknown: 0.125,
            }],
            rest_label: "not open".into(),
            stale_label: "stale".into(),
            unknown_label: "unknown".into(),
        };
        let mut banded = chart(0.5);
        banded.bands = Some(band(0.25));
        let mut banded_nudged = chart(0.5);
        banded_nudged.bands = Some(band(f64::from_bits(0.25f64.to_bits() + 1)));
        let mut marked = chart(0.5);
        marked.milestones = vec![Marker {
            date: day,
            approximate: false,
            label: "deadline".into(),
        }];
        let mut marked_approximately = marked.clone();
        marked_approximately.milestones[0].approximate = true;
        for (c, lang, shape) in [
            (&nudged, Lang::En, Shape::Wide),
            (&chart(0.5), Lang::En, Shape::Narrow),
            (&chart(0.5), Lang::ZhCn, Shape::Wide),
            (&relabelled, Lang::En, Shape::Wide),
            (&simulated, Lang::En, Shape::Wide),
            (&shifted, Lang::En, Shape::Wide),
            (&banded, Lang::En, Shape::Wide),
            (&banded_nudged, Lang::En, Shape::Wide),
            (&marked, Lang::En, Shape::Wide),
            (&marked_approximately, Lang::En, Shape::Wide),
        ] {
            let drawn = d.drawn();
            let svg = d.share(c, lang, shape);
            assert_eq!(
                d.drawn(),
                drawn + 1,
                "{shape:?} {lang:?} was not drawn afresh"
            );
            let direct = match shape {
                Shape::Wide => share::render(c, lang),
                Shape::Narrow => share::render_narrow(c, lang),
            };
            assert_eq!(svg, direct);
        }
        assert_ne!(
            d.share(&simulated, Lang::En, Shape::Wide),
            first,
            "the banner is drawn"
        );
    }

    fn steps_chart(end_ns: i64) -> StepChart {
        use chrono::TimeZone;
        let t = |d| Utc.with_ymd_and_hms(2021, 9, d, 4, 0, 0).unwrap();
        StepChart {
            id: "chart-steps".into(),
            title: "WeChat × Taobao".into(),
            subtitle: "link.wechat.taobao".into(),
            ladder: vec![
                ("open".into(), "Open".into()),
                ("blocked".into(), "Blocked".into()),
            ],
            unknown_label: "unknown".into(),
            lines: vec![StepLine {
                name: "cnBeta".into(),
                segments: vec![
                    Segment {
                        from: t(1),
                        to: t(3),
                        status: "open".into(),
                        stale: false,
                    },
                    Segment {
                        from: t(3),
                        to: t(8) + chrono::Duration::nanoseconds(end_ns),
                        status: "blocked".into(),
                        stale: false,
                    },
                ],
            }],
            start: t(1),
            end: t(8) + chrono::Duration::nanoseconds(end_ns),
            source_line: "Hutong".into(),
            date_line: "as of 2021-09-08".into(),
            simulated: false,
        }
    }

    /// Step charts are kept like share charts: an equal chart is the same drawing, and a
    /// chart that differs in anything (its end by a nanosecond, a period's status, the
    /// shape, the language) is drawn afresh, equal to drawing it directly.
    #[test]
    fn an_equal_step_chart_is_the_same_drawing_and_any_difference_is_drawn_afresh() {
        let d = Drawings::default();
        let first = d.steps(&steps_chart(0), Lang::En, Shape::Wide);
        assert_eq!(first, steps::render(&steps_chart(0), Lang::En));
        assert_eq!(d.steps(&steps_chart(0), Lang::En, Shape::Wide), first);
        assert_eq!((d.drawn(), d.reused()), (1, 1));
        let mut flipped = steps_chart(0);
        flipped.lines[0].segments[1].status = "open".into();
        let mut gone_stale = steps_chart(0);
        gone_stale.lines[0].segments[1].stale = true;
        let mut renamed = steps_chart(0);
        renamed.lines[0].name = "Caixin".into();
        let mut simulated = steps_chart(0);
        simulated.simulated = true;
        let mut moved = steps_chart(0);
        moved.lines[0].segments[0].to += chrono::Duration::nanoseconds(1);
        for (c, lang, shape) in [
            (&steps_chart(1), Lang::En, Shape::Wide),
            (&steps_chart(0), Lang::En, Shape::Narrow),
            (&steps_chart(0), Lang::ZhCn, Shape::Wide),
            (&flipped, Lang::En, Shape::Wide),
            (&gone_stale, Lang::En, Shape::Wide),
            (&renamed, Lang::En, Shape::Wide),
            (&simulated, Lang::En, Shape::Wide),
            (&moved, Lang::En, Shape::Wide),
        ] {
            let drawn = d.drawn();
            let svg = d.steps(c, lang, shape);
            assert_eq!(
                d.drawn(),
                drawn + 1,
                "{shape:?} {lang:?} was not drawn afresh"
            );
            let direct = match shape {
                Shape::Wide => steps::render(c, lang),
                Shape::Narrow => steps::render_narrow(c, lang),
            };
            assert_eq!(svg, direct);
        }
        // A share chart and a step chart never share a key.
        assert_ne!(
            key("steps", &steps_chart(0), Lang::En, Shape::Wide),
            key("share", &steps_chart(0), Lang::En, Shape::Wide)
        );
    }
}
