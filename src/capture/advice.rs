//! What to tell the patient about one frame, in plain words: a pure function of the frame's
//! gate verdict for the part being recorded, who else is in view, and how bright the picture
//! is. Each [`Reason`] is put into words here, once.

use super::Part;
use crate::assess::series::Verdict;
use crate::measures::{FrameMeasure, Reason};

/// One piece of advice. [`Advice::words`] says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Advice {
    NobodyInView,
    TooDark,
    SomeoneElseInView,
    /// Side part: facing the camera, or turned part-way towards it.
    TurnSideOn,
    /// Side part: turned a little away from the camera (the back half shows).
    TurnTowardsCamera,
    /// Front part: not facing the camera.
    FaceCamera,
    MoveBack,
    MoveCloser,
    KeepHeadAndShouldersInView,
    /// Ear, eye or shoulder hidden in a picture that is bright enough.
    UncoverEarAndShoulder,
    SitUpright,
    ClearTheNeck,
    HoldStill,
    /// The frame counts: keep going.
    Good,
}

impl Advice {
    /// The words on the terminal.
    pub fn words(self) -> &'static str {
        match self {
            Advice::NobodyInView => "nobody in view: sit where the camera sees your head and shoulders",
            Advice::TooDark => "too dark: turn on a light in front of you, not behind you",
            Advice::SomeoneElseInView => "someone else is in view: ask them to step out of the picture",
            Advice::TurnSideOn => "turn side-on: your shoulder towards the camera, looking straight ahead",
            Advice::TurnTowardsCamera => "turn a little towards the camera",
            Advice::FaceCamera => "face the camera, looking straight ahead",
            Advice::MoveBack => "move back: your head or shoulders are out of the picture",
            Advice::MoveCloser => "move closer: you are too small in the picture",
            Advice::KeepHeadAndShouldersInView => "keep your head and both shoulders in the picture",
            Advice::UncoverEarAndShoulder => {
                "keep your ear and shoulder uncovered (hair, collar, a high chair back) and in clear view"
            }
            Advice::SitUpright => "sit upright, as you usually do: you are leaning too far",
            Advice::ClearTheNeck => {
                "keep the back of your neck clear (hair, collar) against a plain background behind you"
            }
            Advice::HoldStill => "hold still",
            Advice::Good => "good: stay like that",
        }
    }
}

/// Mean brightness below which a picture counts as too dark (0-255, Rec. 601 luma): a room lit
/// only by a screen. Landmarks in such frames are guessed, so their gates fail.
pub const DARK_MEAN_LUMA: f32 = 40.0;

/// Mean luma (0-255) of `image`, from a grid of about 4,000 pixels (cheap on any frame size).
pub fn mean_luma(image: &image::RgbImage) -> f32 {
    let (w, h) = image.dimensions();
    if w == 0 || h == 0 {
        return 0.0;
    }
    let step = ((w as u64 * h as u64 / 4096) as f64).sqrt().max(1.0) as u32;
    let (mut sum, mut n) = (0.0f64, 0u64);
    for y in (0..h).step_by(step as usize) {
        for x in (0..w).step_by(step as usize) {
            let [r, g, b] = image.get_pixel(x, y).0;
            sum += 0.299 * r as f64 + 0.587 * g as f64 + 0.114 * b as f64;
            n += 1;
        }
    }
    (sum / n as f64) as f32
}

/// What to change when the reading of `part` fails for `reason`. `yaw_deg` (the body's yaw,
/// `crate::measures::view`; NaN when unknown) tells which way to turn; `dark` whether the
/// picture is too dark. `None` for reasons the patient cannot change by moving (they are
/// about the method, not the frame).
pub fn for_reason(part: Part, reason: Reason, yaw_deg: f32, dark: bool) -> Option<Advice> {
    Some(match reason {
        Reason::NoPerson if dark => Advice::TooDark,
        Reason::NoPerson => Advice::NobodyInView,
        Reason::MissingLandmarks | Reason::LowVisibility if dark => Advice::TooDark,
        Reason::MissingLandmarks => Advice::KeepHeadAndShouldersInView,
        Reason::LowVisibility => Advice::UncoverEarAndShoulder,
        Reason::OutOfFrame => Advice::MoveBack,
        Reason::TooSmall => Advice::MoveCloser,
        Reason::FrontView => Advice::TurnSideOn,
        // Past a profile (yaw beyond 90 degrees) the back half shows: turn back towards the
        // camera. Short of it, or unknown: turn further side-on.
        Reason::NotProfile if yaw_deg.abs() > 90.0 => Advice::TurnTowardsCamera,
        Reason::NotProfile => Advice::TurnSideOn,
        Reason::NotFrontal => match part {
            Part::Front => Advice::FaceCamera,
            Part::Side => Advice::TurnSideOn,
        },
        Reason::NotUpright => Advice::SitUpright,
        Reason::NoNeckOutline => Advice::ClearTheNeck,
        Reason::Moving | Reason::Outlier | Reason::Unsettled | Reason::TooFewFrames => Advice::HoldStill,
        Reason::NoAcromion | Reason::NoBaseline | Reason::UnreadableInput => return None,
    })
}

/// The advice for one frame of `part`: `verdict` is the frame's standing in the part so far
/// (side: the clip verdict of its angle; front: used or not). Nobody there, or too dark, comes
/// first; then someone else in view (they may be measured instead); then the frame's gate.
pub fn advise(part: Part, measure: &FrameMeasure, verdict: Verdict, other_people: usize, dark: bool) -> Advice {
    let gate = match part {
        Part::Side => measure.side.err(),
        Part::Front => measure.front.err(),
    };
    let yaw_deg = measure.view.yaw_deg;
    if let Some(Reason::NoPerson) = gate {
        return for_reason(part, Reason::NoPerson, yaw_deg, dark).unwrap_or(Advice::NobodyInView);
    }
    if other_people > 0 {
        return Advice::SomeoneElseInView;
    }
    let reason = match (gate, verdict) {
        (Some(reason), _) => Some(reason),
        // Still judging whether the posture is held (a first few frames) is not a fault.
        (None, Verdict::SetAside(Reason::Unsettled | Reason::TooFewFrames)) => None,
        (None, Verdict::SetAside(reason)) => Some(reason),
        (None, Verdict::Used | Verdict::NoValue) => None,
    };
    reason
        .and_then(|r| for_reason(part, r, yaw_deg, dark))
        .unwrap_or(Advice::Good)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::testing::posed;
    use crate::measures::{measure_frame, Correction, MeasureSettings};
    use crate::pose::index;

    fn settings() -> MeasureSettings {
        MeasureSettings {
            correction: Correction::IDENTITY,
            ..Default::default()
        }
    }

    fn frame_at_yaw(yaw_deg: f32) -> FrameMeasure {
        measure_frame(Some(&posed(yaw_deg, 0.0)), (640, 480), &settings())
    }

    #[test]
    fn a_good_side_frame_is_good_and_a_moving_one_is_told_to_hold_still() {
        let side = frame_at_yaw(90.0);
        assert_eq!(advise(Part::Side, &side, Verdict::Used, 0, false), Advice::Good);
        let moving = Verdict::SetAside(Reason::Moving);
        assert_eq!(advise(Part::Side, &side, moving, 0, false), Advice::HoldStill);
        // The first frames of a hold, not yet judged, are not scolded.
        let settling = Verdict::SetAside(Reason::TooFewFrames);
        assert_eq!(advise(Part::Side, &side, settling, 0, false), Advice::Good);
    }

    #[test]
    fn facing_the_camera_in_the_side_part_is_told_to_turn_side_on_and_the_reverse() {
        let front = frame_at_yaw(0.0);
        assert_eq!(front.side, Err(Reason::FrontView));
        assert_eq!(
            advise(Part::Side, &front, Verdict::NoValue, 0, false),
            Advice::TurnSideOn
        );
        assert_eq!(advise(Part::Front, &front, Verdict::Used, 0, false), Advice::Good);
        let side = frame_at_yaw(90.0);
        assert_eq!(
            advise(Part::Front, &side, Verdict::NoValue, 0, false),
            Advice::FaceCamera
        );
    }

    #[test]
    fn which_way_to_turn_follows_the_yaw() {
        // Turned part-way towards the camera (yaw 60): further side-on; past the profile
        // (yaw 120: the back half shows): a little towards the camera.
        for (yaw, want) in [(60.0, Advice::TurnSideOn), (-60.0, Advice::TurnSideOn)] {
            let m = frame_at_yaw(yaw);
            assert_eq!(m.side, Err(Reason::NotProfile), "yaw {yaw}");
            assert_eq!(advise(Part::Side, &m, Verdict::NoValue, 0, false), want, "yaw {yaw}");
        }
        assert_eq!(
            for_reason(Part::Side, Reason::NotProfile, 120.0, false),
            Some(Advice::TurnTowardsCamera)
        );
        assert_eq!(
            for_reason(Part::Side, Reason::NotProfile, -115.0, false),
            Some(Advice::TurnTowardsCamera)
        );
        assert_eq!(
            for_reason(Part::Side, Reason::NotProfile, f32::NAN, false),
            Some(Advice::TurnSideOn)
        );
    }

    #[test]
    fn out_of_the_picture_is_move_back_and_hidden_in_the_dark_is_too_dark() {
        let mut p = posed(90.0, 0.0);
        p.landmarks[index::NOSE].y_px = -5.0;
        let out = measure_frame(Some(&p), (640, 480), &settings());
        assert_eq!(advise(Part::Side, &out, Verdict::NoValue, 0, false), Advice::MoveBack);
        assert!(Advice::MoveBack.words().contains("out of the picture"));

        let mut p = posed(90.0, 0.0);
        p.landmarks[index::LEFT_EAR].visibility = 0.3;
        let hidden = measure_frame(Some(&p), (640, 480), &settings());
        assert_eq!(
            advise(Part::Side, &hidden, Verdict::NoValue, 0, false),
            Advice::UncoverEarAndShoulder
        );
        assert_eq!(advise(Part::Side, &hidden, Verdict::NoValue, 0, true), Advice::TooDark);
    }

    #[test]
    fn nobody_comes_first_then_someone_else_then_the_gate() {
        let nobody = measure_frame(None, (640, 480), &settings());
        assert_eq!(
            advise(Part::Side, &nobody, Verdict::NoValue, 0, false),
            Advice::NobodyInView
        );
        assert_eq!(advise(Part::Front, &nobody, Verdict::NoValue, 2, true), Advice::TooDark);
        let front = frame_at_yaw(0.0);
        assert_eq!(
            advise(Part::Side, &front, Verdict::NoValue, 1, false),
            Advice::SomeoneElseInView
        );
        assert!(Advice::SomeoneElseInView.words().contains("someone else is in view"));
    }

    #[test]
    fn every_reason_a_frame_can_fail_for_has_words_and_the_others_have_none() {
        for reason in Reason::ALL {
            let advice = for_reason(Part::Side, reason, f32::NAN, false);
            let about_the_method = matches!(
                reason,
                Reason::NoAcromion | Reason::NoBaseline | Reason::UnreadableInput
            );
            assert_eq!(advice.is_none(), about_the_method, "{reason:?}");
            if let Some(a) = advice {
                assert!(!a.words().is_empty() && !a.words().contains('\n'));
            }
        }
    }

    #[test]
    fn brightness_is_the_mean_luma() {
        let black = image::RgbImage::new(640, 480);
        assert_eq!(mean_luma(&black), 0.0);
        let grey = image::RgbImage::from_pixel(1920, 1080, image::Rgb([100, 100, 100]));
        assert!((mean_luma(&grey) - 100.0).abs() < 0.01);
        assert!(mean_luma(&grey) > DARK_MEAN_LUMA);
    }
}
