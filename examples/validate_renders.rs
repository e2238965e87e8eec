//! Validation of the measures against renders with known angles (fixtures/renders/), and the
//! fit of the correction in `src/measures/correction.rs`.
//!
//! ```sh
//! cargo run --release --example validate_renders            # validate Correction::FITTED
//! cargo run --release --example validate_renders -- --fit   # re-fit on the training part, then validate
//! ```
//! Scenes whose number is a multiple of 3 (`s000`, `s003`, ...) are held out from the fit.
//! Prints markdown tables for docs/measures.md.

use posture::assess::baseline::front_comparison;
use posture::assess::{summarize, Thresholds, TimedMeasure, ViewChoice};
use posture::frames::{open_file, OpenOptions};
use posture::measures::{measure_frame, Correction, FrameMeasure, MeasureSettings, Reason, SideMeasures};
use posture::pose::{LandmarkVariant, Pose, PoseModels, SessionOptions, Tracker, TrackerConfig, TrackingMode};
use std::path::Path;

struct Scene {
    id: String,
    number: u32,
    view: String,
    body: String,
    fhp_level: String,
    look_down_deg: f64,
    protraction: f64,
    yaw_deg: f32,
    height: String,
    posture: String,
    true_cva: f32,
    true_shoulder: f32,
    true_tilt: f32,
    pose: Option<Pose>,
    size: (u32, u32),
}

impl Scene {
    fn held_out(&self) -> bool {
        self.number % 3 == 0
    }
}

fn load_scenes(dir: &Path, variant: LandmarkVariant) -> Vec<Scene> {
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("truth.json")).expect("truth.json")).expect("json");
    let mut models = PoseModels::load(
        &posture::pose::runtime::default_models_dir(),
        variant,
        SessionOptions { threads: 2 },
    )
    .expect("models");
    let mut scenes = Vec::new();
    for s in truth["scenes"].as_array().expect("scenes") {
        let str_of = |k: &str| s[k].as_str().unwrap_or("").to_string();
        let f = |k: &str| s[k].as_f64().unwrap_or(f64::NAN);
        let id = str_of("id");
        let number = id
            .trim_start_matches('s')
            .split('_')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let mut source = open_file(&dir.join(str_of("file")), &OpenOptions::default()).expect("render");
        let frame = source.next_frame().expect("a frame").expect("decodes");
        let mut tracker = Tracker::new(TrackerConfig {
            mode: TrackingMode::Stills,
            ..Default::default()
        });
        let pose = tracker.process(&mut models, &frame).expect("pose").pose;
        scenes.push(Scene {
            id,
            number,
            view: str_of("view"),
            body: str_of("body"),
            fhp_level: str_of("fhp_level"),
            look_down_deg: f("look_down_deg"),
            protraction: f("protraction"),
            yaw_deg: f("camera_yaw_deg") as f32,
            height: str_of("camera_height"),
            posture: str_of("posture"),
            true_cva: f("cva_deg") as f32,
            true_shoulder: f("shoulder_angle_deg") as f32,
            true_tilt: f("head_tilt_deg") as f32,
            pose,
            size: (frame.image.width(), frame.image.height()),
        });
    }
    scenes
}

fn measure(scene: &Scene, correction: Correction) -> FrameMeasure {
    let settings = MeasureSettings {
        correction,
        ..Default::default()
    };
    measure_frame(scene.pose.as_ref(), scene.size, &settings)
}

fn mae(pairs: &[(f32, f32)]) -> f32 {
    pairs.iter().map(|(e, t)| (e - t).abs()).sum::<f32>() / pairs.len().max(1) as f32
}

/// Side scenes within the profile gate that give a reading with `c`.
fn side_readings(scenes: &[Scene], c: Correction, held_out: bool) -> Vec<(&Scene, SideMeasures)> {
    scenes
        .iter()
        .filter(|s| s.view == "side" && s.held_out() == held_out && s.yaw_deg.abs() <= 10.0)
        .filter_map(|s| measure(s, c).side.ok().map(|m| (s, m)))
        .collect()
}

/// The correction keeps the slope at 1: the C7 offsets are searched on a grid and a constant
/// bias (the median residual) is fitted. A free slope shrinks towards the mean of the renders
/// when the proxy is noisy, which would look accurate on a narrow range of renders while
/// hiding real change.
fn fit(scenes: &[Scene]) -> Correction {
    let median = |mut v: Vec<f32>| {
        v.sort_by(f32::total_cmp);
        v[v.len() / 2]
    };
    let mut best = (f32::INFINITY, Correction::IDENTITY);
    for back in (0..=30).map(|i| i as f32 * 0.05) {
        for up in (0..=30).map(|i| i as f32 * 0.05) {
            let c = Correction {
                c7_back_heads: back,
                c7_up_heads: up,
                ..Correction::IDENTITY
            };
            let train = side_readings(scenes, c, false);
            if train.len() < 10 {
                continue;
            }
            let offset = median(train.iter().map(|(s, m)| s.true_cva - m.cva_raw_deg).collect());
            let err = mae(&train
                .iter()
                .map(|(s, m)| (m.cva_raw_deg + offset, s.true_cva))
                .collect::<Vec<_>>());
            if err < best.0 {
                best = (
                    err,
                    Correction {
                        cva_offset_deg: offset,
                        ..c
                    },
                );
            }
        }
    }
    let c = best.1;
    let train = side_readings(scenes, c, false);
    let shoulder_offset = median(
        train
            .iter()
            .map(|(s, m)| s.true_shoulder - m.shoulder_angle_raw_deg)
            .collect(),
    );
    println!(
        "Fitted on {} training renders; training CVA MAE {:.2} deg.\n",
        train.len(),
        best.0
    );
    println!(
        "```rust\nc7_back_heads: {:.2},\nc7_up_heads: {:.2},\ncva_offset_deg: {:.2},\nshoulder_offset_deg: {:.2},\n```\n",
        c.c7_back_heads, c.c7_up_heads, c.cva_offset_deg, shoulder_offset
    );
    Correction {
        shoulder_offset_deg: shoulder_offset,
        source: "fitted by examples/validate_renders.rs --fit",
        ..c
    }
}

fn validate(scenes: &[Scene], c: Correction) {
    let thresholds = Thresholds::default();
    let found = scenes.iter().filter(|s| s.pose.is_some()).count();
    println!("Renders: {} ({} with a person found).\n", scenes.len(), found);

    println!("| part | yaw off profile | renders | read | CVA MAE (deg) | CVA max error | raw-proxy MAE | shoulder angle MAE | head tilt MAE |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for held_out in [false, true] {
        for (lo, hi) in [(0.0, 5.0), (5.1, 10.0), (10.1, 20.0), (20.1, 25.0), (25.1, 90.0)] {
            let group: Vec<&Scene> = scenes
                .iter()
                .filter(|s| s.view == "side" && s.held_out() == held_out && (lo..=hi).contains(&s.yaw_deg.abs()))
                .collect();
            if group.is_empty() {
                continue;
            }
            let read: Vec<(&Scene, SideMeasures)> = group
                .iter()
                .filter_map(|s| measure(s, c).side.ok().map(|m| (*s, m)))
                .collect();
            let cva: Vec<(f32, f32)> = read.iter().map(|(s, m)| (m.cva_deg, s.true_cva)).collect();
            let raw: Vec<(f32, f32)> = read.iter().map(|(s, m)| (m.cva_raw_deg, s.true_cva)).collect();
            let sh: Vec<(f32, f32)> = read
                .iter()
                .map(|(s, m)| (m.shoulder_angle_deg, s.true_shoulder))
                .collect();
            let tilt: Vec<(f32, f32)> = read.iter().map(|(s, m)| (m.head_tilt_deg, s.true_tilt)).collect();
            let max = cva.iter().map(|(e, t)| (e - t).abs()).fold(0.0f32, f32::max);
            let fmt = |v: &[(f32, f32)], x: f32| {
                if v.is_empty() {
                    "-".to_string()
                } else {
                    format!("{x:.1}")
                }
            };
            println!(
                "| {} | {lo:.0}-{hi:.0} | {} | {} | {} | {} | {} | {} | {} |",
                if held_out { "held out" } else { "training" },
                group.len(),
                read.len(),
                fmt(&cva, mae(&cva)),
                fmt(&cva, max),
                fmt(&raw, mae(&raw)),
                fmt(&sh, mae(&sh)),
                fmt(&tilt, mae(&tilt)),
            );
        }
    }

    println!("\nWhy side renders gave no reading (all parts):\n");
    let mut why = std::collections::BTreeMap::<(String, Reason), usize>::new();
    for s in scenes.iter().filter(|s| s.view == "side") {
        if let Err(r) = measure(s, c).side {
            let band = if s.yaw_deg.abs() <= 10.0 {
                "<=10"
            } else if s.yaw_deg.abs() <= 25.0 {
                "10-25"
            } else {
                ">25"
            };
            *why.entry((band.to_string(), r)).or_default() += 1;
        }
    }
    for ((band, r), n) in &why {
        println!("- yaw {band}: {} x{n}", r.code());
    }

    let held: Vec<(&Scene, SideMeasures)> = side_readings(scenes, c, true);
    let correct = held
        .iter()
        .filter(|(s, m)| (m.cva_deg < thresholds.cva_forward_deg) == (s.true_cva < thresholds.cva_forward_deg))
        .count();
    println!(
        "\nForward head (CVA < 50) vs normal, held-out renders within 10 deg of profile: {correct}/{} correct ({:.0}%).",
        held.len(),
        100.0 * correct as f32 / held.len().max(1) as f32
    );
    for (s, m) in held.iter().filter(|(s, m)| (m.cva_deg < 50.0) != (s.true_cva < 50.0)) {
        println!("  wrong: {} true {:.1} read {:.1}", s.id, s.true_cva, m.cva_deg);
    }
    let beyond: Vec<&Scene> = scenes
        .iter()
        .filter(|s| s.view == "side" && s.yaw_deg.abs() > 25.0)
        .collect();
    let wrongly_read = beyond.iter().filter(|s| measure(s, c).side.is_ok()).count();
    println!(
        "Side renders beyond 25 deg of profile: {} of {} gave a number (must be 0).",
        wrongly_read,
        beyond.len()
    );

    println!("\nPer-render errors (held out, within 10 deg):\n");
    println!("| render | posture | body | fhp | look down | protraction | camera | yaw | true CVA | read | true shoulder | read |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (s, m) in &held {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            s.id,
            s.posture,
            s.body,
            s.fhp_level,
            s.look_down_deg,
            s.protraction,
            s.height,
            s.yaw_deg,
            s.true_cva,
            m.cva_deg,
            s.true_shoulder,
            m.shoulder_angle_deg
        );
    }

    println!("\nFront renders against each body's neutral front render:\n");
    println!(
        "| render | fhp | look down | protraction | true CVA | read forward head | looking down | rounded | read |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let front_summary = |s: &Scene| {
        let frames = [TimedMeasure {
            timestamp_ms: 0.0,
            measure: measure(s, c),
        }];
        summarize(&frames, ViewChoice::Front, &thresholds).front
    };
    for s in scenes.iter().filter(|s| s.view == "front") {
        let Some(base) = scenes.iter().find(|b| {
            b.view == "front"
                && b.body == s.body
                && b.posture == s.posture
                && b.fhp_level == "none"
                && b.look_down_deg == 0.0
                && b.protraction == 0.0
        }) else {
            continue;
        };
        if base.id == s.id {
            continue;
        }
        let verdict = front_summary(base)
            .zip(front_summary(s))
            .and_then(|(b, n)| front_comparison(&b, &n));
        let (fh, down, rounded) = verdict
            .as_ref()
            .map_or(("no reading".into(), "-".into(), "-".into()), |v| {
                (
                    v.forward_head.as_str().to_string(),
                    v.looking_down.to_string(),
                    v.rounded_shoulders.to_string(),
                )
            });
        let detail = verdict.map_or(String::new(), |v| {
            v.changes
                .iter()
                .filter(|c| c.beyond_noise)
                .map(|c| format!("{} {:+.3}", c.measure, c.change))
                .collect::<Vec<_>>()
                .join(", ")
        });
        println!(
            "| {} | {} | {} | {} | {:.1} | {fh} | {down} | {rounded} | {detail} |",
            s.id, s.fhp_level, s.look_down_deg, s.protraction, s.true_cva
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let variant = if args.iter().any(|a| a == "full") {
        LandmarkVariant::Full
    } else {
        LandmarkVariant::Lite
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/renders");
    let scenes = load_scenes(&dir, variant);
    let correction = if args.iter().any(|a| a == "--fit") {
        fit(&scenes)
    } else {
        Correction::FITTED
    };
    validate(&scenes, correction);
}
