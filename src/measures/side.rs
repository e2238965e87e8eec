//! Side-view measures: craniovertebral angle, forward shoulder angle, head tilt, forward head
//! distance. All angles follow [`super::geometry::elevation_deg`]: above the true horizontal,
//! towards the way the subject faces, in degrees.
//!
//! Landmark proxies (BlazePose has neither a tragus nor a C7 point):
//! - tragus: the camera-side ear;
//! - lateral eye canthus: the camera-side outer eye corner;
//! - acromion: none (the camera-side shoulder landmark is the shoulder joint, which does not
//!   follow protraction, so no forward shoulder angle is reported: `Reason::NoAcromion`);
//! - C7 spinous process: the back of the neck on the person mask ([`super::neck`]).
//!
//! The body scale is the head length, the distance ear to nose in the picture: a rigid length
//! that does not change with posture. The raw angles are then corrected by the linear fit in
//! [`Correction`], made on renders with known angles (docs/measures.md).

use super::correction::Correction;
use super::geometry::{elevation_deg, level_vector, Facing, PointPx};
use super::neck::neck_outline_c7;
use crate::pose::{index, Pose};

/// Which landmarks stand for the clinical points on the camera side.
#[derive(Debug, Clone, Copy)]
pub struct NearSide {
    pub ear: usize,
    pub eye_outer: usize,
    pub shoulder: usize,
    /// The other shoulder, whose apparent rise tells how far the camera looks down.
    pub far_shoulder: usize,
    /// With the near shoulder, the trunk's line (the upright gate).
    pub hip: usize,
}

impl NearSide {
    pub fn of(facing: Facing) -> NearSide {
        // A subject facing the picture's left shows the camera their left side.
        match facing {
            Facing::Left => NearSide {
                ear: index::LEFT_EAR,
                eye_outer: index::LEFT_EYE_OUTER,
                shoulder: index::LEFT_SHOULDER,
                far_shoulder: index::RIGHT_SHOULDER,
                hip: index::LEFT_HIP,
            },
            Facing::Right => NearSide {
                ear: index::RIGHT_EAR,
                eye_outer: index::RIGHT_EYE_OUTER,
                shoulder: index::RIGHT_SHOULDER,
                far_shoulder: index::LEFT_SHOULDER,
                hip: index::RIGHT_HIP,
            },
        }
    }

    /// The landmarks a side reading needs, for the visibility gate.
    pub fn required(self) -> [usize; 4] {
        [self.ear, self.eye_outer, self.shoulder, index::NOSE]
    }
}

/// One frame's side-view reading.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SideMeasures {
    /// Craniovertebral angle estimate, corrected (degrees; smaller = head further forward).
    pub cva_deg: f32,
    /// The uncorrected ear / C7-proxy angle in the picture, kept so that the correction can be
    /// re-fitted.
    pub cva_raw_deg: f32,
    /// C7 proxy -> camera-side shoulder landmark, above the horizontal towards the face
    /// (degrees). Not reported as a forward shoulder angle: the landmark is the shoulder joint,
    /// which does not follow protraction (`Reason::NoAcromion`); `examples/validate_renders.rs`
    /// prints the evidence.
    pub shoulder_angle_raw_deg: f32,
    /// Ear -> outer eye corner above the horizontal (degrees; looking down lowers it).
    pub head_tilt_deg: f32,
    /// Horizontal distance of the ear ahead of the C7 proxy, in head lengths.
    pub forward_head_heads: f32,
    /// The head length used as the body scale, in pixels.
    pub head_length_px: f32,
    /// How far the far shoulder appears above the near one, in head lengths: about 0 with the
    /// camera at shoulder height, positive when it looks down from above.
    pub far_shoulder_above_heads: f32,
    /// Where the angle was read in the picture: the ear and the C7 proxy (for drawing it).
    #[serde(skip)]
    pub ear_px: PointPx,
    #[serde(skip)]
    pub c7_px: PointPx,
}

/// How far the trunk (near hip -> near shoulder) leans from upright, in degrees, in (-180, 180]:
/// 0 upright, positive forward, negative backward (the complement of the line's
/// [`elevation_deg`], measured from the vertical instead of the horizontal).
pub fn trunk_lean_deg(hip: PointPx, shoulder: PointPx, facing: Facing, camera_roll_deg: f32) -> f32 {
    let v = level_vector(hip, shoulder, facing, camera_roll_deg);
    v.forward_px.atan2(v.up_px).to_degrees()
}

pub(crate) fn point(pose: &Pose, i: usize) -> PointPx {
    PointPx::new(pose.landmarks[i].x_px, pose.landmarks[i].y_px)
}

/// Why a side view gives no reading once the gates have passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideFailure {
    /// A needed landmark is not a finite point, or the head has no length.
    Landmarks,
    /// The back of the neck is not outlined in the person mask.
    NeckOutline,
}

/// The side-view reading, or why there is none.
pub fn side_measures(
    pose: &Pose,
    facing: Facing,
    camera_roll_deg: f32,
    correction: &Correction,
) -> Result<SideMeasures, SideFailure> {
    let near = NearSide::of(facing);
    let ear = point(pose, near.ear);
    let eye = point(pose, near.eye_outer);
    let shoulder = point(pose, near.shoulder);
    let far_shoulder = point(pose, near.far_shoulder);
    let head_length_px = ear.distance_px(point(pose, index::NOSE));
    let finite = [ear, eye, shoulder, far_shoulder].iter().all(|p| p.is_finite());
    if !(finite && head_length_px.is_finite() && head_length_px > 1.0) {
        return Err(SideFailure::Landmarks);
    }
    // A mask nobody computed outlines nothing: the frame loop computes it for every frame whose
    // other side gates pass (`crate::measures::needs_person_mask`).
    let Some(mask) = pose.mask.ready() else {
        return Err(SideFailure::NeckOutline);
    };
    let c7 = neck_outline_c7(
        |p| mask.probability_at(p.x, p.y),
        ear,
        shoulder,
        correction.neck_band,
        facing,
        camera_roll_deg,
        head_length_px,
    )
    .ok_or(SideFailure::NeckOutline)?;
    let cva_raw_deg = elevation_deg(c7, ear, facing, camera_roll_deg);
    let shoulder_angle_raw_deg = elevation_deg(c7, shoulder, facing, camera_roll_deg);
    let far_shoulder_above_heads = level_vector(shoulder, far_shoulder, facing, camera_roll_deg).up_px / head_length_px;
    let measures = SideMeasures {
        cva_deg: correction.cva_deg(cva_raw_deg, far_shoulder_above_heads, pose.read_mirrored),
        cva_raw_deg,
        shoulder_angle_raw_deg,
        head_tilt_deg: elevation_deg(ear, eye, facing, camera_roll_deg),
        forward_head_heads: level_vector(c7, ear, facing, camera_roll_deg).forward_px / head_length_px,
        head_length_px,
        far_shoulder_above_heads,
        ear_px: ear,
        c7_px: c7,
    };
    let values = [
        measures.cva_deg,
        measures.shoulder_angle_raw_deg,
        measures.head_tilt_deg,
        measures.forward_head_heads,
    ];
    if values.iter().all(|v| v.is_finite()) {
        Ok(measures)
    } else {
        Err(SideFailure::Landmarks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::testing::{close, map_pixels, posed};
    use proptest::prelude::*;

    const C: Correction = Correction::IDENTITY;

    fn reading(pose: &Pose, facing: Facing) -> SideMeasures {
        side_measures(pose, facing, 0.0, &C).expect("a reading")
    }

    #[test]
    fn trunk_lean_is_zero_upright_and_positive_forward_for_either_facing() {
        let hip = PointPx::new(100.0, 200.0);
        assert!(close(
            trunk_lean_deg(hip, PointPx::new(100.0, 100.0), Facing::Right, 0.0),
            0.0
        ));
        assert!(close(
            trunk_lean_deg(hip, PointPx::new(200.0, 100.0), Facing::Right, 0.0),
            45.0
        ));
        assert!(close(
            trunk_lean_deg(hip, PointPx::new(0.0, 100.0), Facing::Left, 0.0),
            45.0
        ));
        assert!(close(
            trunk_lean_deg(hip, PointPx::new(0.0, 100.0), Facing::Right, 0.0),
            -45.0
        ));
        // Lying flat, head first; upside down and backward is negative, not past 180.
        assert!(close(
            trunk_lean_deg(hip, PointPx::new(200.0, 200.0), Facing::Right, 0.0),
            90.0
        ));
        assert!(close(
            trunk_lean_deg(hip, PointPx::new(0.0, 300.0), Facing::Right, 0.0),
            -135.0
        ));
        // Camera roll is undone: a trunk along the rolled vertical is upright.
        let r = 10f32.to_radians();
        let rolled = PointPx::new(100.0 - 100.0 * r.sin(), 200.0 - 100.0 * r.cos());
        assert!(close(trunk_lean_deg(hip, rolled, Facing::Right, 10.0), 0.0));
    }

    #[test]
    fn forward_head_lowers_the_cva_and_raises_forward_distance() {
        let upright = reading(&posed(90.0, 0.0), Facing::Left);
        let forward = reading(&posed(90.0, 0.05), Facing::Left);
        assert!(forward.cva_deg < upright.cva_deg - 5.0, "{upright:?} {forward:?}");
        assert!(forward.forward_head_heads > upright.forward_head_heads);
        assert!((0.0..90.0).contains(&upright.cva_deg));
    }

    #[test]
    fn left_and_right_profiles_read_the_same() {
        for forward in [0.0, 0.03, 0.08] {
            let left = reading(&posed(90.0, forward), Facing::Left);
            let right = reading(&posed(-90.0, forward), Facing::Right);
            assert!((left.cva_deg - right.cva_deg).abs() < 1e-3, "{left:?} {right:?}");
            assert!((left.head_tilt_deg - right.head_tilt_deg).abs() < 1e-3);
            assert!((left.shoulder_angle_raw_deg - right.shoulder_angle_raw_deg).abs() < 1e-3);
        }
    }

    #[test]
    fn nan_landmark_gives_no_reading() {
        let mut p = posed(90.0, 0.0);
        p.landmarks[index::NOSE].x_px = f32::NAN;
        assert_eq!(side_measures(&p, Facing::Left, 0.0, &C), Err(SideFailure::Landmarks));
        let mut p = posed(90.0, 0.0);
        p.landmarks[index::LEFT_EAR].y_px = f32::INFINITY;
        assert_eq!(side_measures(&p, Facing::Left, 0.0, &C), Err(SideFailure::Landmarks));
    }

    #[test]
    fn no_neck_outline_gives_no_reading() {
        let mut p = posed(90.0, 0.0);
        p.mask = crate::pose::PersonMask::empty(p.roi).into();
        assert_eq!(side_measures(&p, Facing::Left, 0.0, &C), Err(SideFailure::NeckOutline));
    }

    proptest! {
        #[test]
        fn invariant_to_translation_and_scale(
            dx in -300.0f32..300.0, dy in -300.0f32..300.0, k in 0.3f32..4.0, forward in 0.0f32..0.08,
        ) {
            let p = posed(90.0, forward);
            let a = reading(&p, Facing::Left);
            let b = reading(&map_pixels(&p, |x, y| (x * k + dx, y * k + dy), |x, y| ((x - dx) / k, (y - dy) / k)), Facing::Left);
            prop_assert!((a.cva_deg - b.cva_deg).abs() < 1e-2);
            prop_assert!((a.shoulder_angle_raw_deg - b.shoulder_angle_raw_deg).abs() < 1e-2);
            prop_assert!((a.head_tilt_deg - b.head_tilt_deg).abs() < 1e-2);
            prop_assert!((a.forward_head_heads - b.forward_head_heads).abs() < 1e-3);
        }

        #[test]
        fn mirror_image_reads_the_same(forward in 0.0f32..0.08, mirror_x in 0.0f32..1000.0) {
            // Mirroring a left profile gives a right profile of the same person.
            let p = posed(90.0, forward);
            let mut m = map_pixels(&p, |x, y| (mirror_x - x, y), |x, y| (mirror_x - x, y));
            m.landmarks.swap(index::LEFT_EAR, index::RIGHT_EAR);
            m.landmarks.swap(index::LEFT_EYE_OUTER, index::RIGHT_EYE_OUTER);
            m.landmarks.swap(index::LEFT_SHOULDER, index::RIGHT_SHOULDER);
            let a = reading(&p, Facing::Left);
            let b = reading(&m, Facing::Right);
            prop_assert!((a.cva_deg - b.cva_deg).abs() < 1e-2);
            prop_assert!((a.shoulder_angle_raw_deg - b.shoulder_angle_raw_deg).abs() < 1e-2);
        }

        #[test]
        fn camera_roll_is_corrected(roll in -20.0f32..20.0, forward in 0.0f32..0.08) {
            // Roll the picture so the true horizon rises to the right by `roll` degrees.
            let p = posed(90.0, forward);
            let (s, c) = roll.to_radians().sin_cos();
            let rolled = map_pixels(&p, |x, y| (x * c + y * s, -x * s + y * c), |x, y| (x * c - y * s, x * s + y * c));
            let a = reading(&p, Facing::Left);
            let b = side_measures(&rolled, Facing::Left, roll, &C).unwrap();
            prop_assert!((a.cva_deg - b.cva_deg).abs() < 1e-2, "{} {}", a.cva_deg, b.cva_deg);
        }
    }
}
