//! `posture measure`: posture measures for each input, one result each.

use super::pipeline::{report_pass, stop_requested, PipelineArgs};
use crate::assess::baseline::Baseline;
use crate::assess::{Thresholds, ViewChoice};
use crate::measures::MeasureSettings;
use crate::output::measure::MeasureRecord;
use crate::pipeline::{Analysis, AssessSettings, Measured, Provenance};
use crate::pose::PoseModels;
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Clone)]
pub struct MeasureOptions {
    /// Which measures: side (craniovertebral angle and head tilt, from a profile view), front
    /// (signals against a personal baseline), or auto (from the view most frames show).
    #[arg(long, value_enum, default_value = "auto")]
    pub view: ViewChoice,
    /// How far a true horizontal rises to the right in the picture, in degrees, when the
    /// camera was not level (e.g. from the phone's level).
    #[arg(long, value_name = "DEG", default_value = "0", allow_hyphen_values = true, value_parser = parse_roll)]
    pub camera_roll: f32,
    /// Read the side-view angles only within this many degrees of an exact profile.
    #[arg(long, value_name = "DEG", default_value = "10", value_parser = parse_max_yaw)]
    pub max_profile_yaw: f32,
    #[command(flatten)]
    pub pipeline: PipelineArgs,
}

fn parse_roll(s: &str) -> Result<f32, String> {
    s.parse::<f32>()
        .ok()
        .filter(|v| v.abs() <= 45.0)
        .ok_or_else(|| format!("'{s}' is not a camera roll in degrees between -45 and 45"))
}

fn parse_max_yaw(s: &str) -> Result<f32, String> {
    s.parse::<f32>()
        .ok()
        .filter(|v| (0.0..=30.0).contains(v))
        .ok_or_else(|| format!("'{s}' is not a yaw limit in degrees between 0 and 30"))
}

#[derive(clap::Args)]
#[command(
    after_help = "Each input (image, video, or camera:N) gets one result, even when it cannot be measured \
(then the numbers are null and `reason` says why). With --json, one JSON object per input, a line each: input, view, \
cva_deg, shoulder_angle_deg (null, shoulder_angle_reason says why), head_tilt_deg, classification, quality {frames_total, frames_used, reasons}, ci95, \
change_from_baseline, baseline_mismatch (with a baseline: how the input was recorded differently from it; when it lists \
anything nothing is compared), interrupted, provenance, schema (posture-measure/1). Every field: README. Definitions, thresholds and the validation are in docs/measures.md. \
INPUT `-` reads a picture or video from standard input.\n\n\
Ctrl-C or SIGTERM ends the input in progress with the frames measured so far (its result says interrupted) and \
skips the rest; --duration ends each input after that much media time (a camera never ends by itself).\n\nExit status: \
1 when an input could not be read; 3 when every input was read but some gave no measurement (nobody in view, no \
frame usable); 130 after Ctrl-C, 143 after SIGTERM."
)]
pub struct Args {
    /// Images, videos, or camera:N.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// A baseline from `posture calibrate`, to report the change from it (when the input was
    /// recorded in the baseline's set-up: `baseline_mismatch`).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// One JSON object per input instead of a line of text.
    #[arg(long)]
    json: bool,
    /// Write the results to FILE instead of standard output (`-`: standard output).
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    options: MeasureOptions,
}

impl MeasureOptions {
    /// The models loaded, and the settings and provenance of an [`Analysis`] with them.
    pub fn prepare(
        &self,
    ) -> anyhow::Result<(
        PoseModels,
        crate::pipeline::PipelineSettings,
        AssessSettings,
        Provenance,
    )> {
        let models = self.pipeline.load_models()?;
        let (pipeline, settings) = (self.pipeline.settings(), self.settings());
        let provenance = Provenance::of(&models, &pipeline, &settings);
        Ok((models, pipeline, settings, provenance))
    }

    pub fn settings(&self) -> AssessSettings {
        AssessSettings {
            view: self.view,
            measure: MeasureSettings {
                camera_roll_deg: self.camera_roll,
                max_profile_yaw_deg: self.max_profile_yaw,
                ..Default::default()
            },
            thresholds: Thresholds::default(),
        }
    }
}

/// The per-frame measures of one input (see [`crate::pipeline::measure_input`]), its pass
/// reported on stderr.
pub fn measure_input(input: &Path, options: &MeasureOptions, models: &mut PoseModels) -> Measured {
    let measured = crate::pipeline::measure_input(
        input,
        &options.pipeline.settings(),
        &options.settings().measure,
        models,
        &stop_requested,
        |_, _, _| {},
    );
    if measured.stats.frames > 0 {
        report_pass(input, &measured.stats);
    }
    measured
}

/// Load a baseline, saying when it cannot be checked against the inputs' set-up.
pub fn load_baseline(path: &Path) -> anyhow::Result<Baseline> {
    let baseline = Baseline::load(path)?;
    if baseline.setup.is_none() {
        eprintln!(
            "posture: warning: {}: the baseline records no camera set-up (an older posture made it), so a moved camera or another person cannot be told; record it again with `posture calibrate`",
            path.display()
        );
    }
    Ok(baseline)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(output) = &args.output {
        let inputs = args.inputs.iter().chain(&args.baseline).map(PathBuf::as_path);
        super::refuse_output_over_input(output, inputs)?;
    }
    let baseline = args.baseline.as_deref().map(load_baseline).transpose()?;
    let stdin = super::stdin::spool(&args.inputs)?;
    let (mut models, pipeline, settings, provenance) = args.options.prepare()?;
    let analysis = Analysis {
        pipeline: &pipeline,
        assess: &settings,
        baseline: baseline.as_ref(),
        provenance: &provenance,
    };
    let mut out = super::output_writer(args.output.as_deref())?;
    let mut outcome = super::Outcome::default();
    for path in &args.inputs {
        if stop_requested() {
            break;
        }
        let mut result = analysis.run(stdin.path(path), &mut models, &stop_requested, |_, _, _| {});
        result.input = path.display().to_string();
        if result.stats.frames > 0 {
            report_pass(path, &result.stats);
        }
        let mut record = MeasureRecord::of(&result, &settings.thresholds);
        record.error = record.error.map(|e| stdin.relabel(&e));
        match (&result.error, result.summary.is_some()) {
            (Some(e), true) => eprintln!(
                "posture: error: {} (the frames before it are measured)",
                stdin.relabel(&e.to_string())
            ),
            (Some(e), false) => eprintln!("posture: error: {}", stdin.relabel(&e.to_string())),
            (None, _) if result.nobody_in_view() => eprintln!("posture: {}: no person in view", result.input),
            (None, _) => {}
        }
        if let Some(m) = record.baseline_mismatch.as_ref().filter(|m| !m.is_empty()) {
            let words: Vec<String> = m.iter().map(|d| d.describe()).collect();
            eprintln!(
                "posture: warning: {}: recorded differently from the baseline ({}); not compared with it",
                result.input,
                words.join("; ")
            );
        }
        if record.error.is_some() {
            outcome.unreadable += 1;
        } else if !record.has_measurement() {
            outcome.unmeasured += 1;
        }
        let line = if args.json {
            serde_json::to_string(&record)?
        } else {
            record.human_line()
        };
        let written = writeln!(out, "{line}").and_then(|()| out.flush());
        match written.context("cannot write output") {
            // Whoever read the output has stopped (`| head`): stop too, quietly.
            Err(e) if super::is_broken_pipe(&e) => return Ok(outcome.exit_code()),
            other => other?,
        }
    }
    Ok(outcome.exit_code())
}
