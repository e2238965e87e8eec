//! Camera etiquette: the camera is closed while the watch is paused or snoozed and opened
//! again after; a camera that is missing, busy or stops delivering frames is retried every few
//! seconds, never a crash. A file is opened once and never released.
//!
//! [`run`] holds the open/close decisions over an [`Opener`] and a [`Passes`] (the watch loop);
//! the decisions themselves ([`wants_open`], [`retry_delay_s`]) are pure functions.

use super::policy::State;
use crate::frames::{Clock, Frame, FrameError, FrameSource};
use std::time::Duration;

/// Opens the watch's source, as often as asked.
pub trait Opener {
    fn open(&mut self) -> Result<Box<dyn FrameSource>, FrameError>;
    /// A camera: released while paused or snoozed, and retried when it fails. A file is not.
    fn is_camera(&self) -> bool;
}

/// How a pass over an open source ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassEnd {
    /// The source ran out (a file's end; a camera that stopped delivering frames).
    Ended,
    /// The watch no longer wants the camera (paused, snoozed).
    Release,
    /// Quit, Ctrl-C.
    Stop,
}

/// What the watch says while the camera is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// Keep it closed (still paused or snoozed).
    Closed,
    /// Open it (resumed, the snooze ran out).
    Open,
    Stop,
}

/// What happened to the camera, for the user.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceEvent {
    Released,
    Reopened,
    /// It cannot be opened, or stopped delivering frames: the next try in `retry_in_s`.
    Unavailable {
        error: String,
        retry_in_s: f64,
    },
}

/// The watch loop as [`run`] drives it.
pub trait Passes {
    type Error: From<FrameError>;
    /// Watch `source` (its times already on the watch's clock) until it ends or the watch
    /// wants it released or stopped.
    fn pass(&mut self, source: Box<dyn FrameSource>) -> Result<PassEnd, Self::Error>;
    /// Called every [`IDLE_POLL`] while the camera is closed, at `now_s` on the watch's clock.
    fn idle(&mut self, now_s: f64) -> Idle;
    fn source_event(&mut self, now_s: f64, event: SourceEvent);
}

/// How often the watch is asked what it wants while the camera is closed.
pub const IDLE_POLL: Duration = Duration::from_millis(200);

/// Whether the camera should be open in `state` at `now_s`: not while paused, nor while a
/// snooze holds.
pub fn wants_open(state: State, snoozed_until_s: Option<f64>, now_s: f64) -> bool {
    match state {
        State::Paused => false,
        State::Snoozed => snoozed_until_s.is_none_or(|until| now_s >= until),
        State::Ok | State::Pending | State::Alerting | State::Away => true,
    }
}

/// Seconds before the next try after `failures` failed ones in a row: 2, 4, then every 5 s
/// (soon enough for a camera plugged back in, rare enough to cost nothing).
pub fn retry_delay_s(failures: u32) -> f64 {
    (2.0 * f64::from(failures.max(1))).min(5.0)
}

fn now_s(clock: &dyn Clock) -> f64 {
    clock.now().as_secs_f64()
}

/// Wait on `clock` until `until_s` or, when `until_s` is `None`, until the watch wants the
/// camera; false when the watch stopped meanwhile.
fn wait<P: Passes>(clock: &dyn Clock, passes: &mut P, until_s: Option<f64>) -> bool {
    loop {
        clock.sleep(IDLE_POLL);
        let now = now_s(clock);
        match passes.idle(now) {
            Idle::Stop => return false,
            Idle::Open if until_s.is_none_or(|until| now >= until) => return true,
            Idle::Open | Idle::Closed => {}
        }
    }
}

/// Open the source and watch it, closing and reopening a camera as the watch asks, until the
/// source ends for good (a file) or the watch stops. The first open's error is returned (the
/// watch cannot start); a camera's later failures are retried.
pub fn run<P: Passes>(opener: &mut dyn Opener, clock: &dyn Clock, passes: &mut P) -> Result<(), P::Error> {
    let mut first = true;
    let mut failures = 0u32;
    loop {
        let source = match opener.open() {
            Ok(source) => source,
            Err(e) if first || !opener.is_camera() => return Err(e.into()),
            Err(e) => {
                failures += 1;
                let retry_in_s = retry_delay_s(failures);
                if failures == 1 {
                    let error = e.to_string();
                    passes.source_event(now_s(clock), SourceEvent::Unavailable { error, retry_in_s });
                }
                if !wait(clock, passes, Some(now_s(clock) + retry_in_s)) {
                    return Ok(());
                }
                continue;
            }
        };
        // A reopened camera counts its time from its own first frame: put it on the watch's.
        let offset_ms = if first { 0.0 } else { now_s(clock) * 1000.0 };
        if !first {
            passes.source_event(now_s(clock), SourceEvent::Reopened);
        }
        first = false;
        failures = 0;
        match passes.pass(Box::new(Shifted {
            inner: source,
            offset_ms,
        }))? {
            PassEnd::Stop => return Ok(()),
            PassEnd::Ended if !opener.is_camera() => return Ok(()),
            PassEnd::Ended => {
                failures = 1;
                let retry_in_s = retry_delay_s(failures);
                let error = "the camera stopped delivering frames".to_string();
                passes.source_event(now_s(clock), SourceEvent::Unavailable { error, retry_in_s });
                if !wait(clock, passes, Some(now_s(clock) + retry_in_s)) {
                    return Ok(());
                }
            }
            PassEnd::Release => {
                passes.source_event(now_s(clock), SourceEvent::Released);
                if !wait(clock, passes, None) {
                    return Ok(());
                }
            }
        }
    }
}

/// A source whose frames are timed `offset_ms` later.
struct Shifted {
    inner: Box<dyn FrameSource>,
    offset_ms: f64,
}

impl FrameSource for Shifted {
    fn label(&self) -> &str {
        self.inner.label()
    }

    fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        let offset_ms = self.offset_ms;
        self.inner.next_frame().map(|r| {
            r.map(|mut f| {
                f.timestamp_ms += offset_ms;
                f
            })
        })
    }

    fn is_still(&self) -> bool {
        self.inner.is_still()
    }

    fn skip_before(&mut self, t_ms: f64) {
        self.inner.skip_before(t_ms - self.offset_ms);
    }

    fn recycle(&mut self, image: image::RgbImage) {
        self.inner.recycle(image);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use std::sync::{Arc, Mutex};

    #[test]
    fn the_camera_is_wanted_except_while_paused_or_snoozed() {
        assert!(wants_open(State::Ok, None, 0.0));
        assert!(wants_open(State::Away, None, 0.0));
        assert!(wants_open(State::Alerting, None, 0.0));
        assert!(!wants_open(State::Paused, None, 0.0));
        assert!(!wants_open(State::Snoozed, Some(900.0), 899.0));
        assert!(wants_open(State::Snoozed, Some(900.0), 900.0));
    }

    #[test]
    fn retries_come_after_2_then_4_then_every_5_seconds() {
        let delays: Vec<f64> = (1..=5).map(retry_delay_s).collect();
        assert_eq!(delays, [2.0, 4.0, 5.0, 5.0, 5.0]);
    }

    /// A clock that only moves when slept on.
    #[derive(Clone, Default)]
    struct FakeClock(Arc<Mutex<Duration>>);

    impl Clock for FakeClock {
        fn now(&self) -> Duration {
            *self.0.lock().unwrap()
        }
        fn sleep(&self, d: Duration) {
            *self.0.lock().unwrap() += d;
        }
    }

    /// Frames every 250 ms from 0; counts the sources closed (dropped).
    struct FakeSource {
        next_ms: f64,
        closes: Rc<Cell<u32>>,
    }

    impl FrameSource for FakeSource {
        fn label(&self) -> &str {
            "fake camera"
        }
        fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
            let t = self.next_ms;
            self.next_ms += 250.0;
            Some(Ok(Frame {
                image: image::RgbImage::new(2, 2),
                index: 0,
                timestamp_ms: t,
            }))
        }
    }

    impl Drop for FakeSource {
        fn drop(&mut self) {
            self.closes.set(self.closes.get() + 1);
        }
    }

    /// Opens fake sources; the opens numbered in `fail_on` fail as a busy camera would.
    struct FakeOpener {
        opens: u32,
        fail_on: Vec<u32>,
        closes: Rc<Cell<u32>>,
        camera: bool,
    }

    impl Opener for FakeOpener {
        fn open(&mut self) -> Result<Box<dyn FrameSource>, FrameError> {
            self.opens += 1;
            if self.fail_on.contains(&self.opens) {
                return Err(FrameError::Camera("camera 0: busy".into()));
            }
            Ok(Box::new(FakeSource {
                next_ms: 0.0,
                closes: Rc::clone(&self.closes),
            }))
        }
        fn is_camera(&self) -> bool {
            self.camera
        }
    }

    /// A watch that reads frames, is paused from `release_at_s` to `resume_at_s` (watch
    /// time) and stops at `stop_at_s`.
    struct Script {
        clock: FakeClock,
        release_at_s: f64,
        resume_at_s: f64,
        stop_at_s: f64,
        frame_times_s: Rc<RefCell<Vec<f64>>>,
        events: Vec<(f64, SourceEvent)>,
    }

    impl Passes for Script {
        type Error = FrameError;
        fn pass(&mut self, mut source: Box<dyn FrameSource>) -> Result<PassEnd, FrameError> {
            loop {
                let frame = source.next_frame().unwrap()?;
                let t = frame.timestamp_ms / 1000.0;
                // The source's time stands for the clock's while it is read.
                *self.clock.0.lock().unwrap() = Duration::from_secs_f64(t);
                self.frame_times_s.borrow_mut().push(t);
                if t >= self.stop_at_s {
                    return Ok(PassEnd::Stop);
                }
                if t >= self.release_at_s && t < self.resume_at_s {
                    return Ok(PassEnd::Release);
                }
            }
        }
        fn idle(&mut self, now_s: f64) -> Idle {
            if now_s >= self.stop_at_s {
                Idle::Stop
            } else if now_s >= self.resume_at_s {
                Idle::Open
            } else {
                Idle::Closed
            }
        }
        fn source_event(&mut self, now_s: f64, event: SourceEvent) {
            self.events.push((now_s, event));
        }
    }

    fn script(clock: &FakeClock) -> Script {
        Script {
            clock: clock.clone(),
            release_at_s: 10.0,
            resume_at_s: 30.0,
            stop_at_s: 40.0,
            frame_times_s: Rc::default(),
            events: Vec::new(),
        }
    }

    #[test]
    fn a_paused_camera_is_closed_and_opened_again_on_the_watch_clock() {
        let clock = FakeClock::default();
        let closes = Rc::new(Cell::new(0));
        let mut opener = FakeOpener {
            opens: 0,
            fail_on: vec![],
            closes: Rc::clone(&closes),
            camera: true,
        };
        let mut s = script(&clock);
        run(&mut opener, &clock, &mut s).unwrap();
        assert_eq!(opener.opens, 2);
        assert_eq!(closes.get(), 2, "closed when released and when the watch stopped");
        let kinds: Vec<&SourceEvent> = s.events.iter().map(|e| &e.1).collect();
        assert_eq!(kinds, [&SourceEvent::Released, &SourceEvent::Reopened]);
        // Released at 10 s, reopened once the resume came (polled every 200 ms).
        assert_eq!(s.events[0].0, 10.0);
        assert!((30.0..30.3).contains(&s.events[1].0), "{:?}", s.events);
        // No frame while closed, and the reopened camera's frames follow on the watch clock.
        let times = s.frame_times_s.borrow();
        assert!(times.iter().all(|t| *t <= 10.0 || *t >= 30.0), "{times:?}");
        let after: Vec<&f64> = times.iter().filter(|t| **t >= 30.0).collect();
        assert!(after.windows(2).all(|w| w[1] > w[0]));
        assert!(!after.is_empty());
    }

    #[test]
    fn a_busy_camera_is_retried_every_few_seconds_and_said_once() {
        let clock = FakeClock::default();
        let closes = Rc::new(Cell::new(0));
        let mut opener = FakeOpener {
            opens: 0,
            // Busy for the first two tries after the pause.
            fail_on: vec![2, 3],
            closes: Rc::clone(&closes),
            camera: true,
        };
        let mut s = script(&clock);
        run(&mut opener, &clock, &mut s).unwrap();
        assert_eq!(opener.opens, 4);
        let unavailable: Vec<&(f64, SourceEvent)> = s
            .events
            .iter()
            .filter(|e| matches!(e.1, SourceEvent::Unavailable { .. }))
            .collect();
        assert_eq!(unavailable.len(), 1, "{:?}", s.events);
        match &unavailable[0].1 {
            SourceEvent::Unavailable { error, retry_in_s } => {
                assert!(error.contains("busy"), "{error}");
                assert_eq!(*retry_in_s, 2.0);
            }
            _ => unreachable!(),
        }
        // Tries at about 30 s (busy), 32 s (busy, the next in 4 s) and 36 s.
        let reopened = s.events.iter().find(|e| e.1 == SourceEvent::Reopened).unwrap();
        assert!((36.0..36.5).contains(&reopened.0), "{:?}", s.events);
        assert_eq!(closes.get(), 2);
    }

    #[test]
    fn the_first_open_failing_is_an_error_and_a_file_is_never_reopened() {
        let clock = FakeClock::default();
        let closes = Rc::new(Cell::new(0));
        let mut opener = FakeOpener {
            opens: 0,
            fail_on: vec![1],
            closes: Rc::clone(&closes),
            camera: true,
        };
        let err = run(&mut opener, &clock, &mut script(&clock)).unwrap_err();
        assert!(err.to_string().contains("busy"), "{err}");

        let mut file = FakeOpener {
            opens: 0,
            fail_on: vec![],
            closes: Rc::clone(&closes),
            camera: false,
        };
        let mut s = script(&clock);
        s.release_at_s = f64::INFINITY;
        run(&mut file, &clock, &mut s).unwrap();
        assert_eq!(file.opens, 1);
    }
}
