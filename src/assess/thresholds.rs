//! Clinical thresholds and the classes they define (citations in docs/measures.md).

/// Forward head posture classes from the craniovertebral angle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ForwardHead {
    Normal,
    Borderline,
    Forward,
    Severe,
}

impl ForwardHead {
    pub const ALL: [ForwardHead; 4] = [
        ForwardHead::Normal,
        ForwardHead::Borderline,
        ForwardHead::Forward,
        ForwardHead::Severe,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ForwardHead::Normal => "normal",
            ForwardHead::Borderline => "borderline",
            ForwardHead::Forward => "forward",
            ForwardHead::Severe => "severe",
        }
    }
}

/// The method's own CVA error on validation: the mean absolute error on side renders within 10
/// degrees of profile that took no part in the fit, the largest of the held-out part's and the
/// fresh blocks', read as stills (2.19 and 2.32 deg) and filmed as clips (2.44 and 2.13 deg;
/// docs/measures.md, the `validate_renders` tables). Unlike a clip's interval, which covers
/// only frame-to-frame variation, it says how far a reading may lie from the true angle.
/// tests/validation.rs holds it to those tables.
pub const VALIDATION_CVA_MAE_DEG: f32 = 2.44;

/// The thresholds in use, written into every result's provenance.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Thresholds {
    /// CVA below this is forward head posture (Ruivo 2014 and most studies).
    pub cva_forward_deg: f32,
    /// Half-width of the borderline band around `cva_forward_deg` (48-52): within it the proxy's
    /// error and the test-retest MDC make the call uncertain.
    pub cva_borderline_half_width_deg: f32,
    /// CVA below this is moderate-to-severe (Mostafaee et al., PMID 36036498).
    pub cva_severe_deg: f32,
    /// Changes smaller than this are within measurement noise whatever the intervals say
    /// (photogrammetric CVA MDC is 2-5.5 degrees, measurement.md section 1.5).
    pub min_detectable_change_deg: f32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            cva_forward_deg: 50.0,
            cva_borderline_half_width_deg: 2.0,
            cva_severe_deg: 45.5,
            min_detectable_change_deg: 5.0,
        }
    }
}

impl Thresholds {
    pub fn forward_head(&self, cva_deg: f32) -> Option<ForwardHead> {
        if !cva_deg.is_finite() {
            return None;
        }
        let band = self.cva_borderline_half_width_deg;
        Some(if cva_deg < self.cva_severe_deg {
            ForwardHead::Severe
        } else if cva_deg < self.cva_forward_deg - band {
            ForwardHead::Forward
        } else if cva_deg < self.cva_forward_deg + band {
            ForwardHead::Borderline
        } else {
            ForwardHead::Normal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cva_classes_at_their_edges() {
        let t = Thresholds::default();
        assert_eq!(t.forward_head(60.0), Some(ForwardHead::Normal));
        assert_eq!(t.forward_head(52.0), Some(ForwardHead::Normal));
        assert_eq!(t.forward_head(51.9), Some(ForwardHead::Borderline));
        assert_eq!(t.forward_head(48.0), Some(ForwardHead::Borderline));
        assert_eq!(t.forward_head(47.9), Some(ForwardHead::Forward));
        assert_eq!(t.forward_head(45.5), Some(ForwardHead::Forward));
        assert_eq!(t.forward_head(45.4), Some(ForwardHead::Severe));
        assert_eq!(t.forward_head(f32::NAN), None);
    }
}
