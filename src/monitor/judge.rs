//! From each analysed frame to what the alert policy hears: the posture over the last few
//! seconds, as a [`Level`], or no reading and why.
//!
//! One frame is never enough: a level comes from the readings of a short window (3 s by
//! default), so that one odd frame does not flip it.
//! - Side camera: the median CVA of the window against the clinical classes
//!   ([`Thresholds::forward_head`]), or, with a side baseline, more than `margin_deg` below the
//!   person's own upright CVA.
//! - Front camera: the front signals of the window against the front baseline
//!   ([`front_comparison`]); looking down is never forward head.

use super::policy::Level;
use crate::assess::baseline::{front_comparison, Baseline};
use crate::assess::summary::{Estimate, FrontSummary};
use crate::assess::{ForwardHead, Thresholds};
use crate::measures::{FrameMeasure, FrontSignal, FrontSignals, Reason, View};
use std::collections::{BTreeMap, VecDeque};

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct JudgeSettings {
    /// Readings from this far back make the current level.
    pub window_s: f64,
    /// At least this many readings in the window for a level.
    pub min_readings: usize,
    /// With a side baseline: forward head when the CVA is this far below it.
    pub side_margin_deg: f32,
}

impl Default for JudgeSettings {
    fn default() -> Self {
        JudgeSettings {
            window_s: 3.0,
            min_readings: 3,
            side_margin_deg: 5.0,
        }
    }
}

impl JudgeSettings {
    /// The lowest analysis rate that keeps the window filled: twice the readings it needs, so
    /// that a few frames without a reading still leave a level.
    pub fn min_steady_fps(&self) -> f64 {
        2.0 * self.min_readings as f64 / self.window_s
    }
}

/// What one analysed frame and its window say.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Reading {
    pub view: View,
    /// The median CVA of the window (side camera).
    pub cva_deg: Option<f32>,
    pub forward_head: Option<ForwardHead>,
    /// Front camera against a baseline: the head pitched down rather than pushed forward.
    pub looking_down: Option<bool>,
    /// Why there is no level.
    pub reason: Option<Reason>,
    pub level: Option<Level>,
}

pub struct Judge {
    settings: JudgeSettings,
    thresholds: Thresholds,
    baseline: Option<Baseline>,
    side: VecDeque<(f64, f32)>,
    front: VecDeque<(f64, FrontSignals)>,
}

fn level_of(class: ForwardHead) -> Level {
    match class {
        ForwardHead::Normal => Level::Good,
        ForwardHead::Borderline => Level::Borderline,
        ForwardHead::Forward | ForwardHead::Severe => Level::Forward,
    }
}

impl Judge {
    pub fn new(settings: JudgeSettings, thresholds: Thresholds, baseline: Option<Baseline>) -> Judge {
        Judge {
            settings,
            thresholds,
            baseline,
            side: VecDeque::new(),
            front: VecDeque::new(),
        }
    }

    pub fn baseline(&self) -> Option<&Baseline> {
        self.baseline.as_ref()
    }

    /// Judge without a baseline (while a new one is recorded).
    pub fn clear_baseline(&mut self) {
        self.baseline = None;
        self.front.clear();
    }

    pub fn set_baseline(&mut self, baseline: Baseline) {
        self.baseline = Some(baseline);
        self.front.clear();
    }

    /// Judge the frame at `t_s`.
    pub fn judge(&mut self, t_s: f64, measure: &FrameMeasure) -> Reading {
        let horizon = t_s - self.settings.window_s;
        self.side.retain(|r| r.0 > horizon);
        self.front.retain(|r| r.0 > horizon);
        let view = measure.view.view;
        let mut reading = Reading {
            view,
            cva_deg: None,
            forward_head: None,
            looking_down: None,
            reason: None,
            level: None,
        };
        if view == View::Front {
            match measure.front {
                Ok(signals) => self.front.push_back((t_s, signals)),
                Err(reason) => {
                    reading.reason = Some(reason);
                    return reading;
                }
            }
            let Some(base) = self.baseline.as_ref().and_then(|b| b.front.as_ref()) else {
                reading.reason = Some(Reason::NoBaseline);
                return reading;
            };
            if self.front.len() < self.settings.min_readings {
                reading.reason = Some(Reason::TooFewFrames);
                return reading;
            }
            let signals: BTreeMap<FrontSignal, Estimate> = FrontSignal::ALL
                .into_iter()
                .filter_map(|s| {
                    let values: Vec<f32> = self.front.iter().map(|f| f.1.get(s)).collect();
                    Estimate::of(None, &values).map(|e| (s, e))
                })
                .collect();
            if let Some(c) = front_comparison(base, &FrontSummary { signals }) {
                reading.forward_head = Some(c.forward_head);
                reading.looking_down = Some(c.looking_down);
                reading.level = Some(if c.looking_down {
                    Level::Good
                } else {
                    level_of(c.forward_head)
                });
            }
            return reading;
        }
        match measure.side {
            Ok(side) => self.side.push_back((t_s, side.cva_deg)),
            Err(reason) => {
                reading.reason = Some(reason);
                return reading;
            }
        }
        if self.side.len() < self.settings.min_readings {
            reading.reason = Some(Reason::TooFewFrames);
            return reading;
        }
        let values: Vec<f32> = self.side.iter().map(|r| r.1).collect();
        let Some(median) = crate::assess::stats::median(&values) else {
            return reading;
        };
        reading.cva_deg = Some(median);
        let clinical = self.thresholds.forward_head(median);
        reading.forward_head = clinical;
        // With a side baseline the person's own upright angle decides: forward beyond the
        // margin below it, good within half the margin, borderline between (hysteresis).
        let below_baseline_deg = self
            .baseline
            .as_ref()
            .and_then(|b| b.side.as_ref())
            .map(|b| b.cva_deg.median - median);
        reading.level = match below_baseline_deg {
            Some(d) if d > self.settings.side_margin_deg => Some(Level::Forward),
            Some(d) if d > self.settings.side_margin_deg / 2.0 => Some(Level::Borderline),
            Some(_) => Some(Level::Good),
            None => clinical.map(level_of),
        };
        reading
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::summarize;
    use crate::assess::TimedMeasure;
    use crate::measures::testing::posed;
    use crate::measures::{measure_frame, Correction, MeasureSettings};

    fn side_frame(forward: f32) -> FrameMeasure {
        let settings = MeasureSettings {
            correction: Correction::IDENTITY,
            ..Default::default()
        };
        measure_frame(Some(&posed(90.0, forward)), (640, 480), &settings)
    }

    /// The levels of `frames` fed at 4 a second.
    fn levels(judge: &mut Judge, frame: FrameMeasure, n: usize) -> Vec<Option<Level>> {
        (0..n).map(|i| judge.judge(i as f64 * 0.25, &frame).level).collect()
    }

    #[test]
    fn one_frame_is_not_a_level_a_window_is() {
        let mut judge = Judge::new(JudgeSettings::default(), Thresholds::default(), None);
        let got = levels(&mut judge, side_frame(0.0), 4);
        assert_eq!(&got[..2], &[None, None]);
        assert!(got[2].is_some() && got[3].is_some());
    }

    #[test]
    fn with_a_side_baseline_the_persons_own_angle_decides() {
        let upright = side_frame(0.0);
        let upright_cva = upright.side.unwrap().cva_deg;
        let frames: Vec<TimedMeasure> = (0..40)
            .map(|i| TimedMeasure {
                timestamp_ms: i as f64 * 250.0,
                is_still: false,
                measure: upright,
            })
            .collect();
        let summary = summarize(&frames, crate::assess::ViewChoice::Side, &Thresholds::default());
        let baseline = Baseline::from_summary(&summary, vec![]).unwrap();
        let mut judge = Judge::new(JudgeSettings::default(), Thresholds::default(), Some(baseline));
        assert_eq!(levels(&mut judge, upright, 8).last(), Some(&Some(Level::Good)));
        // Far enough forward to lose more than the margin.
        let forward = (1..40)
            .map(|k| side_frame(k as f32 * 0.01))
            .find(|f| f.side.is_ok_and(|s| s.cva_deg < upright_cva - 8.0))
            .expect("a pose more than 8 degrees forward");
        let mut judge = Judge::new(
            JudgeSettings::default(),
            Thresholds::default(),
            judge.baseline().cloned(),
        );
        assert_eq!(levels(&mut judge, forward, 8).last(), Some(&Some(Level::Forward)));
    }

    #[test]
    fn a_front_view_without_a_baseline_has_no_level_and_says_why() {
        let settings = MeasureSettings::default();
        let front = measure_frame(Some(&posed(0.0, 0.0)), (640, 480), &settings);
        let mut judge = Judge::new(JudgeSettings::default(), Thresholds::default(), None);
        let r = (0..8).map(|i| judge.judge(i as f64 * 0.25, &front)).last().unwrap();
        assert_eq!((r.level, r.reason), (None, Some(Reason::NoBaseline)));
    }
}
