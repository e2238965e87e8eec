//! The landmark model: rotated ROI crop -> 39 landmarks -> heatmap refinement -> frame pixels.
//!
//! Decoding follows MediaPipe's `tensors_to_pose_landmarks_and_segmentation.pbtxt`:
//! coordinates come in crop pixels (0..256), visibility and presence as logits, a pose-presence
//! probability gates the whole result, x and y are refined on the 64x64 heatmap (7x7 window),
//! world landmarks are rotated by the ROI's rotation. The segmentation logits, the subject's
//! [`PersonMask`], come from the mask head, run on request on the tensors the landmark model
//! kept ([`super::segmentation`]).

use super::crop::{crop_to_tensor, Border};
use super::roi::Roi;
use super::runtime::{Model, RuntimeError};
use super::segmentation::{MaskFeatures, PersonMask, MASK_FEATURES, MASK_OUTPUT, MASK_SIDE};
use super::{Landmark, WorldLandmark, NUM_LANDMARKS};
use image::RgbImage;
use std::sync::Arc;

pub const INPUT_SIDE: usize = 256;
/// 33 body landmarks plus 2 auxiliary points (used to place the next frame's ROI) and 4 unused.
pub(crate) const MODEL_LANDMARKS: usize = 39;
const HEATMAP_SIDE: usize = 64;
const HEATMAP_KERNEL: usize = 7;
const MIN_HEATMAP_CONFIDENCE: f32 = 0.5;

/// What the landmark model says about one ROI, already in frame pixels.
#[derive(Debug, Clone)]
pub struct RoiLandmarks {
    /// Probability that a person fills the ROI; below 0.5 the landmarks mean nothing.
    pub presence: f32,
    pub landmarks: [Landmark; NUM_LANDMARKS],
    pub world_landmarks: [WorldLandmark; NUM_LANDMARKS],
    /// The two auxiliary points (hip centre and size point) that place the next ROI.
    pub auxiliary: [(f32, f32); 2],
    /// What the mask head computes the person mask from.
    pub mask_features: MaskFeatures,
}

impl RoiLandmarks {
    /// The ROI to track this person with in the next frame.
    pub fn next_roi(&self) -> Roi {
        Roi::from_alignment_points(self.auxiliary[0], self.auxiliary[1])
    }
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Move each landmark to the confidence-weighted mean position of the heatmap in a window
/// around it, when the heatmap is confident there (MediaPipe's refinement step).
/// `points` are normalised crop coordinates; `heatmap` is 64x64xN, HWC, raw logits.
pub fn refine_from_heatmap(points: &mut [(f32, f32)], heatmap: &[f32]) {
    let n = points.len();
    let side = HEATMAP_SIDE as i64;
    let half = (HEATMAP_KERNEL as i64 - 1) / 2;
    for (k, p) in points.iter_mut().enumerate() {
        // Truncation towards zero, as the reference does.
        let (col, row) = ((p.0 * side as f32) as i64, (p.1 * side as f32) as i64);
        if col < 0 || col >= side || row < 0 || row >= side || p.0 < 0.0 || p.1 < 0.0 {
            continue;
        }
        let (mut sum, mut wc, mut wr, mut max) = (0.0f32, 0.0f32, 0.0f32, 0.0f32);
        for r in (row - half).max(0)..(row + half + 1).min(side) {
            for c in (col - half).max(0)..(col + half + 1).min(side) {
                let conf = sigmoid(heatmap[((r * side + c) as usize) * n + k]);
                sum += conf;
                max = max.max(conf);
                wc += c as f32 * conf;
                wr += r as f32 * conf;
            }
        }
        if max >= MIN_HEATMAP_CONFIDENCE && sum > 0.0 {
            *p = (wc / side as f32 / sum, wr / side as f32 / sum);
        }
    }
}

/// The landmark model, its mask head and its input buffer.
pub struct LandmarkModel {
    model: Model,
    mask_head: Model,
    input: Vec<f32>,
}

impl LandmarkModel {
    pub fn new(model: Model, mask_head: Model) -> LandmarkModel {
        LandmarkModel {
            model,
            mask_head,
            input: vec![0.0; INPUT_SIDE * INPUT_SIDE * 3],
        }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn mask_head(&self) -> &Model {
        &self.mask_head
    }

    /// Fill the input tensor with the ROI crop in [0, 1], border replicated.
    pub fn prepare(&mut self, frame: &RgbImage, roi: &Roi) {
        crop_to_tensor(frame, roi, INPUT_SIDE, (0.0, 1.0), Border::Replicate, &mut self.input);
    }

    /// Run the model on the prepared input; the raw outputs.
    pub fn infer(&mut self) -> Result<RawOutputs, RuntimeError> {
        let shape = [1, INPUT_SIDE, INPUT_SIDE, 3];
        let names = ["Identity", "Identity_1", "Identity_3", "Identity_4"];
        let (raw, features) = self
            .model
            .run_keeping(&shape, &self.input, &names, &MASK_FEATURES, |out| RawOutputs {
                landmarks: out[0].to_vec(),
                presence: out[1].first().copied().unwrap_or(0.0),
                heatmap: out[2].to_vec(),
                world: out[3].to_vec(),
                mask_features: Arc::default(),
            })?;
        let raw = RawOutputs {
            mask_features: Arc::new(features),
            ..raw
        };
        if raw.landmarks.len() != MODEL_LANDMARKS * 5
            || raw.heatmap.len() != HEATMAP_SIDE * HEATMAP_SIDE * MODEL_LANDMARKS
            || raw.world.len() != MODEL_LANDMARKS * 3
        {
            return Err(self
                .model
                .unexpected_output("landmark outputs have unexpected sizes".into()));
        }
        Ok(raw)
    }

    /// Landmarks of the person in `roi`: crop, infer, decode.
    pub fn run(&mut self, frame: &RgbImage, roi: &Roi) -> Result<RoiLandmarks, RuntimeError> {
        self.prepare(frame, roi);
        Ok(decode(&self.infer()?, roi))
    }

    /// The same crop read mirrored left to right ([`decode_mirrored`]): each point where it
    /// lies in the picture and named for the same body part as [`Self::run`] names it.
    pub fn run_mirrored(&mut self, frame: &RgbImage, roi: &Roi) -> Result<RoiLandmarks, RuntimeError> {
        self.prepare(frame, roi);
        super::mirror::mirror_rows(&mut self.input, INPUT_SIDE, 3);
        Ok(decode_mirrored(&self.infer()?, roi))
    }

    /// The person mask over the crop `features` were computed on: the mask head's run.
    pub fn person_mask(&mut self, features: &MaskFeatures) -> Result<PersonMask, RuntimeError> {
        let inputs: Vec<(&str, &ort::value::DynValue)> =
            MASK_FEATURES.into_iter().zip(features.values.iter()).collect();
        if inputs.len() != MASK_FEATURES.len() {
            return Err(self
                .mask_head
                .unexpected_output("the landmark model kept too few tensors for the mask head".into()));
        }
        let roi = features.roi;
        let mask = self
            .mask_head
            .run_on(&inputs, &[MASK_OUTPUT], |out| PersonMask::from_logits(out[0], roi))?
            .map(|m| if features.mirrored { m.mirrored() } else { m });
        mask.ok_or_else(|| {
            self.mask_head
                .unexpected_output(format!("the person mask is not {MASK_SIDE}x{MASK_SIDE}"))
        })
    }
}

/// The landmark model's outputs.
#[derive(Debug, Clone)]
pub struct RawOutputs {
    /// 39 x (x, y, z, visibility logit, presence logit), crop pixels.
    pub landmarks: Vec<f32>,
    /// Pose-presence probability.
    pub presence: f32,
    /// 64 x 64 x 39 heatmap logits.
    pub heatmap: Vec<f32>,
    /// 39 x (x, y, z) metres.
    pub world: Vec<f32>,
    /// The tensors the mask head reads, in the order of [`MASK_FEATURES`].
    pub mask_features: Arc<Vec<ort::value::DynValue>>,
}

/// Turn raw landmark-model outputs into frame-pixel landmarks.
pub fn decode(outputs: &RawOutputs, roi: &Roi) -> RoiLandmarks {
    decode_oriented(outputs, roi, false)
}

/// [`decode`] for outputs on the crop mirrored left to right. The points are decoded and refined
/// in the mirrored crop, as the model placed them there, and only then turned back (x to 1 - x,
/// world x to -x, each left landmark taking its right twin's reading): the heatmap's refinement
/// places a point at a cell's index, not its centre, so turning the heatmap back first would
/// move every refined point by a cell (about 10 pixels on a render).
pub fn decode_mirrored(outputs: &RawOutputs, roi: &Roi) -> RoiLandmarks {
    let mut read = decode_oriented(outputs, roi, true);
    read.mask_features.mirrored = true;
    read
}

fn decode_oriented(outputs: &RawOutputs, roi: &Roi, mirrored: bool) -> RoiLandmarks {
    let (raw, heatmap, world) = (&outputs.landmarks, &outputs.heatmap, &outputs.world);
    let side = INPUT_SIDE as f32;
    let mut points: Vec<(f32, f32)> = (0..MODEL_LANDMARKS)
        .map(|k| (raw[k * 5] / side, raw[k * 5 + 1] / side))
        .collect();
    refine_from_heatmap(&mut points, heatmap);
    if mirrored {
        for p in &mut points {
            p.0 = 1.0 - p.0;
        }
    }
    // The model's landmark that reads body landmark k.
    let source = |k: usize| if mirrored { super::mirror::twin(k) } else { k };

    let mut landmarks = [Landmark::default(); NUM_LANDMARKS];
    for (k, lm) in landmarks.iter_mut().enumerate() {
        let j = source(k);
        let (x_px, y_px) = roi.crop_to_image(points[j].0, points[j].1);
        *lm = Landmark {
            x_px,
            y_px,
            // Depth in the same pixel scale as x (relative to the hip centre).
            z: raw[j * 5 + 2] / side * roi.size_px,
            visibility: sigmoid(raw[j * 5 + 3]),
            presence: sigmoid(raw[j * 5 + 4]),
        };
    }
    let mut world_landmarks = [WorldLandmark::default(); NUM_LANDMARKS];
    for (k, w) in world_landmarks.iter_mut().enumerate() {
        let j = source(k);
        let world_x = if mirrored { -world[j * 3] } else { world[j * 3] };
        let (x, y) = roi.rotate(world_x, world[j * 3 + 1]);
        *w = WorldLandmark {
            x_m: x,
            y_m: y,
            z_m: world[j * 3 + 2],
        };
    }
    let aux = |k: usize| roi.crop_to_image(points[k].0, points[k].1);
    RoiLandmarks {
        presence: outputs.presence,
        landmarks,
        world_landmarks,
        auxiliary: [aux(33), aux(34)],
        mask_features: MaskFeatures {
            values: outputs.mask_features.clone(),
            roi: *roi,
            mirrored: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heatmap_peak_pulls_the_point() {
        let n = 1;
        let mut heatmap = vec![-10.0f32; 64 * 64 * n];
        heatmap[(20 * 64 + 30) * n] = 10.0; // confident peak at column 30, row 20
        let mut points = vec![(31.0 / 64.0, 21.0 / 64.0)];
        refine_from_heatmap(&mut points, &heatmap);
        assert!((points[0].0 - 30.0 / 64.0).abs() < 0.002, "{:?}", points[0]);
        assert!((points[0].1 - 20.0 / 64.0).abs() < 0.002, "{:?}", points[0]);
    }

    #[test]
    fn unconfident_heatmap_leaves_the_point() {
        let heatmap = vec![-10.0f32; 64 * 64];
        let mut points = vec![(0.3, 0.4)];
        refine_from_heatmap(&mut points, &heatmap);
        assert_eq!(points[0], (0.3, 0.4));
    }

    #[test]
    fn points_outside_the_crop_are_left_alone() {
        let heatmap = vec![10.0f32; 64 * 64];
        let mut points = vec![(-0.1, 0.5), (1.2, 0.5)];
        refine_from_heatmap(&mut points, &heatmap);
        assert_eq!(points, vec![(-0.1, 0.5), (1.2, 0.5)]);
    }

    #[test]
    fn a_mirrored_crop_decodes_to_the_same_body_parts_in_the_same_places() {
        use super::super::index;
        use super::super::mirror::twin;
        // Outputs on a crop, and what the same person gives on the crop mirrored: x to 256 - x,
        // world x negated, left and right swapped (heatmap unconfident: no refinement).
        let raw: Vec<f32> = (0..MODEL_LANDMARKS * 5).map(|v| ((v * 37) % 251) as f32).collect();
        let world: Vec<f32> = (0..MODEL_LANDMARKS * 3)
            .map(|v| ((v * 13) % 17) as f32 / 10.0 - 0.8)
            .collect();
        let mut raw_m = raw.clone();
        let mut world_m = world.clone();
        for k in 0..MODEL_LANDMARKS {
            let t = twin(k);
            raw_m[t * 5..t * 5 + 5].copy_from_slice(&raw[k * 5..k * 5 + 5]);
            raw_m[t * 5] = 256.0 - raw[k * 5];
            world_m[t * 3..t * 3 + 3].copy_from_slice(&[-world[k * 3], world[k * 3 + 1], world[k * 3 + 2]]);
        }
        let outputs = |landmarks: Vec<f32>, world: Vec<f32>| RawOutputs {
            landmarks,
            presence: 0.9,
            heatmap: vec![-10.0f32; 64 * 64 * 39],
            world,
            mask_features: Arc::default(),
        };
        let roi = Roi {
            center_x_px: 400.0,
            center_y_px: 300.0,
            size_px: 200.0,
            rotation_rad: 0.4,
        };
        let plain = decode(&outputs(raw, world), &roi);
        let mirrored = decode_mirrored(&outputs(raw_m, world_m), &roi);
        for k in 0..NUM_LANDMARKS {
            let (a, b) = (plain.landmarks[k], mirrored.landmarks[k]);
            assert!(
                (a.x_px - b.x_px).abs() < 1e-3 && (a.y_px - b.y_px).abs() < 1e-3,
                "{k}: {a:?} {b:?}"
            );
            assert_eq!((a.z, a.visibility, a.presence), (b.z, b.visibility, b.presence), "{k}");
            let (a, b) = (plain.world_landmarks[k], mirrored.world_landmarks[k]);
            assert!(
                (a.x_m - b.x_m).abs() < 1e-5 && (a.y_m - b.y_m).abs() < 1e-5 && a.z_m == b.z_m,
                "{k}"
            );
        }
        assert!(!plain.mask_features.mirrored && mirrored.mask_features.mirrored);
        // The left ear of the plain reading came from the model's right ear on the mirrored crop.
        assert_eq!(twin(index::LEFT_EAR), index::RIGHT_EAR);
    }

    #[test]
    fn decode_projects_through_the_roi() {
        let mut raw = vec![0.0f32; 39 * 5];
        raw[0] = 128.0; // nose at the crop centre
        raw[1] = 128.0;
        raw[3] = 100.0; // visibility logit
        let heatmap = vec![-10.0f32; 64 * 64 * 39];
        let mut world = vec![0.0f32; 39 * 3];
        world[0] = 1.0;
        let roi = Roi {
            center_x_px: 400.0,
            center_y_px: 300.0,
            size_px: 200.0,
            rotation_rad: std::f32::consts::FRAC_PI_2,
        };
        let outputs = RawOutputs {
            landmarks: raw,
            presence: 0.9,
            heatmap,
            world,
            mask_features: Arc::default(),
        };
        let out = decode(&outputs, &roi);
        assert!((out.landmarks[0].x_px - 400.0).abs() < 1e-3 && (out.landmarks[0].y_px - 300.0).abs() < 1e-3);
        assert!(out.landmarks[0].visibility > 0.99);
        assert!((out.landmarks[0].presence - 0.5).abs() < 1e-6);
        // World x rotated a quarter turn becomes world y.
        assert!(out.world_landmarks[0].x_m.abs() < 1e-6 && (out.world_landmarks[0].y_m - 1.0).abs() < 1e-6);
    }
}
