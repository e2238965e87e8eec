//! Annotated frames: the skeleton drawn over the picture, for a person to check by eye.

use crate::pose::{index, Pose, SKELETON};
use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_filled_circle_mut, draw_line_segment_mut};

const BONE: Rgb<u8> = Rgb([0, 230, 0]);
const JOINT: Rgb<u8> = Rgb([255, 255, 255]);
const HIDDEN: Rgb<u8> = Rgb([150, 150, 150]);
const MEASURED: Rgb<u8> = Rgb([255, 40, 200]);
const ROI: Rgb<u8> = Rgb([40, 140, 255]);
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
    let scale = (img.width().max(img.height()) as f32 / 500.0).max(1.0);
    let lm = &pose.landmarks;
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
    let corners = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)].map(|(u, v)| pose.roi.crop_to_image(u, v));
    for i in 0..4 {
        thick_line(img, corners[i], corners[(i + 1) % 4], scale, ROI);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pose::{Landmark, PersonMask, Roi, WorldLandmark, NUM_LANDMARKS};

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
            }),
            recropped: false,
        };
        let mut img = RgbImage::new(64, 64);
        draw_pose(&mut img, &pose);
        assert_eq!(*img.get_pixel(20, 20), MEASURED);
    }
}
