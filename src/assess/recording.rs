//! How an input was recorded (its set-up: source, picture size, model, where the person sat in
//! the picture) and whether two recordings are alike enough for their numbers to be compared.
//! It is the one set-up check a baseline (`posture measure --baseline`) and a patient's visits
//! (`crate::visit::compare`) share.

use crate::frames::{SourceInfo, SourceKind};
use crate::measures::{BodyPosition, Correction};

/// Where the measured person sat in the picture, from the medians over the frames used:
/// enough to tell a camera moved nearer, further or aside, or a person of another size.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Framing {
    /// Head length (ear to nose) as a share of the picture height.
    pub head_length_frac: f32,
    /// Midpoint of the shoulders as shares of the picture width and height.
    pub shoulders_x_frac: f32,
    pub shoulders_y_frac: f32,
}

/// A head this many times larger or smaller than in the reference: the camera moved nearer or
/// further (a laptop from 80 to 55 cm away), or another person sat there. A head pushed forward
/// grows by less (the front renders' by 8% at most against the shoulders), and looking down 30
/// degrees lengthens the ear-to-nose line of a face turned to the camera by about a third.
pub const MAX_HEAD_SIZE_RATIO: f32 = 1.5;

/// The shoulders this many reference head lengths away from where they were: the camera was
/// turned or moved aside, or the person sat elsewhere (shifting on the same chair moves them
/// about one).
pub const MAX_SHOULDER_SHIFT_HEADS: f32 = 2.5;

impl Framing {
    /// The framing of these body positions in a picture of `(width, height)`; `None` without any.
    pub fn of(bodies: impl IntoIterator<Item = BodyPosition>, (width, height): (u32, u32)) -> Option<Framing> {
        let (w, h) = (width.max(1) as f32, height.max(1) as f32);
        let (mut size, mut x, mut y) = (Vec::new(), Vec::new(), Vec::new());
        for b in bodies {
            size.push(b.head_length_px / h);
            x.push(b.shoulders_mid_px.x / w);
            y.push(b.shoulders_mid_px.y / h);
        }
        Some(Framing {
            head_length_frac: median(&mut size)?,
            shoulders_x_frac: median(&mut x)?,
            shoulders_y_frac: median(&mut y)?,
        })
    }
}

fn median(values: &mut [f32]) -> Option<f32> {
    values.sort_by(f32::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// How an input was recorded.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Recording {
    pub source: SourceInfo,
    /// The landmark model ([`model_id`]); `None` when not known.
    pub model: Option<String>,
    /// `None` when no frame showed a person.
    pub framing: Option<Framing>,
    /// The correction side CVAs were read with (`crate::measures::Correction`); `None` for other
    /// views and in recordings written before it was recorded (then not compared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cva_correction: Option<Correction>,
}

/// A correction as set-ups compare it: the constants that move a CVA, rounded as stored.
pub fn correction_id(c: &Correction) -> String {
    format!(
        "neck {:.1}-{:.1}, offset {:.2}, slope {:.3}, camera {:.2}, read once {:.2}",
        c.neck_band.from,
        c.neck_band.to,
        c.cva_offset_deg,
        c.cva_slope,
        c.cva_deg_per_far_shoulder_above,
        c.cva_read_once_offset_deg
    )
}

/// A landmark model as set-ups compare it: its file and the start of its SHA-256.
pub fn model_id(file: &str, sha256: &str) -> String {
    // A hand-edited record may hold anything: never slice inside a character.
    format!("{file} {}", sha256.get(..12).unwrap_or(sha256))
}

/// How one recording's set-up differs from the one it is compared with.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SetUpDifference {
    /// Camera against file, or another camera.
    Source {
        from: String,
        to: String,
    },
    Resolution {
        from: (u32, u32),
        to: (u32, u32),
    },
    /// Another landmark model (file or weights).
    Model {
        from: String,
        to: String,
    },
    /// Side CVAs corrected otherwise ([`correction_id`]): recorded by another version of posture.
    Correction {
        from: String,
        to: String,
    },
    /// The person is framed otherwise: the head larger or smaller by `head_size_ratio` (now
    /// against then), the shoulders moved by `shoulder_shift_heads` head lengths.
    Framing {
        head_size_ratio: f32,
        shoulder_shift_heads: f32,
    },
    /// A view of another kind (side against front).
    View {
        from: crate::measures::View,
        to: crate::measures::View,
    },
}

impl SetUpDifference {
    /// In words, for a text line, a list or a report.
    pub fn describe(&self) -> String {
        match self {
            SetUpDifference::Source { from, to } => format!("other camera or source ({to}, not {from})"),
            SetUpDifference::Resolution { from, to } => format!(
                "camera moved or changed: {}x{} instead of {}x{}",
                to.0, to.1, from.0, from.1
            ),
            SetUpDifference::Model { from, to } => format!("other model ({to}, not {from})"),
            SetUpDifference::Correction { from, to } => {
                format!("CVA corrected otherwise, by another version of posture ({to}, not {from})")
            }
            SetUpDifference::Framing {
                head_size_ratio,
                shoulder_shift_heads,
            } => format!(
                "camera moved or another person: the head {head_size_ratio:.2} times the size, the shoulders moved {shoulder_shift_heads:.1} head lengths"
            ),
            SetUpDifference::View { from, to } => format!("a {} view, not {}", to.as_str(), from.as_str()),
        }
    }
}

/// How `now` was recorded differently from `then`; empty when alike. Files are compared by kind
/// only (a patient's clips have new names each time); cameras by name. The model and the
/// framing are compared only when both recordings know them.
pub fn differences(then: &Recording, now: &Recording) -> Vec<SetUpDifference> {
    let mut found = Vec::new();
    let (a, b) = (&then.source, &now.source);
    if a.kind != b.kind || (a.kind == SourceKind::Camera && a.name != b.name) {
        found.push(SetUpDifference::Source {
            from: a.name.clone(),
            to: b.name.clone(),
        });
    }
    if (a.width, a.height) != (b.width, b.height) {
        found.push(SetUpDifference::Resolution {
            from: (a.width, a.height),
            to: (b.width, b.height),
        });
    }
    if let (Some(from), Some(to)) = (&then.model, &now.model) {
        if from != to {
            found.push(SetUpDifference::Model {
                from: from.clone(),
                to: to.clone(),
            });
        }
    }
    if let (Some(from), Some(to)) = (&then.cva_correction, &now.cva_correction) {
        let (from, to) = (correction_id(from), correction_id(to));
        if from != to {
            found.push(SetUpDifference::Correction { from, to });
        }
    }
    if let (Some(f), Some(n)) = (then.framing, now.framing) {
        found.extend(framing_difference(&f, &n, (a.width, a.height)));
    }
    found
}

/// Whether the person is framed otherwise in `now` than in `then` (a picture of `size`, the
/// reference's): the head's size beyond [`MAX_HEAD_SIZE_RATIO`] either way, or the shoulders
/// moved beyond [`MAX_SHOULDER_SHIFT_HEADS`].
fn framing_difference(then: &Framing, now: &Framing, (width, height): (u32, u32)) -> Option<SetUpDifference> {
    let head_px = then.head_length_frac * height as f32;
    if head_px.is_nan() || head_px <= 0.0 {
        return None;
    }
    let ratio = now.head_length_frac / then.head_length_frac;
    let dx = (now.shoulders_x_frac - then.shoulders_x_frac) * width as f32;
    let dy = (now.shoulders_y_frac - then.shoulders_y_frac) * height as f32;
    let shift = dx.hypot(dy) / head_px;
    let resized = !(1.0 / MAX_HEAD_SIZE_RATIO..=MAX_HEAD_SIZE_RATIO).contains(&ratio);
    (resized || shift > MAX_SHOULDER_SHIFT_HEADS).then(|| SetUpDifference::Framing {
        head_size_ratio: (ratio * 100.0).round() / 100.0,
        shoulder_shift_heads: (shift * 10.0).round() / 10.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::geometry::PointPx;

    fn body(x: f32, y: f32, head: f32) -> BodyPosition {
        BodyPosition {
            shoulders_mid_px: PointPx { x, y },
            head_length_px: head,
        }
    }

    /// A recording from camera:0 at 640x480, the head 40 px long, the shoulders at (320, 300).
    fn webcam() -> Recording {
        Recording {
            source: SourceInfo {
                kind: SourceKind::Camera,
                name: "camera:0".into(),
                width: 640,
                height: 480,
            },
            model: Some(model_id("pose_landmark_lite.onnx", "0123456789abcdef")),
            framing: Framing::of([body(320.0, 300.0, 40.0)], (640, 480)),
            cva_correction: None,
        }
    }

    #[test]
    fn a_side_cva_corrected_otherwise_is_a_set_up_difference_and_an_unknown_one_is_not() {
        let with = |c: Option<Correction>| Recording {
            cva_correction: c,
            ..webcam()
        };
        let now = with(Some(Correction::FITTED));
        assert_eq!(differences(&now, &now.clone()), vec![]);
        let older = Correction {
            cva_read_once_offset_deg: 0.0,
            ..Correction::FITTED
        };
        let found = differences(&with(Some(older)), &now);
        assert!(
            matches!(&found[..], [SetUpDifference::Correction { from, to }] if from.ends_with("read once 0.00") && to.ends_with("read once -1.55")),
            "{found:?}"
        );
        assert!(found[0].describe().contains("another version of posture"));
        // Not recorded on either side (a front view, or a recording from before): not compared.
        assert_eq!(differences(&with(None), &now), vec![]);
        assert_eq!(differences(&now, &with(None)), vec![]);
    }

    #[test]
    fn framing_is_the_median_position_and_size_as_shares_of_the_picture() {
        let f = Framing::of(
            [
                body(100.0, 200.0, 40.0),
                body(120.0, 240.0, 48.0),
                body(900.0, 0.0, 0.0),
            ],
            (640, 480),
        )
        .unwrap();
        assert_eq!(f.head_length_frac, 40.0 / 480.0);
        assert_eq!((f.shoulders_x_frac, f.shoulders_y_frac), (120.0 / 640.0, 200.0 / 480.0));
        assert_eq!(Framing::of([], (640, 480)), None);
    }

    #[test]
    fn the_same_set_up_is_alike_and_a_file_by_another_name_too() {
        assert_eq!(differences(&webcam(), &webcam()), vec![]);
        let mut a = webcam();
        a.source = SourceInfo::of(std::path::Path::new("/home/p/monday.mp4"), (640, 480));
        let mut b = a.clone();
        b.source.name = "tuesday.mp4".into();
        assert_eq!(differences(&a, &b), vec![]);
    }

    #[test]
    fn another_camera_resolution_or_model_is_a_difference() {
        let mut other = webcam();
        other.source.name = "camera:1".into();
        other.source.width = 1280;
        other.model = Some(model_id("pose_landmark_full.onnx", "fedcba9876543210"));
        let kinds: Vec<String> = differences(&webcam(), &other)
            .iter()
            .map(|d| serde_json::to_value(d).unwrap()["kind"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(kinds, ["source", "resolution", "model"]);
        let mut file = webcam();
        file.source.kind = SourceKind::File;
        assert_eq!(
            differences(&webcam(), &file)[0].describe(),
            "other camera or source (camera:0, not camera:0)"
        );
    }

    #[test]
    fn a_camera_moved_nearer_or_aside_is_a_framing_difference_and_shifting_on_the_chair_is_not() {
        let framed = |x: f32, head: f32| Recording {
            framing: Framing::of([body(x, 300.0, head)], (640, 480)),
            ..webcam()
        };
        // Leaning in a little, shifting by a head length: the same set-up.
        assert_eq!(differences(&webcam(), &framed(360.0, 46.0)), vec![]);
        // Nearer: the head 1.6 times the size.
        let nearer = differences(&webcam(), &framed(320.0, 64.0));
        assert_eq!(
            nearer,
            vec![SetUpDifference::Framing {
                head_size_ratio: 1.6,
                shoulder_shift_heads: 0.0
            }]
        );
        assert!(nearer[0]
            .describe()
            .starts_with("camera moved or another person: the head 1.60 times"));
        // Further away, and aside by three head lengths.
        assert!(!differences(&webcam(), &framed(320.0, 25.0)).is_empty());
        assert!(!differences(&webcam(), &framed(440.0, 40.0)).is_empty());
        // Unknown framing on either side: not compared.
        let unknown = Recording {
            framing: None,
            ..framed(600.0, 90.0)
        };
        assert_eq!(differences(&webcam(), &unknown), vec![]);
    }

    #[test]
    fn differences_read_back_from_json() {
        let d = SetUpDifference::Resolution {
            from: (640, 360),
            to: (512, 600),
        };
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["kind"], "resolution");
        assert_eq!(serde_json::from_value::<SetUpDifference>(json).unwrap(), d);
    }
}
