//! Agreement with the reference implementation: MediaPipe 0.10.14 Python, run once on the same
//! frames by tools/reference/record.sh, its landmarks stored in fixtures/reference/.
//!
//! Both sides see the same pixels (the frame, cropped to the case's box where other people are
//! in view) and run detection on every frame (static mode), so the comparison isolates the
//! pipeline. Errors of the nose, ears and shoulders are measured in MediaPipe's own body size
//! (the larger side of the box around its 33 landmarks), not in our ROI, so that an oversized
//! ROI of ours cannot shrink them; each case is held at its worst point (except cases a model
//! is not checked on, see cases.json), and the thresholds sit just above what is achieved.

mod common;
use common::*;
use posture::frames::{open_file, Frame, OpenOptions};
use posture::pose::{runtime, LandmarkVariant, PoseModels, SessionOptions, Tracker, TrackerConfig, TrackingMode};
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    results: Vec<RefResult>,
}

#[derive(Deserialize)]
struct RefResult {
    case: String,
    model: String,
    crop: Option<[f32; 4]>,
    pose: Option<RefPose>,
}

#[derive(Deserialize)]
struct RefPose {
    landmarks: Vec<[f32; 5]>,
}

fn frame_of(case: &Case) -> Frame {
    let mut source = open_file(&fixture(&case.file), &OpenOptions::default()).expect("fixture opens");
    let wanted = case.frame.unwrap_or(0);
    loop {
        let f = source.next_frame().expect("frame exists").expect("frame decodes");
        if f.index == wanted {
            return f;
        }
    }
}

fn crop(frame: &Frame, c: [f32; 4]) -> Frame {
    let (x0, y0) = (c[0] as u32, c[1] as u32);
    let (w, h) = (c[2] as u32 - x0, c[3] as u32 - y0);
    Frame {
        image: image::imageops::crop_imm(&frame.image, x0, y0, w, h).to_image(),
        index: frame.index,
        timestamp_ms: frame.timestamp_ms,
    }
}

fn median(v: &mut [f32]) -> f32 {
    v.sort_by(f32::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// `median_max` and `worst_max` are shares of MediaPipe's body size.
fn agreement(variant: LandmarkVariant, name: &str, median_max: f32, worst_max: f32) {
    let text = std::fs::read_to_string(fixture("reference/mediapipe-0.10.14.json")).expect("reference file");
    let reference: Reference = serde_json::from_str(&text).expect("reference parses");
    let mut models =
        PoseModels::load(&runtime::default_models_dir(), variant, SessionOptions::default()).expect("models load");
    let cases = cases();
    let mut errors = Vec::new();
    let mut worst_per_case: Vec<(String, f32)> = Vec::new();
    let mut report = Vec::new();
    for r in reference.results.iter().filter(|r| r.model == name) {
        let case = cases
            .iter()
            .find(|c| c.id == r.case)
            .expect("reference case is in cases.json");
        let full = frame_of(case);
        let (frame, offset) = match r.crop {
            Some(c) => (crop(&full, c), (c[0].floor(), c[1].floor())),
            None => (full, (0.0, 0.0)),
        };
        let mut tracker = Tracker::new(TrackerConfig {
            mode: TrackingMode::Stills,
            ..Default::default()
        });
        let ours = tracker.process(&mut models, &frame).expect("pipeline runs");
        match (&r.pose, &ours.pose) {
            (None, None) => continue,
            (Some(_), None) => panic!("{}: MediaPipe finds a pose, we do not", r.case),
            (None, Some(_)) => panic!("{}: we find a pose, MediaPipe does not", r.case),
            (Some(theirs), Some(pose)) => {
                let (xs, ys): (Vec<f32>, Vec<f32>) = theirs.landmarks.iter().map(|l| (l[0], l[1])).unzip();
                let extent =
                    |v: &[f32]| v.iter().copied().fold(f32::MIN, f32::max) - v.iter().copied().fold(f32::MAX, f32::min);
                let body_px = extent(&xs).max(extent(&ys));
                let mut worst = 0.0f32;
                for k in [0usize, 7, 8, 11, 12] {
                    let (x, y) = (pose.landmarks[k].x_px + offset.0, pose.landmarks[k].y_px + offset.1);
                    let d = (x - theirs.landmarks[k][0]).hypot(y - theirs.landmarks[k][1]) / body_px;
                    errors.push(d);
                    worst = worst.max(d);
                    report.push(format!("{} lm{k}: {:.2}%", r.case, d * 100.0));
                }
                // Cases outside a model's range (their note says why) count towards the
                // median but not towards the worst point.
                if case.models.as_ref().is_none_or(|m| m.iter().any(|m| m == name)) {
                    worst_per_case.push((r.case.clone(), worst));
                }
            }
        }
    }
    assert!(errors.len() >= 40, "only {} points compared", errors.len());
    let med = median(&mut errors);
    for (case, w) in &worst_per_case {
        eprintln!("{name}: {case}: worst point {:.2}% of MediaPipe's body size", w * 100.0);
    }
    let worst = worst_per_case.iter().map(|c| c.1).fold(0.0, f32::max);
    eprintln!(
        "{name}: median {:.2}% of MediaPipe's body size over {} points; worst case {:.2}%",
        med * 100.0,
        errors.len(),
        worst * 100.0
    );
    assert!(
        med < median_max,
        "{name}: median error {:.2}%\n{}",
        med * 100.0,
        report.join("\n")
    );
    for (case, w) in &worst_per_case {
        assert!(
            *w < worst_max,
            "{name}: {case}: worst point {:.2}%\n{}",
            w * 100.0,
            report.join("\n")
        );
    }
}

#[test]
fn lite_agrees_with_mediapipe() {
    // Achieved: median 0.19%, worst case 1.40% (lab1_099).
    agreement(LandmarkVariant::Lite, "lite", 0.0025, 0.016);
}

#[test]
fn full_agrees_with_mediapipe() {
    // Achieved: median 0.09%, worst case 3.56% (lab2_050: the pixelated face; every other case
    // under 1.1%).
    agreement(LandmarkVariant::Full, "full", 0.0015, 0.04);
}
