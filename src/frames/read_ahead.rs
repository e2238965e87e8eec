//! A video file decoded on its own thread, a few frames ahead of the consumer, so that
//! decoding the next frame overlaps the pose models' work on this one (a single process
//! otherwise keeps only one core busy at a time: they take turns).
//!
//! The frames, their order and the errors are those of the [`VideoSource`] read directly: the
//! decoding thread sends each result through a bounded channel, in order. Pictures before a
//! [`FrameSource::skip_before`] hint are still never converted to RGB: once a hint has been
//! given, the thread sends decoded pictures and the consumer converts only those it keeps.

use super::video::{unwanted, Converter, Decoded, VideoSource};
use super::{Frame, FrameError, FrameSource};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Results the decoding thread may hold ready: enough to cover one slow frame on either side,
/// few enough that the memory stays small (a 1080p frame is 6 MB).
const FRAMES_AHEAD: usize = 2;

/// What the decoding thread hands over.
enum Ahead {
    /// Converted on the decoding thread (no skip hint had been given).
    Frame(Frame),
    /// Decoded only, after a skip hint: the consumer converts it if it still wants it.
    Picture(Decoded),
}

impl Ahead {
    fn timestamp_ms(&self) -> f64 {
        match self {
            Ahead::Frame(frame) => frame.timestamp_ms,
            Ahead::Picture(picture) => picture.timestamp_ms,
        }
    }
}

/// The consumer's latest skip hint in milliseconds, shared with the decoding thread
/// (an f64's bits; NaN: no hint yet).
struct SkipHint(AtomicU64);

impl SkipHint {
    fn new() -> SkipHint {
        SkipHint(AtomicU64::new(f64::NAN.to_bits()))
    }

    fn set(&self, t_ms: f64) {
        self.0.store(t_ms.to_bits(), Ordering::Relaxed);
    }

    fn get(&self) -> Option<f64> {
        Some(f64::from_bits(self.0.load(Ordering::Relaxed))).filter(|t| !t.is_nan())
    }
}

/// A [`VideoSource`] read on its own thread; see the module documentation.
pub struct ReadAhead {
    label: String,
    /// `None` once dropped (the decoding thread then stops at its next send).
    results: Option<Receiver<Result<Ahead, FrameError>>>,
    /// Converts the pictures sent unconverted.
    converter: Converter,
    /// Pixel buffers handed back to the decoding thread ([`FrameSource::recycle`]).
    spent: Sender<Vec<u8>>,
    skip: Arc<SkipHint>,
    worker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ReadAhead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadAhead")
            .field("label", &self.label)
            .field("skip_before_ms", &self.skip.get())
            .finish_non_exhaustive()
    }
}

impl ReadAhead {
    /// Start decoding `source` on a new thread. Fails only if the thread cannot be started.
    pub fn start(source: VideoSource) -> std::io::Result<ReadAhead> {
        let label = source.label().to_string();
        let converter = source.new_converter();
        let skip = Arc::new(SkipHint::new());
        let (sender, results) = sync_channel(FRAMES_AHEAD);
        let (spent, returned) = channel();
        let worker_skip = Arc::clone(&skip);
        let worker = std::thread::Builder::new()
            .name("posture-decode".into())
            .spawn(move || decode_ahead(source, &worker_skip, &sender, &returned))?;
        Ok(ReadAhead {
            label,
            results: Some(results),
            converter,
            spent,
            skip,
            worker: Some(worker),
        })
    }

    /// The decoding thread has ended: a panic there is passed on here, as it would have been
    /// without the thread, rather than taken for the end of the file.
    fn finish(&mut self) {
        self.results = None;
        if let Some(Err(panic)) = self.worker.take().map(JoinHandle::join) {
            std::panic::resume_unwind(panic);
        }
    }
}

/// The decoding thread: every kept picture in order, converted (into the buffers of frames the
/// consumer has handed back) unless a skip hint has been given, until the file ends or the
/// consumer is gone.
fn decode_ahead(
    mut source: VideoSource,
    skip: &SkipHint,
    results: &SyncSender<Result<Ahead, FrameError>>,
    returned: &Receiver<Vec<u8>>,
) {
    loop {
        for buffer in returned.try_iter() {
            source.recycle_buffer(buffer);
        }
        let hint = skip.get();
        if let Some(t_ms) = hint {
            source.skip_before(t_ms);
        }
        let Some(next) = source.decode_next() else { return };
        let result = match next {
            Ok(decoded) if unwanted(decoded.timestamp_ms, hint) => continue,
            Ok(decoded) if hint.is_some() => Ok(Ahead::Picture(decoded)),
            Ok(decoded) => source.convert(decoded).map(Ahead::Frame),
            Err(e) => Err(e),
        };
        if results.send(result).is_err() {
            return;
        }
    }
}

impl FrameSource for ReadAhead {
    fn label(&self) -> &str {
        &self.label
    }

    fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        loop {
            let received = self.results.as_ref()?.recv();
            let Ok(result) = received else {
                self.finish();
                return None;
            };
            return Some(match result {
                // Converted before the hint reached the decoding thread: drop it here instead.
                Ok(ahead) if unwanted(ahead.timestamp_ms(), self.skip.get()) => continue,
                Ok(Ahead::Frame(frame)) => Ok(frame),
                Ok(Ahead::Picture(picture)) => self.converter.convert(picture),
                Err(e) => Err(e),
            });
        }
    }

    fn skip_before(&mut self, t_ms: f64) {
        self.skip.set(t_ms);
    }

    fn recycle(&mut self, image: image::RgbImage) {
        // After a skip hint this side converts; before it the decoding thread does (a thread
        // that has ended no longer takes any).
        if self.skip.get().is_some() {
            self.converter.recycle(image.into_raw());
        } else {
            let _ = self.spent.send(image.into_raw());
        }
    }
}

impl Drop for ReadAhead {
    /// Stop the decoding thread: with the channel closed its next send fails and it returns
    /// (after the picture it is decoding, a few milliseconds), and the file is closed before
    /// this returns.
    fn drop(&mut self) {
        self.results = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::video::tests::fixture;
    use super::super::VideoOptions;
    use super::*;
    use std::path::Path;

    /// One result of a source as comparable values: index, timestamp and pixels, or the error.
    type Yielded = Result<(u64, f64, Vec<u8>), String>;

    /// What a source yields; with `hint_after`, each frame from that index on gives a skip hint.
    fn everything(source: &mut dyn FrameSource, hint_after: Option<(u64, f64)>) -> Vec<Yielded> {
        let mut out = Vec::new();
        while let Some(next) = source.next_frame() {
            let item = next
                .map(|f| (f.index, f.timestamp_ms, f.image.into_raw()))
                .map_err(|e| e.to_string());
            if let (Ok((index, _, _)), Some((after, t_ms))) = (&item, hint_after) {
                if *index >= after {
                    source.skip_before(t_ms + *index as f64 * 40.0);
                }
            }
            out.push(item);
        }
        out
    }

    fn video(path: &Path, stride: u32) -> VideoSource {
        let options = VideoOptions {
            stride,
            decoder_threads: 1,
        };
        VideoSource::open(path, &options).unwrap()
    }

    #[test]
    fn frames_and_errors_come_as_from_the_file_read_directly() {
        // A clip cut short: its frames, then the truncation error, in the same order.
        let bytes = std::fs::read(fixture("sports2d_walk.mp4")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let partial = dir.path().join("partial.mp4");
        std::fs::write(&partial, &bytes[..bytes.len() / 4]).unwrap();
        for (path, stride) in [
            (fixture("webcam_face.mp4"), 1),
            (fixture("webcam_face.mp4"), 3),
            (partial, 2),
        ] {
            let direct = everything(&mut video(&path, stride), None);
            let ahead = everything(&mut ReadAhead::start(video(&path, stride)).unwrap(), None);
            assert!(direct.len() > 10, "{}", path.display());
            assert!(ahead == direct, "{} stride {stride}", path.display());
        }
        let errors: Vec<_> = everything(
            &mut ReadAhead::start(video(&dir.path().join("partial.mp4"), 2)).unwrap(),
            None,
        )
        .into_iter()
        .filter_map(Result::err)
        .collect();
        let last = errors.last().expect("the cut is reported");
        assert!(last.contains("truncated"), "{last}");
    }

    #[test]
    fn skip_hints_keep_the_frames_the_file_read_directly_keeps() {
        // From frame 10 on, each frame asks for nothing before its own time plus 40 ms per
        // frame index: many frames are passed over, and the same ones either way.
        let path = fixture("webcam_face.mp4");
        let direct = everything(&mut video(&path, 1), Some((10, 100.0)));
        let ahead = everything(&mut ReadAhead::start(video(&path, 1)).unwrap(), Some((10, 100.0)));
        assert!(direct.len() < 50, "{}", direct.len());
        assert!(ahead == direct);
    }

    #[test]
    fn dropping_it_part_way_stops_the_decoding_thread() {
        let mut source = ReadAhead::start(video(&fixture("sports2d_walk.mp4"), 1)).unwrap();
        for _ in 0..3 {
            source.next_frame().unwrap().unwrap();
        }
        // Returns once the thread has stopped (it would otherwise decode the whole clip into
        // a channel nobody reads, and block on it for ever).
        drop(source);
    }
}
