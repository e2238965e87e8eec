//! A patient's history: every stored visit's parts, which of them are comparable with the first
//! visit, and the changes between comparable side readings, judged against measurement noise.
//! This is the content of `posture report` (`--json` writes it as it is; [`crate::report`]
//! shapes it as HTML).

use super::compare::{cva_change, differences, front_notes, Difference, FrontNote, VALIDATION_CVA_MAE_DEG};
use super::format::{PartView, VisitFile};
use crate::assess::{ForwardHead, Thresholds};
use crate::measures::Reason;
use crate::output::measure::MeasureRecord;
use serde::Serialize;

/// One part (view) of one visit.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// The visit's position in the record, from 1, oldest first.
    pub visit: usize,
    /// When it was recorded (UTC, RFC 3339).
    pub date: String,
    pub view: PartView,
    pub file: String,
    pub protocol: String,
    pub source: String,
    pub model: String,
    pub cva_deg: Option<f32>,
    /// The clip interval: 95% interval of the median over the clip's frames (clips only).
    pub ci95: Option<(f32, f32)>,
    pub class: Option<ForwardHead>,
    pub frames_used: usize,
    pub frames_total: usize,
    /// The main reasons frames were set aside, most frequent first.
    pub set_aside: Vec<(Reason, usize)>,
    /// Set-up differences from the first visit's: when any, this entry is not compared.
    pub differences: Vec<Difference>,
    pub comparable: bool,
    /// Front parts: changes against the first comparable front visit, in words.
    pub front_notes: Vec<FrontNote>,
    #[serde(skip)]
    pub record: MeasureRecord,
    #[serde(skip)]
    pub keyframe_png: Option<Vec<u8>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Since {
    Previous,
    First,
}

/// A change of the side CVA between two comparable visits.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryChange {
    pub since: Since,
    /// Dates of the two visits.
    pub from: String,
    pub to: String,
    pub from_visit: usize,
    pub to_visit: usize,
    pub delta_deg: f32,
    /// What the change had to exceed (the MDC, or more with wide clip intervals).
    pub noise_deg: f32,
    pub beyond_noise: bool,
}

/// The figures the numbers are read against.
#[derive(Debug, Clone, Serialize)]
pub struct Norms {
    pub thresholds: Thresholds,
    /// CVA at or above this is normal (the forward threshold plus the borderline band).
    pub normal_from_deg: f32,
    pub validation_cva_mae_deg: f32,
}

/// The schema of a patient's history as JSON (`posture report --json`, `posture visits list
/// --json`).
pub const HISTORY_SCHEMA: &str = "posture-history/1";

#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// [`HISTORY_SCHEMA`].
    pub schema: &'static str,
    pub patient: String,
    pub visits: Vec<HistoryEntry>,
    pub changes: Vec<HistoryChange>,
    pub norms: Norms,
}

impl History {
    /// The latest side entry with a CVA that is comparable (or, when none is, the latest side
    /// entry with a CVA).
    pub fn latest_side(&self) -> Option<&HistoryEntry> {
        let side = || {
            self.visits
                .iter()
                .rev()
                .filter(|e| e.view == PartView::Side && e.cva_deg.is_some())
        };
        side().find(|e| e.comparable).or_else(|| side().next())
    }
}

fn reasons_set_aside(record: &MeasureRecord) -> Vec<(Reason, usize)> {
    let mut reasons: Vec<(Reason, usize)> = record
        .quality
        .reasons
        .iter()
        .filter(|(r, _)| !matches!(r, Reason::FrontView | Reason::NoAcromion | Reason::NoBaseline))
        .map(|(r, n)| (*r, *n))
        .collect();
    reasons.sort_by_key(|r| std::cmp::Reverse(r.1));
    reasons.truncate(3);
    reasons
}

/// The history of `patient` from their visits, oldest first.
pub fn history(patient: &str, visits: &[(String, VisitFile)], thresholds: &Thresholds) -> History {
    let mut entries = Vec::new();
    for view in PartView::ALL {
        // The first visit with this view is the reference the others must match.
        let reference = visits.iter().find(|(_, f)| f.visit.part(view).is_some());
        let mut first_front = None;
        for (k, (name, file)) in visits.iter().enumerate() {
            let Some(part) = file.visit.part(view) else { continue };
            let record = &part.record;
            let diffs = reference.map_or_else(Vec::new, |(_, r)| differences(patient, &r.visit, &file.visit, view));
            let comparable = diffs.is_empty();
            let mut notes = Vec::new();
            if let (true, Some(signals)) = (comparable, record.front_signals.as_ref()) {
                match &first_front {
                    None => first_front = Some(signals.clone()),
                    Some(first) => notes = front_notes(first, signals),
                }
            }
            let m = &record.provenance.model;
            entries.push(HistoryEntry {
                visit: k + 1,
                date: file.visit.recorded_at.clone(),
                view,
                file: name.clone(),
                protocol: file.visit.protocol.as_str().into(),
                source: format!(
                    "{} {}x{}",
                    file.visit.source.name, file.visit.source.width, file.visit.source.height
                ),
                model: format!("{} (sha256 {})", m.landmark_file, m.landmark_sha256),
                cva_deg: record.cva_deg,
                ci95: record.ci95.as_ref().and_then(|c| c.cva_deg),
                class: if view == PartView::Side {
                    record.classification.forward_head
                } else {
                    None
                },
                frames_used: record.quality.frames_used,
                frames_total: record.quality.frames_total,
                set_aside: reasons_set_aside(record),
                differences: diffs,
                comparable,
                front_notes: notes,
                record: record.clone(),
                keyframe_png: file.keyframe(part).map(<[u8]>::to_vec),
            });
        }
    }
    entries.sort_by_key(|e| (e.visit, e.view));
    let changes = side_changes(&entries, thresholds);
    History {
        schema: HISTORY_SCHEMA,
        patient: patient.to_string(),
        visits: entries,
        changes,
        norms: Norms {
            thresholds: *thresholds,
            normal_from_deg: thresholds.cva_forward_deg + thresholds.cva_borderline_half_width_deg,
            validation_cva_mae_deg: VALIDATION_CVA_MAE_DEG,
        },
    }
}

/// The latest comparable side reading against the one before it and against the first (the same
/// visit when there are two).
fn side_changes(entries: &[HistoryEntry], t: &Thresholds) -> Vec<HistoryChange> {
    let readings: Vec<&HistoryEntry> = entries
        .iter()
        .filter(|e| e.view == PartView::Side && e.comparable && e.cva_deg.is_some())
        .collect();
    let [first, .., latest] = readings[..] else {
        return Vec::new();
    };
    let previous = readings[readings.len() - 2];
    vec![
        change(Since::Previous, previous, latest, t),
        change(Since::First, first, latest, t),
    ]
}

fn change(since: Since, from: &HistoryEntry, to: &HistoryEntry, t: &Thresholds) -> HistoryChange {
    let reading = |e: &HistoryEntry| (e.cva_deg.unwrap_or(f32::NAN), e.ci95);
    let c = cva_change(reading(from), reading(to), t);
    HistoryChange {
        since,
        from: from.date.clone(),
        to: to.date.clone(),
        from_visit: from.visit,
        to_visit: to.visit,
        delta_deg: (c.delta_deg * 10.0).round() / 10.0,
        noise_deg: (c.noise_deg * 10.0).round() / 10.0,
        beyond_noise: c.beyond_noise,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visit::format::tests::visit_file;

    /// The test visit, recorded on `day` of December for `patient`, with this side CVA and
    /// clip interval.
    fn visit(day: u32, patient: &str, cva: f32) -> (String, VisitFile) {
        let mut f = visit_file();
        f.visit.recorded_at = format!("2026-12-{day:02}T09:00:00Z");
        f.visit.patient = Some(patient.into());
        let record = &mut f.visit.parts[0].record;
        record.cva_deg = Some(cva);
        record.ci95 = Some(crate::output::measure::Intervals {
            cva_deg: Some((cva - 0.5, cva + 0.5)),
            head_tilt_deg: None,
        });
        (format!("{day}.zip"), f)
    }

    #[test]
    fn changes_are_between_comparable_side_readings_only() {
        let t = Thresholds::default();
        let visits = [
            visit(1, "P1", 50.0),
            visit(2, "P1", 47.0),
            visit(3, "P2", 30.0),
            visit(4, "P1", 43.0),
        ];
        let h = history("P1", &visits, &t);
        let side: Vec<_> = h.visits.iter().filter(|e| e.view == PartView::Side).collect();
        assert_eq!(
            side.iter().map(|e| e.comparable).collect::<Vec<_>>(),
            [true, true, false, true]
        );
        assert_eq!(h.changes.len(), 2);
        let (previous, first) = (&h.changes[0], &h.changes[1]);
        assert_eq!(
            (previous.since, previous.from_visit, previous.to_visit),
            (Since::Previous, 2, 4)
        );
        assert_eq!((previous.delta_deg, previous.beyond_noise), (-4.0, false));
        assert_eq!((first.since, first.from_visit, first.to_visit), (Since::First, 1, 4));
        assert_eq!(
            (first.delta_deg, first.noise_deg, first.beyond_noise),
            (-7.0, 5.0, true)
        );
        assert_eq!(h.latest_side().map(|e| e.visit), Some(4));
    }

    #[test]
    fn one_reading_has_no_change() {
        let h = history("P1", &[visit(1, "P1", 50.0)], &Thresholds::default());
        assert!(h.changes.is_empty());
    }
}
