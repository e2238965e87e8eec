//! The `posture` command line: argument parsing and dispatch. Each subcommand lives in its own
//! module and is a thin layer over the library.

mod landmarks;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "posture",
    version,
    about = "Webcam-based posture analysis: BlazePose body landmarks on ONNX Runtime",
    long_about = "Webcam-based posture analysis.\n\nRuns MediaPipe's BlazePose (converted to ONNX, shipped in models/) on images, video \
files and cameras, and writes what it finds as JSON Lines. Needs ONNX Runtime 1.31.1: \
`bash scripts/install-onnxruntime.sh` installs it where posture looks by default, or set ORT_DYLIB_PATH."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Body landmarks for every frame of each input, as JSON Lines.
    Landmarks(landmarks::Args),
    /// List the cameras this machine has.
    Cameras,
}

/// Parse arguments, run, and turn any failure into a one-line message and exit status 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
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
