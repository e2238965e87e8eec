//! The live loop: frames in, events out.

use super::judge::{Judge, JudgeSettings, Reading};
use super::policy::{AlertPolicy, Change, EndReason, Level, PolicySettings, State};
use super::sampling::{Rates, Sampled, Steadiness};
use super::source::{self, Idle, Opener, PassEnd, Passes, SourceEvent};
use crate::assess::baseline::Baseline;
use crate::assess::{summarize, ForwardHead, Thresholds, TimedMeasure, ViewChoice};
use crate::frames::{Clock, Frame, FrameSource};
use crate::measures::{measure_frame, MeasureSettings, Reason, View};
use crate::pipeline::{for_each_frame_of, AssessSettings, InputError, PersonMaskWhen, PipelineSettings, Provenance};
use crate::pose::{PoseFrame, PoseModels};
use std::cell::Cell;
use std::rc::Rc;

#[derive(Debug, Clone)]
pub struct WatchSettings {
    pub pipeline: PipelineSettings,
    pub measure: MeasureSettings,
    pub thresholds: Thresholds,
    pub judge: JudgeSettings,
    pub policy: PolicySettings,
    /// Frames analysed a second while nothing is pending.
    pub fps: f64,
    /// A recalibration ([`Command::Recalibrate`]) records this long.
    pub recalibrate_s: f64,
}

/// How the baseline is had: given, or recorded from the first seconds of usable frames.
#[derive(Debug, Clone)]
pub enum Calibration {
    None,
    /// Boxed: a baseline is large beside the other variants.
    Given(Box<Baseline>),
    Record {
        seconds: f64,
    },
}

/// One event: when (seconds since the start; media time for a file) and what.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EventRecord {
    pub t_s: f64,
    #[serde(flatten)]
    pub body: EventBody,
}

/// The schema of each `posture watch --events` line.
pub const EVENTS_SCHEMA: &str = "posture-watch-events/1";

/// An event as one `--events` line: the schema, then the event's fields.
#[derive(Debug, serde::Serialize)]
pub struct EventLine<'a> {
    schema: &'static str,
    #[serde(flatten)]
    event: &'a EventRecord,
}

/// The first `--events` line, once per run: what made the events (the models' hashes, the
/// thresholds and settings), so that the lines after it need not carry it.
#[derive(Debug, serde::Serialize)]
pub struct EventsHeader<'a> {
    schema: &'static str,
    source: &'a str,
    provenance: Provenance,
}

impl<'a> EventsHeader<'a> {
    /// The header of a watch of `source` with `models` and `settings`: the provenance
    /// `measure` writes, its settings with the watch's own (`fps`, `judge`, `policy`).
    pub fn of(source: &'a str, models: &PoseModels, settings: &WatchSettings) -> EventsHeader<'a> {
        let assess = AssessSettings {
            view: ViewChoice::Auto,
            measure: settings.measure,
            thresholds: settings.thresholds,
        };
        let mut provenance = Provenance::of(models, &settings.pipeline, &assess);
        if let Some(own) = provenance.settings.as_object_mut() {
            own.insert("fps".into(), settings.fps.into());
            own.insert("judge".into(), serde_json::json!(settings.judge));
            own.insert("policy".into(), serde_json::json!(settings.policy));
        }
        EventsHeader {
            schema: EVENTS_SCHEMA,
            source,
            provenance,
        }
    }
}

impl<'a> EventLine<'a> {
    pub fn of(event: &'a EventRecord) -> EventLine<'a> {
        EventLine {
            schema: EVENTS_SCHEMA,
            event,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    ForwardHead,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventBody {
    Status {
        view: View,
        cva_deg: Option<f32>,
        forward_head: Option<ForwardHead>,
        looking_down: Option<bool>,
        reason: Option<Reason>,
        /// What the alert policy heard (null: no reading).
        level: Option<Level>,
        state: State,
    },
    /// A baseline is being recorded from the next `seconds` of usable frames: sit upright.
    Calibrating {
        seconds: f64,
    },
    Calibrated {
        view: View,
        frames: usize,
        /// The baseline itself, for the caller to keep (not written in the events).
        #[serde(skip)]
        baseline: Box<Baseline>,
    },
    AlertStart {
        kind: AlertKind,
    },
    AlertEnd {
        kind: AlertKind,
        reason: EndReason,
    },
    Away,
    Back,
    Snoozed {
        until_s: f64,
    },
    Paused,
    Resumed,
    /// The camera was closed (paused, snoozed).
    CameraReleased,
    CameraReopened,
    /// The camera cannot be opened or stopped delivering frames; it is tried again.
    CameraUnavailable {
        error: String,
        retry_in_s: f64,
    },
}

impl EventBody {
    fn of(change: Change) -> EventBody {
        match change {
            Change::AlertStart => EventBody::AlertStart {
                kind: AlertKind::ForwardHead,
            },
            Change::AlertEnd { reason } => EventBody::AlertEnd {
                kind: AlertKind::ForwardHead,
                reason,
            },
            Change::Away => EventBody::Away,
            Change::Back => EventBody::Back,
            Change::Snoozed { until_s } => EventBody::Snoozed { until_s },
            Change::Paused => EventBody::Paused,
            Change::Resumed => EventBody::Resumed,
        }
    }
}

#[cfg(test)]
impl EventBody {
    /// A side-view status with only what tests of the events' readers vary.
    pub(crate) fn side_status(level: Option<Level>, cva_deg: Option<f32>, state: State) -> EventBody {
        EventBody::Status {
            view: View::SideLeft,
            cva_deg,
            forward_head: None,
            looking_down: None,
            reason: None,
            level,
            state,
        }
    }
}

/// What the user asks of a running watch (the status screen's keys), applied at the next
/// analysed frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Command {
    Pause,
    Resume,
    /// No alert for this long from now.
    Snooze {
        seconds: f64,
    },
    /// Record a new baseline from the next [`WatchSettings::recalibrate_s`] of usable frames.
    Recalibrate,
    /// End the watch as a stop would.
    Quit,
}

/// Apply `command` at `t_s` through the policy: the changes it makes, and whether the watch
/// should end.
pub fn apply_command(policy: &mut AlertPolicy, t_s: f64, command: Command) -> (Vec<Change>, bool) {
    match command {
        Command::Pause => (policy.pause(t_s), false),
        Command::Resume => (policy.resume(), false),
        Command::Snooze { seconds } => (policy.snooze(t_s, t_s + seconds), false),
        Command::Recalibrate => (Vec::new(), false),
        Command::Quit => (Vec::new(), true),
    }
}

/// What a watch did, for its last line.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WatchSummary {
    pub frames_analysed: u64,
    pub alerts: usize,
    pub seconds: f64,
}

/// Status events come at least this often.
const STATUS_EVERY_S: f64 = 1.0;

/// Records a baseline from the first seconds of usable frames.
struct Recorder {
    seconds: f64,
    frames: Vec<TimedMeasure>,
    first_s: Option<f64>,
}

impl Recorder {
    /// Add a frame; the baseline once enough usable time is recorded.
    fn add(&mut self, t_s: f64, measure: crate::measures::FrameMeasure, thresholds: &Thresholds) -> Option<Baseline> {
        if measure.side.is_err() && measure.front.is_err() {
            return None;
        }
        let first = *self.first_s.get_or_insert(t_s);
        self.frames.push(TimedMeasure {
            timestamp_ms: t_s * 1000.0,
            is_still: false,
            measure,
        });
        if t_s - first < self.seconds {
            return None;
        }
        // Judged once when the window closes; a window that gives no baseline (too few
        // settled frames, an oblique view) is dropped and the next one recorded.
        let summary = summarize(&self.frames, ViewChoice::Auto, thresholds);
        self.frames.clear();
        self.first_s = None;
        Baseline::from_summary(&summary, vec!["watch".into()]).ok()
    }
}

impl Recorder {
    fn new(seconds: f64) -> Recorder {
        Recorder {
            seconds,
            frames: Vec::new(),
            first_s: None,
        }
    }
}

/// What the watch keeps from frame to frame, and across the camera being closed and reopened.
struct Core<'a> {
    settings: &'a WatchSettings,
    judge: Judge,
    policy: AlertPolicy,
    recorder: Option<Recorder>,
    summary: WatchSummary,
    last_status_s: Option<f64>,
    last_state: State,
    /// The view of the last reading (the status while the camera is closed repeats it).
    last_view: View,
    /// Frames a second the sampler passes on, set from the state after each frame.
    fps: Rc<Cell<f64>>,
    rates: Rates,
    steadiness: Steadiness,
    quit: bool,
    emit: &'a mut dyn FnMut(&EventRecord),
    commands: &'a mut dyn FnMut(f64) -> Vec<Command>,
}

impl Core<'_> {
    fn emit(&mut self, t_s: f64, body: EventBody) {
        (self.emit)(&EventRecord { t_s, body });
    }

    fn start_recording(&mut self, t_s: f64, seconds: f64) {
        self.recorder = Some(Recorder::new(seconds));
        self.emit(t_s, EventBody::Calibrating { seconds });
    }

    /// Apply what the user asked since the last call.
    fn apply_commands(&mut self, t_s: f64) -> Vec<Change> {
        let mut changes = Vec::new();
        for command in (self.commands)(t_s) {
            if command == Command::Recalibrate {
                // The old baseline is what no longer fits: it judges nothing meanwhile.
                self.judge.clear_baseline();
                self.start_recording(t_s, self.settings.recalibrate_s);
            }
            let (applied, ends) = apply_command(&mut self.policy, t_s, command);
            changes.extend(applied);
            self.quit |= ends;
        }
        changes
    }

    fn emit_changes(&mut self, t_s: f64, changes: Vec<Change>) {
        for change in changes {
            self.summary.alerts += usize::from(change == Change::AlertStart);
            self.emit(t_s, EventBody::of(change));
        }
    }

    /// One analysed frame.
    fn frame(&mut self, frame: &Frame, pose: &PoseFrame) {
        // Milliseconds are enough, and keep the events free of float noise.
        let t_s = (frame.timestamp_ms).round() / 1000.0;
        let size = (frame.image.width(), frame.image.height());
        let measure = measure_frame(pose.pose.as_ref(), size, &self.settings.measure);
        self.summary.frames_analysed += 1;
        self.summary.seconds = t_s;
        let thresholds = self.settings.thresholds;
        if let Some(baseline) = self.recorder.as_mut().and_then(|r| r.add(t_s, measure, &thresholds)) {
            self.emit(
                t_s,
                EventBody::Calibrated {
                    view: baseline.view,
                    frames: baseline.frames_used,
                    baseline: Box::new(baseline.clone()),
                },
            );
            self.judge.set_baseline(baseline);
            self.recorder = None;
        }
        let mut changes = self.apply_commands(t_s);
        let reading: Reading = self.judge.judge(t_s, &measure);
        // A person seen without a baseline to judge them by is not "can't see you" time:
        // the policy hears nothing of it (no alert, and no "away" either).
        if reading.reason != Some(Reason::NoBaseline) {
            changes.extend(self.policy.observe(t_s, reading.level));
        }
        self.emit_changes(t_s, changes);
        self.last_view = reading.view;
        self.status(t_s, Some(&reading));
        self.steadiness.observe(t_s, reading.level);
        // A baseline being recorded takes every frame it can get.
        let steady = self.recorder.is_none() && self.steadiness.is_steady(t_s);
        self.fps.set(self.rates.fps(self.policy.state(), steady));
    }

    /// A status event if the state changed, or if the next frame may come more than
    /// [`STATUS_EVERY_S`] after the last status; `None`: no frame (the camera is closed, and
    /// this is asked a few times a second).
    fn status(&mut self, t_s: f64, reading: Option<&Reading>) {
        let state = self.policy.state();
        let next_frame_in_s = if reading.is_some() { 1.0 / self.fps.get() } else { 0.0 };
        let due = |last: f64| t_s - last + next_frame_in_s > STATUS_EVERY_S;
        if state == self.last_state && self.last_status_s.is_some_and(|last| !due(last)) {
            return;
        }
        let body = match reading {
            Some(reading) => EventBody::Status {
                view: reading.view,
                cva_deg: reading.cva_deg.map(|c| (c * 10.0).round() / 10.0),
                forward_head: reading.forward_head,
                looking_down: reading.looking_down,
                reason: reading.reason,
                level: reading.level,
                state,
            },
            None => EventBody::Status {
                view: self.last_view,
                cva_deg: None,
                forward_head: None,
                looking_down: None,
                reason: None,
                level: None,
                state,
            },
        };
        self.emit(t_s, body);
        self.last_status_s = Some(t_s);
        self.last_state = state;
    }
}

/// The watch loop as [`source::run`] drives it.
struct Loop<'a> {
    core: Core<'a>,
    label: &'a str,
    models: &'a mut PoseModels,
    stop: &'a dyn Fn() -> bool,
    is_camera: bool,
}

impl Passes for Loop<'_> {
    type Error = InputError;

    fn pass(&mut self, source: Box<dyn FrameSource>) -> Result<PassEnd, InputError> {
        let core = &mut self.core;
        // A camera reopened shows a scene that may have changed: look at the full rate first.
        core.steadiness.reset();
        let sampled = Sampled::new(source, Rc::clone(&core.fps));
        let (user_stop, is_camera) = (self.stop, self.is_camera);
        let quit = Cell::new(false);
        let release = Cell::new(false);
        let stop = || quit.get() || release.get() || user_stop();
        let frames_before = core.summary.frames_analysed;
        // The person mask only for the frames whose side reading needs it.
        let pipeline = PipelineSettings {
            person_mask: PersonMaskWhen::SideReadings(core.settings.measure),
            ..core.settings.pipeline.clone()
        };
        let result = for_each_frame_of(
            Box::new(sampled),
            self.label,
            &pipeline,
            self.models,
            &stop,
            |frame, pose, _| {
                core.frame(frame, pose);
                quit.set(core.quit);
                let (state, until) = (core.policy.state(), core.policy.snoozed_until_s());
                release.set(is_camera && !source::wants_open(state, until, core.summary.seconds));
                Ok::<(), InputError>(())
            },
        );
        let end = if quit.get() || user_stop() {
            PassEnd::Stop
        } else if release.get() {
            PassEnd::Release
        } else {
            PassEnd::Ended
        };
        match result {
            Ok(_) => Ok(end),
            // A camera that fails mid-watch, or a reopened one that gave nothing before it was
            // released again, is tried again, not the end of the watch.
            Err(
                InputError::BadFrames { .. } | InputError::NoFrames { .. } | InputError::InterruptedBeforeFirst { .. },
            ) if is_camera && (frames_before > 0 || end != PassEnd::Ended) => Ok(end),
            Err(e) => Err(e),
        }
    }

    fn idle(&mut self, now_s: f64) -> Idle {
        let core = &mut self.core;
        // Never before the last frame: the events' times do not go back.
        let now_s = now_s.max(core.summary.seconds);
        let changes = core.apply_commands(now_s);
        core.emit_changes(now_s, changes);
        core.status(now_s, None);
        if core.quit || (self.stop)() {
            return Idle::Stop;
        }
        if source::wants_open(core.policy.state(), core.policy.snoozed_until_s(), now_s) {
            Idle::Open
        } else {
            Idle::Closed
        }
    }

    fn source_event(&mut self, now_s: f64, event: SourceEvent) {
        let body = match event {
            SourceEvent::Released => EventBody::CameraReleased,
            SourceEvent::Reopened => EventBody::CameraReopened,
            SourceEvent::Unavailable { error, retry_in_s } => EventBody::CameraUnavailable { error, retry_in_s },
        };
        self.core.emit(now_s, body);
    }
}

/// Watch what `opener` opens until it ends, `stop` says so or a [`Command::Quit`] comes,
/// handing each event to `emit`. `commands` is asked at each analysed frame (and a few times a
/// second while the camera is closed) for what the user asked since. A camera is closed while
/// paused or snoozed and reopened after; `clock` times that (the real one outside tests).
#[allow(clippy::too_many_arguments)]
pub fn watch(
    opener: &mut dyn Opener,
    label: &str,
    settings: &WatchSettings,
    calibration: Calibration,
    models: &mut PoseModels,
    clock: &dyn Clock,
    stop: &dyn Fn() -> bool,
    mut commands: impl FnMut(f64) -> Vec<Command>,
    mut emit: impl FnMut(&EventRecord),
) -> Result<WatchSummary, InputError> {
    let policy = AlertPolicy::new(settings.policy);
    let last_state = policy.state();
    let (baseline, record_s) = match calibration {
        Calibration::None => (None, None),
        Calibration::Given(b) => (Some(*b), None),
        Calibration::Record { seconds } => (None, Some(seconds)),
    };
    let mut core = Core {
        settings,
        judge: Judge::new(settings.judge, settings.thresholds, baseline),
        policy,
        recorder: None,
        summary: WatchSummary::default(),
        last_status_s: None,
        last_state,
        last_view: View::None,
        fps: Rc::new(Cell::new(settings.fps)),
        rates: Rates::new(settings.fps, settings.judge.min_steady_fps()),
        steadiness: Steadiness::default(),
        quit: false,
        emit: &mut emit,
        commands: &mut commands,
    };
    if let Some(seconds) = record_s {
        core.start_recording(0.0, seconds);
    }
    let is_camera = opener.is_camera();
    let mut passes = Loop {
        core,
        label,
        models,
        stop,
        is_camera,
    };
    source::run(opener, clock, &mut passes)?;
    Ok(passes.core.summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frames::FrameError;
    use crate::monitor::policy::PolicySettings;
    use std::sync::{Arc, Mutex};

    #[test]
    fn an_events_line_starts_with_its_schema_then_the_event() {
        let line = serde_json::to_string(&EventLine::of(&EventRecord {
            t_s: 12.5,
            body: EventBody::Snoozed { until_s: 912.5 },
        }))
        .unwrap();
        assert_eq!(
            line,
            r#"{"schema":"posture-watch-events/1","t_s":12.5,"event":"snoozed","until_s":912.5}"#
        );
    }
    use std::time::Duration;

    /// A clock that moves only when slept on.
    #[derive(Default)]
    struct FakeClock(Arc<Mutex<Duration>>);

    impl Clock for FakeClock {
        fn now(&self) -> Duration {
            *self.0.lock().unwrap()
        }
        fn sleep(&self, d: Duration) {
            *self.0.lock().unwrap() += d;
        }
    }

    /// A camera of grey frames every 250 ms, timed by the clock (which it moves on as it
    /// delivers them); counts its opens and closes.
    struct FakeCamera {
        opens: Rc<Cell<u32>>,
        closes: Rc<Cell<u32>>,
        clock: Arc<Mutex<Duration>>,
    }

    struct FakeStream {
        next_ms: f64,
        closes: Rc<Cell<u32>>,
        clock: Arc<Mutex<Duration>>,
        opened_at: Duration,
    }

    impl FrameSource for FakeStream {
        fn label(&self) -> &str {
            "camera 9 (fake)"
        }
        fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
            let timestamp_ms = self.next_ms;
            self.next_ms += 250.0;
            *self.clock.lock().unwrap() = self.opened_at + Duration::from_secs_f64(timestamp_ms / 1000.0);
            Some(Ok(Frame {
                image: image::RgbImage::from_pixel(96, 96, image::Rgb([90, 90, 90])),
                index: 0,
                timestamp_ms,
            }))
        }
    }

    impl Drop for FakeStream {
        fn drop(&mut self) {
            self.closes.set(self.closes.get() + 1);
        }
    }

    impl Opener for FakeCamera {
        fn open(&mut self) -> Result<Box<dyn FrameSource>, FrameError> {
            self.opens.set(self.opens.get() + 1);
            Ok(Box::new(FakeStream {
                next_ms: 0.0,
                closes: Rc::clone(&self.closes),
                clock: Arc::clone(&self.clock),
                opened_at: *self.clock.lock().unwrap(),
            }))
        }
        fn is_camera(&self) -> bool {
            true
        }
    }

    #[test]
    fn a_paused_watch_closes_the_camera_and_reopens_it_on_resume() {
        let settings = WatchSettings {
            pipeline: PipelineSettings::default(),
            measure: MeasureSettings::default(),
            thresholds: Thresholds::default(),
            judge: JudgeSettings::default(),
            policy: PolicySettings::default(),
            fps: 4.0,
            recalibrate_s: 10.0,
        };
        let mut models = settings.pipeline.load_models().expect("the models load");
        let (opens, closes) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
        let clock = FakeClock::default();
        let mut camera = FakeCamera {
            opens: Rc::clone(&opens),
            closes: Rc::clone(&closes),
            clock: Arc::clone(&clock.0),
        };
        let done = Cell::new(false);
        let mut events = Vec::new();
        // Pause at 1 s of the camera's time; resume at 5 s of the clock's (while it is closed).
        let (mut paused, mut resumed) = (false, false);
        let commands = |t_s: f64| {
            if !paused && t_s >= 1.0 {
                paused = true;
                return vec![Command::Pause];
            }
            if paused && !resumed && t_s >= 5.0 {
                resumed = true;
                return vec![Command::Resume];
            }
            Vec::new()
        };
        let summary = watch(
            &mut camera,
            "camera:9",
            &settings,
            Calibration::None,
            &mut models,
            &clock,
            &|| done.get(),
            commands,
            |e| {
                done.set(done.get() || e.t_s >= 8.0);
                events.push(e.clone());
            },
        )
        .unwrap();
        assert_eq!((opens.get(), closes.get()), (2, 2));
        let moments: Vec<(f64, &EventBody)> = events
            .iter()
            .filter(|e| !matches!(e.body, EventBody::Status { .. }))
            .map(|e| (e.t_s, &e.body))
            .collect();
        assert_eq!(
            moments.iter().map(|m| m.1).collect::<Vec<_>>(),
            [
                &EventBody::Paused,
                &EventBody::CameraReleased,
                &EventBody::Resumed,
                &EventBody::CameraReopened
            ],
            "{moments:?}"
        );
        assert_eq!(moments[0].0, 1.0);
        assert!((5.0..5.3).contains(&moments[2].0), "{moments:?}");
        // While closed, a status each second says paused; the frames after go on from 5 s.
        let closed: Vec<&EventRecord> = events
            .iter()
            .filter(|e| e.t_s > 1.5 && e.t_s < 5.0 && matches!(e.body, EventBody::Status { .. }))
            .collect();
        assert!(closed.len() >= 3, "{events:?}");
        assert!(closed.iter().all(|e| matches!(
            e.body,
            EventBody::Status {
                state: State::Paused,
                level: None,
                ..
            }
        )));
        assert!(summary.seconds >= 8.0, "{summary:?}");
        assert!(events.windows(2).all(|w| w[1].t_s >= w[0].t_s), "{events:?}");
    }

    fn alerting_policy() -> AlertPolicy {
        let mut policy = AlertPolicy::new(PolicySettings::default());
        let mut t = 0.0;
        while policy.state() != State::Alerting {
            policy.observe(t, Some(Level::Forward));
            t += 0.25;
            assert!(t < 60.0, "no alert after a minute of forward head");
        }
        policy
    }

    #[test]
    fn pause_then_resume_says_so_and_ends_an_alert_in_progress() {
        let mut policy = alerting_policy();
        let (changes, ends) = apply_command(&mut policy, 25.0, Command::Pause);
        assert_eq!(
            changes,
            vec![
                Change::AlertEnd {
                    reason: EndReason::Paused
                },
                Change::Paused
            ]
        );
        assert!(!ends);
        assert_eq!(policy.state(), State::Paused);
        // Forward head while paused is not observed.
        assert!(policy.observe(26.0, Some(Level::Forward)).is_empty());
        let (changes, ends) = apply_command(&mut policy, 30.0, Command::Resume);
        assert_eq!(changes, vec![Change::Resumed]);
        assert!(!ends);
        assert_eq!(policy.state(), State::Ok);
    }

    #[test]
    fn snooze_lasts_its_seconds_from_the_time_it_is_applied() {
        let mut policy = AlertPolicy::new(PolicySettings::default());
        let (changes, ends) = apply_command(&mut policy, 10.0, Command::Snooze { seconds: 900.0 });
        assert_eq!(changes, vec![Change::Snoozed { until_s: 910.0 }]);
        assert!(!ends);
        assert_eq!(policy.state(), State::Snoozed);
        policy.observe(909.0, Some(Level::Good));
        assert_eq!(policy.state(), State::Snoozed);
        policy.observe(910.0, Some(Level::Good));
        assert_eq!(policy.state(), State::Ok);
    }

    #[test]
    fn quit_ends_the_watch_and_changes_nothing() {
        let mut policy = alerting_policy();
        let (changes, ends) = apply_command(&mut policy, 30.0, Command::Quit);
        assert!(changes.is_empty());
        assert!(ends);
        assert_eq!(policy.state(), State::Alerting);
    }
}
