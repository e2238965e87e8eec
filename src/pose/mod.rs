//! BlazePose on ONNX Runtime, as a pipeline of named stages, each testable alone:
//!
//! ```text
//! frame -> detector (letterbox, anchors, weighted NMS) -> roi -> crop -> landmarks
//!       (+ the mask head's inputs) -> projection to frame pixels -> tracker (next ROI from auxiliary
//!       points) -> smoothing
//! (on request) mask head -> person mask
//! ```
//!
//! [`Tracker`] runs the whole pipeline on a stream or on independent stills.

pub mod crop;
pub mod detector;
pub mod landmarks;
pub mod mirror;
pub mod platform;
pub mod roi;
pub mod runtime;
pub mod segmentation;
pub mod smoothing;
pub mod tracker;

pub use detector::{Detection, Detector};
pub use landmarks::LandmarkModel;
pub use roi::Roi;
pub use runtime::{LandmarkVariant, RuntimeError, SessionOptions};
pub use segmentation::{MaskState, PersonMask};
pub use smoothing::{OneEuroParams, Smoothing};
pub use tracker::{SubjectRule, Tracker, TrackerConfig, TrackingMode};

/// The 33 BlazePose body landmarks.
pub const NUM_LANDMARKS: usize = 33;

/// Landmark indices in the BlazePose topology (left/right are the subject's).
pub mod index {
    pub const NOSE: usize = 0;
    pub const LEFT_EYE_INNER: usize = 1;
    pub const LEFT_EYE: usize = 2;
    pub const LEFT_EYE_OUTER: usize = 3;
    pub const RIGHT_EYE_INNER: usize = 4;
    pub const RIGHT_EYE: usize = 5;
    pub const RIGHT_EYE_OUTER: usize = 6;
    pub const LEFT_EAR: usize = 7;
    pub const RIGHT_EAR: usize = 8;
    pub const MOUTH_LEFT: usize = 9;
    pub const MOUTH_RIGHT: usize = 10;
    pub const LEFT_SHOULDER: usize = 11;
    pub const RIGHT_SHOULDER: usize = 12;
    pub const LEFT_ELBOW: usize = 13;
    pub const RIGHT_ELBOW: usize = 14;
    pub const LEFT_WRIST: usize = 15;
    pub const RIGHT_WRIST: usize = 16;
    pub const LEFT_HIP: usize = 23;
    pub const RIGHT_HIP: usize = 24;
    pub const LEFT_KNEE: usize = 25;
    pub const RIGHT_KNEE: usize = 26;
    pub const LEFT_ANKLE: usize = 27;
    pub const RIGHT_ANKLE: usize = 28;
}

/// Pairs of landmarks joined when drawing a skeleton.
pub const SKELETON: &[(usize, usize)] = &[
    (0, 1),
    (1, 2),
    (2, 3),
    (3, 7),
    (0, 4),
    (4, 5),
    (5, 6),
    (6, 8),
    (9, 10),
    (11, 12),
    (11, 13),
    (13, 15),
    (15, 17),
    (15, 19),
    (15, 21),
    (17, 19),
    (12, 14),
    (14, 16),
    (16, 18),
    (16, 20),
    (16, 22),
    (18, 20),
    (11, 23),
    (12, 24),
    (23, 24),
    (23, 25),
    (24, 26),
    (25, 27),
    (26, 28),
    (27, 29),
    (28, 30),
    (29, 31),
    (30, 32),
    (27, 31),
    (28, 32),
];

/// One landmark in frame pixels. `z` is depth relative to the hip centre in the same pixel
/// scale as `x_px` (smaller = nearer the camera); `visibility` (in view, not occluded) and
/// `presence` (in the frame) are probabilities.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Landmark {
    pub x_px: f32,
    pub y_px: f32,
    pub z: f32,
    pub visibility: f32,
    pub presence: f32,
}

/// One landmark in metres, origin at the hip centre, x to the image right, y down, z away
/// from the camera (BlazePose's world frame).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct WorldLandmark {
    pub x_m: f32,
    pub y_m: f32,
    pub z_m: f32,
}

/// The tracked subject's pose in one frame.
#[derive(Debug, Clone)]
pub struct Pose {
    /// The landmark model's pose-presence probability.
    pub score: f32,
    pub landmarks: [Landmark; NUM_LANDMARKS],
    pub world_landmarks: [WorldLandmark; NUM_LANDMARKS],
    /// The region the landmarks were read from.
    pub roi: Roi,
    /// The subject's silhouette in that region, computed only when asked for
    /// ([`PoseModels::compute_mask`]).
    pub mask: MaskState,
    /// The landmark model rejected the detector's crop and read this pose through a larger
    /// re-crop ([`tracker::RECROP_SCALE`]).
    pub recropped: bool,
    /// Read twice, as it is and mirrored left to right, and the mean of both kept
    /// ([`PoseModels::read_mirrored_too`]); a clip's frames are read once.
    pub read_mirrored: bool,
}

/// What the pipeline found in one frame.
#[derive(Debug, Clone)]
pub struct PoseFrame {
    /// The subject, or `None` when no person could be found.
    pub pose: Option<Pose>,
    /// People seen besides the subject (from the latest detector run).
    pub other_people: usize,
}

/// The two models, loaded once and shared by every input.
pub struct PoseModels {
    pub detector: Detector,
    pub landmarks: LandmarkModel,
    pub variant: LandmarkVariant,
}

impl PoseModels {
    pub fn load(
        models: impl Into<runtime::ModelSource>,
        variant: LandmarkVariant,
        options: SessionOptions,
    ) -> Result<PoseModels, RuntimeError> {
        let models = models.into();
        let detector = runtime::Model::load(&models, runtime::DETECTOR_FILE, options)?;
        let landmarks = runtime::Model::load(&models, variant.file_name(), options)?;
        let mask_head = runtime::Model::load(&models, variant.mask_file_name(), options)?;
        Ok(PoseModels {
            detector: Detector::new(detector),
            landmarks: LandmarkModel::new(landmarks, mask_head),
            variant,
        })
    }

    /// Compute `pose`'s person mask unless it is already there.
    pub fn compute_mask(&mut self, pose: &mut Pose) -> Result<(), RuntimeError> {
        match &pose.mask {
            MaskState::Pending(features) => pose.mask = MaskState::Ready(self.landmarks.person_mask(features)?),
            MaskState::PendingBoth { read, mirrored } => {
                let (read, mirrored) = (self.landmarks.person_mask(read)?, self.landmarks.person_mask(mirrored)?);
                pose.mask = MaskState::Ready(read.mean_with(&mirrored));
            }
            MaskState::Ready(_) => {}
        }
        Ok(())
    }

    /// Read `pose`'s crop of `image` a second time, mirrored left to right, and keep the mean of
    /// both readings ([`mirror`]).
    pub fn read_mirrored_too(&mut self, pose: &mut Pose, image: &image::RgbImage) -> Result<(), RuntimeError> {
        let mirrored = self.landmarks.run_mirrored(image, &pose.roi)?;
        mirror::average_into(pose, mirrored);
        Ok(())
    }
}
