//! Events to minute rows: a pure [`Aggregator`], tested without SQLite.

use crate::monitor::policy::{EndReason, Level, State};
use crate::monitor::watch::{AlertKind, EventBody};

/// A status holds its class until the next one, but no longer than this: statuses come at
/// least once a second (every 2 s at the lowest rate), so a longer gap is time not watched.
const MAX_HOLD_S: f64 = 3.0;

const MINUTE_S: f64 = 60.0;

/// How a posture level is counted in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Good,
    Borderline,
    Forward,
    /// Watching, but no reading (nobody there, turned away, no baseline yet).
    Unseen,
}

/// One minute of a session.
#[derive(Debug, Clone, PartialEq)]
pub struct MinuteRow {
    pub minute_start_unix_s: f64,
    /// Time with a reading: good + borderline + forward.
    pub measured_s: f64,
    pub good_s: f64,
    pub borderline_s: f64,
    pub forward_s: f64,
    /// Time watched without a reading.
    pub unseen_s: f64,
    /// The median of the minute's CVA readings (side camera).
    pub median_cva_deg: Option<f32>,
    /// Alerts that started in this minute.
    pub alerts: u32,
}

/// What the aggregator asks the log to write.
#[derive(Debug, Clone, PartialEq)]
pub enum LogOp {
    /// A minute closed.
    Minute(MinuteRow),
    AlertStart {
        at_unix_s: f64,
        kind: AlertKind,
    },
    /// The open alert ended: by the policy, or (`None`) because the watch ended.
    AlertEnd {
        at_unix_s: f64,
        reason: Option<EndReason>,
    },
}

/// A minute being filled.
#[derive(Debug, Clone)]
struct Open {
    index: i64,
    good_s: f64,
    borderline_s: f64,
    forward_s: f64,
    unseen_s: f64,
    cva_deg: Vec<f32>,
    alerts: u32,
}

impl Open {
    fn new(index: i64) -> Open {
        Open {
            index,
            good_s: 0.0,
            borderline_s: 0.0,
            forward_s: 0.0,
            unseen_s: 0.0,
            cva_deg: Vec::new(),
            alerts: 0,
        }
    }

    fn is_empty(&self) -> bool {
        self.good_s + self.borderline_s + self.forward_s + self.unseen_s == 0.0 && self.alerts == 0
    }

    fn add(&mut self, class: Class, seconds: f64) {
        match class {
            Class::Good => self.good_s += seconds,
            Class::Borderline => self.borderline_s += seconds,
            Class::Forward => self.forward_s += seconds,
            Class::Unseen => self.unseen_s += seconds,
        }
    }

    fn row(&self, session_start_unix_s: f64) -> MinuteRow {
        // Milliseconds are enough, and keep the rows free of float noise.
        let ms = |s: f64| (s * 1000.0).round() / 1000.0;
        MinuteRow {
            minute_start_unix_s: session_start_unix_s + self.index as f64 * MINUTE_S,
            measured_s: ms(self.good_s + self.borderline_s + self.forward_s),
            good_s: ms(self.good_s),
            borderline_s: ms(self.borderline_s),
            forward_s: ms(self.forward_s),
            unseen_s: ms(self.unseen_s),
            median_cva_deg: crate::assess::stats::median(&self.cva_deg).map(|c| (c * 10.0).round() / 10.0),
            alerts: self.alerts,
        }
    }
}

/// The last status, counted up to `counted_to_unix_s`.
#[derive(Debug, Clone, Copy)]
struct Held {
    at_unix_s: f64,
    counted_to_unix_s: f64,
    /// `None`: paused, not counted.
    class: Option<Class>,
}

/// Turns a session's events into minute rows and alert changes. Pure: no clock, no I/O.
///
/// Each status holds its class (the level the alert policy heard, or unseen) until the next
/// status, for at most [`MAX_HOLD_S`]; time while paused is not counted.
#[derive(Debug, Clone)]
pub struct Aggregator {
    start_unix_s: f64,
    open: Open,
    held: Option<Held>,
    last_unix_s: f64,
    alert_open: bool,
}

impl Aggregator {
    pub fn new(start_unix_s: f64) -> Aggregator {
        Aggregator {
            start_unix_s,
            open: Open::new(0),
            held: None,
            last_unix_s: start_unix_s,
            alert_open: false,
        }
    }

    fn minute_of(&self, at_unix_s: f64) -> i64 {
        ((at_unix_s - self.start_unix_s) / MINUTE_S).floor().max(0.0) as i64
    }

    /// An event at `at_unix_s` (a clock that went back counts as no time passed).
    pub fn push(&mut self, at_unix_s: f64, body: &EventBody) -> Vec<LogOp> {
        let at = at_unix_s.max(self.last_unix_s);
        let mut ops = self.advance(at);
        match body {
            EventBody::Status {
                level, cva_deg, state, ..
            } => {
                let class = match (state, level) {
                    // Paused, or snoozed with the camera closed: not watched.
                    (State::Paused, _) | (State::Snoozed, None) => None,
                    (_, Some(Level::Good)) => Some(Class::Good),
                    (_, Some(Level::Borderline)) => Some(Class::Borderline),
                    (_, Some(Level::Forward)) => Some(Class::Forward),
                    (_, None) => Some(Class::Unseen),
                };
                if let (Some(cva), Some(c)) = (cva_deg, class) {
                    if c != Class::Unseen {
                        self.open.cva_deg.push(*cva);
                    }
                }
                self.held = Some(Held {
                    at_unix_s: at,
                    counted_to_unix_s: at,
                    class,
                });
            }
            EventBody::AlertStart { kind } => {
                self.open.alerts += 1;
                self.alert_open = true;
                ops.push(LogOp::AlertStart {
                    at_unix_s: at,
                    kind: *kind,
                });
            }
            EventBody::AlertEnd { reason, .. } => {
                if std::mem::take(&mut self.alert_open) {
                    ops.push(LogOp::AlertEnd {
                        at_unix_s: at,
                        reason: Some(*reason),
                    });
                }
            }
            EventBody::Calibrating { .. }
            | EventBody::Calibrated { .. }
            | EventBody::CameraReleased
            | EventBody::CameraReopened
            | EventBody::CameraUnavailable { .. }
            | EventBody::Away
            | EventBody::Back
            | EventBody::Snoozed { .. }
            | EventBody::Paused
            | EventBody::Resumed => {}
        }
        ops
    }

    /// The watch ended at `at_unix_s`: the last minute, and the end of an alert still open.
    pub fn finish(&mut self, at_unix_s: f64) -> Vec<LogOp> {
        let at = at_unix_s.max(self.last_unix_s);
        let mut ops = self.advance(at);
        self.held = None;
        if std::mem::take(&mut self.alert_open) {
            ops.push(LogOp::AlertEnd {
                at_unix_s: at,
                reason: None,
            });
        }
        if !self.open.is_empty() {
            ops.push(LogOp::Minute(self.open.row(self.start_unix_s)));
        }
        self.open = Open::new(self.open.index + 1);
        ops
    }

    /// The minute being filled, as it stands (for writing it before it closes).
    pub fn open_minute(&self) -> Option<MinuteRow> {
        (!self.open.is_empty()).then(|| self.open.row(self.start_unix_s))
    }

    /// Count the held status up to `at` and close the minutes passed.
    fn advance(&mut self, at: f64) -> Vec<LogOp> {
        let mut ops = Vec::new();
        if let Some(held) = self.held {
            let end = at.min(held.at_unix_s + MAX_HOLD_S);
            let (mut t, class) = (held.counted_to_unix_s, held.class);
            self.held = Some(Held {
                counted_to_unix_s: t.max(end),
                ..held
            });
            while t < end {
                let index = self.minute_of(t);
                let boundary = self.start_unix_s + (index + 1) as f64 * MINUTE_S;
                let seg_end = end.min(boundary);
                self.roll_to(index, &mut ops);
                if let Some(c) = class {
                    self.open.add(c, seg_end - t);
                }
                t = seg_end;
            }
        }
        self.roll_to(self.minute_of(at), &mut ops);
        self.last_unix_s = at;
        ops
    }

    /// Close the open minute if `index` is past it.
    fn roll_to(&mut self, index: i64, ops: &mut Vec<LogOp>) {
        if index > self.open.index {
            if !self.open.is_empty() {
                ops.push(LogOp::Minute(self.open.row(self.start_unix_s)));
            }
            self.open = Open::new(index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: f64 = 1_700_000_000.0;

    fn status(level: Option<Level>, cva_deg: Option<f32>, state: State) -> EventBody {
        EventBody::side_status(level, cva_deg, state)
    }

    /// Feed a status every `step_s` from `from_s` to before `to_s` (session seconds).
    fn feed(a: &mut Aggregator, from_s: f64, to_s: f64, step_s: f64, body: &EventBody) -> Vec<LogOp> {
        let mut ops = Vec::new();
        let mut t = from_s;
        while t < to_s - 1e-9 {
            ops.extend(a.push(START + t, body));
            t += step_s;
        }
        ops
    }

    fn minutes(ops: &[LogOp]) -> Vec<MinuteRow> {
        ops.iter()
            .filter_map(|op| match op {
                LogOp::Minute(row) => Some(row.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn each_status_holds_its_level_until_the_next_and_minutes_close_on_their_boundary() {
        let mut a = Aggregator::new(START);
        let good = status(Some(Level::Good), Some(55.0), State::Ok);
        let forward = status(Some(Level::Forward), Some(40.0), State::Pending);
        let mut ops = feed(&mut a, 0.0, 45.0, 1.0, &good);
        assert!(ops.is_empty(), "no minute closes before its end: {ops:?}");
        ops.extend(feed(&mut a, 45.0, 90.0, 1.0, &forward));
        ops.extend(a.finish(START + 90.0));
        let rows = minutes(&ops);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0].minute_start_unix_s, START);
        assert_eq!(
            (rows[0].good_s, rows[0].forward_s, rows[0].measured_s),
            (45.0, 15.0, 60.0)
        );
        assert_eq!(rows[1].minute_start_unix_s, START + 60.0);
        assert_eq!((rows[1].good_s, rows[1].forward_s), (0.0, 30.0));
        // 45 readings of 55 and 15 of 40: the median is 55.
        assert_eq!(rows[0].median_cva_deg, Some(55.0));
        assert_eq!(rows[1].median_cva_deg, Some(40.0));
    }

    #[test]
    fn a_status_split_by_a_minute_boundary_counts_in_both_minutes() {
        let mut a = Aggregator::new(START);
        let good = status(Some(Level::Good), None, State::Ok);
        let mut ops = a.push(START + 59.5, &good);
        ops.extend(a.push(START + 60.5, &good));
        ops.extend(a.finish(START + 61.0));
        let rows = minutes(&ops);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].good_s, 0.5);
        assert_eq!(rows[1].good_s, 1.0);
    }

    #[test]
    fn no_reading_is_unseen_time_and_not_measured() {
        let mut a = Aggregator::new(START);
        let mut ops = feed(&mut a, 0.0, 20.0, 0.5, &status(None, None, State::Ok));
        ops.extend(feed(
            &mut a,
            20.0,
            30.0,
            0.5,
            &status(Some(Level::Borderline), None, State::Ok),
        ));
        ops.extend(a.finish(START + 30.0));
        let rows = minutes(&ops);
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].unseen_s, rows[0].borderline_s, rows[0].measured_s),
            (20.0, 10.0, 10.0)
        );
        assert_eq!(rows[0].median_cva_deg, None);
    }

    #[test]
    fn a_gap_longer_than_the_hold_and_paused_time_are_not_counted() {
        let mut a = Aggregator::new(START);
        let good = status(Some(Level::Good), None, State::Ok);
        let mut ops = a.push(START, &good);
        // Nothing for 10 s (the camera stalled): only the hold counts.
        ops.extend(a.push(START + 10.0, &good));
        ops.extend(feed(&mut a, 11.0, 41.0, 1.0, &status(None, None, State::Paused)));
        ops.extend(a.finish(START + 41.0));
        let rows = minutes(&ops);
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].good_s, rows[0].unseen_s), (MAX_HOLD_S + 1.0, 0.0));
    }

    #[test]
    fn snoozed_time_with_the_camera_closed_is_not_watched_but_snoozed_readings_are() {
        let mut a = Aggregator::new(START);
        // The camera closed: statuses without a level.
        let mut ops = feed(&mut a, 0.0, 20.0, 1.0, &status(None, None, State::Snoozed));
        // A file keeps being read while snoozed: its readings count.
        ops.extend(feed(
            &mut a,
            20.0,
            30.0,
            1.0,
            &status(Some(Level::Good), None, State::Snoozed),
        ));
        ops.extend(a.finish(START + 30.0));
        let rows = minutes(&ops);
        assert_eq!((rows[0].unseen_s, rows[0].good_s), (0.0, 10.0));
    }

    #[test]
    fn events_between_statuses_do_not_stretch_the_hold() {
        let mut a = Aggregator::new(START);
        let mut ops = a.push(START, &status(Some(Level::Forward), None, State::Alerting));
        ops.extend(a.push(START + 1.0, &EventBody::Away));
        ops.extend(a.push(START + 2.0, &EventBody::Back));
        ops.extend(a.finish(START + 30.0));
        assert_eq!(minutes(&ops)[0].forward_s, MAX_HOLD_S);
    }

    #[test]
    fn alerts_are_counted_in_the_minute_they_start_and_ended_once() {
        let mut a = Aggregator::new(START);
        let forward = status(Some(Level::Forward), None, State::Alerting);
        let mut ops = feed(&mut a, 0.0, 70.0, 1.0, &forward);
        ops.extend(a.push(
            START + 70.0,
            &EventBody::AlertStart {
                kind: AlertKind::ForwardHead,
            },
        ));
        let end = EventBody::AlertEnd {
            kind: AlertKind::ForwardHead,
            reason: EndReason::Corrected,
        };
        ops.extend(a.push(START + 90.0, &end));
        // A second end without a start changes nothing.
        ops.extend(a.push(START + 91.0, &end));
        ops.extend(a.finish(START + 100.0));
        let alerts: Vec<&LogOp> = ops.iter().filter(|op| !matches!(op, LogOp::Minute(_))).collect();
        assert_eq!(
            alerts,
            vec![
                &LogOp::AlertStart {
                    at_unix_s: START + 70.0,
                    kind: AlertKind::ForwardHead
                },
                &LogOp::AlertEnd {
                    at_unix_s: START + 90.0,
                    reason: Some(EndReason::Corrected)
                }
            ]
        );
        let rows = minutes(&ops);
        assert_eq!(rows.iter().map(|r| r.alerts).collect::<Vec<_>>(), vec![0, 1]);
    }

    #[test]
    fn an_alert_open_when_the_watch_ends_is_ended_by_it() {
        let mut a = Aggregator::new(START);
        a.push(
            START + 5.0,
            &EventBody::AlertStart {
                kind: AlertKind::ForwardHead,
            },
        );
        let ops = a.finish(START + 8.0);
        assert!(ops.contains(&LogOp::AlertEnd {
            at_unix_s: START + 8.0,
            reason: None
        }));
    }

    #[test]
    fn a_clock_that_goes_back_counts_no_time() {
        let mut a = Aggregator::new(START);
        let good = status(Some(Level::Good), None, State::Ok);
        let mut ops = a.push(START + 10.0, &good);
        ops.extend(a.push(START + 5.0, &good));
        ops.extend(a.push(START + 11.0, &good));
        ops.extend(a.finish(START + 11.0));
        assert_eq!(minutes(&ops)[0].good_s, 1.0);
    }

    #[test]
    fn the_open_minute_is_there_to_write_before_it_closes() {
        let mut a = Aggregator::new(START);
        assert_eq!(a.open_minute(), None);
        feed(&mut a, 0.0, 10.0, 1.0, &status(Some(Level::Good), None, State::Ok));
        let open = a.open_minute().unwrap();
        assert_eq!((open.minute_start_unix_s, open.good_s), (START, 9.0));
    }
}
