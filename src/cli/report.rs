//! `posture report PATIENT --out report.html`: the patient's history as one self-contained HTML
//! file (or, with `--json`, the same content as data).

use crate::visit::record::PatientRecord;
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(
    after_help = "The HTML file holds everything (styles, plots, the key frame as an inline picture) and refers \
to nothing outside itself: it opens offline and prints on A4. --json writes patient, visits (date, view, cva_deg, \
ci95, frames_used, differences, ...), changes (from, to, delta_deg, noise_deg, beyond_noise) and norms."
)]
pub struct Args {
    patient: String,
    /// Where to write the report (`-`: standard output).
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
    /// Write the content as JSON instead of HTML.
    #[arg(long)]
    json: bool,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let data = crate::monitor::log::data_dir()?;
    let record = PatientRecord::open(&data, &args.patient)?;
    let (h, count) = record.history(&crate::assess::Thresholds::default())?;
    let bytes = if args.json {
        serde_json::to_string_pretty(&h)? + "\n"
    } else {
        let now = crate::visit::format::utc_rfc3339(std::time::SystemTime::now());
        crate::report::html(&h, &now)
    };
    if super::is_stdout(&args.out) {
        use std::io::Write;
        std::io::stdout().lock().write_all(bytes.as_bytes())?;
    } else {
        crate::output::write_replacing(&args.out, bytes.as_bytes())
            .with_context(|| format!("cannot write {}", args.out.display()))?;
        if super::chatty() {
            eprintln!(
                "posture: report of {} ({} visit(s)) written to {}",
                h.patient,
                count,
                args.out.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
