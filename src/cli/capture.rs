//! `posture capture`: guided capture of a visit at home, talked through in plain words.

use super::pipeline::{stop_requested, PipelineArgs};
use crate::assess::Thresholds;
use crate::capture::protocol::{PartOutcome, ProtocolSettings, Say};
use crate::capture::{self, Capture, CaptureSettings, CapturedPart, KeptVideo, Part};
use crate::frames::VIDEO_EXTENSION;
use crate::measures::MeasureSettings;
use crate::output::measure::MeasureRecord;
use crate::visit::{self, PartView, Protocol, SourceInfo, Visit, VisitFile, VisitPart, VisitVideo, VISIT_SCHEMA};
use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
#[command(
    after_help = "SOURCE: camera:N (default camera:0) or a video file, played at real-time pace as a camera would \
deliver it; with --fast a file is read as fast as possible and its own timestamps are the clock.\n\nThe protocol, \
one step at a time on the terminal: 1. sit as you usually do, side-on to the camera, and hold still; 2. the same \
facing the camera. Each step waits for its view, then collects --seconds of usable frames (frames that pass every \
quality gate while you hold still), saying what to change when frames cannot be used (turn, move back, too dark, \
someone else in view, hold still) and the progress each second. A step that has not collected them after \
--step-limit seconds is given up and marked incomplete.\n\nAt the end the measurement of each part is printed, and \
the visit is written to --out: one zip file with visit.json (the measurement of each part exactly as `posture \
measure --json` gives it, quality, provenance, patient, date, camera), frames.csv (every analysed frame) and an \
annotated key frame per part (the measured person's skeleton; the ear, C7 point and angle for the side). Frames are \
kept in memory and never written anywhere else; the video goes in only with --keep-video: a video file as it is, \
and for a camera the frames analysed (a few a second, the ones the numbers come from), each at its time, encoded \
as MPEG-4 in video.mkv, in memory until it goes into the visit file. A capture that could not collect enough usable frames says which quality gate failed most and what \
to change, and is saved all the same, marked incomplete.\n\nExit status: 0 complete; 1 incomplete (saved) or an \
error; 130 after Ctrl-C (what was captured is saved, marked incomplete)."
)]
pub struct Args {
    /// camera:N or a video file.
    #[arg(default_value = "camera:0", value_name = "SOURCE")]
    source: PathBuf,
    /// The visit file to write (a zip).
    #[arg(long, value_name = "VISIT.zip")]
    out: PathBuf,
    /// The patient's identifier, recorded in the visit (no names: an id the therapist gave).
    #[arg(long, value_name = "ID", value_parser = parse_patient)]
    patient: Option<String>,
    /// Store the video in the visit too (a camera: its analysed frames; by default frames are
    /// never stored).
    #[arg(long)]
    keep_video: bool,
    /// Read a file as fast as possible, its timestamps as the clock (for tests and replays).
    #[arg(long)]
    fast: bool,
    /// Seconds of usable frames to collect for each view.
    #[arg(long, value_name = "S", default_value = "10", value_parser = parse_hold_s)]
    seconds: f64,
    /// Give up on a view after this many seconds without enough usable frames.
    #[arg(long, value_name = "S", default_value = "60", value_parser = parse_limit_s)]
    step_limit: f64,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

fn parse_hold_s(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && (2.0..=120.0).contains(v))
        .ok_or_else(|| format!("'{s}' is not a number of seconds between 2 and 120"))
}

fn parse_limit_s(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && (5.0..=600.0).contains(v))
        .ok_or_else(|| format!("'{s}' is not a time limit in seconds between 5 and 600"))
}

fn parse_patient(s: &str) -> Result<String, String> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !s.starts_with('.');
    if ok {
        Ok(s.to_string())
    } else {
        Err(format!(
            "'{s}' is not a patient id: up to 64 letters, digits, '-', '_' or '.', not starting with '.'"
        ))
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let is_camera = crate::frames::is_camera(&args.source);
    if args.fast && is_camera {
        anyhow::bail!("--fast reads a file as fast as possible; a camera runs in real time");
    }
    super::refuse_output_over_input(&args.out, [args.source.as_path()])?;
    crate::output::check_writable(&args.out)
        .with_context(|| format!("cannot write the visit file {}", args.out.display()))?;
    let mut pipeline = args.pipeline.settings();
    // A few frames a second need no second thread (as for `posture watch`).
    pipeline.threads = args.pipeline.threads.unwrap_or(1) as usize;
    pipeline.decoder_threads = 1;
    // A file without --fast plays as a camera: real-time pace, late frames dropped.
    pipeline.replay = !args.fast && !is_camera;
    // Someone walking into view must be told about within a second or so.
    pipeline.recount_every = pipeline.recount_every.min(capture::DEFAULT_FPS as u32);
    let settings = CaptureSettings {
        pipeline,
        measure: MeasureSettings::default(),
        thresholds: Thresholds::default(),
        protocol: ProtocolSettings {
            hold_s: args.seconds,
            step_limit_s: args.step_limit,
            ..Default::default()
        },
        fps: capture::DEFAULT_FPS,
    };
    let mut models = super::pipeline::load_models(&settings.pipeline)?;
    let source = settings.pipeline.open_input(&args.source)?;
    let recorded_at = std::time::SystemTime::now();
    let label = args.source.display().to_string();
    // --quiet: no guidance, only errors (a recorded clip captured by a script).
    let chatty = super::chatty();
    if chatty {
        eprintln!(
            "posture: guided capture: two steps of about {:.0} s each; follow the lines below (Ctrl-C stops and saves what was captured)",
            args.seconds
        );
    }
    // A camera's video is its analysed frames, encoded as they come; a file is kept as it is.
    let mut kept = KeptVideo::default();
    let keep_frames = args.keep_video && is_camera;
    let captured = capture::capture(
        source,
        &label,
        &settings,
        &mut models,
        &stop_requested,
        |_, said| {
            if let Some(line) = terminal_line(said, args.seconds).filter(|_| chatty) {
                eprintln!("posture: {line}");
            }
        },
        |frame| {
            if keep_frames {
                kept.push(frame);
            }
        },
    )?;
    let video = if keep_frames {
        match kept.finish() {
            Ok(bytes) => bytes.map(|bytes| VisitVideo::Encoded {
                extension: VIDEO_EXTENSION,
                bytes,
            }),
            Err(e) => {
                eprintln!("posture: warning: the video could not be kept ({e}); the visit is saved without it");
                None
            }
        }
    } else {
        args.keep_video.then(|| VisitVideo::File(args.source.clone()))
    };
    if let Some(e) = &captured.error {
        eprintln!("posture: error: {e} (the frames before it are kept)");
    }
    print_results(&captured, &settings.thresholds, args.seconds);
    save_visit(&args, video, &captured, recorded_at, &settings.thresholds)?;
    Ok(if captured.complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// What the terminal says of the protocol: each step, advice when it changes, progress.
fn terminal_line(said: &Say, hold_s: f64) -> Option<String> {
    Some(match said {
        Say::Step { part, number, of } => format!("step {number} of {of}: {}", part.instruction()),
        Say::Advice { advice, .. } => format!("  {}", advice.words()),
        Say::Progress { usable_s, of_s, .. } => format!("  {usable_s} of {of_s} s"),
        Say::PartDone(outcome) => match outcome.incomplete_reason(hold_s) {
            None => format!("  {} view done", outcome.part.name()),
            Some(reason) => format!("  given up: {reason}"),
        },
        Say::Finished => return None,
    })
}

/// Where in the picture the subject was, in words, from the key frame.
fn subject_position(part: &CapturedPart) -> Option<&'static str> {
    let k = part.keyframe.as_ref()?;
    let nose = k.landmarks[crate::pose::index::NOSE];
    let third = nose.x_px / k.image.width().max(1) as f32 * 3.0;
    Some(match third {
        t if t < 1.0 => "on the left of the picture",
        t if t < 2.0 => "in the middle of the picture",
        _ => "on the right of the picture",
    })
}

/// The measurement of each part in plain words, on standard output.
fn print_results(captured: &Capture, thresholds: &Thresholds, hold_s: f64) {
    for outcome in &captured.outcomes {
        let part = captured.parts.iter().find(|p| p.outcome.part == outcome.part);
        println!("{}", result_words(outcome, part, thresholds, hold_s));
    }
    if captured.complete() {
        println!("All steps done.");
    }
}

fn result_words(outcome: &PartOutcome, part: Option<&CapturedPart>, thresholds: &Thresholds, hold_s: f64) -> String {
    let name = outcome.part.name();
    let mut words = match part.map(|p| (p, MeasureRecord::of(&p.result, thresholds))) {
        None => format!("{} view: not recorded.", capitalised(name)),
        Some((_, record)) => {
            let q = &record.quality;
            let used = format!("{} of {} frames used", q.frames_used, q.frames_total);
            match (outcome.part, record.cva_deg) {
                (Part::Side, Some(cva)) => {
                    let interval = record
                        .ci95
                        .as_ref()
                        .and_then(|c| c.cva_deg)
                        .map_or(String::new(), |(lo, hi)| format!(" (clip interval {lo:.1}-{hi:.1})"));
                    let class = record
                        .classification
                        .forward_head
                        .map_or("not classified", |c| class_words(c));
                    format!(
                        "Side view: head-neck angle (CVA) {cva:.1}°{interval}: {class} (normal is {:.0}° or more, forward head below {:.0}°); {used}.",
                        thresholds.cva_forward_deg + thresholds.cva_borderline_half_width_deg,
                        thresholds.cva_forward_deg,
                    )
                }
                (Part::Side, None) => format!(
                    "Side view: no reading ({}); {used}.",
                    record.reason.map_or("no usable frames", |r| r.describe())
                ),
                (Part::Front, _) if q.frames_used > 0 => {
                    format!("Front view: recorded for comparison with your first visit; {used}.")
                }
                (Part::Front, _) => format!("Front view: no usable frames; {used}."),
            }
        }
    };
    if let Some(reason) = outcome.incomplete_reason(hold_s) {
        words.push_str(&format!(" Incomplete: {reason}."));
    }
    if let Some(p) = part.filter(|p| p.result.other_people.most_at_once > 0) {
        words.push_str(&format!(
            " Someone else was in view ({:.1} s): the person measured is the one framed and drawn on the key frame{}.",
            p.result.other_people.seconds,
            subject_position(p).map_or(String::new(), |w| format!(", {w}"))
        ));
    }
    words
}

fn capitalised(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map_or(String::new(), |f| f.to_uppercase().collect::<String>() + c.as_str())
}

fn class_words(c: crate::assess::ForwardHead) -> &'static str {
    use crate::assess::ForwardHead;
    match c {
        ForwardHead::Normal => "normal",
        ForwardHead::Borderline => "borderline",
        ForwardHead::Forward => "forward head",
        ForwardHead::Severe => "marked forward head",
    }
}

fn part_view(part: Part) -> PartView {
    match part {
        Part::Side => PartView::Side,
        Part::Front => PartView::Front,
    }
}

/// Write the visit file: each part's record, frames and key frame; the video only if asked.
fn save_visit(
    args: &Args,
    video: Option<VisitVideo>,
    captured: &Capture,
    recorded_at: std::time::SystemTime,
    thresholds: &Thresholds,
) -> anyhow::Result<()> {
    let mut keyframes = Vec::new();
    let mut parts = Vec::new();
    for p in &captured.parts {
        let view = part_view(p.outcome.part);
        let keyframe = p.keyframe.as_ref().map(|k| {
            let name = view.keyframe_name();
            keyframes.push((name.clone(), k.png(p.result.other_people.most_at_once > 0)));
            name
        });
        parts.push(VisitPart::of(view, &p.result, thresholds, keyframe));
    }
    let incomplete: Vec<String> = captured
        .outcomes
        .iter()
        .filter_map(|o| o.incomplete_reason(args.seconds))
        .collect();
    let frames: Vec<(PartView, &crate::pipeline::InputResult)> = captured
        .parts
        .iter()
        .map(|p| (part_view(p.outcome.part), &p.result))
        .collect();
    let file = VisitFile {
        visit: Visit {
            schema: VISIT_SCHEMA.to_string(),
            patient: args.patient.clone(),
            recorded_at: visit::utc_rfc3339(recorded_at),
            protocol: Protocol::GuidedCapture,
            complete: captured.complete(),
            incomplete_reason: (!incomplete.is_empty()).then(|| incomplete.join("; ")),
            source: SourceInfo::of(&args.source, captured.frame_size),
            parts,
        },
        frames_csv: visit::frames_csv(&frames),
        keyframes,
        video,
    };
    visit::write(&args.out, &file)?;
    if super::chatty() {
        eprintln!(
            "posture: visit saved to {}{}",
            args.out.display(),
            if captured.complete() {
                ""
            } else {
                " (incomplete: record again once the advice above is followed)"
            }
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::capture::advice::Advice;

    #[test]
    fn patient_ids_are_plain_identifiers() {
        assert_eq!(parse_patient("P001"), Ok("P001".into()));
        assert_eq!(parse_patient("ward-3_bed.2"), Ok("ward-3_bed.2".into()));
        for bad in ["", ".hidden", "a/b", "Jane Doe", &"x".repeat(65)] {
            assert!(parse_patient(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_terminal_says_steps_advice_and_progress_in_one_line_each() {
        let advice = Say::Advice {
            part: Part::Side,
            advice: Advice::HoldStill,
        };
        assert_eq!(terminal_line(&advice, 10.0).unwrap(), "  hold still");
        let progress = Say::Progress {
            part: Part::Front,
            usable_s: 7,
            of_s: 10,
        };
        assert_eq!(terminal_line(&progress, 10.0).unwrap(), "  7 of 10 s");
        let step = Say::Step {
            part: Part::Side,
            number: 1,
            of: 2,
        };
        assert!(terminal_line(&step, 10.0)
            .unwrap()
            .starts_with("step 1 of 2: sit as you usually do"));
        assert_eq!(terminal_line(&Say::Finished, 10.0), None);
    }
}
