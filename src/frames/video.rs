//! Video files through FFmpeg (ffmpeg-next, linked against the system's libav*).
//!
//! Decoding is split in two steps, [`VideoSource::decode_next`] (compressed -> YUV, cheap to
//! throw away) and [`VideoSource::convert`] (YUV -> RGB), so that frames dropped by a stride or
//! by real-time replay are decoded (the codec needs them as references) but never converted.

use super::image_file::check_size;
use super::segment::{segment_of, Segments};
use super::{Frame, FrameError, FrameSource};
use ffmpeg::codec::threading;
use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg::{frame, media, Rational};
use ffmpeg_next as ffmpeg;
use std::io::Read;
use std::os::raw::c_int;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};

/// How to decode a video file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoOptions {
    /// Keep every Nth frame (1 = every frame; 0 is taken as 1). Skipped frames still count
    /// for [`Frame::index`], so index N is always the Nth frame of the file.
    pub stride: u32,
    /// FFmpeg frame-threading workers; 0 lets FFmpeg pick from the number of cores.
    pub decoder_threads: usize,
}

impl Default for VideoOptions {
    fn default() -> Self {
        VideoOptions {
            stride: 1,
            decoder_threads: 0,
        }
    }
}

/// FPS assumed when a container declares none; only used for timestamps of frames that
/// carry no timestamp of their own.
const FALLBACK_FPS: f64 = 30.0;

/// Decode errors in a row after which a stream is abandoned (a file of garbage after a
/// valid start would otherwise yield an error per packet to the end).
const MAX_CONSECUTIVE_ERRORS: u32 = 256;

/// Undecodable packets tolerated before the first picture, before we decide the file holds
/// no video we can read (a few are normal: an H.264 stream cut before a keyframe).
const MAX_ERRORS_BEFORE_FIRST_FRAME: u32 = 64;

static FFMPEG_INIT: Once = Once::new();

/// Initialise FFmpeg once per process and silence its logging: every problem it would print
/// reaches the user as a `FrameError` instead.
pub(crate) fn init_ffmpeg() {
    FFMPEG_INIT.call_once(|| {
        // Only registers devices and error strings on FFmpeg 5; it cannot meaningfully fail.
        let _ = ffmpeg::init();
        ffmpeg::util::log::set_level(ffmpeg::util::log::Level::Quiet);
    });
}

/// A decoded picture, not yet converted to RGB.
pub(crate) struct Decoded {
    picture: frame::Video,
    pub(crate) index: u64,
    pub(crate) timestamp_ms: f64,
    /// The presentation time in stream units, when the picture has one.
    pts: Option<i64>,
}

/// Milliseconds from the stream start of a time in stream units.
fn media_ms(ts: i64, start: i64, time_base: Rational) -> f64 {
    (ts - start) as f64 * f64::from(time_base) * 1000.0
}

/// What a source decoding one segment ([`VideoSource::open_segment`]) keeps track of.
struct SegmentState {
    segment: u64,
    length_ms: f64,
    /// Sorted presentation times of all packets: a frame's index is its rank (for a segment
    /// reached by a seek, where frames cannot be counted from the file start).
    pts: Option<Arc<[i64]>>,
    /// Frames the packets promise in this segment, and those decoded so far.
    expected: u64,
    admitted: u64,
}

/// Where a decoded picture lies against the segment being decoded.
enum Placed {
    Before,
    Inside(Decoded),
    After,
    /// A picture whose time is not among the packets': the segment cannot be numbered.
    Unnumbered,
}

impl SegmentState {
    fn place(&mut self, mut decoded: Decoded) -> Placed {
        let segment = segment_of(decoded.timestamp_ms, self.length_ms);
        if segment < self.segment {
            return Placed::Before;
        }
        if segment > self.segment {
            return Placed::After;
        }
        if let Some(pts) = &self.pts {
            match decoded.pts.map(|t| pts.binary_search(&t)) {
                Some(Ok(rank)) => decoded.index = rank as u64,
                _ => return Placed::Unnumbered,
            }
        }
        self.admitted += 1;
        Placed::Inside(decoded)
    }
}

/// The RGB24 converter, rebuilt only when the input format, size or colour signalling changes.
struct Scaler {
    context: scaling::Context,
    key: (Pixel, u32, u32, c_int, bool),
}

/// Bytes allocated past the end of each RGB buffer: swscale's SIMD stores may reach a few
/// bytes beyond the last pixel they convert (they are cut off before the image is made).
const SCALE_SLACK_BYTES: usize = 64;

impl Scaler {
    /// The bytes [`Scaler::scale`] writes into: padded rows plus slack.
    fn buffer_len(&self) -> usize {
        let (_, w, h, _, _) = self.key;
        (w as usize).next_multiple_of(8) * 3 * h as usize + SCALE_SLACK_BYTES
    }

    /// Convert `picture` (of the size and format in `key`) straight into a packed RGB buffer
    /// (rows of exactly `width * 3` bytes, as an `RgbImage` holds them), with no intermediate
    /// frame and no second copy. `None` if swscale converted no rows.
    ///
    /// swscale's x86 YUV 4:2:0/4:2:2 converter works in runs of 8 pixels and, when a row of the
    /// destination has no room for the last run, leaves the last `width % 8` pixels unwritten;
    /// for such widths the rows are written padded and then closed up in place (a test checks
    /// the pixels against a conversion through a padded FFmpeg frame).
    ///
    /// `spare` is a buffer of an earlier frame to write into, when it is large enough: every
    /// byte of the picture is overwritten, so reusing it gives the pixels a fresh buffer gives,
    /// without the allocator's zeroing and fresh pages (5 MB a frame at 1768x994).
    fn scale(&mut self, picture: &frame::Video, spare: Option<Vec<u8>>) -> Option<Vec<u8>> {
        let (_, w, h, _, _) = self.key;
        let row = w as usize * 3;
        let padded_row = (w as usize).next_multiple_of(8) * 3;
        let len = row * h as usize;
        let needed = self.buffer_len();
        // Zeroed where it is new, so no byte is ever read uninitialised.
        let mut rgb = spare.filter(|b| b.capacity() >= needed).unwrap_or_default();
        rgb.resize(needed, 0);
        let dst = [
            rgb.as_mut_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        ];
        let dst_stride = [c_int::try_from(padded_row).ok()?, 0, 0, 0];
        // SAFETY: the context was made for this picture's format and size (the key); the
        // picture's planes and line sizes come from FFmpeg; the destination holds `h` rows of
        // `padded_row` bytes plus slack, and swscale writes one plane (RGB24 is packed).
        let rows = unsafe {
            let src = picture.as_ptr();
            ffmpeg::ffi::sws_scale(
                self.context.as_mut_ptr(),
                (*src).data.as_ptr() as *const *const u8,
                (*src).linesize.as_ptr(),
                0,
                h as c_int,
                dst.as_ptr(),
                dst_stride.as_ptr(),
            )
        };
        if rows <= 0 {
            return None;
        }
        // Rows swscale did not convert read black, as in a fresh buffer, not an earlier frame.
        rgb[(rows as usize).min(h as usize) * padded_row..].fill(0);
        if padded_row != row {
            for y in 1..h as usize {
                rgb.copy_within(y * padded_row..y * padded_row + row, y * row);
            }
        }
        rgb.truncate(len);
        Some(rgb)
    }
}

// SAFETY: an SwsContext is plain heap state with no thread affinity; it is owned by this
// struct alone and only ever used through `&mut self`, so moving it to another thread is sound.
unsafe impl Send for Scaler {}

/// Where the decoder stands on the packet stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    /// Still reading packets from the file.
    Packets,
    /// All packets sent and the end signalled: draining the decoder's buffered frames.
    Draining,
    /// The decoder has returned its last frame.
    Done,
}

/// A video file as a frame source; see [`VideoOptions`] for stride and threading.
pub struct VideoSource {
    path: PathBuf,
    label: String,
    input: ffmpeg::format::context::Input,
    stream_index: usize,
    decoder: ffmpeg::decoder::Video,
    time_base: Rational,
    /// Stream start in `time_base` units; `None` until known (then the first frame's time).
    start_ts: Option<i64>,
    fps: f64,
    declared_frames: Option<u64>,
    width: u32,
    height: u32,
    stride: u64,
    /// Frames decoded so far (the index of the next decoded frame).
    decoded_count: u64,
    /// Pictures timed before this are not converted ([`FrameSource::skip_before`]), and not
    /// even decoded where the codec allows ([`VideoSource::skips_packet`]).
    skip_before_ms: Option<f64>,
    /// Every picture stands alone (MJPEG, raw video: what webcams deliver), so a packet that
    /// is not wanted need not be decoded at all.
    intra_only: bool,
    /// Packets sent to the decoder whose pictures have not come out yet.
    in_flight: u64,
    /// Pictures skipped without decoding.
    skipped_undecoded: u64,
    /// Packets read from the file (all streams), for error messages.
    packets_read: u64,
    feed: Feed,
    /// The first picture, decoded while opening to prove the file is readable.
    primed: Option<Decoded>,
    /// The end-of-stream check has run (it reports truncation at most once).
    end_checked: bool,
    /// A packet the decoder refused for now (EAGAIN), to send again before reading more.
    unsent: Option<ffmpeg::Packet>,
    consecutive_errors: u32,
    converter: Converter,
    /// Set when only one segment of the file is decoded.
    segment: Option<SegmentState>,
}

/// Turns decoded pictures into upright RGB frames. Whichever thread converts owns one
/// ([`VideoSource::new_converter`]); its scaler is built on the first picture.
pub(crate) struct Converter {
    path: PathBuf,
    scaler: Option<Scaler>,
    /// Clockwise quarter turns that make decoded pictures upright (the display matrix of a
    /// phone video shot on its side).
    quarter_turns: u8,
    /// Pixel buffers of frames the consumer is done with ([`FrameSource::recycle`]), for the
    /// next pictures to be converted into.
    spare: Vec<Vec<u8>>,
}

/// Spare buffers a converter keeps: the frames that can be in flight between the decoding
/// thread and the consumer ([`super::ReadAhead`]) come back one at a time.
const MAX_SPARE_BUFFERS: usize = 4;

impl std::fmt::Debug for VideoSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VideoSource")
            .field("path", &self.path)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("fps", &self.fps)
            .field("declared_frames", &self.declared_frames)
            .field("stride", &self.stride)
            .field("decoded_count", &self.decoded_count)
            .field("skipped_undecoded", &self.skipped_undecoded)
            .finish_non_exhaustive()
    }
}

impl VideoSource {
    /// Open a video file, pick its best video stream and decode the first frame, so that a
    /// file that cannot give a single frame fails here rather than on the first read.
    pub fn open(path: &Path, options: &VideoOptions) -> Result<Self, FrameError> {
        super::check_path(path)?;
        init_ffmpeg();
        let head = read_head(path)?;
        if let Some(kind) = picture_format(&head) {
            return Err(unsupported_picture(path, kind));
        }
        let container = sniff_container(&head);

        let input = open_input(path).map_err(|e| open_error(path, container, &e))?;
        // How sure FFmpeg is of the format: above 50 it recognised the content itself; 50 is a
        // guess from the file name; at 25 or below FFmpeg itself warns "misdetection possible"
        // (random bytes often pass as a raw H.263 stream with a garbage first frame).
        let score = input.probe_score();
        if container.is_none() && score <= ffmpeg::ffi::AVPROBE_SCORE_MAX / 4 {
            return Err(FrameError::Unsupported {
                path: path.to_owned(),
                detail: format!(
                    "unrecognised content (FFmpeg's best guess, {}, has confidence {score}/100)",
                    input.format().name()
                ),
            });
        }
        let looks_like_container = container.is_some() || score > ffmpeg::ffi::AVPROBE_SCORE_EXTENSION;
        let demuxer = input.format().name().to_string();
        // FFmpeg reads many picture formats as one-frame videos (image2, bmp_pipe, ...).
        if demuxer == "image2" || demuxer.ends_with("_pipe") {
            let kind = demuxer.trim_end_matches("_pipe").to_uppercase();
            return Err(unsupported_picture(path, &kind));
        }

        let stream = input
            .streams()
            .best(media::Type::Video)
            // Cover art in an audio file is a "video" stream of one still: not a video.
            .filter(|s| {
                !s.disposition()
                    .contains(ffmpeg::format::stream::Disposition::ATTACHED_PIC)
            })
            .ok_or_else(|| {
                if looks_like_container {
                    FrameError::Unsupported {
                        path: path.to_owned(),
                        detail: format!("no video stream in this {} file", input.format().name()),
                    }
                } else {
                    not_media(path)
                }
            })?;
        let quarter_turns = display_matrix(&stream).map_or(0, |m| clockwise_quarter_turns(&m));
        let stream_index = stream.index();
        let time_base = stream.time_base();
        let start_ts = Some(stream.start_time()).filter(|&t| t != ffmpeg::ffi::AV_NOPTS_VALUE);
        let declared_frames = u64::try_from(stream.frames()).ok().filter(|&n| n > 0);
        let fps = [stream.avg_frame_rate(), stream.rate()]
            .into_iter()
            .find(|r| r.numerator() > 0 && r.denominator() > 0)
            .map(f64::from)
            .unwrap_or(FALLBACK_FPS);
        let parameters = stream.parameters();
        let codec_id = parameters.id();
        // FFmpeg renders text files (.txt, .ans, .bin, ...) as "ANSI art" video: not footage.
        use ffmpeg::codec::Id;
        if matches!(codec_id, Id::ANSI | Id::BINTEXT | Id::XBIN | Id::IDF) {
            return Err(FrameError::Unsupported {
                path: path.to_owned(),
                detail: "a text file, not an image or a video".into(),
            });
        }

        let intra_only = is_intra_only(codec_id);
        let mut context =
            ffmpeg::codec::context::Context::from_parameters(parameters).map_err(|e| FrameError::Corrupt {
                path: path.to_owned(),
                detail: format!("bad codec parameters: {e}"),
            })?;
        if ffmpeg::decoder::find(codec_id).is_none() {
            return Err(FrameError::Unsupported {
                path: path.to_owned(),
                detail: format!("no decoder for the {} codec in this FFmpeg build", codec_name(codec_id)),
            });
        }
        context.set_threading(threading::Config {
            kind: threading::Type::Frame,
            count: options.decoder_threads,
            ..Default::default()
        });
        let mut decoder = context.decoder();
        decoder.set_packet_time_base(time_base);
        let decoder = decoder.video().map_err(|e| FrameError::Unsupported {
            path: path.to_owned(),
            detail: format!("cannot open the {} decoder: {e}", codec_name(codec_id)),
        })?;
        // The container's size, checked before any frame is decoded (0 = not declared).
        let (width, height) = (decoder.width(), decoder.height());
        if width > 0 && height > 0 {
            check_size(path, width, height)?;
        }

        let mut source = VideoSource {
            path: path.to_owned(),
            label: path.display().to_string(),
            input,
            stream_index,
            decoder,
            time_base,
            start_ts,
            fps,
            declared_frames,
            width,
            height,
            stride: u64::from(options.stride.max(1)),
            decoded_count: 0,
            skip_before_ms: None,
            intra_only,
            in_flight: 0,
            skipped_undecoded: 0,
            packets_read: 0,
            feed: Feed::Packets,
            primed: None,
            end_checked: false,
            unsent: None,
            consecutive_errors: 0,
            segment: None,
            converter: Converter {
                path: path.to_owned(),
                scaler: None,
                quarter_turns,
                spare: Vec::new(),
            },
        };

        // Decode up to the first picture. Errors before it are tolerated (a stream may start
        // mid-GOP) up to a limit; reaching the end without a picture means the file has none.
        let mut errors = 0;
        let mut last_error = None;
        loop {
            match source.decode_one() {
                Some(Ok(first)) => {
                    let (w, h) = (first.picture.width(), first.picture.height());
                    check_size(path, w, h)?;
                    (source.width, source.height) = if quarter_turns % 2 == 1 { (h, w) } else { (w, h) };
                    source.primed = Some(first);
                    return Ok(source);
                }
                Some(Err(e)) => {
                    errors += 1;
                    last_error = Some(e);
                    if errors >= MAX_ERRORS_BEFORE_FIRST_FRAME {
                        break;
                    }
                }
                None => break,
            }
        }
        let why = match last_error {
            Some(FrameError::Corrupt { detail, .. }) => detail,
            Some(other) => other.to_string(),
            None => "the stream ended".to_string(),
        };
        if looks_like_container {
            Err(FrameError::Corrupt {
                path: path.to_owned(),
                detail: format!("no {} frame could be decoded ({why})", codec_name(codec_id)),
            })
        } else {
            Err(not_media(path))
        }
    }

    /// Frames per second the container declares (average rate), or 30 if it declares none.
    pub fn fps(&self) -> f64 {
        self.fps
    }

    /// The frame count the container declares, if any (MP4 does; WebM/Matroska usually not).
    /// Counts every frame, regardless of the stride.
    pub fn frame_count_hint(&self) -> Option<u64> {
        self.declared_frames
    }

    /// Frame width in pixels (of the first frame, turned upright).
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Frame height in pixels (of the first frame, turned upright).
    pub fn height(&self) -> u32 {
        self.height
    }

    /// How to cut this file into segments of `length_ms` of media time (those starting before
    /// `limit_ms`), from a demux-only pass over its packets; `None` when it holds fewer than
    /// two, or when its frames could not be numbered from the packets alone (see
    /// [`super::segment`]).
    pub fn segments(path: &Path, options: &VideoOptions, length_ms: f64, limit_ms: Option<f64>) -> Option<Segments> {
        // Opened as sequential decoding opens it, for the same stream and the same start time.
        let source = VideoSource::open(path, options).ok()?;
        let start = source.start_ts?;
        let mut input = open_input(path).ok()?;
        let mut pts = Vec::new();
        let mut max_reorder = 0;
        loop {
            let mut packet = ffmpeg::Packet::empty();
            if packet.read(&mut input).is_err() {
                break;
            }
            if packet.stream() != source.stream_index {
                continue;
            }
            let t = packet.pts()?;
            max_reorder = max_reorder.max(packet.dts().map_or(0, |d| t - d));
            pts.push(t);
        }
        pts.sort_unstable();
        let distinct = pts.windows(2).all(|w| w[0] < w[1]);
        let counted = source.declared_frames.is_none_or(|n| n == pts.len() as u64);
        if !distinct || !counted {
            return None;
        }
        let times_ms: Vec<f64> = pts.iter().map(|&t| media_ms(t, start, source.time_base)).collect();
        Segments::cut(&times_ms, length_ms, limit_ms, Arc::from(pts), max_reorder)
    }

    /// Open the `n`-th segment of `segments` (made by [`VideoSource::segments`] for this file):
    /// the frames sequential decoding gives in that stretch of media time, with the same
    /// indices and timestamps, then `None`. The first segment is decoded from the file start;
    /// a later one from a keyframe at or before its start, passing over the pictures before
    /// it unconverted. At its end, a segment that decoded fewer or more frames than the
    /// packets promise gives a `Corrupt` error (the caller then decodes the file whole).
    pub fn open_segment(
        path: &Path,
        options: &VideoOptions,
        segments: &Segments,
        n: usize,
    ) -> Result<VideoSource, FrameError> {
        let mut source = VideoSource::open(path, options)?;
        let span = segments.spans[n];
        source.segment = Some(SegmentState {
            segment: span.segment,
            length_ms: segments.length_ms,
            pts: (n > 0).then(|| Arc::clone(&segments.pts)),
            expected: span.frames,
            admitted: 0,
        });
        if n > 0 {
            let target = segments.first_pts(n) - segments.max_reorder;
            // SAFETY: the format context is open and owned by `source.input`; the stream index
            // is that of the chosen stream.
            let sought = unsafe {
                ffmpeg::ffi::av_seek_frame(
                    source.input.as_mut_ptr(),
                    source.stream_index as c_int,
                    target,
                    ffmpeg::ffi::AVSEEK_FLAG_BACKWARD,
                )
            };
            if sought < 0 {
                return Err(source.corrupt(format!(
                    "cannot seek to segment {}: {}",
                    span.segment,
                    ffmpeg::Error::from(sought)
                )));
            }
            source.decoder.flush();
            source.primed = None;
            source.unsent = None;
            source.in_flight = 0;
        }
        Ok(source)
    }

    /// The next frame that the stride keeps, decoded but not converted to RGB. At the end, if
    /// fewer frames came out than the container declares, one `Corrupt` "truncated" error
    /// comes before `None`.
    pub(crate) fn decode_next(&mut self) -> Option<Result<Decoded, FrameError>> {
        loop {
            let decoded = match self.primed.take() {
                Some(first) => first,
                None => match self.decode_one() {
                    Some(Ok(d)) => d,
                    // Pictures before a segment's start may miss references after the seek;
                    // a frame lost inside the segment shows in the count at its end.
                    Some(Err(_)) if self.segment.as_ref().is_some_and(|s| s.admitted == 0) => continue,
                    Some(Err(e)) => return Some(Err(e)),
                    None => return self.end_of_stream(),
                },
            };
            let placed = match self.segment.as_mut() {
                Some(segment) => segment.place(decoded),
                None => Placed::Inside(decoded),
            };
            let decoded = match placed {
                Placed::Inside(d) => d,
                Placed::Before => continue,
                Placed::After => {
                    self.feed = Feed::Done;
                    return self.end_of_stream();
                }
                Placed::Unnumbered => {
                    self.feed = Feed::Done;
                    self.end_checked = true;
                    return Some(Err(
                        self.corrupt("a frame's time is not among the packets' times".into())
                    ));
                }
            };
            if decoded.index % self.stride == 0 {
                return Some(Ok(decoded));
            }
        }
    }

    /// Convert a decoded picture to an RGB frame with the cached scaler.
    pub(crate) fn convert(&mut self, decoded: Decoded) -> Result<Frame, FrameError> {
        self.converter.convert(decoded)
    }

    /// Keep a frame's pixel buffer for a later picture ([`FrameSource::recycle`]).
    pub(crate) fn recycle_buffer(&mut self, buffer: Vec<u8>) {
        self.converter.recycle(buffer);
    }

    /// A converter for pictures of this file, for another thread to convert with.
    pub(crate) fn new_converter(&self) -> Converter {
        Converter {
            path: self.path.clone(),
            scaler: None,
            quarter_turns: self.converter.quarter_turns,
            spare: Vec::new(),
        }
    }

    /// Decode one picture (regardless of the stride), feeding packets as the decoder asks.
    /// `None` once the decoder is fully drained.
    fn decode_one(&mut self) -> Option<Result<Decoded, FrameError>> {
        let result = self.decode_one_inner()?;
        if result.is_ok() {
            self.consecutive_errors = 0;
            return Some(result);
        }
        self.consecutive_errors += 1;
        if self.consecutive_errors >= MAX_CONSECUTIVE_ERRORS {
            // Whatever FFmpeg could still do, a stream of nothing but errors is not worth it.
            self.feed = Feed::Done;
            return Some(Err(self.corrupt(format!(
                "gave up after {MAX_CONSECUTIVE_ERRORS} decode errors in a row (after frame {})",
                self.decoded_count
            ))));
        }
        Some(result)
    }

    fn decode_one_inner(&mut self) -> Option<Result<Decoded, FrameError>> {
        loop {
            if self.feed == Feed::Done {
                return None;
            }
            let mut picture = frame::Video::empty();
            match self.decoder.receive_frame(&mut picture) {
                Ok(()) => return Some(Ok(self.stamp(picture))),
                Err(ffmpeg::Error::Eof) => {
                    self.feed = Feed::Done;
                    return None;
                }
                Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::error::EAGAIN => {
                    if self.feed == Feed::Draining {
                        // Cannot happen after send_eof; guard against looping forever anyway.
                        self.feed = Feed::Done;
                        return None;
                    }
                    if let Err(e) = self.feed_packet() {
                        return Some(Err(e));
                    }
                }
                Err(e) => {
                    return Some(Err(
                        self.corrupt(format!("decode error after frame {}: {e}", self.decoded_count))
                    ))
                }
            }
        }
    }

    /// Read packets until one of our stream's is sent to the decoder, or signal the end.
    fn feed_packet(&mut self) -> Result<(), FrameError> {
        let packet = match self.unsent.take() {
            Some(packet) => packet,
            None => loop {
                let mut packet = ffmpeg::Packet::empty();
                match packet.read(&mut self.input) {
                    Ok(()) => {
                        self.packets_read += 1;
                        if packet.stream() != self.stream_index {
                            continue;
                        }
                        if self.skips_packet(&packet) {
                            // Its picture would have had this index.
                            self.decoded_count += 1;
                            self.skipped_undecoded += 1;
                            continue;
                        }
                        break packet;
                    }
                    // A clean end, or a read error (a file cut short): either way no more
                    // packets; a missing tail is reported at the end by comparing frame counts.
                    Err(_) => {
                        self.feed = Feed::Draining;
                        // Fails only if already draining, which `feed` rules out.
                        let _ = self.decoder.send_eof();
                        return Ok(());
                    }
                }
            },
        };
        match self.decoder.send_packet(&packet) {
            Ok(()) => {
                self.in_flight += 1;
                Ok(())
            }
            // The decoder wants its frames taken first (the caller's receive does that):
            // keep the packet to send again.
            Err(ffmpeg::Error::Other { errno }) if errno == ffmpeg::error::EAGAIN => {
                self.unsent = Some(packet);
                Ok(())
            }
            Err(e) => Err(self.corrupt(format!(
                "undecodable data after frame {} (packet {}): {e}",
                self.decoded_count, self.packets_read
            ))),
        }
    }

    /// Whether `packet` can be dropped undecoded: its picture comes before the skip hint, it
    /// stands alone, and no earlier picture is still inside the decoder (so the count of
    /// pictures, which gives each its index, stays exact).
    fn skips_packet(&self, packet: &ffmpeg::Packet) -> bool {
        if !self.intra_only || self.in_flight > 0 {
            return false;
        }
        let (Some(pts), Some(start)) = (packet.pts(), self.start_ts) else {
            return false;
        };
        unwanted(media_ms(pts, start, self.time_base), self.skip_before_ms)
    }

    /// Give a fresh picture its index and timestamp.
    fn stamp(&mut self, picture: frame::Video) -> Decoded {
        self.in_flight = self.in_flight.saturating_sub(1);
        let index = self.decoded_count;
        self.decoded_count += 1;
        let pts = picture.timestamp();
        let timestamp_ms = match pts {
            Some(ts) => media_ms(ts, *self.start_ts.get_or_insert(ts), self.time_base),
            None => index as f64 * 1000.0 / self.fps,
        };
        Decoded {
            picture,
            index,
            timestamp_ms,
            pts,
        }
    }

    /// At the end of the stream: report a shortfall against the declared frame count once.
    fn end_of_stream(&mut self) -> Option<Result<Decoded, FrameError>> {
        if self.end_checked {
            return None;
        }
        self.end_checked = true;
        if let Some(segment) = &self.segment {
            return (segment.admitted != segment.expected).then(|| {
                Err(self.corrupt(format!(
                    "segment {} decoded {} frames where the packets promise {}",
                    segment.segment, segment.admitted, segment.expected
                )))
            });
        }
        match self.declared_frames {
            Some(declared) if self.decoded_count < declared => Some(Err(self.corrupt(format!(
                "truncated: decoded {} of {} frames",
                self.decoded_count, declared
            )))),
            _ => None,
        }
    }

    fn corrupt(&self, detail: String) -> FrameError {
        FrameError::Corrupt {
            path: self.path.clone(),
            detail,
        }
    }
}

impl Converter {
    /// Convert a decoded picture to an RGB frame, building the scaler when the picture format
    /// changes.
    pub(crate) fn convert(&mut self, decoded: Decoded) -> Result<Frame, FrameError> {
        let picture = &decoded.picture;
        let (w, h) = (picture.width(), picture.height());
        check_size(&self.path, w, h)?;
        let color_space = ffmpeg::ffi::AVColorSpace::from(picture.color_space()) as c_int;
        let full_range = picture.color_range() == ffmpeg::color::Range::JPEG
            || matches!(
                picture.format(),
                Pixel::YUVJ420P | Pixel::YUVJ422P | Pixel::YUVJ444P | Pixel::YUVJ440P
            );
        let key = (picture.format(), w, h, color_space, full_range);
        if self.scaler.as_ref().map(|s| s.key) != Some(key) {
            self.scaler = Some(self.new_scaler(key)?);
        }
        let scaler = self.scaler.as_mut().expect("scaler was just set");
        let rgb = scaler
            .scale(picture, self.spare.pop())
            .ok_or_else(|| FrameError::Corrupt {
                path: self.path.clone(),
                detail: format!("frame {}: pixel conversion failed", decoded.index),
            })?;
        let image = image::RgbImage::from_raw(w, h, rgb).expect("buffer is exactly w*h*3 bytes");
        let image = match self.quarter_turns {
            turns @ 1..=3 => {
                let turned = match turns {
                    1 => image::imageops::rotate90(&image),
                    2 => image::imageops::rotate180(&image),
                    _ => image::imageops::rotate270(&image),
                };
                // The unturned buffer serves the next picture.
                self.recycle(image.into_raw());
                turned
            }
            _ => image,
        };
        Ok(Frame {
            image,
            index: decoded.index,
            timestamp_ms: decoded.timestamp_ms,
        })
    }

    /// Keep `buffer` (a frame's pixels the consumer is done with) for a later picture.
    pub(crate) fn recycle(&mut self, buffer: Vec<u8>) {
        let fits = self.scaler.as_ref().is_none_or(|s| buffer.capacity() >= s.buffer_len());
        if fits && self.spare.len() < MAX_SPARE_BUFFERS {
            self.spare.push(buffer);
        }
    }

    fn new_scaler(&self, key: (Pixel, u32, u32, c_int, bool)) -> Result<Scaler, FrameError> {
        let (format, w, h, color_space, full_range) = key;
        // Bicubic is what the ffmpeg CLI uses; for a same-size conversion it only matters for
        // chroma, and using the same flags keeps our pixels identical to the CLI's.
        let mut context =
            scaling::Context::get(format, w, h, Pixel::RGB24, w, h, scaling::Flags::BICUBIC).map_err(|e| {
                FrameError::Unsupported {
                    path: self.path.clone(),
                    detail: format!("cannot convert {format:?} {w}x{h} pictures to RGB: {e}"),
                }
            })?;
        // Use the YUV matrix the stream signals (BT.709 for HD, BT.601 when unspecified), as the
        // ffmpeg CLI does; swscale alone would always assume BT.601 and shift the colours.
        // SAFETY: the context pointer is valid (just created); the coefficient tables returned
        // by sws_getCoefficients are static; the call only updates the context's tables.
        unsafe {
            let coefficients = ffmpeg::ffi::sws_getCoefficients(color_space);
            ffmpeg::ffi::sws_setColorspaceDetails(
                context.as_mut_ptr(),
                coefficients,
                c_int::from(full_range),
                coefficients,
                0,
                0,
                1 << 16,
                1 << 16,
            );
        }
        Ok(Scaler { context, key })
    }
}

impl FrameSource for VideoSource {
    fn label(&self) -> &str {
        &self.label
    }

    fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        loop {
            match self.decode_next()? {
                Ok(decoded) if unwanted(decoded.timestamp_ms, self.skip_before_ms) => continue,
                Ok(decoded) => return Some(self.convert(decoded)),
                Err(e) => return Some(Err(e)),
            }
        }
    }

    fn skip_before(&mut self, t_ms: f64) {
        self.skip_before_ms = Some(t_ms);
    }

    fn recycle(&mut self, image: image::RgbImage) {
        self.recycle_buffer(image.into_raw());
    }
}

/// Whether every picture of the codec is coded on its own (FFmpeg's codec descriptor).
fn is_intra_only(codec_id: ffmpeg::codec::Id) -> bool {
    // SAFETY: avcodec_descriptor_get takes any id and returns a static descriptor or null.
    let descriptor = unsafe { ffmpeg::ffi::avcodec_descriptor_get(codec_id.into()) };
    // SAFETY: non-null descriptors are static and valid for the life of the process.
    !descriptor.is_null() && unsafe { (*descriptor).props } & ffmpeg::ffi::AV_CODEC_PROP_INTRA_ONLY != 0
}

/// Whether a picture at `t_ms` comes before a [`FrameSource::skip_before`] hint (1 ms early
/// still counts as on time: timestamps are rounded).
pub(crate) fn unwanted(t_ms: f64, skip_before_ms: Option<f64>) -> bool {
    skip_before_ms.is_some_and(|t| t_ms < t - 1.0)
}

/// The stream's display matrix (FFmpeg's layout: 3x3, row-major, 16.16 fixed point except the
/// last column), which says how a player turns the pictures, if the container has one.
fn display_matrix(stream: &ffmpeg::format::stream::Stream) -> Option<[i32; 9]> {
    let side = stream
        .side_data()
        .find(|d| d.kind() == ffmpeg::codec::packet::side_data::Type::DisplayMatrix)?;
    let bytes = side.data().get(..36)?;
    let mut matrix = [0i32; 9];
    for (v, b) in matrix.iter_mut().zip(bytes.chunks_exact(4)) {
        *v = i32::from_ne_bytes(b.try_into().expect("4 bytes"));
    }
    Some(matrix)
}

/// How many clockwise quarter turns show the picture as a player does, from its display
/// matrix. Follows the ffmpeg CLI's autorotation: the matrix's counter-clockwise angle (as
/// `av_display_rotation_get` computes it), applied only when within a degree of a quarter turn.
fn clockwise_quarter_turns(m: &[i32; 9]) -> u8 {
    let scale = |a: i32, b: i32| f64::from(a).hypot(f64::from(b));
    let (scale0, scale1) = (scale(m[0], m[3]), scale(m[1], m[4]));
    if scale0 == 0.0 || scale1 == 0.0 {
        return 0;
    }
    let counter_clockwise_deg = -(f64::from(m[1]) / scale1).atan2(f64::from(m[0]) / scale0).to_degrees();
    let clockwise_deg = (-counter_clockwise_deg.round()).rem_euclid(360.0);
    [(0, 0.0), (1, 90.0), (2, 180.0), (3, 270.0), (0, 360.0)]
        .into_iter()
        .find(|(_, quarter)| (clockwise_deg - quarter).abs() < 1.0)
        .map_or(0, |(turns, _)| turns)
}

/// Container families recognisable from their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Container {
    IsoBmff,
    Matroska,
    Other,
}

/// Open a media file with FFmpeg, as `ffmpeg::format::input` does, but from the path's bytes:
/// that function panics on a name that is not UTF-8.
fn open_input(path: &Path) -> Result<ffmpeg::format::context::Input, ffmpeg::Error> {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().into_owned().into_bytes();
    let c_path = std::ffi::CString::new(bytes).map_err(|_| ffmpeg::Error::InvalidData)?;
    // SAFETY: the pointers passed are valid for the calls (a null context to be allocated, a
    // NUL-terminated path, no options); on failure FFmpeg frees the context itself, and after a
    // failed stream probe we close it before returning.
    unsafe {
        let mut context = std::ptr::null_mut();
        let opened = ffmpeg::ffi::avformat_open_input(
            &mut context,
            c_path.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        if opened < 0 {
            return Err(ffmpeg::Error::from(opened));
        }
        let probed = ffmpeg::ffi::avformat_find_stream_info(context, std::ptr::null_mut());
        if probed < 0 {
            ffmpeg::ffi::avformat_close_input(&mut context);
            return Err(ffmpeg::Error::from(probed));
        }
        Ok(ffmpeg::format::context::Input::wrap(context))
    }
}

/// The first bytes of a file, enough for the signatures below.
pub(crate) fn read_head(path: &Path) -> Result<Vec<u8>, FrameError> {
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(path)
        .and_then(|f| f.take(16).read_to_end(&mut head))
        .map_err(|e| FrameError::Io {
            path: path.to_owned(),
            source: e,
        })?;
    Ok(head)
}

/// Picture formats other than PNG and JPEG, by signature. They are refused rather than read:
/// FFmpeg reads some as one-frame videos, without their EXIF orientation, and HEIC (what
/// phones take) not at all; HEIF and AVIF are MP4-like boxes that would otherwise be taken
/// for an unfinished recording.
pub(crate) fn picture_format(head: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, sig: &[u8]| head.get(offset..offset + sig.len()) == Some(sig);
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        Some("GIF")
    } else if at(0, b"RIFF") && at(8, b"WEBP") {
        Some("WebP")
    } else if at(0, b"II*\0") || at(0, b"MM\0*") {
        Some("TIFF")
    } else if at(4, b"ftyp") {
        // The major brand.
        match head.get(8..12)? {
            b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => Some("HEIF/HEIC"),
            b"avif" | b"avis" => Some("AVIF"),
            _ => None,
        }
    } else {
        None
    }
}

fn unsupported_picture(path: &Path, kind: &str) -> FrameError {
    FrameError::Unsupported {
        path: path.to_owned(),
        detail: format!("{kind} picture; convert it to JPEG or PNG"),
    }
}

/// Recognise common container signatures, so that a file that is clearly a video container
/// but fails to open is reported as corrupt rather than as an unsupported format.
pub(crate) fn sniff_container(head: &[u8]) -> Option<Container> {
    let at = |offset: usize, sig: &[u8]| head.get(offset..offset + sig.len()) == Some(sig);
    let iso_box = [&b"ftyp"[..], b"moov", b"mdat", b"free", b"wide", b"skip"]
        .iter()
        .any(|b| at(4, b));
    if iso_box {
        Some(Container::IsoBmff)
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        Some(Container::Matroska)
    } else if (at(0, b"RIFF") && at(8, b"AVI "))
        || at(0, b"OggS")
        || at(0, b"FLV\x01")
        || at(0, &[0x00, 0x00, 0x01, 0xBA])
        || at(0, &[0x30, 0x26, 0xB2, 0x75])
    {
        Some(Container::Other)
    } else {
        None
    }
}

/// Our error for a file FFmpeg could not open.
fn open_error(path: &Path, container: Option<Container>, e: &ffmpeg::Error) -> FrameError {
    match container {
        Some(Container::IsoBmff) => match find_top_level_box(path, b"moov") {
            MoovBox::Missing => FrameError::Corrupt {
                path: path.to_owned(),
                detail: "MP4/MOV without its index ('moov atom not found'): the recording was not \
                         finalised (interrupted or still being written)"
                    .into(),
            },
            MoovBox::CutShort => FrameError::Corrupt {
                path: path.to_owned(),
                detail: "the MP4/MOV index ('moov' atom) is cut short: the file is truncated".into(),
            },
            MoovBox::Complete => FrameError::Corrupt {
                path: path.to_owned(),
                detail: format!("FFmpeg cannot open it: {e}"),
            },
        },
        Some(_) => FrameError::Corrupt {
            path: path.to_owned(),
            detail: format!("FFmpeg cannot open it: {e}"),
        },
        None => FrameError::Unsupported {
            path: path.to_owned(),
            detail: format!("FFmpeg cannot read it: {e}"),
        },
    }
}

fn not_media(path: &Path) -> FrameError {
    FrameError::Unsupported {
        path: path.to_owned(),
        detail: "not an image or a video file: no video frame could be decoded from it".into(),
    }
}

/// What the top-level box walk of an MP4/MOV found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MoovBox {
    Missing,
    CutShort,
    Complete,
}

/// Look for a top-level box of this type in an ISO-BMFF (MP4/MOV) file, walking the box
/// headers only; any inconsistency ends the walk as "missing".
fn find_top_level_box(path: &Path, kind: &[u8; 4]) -> MoovBox {
    use std::io::{Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return MoovBox::Missing;
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return MoovBox::Missing;
    };
    let mut offset = 0u64;
    while offset + 8 <= len {
        let mut header = [0u8; 16];
        if file.seek(SeekFrom::Start(offset)).is_err() || file.read_exact(&mut header[..8]).is_err() {
            return MoovBox::Missing;
        }
        let size = match u32::from_be_bytes([header[0], header[1], header[2], header[3]]) {
            0 => len - offset, // the box extends to the end of the file
            1 => {
                // A 64-bit size follows the type.
                if file.read_exact(&mut header[8..16]).is_err() {
                    return MoovBox::Missing;
                }
                u64::from_be_bytes(header[8..16].try_into().expect("8 bytes"))
            }
            n => u64::from(n),
        };
        if &header[4..8] == kind {
            return if offset.saturating_add(size) <= len {
                MoovBox::Complete
            } else {
                MoovBox::CutShort
            };
        }
        if size < 8 {
            return MoovBox::Missing;
        }
        offset = offset.saturating_add(size);
    }
    MoovBox::Missing
}

fn codec_name(id: ffmpeg::codec::Id) -> String {
    match id.name() {
        "" | "none" => format!("{id:?}"),
        name => name.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::frames::{open_file, Clock, OpenOptions, ReadAhead, ReplaySource};
    use std::process::Command;

    pub(crate) fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
    }

    fn open(name: &str, stride: u32) -> VideoSource {
        VideoSource::open(
            &fixture(name),
            &VideoOptions {
                stride,
                decoder_threads: 0,
            },
        )
        .unwrap()
    }

    fn all_frames(src: &mut dyn FrameSource) -> Vec<Frame> {
        let mut frames = Vec::new();
        while let Some(f) = src.next_frame() {
            frames.push(f.unwrap_or_else(|e| panic!("{e}")));
        }
        frames
    }

    /// Run the ffmpeg CLI (a project dependency: its absence fails the test) writing `output`.
    fn ffmpeg(args: &[&str], output: &Path) {
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y"])
            .args(args)
            .arg(output)
            .status()
            .expect("the ffmpeg CLI must be installed (apt-get install ffmpeg)");
        assert!(status.success(), "ffmpeg {args:?} failed");
    }

    /// What `convert` did before it wrote straight into the image: swscale into an FFmpeg
    /// frame (rows padded for SIMD), then a copy of each row.
    fn converted_through_a_padded_frame(source: &VideoSource, picture: &frame::Video) -> Vec<u8> {
        let key = source.converter.scaler.as_ref().expect("a frame was converted").key;
        let mut scaler = source.converter.new_scaler(key).unwrap();
        let mut output = frame::Video::empty();
        scaler.context.run(picture, &mut output).unwrap();
        let row = picture.width() as usize * 3;
        let stride = output.stride(0);
        (0..picture.height() as usize)
            .flat_map(|y| output.data(0)[y * stride..y * stride + row].iter().copied())
            .collect()
    }

    #[test]
    fn direct_conversion_gives_the_pixels_of_a_padded_frame() {
        // Widths that are and are not multiples of SIMD widths, and the pixel formats the
        // fixtures and cameras give (planar 4:2:0 limited and full range, 4:2:2, 4:4:4, NV12).
        let dir = tempfile::tempdir().unwrap();
        let mut checked = 0;
        for (size, pix_fmt, codec, ext) in [
            ("640x480", "yuv420p", "libx264", "mp4"),
            ("642x362", "yuv420p", "libx264", "mp4"),
            ("1768x994", "yuv420p", "libx264", "mp4"),
            ("1766x994", "yuv420p", "libx264", "mp4"),
            ("331x199", "yuv420p", "ffv1", "mkv"),
            ("333x201", "yuv444p", "ffv1", "mkv"),
            ("322x240", "yuv422p", "ffv1", "mkv"),
            ("330x240", "yuvj420p", "mjpeg", "avi"),
            ("318x240", "nv12", "rawvideo", "nut"),
            ("317x241", "rgb24", "ffv1", "mkv"),
        ] {
            let path = dir.path().join(format!("{size}_{pix_fmt}.{ext}"));
            let source = format!("testsrc2=size={size}:rate=10:duration=0.3");
            ffmpeg(
                &["-f", "lavfi", "-i", &source, "-pix_fmt", pix_fmt, "-c:v", codec],
                &path,
            );
            let mut src = VideoSource::open(&path, &VideoOptions::default()).unwrap();
            while let Some(decoded) = src.decode_next() {
                let decoded = decoded.unwrap();
                let picture = decoded.picture.clone();
                let frame = src.convert(decoded).unwrap();
                let expected = converted_through_a_padded_frame(&src, &picture);
                assert!(frame.image.as_raw() == &expected, "{size} {pix_fmt}: pixels differ");
                checked += 1;
            }
        }
        assert_eq!(checked, 10 * 3);
    }

    /// Index, timestamp and pixels of every frame a source yields, each frame's buffer handed
    /// back, scribbled over, for later frames to be converted into.
    fn yielded_recycling(src: &mut dyn FrameSource) -> Vec<(u64, f64, Vec<u8>)> {
        let mut out = Vec::new();
        while let Some(frame) = src.next_frame() {
            let mut frame = frame.unwrap_or_else(|e| panic!("{e}"));
            out.push((frame.index, frame.timestamp_ms, frame.image.to_vec()));
            frame.image.fill(0xA5);
            src.recycle(frame.image);
        }
        out
    }

    #[test]
    fn frames_converted_into_handed_back_buffers_have_the_pixels_of_fresh_ones() {
        // A width swscale writes padded (331), one it writes whole, and a phone clip turned
        // upright (the unturned buffer is kept), read directly and decoded ahead.
        let dir = tempfile::tempdir().unwrap();
        let odd = dir.path().join("odd.mkv");
        let src = "testsrc2=size=331x199:rate=10:duration=1";
        ffmpeg(&["-f", "lavfi", "-i", src, "-pix_fmt", "yuv420p", "-c:v", "ffv1"], &odd);
        let phone = dir.path().join("phone.mp4");
        let src = "testsrc2=size=320x180:rate=10:duration=1";
        ffmpeg(
            &[
                "-f",
                "lavfi",
                "-i",
                src,
                "-c:v",
                "libx264",
                "-metadata:s:v:0",
                "rotate=90",
            ],
            &phone,
        );
        for path in [fixture("sports2d_walk.mp4"), odd, phone] {
            let options = VideoOptions::default();
            let fresh = yielded(&mut VideoSource::open(&path, &options).unwrap());
            let direct = yielded_recycling(&mut VideoSource::open(&path, &options).unwrap());
            assert!(direct == fresh, "{}", path.display());
            let ahead = ReadAhead::start(VideoSource::open(&path, &options).unwrap()).unwrap();
            assert!(
                yielded_recycling(&mut { ahead }) == fresh,
                "{} decoded ahead",
                path.display()
            );
        }
    }

    #[test]
    fn a_handed_back_buffer_is_converted_into_again() {
        let mut src = open("webcam_face.mp4", 1);
        let first = src.next_frame().unwrap().unwrap();
        let buffer = first.image.as_ptr();
        src.recycle(first.image);
        // Kept, so no other buffer can have its address until it is used.
        assert_eq!(src.converter.spare.len(), 1);
        let second = src.next_frame().unwrap().unwrap();
        assert_eq!(second.image.as_ptr(), buffer);
        assert!(src.converter.spare.is_empty());
    }

    /// Index, timestamp and pixels of every frame a source yields.
    fn yielded(src: &mut dyn FrameSource) -> Vec<(u64, f64, Vec<u8>)> {
        all_frames(src)
            .into_iter()
            .map(|f| (f.index, f.timestamp_ms, f.image.into_raw()))
            .collect()
    }

    #[test]
    fn segments_give_the_frames_indices_and_timestamps_of_sequential_decoding() {
        let dir = tempfile::tempdir().unwrap();
        let source = "testsrc2=size=320x240:rate=30:duration=8";
        // Constant rate with B-frames (reordered packets) and a keyframe every 1.3 s; and a
        // variable rate (frames 53 ms apart from frame 100 on) in Matroska's millisecond units.
        let constant = dir.path().join("constant.mp4");
        ffmpeg(&["-f", "lavfi", "-i", source, "-c:v", "libx264", "-g", "40"], &constant);
        let variable = dir.path().join("variable.mkv");
        let vfr = "setpts='N/30/TB + if(gte(N\\,100)\\, (N-100)*0.02/TB\\, 0)'";
        ffmpeg(
            &[
                "-f",
                "lavfi",
                "-i",
                source,
                "-vf",
                vfr,
                "-fps_mode",
                "vfr",
                "-c:v",
                "libx264",
                "-g",
                "40",
            ],
            &variable,
        );
        for (path, stride) in [(&constant, 1), (&variable, 1), (&variable, 3)] {
            let options = VideoOptions {
                stride,
                decoder_threads: 0,
            };
            let whole = yielded(&mut VideoSource::open(path, &options).unwrap());
            let segments = VideoSource::segments(path, &options, 2000.0, None).expect("the clip is cut");
            assert!(segments.spans.len() >= 3, "{:?}", segments.spans);
            let mut joined = Vec::new();
            for n in 0..segments.spans.len() {
                let mut segment = crate::frames::open_segment(path, &options, &segments, n).unwrap();
                let frames = yielded(segment.as_mut());
                assert!(frames
                    .iter()
                    .all(|f| crate::frames::segment_of(f.1, 2000.0) == segments.spans[n].segment));
                joined.extend(frames);
            }
            let numbers = |frames: &[(u64, f64, Vec<u8>)]| frames.iter().map(|f| (f.0, f.1)).collect::<Vec<_>>();
            assert_eq!(numbers(&joined), numbers(&whole), "{path:?} stride {stride}");
            assert!(joined == whole, "{path:?} stride {stride}: pixels differ");
        }
        // A segment that decodes another number of frames than its packets promise says so at
        // its end (the caller then decodes the file whole).
        let options = VideoOptions::default();
        let mut segments = VideoSource::segments(&constant, &options, 2000.0, None).unwrap();
        segments.spans[1].frames += 1;
        let mut segment = VideoSource::open_segment(&constant, &options, &segments, 1).unwrap();
        let mut last = None;
        while let Some(next) = segment.next_frame() {
            last = Some(next);
        }
        let e = last.unwrap().unwrap_err().to_string();
        assert!(e.contains("the packets promise"), "{e}");
        // The variable rate really varies.
        let times: Vec<f64> = yielded(&mut VideoSource::open(&variable, &VideoOptions::default()).unwrap())
            .iter()
            .map(|f| f.1)
            .collect();
        let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            gaps.iter().any(|&g| g < 40.0) && gaps.iter().any(|&g| g > 45.0),
            "{gaps:?}"
        );
    }

    #[test]
    fn a_clip_shorter_than_two_segments_is_not_cut() {
        let options = VideoOptions::default();
        assert!(VideoSource::segments(&fixture("webcam_face.mp4"), &options, 60_000.0, None).is_none());
        // Nor is a long clip whose duration limit ends it within the first segment.
        assert!(VideoSource::segments(&fixture("webcam_face.mp4"), &options, 1000.0, Some(0.9)).is_none());
        assert!(VideoSource::segments(&fixture("webcam_face.mp4"), &options, 1000.0, None).is_some());
    }

    #[test]
    fn fixtures_decode_with_known_counts_and_sizes() {
        for (name, count, w, h, fps) in [
            ("webcam_face.mp4", 72, 640, 360, 30.0),
            ("lab_cam01_h264.mp4", 100, 1080, 1920, 60.0),
            ("lab_cam02_vp9.mp4", 100, 1080, 1920, 60.0),
            ("sports2d_walk.mp4", 230, 1768, 994, 30.0),
        ] {
            let mut src = open(name, 1);
            assert_eq!((src.width(), src.height()), (w, h), "{name}");
            assert_eq!(src.frame_count_hint(), Some(count), "{name}");
            assert!((src.fps() - fps).abs() < 1e-6, "{name}: {}", src.fps());
            assert_eq!(src.label(), fixture(name).display().to_string());
            let frames = all_frames(&mut src);
            assert_eq!(frames.len() as u64, count, "{name}");
            for (i, f) in frames.iter().enumerate() {
                assert_eq!(f.index, i as u64);
                assert_eq!(f.image.dimensions(), (w, h));
            }
            // Timestamps start at 0, increase, and follow the frame rate.
            assert_eq!(frames[0].timestamp_ms, 0.0, "{name}");
            assert!(
                frames.windows(2).all(|p| p[1].timestamp_ms > p[0].timestamp_ms),
                "{name}"
            );
            let last = frames.last().unwrap();
            let expected = last.index as f64 * 1000.0 / fps;
            assert!(
                (last.timestamp_ms - expected).abs() < 2.0,
                "{name}: {} vs {expected}",
                last.timestamp_ms
            );
            assert!(src.next_frame().is_none(), "stays at the end");
        }
    }

    #[test]
    fn sources_can_move_to_a_worker_thread() {
        fn assert_send<T: Send>() {}
        assert_send::<VideoSource>();
        assert_send::<crate::frames::ReplaySource>();
        assert_send::<crate::frames::ImageSource>();
    }

    #[test]
    fn pictures_other_than_png_and_jpeg_are_known_by_their_signature() {
        let ftyp = |brand: &[u8; 4]| [&[0, 0, 0, 24][..], b"ftyp", brand, &[0, 0, 0, 0]].concat();
        assert_eq!(picture_format(b"GIF89a\x01\x00"), Some("GIF"));
        assert_eq!(picture_format(b"RIFF\x10\x00\x00\x00WEBPVP8 "), Some("WebP"));
        assert_eq!(picture_format(b"II*\0\x08\0\0\0"), Some("TIFF"));
        assert_eq!(picture_format(&ftyp(b"heic")), Some("HEIF/HEIC"));
        assert_eq!(picture_format(&ftyp(b"mif1")), Some("HEIF/HEIC"));
        assert_eq!(picture_format(&ftyp(b"avif")), Some("AVIF"));
        // Videos in the same boxes are not pictures.
        for brand in [b"isom", b"mp42", b"qt  ", b"3gp4"] {
            assert_eq!(picture_format(&ftyp(brand)), None);
        }
        assert_eq!(picture_format(b"RIFF\x10\x00\x00\x00AVI LIST"), None);
        assert_eq!(picture_format(b""), None);
    }

    #[test]
    fn display_matrices_turn_pictures_as_ffmpeg_does() {
        // FFmpeg's own matrices for a clockwise turn by each angle.
        for (clockwise_deg, turns) in [
            (0.0, 0),
            (90.0, 1),
            (-90.0, 3),
            (180.0, 2),
            (-180.0, 2),
            (270.0, 3),
            (89.6, 1),
            (45.0, 0),
        ] {
            let mut m = [0i32; 9];
            // SAFETY: the matrix is 9 writable int32, as av_display_rotation_set requires.
            unsafe { ffmpeg::ffi::av_display_rotation_set(m.as_mut_ptr(), clockwise_deg) };
            assert_eq!(clockwise_quarter_turns(&m), turns, "{clockwise_deg}");
        }
        assert_eq!(clockwise_quarter_turns(&[0; 9]), 0, "a degenerate matrix turns nothing");
    }

    /// Phone videos are stored as the sensor saw them, with a display matrix that turns them
    /// upright. webcam_face.mp4 stored turned (lossless) with the matrix that turns it back, as
    /// FFmpeg 5.1's MP4 muxer writes it for a `rotate` tag (the ffmpeg CLI then shows it
    /// upright), must decode as the original does.
    #[test]
    fn phone_videos_are_turned_upright_by_their_display_matrix() {
        let upright = all_frames(&mut open("webcam_face.mp4", 1));
        let dir = tempfile::tempdir().unwrap();
        let input = fixture("webcam_face.mp4");
        for (turn, rotate) in [("transpose=1", "90"), ("transpose=2", "270"), ("hflip,vflip", "180")] {
            let stored = dir.path().join("stored.mp4");
            ffmpeg(
                &[
                    "-i",
                    input.to_str().unwrap(),
                    "-vf",
                    turn,
                    "-c:v",
                    "libx264",
                    "-qp",
                    "0",
                    "-preset",
                    "ultrafast",
                ],
                &stored,
            );
            let phone = dir.path().join(format!("phone_{rotate}.mp4"));
            let tag = format!("rotate={rotate}");
            ffmpeg(
                &["-i", stored.to_str().unwrap(), "-c", "copy", "-metadata:s:v:0", &tag],
                &phone,
            );
            let mut src = VideoSource::open(&phone, &VideoOptions::default()).unwrap();
            assert_eq!((src.width(), src.height()), (640, 360), "{rotate}");
            let frames = all_frames(&mut src);
            assert_eq!(frames.len(), upright.len(), "{rotate}");
            for (ours, theirs) in frames.iter().zip(&upright).step_by(12) {
                assert_eq!(ours.image.dimensions(), (640, 360), "{rotate}");
                let sum: u64 = ours
                    .image
                    .as_raw()
                    .iter()
                    .zip(theirs.image.as_raw())
                    .map(|(a, b)| u64::from(a.abs_diff(*b)))
                    .sum();
                // Only chroma interpolation differs (it runs before the turn here).
                let mean = sum as f64 / theirs.image.as_raw().len() as f64;
                assert!(
                    mean < 1.5,
                    "{rotate}: frame {} differs by {mean} on average",
                    ours.index
                );
            }
        }
    }

    #[test]
    fn frame_30_of_30fps_clip_is_at_one_second() {
        let mut src = open("webcam_face.mp4", 1);
        let f = all_frames(&mut src).into_iter().nth(30).unwrap();
        assert_eq!(f.index, 30);
        assert!((f.timestamp_ms - 1000.0).abs() < 1.0, "{}", f.timestamp_ms);
    }

    #[test]
    fn stride_keeps_every_nth_frame_with_file_indices() {
        let mut src = open("webcam_face.mp4", 3);
        let frames = all_frames(&mut src);
        let indices: Vec<u64> = frames.iter().map(|f| f.index).collect();
        assert_eq!(indices, (0..72).step_by(3).collect::<Vec<_>>());
        // Same pixels and times as the same frames without a stride.
        let full = all_frames(&mut open("webcam_face.mp4", 1));
        for f in &frames {
            let g = &full[f.index as usize];
            assert_eq!(f.timestamp_ms, g.timestamp_ms);
            assert!(f.image == g.image, "frame {}", f.index);
        }
        // Stride 0 is taken as 1.
        assert_eq!(all_frames(&mut open("webcam_face.mp4", 0)).len(), 72);
    }

    /// The frames a consumer keeps that asks, after each, for nothing sooner than `interval_ms`
    /// later (as the live check's sampler does).
    fn sampled(src: &mut dyn FrameSource, interval_ms: f64) -> Vec<Frame> {
        let mut kept = Vec::new();
        while let Some(frame) = src.next_frame() {
            let frame = frame.unwrap_or_else(|e| panic!("{e}"));
            src.skip_before(frame.timestamp_ms + interval_ms);
            kept.push(frame);
        }
        kept
    }

    #[test]
    fn standalone_pictures_not_wanted_are_not_decoded_and_the_rest_are_unchanged() {
        // MJPEG, as webcams deliver it: every picture stands alone, so those before the next
        // wanted time are dropped as packets. H.264 pictures depend on each other: all decoded.
        let dir = tempfile::tempdir().unwrap();
        for (codec, pix_fmt, ext, skips) in [("mjpeg", "yuvj422p", "mkv", true), ("libx264", "yuv420p", "mp4", false)] {
            let path = dir.path().join(format!("desk.{ext}"));
            ffmpeg(
                &[
                    "-f",
                    "lavfi",
                    "-i",
                    "testsrc2=size=320x240:rate=30:duration=2",
                    "-pix_fmt",
                    pix_fmt,
                    "-c:v",
                    codec,
                ],
                &path,
            );
            let options = VideoOptions::default();
            let full = all_frames(&mut VideoSource::open(&path, &options).unwrap());
            assert_eq!(full.len(), 60);
            let mut direct = VideoSource::open(&path, &options).unwrap();
            let through_thread = sampled(
                &mut ReadAhead::start(VideoSource::open(&path, &options).unwrap()).unwrap(),
                250.0,
            );
            let replayed = sampled(
                &mut ReplaySource::with_clock(VideoSource::open(&path, &options).unwrap(), Box::new(NoWait)),
                250.0,
            );
            let kept = sampled(&mut direct, 250.0);
            assert_eq!(direct.skipped_undecoded > 0, skips, "{codec}: {direct:?}");
            for frames in [&kept, &through_thread, &replayed] {
                // 2 s, one frame each 250 ms.
                let indices: Vec<u64> = frames.iter().map(|f| f.index).collect();
                assert_eq!(indices, (0..60).step_by(8).collect::<Vec<_>>(), "{codec}");
                for f in frames {
                    let g = &full[f.index as usize];
                    assert_eq!(f.timestamp_ms, g.timestamp_ms, "{codec}");
                    assert!(f.image == g.image, "{codec}: frame {} differs", f.index);
                }
            }
        }
    }

    /// A replay clock that never waits: frames come as fast as they are asked for, in order.
    struct NoWait;

    impl Clock for NoWait {
        fn now(&self) -> std::time::Duration {
            std::time::Duration::ZERO
        }
        fn sleep(&self, _: std::time::Duration) {}
    }

    #[test]
    fn decoding_is_deterministic_across_runs_and_thread_counts() {
        let a = all_frames(&mut open("lab_cam01_h264.mp4", 7));
        let b = all_frames(
            &mut VideoSource::open(
                &fixture("lab_cam01_h264.mp4"),
                &VideoOptions {
                    stride: 7,
                    decoder_threads: 1,
                },
            )
            .unwrap(),
        );
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((x.index, x.timestamp_ms), (y.index, y.timestamp_ms));
            assert!(x.image == y.image, "frame {} differs", x.index);
        }
    }

    #[test]
    fn vp9_decodes_deterministically() {
        let a = all_frames(&mut open("lab_cam02_vp9.mp4", 10));
        let b = all_frames(&mut open("lab_cam02_vp9.mp4", 10));
        assert_eq!(a.len(), 10);
        assert!(a.iter().zip(&b).all(|(x, y)| x.image == y.image));
    }

    /// Frame 60 of sports2d, as the ffmpeg CLI decodes it, must match ours pixel for pixel
    /// (within rounding). The CLI is a project dependency: its absence fails the test.
    #[test]
    fn frame_60_matches_ffmpeg_cli() {
        let dir = tempfile::tempdir().unwrap();
        let reference = dir.path().join("frame60.png");
        let input = fixture("sports2d_walk.mp4");
        let select = r"select=eq(n\,60)";
        ffmpeg(
            &[
                "-i",
                input.to_str().unwrap(),
                "-vf",
                select,
                "-vsync",
                "0",
                "-frames:v",
                "1",
                "-pix_fmt",
                "rgb24",
            ],
            &reference,
        );
        let expected = image::open(&reference).unwrap().into_rgb8();

        let ours = all_frames(&mut open("sports2d_walk.mp4", 1)).swap_remove(60);
        assert_eq!(ours.index, 60);
        assert!((ours.timestamp_ms - 2000.0).abs() < 1.0);
        assert_eq!(ours.image.dimensions(), expected.dimensions());
        let (mut max, mut sum) = (0u8, 0u64);
        for (a, b) in ours.image.as_raw().iter().zip(expected.as_raw()) {
            let d = a.abs_diff(*b);
            max = max.max(d);
            sum += u64::from(d);
        }
        let mean = sum as f64 / expected.as_raw().len() as f64;
        assert!(max <= 2 && mean < 0.05, "max diff {max}, mean {mean}");
        // And it is not frame 59 or 61 (which would also be "close").
        let neighbour = all_frames(&mut open("sports2d_walk.mp4", 1)).swap_remove(61);
        let differing = neighbour
            .image
            .as_raw()
            .iter()
            .zip(expected.as_raw())
            .filter(|(a, b)| a.abs_diff(**b) > 2)
            .count();
        assert!(differing > 1000);
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn open_err(path: &Path) -> FrameError {
        match open_file(path, &OpenOptions::default()) {
            Ok(_) => panic!("{} should not open", path.display()),
            Err(e) => {
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                let msg = e.to_string();
                assert!(msg.contains(&name), "message names the file: {msg}");
                assert!(!msg.contains('\n'), "one line: {msg}");
                e
            }
        }
    }

    /// Bytes from a fixed-seed generator (no external randomness: tests are reproducible).
    fn noise(n: usize) -> Vec<u8> {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn path_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            open_err(&dir.path().join("missing.mp4")),
            FrameError::NotFound { .. }
        ));
        let sub = dir.path().join("clips");
        std::fs::create_dir(&sub).unwrap();
        assert!(matches!(open_err(&sub), FrameError::IsDirectory { .. }));
        assert!(matches!(
            open_err(&write(&dir, "empty.mp4", b"")),
            FrameError::Empty { .. }
        ));
        // Directly through VideoSource too.
        assert!(matches!(
            VideoSource::open(&dir.path().join("missing.mp4"), &VideoOptions::default()),
            Err(FrameError::NotFound { .. })
        ));
    }

    #[test]
    fn random_bytes_and_text_are_unsupported() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["noise.mp4", "noise.png", "noise.webm", "noise"] {
            let err = open_err(&write(&dir, name, &noise(64 * 1024)));
            assert!(matches!(err, FrameError::Unsupported { .. }), "{name}: {err}");
        }
        let text = "This is not a picture.\nJust some notes about posture.\n".repeat(50);
        // .txt matters: FFmpeg would otherwise "play" it as ANSI art.
        for name in ["notes.jpg", "notes.mp4", "notes.png", "notes.txt"] {
            let err = open_err(&write(&dir, name, text.as_bytes()));
            assert!(matches!(err, FrameError::Unsupported { .. }), "{name}: {err}");
        }
    }

    #[test]
    fn mp4_named_png_opens_as_video() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "clip.png", &std::fs::read(fixture("webcam_face.mp4")).unwrap());
        let frames = all_frames(open_file(&path, &OpenOptions::default()).unwrap().as_mut());
        assert_eq!(frames.len(), 72);
    }

    #[test]
    fn mp4_without_moov_is_corrupt_at_open() {
        // webcam_face.mp4 keeps its index at the end: the first 40% has no moov.
        let bytes = std::fs::read(fixture("webcam_face.mp4")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "cut.mp4", &bytes[..bytes.len() * 2 / 5]);
        let mut frames = 0;
        match open_file(&path, &OpenOptions::default()) {
            Err(e) => {
                assert!(matches!(e, FrameError::Corrupt { .. }), "{e}");
                assert!(e.to_string().contains("moov"), "{e}");
            }
            // Either outcome is acceptable; never a panic, and never a silent short read.
            Ok(mut src) => {
                let mut truncated = false;
                while let Some(r) = src.next_frame() {
                    match r {
                        Ok(_) => frames += 1,
                        Err(e) => truncated |= e.to_string().contains("truncated"),
                    }
                }
                assert!(truncated);
            }
        }
        assert!(frames < 72);
    }

    #[test]
    fn mp4_cut_inside_its_index_is_corrupt() {
        // sports2d_walk.mp4 has its index (moov) first: 2000 bytes end inside it.
        let bytes = std::fs::read(fixture("sports2d_walk.mp4")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "stub.mp4", &bytes[..2000]);
        let err = open_err(&path);
        assert!(matches!(err, FrameError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("cut short"), "{err}");
    }

    #[test]
    fn mp4_cut_short_reports_truncation_after_its_frames() {
        // sports2d_walk.mp4 has its index first, so a cut file opens and decodes partway.
        let bytes = std::fs::read(fixture("sports2d_walk.mp4")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "partial.mp4", &bytes[..bytes.len() * 2 / 5]);
        let mut src = VideoSource::open(&path, &VideoOptions::default()).unwrap();
        let mut frames = 0;
        let mut errors = Vec::new();
        while let Some(r) = src.next_frame() {
            match r {
                Ok(f) => {
                    assert!(errors.is_empty(), "frames after the truncation error");
                    assert_eq!(f.index, frames);
                    frames += 1;
                }
                Err(e) => errors.push(e),
            }
        }
        assert!(frames > 20 && frames < 230, "{frames}");
        let last = errors.last().expect("a truncation error");
        assert!(matches!(last, FrameError::Corrupt { .. }));
        let msg = last.to_string();
        assert!(
            msg.contains(&format!("truncated: decoded {frames} of 230 frames")),
            "{msg}"
        );
        assert!(msg.contains("partial.mp4"));
        assert!(src.next_frame().is_none());
    }

    #[test]
    fn garbage_inside_a_stream_gives_errors_not_panics() {
        // Overwrite a stretch in the middle of the media data with noise.
        let mut bytes = std::fs::read(fixture("webcam_face.mp4")).unwrap();
        let junk = noise(20_000);
        bytes[100_000..120_000].copy_from_slice(&junk);
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "damaged.mp4", &bytes);
        let mut src = VideoSource::open(&path, &VideoOptions::default()).unwrap();
        let (mut frames, mut errors, mut frames_after_error) = (0, 0, 0);
        let mut steps = 0;
        while let Some(r) = src.next_frame() {
            steps += 1;
            assert!(steps < 1000, "the source must end");
            match r {
                Ok(_) if errors > 0 => frames_after_error += 1,
                Ok(_) => frames += 1,
                Err(e) => {
                    assert!(matches!(e, FrameError::Corrupt { .. }), "{e}");
                    errors += 1;
                }
            }
        }
        assert!(frames > 20, "{frames}");
        assert!(errors > 0, "the damage is reported");
        assert!(frames_after_error > 0, "decoding goes on after the damage");
    }

    /// webcam_face.mp4 remuxed with its index first, so that a cut file still opens and the
    /// damage reaches the decoder (made once, with the ffmpeg CLI, a stream copy).
    fn faststart_webcam_face() -> &'static [u8] {
        static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        BYTES.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("faststart.mp4");
            let input = fixture("webcam_face.mp4");
            ffmpeg(
                &["-i", input.to_str().unwrap(), "-c", "copy", "-movflags", "+faststart"],
                &out,
            );
            std::fs::read(out).unwrap()
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(16))]

        /// Damage anywhere (index or media data) gives errors or fewer frames, never a panic
        /// or an endless source; every error names the file.
        #[test]
        fn damaged_videos_never_panic(
            edits in proptest::collection::vec((0.0f64..1.0, proptest::prelude::any::<u8>()), 1..8),
            keep in 0.3f64..1.0,
        ) {
            let mut bytes = faststart_webcam_face().to_vec();
            for (at, value) in edits {
                let i = (at * bytes.len() as f64) as usize;
                bytes[i] = value;
            }
            bytes.truncate((bytes.len() as f64 * keep) as usize);
            let dir = tempfile::tempdir().unwrap();
            let path = write(&dir, "damaged.mp4", &bytes);
            match open_file(&path, &OpenOptions { video: VideoOptions { stride: 2, decoder_threads: 1 }, replay: false }) {
                Err(e) => proptest::prop_assert!(e.to_string().contains("damaged.mp4"), "{}", e),
                Ok(mut src) => {
                    let mut steps = 0;
                    while let Some(r) = src.next_frame() {
                        steps += 1;
                        proptest::prop_assert!(steps < 2000, "the source must end");
                        if let Err(e) = r {
                            proptest::prop_assert!(e.to_string().contains("damaged.mp4"), "{}", e);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn audio_only_file_has_no_video_stream() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tone.m4a");
        ffmpeg(
            &["-f", "lavfi", "-i", "sine=frequency=440:duration=0.5", "-c:a", "aac"],
            &path,
        );
        let err = open_err(&path);
        assert!(matches!(err, FrameError::Unsupported { .. }), "{err}");
        assert!(err.to_string().contains("no video stream"), "{err}");
    }

    #[test]
    fn oversized_video_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wide.mkv");
        // 17000x32 exceeds the side limit; one tiny frame, encoded fast.
        ffmpeg(
            &["-f", "lavfi", "-i", "color=c=gray:s=17000x32:d=0.04", "-c:v", "ffv1"],
            &path,
        );
        let err = open_err(&path);
        assert!(
            matches!(
                err,
                FrameError::TooLarge {
                    width: 17000,
                    height: 32,
                    ..
                }
            ),
            "{err}"
        );
    }
}
