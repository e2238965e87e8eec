//! Frame sources: still images, video files, cameras and real-time replay of a video file.
//!
//! Every source yields [`Frame`]s (RGB pixels, an index and a timestamp) through the one
//! [`FrameSource`] interface, so the pose pipeline never knows where its pixels came from.

mod camera;
pub mod discover;
mod image_file;
mod read_ahead;
mod replay;
pub mod segment;
mod video;
mod writer;

pub use camera::{
    choose_format, list_cameras, parse_fps, parse_resolution, CameraConfig, CameraInfo, CameraSource, DEFAULT_FPS,
    DEFAULT_RESOLUTION, MAX_FPS,
};
pub use image_file::{ImageSource, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE_PX};
pub use read_ahead::ReadAhead;
pub use replay::{Clock, ReplaySource, SystemClock};
pub use segment::{segment_of, Segments};
pub use video::{VideoOptions, VideoSource};
pub use writer::{VideoWriteError, VideoWriter, VIDEO_EXTENSION};

use std::path::{Path, PathBuf};

/// One decoded frame, always 8-bit RGB.
#[derive(Debug, Clone)]
pub struct Frame {
    pub image: image::RgbImage,
    /// Position in the source: the decoded-frame count for videos (frames skipped by a stride
    /// still count, so index N is the Nth frame of the file), 0 for a still image.
    pub index: u64,
    /// Presentation time from the start of the source in milliseconds (container timestamps
    /// for video files, capture time for cameras, 0 for a still image).
    pub timestamp_ms: f64,
}

/// Anything that yields frames in order.
pub trait FrameSource {
    /// A label for output records: the file path as given, or the camera's name.
    fn label(&self) -> &str;
    /// The next frame, `None` at the end, `Some(Err)` when a frame cannot be decoded
    /// (a truncated file). A source that returned an error may still yield later frames.
    fn next_frame(&mut self) -> Option<Result<Frame, FrameError>>;
    /// Whether this is a single picture rather than a stream of related frames (stills are
    /// analysed independently; streams are tracked and smoothed).
    fn is_still(&self) -> bool {
        false
    }
    /// A hint that frames timed before `t_ms` will not be wanted: a source that can pass them
    /// over more cheaply than making them into frames (a video file: decoded, not converted)
    /// does so. The default ignores it.
    fn skip_before(&mut self, _t_ms: f64) {}
    /// Take back the pixels of a frame the consumer is done with, for a later frame to be
    /// converted into: a source that makes large frames (a video file: 5 MB at 1768x994) then
    /// neither zeroes nor maps fresh memory for each. The default drops them.
    fn recycle(&mut self, _image: image::RgbImage) {}
}

/// What went wrong reading frames. Each message names the input and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("{path}: no such file")]
    NotFound { path: PathBuf },
    #[error("{path}: is a directory, not an image or video file")]
    IsDirectory { path: PathBuf },
    #[error("{path}: cannot read: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: empty file (0 bytes)")]
    Empty { path: PathBuf },
    #[error("{path}: unsupported format ({detail}); supported: PNG and JPEG pictures, and videos FFmpeg can decode (H.264, VP9, ...)")]
    Unsupported { path: PathBuf, detail: String },
    #[error("{path}: corrupt or truncated: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error("{path}: {width}x{height} is too large (limit {max_side}px a side and {max_megapixels} megapixels); downscale it first")]
    TooLarge {
        path: PathBuf,
        width: u32,
        height: u32,
        max_side: u32,
        max_megapixels: u32,
    },
    #[error("{path}: {width}x{height} is too small to hold a person")]
    TooSmall { path: PathBuf, width: u32, height: u32 },
    #[error("camera: {0}")]
    Camera(String),
}

/// Whether an input names a camera (`camera:N`) rather than a file.
pub fn is_camera(input: &Path) -> bool {
    input.to_str().is_some_and(|s| s.starts_with("camera:"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    Camera,
    File,
}

/// What recorded an input: a camera or a file, by name, at its picture size.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceInfo {
    pub kind: SourceKind,
    /// `camera:0`, or the file's name.
    pub name: String,
    pub width: u32,
    pub height: u32,
}

impl SourceInfo {
    /// The source of `input` (`camera:N` or a file path) whose pictures are `width` x `height`.
    pub fn of(input: &Path, (width, height): (u32, u32)) -> SourceInfo {
        let camera = is_camera(input);
        let name = match input.file_name() {
            Some(n) if !camera => n.to_string_lossy().into_owned(),
            _ => input.display().to_string(),
        };
        SourceInfo {
            kind: if camera { SourceKind::Camera } else { SourceKind::File },
            name,
            width,
            height,
        }
    }
}

/// How to open a file input.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenOptions {
    pub video: VideoOptions,
    /// Deliver video frames at their real-time pace, as a camera would.
    pub replay: bool,
}

/// Open a still image or a video file, chosen by content (not by extension), so that a
/// mislabelled file still opens and an unknown one gets a clear error. A video file read at
/// its own pace is decoded on a thread of its own, ahead of the consumer ([`ReadAhead`]),
/// when the process may use more than one core.
pub fn open_file(path: &Path, options: &OpenOptions) -> Result<Box<dyn FrameSource>, FrameError> {
    check_path(path)?;
    if image_file::looks_like_image(path)? {
        return Ok(Box::new(ImageSource::open(path)?));
    }
    let video = VideoSource::open(path, &options.video)?;
    if options.replay {
        return Ok(Box::new(ReplaySource::new(video)));
    }
    read_ahead(path, video)
}

/// Open the `n`-th segment of a video file ([`VideoSource::open_segment`]), decoded ahead as
/// [`open_file`] decodes a whole file.
pub fn open_segment(
    path: &Path,
    options: &VideoOptions,
    segments: &Segments,
    n: usize,
) -> Result<Box<dyn FrameSource>, FrameError> {
    check_path(path)?;
    read_ahead(path, VideoSource::open_segment(path, options, segments, n)?)
}

fn read_ahead(path: &Path, video: VideoSource) -> Result<Box<dyn FrameSource>, FrameError> {
    // On one core a decoding thread cannot overlap anything: it would only add switches.
    if std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        return Ok(Box::new(video));
    }
    let read_ahead = ReadAhead::start(video).map_err(|e| FrameError::Io {
        path: path.to_owned(),
        source: std::io::Error::new(e.kind(), format!("cannot start a decoding thread: {e}")),
    })?;
    Ok(Box::new(read_ahead))
}

fn check_path(path: &Path) -> Result<(), FrameError> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => FrameError::NotFound { path: path.to_owned() },
        _ => FrameError::Io {
            path: path.to_owned(),
            source: e,
        },
    })?;
    if meta.is_dir() {
        return Err(FrameError::IsDirectory { path: path.to_owned() });
    }
    if meta.len() == 0 {
        return Err(FrameError::Empty { path: path.to_owned() });
    }
    Ok(())
}
