//! The C7 proxy model and the linear correction from raw landmark angles to clinical angles.
//!
//! BlazePose's ear is not the tragus and its shoulder is not C7 or the acromion, so the raw
//! angles are biased. [`Correction::FITTED`] was fitted on the training part of the renders in
//! `fixtures/renders/` (true angles from skin points of the posed mesh); docs/measures.md has the
//! fit, its held-out error, and the command that regenerates both
//! (`cargo run --release --example validate_renders`).

/// The C7 proxy offsets and a linear map per angle: `true = offset + slope * raw`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Correction {
    /// C7 proxy: head lengths behind the shoulder midpoint.
    pub c7_back_heads: f32,
    /// C7 proxy: head lengths above the shoulder midpoint.
    pub c7_up_heads: f32,
    pub cva_offset_deg: f32,
    pub cva_slope: f32,
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
        shoulder_offset_deg: 0.0,
        shoulder_slope: 1.0,
        source: "none (raw proxy angles)",
    };

    pub fn cva_deg(&self, raw_deg: f32) -> f32 {
        self.cva_offset_deg + self.cva_slope * raw_deg
    }

    pub fn shoulder_angle_deg(&self, raw_deg: f32) -> f32 {
        self.shoulder_offset_deg + self.shoulder_slope * raw_deg
    }
}

impl Correction {
    /// The fit in use (see the module docs). The slopes stay 1: only the C7 offsets and a
    /// constant bias are fitted, because a free slope shrinks towards the mean of the renders
    /// when the proxy is noisy, which would hide real change.
    pub const FITTED: Correction = Correction {
        c7_back_heads: 0.0,
        c7_up_heads: 0.0,
        cva_offset_deg: -31.45,
        cva_slope: 1.0,
        shoulder_offset_deg: 103.64,
        shoulder_slope: 1.0,
        source: "renders in fixtures/renders (training part), examples/validate_renders.rs --fit",
    };
}
