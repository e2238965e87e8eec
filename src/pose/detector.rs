//! The person detector: letterboxed frame -> SSD anchor decoding -> weighted NMS -> detections.
//!
//! Numbers from MediaPipe's `pose_detection_cpu.pbtxt`: 224x224 input in [-1, 1], 2254
//! anchors from 5 layers (strides 8, 16, 32, 32, 32), 12 values per anchor (a face box and 4
//! keypoints, x before y), sigmoid scores clipped at +-100, weighted NMS at IoU 0.3.

use super::crop::{crop_to_tensor, letterbox_roi, Border};
use super::roi::Roi;
use super::runtime::{Model, RuntimeError};
use image::RgbImage;

pub const INPUT_SIDE: usize = 224;
const NUM_ANCHORS: usize = 2254;
const VALUES_PER_ANCHOR: usize = 12;
const SCORE_CLIP: f32 = 100.0;
/// Detections overlapping more than this (IoU of their face boxes) are merged.
pub const NMS_IOU: f32 = 0.3;
/// MediaPipe Pose's default `min_detection_confidence`.
pub const DEFAULT_MIN_SCORE: f32 = 0.5;

/// One person found by the detector, in frame pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub score: f32,
    /// The face box: x0, y0, x1, y1.
    pub face_box: [f32; 4],
    /// 0 mid-hip, 1 full-body size and rotation point, 2 mid-shoulder, 3 upper-body point.
    pub keypoints: [(f32, f32); 4],
}

impl Detection {
    /// The full-body region the landmark model should look at.
    pub fn roi(&self) -> Roi {
        Roi::from_alignment_points(self.keypoints[0], self.keypoints[1])
    }

    /// Distance from a pixel to this person: to the torso (mid-hip to mid-shoulder) or to the
    /// face box, whichever is nearer. (The full-body axis is not used: it runs past the head to
    /// a size point that can lie far from the person.)
    pub fn distance_to(&self, p: (f32, f32)) -> f32 {
        let torso = distance_to_segment(p, self.keypoints[0], self.keypoints[2]);
        let [x0, y0, x1, y1] = self.face_box;
        let dx = (x0 - p.0).max(0.0).max(p.0 - x1);
        let dy = (y0 - p.1).max(0.0).max(p.1 - y1);
        torso.min((dx * dx + dy * dy).sqrt())
    }

    /// Whether the detector puts the shoulders above the hips. A posture subject sits or
    /// stands; a detection whose torso points more than 90 degrees from upright is a
    /// mis-detection for this tool (on sports2d_walk.mp4 the only ones, at 116-128 degrees,
    /// scored 0.51-0.55 against the 0.5 threshold, while people's torsos lay within 40 degrees
    /// of upright), so it is never chosen or taken back as the subject.
    pub fn is_upright(&self) -> bool {
        self.keypoints[2].1 < self.keypoints[0].1
    }

    /// Mid-hip to mid-shoulder distance: how far from the person a pixel may be and still
    /// count as pointing at them.
    pub fn torso_length_px(&self) -> f32 {
        let (a, b) = (self.keypoints[0], self.keypoints[2]);
        (a.0 - b.0).hypot(a.1 - b.1)
    }
}

fn distance_to_segment(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
    let (abx, aby) = (b.0 - a.0, b.1 - a.1);
    let len2 = abx * abx + aby * aby;
    let t = if len2 > 0.0 {
        (((p.0 - a.0) * abx + (p.1 - a.1) * aby) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a.0 + t * abx, a.1 + t * aby);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

/// Anchor centres in [0, 1] of the 224x224 input. With a fixed anchor size every anchor is
/// 1x1, so only the centres matter; each grid cell carries 2 anchors per merged layer.
pub fn anchors() -> Vec<(f32, f32)> {
    const STRIDES: [usize; 5] = [8, 16, 32, 32, 32];
    let mut out = Vec::with_capacity(NUM_ANCHORS);
    let mut layer = 0;
    while layer < STRIDES.len() {
        // Consecutive layers with the same stride share one grid.
        let mut per_cell = 0;
        let stride = STRIDES[layer];
        while layer < STRIDES.len() && STRIDES[layer] == stride {
            per_cell += 2; // aspect ratio 1.0 plus the interpolated-scale anchor
            layer += 1;
        }
        let cells = INPUT_SIDE.div_ceil(stride);
        for y in 0..cells {
            for x in 0..cells {
                let centre = ((x as f32 + 0.5) / cells as f32, (y as f32 + 0.5) / cells as f32);
                out.extend(std::iter::repeat_n(centre, per_cell));
            }
        }
    }
    out
}

/// Decode raw model outputs into detections in letterbox-normalised coordinates [0, 1].
pub fn decode(raw_boxes: &[f32], raw_scores: &[f32], anchors: &[(f32, f32)], min_score: f32) -> Vec<Detection> {
    let side = INPUT_SIDE as f32;
    let mut out = Vec::new();
    for (i, &(ax, ay)) in anchors.iter().enumerate() {
        let logit = raw_scores[i].clamp(-SCORE_CLIP, SCORE_CLIP);
        let score = 1.0 / (1.0 + (-logit).exp());
        if score < min_score {
            continue;
        }
        let r = &raw_boxes[i * VALUES_PER_ANCHOR..(i + 1) * VALUES_PER_ANCHOR];
        let (cx, cy) = (r[0] / side + ax, r[1] / side + ay);
        let (w, h) = (r[2] / side, r[3] / side);
        let mut keypoints = [(0.0, 0.0); 4];
        for (k, kp) in keypoints.iter_mut().enumerate() {
            *kp = (r[4 + 2 * k] / side + ax, r[5 + 2 * k] / side + ay);
        }
        out.push(Detection {
            score,
            face_box: [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0],
            keypoints,
        });
    }
    out
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
    if union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

/// Weighted non-maximum suppression: the best-scoring detection absorbs every detection whose
/// face box overlaps it by more than `iou_threshold`, and its box and keypoints become their
/// score-weighted average (steadier than keeping the single best anchor).
pub fn weighted_nms(mut detections: Vec<Detection>, iou_threshold: f32) -> Vec<Detection> {
    detections.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut out = Vec::new();
    while !detections.is_empty() {
        let best_box = detections[0].face_box;
        let (cluster, rest): (Vec<_>, Vec<_>) = detections
            .into_iter()
            .partition(|d| iou(&best_box, &d.face_box) > iou_threshold || d.face_box == best_box);
        detections = rest;
        let total: f32 = cluster.iter().map(|d| d.score).sum();
        let mut merged = cluster[0].clone();
        merged.face_box = [0.0; 4];
        merged.keypoints = [(0.0, 0.0); 4];
        for d in &cluster {
            let w = d.score / total;
            for (m, v) in merged.face_box.iter_mut().zip(d.face_box) {
                *m += w * v;
            }
            for (m, v) in merged.keypoints.iter_mut().zip(d.keypoints) {
                m.0 += w * v.0;
                m.1 += w * v.1;
            }
        }
        out.push(merged);
    }
    out
}

/// Map a detection from letterbox-normalised coordinates to frame pixels.
fn to_frame_pixels(mut d: Detection, letterbox: &Roi) -> Detection {
    let map = |x: f32, y: f32| letterbox.crop_to_image(x, y);
    let (x0, y0) = map(d.face_box[0], d.face_box[1]);
    let (x1, y1) = map(d.face_box[2], d.face_box[3]);
    d.face_box = [x0, y0, x1, y1];
    for kp in d.keypoints.iter_mut() {
        *kp = map(kp.0, kp.1);
    }
    d
}

/// The detector model with its anchors and input buffer.
pub struct Detector {
    model: Model,
    anchors: Vec<(f32, f32)>,
    input: Vec<f32>,
    pub min_score: f32,
}

impl Detector {
    pub fn new(model: Model) -> Detector {
        Detector {
            model,
            anchors: anchors(),
            input: vec![0.0; INPUT_SIDE * INPUT_SIDE * 3],
            min_score: DEFAULT_MIN_SCORE,
        }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Fill the input tensor: the whole frame letterboxed to 224x224 in [-1, 1].
    pub fn prepare(&mut self, frame: &RgbImage) -> Roi {
        let letterbox = letterbox_roi(frame.width(), frame.height());
        crop_to_tensor(
            frame,
            &letterbox,
            INPUT_SIDE,
            (-1.0, 1.0),
            Border::Black,
            &mut self.input,
        );
        letterbox
    }

    /// Run the model on the prepared input: raw boxes (2254 x 12) and score logits (2254).
    pub fn infer(&mut self) -> Result<(Vec<f32>, Vec<f32>), RuntimeError> {
        let shape = [1, INPUT_SIDE, INPUT_SIDE, 3];
        let (boxes, scores) = self
            .model
            .run(&shape, &self.input, &["Identity", "Identity_1"], |out| {
                (out[0].to_vec(), out[1].to_vec())
            })?;
        if boxes.len() != NUM_ANCHORS * VALUES_PER_ANCHOR || scores.len() != NUM_ANCHORS {
            return Err(self
                .model
                .unexpected_output("detector outputs have unexpected sizes".into()));
        }
        Ok((boxes, scores))
    }

    /// Decode, merge and map raw outputs to frame pixels.
    pub fn postprocess(&self, boxes: &[f32], scores: &[f32], letterbox: &Roi) -> Vec<Detection> {
        let raw = decode(boxes, scores, &self.anchors, self.min_score);
        weighted_nms(raw, NMS_IOU)
            .into_iter()
            .map(|d| to_frame_pixels(d, letterbox))
            .collect()
    }

    /// Everyone the detector finds, best first, in frame pixels.
    pub fn detect(&mut self, frame: &RgbImage) -> Result<Vec<Detection>, RuntimeError> {
        let letterbox = self.prepare(frame);
        let (boxes, scores) = self.infer()?;
        Ok(self.postprocess(&boxes, &scores, &letterbox))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_grid_matches_the_model() {
        let a = anchors();
        assert_eq!(a.len(), NUM_ANCHORS);
        // First anchors: the 28x28 grid's first cell, twice.
        assert_eq!(a[0], (0.5 / 28.0, 0.5 / 28.0));
        assert_eq!(a[1], a[0]);
        // The last block is the 7x7 grid with 6 anchors per cell.
        assert_eq!(a[NUM_ANCHORS - 1], (6.5 / 7.0, 6.5 / 7.0));
        assert_eq!(a[28 * 28 * 2 + 14 * 14 * 2], (0.5 / 7.0, 0.5 / 7.0));
    }

    fn det(score: f32, x: f32) -> Detection {
        Detection {
            score,
            face_box: [x, 0.0, x + 1.0, 1.0],
            keypoints: [(x, 2.0); 4],
        }
    }

    #[test]
    fn nms_merges_overlaps_by_score_weight_and_keeps_separate_people() {
        let out = weighted_nms(vec![det(0.6, 0.1), det(0.9, 0.0), det(0.8, 5.0)], NMS_IOU);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        let expected_x = (0.9 * 0.0 + 0.6 * 0.1) / 1.5;
        assert!((out[0].face_box[0] - expected_x).abs() < 1e-6);
        assert!((out[0].keypoints[0].0 - expected_x).abs() < 1e-6);
        assert_eq!(out[1].face_box[0], 5.0);
    }

    #[test]
    fn decode_applies_anchor_offsets_and_threshold() {
        let anchors = vec![(0.5, 0.5), (0.25, 0.25)];
        let mut boxes = vec![0.0; 24];
        boxes[0] = 22.4; // +0.1 in x
        boxes[2] = 44.8; // width 0.2
        boxes[3] = 44.8;
        boxes[4] = -22.4; // keypoint 0 x at 0.4
        let scores = [5.0, -5.0];
        let d = decode(&boxes, &scores, &anchors, 0.5);
        assert_eq!(d.len(), 1);
        assert!((d[0].face_box[0] - 0.5).abs() < 1e-6 && (d[0].face_box[2] - 0.7).abs() < 1e-6);
        assert!((d[0].keypoints[0].0 - 0.4).abs() < 1e-6);
        assert!(d[0].score > 0.99);
    }

    #[test]
    fn distance_prefers_the_person_under_the_pixel() {
        let near = Detection {
            score: 0.9,
            face_box: [90.0, 0.0, 110.0, 20.0],
            keypoints: [(100.0, 200.0), (100.0, -50.0), (100.0, 40.0), (0.0, 0.0)],
        };
        assert_eq!(near.distance_to((100.0, 100.0)), 0.0);
        assert_eq!(near.torso_length_px(), 160.0);
        assert!((near.distance_to((130.0, 100.0)) - 30.0).abs() < 1e-4);
    }
}
