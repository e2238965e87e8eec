//! `posture landmarks`: BlazePose landmarks for every frame of each input, as JSON Lines.

use super::pipeline::{report_pass, stop_requested, PipelineArgs};
use crate::output::{annotate, jsonl};
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(
    after_help = "INPUTS: image files (PNG, JPEG), video files (anything FFmpeg decodes: H.264, VP9, ...; a phone \
video's rotation is applied), or camera:N for camera N (see `posture cameras`).\n\nOUTPUT: JSON Lines, each with schema (posture-landmarks/1): first a header {schema, run: {tool, version, \
landmark_file, landmark_sha256, detector_sha256, settings}}, then one object per frame: source, frame, timestamp_ms, \
other_people, and pose (null when no person is found; else score, 33 landmarks with x_px, y_px, z, visibility, presence, \
and 33 world_landmarks in metres). INPUT `-` reads a picture or video from standard input. A bad input is reported on stderr and \
skipped; the exit status is then 1 (3 when every input was read but one showed nobody in any frame).\n\nCtrl-C or SIGTERM stops at the next \
frame, keeps what was written and exits with 130 (Ctrl-C) or 143 (SIGTERM)."
)]
pub struct Args {
    /// Images, videos, or camera:N.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    pipeline: PipelineArgs,
    /// Write annotated frames (skeleton drawn over the picture) as PNG files into DIR, under
    /// each input's own path: DIR/a/photo.jpg.png, DIR/b/clip.mp4_000012.png.
    #[arg(long, value_name = "DIR")]
    annotate: Option<PathBuf>,
    /// Write the JSON Lines to FILE instead of standard output (`-`: standard output).
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(output) = &args.output {
        super::refuse_output_over_input(output, args.inputs.iter().map(PathBuf::as_path))?;
    }
    let stdin = super::stdin::spool(&args.inputs)?;
    let mut models = args.pipeline.load_models()?;
    if let Some(dir) = &args.annotate {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create annotation folder {}", dir.display()))?;
    }
    let mut out = super::output_writer(args.output.as_deref())?;
    let header = jsonl::write_header(&mut *out, crate::VERSION, &models, &args.pipeline.settings());
    if let Err(e) = header {
        // Whoever read the output has stopped (`| head`): stop too, quietly.
        return if e.kind() == std::io::ErrorKind::BrokenPipe {
            Ok(ExitCode::SUCCESS)
        } else {
            Err(anyhow::Error::new(e).context("cannot write output"))
        };
    }
    let mut outcome = super::Outcome::default();
    for input in &args.inputs {
        if super::interrupt::received().is_some() {
            break;
        }
        match process_input(input, stdin.path(input), &args, &mut models, &mut *out) {
            Ok(stats) if stats.frames_with_person == 0 => {
                eprintln!("posture: {}: no person in view", input.display());
                outcome.unmeasured += 1;
            }
            Ok(_) => {}
            // Whoever read the output has stopped (`| head`): stop too, quietly.
            Err(e) if super::is_broken_pipe(&e) => return Ok(outcome.exit_code()),
            Err(e) => {
                eprintln!("posture: error: {}", stdin.relabel(&format!("{e:#}")));
                outcome.unreadable += 1;
            }
        }
    }
    out.flush()?;
    Ok(outcome.exit_code())
}

/// Landmarks of every frame of `input`, read from `file` (the spooled copy for `-`).
fn process_input(
    input: &Path,
    file: &Path,
    args: &Args,
    models: &mut crate::pose::PoseModels,
    out: &mut dyn Write,
) -> anyhow::Result<crate::pipeline::LoopStats> {
    let label = input.display().to_string();
    // The landmarks need no person mask.
    let settings = crate::pipeline::PipelineSettings {
        person_mask: crate::pipeline::PersonMaskWhen::Never,
        ..args.pipeline.settings()
    };
    let each = |frame: &crate::frames::Frame, result: &crate::pose::PoseFrame, is_still: bool| {
        jsonl::write_record(out, &label, frame, result).context("cannot write output")?;
        if let (Some(dir), Some(pose)) = (&args.annotate, &result.pose) {
            let mut img = frame.image.clone();
            annotate::draw_pose(&mut img, pose);
            let suffix = if is_still {
                ".png".to_string()
            } else {
                format!("_{:06}.png", frame.index)
            };
            let path = dir.join(crate::output::mirrored(input, &suffix));
            if let Some(folder) = path.parent() {
                std::fs::create_dir_all(folder).with_context(|| format!("cannot create {}", folder.display()))?;
            }
            img.save(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok::<(), anyhow::Error>(())
    };
    let stats = crate::pipeline::for_each_frame(file, &settings, models, &stop_requested, each)?;
    report_pass(input, &stats);
    Ok(stats)
}
