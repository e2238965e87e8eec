//! Still images (PNG, JPEG) as a one-frame source.
//!
//! The format is decided by the file's first bytes, never by its extension, and the image
//! size is checked from the header before any pixel is decoded, so a hostile or mistaken
//! input (a 30000x30000 PNG) is refused without allocating for it.

use super::{Frame, FrameError, FrameSource};
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Longest side accepted, in pixels, for images and video frames.
pub const MAX_IMAGE_SIDE_PX: u32 = 16384;
/// Largest pixel count accepted (100 megapixels), for images and video frames.
pub const MAX_IMAGE_PIXELS: u64 = 100_000_000;
/// Shortest side accepted: below this there is no person to find.
pub(crate) const MIN_IMAGE_SIDE_PX: u32 = 32;

/// Ceiling for the decoder's own allocations: the largest accepted image as 16-bit RGBA
/// (8 bytes a pixel) plus slack. Our header check refuses anything bigger first; this is
/// the second line of defence inside the decoder.
const MAX_DECODER_ALLOC: u64 = MAX_IMAGE_PIXELS * 8 + (64 << 20);

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];

/// The still-image format of these leading bytes, if it is one we decode ourselves.
pub(crate) fn sniff(head: &[u8]) -> Option<ImageFormat> {
    if head.starts_with(PNG_MAGIC) {
        Some(ImageFormat::Png)
    } else if head.starts_with(JPEG_MAGIC) {
        Some(ImageFormat::Jpeg)
    } else {
        None
    }
}

fn read_head(path: &Path, n: usize) -> Result<Vec<u8>, FrameError> {
    let io_err = |e| FrameError::Io {
        path: path.to_owned(),
        source: e,
    };
    let mut head = Vec::with_capacity(n);
    File::open(path)
        .map_err(io_err)?
        .take(n as u64)
        .read_to_end(&mut head)
        .map_err(io_err)?;
    Ok(head)
}

/// Whether the file's content is a PNG or a JPEG (by magic bytes, not by extension).
pub fn looks_like_image(path: &Path) -> Result<bool, FrameError> {
    Ok(sniff(&read_head(path, PNG_MAGIC.len())?).is_some())
}

/// Refuse a frame size outside the accepted range. Shared with the video source.
pub(crate) fn check_size(path: &Path, width: u32, height: u32) -> Result<(), FrameError> {
    if width > MAX_IMAGE_SIDE_PX
        || height > MAX_IMAGE_SIDE_PX
        || u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS
    {
        return Err(FrameError::TooLarge {
            path: path.to_owned(),
            width,
            height,
            max_side: MAX_IMAGE_SIDE_PX,
            max_megapixels: (MAX_IMAGE_PIXELS / 1_000_000) as u32,
        });
    }
    Ok(())
}

/// A PNG or JPEG file as a source of exactly one frame (index 0, timestamp 0).
///
/// The image is decoded when opened, so every error surfaces from [`ImageSource::open`].
/// Whatever the file holds, the frame is 8-bit RGB:
/// - the EXIF orientation (tags 1-8) is applied, so the frame is upright as a viewer shows it;
/// - greyscale is replicated to three channels;
/// - 16-bit samples are scaled to 8 bits;
/// - **alpha is composited over a white background** (a transparent pixel becomes white),
///   which is what an image viewer on a light page shows.
#[derive(Debug)]
pub struct ImageSource {
    label: String,
    width: u32,
    height: u32,
    frame: Option<Frame>,
}

impl ImageSource {
    /// Decode the image at `path`. See the type's documentation for the conversions.
    pub fn open(path: &Path) -> Result<Self, FrameError> {
        super::check_path(path)?;
        let p = || path.to_owned();
        let format = sniff(&read_head(path, PNG_MAGIC.len())?).ok_or_else(|| FrameError::Unsupported {
            path: p(),
            detail: "not a PNG or JPEG file (unrecognised leading bytes)".into(),
        })?;
        let file = File::open(path).map_err(|e| FrameError::Io { path: p(), source: e })?;

        // Header only: no limits yet, so the header itself always reads and we learn the size.
        let mut reader = ImageReader::with_format(BufReader::new(file), format);
        reader.no_limits();
        let mut decoder = reader.into_decoder().map_err(|e| image_error(path, e))?;
        let (width, height) = decoder.dimensions();
        check_size(path, width, height)?;
        if width < MIN_IMAGE_SIDE_PX || height < MIN_IMAGE_SIDE_PX {
            return Err(FrameError::TooSmall {
                path: p(),
                width,
                height,
            });
        }
        if format == ImageFormat::Jpeg {
            check_jpeg_complete(path)?;
        }
        // A broken EXIF block is not worth refusing the picture for: keep it unrotated.
        let orientation = decoder
            .orientation()
            .unwrap_or(image::metadata::Orientation::NoTransforms);

        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_IMAGE_SIDE_PX);
        limits.max_image_height = Some(MAX_IMAGE_SIDE_PX);
        limits.max_alloc = Some(MAX_DECODER_ALLOC);
        decoder.set_limits(limits).map_err(|e| image_error(path, e))?;

        let mut image = DynamicImage::from_decoder(decoder).map_err(|e| image_error(path, e))?;
        image.apply_orientation(orientation);
        let rgb = to_rgb_over_white(image);
        let (width, height) = rgb.dimensions();
        Ok(ImageSource {
            label: path.display().to_string(),
            width,
            height,
            frame: Some(Frame {
                image: rgb,
                index: 0,
                timestamp_ms: 0.0,
            }),
        })
    }

    /// Width of the (upright) frame in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height of the (upright) frame in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }
}

impl FrameSource for ImageSource {
    fn label(&self) -> &str {
        &self.label
    }

    fn is_still(&self) -> bool {
        true
    }

    fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        self.frame.take().map(Ok)
    }
}

/// Our error for an `image` crate error on `path`.
fn image_error(path: &Path, e: ImageError) -> FrameError {
    let path: PathBuf = path.to_owned();
    match e {
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => FrameError::Corrupt {
            path,
            detail: "unexpected end of file (truncated?)".into(),
        },
        ImageError::IoError(source) => FrameError::Io { path, source },
        ImageError::Unsupported(u) => FrameError::Unsupported {
            path,
            detail: u.to_string(),
        },
        // Only reachable if a decoder's own accounting disagrees with our header check.
        ImageError::Limits(l) => FrameError::Corrupt {
            path,
            detail: format!("decoder refused it: {l}"),
        },
        other => FrameError::Corrupt {
            path,
            detail: other.to_string(),
        },
    }
}

/// The JPEG decoder we use is lenient: it fills a truncated file's missing rows with grey and
/// reports success. A complete baseline or progressive JPEG ends its last scan with an EOI
/// marker (FF D9); in entropy-coded data a literal FF is always followed by 00 or a restart
/// marker, so "FF D9 after the last SOS (FF DA)" is a reliable completeness test.
fn check_jpeg_complete(path: &Path) -> Result<(), FrameError> {
    let data = std::fs::read(path).map_err(|e| FrameError::Io {
        path: path.to_owned(),
        source: e,
    })?;
    let last_sos = data.windows(2).rposition(|w| w == [0xFF, 0xDA]);
    let complete = match last_sos {
        Some(sos) => data[sos..].windows(2).any(|w| w == [0xFF, 0xD9]),
        None => false,
    };
    if complete {
        Ok(())
    } else {
        Err(FrameError::Corrupt {
            path: path.to_owned(),
            detail: "JPEG image data ends before its end-of-image marker (truncated)".into(),
        })
    }
}

/// Flatten any colour type to 8-bit RGB; alpha is composited over white.
fn to_rgb_over_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut rgb = RgbImage::new(w, h);
    for (dst, src) in rgb.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(src[3]);
        for c in 0..3 {
            // c*a + 255*(1-a), in 0..=255 with rounding.
            dst[c] = ((u32::from(src[c]) * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    rgb
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::{open_file, OpenOptions};
    use image::{GrayImage, ImageBuffer, Luma, LumaA, Rgb, Rgba, RgbaImage};
    use std::io::Write;
    use std::time::Instant;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn png_bytes(img: &DynamicImage) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    fn only_frame(path: &Path) -> Frame {
        let mut src = ImageSource::open(path).unwrap();
        let frame = src.next_frame().unwrap().unwrap();
        assert!(src.next_frame().is_none(), "a still image yields one frame");
        frame
    }

    #[test]
    fn fixtures_decode() {
        for (name, w, h) in [
            ("astronaut.png", 512, 512),
            ("cameraman.png", 512, 512),
            ("grace_hopper.jpg", 512, 600),
        ] {
            let path = fixture(name);
            assert!(looks_like_image(&path).unwrap());
            let mut src = open_file(&path, &OpenOptions::default()).unwrap();
            assert_eq!(src.label(), path.display().to_string());
            let frame = src.next_frame().unwrap().unwrap();
            assert_eq!(frame.image.dimensions(), (w, h), "{name}");
            assert_eq!((frame.index, frame.timestamp_ms), (0, 0.0));
            assert!(src.next_frame().is_none());
        }
    }

    #[test]
    fn greyscale_becomes_rgb() {
        let dir = tempfile::tempdir().unwrap();
        let grey = GrayImage::from_fn(40, 36, |x, _| Luma([(x * 6) as u8]));
        let path = write(&dir, "grey.png", &png_bytes(&DynamicImage::ImageLuma8(grey)));
        let frame = only_frame(&path);
        assert_eq!(frame.image.dimensions(), (40, 36));
        assert_eq!(*frame.image.get_pixel(10, 3), Rgb([60, 60, 60]));
    }

    #[test]
    fn greyscale_alpha_and_16_bit() {
        let dir = tempfile::tempdir().unwrap();
        // 16-bit grey with alpha: opaque 50% grey on the left, fully transparent on the right.
        let la: ImageBuffer<LumaA<u16>, Vec<u16>> =
            ImageBuffer::from_fn(
                40,
                40,
                |x, _| {
                    if x < 20 {
                        LumaA([32896, 65535])
                    } else {
                        LumaA([0, 0])
                    }
                },
            );
        let path = write(&dir, "la16.png", &png_bytes(&DynamicImage::ImageLumaA16(la)));
        let frame = only_frame(&path);
        assert_eq!(*frame.image.get_pixel(5, 5), Rgb([128, 128, 128]));
        assert_eq!(
            *frame.image.get_pixel(30, 5),
            Rgb([255, 255, 255]),
            "transparent -> white"
        );

        let rgb16: ImageBuffer<Rgb<u16>, Vec<u16>> = ImageBuffer::from_pixel(33, 34, Rgb([65535, 0, 257 * 10]));
        let path = write(&dir, "rgb16.png", &png_bytes(&DynamicImage::ImageRgb16(rgb16)));
        assert_eq!(*only_frame(&path).image.get_pixel(0, 0), Rgb([255, 0, 10]));
    }

    #[test]
    fn rgba_composited_over_white() {
        let dir = tempfile::tempdir().unwrap();
        let mut rgba = RgbaImage::from_pixel(48, 48, Rgba([200, 0, 0, 255]));
        rgba.put_pixel(1, 1, Rgba([0, 0, 0, 0])); // transparent -> white
        rgba.put_pixel(2, 2, Rgba([0, 0, 0, 128])); // half black over white -> mid grey
        rgba.put_pixel(3, 3, Rgba([0, 0, 255, 255])); // opaque -> unchanged
        let path = write(&dir, "rgba.png", &png_bytes(&DynamicImage::ImageRgba8(rgba)));
        let img = only_frame(&path).image;
        assert_eq!(*img.get_pixel(0, 0), Rgb([200, 0, 0]));
        assert_eq!(*img.get_pixel(1, 1), Rgb([255, 255, 255]));
        assert_eq!(*img.get_pixel(2, 2), Rgb([127, 127, 127]));
        assert_eq!(*img.get_pixel(3, 3), Rgb([0, 0, 255]));
    }

    /// An APP1 segment holding a little-endian TIFF with a single Orientation (0x0112) entry.
    fn exif_orientation_segment(orientation: u16) -> Vec<u8> {
        let mut tiff = Vec::new();
        tiff.extend_from_slice(b"II*\0");
        tiff.extend_from_slice(&8u32.to_le_bytes()); // IFD0 offset
        tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
        tiff.extend_from_slice(&0x0112u16.to_le_bytes()); // tag: Orientation
        tiff.extend_from_slice(&3u16.to_le_bytes()); // type: SHORT
        tiff.extend_from_slice(&1u32.to_le_bytes()); // count
        tiff.extend_from_slice(&orientation.to_le_bytes());
        tiff.extend_from_slice(&[0, 0]); // value padding to 4 bytes
        tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend_from_slice(&tiff);
        let mut seg = vec![0xFF, 0xE1];
        seg.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        seg.extend_from_slice(&payload);
        seg
    }

    #[test]
    fn jpeg_exif_orientation_6_rotates_clockwise() {
        // 64 wide, 40 high, black with a red block in the top-left corner.
        let mut img = RgbImage::from_pixel(64, 40, Rgb([0, 0, 0]));
        for y in 0..12 {
            for x in 0..12 {
                img.put_pixel(x, y, Rgb([255, 0, 0]));
            }
        }
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
            .encode_image(&img)
            .unwrap();
        // Insert the Exif segment straight after SOI (FF D8).
        let mut with_exif = jpeg[..2].to_vec();
        with_exif.extend_from_slice(&exif_orientation_segment(6));
        with_exif.extend_from_slice(&jpeg[2..]);
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "rotated.jpg", &with_exif);

        let frame = only_frame(&path).image;
        // Orientation 6: the stored image must be turned 90 degrees clockwise to display,
        // so the stored top-left corner ends up top-right.
        assert_eq!(frame.dimensions(), (40, 64));
        let top_right = frame.get_pixel(40 - 4, 4);
        let top_left = frame.get_pixel(4, 4);
        assert!(
            top_right[0] > 200 && top_right[1] < 60,
            "red corner moved top-right: {top_right:?}"
        );
        assert!(top_left[0] < 60, "top-left is now black: {top_left:?}");
    }

    #[test]
    fn one_pixel_is_too_small() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "dot.png",
            &png_bytes(&DynamicImage::ImageRgb8(RgbImage::new(1, 1))),
        );
        let err = open_file(&path, &OpenOptions::default()).err().unwrap();
        assert!(
            matches!(
                err,
                FrameError::TooSmall {
                    width: 1,
                    height: 1,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("dot.png"));
        // 31 px on one side is still too small; 32 is fine.
        let path = write(
            &dir,
            "thin.png",
            &png_bytes(&DynamicImage::ImageRgb8(RgbImage::new(400, 31))),
        );
        assert!(matches!(ImageSource::open(&path), Err(FrameError::TooSmall { .. })));
        let path = write(
            &dir,
            "ok.png",
            &png_bytes(&DynamicImage::ImageRgb8(RgbImage::new(32, 32))),
        );
        assert!(ImageSource::open(&path).is_ok());
    }

    fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut crc_input = kind.to_vec();
        crc_input.extend_from_slice(data);
        out.extend_from_slice(&crc_input);
        out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A syntactically valid PNG claiming `w`x`h` RGB, with a tiny IDAT (one stored zlib block).
    fn png_with_header(w: u32, h: u32) -> Vec<u8> {
        let mut png = PNG_MAGIC.to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&w.to_be_bytes());
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter/interlace
        png_chunk(&mut png, b"IHDR", &ihdr);
        // zlib header, final stored block of 1 byte (a filter byte), adler32 of [0].
        png_chunk(
            &mut png,
            b"IDAT",
            &[0x78, 0x01, 0x01, 0x01, 0x00, 0xFE, 0xFF, 0x00, 0x00, 0x01, 0x00, 0x01],
        );
        png_chunk(&mut png, b"IEND", &[]);
        png
    }

    #[test]
    fn huge_png_refused_from_header() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "huge.png", &png_with_header(30000, 30000));
        let start = Instant::now();
        let err = open_file(&path, &OpenOptions::default()).err().unwrap();
        assert!(
            matches!(
                err,
                FrameError::TooLarge {
                    width: 30000,
                    height: 30000,
                    ..
                }
            ),
            "{err}"
        );
        assert!(start.elapsed().as_millis() < 500, "refused before decoding");
        assert!(err.to_string().contains("huge.png"));
        // Within the side limit but over the pixel budget.
        let path = write(&dir, "wide.png", &png_with_header(16000, 7000));
        assert!(matches!(ImageSource::open(&path), Err(FrameError::TooLarge { .. })));
    }

    #[test]
    fn truncated_png_is_corrupt() {
        let bytes = std::fs::read(fixture("cameraman.png")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "half.png", &bytes[..bytes.len() / 2]);
        let err = open_file(&path, &OpenOptions::default()).err().unwrap();
        assert!(matches!(err, FrameError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("half.png"));
        // Cut inside the header: still Corrupt, not a panic.
        let path = write(&dir, "stub.png", &bytes[..20]);
        let err = open_file(&path, &OpenOptions::default()).err().unwrap();
        assert!(matches!(err, FrameError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn truncated_jpeg_is_corrupt() {
        let bytes = std::fs::read(fixture("grace_hopper.jpg")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        for cut in [bytes.len() / 2, bytes.len() - 2, 300, 4] {
            let path = write(&dir, "cut.jpg", &bytes[..cut]);
            let err = open_file(&path, &OpenOptions::default()).err().unwrap();
            assert!(matches!(err, FrameError::Corrupt { .. }), "cut at {cut}: {err}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

        /// Truncated or damaged images give an error naming the file (or a frame), never a panic.
        #[test]
        fn damaged_images_never_panic(
            jpeg in proptest::prelude::any::<bool>(),
            keep in 0.0f64..1.0,
            edits in proptest::collection::vec((0.0f64..1.0, proptest::prelude::any::<u8>()), 0..6),
        ) {
            let name = if jpeg { "grace_hopper.jpg" } else { "cameraman.png" };
            let mut bytes = std::fs::read(fixture(name)).unwrap();
            for (at, value) in edits {
                let i = (at * bytes.len() as f64) as usize;
                bytes[i] = value;
            }
            bytes.truncate(((bytes.len() as f64 * keep) as usize).max(1));
            let dir = tempfile::tempdir().unwrap();
            let path = write(&dir, "damaged.img", &bytes);
            match open_file(&path, &OpenOptions::default()) {
                Err(e) => proptest::prop_assert!(e.to_string().contains("damaged.img"), "{}", e),
                Ok(mut src) => {
                    while let Some(r) = src.next_frame() {
                        if let Err(e) = r {
                            proptest::prop_assert!(e.to_string().contains("damaged.img"), "{}", e);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn png_named_mp4_opens_as_image() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "actually_a_png.mp4",
            &std::fs::read(fixture("cameraman.png")).unwrap(),
        );
        assert!(looks_like_image(&path).unwrap());
        let frame = open_file(&path, &OpenOptions::default())
            .unwrap()
            .next_frame()
            .unwrap()
            .unwrap();
        assert_eq!(frame.image.dimensions(), (512, 512));
    }

    #[test]
    fn sniffing_ignores_extension() {
        let dir = tempfile::tempdir().unwrap();
        let mut f = File::create(dir.path().join("short.png")).unwrap();
        f.write_all(b"\x89P").unwrap();
        assert!(!looks_like_image(&dir.path().join("short.png")).unwrap());
        assert!(!looks_like_image(&fixture("webcam_face.mp4")).unwrap());
        assert!(looks_like_image(&fixture("grace_hopper.jpg")).unwrap());
    }

    #[test]
    fn opening_non_image_directly_is_unsupported() {
        let err = ImageSource::open(&fixture("webcam_face.mp4")).err().unwrap();
        assert!(matches!(err, FrameError::Unsupported { .. }), "{err}");
    }
}
