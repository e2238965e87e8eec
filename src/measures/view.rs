//! Which way the subject faces the camera, per frame.
//!
//! Body yaw comes from BlazePose's world landmarks (metres, x right, y down, z away from the
//! camera): the left-to-right vector across the shoulders, and across the ears, seen from above.
//! `yaw_deg` is 0 when the subject faces the camera, +90 when their left side faces it (a left
//! profile: they look towards the picture's left), -90 for a right profile, 180 for their back.
//! It decides front, side (and which side) or oblique.
//!
//! How far a side view is from an exact profile is measured in the picture instead: on renders
//! with known camera yaw the world-landmark yaw scattered by +-10 degrees around exact
//! profiles, while the apparent shoulder width does not. Seen from the side the two shoulders
//! overlap; turned by `a` they separate by `shoulder width x sin(a)`. The shoulder width is
//! taken as [`SHOULDER_WIDTH_HEADS`] head lengths (ear to nose), so no body scale is needed.

use super::geometry::Facing;
use crate::pose::{index, Pose, WorldLandmark};

/// The view of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum View {
    /// The subject's left side faces the camera (they face the picture's left).
    SideLeft,
    /// The subject's right side faces the camera (they face the picture's right).
    SideRight,
    Front,
    /// Neither side-on nor facing the camera (including from behind).
    Oblique,
    /// No person, or not enough landmarks to tell.
    None,
}

impl View {
    pub fn is_side(self) -> bool {
        matches!(self, View::SideLeft | View::SideRight)
    }

    /// The direction the face points in the picture, for side views.
    pub fn facing(self) -> Option<Facing> {
        match self {
            View::SideLeft => Some(Facing::Left),
            View::SideRight => Some(Facing::Right),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            View::SideLeft => "side-left",
            View::SideRight => "side-right",
            View::Front => "front",
            View::Oblique => "oblique",
            View::None => "none",
        }
    }
}

/// Views within this many degrees of frontal count as front.
pub const FRONT_MAX_YAW_DEG: f32 = 30.0;
/// Views within this many degrees of a profile count as side views (the CVA needs a tighter
/// profile gate, [`super::MeasureSettings::max_profile_yaw_deg`]).
pub const SIDE_MAX_OFF_PROFILE_DEG: f32 = 30.0;

/// Beyond this the world-landmark yaw overrides the picture's estimate (exact profiles read up
/// to 16 degrees off in world yaw on the renders).
pub const WORLD_MAX_OFF_PROFILE_DEG: f32 = 20.0;

/// Shoulder width (between BlazePose's shoulder points) in head lengths (ear to nose in a
/// profile): about 0.35 m over 0.11 m for adults.
pub const SHOULDER_WIDTH_HEADS: f32 = 3.2;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ViewEstimate {
    pub view: View,
    /// Yaw from the shoulders (see the module docs for the convention).
    pub yaw_deg: f32,
    /// How far from an exact profile (0 = side-on), from the apparent shoulder width.
    pub off_profile_deg: f32,
}

/// Yaw of a left-to-right vector seen from above, in degrees, in the module's convention.
fn yaw_of(left: WorldLandmark, right: WorldLandmark) -> Option<f32> {
    let across_x = right.x_m - left.x_m;
    let across_z = right.z_m - left.z_m;
    let yaw = across_z.atan2(-across_x).to_degrees();
    (yaw.is_finite() && across_x.hypot(across_z) > 1e-4).then_some(yaw)
}

/// Degrees from the nearest profile: 0 at +-90, 90 at 0 or 180.
fn off_profile_deg(yaw_deg: f32) -> f32 {
    (yaw_deg.abs() - 90.0).abs()
}

/// Degrees off an exact profile from the shoulders' separation in the picture, in head lengths.
fn off_profile_in_picture_deg(pose: &Pose) -> f32 {
    let l = &pose.landmarks;
    let dist = |a: usize, b: usize| (l[a].x_px - l[b].x_px).hypot(l[a].y_px - l[b].y_px);
    let head_px = (dist(index::LEFT_EAR, index::NOSE) + dist(index::RIGHT_EAR, index::NOSE)) / 2.0;
    let separation_px = dist(index::LEFT_SHOULDER, index::RIGHT_SHOULDER);
    let sine = separation_px / (SHOULDER_WIDTH_HEADS * head_px);
    if sine.is_finite() {
        sine.min(1.0).asin().to_degrees()
    } else {
        f32::NAN
    }
}

/// Estimate the view: which way from the world landmarks, how far off profile from the picture.
pub fn estimate_view(pose: &Pose) -> ViewEstimate {
    let w = &pose.world_landmarks;
    let shoulders = yaw_of(w[index::LEFT_SHOULDER], w[index::RIGHT_SHOULDER]);
    let ears = yaw_of(w[index::LEFT_EAR], w[index::RIGHT_EAR]);
    let (Some(yaw_deg), Some(ear_yaw)) = (shoulders, ears) else {
        return ViewEstimate {
            view: View::None,
            yaw_deg: f32::NAN,
            off_profile_deg: f32::NAN,
        };
    };
    let world_off_profile = off_profile_deg(yaw_deg).max(off_profile_deg(ear_yaw));
    let view = if yaw_deg.abs() <= FRONT_MAX_YAW_DEG {
        View::Front
    } else if world_off_profile <= SIDE_MAX_OFF_PROFILE_DEG && ear_yaw.signum() == yaw_deg.signum() {
        if yaw_deg > 0.0 {
            View::SideLeft
        } else {
            View::SideRight
        }
    } else {
        View::Oblique
    };
    // The world yaw is too noisy to gate finely, but when it says the subject is far from a
    // profile while the shoulders happen to overlap in the picture (a camera above the
    // subject), it is believed.
    let off_profile_deg = if world_off_profile > WORLD_MAX_OFF_PROFILE_DEG {
        world_off_profile
    } else {
        off_profile_in_picture_deg(pose)
    };
    ViewEstimate {
        view,
        yaw_deg,
        off_profile_deg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::testing::posed;

    #[test]
    fn yaw_convention() {
        for (yaw, view) in [
            (0.0, View::Front),
            (25.0, View::Front),
            (90.0, View::SideLeft),
            (-90.0, View::SideRight),
            (75.0, View::SideLeft),
            (45.0, View::Oblique),
            (180.0, View::Oblique),
        ] {
            let e = estimate_view(&posed(yaw, 0.0));
            assert!(
                (e.yaw_deg - yaw).abs() < 0.01 || (e.yaw_deg.abs() - 180.0).abs() < 0.01,
                "{yaw}: {e:?}"
            );
            assert_eq!(e.view, view, "yaw {yaw}");
        }
    }

    #[test]
    fn off_profile_is_distance_to_nearest_profile() {
        assert_eq!(off_profile_deg(90.0), 0.0);
        assert_eq!(off_profile_deg(-80.0), 10.0);
        assert_eq!(off_profile_deg(100.0), 10.0);
        assert_eq!(off_profile_deg(0.0), 90.0);
    }

    #[test]
    fn off_profile_from_the_picture_follows_the_yaw() {
        for yaw in [90.0f32, 85.0, 80.0, 70.0, -95.0, -110.0] {
            let e = estimate_view(&posed(yaw, 0.0));
            let expected = (yaw.abs() - 90.0).abs();
            assert!((e.off_profile_deg - expected).abs() < 3.0, "{yaw}: {e:?}");
        }
    }

    #[test]
    fn missing_world_landmarks_give_no_view() {
        let mut p = posed(90.0, 0.0);
        p.world_landmarks[index::LEFT_EAR].x_m = f32::NAN;
        assert_eq!(estimate_view(&p).view, View::None);
    }
}
