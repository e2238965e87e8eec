//! `posture landmarks`: BlazePose landmarks for every frame of each input, as JSON Lines.

use super::pipeline::{for_each_frame, PipelineArgs};
use crate::output::{annotate, jsonl};
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(
    after_help = "INPUTS: image files (PNG, JPEG), video files (anything FFmpeg decodes: H.264, VP9, ...), or \
camera:N for camera N (see `posture cameras`).\n\nOUTPUT: one JSON object per frame: source, frame, timestamp_ms, \
other_people, and pose (null when no person is found; else score, 33 landmarks with x_px, y_px, z, visibility, presence, \
and 33 world_landmarks in metres). A bad input is reported on stderr and skipped; the exit status is then 1."
)]
pub struct Args {
    /// Images, videos, or camera:N.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    #[command(flatten)]
    pipeline: PipelineArgs,
    /// Write annotated frames (skeleton drawn over the picture) as PNG files into DIR.
    #[arg(long, value_name = "DIR")]
    annotate: Option<PathBuf>,
    /// Write the JSON Lines to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut models = args.pipeline.load_models()?;
    if let Some(dir) = &args.annotate {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create annotation folder {}", dir.display()))?;
    }
    let mut out = super::output_writer(args.output.as_deref())?;
    let mut failures = 0;
    for input in &args.inputs {
        if let Err(e) = process_input(input, &args, &mut models, &mut *out) {
            eprintln!("posture: error: {e:#}");
            failures += 1;
        }
    }
    out.flush()?;
    Ok(super::exit_code(failures))
}

fn process_input(
    input: &str,
    args: &Args,
    models: &mut crate::pose::PoseModels,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let stem = Path::new(input)
        .file_stem()
        .map_or_else(|| "camera".into(), |s| s.to_string_lossy().into_owned());
    for_each_frame(input, &args.pipeline, models, |frame, result, is_still| {
        jsonl::write_record(out, input, frame, result).context("cannot write output")?;
        if let (Some(dir), Some(pose)) = (&args.annotate, &result.pose) {
            let mut img = frame.image.clone();
            annotate::draw_pose(&mut img, pose);
            let name = if is_still {
                format!("{stem}.png")
            } else {
                format!("{stem}_{:06}.png", frame.index)
            };
            let path = dir.join(name);
            img.save(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    })?;
    Ok(())
}
