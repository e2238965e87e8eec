//! The points the angle is drawn between, against the renders' own truth: the camera-side ear
//! landmark against the true tragus, and the C7 estimate from the neck's outline against the
//! true C7, in head lengths (ear to nose), on the held-out side renders within 10 degrees of
//! profile that give a reading. The thresholds sit just above what is achieved (the figures are
//! printed), so that a change that moves the points shows here before it shows in the angles.

mod common;
use common::*;
use posture::measures::geometry::{Facing, PointPx};
use posture::measures::neck::neck_outline_c7;
use posture::measures::side::NearSide;
use posture::measures::{measure_frame, Correction, MeasureSettings};
use posture::pose::{LandmarkVariant, PoseModels, SessionOptions};
use posture::validation::SEPARATE_SHOULDERS_FROM;
use serde_json::Value;

fn px(v: &Value) -> PointPx {
    PointPx::new(v[0].as_f64().unwrap() as f32, v[1].as_f64().unwrap() as f32)
}

fn quantile(sorted: &[f32], q: f32) -> f32 {
    sorted[((sorted.len() - 1) as f32 * q).round() as usize]
}

#[test]
fn the_ear_and_c7_fall_near_the_true_tragus_and_c7() {
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(fixture("renders/truth.json")).unwrap()).unwrap();
    let scenes: Vec<&Value> = truth["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            let number = s["id"].as_str().unwrap()[1..4].parse::<u32>().unwrap();
            s["view"] == "side"
                && s["camera_yaw_deg"].as_f64().unwrap().abs() <= 10.0
                && number % 3 == 0
                && number < SEPARATE_SHOULDERS_FROM
        })
        .collect();
    assert_eq!(scenes.len(), 87, "the held-out side renders within 10 degrees");
    let mut models = PoseModels::load(
        &posture::pose::runtime::default_models_dir(),
        LandmarkVariant::Lite,
        SessionOptions { threads: 2 },
    )
    .expect("models load");
    let settings = MeasureSettings::default();
    let (mut ear_err, mut c7_err) = (Vec::new(), Vec::new());
    for s in &scenes {
        let path = fixture(&format!("renders/{}", s["file"].as_str().unwrap()));
        let (pose, size) = posture::validation::pose_of_picture(&path, &mut models);
        let Some(pose) = pose.filter(|p| measure_frame(Some(p), size, &settings).side.is_ok()) else {
            continue;
        };
        let (facing, tragus) = if s["facing_side"] == "left" {
            (Facing::Left, px(&s["px"]["tragus_L"]))
        } else {
            (Facing::Right, px(&s["px"]["tragus_R"]))
        };
        let near = NearSide::of(facing);
        let point = |i: usize| PointPx::new(pose.landmarks[i].x_px, pose.landmarks[i].y_px);
        let head_px = point(near.ear).distance_px(point(posture::pose::index::NOSE));
        let mask = pose.mask.ready().expect("the side reading read the mask");
        let c7 = neck_outline_c7(
            |p| mask.probability_at(p.x, p.y),
            point(near.ear),
            point(near.shoulder),
            Correction::FITTED.neck_band,
            facing,
            0.0,
            head_px,
        )
        .expect("a reading has a C7");
        ear_err.push(point(near.ear).distance_px(tragus) / head_px);
        c7_err.push(c7.distance_px(px(&s["px"]["c7"])) / head_px);
    }
    assert!(ear_err.len() >= 74, "only {} held-out renders read", ear_err.len());
    ear_err.sort_by(f32::total_cmp);
    c7_err.sort_by(f32::total_cmp);
    let (ear_med, ear_p90) = (quantile(&ear_err, 0.5), quantile(&ear_err, 0.9));
    let (c7_med, c7_p90) = (quantile(&c7_err, 0.5), quantile(&c7_err, 0.9));
    eprintln!(
        "{} renders: ear to true tragus median {ear_med:.3}, 90th percentile {ear_p90:.3} head lengths; \
         C7 estimate to true C7 median {c7_med:.3}, 90th percentile {c7_p90:.3}",
        ear_err.len()
    );
    assert!(
        ear_med <= EAR_MEDIAN_HEADS && ear_p90 <= EAR_P90_HEADS,
        "ear {ear_med:.3} / {ear_p90:.3}"
    );
    assert!(
        c7_med <= C7_MEDIAN_HEADS && c7_p90 <= C7_P90_HEADS,
        "C7 {c7_med:.3} / {c7_p90:.3}"
    );
}

/// Achieved (AMD EPYC, lite model, 77 renders): ear 0.192 at the median and 0.330 at the 90th
/// percentile; C7 0.174 and 0.318 head lengths with side-view stills read twice (0.190 and 0.350
/// read once, 0.209 and 0.365 with the person mask half an input pixel off the landmarks). A head
/// length (ear to nose) is about 11 cm.
const EAR_MEDIAN_HEADS: f32 = 0.22;
const EAR_P90_HEADS: f32 = 0.37;
const C7_MEDIAN_HEADS: f32 = 0.20;
const C7_P90_HEADS: f32 = 0.35;
