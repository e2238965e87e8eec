//! The C7 point from the picture: the back of the neck, read off the person mask.
//!
//! BlazePose has no C7 point, and a C7 built from its shoulder landmarks barely moves with
//! posture (the landmark shoulder follows a forward head about a quarter of the way), so the
//! craniovertebral angle it gives moves less than half a degree per true degree. The back of the
//! neck, though, is in the picture: it is the silhouette's outline behind the line from the ear
//! to the near shoulder, and C7, the prominent spinous process at the base of the neck, lies on
//! it. The C7 proxy is the mean of that outline at a band of heights between the ear and the
//! shoulder ([`NeckBand`], fitted on renders with known C7: docs/measures.md). Each outline point
//! is found by walking level and backwards (against gravity, so the camera roll is undone) from
//! the ear-shoulder line to where the person probability drops below one half.
//!
//! Hair over the neck, a high collar or a hood moves the outline back and makes the angle read
//! low; the renders have none of these.

use super::geometry::{offset_level, Facing, PointPx};

/// Where on the way down from the ear (0) to the near shoulder (1) the outline is sampled.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NeckBand {
    pub from: f32,
    pub to: f32,
}

/// Outline points averaged over the band.
const SAMPLES: usize = 5;
/// The silhouette's edge: person probability one half (MediaPipe's threshold for the mask).
const EDGE_PROBABILITY: f32 = 0.5;
/// The longest walk back from the ear-shoulder line, in head lengths. On the renders the back of
/// the neck lies 0.6-3.1 head lengths behind that line (median 1.2; lower samples reach the upper
/// back); an outline further back than this is not a neck (the mask has merged the subject with
/// something behind them).
pub const MAX_NECK_DEPTH_HEADS: f32 = 4.0;
/// Walk step, in head lengths: a fraction of a mask cell (the crop spans well over ten head
/// lengths in 256 cells), and a fixed share of the body so that the outline found does not
/// depend on the picture's scale.
const STEP_HEADS: f32 = 0.01;

/// The C7 proxy, or `None` when the back of the neck is not outlined: for some sample, no edge
/// from person to background lies within [`MAX_NECK_DEPTH_HEADS`] behind the ear-shoulder line.
pub fn neck_outline_c7(
    probability_at: impl Fn(PointPx) -> f32,
    ear: PointPx,
    shoulder: PointPx,
    band: NeckBand,
    facing: Facing,
    camera_roll_deg: f32,
    head_length_px: f32,
) -> Option<PointPx> {
    if !(head_length_px.is_finite() && head_length_px > 0.0) {
        return None;
    }
    let (mut sum_x, mut sum_y) = (0.0, 0.0);
    for k in 0..SAMPLES {
        let t = band.from + (band.to - band.from) * k as f32 / (SAMPLES - 1) as f32;
        let start = PointPx::new(ear.x + t * (shoulder.x - ear.x), ear.y + t * (shoulder.y - ear.y));
        let edge = outline_behind(&probability_at, start, facing, camera_roll_deg, head_length_px)?;
        sum_x += edge.x;
        sum_y += edge.y;
    }
    Some(PointPx::new(sum_x / SAMPLES as f32, sum_y / SAMPLES as f32))
}

/// Walk back from `start` to where the silhouette ends (see [`walk_to_edge`]).
fn outline_behind(
    probability_at: &impl Fn(PointPx) -> f32,
    start: PointPx,
    facing: Facing,
    camera_roll_deg: f32,
    head_length_px: f32,
) -> Option<PointPx> {
    let walk = Walk {
        forward: -1.0,
        up: 0.0,
        step_px: STEP_HEADS * head_length_px,
        max_px: MAX_NECK_DEPTH_HEADS * head_length_px,
    };
    walk_to_edge(probability_at, start, walk, facing, camera_roll_deg)
}

/// A straight walk over the person mask: a unit direction in the level frame (`forward` along
/// the way the subject faces, `up` against gravity), its step and its reach, in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Walk {
    pub forward: f32,
    pub up: f32,
    pub step_px: f32,
    pub max_px: f32,
}

/// Walk from `start` along `walk` to where the silhouette ends: the first crossing of the edge
/// from person to background, placed between the two samples that straddle it by linear
/// interpolation. A start outside the person (just in front of the neck, say: the landmark
/// shoulder can sit ahead of it) first walks into the person. `None` when no such edge lies
/// within the walk's reach, or the mask says nothing (NaN).
pub fn walk_to_edge(
    probability_at: &impl Fn(PointPx) -> f32,
    start: PointPx,
    walk: Walk,
    facing: Facing,
    camera_roll_deg: f32,
) -> Option<PointPx> {
    if !(walk.step_px > 0.0 && walk.step_px.is_finite() && walk.max_px.is_finite()) {
        return None;
    }
    let at_depth = |d: f32| offset_level(start, walk.forward * d, walk.up * d, facing, camera_roll_deg);
    let mut previous = probability_at(start);
    let mut entered = previous >= EDGE_PROBABILITY;
    let mut depth = 0.0;
    while depth < walk.max_px {
        let next = probability_at(at_depth(depth + walk.step_px));
        if next.is_nan() || previous.is_nan() {
            return None;
        }
        if entered && next < EDGE_PROBABILITY {
            let fraction = (previous - EDGE_PROBABILITY) / (previous - next);
            return Some(at_depth(depth + fraction * walk.step_px));
        }
        entered |= next >= EDGE_PROBABILITY;
        previous = next;
        depth += walk.step_px;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BAND: NeckBand = NeckBand { from: 0.4, to: 0.8 };

    /// A subject facing right whose silhouette ends at x = `back_x` (a straight vertical back).
    fn wall(back_x: f32) -> impl Fn(PointPx) -> f32 {
        move |p: PointPx| if p.x >= back_x { 1.0 } else { 0.0 }
    }

    #[test]
    fn finds_a_straight_back_at_the_band_centre() {
        let (ear, shoulder) = (PointPx::new(100.0, 100.0), PointPx::new(90.0, 150.0));
        let c7 = neck_outline_c7(wall(70.0), ear, shoulder, BAND, Facing::Right, 0.0, 40.0).unwrap();
        // Mean height of samples at 0.4..0.8 of the way down: 0.6.
        assert!((c7.y - 130.0).abs() < 1e-3, "{c7:?}");
        assert!((c7.x - 70.0).abs() < STEP_HEADS * 40.0, "{c7:?}");
    }

    #[test]
    fn a_soft_edge_is_placed_at_one_half() {
        // Probability falls linearly from 1 at x = 80 to 0 at x = 60: one half at x = 70.
        let soft = |p: PointPx| ((p.x - 60.0) / 20.0).clamp(0.0, 1.0);
        let (ear, shoulder) = (PointPx::new(100.0, 100.0), PointPx::new(100.0, 150.0));
        let c7 = neck_outline_c7(soft, ear, shoulder, BAND, Facing::Right, 0.0, 40.0).unwrap();
        assert!((c7.x - 70.0).abs() < 1e-3, "{c7:?}");
    }

    #[test]
    fn a_start_in_front_of_the_neck_walks_through_it() {
        // The neck spans x = 60..90; the ear-shoulder line at x = 100 lies in front of it.
        let neck = |p: PointPx| if (60.0..=90.0).contains(&p.x) { 1.0 } else { 0.0 };
        let (ear, shoulder) = (PointPx::new(100.0, 100.0), PointPx::new(100.0, 150.0));
        let c7 = neck_outline_c7(neck, ear, shoulder, BAND, Facing::Right, 0.0, 40.0).unwrap();
        assert!((c7.x - 60.0).abs() < STEP_HEADS * 40.0, "{c7:?}");
    }

    #[test]
    fn no_outline_no_point() {
        let (ear, shoulder) = (PointPx::new(100.0, 100.0), PointPx::new(90.0, 150.0));
        // Nobody on the ear-shoulder line.
        assert!(neck_outline_c7(|_| 0.0, ear, shoulder, BAND, Facing::Right, 0.0, 40.0).is_none());
        // Person everywhere: no edge within reach.
        assert!(neck_outline_c7(|_| 1.0, ear, shoulder, BAND, Facing::Right, 0.0, 40.0).is_none());
        // A mask that says nothing.
        assert!(neck_outline_c7(|_| f32::NAN, ear, shoulder, BAND, Facing::Right, 0.0, 40.0).is_none());
        // No head length.
        assert!(neck_outline_c7(wall(70.0), ear, shoulder, BAND, Facing::Right, 0.0, 0.0).is_none());
    }

    proptest! {
        #[test]
        fn walks_backwards_for_either_facing(back in 5.0f32..50.0, drop in 20.0f32..80.0) {
            let ear = PointPx::new(200.0, 100.0);
            let shoulder = PointPx::new(200.0, 100.0 + drop);
            let right = neck_outline_c7(wall(200.0 - back), ear, shoulder, BAND, Facing::Right, 0.0, 40.0).unwrap();
            let left_wall = move |p: PointPx| if p.x <= 200.0 + back { 1.0 } else { 0.0 };
            let left = neck_outline_c7(left_wall, ear, shoulder, BAND, Facing::Left, 0.0, 40.0).unwrap();
            prop_assert!((right.x - (200.0 - back)).abs() <= STEP_HEADS * 40.0);
            prop_assert!((left.x - (200.0 + back)).abs() <= STEP_HEADS * 40.0);
            prop_assert!((left.y - right.y).abs() < 1e-3);
        }

        #[test]
        fn the_walk_is_level_under_camera_roll(roll in -20.0f32..20.0) {
            // The back is a line perpendicular to the rolled horizon, 30 px behind the ear-shoulder
            // line along it: the outline found must lie on that line.
            let (s, c) = roll.to_radians().sin_cos();
            let ear = PointPx::new(200.0, 100.0);
            let shoulder = PointPx::new(200.0 + 50.0 * s, 100.0 + 50.0 * c);
            // Distance along the rolled level axis (x right, rising by `roll`), forward = right.
            let along = move |p: PointPx| (p.x - ear.x) * c - (p.y - ear.y) * s;
            let back = move |p: PointPx| if along(p) >= -30.0 { 1.0 } else { 0.0 };
            let c7 = neck_outline_c7(back, ear, shoulder, BAND, Facing::Right, roll, 40.0).unwrap();
            prop_assert!((along(c7) + 30.0).abs() <= STEP_HEADS * 40.0, "{}", along(c7));
        }
    }
}
