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
//! profiles, while the shoulders' separation in the picture does not. Seen from the side the
//! two shoulders overlap; turned by `a` they separate sideways by `shoulder width x sin(a)`.
//! Only the level (sideways) part of the separation counts: a camera above the subject raises
//! the far shoulder in the picture without any turn (the correction's camera-height term), and
//! counting that rise refused most exact profiles filmed from above. The shoulder width is
//! taken as [`SHOULDER_WIDTH_HEADS`] head lengths (ear to nose), so no body scale is needed.
//!
//! Two coarse signals override the fine one when they clearly say the body is turned: the
//! world yaw beyond [`WORLD_MAX_OFF_PROFILE_DEG`], and the outer eye corners as far apart
//! sideways as a turn beyond [`EYES_MAX_OFF_PROFILE_DEG`] shows (a face turned to the camera
//! while the shoulders happen to overlap in the picture).

use super::geometry::{level_vector, Facing, PointPx};
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

/// Distance between the outer eye corners in head lengths: about 0.08 m over 0.11 m (0.081 m on
/// the renders' mesh), rounded up so that the eye signal errs towards reading.
pub const EYE_SPAN_HEADS: f32 = 0.8;

/// Beyond this turn the eyes' separation overrides the shoulders' (see the module docs). On the
/// training renders within 10 degrees of profile the eyes read at most 27 degrees (95th
/// percentile 18), so only a clearly turned face trips it.
pub const EYES_MAX_OFF_PROFILE_DEG: f32 = 30.0;

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

/// Degrees off an exact profile from the level (sideways) separation in the picture of two
/// points `span_heads` head lengths apart on the body.
fn off_profile_in_picture_deg(pose: &Pose, a: usize, b: usize, span_heads: f32, camera_roll_deg: f32) -> f32 {
    let l = &pose.landmarks;
    let point = |i: usize| PointPx::new(l[i].x_px, l[i].y_px);
    let head_px = (point(index::LEFT_EAR).distance_px(point(index::NOSE))
        + point(index::RIGHT_EAR).distance_px(point(index::NOSE)))
        / 2.0;
    // Either facing: only the size of the sideways separation matters.
    let sideways_px = level_vector(point(a), point(b), Facing::Right, camera_roll_deg)
        .forward_px
        .abs();
    let sine = sideways_px / (span_heads * head_px);
    if sine.is_finite() {
        sine.min(1.0).asin().to_degrees()
    } else {
        f32::NAN
    }
}

/// Estimate the view: which way from the world landmarks, how far off profile from the picture.
pub fn estimate_view(pose: &Pose, camera_roll_deg: f32) -> ViewEstimate {
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
    let eyes_off_profile = off_profile_in_picture_deg(
        pose,
        index::LEFT_EYE_OUTER,
        index::RIGHT_EYE_OUTER,
        EYE_SPAN_HEADS,
        camera_roll_deg,
    );
    // The world yaw is too noisy to gate finely, but when it says the subject is far from a
    // profile while the shoulders happen to overlap in the picture (a camera above the
    // subject), it is believed; so are eyes set clearly apart.
    let off_profile_deg = if world_off_profile > WORLD_MAX_OFF_PROFILE_DEG {
        world_off_profile
    } else if eyes_off_profile > EYES_MAX_OFF_PROFILE_DEG {
        eyes_off_profile
    } else {
        off_profile_in_picture_deg(
            pose,
            index::LEFT_SHOULDER,
            index::RIGHT_SHOULDER,
            SHOULDER_WIDTH_HEADS,
            camera_roll_deg,
        )
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
    use crate::measures::testing::{map_pixels, posed};

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
            let e = estimate_view(&posed(yaw, 0.0), 0.0);
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
            let e = estimate_view(&posed(yaw, 0.0), 0.0);
            let expected = (yaw.abs() - 90.0).abs();
            assert!((e.off_profile_deg - expected).abs() < 3.0, "{yaw}: {e:?}");
        }
    }

    #[test]
    fn missing_world_landmarks_give_no_view() {
        let mut p = posed(90.0, 0.0);
        p.world_landmarks[index::LEFT_EAR].x_m = f32::NAN;
        assert_eq!(estimate_view(&p, 0.0).view, View::None);
    }

    #[test]
    fn a_camera_above_raising_the_far_shoulder_is_not_a_turn() {
        // An exact profile seen from above: the far shoulder appears a head length higher.
        let mut p = posed(90.0, 0.0);
        p.landmarks[index::RIGHT_SHOULDER].y_px -= p.landmarks[index::LEFT_EAR].x_px - p.landmarks[index::NOSE].x_px;
        let e = estimate_view(&p, 0.0);
        assert!(e.off_profile_deg < 3.0, "{e:?}");
        // Rolled by 20 degrees, a third of the rise is sideways in the picture; the roll undoes it.
        let (s, c) = 20f32.to_radians().sin_cos();
        let rolled = map_pixels(
            &p,
            |x, y| (x * c + y * s, -x * s + y * c),
            |x, y| (x * c - y * s, x * s + y * c),
        );
        assert!(estimate_view(&rolled, 20.0).off_profile_deg < 3.0);
        assert!(estimate_view(&rolled, 0.0).off_profile_deg > 5.0);
    }

    #[test]
    fn eyes_set_clearly_apart_say_turned_even_when_the_shoulders_overlap() {
        let mut p = posed(90.0, 0.0);
        let head_px = (p.landmarks[index::LEFT_EAR].x_px - p.landmarks[index::NOSE].x_px).abs();
        let eye = p.landmarks[index::LEFT_EYE_OUTER];
        for (apart_heads, turned) in [(0.2, false), (0.35, false), (0.5, true)] {
            p.landmarks[index::RIGHT_EYE_OUTER].x_px = eye.x_px - apart_heads * head_px;
            p.landmarks[index::RIGHT_EYE_OUTER].y_px = eye.y_px;
            let e = estimate_view(&p, 0.0);
            assert_eq!(
                e.off_profile_deg > EYES_MAX_OFF_PROFILE_DEG,
                turned,
                "{apart_heads}: {e:?}"
            );
        }
    }
}
