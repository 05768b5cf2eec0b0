//! The document's photo: decoded within limits, turned upright, stripped of its metadata,
//! resized and re-encoded as JPEG, with a thumbnail.
//!
//! Every upload is decoded from scratch and encoded anew, so nothing of the original file
//! survives but its pixels: EXIF (GPS position, camera, time), XMP, IPTC, ICC profiles
//! and comments are dropped. Limits are checked on the header, before any pixel is
//! decoded: a small file announcing a huge picture (a decompression bomb) is refused
//! without allocating its size.

use std::io::Cursor;

use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};

/// Fewest pixels of the picture's shorter side: smaller cannot show a document legibly.
pub const MIN_SIDE: u32 = 100;

/// Longest side of a decoded picture, whatever the pixel budget.
pub const MAX_SIDE: u32 = 16_384;

/// How a photo is processed (from [`IdCardConfig`](crate::IdCardConfig)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoSettings {
    /// Largest upload, in bytes.
    pub max_upload_bytes: u64,
    /// Largest picture decoded, in pixels.
    pub max_pixels: u64,
    /// The box the kept photo fits in.
    pub width: u32,
    /// The box the kept photo fits in.
    pub height: u32,
    /// The thumbnail's width.
    pub thumbnail_width: u32,
    /// JPEG quality.
    pub quality: u8,
}

impl Default for PhotoSettings {
    fn default() -> Self {
        PhotoSettings::from(&crate::IdCardConfig::default())
    }
}

impl From<&crate::IdCardConfig> for PhotoSettings {
    fn from(c: &crate::IdCardConfig) -> Self {
        PhotoSettings {
            max_upload_bytes: c.max_upload_bytes,
            max_pixels: u64::from(c.max_source_megapixels) * 1_000_000,
            width: c.photo_width,
            height: c.photo_height,
            thumbnail_width: c.thumbnail_width,
            quality: c.jpeg_quality,
        }
    }
}

/// Why a photo was refused; each has a message of the plugin ([`PhotoError::message_id`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoError {
    /// No file was sent.
    Missing,
    /// The file is larger than the upload limit.
    TooLarge,
    /// The file is not a picture (or of a kind not accepted: JPEG, PNG, WebP are).
    NotAnImage,
    /// The picture is damaged or cannot be decoded.
    Corrupt,
    /// The picture has more pixels than decoded at most (or a side beyond [`MAX_SIDE`]).
    TooManyPixels,
    /// The picture is smaller than [`MIN_SIDE`] on a side.
    TooSmall,
}

impl PhotoError {
    /// The plugin's message saying so.
    pub fn message_id(self) -> &'static str {
        match self {
            PhotoError::Missing => "id_card-err-photo-missing",
            PhotoError::TooLarge => "id_card-err-photo-too-large",
            PhotoError::NotAnImage => "id_card-err-photo-not-image",
            PhotoError::Corrupt => "id_card-err-photo-corrupt",
            PhotoError::TooManyPixels => "id_card-err-photo-too-many-pixels",
            PhotoError::TooSmall => "id_card-err-photo-too-small",
        }
    }
}

/// A processed photo: the document's picture and its thumbnail, both JPEG.
#[derive(Clone, PartialEq, Eq)]
pub struct Processed {
    /// The picture, fitting the configured box.
    pub document: Vec<u8>,
    /// Its width.
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// The thumbnail.
    pub thumbnail: Vec<u8>,
    /// The thumbnail's width.
    pub thumbnail_width: u32,
    /// The thumbnail's height.
    pub thumbnail_height: u32,
}

impl std::fmt::Debug for Processed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Processed")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("thumbnail_width", &self.thumbnail_width)
            .field("thumbnail_height", &self.thumbnail_height)
            .finish_non_exhaustive()
    }
}

fn decode_error(e: &ImageError) -> PhotoError {
    match e {
        ImageError::Limits(_) => PhotoError::TooManyPixels,
        ImageError::Unsupported(_) => PhotoError::NotAnImage,
        _ => PhotoError::Corrupt,
    }
}

/// Whether an EXIF orientation turns the picture on its side.
fn swaps_sides(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Processes an uploaded photo (CPU-bound: call it off the async workers).
///
/// Peak memory is the decoded picture (at most `max_pixels` × 4 bytes, checked on the
/// header before decoding) plus the resized copy: the picture is shrunk before it is
/// turned upright, so the full-size picture is never copied.
///
/// # Errors
///
/// A [`PhotoError`]; nothing is kept of a refused file.
pub fn process(bytes: &[u8], settings: &PhotoSettings) -> Result<Processed, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Missing);
    }
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > settings.max_upload_bytes {
        return Err(PhotoError::TooLarge);
    }
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| PhotoError::Corrupt)?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) => {}
        _ => return Err(PhotoError::NotAnImage),
    }
    let max_alloc = settings.max_pixels.saturating_mul(4);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(max_alloc);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| decode_error(&e))?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > settings.max_pixels || decoder.total_bytes() > max_alloc {
        return Err(PhotoError::TooManyPixels);
    }
    if w.min(h) < MIN_SIDE {
        return Err(PhotoError::TooSmall);
    }
    // a damaged EXIF block is no reason to refuse the picture: it is dropped anyway
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let picture = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(&e))?;

    let (box_w, box_h) = if swaps_sides(orientation) {
        (settings.height, settings.width)
    } else {
        (settings.width, settings.height)
    };
    let mut small = if w > box_w || h > box_h {
        picture.resize(box_w, box_h, FilterType::Triangle)
    } else {
        picture
    };
    small.apply_orientation(orientation);
    let small = DynamicImage::ImageRgb8(small.into_rgb8());

    let thumb_w = settings.thumbnail_width.min(small.width());
    let thumb_h = scaled(small.height(), thumb_w, small.width());
    let thumbnail = if thumb_h > thumb_w * 4 {
        // a very tall picture: its thumbnail is at most four times as tall as wide
        small.resize(thumb_w, thumb_w * 4, FilterType::Triangle)
    } else {
        small.resize_exact(thumb_w, thumb_h, FilterType::Triangle)
    };
    Ok(Processed {
        document: jpeg(&small, settings.quality)?,
        width: small.width(),
        height: small.height(),
        thumbnail: jpeg(&thumbnail, settings.quality)?,
        thumbnail_width: thumbnail.width(),
        thumbnail_height: thumbnail.height(),
    })
}

/// `side` × `num` / `den`, rounded, at least 1.
fn scaled(side: u32, num: u32, den: u32) -> u32 {
    let v = (u64::from(side) * u64::from(num) + u64::from(den) / 2) / u64::from(den.max(1));
    u32::try_from(v).unwrap_or(u32::MAX).max(1)
}

/// A JPEG of `picture` with no metadata (the encoder writes none unless told to).
fn jpeg(picture: &DynamicImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(picture)
        .map_err(|_| PhotoError::Corrupt)?;
    Ok(out)
}

#[cfg(test)]
#[path = "photo_tests.rs"]
mod tests;
