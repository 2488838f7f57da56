//! Screenshots are untrusted files. Each is capped in size, its type decided from its bytes
//! (never its name or the header it came with), decoded under limits (no decompression
//! bombs) and re-encoded as PNG from its pixels alone: EXIF, GPS positions, colour
//! profiles, comments and anything appended are gone. A thumbnail is drawn for pages.
//!
//! Pure: bytes in, bytes out. CPU-heavy: call it off the async runtime.

use image::{DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageFormat, Limits};
use std::io::Cursor;

/// The largest file accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The longest side accepted, in pixels (a tall phone screenshot is under 3,000).
pub const MAX_SIDE: u32 = 6_000;
/// The most memory one decoded image may take.
pub const MAX_DECODED_BYTES: u64 = 128 * 1024 * 1024;
/// Thumbnails fit in a square of this side.
pub const THUMBNAIL_SIDE: u32 = 320;

/// Why a file is not accepted as a screenshot.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScreenshotError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {} MiB", MAX_BYTES / 1024 / 1024)]
    TooLarge,
    /// Its bytes are not a PNG, JPEG or WebP image, whatever its name says (HTML, SVG …).
    #[error("the file is not a PNG, JPEG or WebP image")]
    NotAnImage,
    /// Too many pixels: larger than [`MAX_SIDE`] or [`MAX_DECODED_BYTES`] decoded.
    #[error("the image is too large ({width} × {height} pixels)")]
    TooManyPixels { width: u32, height: u32 },
    /// It starts as an image but cannot be decoded (cut short, damaged).
    #[error("the image is damaged or incomplete")]
    Damaged,
}

/// A screenshot made safe: its pixels as PNG, and a thumbnail.
#[derive(Clone)]
pub struct Screenshot {
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub thumbnail: Vec<u8>,
    /// What the file was: `png`, `jpeg` or `webp`.
    pub original_format: &'static str,
}

impl std::fmt::Debug for Screenshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screenshot")
            .field("bytes", &self.png.len())
            .field("width", &self.width)
            .field("height", &self.height)
            .field("original_format", &self.original_format)
            .finish_non_exhaustive()
    }
}

fn png(image: &image::RgbaImage) -> Result<Vec<u8>, ScreenshotError> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgba8,
        )
        .map_err(|_| ScreenshotError::Damaged)?;
    Ok(out)
}

/// Checks, decodes and re-encodes one uploaded file.
pub fn sanitise(bytes: &[u8]) -> Result<Screenshot, ScreenshotError> {
    if bytes.is_empty() {
        return Err(ScreenshotError::Empty);
    }
    if bytes.len() > MAX_BYTES {
        return Err(ScreenshotError::TooLarge);
    }
    let format = image::guess_format(bytes).map_err(|_| ScreenshotError::NotAnImage)?;
    let original_format = match format {
        ImageFormat::Png => "png",
        ImageFormat::Jpeg => "jpeg",
        ImageFormat::WebP => "webp",
        _ => return Err(ScreenshotError::NotAnImage),
    };
    if format == ImageFormat::Jpeg && !jpeg_is_whole(bytes) {
        return Err(ScreenshotError::Damaged);
    }
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| refusal(e, bytes, format))?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(|e| refusal(e, bytes, format))?;
    // The way the camera was held is applied to the pixels before the EXIF that said so
    // is dropped.
    decoded.apply_orientation(orientation);
    let rgba = decoded.into_rgba8();
    let thumbnail = DynamicImage::ImageRgba8(rgba.clone())
        .thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE)
        .into_rgba8();
    Ok(Screenshot {
        png: png(&rgba)?,
        width: rgba.width(),
        height: rgba.height(),
        thumbnail: png(&thumbnail)?,
        original_format,
    })
}

/// Whether a JPEG ends its image: an end-of-image marker after the last start of scan.
/// The JPEG decoder pads an image cut short with grey instead of failing, and a screenshot
/// missing its lower half would go through as evidence. (Inside the compressed data every
/// 0xFF byte is followed by 0x00, so FF D9 there is the real marker; an EXIF thumbnail's
/// own markers come before the main image's first scan.)
fn jpeg_is_whole(bytes: &[u8]) -> bool {
    let Some(last_scan) = bytes.windows(2).rposition(|w| w == [0xFF, 0xDA]) else {
        return false;
    };
    bytes[last_scan..].windows(2).any(|w| w == [0xFF, 0xD9])
}

/// An error of the decoder as a refusal: over the limits (with the size the file claims),
/// or damaged.
fn refusal(e: image::ImageError, bytes: &[u8], format: ImageFormat) -> ScreenshotError {
    match e {
        image::ImageError::Limits(_) => {
            let (width, height) = image::ImageReader::with_format(Cursor::new(bytes), format)
                .into_dimensions()
                .unwrap_or((0, 0));
            ScreenshotError::TooManyPixels { width, height }
        }
        _ => ScreenshotError::Damaged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        });
        let mut out = Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(image)
            .write_to(&mut out, format)
            .expect("encode");
        out.into_inner()
    }

    #[test]
    fn png_jpeg_and_webp_come_out_as_png_with_a_thumbnail() {
        for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP] {
            let s = sanitise(&encoded(format, 640, 1200)).expect("accepted");
            assert_eq!((s.width, s.height), (640, 1200), "{format:?}");
            assert_eq!(image::guess_format(&s.png).unwrap(), ImageFormat::Png);
            let thumb = image::load_from_memory(&s.thumbnail).expect("thumbnail");
            assert!(thumb.width() <= THUMBNAIL_SIDE && thumb.height() <= THUMBNAIL_SIDE);
        }
    }

    #[test]
    fn markup_named_as_an_image_is_not_an_image() {
        for text in [
            &b"<!doctype html><script>alert(1)</script>"[..],
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
            b"GIF89a",
        ] {
            assert_eq!(sanitise(text).unwrap_err(), ScreenshotError::NotAnImage);
        }
    }

    #[test]
    fn a_cut_short_image_is_damaged() {
        for format in [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP] {
            let whole = encoded(format, 300, 300);
            let cut = &whole[..whole.len() / 2];
            assert_eq!(
                sanitise(cut).unwrap_err(),
                ScreenshotError::Damaged,
                "{format:?}"
            );
            assert!(sanitise(&whole).is_ok(), "{format:?}");
        }
    }
}
