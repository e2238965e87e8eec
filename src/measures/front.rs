//! Front-view signals. A frontal camera cannot see the craniovertebral angle (the head moves
//! forward along the optical axis), so these are compared with the same person's upright
//! baseline (measurement.md section 4.4), never with population norms:
//!
//! - `head_scale_ratio`: outer-eye-corner distance over shoulder width. A head pushed towards
//!   the camera grows against the shoulders; leaning the whole trunk scales both together.
//! - `ear_shoulder_drop`: height of the ears above the shoulder line over shoulder width; it
//!   falls when the head protrudes and drops, or when the person slumps.
//! - `ear_shoulder_depth_m`: world-landmark depth of the ears minus the shoulders (metres,
//!   negative = ears nearer the camera). BlazePose depth is not metric-accurate, so only its
//!   change from baseline is used.
//! - `nose_drop`: how far the nose sits below the ears, over the eye distance. Looking down
//!   raises it; pushing the head forward with level gaze barely changes it. This is what tells
//!   looking down from forward head.
//! - `shoulder_width_px` and `eye_distance_px`: protraction narrows the apparent shoulder span
//!   while the head stays the same size.

use super::geometry::{level_vector, Facing, PointPx};
use crate::pose::{index, Pose};

/// The landmarks the front signals need; every reading needs them as finite points too.
pub const REQUIRED: [usize; 7] = [
    index::NOSE,
    index::LEFT_EYE_OUTER,
    index::RIGHT_EYE_OUTER,
    index::LEFT_EAR,
    index::RIGHT_EAR,
    index::LEFT_SHOULDER,
    index::RIGHT_SHOULDER,
];

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FrontSignals {
    pub head_scale_ratio: f32,
    pub ear_shoulder_drop: f32,
    pub ear_shoulder_depth_m: f32,
    pub nose_drop: f32,
    pub shoulder_width_px: f32,
    pub eye_distance_px: f32,
}

/// One front signal: a column of `frames.csv`, a key of `front_signals`, a series to plot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrontSignal {
    HeadScaleRatio,
    EarShoulderDrop,
    EarShoulderDepthM,
    NoseDrop,
    ShoulderWidthPx,
    EyeDistancePx,
}

impl FrontSignal {
    pub const ALL: [FrontSignal; 6] = [
        FrontSignal::HeadScaleRatio,
        FrontSignal::EarShoulderDrop,
        FrontSignal::EarShoulderDepthM,
        FrontSignal::NoseDrop,
        FrontSignal::ShoulderWidthPx,
        FrontSignal::EyeDistancePx,
    ];

    /// The name in JSON and CSV (units in the name where it has one).
    pub fn name(self) -> &'static str {
        match self {
            FrontSignal::HeadScaleRatio => "head_scale_ratio",
            FrontSignal::EarShoulderDrop => "ear_shoulder_drop",
            FrontSignal::EarShoulderDepthM => "ear_shoulder_depth_m",
            FrontSignal::NoseDrop => "nose_drop",
            FrontSignal::ShoulderWidthPx => "shoulder_width_px",
            FrontSignal::EyeDistancePx => "eye_distance_px",
        }
    }
}

impl FrontSignals {
    pub fn get(&self, signal: FrontSignal) -> f32 {
        match signal {
            FrontSignal::HeadScaleRatio => self.head_scale_ratio,
            FrontSignal::EarShoulderDrop => self.ear_shoulder_drop,
            FrontSignal::EarShoulderDepthM => self.ear_shoulder_depth_m,
            FrontSignal::NoseDrop => self.nose_drop,
            FrontSignal::ShoulderWidthPx => self.shoulder_width_px,
            FrontSignal::EyeDistancePx => self.eye_distance_px,
        }
    }
}

fn point(pose: &Pose, i: usize) -> PointPx {
    PointPx::new(pose.landmarks[i].x_px, pose.landmarks[i].y_px)
}

/// The front signals, or `None` when a landmark is not finite or the shoulders or eyes have
/// no width.
pub fn front_signals(pose: &Pose, camera_roll_deg: f32) -> Option<FrontSignals> {
    let eyes = (point(pose, index::LEFT_EYE_OUTER), point(pose, index::RIGHT_EYE_OUTER));
    let ears = point(pose, index::LEFT_EAR).midpoint(point(pose, index::RIGHT_EAR));
    let (left_shoulder, right_shoulder) = (point(pose, index::LEFT_SHOULDER), point(pose, index::RIGHT_SHOULDER));
    let shoulders = left_shoulder.midpoint(right_shoulder);
    let nose = point(pose, index::NOSE);
    let eye_distance_px = eyes.0.distance_px(eyes.1);
    let shoulder_width_px = left_shoulder.distance_px(right_shoulder);
    if !(eye_distance_px > 1.0 && shoulder_width_px > 1.0) {
        return None;
    }
    // Heights against gravity; the facing argument only sets the sign of the unused forward part.
    let up = |from: PointPx, to: PointPx| level_vector(from, to, Facing::Right, camera_roll_deg).up_px;
    let w = &pose.world_landmarks;
    let depth = |i: usize| w[i].z_m;
    let signals = FrontSignals {
        head_scale_ratio: eye_distance_px / shoulder_width_px,
        ear_shoulder_drop: up(shoulders, ears) / shoulder_width_px,
        ear_shoulder_depth_m: (depth(index::LEFT_EAR) + depth(index::RIGHT_EAR)) / 2.0
            - (depth(index::LEFT_SHOULDER) + depth(index::RIGHT_SHOULDER)) / 2.0,
        nose_drop: up(nose, ears) / eye_distance_px,
        shoulder_width_px,
        eye_distance_px,
    };
    FrontSignal::ALL
        .iter()
        .all(|s| signals.get(*s).is_finite())
        .then_some(signals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::testing::{map_pixels, posed};
    use proptest::prelude::*;

    #[test]
    fn forward_head_grows_nothing_in_orthographic_view_but_depth() {
        // The synthetic camera is orthographic: a head pushed forward changes depth and, through
        // the small drop of the head, the ear height; the scale ratio needs perspective.
        let upright = front_signals(&posed(0.0, 0.0), 0.0).unwrap();
        let forward = front_signals(&posed(0.0, 0.06), 0.0).unwrap();
        assert!(forward.ear_shoulder_depth_m < upright.ear_shoulder_depth_m - 0.05);
        assert!(forward.ear_shoulder_drop < upright.ear_shoulder_drop);
        assert!((forward.nose_drop - upright.nose_drop).abs() < 1e-4);
    }

    #[test]
    fn nan_gives_no_signals() {
        let mut p = posed(0.0, 0.0);
        p.landmarks[index::RIGHT_SHOULDER].x_px = f32::NAN;
        assert!(front_signals(&p, 0.0).is_none());
        let mut p = posed(0.0, 0.0);
        p.world_landmarks[index::LEFT_EAR].z_m = f32::NAN;
        assert!(front_signals(&p, 0.0).is_none());
    }

    proptest! {
        #[test]
        fn invariant_to_translation_scale_and_mirror(
            dx in -300.0f32..300.0, dy in -300.0f32..300.0, k in 0.3f32..4.0, mirror in any::<bool>(),
        ) {
            let p = posed(0.0, 0.03);
            let a = front_signals(&p, 0.0).unwrap();
            let sx = if mirror { -k } else { k };
            let b = front_signals(&map_pixels(&p, |x, y| (x * sx + dx, y * k + dy), |x, y| ((x - dx) / sx, (y - dy) / k)), 0.0).unwrap();
            prop_assert!((a.head_scale_ratio - b.head_scale_ratio).abs() < 1e-4);
            prop_assert!((a.ear_shoulder_drop - b.ear_shoulder_drop).abs() < 1e-4);
            prop_assert!((a.nose_drop - b.nose_drop).abs() < 1e-4);
        }
    }
}
