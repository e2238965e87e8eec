//! A personal baseline (`posture calibrate`) and the change of a later input against it.
//!
//! A change counts only when it exceeds measurement noise:
//! - side angles: the larger of the minimum detectable change (5 degrees, the photogrammetric
//!   MDC range in measurement.md section 1.5) and 1.96 x the combined standard errors of the two
//!   medians (from their bootstrap intervals);
//! - front signals: the larger of 3 x the baseline's own frame-to-frame robust SD
//!   (measurement.md section 4.4) and a floor per signal for baselines from a single photo.

use super::recording::{differences, Recording, SetUpDifference};
use super::summary::{Estimate, FrontSummary, SideSummary, Summary};
use super::thresholds::{ForwardHead, Thresholds};
use crate::measures::{FrontSignal, Measure, View};
use std::path::Path;

/// Baseline file format version.
pub const FORMAT: u32 = 1;

/// The schema of a baseline file, like every JSON posture writes. Files from before it was
/// written have none and are read by their `format`.
pub const BASELINE_SCHEMA: &str = "posture-baseline/1";

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SideBaseline {
    pub cva_deg: Estimate,
    pub head_tilt_deg: Estimate,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Baseline {
    /// [`BASELINE_SCHEMA`]; "" in a file written before baselines had one.
    #[serde(default)]
    pub schema: String,
    pub format: u32,
    pub posture_version: String,
    pub inputs: Vec<String>,
    pub view: View,
    pub frames_used: usize,
    pub side: Option<SideBaseline>,
    pub front: Option<FrontSummary>,
    /// How the baseline was recorded; absent from baselines of posture before 0.1.0's set-up
    /// check (they are read, and compared without it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<Recording>,
}

#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{path}: cannot read baseline: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: not a posture baseline file ({detail}); make one with `posture calibrate`")]
    Invalid { path: String, detail: String },
    #[error("{path}: impossible baseline value: {detail}; record the baseline again with `posture calibrate`")]
    Impossible { path: String, detail: String },
    #[error("no usable frames for a baseline ({detail})")]
    Unusable { detail: String },
}

impl Baseline {
    /// A baseline from a summary of upright input, refused when nothing could be measured.
    pub fn from_summary(summary: &Summary, inputs: Vec<String>) -> Result<Baseline, BaselineError> {
        let side = summary.side.as_ref().map(|s| SideBaseline {
            cva_deg: s.cva_deg,
            head_tilt_deg: s.head_tilt_deg,
        });
        if side.is_none() && summary.front.is_none() {
            let mut reasons: Vec<_> = summary.reasons.iter().collect();
            reasons.sort_by(|a, b| b.1.cmp(a.1));
            let detail = reasons
                .iter()
                .map(|(r, n)| format!("{}: {n} frame(s)", r.describe()))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(BaselineError::Unusable {
                detail: if detail.is_empty() { "no frames".into() } else { detail },
            });
        }
        Ok(Baseline {
            schema: BASELINE_SCHEMA.into(),
            format: FORMAT,
            posture_version: crate::VERSION.into(),
            inputs,
            view: summary.view,
            frames_used: summary.frames_used,
            side,
            front: summary.front.clone(),
            setup: None,
        })
    }

    /// How an input of `view`, recorded as `now`, differs from the baseline's set-up: a view
    /// of another kind, and whatever [`differences`] finds when the baseline records its
    /// set-up. `None`: not checked (a baseline without a set-up, of the input's kind of view);
    /// empty: alike. An input with no side or front view has nothing to compare and differs
    /// in nothing.
    pub fn mismatch(&self, view: View, now: &Recording) -> Option<Vec<SetUpDifference>> {
        let kind = |v: View| (v.is_side(), v == View::Front);
        let comparable = view.is_side() || view == View::Front;
        let mut found = Vec::new();
        if comparable && kind(self.view) != kind(view) {
            found.push(SetUpDifference::View {
                from: self.view,
                to: view,
            });
        }
        match &self.setup {
            Some(setup) => found.extend(differences(setup, now)),
            None if found.is_empty() => return None,
            None => {}
        }
        Some(found)
    }

    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
            path: p.clone(),
            source,
        })?;
        let b: Baseline = serde_json::from_str(&text).map_err(|e| BaselineError::Invalid {
            path: p.clone(),
            detail: e.to_string(),
        })?;
        if !b.schema.is_empty() && b.schema != BASELINE_SCHEMA {
            return Err(BaselineError::Invalid {
                path: p,
                detail: format!("schema {} (this posture reads {BASELINE_SCHEMA})", b.schema),
            });
        }
        if b.format != FORMAT {
            return Err(BaselineError::Invalid {
                path: p,
                detail: format!("format {} (this posture reads format {FORMAT})", b.format),
            });
        }
        b.check()
            .map_err(|detail| BaselineError::Impossible { path: p, detail })?;
        Ok(b)
    }

    /// The first value no calibration could have produced (a hand-edited or damaged file),
    /// described with its place in the file.
    fn check(&self) -> Result<(), String> {
        if self.frames_used == 0 {
            return Err("frames_used is 0".into());
        }
        if let Some(side) = &self.side {
            check_estimate("side.cva_deg", &side.cva_deg, Some((0.0, 90.0)))?;
            check_estimate("side.head_tilt_deg", &side.head_tilt_deg, Some((-90.0, 90.0)))?;
        }
        if let Some(front) = &self.front {
            for (signal, e) in &front.signals {
                // Sizes and the scale ratio are positive; the other signals may take any sign.
                let name = signal.name();
                let size = name.ends_with("_px") || name.ends_with("_ratio");
                let range = size.then_some((f32::MIN_POSITIVE, f32::MAX));
                check_estimate(&format!("front.signals.{name}"), e, range)?;
            }
        }
        Ok(())
    }
}

/// An estimate is possible when its numbers are finite, its median lies within its quartiles
/// and within `range`, its spread is not negative, its interval not inverted, and it has frames.
fn check_estimate(name: &str, e: &Estimate, range: Option<(f32, f32)>) -> Result<(), String> {
    let mut numbers = vec![
        ("median", e.median),
        ("q1", e.q1),
        ("q3", e.q3),
        ("robust_sd", e.robust_sd),
    ];
    if let Some((lo, hi)) = e.ci95 {
        numbers.extend([("ci95 low", lo), ("ci95 high", hi)]);
    }
    if let Some((field, v)) = numbers.iter().find(|(_, v)| !v.is_finite()) {
        return Err(format!("{name}.{field} is {v}, not a number"));
    }
    if let Some((lo, hi)) = range.filter(|(lo, hi)| !(*lo..=*hi).contains(&e.median)) {
        return Err(format!("{name}.median is {} (outside {lo}..{hi})", e.median));
    }
    if e.robust_sd < 0.0 {
        return Err(format!(
            "{name}.robust_sd is {} (a spread cannot be negative)",
            e.robust_sd
        ));
    }
    if !(e.q1 <= e.median && e.median <= e.q3) {
        return Err(format!(
            "{name} quartiles {}..{} do not hold the median {}",
            e.q1, e.q3, e.median
        ));
    }
    if let Some((lo, hi)) = e.ci95.filter(|(lo, hi)| lo > hi) {
        return Err(format!("{name}.ci95 is inverted ({lo} above {hi})"));
    }
    if e.frames == 0 {
        return Err(format!("{name}.frames is 0"));
    }
    Ok(())
}

/// One measure's change from baseline.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    pub measure: Measure,
    pub baseline: f32,
    pub now: f32,
    pub change: f32,
    /// Changes smaller than this are measurement noise.
    pub noise: f32,
    pub beyond_noise: bool,
}

impl Change {
    fn new(measure: Measure, baseline: f32, now: f32, noise: f32) -> Change {
        let change = now - baseline;
        Change {
            measure,
            baseline,
            now,
            change,
            noise,
            beyond_noise: change.abs() > noise,
        }
    }
}

fn standard_error(ci95: Option<(f32, f32)>) -> f32 {
    ci95.map_or(0.0, |(lo, hi)| (hi - lo) / (2.0 * 1.96))
}

/// The noise a change of a side angle between two medians with these 95% intervals must exceed:
/// the larger of the minimum detectable change and 1.96 x their combined standard errors.
pub fn angle_noise_deg(before_ci95: Option<(f32, f32)>, now_ci95: Option<(f32, f32)>, t: &Thresholds) -> f32 {
    let combined = 1.96 * standard_error(before_ci95).hypot(standard_error(now_ci95));
    combined.max(t.min_detectable_change_deg)
}

fn angle_change(measure: Measure, before: &Estimate, now: &Estimate, t: &Thresholds) -> Change {
    let noise = angle_noise_deg(before.ci95, now.ci95, t);
    Change::new(measure, before.median, now.median, noise)
}

/// Side angles against a side baseline (not the shoulder angle: it has no validated proxy).
pub fn side_changes(b: &SideBaseline, now: &SideSummary, t: &Thresholds) -> Vec<Change> {
    vec![
        angle_change(Measure::CvaDeg, &b.cva_deg, &now.cva_deg, t),
        angle_change(Measure::HeadTiltDeg, &b.head_tilt_deg, &now.head_tilt_deg, t),
    ]
}

/// Noise floor per front signal, for baselines too short to show their own spread: a
/// fraction of the baseline value for sizes and ratios, an absolute amount otherwise.
pub fn front_floor(signal: FrontSignal, baseline: f32) -> f32 {
    match signal {
        FrontSignal::HeadScaleRatio | FrontSignal::ShoulderWidthPx | FrontSignal::EyeDistancePx => {
            0.03 * baseline.abs()
        }
        FrontSignal::EarShoulderDrop => 0.03,
        FrontSignal::EarShoulderDepthM => 0.03,
        FrontSignal::NoseDrop => 0.08,
    }
}

/// What the front signals say against a front baseline.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FrontComparison {
    pub changes: Vec<Change>,
    pub forward_head: ForwardHead,
    pub looking_down: bool,
}

/// How much more the nose must drop (in eye distances) than the ears drop towards the shoulders
/// (in shoulder widths) for a lowered head to be looking down rather than pushed forward. On the
/// fixed-camera front renders, looking down gave ratios of 2.6-4.7 and forward head 0-2.1.
pub const LOOKING_DOWN_NOSE_PER_EAR_DROP: f32 = 2.5;

/// A nose drop at least this large (in eye distances) is looking down whatever the ears do. A
/// head pushed forward carries the nose with the ears and leaves the nose drop unchanged but
/// for perspective (at most 0.14 on the fixed-camera front renders; a chin poked forward lowers
/// it), so only a pitched-down head drops the nose this far. It is 2.5 times the nose drop's
/// noise floor. The ratio above falls as the head pitches further (2.6-4.7 over 15-30 degrees
/// on the renders, 2.57 at its lowest, at 30), so a deeper look lowers the ears enough to pass
/// for a forward head by the ratio alone; the nose drop grows with the pitch instead (0.23-0.34
/// at 30 degrees).
pub const LOOKING_DOWN_NOSE_DROP: f32 = 0.2;

/// Compare front signals with a front baseline.
///
/// A head pushed forward also travels down, so the ears come nearer the shoulders in the
/// picture; looking down lowers the ears a little too, but turns the face so that the nose drops
/// much more. So: the nose dropping beyond noise, by more than
/// [`LOOKING_DOWN_NOSE_PER_EAR_DROP`] times the ears' drop or by [`LOOKING_DOWN_NOSE_DROP`]
/// or more, is looking down; ears lower beyond
/// noise otherwise are forward head; a head grown against the shoulders (nearer the camera) on its
/// own is borderline. Rounded shoulders are not called: BlazePose's shoulders are the joint centres,
/// which barely move when the shoulders round (2 of the 12 protracted fixed-camera front renders
/// narrowed beyond noise), so narrower shoulders are reported only as a signal change.
pub fn front_comparison(b: &FrontSummary, now: &FrontSummary) -> Option<FrontComparison> {
    let mut changes = Vec::new();
    for (&signal, before) in &b.signals {
        let Some(current) = now.signals.get(&signal) else {
            continue;
        };
        let noise = (3.0 * before.robust_sd).max(front_floor(signal, before.median));
        changes.push(Change::new(
            Measure::Front(signal),
            before.median,
            current.median,
            noise,
        ));
    }
    let get = |s: FrontSignal| changes.iter().find(|c| c.measure == Measure::Front(s));
    let up = |s: FrontSignal| get(s).is_some_and(|c| c.beyond_noise && c.change > 0.0);
    let down = |s: FrontSignal| get(s).is_some_and(|c| c.beyond_noise && c.change < 0.0);
    let ears_dropped = down(FrontSignal::EarShoulderDrop);
    let ear_drop = get(FrontSignal::EarShoulderDrop).map_or(0.0, |c| (-c.change).max(0.0));
    let nose_drop = get(FrontSignal::NoseDrop).map_or(0.0, |c| c.change);
    let looking_down = up(FrontSignal::NoseDrop)
        && (nose_drop >= LOOKING_DOWN_NOSE_PER_EAR_DROP * ear_drop || nose_drop >= LOOKING_DOWN_NOSE_DROP);
    let forward_head = if looking_down {
        ForwardHead::Normal
    } else if ears_dropped {
        ForwardHead::Forward
    } else if up(FrontSignal::HeadScaleRatio) {
        ForwardHead::Borderline
    } else {
        ForwardHead::Normal
    };
    Some(FrontComparison {
        changes,
        forward_head,
        looking_down,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn est(median: f32, sd: f32, ci: Option<(f32, f32)>) -> Estimate {
        Estimate {
            median,
            q1: median - sd,
            q3: median + sd,
            robust_sd: sd,
            ci95: ci,
            frames: 30,
        }
    }

    fn front(values: [f32; 6]) -> FrontSummary {
        let signals: BTreeMap<FrontSignal, Estimate> = FrontSignal::ALL
            .into_iter()
            .zip(values)
            .map(|(s, v)| (s, est(v, 0.0, None)))
            .collect();
        FrontSummary { signals }
    }

    const BASE: [f32; 6] = [0.45, 0.60, -0.05, 0.30, 300.0, 135.0];

    fn side_baseline() -> Baseline {
        Baseline {
            schema: BASELINE_SCHEMA.into(),
            format: FORMAT,
            posture_version: "test".into(),
            inputs: vec!["clip.mp4".into()],
            view: View::SideLeft,
            frames_used: 30,
            side: Some(SideBaseline {
                cva_deg: est(50.0, 1.0, Some((49.0, 51.0))),
                head_tilt_deg: est(15.0, 1.0, Some((14.0, 16.0))),
            }),
            front: None,
            setup: None,
        }
    }

    /// The message `load` gives for a file holding `b` after `edit`.
    fn load_edited(edit: impl FnOnce(&mut Baseline)) -> Result<Baseline, String> {
        let mut b = side_baseline();
        edit(&mut b);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        std::fs::write(&path, serde_json::to_string(&b).unwrap()).unwrap();
        Baseline::load(&path).map_err(|e| e.to_string())
    }

    #[test]
    fn a_calibrated_baseline_loads() {
        assert_eq!(load_edited(|_| {}), Ok(side_baseline()));
        let mut b = side_baseline();
        (b.side, b.front, b.view) = (None, Some(front(BASE)), View::Front);
        assert_eq!(b.check(), Ok(()));
    }

    #[test]
    fn a_baseline_names_its_schema_and_one_from_before_schemas_still_loads() {
        let text = serde_json::to_string(&side_baseline()).unwrap();
        assert!(
            text.starts_with(r#"{"schema":"posture-baseline/1","format":1,"#),
            "{text}"
        );
        let mut older: serde_json::Value = serde_json::from_str(&text).unwrap();
        older.as_object_mut().unwrap().remove("schema");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("older.json");
        std::fs::write(&path, older.to_string()).unwrap();
        let loaded = Baseline::load(&path).unwrap();
        assert_eq!((loaded.schema.as_str(), loaded.side), ("", side_baseline().side));
        let newer = load_edited(|b| b.schema = "posture-baseline/2".into()).unwrap_err();
        assert!(newer.contains("schema posture-baseline/2"), "{newer}");
    }

    #[test]
    fn impossible_values_are_refused_naming_the_file_and_the_value() {
        type Edit = fn(&mut Baseline);
        fn cva(b: &mut Baseline) -> &mut Estimate {
            &mut b.side.as_mut().unwrap().cva_deg
        }
        let cases: [(Edit, &str); 6] = [
            (|b| cva(b).robust_sd = -2.0, "side.cva_deg.robust_sd is -2"),
            (
                |b| cva(b).ci95 = Some((53.0, 47.0)),
                "side.cva_deg.ci95 is inverted (53 above 47)",
            ),
            (|b| *cva(b) = est(500.0, 1.0, None), "side.cva_deg.median is 500"),
            (|b| cva(b).q3 = 40.0, "side.cva_deg quartiles 49..40"),
            (|b| b.frames_used = 0, "frames_used is 0"),
            (
                |b| b.side.as_mut().unwrap().head_tilt_deg.frames = 0,
                "side.head_tilt_deg.frames is 0",
            ),
        ];
        for (edit, needle) in cases {
            let e = load_edited(edit).unwrap_err();
            assert!(e.contains("baseline.json: impossible baseline value"), "{e}");
            assert!(e.contains(needle), "{needle}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
        let mut b = side_baseline();
        (b.side, b.front, b.view) = (None, Some(front(BASE)), View::Front);
        b.front
            .as_mut()
            .unwrap()
            .signals
            .get_mut(&FrontSignal::ShoulderWidthPx)
            .unwrap()
            .median = -300.0;
        let e = b.check().unwrap_err();
        assert!(e.contains("front.signals.shoulder_width_px.median is -300"), "{e}");
    }

    #[test]
    fn a_number_too_large_for_an_angle_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        let text = serde_json::to_string(&side_baseline()).unwrap();
        std::fs::write(&path, text.replacen("\"median\":50.0", "\"median\":1e39", 1)).unwrap();
        let e = Baseline::load(&path).unwrap_err().to_string();
        assert!(
            e.contains("baseline.json: impossible baseline value: side.cva_deg.median is inf"),
            "{e}"
        );
    }

    #[test]
    fn a_nan_in_the_file_is_refused_with_its_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        let text = serde_json::to_string_pretty(&side_baseline()).unwrap();
        let text = text.replacen("\"median\": 50.0", "\"median\": NaN", 1);
        assert!(text.contains("NaN"));
        std::fs::write(&path, text).unwrap();
        let e = Baseline::load(&path).unwrap_err().to_string();
        assert!(
            e.contains("baseline.json: not a posture baseline file") && e.contains("line"),
            "{e}"
        );
    }

    #[test]
    fn small_angle_changes_are_noise() {
        let t = Thresholds::default();
        let c = angle_change(Measure::CvaDeg, &est(52.0, 1.0, None), &est(49.0, 1.0, None), &t);
        assert!(!c.beyond_noise && c.noise == 5.0);
        let c = angle_change(
            Measure::CvaDeg,
            &est(52.0, 1.0, Some((51.0, 53.0))),
            &est(44.0, 1.0, None),
            &t,
        );
        assert!(c.beyond_noise && (c.change + 8.0).abs() < 1e-5);
        // Wide intervals widen the noise band.
        let c = angle_change(
            Measure::CvaDeg,
            &est(52.0, 1.0, Some((44.0, 60.0))),
            &est(44.0, 1.0, Some((36.0, 52.0))),
            &t,
        );
        assert!(!c.beyond_noise && c.noise > 8.0);
    }

    #[test]
    fn head_forward_vs_looking_down() {
        let b = front(BASE);
        let same = front_comparison(&b, &front(BASE)).unwrap();
        assert_eq!((same.forward_head, same.looking_down), (ForwardHead::Normal, false));

        let mut fwd = BASE;
        fwd[0] *= 1.08; // head nearer the camera
        fwd[1] -= 0.06; // ears lower against the shoulders
        let c = front_comparison(&b, &front(fwd)).unwrap();
        assert_eq!((c.forward_head, c.looking_down), (ForwardHead::Forward, false));

        let mut down = BASE;
        down[3] += 0.2; // nose dropped below the ears
        down[1] -= 0.04;
        let c = front_comparison(&b, &front(down)).unwrap();
        assert_eq!((c.forward_head, c.looking_down), (ForwardHead::Normal, true));

        // A head pushed forward tips the chin a little too: the nose drops, but by less than
        // the ears' drop says a turned-down face would.
        let mut fwd_chin = BASE;
        fwd_chin[1] -= 0.07;
        fwd_chin[3] += 0.12;
        let c = front_comparison(&b, &front(fwd_chin)).unwrap();
        assert_eq!((c.forward_head, c.looking_down), (ForwardHead::Forward, false));

        // Looking down further lowers the ears more than the ratio allows, but drops the nose
        // further still: still looking down, not forward head.
        let mut deeper = BASE;
        deeper[3] += 0.26;
        deeper[1] -= 0.12;
        let c = front_comparison(&b, &front(deeper)).unwrap();
        assert_eq!((c.forward_head, c.looking_down), (ForwardHead::Normal, true));

        let mut nearer = BASE;
        nearer[0] *= 1.05;
        let c = front_comparison(&b, &front(nearer)).unwrap();
        assert_eq!((c.forward_head, c.looking_down), (ForwardHead::Borderline, false));

        // Narrower shoulders alone are a signal change, not a head posture.
        let mut narrower = BASE;
        narrower[4] *= 0.9;
        let c = front_comparison(&b, &front(narrower)).unwrap();
        assert_eq!((c.forward_head, c.looking_down), (ForwardHead::Normal, false));
        assert!(c
            .changes
            .iter()
            .any(|c| c.measure == Measure::Front(FrontSignal::ShoulderWidthPx) && c.beyond_noise));
    }
}
