//! The C7 proxy model and the linear correction from raw landmark angles to clinical angles.
//!
//! BlazePose's ear is not the tragus and its shoulder is not C7 or the acromion, so the raw
//! angles are biased. [`Correction::FITTED`] was fitted on the training part of the renders in
//! `fixtures/renders/` (true angles from skin points of the posed mesh); docs/measures.md has the
//! fit, its held-out error, and the command that regenerates both
//! (`cargo run --release --example validate_renders`).

/// The C7 proxy offsets and a linear map per angle: `true = offset + slope * raw` (plus, for the
/// CVA, a term for how far off profile the camera looks).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Correction {
    /// C7 proxy: head lengths behind the shoulder midpoint.
    pub c7_back_heads: f32,
    /// C7 proxy: head lengths above the shoulder midpoint.
    pub c7_up_heads: f32,
    pub cva_offset_deg: f32,
    pub cva_slope: f32,
    /// Degrees added to the CVA per head length that the far shoulder appears ahead of the near
    /// one. A camera a few degrees off profile moves the near ear and shoulder, which sit at
    /// different depths, by different amounts; the far shoulder's apparent lead says which way
    /// and how far the camera is turned.
    pub cva_deg_per_far_shoulder_ahead: f32,
    pub shoulder_offset_deg: f32,
    pub shoulder_slope: f32,
    /// What the fit was made on.
    pub source: &'static str,
}

impl Correction {
    /// No correction: the raw proxy angles (used by tests of the geometry, and by the fit).
    pub const IDENTITY: Correction = Correction {
        c7_back_heads: 0.5,
        c7_up_heads: 0.6,
        cva_offset_deg: 0.0,
        cva_slope: 1.0,
        cva_deg_per_far_shoulder_ahead: 0.0,
        shoulder_offset_deg: 0.0,
        shoulder_slope: 1.0,
        source: "none (raw proxy angles)",
    };

    /// `far_shoulder_ahead_heads`: see [`Self::cva_deg_per_far_shoulder_ahead`].
    pub fn cva_deg(&self, raw_deg: f32, far_shoulder_ahead_heads: f32) -> f32 {
        self.cva_offset_deg + self.cva_slope * raw_deg + self.cva_deg_per_far_shoulder_ahead * far_shoulder_ahead_heads
    }

    pub fn shoulder_angle_deg(&self, raw_deg: f32) -> f32 {
        self.shoulder_offset_deg + self.shoulder_slope * raw_deg
    }
}

impl Correction {
    /// The fit in use (see the module docs): the raw angle was regressed on the true angle and
    /// inverted, so that a reading is unbiased whatever the true angle; its slope above 2 says
    /// how little the landmark proxy moves with the true CVA.
    pub const FITTED: Correction = Correction {
        c7_back_heads: 0.0,
        c7_up_heads: 0.0,
        cva_offset_deg: -123.41,
        cva_slope: 2.239,
        cva_deg_per_far_shoulder_ahead: -3.71,
        shoulder_offset_deg: 125.50,
        shoulder_slope: 1.0,
        source: "renders in fixtures/renders (training part), examples/validate_renders.rs --fit",
    };
}
