//! `posture landmarks`: BlazePose landmarks for every frame of each input, as JSON Lines.

use crate::frames::{self, CameraConfig, FrameSource, OpenOptions, VideoOptions};
use crate::output::{annotate, jsonl};
use crate::pose::{
    LandmarkVariant, OneEuroParams, PoseModels, SessionOptions, Smoothing, SubjectRule, Tracker, TrackerConfig,
    TrackingMode,
};
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
    /// Landmark model: lite is faster, full is more accurate.
    #[arg(long, value_enum, default_value = "lite")]
    model: LandmarkVariant,
    /// Process every Nth video frame (frame numbers still count every frame).
    #[arg(long, default_value = "1", value_parser = clap::value_parser!(u32).range(1..))]
    stride: u32,
    /// Write annotated frames (skeleton drawn over the picture) as PNG files into DIR.
    #[arg(long, value_name = "DIR")]
    annotate: Option<PathBuf>,
    /// Measure the person nearest this pixel when tracking starts, instead of the largest.
    #[arg(long, value_name = "X,Y", value_parser = parse_point)]
    subject: Option<(f32, f32)>,
    /// Write the JSON Lines to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Smoothing of video landmarks: measure (light, little lag), display (MediaPipe's heavy
    /// drawing filter) or off.
    #[arg(long, value_enum, default_value = "measure")]
    smoothing: SmoothingChoice,
    /// Custom One Euro parameters for image landmarks: min cutoff (Hz), beta, derivative cutoff (Hz).
    #[arg(long, value_name = "MIN_CUTOFF,BETA,D_CUTOFF", value_parser = parse_one_euro)]
    one_euro: Option<OneEuroParams>,
    /// Deliver video frames at real-time pace, dropping those the pipeline is too slow for,
    /// as a camera would.
    #[arg(long)]
    replay: bool,
    /// Run the detector every N tracked frames to count other people in view (0 = only when
    /// the subject is lost).
    #[arg(long, value_name = "N", default_value = "30")]
    recount_every: u32,
    /// ONNX Runtime threads per model.
    #[arg(long, default_value = "2", value_parser = clap::value_parser!(u32).range(1..=64))]
    threads: u32,
    /// Camera resolution for camera inputs, e.g. 1280x720.
    #[arg(long, value_name = "WxH", value_parser = frames::parse_resolution)]
    resolution: Option<(u32, u32)>,
    /// Camera frame rate for camera inputs.
    #[arg(long, value_parser = frames::parse_fps)]
    fps: Option<u32>,
    /// Folder holding the ONNX models [default: the shipped models/, or $POSTURE_MODELS].
    #[arg(long, value_name = "DIR")]
    models: Option<PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SmoothingChoice {
    Measure,
    Display,
    Off,
}

fn parse_point(s: &str) -> Result<(f32, f32), String> {
    let (x, y) = s.split_once(',').ok_or("expected X,Y in pixels, e.g. 640,360")?;
    let parse = |v: &str| v.trim().parse::<f32>().ok().filter(|v| v.is_finite() && *v >= 0.0);
    match (parse(x), parse(y)) {
        (Some(x), Some(y)) => Ok((x, y)),
        _ => Err(format!("'{s}' is not a pixel position X,Y (two non-negative numbers)")),
    }
}

fn parse_one_euro(s: &str) -> Result<OneEuroParams, String> {
    let v: Vec<f32> = s.split(',').filter_map(|p| p.trim().parse().ok()).collect();
    match v[..] {
        [min_cutoff_hz, beta, derivative_cutoff_hz]
            if min_cutoff_hz > 0.0 && beta >= 0.0 && derivative_cutoff_hz > 0.0 =>
        {
            Ok(OneEuroParams {
                min_cutoff_hz,
                beta,
                derivative_cutoff_hz,
            })
        }
        _ => Err(format!(
            "'{s}' is not MIN_CUTOFF,BETA,D_CUTOFF (cutoffs > 0 Hz, beta >= 0)"
        )),
    }
}

/// Open one input: a camera spec or a file.
fn open_input(input: &str, args: &Args) -> anyhow::Result<Box<dyn FrameSource>> {
    if let Some(device) = input.strip_prefix("camera:") {
        let device = device
            .parse()
            .map_err(|_| anyhow::anyhow!("'{input}': expected camera:N with N a number"))?;
        let config = CameraConfig {
            device,
            resolution: args.resolution,
            fps: args.fps,
        };
        return Ok(Box::new(frames::CameraSource::open(&config)?));
    }
    let options = OpenOptions {
        video: VideoOptions {
            stride: args.stride,
            decoder_threads: 0,
        },
        replay: args.replay,
    };
    Ok(frames::open_file(Path::new(input), &options)?)
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let smoothing = match args.smoothing {
        SmoothingChoice::Measure => Some(Smoothing::MEASURE),
        SmoothingChoice::Display => Some(Smoothing::DISPLAY),
        SmoothingChoice::Off => None,
    }
    .map(|mut s| {
        if let Some(p) = args.one_euro {
            s.image = p;
        }
        s
    });
    let models_dir = args
        .models
        .clone()
        .unwrap_or_else(crate::pose::runtime::default_models_dir);
    let mut models = PoseModels::load(
        &models_dir,
        args.model,
        SessionOptions {
            threads: args.threads as usize,
        },
    )?;
    if let Some(dir) = &args.annotate {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create annotation folder {}", dir.display()))?;
    }
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };

    let mut failures = 0;
    for input in &args.inputs {
        if let Err(e) = process_input(input, &args, smoothing, &mut models, &mut *out) {
            eprintln!("posture: error: {e:#}");
            failures += 1;
        }
    }
    out.flush()?;
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn process_input(
    input: &str,
    args: &Args,
    smoothing: Option<Smoothing>,
    models: &mut PoseModels,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let mut source = open_input(input, args)?;
    let mode = if source.is_still() {
        TrackingMode::Stills
    } else {
        TrackingMode::Stream
    };
    let subject = args
        .subject
        .map_or(SubjectRule::Largest, |(x, y)| SubjectRule::NearestTo(x, y));
    let mut tracker = Tracker::new(TrackerConfig {
        mode,
        subject,
        recount_every: args.recount_every,
        smoothing,
        ..Default::default()
    });
    let stem = Path::new(input)
        .file_stem()
        .map_or_else(|| "camera".into(), |s| s.to_string_lossy().into_owned());
    let (mut frames, mut with_pose, mut bad_frames) = (0u64, 0u64, Vec::new());
    let started = std::time::Instant::now();
    while let Some(next) = source.next_frame() {
        let frame = match next {
            Ok(f) => f,
            Err(e) => {
                bad_frames.push(e.to_string());
                continue;
            }
        };
        let result = tracker.process(models, &frame)?;
        jsonl::write_record(out, input, &frame, &result).context("cannot write output")?;
        frames += 1;
        with_pose += u64::from(result.pose.is_some());
        if let (Some(dir), Some(pose)) = (&args.annotate, &result.pose) {
            let mut img = frame.image.clone();
            annotate::draw_pose(&mut img, pose);
            let name = if mode == TrackingMode::Stills {
                format!("{stem}.png")
            } else {
                format!("{stem}_{:06}.png", frame.index)
            };
            let path = dir.join(name);
            img.save(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "posture: {input}: {frames} frame(s), person found in {with_pose}, {:.1} frames/s",
        frames as f64 / secs.max(1e-9)
    );
    if let Some(first) = bad_frames.first() {
        anyhow::bail!(
            "{first}{}",
            if bad_frames.len() > 1 {
                format!(" (and {} more frame errors)", bad_frames.len() - 1)
            } else {
                String::new()
            }
        );
    }
    if frames == 0 {
        anyhow::bail!("{input}: no frames could be decoded");
    }
    Ok(())
}
