//! The session log: what each watch saw, a minute at a time, in an SQLite database under the
//! user's data folder. Frames are never stored, only these numbers.
//!
//! The watch's events go through a pure [`Aggregator`] (tested without SQLite) that turns the
//! status events into per-minute time in each class; [`SessionLog`] writes its rows. The
//! database is in WAL mode with `synchronous=NORMAL`: a killed watch never corrupts it, and
//! the open minute is written and committed every [`COMMIT_EVERY`], so a `kill -9` loses at
//! most that much.
//!
//! Times are Unix seconds. Minutes are counted from the session's start (each row is a full
//! minute of the session, whatever second it began on). A camera's events are timed by the
//! wall clock; a file read with `--fast` by the session's start plus media time, so that a
//! replay is deterministic.

use super::policy::{EndReason, Level, State};
use super::watch::{AlertKind, EventBody, EventRecord};
use rusqlite::{params, Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// The schema this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

/// The open minute is written and committed at least this often (wall clock).
pub const COMMIT_EVERY: Duration = Duration::from_secs(2);

/// A status holds its class until the next one, but no longer than this: statuses come at
/// least once a second (every 2 s at the lowest rate), so a longer gap is time not watched.
const MAX_HOLD_S: f64 = 3.0;

const MINUTE_S: f64 = 60.0;

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("no data folder: set POSTURE_DATA_DIR, XDG_DATA_HOME or HOME")]
    NoDataDir,
    #[error("cannot create {}: {source}", path.display())]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("no session log at {} yet (posture watch writes it)", path.display())]
    Missing { path: PathBuf },
    #[error("{} was written by a newer posture (schema {found}, this one knows {SCHEMA_VERSION})", path.display())]
    NewerSchema { path: PathBuf, found: i64 },
    #[error("session log {}: {source}", path.display())]
    Sqlite { path: PathBuf, source: rusqlite::Error },
}

/// Where the log lives: `$POSTURE_DATA_DIR/posture.sqlite`, else
/// `$XDG_DATA_HOME/posture/posture.sqlite`, else `~/.local/share/posture/posture.sqlite`.
pub fn default_path() -> Result<PathBuf, LogError> {
    data_dir().map(|d| d.join("posture.sqlite"))
}

/// The data folder (the log, the patient records): `$POSTURE_DATA_DIR`, else
/// `$XDG_DATA_HOME/posture`, else `~/.local/share/posture`.
pub fn data_dir() -> Result<PathBuf, LogError> {
    let var = |name: &str| std::env::var_os(name).map(PathBuf::from);
    dir_from(var("POSTURE_DATA_DIR"), var("XDG_DATA_HOME"), var("HOME"))
}

#[cfg(test)]
fn path_from(posture: Option<PathBuf>, xdg: Option<PathBuf>, home: Option<PathBuf>) -> Result<PathBuf, LogError> {
    dir_from(posture, xdg, home).map(|d| d.join("posture.sqlite"))
}

/// [`data_dir`] from the variables' values. Empty values count as unset, and so does a
/// relative `XDG_DATA_HOME` (the XDG specification says to ignore it).
fn dir_from(posture: Option<PathBuf>, xdg: Option<PathBuf>, home: Option<PathBuf>) -> Result<PathBuf, LogError> {
    let set = |p: Option<PathBuf>| p.filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = set(posture) {
        return Ok(dir);
    }
    if let Some(dir) = set(xdg).filter(|p| p.is_absolute()) {
        return Ok(dir.join("posture"));
    }
    set(home)
        .map(|h| h.join(".local/share/posture"))
        .ok_or(LogError::NoDataDir)
}

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
                    (State::Paused, _) => None,
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
            EventBody::Calibrated { .. }
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

/// How a session's events are put on the calendar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SessionClock {
    /// Each event at the wall-clock time it is logged (a camera, or a file played as one).
    Wall,
    /// The session's start plus the event's `t_s` (a file read with `--fast`).
    Media,
}

fn now_unix_s() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Open (creating it and its folders if need be) and bring the schema up to date.
fn open_database(path: &Path) -> Result<Connection, LogError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| LogError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let conn = Connection::open(path).map_err(sqlite(path))?;
    prepare(&conn, path)?;
    Ok(conn)
}

fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> LogError + '_ {
    move |source| LogError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

fn prepare(conn: &Connection, path: &Path) -> Result<(), LogError> {
    // Another watch may hold the write lock for a moment.
    conn.busy_timeout(Duration::from_secs(5)).map_err(sqlite(path))?;
    // WAL: a killed writer never corrupts the database, and readers (`posture stats`) do
    // not block it; NORMAL: a commit is durable against a crashed process, not a power cut.
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
        .map_err(sqlite(path))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(LogError::Sqlite {
            path: path.to_path_buf(),
            source: rusqlite::Error::InvalidQuery,
        });
    }
    conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
        .map_err(sqlite(path))?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sqlite(path))?;
    if version > SCHEMA_VERSION {
        return Err(LogError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
        });
    }
    if version < 1 {
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             CREATE TABLE IF NOT EXISTS sessions(
                 id INTEGER PRIMARY KEY,
                 started_at_unix_s REAL NOT NULL,
                 source TEXT NOT NULL,
                 ended_at_unix_s REAL);
             CREATE TABLE IF NOT EXISTS minutes(
                 session_id INTEGER NOT NULL REFERENCES sessions(id),
                 minute_start_unix_s REAL NOT NULL,
                 measured_s REAL NOT NULL,
                 good_s REAL NOT NULL,
                 borderline_s REAL NOT NULL,
                 forward_s REAL NOT NULL,
                 unseen_s REAL NOT NULL,
                 median_cva_deg REAL,
                 alerts INTEGER NOT NULL,
                 PRIMARY KEY(session_id, minute_start_unix_s));
             CREATE INDEX IF NOT EXISTS minutes_by_time ON minutes(minute_start_unix_s);
             CREATE TABLE IF NOT EXISTS alerts(
                 id INTEGER PRIMARY KEY,
                 session_id INTEGER NOT NULL REFERENCES sessions(id),
                 started_at_unix_s REAL NOT NULL,
                 ended_at_unix_s REAL,
                 kind TEXT NOT NULL,
                 end_reason TEXT);
             CREATE INDEX IF NOT EXISTS alerts_by_time ON alerts(started_at_unix_s);
             PRAGMA user_version=1;
             COMMIT;",
        )
        .map_err(sqlite(path))?;
    }
    Ok(())
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

/// What the log says of a stretch of days.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Totals {
    /// Days counted, today included.
    pub days: u32,
    pub since_unix_s: f64,
    pub sessions: u64,
    /// Time watched: measured and unseen.
    pub monitored_s: f64,
    pub measured_s: f64,
    pub forward_s: f64,
    /// Share of the measured time with forward head (`None` when nothing was measured).
    pub forward_share: Option<f64>,
    pub alerts: u64,
}

/// Today and the last `days` days (today included), local time, as of `now_unix_s`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stats {
    pub database: PathBuf,
    pub today: Totals,
    pub last_days: Totals,
}

/// Read the totals from the log at `path` (which must exist).
pub fn stats(path: &Path, now_unix_s: f64, days: u32) -> Result<Stats, LogError> {
    if !path.exists() {
        return Err(LogError::Missing {
            path: path.to_path_buf(),
        });
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite(path))?;
    prepare(&conn, path)?;
    let totals = |days: u32| -> Result<Totals, LogError> {
        // The local midnight that starts the first day, as SQLite's C library sees the time zone.
        let since: f64 = conn
            .query_row(
                "SELECT unixepoch(?1, 'unixepoch', 'localtime', 'start of day', ?2, 'utc')",
                params![now_unix_s.floor() as i64, format!("-{} days", days - 1)],
                |r| r.get::<_, i64>(0),
            )
            .map_err(sqlite(path))? as f64;
        let (monitored_s, measured_s, forward_s, sessions): (f64, f64, f64, i64) = conn
            .query_row(
                "SELECT COALESCE(SUM(measured_s + unseen_s), 0), COALESCE(SUM(measured_s), 0),
                        COALESCE(SUM(forward_s), 0), COUNT(DISTINCT session_id)
                 FROM minutes WHERE minute_start_unix_s >= ?1",
                params![since],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .map_err(sqlite(path))?;
        let alerts: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM alerts WHERE started_at_unix_s >= ?1",
                params![since],
                |r| r.get(0),
            )
            .map_err(sqlite(path))?;
        Ok(Totals {
            days,
            since_unix_s: since,
            sessions: sessions.max(0) as u64,
            monitored_s,
            measured_s,
            forward_s,
            forward_share: (measured_s > 0.0).then(|| forward_s / measured_s),
            alerts: alerts.max(0) as u64,
        })
    };
    Ok(Stats {
        database: path.to_path_buf(),
        today: totals(1)?,
        last_days: totals(days.max(1))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::View;

    const START: f64 = 1_700_000_000.0;

    fn status(level: Option<Level>, cva_deg: Option<f32>, state: State) -> EventBody {
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

    #[test]
    fn the_data_folder_follows_posture_then_xdg_then_home() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(
            path_from(p("/d"), p("/x"), p("/h")).unwrap(),
            PathBuf::from("/d/posture.sqlite")
        );
        assert_eq!(
            path_from(p(""), p("/x"), p("/h")).unwrap(),
            PathBuf::from("/x/posture/posture.sqlite")
        );
        assert_eq!(
            path_from(None, p("relative"), p("/h")).unwrap(),
            PathBuf::from("/h/.local/share/posture/posture.sqlite")
        );
        assert!(matches!(path_from(None, None, None), Err(LogError::NoDataDir)));
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
        assert_eq!(version, SCHEMA_VERSION);
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

    #[test]
    fn stats_without_a_log_says_where_it_looked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("posture.sqlite");
        let err = stats(&path, now_unix_s(), 7).unwrap_err();
        assert!(err.to_string().contains("no session log"), "{err}");
        assert!(!path.exists());
    }
}
