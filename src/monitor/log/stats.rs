//! What `posture stats` reads: the totals of today and the last days.

use super::schema::{prepare, sqlite};
use super::LogError;
use rusqlite::{params, Connection, OpenFlags};
use std::path::{Path, PathBuf};

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
    use crate::monitor::log::session::now_unix_s;

    #[test]
    fn stats_without_a_log_says_where_it_looked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("posture.sqlite");
        let err = stats(&path, now_unix_s(), 7).unwrap_err();
        assert!(err.to_string().contains("no session log"), "{err}");
        assert!(!path.exists());
    }
}
