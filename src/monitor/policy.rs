//! When to alert: a pure state machine over timed readings, with no I/O (its tests are the
//! specification).
//!
//! `ok` -> `pending` (forward head seen) -> `alerting` (forward head held for the onset delay)
//! -> `ok` (good posture held for the exit delay). What the desk tools' users complain of
//! shapes it (../shared/reference/peers.md section 2):
//! - a glance at the keyboard is not slouching: an alert needs forward head sustained for the
//!   onset delay (20 s by default), and a good reading in between starts the count again;
//! - hysteresis: an alert starts on `forward` and ends only on `good` held for the exit delay,
//!   so a borderline posture neither starts nor ends one;
//! - quiet time: after an alert ends, the next cannot start before `min_quiet_s`;
//! - frames with no reading (nobody there, turned away, two people, standing up) neither start
//!   nor end an alert and do not count towards the onset; after `away_after_s` of them the state
//!   is `away` (an alert in progress ends);
//! - snooze (no alert until a time) and pause (nothing observed) come from the user.

/// How a reading judges the posture at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Good,
    /// Neither good nor forward: starts nothing, ends nothing.
    Borderline,
    Forward,
}

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PolicySettings {
    /// Forward head held this long (seconds of readings) before an alert.
    pub onset_s: f64,
    /// Good posture held this long before an alert ends.
    pub exit_s: f64,
    /// At least this long between the end of an alert and the start of the next.
    pub min_quiet_s: f64,
    /// This long without a reading is `away`.
    pub away_after_s: f64,
    /// Readings further apart than this do not join into one stretch of forward head.
    pub max_gap_s: f64,
}

impl Default for PolicySettings {
    fn default() -> Self {
        PolicySettings {
            onset_s: 20.0,
            exit_s: 5.0,
            min_quiet_s: 60.0,
            away_after_s: 30.0,
            max_gap_s: 2.0,
        }
    }
}

/// Where the policy stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Ok,
    Pending,
    Alerting,
    Away,
    Paused,
    Snoozed,
}

/// Why an alert ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Good posture held for the exit delay.
    Corrected,
    Away,
    Snoozed,
    Paused,
}

/// What the policy says happened.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Change {
    AlertStart,
    AlertEnd { reason: EndReason },
    Away,
    Back,
    Snoozed { until_s: f64 },
    Paused,
    Resumed,
}

/// "Until tomorrow" ends at this local time of day: the start of a working morning. Midnight
/// would end the snooze of someone working late a few minutes after they asked for it.
pub const TOMORROW_STARTS_AT_S: f64 = 6.0 * 3600.0;

/// How long "snooze until tomorrow" lasts when asked at `local_time_of_day_s` (seconds since
/// local midnight): until the next [`TOMORROW_STARTS_AT_S`] strictly after now. (A change of
/// daylight saving time overnight moves the end by its hour.)
pub fn until_tomorrow_s(local_time_of_day_s: f64) -> f64 {
    const DAY_S: f64 = 86_400.0;
    let now = local_time_of_day_s.clamp(0.0, DAY_S);
    let until = TOMORROW_STARTS_AT_S - now;
    if until > 0.0 {
        until
    } else {
        until + DAY_S
    }
}

#[derive(Debug, Clone)]
pub struct AlertPolicy {
    settings: PolicySettings,
    state: State,
    /// The time and level of the last reading.
    last_reading_s: Option<f64>,
    last_level: Option<Level>,
    /// Forward head held so far (pending) or good posture held so far (alerting).
    held_s: f64,
    last_alert_end_s: Option<f64>,
    snoozed_until_s: Option<f64>,
    /// When the current run of observations without a reading began.
    unseen_since_s: Option<f64>,
}

impl AlertPolicy {
    pub fn new(settings: PolicySettings) -> AlertPolicy {
        AlertPolicy {
            settings,
            state: State::Ok,
            last_reading_s: None,
            last_level: None,
            held_s: 0.0,
            last_alert_end_s: None,
            snoozed_until_s: None,
            unseen_since_s: None,
        }
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// Until when a snooze holds (`None` unless snoozed).
    pub fn snoozed_until_s(&self) -> Option<f64> {
        self.snoozed_until_s.filter(|_| self.state == State::Snoozed)
    }

    /// An observation at `t_s` (seconds, non-decreasing): a level, or `None` when the frame
    /// gave no reading.
    pub fn observe(&mut self, t_s: f64, level: Option<Level>) -> Vec<Change> {
        let mut changes = Vec::new();
        if self.state == State::Paused {
            return changes;
        }
        if self.state == State::Snoozed {
            if self.snoozed_until_s.is_some_and(|until| t_s < until) {
                return changes;
            }
            self.snoozed_until_s = None;
            self.back_to_ok();
        }
        let Some(level) = level else {
            let since = *self.unseen_since_s.get_or_insert(t_s);
            if self.state != State::Away && t_s - since >= self.settings.away_after_s {
                if self.state == State::Alerting {
                    self.end_alert(t_s, EndReason::Away, &mut changes);
                }
                self.state = State::Away;
                self.last_reading_s = None;
                self.last_level = None;
                self.held_s = 0.0;
                changes.push(Change::Away);
            }
            return changes;
        };
        self.unseen_since_s = None;
        if self.state == State::Away {
            self.state = State::Ok;
            changes.push(Change::Back);
        }
        // Time since the previous reading counts towards what is held only when both readings
        // say the same and are close enough to be one stretch.
        let dt = self.last_reading_s.map_or(0.0, |last| (t_s - last).max(0.0));
        let joined = self.last_level == Some(level) && dt <= self.settings.max_gap_s;
        self.last_reading_s = Some(t_s);
        self.last_level = Some(level);
        match (self.state, level) {
            (State::Ok, Level::Forward) => {
                self.state = State::Pending;
                self.held_s = 0.0;
            }
            (State::Ok, _) => {}
            (State::Pending, Level::Good) => self.back_to_ok(),
            (State::Pending, Level::Borderline) => {}
            (State::Pending, Level::Forward) => {
                self.held_s = if joined { self.held_s + dt } else { 0.0 };
                let quiet = self
                    .last_alert_end_s
                    .is_none_or(|end| t_s - end >= self.settings.min_quiet_s);
                if self.held_s >= self.settings.onset_s && quiet {
                    self.state = State::Alerting;
                    self.held_s = 0.0;
                    changes.push(Change::AlertStart);
                }
            }
            (State::Alerting, Level::Good) => {
                self.held_s = if joined { self.held_s + dt } else { 0.0 };
                if self.held_s >= self.settings.exit_s {
                    self.end_alert(t_s, EndReason::Corrected, &mut changes);
                }
            }
            (State::Alerting, _) => self.held_s = 0.0,
            (State::Away | State::Paused | State::Snoozed, _) => {}
        }
        changes
    }

    /// No alert until `until_s`; an alert in progress ends.
    pub fn snooze(&mut self, t_s: f64, until_s: f64) -> Vec<Change> {
        let mut changes = Vec::new();
        if self.state == State::Alerting {
            self.end_alert(t_s, EndReason::Snoozed, &mut changes);
        }
        self.state = State::Snoozed;
        self.snoozed_until_s = Some(until_s);
        changes.push(Change::Snoozed { until_s });
        changes
    }

    /// Stop observing until [`AlertPolicy::resume`]; an alert in progress ends.
    pub fn pause(&mut self, t_s: f64) -> Vec<Change> {
        let mut changes = Vec::new();
        if self.state == State::Paused {
            return changes;
        }
        if self.state == State::Alerting {
            self.end_alert(t_s, EndReason::Paused, &mut changes);
        }
        self.state = State::Paused;
        changes.push(Change::Paused);
        changes
    }

    pub fn resume(&mut self) -> Vec<Change> {
        if self.state != State::Paused {
            return Vec::new();
        }
        self.back_to_ok();
        self.unseen_since_s = None;
        vec![Change::Resumed]
    }

    fn back_to_ok(&mut self) {
        self.state = State::Ok;
        self.held_s = 0.0;
        self.last_reading_s = None;
        self.last_level = None;
    }

    fn end_alert(&mut self, t_s: f64, reason: EndReason, changes: &mut Vec<Change>) {
        changes.push(Change::AlertEnd { reason });
        self.last_alert_end_s = Some(t_s);
        self.back_to_ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feed `level` every `step_s` from `from_s` to before `to_s`; the changes with their times.
    fn feed(p: &mut AlertPolicy, from_s: f64, to_s: f64, step_s: f64, level: Option<Level>) -> Vec<(f64, Change)> {
        let mut out = Vec::new();
        let mut t = from_s;
        while t < to_s - 1e-9 {
            out.extend(p.observe(t, level).into_iter().map(|c| (t, c)));
            t += step_s;
        }
        out
    }

    fn policy() -> AlertPolicy {
        AlertPolicy::new(PolicySettings::default())
    }

    #[test]
    fn forward_head_held_for_the_onset_delay_alerts_once_and_good_posture_ends_it() {
        let mut p = policy();
        assert!(feed(&mut p, 0.0, 30.0, 0.25, Some(Level::Good)).is_empty());
        let start = feed(&mut p, 30.0, 70.0, 0.25, Some(Level::Forward));
        assert_eq!(start, vec![(50.0, Change::AlertStart)]);
        assert_eq!(p.state(), State::Alerting);
        let end = feed(&mut p, 70.0, 90.0, 0.25, Some(Level::Good));
        assert_eq!(
            end,
            vec![(
                75.0,
                Change::AlertEnd {
                    reason: EndReason::Corrected
                }
            )]
        );
        assert_eq!(p.state(), State::Ok);
    }

    #[test]
    fn glances_shorter_than_the_onset_never_alert() {
        let mut p = policy();
        let mut changes = Vec::new();
        for minute in 0..10 {
            let t = minute as f64 * 60.0;
            changes.extend(feed(&mut p, t, t + 15.0, 0.25, Some(Level::Forward)));
            changes.extend(feed(&mut p, t + 15.0, t + 60.0, 0.25, Some(Level::Good)));
        }
        assert!(changes.is_empty(), "{changes:?}");
    }

    #[test]
    fn borderline_neither_starts_nor_ends_an_alert() {
        let mut p = policy();
        assert!(feed(&mut p, 0.0, 120.0, 0.25, Some(Level::Borderline)).is_empty());
        assert_eq!(p.state(), State::Ok);
        feed(&mut p, 120.0, 141.0, 0.25, Some(Level::Forward));
        assert_eq!(p.state(), State::Alerting);
        assert!(feed(&mut p, 141.0, 300.0, 0.25, Some(Level::Borderline)).is_empty());
        assert_eq!(p.state(), State::Alerting);
    }

    #[test]
    fn frames_without_a_reading_neither_count_nor_end_and_then_mean_away() {
        let mut p = policy();
        feed(&mut p, 0.0, 10.0, 0.25, Some(Level::Forward));
        // Turned away for 25 s: not counted towards the onset, not a reset either.
        assert!(feed(&mut p, 10.0, 35.0, 0.25, None).is_empty());
        assert_eq!(p.state(), State::Pending);
        // The gap is not held forward head: the count starts again after it.
        let start = feed(&mut p, 35.0, 60.0, 0.25, Some(Level::Forward));
        assert_eq!(start, vec![(55.0, Change::AlertStart)]);
        // An alert in progress survives a short absence ...
        assert!(feed(&mut p, 60.0, 80.0, 0.25, None).is_empty());
        assert_eq!(p.state(), State::Alerting);
        // ... and ends when the person is away.
        let away = feed(&mut p, 80.0, 100.0, 0.25, None);
        assert_eq!(
            away,
            vec![
                (
                    90.0,
                    Change::AlertEnd {
                        reason: EndReason::Away
                    }
                ),
                (90.0, Change::Away)
            ]
        );
        let back = feed(&mut p, 100.0, 101.0, 0.25, Some(Level::Good));
        assert_eq!(back, vec![(100.0, Change::Back)]);
    }

    #[test]
    fn a_new_alert_waits_for_the_quiet_time() {
        let mut p = policy();
        feed(&mut p, 0.0, 21.0, 0.25, Some(Level::Forward));
        feed(&mut p, 21.0, 27.0, 0.25, Some(Level::Good));
        assert_eq!(p.state(), State::Ok);
        // Forward again at once: held 40 s, but the alert comes only 60 s after the last ended.
        let again = feed(&mut p, 27.0, 100.0, 0.25, Some(Level::Forward));
        assert_eq!(again.len(), 1);
        assert!(again[0].0 >= 26.0 + 60.0, "{again:?}");
    }

    #[test]
    fn snooze_ends_an_alert_and_holds_the_next_until_it_runs_out() {
        let mut p = policy();
        feed(&mut p, 0.0, 21.0, 0.25, Some(Level::Forward));
        let snoozed = p.snooze(21.0, 21.0 + 900.0);
        assert_eq!(
            snoozed,
            vec![
                Change::AlertEnd {
                    reason: EndReason::Snoozed
                },
                Change::Snoozed { until_s: 921.0 }
            ]
        );
        assert!(feed(&mut p, 21.0, 921.0, 1.0, Some(Level::Forward)).is_empty());
        let after = feed(&mut p, 921.0, 1000.0, 0.25, Some(Level::Forward));
        assert_eq!(after, vec![(941.0, Change::AlertStart)]);
    }

    #[test]
    fn paused_observes_nothing_until_resumed() {
        let mut p = policy();
        assert_eq!(p.pause(0.0), vec![Change::Paused]);
        assert!(feed(&mut p, 0.0, 100.0, 0.25, Some(Level::Forward)).is_empty());
        assert!(feed(&mut p, 100.0, 200.0, 0.25, None).is_empty());
        assert_eq!(p.resume(), vec![Change::Resumed]);
        let start = feed(&mut p, 200.0, 230.0, 0.25, Some(Level::Forward));
        assert_eq!(start, vec![(220.0, Change::AlertStart)]);
    }

    #[test]
    fn until_tomorrow_runs_to_the_next_six_in_the_morning() {
        let h = 3600.0;
        assert_eq!(until_tomorrow_s(23.5 * h), 6.5 * h);
        assert_eq!(until_tomorrow_s(14.0 * h), 16.0 * h);
        assert_eq!(until_tomorrow_s(2.0 * h), 4.0 * h);
        assert_eq!(until_tomorrow_s(6.0 * h - 60.0), 60.0);
        // At six exactly, "tomorrow" is the next day's six.
        assert_eq!(until_tomorrow_s(6.0 * h), 24.0 * h);
        assert_eq!(until_tomorrow_s(0.0), 6.0 * h);
    }

    #[test]
    fn a_snooze_until_tomorrow_holds_alerts_until_six_and_says_until_when() {
        // A fake clock: the watch started at 21:00 local time; the user snoozes at 22:00.
        let started_at_local_s = 21.0 * 3600.0;
        let mut p = policy();
        feed(&mut p, 0.0, 3600.0, 1.0, Some(Level::Good));
        let t = 3600.0;
        let until = t + until_tomorrow_s(started_at_local_s + t);
        assert_eq!(until, 9.0 * 3600.0, "22:00 to 06:00 is 8 h");
        assert_eq!(p.snooze(t, until), vec![Change::Snoozed { until_s: until }]);
        assert_eq!(p.snoozed_until_s(), Some(until));
        assert!(feed(&mut p, t, until, 10.0, Some(Level::Forward)).is_empty());
        assert_eq!(p.state(), State::Snoozed);
        let after = feed(&mut p, until, until + 30.0, 0.25, Some(Level::Forward));
        assert_eq!(after, vec![(until + 20.0, Change::AlertStart)]);
        assert_eq!(p.snoozed_until_s(), None);
    }

    #[test]
    fn sparse_readings_do_not_join_into_a_sustained_stretch() {
        let mut p = policy();
        // One forward reading every 5 s for 2 minutes: never 20 s of held forward head.
        assert!(feed(&mut p, 0.0, 120.0, 5.0, Some(Level::Forward)).is_empty());
    }
}
