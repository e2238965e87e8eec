//! Outline geometry of the trunk and shoulders on the person mask, for the rounded-shoulder
//! research of issue 16 (`examples/shoulder_candidates.rs` evaluates it against the renders;
//! docs/measures.md, "Rounded shoulders: evidence"). Nothing here is reported yet: no side
//! candidate tracks the true forward shoulder angle, and the front shoulder-outline slope, which
//! does call protraction on the fixed-camera renders, cannot be told from a shoulder drop there.
//!
//! Side view: the back's outline below the C7 proxy ([`Trunk::back_at`]), summarised as a
//! photographic kyphosis index ([`kyphosis_index`], the Flexicurve index: the depth of the curve
//! behind its chord over the chord's length, times 100) or as the bend between an upper and a
//! lower part ([`bend_deg`]); the front outline at the shoulder and chest ([`Trunk::front_at`]).
//! Front view: the silhouette's width at a height ([`width_at`]) and its top above a point
//! ([`top_above`]).
//!
//! All walks go level or straight up against gravity (the camera roll is undone) and stop at
//! the first edge from person to background ([`walk_to_edge`]).

use super::geometry::{level_vector, offset_level, Facing, PointPx};
use super::neck::{walk_to_edge, Walk};

/// Walk step in head lengths (as for the neck) and the longest walk.
const STEP_HEADS: f32 = 0.01;
const MAX_WALK_HEADS: f32 = 6.0;

/// A side view's trunk in the picture: the C7 proxy, the camera-side shoulder and hip landmarks.
/// Heights along it are fractions `t` of the level height from C7 (0) down to the hip (1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trunk {
    pub c7: PointPx,
    pub shoulder: PointPx,
    pub hip: PointPx,
    pub facing: Facing,
    pub camera_roll_deg: f32,
    pub head_length_px: f32,
}

impl Trunk {
    /// A point inside the trunk at height `t`: on the line through the shoulder and hip
    /// landmarks (joint centres, inside the body), extended above the shoulder where `t` asks.
    /// `None` when the trunk has no height or the points are not finite.
    pub fn inside_at(&self, t: f32) -> Option<PointPx> {
        let up = |p: PointPx| level_vector(self.shoulder, p, self.facing, self.camera_roll_deg).up_px;
        let (c7_up, hip_up) = (up(self.c7), up(self.hip));
        if !(c7_up - hip_up > 1.0 && hip_up < 0.0 && t.is_finite()) {
            return None;
        }
        let height = c7_up + t * (hip_up - c7_up);
        let u = height / hip_up;
        let p = PointPx::new(
            self.shoulder.x + u * (self.hip.x - self.shoulder.x),
            self.shoulder.y + u * (self.hip.y - self.shoulder.y),
        );
        p.is_finite().then_some(p)
    }

    /// The back's outline at height `t`: walking level and backwards from inside the trunk.
    pub fn back_at(&self, probability_at: &impl Fn(PointPx) -> f32, t: f32) -> Option<PointPx> {
        self.level_edge(probability_at, t, -1.0)
    }

    /// The front outline at height `t` (the chest, the front of the shoulder, or an arm held in
    /// front of them): walking level and forwards from inside the trunk.
    pub fn front_at(&self, probability_at: &impl Fn(PointPx) -> f32, t: f32) -> Option<PointPx> {
        self.level_edge(probability_at, t, 1.0)
    }

    fn level_edge(&self, probability_at: &impl Fn(PointPx) -> f32, t: f32, forward: f32) -> Option<PointPx> {
        let start = self.inside_at(t)?;
        let walk = level_walk(forward, self.head_length_px)?;
        walk_to_edge(probability_at, start, walk, self.facing, self.camera_roll_deg)
    }

    /// `p` relative to C7 in head lengths: (ahead of C7, above C7).
    pub fn from_c7_heads(&self, p: PointPx) -> (f32, f32) {
        let v = level_vector(self.c7, p, self.facing, self.camera_roll_deg);
        (v.forward_px / self.head_length_px, v.up_px / self.head_length_px)
    }
}

fn level_walk(forward: f32, head_length_px: f32) -> Option<Walk> {
    (head_length_px.is_finite() && head_length_px > 0.0).then_some(Walk {
        forward,
        up: 0.0,
        step_px: STEP_HEADS * head_length_px,
        max_px: MAX_WALK_HEADS * head_length_px,
    })
}

/// The Flexicurve kyphosis index of an outline traced from top to bottom: how far the outline
/// bulges backwards behind the chord from its first to its last point (its deepest point), over
/// the chord's length, times 100. 0 for a straight back, positive for a rounded one, negative
/// when the outline is hollow (its point furthest from the chord lies in front of it). `None` for fewer than three points or a chord without length.
pub fn kyphosis_index(outline: &[PointPx], facing: Facing, camera_roll_deg: f32) -> Option<f32> {
    let (first, last) = (*outline.first()?, *outline.last()?);
    if outline.len() < 3 {
        return None;
    }
    let chord = level_vector(first, last, facing, camera_roll_deg);
    let length = chord.forward_px.hypot(chord.up_px);
    if length.is_nan() || length <= 0.0 {
        return None;
    }
    // Signed distance from the chord, positive behind it: the chord runs downwards, so its
    // left-hand normal (forward, up) = (up, -forward) / length points backwards.
    let behind = |p: PointPx| {
        let v = level_vector(first, p, facing, camera_roll_deg);
        (v.forward_px * chord.up_px - v.up_px * chord.forward_px) / length
    };
    // The interior point furthest from the chord, behind or in front of it.
    let depth = outline[1..outline.len() - 1]
        .iter()
        .map(|p| behind(*p))
        .max_by(|a, b| a.abs().total_cmp(&b.abs()))?;
    let sign = if chord.up_px < 0.0 { 1.0 } else { -1.0 };
    Some(100.0 * sign * depth / length)
}

/// How much further forward the upper part of an outline leans than its lower part, in degrees:
/// each part from its lower to its upper end, leaning from the vertical (forward positive). A
/// back rounded at the top bends positive.
pub fn bend_deg(upper: (PointPx, PointPx), lower: (PointPx, PointPx), facing: Facing, camera_roll_deg: f32) -> f32 {
    let lean = |(top, bottom): (PointPx, PointPx)| {
        let v = level_vector(bottom, top, facing, camera_roll_deg);
        v.forward_px.atan2(v.up_px).to_degrees()
    };
    lean(upper) - lean(lower)
}

/// Front view: the silhouette's two edges level with `centre` (which must lie inside it),
/// walking level to the picture's left and right; `None` when either edge is not found within
/// reach.
pub fn width_at(
    probability_at: &impl Fn(PointPx) -> f32,
    centre: PointPx,
    camera_roll_deg: f32,
    head_length_px: f32,
) -> Option<(PointPx, PointPx)> {
    let walk = level_walk(1.0, head_length_px)?;
    let left = walk_to_edge(probability_at, centre, walk, Facing::Left, camera_roll_deg)?;
    let right = walk_to_edge(probability_at, centre, walk, Facing::Right, camera_roll_deg)?;
    Some((left, right))
}

/// The silhouette's top edge straight above `start` (against gravity).
pub fn top_above(
    probability_at: &impl Fn(PointPx) -> f32,
    start: PointPx,
    camera_roll_deg: f32,
    head_length_px: f32,
) -> Option<PointPx> {
    let walk = Walk {
        up: 1.0,
        forward: 0.0,
        ..level_walk(1.0, head_length_px)?
    };
    walk_to_edge(probability_at, start, walk, Facing::Right, camera_roll_deg)
}

/// A point `heads` head lengths level and forward of `p` (backward when negative).
pub fn ahead(p: PointPx, heads: f32, trunk: &Trunk) -> PointPx {
    offset_level(
        p,
        heads * trunk.head_length_px,
        0.0,
        trunk.facing,
        trunk.camera_roll_deg,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A subject facing right whose back is the line x = back_x + lean * (y - 100).
    fn leaning_back(back_x: f32, lean: f32) -> impl Fn(PointPx) -> f32 {
        move |p: PointPx| {
            let edge = back_x + lean * (p.y - 100.0);
            if p.x >= edge && p.x <= edge + 80.0 {
                1.0
            } else {
                0.0
            }
        }
    }

    fn trunk(facing: Facing) -> Trunk {
        let s = facing.sign();
        Trunk {
            c7: PointPx::new(200.0 - 20.0 * s, 100.0),
            shoulder: PointPx::new(200.0, 120.0),
            hip: PointPx::new(200.0, 300.0),
            facing,
            camera_roll_deg: 0.0,
            head_length_px: 20.0,
        }
    }

    #[test]
    fn the_back_is_found_on_a_straight_leaning_outline() {
        let t = trunk(Facing::Right);
        let mask = leaning_back(170.0, 0.1);
        for k in [0.0, 0.25, 0.5] {
            let b = t.back_at(&mask, k).unwrap();
            let y = 100.0 + k * 200.0;
            assert!((b.y - y).abs() < 1e-3, "{b:?}");
            assert!((b.x - (170.0 + 0.1 * (y - 100.0))).abs() < STEP_HEADS * 20.0, "{b:?}");
        }
        // The front of the same band is 80 px ahead of the back.
        let f = t.front_at(&mask, 0.25).unwrap();
        assert!((f.x - (170.0 + 5.0 + 80.0)).abs() < STEP_HEADS * 20.0, "{f:?}");
    }

    #[test]
    fn a_trunk_without_height_has_no_inside() {
        let mut t = trunk(Facing::Right);
        t.hip = PointPx::new(200.0, 90.0);
        assert!(t.inside_at(0.5).is_none());
        assert!(t.back_at(&|_| 1.0, 0.5).is_none());
    }

    #[test]
    fn the_kyphosis_index_of_a_straight_back_is_zero_and_of_an_arc_its_depth_ratio() {
        let straight: Vec<PointPx> = (0..5)
            .map(|k| PointPx::new(100.0 + k as f32, 100.0 + 20.0 * k as f32))
            .collect();
        assert!(kyphosis_index(&straight, Facing::Right, 0.0).unwrap().abs() < 1e-3);
        // An arc of radius 100 bulging backwards (to -x for a subject facing right) over a chord
        // of 100 px: depth 100 - sqrt(100^2 - 50^2) = 13.40, index 13.40.
        let arc: Vec<PointPx> = (0..=20)
            .map(|k| {
                let y = -50.0 + 5.0 * k as f32;
                PointPx::new(100.0 - ((100.0f32).powi(2) - y * y).sqrt() + 86.6025, 200.0 + y)
            })
            .collect();
        let ki = kyphosis_index(&arc, Facing::Right, 0.0).unwrap();
        assert!((ki - 13.397).abs() < 0.01, "{ki}");
        // Mirrored for a subject facing left: the same index.
        let mirrored: Vec<PointPx> = arc.iter().map(|p| PointPx::new(400.0 - p.x, p.y)).collect();
        assert!((kyphosis_index(&mirrored, Facing::Left, 0.0).unwrap() - ki).abs() < 1e-3);
        // Hollow (bulging forwards): negative.
        assert!(kyphosis_index(&mirrored, Facing::Right, 0.0).unwrap() < -13.0);
        assert!(kyphosis_index(&arc[..2], Facing::Right, 0.0).is_none());
    }

    #[test]
    fn an_upper_back_leaning_further_forward_bends_positive() {
        let lower = (PointPx::new(100.0, 200.0), PointPx::new(100.0, 300.0));
        let upper = (PointPx::new(120.0, 100.0), PointPx::new(100.0, 200.0));
        let bend = bend_deg(upper, lower, Facing::Right, 0.0);
        assert!((bend - 20f32.atan2(100.0).to_degrees()).abs() < 1e-3, "{bend}");
        let mirror = |(a, b): (PointPx, PointPx)| (PointPx::new(-a.x, a.y), PointPx::new(-b.x, b.y));
        assert!((bend_deg(mirror(upper), mirror(lower), Facing::Left, 0.0) - bend).abs() < 1e-3);
    }

    #[test]
    fn width_and_top_of_a_rectangle() {
        let rect = |p: PointPx| {
            if (100.0..=260.0).contains(&p.x) && (150.0..=400.0).contains(&p.y) {
                1.0
            } else {
                0.0
            }
        };
        let (l, r) = width_at(&rect, PointPx::new(180.0, 200.0), 0.0, 20.0).unwrap();
        assert!((l.x - 100.0).abs() < 0.2 && (r.x - 260.0).abs() < 0.2, "{l:?} {r:?}");
        let top = top_above(&rect, PointPx::new(180.0, 200.0), 0.0, 20.0).unwrap();
        assert!((top.y - 150.0).abs() < 0.2 && (top.x - 180.0).abs() < 1e-3, "{top:?}");
        assert!(width_at(&|_| 1.0, PointPx::new(180.0, 200.0), 0.0, 20.0).is_none());
    }

    proptest! {
        #[test]
        fn either_facing_finds_the_same_back(lean in -0.15f32..0.15, t in 0.0f32..0.8) {
            let right = trunk(Facing::Right);
            let left = trunk(Facing::Left);
            let mask_r = leaning_back(170.0, lean);
            let mirrored = leaning_back(170.0, lean);
            let mask_l = move |p: PointPx| mirrored(PointPx::new(400.0 - p.x, p.y));
            let (br, bl) = (right.back_at(&mask_r, t).unwrap(), left.back_at(&mask_l, t).unwrap());
            prop_assert!((br.x - (400.0 - bl.x)).abs() < 1e-2 && (br.y - bl.y).abs() < 1e-3);
            let (fr, ur) = right.from_c7_heads(br);
            let (fl, ul) = left.from_c7_heads(bl);
            prop_assert!((fr - fl).abs() < 1e-3 && (ur - ul).abs() < 1e-3);
        }
    }
}
