//! What every command that runs the pose pipeline shares: its options, opening inputs, and the
//! loop over one input's frames.

use crate::frames::{self, CameraConfig, Frame, FrameSource, OpenOptions, VideoOptions};
use crate::pose::{
    LandmarkVariant, OneEuroParams, PoseFrame, PoseModels, SessionOptions, Smoothing, SubjectRule, Tracker,
    TrackerConfig, TrackingMode,
};
use std::path::{Path, PathBuf};

#[derive(clap::Args, Clone)]
pub struct PipelineArgs {
    /// Landmark model: lite is faster, full is more accurate.
    #[arg(long, value_enum, default_value = "lite")]
    pub model: LandmarkVariant,
    /// Process every Nth video frame (frame numbers still count every frame).
    #[arg(long, default_value = "1", value_parser = clap::value_parser!(u32).range(1..))]
    pub stride: u32,
    /// Measure the person nearest this pixel when tracking starts, instead of the largest.
    #[arg(long, value_name = "X,Y", value_parser = parse_point)]
    pub subject: Option<(f32, f32)>,
    /// Smoothing of video landmarks: measure (light, little lag), display (MediaPipe's heavy
    /// drawing filter) or off.
    #[arg(long, value_enum, default_value = "measure")]
    pub smoothing: SmoothingChoice,
    /// Custom One Euro parameters for image landmarks: min cutoff (Hz), beta, derivative cutoff (Hz).
    #[arg(long, value_name = "MIN_CUTOFF,BETA,D_CUTOFF", value_parser = parse_one_euro)]
    pub one_euro: Option<OneEuroParams>,
    /// Deliver video frames at real-time pace, dropping those the pipeline is too slow for,
    /// as a camera would.
    #[arg(long)]
    pub replay: bool,
    /// Run the detector every N tracked frames to count other people in view (0 = only when
    /// the subject is lost).
    #[arg(long, value_name = "N", default_value = "30")]
    pub recount_every: u32,
    /// ONNX Runtime threads per model.
    #[arg(long, default_value = "2", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub threads: u32,
    /// Camera resolution for camera inputs, e.g. 1280x720.
    #[arg(long, value_name = "WxH", value_parser = frames::parse_resolution)]
    pub resolution: Option<(u32, u32)>,
    /// Camera frame rate for camera inputs.
    #[arg(long, value_parser = frames::parse_fps)]
    pub fps: Option<u32>,
    /// Folder holding the ONNX models [default: the shipped models/, or $POSTURE_MODELS].
    #[arg(long, value_name = "DIR")]
    pub models: Option<PathBuf>,
    /// Stop each input after this much media time (a camera's time since its first frame).
    #[arg(long = "duration", value_name = "SECONDS", value_parser = parse_duration_s)]
    pub duration_s: Option<f64>,
}

#[derive(Clone, Copy, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmoothingChoice {
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

fn parse_duration_s(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .ok_or_else(|| format!("'{s}' is not a duration in seconds (a number above 0)"))
}

/// Whether a frame at `timestamp_ms` lies beyond the `--duration` limit: the limit keeps the
/// media time [0, limit), so `--duration 2` on a 30 fps clip keeps frames 0 to 59.
fn past_duration(timestamp_ms: f64, duration_s: Option<f64>) -> bool {
    duration_s.is_some_and(|limit| timestamp_ms >= limit * 1000.0)
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

impl PipelineArgs {
    pub fn smoothing(&self) -> Option<Smoothing> {
        match self.smoothing {
            SmoothingChoice::Measure => Some(Smoothing::MEASURE),
            SmoothingChoice::Display => Some(Smoothing::DISPLAY),
            SmoothingChoice::Off => None,
        }
        .map(|mut s| {
            if let Some(p) = self.one_euro {
                s.image = p;
            }
            s
        })
    }

    pub fn load_models(&self) -> anyhow::Result<PoseModels> {
        let models_dir = self
            .models
            .clone()
            .unwrap_or_else(crate::pose::runtime::default_models_dir);
        Ok(PoseModels::load(
            &models_dir,
            self.model,
            SessionOptions {
                threads: self.threads as usize,
            },
        )?)
    }

    /// Open one input: a camera spec or a file.
    pub fn open_input(&self, input: &Path) -> anyhow::Result<Box<dyn FrameSource>> {
        if let Some(device) = input.to_str().and_then(|s| s.strip_prefix("camera:")) {
            let device = device
                .parse()
                .map_err(|_| anyhow::anyhow!("'{}': expected camera:N with N a number", input.display()))?;
            let config = CameraConfig {
                device,
                resolution: self.resolution,
                fps: self.fps,
            };
            return Ok(Box::new(frames::CameraSource::open(&config)?));
        }
        let options = OpenOptions {
            video: VideoOptions {
                stride: self.stride,
                decoder_threads: 0,
            },
            replay: self.replay,
        };
        Ok(frames::open_file(input, &options)?)
    }
}

/// Run the pipeline over every frame of `input`, handing each frame, its pose, and whether the
/// input is a still picture to `each`.
/// Frames already handed over stay handed over when a later frame fails: the error comes
/// at the end, naming the first bad frame. The loop ends early, without error, past
/// `--duration` or when a signal asks the run to stop (`interrupt::received`).
pub fn for_each_frame(
    input: &Path,
    args: &PipelineArgs,
    models: &mut PoseModels,
    mut each: impl FnMut(&Frame, &PoseFrame, bool) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut source = args.open_input(input)?;
    let is_still = source.is_still();
    let mode = if is_still {
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
        smoothing: args.smoothing(),
        ..Default::default()
    });
    let (mut frames, mut with_pose, mut bad_frames) = (0u64, 0u64, Vec::new());
    let started = std::time::Instant::now();
    while let Some(next) = source.next_frame() {
        if super::interrupt::received().is_some() {
            break;
        }
        let frame = match next {
            Ok(f) => f,
            Err(e) => {
                bad_frames.push(e.to_string());
                continue;
            }
        };
        if past_duration(frame.timestamp_ms, args.duration_s) {
            break;
        }
        let result = tracker.process(models, &frame)?;
        each(&frame, &result, is_still)?;
        frames += 1;
        with_pose += u64::from(result.pose.is_some());
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "posture: {}: {frames} frame(s), person found in {with_pose}, {:.1} frames/s{}",
        input.display(),
        frames as f64 / secs.max(1e-9),
        if super::interrupt::received().is_some() {
            " (interrupted)"
        } else {
            ""
        }
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
        if super::interrupt::received().is_some() {
            anyhow::bail!("{}: interrupted before the first frame", input.display());
        }
        anyhow::bail!("{}: no frames could be decoded", input.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_keeps_the_media_time_before_the_limit() {
        // 30 fps: frame 59 is at 1966.7 ms, frame 60 at 2000 ms.
        assert!(!past_duration(59.0 * 1000.0 / 30.0, Some(2.0)));
        assert!(past_duration(2000.0, Some(2.0)));
        assert!(past_duration(2000.1, Some(2.0)));
        assert!(!past_duration(1e9, None));
    }

    #[test]
    fn duration_must_be_a_positive_number_of_seconds() {
        assert_eq!(parse_duration_s("2"), Ok(2.0));
        assert_eq!(parse_duration_s("0.5"), Ok(0.5));
        for bad in ["0", "-1", "nan", "inf", "two", ""] {
            assert!(parse_duration_s(bad).is_err(), "{bad}");
        }
    }
}
