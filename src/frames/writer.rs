//! Frames encoded into a video in memory: MPEG-4 Part 2 (FFmpeg's own encoder, in every build)
//! in Matroska, each frame at its own timestamp, so that frames taken at an uneven pace (a
//! camera's analysed frames) keep their times. Nothing is written to disk: the caller gets the
//! bytes and decides where they go (`posture capture --keep-video`: into the visit file).

use super::video::init_ffmpeg;
use ffmpeg::format::Pixel;
use ffmpeg::software::scaling;
use ffmpeg::util::frame;
use ffmpeg::{codec, encoder, Rational};
use ffmpeg_next as ffmpeg;
use std::io::{Cursor, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

/// The file extension of what [`VideoWriter::finish`] returns.
pub const VIDEO_EXTENSION: &str = "mkv";

/// Timestamps are kept to the millisecond.
const TIME_BASE: Rational = Rational(1, 1000);

/// MPEG-4's fixed quantiser (2 best, 31 worst): 4 keeps a face and the outline of the neck
/// sharp at about a tenth of the size of the pictures as JPEG.
const QUANTISER: i32 = 4;

/// libavutil's FF_QP2LAMBDA: a quantiser as the encoder's quality scale.
const QP2LAMBDA: i32 = 118;

/// A key frame at least every this many frames, so that a player can seek.
const KEY_FRAME_EVERY: u32 = 25;

#[derive(Debug, thiserror::Error)]
pub enum VideoWriteError {
    #[error("cannot encode the video: {0}")]
    Ffmpeg(#[from] ffmpeg::Error),
    #[error("this FFmpeg has no MPEG-4 encoder")]
    NoEncoder,
    #[error("a {width}x{height} frame is too small to encode")]
    TooSmall { width: u32, height: u32 },
    #[error(
        "frame {index} is {width}x{height}, not {first_width}x{first_height} like the first: the picture size changed"
    )]
    SizeChanged {
        index: u64,
        width: u32,
        height: u32,
        first_width: u32,
        first_height: u32,
    },
}

/// The bytes the muxer writes, shared with it (FFmpeg's custom I/O owns its writer until the
/// output is dropped).
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Cursor<Vec<u8>>>>);

impl Shared {
    fn cursor(&self) -> std::sync::MutexGuard<'_, Cursor<Vec<u8>>> {
        // Only this module writes to it, one call at a time: a poisoned lock still holds bytes.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.cursor().write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Seek for Shared {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.cursor().seek(to)
    }
}

/// Encodes RGB frames of one size, each at its timestamp, into a video held in memory.
pub struct VideoWriter {
    output: ffmpeg::format::context::Output,
    encoder: encoder::Video,
    scaler: scaling::Context,
    stream_index: usize,
    stream_time_base: Rational,
    bytes: Shared,
    /// The size of the frames given (the first's).
    size: (u32, u32),
    /// The first frame's time: the video starts at 0 there.
    first_ms: Option<f64>,
    last_pts: i64,
    frames: u64,
}

impl VideoWriter {
    /// A writer for frames of `(width, height)`. The video is that size rounded down to even
    /// numbers (4:2:0 colour needs them).
    pub fn new((width, height): (u32, u32)) -> Result<VideoWriter, VideoWriteError> {
        if width < 2 || height < 2 {
            return Err(VideoWriteError::TooSmall { width, height });
        }
        init_ffmpeg();
        let (w, h) = (width & !1, height & !1);
        let codec = encoder::find(codec::Id::MPEG4).ok_or(VideoWriteError::NoEncoder)?;
        let bytes = Shared::default();
        let io = ffmpeg::format::context::StreamIo::from_write_seek(bytes.clone())?;
        let mut output = ffmpeg::format::output_to_stream(io, None, Some("matroska"))?;
        let global_header = output.format().flags().contains(ffmpeg::format::Flags::GLOBAL_HEADER);
        let mut encoder = codec::context::Context::new_with_codec(codec).encoder().video()?;
        encoder.set_width(w);
        encoder.set_height(h);
        encoder.set_format(Pixel::YUV420P);
        encoder.set_time_base(TIME_BASE);
        encoder.set_gop(KEY_FRAME_EVERY);
        encoder.set_max_b_frames(0);
        let mut flags = codec::Flags::QSCALE;
        if global_header {
            flags |= codec::Flags::GLOBAL_HEADER;
        }
        encoder.set_flags(flags);
        encoder.set_global_quality(QUANTISER * QP2LAMBDA);
        let encoder = encoder.open_as(codec)?;
        let stream_index = {
            let mut stream = output.add_stream(codec)?;
            stream.set_parameters(&encoder);
            stream.set_time_base(TIME_BASE);
            stream.index()
        };
        output.write_header()?;
        let stream_time_base = output.stream(stream_index).map_or(TIME_BASE, |s| s.time_base());
        let scaler = scaling::Context::get(
            Pixel::RGB24,
            width,
            height,
            Pixel::YUV420P,
            w,
            h,
            scaling::Flags::BICUBIC,
        )?;
        Ok(VideoWriter {
            output,
            encoder,
            scaler,
            stream_index,
            stream_time_base,
            bytes,
            size: (width, height),
            first_ms: None,
            last_pts: -1,
            frames: 0,
        })
    }

    /// Frames encoded so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Encode `image` at `timestamp_ms` (of its source: the first frame given is the video's
    /// time 0). A frame timed at or before the previous one is put a millisecond after it.
    pub fn push(&mut self, image: &image::RgbImage, timestamp_ms: f64) -> Result<(), VideoWriteError> {
        let (width, height) = image.dimensions();
        if (width, height) != self.size {
            return Err(VideoWriteError::SizeChanged {
                index: self.frames,
                width,
                height,
                first_width: self.size.0,
                first_height: self.size.1,
            });
        }
        let first = *self.first_ms.get_or_insert(timestamp_ms);
        let pts = ((timestamp_ms - first).round() as i64).max(self.last_pts + 1);
        self.last_pts = pts;
        let mut rgb = frame::Video::new(Pixel::RGB24, width, height);
        let stride = rgb.stride(0);
        let row = width as usize * 3;
        for (y, pixels) in image.as_raw().chunks_exact(row).enumerate() {
            rgb.data_mut(0)[y * stride..y * stride + row].copy_from_slice(pixels);
        }
        let mut yuv = frame::Video::empty();
        self.scaler.run(&rgb, &mut yuv)?;
        yuv.set_pts(Some(pts));
        self.encoder.send_frame(&yuv)?;
        self.frames += 1;
        self.write_packets()
    }

    fn write_packets(&mut self) -> Result<(), VideoWriteError> {
        let mut packet = ffmpeg::Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(self.stream_index);
            packet.rescale_ts(TIME_BASE, self.stream_time_base);
            packet.write_interleaved(&mut self.output)?;
        }
        Ok(())
    }

    /// End the video and return it ([`VIDEO_EXTENSION`]); `None` when no frame was given.
    pub fn finish(mut self) -> Result<Option<Vec<u8>>, VideoWriteError> {
        if self.frames == 0 {
            return Ok(None);
        }
        self.encoder.send_eof()?;
        self.write_packets()?;
        self.output.write_trailer()?;
        let bytes = self.bytes.clone();
        // Dropping the output flushes what FFmpeg still buffers into `bytes`.
        drop(self);
        let video = std::mem::take(bytes.cursor().get_mut());
        Ok(Some(video))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::{FrameSource, VideoOptions, VideoSource};

    /// A picture of `size` whose left part, up to `bar` pixels, is white and the rest a grey
    /// gradient: frames that differ, as a camera's do.
    fn picture((w, h): (u32, u32), bar: u32) -> image::RgbImage {
        image::RgbImage::from_fn(w, h, |x, y| {
            if x < bar {
                image::Rgb([255, 255, 255])
            } else {
                let v = ((x + y) % 200) as u8;
                image::Rgb([v, v / 2, 255 - v])
            }
        })
    }

    /// The frames of `video`, read back through the project's own reader.
    fn read_back(video: &[u8]) -> Vec<crate::frames::Frame> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("video.{VIDEO_EXTENSION}"));
        std::fs::write(&path, video).unwrap();
        let mut source = VideoSource::open(&path, &VideoOptions::default()).unwrap();
        std::iter::from_fn(|| source.next_frame()).map(Result::unwrap).collect()
    }

    #[test]
    fn frames_read_back_in_number_size_and_time() {
        // Five frames a second with one late frame, from a camera whose clock started at 12 s.
        let times_ms = [12_000.0, 12_200.0, 12_400.0, 12_900.0, 13_100.0, 13_300.0];
        let mut writer = VideoWriter::new((320, 240)).unwrap();
        for (i, t) in times_ms.iter().enumerate() {
            writer.push(&picture((320, 240), 40 * i as u32), *t).unwrap();
        }
        assert_eq!(writer.frames(), 6);
        let video = writer.finish().unwrap().unwrap();
        let frames = read_back(&video);
        assert_eq!(frames.len(), 6);
        for (frame, t) in frames.iter().zip(times_ms) {
            assert_eq!(frame.image.dimensions(), (320, 240));
            assert!(
                (frame.timestamp_ms - (t - 12_000.0)).abs() < 1.5,
                "{} vs {t}",
                frame.timestamp_ms
            );
        }
        // The pictures survive the encoding: the white bar of the fourth frame is white and the
        // pixels past it are not.
        let fourth = &frames[3].image;
        assert!(
            fourth.get_pixel(60, 120).0.iter().all(|&c| c > 230),
            "{:?}",
            fourth.get_pixel(60, 120)
        );
        assert!(
            fourth.get_pixel(200, 120).0[2] < 200,
            "{:?}",
            fourth.get_pixel(200, 120)
        );
    }

    #[test]
    fn an_odd_size_is_encoded_one_pixel_smaller_and_a_changed_size_refused() {
        let mut writer = VideoWriter::new((321, 241)).unwrap();
        writer.push(&picture((321, 241), 10), 0.0).unwrap();
        // The same time again: put just after.
        writer.push(&picture((321, 241), 20), 0.0).unwrap();
        let e = writer.push(&picture((320, 240), 20), 400.0).unwrap_err();
        assert!(e.to_string().contains("not 321x241 like the first"), "{e}");
        let frames = read_back(&writer.finish().unwrap().unwrap());
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].image.dimensions(), (320, 240));
        assert!(frames[1].timestamp_ms > frames[0].timestamp_ms);
    }

    #[test]
    fn no_frames_make_no_video() {
        assert!(VideoWriter::new((64, 48)).unwrap().finish().unwrap().is_none());
        assert!(matches!(
            VideoWriter::new((1, 48)),
            Err(VideoWriteError::TooSmall { .. })
        ));
    }
}
