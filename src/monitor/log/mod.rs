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
//!
//! Modules, one job each: [`aggregate`] (events to minute rows, pure), [`schema`] (opening
//! the database and its tables), [`session`] (writing one watch), [`stats`] (the totals
//! `posture stats` reads).

mod aggregate;
mod schema;
mod session;
mod stats;

pub use aggregate::{Aggregator, LogOp, MinuteRow};
pub use session::{SessionClock, SessionLog, COMMIT_EVERY};
pub use stats::{stats, Stats, Totals};

use std::path::PathBuf;

/// The schema this code writes (`PRAGMA user_version`).
const SCHEMA_VERSION: i64 = 1;

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

/// The data folder: `$POSTURE_DATA_DIR`, else `$XDG_DATA_HOME/posture`, else
/// `~/.local/share/posture` (the session log and the camera profiles live there).
pub fn data_dir() -> Result<PathBuf, LogError> {
    let var = |name: &str| std::env::var_os(name).map(PathBuf::from);
    dir_from(var("POSTURE_DATA_DIR"), var("XDG_DATA_HOME"), var("HOME"))
}

/// Where the log lives: `posture.sqlite` in the [`data_dir`].
pub fn default_path() -> Result<PathBuf, LogError> {
    Ok(data_dir()?.join("posture.sqlite"))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_folder_follows_posture_then_xdg_then_home() {
        let p = |s: &str| Some(PathBuf::from(s));
        assert_eq!(dir_from(p("/d"), p("/x"), p("/h")).unwrap(), PathBuf::from("/d"));
        assert_eq!(dir_from(p(""), p("/x"), p("/h")).unwrap(), PathBuf::from("/x/posture"));
        assert_eq!(
            dir_from(None, p("relative"), p("/h")).unwrap(),
            PathBuf::from("/h/.local/share/posture")
        );
        assert!(matches!(dir_from(None, None, None), Err(LogError::NoDataDir)));
    }
}
