//! Where a number came from: enough to reproduce it (tool, models, thresholds, settings).

use super::{AssessSettings, PipelineSettings};
use crate::measures::correction::StaticStr;
use crate::pose::PoseModels;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Provenance {
    #[serde(deserialize_with = "deserialize_known")]
    pub tool: StaticStr,
    #[serde(deserialize_with = "deserialize_known")]
    pub version: StaticStr,
    pub model: ModelProvenance,
    pub thresholds: crate::assess::Thresholds,
    pub correction: crate::measures::Correction,
    pub settings: serde_json::Value,
}

/// The tool's name and version read back from a stored result (a visit file).
fn deserialize_known<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<&'static str, D::Error> {
    let value = String::deserialize(deserializer)?;
    Ok(crate::measures::correction::interned(
        value,
        &["posture", crate::VERSION],
    ))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelProvenance {
    pub landmark_file: String,
    pub landmark_sha256: String,
    /// The mask head cut from the same network (`LandmarkVariant::mask_file_name`).
    pub mask_sha256: String,
    pub detector_sha256: String,
    /// Frames of this input whose landmarks `landmark_file` read through a larger re-crop after
    /// rejecting the detector's crop (`posture::pose::tracker::RECROP_SCALE`).
    pub recropped_frames: usize,
    /// Frames of this input read twice, as they are and mirrored, and averaged (side-view
    /// stills: `crate::pose::Pose::read_mirrored`). Records written before this count have none.
    #[serde(default)]
    pub mirrored_frames: usize,
}

impl Provenance {
    /// The provenance of results from `models` with these settings (no input's counts yet).
    pub fn of(models: &PoseModels, pipeline: &PipelineSettings, settings: &AssessSettings) -> Provenance {
        let m = &settings.measure;
        Provenance {
            tool: "posture",
            version: crate::VERSION,
            model: ModelProvenance {
                landmark_file: models.variant.file_name().to_string(),
                landmark_sha256: models.landmarks.model().sha256().to_string(),
                mask_sha256: models.landmarks.mask_head().sha256().to_string(),
                detector_sha256: models.detector.model().sha256().to_string(),
                recropped_frames: 0,
                mirrored_frames: 0,
            },
            thresholds: settings.thresholds,
            correction: m.correction,
            settings: serde_json::json!({
                "view": settings.view,
                "camera_roll_deg": m.camera_roll_deg,
                "max_profile_yaw_deg": m.max_profile_yaw_deg,
                "max_trunk_lean_deg": m.max_trunk_lean_deg,
                "min_visibility": m.min_visibility,
                "min_presence": m.min_presence,
                "smoothing": pipeline.smoothing,
                "one_euro": pipeline.one_euro,
                "recount_every": pipeline.recount_every,
                "replay": pipeline.replay,
                "stride": pipeline.stride,
                "duration_s": pipeline.duration_s,
                "subject": pipeline.subject,
                "series": crate::assess::series::SeriesSettings::ANGLE,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_model_provenance_without_mirrored_frames_reads_back_with_none() {
        let stored = serde_json::json!({
            "landmark_file": "pose_landmark_lite.onnx",
            "landmark_sha256": "6c8e2bbd",
            "mask_sha256": "f6528d75",
            "detector_sha256": "712223e4",
            "recropped_frames": 2,
        });
        let back: ModelProvenance = serde_json::from_value(stored).unwrap();
        assert_eq!((back.recropped_frames, back.mirrored_frames), (2, 0));
    }
}
