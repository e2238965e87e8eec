//! Annotated frames: the skeleton drawn over the picture, for a person to check by eye.

use crate::measures::geometry::PointPx;
use crate::measures::{SideMeasures, View};
use crate::pose::{index, Landmark, Pose, NUM_LANDMARKS, SKELETON};
use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_filled_circle_mut, draw_line_segment_mut};

const BONE: Rgb<u8> = Rgb([0, 230, 0]);
const JOINT: Rgb<u8> = Rgb([255, 255, 255]);
const HIDDEN: Rgb<u8> = Rgb([150, 150, 150]);
const MEASURED: Rgb<u8> = Rgb([255, 40, 200]);
const ROI: Rgb<u8> = Rgb([40, 140, 255]);
const ANGLE: Rgb<u8> = Rgb([255, 200, 0]);
const SUBJECT: Rgb<u8> = Rgb([0, 200, 255]);
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

/// Frame the measured subject's head and shoulders (for a picture with other people in it, so
/// that a reader sees which person the numbers are about).
pub fn draw_subject_box(img: &mut RgbImage, lm: &[Landmark; NUM_LANDMARKS]) {
    let upper = &lm[..=index::RIGHT_SHOULDER];
    let xs = upper.iter().map(|l| l.x_px).filter(|v| v.is_finite());
    let ys = upper.iter().map(|l| l.y_px).filter(|v| v.is_finite());
    let (x0, x1) = xs.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let (y0, y1) = ys.fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !(x0 <= x1 && y0 <= y1) {
        return;
    }
    let margin = 0.4 * (x1 - x0).max(y1 - y0).max(10.0);
    let (x0, x1, y0, y1) = (x0 - margin, x1 + margin, y0 - margin, y1 + margin);
    let corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)];
    for i in 0..4 {
        thick_line(img, corners[i], corners[(i + 1) % 4], 2.0 * line_scale(img), SUBJECT);
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

/// The annotated key frame as PNG bytes: `image` with the measured subject's skeleton (only
/// theirs, so that a reader sees who was measured when others were in view) and how the angle
/// was read (`side`'s ear and C7 point, the level line towards the face, the arc). `view` is the
/// frame's view (the face points right for [`View::SideRight`]).
pub fn keyframe_png(
    image: &RgbImage,
    landmarks: &[Landmark; NUM_LANDMARKS],
    side: &SideMeasures,
    view: View,
) -> Vec<u8> {
    let mut image = image.clone();
    draw_skeleton(&mut image, landmarks);
    draw_cva(&mut image, side.ear_px, side.c7_px, view == View::SideRight);
    png_bytes(&image)
}

/// `image` as PNG bytes, in memory.
pub fn png_bytes(image: &RgbImage) -> Vec<u8> {
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("a decoded frame (never empty) encodes as PNG in memory");
    png
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
            read_mirrored: false,
        };
        let mut img = RgbImage::new(64, 64);
        draw_pose(&mut img, &pose);
        assert_eq!(*img.get_pixel(20, 20), MEASURED);
    }

    #[test]
    fn the_subject_box_frames_the_head_and_shoulders_only() {
        let mut landmarks = [Landmark {
            x_px: 150.0,
            y_px: 190.0,
            z: 0.0,
            visibility: 0.9,
            presence: 0.9,
        }; NUM_LANDMARKS];
        landmarks[index::NOSE].x_px = 100.0;
        landmarks[index::NOSE].y_px = 100.0;
        landmarks[index::LEFT_SHOULDER].x_px = 140.0;
        landmarks[index::LEFT_SHOULDER].y_px = 140.0;
        let mut img = RgbImage::new(200, 200);
        draw_subject_box(&mut img, &landmarks);
        // Head and shoulders span 100-150 x 100-190: the box lies 0.4 of the larger span outside.
        let framed: Vec<(u32, u32)> = img
            .enumerate_pixels()
            .filter(|(_, _, p)| **p == SUBJECT)
            .map(|(x, y, _)| (x, y))
            .collect();
        assert!(!framed.is_empty());
        assert!(
            framed.iter().all(|&(x, y)| (60..=190).contains(&x) && y >= 60),
            "{:?}",
            framed.first()
        );
        assert_ne!(*img.get_pixel(125, 140), SUBJECT);
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
