//! The batch tables: `frames.csv` (one row per analysed frame) and `summary.csv` (one row per
//! input). Units are in the column names; numbers have fixed decimals; a cell is empty when
//! there is no value. Each input's rows are rendered on their own (no header), so that they can
//! be stored per input and joined in input order.

use super::measure::MeasureRecord;
use crate::measures::{FrontSignal, Reason};
use crate::pipeline::InputResult;

/// The columns of `frames.csv`, in order.
pub fn frame_columns() -> Vec<&'static str> {
    let mut columns = vec![
        "input",
        "frame",
        "timestamp_ms",
        "view",
        "yaw_off_profile_deg",
        "cva_deg",
        "head_tilt_deg",
        "forward_head_heads",
    ];
    columns.extend(FrontSignal::ALL.iter().map(|s| s.name()));
    columns.extend(["other_people", "used", "reason"]);
    columns
}

/// Decimals each front signal is written with.
fn signal_decimals(signal: FrontSignal) -> usize {
    match signal {
        FrontSignal::ShoulderWidthPx | FrontSignal::EyeDistancePx => 1,
        FrontSignal::HeadScaleRatio
        | FrontSignal::EarShoulderDrop
        | FrontSignal::EarShoulderDepthM
        | FrontSignal::NoseDrop => 4,
    }
}

/// A number with `decimals` decimals, or an empty cell for none (or a non-finite one).
fn fixed(value: Option<f32>, decimals: usize) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => String::new(),
    }
}

fn reason_cell(reason: Option<Reason>) -> &'static str {
    reason.map_or("", Reason::code)
}

fn csv_bytes(rows: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    for row in rows {
        writer.write_record(&row).expect("writing CSV to memory cannot fail");
    }
    writer.into_inner().expect("writing CSV to memory cannot fail")
}

/// The header line of a table.
pub fn header(columns: &[&str]) -> Vec<u8> {
    csv_bytes([columns.iter().map(|c| c.to_string()).collect()])
}

/// The `frames.csv` rows of one input (no header).
pub fn frame_rows(result: &InputResult) -> Vec<u8> {
    frame_rows_as(result, &result.input)
}

/// [`frame_rows`] with `input` in the input column (a visit names its part there).
pub fn frame_rows_as(result: &InputResult, input: &str) -> Vec<u8> {
    let rows = result.frames.iter().zip(&result.frame_reasons).map(|(f, reason)| {
        let m = &f.timed.measure;
        let side = m.side.ok();
        let front = m.front.ok();
        let mut row = vec![
            input.to_string(),
            f.index.to_string(),
            format!("{:.1}", f.timed.timestamp_ms),
            m.view.view.as_str().to_string(),
            fixed(Some(m.view.off_profile_deg), 2),
            fixed(side.map(|s| s.cva_deg), 2),
            fixed(side.map(|s| s.head_tilt_deg), 2),
            fixed(side.map(|s| s.forward_head_heads), 3),
        ];
        row.extend(
            FrontSignal::ALL
                .iter()
                .map(|&s| fixed(front.map(|v| v.get(s)), signal_decimals(s))),
        );
        row.push(f.other_people.to_string());
        row.push(reason.is_none().to_string());
        row.push(reason_cell(*reason).to_string());
        row
    });
    csv_bytes(rows)
}

/// The columns of `summary.csv`, in order.
pub fn summary_columns() -> Vec<&'static str> {
    let mut columns = vec![
        "input",
        "view",
        "cva_deg",
        "cva_ci95_low_deg",
        "cva_ci95_high_deg",
        "cva_q1_deg",
        "cva_q3_deg",
        "forward_head",
        "head_tilt_deg",
        "forward_head_heads",
        "looking_down",
        "cva_change_deg",
        "cva_change_noise_deg",
        "cva_change_beyond_noise",
    ];
    columns.extend(FrontSignal::ALL.iter().map(|s| s.name()));
    columns.extend([
        "frames_total",
        "frames_used",
        "reason",
        "other_people_most",
        "other_people_s",
        "error",
        "keyframe",
        // Added after the others: readers that count columns keep working.
        "baseline_mismatch",
    ]);
    columns
}

/// The `summary.csv` row of one input's record (no header), with its key frame's path.
pub fn summary_row(record: &MeasureRecord, keyframe: Option<&std::path::Path>) -> Vec<u8> {
    let ci = record.ci95.as_ref().and_then(|c| c.cva_deg);
    let cva_change = record
        .change_from_baseline
        .as_ref()
        .and_then(|cs| cs.iter().find(|c| c.measure == crate::measures::Measure::CvaDeg));
    let opt_bool = |b: Option<bool>| b.map_or(String::new(), |b| b.to_string());
    let class = record
        .classification
        .forward_head
        .map_or(String::new(), |c| c.as_str().to_string());
    let mut row = vec![
        record.input.clone(),
        record.view.as_str().to_string(),
        fixed(record.cva_deg, 1),
        fixed(ci.map(|c| c.0), 1),
        fixed(ci.map(|c| c.1), 1),
        fixed(record.cva_iqr_deg.map(|q| q.0), 1),
        fixed(record.cva_iqr_deg.map(|q| q.1), 1),
        class,
        fixed(record.head_tilt_deg, 1),
        fixed(record.forward_head_heads, 2),
        opt_bool(record.classification.looking_down),
        fixed(cva_change.map(|c| c.change), 1),
        fixed(cva_change.map(|c| c.noise), 1),
        opt_bool(cva_change.map(|c| c.beyond_noise)),
    ];
    row.extend(FrontSignal::ALL.iter().map(|s| {
        let median = record.front_signals.as_ref().and_then(|f| f.get(s).copied());
        fixed(median, signal_decimals(*s))
    }));
    row.extend([
        record.quality.frames_total.to_string(),
        record.quality.frames_used.to_string(),
        reason_cell(record.reason).to_string(),
        record.other_people.most_at_once.to_string(),
        format!("{:.1}", record.other_people.seconds),
        record.error.clone().unwrap_or_default(),
        keyframe.map_or(String::new(), |k| k.display().to_string()),
        record.baseline_mismatch.as_ref().map_or(String::new(), |differences| {
            let words: Vec<String> = differences.iter().map(|d| d.describe()).collect();
            words.join("; ")
        }),
    ]);
    csv_bytes([row])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_have_fixed_decimals_and_none_is_empty() {
        assert_eq!(fixed(Some(41.0), 2), "41.00");
        assert_eq!(fixed(Some(-0.123456), 4), "-0.1235");
        assert_eq!(fixed(None, 2), "");
        assert_eq!(fixed(Some(f32::NAN), 2), "");
    }

    #[test]
    fn a_path_with_commas_and_quotes_stays_one_cell() {
        let bytes = csv_bytes([vec!["a, \"b\".mp4".to_string(), "1".to_string()]]);
        assert_eq!(String::from_utf8(bytes).unwrap(), "\"a, \"\"b\"\".mp4\",1\n");
    }

    #[test]
    fn every_front_signal_has_a_column_in_both_tables() {
        for s in FrontSignal::ALL {
            assert!(frame_columns().contains(&s.name()));
            assert!(summary_columns().contains(&s.name()));
        }
        let unique: std::collections::BTreeSet<_> = summary_columns().into_iter().collect();
        assert_eq!(unique.len(), summary_columns().len());
    }
}
