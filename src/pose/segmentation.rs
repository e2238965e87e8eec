//! The landmark model's person mask: for each pixel of the 256x256 ROI crop, the probability
//! that it shows the subject (MediaPipe decodes the same output with a sigmoid,
//! `tensors_to_pose_landmarks_and_segmentation.pbtxt`). The side-view measures read the back
//! of the neck from it (`crate::measures::neck`).
//!
//! The mask's decoder costs about as much as the rest of the landmark network, and the mask is
//! read only on side-view frames whose other gates have passed (a few in a clip, none facing the
//! camera). So the network ships cut in two (`tools/models/split.py`): the landmark model also
//! outputs the intermediate tensors the decoder reads ([`MaskFeatures`]), and the mask head turns
//! them into the mask only when asked ([`MaskState`]), computing nothing twice.

use super::landmarks::sigmoid;
use super::roi::Roi;
use std::sync::Arc;

/// The landmark model's outputs the mask head reads, in the order of [`MASK_FEATURES`], kept as
/// ONNX Runtime returned them (no copy) until a measure asks for the mask or the frame is done.
#[derive(Debug, Clone)]
pub struct MaskFeatures {
    pub(crate) values: Arc<Vec<ort::value::DynValue>>,
    /// The crop they were computed on.
    pub roi: Roi,
    /// Computed on the crop mirrored left to right: the mask comes out mirrored and is turned
    /// back ([`PersonMask::mirrored`]).
    pub mirrored: bool,
}

/// Names of the tensors shared by the landmark model (outputs) and the mask head (inputs).
pub const MASK_FEATURES: [&str; 2] = ["mask_features_64", "mask_features_128"];

/// The mask head's output: the person logits over the crop.
pub const MASK_OUTPUT: &str = "Identity_2";

/// A pose's person mask: computed, or what it is computed from.
#[derive(Debug, Clone)]
pub enum MaskState {
    /// Not computed yet (`crate::pose::PoseModels::compute_mask`).
    Pending(MaskFeatures),
    /// Not computed yet, for a pose read both as it is and mirrored (`crate::pose::mirror`):
    /// the mask will be the mean of both.
    PendingBoth {
        read: MaskFeatures,
        mirrored: MaskFeatures,
    },
    Ready(PersonMask),
}

impl MaskState {
    /// The mask, when it has been computed.
    pub fn ready(&self) -> Option<&PersonMask> {
        match self {
            MaskState::Ready(mask) => Some(mask),
            MaskState::Pending(_) | MaskState::PendingBoth { .. } => None,
        }
    }
}

impl From<PersonMask> for MaskState {
    fn from(mask: PersonMask) -> MaskState {
        MaskState::Ready(mask)
    }
}

/// Side of the mask in cells; cell `(i, j)` is crop pixel `(i, j)` of the model's input.
pub const MASK_SIDE: usize = 256;

/// Where cell `i`'s value sits, in crop pixels: at its centre, `i + 0.5`, the convention the
/// landmark model's coordinates follow (a landmark on input pixel `i` reads about `i + 0.5`).
/// The crop samples input pixel `i` at `crop_to_image(i / 256)` (MediaPipe's CPU crop,
/// `super::crop`), so both the landmarks and the mask sit half an input pixel right of and below
/// the picture they were read from; what matters is that they sit there together. With each
/// cell at `i` instead, the mask was half a pixel (1-2 frame pixels) behind the landmarks along
/// the crop's x and y: the back of the neck moved towards or away from the ear depending on the
/// way the person faced, and a picture mirrored read 1-4 degrees apart (docs/measures.md,
/// "Facing left or right").
const CELL_CENTRE: f32 = 0.5;

/// The subject's silhouette in the crop the landmarks were read from.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonMask {
    /// Row-major person logits, `MASK_SIDE` x `MASK_SIDE`. The sigmoid is taken only where the
    /// mask is read (a few thousand cells a frame, not 65536).
    logits: Vec<f32>,
    roi: Roi,
}

impl PersonMask {
    /// The mask from the model's logits (row-major, one channel), or `None` on a size mismatch.
    pub fn from_logits(logits: &[f32], roi: Roi) -> Option<PersonMask> {
        (logits.len() == MASK_SIDE * MASK_SIDE).then(|| PersonMask {
            logits: logits.to_vec(),
            roi,
        })
    }

    /// The mask of a crop read mirrored, turned back: cell `(i, j)` takes cell `(i, 255 - j)`.
    pub fn mirrored(mut self) -> PersonMask {
        for row in self.logits.chunks_exact_mut(MASK_SIDE) {
            row.reverse();
        }
        self
    }

    /// The cell-wise mean of two masks over the same crop, as probabilities.
    pub fn mean_with(&self, other: &PersonMask) -> PersonMask {
        let logits = self
            .logits
            .iter()
            .zip(&other.logits)
            .map(|(&a, &b)| {
                let p = (sigmoid(a) + sigmoid(b)) / 2.0;
                (p / (1.0 - p)).ln()
            })
            .collect();
        PersonMask { logits, roi: self.roi }
    }

    /// A mask that shows nobody (for poses that come from elsewhere than the model).
    pub fn empty(roi: Roi) -> PersonMask {
        PersonMask {
            logits: vec![f32::NEG_INFINITY; MASK_SIDE * MASK_SIDE],
            roi,
        }
    }

    /// A mask over `roi` whose cells take `probability(x_px, y_px)` where they sample the frame
    /// (synthetic subjects in tests).
    #[cfg(test)]
    pub(crate) fn from_fn(roi: Roi, probability: impl Fn(f32, f32) -> f32) -> PersonMask {
        let side = MASK_SIDE as f32;
        let mut cells = Vec::with_capacity(MASK_SIDE * MASK_SIDE);
        for row in 0..MASK_SIDE {
            for col in 0..MASK_SIDE {
                let (x, y) = roi.crop_to_image((col as f32 + CELL_CENTRE) / side, (row as f32 + CELL_CENTRE) / side);
                let p = probability(x, y).clamp(0.0, 1.0);
                cells.push((p / (1.0 - p)).ln());
            }
        }
        PersonMask { logits: cells, roi }
    }

    /// The person probability at a frame pixel, bilinear between the cells' centres; 0 outside
    /// the crop.
    pub fn probability_at(&self, x_px: f32, y_px: f32) -> f32 {
        let (u, v) = self.roi.image_to_crop(x_px, y_px);
        let side = MASK_SIDE as f32;
        let (c, r) = (u * side - CELL_CENTRE, v * side - CELL_CENTRE);
        if !(c.is_finite() && r.is_finite()) || c < -0.5 || r < -0.5 || c > side - 0.5 || r > side - 0.5 {
            return 0.0;
        }
        let last = MASK_SIDE - 1;
        let (c0, r0) = (c.floor().max(0.0) as usize, r.floor().max(0.0) as usize);
        let (c0, r0) = (c0.min(last), r0.min(last));
        let (c1, r1) = ((c0 + 1).min(last), (r0 + 1).min(last));
        let (fc, fr) = ((c - c0 as f32).clamp(0.0, 1.0), (r - r0 as f32).clamp(0.0, 1.0));
        let at = |r: usize, c: usize| sigmoid(self.logits[r * MASK_SIDE + c]);
        let top = at(r0, c0) * (1.0 - fc) + at(r0, c1) * fc;
        let bottom = at(r1, c0) * (1.0 - fc) + at(r1, c1) * fc;
        top * (1.0 - fr) + bottom * fr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roi() -> Roi {
        Roi {
            center_x_px: 300.0,
            center_y_px: 200.0,
            size_px: 512.0,
            rotation_rad: 0.3,
        }
    }

    #[test]
    fn logits_become_probabilities_at_their_pixels() {
        let mut logits = vec![-20.0f32; MASK_SIDE * MASK_SIDE];
        logits[100 * MASK_SIDE + 40] = 20.0; // row 100, column 40
        let mask = PersonMask::from_logits(&logits, roi()).unwrap();
        // Where a landmark at the centre of crop pixel (40, 100) lands (`landmarks::decode`).
        let (x, y) = roi().crop_to_image(40.5 / 256.0, 100.5 / 256.0);
        assert!(mask.probability_at(x, y) > 0.99);
        let (x, y) = roi().crop_to_image(44.5 / 256.0, 100.5 / 256.0);
        assert!(mask.probability_at(x, y) < 0.01);
        assert!(PersonMask::from_logits(&logits[1..], roi()).is_none());
    }

    #[test]
    fn probability_interpolates_and_is_zero_outside() {
        // A vertical edge in crop coordinates: left half person, right half not.
        let r = roi();
        let mask = PersonMask::from_fn(r, |x, y| if r.image_to_crop(x, y).0 < 0.5 { 1.0 } else { 0.0 });
        // Half way between the centres of the last person cell (127) and the first other (128).
        let (x, y) = r.crop_to_image(128.0 / 256.0, 0.3);
        assert!((mask.probability_at(x, y) - 0.5).abs() < 1e-3);
        assert_eq!(mask.probability_at(-1000.0, 200.0), 0.0);
        assert_eq!(mask.probability_at(f32::NAN, 200.0), 0.0);
        assert_eq!(PersonMask::empty(r).probability_at(300.0, 200.0), 0.0);
    }
}
