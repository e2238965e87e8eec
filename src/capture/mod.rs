//! Guided capture (`posture capture`): a patient records a visit at home, talked through a
//! short protocol one step at a time. Frames come from a camera (or a file played as one)
//! through the library's frame loop at a few frames a second, as the live check reads them
//! (`crate::monitor::sampling`); each analysed frame is measured, the pure [`protocol`] state
//! machine decides what to say ([`advice`] puts the frame's gates into words) and which part
//! the frame belongs to, and a few candidate key frames are kept in memory ([`keyframe`]).
//! At the end each part's frames are judged by the pipeline's assess stage, exactly as
//! `posture measure` judges an input; the caller writes the visit file.
//!
//! Stages, each testable alone: sampling -> pose and measures (the pipeline) -> [`protocol`]
//! (what to say, which part) -> `crate::pipeline::assess_input` per part -> the visit.

pub mod advice;
pub mod keyframe;
pub mod protocol;

use crate::assess::{Thresholds, TimedMeasure, ViewChoice};
use crate::frames::{Frame, FrameSource, VideoWriteError, VideoWriter};
use crate::measures::{measure_frame, FrontSignal, MeasureSettings, SideMeasures, View};
use crate::monitor::sampling::Sampled;
use crate::pipeline::{
    assess_input, for_each_frame_of, AssessSettings, InputError, InputResult, LoopStats, Measured, MeasuredFrame,
    PipelineSettings, Provenance,
};
use crate::pose::{Landmark, PoseModels, NUM_LANDMARKS};
use advice::{mean_luma, DARK_MEAN_LUMA};
use keyframe::Candidates;
use protocol::{FrameRole, PartEnd, PartOutcome, Protocol, ProtocolSettings, Say};
use std::cell::Cell;
use std::rc::Rc;

/// A part of the protocol: the view it asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Side,
    Front,
}

impl Part {
    pub const ALL: [Part; 2] = [Part::Side, Part::Front];

    pub fn name(self) -> &'static str {
        match self {
            Part::Side => "side",
            Part::Front => "front",
        }
    }

    /// What the patient is asked to do.
    pub fn instruction(self) -> &'static str {
        match self {
            Part::Side => "sit as you usually do, side-on to the camera, looking straight ahead, and hold still",
            Part::Front => {
                "now the same facing the camera: sit as you usually do, looking straight ahead, and hold still"
            }
        }
    }

    /// Why a part whose view never came is missing, in words.
    fn view_missing(self) -> &'static str {
        match self {
            Part::Side => "the patient never turned side-on to the camera",
            Part::Front => "the patient never faced the camera",
        }
    }

    /// The view the assessment reports: the one the protocol asked for.
    pub fn view_choice(self) -> ViewChoice {
        match self {
            Part::Side => ViewChoice::Side,
            Part::Front => ViewChoice::Front,
        }
    }

    fn slot(self) -> usize {
        self as usize
    }
}

/// Everything a capture runs with.
#[derive(Debug, Clone)]
pub struct CaptureSettings {
    pub pipeline: PipelineSettings,
    pub measure: MeasureSettings,
    pub thresholds: Thresholds,
    pub protocol: ProtocolSettings,
    /// Frames analysed a second.
    pub fps: f64,
}

/// Frames analysed a second: enough for the stillness judge (its rate window is half a second
/// either side) at a small share of one core.
pub const DEFAULT_FPS: f64 = 5.0;

/// Candidate key frames kept per part.
const KEYFRAME_CANDIDATES: usize = 6;

/// The front value key frames are chosen by (nearest its median).
const FRONT_KEY_SIGNAL: FrontSignal = FrontSignal::HeadScaleRatio;

impl CaptureSettings {
    /// How the frames of `part` are judged: as `posture measure --view side|front` would.
    pub fn assess(&self, part: Part) -> AssessSettings {
        AssessSettings {
            view: part.view_choice(),
            measure: self.measure,
            thresholds: self.thresholds,
        }
    }
}

/// The frame a part is shown by, kept in memory, with what to draw on it.
#[derive(Debug, Clone)]
pub struct KeyFrame {
    pub index: u64,
    pub image: image::RgbImage,
    /// The measured subject's landmarks.
    pub landmarks: [Landmark; NUM_LANDMARKS],
    /// How the angle was read (side part).
    pub side: Option<SideMeasures>,
    pub view: View,
    /// People in view besides the subject in this frame.
    pub other_people: usize,
}

/// One part of a finished capture.
#[derive(Debug)]
pub struct CapturedPart {
    pub outcome: PartOutcome,
    /// The part's frames judged by the assess stage (`input` is the part's name).
    pub result: InputResult,
    pub keyframe: Option<KeyFrame>,
}

/// What a capture recorded.
#[derive(Debug)]
pub struct Capture {
    /// The parts with any frames, in protocol order.
    pub parts: Vec<CapturedPart>,
    /// How each part went, recorded or not.
    pub outcomes: Vec<PartOutcome>,
    /// Picture size of the source.
    pub frame_size: (u32, u32),
    pub frames_analysed: u64,
    /// `stop` ended the capture before the protocol did.
    pub interrupted: bool,
    /// A read error part-way: the frames before it were captured.
    pub error: Option<InputError>,
}

impl Capture {
    /// Whether every part collected its frames.
    pub fn complete(&self) -> bool {
        self.outcomes.iter().all(PartOutcome::complete)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{input}: a picture, not a video: capture needs a camera or a video to talk the patient through (`posture measure` reads pictures)")]
    Still { input: String },
}

/// A camera's analysed frames encoded as they come (`posture capture camera:N --keep-video`),
/// in memory only, to go into the visit file. They, rather than every frame the camera gave,
/// are the ones the numbers come from (each a row of `frames.csv`), at a sixth of the encoding
/// cost and size; each keeps its time, so the video plays at the pace it was recorded. The
/// first error ends the keeping.
#[derive(Default)]
pub struct KeptVideo {
    writer: Option<VideoWriter>,
    error: Option<VideoWriteError>,
}

impl KeptVideo {
    pub fn push(&mut self, frame: &Frame) {
        if self.error.is_some() {
            return;
        }
        let writer = match self.writer.take() {
            Some(w) => Ok(w),
            None => VideoWriter::new(frame.image.dimensions()),
        };
        match writer.and_then(|mut w| w.push(&frame.image, frame.timestamp_ms).map(|()| w)) {
            Ok(w) => self.writer = Some(w),
            Err(e) => self.error = Some(e),
        }
    }

    /// The video ([`crate::frames::VIDEO_EXTENSION`]), `None` without frames, or the first error.
    pub fn finish(self) -> Result<Option<Vec<u8>>, VideoWriteError> {
        match (self.error, self.writer) {
            (Some(e), _) => Err(e),
            (None, Some(w)) => w.finish(),
            (None, None) => Ok(None),
        }
    }
}

/// One part's frames as they come: each with whether it was taken in the part's view.
#[derive(Default)]
struct PartFrames {
    frames: Vec<(MeasuredFrame, bool)>,
}

impl PartFrames {
    /// The frames the part is judged on: from the first in its view on; all of them when its
    /// view never came (so that the record says why).
    fn judged(self) -> Vec<MeasuredFrame> {
        let any_in_view = self.frames.iter().any(|f| f.1);
        self.frames
            .into_iter()
            .filter(|f| f.1 || !any_in_view)
            .map(|f| f.0)
            .collect()
    }
}

/// Run the protocol over `source` until it is done, the source ends or `stop` says so, telling
/// `say` what to say (with the frame time in seconds), then judge each part. `provenance` gives
/// the model and settings; each part's view is set in its copy. `each_frame` sees every
/// analysed frame as it comes (to keep a video of them).
pub fn capture(
    source: Box<dyn FrameSource>,
    label: &str,
    settings: &CaptureSettings,
    models: &mut PoseModels,
    stop: &dyn Fn() -> bool,
    mut say: impl FnMut(f64, &Say),
    mut each_frame: impl FnMut(&Frame),
) -> Result<Capture, CaptureError> {
    if source.is_still() {
        return Err(CaptureError::Still { input: label.into() });
    }
    let provenances: Vec<Provenance> = Part::ALL
        .iter()
        .map(|&p| Provenance::of(models, &settings.pipeline, &settings.assess(p)))
        .collect();
    let finished = Cell::new(false);
    let stop_now = || finished.get() || stop();
    let sampled = Sampled::new(source, Rc::new(Cell::new(settings.fps)));
    let mut protocol = Protocol::new(settings.protocol);
    let mut parts: Vec<PartFrames> = Part::ALL.iter().map(|_| PartFrames::default()).collect();
    let mut candidates: Vec<Candidates<KeyFrame>> =
        Part::ALL.iter().map(|_| Candidates::new(KEYFRAME_CANDIDATES)).collect();
    let mut frame_size = (0, 0);
    let mut frames_analysed = 0;
    let mut last_t_s = 0.0;
    let looped = for_each_frame_of(
        Box::new(sampled),
        label,
        &settings.pipeline,
        models,
        &stop_now,
        |frame, pose, _| {
            each_frame(frame);
            let t_s = frame.timestamp_ms / 1000.0;
            let size = frame.image.dimensions();
            frame_size = size;
            frames_analysed += 1;
            last_t_s = t_s;
            let measure = measure_frame(pose.pose.as_ref(), size, &settings.measure);
            let dark = mean_luma(&frame.image) < DARK_MEAN_LUMA;
            let (role, said) = protocol.observe(t_s, &measure, pose.other_people, dark);
            if let Some(FrameRole { part, in_view }) = role {
                let measured = MeasuredFrame {
                    index: frame.index,
                    timed: TimedMeasure {
                        timestamp_ms: frame.timestamp_ms,
                        is_still: false,
                        measure,
                    },
                    other_people: pose.other_people,
                    recropped: pose.pose.as_ref().is_some_and(|p| p.recropped),
                    read_mirrored: pose.pose.as_ref().is_some_and(|p| p.read_mirrored),
                };
                parts[part.slot()].frames.push((measured, in_view));
                let value = match part {
                    Part::Side => measure.side.ok().map(|s| s.cva_deg),
                    Part::Front => measure.front.ok().map(|f| f.get(FRONT_KEY_SIGNAL)),
                };
                if let (Some(value), Some(subject), true) = (value, pose.pose.as_ref(), in_view) {
                    candidates[part.slot()].offer(frame.index, value, || KeyFrame {
                        index: frame.index,
                        image: frame.image.clone(),
                        landmarks: subject.landmarks,
                        side: measure.side.ok(),
                        view: measure.view.view,
                        other_people: pose.other_people,
                    });
                }
            }
            for s in &said {
                say(t_s, s);
            }
            finished.set(protocol.is_finished());
            Ok::<(), InputError>(())
        },
    );
    let interrupted = !protocol.is_finished() && stop();
    let end = if interrupted {
        PartEnd::Stopped
    } else {
        PartEnd::SourceEnded
    };
    for s in protocol.finish(end) {
        say(last_t_s, &s);
    }
    let error = match looped {
        Ok(_) => None,
        Err(e) if frames_analysed == 0 => return Err(e.into()),
        Err(e) => Some(e),
    };
    let outcomes = protocol.outcomes().to_vec();
    let mut captured = Vec::new();
    for ((part, frames), candidates) in Part::ALL.into_iter().zip(parts).zip(candidates) {
        let frames = frames.judged();
        if frames.is_empty() {
            continue;
        }
        let outcome = outcomes
            .iter()
            .find(|o| o.part == part)
            .cloned()
            .expect("every part has an outcome once the protocol is finished");
        let stats = LoopStats {
            frames: frames.len() as u64,
            frames_with_person: frames
                .iter()
                .filter(|f| f.timed.measure.view.view != View::None)
                .count() as u64,
            seconds: (frames.last().expect("not empty").timed.timestamp_ms - frames[0].timed.timestamp_ms) / 1000.0,
            interrupted: outcome.end == PartEnd::Stopped,
            is_still: false,
            frame_size,
        };
        let measured = Measured {
            frames,
            stats,
            error: None,
        };
        let result = assess_input(
            part.name(),
            measured,
            &settings.assess(part),
            None,
            &provenances[part.slot()],
        );
        let keyframe = choose_keyframe(part, &result, candidates);
        captured.push(CapturedPart {
            outcome,
            result,
            keyframe,
        });
    }
    Ok(Capture {
        parts: captured,
        outcomes,
        frame_size,
        frames_analysed,
        interrupted,
        error,
    })
}

/// The key frame of a part with a reading: for the side, the used frame nearest the median CVA
/// (`crate::batch::keyframe::choose_frame`), or the kept one nearest it; for the front, the
/// used frame nearest the median of [`FRONT_KEY_SIGNAL`].
fn choose_keyframe(part: Part, result: &InputResult, candidates: Candidates<KeyFrame>) -> Option<KeyFrame> {
    let summary = result.summary.as_ref()?;
    let (wanted, median) = match part {
        Part::Side => (
            crate::batch::keyframe::choose_frame(result),
            summary.side.as_ref()?.cva_deg.median,
        ),
        Part::Front => (None, summary.front.as_ref()?.signals.get(&FRONT_KEY_SIGNAL)?.median),
    };
    let used = |index: u64| {
        result
            .frames
            .iter()
            .zip(&result.frame_reasons)
            .any(|(f, reason)| f.index == index && reason.is_none())
    };
    candidates.take(wanted, median, used).map(|(_, k)| k)
}

impl KeyFrame {
    /// The annotated key frame as PNG bytes: the measured subject's skeleton, for the side how
    /// the angle was read, and, when `others_in_view`, a frame around the subject's head and
    /// shoulders so that a reader sees which person was measured.
    pub fn png(&self, others_in_view: bool) -> Vec<u8> {
        use crate::output::annotate::{draw_skeleton, draw_subject_box, keyframe_png, png_bytes};
        let mut image = self.image.clone();
        if others_in_view || self.other_people > 0 {
            draw_subject_box(&mut image, &self.landmarks);
        }
        match self.side {
            Some(side) if self.view.is_side() => keyframe_png(&image, &self.landmarks, &side, self.view),
            _ => {
                draw_skeleton(&mut image, &self.landmarks);
                png_bytes(&image)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::measure_frame;

    fn frame(index: u64) -> MeasuredFrame {
        MeasuredFrame {
            index,
            timed: TimedMeasure {
                timestamp_ms: index as f64 * 200.0,
                is_still: false,
                measure: measure_frame(None, (640, 480), &MeasureSettings::default()),
            },
            other_people: 0,
            recropped: false,
            read_mirrored: false,
        }
    }

    fn judged(in_view: &[bool]) -> Vec<u64> {
        let frames = PartFrames {
            frames: in_view.iter().enumerate().map(|(i, v)| (frame(i as u64), *v)).collect(),
        };
        frames.judged().iter().map(|f| f.index).collect()
    }

    #[test]
    fn a_part_is_judged_from_its_view_on_or_wholly_when_the_view_never_came() {
        // Two frames while turning, then from the view on.
        assert_eq!(judged(&[false, false, true, true, true]), vec![2, 3, 4]);
        assert_eq!(judged(&[false, false, false]), vec![0, 1, 2]);
        assert!(judged(&[]).is_empty());
    }
}
