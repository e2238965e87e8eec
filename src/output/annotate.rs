//! Annotated frames: the skeleton drawn over the picture, for a person to check by eye.

use crate::measures::geometry::PointPx;
use crate::pose::{index, Landmark, Pose, NUM_LANDMARKS, SKELETON};
use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_filled_circle_mut, draw_line_segment_mut};

const BONE: Rgb<u8> = Rgb([0, 230, 0]);
const JOINT: Rgb<u8> = Rgb([255, 255, 255]);
const HIDDEN: Rgb<u8> = Rgb([150, 150, 150]);
const MEASURED: Rgb<u8> = Rgb([255, 40, 200]);
const ROI: Rgb<u8> = Rgb([40, 140, 255]);
const ANGLE: Rgb<u8> = Rgb([255, 200, 0]);
/// Landmarks below this visibility are drawn grey: the model guesses where they are.
const VISIBLE: f32 = 0.5;

fn thick_line(img: &mut RgbImage, a: (f32, f32), b: (f32, f32), width: f32, color: Rgb<u8>) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = dx.hypot(dy).max(1e-6);
    let (nx, ny) = (-dy / len, dx / len);
    let steps = width.ceil() as i32;
    for s in 0..steps {
        let o = s as f32 - (steps - 1) as f32 / 2.0;
        draw_line_segment_mut(img, (a.0 + nx * o, a.1 + ny * o), (b.0 + nx * o, b.1 + ny * o), color);
    }
}

/// Draw the pose (skeleton, joints, the ROI square) on `img`. The ears and shoulders, the
/// points posture is measured from, are drawn larger in magenta.
pub fn draw_pose(img: &mut RgbImage, pose: &Pose) {
    let scale = line_scale(img);
    draw_skeleton(img, &pose.landmarks);
    let corners = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)].map(|(u, v)| pose.roi.crop_to_image(u, v));
    for i in 0..4 {
        thick_line(img, corners[i], corners[(i + 1) % 4], scale, ROI);
    }
}

fn line_scale(img: &RgbImage) -> f32 {
    (img.width().max(img.height()) as f32 / 500.0).max(1.0)
}

/// Draw the skeleton of the measured subject (bones, joints; the measured points larger).
pub fn draw_skeleton(img: &mut RgbImage, lm: &[Landmark; NUM_LANDMARKS]) {
    let scale = line_scale(img);
    for &(a, b) in SKELETON {
        let color = if lm[a].visibility >= VISIBLE && lm[b].visibility >= VISIBLE {
            BONE
        } else {
            HIDDEN
        };
        thick_line(
            img,
            (lm[a].x_px, lm[a].y_px),
            (lm[b].x_px, lm[b].y_px),
            1.5 * scale,
            color,
        );
    }
    let measured = [
        index::NOSE,
        index::LEFT_EAR,
        index::RIGHT_EAR,
        index::LEFT_SHOULDER,
        index::RIGHT_SHOULDER,
    ];
    for (k, l) in lm.iter().enumerate() {
        let (color, r) = if measured.contains(&k) {
            (MEASURED, 3.5 * scale)
        } else if l.visibility >= VISIBLE {
            (JOINT, 2.0 * scale)
        } else {
            (HIDDEN, 2.0 * scale)
        };
        draw_filled_circle_mut(
            img,
            (l.x_px.round() as i32, l.y_px.round() as i32),
            r.round() as i32,
            color,
        );
    }
}

/// Draw how the craniovertebral angle was read: the horizontal through the C7 point towards
/// the face, the line C7 -> ear, and an arc between them (`cva_deg` is the corrected angle, so
/// the arc spans the raw angle the lines make and is labelled by neither).
pub fn draw_cva(img: &mut RgbImage, ear: PointPx, c7: PointPx, facing_right: bool) {
    let scale = line_scale(img);
    let length = ear.distance_px(c7).max(10.0);
    let towards_face = if facing_right { 1.0 } else { -1.0 };
    let level_end = (c7.x + towards_face * length * 1.2, c7.y);
    thick_line(img, (c7.x, c7.y), level_end, 1.5 * scale, ANGLE);
    thick_line(img, (c7.x, c7.y), (ear.x, ear.y), 2.0 * scale, ANGLE);
    let end_deg = (c7.y - ear.y).atan2(towards_face * (ear.x - c7.x)).to_degrees();
    let radius = 0.45 * length;
    let steps = end_deg.abs().ceil().max(1.0) as usize;
    let point_at = |deg: f32| {
        let r = deg.to_radians();
        (c7.x + towards_face * radius * r.cos(), c7.y - radius * r.sin())
    };
    for k in 0..steps {
        let (a, b) = (
            end_deg * k as f32 / steps as f32,
            end_deg * (k + 1) as f32 / steps as f32,
        );
        thick_line(img, point_at(a), point_at(b), 1.5 * scale, ANGLE);
    }
    for p in [ear, c7] {
        draw_filled_circle_mut(
            img,
            (p.x.round() as i32, p.y.round() as i32),
            (4.0 * scale).round() as i32,
            ANGLE,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pose::{PersonMask, Roi, WorldLandmark};

    #[test]
    fn drawing_marks_the_ear_and_survives_points_off_the_image() {
        let mut landmarks = [Landmark {
            x_px: -50.0,
            y_px: 1e6,
            z: 0.0,
            visibility: 0.9,
            presence: 0.9,
        }; NUM_LANDMARKS];
        landmarks[index::LEFT_EAR] = Landmark {
            x_px: 20.0,
            y_px: 20.0,
            z: 0.0,
            visibility: 0.9,
            presence: 0.9,
        };
        let pose = Pose {
            score: 1.0,
            landmarks,
            world_landmarks: [WorldLandmark::default(); NUM_LANDMARKS],
            roi: Roi {
                center_x_px: 20.0,
                center_y_px: 20.0,
                size_px: 30.0,
                rotation_rad: 0.4,
            },
            mask: PersonMask::empty(Roi {
                center_x_px: 20.0,
                center_y_px: 20.0,
                size_px: 30.0,
                rotation_rad: 0.4,
            })
            .into(),
            recropped: false,
        };
        let mut img = RgbImage::new(64, 64);
        draw_pose(&mut img, &pose);
        assert_eq!(*img.get_pixel(20, 20), MEASURED);
    }

    #[test]
    fn the_angle_is_drawn_at_c7_and_the_ear() {
        let mut img = RgbImage::new(200, 200);
        draw_cva(&mut img, PointPx::new(140.0, 60.0), PointPx::new(100.0, 120.0), true);
        assert_eq!(*img.get_pixel(140, 60), ANGLE);
        assert_eq!(*img.get_pixel(100, 120), ANGLE);
        // The level line runs towards the face, not behind the neck.
        assert_eq!(*img.get_pixel(150, 120), ANGLE);
        assert_ne!(*img.get_pixel(50, 120), ANGLE);
    }
}
