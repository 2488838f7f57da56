//! Charts, drawn on the server as SVG (no scripts, no external references, every text
//! escaped) and rasterised to PNG for download.
//!
//! - [`share`]: a share (0 to 1) over time, one or two series, with milestone markers:
//!   openness over time on the overview; reusable for "share compliant over time".
//! - [`steps`]: one check's status over time on its kind's ladder.
//! - [`data`]: the figures, computed in one pass over confirmed status changes.
//! - [`raster`]: SVG to PNG (resvg), fonts loaded once.
//!
//! Every chart is a standalone SVG document with `role="img"`, `<title>` and `<desc>` (the
//! data in words) named by `aria-labelledby`, and its source line and date on the image.

mod axis;
pub mod data;
pub mod raster;
pub mod share;
pub mod steps;
pub mod svg;

pub use share::{BandPoint, Bands, Marker, ShareChart, SharePoint, ShareSeries};
pub use steps::{Segment, StepChart, StepLine};

#[cfg(test)]
mod tests;
