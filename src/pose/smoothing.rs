//! One Euro smoothing of landmark streams (Casiez, Roussel & Vogel 2012), with MediaPipe's
//! semantics: the frequency comes from timestamps, the speed that opens the filter is measured
//! in object sizes per second for image landmarks (value scale = 1 / object size in pixels),
//! and in metres per second for world landmarks.
//!
//! Two presets: [`Smoothing::MEASURE`], the default, lags about 0.16 s when still; MediaPipe's
//! drawing settings ([`Smoothing::DISPLAY`]) lag about 3 s when the user settles, which is fine
//! for an overlay and wrong for a measurement.

use super::{Landmark, WorldLandmark, NUM_LANDMARKS};

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct OneEuroParams {
    pub min_cutoff_hz: f32,
    pub beta: f32,
    pub derivative_cutoff_hz: f32,
}

/// Parameters for a whole pose.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Smoothing {
    pub image: OneEuroParams,
    pub world: OneEuroParams,
    /// Low-pass factor for visibility and presence (1 = no smoothing).
    pub visibility_alpha: f32,
}

impl Smoothing {
    /// Light smoothing for measuring: 1 Hz cutoff at rest, opening quickly with speed.
    pub const MEASURE: Smoothing = Smoothing {
        image: OneEuroParams {
            min_cutoff_hz: 1.0,
            beta: 10.0,
            derivative_cutoff_hz: 1.0,
        },
        world: OneEuroParams {
            min_cutoff_hz: 1.0,
            beta: 5.0,
            derivative_cutoff_hz: 1.0,
        },
        visibility_alpha: 1.0,
    };
    /// MediaPipe's `pose_landmark_filtering.pbtxt` settings, for drawing.
    pub const DISPLAY: Smoothing = Smoothing {
        image: OneEuroParams {
            min_cutoff_hz: 0.05,
            beta: 80.0,
            derivative_cutoff_hz: 1.0,
        },
        world: OneEuroParams {
            min_cutoff_hz: 0.1,
            beta: 40.0,
            derivative_cutoff_hz: 1.0,
        },
        visibility_alpha: 0.1,
    };
}

fn alpha(frequency_hz: f32, cutoff_hz: f32) -> f32 {
    let tau = 1.0 / (2.0 * std::f32::consts::PI * cutoff_hz);
    1.0 / (1.0 + tau * frequency_hz)
}

/// One scalar One Euro filter.
#[derive(Debug, Clone)]
pub struct OneEuroFilter {
    params: OneEuroParams,
    last: Option<(f64, f32, f32)>, // (time s, raw value, filtered value)
    derivative: f32,
}

impl OneEuroFilter {
    pub fn new(params: OneEuroParams) -> OneEuroFilter {
        OneEuroFilter {
            params,
            last: None,
            derivative: 0.0,
        }
    }

    /// Filter `value` observed at `time_s`; `value_scale` converts a change into the units
    /// `beta` expects.
    pub fn apply(&mut self, value: f32, time_s: f64, value_scale: f32) -> f32 {
        let Some((last_t, last_raw, last_filtered)) = self.last else {
            self.last = Some((time_s, value, value));
            return value;
        };
        let dt = (time_s - last_t) as f32;
        if dt <= 0.0 {
            // A repeated timestamp carries no new timing information.
            return last_filtered;
        }
        let frequency = 1.0 / dt;
        let dx = (value - last_raw) * value_scale * frequency;
        self.derivative += alpha(frequency, self.params.derivative_cutoff_hz) * (dx - self.derivative);
        let cutoff = self.params.min_cutoff_hz + self.params.beta * self.derivative.abs();
        let filtered = last_filtered + alpha(frequency, cutoff) * (value - last_filtered);
        self.last = Some((time_s, value, filtered));
        filtered
    }
}

/// Filters for every coordinate of one tracked person.
pub struct PoseSmoother {
    settings: Smoothing,
    image: Vec<OneEuroFilter>,
    world: Vec<OneEuroFilter>,
    visibility: Option<Vec<(f32, f32)>>,
}

impl PoseSmoother {
    pub fn new(settings: Smoothing) -> PoseSmoother {
        PoseSmoother {
            settings,
            image: vec![OneEuroFilter::new(settings.image); NUM_LANDMARKS * 3],
            world: vec![OneEuroFilter::new(settings.world); NUM_LANDMARKS * 3],
            visibility: None,
        }
    }

    /// Forget the history (a new person, or the track was lost).
    pub fn reset(&mut self) {
        *self = PoseSmoother::new(self.settings);
    }

    pub fn apply(
        &mut self,
        landmarks: &mut [Landmark; NUM_LANDMARKS],
        world: &mut [WorldLandmark; NUM_LANDMARKS],
        time_s: f64,
    ) {
        // Object size: the mean side of the landmarks' bounding box, in pixels.
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for lm in landmarks.iter() {
            (x0, y0, x1, y1) = (x0.min(lm.x_px), y0.min(lm.y_px), x1.max(lm.x_px), y1.max(lm.y_px));
        }
        let object_size = ((x1 - x0) + (y1 - y0)) / 2.0;
        let scale = if object_size > 0.0 { 1.0 / object_size } else { 1.0 };
        for (k, lm) in landmarks.iter_mut().enumerate() {
            lm.x_px = self.image[3 * k].apply(lm.x_px, time_s, scale);
            lm.y_px = self.image[3 * k + 1].apply(lm.y_px, time_s, scale);
            lm.z = self.image[3 * k + 2].apply(lm.z, time_s, scale);
        }
        for (k, w) in world.iter_mut().enumerate() {
            w.x_m = self.world[3 * k].apply(w.x_m, time_s, 1.0);
            w.y_m = self.world[3 * k + 1].apply(w.y_m, time_s, 1.0);
            w.z_m = self.world[3 * k + 2].apply(w.z_m, time_s, 1.0);
        }
        let a = self.settings.visibility_alpha;
        if a < 1.0 {
            let state = self
                .visibility
                .get_or_insert_with(|| landmarks.iter().map(|l| (l.visibility, l.presence)).collect());
            for (lm, s) in landmarks.iter_mut().zip(state.iter_mut()) {
                s.0 += a * (lm.visibility - s.0);
                s.1 += a * (lm.presence - s.1);
                (lm.visibility, lm.presence) = *s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step_response(params: OneEuroParams, seconds: f64) -> f32 {
        // A still value that jumps from 0 to 1 at t = 0, sampled at 30 Hz; return the filtered
        // value after `seconds`.
        let mut f = OneEuroFilter::new(params);
        f.apply(0.0, -1.0 / 30.0, 1.0);
        let mut out = 0.0;
        let frames = (seconds * 30.0).round() as usize;
        for i in 0..=frames {
            out = f.apply(1.0, i as f64 / 30.0, 1.0);
        }
        out
    }

    #[test]
    fn first_value_passes_through() {
        let mut f = OneEuroFilter::new(Smoothing::MEASURE.image);
        assert_eq!(f.apply(3.5, 0.0, 1.0), 3.5);
    }

    #[test]
    fn constant_signal_stays_constant() {
        let mut f = OneEuroFilter::new(Smoothing::DISPLAY.image);
        for i in 0..100 {
            assert_eq!(f.apply(2.0, i as f64 / 30.0, 1.0), 2.0);
        }
    }

    #[test]
    fn measuring_preset_settles_far_faster_than_mediapipes_drawing_preset() {
        // Small steps (a slow drift) do not open the filter much; after 0.5 s the measuring
        // preset has nearly caught up, MediaPipe's drawing preset has not.
        let small = |p: OneEuroParams| {
            let mut f = OneEuroFilter::new(p);
            f.apply(0.0, 0.0, 1.0);
            let mut out = 0.0;
            for i in 1..=15 {
                out = f.apply(0.001, i as f64 / 30.0, 1.0);
            }
            out / 0.001
        };
        let measure = small(Smoothing::MEASURE.image);
        let display = small(Smoothing::DISPLAY.image);
        assert!(measure > 0.9, "measure reached {measure}");
        assert!(display < 0.5, "display reached {display}");
        assert!(step_response(Smoothing::MEASURE.image, 0.5) > 0.99);
    }

    #[test]
    fn repeated_timestamp_is_ignored() {
        let mut f = OneEuroFilter::new(Smoothing::MEASURE.image);
        f.apply(1.0, 0.0, 1.0);
        assert_eq!(f.apply(5.0, 0.0, 1.0), 1.0);
    }
}
