//! Live cameras through nokhwa (Video4Linux on Linux), behind the same [`FrameSource`]
//! interface as files. The nokhwa calls are kept thin; the decisions (parsing a requested
//! size, choosing among the formats a camera offers) are pure functions, tested here without
//! a camera.

use super::image_file::{MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE_PX};
use super::video::unwanted;
use super::{Frame, FrameError, FrameSource};
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

/// The resolution asked for when the user names none: enough for pose estimation, and
/// offered at full frame rate by nearly every webcam.
pub const DEFAULT_RESOLUTION: (u32, u32) = (1280, 720);
/// The frame rate asked for when the user names none.
pub const DEFAULT_FPS: u32 = 30;
/// Highest frame rate accepted in a request.
pub const MAX_FPS: u32 = 1000;

/// A camera the system reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraInfo {
    /// The number to pass as [`CameraConfig::device`].
    pub index: u32,
    pub name: String,
    pub description: String,
}

/// Which camera to open and what to ask it for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CameraConfig {
    /// Device number (`/dev/videoN` on Linux), as listed by [`list_cameras`].
    pub device: u32,
    /// Wanted (width, height); `None` asks for [`DEFAULT_RESOLUTION`].
    pub resolution: Option<(u32, u32)>,
    /// Wanted frames per second; `None` asks for [`DEFAULT_FPS`].
    pub fps: Option<u32>,
}

/// Parse a resolution written `WIDTHxHEIGHT` ("1280x720"; `X` and `×` also accepted).
/// Made for command-line parsers: the error is a complete sentence naming the input.
pub fn parse_resolution(text: &str) -> Result<(u32, u32), String> {
    let t = text.trim();
    let bad = |why: &str| format!("invalid resolution {text:?}: {why}; expected WIDTHxHEIGHT, e.g. 1280x720");
    let (w, h) = t
        .split_once(['x', 'X', '×'])
        .ok_or_else(|| bad("no 'x' between width and height"))?;
    let side = |s: &str, what: &str| -> Result<u32, String> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(&format!("{what} {s:?} is not a whole number")));
        }
        // All digits: the only way to fail is overflow, which is absurd anyway.
        let v: u32 = s.parse().map_err(|_| bad(&format!("{what} {s} is absurdly large")))?;
        if v == 0 {
            return Err(bad(&format!("{what} must be at least 1")));
        }
        Ok(v)
    };
    let (w, h) = (side(w, "width")?, side(h, "height")?);
    if w > MAX_IMAGE_SIDE_PX || h > MAX_IMAGE_SIDE_PX || u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return Err(bad(&format!(
            "{w}x{h} is beyond any camera (limit {MAX_IMAGE_SIDE_PX}px a side, {} megapixels)",
            MAX_IMAGE_PIXELS / 1_000_000
        )));
    }
    Ok((w, h))
}

/// Parse a frame rate (a whole number of frames per second, 1 to [`MAX_FPS`]).
pub fn parse_fps(text: &str) -> Result<u32, String> {
    let t = text.trim();
    match t.parse::<u32>() {
        Ok(v) if (1..=MAX_FPS).contains(&v) => Ok(v),
        Ok(v) => Err(format!(
            "invalid frame rate {v}: expected 1 to {MAX_FPS} frames per second"
        )),
        Err(_) => Err(format!(
            "invalid frame rate {text:?}: expected a whole number of frames per second, e.g. 30"
        )),
    }
}

/// Choose among a camera's offered `(width, height, fps)` formats for a request.
///
/// Resolution first: the exact size if offered; else the smallest offered size at least as
/// large as the request on both sides (the closest we can downscale from without losing
/// detail); else the largest offered size. Then, among the formats of that size, the frame
/// rate nearest the request (a tie goes to the faster). `None` only for an empty list.
pub fn choose_format(
    offered: &[(u32, u32, u32)],
    resolution: Option<(u32, u32)>,
    fps: Option<u32>,
) -> Option<(u32, u32, u32)> {
    let (rw, rh) = resolution.unwrap_or(DEFAULT_RESOLUTION);
    let want_fps = fps.unwrap_or(DEFAULT_FPS);
    let area = |w: u32, h: u32| u64::from(w) * u64::from(h);

    let exact = offered.iter().find(|&&(w, h, _)| (w, h) == (rw, rh));
    let not_below = offered
        .iter()
        .filter(|&&(w, h, _)| w >= rw && h >= rh)
        .min_by_key(|&&(w, h, _)| (area(w, h), w));
    let largest = offered.iter().max_by_key(|&&(w, h, _)| (area(w, h), w));
    let &(w, h, _) = exact.or(not_below).or(largest)?;

    offered
        .iter()
        .filter(|&&(fw, fh, _)| (fw, fh) == (w, h))
        // Nearest rate; among equally near ones the higher (Reverse makes min prefer it).
        .min_by_key(|&&(_, _, f)| (f.abs_diff(want_fps), std::cmp::Reverse(f)))
        .copied()
}

/// The cameras the system reports (empty when there are none).
pub fn list_cameras() -> Result<Vec<CameraInfo>, FrameError> {
    let found = guarded("listing cameras", || nokhwa::query(ApiBackend::Auto))?
        .map_err(|e| FrameError::Camera(format!("cannot list cameras: {e}")))?;
    Ok(found
        .into_iter()
        .filter_map(|info| {
            // Native backends number their devices; anything else cannot be opened by number.
            let index = info.index().as_index().ok()?;
            Some(CameraInfo {
                index,
                name: info.human_name(),
                description: info.description().to_string(),
            })
        })
        .collect())
}

/// Run a nokhwa call, turning a panic inside it into an error (it talks to drivers we do not
/// control, and a camera problem must never bring the program down).
fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, FrameError> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| FrameError::Camera(format!("{what}: the camera library failed")))
}

/// Pixel formats we can convert to RGB, most preferred first: uncompressed ones cost no
/// JPEG decoding; MJPEG last, although it is often the only way to get HD at full rate.
const PREFERRED_FOURCC: [FrameFormat; 5] = [
    FrameFormat::YUYV,
    FrameFormat::NV12,
    FrameFormat::RAWRGB,
    FrameFormat::RAWBGR,
    FrameFormat::MJPEG,
];

/// Consecutive capture failures after which the camera is taken as gone and the source ends.
const MAX_CONSECUTIVE_ERRORS: u32 = 5;

/// A live camera as a frame source. Frames are RGB; `index` counts the frames the camera
/// delivered (those skipped undecoded too) and `timestamp_ms` is milliseconds since the first
/// frame, from a monotonic clock.
pub struct CameraSource {
    camera: nokhwa::Camera,
    label: String,
    first_frame_at: Option<Instant>,
    index: u64,
    consecutive_errors: u32,
    format: (u32, u32, u32),
    /// Frames timed before this are taken from the driver (so that the next one is fresh)
    /// but not decoded ([`FrameSource::skip_before`]).
    skip_before_ms: Option<f64>,
}

impl std::fmt::Debug for CameraSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraSource")
            .field("label", &self.label)
            .field("format", &self.format)
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl CameraSource {
    /// Open a camera and start streaming in the format [`choose_format`] picks.
    pub fn open(config: &CameraConfig) -> Result<Self, FrameError> {
        let cameras = list_cameras()?;
        if cameras.is_empty() {
            return Err(FrameError::Camera(
                "no camera found: the system reports no video capture device (on Linux, no /dev/video*); \
                 connect a webcam, or give an image or video file instead"
                    .into(),
            ));
        }
        let Some(info) = cameras.iter().find(|c| c.index == config.device) else {
            let available: Vec<String> = cameras.iter().map(|c| format!("{} ({})", c.index, c.name)).collect();
            return Err(FrameError::Camera(format!(
                "no camera found with number {}; available: {}",
                config.device,
                available.join(", ")
            )));
        };
        let label = format!("camera {} ({})", info.index, info.name);
        let fail = |what: &str, e: &dyn std::fmt::Display| FrameError::Camera(format!("{label}: {what}: {e}"));

        let index = CameraIndex::Index(config.device);
        let mut camera = guarded(&label, || {
            nokhwa::Camera::new(index, RequestedFormat::new::<RgbFormat>(RequestedFormatType::None))
        })?
        .map_err(|e| fail("cannot open", &e))?;
        let formats: Vec<CameraFormat> = guarded(&label, || camera.compatible_camera_formats())?
            .map_err(|e| fail("cannot list its formats", &e))?
            .into_iter()
            .filter(|f| PREFERRED_FOURCC.contains(&f.format()))
            .collect();
        let offered: Vec<(u32, u32, u32)> = formats
            .iter()
            .map(|f| (f.width(), f.height(), f.frame_rate()))
            .collect();
        let chosen = choose_format(&offered, config.resolution, config.fps)
            .ok_or_else(|| FrameError::Camera(format!("{label}: offers no format that can be converted to RGB")))?;
        let format = PREFERRED_FOURCC
            .iter()
            .find_map(|fourcc| {
                formats
                    .iter()
                    .find(|f| f.format() == *fourcc && (f.width(), f.height(), f.frame_rate()) == chosen)
            })
            .copied()
            .expect("the chosen format comes from this list");
        guarded(&label, || {
            camera.set_camera_requset(RequestedFormat::new::<RgbFormat>(RequestedFormatType::Exact(format)))
        })?
        .map_err(|e| fail(&format!("cannot set {}x{} at {} fps", chosen.0, chosen.1, chosen.2), &e))?;
        guarded(&label, || camera.open_stream())?.map_err(|e| fail("cannot start streaming", &e))?;

        Ok(CameraSource {
            camera,
            label,
            first_frame_at: None,
            index: 0,
            consecutive_errors: 0,
            format: chosen,
            skip_before_ms: None,
        })
    }

    /// The (width, height, fps) the camera streams in.
    pub fn format(&self) -> (u32, u32, u32) {
        self.format
    }

    /// The next frame from the driver with its time since the first, decoded to RGB unless
    /// it comes before the skip hint (`None` then: not wanted).
    fn capture(&mut self) -> Result<(Option<image::RgbImage>, f64), FrameError> {
        let camera = &mut self.camera;
        let label = &self.label;
        let buffer = guarded(label, || camera.frame())?.map_err(|e| FrameError::Camera(format!("{label}: {e}")))?;
        let now = Instant::now();
        let timestamp_ms = (now - *self.first_frame_at.get_or_insert(now)).as_secs_f64() * 1000.0;
        if unwanted(timestamp_ms, self.skip_before_ms) {
            return Ok((None, timestamp_ms));
        }
        let image = guarded(label, || buffer.decode_image::<RgbFormat>())?
            .map_err(|e| FrameError::Camera(format!("{label}: {e}")))?;
        Ok((Some(image), timestamp_ms))
    }
}

impl FrameSource for CameraSource {
    fn label(&self) -> &str {
        &self.label
    }

    fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        loop {
            if self.consecutive_errors >= MAX_CONSECUTIVE_ERRORS {
                return None;
            }
            let captured = self.capture();
            let index = self.index;
            match captured {
                Ok((image, timestamp_ms)) => {
                    self.consecutive_errors = 0;
                    self.index += 1;
                    if let Some(image) = image {
                        return Some(Ok(Frame {
                            image,
                            index,
                            timestamp_ms,
                        }));
                    }
                }
                Err(e) => {
                    self.consecutive_errors += 1;
                    return Some(Err(e));
                }
            }
        }
    }

    fn skip_before(&mut self, t_ms: f64) {
        self.skip_before_ms = Some(t_ms);
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        // Release the device promptly; nothing useful can be done with a failure here.
        let _ = guarded(&self.label, || self.camera.stop_stream());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_resolutions() {
        assert_eq!(parse_resolution("1280x720"), Ok((1280, 720)));
        assert_eq!(parse_resolution(" 640X480 "), Ok((640, 480)));
        assert_eq!(parse_resolution("1920×1080"), Ok((1920, 1080)));
        assert_eq!(parse_resolution("16384x6000"), Ok((16384, 6000)));
    }

    #[test]
    fn rejects_bad_resolutions_with_a_clear_message() {
        for bad in [
            "",
            "1280",
            "1280x",
            "x720",
            "0x720",
            "1280x0",
            "axb",
            "1280x720x3",
            "-1x5",
            "12.5x10",
            "1280 x 72O",
            "99999999999x1",
            "20000x100",
            "16384x16384",
            "1e3x720",
        ] {
            let err = parse_resolution(bad).expect_err(bad);
            assert!(err.contains(&format!("{bad:?}")), "names the input: {err}");
            assert!(err.contains("WIDTHxHEIGHT"), "says what is expected: {err}");
        }
        assert!(parse_resolution("0x720").unwrap_err().contains("at least 1"));
        assert!(parse_resolution("20000x100").unwrap_err().contains("beyond any camera"));
    }

    #[test]
    fn parses_frame_rates() {
        assert_eq!(parse_fps("30"), Ok(30));
        assert_eq!(parse_fps(" 60 "), Ok(60));
        for bad in ["0", "-5", "abc", "", "29.97", "100000"] {
            assert!(parse_fps(bad).is_err(), "{bad}");
        }
    }

    const OFFERED: [(u32, u32, u32); 8] = [
        (640, 480, 30),
        (640, 480, 15),
        (1280, 720, 30),
        (1280, 720, 10),
        (1920, 1080, 5),
        (1920, 1080, 30),
        (320, 240, 60),
        (1024, 768, 24),
    ];

    #[test]
    fn exact_resolution_wins() {
        assert_eq!(
            choose_format(&OFFERED, Some((640, 480)), Some(30)),
            Some((640, 480, 30))
        );
        assert_eq!(
            choose_format(&OFFERED, Some((640, 480)), Some(12)),
            Some((640, 480, 15))
        );
        assert_eq!(
            choose_format(&OFFERED, Some((1920, 1080)), Some(6)),
            Some((1920, 1080, 5))
        );
    }

    #[test]
    fn otherwise_the_closest_size_not_below_the_request() {
        // 800x600: 1024x768 is the smallest that covers it.
        assert_eq!(
            choose_format(&OFFERED, Some((800, 600)), Some(30)),
            Some((1024, 768, 24))
        );
        // 1100x700: 1024 is too narrow, so 1280x720.
        assert_eq!(
            choose_format(&OFFERED, Some((1100, 700)), Some(30)),
            Some((1280, 720, 30))
        );
        // Tiny request: the smallest offered.
        assert_eq!(choose_format(&OFFERED, Some((100, 100)), None), Some((320, 240, 60)));
    }

    #[test]
    fn otherwise_the_largest() {
        assert_eq!(
            choose_format(&OFFERED, Some((3840, 2160)), Some(30)),
            Some((1920, 1080, 30))
        );
        assert_eq!(
            choose_format(&OFFERED, Some((3840, 2160)), Some(1)),
            Some((1920, 1080, 5))
        );
        // Wider than anything but short: nothing covers it, so the largest.
        assert_eq!(
            choose_format(&OFFERED, Some((2000, 100)), Some(30)),
            Some((1920, 1080, 30))
        );
    }

    #[test]
    fn defaults_and_fps_ties() {
        assert_eq!(choose_format(&OFFERED, None, None), Some((1280, 720, 30)));
        assert_eq!(
            choose_format(&OFFERED, None, Some(20)),
            Some((1280, 720, 30)),
            "20 is 10 from both: faster wins"
        );
        assert_eq!(
            choose_format(&[(640, 480, 25)], Some((1280, 720)), Some(60)),
            Some((640, 480, 25))
        );
        assert_eq!(choose_format(&[], None, None), None);
    }

    #[test]
    fn listing_cameras_does_not_fail_without_cameras() {
        // Whatever this machine has, listing works and the numbers are usable.
        let cameras = list_cameras().unwrap();
        for c in &cameras {
            assert!(!c.name.is_empty());
        }
    }

    #[test]
    fn opening_without_a_camera_is_a_clear_error() {
        // Only meaningful where no camera exists (CI and these build machines).
        let has_video_devices = std::fs::read_dir("/dev")
            .map(|d| {
                d.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("video"))
            })
            .unwrap_or(false);
        if has_video_devices {
            return;
        }
        let err = CameraSource::open(&CameraConfig::default()).unwrap_err();
        assert!(matches!(err, FrameError::Camera(_)));
        assert!(err.to_string().starts_with("camera: no camera found: "), "{err}");
        let err = CameraSource::open(&CameraConfig {
            device: 7,
            resolution: Some((640, 480)),
            fps: Some(30),
        })
        .unwrap_err();
        assert!(err.to_string().contains("no camera found"), "{err}");
    }
}
