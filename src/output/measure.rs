//! The `posture measure` result for one input: a JSON object (one line each) and a line a
//! therapist reads. The JSON field names are a contract (README, docs/measures.md).

use crate::assess::baseline::Change;
use crate::assess::recording::SetUpDifference;
use crate::assess::{
    classify, no_cva_reason, quality_reasons, Classification, Estimate, ForwardHead, VALIDATION_CVA_MAE_DEG,
};
use crate::measures::{FrontSignal, Measure, Reason, View};
use crate::pipeline::{InputResult, OtherPeople, Provenance};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Quality {
    pub frames_total: usize,
    pub frames_used: usize,
    pub reasons: BTreeMap<Reason, usize>,
}

/// 95% intervals of the medians (clips only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Intervals {
    pub cva_deg: Option<(f32, f32)>,
    pub head_tilt_deg: Option<(f32, f32)>,
}

/// The version of the `measure --json` record (also each line of `score`'s summary.jsonl).
/// Fields are only ever added within a version; a change of meaning or a removal makes it /2.
pub const MEASURE_SCHEMA: &str = "posture-measure/1";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MeasureRecord {
    /// [`MEASURE_SCHEMA`].
    #[serde(deserialize_with = "deserialize_schema")]
    pub schema: crate::measures::correction::StaticStr,
    pub input: String,
    pub view: View,
    pub cva_deg: Option<f32>,
    /// Always null, and `shoulder_angle_reason` says why.
    pub shoulder_angle_deg: Option<f32>,
    /// Why `shoulder_angle_deg` is null: `no_acromion` for side views, `front_view` for front
    /// ones, `unreadable_input`.
    pub shoulder_angle_reason: Reason,
    pub head_tilt_deg: Option<f32>,
    /// Ear ahead of the C7 proxy, in head lengths.
    pub forward_head_heads: Option<f32>,
    pub classification: Classification,
    /// Why `cva_deg` is null, when it is.
    pub reason: Option<Reason>,
    /// The error that made the input unreadable.
    pub error: Option<String>,
    pub quality: Quality,
    pub ci95: Option<Intervals>,
    /// Interquartile range of the per-frame CVA: the spread within the input.
    pub cva_iqr_deg: Option<(f32, f32)>,
    /// Share of used frames in each forward-head class.
    pub class_shares: Option<BTreeMap<ForwardHead, f32>>,
    /// Front-view signals (medians), for front inputs.
    pub front_signals: Option<BTreeMap<FrontSignal, f32>>,
    pub change_from_baseline: Option<Vec<Change>>,
    /// With a baseline that records its set-up: how this input was recorded differently
    /// (empty: alike). When it lists anything, nothing is compared with the baseline: no
    /// `change_from_baseline`, and no class from it. Absent without a baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_mismatch: Option<Vec<SetUpDifference>>,
    /// People in view besides the measured subject.
    pub other_people: OtherPeople,
    /// Ctrl-C or SIGTERM stopped this input: the numbers are from the frames before it.
    pub interrupted: bool,
    pub provenance: Provenance,
}

fn deserialize_schema<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<&'static str, D::Error> {
    let value = String::deserialize(deserializer)?;
    Ok(crate::measures::correction::interned(value, &[MEASURE_SCHEMA]))
}

fn round1(v: f32) -> f32 {
    (v * 10.0).round() / 10.0
}

fn round_pair(p: (f32, f32)) -> (f32, f32) {
    (round1(p.0), round1(p.1))
}

fn round_sig(v: f32) -> f32 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let digits = 4 - v.abs().log10().ceil() as i32;
    let f = 10f32.powi(digits);
    (v * f).round() / f
}

impl MeasureRecord {
    /// The record for one input.
    pub fn of(result: &InputResult, thresholds: &crate::assess::Thresholds) -> MeasureRecord {
        let mut record = match &result.summary {
            Some(summary) => Self::from_summary(&result.input, summary, result, thresholds),
            None => {
                let error = result
                    .error
                    .as_ref()
                    .map_or_else(|| format!("{}: no frames", result.input), |e| e.to_string());
                Self::unreadable(&result.input, error, result.provenance.clone())
            }
        };
        if result.summary.is_some() {
            record.error = result.error.as_ref().map(|e| e.to_string());
        }
        record.interrupted = result.stats.interrupted;
        record
    }

    fn from_summary(
        input: &str,
        summary: &crate::assess::Summary,
        result: &InputResult,
        thresholds: &crate::assess::Thresholds,
    ) -> MeasureRecord {
        let side = summary.side.as_ref();
        let median = |f: fn(&crate::assess::summary::SideSummary) -> &Estimate| side.map(|s| round1(f(s).median));
        let ci =
            |f: fn(&crate::assess::summary::SideSummary) -> &Estimate| side.and_then(|s| f(s).ci95.map(round_pair));
        let comparison = &result.comparison;
        let quality = Quality {
            frames_total: summary.frames_total,
            frames_used: summary.frames_used,
            reasons: quality_reasons(summary, comparison.baseline_given),
        };
        let classification = classify(summary, comparison.front.as_ref(), thresholds);
        let ci95 = side.filter(|s| s.cva_deg.ci95.is_some()).map(|_| Intervals {
            cva_deg: ci(|s| &s.cva_deg),
            head_tilt_deg: ci(|s| &s.head_tilt_deg),
        });
        let change_from_baseline = match (&comparison.side, &comparison.front) {
            (Some(c), _) => Some(c.clone()),
            (None, Some(f)) => Some(f.changes.clone()),
            (None, None) => None,
        }
        .map(|cs| {
            cs.into_iter()
                .map(|c| Change {
                    baseline: round_sig(c.baseline),
                    now: round_sig(c.now),
                    change: round_sig(c.change),
                    noise: round_sig(c.noise),
                    ..c
                })
                .collect()
        });
        MeasureRecord {
            schema: MEASURE_SCHEMA,
            input: input.to_string(),
            view: summary.view,
            cva_deg: median(|s| &s.cva_deg),
            shoulder_angle_deg: None,
            shoulder_angle_reason: if summary.view == View::Front {
                Reason::FrontView
            } else {
                Reason::NoAcromion
            },
            head_tilt_deg: median(|s| &s.head_tilt_deg),
            forward_head_heads: side.map(|s| (s.forward_head_heads.median * 100.0).round() / 100.0),
            classification,
            reason: no_cva_reason(summary),
            error: None,
            quality,
            ci95,
            cva_iqr_deg: side.map(|s| round_pair((s.cva_deg.q1, s.cva_deg.q3))),
            class_shares: side.map(|s| {
                s.class_shares
                    .iter()
                    .map(|(k, v)| (*k, (v * 1000.0).round() / 1000.0))
                    .collect()
            }),
            front_signals: summary
                .front
                .as_ref()
                .map(|f| f.signals.iter().map(|(k, e)| (*k, round_sig(e.median))).collect()),
            change_from_baseline,
            baseline_mismatch: comparison.mismatch.clone(),
            other_people: result.other_people,
            interrupted: false,
            provenance: result.provenance.clone(),
        }
    }

    /// The record for an input that could not be read at all.
    pub fn unreadable(input: &str, error: String, provenance: Provenance) -> MeasureRecord {
        MeasureRecord {
            schema: MEASURE_SCHEMA,
            input: input.to_string(),
            view: View::None,
            cva_deg: None,
            shoulder_angle_deg: None,
            shoulder_angle_reason: Reason::UnreadableInput,
            head_tilt_deg: None,
            forward_head_heads: None,
            classification: Classification::default(),
            reason: Some(Reason::UnreadableInput),
            error: Some(error),
            quality: Quality {
                frames_total: 0,
                frames_used: 0,
                reasons: BTreeMap::from([(Reason::UnreadableInput, 1)]),
            },
            ci95: None,
            cva_iqr_deg: None,
            class_shares: None,
            front_signals: None,
            change_from_baseline: None,
            baseline_mismatch: None,
            other_people: OtherPeople::default(),
            interrupted: false,
            provenance,
        }
    }

    /// Whether the input gave any number: a side angle, or front signals.
    pub fn has_measurement(&self) -> bool {
        self.cva_deg.is_some() || self.head_tilt_deg.is_some() || self.front_signals.is_some()
    }

    /// One line for people.
    pub fn human_line(&self) -> String {
        let mut parts = vec![format!("{}: {}", self.input, self.view.as_str())];
        if let Some(e) = &self.error {
            parts.push(format!("no reading: {e}"));
            return parts.join(", ");
        }
        if self.interrupted {
            parts.push("interrupted".into());
        }
        match self.cva_deg {
            Some(cva) => {
                let mut s = format!("CVA {cva:.1}°");
                // The clip interval covers frame-to-frame variation only; the method's own error
                // on validation is said beside it (or alone, for a photo).
                let error = format!("measurement error on validation ±{VALIDATION_CVA_MAE_DEG:.1}°");
                match self.ci95.as_ref().and_then(|c| c.cva_deg) {
                    Some((lo, hi)) => s.push_str(&format!(" (clip interval {lo:.1}-{hi:.1}, {error})")),
                    None => s.push_str(&format!(" ({error})")),
                }
                if let Some(c) = self.classification.forward_head {
                    s.push_str(&format!(" {}", describe_class(c)));
                }
                parts.push(s);
                if let Some(t) = self.head_tilt_deg {
                    parts.push(format!("head tilt {t:.1}°"));
                }
            }
            None => parts.push(format!(
                "no CVA: {}",
                self.reason.map_or("no reading", |r| r.describe())
            )),
        }
        let mismatch = self.baseline_mismatch.as_ref().filter(|m| !m.is_empty());
        if let Some(m) = mismatch {
            let words: Vec<String> = m.iter().map(SetUpDifference::describe).collect();
            parts.push(format!(
                "warning: baseline not compared, recorded differently ({}): calibrate again in this set-up",
                words.join("; ")
            ));
        }
        if self.view == View::Front && mismatch.is_none() {
            match self.classification.forward_head {
                Some(c) => {
                    let mut s = format!("vs baseline: {}", describe_class(c));
                    if self.classification.looking_down == Some(true) {
                        s.push_str(", looking down");
                    }
                    parts.push(s);
                }
                None if self.quality.frames_used > 0 => parts.push(Reason::NoBaseline.describe().into()),
                None => {}
            }
        }
        if let Some(changes) = &self.change_from_baseline {
            if self.view != View::Front {
                for c in changes.iter().filter(|c| c.measure == Measure::CvaDeg) {
                    parts.push(format!(
                        "CVA change {:+.1}° ({})",
                        c.change,
                        if c.beyond_noise { "beyond noise" } else { "within noise" }
                    ));
                }
            }
        }
        let q = &self.quality;
        let mut used = format!("{}/{} frames used", q.frames_used, q.frames_total);
        let mut reasons: Vec<_> = q.reasons.iter().filter(|(r, _)| **r != Reason::FrontView).collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1));
        if let Some((r, n)) = reasons.first() {
            if q.frames_used < q.frames_total {
                used.push_str(&format!(" ({n} {})", r.describe()));
            }
        }
        parts.push(used);
        let others = &self.other_people;
        if others.most_at_once > 0 {
            let when = if others.seconds > 0.0 {
                format!(" (others in view {:.1} s)", others.seconds)
            } else {
                String::new()
            };
            parts.push(format!("subject chosen among {} people{when}", others.most_at_once + 1));
        }
        parts.join(", ")
    }
}

/// The class as the text line shows it: JSON's `classification.forward_head` and its value,
/// in the same words.
fn describe_class(c: ForwardHead) -> String {
    format!("forward head: {}", c.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::{Thresholds, ViewChoice};
    use crate::measures::testing::{map_pixels, posed};
    use crate::pipeline::testing::{provenance, result_of};
    use crate::pose::{index, Pose};

    /// The record a clip of frames of `pose` (or, with `is_still`, photos) produces.
    fn record_of(poses: &[Option<Pose>], is_still: bool, choice: ViewChoice) -> MeasureRecord {
        MeasureRecord::of(&result_of(poses, is_still, choice), &Thresholds::default())
    }

    /// The reasons a clip of frames of `pose` produces, as reported in the record.
    fn reasons_of(poses: &[Option<Pose>], choice: ViewChoice) -> BTreeMap<Reason, usize> {
        record_of(poses, false, choice).quality.reasons
    }

    /// The reasons a photo of `pose` produces.
    fn one(pose: Pose, choice: ViewChoice) -> BTreeMap<Reason, usize> {
        record_of(&[Some(pose)], true, choice).quality.reasons
    }

    /// Every reason code can be produced, each by the situation it names (the match is
    /// exhaustive, so a new code without a test does not compile).
    #[test]
    fn every_reason_code_is_reachable() {
        for reason in Reason::ALL {
            let reasons = match reason {
                Reason::NoPerson => record_of(&[None], true, ViewChoice::Auto).quality.reasons,
                Reason::MissingLandmarks => {
                    let mut p = posed(90.0, 0.0);
                    p.landmarks[index::NOSE].y_px = f32::NAN;
                    one(p, ViewChoice::Side)
                }
                Reason::OutOfFrame => {
                    let mut p = posed(90.0, 0.0);
                    p.landmarks[index::LEFT_EAR].y_px = -3.0;
                    one(p, ViewChoice::Auto)
                }
                Reason::LowVisibility => {
                    let mut p = posed(90.0, 0.0);
                    p.landmarks[index::LEFT_SHOULDER].visibility = 0.4;
                    one(p, ViewChoice::Auto)
                }
                Reason::FrontView | Reason::NoBaseline => one(posed(0.0, 0.0), ViewChoice::Auto),
                Reason::NotProfile => one(posed(70.0, 0.0), ViewChoice::Auto),
                Reason::NotFrontal => one(posed(90.0, 0.0), ViewChoice::Front),
                Reason::NotUpright => {
                    // Bent at the hips: the hip far behind the shoulder.
                    let mut p = posed(90.0, 0.0);
                    p.landmarks[index::LEFT_HIP].x_px = p.landmarks[index::LEFT_SHOULDER].x_px + 300.0;
                    one(p, ViewChoice::Side)
                }
                Reason::TooSmall => {
                    // The synthetic subject at 0.3 times the size: a 13 px head.
                    let p = posed(90.0, 0.0);
                    one(
                        map_pixels(&p, |x, y| (x * 0.3, y * 0.3), |x, y| (x / 0.3, y / 0.3)),
                        ViewChoice::Side,
                    )
                }
                Reason::TooFewFrames => {
                    // Two thirds of a second held still: a settled stretch, but too short a clip.
                    reasons_of(&vec![Some(posed(90.0, 0.02)); 20], ViewChoice::Side)
                }
                Reason::Unsettled => {
                    // Three readable frames in a clip of nobody.
                    let mut poses = vec![None; 20];
                    poses[10..13].fill(Some(posed(90.0, 0.0)));
                    reasons_of(&poses, ViewChoice::Side)
                }
                Reason::NoNeckOutline => {
                    let mut p = posed(90.0, 0.0);
                    p.mask = crate::pose::PersonMask::empty(p.roi).into();
                    one(p, ViewChoice::Side)
                }
                Reason::Moving => {
                    // The head pushed forward steadily over two seconds.
                    let poses: Vec<_> = (0..60).map(|i| Some(posed(90.0, i as f32 * 0.0015))).collect();
                    reasons_of(&poses, ViewChoice::Auto)
                }
                Reason::Outlier => {
                    let mut poses: Vec<_> = (0..60).map(|_| Some(posed(90.0, 0.02))).collect();
                    poses[30] = Some(posed(90.0, 0.07));
                    reasons_of(&poses, ViewChoice::Auto)
                }
                Reason::UnreadableInput => {
                    MeasureRecord::unreadable("x", "bad".into(), provenance())
                        .quality
                        .reasons
                }
                Reason::NoAcromion => {
                    let r = record_of(&[Some(posed(90.0, 0.0))], true, ViewChoice::Auto);
                    BTreeMap::from([(r.shoulder_angle_reason, 1)])
                }
            };
            assert!(reasons.contains_key(&reason), "{reason:?} not produced: {reasons:?}");
        }
    }

    #[test]
    fn the_line_says_the_clip_interval_and_the_error_on_validation_apart() {
        let mut r = record_of(&vec![Some(posed(90.0, 0.02)); 90], false, ViewChoice::Side);
        r.ci95 = Some(Intervals {
            cva_deg: Some((38.3, 38.6)),
            head_tilt_deg: None,
        });
        assert!(
            r.human_line()
                .contains("(clip interval 38.3-38.6, measurement error on validation ±2.4°)"),
            "{}",
            r.human_line()
        );
        r.ci95 = None;
        assert!(
            r.human_line().contains("° (measurement error on validation ±2.4°)"),
            "{}",
            r.human_line()
        );
    }

    #[test]
    fn unreadable_and_no_person_records_have_nulls_and_a_reason() {
        let r = MeasureRecord::unreadable("x.mp4", "x.mp4: corrupt".into(), provenance());
        assert_eq!((r.cva_deg, r.reason), (None, Some(Reason::UnreadableInput)));
        assert!(r.human_line().contains("no reading"));
    }

    #[test]
    fn an_interrupted_input_says_so_in_its_line_and_its_json() {
        let mut r = record_of(&vec![Some(posed(90.0, 0.0)); 30], false, ViewChoice::Auto);
        assert!(!r.human_line().contains("interrupted"), "{}", r.human_line());
        assert_eq!(serde_json::to_value(&r).unwrap()["interrupted"], false);
        r.interrupted = true;
        assert!(r.human_line().contains(", interrupted,"), "{}", r.human_line());
        assert_eq!(serde_json::to_value(&r).unwrap()["interrupted"], true);
    }

    #[test]
    fn text_and_json_name_each_class_the_same_way() {
        for class in [
            ForwardHead::Normal,
            ForwardHead::Borderline,
            ForwardHead::Forward,
            ForwardHead::Severe,
        ] {
            let json = serde_json::to_value(class).unwrap();
            let text = describe_class(class);
            assert_eq!(text, format!("forward head: {}", json.as_str().unwrap()));
        }
    }
}
