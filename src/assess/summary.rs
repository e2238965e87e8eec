//! One input's frames summarised into what a therapist reads: which view, which frames were
//! used and why others were not, and for each measure the median, the quartiles and a 95%
//! interval (measurement.md section 5.2).

use super::series::{clean_series, ClipSample, SeriesSettings, Verdict};
use super::stats::{block_bootstrap_median_ci95, median, quantile, robust_sd};
use super::thresholds::{ForwardHead, Thresholds};
use crate::measures::{FrameMeasure, FrontSignal, Reason, View};
use std::collections::BTreeMap;

/// Which family of measures to report for an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ViewChoice {
    /// Side measures when most frames with a person are side-on or oblique, else front.
    Auto,
    Side,
    Front,
}

/// One frame's measures and when it was taken.
#[derive(Debug, Clone, Copy)]
pub struct TimedMeasure {
    pub timestamp_ms: f64,
    /// A still image (a photo): one posed instant, with no neighbours to show movement, so it
    /// skips the stillness and spike tests that clip frames take.
    pub is_still: bool,
    pub measure: FrameMeasure,
}

/// A summary of one measure over the used frames.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Estimate {
    pub median: f32,
    pub q1: f32,
    pub q3: f32,
    /// Robust SD (MAD x 1.4826) of the frames: the within-input spread.
    pub robust_sd: f32,
    /// 95% interval of the median by moving-block bootstrap; `None` for stills and inputs too
    /// short for two blocks.
    pub ci95: Option<(f32, f32)>,
    pub frames: usize,
}

/// Bootstrap blocks span this long, so that resampled blocks are close to independent.
pub const BOOTSTRAP_BLOCK_S: f64 = 2.0;
const BOOTSTRAP_RESAMPLES: usize = 2000;

impl Estimate {
    /// `clip_times_ms`: the frames' times when they come from a clip; `None` for photos, which
    /// get no interval (the bootstrap resamples stretches of time).
    pub fn of(clip_times_ms: Option<&[f64]>, values: &[f32]) -> Option<Estimate> {
        let med = median(values)?;
        let duration_s = match clip_times_ms.and_then(|t| t.first().zip(t.last())) {
            Some((a, b)) if b > a => (b - a) / 1000.0,
            _ => 0.0,
        };
        let ci95 = if duration_s > 0.0 {
            let per_s = (values.len() - 1) as f64 / duration_s;
            let block = (BOOTSTRAP_BLOCK_S * per_s).round().max(1.0) as usize;
            block_bootstrap_median_ci95(values, block, BOOTSTRAP_RESAMPLES)
        } else {
            None
        };
        Some(Estimate {
            median: med,
            q1: quantile(values, 0.25)?,
            q3: quantile(values, 0.75)?,
            robust_sd: robust_sd(values)?,
            ci95,
            frames: values.len(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SideSummary {
    pub cva_deg: Estimate,
    pub cva_raw_deg: Estimate,
    pub head_tilt_deg: Estimate,
    pub forward_head_heads: Estimate,
    /// Share of used frames in each forward-head class.
    pub class_shares: BTreeMap<ForwardHead, f32>,
}

/// Front signals over the used frames, by name (see [`crate::measures::front`]).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FrontSummary {
    pub signals: BTreeMap<FrontSignal, Estimate>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    pub view: View,
    pub frames_total: usize,
    pub frames_used: usize,
    /// For each reason, how many frames it kept from the reported measures.
    pub reasons: BTreeMap<Reason, usize>,
    pub side: Option<SideSummary>,
    pub front: Option<FrontSummary>,
}

impl Summary {
    /// Why an input without a side reading has none: too little steady evidence when frames
    /// did pass every per-frame gate, else the commonest reason frames gave no reading.
    pub fn headline_reason(&self) -> Option<Reason> {
        if self.reasons.contains_key(&Reason::TooFewFrames) {
            return Some(Reason::TooFewFrames);
        }
        self.reasons.iter().max_by_key(|(_, n)| **n).map(|(r, _)| *r)
    }
}

/// The view an input is reported as, from its frames' views.
fn dominant_view(frames: &[TimedMeasure], choice: ViewChoice) -> View {
    let count = |v: View| frames.iter().filter(|f| f.measure.view.view == v).count();
    let (left, right, front, oblique) = (
        count(View::SideLeft),
        count(View::SideRight),
        count(View::Front),
        count(View::Oblique),
    );
    let side = if left >= right { View::SideLeft } else { View::SideRight };
    match choice {
        ViewChoice::Front => View::Front,
        ViewChoice::Side if left + right > 0 => side,
        ViewChoice::Side => View::Oblique,
        ViewChoice::Auto if left + right + front + oblique == 0 => View::None,
        ViewChoice::Auto if front > left + right + oblique => View::Front,
        ViewChoice::Auto if left + right >= oblique && left + right > 0 => side,
        ViewChoice::Auto => View::Oblique,
    }
}

/// Summarise one input's frames.
pub fn summarize(frames: &[TimedMeasure], choice: ViewChoice, thresholds: &Thresholds) -> Summary {
    assess_frames(frames, choice, thresholds).0
}

/// Summarise one input's frames, and say for each frame why it does not count in the summary
/// (`None`: it counts), the clip-level reasons (moving, outlier, unsettled, ...) included.
pub fn assess_frames(
    frames: &[TimedMeasure],
    choice: ViewChoice,
    thresholds: &Thresholds,
) -> (Summary, Vec<Option<Reason>>) {
    let view = dominant_view(frames, choice);
    let has_clip = frames.iter().any(|f| !f.is_still);
    let (side, front, frame_reasons) = if view == View::Front {
        let frame_reasons: Vec<Option<Reason>> = frames.iter().map(|f| f.measure.front.err()).collect();
        let ok: Vec<_> = frames
            .iter()
            .filter_map(|f| f.measure.front.ok().map(|s| (f.timestamp_ms, s)))
            .collect();
        let times: Vec<f64> = ok.iter().map(|o| o.0).collect();
        let times = has_clip.then_some(times.as_slice());
        let signals: BTreeMap<FrontSignal, Estimate> = FrontSignal::ALL
            .into_iter()
            .filter_map(|signal| {
                let values: Vec<f32> = ok.iter().map(|o| o.1.get(signal)).collect();
                Estimate::of(times, &values).map(|e| (signal, e))
            })
            .collect();
        let front = (!signals.is_empty()).then_some(FrontSummary { signals });
        (None, front, frame_reasons)
    } else {
        // Movement and spikes are judged on the raw landmark angle of clip frames: the
        // correction multiplies it by its slope, which would make landmark jitter look like
        // motion.
        let clip: Vec<ClipSample> = frames
            .iter()
            .filter(|f| !f.is_still)
            .map(|f| ClipSample {
                timestamp_ms: f.timestamp_ms,
                value: f.measure.side.ok().map(|m| m.cva_raw_deg),
                body: f.measure.body,
            })
            .collect();
        let mut clip_verdicts = clean_series(&clip, &SeriesSettings::ANGLE).into_iter();
        let mut kept = Vec::new();
        let mut frame_reasons = Vec::with_capacity(frames.len());
        for f in frames {
            let verdict = if f.is_still {
                Verdict::Used
            } else {
                clip_verdicts.next().unwrap_or(Verdict::NoValue)
            };
            frame_reasons.push(match (verdict, f.measure.side) {
                (Verdict::SetAside(reason), _) => Some(reason),
                // An input seen mostly from an oblique angle gives no angles, even if a few
                // frames happened to pass the profile gate: those are the least trustworthy.
                (Verdict::Used, Ok(_)) if !view.is_side() => Some(Reason::NotProfile),
                (Verdict::Used, Ok(m)) => {
                    kept.push((f.timestamp_ms, m));
                    None
                }
                (_, Err(reason)) => Some(reason),
                (Verdict::NoValue, Ok(_)) => Some(Reason::MissingLandmarks),
            });
        }
        let side = side_summary(&kept, has_clip, thresholds);
        (side, None, frame_reasons)
    };
    let mut reasons = BTreeMap::new();
    for reason in frame_reasons.iter().flatten() {
        *reasons.entry(*reason).or_insert(0) += 1;
    }
    if view == View::Front {
        // Every frame of a front-view input lacks the angles for this reason.
        *reasons.entry(Reason::FrontView).or_insert(0) += frames.len();
    }
    let summary = Summary {
        view,
        frames_total: frames.len(),
        frames_used: frame_reasons.iter().filter(|r| r.is_none()).count(),
        reasons,
        side,
        front,
    };
    (summary, frame_reasons)
}

fn side_summary(
    kept: &[(f64, crate::measures::SideMeasures)],
    has_clip: bool,
    thresholds: &Thresholds,
) -> Option<SideSummary> {
    if kept.is_empty() {
        return None;
    }
    let times: Vec<f64> = kept.iter().map(|k| k.0).collect();
    let times = has_clip.then_some(times.as_slice());
    let of = |f: &dyn Fn(&crate::measures::SideMeasures) -> f32| {
        let values: Vec<f32> = kept.iter().map(|k| f(&k.1)).collect();
        Estimate::of(times, &values)
    };
    let n = kept.len() as f32;
    let class_shares = ForwardHead::ALL
        .iter()
        .map(|&c| {
            let k = kept
                .iter()
                .filter(|k| thresholds.forward_head(k.1.cva_deg) == Some(c))
                .count();
            (c, k as f32 / n)
        })
        .collect();
    Some(SideSummary {
        cva_deg: of(&|m| m.cva_deg)?,
        cva_raw_deg: of(&|m| m.cva_raw_deg)?,
        head_tilt_deg: of(&|m| m.head_tilt_deg)?,
        forward_head_heads: of(&|m| m.forward_head_heads)?,
        class_shares,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::{measure_frame, Correction, MeasureSettings};

    fn settings() -> MeasureSettings {
        MeasureSettings {
            correction: Correction::IDENTITY,
            ..Default::default()
        }
    }

    fn clip(yaw_deg: f32, n: usize) -> Vec<TimedMeasure> {
        let pose = crate::measures::testing::posed(yaw_deg, 0.02);
        (0..n)
            .map(|i| TimedMeasure {
                timestamp_ms: i as f64 * 40.0,
                is_still: false,
                measure: measure_frame(Some(&pose), (640, 480), &settings()),
            })
            .collect()
    }

    #[test]
    fn side_clip_reports_side_with_interval() {
        let s = summarize(&clip(90.0, 150), ViewChoice::Auto, &Thresholds::default());
        assert_eq!(s.view, View::SideLeft);
        assert_eq!((s.frames_total, s.frames_used), (150, 150));
        let side = s.side.unwrap();
        assert!(side.cva_deg.ci95.is_some());
        assert!((side.class_shares.values().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn front_clip_reports_front_signals_and_why_no_angle() {
        let s = summarize(&clip(0.0, 10), ViewChoice::Auto, &Thresholds::default());
        assert_eq!(s.view, View::Front);
        assert!(s.side.is_none());
        assert_eq!(s.front.unwrap().signals.len(), 6);
        assert_eq!(s.reasons.get(&Reason::FrontView), Some(&10));
    }

    #[test]
    fn forcing_side_on_a_front_clip_gives_no_angle_and_the_reason() {
        let s = summarize(&clip(0.0, 10), ViewChoice::Side, &Thresholds::default());
        assert!(s.side.is_none());
        assert_eq!(s.frames_used, 0);
        assert_eq!(s.reasons.get(&Reason::FrontView), Some(&10));
    }

    #[test]
    fn a_mostly_oblique_clip_gives_no_angle_from_its_few_side_frames() {
        let mut frames = clip(50.0, 60);
        frames.extend(clip(90.0, 40).into_iter().map(|f| TimedMeasure {
            timestamp_ms: f.timestamp_ms + 2400.0,
            ..f
        }));
        let s = summarize(&frames, ViewChoice::Auto, &Thresholds::default());
        assert_eq!(s.view, View::Oblique);
        assert!(s.side.is_none());
        assert_eq!(s.reasons.get(&Reason::NotProfile), Some(&100));
    }

    #[test]
    fn photos_are_kept_without_neighbours_and_a_glimpse_in_a_clip_is_not() {
        let photo = |t: f64| TimedMeasure {
            is_still: true,
            timestamp_ms: t,
            ..clip(90.0, 1)[0]
        };
        // Two photos pooled a minute apart, as `posture calibrate` does: kept, no interval.
        let s = summarize(&[photo(0.0), photo(60_000.0)], ViewChoice::Auto, &Thresholds::default());
        assert_eq!(s.frames_used, 2);
        assert_eq!(s.side.unwrap().cva_deg.ci95, None);
        // One frame glimpsed in a densely sampled clip of nobody is set aside.
        let mut glimpse: Vec<_> = (0..30)
            .map(|i| TimedMeasure {
                timestamp_ms: i as f64 * 40.0,
                is_still: false,
                measure: measure_frame(None, (640, 480), &settings()),
            })
            .collect();
        glimpse[15].measure = clip(90.0, 1)[0].measure;
        let s = summarize(&glimpse, ViewChoice::Side, &Thresholds::default());
        assert!(s.side.is_none());
        assert_eq!(s.reasons.get(&Reason::Unsettled), Some(&1));
    }

    #[test]
    fn a_clip_and_photos_pooled_use_every_frame_once() {
        // As `posture calibrate` pools a clip, a photo and another clip, a minute apart.
        let mut frames = clip(90.0, 30);
        frames.push(TimedMeasure {
            is_still: true,
            timestamp_ms: 61_200.0,
            ..frames[0]
        });
        frames.extend(clip(90.0, 30).into_iter().map(|f| TimedMeasure {
            timestamp_ms: f.timestamp_ms + 122_400.0,
            ..f
        }));
        let s = summarize(&frames, ViewChoice::Auto, &Thresholds::default());
        assert_eq!((s.frames_total, s.frames_used), (61, 61));
        assert!(s.reasons.is_empty(), "{:?}", s.reasons);
        assert!(s.side.unwrap().cva_deg.ci95.is_some());
    }

    #[test]
    fn no_person_anywhere() {
        let frames: Vec<TimedMeasure> = (0..5)
            .map(|i| TimedMeasure {
                timestamp_ms: i as f64,
                is_still: false,
                measure: measure_frame(None, (640, 480), &settings()),
            })
            .collect();
        let s = summarize(&frames, ViewChoice::Auto, &Thresholds::default());
        assert_eq!(s.view, View::None);
        assert_eq!(s.reasons.get(&Reason::NoPerson), Some(&5));
    }
}
