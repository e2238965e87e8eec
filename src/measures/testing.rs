//! A synthetic subject for unit tests: a rigid upper-body model in metres, turned by a yaw
//! and projected orthographically, so that tests can pose it exactly.

use crate::pose::{index, Landmark, PersonMask, Pose, Roi, WorldLandmark, NUM_LANDMARKS};

/// Subject-frame points (x to the subject's left, y up, z forward), metres.
fn body_points(head_forward_m: f32) -> [(f32, f32, f32); NUM_LANDMARKS] {
    let mut p = [(0.0, 0.0, 0.0); NUM_LANDMARKS];
    let f = head_forward_m;
    let head = |x: f32, y: f32, z: f32| (x, y - f * 0.3, z + f);
    p[index::NOSE] = head(0.0, 0.67, 0.11);
    p[index::LEFT_EYE_INNER] = head(0.015, 0.70, 0.09);
    p[index::LEFT_EYE] = head(0.032, 0.70, 0.085);
    p[index::LEFT_EYE_OUTER] = head(0.048, 0.70, 0.075);
    p[index::RIGHT_EYE_INNER] = head(-0.015, 0.70, 0.09);
    p[index::RIGHT_EYE] = head(-0.032, 0.70, 0.085);
    p[index::RIGHT_EYE_OUTER] = head(-0.048, 0.70, 0.075);
    p[index::LEFT_EAR] = head(0.075, 0.68, 0.0);
    p[index::RIGHT_EAR] = head(-0.075, 0.68, 0.0);
    p[index::MOUTH_LEFT] = head(0.025, 0.63, 0.09);
    p[index::MOUTH_RIGHT] = head(-0.025, 0.63, 0.09);
    p[index::LEFT_SHOULDER] = (0.18, 0.5, -0.02);
    p[index::RIGHT_SHOULDER] = (-0.18, 0.5, -0.02);
    p[index::LEFT_ELBOW] = (0.2, 0.22, -0.02);
    p[index::RIGHT_ELBOW] = (-0.2, 0.22, -0.02);
    p[index::LEFT_WRIST] = (0.2, 0.0, 0.05);
    p[index::RIGHT_WRIST] = (-0.2, 0.0, 0.05);
    for (i, side) in [(17, 1.0), (18, -1.0), (19, 1.0), (20, -1.0), (21, 1.0), (22, -1.0)] {
        p[i] = (0.2 * side, -0.05, 0.06);
    }
    p[index::LEFT_HIP] = (0.1, 0.0, 0.0);
    p[index::RIGHT_HIP] = (-0.1, 0.0, 0.0);
    p[index::LEFT_KNEE] = (0.1, -0.45, 0.0);
    p[index::RIGHT_KNEE] = (-0.1, -0.45, 0.0);
    p[index::LEFT_ANKLE] = (0.1, -0.9, 0.0);
    p[index::RIGHT_ANKLE] = (-0.1, -0.9, 0.0);
    for (i, side) in [(29, 1.0), (30, -1.0), (31, 1.0), (32, -1.0)] {
        p[i] = (0.1 * side, -0.95, if i >= 31 { 0.12 } else { -0.03 });
    }
    p
}

/// A segment's two ends and a radius: every point within the radius of the segment.
type Capsule = ((f32, f32, f32), (f32, f32, f32), f32);

/// The silhouette as capsules (subject frame, metres): torso, neck and head, so that the back
/// of the neck can be found on the person mask.
fn body_capsules(head_forward_m: f32) -> [Capsule; 3] {
    let f = head_forward_m;
    let head = |x: f32, y: f32, z: f32| (x, y - f * 0.3, z + f);
    [
        ((0.0, 0.05, -0.02), (0.0, 0.46, -0.04), 0.12),
        ((0.0, 0.47, -0.035), head(0.0, 0.63, -0.005), 0.055),
        (head(0.0, 0.70, 0.03), head(0.0, 0.70, 0.03), 0.1),
    ]
}

/// Distance from `p` to the segment `a`-`b`.
fn segment_distance(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
    let (ab, ap) = ((b.0 - a.0, b.1 - a.1), (p.0 - a.0, p.1 - a.1));
    let len2 = ab.0 * ab.0 + ab.1 * ab.1;
    let t = if len2 > 0.0 {
        ((ap.0 * ab.0 + ap.1 * ab.1) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p.0 - a.0 - t * ab.0).hypot(p.1 - a.1 - t * ab.1)
}

/// Pixels per metre and the image point of the subject's hips.
pub const SCALE_PX_PER_M: f32 = 400.0;
pub const HIP_PX: (f32, f32) = (320.0, 420.0);

/// A pose of the synthetic subject turned by `yaw_deg` (0 facing the camera, +90 left side
/// to the camera), its head pushed `head_forward_m` forward.
pub fn posed(yaw_deg: f32, head_forward_m: f32) -> Pose {
    let (s, c) = yaw_deg.to_radians().sin_cos();
    // Camera frame: x right, y down, z away from the camera; orthographic projection.
    let camera = |(x, y, z): (f32, f32, f32)| (x * c - z * s, -y, -x * s - z * c);
    let picture = |p: (f32, f32, f32)| {
        let cam = camera(p);
        (HIP_PX.0 + cam.0 * SCALE_PX_PER_M, HIP_PX.1 + cam.1 * SCALE_PX_PER_M)
    };
    let mut landmarks = [Landmark::default(); NUM_LANDMARKS];
    let mut world_landmarks = [WorldLandmark::default(); NUM_LANDMARKS];
    for (i, p) in body_points(head_forward_m).into_iter().enumerate() {
        let cam = camera(p);
        world_landmarks[i] = WorldLandmark {
            x_m: cam.0,
            y_m: cam.1,
            z_m: cam.2,
        };
        landmarks[i] = Landmark {
            x_px: HIP_PX.0 + cam.0 * SCALE_PX_PER_M,
            y_px: HIP_PX.1 + cam.1 * SCALE_PX_PER_M,
            z: cam.2 * SCALE_PX_PER_M,
            visibility: 0.99,
            presence: 0.99,
        };
    }
    let roi = Roi {
        center_x_px: HIP_PX.0,
        center_y_px: HIP_PX.1 - 200.0,
        size_px: 500.0,
        rotation_rad: 0.0,
    };
    let capsules: Vec<_> = body_capsules(head_forward_m)
        .into_iter()
        .map(|(a, b, r)| (picture(a), picture(b), r * SCALE_PX_PER_M))
        .collect();
    // A soft edge two pixels wide, like the model's.
    let mask = PersonMask::from_fn(roi, |x, y| {
        capsules
            .iter()
            .map(|&(a, b, r)| (0.5 + (r - segment_distance((x, y), a, b)) / 2.0).clamp(0.0, 1.0))
            .fold(0.0, f32::max)
    });
    Pose {
        score: 0.99,
        landmarks,
        world_landmarks,
        roi,
        mask: mask.into(),
        recropped: false,
        read_mirrored: false,
    }
}

/// Apply `to` to every landmark's pixel position and to the person mask (for invariance
/// tests); `from` is its inverse. The mask's ROI follows the map, so a similarity map (shift,
/// scale, rotation, mirror) carries every mask cell onto a cell of the new one.
pub fn map_pixels(pose: &Pose, to: impl Fn(f32, f32) -> (f32, f32), from: impl Fn(f32, f32) -> (f32, f32)) -> Pose {
    let mut out = pose.clone();
    for l in out.landmarks.iter_mut() {
        (l.x_px, l.y_px) = to(l.x_px, l.y_px);
    }
    let r = pose.roi;
    let centre = to(r.center_x_px, r.center_y_px);
    let (u_end, v_end) = (r.crop_to_image(1.0, 0.5), r.crop_to_image(0.5, 1.0));
    let (u_end, v_end) = (to(u_end.0, u_end.1), to(v_end.0, v_end.1));
    let roi = Roi {
        center_x_px: centre.0,
        center_y_px: centre.1,
        size_px: 2.0 * (u_end.0 - centre.0).hypot(u_end.1 - centre.1),
        rotation_rad: (centre.0 - v_end.0).atan2(v_end.1 - centre.1),
    };
    out.roi = roi;
    let mask = pose.mask.ready().expect("a computed mask");
    out.mask = PersonMask::from_fn(roi, |x, y| {
        let (ox, oy) = from(x, y);
        mask.probability_at(ox, oy)
    })
    .into();
    out
}

/// Two angles or lengths equal to within float noise.
pub fn close(a: f32, b: f32) -> bool {
    (a - b).abs() < 1e-3
}
