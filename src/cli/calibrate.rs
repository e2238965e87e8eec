//! `posture calibrate`: a personal baseline from upright inputs, for `posture measure --baseline`.

use super::measure::{measure_input, MeasureOptions};
use crate::assess::recording::{differences, model_id, Framing, Recording};
use crate::assess::{assess_frames, Baseline};
use crate::frames::SourceInfo;
use crate::measures::View;
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

/// Inputs are pooled as one recording; this gap between them keeps the movement and spike
/// filters from treating the end of one and the start of the next as neighbours.
const GAP_BETWEEN_INPUTS_MS: f64 = 60_000.0;

#[derive(clap::Args)]
#[command(
    after_help = "Record the person sitting or standing upright, as they will be measured later (same \
camera, place and view). A clip of 10-30 s or a few photos (a camera: give --duration). The baseline is refused, and nothing \
is written, when no frame can be measured, and after Ctrl-C or SIGTERM (exit status 130 or 143)."
)]
pub struct Args {
    /// Images, videos, or camera:N showing the upright posture.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Where to write the baseline (JSON).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    #[command(flatten)]
    options: MeasureOptions,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    super::refuse_output_over_input(&args.out, args.inputs.iter().map(PathBuf::as_path))?;
    crate::output::check_writable(&args.out).with_context(|| format!("cannot write {}", args.out.display()))?;
    let mut models = args.options.pipeline.load_models()?;
    let mut frames = Vec::new();
    let mut offset_ms = 0.0;
    let mut source: Option<(SourceInfo, &PathBuf)> = None;
    for input in &args.inputs {
        let measured = measure_input(input, &args.options, &mut models);
        if super::interrupt::received().is_some() {
            anyhow::bail!("interrupted; no baseline written (give a camera --duration SECONDS to end it)");
        }
        if let Some(e) = measured.error {
            anyhow::bail!("{e}; no baseline written");
        }
        let this = SourceInfo::of(input, measured.stats.frame_size);
        match &source {
            None => source = Some((this, input)),
            Some((first, first_input)) => {
                let same = |s: &SourceInfo| Recording {
                    source: s.clone(),
                    model: None,
                    framing: None,
                    cva_correction: None,
                };
                if let Some(d) = differences(&same(first), &same(&this)).first() {
                    anyhow::bail!(
                        "no baseline written: {} was recorded differently from {} ({}); calibrate from one camera set-up",
                        input.display(),
                        first_input.display(),
                        d.describe()
                    );
                }
            }
        }
        let mut input_frames: Vec<_> = measured.frames.iter().map(|f| f.timed).collect();
        let end = input_frames.last().map_or(0.0, |f| f.timestamp_ms);
        input_frames.iter_mut().for_each(|f| f.timestamp_ms += offset_ms);
        offset_ms += end + GAP_BETWEEN_INPUTS_MS;
        frames.extend(input_frames);
    }
    let (summary, reasons) = assess_frames(&frames, args.options.view, &args.options.settings().thresholds);
    if matches!(summary.view, View::Oblique | View::None) {
        anyhow::bail!(
            "no baseline written: the person is not side-on or facing the camera ({} frame(s) seen)",
            summary.frames_total
        );
    }
    let inputs = args.inputs.iter().map(|i| i.display().to_string()).collect();
    let mut baseline =
        Baseline::from_summary(&summary, inputs).map_err(|e| anyhow::anyhow!("{e}; no baseline written"))?;
    // Where the person sat, over the frames the baseline is made of.
    let used = frames.iter().zip(&reasons).filter(|(_, r)| r.is_none());
    let (source, _) = source.expect("calibrate has at least one input");
    let framing = Framing::of(used.filter_map(|(f, _)| f.measure.body), (source.width, source.height));
    baseline.setup = Some(Recording {
        source,
        model: Some(model_id(models.variant.file_name(), models.landmarks.model().sha256())),
        framing,
        cva_correction: baseline
            .side
            .is_some()
            .then_some(args.options.settings().measure.correction),
    });
    let json = serde_json::to_string_pretty(&baseline)? + "\n";
    crate::output::write_replacing(&args.out, json.as_bytes())
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    if super::chatty() {
        eprintln!(
            "posture: baseline ({} view, {} of {} frames) written to {}",
            summary.view.as_str(),
            summary.frames_used,
            summary.frames_total,
            args.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
