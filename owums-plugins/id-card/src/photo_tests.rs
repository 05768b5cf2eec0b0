//! Photo processing on pictures made here: orientation, metadata, sizes, bad files, bombs.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use image::{ImageFormat, Rgb, RgbImage};

use super::*;

/// Records the largest single allocation of the test binary, to show that a bomb is
/// refused before its pixels are allocated. (Test code only: the plugin itself has no
/// unsafe code and sets no allocator.)
struct Largest;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

#[allow(unsafe_code)]
// SAFETY: every method forwards to the system allocator with the caller's arguments.
unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

const RED: Rgb<u8> = Rgb([220, 20, 20]);
const BLUE: Rgb<u8> = Rgb([20, 20, 220]);

/// A picture whose left half is red and right half blue.
fn halves(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, _| if x < w / 2 { RED } else { BLUE })
}

fn encode(img: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn decode(jpeg: &[u8]) -> RgbImage {
    assert_eq!(image::guess_format(jpeg).unwrap(), ImageFormat::Jpeg);
    image::load_from_memory(jpeg).unwrap().into_rgb8()
}

fn is_red(p: Rgb<u8>) -> bool {
    p[0] > 150 && p[2] < 100
}

fn is_blue(p: Rgb<u8>) -> bool {
    p[2] > 150 && p[0] < 100
}

const GPS_MARKER: &[u8] = b"OWUMS-SECRET-PLACE 41.9N 12.5E";

/// An EXIF block (big-endian TIFF) with an orientation and a GPS IFD holding
/// `GPSLatitudeRef = N` and a `GPSMapDatum` carrying [`GPS_MARKER`].
fn exif(orientation: u16) -> Vec<u8> {
    let mut t: Vec<u8> = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend(tag.to_be_bytes());
        t.extend(kind.to_be_bytes());
        t.extend(count.to_be_bytes());
        t.extend(value);
    };
    // IFD0 at 8: two entries, ends at 8 + 2 + 24 + 4 = 38
    t.extend(2u16.to_be_bytes());
    let o = orientation.to_be_bytes();
    entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, 4, 1, 38u32.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    // GPS IFD at 38: two entries, ends at 68 where the datum's text is
    t.extend(2u16.to_be_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    let len = u32::try_from(GPS_MARKER.len() + 1).unwrap();
    entry(&mut t, 0x0012, 2, len, 68u32.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    assert_eq!(t.len(), 68);
    t.extend(GPS_MARKER);
    t.push(0);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(t);
    payload
}

/// The JPEG `jpeg` with an APP1 EXIF segment inserted after its JFIF APP0 segment.
fn with_exif(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    assert_eq!(&jpeg[..4], &[0xff, 0xd8, 0xff, 0xe0], "SOI then APP0");
    let app0_end = 4 + usize::from(u16::from_be_bytes([jpeg[4], jpeg[5]]));
    let payload = exif(orientation);
    let mut out = jpeg[..app0_end].to_vec();
    out.extend([0xff, 0xe1]);
    out.extend(u16::try_from(payload.len() + 2).unwrap().to_be_bytes());
    out.extend(payload);
    out.extend(&jpeg[app0_end..]);
    out
}

/// The markers of the segments before the image data.
fn segments(jpeg: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xff {
        let marker = jpeg[i + 1];
        markers.push(marker);
        if marker == 0xda {
            break;
        }
        i += 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
    }
    markers
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn exif_orientation_is_applied_and_every_piece_of_metadata_dropped() {
    let source = with_exif(&encode(&halves(300, 150), ImageFormat::Jpeg), 6);
    // the hand-made block is one image's own decoder reads: rotate 90° clockwise
    let mut decoder = ImageReader::new(Cursor::new(&source))
        .with_guessed_format()
        .unwrap()
        .into_decoder()
        .unwrap();
    assert_eq!(decoder.orientation().unwrap(), Orientation::Rotate90);
    assert!(contains(&source, GPS_MARKER));

    let done = process(&source, &PhotoSettings::default()).unwrap();
    assert_eq!((done.width, done.height), (150, 300), "turned upright");
    let out = decode(&done.document);
    assert_eq!(out.dimensions(), (150, 300));
    // left of the sensor (red) is the top of the upright picture
    assert!(
        is_red(*out.get_pixel(75, 30)),
        "{:?}",
        out.get_pixel(75, 30)
    );
    assert!(
        is_blue(*out.get_pixel(75, 270)),
        "{:?}",
        out.get_pixel(75, 270)
    );

    for jpeg in [&done.document, &done.thumbnail] {
        let markers = segments(jpeg);
        assert!(markers.contains(&0xda), "a complete JPEG: {markers:x?}");
        assert!(
            !markers.contains(&0xe1),
            "no APP1 (EXIF, XMP): {markers:x?}"
        );
        assert!(!contains(jpeg, b"Exif"));
        assert!(!contains(jpeg, GPS_MARKER), "the GPS position is gone");
        let mut d = ImageReader::new(Cursor::new(jpeg))
            .with_guessed_format()
            .unwrap()
            .into_decoder()
            .unwrap();
        assert_eq!(d.exif_metadata().unwrap(), None);
    }
}

#[test]
fn a_turned_picture_fits_the_box_once_upright() {
    let source = with_exif(&encode(&halves(2000, 1000), ImageFormat::Jpeg), 6);
    let done = process(&source, &PhotoSettings::default()).unwrap();
    // upright it is 1000×2000: fitting 800×600 makes it 300×600
    assert_eq!((done.width, done.height), (300, 600));
    assert_eq!(decode(&done.document).dimensions(), (300, 600));
    assert_eq!((done.thumbnail_width, done.thumbnail_height), (100, 200));
}

#[test]
fn pictures_are_shrunk_to_fit_800_by_600_never_enlarged() {
    let settings = PhotoSettings::default();
    let cases = [
        ((4000, 3000), ImageFormat::Png, (800, 600), (100, 75)),
        ((3000, 4000), ImageFormat::Jpeg, (450, 600), (100, 133)),
        ((1000, 200), ImageFormat::WebP, (800, 160), (100, 20)),
        ((640, 480), ImageFormat::Jpeg, (640, 480), (100, 75)),
        // very tall: the thumbnail is at most four times as tall as wide
        ((120, 900), ImageFormat::Png, (80, 600), (43, 320)),
    ];
    for ((w, h), format, kept, thumb) in cases {
        let done = process(&encode(&halves(w, h), format), &settings).unwrap();
        assert_eq!((done.width, done.height), kept, "{w}×{h} {format:?}");
        assert!(done.width <= 800 && done.height <= 600);
        assert_eq!(decode(&done.document).dimensions(), kept);
        assert_eq!(
            (done.thumbnail_width, done.thumbnail_height),
            thumb,
            "{w}×{h}"
        );
        assert_eq!(decode(&done.thumbnail).dimensions(), thumb);
        // colours survive: left red, right blue
        let out = decode(&done.document);
        assert!(is_red(*out.get_pixel(2, kept.1 / 2)));
        assert!(is_blue(*out.get_pixel(kept.0 - 3, kept.1 / 2)));
    }
}

#[test]
fn the_configured_box_and_thumbnail_width_are_honoured() {
    let settings = PhotoSettings {
        width: 400,
        height: 400,
        thumbnail_width: 64,
        ..PhotoSettings::default()
    };
    let done = process(&encode(&halves(1600, 1200), ImageFormat::Png), &settings).unwrap();
    assert_eq!((done.width, done.height), (400, 300));
    assert_eq!((done.thumbnail_width, done.thumbnail_height), (64, 48));
}

#[test]
fn files_that_are_not_good_pictures_are_refused() {
    let settings = PhotoSettings::default();
    let png = encode(&halves(400, 300), ImageFormat::Png);
    let jpeg = encode(&halves(400, 300), ImageFormat::Jpeg);
    let mut broken_jpeg = jpeg[..20].to_vec();
    broken_jpeg.extend([0x13; 400]);
    let cases: Vec<(Vec<u8>, PhotoError, &str)> = vec![
        (Vec::new(), PhotoError::Missing, "empty"),
        (
            b"hello, this is a text file".to_vec(),
            PhotoError::NotAnImage,
            "text",
        ),
        (
            b"%PDF-1.7\n1 0 obj".to_vec(),
            PhotoError::NotAnImage,
            "a PDF",
        ),
        (
            b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec(),
            PhotoError::NotAnImage,
            "a GIF",
        ),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
            PhotoError::NotAnImage,
            "an SVG",
        ),
        (
            png[..png.len() / 2].to_vec(),
            PhotoError::Corrupt,
            "a truncated PNG",
        ),
        (png[..40].to_vec(), PhotoError::Corrupt, "a PNG header only"),
        (broken_jpeg, PhotoError::Corrupt, "a JPEG of garbage"),
        (
            encode(&halves(90, 400), ImageFormat::Png),
            PhotoError::TooSmall,
            "90 pixels wide",
        ),
    ];
    for (bytes, want, what) in cases {
        assert_eq!(process(&bytes, &settings).unwrap_err(), want, "{what}");
    }
    let small = PhotoSettings {
        max_upload_bytes: 1024,
        ..settings
    };
    assert!(jpeg.len() > 1024);
    assert_eq!(process(&jpeg, &small).unwrap_err(), PhotoError::TooLarge);
    for e in [
        PhotoError::Missing,
        PhotoError::Corrupt,
        PhotoError::TooManyPixels,
    ] {
        assert!(e.message_id().starts_with("id_card-err-photo-"));
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend(u32::try_from(data.len()).unwrap().to_be_bytes());
    let mut body = kind.to_vec();
    body.extend(data);
    out.extend(&body);
    out.extend(crc32(&body).to_be_bytes());
}

/// A well-formed PNG header announcing a `w`×`h` RGB picture, with a few bytes of data.
fn png_bomb(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    // a zlib stream of a few zero bytes: what a bomb's first rows look like
    chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01],
    );
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A real JPEG whose frame header (SOF0) is rewritten to announce `w`×`h`.
fn jpeg_bomb(w: u16, h: u16) -> Vec<u8> {
    let mut jpeg = encode(&halves(160, 120), ImageFormat::Jpeg);
    let sof = jpeg.windows(2).position(|m| m == [0xff, 0xc0]).unwrap();
    // FF C0, length (2), precision (1), height (2), width (2)
    jpeg[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    jpeg
}

#[test]
fn decompression_bombs_are_refused_from_their_header_without_allocating() {
    let settings = PhotoSettings::default();
    let bombs = [
        (png_bomb(60_000, 60_000), "a PNG beyond the longest side"),
        (png_bomb(16_000, 16_000), "a PNG of 256 megapixels"),
        (jpeg_bomb(65_000, 65_000), "a JPEG beyond the longest side"),
        (jpeg_bomb(12_000, 12_000), "a JPEG of 144 megapixels"),
    ];
    for (bytes, what) in bombs {
        assert!(bytes.len() < 4096, "{what} is a small file");
        assert_eq!(
            process(&bytes, &settings).unwrap_err(),
            PhotoError::TooManyPixels,
            "{what}"
        );
    }
    // the smallest of those would take 144 M × 3 bytes = 432 MB; no allocation of the whole
    // test binary came near (the largest pictures the other tests decode take ~40 MB)
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(
        largest < 200 * 1024 * 1024,
        "largest allocation {largest} bytes"
    );

    // the same file announcing a picture within the limits is refused for its missing
    // pixels instead: the limit, not the fake data, refused the bombs
    let e = process(&png_bomb(200, 200), &settings).unwrap_err();
    assert_eq!(
        e,
        PhotoError::Corrupt,
        "a header within the limits, then no pixels"
    );
}
