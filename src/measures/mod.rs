//! Posture measures from one frame's landmarks: pure functions, no I/O.
//!
//! ```text
//! pose -> view (side-left / side-right / front / oblique / none, yaw)
//!      -> gates (finite, in frame, visible, profile or frontal) -> side measures | front signals
//!                                       (C7 from the neck's outline on the person mask: neck)
//! ```
//!
//! Every frame gets both a side reading and a front reading, each either a value or the
//! [`Reason`] it has none; which one an input reports is decided over the whole input
//! (`crate::assess`). Angle conventions live in [`geometry`], written once.

pub mod correction;
pub mod front;
pub mod gates;
pub mod geometry;
pub mod neck;
pub mod shoulders;
pub mod side;
#[cfg(test)]
pub(crate) mod testing;
pub mod view;

pub use correction::Correction;
pub use front::{front_signals, FrontSignal, FrontSignals};
pub use gates::Reason;
pub use geometry::Facing;
pub use side::{side_measures, SideMeasures};
pub use view::{estimate_view, View, ViewEstimate};

/// A measure an input is summarised by and compared with a baseline on: it names a CSV column,
/// a plotted series, an alert's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Measure {
    CvaDeg,
    HeadTiltDeg,
    ForwardHeadHeads,
    Front(FrontSignal),
}

impl Measure {
    /// The name in JSON and CSV.
    pub fn name(self) -> &'static str {
        match self {
            Measure::CvaDeg => "cva_deg",
            Measure::HeadTiltDeg => "head_tilt_deg",
            Measure::ForwardHeadHeads => "forward_head_heads",
            Measure::Front(s) => s.name(),
        }
    }
}

impl Measure {
    /// Every measure, in the order tables list them.
    pub fn all() -> impl Iterator<Item = Measure> {
        [Measure::CvaDeg, Measure::HeadTiltDeg, Measure::ForwardHeadHeads]
            .into_iter()
            .chain(FrontSignal::ALL.into_iter().map(Measure::Front))
    }

    /// The measure a JSON or CSV name stands for.
    pub fn from_name(name: &str) -> Option<Measure> {
        Measure::all().find(|m| m.name() == name)
    }
}

impl serde::Serialize for Measure {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Measure {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Measure::from_name(&name).ok_or_else(|| serde::de::Error::custom(format!("unknown measure '{name}'")))
    }
}

use crate::pose::{index, Pose};

/// Gate thresholds and the camera's roll.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct MeasureSettings {
    /// Landmarks a measure uses must have at least this visibility (MediaPipe draws from 0.5;
    /// measurement asks more, measurement.md section 5.1).
    pub min_visibility: f32,
    /// ... and at least this presence, and lie inside the frame.
    pub min_presence: f32,
    /// The craniovertebral and shoulder angles are read only within this many degrees of an
    /// exact profile (error grows fast with yaw: measurement.md section 4.6).
    pub max_profile_yaw_deg: f32,
    /// The angles are also read only while the trunk leans at most this many degrees from
    /// upright, when the near hip is in view to tell (upright renders lean at most 17 degrees:
    /// docs/measures.md).
    pub max_trunk_lean_deg: f32,
    /// The angles are read only from heads at least this long in the picture (ear to nose,
    /// pixels): below it one pixel of landmark error moves the angle by 1.5 degrees or more, and
    /// the person mask has too few cells across the neck (docs/measures.md).
    pub min_head_length_px: f32,
    /// How far a true horizontal line rises to the right in the picture (degrees). 0 assumes
    /// a level camera.
    pub camera_roll_deg: f32,
    pub correction: Correction,
}

impl Default for MeasureSettings {
    fn default() -> Self {
        MeasureSettings {
            min_visibility: 0.8,
            min_presence: 0.5,
            max_profile_yaw_deg: 10.0,
            max_trunk_lean_deg: 30.0,
            min_head_length_px: 18.0,
            camera_roll_deg: 0.0,
            correction: Correction::FITTED,
        }
    }
}

/// Where the body is in the picture, for the whole-body movement gate of clips
/// (`crate::assess::series`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BodyPosition {
    /// Midpoint of the two shoulder landmarks.
    pub shoulders_mid_px: geometry::PointPx,
    /// The longer of the two ear-to-nose distances: the head length in a profile (the body
    /// scale of the side measures), about half of it facing the camera.
    pub head_length_px: f32,
}

impl BodyPosition {
    fn of(pose: &Pose) -> Option<BodyPosition> {
        let p = |i| side::point(pose, i);
        let head_length_px = p(index::LEFT_EAR)
            .distance_px(p(index::NOSE))
            .max(p(index::RIGHT_EAR).distance_px(p(index::NOSE)));
        let shoulders_mid_px = p(index::LEFT_SHOULDER).midpoint(p(index::RIGHT_SHOULDER));
        (shoulders_mid_px.is_finite() && head_length_px.is_finite() && head_length_px > 0.0).then_some(BodyPosition {
            shoulders_mid_px,
            head_length_px,
        })
    }
}

/// Everything measured in one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameMeasure {
    pub view: ViewEstimate,
    /// `None` without a person.
    pub body: Option<BodyPosition>,
    pub side: Result<SideMeasures, Reason>,
    pub front: Result<FrontSignals, Reason>,
}

impl FrameMeasure {
    fn no_reading(reason: Reason) -> FrameMeasure {
        FrameMeasure {
            view: ViewEstimate {
                view: View::None,
                yaw_deg: f32::NAN,
                off_profile_deg: f32::NAN,
            },
            body: None,
            side: Err(reason),
            front: Err(reason),
        }
    }
}

/// Measure one frame (`pose` is `None` when no person was found). The side reading needs the
/// pose's person mask when [`needs_person_mask`] says so, and is `NoNeckOutline` without it.
pub fn measure_frame(pose: Option<&Pose>, frame_size: (u32, u32), settings: &MeasureSettings) -> FrameMeasure {
    let Some(pose) = pose else {
        return FrameMeasure::no_reading(Reason::NoPerson);
    };
    let view = match viewed(pose, settings) {
        Ok(view) => view,
        Err(reason) => return FrameMeasure::no_reading(reason),
    };
    FrameMeasure {
        view,
        body: BodyPosition::of(pose),
        side: side_gates(pose, view, frame_size, settings).and_then(|facing| side_reading(pose, facing, settings)),
        front: front_reading(pose, view, frame_size, settings),
    }
}

/// Whether [`measure_frame`] reads `pose`'s person mask: only when every side-view gate but the
/// neck outline has passed. The mask costs as much to compute as the landmarks, so the frame
/// loop computes it only then.
pub fn needs_person_mask(pose: Option<&Pose>, frame_size: (u32, u32), settings: &MeasureSettings) -> bool {
    pose.is_some_and(|pose| {
        viewed(pose, settings).is_ok_and(|view| side_gates(pose, view, frame_size, settings).is_ok())
    })
}

/// The view of a pose whose landmarks are all there.
fn viewed(pose: &Pose, settings: &MeasureSettings) -> Result<ViewEstimate, Reason> {
    if !gates::all_finite(pose, &front::REQUIRED) {
        return Err(Reason::MissingLandmarks);
    }
    let view = estimate_view(pose, settings.camera_roll_deg);
    if view.view == View::None {
        return Err(Reason::MissingLandmarks);
    }
    Ok(view)
}

/// The side-view gates before the neck outline: which way the subject faces, or why there is
/// no side reading.
fn side_gates(pose: &Pose, view: ViewEstimate, frame_size: (u32, u32), s: &MeasureSettings) -> Result<Facing, Reason> {
    let facing = match view.view {
        View::Front => return Err(Reason::FrontView),
        View::Oblique | View::None => return Err(Reason::NotProfile),
        v => v.facing().expect("side views face a way"),
    };
    if view.off_profile_deg > s.max_profile_yaw_deg {
        return Err(Reason::NotProfile);
    }
    let near = side::NearSide::of(facing);
    // The face must point the way the world landmarks say; if not, the model has confused the
    // subject's sides (a blurred or hidden face) and no side is trustworthy.
    let nose_ahead = geometry::level_vector(
        side::point(pose, near.ear),
        side::point(pose, index::NOSE),
        facing,
        s.camera_roll_deg,
    );
    if nose_ahead.forward_px <= 0.0 {
        return Err(Reason::NotProfile);
    }
    // The far shoulder only needs to be present: it is behind the body in a profile.
    let present = [
        near.ear,
        near.eye_outer,
        near.shoulder,
        index::NOSE,
        index::LEFT_SHOULDER,
        index::RIGHT_SHOULDER,
    ];
    if !gates::inside_frame(pose, &present, frame_size, s.min_presence) {
        return Err(Reason::OutOfFrame);
    }
    if !gates::visible(pose, &near.required(), s.min_visibility) {
        return Err(Reason::LowVisibility);
    }
    let head_length_px = side::point(pose, near.ear).distance_px(side::point(pose, index::NOSE));
    if head_length_px < s.min_head_length_px {
        return Err(Reason::TooSmall);
    }
    if judged_trunk_lean_deg(pose, facing, frame_size, s).is_some_and(|lean| lean.abs() > s.max_trunk_lean_deg) {
        return Err(Reason::NotUpright);
    }
    Ok(facing)
}

/// The side reading once the gates have passed: the neck outline and the angles.
fn side_reading(pose: &Pose, facing: Facing, s: &MeasureSettings) -> Result<SideMeasures, Reason> {
    side_measures(pose, facing, s.camera_roll_deg, &s.correction).map_err(|e| match e {
        side::SideFailure::Landmarks => Reason::MissingLandmarks,
        side::SideFailure::NeckOutline => Reason::NoNeckOutline,
    })
}

/// The trunk's lean from upright ([`side::trunk_lean_deg`]), or `None` when the camera-side hip
/// is out of the picture or hidden: a hip below a desk or out of a close-up leaves the trunk
/// unknown, not bent.
pub fn judged_trunk_lean_deg(pose: &Pose, facing: Facing, frame_size: (u32, u32), s: &MeasureSettings) -> Option<f32> {
    let near = side::NearSide::of(facing);
    let hip = [near.hip];
    let judged =
        gates::inside_frame(pose, &hip, frame_size, s.min_presence) && gates::visible(pose, &hip, s.min_visibility);
    judged.then(|| {
        side::trunk_lean_deg(
            side::point(pose, near.hip),
            side::point(pose, near.shoulder),
            facing,
            s.camera_roll_deg,
        )
    })
}

fn front_reading(
    pose: &Pose,
    view: ViewEstimate,
    frame_size: (u32, u32),
    s: &MeasureSettings,
) -> Result<FrontSignals, Reason> {
    if view.view != View::Front {
        return Err(Reason::NotFrontal);
    }
    if !gates::inside_frame(pose, &front::REQUIRED, frame_size, s.min_presence) {
        return Err(Reason::OutOfFrame);
    }
    if !gates::visible(pose, &front::REQUIRED, s.min_visibility) {
        return Err(Reason::LowVisibility);
    }
    front_signals(pose, s.camera_roll_deg).ok_or(Reason::MissingLandmarks)
}

#[cfg(test)]
mod tests {
    use super::testing::posed;
    use super::*;

    const FRAME: (u32, u32) = (640, 480);

    fn settings() -> MeasureSettings {
        MeasureSettings {
            correction: Correction::IDENTITY,
            ..Default::default()
        }
    }

    #[test]
    fn profile_frame_reads_side_and_not_front() {
        let m = measure_frame(Some(&posed(90.0, 0.0)), FRAME, &settings());
        assert_eq!(m.view.view, View::SideLeft);
        assert!(m.side.is_ok());
        assert_eq!(m.front, Err(Reason::NotFrontal));
    }

    #[test]
    fn frontal_frame_reads_front_and_says_why_no_angle() {
        let m = measure_frame(Some(&posed(5.0, 0.0)), FRAME, &settings());
        assert_eq!(m.view.view, View::Front);
        assert_eq!(m.side, Err(Reason::FrontView));
        assert!(m.front.is_ok());
    }

    #[test]
    fn each_frame_gate_says_its_reason() {
        let s = settings();
        assert_eq!(measure_frame(None, FRAME, &s).side, Err(Reason::NoPerson));

        let mut p = posed(90.0, 0.0);
        p.landmarks[index::LEFT_EAR].x_px = f32::NAN;
        assert_eq!(measure_frame(Some(&p), FRAME, &s).side, Err(Reason::MissingLandmarks));

        assert_eq!(
            measure_frame(Some(&posed(75.0, 0.0)), FRAME, &s).side,
            Err(Reason::NotProfile)
        );
        assert_eq!(
            measure_frame(Some(&posed(50.0, 0.0)), FRAME, &s).side,
            Err(Reason::NotProfile)
        );
        assert_eq!(
            measure_frame(Some(&posed(-84.0, 0.0)), FRAME, &s).side.map(|_| ()),
            Ok(())
        );

        let mut p = posed(90.0, 0.0);
        p.landmarks[index::LEFT_EAR].visibility = 0.3;
        assert_eq!(measure_frame(Some(&p), FRAME, &s).side, Err(Reason::LowVisibility));
        // The far ear may be hidden in a profile.
        let mut p = posed(90.0, 0.0);
        p.landmarks[index::RIGHT_EAR].visibility = 0.1;
        assert!(measure_frame(Some(&p), FRAME, &s).side.is_ok());

        // A trunk bent 40 degrees either way; 20 degrees still reads, and so does any lean
        // while the hip is hidden or below the picture (a desk, a close-up).
        let bent = |lean_deg: f32, hip_visibility: f32, hip_below_px: f32| {
            let mut p = posed(90.0, 0.0);
            let shoulder = p.landmarks[index::LEFT_SHOULDER];
            let hip = &mut p.landmarks[index::LEFT_HIP];
            hip.x_px = shoulder.x_px + lean_deg.to_radians().tan() * (hip.y_px - shoulder.y_px);
            hip.visibility = hip_visibility;
            hip.y_px += hip_below_px;
            hip.x_px += lean_deg.to_radians().tan() * hip_below_px;
            measure_frame(Some(&p), FRAME, &s).side.map(|_| ())
        };
        assert_eq!(bent(40.0, 0.99, 0.0), Err(Reason::NotUpright));
        assert_eq!(bent(-40.0, 0.99, 0.0), Err(Reason::NotUpright));
        assert_eq!(bent(20.0, 0.99, 0.0), Ok(()));
        assert_eq!(bent(-20.0, 0.99, 0.0), Ok(()));
        assert_eq!(bent(40.0, 0.2, 0.0), Ok(()));
        assert_eq!(bent(40.0, 0.99, 100.0), Ok(()));

        // A distant figure: the synthetic head is 44 px long, so a 50 px minimum refuses it.
        let tiny = MeasureSettings {
            min_head_length_px: 50.0,
            ..s
        };
        assert_eq!(
            measure_frame(Some(&posed(90.0, 0.0)), FRAME, &tiny).side,
            Err(Reason::TooSmall)
        );

        let mut p = posed(90.0, 0.0);
        p.landmarks[index::NOSE].y_px = -5.0;
        assert_eq!(measure_frame(Some(&p), FRAME, &s).side, Err(Reason::OutOfFrame));

        let mut p = posed(0.0, 0.0);
        p.landmarks[index::RIGHT_SHOULDER].visibility = 0.5;
        assert_eq!(measure_frame(Some(&p), FRAME, &s).front, Err(Reason::LowVisibility));
        let mut p = posed(0.0, 0.0);
        p.landmarks[index::RIGHT_SHOULDER].x_px = 700.0;
        assert_eq!(measure_frame(Some(&p), FRAME, &s).front, Err(Reason::OutOfFrame));
    }

    #[test]
    fn the_mask_is_asked_for_exactly_where_the_side_reading_reads_it() {
        let s = settings();
        let mut hidden_ear = posed(90.0, 0.0);
        hidden_ear.landmarks[index::LEFT_EAR].visibility = 0.3;
        let mut no_outline = posed(90.0, 0.0);
        no_outline.mask = crate::pose::PersonMask::empty(no_outline.roi).into();
        let cases = [
            posed(90.0, 0.0),
            posed(-90.0, 0.04),
            no_outline,
            posed(0.0, 0.0),
            posed(50.0, 0.0),
            hidden_ear,
        ];
        for pose in &cases {
            let side = measure_frame(Some(pose), FRAME, &s).side;
            let reads_mask = side.is_ok() || side == Err(Reason::NoNeckOutline);
            assert_eq!(needs_person_mask(Some(pose), FRAME, &s), reads_mask, "{side:?}");
        }
        assert!(!needs_person_mask(None, FRAME, &s));
        // Without the mask computed, a profile that passes the gates gives no angle, not a guess.
        let mut pending = posed(90.0, 0.0);
        pending.mask = crate::pose::MaskState::Pending(crate::pose::segmentation::MaskFeatures {
            values: Default::default(),
            roi: pending.roi,
            mirrored: false,
        });
        assert!(needs_person_mask(Some(&pending), FRAME, &s));
        assert_eq!(
            measure_frame(Some(&pending), FRAME, &s).side,
            Err(Reason::NoNeckOutline)
        );
    }

    #[test]
    fn low_visibility_never_reads() {
        for i in [
            index::LEFT_EAR,
            index::LEFT_SHOULDER,
            index::NOSE,
            index::LEFT_EYE_OUTER,
        ] {
            let mut p = posed(90.0, 0.02);
            p.landmarks[i].visibility = 0.79;
            assert!(
                measure_frame(Some(&p), FRAME, &settings()).side.is_err(),
                "landmark {i}"
            );
        }
    }
}
