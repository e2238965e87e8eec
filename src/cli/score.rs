//! `posture score`: folders of clips and photos into per-frame and per-input tables.

use super::measure::MeasureOptions;
use super::pipeline::stop_requested;
use crate::batch::{self, BatchSettings, Event, Shard};
use crate::pipeline::Provenance;
use anyhow::Context;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(
    after_help = "INPUT: files, or folders searched recursively for pictures (PNG, JPEG) and videos, recognised by \
content; other files are skipped and counted, hidden files ignored. Each input is measured as `posture measure` \
measures it.\n\nDIR receives frames.csv (one row per analysed frame: input, frame, timestamp_ms, view, \
yaw_off_profile_deg, cva_deg, head_tilt_deg, forward_head_heads, the front signals, other_people, used, reason), \
summary.csv and summary.jsonl (one row / one `measure --json` object per input, in input order, failed inputs \
included), run.json (settings, version, model hashes, counts, wall time) and, with --keyframes, keyframes/. Each \
input's result is kept in DIR/parts/ as soon as it is complete: the same command run again skips inputs already \
scored with the same settings (same path, size and modification time) and scores the rest; --force scores all \
again.\n\nCtrl-C or SIGTERM stops after the frames in progress: inputs not finished are not kept (run the command \
again to finish them), the tables are written for the rest.\n\nSharding: --shard K/N scores every N-th input of the \
input list (the arguments in order, each folder's files sorted by path) from the K-th; `posture score --merge --out DIR SHARD_DIR...` joins the shards' folders into one \
(docs/batch.md).\n\nExit status: 0 when every input has a result; 3 when the tables are written and some inputs \
failed (their rows say why; a picture with nobody in it counts, as with measure); 1 when the run itself failed; 130 \
after Ctrl-C, 143 after SIGTERM."
)]
pub struct Args {
    /// Files or folders to score (with --merge: the shards' output folders).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Folder for the tables (created if needed).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Inputs measured at once [default: the cores available].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    jobs: Option<u32>,
    /// Score every input again, even those scored before with the same settings.
    #[arg(long)]
    force: bool,
    /// Score only the K-th of N parts of the input list (for several machines).
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    shard: Option<Shard>,
    /// Join the output folders of the shards of one run (given as INPUT) into --out.
    #[arg(long, conflicts_with_all = ["shard", "jobs", "force", "keyframes", "baseline"])]
    merge: bool,
    /// Also write, for each input with a reading, the frame nearest its median with the
    /// subject and the angle drawn (DIR/keyframes/, one PNG each, named after the input's path).
    #[arg(long)]
    keyframes: bool,
    /// A baseline from `posture calibrate`, to report the change from it.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    #[command(flatten)]
    options: MeasureOptions,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // `--quiet` (a flag of every command): no progress bar, no line per input, no summary.
    let quiet = !super::chatty();
    if let Some(dash) = args.inputs.iter().find(|i| i.as_os_str() == super::stdin::STDIN) {
        anyhow::bail!(
            "{}: score reads files and folders, kept and resumed by path; read standard input with `posture measure -`",
            dash.display()
        );
    }
    if args.merge {
        let counts = batch::merge(&args.inputs, &args.out)?;
        if !quiet {
            eprintln!(
                "posture: merged {} folder(s) into {}: {} input(s), {} measured, {} failed",
                args.inputs.len(),
                args.out.display(),
                counts.inputs_found,
                counts.measured,
                counts.failed
            );
        }
        return Ok(exit_status(&counts));
    }
    if let Some(input) = args
        .inputs
        .iter()
        .find(|i| i.to_str().is_some_and(|s| s.starts_with("camera:")))
    {
        anyhow::bail!(
            "{}: score reads files and folders; measure a camera with `posture measure camera:N --duration SECONDS`",
            input.display()
        );
    }
    let p = &args.options.pipeline;
    if p.replay || p.resolution.is_some() || p.fps.is_some() {
        anyhow::bail!(
            "--replay, --resolution and --camera-fps are for cameras and live replays; score reads every frame of each file"
        );
    }
    let inputs = args.inputs.iter().chain(&args.baseline).map(PathBuf::as_path);
    super::refuse_output_over_input(&args.out, inputs)?;
    let baseline_bytes = args
        .baseline
        .as_ref()
        .map(|p| std::fs::read(p).with_context(|| format!("cannot read {}", p.display())))
        .transpose()?;
    let baseline = args
        .baseline
        .as_deref()
        .map(super::measure::load_baseline)
        .transpose()?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("cannot create {}", args.out.display()))?;
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |j| j as usize,
    );
    let mut pipeline = args.options.pipeline.settings();
    // One thread of each kind per job: the jobs use the cores (results do not depend on it).
    pipeline.threads = args.options.pipeline.threads.unwrap_or(1) as usize;
    pipeline.decoder_threads = 1;
    let settings = BatchSettings {
        pipeline,
        assess: args.options.settings(),
        jobs,
        force: args.force,
        shard: args.shard,
        keyframes: args.keyframes,
    };
    // The provenance needs the models' hashes; loading them once here also fails early, before
    // any worker starts, when the runtime or a model is missing.
    let models = settings.pipeline.load_models()?;
    let provenance = Provenance::of(&models, &settings.pipeline, &settings.assess);
    drop(models);
    let plan = batch::plan(
        &args.inputs,
        &args.out,
        &settings,
        &provenance,
        baseline_bytes.as_deref(),
    )?;
    for s in &plan.skipped {
        if !quiet {
            eprintln!("posture: skipped {}: {}", s.path.display(), s.why);
        }
    }
    let mut progress = Progress::new(&plan, quiet);
    let counts = batch::run(
        &plan,
        &args.out,
        &settings,
        &provenance,
        baseline.as_ref(),
        &stop_requested,
        |event| progress.on(event),
    )?;
    progress.finish();
    if !quiet {
        eprintln!(
        "posture: {} input(s): {} measured ({} from an earlier run), {} failed, {} not scored; {} file(s) skipped; tables in {}",
        counts.inputs_found,
        counts.measured,
        counts.reused,
        counts.failed,
        counts.not_scored,
        counts.skipped,
        args.out.display()
        );
    }
    if counts.not_scored > 0 && stop_requested() {
        eprintln!("posture: run the same command again to score the rest");
    }
    Ok(exit_status(&counts))
}

/// Exit status 3 when the tables are written but some inputs failed (their rows say why), so
/// that a cluster job can tell it from a run that failed (1).
/// The same number as `measure`'s "read, but no measurement": the results are written, some
/// inputs have no number (here also those that could not be read).
const SOME_INPUTS_FAILED: u8 = super::NO_MEASUREMENT;

fn exit_status(counts: &batch::Counts) -> ExitCode {
    if counts.failed > 0 {
        ExitCode::from(SOME_INPUTS_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// The progress bar (on a terminal, unless quiet) and the one-line errors.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    /// Without a terminal (a log file, a cluster job), a line per input instead of the bar.
    log_lines: bool,
    inputs_total: usize,
    inputs_done: usize,
    frames: u64,
    started: std::time::Instant,
}

impl Progress {
    fn new(plan: &batch::Plan, quiet: bool) -> Progress {
        let bytes: u64 = plan.inputs.iter().map(|i| i.bytes).sum();
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new(bytes.max(1));
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:30} {msg} [{elapsed_precise}, {eta} left]")
                    .expect("valid template"),
            );
            // The clock and the time left move between inputs too (a long clip takes minutes).
            bar.enable_steady_tick(std::time::Duration::from_millis(500));
            bar
        });
        let progress = Progress {
            log_lines: !quiet && bar.is_none(),
            bar,
            inputs_total: plan.inputs.len(),
            inputs_done: 0,
            frames: 0,
            started: std::time::Instant::now(),
        };
        progress.show();
        progress
    }

    fn show(&self) {
        if let Some(bar) = &self.bar {
            let fps = self.frames as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "{}/{} inputs, {fps:.0} frames/s",
                self.inputs_done, self.inputs_total
            ));
        }
    }

    fn println(&self, line: String) {
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }

    fn on(&mut self, event: Event) {
        let bytes = match event {
            Event::Scored {
                input,
                frames,
                bytes,
                error,
                segments,
            } => {
                self.frames += frames;
                if self.log_lines {
                    let cut = if segments > 1 {
                        format!(" in {segments} segments")
                    } else {
                        String::new()
                    };
                    eprintln!(
                        "posture: [{}/{}] {input}: {frames} frame(s){cut}",
                        self.inputs_done + 1,
                        self.inputs_total
                    );
                }
                if let Some(e) = error {
                    // Most errors already start with the input's name.
                    let line = if e.contains(&input) { e } else { format!("{input}: {e}") };
                    self.println(format!("posture: error: {line}"));
                }
                bytes
            }
            Event::Reused { bytes } => bytes,
            Event::Stopped { input } => {
                self.println(format!("posture: {input}: stopped part-way, not kept"));
                return;
            }
        };
        self.inputs_done += 1;
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
        self.show();
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
