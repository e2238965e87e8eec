//! `posture doctor`: what this machine has of what posture needs (see [`crate::setup::doctor`]).

use crate::setup::doctor::{examine, Status};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(
    after_help = "Checks, in order: the platform and its ONNX Runtime wheel; the ONNX Runtime library \
posture loads (where, which version, built for this machine's architecture or not); FFmpeg's libraries; the models \
(built in or from --models/POSTURE_MODELS, each against its SHA-256); the data folder (writable); cameras. Each \
missing thing is printed with the one command that fixes it.\n\nExit status: 0 when posture can run here (a missing \
camera only limits `watch`), 1 when something it needs is missing."
)]
pub struct Args {
    /// One JSON object (schema posture-doctor/1): usable, and checks [{name, status, found, fix}].
    #[arg(long)]
    json: bool,
    /// Check the models in DIR instead of the built-in ones [default: $POSTURE_MODELS].
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let report = examine(&crate::pose::runtime::ModelSource::with_env(args.models));
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
    } else {
        for check in &report.checks {
            writeln!(out, "{:<8} {:<13} {}", check.status.as_str(), check.name, check.found)?;
            if let Some(fix) = check.fix.as_ref().filter(|_| check.status != Status::Ok) {
                writeln!(out, "{:<8} {:<13} fix: {fix}", "", "")?;
            }
        }
        let missing = report.checks.iter().filter(|c| c.status == Status::Missing).count();
        if missing == 0 {
            writeln!(out, "posture can run here")?;
        } else {
            writeln!(
                out,
                "posture cannot run here: {missing} thing(s) missing; run the fix shown"
            )?;
        }
    }
    Ok(if report.usable {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
