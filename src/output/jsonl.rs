//! The `posture landmarks` record: one JSON object per frame.
//!
//! ```json
//! {"source":"clip.mp4","frame":12,"timestamp_ms":400.0,"other_people":0,
//!  "pose":{"score":0.99,"landmarks":[{"x_px":..,"y_px":..,"z":..,"visibility":..,"presence":..}, ...33],
//!          "world_landmarks":[{"x_m":..,"y_m":..,"z_m":..}, ...33],
//!          "roi":{"center_x_px":..,"center_y_px":..,"size_px":..,"rotation_deg":..}}}
//! ```
//! `pose` is null when no person was found. Landmark order is the BlazePose topology
//! (see [`crate::pose::index`]). Every line carries `"schema": "posture-landmarks/1"`; the
//! first line of a run is a header, `{"schema":..,"run":{..}}`, with what made the records
//! (version, model files and hashes, settings), written once instead of on every frame.

use crate::frames::Frame;
use crate::pose::{Landmark, PoseFrame, WorldLandmark};
use serde::Serialize;
use std::io::Write;

/// The version of the landmarks records; fields are only added within a version.
pub const LANDMARKS_SCHEMA: &str = "posture-landmarks/1";

#[derive(Serialize)]
struct Record<'a> {
    schema: &'static str,
    source: &'a str,
    frame: u64,
    timestamp_ms: f64,
    other_people: usize,
    pose: Option<PoseRecord>,
}

#[derive(Serialize)]
struct PoseRecord {
    score: f32,
    landmarks: Vec<Landmark>,
    world_landmarks: Vec<WorldLandmark>,
    roi: RoiRecord,
    /// The mean of two readings, as the frame is and mirrored (side-view stills).
    read_mirrored: bool,
}

/// The square the landmarks were read from: centre, side, and rotation (degrees, clockwise
/// on screen, 0 = upright).
#[derive(Serialize)]
struct RoiRecord {
    center_x_px: f32,
    center_y_px: f32,
    size_px: f32,
    rotation_deg: f32,
}

/// Round to `decimals` places: keeps files small without losing anything the model resolves.
fn round(v: f32, decimals: i32) -> f32 {
    let f = 10f32.powi(decimals);
    (v * f).round() / f
}

/// Write one frame's record as a line and flush it, so that a later failure loses nothing.
pub fn write_record(out: &mut dyn Write, source: &str, frame: &Frame, result: &PoseFrame) -> std::io::Result<()> {
    let pose = result.pose.as_ref().map(|p| PoseRecord {
        score: round(p.score, 4),
        landmarks: p
            .landmarks
            .iter()
            .map(|l| Landmark {
                x_px: round(l.x_px, 2),
                y_px: round(l.y_px, 2),
                z: round(l.z, 2),
                visibility: round(l.visibility, 4),
                presence: round(l.presence, 4),
            })
            .collect(),
        world_landmarks: p
            .world_landmarks
            .iter()
            .map(|w| WorldLandmark {
                x_m: round(w.x_m, 4),
                y_m: round(w.y_m, 4),
                z_m: round(w.z_m, 4),
            })
            .collect(),
        roi: RoiRecord {
            center_x_px: round(p.roi.center_x_px, 2),
            center_y_px: round(p.roi.center_y_px, 2),
            size_px: round(p.roi.size_px, 2),
            rotation_deg: round(p.roi.rotation_rad.to_degrees(), 2),
        },
        read_mirrored: p.read_mirrored,
    });
    let record = Record {
        schema: LANDMARKS_SCHEMA,
        source,
        frame: frame.index,
        timestamp_ms: (frame.timestamp_ms * 1000.0).round() / 1000.0,
        other_people: result.other_people,
        pose,
    };
    serde_json::to_writer(&mut *out, &record)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// The run's header line: the tool and its `version`, the models by file and SHA-256, and the
/// settings that shape the landmarks.
pub fn write_header(
    out: &mut dyn Write,
    version: &str,
    models: &crate::pose::PoseModels,
    settings: &crate::pipeline::PipelineSettings,
) -> std::io::Result<()> {
    let header = serde_json::json!({
        "schema": LANDMARKS_SCHEMA,
        "run": {
            "tool": "posture",
            "version": version,
            "landmark_file": models.variant.file_name(),
            "landmark_sha256": models.landmarks.model().sha256(),
            "detector_sha256": models.detector.model().sha256(),
            "settings": {
                "stride": settings.stride,
                "smoothing": settings.smoothing,
                "one_euro": settings.one_euro,
                "recount_every": settings.recount_every,
                "subject": settings.subject,
                "duration_s": settings.duration_s,
                "replay": settings.replay,
            },
        },
    });
    serde_json::to_writer(&mut *out, &header)?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pose::{PersonMask, Pose, Roi, NUM_LANDMARKS};

    fn frame() -> Frame {
        Frame {
            image: image::RgbImage::new(4, 4),
            index: 7,
            timestamp_ms: 233.33333,
        }
    }

    #[test]
    fn no_person_is_pose_null() {
        let mut out = Vec::new();
        write_record(
            &mut out,
            "a.png",
            &frame(),
            &PoseFrame {
                pose: None,
                other_people: 0,
            },
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert!(v["pose"].is_null());
        assert_eq!(v["frame"], 7);
        assert_eq!(v["timestamp_ms"], 233.333);
        assert!(out.ends_with(b"\n"));
    }

    #[test]
    fn a_pose_has_33_landmarks_and_33_world_landmarks() {
        let pose = Pose {
            score: 0.98765,
            landmarks: [Landmark {
                x_px: 1.23456,
                y_px: 2.0,
                z: -3.0,
                visibility: 0.5,
                presence: 0.25,
            }; NUM_LANDMARKS],
            world_landmarks: [WorldLandmark {
                x_m: 0.123456,
                y_m: 0.0,
                z_m: 0.0,
            }; NUM_LANDMARKS],
            roi: Roi {
                center_x_px: 0.0,
                center_y_px: 0.0,
                size_px: 1.0,
                rotation_rad: 0.0,
            },
            mask: PersonMask::empty(Roi {
                center_x_px: 0.0,
                center_y_px: 0.0,
                size_px: 1.0,
                rotation_rad: 0.0,
            })
            .into(),
            recropped: false,
            read_mirrored: false,
        };
        let mut out = Vec::new();
        write_record(
            &mut out,
            "b.mp4",
            &frame(),
            &PoseFrame {
                pose: Some(pose),
                other_people: 2,
            },
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["other_people"], 2);
        assert_eq!(v["pose"]["landmarks"].as_array().unwrap().len(), 33);
        assert_eq!(v["pose"]["world_landmarks"].as_array().unwrap().len(), 33);
        assert_eq!(v["pose"]["landmarks"][0]["x_px"].as_f64().unwrap(), 1.23);
        assert_eq!(v["pose"]["world_landmarks"][0]["x_m"].as_f64().unwrap(), 0.1235);
    }
}
