//! `posture measure`: posture measures for each input, one result each.

use super::pipeline::{for_each_frame, PipelineArgs};
use crate::assess::baseline::{front_comparison, side_changes, Baseline};
use crate::assess::{summarize, Summary, Thresholds, TimedMeasure, ViewChoice};
use crate::measures::{measure_frame, MeasureSettings};
use crate::output::measure::{MeasureRecord, ModelProvenance, Provenance};
use crate::pose::PoseModels;
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Clone)]
pub struct MeasureOptions {
    /// Which measures: side (craniovertebral and shoulder angles, from a profile view), front
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
change_from_baseline, interrupted, provenance. Definitions, thresholds and the validation are in docs/measures.md.\n\n\
Ctrl-C or SIGTERM ends the input in progress with the frames measured so far (its result says interrupted) and \
skips the rest; --duration ends each input after that much media time (a camera never ends by itself).\n\nExit status: \
1 when an input could not be read or showed no person; 130 after Ctrl-C, 143 after SIGTERM."
)]
pub struct Args {
    /// Images, videos, or camera:N.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// A baseline from `posture calibrate`, to report the change from it.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// One JSON object per input instead of a line of text.
    #[arg(long)]
    json: bool,
    /// Write the results to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    options: MeasureOptions,
}

impl MeasureOptions {
    pub fn settings(&self) -> MeasureSettings {
        MeasureSettings {
            camera_roll_deg: self.camera_roll,
            max_profile_yaw_deg: self.max_profile_yaw,
            ..Default::default()
        }
    }

    pub fn provenance(&self, models: &PoseModels, thresholds: &Thresholds) -> Provenance {
        let settings = self.settings();
        let p = &self.pipeline;
        Provenance {
            tool: "posture",
            version: env!("CARGO_PKG_VERSION"),
            model: ModelProvenance {
                landmark_file: models.variant.file_name().to_string(),
                landmark_sha256: models.landmarks.model().sha256().to_string(),
                detector_sha256: models.detector.model().sha256().to_string(),
                recropped_frames: 0,
            },
            thresholds: *thresholds,
            correction: settings.correction,
            settings: serde_json::json!({
                "view": self.view,
                "camera_roll_deg": settings.camera_roll_deg,
                "max_profile_yaw_deg": settings.max_profile_yaw_deg,
                "max_trunk_lean_deg": settings.max_trunk_lean_deg,
                "min_visibility": settings.min_visibility,
                "min_presence": settings.min_presence,
                "smoothing": p.smoothing,
                "stride": p.stride,
                "duration_s": p.duration_s,
                "subject": p.subject,
                "series": crate::assess::series::SeriesSettings::ANGLE,
            }),
        }
    }
}

/// The per-frame measures of one input, and how many frames' poses were read through a
/// re-crop (`Pose::recropped`). On a read error part-way, the frames read so far come back with
/// the error; after Ctrl-C or SIGTERM, the frames measured before it.
pub fn measure_input(
    input: &Path,
    options: &MeasureOptions,
    models: &mut PoseModels,
) -> (Vec<TimedMeasure>, usize, Option<anyhow::Error>) {
    let settings = options.settings();
    let mut frames = Vec::new();
    let mut recropped = 0;
    let result = for_each_frame(input, &options.pipeline, models, |frame, result, is_still| {
        let size = (frame.image.width(), frame.image.height());
        recropped += usize::from(result.pose.as_ref().is_some_and(|p| p.recropped));
        frames.push(TimedMeasure {
            timestamp_ms: frame.timestamp_ms,
            is_still,
            measure: measure_frame(result.pose.as_ref(), size, &settings),
        });
        Ok(())
    });
    (frames, recropped, result.err())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(output) = &args.output {
        let inputs = args.inputs.iter().chain(&args.baseline).map(PathBuf::as_path);
        super::refuse_output_over_input(output, inputs)?;
    }
    let baseline = args.baseline.as_deref().map(Baseline::load).transpose()?;
    let mut models = args.options.pipeline.load_models()?;
    let thresholds = Thresholds::default();
    let provenance = args.options.provenance(&models, &thresholds);
    let mut out = super::output_writer(args.output.as_deref())?;
    let mut failures = 0;
    for path in &args.inputs {
        if super::interrupt::received().is_some() {
            break;
        }
        let input = &path.display().to_string();
        let (frames, recropped_frames, error) = measure_input(path, &args.options, &mut models);
        let mut provenance = provenance.clone();
        provenance.model.recropped_frames = recropped_frames;
        let interrupted = super::interrupt::received().is_some();
        let mut record = if frames.is_empty() {
            let e = error.map_or_else(|| format!("{input}: no frames"), |e| format!("{e:#}"));
            eprintln!("posture: error: {e}");
            MeasureRecord::unreadable(input, e, provenance)
        } else {
            let summary = summarize(&frames, args.options.view, &thresholds);
            let mut record = record_for(input, &summary, baseline.as_ref(), &thresholds, provenance);
            if let Some(e) = error {
                eprintln!("posture: error: {e:#} (the frames before it are measured)");
                record.error = Some(format!("{e:#}"));
            }
            if summary.reasons.get(&crate::measures::Reason::NoPerson) == Some(&summary.frames_total) {
                eprintln!("posture: error: {input}: no person in view");
                failures += 1;
            }
            record
        };
        record.interrupted = interrupted;
        failures += usize::from(record.error.is_some());
        if args.json {
            serde_json::to_writer(&mut out, &record)?;
            writeln!(out)?;
        } else {
            writeln!(out, "{}", record.human_line())?;
        }
        out.flush().context("cannot write output")?;
    }
    Ok(super::exit_code(failures))
}

fn record_for(
    input: &str,
    summary: &Summary,
    baseline: Option<&Baseline>,
    thresholds: &Thresholds,
    provenance: Provenance,
) -> MeasureRecord {
    let side = baseline
        .and_then(|b| b.side.as_ref())
        .zip(summary.side.as_ref())
        .map(|(b, now)| side_changes(b, now, thresholds));
    let front = baseline
        .and_then(|b| b.front.as_ref())
        .zip(summary.front.as_ref())
        .and_then(|(b, now)| front_comparison(b, now));
    MeasureRecord::from_summary(input, summary, thresholds, side, front, baseline.is_some(), provenance)
}
