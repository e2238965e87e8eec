//! `posture visits add|list`: the patient record (see [`crate::visit::record`]).

use super::measure::MeasureOptions;
use super::pipeline::stop_requested;
use crate::pipeline::Analysis;
use crate::visit::format::PartView;
use crate::visit::import::import;
use crate::visit::record::PatientRecord;
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Add a visit to a patient's record: a visit file from `posture capture`, or a clip or
    /// photos, measured now (a clip recorded side-on then facing the camera becomes a side
    /// part and a front part).
    Add(AddArgs),
    /// The patient's visits, oldest first, with their set-up and whether each is comparable
    /// with the first.
    List(ListArgs),
}

#[derive(clap::Args)]
#[command(
    after_help = "Records live in $POSTURE_DATA_DIR/patients/ID/, else $XDG_DATA_HOME/posture/patients/ID/, else \
~/.local/share/posture/patients/ID/: one visit file per visit, copied in whole. A visit file recorded for another \
patient is refused. A clip or photos are stored as a visit with protocol `import`, dated by the file's modification \
time unless --recorded-at is given. Nothing is stored when anything fails."
)]
pub struct AddArgs {
    /// Patient id (letters, digits, '-', '_', '.').
    patient: String,
    /// A visit file (.zip), or one clip, or photos.
    #[arg(required = true, value_name = "VISIT.zip|CLIP|PHOTO")]
    inputs: Vec<PathBuf>,
    /// When the clip or photos were recorded (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC)
    /// [default: the file's modification time].
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    recorded_at: Option<String>,
    #[command(flatten)]
    options: MeasureOptions,
}

#[derive(clap::Args)]
pub struct ListArgs {
    patient: String,
    /// The history as JSON (as `posture report --json`).
    #[arg(long)]
    json: bool,
}

fn parse_date(s: &str) -> Result<String, String> {
    let bad = || format!("'{s}' is not a date YYYY-MM-DD or a UTC time YYYY-MM-DDTHH:MM:SSZ");
    let full = if s.len() == 10 {
        format!("{s}T00:00:00Z")
    } else {
        s.to_string()
    };
    let b = full.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r.clone()).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let num = |r: std::ops::Range<usize>| full[r].parse::<u32>().unwrap_or(99);
    let shape = b.len() == 20
        && [0..4, 5..7, 8..10, 11..13, 14..16, 17..19].into_iter().all(digits)
        && (b[4], b[7], b[10], b[13], b[16], b[19]) == (b'-', b'-', b'T', b':', b':', b'Z');
    if !shape
        || !(1..=12).contains(&num(5..7))
        || !(1..=31).contains(&num(8..10))
        || num(11..13) > 23
        || num(14..16) > 59
        || num(17..19) > 60
    {
        return Err(bad());
    }
    Ok(full)
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    let data = crate::monitor::log::data_dir()?;
    match command {
        Command::Add(args) => add(&data, args),
        Command::List(args) => list(&data, args),
    }
}

fn is_visit_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

fn add(data: &Path, args: AddArgs) -> anyhow::Result<ExitCode> {
    let record = PatientRecord::open(data, &args.patient)?;
    let zips = args.inputs.iter().filter(|p| is_visit_file(p)).count();
    if zips > 0 {
        if zips != args.inputs.len() {
            anyhow::bail!("give visit files, or one clip or photos, not both; nothing added");
        }
        // Check every file before storing any, so that a bad one leaves the record as it was.
        for path in &args.inputs {
            crate::visit::format::read(path)?;
        }
        for path in &args.inputs {
            let (stored, visit) = record.add_file(path)?;
            if super::chatty() {
                eprintln!(
                    "posture: visit of {} ({}, {}) added to {}'s record: {}",
                    visit.recorded_at,
                    visit.protocol.as_str(),
                    parts_of(&visit),
                    record.id,
                    stored.display()
                );
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let recorded_at = match &args.recorded_at {
        Some(d) => d.clone(),
        None => {
            let modified = std::fs::metadata(&args.inputs[0])
                .and_then(|m| m.modified())
                .with_context(|| format!("{}: cannot read its date; give --recorded-at", args.inputs[0].display()))?;
            crate::visit::format::utc_rfc3339(modified)
        }
    };
    let (mut models, pipeline, settings, provenance) = args.options.prepare()?;
    let analysis = Analysis {
        pipeline: &pipeline,
        assess: &settings,
        baseline: None,
        provenance: &provenance,
    };
    let file = import(&args.inputs, &analysis, &mut models, &stop_requested, recorded_at)?;
    for part in &file.visit.parts {
        println!("{}: {}", part.view.as_str(), part.record.human_line());
    }
    let parts = parts_of(&file.visit);
    let when = file.visit.recorded_at.clone();
    let stored = record.add_new(file)?;
    if super::chatty() {
        eprintln!(
            "posture: visit of {when} (import, {parts}{}) added to {}'s record: {}",
            if args.recorded_at.is_none() {
                "; dated by the file's modification time"
            } else {
                ""
            },
            record.id,
            stored.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn parts_of(visit: &crate::visit::format::Visit) -> String {
    let names: Vec<&str> = visit.parts.iter().map(|p| p.view.as_str()).collect();
    format!(
        "{} part{}",
        names.join(" and "),
        if names.len() == 1 { "" } else { "s" }
    )
}

fn list(data: &Path, args: ListArgs) -> anyhow::Result<ExitCode> {
    let record = PatientRecord::open(data, &args.patient)?;
    let (h, count) = record.history(&crate::assess::Thresholds::default())?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &h)?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    writeln!(
        out,
        "patient {}: {} visit(s) in {}",
        h.patient,
        count,
        record.dir.display()
    )?;
    for e in &h.visits {
        let reading = match (e.view, e.cva_deg) {
            (PartView::Side, Some(c)) => match e.ci95 {
                Some((lo, hi)) => format!("CVA {c:.1}° (clip interval {lo:.1}-{hi:.1})"),
                None => format!("CVA {c:.1}°"),
            },
            (PartView::Side, None) => "no CVA".to_string(),
            (PartView::Front, _) => "front".to_string(),
        };
        let flag = if e.comparable {
            String::new()
        } else {
            let d: Vec<String> = e.differences.iter().map(|d| d.describe()).collect();
            format!(", NOT COMPARED: {}", d.join("; "))
        };
        writeln!(
            out,
            "{} visit {} {:<5} {reading}, {}/{} frames used, {}, {}{flag}",
            e.date,
            e.visit,
            e.view.as_str(),
            e.frames_used,
            e.frames_total,
            e.protocol,
            e.source
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked_and_completed() {
        assert_eq!(parse_date("2026-12-02").unwrap(), "2026-12-02T00:00:00Z");
        assert_eq!(parse_date("2026-12-02T09:10:00Z").unwrap(), "2026-12-02T09:10:00Z");
        for bad in [
            "2026-13-02",
            "02.12.2026",
            "2026-12-02T25:00:00Z",
            "2026-12-02 09:10:00",
            "x",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
    }
}
