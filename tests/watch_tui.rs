//! `posture watch`'s status screen in a real terminal: tmux runs the watch on a clip played in
//! real time, the test reads the screen (capture-pane) and presses keys (send-keys): `c`
//! records a new baseline, `t` snoozes until tomorrow, `p` pauses, `q` quits, and the shell's
//! screen is back afterwards.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of the test's own (its own socket), killed when the test ends however it ends.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new(dir: &Path) -> Tmux {
        let socket = dir.join("tmux.sock").to_str().unwrap().to_string();
        Tmux { socket }
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-S", &self.socket])
            .args(args)
            .output()
            .expect("tmux must be installed (apt-get install tmux)");
        assert!(out.status.success(), "tmux {args:?}: {}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "watch"])
    }

    /// Poll the screen until `ready` holds of it, for at most `limit`.
    fn wait_for(&self, what: &str, limit: Duration, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} after {limit:?}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &str) {
        self.run(&["send-keys", "-t", "watch", keys]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-S", &self.socket, "kill-server"]).output();
    }
}

fn state_line(screen: &str) -> Option<&str> {
    screen.lines().find(|l| l.contains("State:"))
}

/// Start a shell in tmux and `posture watch` on a minute of upright front renders in it
/// (events to `events`, then `extra` arguments).
fn run_watch(tmux: &Tmux, dir: &Path, events: &Path, extra: &str) {
    let clip = clip_of_renders(dir, "desk.mkv", &[("s453", 60)]);
    // A plain shell with a prompt of its own, so its return can be seen (capture-pane drops
    // trailing spaces: the prompt reads "shell>").
    tmux.run(&[
        "new-session",
        "-d",
        "-s",
        "watch",
        "-x",
        "100",
        "-y",
        "30",
        "env PS1='shell> ' bash --norc --noprofile",
    ]);
    tmux.wait_for("shell prompt", Duration::from_secs(10), |s| s.contains("shell>"));
    let command = format!(
        "'{}' watch '{}' --calibrate 3 --no-log --events '{}' {extra}; echo \"exit status $?\"",
        env!("CARGO_BIN_EXE_posture"),
        clip.display(),
        events.display()
    );
    tmux.keys(&command);
    tmux.keys("Enter");
}

/// [`run_watch`] with the status screen; the screen once it shows a reading.
fn start_watch(tmux: &Tmux, dir: &Path, events: &Path) -> String {
    run_watch(tmux, dir, events, "");
    // The reading appears once the baseline is recorded (3 s of the clip).
    tmux.wait_for("state ok with a reading", Duration::from_secs(60), |s| {
        state_line(s).is_some_and(|l| l.contains("ok")) && s.contains("vs baseline")
    })
}

/// Wait for the watch to end and the shell to have its screen back; that screen.
fn wait_for_the_shell(tmux: &Tmux) -> String {
    let screen = tmux.wait_for("exit and the shell back", Duration::from_secs(10), |s| {
        s.contains("exit status") && s.trim_end().ends_with("shell>")
    });
    // The alternate screen is gone: the shell's own lines, not the status box.
    assert!(
        !screen.contains("State:") && !screen.contains("posture watch ─"),
        "{screen}"
    );
    assert!(screen.contains("posture: watched"), "{screen}");
    screen
}

#[test]
fn the_status_screen_shows_the_state_pauses_on_p_and_gives_the_terminal_back_on_q() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let tmux = Tmux::new(dir.path());
    let screen = start_watch(&tmux, dir.path(), &events);
    assert!(screen.contains("q quit") && screen.contains("p pause"), "{screen}");
    assert!(
        screen.contains("c recalibrate") && screen.contains("t until tomorrow"),
        "{screen}"
    );
    assert!(
        screen.contains("Watched:") && screen.contains("Good posture:"),
        "{screen}"
    );

    // c: a new baseline from the next 3 s (--calibrate 3), said on the screen.
    tmux.keys("c");
    tmux.wait_for("recalibration", Duration::from_secs(10), |s| {
        s.contains("recording your baseline for 3 s")
    });
    tmux.wait_for("the new baseline", Duration::from_secs(20), |s| {
        s.contains("baseline recorded (front")
    });

    // t: snoozed until tomorrow morning, with the time it has left (under a day).
    tmux.keys("t");
    let screen = tmux.wait_for("snoozed state", Duration::from_secs(10), |s| {
        state_line(s).is_some_and(|l| l.contains("snoozed (") && l.contains(" left)"))
    });
    let line = state_line(&screen).unwrap();
    let left = line.split("snoozed (").nth(1).unwrap().split(' ').next().unwrap();
    let hours: u32 = left.split(':').next().unwrap().parse().unwrap();
    assert!(hours < 24, "{line}");

    tmux.keys("p");
    tmux.wait_for("paused state", Duration::from_secs(10), |s| {
        state_line(s).is_some_and(|l| l.contains("paused"))
    });

    tmux.keys("q");
    let screen = wait_for_the_shell(&tmux);
    assert!(screen.contains("exit status 0"), "{screen}");

    let text = std::fs::read_to_string(&events).unwrap();
    // The first line is the run's header.
    let kinds: Vec<String> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["event"].to_string())
        .filter(|e| e != "\"status\"")
        .collect();
    assert_eq!(
        kinds,
        [
            "\"calibrating\"",
            "\"calibrated\"",
            "\"calibrating\"",
            "\"calibrated\"",
            "\"snoozed\"",
            "\"paused\""
        ],
        "{text}"
    );
    // The snooze lasts until the next 06:00: between a second and a day.
    let snoozed: Vec<serde_json::Value> = text
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["event"] == "snoozed")
        .collect();
    let lasts = snoozed[0]["until_s"].as_f64().unwrap() - snoozed[0]["t_s"].as_f64().unwrap();
    assert!(lasts > 0.0 && lasts <= 86_400.0, "{lasts}");
}

#[test]
fn ctrl_c_on_the_status_screen_stops_the_watch_with_130_and_gives_the_terminal_back() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let tmux = Tmux::new(dir.path());
    start_watch(&tmux, dir.path(), &events);
    tmux.keys("C-c");
    let screen = wait_for_the_shell(&tmux);
    assert!(screen.contains("exit status 130"), "{screen}");
}

#[test]
fn no_tui_keeps_the_lines_on_stderr_in_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let tmux = Tmux::new(dir.path());
    run_watch(&tmux, dir.path(), &events, "--no-tui");
    let screen = tmux.wait_for("the calibration line", Duration::from_secs(60), |s| {
        s.contains("posture: 00:0") && s.contains("baseline recorded (front")
    });
    assert!(!screen.contains("State:"), "{screen}");
}
