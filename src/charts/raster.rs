//! SVG to PNG with resvg. The font database (system fonts, Noto Sans CJK SC for Chinese
//! from Debian's `fonts-noto-cjk`) is loaded once; rendering is CPU work, so callers run
//! it on a blocking thread, a bounded number at once (the server: `web::png`).

use resvg::{tiny_skia, usvg};
use std::sync::{Arc, LazyLock};

/// Images are drawn at twice their SVG size (sharp on high-density screens and in print).
pub const SCALE: f32 = 2.0;
/// No side of a PNG exceeds this many pixels, whatever the SVG says.
pub const MAX_SIDE: u32 = 4_000;

static FONTS: LazyLock<Arc<usvg::fontdb::Database>> = LazyLock::new(|| {
    let mut db = usvg::fontdb::Database::new();
    db.load_system_fonts();
    if db.faces().next().is_none() {
        tracing::warn!("no system fonts found: chart text will be missing from PNG images");
    }
    db.set_sans_serif_family("Noto Sans CJK SC");
    Arc::new(db)
});

#[derive(Debug, thiserror::Error)]
pub enum RasterError {
    #[error("the chart's SVG could not be read: {0}")]
    Parse(#[from] usvg::Error),
    #[error("the image would be {0}×{1} pixels, over the limit")]
    TooLarge(u32, u32),
    #[error("PNG encoding failed: {0}")]
    Encode(String),
}

/// One SVG document read and laid out, texts shaped with the fonts the PNGs use (tests
/// measure where the texts of a drawing end up).
pub fn tree(svg: &str) -> Result<usvg::Tree, RasterError> {
    let options = usvg::Options {
        fontdb: FONTS.clone(),
        languages: vec!["zh-CN".into(), "en".into()],
        ..usvg::Options::default()
    };
    Ok(usvg::Tree::from_str(svg, &options)?)
}

/// Renders one SVG document to PNG bytes. Blocking: run it off the async runtime.
pub fn png(svg: &str) -> Result<Vec<u8>, RasterError> {
    let tree = tree(svg)?;
    let size = tree.size();
    let (w, h) = (
        (size.width() * SCALE).ceil() as u32,
        (size.height() * SCALE).ceil() as u32,
    );
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE {
        return Err(RasterError::TooLarge(w, h));
    }
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or(RasterError::TooLarge(w, h))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(SCALE, SCALE),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| RasterError::Encode(e.to_string()))
}
