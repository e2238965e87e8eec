//! Opening the database: its folder, WAL mode, the tables of schema [`SCHEMA_VERSION`].

use super::{LogError, SCHEMA_VERSION};
use rusqlite::Connection;
use std::path::Path;
use std::time::Duration;

/// Open (creating it and its folders if need be) and bring the schema up to date.
pub(super) fn open_database(path: &Path) -> Result<Connection, LogError> {
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

pub(super) fn sqlite(path: &Path) -> impl Fn(rusqlite::Error) -> LogError + '_ {
    move |source| LogError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

pub(super) fn prepare(conn: &Connection, path: &Path) -> Result<(), LogError> {
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
