//! `posture watch`: the live desk check.

use super::pipeline::{load_models, stop_requested, PipelineArgs};
use super::tui::Screen;
use crate::assess::recording::{differences, model_id, Recording};
use crate::assess::Thresholds;
use crate::frames::{Frame, FrameError, FrameSource, SourceInfo, SystemClock};
use crate::measures::MeasureSettings;
use crate::monitor::log::{self, SessionClock, SessionLog};
use crate::monitor::notify::{choose_sink_here, Notifier};
use crate::monitor::source::Opener;
use crate::monitor::{self, profile, Calibration, EventBody, EventLine, EventRecord, EventsHeader, WatchSettings};
use crate::pipeline::{InputError, PipelineSettings};
use anyhow::Context;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Seconds of upright sitting recorded when no baseline is given or stored for the camera
/// (and by the recalibrate key without --calibrate).
const DEFAULT_CALIBRATE_S: f64 = 10.0;

#[derive(clap::Args)]
#[command(
    after_help = "SOURCE: camera:N (default camera:0) or a video file, played at real-time pace as a camera \
would deliver it (frames that arrive while the model is busy are dropped); with --fast a file is read as fast as \
possible and its own timestamps are the clock.\n\nA side camera gives the craniovertebral angle; a front camera \
needs a baseline: --baseline FILE from `posture calibrate`, or --calibrate SECONDS (sit upright at the start); \
without either, the baseline stored for this camera and resolution (a file: its name and resolution) is used, and \
the first watch of a camera (or file) at a resolution records one from its first 10 s (sit upright) and stores it. \
Forward head held for 20 s starts an alert; good posture held for 5 s ends it; frames without a reading \
(nobody there, turned away) neither start nor end one. Looking down is never forward head.\n\n--events writes JSON \
Lines (schema posture-watch-events/1): first a header with the source and the provenance (models' hashes, \
thresholds, settings), then per event t_s, event (status at least once a second, calibrating, calibrated, alert_start, alert_end, away, back, paused, \
resumed, snoozed, camera_released, camera_reopened, camera_unavailable) and its fields. An alert also shows a desktop \
notification (none with --no-notify; without a notification service, one warning and the terminal bell). A camera is \
closed while paused or snoozed and opened again after; one that fails is tried again every few seconds. \
Ctrl-C ends the watch (exit status 130).\n\nWhen stderr is a terminal (and --events does not write to the same \
terminal), a status screen shows the reading against the threshold, the state (ok, pending, alerting, away, paused, \
snoozed), the time watched and in good posture, and the last alert; keys: p pause/resume, s snooze 15 min, S snooze \
1 h, t snooze until tomorrow (06:00), c recalibrate (sit upright), q quit (each applied at the next analysed frame, \
and written as the paused, resumed, snoozed and calibrating events). \
--no-tui, or no terminal, gives the moments that matter as lines on stderr instead.\n\nEach watch is logged, a minute at a time (time measured, in good posture, \
borderline, forward head, unseen; median CVA; alerts), to $POSTURE_DATA_DIR/posture.sqlite, else \
$XDG_DATA_HOME/posture/posture.sqlite, else ~/.local/share/posture/posture.sqlite, for `posture stats`; the camera \
profiles are in profiles/ beside it. Frames are never stored, only these numbers; --no-log writes nothing there."
)]
pub struct Args {
    /// camera:N or a video file.
    #[arg(default_value = "camera:0", value_name = "SOURCE")]
    source: PathBuf,
    /// A baseline from `posture calibrate` (same camera and place).
    #[arg(long, value_name = "FILE", conflicts_with = "calibrate")]
    baseline: Option<PathBuf>,
    /// Record the baseline from the first SECONDS of usable frames (sit upright).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    calibrate: Option<f64>,
    /// Frames analysed a second (twice as many while an alert is pending, half as many but
    /// not below 2 once the level has not changed for 10 s, a quarter while nobody is there).
    #[arg(long, default_value = "4", value_parser = parse_fps)]
    fps: f64,
    /// Write the events as JSON Lines to FILE, or to standard output with -.
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
    /// Read a file as fast as possible, its timestamps as the clock (for tests and replays).
    #[arg(long)]
    fast: bool,
    /// No status screen: the moments that matter as lines on stderr, as without a terminal.
    #[arg(long)]
    no_tui: bool,
    /// Keep no session log (by default each minute's figures go to the log for `posture stats`)
    /// and store no camera profile.
    #[arg(long)]
    no_log: bool,
    /// No desktop notification (nor bell) when an alert starts.
    #[arg(long)]
    no_notify: bool,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 1.0 && *v <= 600.0)
        .ok_or_else(|| format!("'{s}' is not a calibration time in seconds between 1 and 600"))
}

fn parse_fps(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.5 && *v <= 30.0)
        .ok_or_else(|| format!("'{s}' is not a rate between 0.5 and 30 frames a second"))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let is_camera = crate::frames::is_camera(&args.source);
    if args.fast && is_camera {
        anyhow::bail!("--fast reads a file as fast as possible; a camera runs in real time");
    }
    if let Some(events) = args.events.as_ref().filter(|e| e.as_os_str() != "-") {
        super::refuse_output_over_input(events, [args.source.as_path()])?;
    }
    let given = args
        .baseline
        .as_deref()
        .map(super::measure::load_baseline)
        .transpose()?;
    let mut pipeline = args.pipeline.settings();
    // A few frames a second need no second thread: one of each kind costs less CPU in all.
    pipeline.threads = args.pipeline.threads.unwrap_or(1) as usize;
    pipeline.decoder_threads = 1;
    // A file without --fast plays as a camera: real-time pace, late frames dropped.
    pipeline.replay = !args.fast && !is_camera;
    let settings = WatchSettings {
        pipeline,
        measure: MeasureSettings::default(),
        thresholds: Thresholds::default(),
        judge: Default::default(),
        policy: Default::default(),
        fps: args.fps,
        recalibrate_s: args.calibrate.unwrap_or(DEFAULT_CALIBRATE_S),
    };
    let mut models = load_models(&settings.pipeline)?;
    let mut opener = WatchOpener {
        first: None,
        path: args.source.clone(),
        pipeline: settings.pipeline.clone(),
        is_camera,
    };
    // The watch's clock starts before the camera's first frame, so that the camera's times
    // (from that frame) never run ahead of it.
    let watch_clock = SystemClock::default();
    // The first frame tells the size, which (with the camera or file) picks the profile.
    let (size, source_label) = opener.open_first()?;
    let profile_label = if is_camera {
        source_label
    } else {
        args.source.display().to_string()
    };
    let profile_path = log::data_dir()
        .ok()
        .map(|dir| profile::profile_path(&dir, &profile::profile_key(&profile_label, is_camera, size)));
    let mut notes = Vec::new();
    if let Some(setup) = given.as_ref().and_then(|b| b.setup.as_ref()) {
        let here = Recording {
            source: SourceInfo::of(&args.source, size),
            model: Some(model_id(models.variant.file_name(), models.landmarks.model().sha256())),
            framing: None,
            cva_correction: Some(settings.measure.correction),
        };
        let found: Vec<String> = differences(setup, &here).iter().map(|d| d.describe()).collect();
        if !found.is_empty() {
            notes.push(format!(
                "warning: the baseline was recorded differently ({}): its comparisons may not hold; record one here with --calibrate",
                found.join("; ")
            ));
        }
    }
    let calibration = match (given, args.calibrate) {
        (Some(baseline), _) => Calibration::Given(Box::new(baseline)),
        (None, Some(seconds)) => Calibration::Record { seconds },
        (None, None) => match profile_path.as_deref().map(profile::load) {
            Some(Ok(Some(baseline))) => Calibration::Given(Box::new(baseline)),
            Some(Err(e)) => {
                notes.push(format!("warning: {e}; recording a new one"));
                Calibration::Record {
                    seconds: DEFAULT_CALIBRATE_S,
                }
            }
            Some(Ok(None)) | None => Calibration::Record {
                seconds: DEFAULT_CALIBRATE_S,
            },
        },
    };
    if super::verbosity() == super::Verbosity::Verbose {
        let from = match (&calibration, args.baseline.as_deref()) {
            (Calibration::Given(_), Some(file)) => format!("from {}", file.display()),
            (Calibration::Given(_), None) => profile_path.as_deref().map_or_else(
                || "stored for this camera".into(),
                |p| format!("stored for this camera in {}", p.display()),
            ),
            (Calibration::Record { seconds }, _) => format!("recorded from the first {seconds:.0} s"),
            (Calibration::None, _) => "none".into(),
        };
        eprintln!("posture: baseline {from}");
    }
    // Each baseline recorded is kept for the next watch with this camera.
    let save_profile = profile_path.filter(|_| !args.no_log);
    let mut notifier = Notifier::for_choice(choose_sink_here(args.no_notify));
    let mut events: Option<Box<dyn Write>> = match &args.events {
        Some(p) if p.as_os_str() == "-" => Some(Box::new(std::io::stdout().lock())),
        Some(p) => Some(Box::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => None,
    };
    let mut write_error = None;
    let label = args.source.display().to_string();
    if let Some(out) = events.as_mut() {
        serde_json::to_writer(&mut *out, &EventsHeader::of(&label, &models, &settings))
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush())
            .context("cannot write events")?;
    }
    let clock = if args.fast {
        SessionClock::Media
    } else {
        SessionClock::Wall
    };
    // The log is a convenience: one that cannot be opened or written is a warning, and the
    // watch goes on without it.
    let mut log = if args.no_log {
        None
    } else {
        match log::default_path().and_then(|path| SessionLog::start(&path, &label, clock)) {
            Ok(log) => Some(log),
            Err(e) => {
                eprintln!("posture: warning: no session log: {e}");
                None
            }
        }
    };
    // The screen is drawn on stderr, which stays free when --events - takes stdout; not when
    // those events would go to the same terminal.
    let events_on_terminal =
        args.events.as_ref().is_some_and(|e| e.as_os_str() == "-") && std::io::stdout().is_terminal();
    // --quiet leaves stderr to errors and warnings: no screen, no lines, no summary.
    let chatty = super::chatty();
    let screen = if chatty && !args.no_tui && std::io::stderr().is_terminal() && !events_on_terminal {
        Some(Screen::start(settings.thresholds).context("cannot start the status screen (--no-tui goes without)")?)
    } else {
        None
    };
    let screen = std::cell::RefCell::new(screen);
    // Warnings go on the screen while it is up, and to stderr again once the terminal is back.
    let shown_warnings = std::cell::RefCell::new(Vec::new());
    let warn = |text: String| match screen.borrow_mut().as_mut() {
        Some(s) => {
            s.notice(text.clone());
            shown_warnings.borrow_mut().push(text);
        }
        None => eprintln!("posture: {text}"),
    };
    for note in notes {
        warn(note);
    }
    let last_t_s = std::cell::Cell::new(0.0);
    let summary = monitor::watch(
        &mut opener,
        &label,
        &settings,
        calibration,
        &mut models,
        &watch_clock,
        &stop_requested,
        |_| screen.borrow_mut().as_mut().map_or_else(Vec::new, |s| s.commands()),
        |event| {
            if let Some(warning) = notifier.on_event(event) {
                warn(warning);
            }
            if let (EventBody::Calibrated { baseline, .. }, Some(path)) = (&event.body, save_profile.as_deref()) {
                if let Err(e) = profile::save(path, baseline) {
                    warn(format!("warning: baseline not stored in {}: {e}", path.display()));
                }
            }
            last_t_s.set(event.t_s);
            match screen.borrow_mut().as_mut() {
                Some(s) => s.update(event),
                None if chatty => {
                    if let Some(line) = terminal_line(event) {
                        eprintln!("posture: {line}");
                    }
                }
                None => {}
            }
            if let Some(Err(e)) = log.as_mut().map(|l| l.record(event)) {
                warn(format!("warning: session log stopped: {e}"));
                log = None;
            }
            if let Some(out) = events.as_mut() {
                // A line at a time, flushed: a killed watch keeps every event it wrote.
                let written = serde_json::to_writer(&mut *out, &EventLine::of(event))
                    .map_err(std::io::Error::from)
                    .and_then(|()| out.write_all(b"\n"))
                    .and_then(|()| out.flush());
                if let Err(e) = written {
                    write_error.get_or_insert(e);
                }
            }
        },
    );
    // The terminal is back before anything more is said.
    drop(screen);
    for text in shown_warnings.into_inner() {
        eprintln!("posture: {text}");
    }
    // What was logged is kept however the watch ended.
    let seconds = summary.as_ref().map_or(last_t_s.get(), |s| s.seconds);
    if let Some(Err(e)) = log.map(|l| l.finish(seconds)) {
        eprintln!("posture: warning: session log not closed: {e}");
    }
    let summary = summary?;
    if let Some(e) = write_error {
        anyhow::bail!("cannot write events: {e}");
    }
    if chatty {
        eprintln!(
            "posture: watched {:.0} s, {} frame(s) analysed, {} alert(s)",
            summary.seconds, summary.frames_analysed, summary.alerts
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What the terminal shows of an event: the moments that matter, not every status.
fn terminal_line(event: &EventRecord) -> Option<String> {
    let at = format!("{:02}:{:02}", (event.t_s / 60.0) as u64, (event.t_s % 60.0) as u64);
    let text = match &event.body {
        EventBody::Calibrating { seconds } => format!("sit upright: recording your baseline for {seconds:.0} s"),
        EventBody::Calibrated { view, frames, .. } => {
            format!("baseline recorded ({}, {frames} frames)", view.as_str())
        }
        EventBody::CameraReleased => "camera off while paused or snoozed".into(),
        EventBody::CameraReopened => "camera on again".into(),
        EventBody::CameraUnavailable { error, retry_in_s } => {
            format!("camera unavailable ({error}); trying again in {retry_in_s:.0} s, then every few seconds")
        }
        EventBody::AlertStart { .. } => "forward head for a while: sit back and lift your head".into(),
        EventBody::AlertEnd { .. } => "posture good again".into(),
        EventBody::Away => "nobody in view".into(),
        EventBody::Back => "back in view".into(),
        EventBody::Snoozed { .. } | EventBody::Paused | EventBody::Resumed | EventBody::Status { .. } => return None,
    };
    Some(format!("{at} {text}"))
}

/// Opens the watch's source: the first time the one already opened (to read its size), then
/// the camera again after it was released.
struct WatchOpener {
    first: Option<Box<dyn FrameSource>>,
    path: PathBuf,
    pipeline: PipelineSettings,
    is_camera: bool,
}

impl WatchOpener {
    /// Open the source and read its first frame (kept for the first [`Opener::open`]): the
    /// frames' size and the source's label.
    fn open_first(&mut self) -> Result<((u32, u32), String), InputError> {
        let mut source = self.pipeline.open_input(&self.path)?;
        let frame = match source.next_frame() {
            Some(Ok(frame)) => frame,
            Some(Err(e)) => return Err(e.into()),
            None => {
                let input = self.path.display().to_string();
                return Err(InputError::NoFrames { input });
            }
        };
        let size = (frame.image.width(), frame.image.height());
        let label = source.label().to_string();
        self.first = Some(Box::new(Peeked {
            first: Some(frame),
            inner: source,
        }));
        Ok((size, label))
    }
}

impl Opener for WatchOpener {
    fn open(&mut self) -> Result<Box<dyn FrameSource>, FrameError> {
        if let Some(first) = self.first.take() {
            return Ok(first);
        }
        self.pipeline.open_input(&self.path).map_err(|e| match e {
            InputError::Open(e) => e,
            other => FrameError::Camera(other.to_string()),
        })
    }

    fn is_camera(&self) -> bool {
        self.is_camera
    }
}

/// A source whose first frame was already read.
struct Peeked {
    first: Option<Frame>,
    inner: Box<dyn FrameSource>,
}

impl FrameSource for Peeked {
    fn label(&self) -> &str {
        self.inner.label()
    }

    fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        match self.first.take() {
            Some(frame) => Some(Ok(frame)),
            None => self.inner.next_frame(),
        }
    }

    fn is_still(&self) -> bool {
        self.inner.is_still()
    }

    fn skip_before(&mut self, t_ms: f64) {
        if self.first.as_ref().is_some_and(|f| f.timestamp_ms < t_ms) {
            self.first = None;
        }
        self.inner.skip_before(t_ms);
    }

    fn recycle(&mut self, image: image::RgbImage) {
        self.inner.recycle(image);
    }
}
