//! Why a frame (or a whole input) gives no number: machine-readable reason codes, and the
//! per-frame gates that produce them. A frame that fails a gate gets no number, never a guess.

use crate::pose::Pose;

/// A reason for no reading. The serialised codes are part of the JSON output contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// No person found in the frame.
    NoPerson,
    /// A landmark the measure needs is not a finite point.
    MissingLandmarks,
    /// The head or shoulders are outside the picture.
    OutOfFrame,
    /// A landmark the measure needs is occluded or guessed (visibility below the gate).
    LowVisibility,
    /// The subject faces the camera: the craniovertebral and shoulder angles need a side view.
    FrontView,
    /// Side-on, but turned too far from an exact profile for the angles to be trusted.
    NotProfile,
    /// The head is too small in the picture for an angle (a distant figure).
    TooSmall,
    /// Bending, crouching or lying: the craniovertebral angle is defined for an upright trunk,
    /// and a leaning trunk tilts the ear-C7 line with it.
    NotUpright,
    /// The back of the neck, which places C7, is not outlined in the person mask.
    NoNeckOutline,
    /// The forward shoulder angle needs the acromion, and no point in a side view stands for
    /// it: BlazePose's shoulder does not follow protraction, and the acromion lies inside the
    /// silhouette (docs/measures.md). Said of every side-view input.
    NoAcromion,
    /// Front signals need the subject to face the camera.
    NotFrontal,
    /// The posture was changing too fast (a stream frame in the middle of a movement).
    Moving,
    /// A spike: far from its neighbours (Hampel filter).
    Outlier,
    /// A clip frame with too few readable frames around it to tell whether the posture was
    /// still (a glimpse between gated frames).
    Unsettled,
    /// A clip whose frames that passed every gate are too few, or span too short a time, to
    /// give a number (they are then counted here instead of used).
    TooFewFrames,
    /// A front-view classification needs a personal baseline (`--baseline`).
    NoBaseline,
    /// The input could not be read or decoded.
    UnreadableInput,
}

impl Reason {
    pub const ALL: [Reason; 17] = [
        Reason::NoPerson,
        Reason::MissingLandmarks,
        Reason::OutOfFrame,
        Reason::LowVisibility,
        Reason::FrontView,
        Reason::NotProfile,
        Reason::TooSmall,
        Reason::NotUpright,
        Reason::NoNeckOutline,
        Reason::NoAcromion,
        Reason::NotFrontal,
        Reason::Moving,
        Reason::Outlier,
        Reason::Unsettled,
        Reason::TooFewFrames,
        Reason::NoBaseline,
        Reason::UnreadableInput,
    ];

    /// The code as written in JSON.
    pub fn code(self) -> &'static str {
        match self {
            Reason::NoPerson => "no_person",
            Reason::MissingLandmarks => "missing_landmarks",
            Reason::OutOfFrame => "out_of_frame",
            Reason::LowVisibility => "low_visibility",
            Reason::FrontView => "front_view",
            Reason::NotProfile => "not_profile",
            Reason::TooSmall => "too_small",
            Reason::NotUpright => "not_upright",
            Reason::NoNeckOutline => "no_neck_outline",
            Reason::NoAcromion => "no_acromion",
            Reason::NotFrontal => "not_frontal",
            Reason::Moving => "moving",
            Reason::Outlier => "outlier",
            Reason::Unsettled => "unsettled",
            Reason::TooFewFrames => "too_few_frames",
            Reason::NoBaseline => "no_baseline",
            Reason::UnreadableInput => "unreadable_input",
        }
    }

    /// A short phrase for people.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::NoPerson => "no person in view",
            Reason::MissingLandmarks => "landmarks missing",
            Reason::OutOfFrame => "head or shoulders out of the picture",
            Reason::LowVisibility => "ear, eye or shoulder hidden",
            Reason::FrontView => "facing the camera; angles need a side view",
            Reason::NotProfile => "not side-on enough",
            Reason::TooSmall => "too small in the picture (move closer)",
            Reason::NotUpright => "bending or lying, not upright",
            Reason::NoNeckOutline => "back of the neck not outlined",
            Reason::NoAcromion => "shoulder angle not measured (no acromion point in a side view)",
            Reason::NotFrontal => "not facing the camera",
            Reason::Moving => "moving",
            Reason::Outlier => "spike",
            Reason::Unsettled => "not held still long enough",
            Reason::TooFewFrames => "too few steady frames for a number",
            Reason::NoBaseline => "front view needs a baseline (posture calibrate)",
            Reason::UnreadableInput => "input could not be read",
        }
    }
}

/// Every landmark in `required` is a finite pixel position.
pub fn all_finite(pose: &Pose, required: &[usize]) -> bool {
    required.iter().all(|&i| {
        let l = pose.landmarks[i];
        l.x_px.is_finite() && l.y_px.is_finite() && l.visibility.is_finite() && l.presence.is_finite()
    })
}

/// Every landmark in `required` lies inside the frame and the model says it is present.
pub fn inside_frame(pose: &Pose, required: &[usize], frame_size: (u32, u32), min_presence: f32) -> bool {
    let (w, h) = (frame_size.0 as f32, frame_size.1 as f32);
    required.iter().all(|&i| {
        let l = pose.landmarks[i];
        (0.0..w).contains(&l.x_px) && (0.0..h).contains(&l.y_px) && l.presence >= min_presence
    })
}

/// Every landmark in `required` is seen, not guessed.
pub fn visible(pose: &Pose, required: &[usize], min_visibility: f32) -> bool {
    required.iter().all(|&i| pose.landmarks[i].visibility >= min_visibility)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_match_serde() {
        let mut seen = std::collections::HashSet::new();
        for r in Reason::ALL {
            assert!(seen.insert(r.code()));
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", r.code()));
            assert!(r.code().chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        }
    }
}
