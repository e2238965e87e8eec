//! Regions of interest: the rotated square that the landmark model looks through.
//!
//! Coordinates are image pixels in the convention `x_px = normalised_x * width`, which is
//! the one MediaPipe's landmarks use, so our numbers compare directly with its output.
//! Rotation is in radians, clockwise on screen (image y points down), 0 = person upright.

use std::f32::consts::PI;

/// Scale from the alignment points' box to the crop the model was trained on
/// (MediaPipe `pose_detection_to_roi.pbtxt` and `pose_landmarks_to_roi.pbtxt`: 1.25).
pub const ROI_SCALE: f32 = 1.25;

/// A rotated square in image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roi {
    pub center_x_px: f32,
    pub center_y_px: f32,
    pub size_px: f32,
    pub rotation_rad: f32,
}

impl Roi {
    /// The ROI from two alignment points: `center` (mid-hip) and `scale_point` (a point whose
    /// distance from the centre is half the body's extent and whose direction is "up" the body).
    /// The body axis is turned to point up (target angle 90 degrees), and the square is the
    /// extent enlarged by [`ROI_SCALE`].
    pub fn from_alignment_points(center: (f32, f32), scale_point: (f32, f32)) -> Roi {
        let (dx, dy) = (scale_point.0 - center.0, scale_point.1 - center.1);
        let extent = 2.0 * (dx * dx + dy * dy).sqrt();
        // atan2 with -dy because image y grows downwards; an upright body has angle 90 degrees.
        let rotation = normalize_radians(PI / 2.0 - (-dy).atan2(dx));
        Roi {
            center_x_px: center.0,
            center_y_px: center.1,
            size_px: extent * ROI_SCALE,
            rotation_rad: rotation,
        }
    }

    /// Map a point given in crop coordinates normalised to [0, 1] to image pixels.
    pub fn crop_to_image(&self, u: f32, v: f32) -> (f32, f32) {
        let (du, dv) = ((u - 0.5) * self.size_px, (v - 0.5) * self.size_px);
        let (sin, cos) = self.rotation_rad.sin_cos();
        (
            self.center_x_px + cos * du - sin * dv,
            self.center_y_px + sin * du + cos * dv,
        )
    }

    /// The inverse of [`Self::crop_to_image`]: image pixels to normalised crop coordinates.
    pub fn image_to_crop(&self, x_px: f32, y_px: f32) -> (f32, f32) {
        let (dx, dy) = (x_px - self.center_x_px, y_px - self.center_y_px);
        let (sin, cos) = self.rotation_rad.sin_cos();
        (
            0.5 + (cos * dx + sin * dy) / self.size_px,
            0.5 + (-sin * dx + cos * dy) / self.size_px,
        )
    }

    /// Rotate a vector from crop orientation into image orientation (used for world landmarks).
    pub fn rotate(&self, x: f32, y: f32) -> (f32, f32) {
        let (sin, cos) = self.rotation_rad.sin_cos();
        (cos * x - sin * y, sin * x + cos * y)
    }

    /// Whether the square lies entirely outside an image of the given size.
    pub fn misses_image(&self, width: u32, height: u32) -> bool {
        let r = self.size_px * std::f32::consts::FRAC_1_SQRT_2;
        self.center_x_px + r < 0.0
            || self.center_y_px + r < 0.0
            || self.center_x_px - r > width as f32
            || self.center_y_px - r > height as f32
    }
}

/// Wrap an angle into [-pi, pi).
pub fn normalize_radians(angle: f32) -> f32 {
    angle - 2.0 * PI * ((angle + PI) / (2.0 * PI)).floor()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upright_body_has_zero_rotation() {
        let roi = Roi::from_alignment_points((100.0, 200.0), (100.0, 100.0));
        assert!(roi.rotation_rad.abs() < 1e-6);
        assert!((roi.size_px - 2.0 * 100.0 * ROI_SCALE).abs() < 1e-3);
    }

    #[test]
    fn body_lying_to_the_right_is_rotated_a_quarter_turn() {
        // Head to the right of the hips: the crop must turn 90 degrees so the head is up.
        let roi = Roi::from_alignment_points((100.0, 100.0), (150.0, 100.0));
        assert!((roi.rotation_rad - PI / 2.0).abs() < 1e-6, "{}", roi.rotation_rad);
        // The top of the crop (v = 0) lies towards the head.
        let (x, _) = roi.crop_to_image(0.5, 0.0);
        assert!(x > 100.0);
    }

    #[test]
    fn crop_centre_and_corners_map_back() {
        let roi = Roi {
            center_x_px: 50.0,
            center_y_px: 60.0,
            size_px: 40.0,
            rotation_rad: 0.0,
        };
        assert_eq!(roi.crop_to_image(0.5, 0.5), (50.0, 60.0));
        assert_eq!(roi.crop_to_image(0.0, 0.0), (30.0, 40.0));
        assert_eq!(roi.crop_to_image(1.0, 1.0), (70.0, 80.0));
    }

    #[test]
    fn image_to_crop_inverts_crop_to_image() {
        let roi = Roi {
            center_x_px: 50.0,
            center_y_px: 60.0,
            size_px: 40.0,
            rotation_rad: 0.7,
        };
        for (u, v) in [(0.0, 0.0), (0.25, 0.9), (1.0, 0.5)] {
            let (x, y) = roi.crop_to_image(u, v);
            let (u2, v2) = roi.image_to_crop(x, y);
            assert!((u - u2).abs() < 1e-5 && (v - v2).abs() < 1e-5, "{u},{v} -> {u2},{v2}");
        }
    }

    #[test]
    fn normalize_wraps_into_half_open_range() {
        for a in [-7.0f32, -PI, 0.0, 3.0, PI, 10.0] {
            let n = normalize_radians(a);
            assert!((-PI..PI).contains(&n), "{a} -> {n}");
            assert!(((n - a) / (2.0 * PI)).fract().abs() < 1e-5 || ((n - a) / (2.0 * PI)).fract().abs() > 1.0 - 1e-5);
        }
    }

    #[test]
    fn misses_image_only_when_fully_outside() {
        let inside = Roi {
            center_x_px: 10.0,
            center_y_px: 10.0,
            size_px: 20.0,
            rotation_rad: 0.3,
        };
        assert!(!inside.misses_image(100, 100));
        let far = Roi {
            center_x_px: -100.0,
            center_y_px: 10.0,
            size_px: 20.0,
            rotation_rad: 0.0,
        };
        assert!(far.misses_image(100, 100));
    }
}
