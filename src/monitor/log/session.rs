//! Writing one watch: its session row, its minutes as they close (and the open one every
//! [`COMMIT_EVERY`]), its alerts.

use super::aggregate::{Aggregator, LogOp, MinuteRow};
use super::schema::{open_database, sqlite};
use super::LogError;
use crate::monitor::watch::EventRecord;
use rusqlite::{params, Connection};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// The open minute is written and committed at least this often (wall clock).
pub const COMMIT_EVERY: Duration = Duration::from_secs(2);

/// How a session's events are put on the calendar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SessionClock {
    /// Each event at the wall-clock time it is logged (a camera, or a file played as one).
    Wall,
    /// The session's start plus the event's `t_s` (a file read with `--fast`).
    Media,
}

pub(super) fn now_unix_s() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// An enum's name as its events spell it (`forward_head`, `corrected`).
fn snake_name(value: &impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// One watch's log, written as its events come.
pub struct SessionLog {
    conn: Connection,
    path: PathBuf,
    session_id: i64,
    start_unix_s: f64,
    clock: SessionClock,
    aggregator: Aggregator,
    /// A transaction is open since this moment.
    pending_since: Option<Instant>,
}

impl SessionLog {
    /// Open the log at `path` and record a session from `source` starting now.
    pub fn start(path: &Path, source: &str, clock: SessionClock) -> Result<SessionLog, LogError> {
        let conn = open_database(path)?;
        let start_unix_s = now_unix_s();
        conn.execute(
            "INSERT INTO sessions(started_at_unix_s, source) VALUES (?1, ?2)",
            params![start_unix_s, source],
        )
        .map_err(sqlite(path))?;
        let session_id = conn.last_insert_rowid();
        Ok(SessionLog {
            conn,
            path: path.to_path_buf(),
            session_id,
            start_unix_s,
            clock,
            aggregator: Aggregator::new(start_unix_s),
            pending_since: None,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn at_unix_s(&self, t_s: f64) -> f64 {
        match self.clock {
            SessionClock::Wall => now_unix_s(),
            SessionClock::Media => self.start_unix_s + t_s,
        }
    }

    /// Log one event; the open minute is written and committed every [`COMMIT_EVERY`].
    pub fn record(&mut self, event: &EventRecord) -> Result<(), LogError> {
        let ops = self.aggregator.push(self.at_unix_s(event.t_s), &event.body);
        self.apply(&ops)?;
        if self.pending_since.is_some_and(|since| since.elapsed() >= COMMIT_EVERY) {
            if let Some(row) = self.aggregator.open_minute() {
                self.write_minute(&row)?;
            }
            self.commit()?;
        }
        Ok(())
    }

    /// The watch ended at `t_s`: the last minute, an open alert's end, the session's end.
    pub fn finish(mut self, t_s: f64) -> Result<(), LogError> {
        let at = self.at_unix_s(t_s);
        let ops = self.aggregator.finish(at);
        self.apply(&ops)?;
        self.begin()?;
        self.conn
            .execute(
                "UPDATE sessions SET ended_at_unix_s = ?1 WHERE id = ?2",
                params![at.max(self.start_unix_s), self.session_id],
            )
            .map_err(sqlite(&self.path))?;
        self.commit()
    }

    fn begin(&mut self) -> Result<(), LogError> {
        if self.pending_since.is_none() {
            self.conn.execute_batch("BEGIN").map_err(sqlite(&self.path))?;
            self.pending_since = Some(Instant::now());
        }
        Ok(())
    }

    fn commit(&mut self) -> Result<(), LogError> {
        if self.pending_since.take().is_some() {
            self.conn.execute_batch("COMMIT").map_err(sqlite(&self.path))?;
        }
        Ok(())
    }

    fn apply(&mut self, ops: &[LogOp]) -> Result<(), LogError> {
        // Every event opens the transaction, so the timer runs from the first one not yet
        // committed, even when it changed nothing yet.
        self.begin()?;
        for op in ops {
            match op {
                LogOp::Minute(row) => self.write_minute(row)?,
                LogOp::AlertStart { at_unix_s, kind } => {
                    self.conn
                        .execute(
                            "INSERT INTO alerts(session_id, started_at_unix_s, kind) VALUES (?1, ?2, ?3)",
                            params![self.session_id, at_unix_s, snake_name(kind)],
                        )
                        .map_err(sqlite(&self.path))?;
                }
                LogOp::AlertEnd { at_unix_s, reason } => {
                    let reason = reason.as_ref().map_or_else(|| "watch_ended".to_string(), snake_name);
                    self.conn
                        .execute(
                            "UPDATE alerts SET ended_at_unix_s = ?1, end_reason = ?2
                             WHERE session_id = ?3 AND ended_at_unix_s IS NULL",
                            params![at_unix_s, reason, self.session_id],
                        )
                        .map_err(sqlite(&self.path))?;
                }
            }
        }
        Ok(())
    }

    fn write_minute(&self, row: &MinuteRow) -> Result<(), LogError> {
        self.conn
            .execute(
                "INSERT INTO minutes(session_id, minute_start_unix_s, measured_s, good_s, borderline_s,
                     forward_s, unseen_s, median_cva_deg, alerts)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT(session_id, minute_start_unix_s) DO UPDATE SET
                     measured_s = excluded.measured_s, good_s = excluded.good_s,
                     borderline_s = excluded.borderline_s, forward_s = excluded.forward_s,
                     unseen_s = excluded.unseen_s, median_cva_deg = excluded.median_cva_deg,
                     alerts = excluded.alerts",
                params![
                    self.session_id,
                    row.minute_start_unix_s,
                    row.measured_s,
                    row.good_s,
                    row.borderline_s,
                    row.forward_s,
                    row.unseen_s,
                    row.median_cva_deg,
                    row.alerts,
                ],
            )
            .map_err(sqlite(&self.path))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::log::stats::stats;
    use crate::monitor::policy::{Level, State};
    use crate::monitor::watch::{AlertKind, EventBody};

    fn status(level: Option<Level>, cva_deg: Option<f32>, state: State) -> EventBody {
        EventBody::side_status(level, cva_deg, state)
    }

    #[test]
    fn a_session_is_written_in_wal_mode_and_read_back_by_stats() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/down/posture.sqlite");
        let mut log = SessionLog::start(&path, "clip.mkv", SessionClock::Media).unwrap();
        let forward = status(Some(Level::Forward), Some(40.0), State::Alerting);
        let good = status(Some(Level::Good), Some(55.0), State::Ok);
        for i in 0..90 {
            let body = if i < 30 { &forward } else { &good };
            log.record(&EventRecord {
                t_s: i as f64,
                body: body.clone(),
            })
            .unwrap();
        }
        log.record(&EventRecord {
            t_s: 10.0,
            body: EventBody::AlertStart {
                kind: AlertKind::ForwardHead,
            },
        })
        .unwrap();
        log.finish(90.0).unwrap();

        let conn = Connection::open(&path).unwrap();
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(version, super::super::SCHEMA_VERSION);
        let (rows, alerts): (i64, i64) = conn
            .query_row(
                "SELECT (SELECT COUNT(*) FROM minutes), (SELECT COUNT(*) FROM alerts WHERE end_reason = 'watch_ended')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((rows, alerts), (2, 1));

        let s = stats(&path, now_unix_s(), 7).unwrap();
        assert_eq!(s.last_days.days, 7);
        assert_eq!(s.last_days.sessions, 1);
        assert_eq!(s.last_days.alerts, 1);
        assert_eq!(s.last_days.monitored_s, 90.0);
        assert_eq!(s.last_days.forward_share, Some(30.0 / 90.0));
        assert!(s.today.since_unix_s >= s.last_days.since_unix_s + 6.0 * 86_400.0 - 3_600.0);
    }
}
