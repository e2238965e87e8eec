//! The `posture` command line: argument parsing and dispatch. Each subcommand lives in its own
//! module and is a thin layer over the library.

mod calibrate;
mod landmarks;
mod measure;
mod pipeline;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "posture",
    version,
    about = "Webcam-based posture analysis: clinical posture measures from BlazePose body landmarks",
    long_about = "Webcam-based posture analysis.\n\nRuns MediaPipe's BlazePose (converted to ONNX, shipped in models/) on images, video \
files and cameras, and turns the landmarks into posture measures with their uncertainty. Needs ONNX Runtime 1.31.1: \
`bash scripts/install-onnxruntime.sh` installs it where posture looks by default, or set ORT_DYLIB_PATH."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Posture measures for each input: craniovertebral angle, shoulder angle, head tilt from
    /// a side view; change from a personal baseline from the front.
    Measure(measure::Args),
    /// Record a personal baseline from upright input, for `measure --baseline`.
    Calibrate(calibrate::Args),
    /// Body landmarks for every frame of each input, as JSON Lines.
    Landmarks(landmarks::Args),
    /// List the cameras this machine has.
    Cameras,
}

/// Parse arguments, run, and turn any failure into a one-line message and exit status 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Measure(args) => measure::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Landmarks(args) => landmarks::run(args),
        Command::Cameras => list_cameras(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("posture: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Standard output, or a file created for the purpose.
fn output_writer(path: Option<&std::path::Path>) -> anyhow::Result<Box<dyn std::io::Write>> {
    use anyhow::Context;
    Ok(match path {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    })
}

fn exit_code(failures: usize) -> ExitCode {
    if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn list_cameras() -> anyhow::Result<ExitCode> {
    let cameras = crate::frames::list_cameras()?;
    if cameras.is_empty() {
        eprintln!("posture: no cameras found");
        return Ok(ExitCode::FAILURE);
    }
    for c in cameras {
        println!("camera:{}\t{}\t{}", c.index, c.name, c.description);
    }
    Ok(ExitCode::SUCCESS)
}
