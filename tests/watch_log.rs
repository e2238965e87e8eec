//! The session log of `posture watch` and `posture stats`, on clips built from renders like
//! tests/watch_cli.rs (upright, forward head 40 s, upright, looking down), with the log under
//! a temporary POSTURE_DATA_DIR.

mod common;
use common::*;
use rusqlite::Connection;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Upright 20 s, forward head 40 s, upright 30 s, looking down 30 s (the s453 group).
fn desk_clip(dir: &Path) -> std::path::PathBuf {
    clip_of_renders(
        dir,
        "desk.mkv",
        &[("s453", 20), ("s457", 40), ("s454", 30), ("s460", 30)],
    )
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn a_watch_logs_one_session_its_minutes_and_its_alert_and_stats_reports_them() {
    let dir = tempfile::tempdir().unwrap();
    let clip = desk_clip(dir.path());
    let data = dir.path().join("data");
    let env = [("POSTURE_DATA_DIR", data.to_str().unwrap())];
    let out = posture_env(
        &[
            "watch",
            clip.to_str().unwrap(),
            "--fast",
            "--calibrate",
            "10",
            "--no-notify",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));

    let db = data.join("posture.sqlite");
    let conn = Connection::open(&db).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM sessions"), 1);
    let (started, ended, source): (f64, f64, String) = conn
        .query_row(
            "SELECT started_at_unix_s, ended_at_unix_s, source FROM sessions",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(source, clip.to_str().unwrap());
    // Media time with --fast: the session lasts as long as the clip, not the run.
    assert!((119.0..=120.5).contains(&(ended - started)), "{}", ended - started);

    // A 120 s clip is two minutes of the session, which account for all of it.
    let minutes: Vec<(f64, f64, f64, f64)> = conn
        .prepare("SELECT minute_start_unix_s, measured_s, unseen_s, forward_s FROM minutes ORDER BY 1")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(minutes.len(), 2, "{minutes:?}");
    assert_eq!(minutes[0].0, started);
    assert_eq!(minutes[1].0, started + 60.0);
    let watched: f64 = minutes.iter().map(|m| m.1 + m.2).sum();
    assert!((118.0..=120.5).contains(&watched), "{watched} s in the minutes");
    // Forward head is shown for 40 s: the log counts about that (the 3 s window lags it).
    let forward: f64 = minutes.iter().map(|m| m.3).sum();
    assert!((30.0..=45.0).contains(&forward), "{forward} s of forward head");

    let (alerts, kind, reason, start, end): (i64, String, String, f64, f64) = conn
        .query_row(
            "SELECT COUNT(*), kind, end_reason, started_at_unix_s, ended_at_unix_s FROM alerts",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    assert_eq!(
        (alerts, kind.as_str(), reason.as_str()),
        (1, "forward_head", "corrected")
    );
    assert!(
        (20.0..=50.0).contains(&(start - started)),
        "alert at {}",
        start - started
    );
    assert!(
        (60.0..90.0).contains(&(end - started)),
        "alert ended at {}",
        end - started
    );
    assert_eq!(count(&conn, "SELECT SUM(alerts) FROM minutes"), 1);

    let out = posture_env(&["stats", "--json"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let stats = records(&out);
    assert_eq!(stats.len(), 1, "one object");
    assert_eq!(stats[0]["schema"], "posture-stats/1");
    let week = &stats[0]["last_days"];
    assert_eq!(week["days"], 7);
    assert_eq!(week["alerts"], 1);
    assert_eq!(week["sessions"], 1);
    let share = week["forward_share"].as_f64().unwrap();
    assert!(share > 0.0 && share < 1.0, "{share}");
    assert!(
        (118.0..=120.5).contains(&week["monitored_s"].as_f64().unwrap()),
        "{week}"
    );
    assert!(stats[0]["today"]["alerts"].as_u64().unwrap() <= 1);

    let out = posture_env(&["stats", "--days", "3"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("last 3 days") && text.contains("0h 02m"), "{text}");
}

#[test]
fn a_watch_killed_midway_leaves_a_sound_log_with_the_minutes_so_far() {
    let dir = tempfile::tempdir().unwrap();
    // Ten minutes: far longer than the few seconds it takes to log the first two.
    let clip = clip_of_renders(dir.path(), "long.mkv", &[("s453", 600)]);
    let data = dir.path().join("data");
    let db = data.join("posture.sqlite");
    let mut child = Command::new(env!("CARGO_BIN_EXE_posture"))
        .args(["watch", clip.to_str().unwrap(), "--fast", "--calibrate", "10"])
        .env("POSTURE_DATA_DIR", &data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the second minute's row (the first is then closed and committed).
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the watch ended before it was killed"
        );
        // Read-only: polling must never create the database before the watch does.
        let rows = Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .ok()
            .and_then(|c| {
                c.query_row("SELECT COUNT(*) FROM minutes", [], |r| r.get::<_, i64>(0))
                    .ok()
            });
        if rows.is_some_and(|n| n >= 2) {
            break;
        }
        assert!(Instant::now() < deadline, "no minute logged in 300 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let conn = Connection::open(&db).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    assert_eq!(count(&conn, "SELECT COUNT(*) FROM sessions"), 1);
    // Killed, so never ended.
    assert_eq!(
        count(&conn, "SELECT COUNT(*) FROM sessions WHERE ended_at_unix_s IS NULL"),
        1
    );
    let first: f64 = conn
        .query_row(
            "SELECT measured_s + unseen_s FROM minutes ORDER BY minute_start_unix_s LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!((59.0..=60.0).contains(&first), "the first minute holds {first} s");
    assert!(count(&conn, "SELECT COUNT(*) FROM minutes") >= 2);
}

#[test]
fn no_log_keeps_nothing_and_a_log_that_cannot_be_opened_is_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_of_renders(dir.path(), "short.mkv", &[("s453", 5)]);
    let data = dir.path().join("data");
    let out = posture_env(
        &["watch", clip.to_str().unwrap(), "--fast", "--no-log"],
        &[("POSTURE_DATA_DIR", data.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!data.exists(), "--no-log created {}", data.display());

    // The data folder is a file: no log, one warning line, the watch goes on.
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "x").unwrap();
    let out = posture_env(
        &["watch", clip.to_str().unwrap(), "--fast"],
        &[("POSTURE_DATA_DIR", blocker.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(warnings[0].contains("session log"), "{err}");
    assert!(err.contains("watched 5 s"), "{err}");

    let out = posture_env(&["stats"], &[("POSTURE_DATA_DIR", data.to_str().unwrap())]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("no session log") && err.lines().count() == 1, "{err}");
}
