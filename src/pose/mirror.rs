//! A still read twice: as it is and mirrored left to right, keeping the mean of both readings.
//!
//! The landmark network is not symmetric: on the side renders, a picture and its mirror image
//! read a different neck and ear (the craniovertebral angle differs by 3.3 degrees, SD, between
//! the two readings of one render), and each reading errs in its own way. Their mean errs less
//! (docs/measures.md, "A still read twice"). A still has one frame and all the time in the world,
//! so it pays for the second landmark run; streams do not (the live check's budget), and a clip
//! has many frames to take the median of.
//!
//! The mirrored crop is the same crop with each row reversed; its outputs are decoded in it and
//! then turned back (`super::landmarks::decode_mirrored`): x becomes 1 - x, world x changes
//! sign, and each left landmark takes its right twin's place.

use super::landmarks::RoiLandmarks;
use super::{MaskState, Pose, NUM_LANDMARKS};

/// Reverse each row of an image tensor (`side x side x channels`, row-major).
pub fn mirror_rows(tensor: &mut [f32], side: usize, channels: usize) {
    for row in tensor.chunks_exact_mut(side * channels) {
        for i in 0..side / 2 {
            let j = side - 1 - i;
            for c in 0..channels {
                row.swap(i * channels + c, j * channels + c);
            }
        }
    }
}

/// The landmark that a mirrored picture names for body landmark `k`: left and right swapped
/// (BlazePose's order: the nose, then left/right pairs, eyes in threes). The auxiliary points
/// past the body's 33 lie on the midline and keep their place.
pub fn twin(k: usize) -> usize {
    match k {
        0 => 0,
        1..=3 => k + 3,
        4..=6 => k - 3,
        k if k < NUM_LANDMARKS && k % 2 == 1 => k + 1,
        k if k < NUM_LANDMARKS => k - 1,
        k => k,
    }
}

/// Make `pose` the mean of itself and `mirrored`, the same crop read mirrored (and turned back):
/// landmarks, world landmarks and pose presence; the mask becomes the mean of both masks when
/// it is computed.
pub fn average_into(pose: &mut Pose, mirrored: RoiLandmarks) {
    let mean = |a: f32, b: f32| (a + b) / 2.0;
    for (p, m) in pose.landmarks.iter_mut().zip(&mirrored.landmarks) {
        p.x_px = mean(p.x_px, m.x_px);
        p.y_px = mean(p.y_px, m.y_px);
        p.z = mean(p.z, m.z);
        p.visibility = mean(p.visibility, m.visibility);
        p.presence = mean(p.presence, m.presence);
    }
    for (p, m) in pose.world_landmarks.iter_mut().zip(&mirrored.world_landmarks) {
        p.x_m = mean(p.x_m, m.x_m);
        p.y_m = mean(p.y_m, m.y_m);
        p.z_m = mean(p.z_m, m.z_m);
    }
    pose.score = mean(pose.score, mirrored.presence);
    pose.read_mirrored = true;
    if let MaskState::Pending(read) = &pose.mask {
        pose.mask = MaskState::PendingBoth {
            read: read.clone(),
            mirrored: mirrored.mask_features,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::super::index;
    use super::super::landmarks::MODEL_LANDMARKS;
    use super::*;

    #[test]
    fn each_landmark_has_one_twin_and_the_midline_keeps_its_own() {
        for k in 0..MODEL_LANDMARKS {
            assert_eq!(twin(twin(k)), k, "{k}");
        }
        assert_eq!(twin(index::NOSE), index::NOSE);
        assert_eq!(twin(index::LEFT_EAR), index::RIGHT_EAR);
        assert_eq!(twin(index::LEFT_EYE_OUTER), index::RIGHT_EYE_OUTER);
        assert_eq!(twin(index::RIGHT_SHOULDER), index::LEFT_SHOULDER);
        assert_eq!(twin(index::LEFT_HIP), index::RIGHT_HIP);
        assert_eq!(twin(index::RIGHT_ANKLE), index::LEFT_ANKLE);
        assert_eq!(twin(33), 33);
        assert_eq!(twin(34), 34);
    }

    #[test]
    fn averaging_keeps_the_mean_of_both_reads_and_marks_the_pose_read_twice() {
        let mut pose = crate::measures::testing::posed(90.0, 0.0);
        let before = pose.clone();
        let mut other = pose.clone();
        for p in other.landmarks.iter_mut() {
            p.x_px += 4.0;
            p.visibility = 0.5;
        }
        let mirrored = RoiLandmarks {
            presence: 0.5,
            landmarks: other.landmarks,
            world_landmarks: other.world_landmarks,
            auxiliary: [(0.0, 0.0); 2],
            mask_features: crate::pose::segmentation::MaskFeatures {
                values: std::sync::Arc::new(Vec::new()),
                roi: pose.roi,
                mirrored: true,
            },
        };
        assert!(!pose.read_mirrored);
        average_into(&mut pose, mirrored);
        assert!(pose.read_mirrored);
        let (a, b) = (before.landmarks[index::LEFT_EAR], pose.landmarks[index::LEFT_EAR]);
        assert_eq!(b.x_px, a.x_px + 2.0);
        assert_eq!(b.y_px, a.y_px);
        assert_eq!(b.visibility, (a.visibility + 0.5) / 2.0);
        assert_eq!(pose.score, (before.score + 0.5) / 2.0);
    }

    #[test]
    fn mirroring_rows_twice_gives_the_tensor_back_and_once_swaps_the_ends() {
        let (side, channels) = (5, 3);
        let original: Vec<f32> = (0..side * side * channels).map(|v| v as f32).collect();
        let mut t = original.clone();
        mirror_rows(&mut t, side, channels);
        // Row 1's first pixel is its last pixel before.
        let row = side * channels;
        assert_eq!(&t[row..row + 3], &original[row + 12..row + 15]);
        assert_eq!(
            t[row + 6..row + 9],
            original[row + 6..row + 9],
            "the middle pixel stays"
        );
        mirror_rows(&mut t, side, channels);
        assert_eq!(t, original);
    }
}
