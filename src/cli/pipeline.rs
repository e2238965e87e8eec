//! The options every command that runs the pose pipeline shares, mapped onto the library's
//! [`PipelineSettings`], and the one-line report of each input's pass.

use crate::frames;
use crate::pipeline::{LoopStats, PipelineSettings, SmoothingChoice};
use crate::pose::{LandmarkVariant, OneEuroParams, PoseModels};
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
    /// ONNX Runtime threads per model [default: the cores this process may use (its CPU
    /// affinity and cgroup quota), at most 4; for score and watch: 1]. The numbers do not depend
    /// on it.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub threads: Option<u32>,
    /// Camera resolution for camera inputs, e.g. 1280x720.
    #[arg(long, value_name = "WxH", value_parser = frames::parse_resolution)]
    pub resolution: Option<(u32, u32)>,
    /// Camera frame rate for camera inputs (frames the camera delivers a second).
    #[arg(long = "camera-fps", value_name = "FPS", value_parser = frames::parse_fps)]
    pub fps: Option<u32>,
    /// Folder holding the ONNX models [default: $POSTURE_MODELS, else the models built into
    /// the binary].
    #[arg(long, value_name = "DIR")]
    pub models: Option<PathBuf>,
    /// Stop each input after this much media time (a camera's time since its first frame).
    #[arg(long = "duration", value_name = "SECONDS", value_parser = parse_duration_s)]
    pub duration_s: Option<f64>,
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
    pub fn settings(&self) -> PipelineSettings {
        PipelineSettings {
            model: self.model,
            models: crate::pose::runtime::ModelSource::with_env(self.models.clone()),
            threads: self
                .threads
                .map_or_else(|| default_threads(available_cores()), |t| t as usize),
            decoder_threads: 0,
            stride: self.stride,
            subject: self.subject,
            smoothing: self.smoothing,
            one_euro: self.one_euro,
            replay: self.replay,
            recount_every: self.recount_every,
            camera_resolution: self.resolution,
            camera_fps: self.fps,
            duration_s: self.duration_s,
            person_mask: crate::pipeline::PersonMaskWhen::Always,
        }
    }

    pub fn load_models(&self) -> anyhow::Result<PoseModels> {
        load_models(&self.settings())
    }
}

/// Load the models `settings` name; with `--verbose`, say where ONNX Runtime and the models
/// came from.
pub fn load_models(settings: &PipelineSettings) -> anyhow::Result<PoseModels> {
    let models = settings.load_models()?;
    if super::verbosity() == super::Verbosity::Verbose {
        let runtime = crate::pose::runtime::find_runtime().map(|p| p.display().to_string());
        eprintln!(
            "posture: ONNX Runtime {}; models {}: {} {}, {} {}",
            runtime.unwrap_or_default(),
            match &settings.models {
                crate::pose::runtime::ModelSource::Embedded => "built in".to_string(),
                crate::pose::runtime::ModelSource::Dir(dir) => format!("from {}", dir.display()),
            },
            crate::pose::runtime::DETECTOR_FILE,
            models.detector.model().sha256(),
            models.variant.file_name(),
            models.landmarks.model().sha256(),
        );
    }
    Ok(models)
}

/// The cores this process may run on: its CPU affinity and cgroup quota, as the standard
/// library reads them (1 when they cannot be read).
fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Intra-op threads for one input at a time: one per available core, but no more than 4, past
/// which these small models gain nothing (BENCHMARKS.md: a lite landmark call takes 12.5 ms on
/// one thread and 10.8 ms on two). One core gets one thread, not two taking turns.
fn default_threads(available_cores: usize) -> usize {
    available_cores.clamp(1, 4)
}

/// Whether Ctrl-C or SIGTERM asked the run to stop (the library's `stop` check).
pub fn stop_requested() -> bool {
    super::interrupt::received().is_some()
}

/// The line each input's pass leaves on stderr (not with `--quiet`).
pub fn report_pass(input: &Path, stats: &LoopStats) {
    if !super::chatty() {
        return;
    }
    eprintln!(
        "posture: {}: {} frame(s), person found in {}, {:.1} frames/s{}",
        input.display(),
        stats.frames,
        stats.frames_with_person,
        stats.frames_per_s(),
        if stats.interrupted { " (interrupted)" } else { "" }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threads_follow_the_cores_available_up_to_four() {
        assert_eq!(default_threads(1), 1);
        assert_eq!(default_threads(2), 2);
        assert_eq!(default_threads(64), 4);
        assert_eq!(default_threads(0), 1);
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
