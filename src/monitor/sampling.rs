//! Which frames to analyse: a few a second is enough for a posture held for tens of seconds,
//! and costs a small share of one core. The rate rises while an alert is pending (to confirm or
//! clear it sooner), halves while nothing changes (the same level for [`STEADY_AFTER_S`]) and
//! falls further while nobody is there.

use super::policy::{Level, State};
use crate::frames::{Frame, FrameError, FrameSource};
use std::cell::Cell;
use std::rc::Rc;

/// The level the alert policy hears, unchanged this long, is "nothing changes". Long against
/// the judge's window (a few seconds), so that a level that flickers keeps the full rate.
pub const STEADY_AFTER_S: f64 = 10.0;

/// The rates frames are analysed at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// While nothing is pending.
    pub normal_fps: f64,
    /// While nothing changes: half the normal rate, but never below the rate that keeps the
    /// judge's window filled, nor above the normal rate.
    pub steady_fps: f64,
}

impl Rates {
    /// `min_steady_fps`: the lowest rate at which the judge still has enough readings.
    pub fn new(normal_fps: f64, min_steady_fps: f64) -> Rates {
        Rates {
            normal_fps,
            steady_fps: (normal_fps / 2.0).max(min_steady_fps).min(normal_fps),
        }
    }

    /// Frames a second to analyse in `state`; `steady`: nothing has changed for a while.
    pub fn fps(&self, state: State, steady: bool) -> f64 {
        match state {
            State::Pending => self.normal_fps * 2.0,
            State::Away | State::Snoozed => (self.normal_fps / 4.0).max(0.5),
            State::Ok if steady => self.steady_fps,
            State::Ok | State::Alerting | State::Paused => self.normal_fps,
        }
    }
}

/// How long the level has stayed the same (no level, for a frame without a reading, is a
/// level of its own).
#[derive(Debug, Clone, Copy, Default)]
pub struct Steadiness {
    /// The current level and the time it began.
    current: Option<(Option<Level>, f64)>,
}

impl Steadiness {
    pub fn observe(&mut self, t_s: f64, level: Option<Level>) {
        if self.current.is_none_or(|(current, _)| current != level) {
            self.current = Some((level, t_s));
        }
    }

    /// Start over (a recalibration, the camera reopened).
    pub fn reset(&mut self) {
        self.current = None;
    }

    /// The level has held for [`STEADY_AFTER_S`] by `t_s`.
    pub fn is_steady(&self, t_s: f64) -> bool {
        self.current.is_some_and(|(_, since)| t_s - since >= STEADY_AFTER_S)
    }
}

/// The time the next frame is due, after keeping a frame at `kept_ms` that was due at
/// `due_ms` (`None` for the first): one interval on from when it was due, so that the rate
/// holds on any frame grid, or from the frame itself after a stall.
pub fn next_due_ms(kept_ms: f64, due_ms: Option<f64>, fps: f64) -> f64 {
    let interval_ms = 1000.0 / fps.max(1e-3);
    match due_ms {
        Some(due) if kept_ms - due < interval_ms => due + interval_ms,
        _ => kept_ms + interval_ms,
    }
}

/// Whether a frame at `t_ms` is due (1 ms early still counts: timestamps are rounded).
pub fn is_due(t_ms: f64, due_ms: Option<f64>) -> bool {
    due_ms.is_none_or(|due| t_ms >= due - 1.0)
}

/// A frame source that passes on only the frames due at the rate in `fps` (which the caller
/// may change between frames); the others are dropped before any pose work.
pub struct Sampled {
    inner: Box<dyn FrameSource>,
    fps: Rc<Cell<f64>>,
    due_ms: Option<f64>,
}

impl Sampled {
    pub fn new(inner: Box<dyn FrameSource>, fps: Rc<Cell<f64>>) -> Sampled {
        Sampled {
            inner,
            fps,
            due_ms: None,
        }
    }
}

impl FrameSource for Sampled {
    fn label(&self) -> &str {
        self.inner.label()
    }

    fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        if let Some(due) = self.due_ms {
            // Frames before the next due one need not even be converted.
            self.inner.skip_before(due - 1.0);
        }
        loop {
            let next = self.inner.next_frame()?;
            match &next {
                Ok(frame) if !is_due(frame.timestamp_ms, self.due_ms) => continue,
                Ok(frame) => self.due_ms = Some(next_due_ms(frame.timestamp_ms, self.due_ms, self.fps.get())),
                Err(_) => {}
            }
            return Some(next);
        }
    }

    fn is_still(&self) -> bool {
        self.inner.is_still()
    }

    fn skip_before(&mut self, t_ms: f64) {
        self.inner.skip_before(t_ms);
    }

    fn recycle(&mut self, image: image::RgbImage) {
        self.inner.recycle(image);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_30_fps_stream_is_analysed_at_the_rate_asked() {
        for source_fps in [30.0, 25.0, 5.0] {
            let mut due = None;
            let mut kept = 0;
            for i in 0..(10.0 * source_fps) as usize {
                let t = (i as f64 * 1000.0 / source_fps).round();
                if is_due(t, due) {
                    due = Some(next_due_ms(t, due, 4.0));
                    kept += 1;
                }
            }
            // 10 s at 4 fps: 40 frames, on any grid finer than the rate.
            assert_eq!(kept, 40, "{source_fps} fps");
        }
    }

    #[test]
    fn after_a_stall_the_rate_starts_again_from_the_frame() {
        // A frame 3 s late is kept, and the next is due one interval after it, not at once.
        assert_eq!(next_due_ms(3250.0, Some(250.0), 4.0), 3500.0);
    }

    #[test]
    fn pending_looks_more_often_and_away_less() {
        let rates = Rates::new(4.0, 2.0);
        assert_eq!(rates.fps(State::Ok, false), 4.0);
        assert_eq!(rates.fps(State::Pending, false), 8.0);
        assert_eq!(rates.fps(State::Pending, true), 8.0);
        assert_eq!(rates.fps(State::Away, false), 1.0);
        assert_eq!(Rates::new(1.0, 2.0).fps(State::Away, false), 0.5);
    }

    #[test]
    fn a_steady_level_halves_the_rate_but_keeps_the_judge_window_filled() {
        assert_eq!(Rates::new(4.0, 2.0).fps(State::Ok, true), 2.0);
        assert_eq!(Rates::new(8.0, 2.0).fps(State::Ok, true), 4.0);
        assert_eq!(Rates::new(3.0, 2.0).fps(State::Ok, true), 2.0);
        // Never above the rate asked for.
        assert_eq!(Rates::new(1.0, 2.0).fps(State::Ok, true), 1.0);
        // An alert running is watched at the full rate, to see it end.
        assert_eq!(Rates::new(4.0, 2.0).fps(State::Alerting, true), 4.0);
    }

    #[test]
    fn the_same_level_for_ten_seconds_is_steady_and_any_change_starts_over() {
        let mut steadiness = Steadiness::default();
        assert!(!steadiness.is_steady(0.0));
        for i in 0..=40 {
            steadiness.observe(i as f64 * 0.25, Some(Level::Good));
        }
        assert!(steadiness.is_steady(10.0));
        steadiness.observe(10.25, None);
        assert!(!steadiness.is_steady(10.25));
        assert!(!steadiness.is_steady(20.0));
        steadiness.observe(20.25, None);
        assert!(steadiness.is_steady(20.25));
        steadiness.reset();
        assert!(!steadiness.is_steady(30.0));
    }
}
