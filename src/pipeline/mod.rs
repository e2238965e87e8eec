//! The one frame loop every command shares (measure, score, calibrate, landmarks; the live
//! check and guided capture next): open an input, track the subject frame by frame, measure each
//! frame, then judge the frames as a whole.
//!
//! Stages, each usable alone:
//! 1. [`for_each_frame`]: frames and poses, in order (what `posture landmarks` writes);
//! 2. [`measure_input`]: each frame's measures ([`MeasuredFrame`]);
//! 3. [`assess_input`]: the clip-level verdict of every frame, the summary, the change from a
//!    baseline and the provenance ([`InputResult`]).
//!
//! The library never prints and never installs signal handlers: the caller passes a `stop`
//! check, and gets counts back to report as it likes.

mod people;
mod provenance;
#[cfg(test)]
pub(crate) mod testing;

pub use people::OtherPeople;
pub use provenance::{ModelProvenance, Provenance};

use crate::assess::baseline::{front_comparison, side_changes, Baseline, Change, FrontComparison};
use crate::assess::recording::{model_id, Framing, Recording, SetUpDifference};
use crate::assess::{assess_frames, Summary, Thresholds, TimedMeasure, ViewChoice};
use crate::frames::{
    self, segment_of, CameraConfig, Frame, FrameError, FrameSource, OpenOptions, Segments, SourceInfo, VideoOptions,
    VideoSource,
};
use crate::measures::{measure_frame, needs_person_mask, MeasureSettings, Reason};
use crate::pose::runtime::ModelSource;
use crate::pose::{
    LandmarkVariant, OneEuroParams, PoseFrame, PoseModels, RuntimeError, SessionOptions, Smoothing, SubjectRule,
    Tracker, TrackerConfig, TrackingMode,
};
use std::path::Path;

/// Media time after which tracking a video file starts afresh, as at the file's start: the
/// subject is found again by the same rule (largest person, or nearest `--subject`) and the
/// smoothing filters restart. Each such stretch can then be tracked on its own, so that
/// `score` spreads one long clip over several cores and still gives the numbers `measure`
/// gives. A minute: long enough that a restart (a few frames of filter warm-up) touches under
/// 1% of the frames, short enough that a ten-minute clip keeps several cores busy.
pub const SEGMENT_S: f64 = 60.0;

/// How landmarks of a stream are smoothed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SmoothingChoice {
    /// Light, little lag: for measuring.
    Measure,
    /// MediaPipe's heavy drawing filter.
    Display,
    Off,
}

/// Which frames get the subject's person mask (the mask head's run, about as costly as the
/// landmarks: `crate::pose::segmentation`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PersonMaskWhen {
    /// Every frame with a pose: for poses kept and measured later with other settings.
    Always,
    /// Frames whose side reading with these settings needs it ([`needs_person_mask`]).
    SideReadings(MeasureSettings),
    /// None (landmarks only).
    Never,
}

impl PersonMaskWhen {
    fn wants(&self, pose: &crate::pose::Pose, frame_size: (u32, u32)) -> bool {
        match self {
            PersonMaskWhen::Always => true,
            PersonMaskWhen::SideReadings(s) => needs_person_mask(Some(pose), frame_size, s),
            PersonMaskWhen::Never => false,
        }
    }
}

/// Whether a pose is read a second time from its crop mirrored, and the mean of both kept
/// (`crate::pose::mirror`): stills that show a side view. Their one frame is the whole
/// reading, and the mean of the two errs less; front views are left as they are (the front
/// rule's thresholds were set on single readings), and streams keep to one landmark run a frame.
pub fn read_mirrored_too(pose: &crate::pose::Pose, is_still: bool) -> bool {
    is_still && crate::measures::view::estimate_view(pose, 0.0).view.is_side()
}

/// Everything that decides which frames are read and how the subject is tracked.
#[derive(Debug, Clone)]
pub struct PipelineSettings {
    pub model: LandmarkVariant,
    /// Where the ONNX models are read from.
    pub models: ModelSource,
    /// ONNX Runtime intra-op threads per model (results do not depend on it).
    pub threads: usize,
    /// FFmpeg's decoding threads per video (0: FFmpeg's choice, from the machine's cores).
    pub decoder_threads: usize,
    /// Read every Nth video frame.
    pub stride: u32,
    /// Pixel position of the subject when tracking starts; the largest person when `None`.
    pub subject: Option<(f32, f32)>,
    pub smoothing: SmoothingChoice,
    /// Custom One Euro parameters for the image landmarks.
    pub one_euro: Option<OneEuroParams>,
    /// Deliver video frames at real-time pace, as a camera would.
    pub replay: bool,
    /// Detector runs every N tracked frames to count other people (0 = only when lost).
    pub recount_every: u32,
    pub camera_resolution: Option<(u32, u32)>,
    pub camera_fps: Option<u32>,
    /// Stop each input after this much media time.
    pub duration_s: Option<f64>,
    /// Which frames' poses carry the person mask; [`measure_input`] sets it from its measure
    /// settings.
    pub person_mask: PersonMaskWhen,
}

impl Default for PipelineSettings {
    fn default() -> Self {
        PipelineSettings {
            model: LandmarkVariant::Lite,
            models: ModelSource::with_env(None),
            threads: 1,
            decoder_threads: 0,
            stride: 1,
            subject: None,
            smoothing: SmoothingChoice::Measure,
            one_euro: None,
            replay: false,
            recount_every: 30,
            camera_resolution: None,
            camera_fps: None,
            duration_s: None,
            person_mask: PersonMaskWhen::Always,
        }
    }
}

/// Why an input could not be read, or not to the end.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error(transparent)]
    Open(#[from] FrameError),
    #[error("'{spec}': expected camera:N with N a number")]
    CameraSpec { spec: String },
    #[error(transparent)]
    Pose(#[from] RuntimeError),
    /// Frames that could not be decoded; the frames around them were read.
    #[error("{first}{}", if *.more > 0 { format!(" (and {} more frame errors)", .more) } else { String::new() })]
    BadFrames { first: String, more: usize },
    #[error("{input}: no frames could be decoded")]
    NoFrames { input: String },
    #[error("{input}: interrupted before the first frame")]
    InterruptedBeforeFirst { input: String },
}

impl PipelineSettings {
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

    pub fn load_models(&self) -> Result<PoseModels, RuntimeError> {
        PoseModels::load(&self.models, self.model, SessionOptions { threads: self.threads })
    }

    /// Open one input: `camera:N` or a file.
    pub fn open_input(&self, input: &Path) -> Result<Box<dyn FrameSource>, InputError> {
        if let Some(device) = camera_device(input) {
            let device = device.parse().map_err(|_| InputError::CameraSpec {
                spec: input.display().to_string(),
            })?;
            let config = CameraConfig {
                device,
                resolution: self.camera_resolution,
                fps: self.camera_fps,
            };
            return Ok(Box::new(frames::CameraSource::open(&config)?));
        }
        let options = OpenOptions {
            video: VideoOptions {
                stride: self.stride,
                decoder_threads: self.decoder_threads,
            },
            replay: self.replay,
        };
        Ok(frames::open_file(input, &options)?)
    }

    /// How a video file is cut into [`SEGMENT_S`] stretches tracked on their own, when it
    /// holds two or more (see [`measure_segment`]); `None` for anything else.
    pub fn segments(&self, input: &Path) -> Option<Segments> {
        if self.replay || frames::is_camera(input) {
            return None;
        }
        let options = VideoOptions {
            stride: self.stride,
            decoder_threads: self.decoder_threads,
        };
        let limit_ms = self.duration_s.map(|s| s * 1000.0);
        VideoSource::segments(input, &options, SEGMENT_S * 1000.0, limit_ms)
    }

    fn tracker(&self, is_still: bool) -> Tracker {
        Tracker::new(TrackerConfig {
            mode: if is_still {
                TrackingMode::Stills
            } else {
                TrackingMode::Stream
            },
            subject: self
                .subject
                .map_or(SubjectRule::Largest, |(x, y)| SubjectRule::NearestTo(x, y)),
            recount_every: self.recount_every,
            smoothing: self.smoothing(),
            ..Default::default()
        })
    }
}

fn camera_device(input: &Path) -> Option<&str> {
    input.to_str().and_then(|s| s.strip_prefix("camera:"))
}

/// Whether a frame at `timestamp_ms` lies beyond a duration limit: the limit keeps the media
/// time [0, limit), so a limit of 2 s on a 30 fps clip keeps frames 0 to 59.
fn past_duration(timestamp_ms: f64, duration_s: Option<f64>) -> bool {
    duration_s.is_some_and(|limit| timestamp_ms >= limit * 1000.0)
}

/// What one pass over an input read.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LoopStats {
    pub frames: u64,
    pub frames_with_person: u64,
    /// Wall-clock time of the pass.
    pub seconds: f64,
    /// `stop` said to stop before the input ended.
    pub interrupted: bool,
    pub is_still: bool,
    /// Picture size of the last frame read.
    pub frame_size: (u32, u32),
}

impl LoopStats {
    pub fn frames_per_s(&self) -> f64 {
        self.frames as f64 / self.seconds.max(1e-9)
    }

    /// Add a later part of the same input: counts and times add up, the last size read stands.
    /// (Every field is named, so that a new one cannot be forgotten here.)
    fn add_later(&mut self, later: &LoopStats) {
        let LoopStats {
            frames,
            frames_with_person,
            seconds,
            interrupted,
            is_still,
            frame_size,
        } = *later;
        self.frames += frames;
        self.frames_with_person += frames_with_person;
        self.seconds += seconds;
        self.interrupted |= interrupted;
        self.is_still |= is_still;
        if frame_size != (0, 0) {
            self.frame_size = frame_size;
        }
    }
}

/// Run the pose pipeline over every frame of `input`, handing each frame, its pose and whether
/// the input is a still picture to `each`.
///
/// Frames already handed over stay handed over when a later frame fails: the error comes at
/// the end, naming the first bad frame. The loop ends early, without error, past
/// `settings.duration_s` or when `stop` returns true (checked before each frame).
pub fn for_each_frame<E: From<InputError>>(
    input: &Path,
    settings: &PipelineSettings,
    models: &mut PoseModels,
    stop: &dyn Fn() -> bool,
    each: impl FnMut(&Frame, &PoseFrame, bool) -> Result<(), E>,
) -> Result<LoopStats, E> {
    let mut stats = LoopStats::default();
    let open = || settings.open_input(input);
    frame_loop(input, open, settings, models, stop, each, &mut stats).map(|()| stats)
}

/// [`for_each_frame`] over a source the caller opened: a camera it set up, frames it alters
/// (a robustness test adds noise), a replay. `label` names the input in errors.
pub fn for_each_frame_of<E: From<InputError>>(
    source: Box<dyn FrameSource>,
    label: &str,
    settings: &PipelineSettings,
    models: &mut PoseModels,
    stop: &dyn Fn() -> bool,
    each: impl FnMut(&Frame, &PoseFrame, bool) -> Result<(), E>,
) -> Result<LoopStats, E> {
    let mut stats = LoopStats::default();
    source_loop(source, label, None, settings, models, stop, each, &mut stats).map(|()| stats)
}

/// [`for_each_frame`] over what `open` opens, counting into `stats` whether or not it ends in
/// an error. Files are tracked in [`SEGMENT_S`] stretches; cameras as one stream.
fn frame_loop<E: From<InputError>>(
    input: &Path,
    open: impl FnOnce() -> Result<Box<dyn FrameSource>, InputError>,
    settings: &PipelineSettings,
    models: &mut PoseModels,
    stop: &dyn Fn() -> bool,
    each: impl FnMut(&Frame, &PoseFrame, bool) -> Result<(), E>,
    stats: &mut LoopStats,
) -> Result<(), E> {
    let started = std::time::Instant::now();
    let source = open();
    stats.seconds = started.elapsed().as_secs_f64();
    let label = input.display().to_string();
    let segment_ms = (!frames::is_camera(input)).then_some(SEGMENT_S * 1000.0);
    source_loop(source?, &label, segment_ms, settings, models, stop, each, stats)
}

/// The loop itself; with `segment_ms`, the tracker starts afresh at each new stretch of that
/// much media time.
#[allow(clippy::too_many_arguments)]
fn source_loop<E: From<InputError>>(
    mut source: Box<dyn FrameSource>,
    label: &str,
    segment_ms: Option<f64>,
    settings: &PipelineSettings,
    models: &mut PoseModels,
    stop: &dyn Fn() -> bool,
    mut each: impl FnMut(&Frame, &PoseFrame, bool) -> Result<(), E>,
    stats: &mut LoopStats,
) -> Result<(), E> {
    let started = std::time::Instant::now();
    stats.is_still = source.is_still();
    let mut tracker = settings.tracker(stats.is_still);
    let mut segment = None;
    let mut bad_frames = Vec::new();
    let result = loop {
        let Some(next) = source.next_frame() else { break Ok(()) };
        if stop() {
            stats.interrupted = true;
            break Ok(());
        }
        let frame = match next {
            Ok(f) => f,
            Err(e) => {
                bad_frames.push(e.to_string());
                continue;
            }
        };
        if past_duration(frame.timestamp_ms, settings.duration_s) {
            break Ok(());
        }
        if let Some(length_ms) = segment_ms {
            let now = segment_of(frame.timestamp_ms, length_ms);
            if segment.is_some_and(|s| now > s) {
                tracker = settings.tracker(stats.is_still);
            }
            segment = Some(segment.map_or(now, |s: u64| s.max(now)));
        }
        let size = (frame.image.width(), frame.image.height());
        stats.frame_size = size;
        let result = tracker.process(models, &frame).and_then(|mut r| {
            if let Some(pose) = r.pose.as_mut() {
                if read_mirrored_too(pose, stats.is_still) {
                    models.read_mirrored_too(pose, &frame.image)?;
                }
                if settings.person_mask.wants(pose, size) {
                    models.compute_mask(pose)?;
                }
            }
            Ok(r)
        });
        let result = match result {
            Ok(r) => r,
            Err(e) => break Err(InputError::from(e).into()),
        };
        if let Err(e) = each(&frame, &result, stats.is_still) {
            break Err(e);
        }
        stats.frames += 1;
        stats.frames_with_person += u64::from(result.pose.is_some());
        source.recycle(frame.image);
    };
    stats.seconds += started.elapsed().as_secs_f64();
    result?;
    if let Some(first) = bad_frames.first() {
        return Err(InputError::BadFrames {
            first: first.clone(),
            more: bad_frames.len() - 1,
        }
        .into());
    }
    if stats.frames == 0 {
        let input = label.to_string();
        return Err(if stats.interrupted {
            InputError::InterruptedBeforeFirst { input }
        } else {
            InputError::NoFrames { input }
        }
        .into());
    }
    Ok(())
}

/// One analysed frame: where it sits in the input and what it measured.
#[derive(Debug, Clone, Copy)]
pub struct MeasuredFrame {
    /// The frame's position in the file (frames skipped by a stride still count).
    pub index: u64,
    pub timed: TimedMeasure,
    /// People seen besides the subject.
    pub other_people: usize,
    /// The pose was read through a re-crop (`Pose::recropped`).
    pub recropped: bool,
    /// The pose was read twice and averaged (`Pose::read_mirrored`).
    pub read_mirrored: bool,
}

/// The per-frame measures of one input. On a read error part-way, the frames read so far come
/// with the error; after `stop`, the frames measured before it.
#[derive(Debug)]
pub struct Measured {
    pub frames: Vec<MeasuredFrame>,
    pub stats: LoopStats,
    pub error: Option<InputError>,
}

/// Measure every frame of `input`; `on_frame` sees each frame with its pose and measures (for
/// drawing or live display) before the next is read.
pub fn measure_input(
    input: &Path,
    settings: &PipelineSettings,
    measure_settings: &MeasureSettings,
    models: &mut PoseModels,
    stop: &dyn Fn() -> bool,
    on_frame: impl FnMut(&Frame, &PoseFrame, &MeasuredFrame),
) -> Measured {
    let open = || settings.open_input(input);
    measure_opened(input, open, settings, measure_settings, models, stop, on_frame)
}

/// [`measure_input`] for the `n`-th of the `segments` of a video file, `(segments, n)`
/// ([`PipelineSettings::segments`]): its frames, tracked from the segment's start as
/// [`measure_input`] tracks them. Joined in order ([`Measured::joined`]), the segments give
/// what [`measure_input`] gives for the whole file, unless one ends in an error: measure the
/// file whole then (a frame lost to a seek, or a damaged file, whose errors should read as
/// they do for the whole file).
pub fn measure_segment(
    input: &Path,
    (segments, n): (&Segments, usize),
    settings: &PipelineSettings,
    measure_settings: &MeasureSettings,
    models: &mut PoseModels,
    stop: &dyn Fn() -> bool,
    on_frame: impl FnMut(&Frame, &PoseFrame, &MeasuredFrame),
) -> Measured {
    let options = VideoOptions {
        stride: settings.stride,
        decoder_threads: settings.decoder_threads,
    };
    let open = || Ok(frames::open_segment(input, &options, segments, n)?);
    measure_opened(input, open, settings, measure_settings, models, stop, on_frame)
}

fn measure_opened(
    input: &Path,
    open: impl FnOnce() -> Result<Box<dyn FrameSource>, InputError>,
    settings: &PipelineSettings,
    measure_settings: &MeasureSettings,
    models: &mut PoseModels,
    stop: &dyn Fn() -> bool,
    mut on_frame: impl FnMut(&Frame, &PoseFrame, &MeasuredFrame),
) -> Measured {
    let mut frames = Vec::new();
    let mut stats = LoopStats::default();
    let each = |frame: &Frame, result: &PoseFrame, is_still: bool| {
        let size = (frame.image.width(), frame.image.height());
        let measured = MeasuredFrame {
            index: frame.index,
            timed: TimedMeasure {
                timestamp_ms: frame.timestamp_ms,
                is_still,
                measure: measure_frame(result.pose.as_ref(), size, measure_settings),
            },
            other_people: result.other_people,
            recropped: result.pose.as_ref().is_some_and(|p| p.recropped),
            read_mirrored: result.pose.as_ref().is_some_and(|p| p.read_mirrored),
        };
        on_frame(frame, result, &measured);
        frames.push(measured);
        Ok::<(), InputError>(())
    };
    let settings = PipelineSettings {
        person_mask: PersonMaskWhen::SideReadings(*measure_settings),
        ..settings.clone()
    };
    let error = frame_loop(input, open, &settings, models, stop, each, &mut stats).err();
    Measured { frames, stats, error }
}

impl Measured {
    /// The segments of one file, measured apart, as one: frames in order, counts and times
    /// added, the first error.
    pub fn joined(parts: Vec<Measured>) -> Measured {
        let mut whole = Measured {
            frames: Vec::new(),
            stats: LoopStats::default(),
            error: None,
        };
        for part in parts {
            whole.frames.extend(part.frames);
            whole.stats.add_later(&part.stats);
            whole.error = whole.error.or(part.error);
        }
        whole
    }
}

/// What decides the numbers once frames are measured.
#[derive(Debug, Clone)]
pub struct AssessSettings {
    pub view: ViewChoice,
    pub measure: MeasureSettings,
    pub thresholds: Thresholds,
}

/// The change from a baseline, when one was given, fits the input's view and was recorded in the
/// same set-up.
#[derive(Debug, Clone, Default)]
pub struct Comparison {
    pub baseline_given: bool,
    /// How the input's set-up differs from the baseline's ([`Baseline::mismatch`]): when any
    /// difference, nothing is compared. `None`: not checked.
    pub mismatch: Option<Vec<SetUpDifference>>,
    pub side: Option<Vec<Change>>,
    pub front: Option<FrontComparison>,
}

/// Everything known about one input once it is measured and judged.
#[derive(Debug)]
pub struct InputResult {
    pub input: String,
    pub frames: Vec<MeasuredFrame>,
    /// For each frame, why it does not count in the summary (`None`: it counts).
    pub frame_reasons: Vec<Option<Reason>>,
    /// `None` when no frame could be read.
    pub summary: Option<Summary>,
    pub comparison: Comparison,
    /// Where the subject sat in the picture ([`framing_of`]).
    pub framing: Option<Framing>,
    pub other_people: OtherPeople,
    pub error: Option<InputError>,
    pub stats: LoopStats,
    pub provenance: Provenance,
}

impl InputResult {
    /// The input showed nobody in any frame.
    pub fn nobody_in_view(&self) -> bool {
        self.summary
            .as_ref()
            .is_some_and(|s| s.reasons.get(&Reason::NoPerson) == Some(&s.frames_total))
    }
}

/// Judge the measured frames of one input: per-frame verdicts, the summary, the change from
/// `baseline`, who else was in view, and the provenance with this input's counts.
pub fn assess_input(
    input: &str,
    measured: Measured,
    settings: &AssessSettings,
    baseline: Option<&Baseline>,
    provenance: &Provenance,
) -> InputResult {
    let timed: Vec<TimedMeasure> = measured.frames.iter().map(|f| f.timed).collect();
    let (summary, frame_reasons) = if timed.is_empty() {
        (None, Vec::new())
    } else {
        let (summary, reasons) = assess_frames(&timed, settings.view, &settings.thresholds);
        (Some(summary), reasons)
    };
    let framing = framing_of(&measured.frames, &frame_reasons, measured.stats.frame_size);
    let m = &provenance.model;
    let recording = Recording {
        source: SourceInfo::of(Path::new(input), measured.stats.frame_size),
        model: Some(model_id(&m.landmark_file, &m.landmark_sha256)),
        framing,
        cva_correction: summary
            .as_ref()
            .is_some_and(|s| s.view.is_side())
            .then_some(provenance.correction),
    };
    let comparison = compare(summary.as_ref(), baseline, &recording, &settings.thresholds);
    let mut provenance = provenance.clone();
    provenance.model.recropped_frames = measured.frames.iter().filter(|f| f.recropped).count();
    provenance.model.mirrored_frames = measured.frames.iter().filter(|f| f.read_mirrored).count();
    InputResult {
        input: input.to_string(),
        framing,
        other_people: OtherPeople::of(&measured.frames),
        frames: measured.frames,
        frame_reasons,
        summary,
        comparison,
        error: measured.error,
        stats: measured.stats,
        provenance,
    }
}

/// Where the subject sat in the pictures of `frames` (a picture of `frame_size`): over the frames
/// used (`reasons` `None`), or over every frame with a person when none was used.
pub fn framing_of(frames: &[MeasuredFrame], reasons: &[Option<Reason>], frame_size: (u32, u32)) -> Option<Framing> {
    let used = frames
        .iter()
        .zip(reasons)
        .filter(|(_, r)| r.is_none())
        .filter_map(|(f, _)| f.timed.measure.body);
    Framing::of(used, frame_size)
        .or_else(|| Framing::of(frames.iter().filter_map(|f| f.timed.measure.body), frame_size))
}

/// The change of `summary` from `baseline`; nothing is compared when the input (recorded as
/// `recording`) was recorded differently from the baseline.
fn compare(
    summary: Option<&Summary>,
    baseline: Option<&Baseline>,
    recording: &Recording,
    thresholds: &Thresholds,
) -> Comparison {
    let (Some(summary), Some(baseline)) = (summary, baseline) else {
        return Comparison {
            baseline_given: baseline.is_some(),
            ..Default::default()
        };
    };
    let mismatch = baseline.mismatch(summary.view, recording);
    if mismatch.as_ref().is_some_and(|m| !m.is_empty()) {
        return Comparison {
            baseline_given: true,
            mismatch,
            ..Default::default()
        };
    }
    Comparison {
        baseline_given: true,
        mismatch,
        side: baseline
            .side
            .as_ref()
            .zip(summary.side.as_ref())
            .map(|(b, now)| side_changes(b, now, thresholds)),
        front: baseline
            .front
            .as_ref()
            .zip(summary.front.as_ref())
            .and_then(|(b, now)| front_comparison(b, now)),
    }
}

/// What every input of a run is analysed with.
#[derive(Debug, Clone, Copy)]
pub struct Analysis<'a> {
    pub pipeline: &'a PipelineSettings,
    pub assess: &'a AssessSettings,
    pub baseline: Option<&'a Baseline>,
    pub provenance: &'a Provenance,
}

impl Analysis<'_> {
    /// Measure and judge one input: [`measure_input`] then [`assess_input`].
    pub fn run(
        &self,
        input: &Path,
        models: &mut PoseModels,
        stop: &dyn Fn() -> bool,
        on_frame: impl FnMut(&Frame, &PoseFrame, &MeasuredFrame),
    ) -> InputResult {
        let measured = measure_input(input, self.pipeline, &self.assess.measure, models, stop, on_frame);
        self.assess(input, measured)
    }

    /// Judge one input measured already ([`assess_input`]).
    pub fn assess(&self, input: &Path, measured: Measured) -> InputResult {
        assess_input(
            &input.display().to_string(),
            measured,
            self.assess,
            self.baseline,
            self.provenance,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_joined_keep_the_picture_size_and_add_their_counts() {
        let part = |frames, frame_size| Measured {
            frames: Vec::new(),
            stats: LoopStats {
                frames,
                frames_with_person: frames / 2,
                seconds: 1.5,
                interrupted: false,
                is_still: false,
                frame_size,
            },
            error: None,
        };
        let whole = Measured::joined(vec![
            part(1800, (640, 480)),
            part(1800, (640, 480)),
            part(90, (640, 480)),
        ]);
        assert_eq!(
            whole.stats,
            LoopStats {
                frames: 3690,
                frames_with_person: 1845,
                seconds: 4.5,
                interrupted: false,
                is_still: false,
                frame_size: (640, 480),
            }
        );
    }

    #[test]
    fn duration_keeps_the_media_time_before_the_limit() {
        // 30 fps: frame 59 is at 1966.7 ms, frame 60 at 2000 ms.
        assert!(!past_duration(59.0 * 1000.0 / 30.0, Some(2.0)));
        assert!(past_duration(2000.0, Some(2.0)));
        assert!(past_duration(2000.1, Some(2.0)));
        assert!(!past_duration(1e9, None));
    }

    #[test]
    fn frame_errors_are_one_line_naming_the_first_and_counting_the_rest() {
        let one = InputError::BadFrames {
            first: "clip.mp4: frame 3: corrupt".into(),
            more: 0,
        };
        assert_eq!(one.to_string(), "clip.mp4: frame 3: corrupt");
        let many = InputError::BadFrames {
            first: "clip.mp4: frame 3: corrupt".into(),
            more: 4,
        };
        assert_eq!(many.to_string(), "clip.mp4: frame 3: corrupt (and 4 more frame errors)");
    }
}
