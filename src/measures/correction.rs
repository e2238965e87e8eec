//! The C7 model's band and the linear correction from the raw picture angle to the clinical CVA.
//!
//! BlazePose's ear is not the tragus, the outline of the neck is not the spinous process, and a
//! camera above the subject or a few degrees off profile changes the angles a picture shows, so
//! the raw angle is biased. [`Correction::FITTED`] was fitted on the training part of the
//! renders in `fixtures/renders/` (true angles from skin points of the posed mesh);
//! docs/measures.md has the fit, its held-out error, and the command that regenerates both
//! (`cargo run --release --example validate_renders`).

use super::neck::NeckBand;

/// The neck band and a linear map of the CVA: `true = offset + slope * raw`, plus a term for the
/// camera's height. (The forward shoulder angle has no correction because it has no proxy:
/// [`super::Reason::NoAcromion`].)
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Correction {
    /// Where the C7 proxy samples the back of the neck (see [`super::neck`]).
    pub neck_band: NeckBand,
    pub cva_offset_deg: f32,
    pub cva_slope: f32,
    /// Degrees added to the CVA per head length that the far shoulder appears above the near
    /// one. A camera above the subject looks down on the near ear, which lies to the side of the
    /// midline, and lowers it in the picture; the far shoulder rising says how far above it is.
    pub cva_deg_per_far_shoulder_above: f32,
    /// Degrees added to the CVA of a pose read once (a clip's or a camera's frame): the line
    /// above is fitted on stills, which are read twice, as they are and mirrored
    /// (`crate::pose::Pose::read_mirrored`), and one reading sits higher on average. Records
    /// written before this term have none.
    #[serde(default)]
    pub cva_read_once_offset_deg: f32,
    /// What the fit was made on.
    #[serde(deserialize_with = "deserialize_source")]
    pub source: StaticStr,
}

/// `&'static str`, named so that serde's derive does not take the field for a string borrowed
/// from the input (which would make the whole result deserialisable only from `'static` data);
/// such fields are read with [`interned`].
pub(crate) type StaticStr = &'static str;

/// A string read back from a stored result as the `&'static str` the live types hold: one of
/// `known` when it is one (the usual case), else leaked (a result of another version: a few
/// bytes per result read, for the life of the process).
pub(crate) fn interned(value: String, known: &[&'static str]) -> &'static str {
    known
        .iter()
        .find(|k| **k == value)
        .copied()
        .unwrap_or_else(|| Box::leak(value.into_boxed_str()))
}

fn deserialize_source<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<&'static str, D::Error> {
    let value = <String as serde::Deserialize>::deserialize(deserializer)?;
    Ok(interned(
        value,
        &[Correction::FITTED.source, Correction::IDENTITY.source],
    ))
}

/// The band used before any fit, and by the geometry tests.
const MID_NECK: NeckBand = NeckBand { from: 0.4, to: 0.8 };

impl Correction {
    /// No correction: the raw picture angles (used by tests of the geometry, and by the fit).
    pub const IDENTITY: Correction = Correction {
        neck_band: MID_NECK,
        cva_offset_deg: 0.0,
        cva_slope: 1.0,
        cva_deg_per_far_shoulder_above: 0.0,
        cva_read_once_offset_deg: 0.0,
        source: "none (raw picture angles)",
    };

    /// `far_shoulder_above_heads`: see [`Self::cva_deg_per_far_shoulder_above`];
    /// `read_mirrored`: whether the pose was read twice (see [`Self::cva_read_once_offset_deg`]).
    pub fn cva_deg(&self, raw_deg: f32, far_shoulder_above_heads: f32, read_mirrored: bool) -> f32 {
        let once = if read_mirrored {
            0.0
        } else {
            self.cva_read_once_offset_deg
        };
        self.cva_offset_deg
            + self.cva_slope * raw_deg
            + self.cva_deg_per_far_shoulder_above * far_shoulder_above_heads
            + once
    }
}

impl Correction {
    /// The fit in use (see the module docs): least squares stretched to the truth's spread, so
    /// that readings spread as much as the true angles do and a real difference is reported in
    /// full.
    pub const FITTED: Correction = Correction {
        neck_band: NeckBand { from: 0.4, to: 0.6 },
        cva_offset_deg: -5.19,
        cva_slope: 1.234,
        cva_deg_per_far_shoulder_above: 2.56,
        cva_read_once_offset_deg: -1.55,
        source: "renders in fixtures/renders (training part), examples/validate_renders.rs --fit",
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pose_read_once_gets_the_read_once_term_and_a_pose_read_twice_does_not() {
        let c = Correction::FITTED;
        let twice = c.cva_deg(40.0, 0.1, true);
        assert_eq!(
            twice,
            c.cva_offset_deg + c.cva_slope * 40.0 + c.cva_deg_per_far_shoulder_above * 0.1
        );
        let once = c.cva_deg(40.0, 0.1, false) - twice;
        assert!((once - c.cva_read_once_offset_deg).abs() < 1e-4, "{once}");
        assert!(c.cva_read_once_offset_deg != 0.0);
        let none = Correction::IDENTITY;
        assert_eq!(none.cva_deg(40.0, 0.5, false), 40.0);
        assert_eq!(none.cva_deg(40.0, 0.5, true), 40.0);
    }

    #[test]
    fn a_stored_correction_without_the_read_once_term_reads_back_with_none() {
        let mut stored = serde_json::to_value(Correction::FITTED).unwrap();
        stored.as_object_mut().unwrap().remove("cva_read_once_offset_deg");
        let back: Correction = serde_json::from_value(stored).unwrap();
        assert_eq!(back.cva_read_once_offset_deg, 0.0);
        assert_eq!(back.cva_slope, Correction::FITTED.cva_slope);
    }
}
