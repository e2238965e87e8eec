//! What an input's summary says in words: its classes and, when there is no angle, why.

use super::baseline::FrontComparison;
use super::summary::Summary;
use super::thresholds::{ForwardHead, Thresholds};
use crate::measures::{Reason, View};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Classification {
    pub forward_head: Option<ForwardHead>,
    pub rounded_shoulders: Option<bool>,
    /// Front view against a baseline only: the head pitched down rather than pushed forward.
    pub looking_down: Option<bool>,
}

/// The classes of an input: from the side, the CVA's class; from the front, what the change
/// from the baseline says (`front`), or nothing without one.
pub fn classify(summary: &Summary, front: Option<&FrontComparison>, thresholds: &Thresholds) -> Classification {
    if summary.view == View::Front {
        return Classification {
            forward_head: front.map(|f| f.forward_head),
            // Not called from the front either (assess::baseline::front_comparison).
            rounded_shoulders: None,
            looking_down: front.map(|f| f.looking_down),
        };
    }
    Classification {
        forward_head: summary
            .side
            .as_ref()
            // On the angle as reported (0.1 degrees), so that a reader's class and number agree.
            .and_then(|s| thresholds.forward_head((s.cva_deg.median * 10.0).round() / 10.0)),
        // From the side only the forward shoulder angle could say this, and it has no acromion
        // point (Reason::NoAcromion).
        rounded_shoulders: None,
        looking_down: None,
    }
}

/// Why an input has no CVA (`None` when it has one): a front view says so; otherwise too
/// little steady evidence when frames did pass every per-frame gate, else the commonest
/// reason frames gave no reading.
pub fn no_cva_reason(summary: &Summary) -> Option<Reason> {
    if summary.side.is_some() {
        None
    } else if summary.view == View::Front {
        Some(Reason::FrontView)
    } else {
        summary.headline_reason()
    }
}

/// How many frames each reason kept from the reported measures, with `no_baseline` for every
/// frame of a front-view input measured without a baseline (it gets signals, not classes).
pub fn quality_reasons(summary: &Summary, baseline_given: bool) -> BTreeMap<Reason, usize> {
    let mut reasons = summary.reasons.clone();
    if summary.view == View::Front && !baseline_given && summary.front.is_some() {
        reasons.insert(Reason::NoBaseline, summary.frames_total);
    }
    reasons
}
