//! The one angle convention every measure uses, written once.
//!
//! Image points are frame pixels, x to the right and y **down**. Clinical angles are taken
//! against gravity, not the picture: a camera that is rolled by `camera_roll_deg` (a true
//! horizontal line in the picture rises to the right by that many degrees) is corrected here.
//!
//! [`elevation_deg`] is the angle of a vector above the true horizontal, measured towards the
//! direction the subject faces: 0 = level and pointing forward, 90 = straight up, 180 = level
//! and pointing backward, negative = below the horizontal. The range is (-180, 180], so the
//! craniovertebral angle (ear forward of and above C7: 0-90) never wraps and never flips sign
//! between frames when the subject turns from one profile to the other.

/// A point in frame pixels (x right, y down).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointPx {
    pub x: f32,
    pub y: f32,
}

impl PointPx {
    pub fn new(x: f32, y: f32) -> PointPx {
        PointPx { x, y }
    }

    pub fn midpoint(self, other: PointPx) -> PointPx {
        PointPx::new((self.x + other.x) / 2.0, (self.y + other.y) / 2.0)
    }

    pub fn distance_px(self, other: PointPx) -> f32 {
        (self.x - other.x).hypot(self.y - other.y)
    }

    pub fn is_finite(self) -> bool {
        self.x.is_finite() && self.y.is_finite()
    }
}

/// Which way a profile faces in the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Facing {
    /// The nose points to the left of the picture.
    Left,
    /// The nose points to the right of the picture.
    Right,
}

impl Facing {
    /// +1 when forward is +x in the picture, -1 when it is -x.
    pub fn sign(self) -> f32 {
        match self {
            Facing::Left => -1.0,
            Facing::Right => 1.0,
        }
    }
}

/// A picture vector expressed against gravity: `forward_px` along the subject's facing
/// direction, `up_px` against gravity, after undoing the camera roll.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LevelVector {
    pub forward_px: f32,
    pub up_px: f32,
}

/// The vector `from -> to` in the level frame of a subject facing `facing`.
pub fn level_vector(from: PointPx, to: PointPx, facing: Facing, camera_roll_deg: f32) -> LevelVector {
    let dx = to.x - from.x;
    let up = from.y - to.y;
    let (sin_r, cos_r) = camera_roll_deg.to_radians().sin_cos();
    // Rotate by -roll so that the picture's tilted horizon becomes level.
    let level_x = dx * cos_r + up * sin_r;
    let level_up = -dx * sin_r + up * cos_r;
    LevelVector {
        forward_px: level_x * facing.sign(),
        up_px: level_up,
    }
}

/// Angle of `from -> to` above the true horizontal, towards `facing`; see the module docs.
pub fn elevation_deg(from: PointPx, to: PointPx, facing: Facing, camera_roll_deg: f32) -> f32 {
    let v = level_vector(from, to, facing, camera_roll_deg);
    v.up_px.atan2(v.forward_px).to_degrees()
}

/// Offset a point by `forward_px` along the facing direction and `up_px` against gravity
/// (the inverse of [`level_vector`]).
pub fn offset_level(from: PointPx, forward_px: f32, up_px: f32, facing: Facing, camera_roll_deg: f32) -> PointPx {
    let level_x = forward_px * facing.sign();
    let (sin_r, cos_r) = camera_roll_deg.to_radians().sin_cos();
    let dx = level_x * cos_r - up_px * sin_r;
    let up = level_x * sin_r + up_px * cos_r;
    PointPx::new(from.x + dx, from.y - up)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::testing::close;

    #[test]
    fn elevation_reference_axis_is_forward_horizontal() {
        let o = PointPx::new(100.0, 100.0);
        // Up and forward at 45 degrees for a subject facing right...
        assert!(close(
            elevation_deg(o, PointPx::new(110.0, 90.0), Facing::Right, 0.0),
            45.0
        ));
        // ...is up and backward (135) for one facing left.
        assert!(close(
            elevation_deg(o, PointPx::new(110.0, 90.0), Facing::Left, 0.0),
            135.0
        ));
        assert!(close(
            elevation_deg(o, PointPx::new(100.0, 50.0), Facing::Left, 0.0),
            90.0
        ));
        assert!(close(
            elevation_deg(o, PointPx::new(90.0, 100.0), Facing::Left, 0.0),
            0.0
        ));
        assert!(close(
            elevation_deg(o, PointPx::new(90.0, 110.0), Facing::Left, 0.0),
            -45.0
        ));
        // Straight back is 180, not -180: the range is (-180, 180].
        assert!(close(
            elevation_deg(o, PointPx::new(110.0, 100.0), Facing::Left, 0.0),
            180.0
        ));
    }

    #[test]
    fn camera_roll_is_undone() {
        // A camera rolled so that the true horizon rises 5 degrees to the right: a truly level
        // forward vector appears rotated by 5 degrees and must still read 0.
        let o = PointPx::new(0.0, 0.0);
        let r = 5f32.to_radians();
        let seen = PointPx::new(100.0 * r.cos(), -100.0 * r.sin());
        assert!(close(elevation_deg(o, seen, Facing::Right, 5.0), 0.0));
        let seen_left = PointPx::new(-100.0 * r.cos(), 100.0 * r.sin());
        assert!(close(elevation_deg(o, seen_left, Facing::Left, 5.0), 0.0));
    }

    #[test]
    fn offset_level_inverts_level_vector() {
        let o = PointPx::new(50.0, 70.0);
        for facing in [Facing::Left, Facing::Right] {
            for roll in [-7.0, 0.0, 12.0] {
                let p = offset_level(o, 13.0, -4.0, facing, roll);
                let v = level_vector(o, p, facing, roll);
                assert!(
                    close(v.forward_px, 13.0) && close(v.up_px, -4.0),
                    "{facing:?} {roll}: {v:?}"
                );
            }
        }
    }
}
