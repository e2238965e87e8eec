//! Real-time replay of a video file, paced as a live camera would deliver it.
//!
//! A camera never queues: whenever the consumer asks, it gets the latest picture. Replay
//! imitates that with the file's own timestamps, so a slow pose pipeline sees the same frame
//! drops on a recorded clip as it would live, and a fast one is held to the clip's frame rate.

use super::video::{Decoded, VideoSource};
use super::{Frame, FrameError, FrameSource};
use std::time::{Duration, Instant};

/// The time source for pacing; injectable so the pacing logic can be tested without sleeping.
pub trait Clock: Send {
    /// Time elapsed since an arbitrary fixed origin (monotonic).
    fn now(&self) -> Duration;
    /// Block for `duration`.
    fn sleep(&self, duration: Duration);
}

/// The real monotonic clock ([`Instant`]) and [`std::thread::sleep`].
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    origin: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock { origin: Instant::now() }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

/// What pacing needs from a source: timestamped pictures that are made into frames only when
/// delivered, so that dropped pictures cost no colour conversion.
pub(crate) trait TimedSource {
    type Picture;
    fn next_picture(&mut self) -> Option<Result<Self::Picture, FrameError>>;
    fn timestamp_ms(picture: &Self::Picture) -> f64;
    fn deliver(&mut self, picture: Self::Picture) -> Result<Frame, FrameError>;
    /// Pictures before `t_ms` are not wanted: the source may skip them unread.
    fn skip_before(&mut self, _t_ms: f64) {}
}

impl TimedSource for VideoSource {
    type Picture = Decoded;

    fn next_picture(&mut self) -> Option<Result<Decoded, FrameError>> {
        self.decode_next()
    }

    fn timestamp_ms(picture: &Decoded) -> f64 {
        picture.timestamp_ms
    }

    fn deliver(&mut self, picture: Decoded) -> Result<Frame, FrameError> {
        self.convert(picture)
    }

    fn skip_before(&mut self, t_ms: f64) {
        FrameSource::skip_before(self, t_ms);
    }
}

/// The pacing logic, generic over the source so that tests can drive it with synthetic
/// timestamps and a fake clock.
pub(crate) struct Pacer<S: TimedSource> {
    source: S,
    clock: Box<dyn Clock>,
    /// Wall time and media time of the first delivered frame: the two time lines' origins.
    origin: Option<(Duration, f64)>,
    /// The picture after the one last delivered, read ahead to see it was not yet due.
    ahead: Option<S::Picture>,
    /// An error met while skipping ahead, returned on the next call (keeps the order).
    deferred_error: Option<FrameError>,
    dropped: u64,
    /// Pictures timed before this are not wanted ([`FrameSource::skip_before`]): read and let
    /// go without conversion, as a camera's frames go by unread.
    skip_before_ms: Option<f64>,
}

impl<S: TimedSource> Pacer<S> {
    pub(crate) fn new(source: S, clock: Box<dyn Clock>) -> Self {
        Pacer {
            source,
            clock,
            origin: None,
            ahead: None,
            deferred_error: None,
            dropped: 0,
            skip_before_ms: None,
        }
    }

    /// When a picture is due, on the wall-clock time line (since the first delivery).
    fn due(origin_ts: f64, picture: &S::Picture) -> Duration {
        Duration::from_secs_f64((S::timestamp_ms(picture) - origin_ts).max(0.0) / 1000.0)
    }

    fn next(&mut self) -> Option<Result<Frame, FrameError>> {
        if let Some(e) = self.deferred_error.take() {
            return Some(Err(e));
        }
        let mut next = match self.ahead.take() {
            Some(picture) => picture,
            None => match self.source.next_picture()? {
                Ok(picture) => picture,
                Err(e) => return Some(Err(e)),
            },
        };
        while super::video::unwanted(S::timestamp_ms(&next), self.skip_before_ms) {
            next = match self.source.next_picture()? {
                Ok(picture) => picture,
                Err(e) => return Some(Err(e)),
            };
        }

        // The first frame goes out at once and sets the origin of both time lines.
        let Some((wall0, ts0)) = self.origin else {
            self.origin = Some((self.clock.now(), S::timestamp_ms(&next)));
            return Some(self.source.deliver(next));
        };

        let now = self.clock.now().saturating_sub(wall0);
        let due = Self::due(ts0, &next);
        if due > now {
            // The consumer is early: wait for the frame, as a camera would make it wait.
            self.clock.sleep(due - now);
            return Some(self.source.deliver(next));
        }

        // The consumer is late: the frames that came due while it was busy are stale; keep
        // only the newest one due by `now`. Decode the rest (the codec needs them) but skip
        // their conversion. `now` is fixed for this call so that a slow decoder cannot chase
        // a moving target forever.
        let mut newest = next;
        loop {
            match self.source.next_picture() {
                Some(Ok(picture)) if Self::due(ts0, &picture) <= now => {
                    self.dropped += 1;
                    newest = picture;
                }
                Some(Ok(picture)) => {
                    self.ahead = Some(picture);
                    break;
                }
                Some(Err(e)) => {
                    self.deferred_error = Some(e);
                    break;
                }
                None => break,
            }
        }
        Some(self.source.deliver(newest))
    }
}

/// A [`VideoSource`] delivered at real-time pace: the first frame at once; after that a
/// consumer that asks early sleeps until the next frame is due, and one that fell behind gets
/// the newest frame due by now, the stale ones in between being dropped (counted by
/// [`ReplaySource::dropped_frames`]). Frames keep the file's own index and timestamp.
pub struct ReplaySource {
    pacer: Pacer<VideoSource>,
}

impl ReplaySource {
    /// Replay `video` against the system's monotonic clock.
    pub fn new(video: VideoSource) -> Self {
        Self::with_clock(video, Box::new(SystemClock::default()))
    }

    /// Replay `video` against another clock (for tests, or to replay faster than real time).
    pub fn with_clock(video: VideoSource, clock: Box<dyn Clock>) -> Self {
        ReplaySource {
            pacer: Pacer::new(video, clock),
        }
    }

    /// Frames skipped so far because the consumer fell behind.
    pub fn dropped_frames(&self) -> u64 {
        self.pacer.dropped
    }

    /// The underlying video (frame rate, size, declared frame count).
    pub fn video(&self) -> &VideoSource {
        &self.pacer.source
    }
}

impl std::fmt::Debug for ReplaySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplaySource")
            .field("video", &self.pacer.source)
            .field("dropped", &self.pacer.dropped)
            .finish_non_exhaustive()
    }
}

impl FrameSource for ReplaySource {
    fn label(&self) -> &str {
        FrameSource::label(&self.pacer.source)
    }

    fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        self.pacer.next()
    }

    fn skip_before(&mut self, t_ms: f64) {
        self.pacer.skip_before_ms = Some(t_ms);
        TimedSource::skip_before(&mut self.pacer.source, t_ms);
    }

    fn recycle(&mut self, image: image::RgbImage) {
        FrameSource::recycle(&mut self.pacer.source, image);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::video::tests::fixture;
    use crate::frames::VideoOptions;
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex};

    /// A clock that only moves when told to: by `sleep`, or by the test simulating work.
    #[derive(Clone, Default)]
    struct FakeClock {
        now: Arc<Mutex<Duration>>,
        slept: Arc<Mutex<Vec<Duration>>>,
    }

    impl FakeClock {
        fn advance_ms(&self, ms: u64) {
            *self.now.lock().unwrap() += Duration::from_millis(ms);
        }
        fn now_ms(&self) -> f64 {
            self.now.lock().unwrap().as_secs_f64() * 1000.0
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> Duration {
            *self.now.lock().unwrap()
        }
        fn sleep(&self, duration: Duration) {
            self.slept.lock().unwrap().push(duration);
            *self.now.lock().unwrap() += duration;
        }
    }

    /// Synthetic pictures: (index, timestamp) pairs, or an error in their place.
    struct Script {
        items: std::vec::IntoIter<Result<(u64, f64), String>>,
        delivered: Vec<u64>,
    }

    impl Script {
        /// `n` frames every `interval_ms`, starting at `start_ms`.
        fn regular(n: u64, interval_ms: f64, start_ms: f64) -> Self {
            Self::from((0..n).map(|i| Ok((i, start_ms + i as f64 * interval_ms))).collect())
        }
        fn from(items: Vec<Result<(u64, f64), String>>) -> Self {
            Script {
                items: items.into_iter(),
                delivered: Vec::new(),
            }
        }
    }

    impl TimedSource for Script {
        type Picture = (u64, f64);
        fn next_picture(&mut self) -> Option<Result<(u64, f64), FrameError>> {
            self.items.next().map(|r| {
                r.map_err(|detail| FrameError::Corrupt {
                    path: PathBuf::from("script"),
                    detail,
                })
            })
        }
        fn timestamp_ms(p: &(u64, f64)) -> f64 {
            p.1
        }
        fn deliver(&mut self, (index, timestamp_ms): (u64, f64)) -> Result<Frame, FrameError> {
            self.delivered.push(index);
            Ok(Frame {
                image: image::RgbImage::new(1, 1),
                index,
                timestamp_ms,
            })
        }
    }

    /// Drive a pacer whose consumer spends `work_ms` on each frame; returns the (index, wall
    /// time of delivery in ms) pairs.
    fn run(script: Script, clock: &FakeClock, work_ms: u64) -> (Vec<(u64, f64)>, Pacer<Script>) {
        let mut pacer = Pacer::new(script, Box::new(clock.clone()));
        let mut out = Vec::new();
        while let Some(frame) = pacer.next() {
            let frame = frame.unwrap();
            out.push((frame.index, clock.now_ms()));
            clock.advance_ms(work_ms);
        }
        (out, pacer)
    }

    #[test]
    fn fast_consumer_is_held_to_the_frame_rate() {
        let clock = FakeClock::default();
        clock.advance_ms(12_345); // the origin is the first delivery, not the clock's zero
        let (out, pacer) = run(Script::regular(10, 100.0, 0.0), &clock, 10);
        let indices: Vec<u64> = out.iter().map(|o| o.0).collect();
        assert_eq!(indices, (0..10).collect::<Vec<_>>());
        for (i, (_, at)) in out.iter().enumerate() {
            assert!((at - 12_345.0 - i as f64 * 100.0).abs() < 1e-6, "frame {i} at {at}");
        }
        assert_eq!(pacer.dropped, 0);
        // It slept 90 ms before each frame after the first (100 ms apart minus 10 ms of work).
        let slept = clock.slept.lock().unwrap().clone();
        assert_eq!(slept.len(), 9);
        assert!(slept.iter().all(|d| (d.as_secs_f64() * 1000.0 - 90.0).abs() < 1e-6));
    }

    #[test]
    fn first_frame_is_immediate_even_with_a_late_start_timestamp() {
        let clock = FakeClock::default();
        let (out, _) = run(Script::regular(3, 40.0, 5_000.0), &clock, 0);
        assert_eq!(out[0], (0, 0.0));
        assert!((out[1].1 - 40.0).abs() < 1e-6 && (out[2].1 - 80.0).abs() < 1e-6);
    }

    #[test]
    fn slow_consumer_gets_the_newest_due_frame_and_stale_ones_are_dropped() {
        let clock = FakeClock::default();
        // Frames every 100 ms, the consumer takes 250 ms a frame.
        let (out, pacer) = run(Script::regular(12, 100.0, 0.0), &clock, 250);
        // t=0 -> 0; t=250 -> 2 (1 dropped); t=500 -> 5 (3,4); t=750 -> 7 (6);
        // t=1000 -> 10 (8,9); t=1250 -> 11 (the last frame, due at 1100).
        let indices: Vec<u64> = out.iter().map(|o| o.0).collect();
        assert_eq!(indices, vec![0, 2, 5, 7, 10, 11]);
        assert_eq!(pacer.dropped, 6);
        assert_eq!(pacer.source.delivered, indices, "dropped frames are never converted");
        assert!(clock.slept.lock().unwrap().is_empty(), "a late consumer never sleeps");
    }

    #[test]
    fn consumer_exactly_on_time_neither_sleeps_nor_drops() {
        let clock = FakeClock::default();
        let (out, pacer) = run(Script::regular(5, 50.0, 0.0), &clock, 50);
        assert_eq!(out.iter().map(|o| o.0).collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
        assert_eq!(pacer.dropped, 0);
        assert!(clock.slept.lock().unwrap().iter().all(|d| d.is_zero()));
    }

    #[test]
    fn errors_keep_their_place_and_the_stream_goes_on() {
        let clock = FakeClock::default();
        let items = vec![
            Ok((0, 0.0)),
            Ok((1, 100.0)),
            Err("bad packet".into()),
            Ok((3, 300.0)),
            Ok((4, 400.0)),
        ];
        let mut pacer = Pacer::new(Script::from(items), Box::new(clock.clone()));
        assert_eq!(pacer.next().unwrap().unwrap().index, 0);
        // Late by 250 ms: frame 1 is due, skipping ahead meets the error, which comes next.
        clock.advance_ms(250);
        assert_eq!(pacer.next().unwrap().unwrap().index, 1);
        assert!(matches!(pacer.next(), Some(Err(FrameError::Corrupt { .. }))));
        assert_eq!(pacer.next().unwrap().unwrap().index, 3);
        assert_eq!(pacer.next().unwrap().unwrap().index, 4);
        assert!(pacer.next().is_none());
        assert!(pacer.next().is_none());
    }

    #[test]
    fn real_clip_plays_at_real_time() {
        // The real decoder against the fake clock: the replay sleeps until each frame is due,
        // never early, and a consumer that keeps up gets every frame.
        let clock = FakeClock::default();
        let video = VideoSource::open(&fixture("webcam_face.mp4"), &VideoOptions::default()).unwrap();
        let mut replay = ReplaySource::with_clock(video, Box::new(clock.clone()));
        assert_eq!(replay.label(), fixture("webcam_face.mp4").display().to_string());
        let mut frames = Vec::new();
        // Frames up to half a second of the 30 fps clip: frame 15 is due at 500 ms.
        while let Some(frame) = replay.next_frame() {
            let frame = frame.unwrap();
            assert!(
                clock.now_ms() >= frame.timestamp_ms - 1e-6,
                "early: {}",
                frame.timestamp_ms
            );
            assert!(
                clock.now_ms() < frame.timestamp_ms + 1.0,
                "late: {}",
                frame.timestamp_ms
            );
            let done = frame.timestamp_ms >= 500.0;
            frames.push((frame.index, frame.timestamp_ms));
            if done {
                break;
            }
        }
        let indices: Vec<u64> = frames.iter().map(|f| f.0).collect();
        assert_eq!(indices, (0..=15).collect::<Vec<_>>());
        // Index and timestamp are the file's own.
        for (index, t) in frames {
            assert!((index as f64 * 1000.0 / 30.0 - t).abs() < 1.0, "{index} at {t} ms");
        }
    }
}
