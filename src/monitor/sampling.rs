//! Which frames to analyse: a few a second is enough for a posture held for tens of seconds,
//! and costs a small share of one core. The rate rises while an alert is pending (to confirm or
//! clear it sooner) and falls while nobody is there.

use super::policy::State;
use crate::frames::{Frame, FrameError, FrameSource};
use std::cell::Cell;
use std::rc::Rc;

/// Frames a second to analyse in `state`, given the normal rate.
pub fn rate_fps(state: State, normal_fps: f64) -> f64 {
    match state {
        State::Pending => normal_fps * 2.0,
        State::Away | State::Snoozed => (normal_fps / 4.0).max(0.5),
        State::Ok | State::Alerting | State::Paused => normal_fps,
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
        assert_eq!(rate_fps(State::Ok, 4.0), 4.0);
        assert_eq!(rate_fps(State::Pending, 4.0), 8.0);
        assert_eq!(rate_fps(State::Away, 4.0), 1.0);
        assert_eq!(rate_fps(State::Away, 1.0), 0.5);
    }
}
