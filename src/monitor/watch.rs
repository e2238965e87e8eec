//! The live loop: frames in, events out.

use super::judge::{Judge, JudgeSettings, Reading};
use super::policy::{AlertPolicy, Change, EndReason, Level, PolicySettings, State};
use super::sampling::{rate_fps, Sampled};
use crate::assess::baseline::Baseline;
use crate::assess::{summarize, ForwardHead, Thresholds, TimedMeasure, ViewChoice};
use crate::frames::FrameSource;
use crate::measures::{measure_frame, MeasureSettings, Reason, View};
use crate::pipeline::{for_each_frame_of, InputError, PersonMaskWhen, PipelineSettings};
use crate::pose::PoseModels;
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
}

/// How the baseline is had: given, or recorded from the first seconds of usable frames.
#[derive(Debug, Clone)]
pub enum Calibration {
    None,
    Given(Baseline),
    Record { seconds: f64 },
}

/// One event: when (seconds since the start; media time for a file) and what.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct EventRecord {
    pub t_s: f64,
    #[serde(flatten)]
    pub body: EventBody,
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
    Calibrated {
        view: View,
        frames: usize,
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

/// Watch `source` until it ends, `stop` says so or a [`Command::Quit`] comes, handing each
/// event to `emit`. `commands` is asked at each analysed frame for what the user asked since.
#[allow(clippy::too_many_arguments)]
pub fn watch(
    source: Box<dyn FrameSource>,
    label: &str,
    settings: &WatchSettings,
    calibration: Calibration,
    models: &mut PoseModels,
    stop: &dyn Fn() -> bool,
    mut commands: impl FnMut(f64) -> Vec<Command>,
    mut emit: impl FnMut(&EventRecord),
) -> Result<WatchSummary, InputError> {
    let quit = Cell::new(false);
    let stop = || quit.get() || stop();
    let fps = Rc::new(Cell::new(settings.fps));
    let sampled = Sampled::new(source, fps.clone());
    let (baseline, mut recorder) = match calibration {
        Calibration::None => (None, None),
        Calibration::Given(b) => (Some(b), None),
        Calibration::Record { seconds } => (
            None,
            Some(Recorder {
                seconds,
                frames: Vec::new(),
                first_s: None,
            }),
        ),
    };
    let mut judge = Judge::new(settings.judge, settings.thresholds, baseline);
    let mut policy = AlertPolicy::new(settings.policy);
    let mut summary = WatchSummary::default();
    let mut last_status_s: Option<f64> = None;
    let mut last_state = policy.state();
    // The person mask only for the frames whose side reading needs it.
    let pipeline = PipelineSettings {
        person_mask: PersonMaskWhen::SideReadings(settings.measure),
        ..settings.pipeline.clone()
    };
    for_each_frame_of(Box::new(sampled), label, &pipeline, models, &stop, |frame, pose, _| {
        // Milliseconds are enough, and keep the events free of float noise.
        let t_s = (frame.timestamp_ms).round() / 1000.0;
        let size = (frame.image.width(), frame.image.height());
        let measure = measure_frame(pose.pose.as_ref(), size, &settings.measure);
        summary.frames_analysed += 1;
        summary.seconds = t_s;
        if let Some(r) = recorder.as_mut() {
            if let Some(baseline) = r.add(t_s, measure, &settings.thresholds) {
                emit(&EventRecord {
                    t_s,
                    body: EventBody::Calibrated {
                        view: baseline.view,
                        frames: baseline.frames_used,
                    },
                });
                judge.set_baseline(baseline);
                recorder = None;
            }
        }
        let mut changes = Vec::new();
        for command in commands(t_s) {
            let (applied, ends) = apply_command(&mut policy, t_s, command);
            changes.extend(applied);
            quit.set(quit.get() || ends);
        }
        let reading: Reading = judge.judge(t_s, &measure);
        // A person seen without a baseline to judge them by is not "can't see you" time:
        // the policy hears nothing of it (no alert, and no "away" either).
        if reading.reason != Some(Reason::NoBaseline) {
            changes.extend(policy.observe(t_s, reading.level));
        }
        for change in changes {
            summary.alerts += usize::from(change == Change::AlertStart);
            emit(&EventRecord {
                t_s,
                body: EventBody::of(change),
            });
        }
        let state = policy.state();
        if state != last_state || last_status_s.is_none_or(|last| t_s - last >= STATUS_EVERY_S) {
            emit(&EventRecord {
                t_s,
                body: EventBody::Status {
                    view: reading.view,
                    cva_deg: reading.cva_deg.map(|c| (c * 10.0).round() / 10.0),
                    forward_head: reading.forward_head,
                    looking_down: reading.looking_down,
                    reason: reading.reason,
                    level: reading.level,
                    state,
                },
            });
            last_status_s = Some(t_s);
            last_state = state;
        }
        fps.set(rate_fps(state, settings.fps));
        Ok::<(), InputError>(())
    })?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::policy::PolicySettings;

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
