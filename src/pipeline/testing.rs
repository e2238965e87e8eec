//! Results of synthetic inputs for unit tests of the layers after the pipeline (records,
//! visits), without models: frames of the posed subject of [`crate::measures::testing`].

use super::{
    assess_input, AssessSettings, InputResult, LoopStats, Measured, MeasuredFrame, ModelProvenance, Provenance,
};
use crate::assess::{Thresholds, TimedMeasure, ViewChoice};
use crate::measures::{measure_frame, Correction, MeasureSettings};
use crate::pose::Pose;

/// A provenance with placeholder model hashes.
pub(crate) fn provenance() -> Provenance {
    Provenance {
        tool: "posture",
        version: "test",
        model: ModelProvenance {
            landmark_file: "x".into(),
            landmark_sha256: "0".repeat(64),
            mask_sha256: "0".repeat(64),
            detector_sha256: "0".repeat(64),
            recropped_frames: 0,
            mirrored_frames: 0,
        },
        thresholds: Thresholds::default(),
        correction: Correction::IDENTITY,
        settings: serde_json::Value::Null,
    }
}

/// The result a clip of frames of these poses (30 fps; or, with `is_still`, photos) produces,
/// measured without correction and judged with the default thresholds.
pub(crate) fn result_of(poses: &[Option<Pose>], is_still: bool, choice: ViewChoice) -> InputResult {
    let settings = MeasureSettings {
        correction: Correction::IDENTITY,
        ..Default::default()
    };
    let frames: Vec<MeasuredFrame> = poses
        .iter()
        .enumerate()
        .map(|(i, p)| MeasuredFrame {
            index: i as u64,
            timed: TimedMeasure {
                timestamp_ms: i as f64 * 33.3,
                is_still,
                measure: measure_frame(p.as_ref(), (640, 480), &settings),
            },
            other_people: 0,
            recropped: false,
            read_mirrored: false,
        })
        .collect();
    let measured = Measured {
        frames,
        stats: LoopStats {
            frame_size: (640, 480),
            ..Default::default()
        },
        error: None,
    };
    let settings = AssessSettings {
        view: choice,
        measure: settings,
        thresholds: Thresholds::default(),
    };
    assess_input("x", measured, &settings, None, &provenance())
}
