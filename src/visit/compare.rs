//! Decisions over a patient's visits, as pure functions: whether two visits were recorded alike
//! (only then are their numbers compared), whether a change of CVA is beyond measurement noise,
//! and where a clip recorded side-on then facing the camera turns.

use super::format::{PartView, Visit};
use crate::assess::recording::{self, model_id, Recording, SetUpDifference};
use crate::assess::Thresholds;
use crate::measures::View;

pub use crate::assess::thresholds::VALIDATION_CVA_MAE_DEG;

/// How a visit's set-up differs from the one it would be compared with.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Difference {
    /// The file was recorded for someone else (or for nobody named).
    Patient {
        expected: String,
        found: Option<String>,
    },
    Protocol {
        from: String,
        to: String,
    },
    /// The part was not recorded in the view it stands for (a side part that found no profile).
    View {
        part: PartView,
        found: View,
    },
    /// Another camera, resolution, model or framing: the check a baseline gets too.
    #[serde(untagged)]
    SetUp(SetUpDifference),
}

impl Difference {
    /// In words for the report and the list.
    pub fn describe(&self) -> String {
        match self {
            Difference::Patient { expected, found } => match found {
                Some(f) => format!("recorded for patient {f}, not {expected}"),
                None => format!("not marked as patient {expected}'s"),
            },
            Difference::Protocol { from, to } => format!("other protocol ({to}, not {from})"),
            Difference::View { part, found } => {
                format!("the {} part found a {} view", part.as_str(), found.as_str())
            }
            Difference::SetUp(d) => d.describe(),
        }
    }
}

/// How `visit`'s `view` part was recorded: the visit's source, the part's model and framing.
fn recording_of(visit: &Visit, view: PartView) -> Recording {
    let part = visit.part(view);
    Recording {
        source: visit.source.clone(),
        model: part.map(|p| {
            let m = &p.record.provenance.model;
            model_id(&m.landmark_file, &m.landmark_sha256)
        }),
        framing: part.and_then(|p| p.framing),
        cva_correction: part
            .filter(|_| view == PartView::Side)
            .map(|p| p.record.provenance.correction),
    }
}

/// Whether a part's record shows the view it was recorded for.
fn view_fits(part: PartView, found: View) -> bool {
    match part {
        PartView::Side => found.is_side(),
        PartView::Front => found == View::Front,
    }
}

/// How `visit`'s `view` part differs from `reference`'s (the first visit of `patient`): what
/// must match for their numbers to be compared. Empty: comparable.
pub fn differences(patient: &str, reference: &Visit, visit: &Visit, view: PartView) -> Vec<Difference> {
    let mut found = Vec::new();
    if visit.patient.as_deref() != Some(patient) {
        found.push(Difference::Patient {
            expected: patient.to_string(),
            found: visit.patient.clone(),
        });
    }
    if visit.protocol != reference.protocol {
        found.push(Difference::Protocol {
            from: reference.protocol.as_str().into(),
            to: visit.protocol.as_str().into(),
        });
    }
    let set_up = recording::differences(&recording_of(reference, view), &recording_of(visit, view));
    found.extend(set_up.into_iter().map(Difference::SetUp));
    if let Some(part) = visit.part(view) {
        if part.record.quality.frames_total > 0 && !view_fits(view, part.record.view) {
            found.push(Difference::View {
                part: view,
                found: part.record.view,
            });
        }
    }
    found
}

/// A change of the median CVA between two visits.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CvaChange {
    pub delta_deg: f32,
    /// The change had to exceed this to count: the larger of the minimum detectable change and
    /// 1.96 x the combined standard errors of the two medians (as against a baseline).
    pub noise_deg: f32,
    pub beyond_noise: bool,
}

/// The change from `before` to `now` (median and 95% interval of each), judged as
/// `posture measure --baseline` judges one ([`crate::assess::baseline::angle_noise_deg`]).
pub fn cva_change(before: (f32, Option<(f32, f32)>), now: (f32, Option<(f32, f32)>), t: &Thresholds) -> CvaChange {
    let delta_deg = now.0 - before.0;
    let noise_deg = crate::assess::baseline::angle_noise_deg(before.1, now.1, t);
    CvaChange {
        delta_deg,
        noise_deg,
        beyond_noise: delta_deg.abs() > noise_deg,
    }
}

/// A change of a front signal against the first visit, in words a patient understands.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FrontNote {
    pub signal: crate::measures::FrontSignal,
    pub first: f32,
    pub now: f32,
    pub words: &'static str,
}

/// What the front view says against the first visit's: each signal that moved beyond its noise
/// floor ([`crate::assess::baseline::front_floor`], the floor a single-photo baseline uses), in
/// plain words. Empty: no change beyond noise.
pub fn front_notes(
    first: &std::collections::BTreeMap<crate::measures::FrontSignal, f32>,
    now: &std::collections::BTreeMap<crate::measures::FrontSignal, f32>,
) -> Vec<FrontNote> {
    use crate::measures::FrontSignal as S;
    let words = |signal: S, up: bool| {
        match (signal, up) {
        (S::EarShoulderDrop, false) => Some(
            "Your ears sit lower above your shoulders than at the first visit: the head has come forward or down, or you sat more slumped.",
        ),
        (S::EarShoulderDrop, true) => Some("Your ears sit higher above your shoulders than at the first visit: the head and neck are held more upright."),
        (S::HeadScaleRatio, true) => Some("Your head looks larger against your shoulders than at the first visit: it is held further towards the camera (forward)."),
        (S::HeadScaleRatio, false) => Some("Your head looks smaller against your shoulders than at the first visit: it is held further back."),
        (S::NoseDrop, true) => Some("You were looking further down than at the first visit."),
        _ => None,
    }
    };
    let mut notes = Vec::new();
    for (&signal, &before) in first {
        let Some(&current) = now.get(&signal) else { continue };
        let change = current - before;
        if change.abs() <= crate::assess::baseline::front_floor(signal, before) {
            continue;
        }
        if let Some(words) = words(signal, change > 0.0) {
            notes.push(FrontNote {
                signal,
                first: before,
                now: current,
                words,
            });
        }
    }
    notes
}

/// The fewest frames of a view that make a part of their own in a clip split by view.
pub const MIN_PART_FRAMES: usize = 10;

/// Where a clip turns from one view to the other: the parts, each a view and its frame range,
/// in clip order. A clip that shows both a side view and a front view for at least
/// [`MIN_PART_FRAMES`] frames each is cut where the most frames fall on their own side (frames
/// of neither view count for neither); otherwise the clip is one part, of the view most of its
/// frames show (side when none do).
pub fn split_by_view(views: &[View]) -> Vec<(PartView, std::ops::Range<usize>)> {
    let of = |v: &View| {
        if v.is_side() {
            Some(PartView::Side)
        } else if *v == View::Front {
            Some(PartView::Front)
        } else {
            None
        }
    };
    let labels: Vec<Option<PartView>> = views.iter().map(of).collect();
    let count = |p: PartView| labels.iter().filter(|l| **l == Some(p)).count();
    let (sides, fronts) = (count(PartView::Side), count(PartView::Front));
    let whole = if fronts > sides {
        PartView::Front
    } else {
        PartView::Side
    };
    if sides < MIN_PART_FRAMES || fronts < MIN_PART_FRAMES {
        return vec![(whole, 0..views.len())];
    }
    let mut best = (0, 0, PartView::Side, PartView::Front);
    for (first, second) in [(PartView::Side, PartView::Front), (PartView::Front, PartView::Side)] {
        // Frames on their own side of a cut at `c`: `first` before it, `second` from it on.
        let mut score = labels.iter().filter(|l| **l == Some(second)).count();
        for c in 0..=labels.len() {
            if score > best.0 {
                best = (score, c, first, second);
            }
            if let Some(l) = labels.get(c) {
                score = score + usize::from(*l == Some(first)) - usize::from(*l == Some(second));
            }
        }
    }
    let (_, cut, first, second) = best;
    [(first, 0..cut), (second, cut..views.len())]
        .into_iter()
        .filter(|(p, r)| labels[r.clone()].iter().filter(|l| **l == Some(*p)).count() >= MIN_PART_FRAMES)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visit::format::{tests::visit_file, Protocol};

    /// The test visit of `patient`, at this picture width, with its side part only.
    fn visit(patient: Option<&str>, width: u32) -> Visit {
        let mut v = visit_file().visit;
        v.patient = patient.map(Into::into);
        v.source.width = width;
        v.parts.retain(|p| p.view == PartView::Side);
        v
    }

    #[test]
    fn visits_recorded_alike_are_comparable() {
        let a = visit(Some("P1"), 640);
        assert_eq!(differences("P1", &a, &a.clone(), PartView::Side), vec![]);
    }

    #[test]
    fn another_patient_camera_resolution_or_model_is_flagged() {
        let a = visit(Some("P1"), 640);
        let mut b = visit(Some("P2"), 1280);
        b.parts[0].record.provenance.model.landmark_file = "pose_landmark_full.onnx".into();
        b.protocol = Protocol::Import;
        let found = differences("P1", &a, &b, PartView::Side);
        let kinds: Vec<_> = found
            .iter()
            .map(|d| serde_json::to_value(d).unwrap()["kind"].clone())
            .collect();
        assert_eq!(kinds, ["patient", "protocol", "resolution", "model"], "{found:?}");
        assert!(found[0].describe().contains("patient P2, not P1"));
        assert!(found[2].describe().contains("1280x480 instead of 640x480"));
    }

    #[test]
    fn a_camera_moved_between_visits_is_flagged_by_the_framing() {
        use crate::assess::recording::Framing;
        let mut a = visit(Some("P1"), 640);
        let framing = Framing {
            head_length_frac: 0.1,
            shoulders_x_frac: 0.5,
            shoulders_y_frac: 0.6,
        };
        a.parts[0].framing = Some(framing);
        let mut b = a.clone();
        b.parts[0].framing = Some(Framing {
            head_length_frac: 0.05,
            ..framing
        });
        let found = differences("P1", &a, &b, PartView::Side);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(serde_json::to_value(&found[0]).unwrap()["kind"], "framing");
        assert!(
            found[0].describe().starts_with("camera moved or another person"),
            "{found:?}"
        );
        // A visit stored before framing was recorded is compared without it.
        b.parts[0].framing = None;
        assert_eq!(differences("P1", &a, &b, PartView::Side), vec![]);
    }

    #[test]
    fn side_visits_read_with_another_correction_are_flagged() {
        let a = visit(Some("P1"), 640);
        let mut b = a.clone();
        b.parts[0].record.provenance.correction.cva_read_once_offset_deg += 1.55;
        let found = differences("P1", &a, &b, PartView::Side);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(serde_json::to_value(&found[0]).unwrap()["kind"], "correction");
        assert!(found[0].describe().contains("another version of posture"), "{found:?}");
    }

    #[test]
    fn a_side_part_without_a_profile_is_flagged() {
        let a = visit(Some("P1"), 640);
        let mut b = a.clone();
        b.parts[0].record.view = View::Front;
        assert_eq!(
            differences("P1", &a, &b, PartView::Side),
            vec![Difference::View {
                part: PartView::Side,
                found: View::Front
            }]
        );
    }

    #[test]
    fn a_change_counts_only_beyond_the_mdc_and_the_intervals() {
        let t = Thresholds::default();
        let small = cva_change((50.0, Some((49.5, 50.5))), (46.0, Some((45.5, 46.5))), &t);
        assert_eq!(
            (small.delta_deg, small.noise_deg, small.beyond_noise),
            (-4.0, 5.0, false)
        );
        let large = cva_change((50.0, Some((49.5, 50.5))), (44.0, Some((43.5, 44.5))), &t);
        assert!(large.beyond_noise);
        // Wide intervals raise the noise above the MDC.
        let wide = cva_change((50.0, Some((44.0, 56.0))), (43.0, Some((37.0, 49.0))), &t);
        assert!(wide.noise_deg > 8.0 && !wide.beyond_noise, "{wide:?}");
        // Photos have no interval: the MDC alone.
        assert_eq!(cva_change((50.0, None), (44.9, None), &t).noise_deg, 5.0);
    }

    #[test]
    fn front_changes_beyond_their_floor_are_put_in_words() {
        use crate::measures::FrontSignal as S;
        let first = std::collections::BTreeMap::from([(S::EarShoulderDrop, 0.50), (S::HeadScaleRatio, 0.30)]);
        let same = std::collections::BTreeMap::from([(S::EarShoulderDrop, 0.49), (S::HeadScaleRatio, 0.305)]);
        assert_eq!(front_notes(&first, &same), vec![]);
        let forward = std::collections::BTreeMap::from([(S::EarShoulderDrop, 0.42), (S::HeadScaleRatio, 0.33)]);
        let notes = front_notes(&first, &forward);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes.iter().any(|n| n.words.contains("ears sit lower")), "{notes:?}");
        assert!(
            notes.iter().any(|n| n.words.contains("towards the camera")),
            "{notes:?}"
        );
    }

    fn views(spec: &[(View, usize)]) -> Vec<View> {
        spec.iter().flat_map(|(v, n)| std::iter::repeat_n(*v, *n)).collect()
    }

    #[test]
    fn a_clip_side_then_front_is_cut_where_it_turns() {
        let v = views(&[(View::SideLeft, 40), (View::Oblique, 5), (View::Front, 30)]);
        let parts = split_by_view(&v);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert_eq!(parts[0].0, PartView::Side);
        assert_eq!(parts[1].0, PartView::Front);
        assert!((40..=45).contains(&parts[0].1.end), "{parts:?}");
        assert_eq!(parts[1].1.end, 75);
        // Front first works too, with a stray side frame in the front part.
        let v = views(&[
            (View::Front, 20),
            (View::SideRight, 1),
            (View::Front, 5),
            (View::SideRight, 30),
        ]);
        let parts = split_by_view(&v);
        assert_eq!(parts, vec![(PartView::Front, 0..26), (PartView::Side, 26..56)]);
    }

    #[test]
    fn a_clip_of_one_view_is_one_part() {
        let v = views(&[(View::SideLeft, 50), (View::Front, 4), (View::None, 10)]);
        assert_eq!(split_by_view(&v), vec![(PartView::Side, 0..64)]);
        let v = views(&[(View::Front, 30), (View::SideLeft, 2)]);
        assert_eq!(split_by_view(&v), vec![(PartView::Front, 0..32)]);
        assert_eq!(split_by_view(&[View::None; 3]), vec![(PartView::Side, 0..3)]);
    }
}
