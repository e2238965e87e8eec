//! `posture watch --fast` on a clip built from one fixed-camera group of front renders (never
//! used to tune the front rule): upright 20 s (the baseline is recorded from its first 10 s),
//! forward head 40 s, upright 30 s, looking down 35 degrees 30 s. The alert starts within the
//! onset delay plus 10 s of the forward head, ends after it, and never fires for looking down.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;

fn events(path: &Path) -> Vec<Value> {
    after_header(
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad event line {l}: {e}")))
            .collect(),
    )
}

/// The events of `--events` lines, once the first is checked to be the run's header: the
/// schema, the source and the provenance, and no event.
fn after_header(mut lines: Vec<Value>) -> Vec<Value> {
    assert!(!lines.is_empty(), "no header line");
    let header = lines.remove(0);
    assert_eq!(header["schema"], "posture-watch-events/1", "{header}");
    assert!(header.get("event").is_none(), "{header}");
    assert!(header["source"].is_string(), "{header}");
    let provenance = &header["provenance"];
    assert!(provenance["model"]["landmark_sha256"].is_string(), "{header}");
    assert_eq!(provenance["settings"]["policy"]["onset_s"], 20.0, "{header}");
    assert_every_field_named(&readme_section("`posture watch`"), &header, &[], "the --events header");
    lines
}

fn times_of(events: &[Value], kind: &str) -> Vec<f64> {
    events
        .iter()
        .filter(|e| e["event"] == kind)
        .map(|e| e["t_s"].as_f64().unwrap())
        .collect()
}

#[test]
fn forward_head_alerts_after_the_onset_and_looking_down_never_does() {
    let dir = tempfile::tempdir().unwrap();
    // Male, camera above the eyes (s453 group): upright, severe forward head, upright again,
    // looking down 35 degrees.
    let clip = clip_of_renders(
        dir.path(),
        "desk.mkv",
        &[("s453", 20), ("s457", 40), ("s454", 30), ("s460", 30)],
    );
    let log = dir.path().join("events.jsonl");
    // No D-Bus session here (whatever the machine running the test has): the alert's desktop
    // notification cannot be shown, which is one warning, and the watch goes on.
    let runtime = dir.path().join("runtime");
    std::fs::create_dir(&runtime).unwrap();
    let out = posture_env(
        &[
            "watch",
            clip.to_str().unwrap(),
            "--fast",
            "--calibrate",
            "10",
            "--events",
            log.to_str().unwrap(),
            // Tests keep out of the user's session log.
            "--no-log",
        ],
        &[
            ("DBUS_SESSION_BUS_ADDRESS", ""),
            ("XDG_RUNTIME_DIR", runtime.to_str().unwrap()),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning")).collect();
    assert_eq!(warnings.len(), 1, "{err}");
    assert!(
        warnings[0].contains("no desktop notifications") && warnings[0].contains("bell"),
        "{err}"
    );
    let events = events(&log);
    assert!(!events.is_empty());
    let section = readme_section("`posture watch`");
    for e in &events {
        assert!(e["t_s"].is_number() && e["event"].is_string(), "{e}");
        assert_eq!(e["schema"], "posture-watch-events/1", "{e}");
        assert_every_field_named(&section, e, &[], "an --events line");
    }

    assert_eq!(times_of(&events, "calibrating"), [0.0]);
    let calibrated = times_of(&events, "calibrated");
    assert_eq!(calibrated.len(), 1, "{events:?}");
    assert!(calibrated[0] <= 12.0, "baseline recorded at {}", calibrated[0]);

    let starts = times_of(&events, "alert_start");
    let ends = times_of(&events, "alert_end");
    assert_eq!(starts.len(), 1, "one alert: {starts:?}");
    // Forward head from 20 s: the alert within the 20 s onset plus 10 s.
    assert!((20.0..=50.0).contains(&starts[0]), "alert at {}", starts[0]);
    // It ends once upright again (from 60 s), and before the looking down (from 90 s).
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert!((60.0..90.0).contains(&ends[0]), "alert ended at {}", ends[0]);
    let end = events.iter().find(|e| e["event"] == "alert_end").unwrap();
    assert_eq!(end["reason"], "corrected");

    // Looking down (90-120 s) is seen as looking down, never as forward head.
    let looking_down: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "status" && e["t_s"].as_f64().unwrap() > 95.0)
        .collect();
    assert!(!looking_down.is_empty());
    assert!(
        looking_down.iter().all(|e| e["forward_head"] != "forward"),
        "{looking_down:?}"
    );
    assert!(
        looking_down.iter().any(|e| e["looking_down"] == true),
        "{looking_down:?}"
    );

    // A status at least once a second, to the end of the clip.
    let status = times_of(&events, "status");
    assert!(status.windows(2).all(|w| w[1] - w[0] <= 1.0 + 0.25), "{status:?}");
    assert!(*status.last().unwrap() >= 119.0);
    let text = stderr(&out);
    assert!(text.contains("1 alert(s)"), "{text}");
}

/// `posture watch CLIP --fast --events - --no-notify` with `data` as the data folder.
fn watch_with_profiles(clip: &Path, data: &Path) -> Vec<Value> {
    let out = posture_env(
        &[
            "watch",
            clip.to_str().unwrap(),
            "--fast",
            "--events",
            "-",
            "--no-notify",
        ],
        &[("POSTURE_DATA_DIR", data.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    after_header(records(&out))
}

fn profiles_in(data: &Path) -> Vec<String> {
    names_in(&data.join("profiles"))
}

#[test]
fn the_first_watch_records_a_profile_the_next_reuses_it_and_another_resolution_records_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Upright 12 s, then forward head 30 s (the s453 group).
    let clip = clip_of_renders(dir.path(), "desk.mkv", &[("s453", 12), ("s457", 30)]);

    // First run: no baseline given or stored, so the first 10 s are recorded.
    let events = watch_with_profiles(&clip, &data);
    assert_eq!(times_of(&events, "calibrating"), [0.0]);
    let calibrated = times_of(&events, "calibrated");
    assert_eq!(calibrated.len(), 1, "{events:?}");
    assert!(calibrated[0] <= 12.0, "{calibrated:?}");
    // Until then the person is seen without a baseline: no reading, never "away".
    let before: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "status" && e["t_s"].as_f64().unwrap() < calibrated[0])
        .collect();
    assert!(!before.is_empty());
    assert!(
        before
            .iter()
            .all(|e| e["reason"] == "no_baseline" && e["state"] == "ok"),
        "{before:?}"
    );
    assert!(times_of(&events, "away").is_empty(), "{events:?}");
    let stored = profiles_in(&data);
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(
        stored[0].starts_with("file-desk.mkv-") && stored[0].ends_with(".json"),
        "{stored:?}"
    );

    // Second run, same clip: the stored baseline judges from the first frame.
    let events = watch_with_profiles(&clip, &data);
    assert!(times_of(&events, "calibrating").is_empty(), "{events:?}");
    assert!(times_of(&events, "calibrated").is_empty());
    let first = events.iter().find(|e| e["event"] == "status").unwrap();
    assert_ne!(first["reason"], "no_baseline", "{first}");
    let starts = times_of(&events, "alert_start");
    assert_eq!(starts.len(), 1, "forward head from 12 s alerts: {events:?}");
    assert!((12.0..=42.0).contains(&starts[0]), "{starts:?}");

    // The same clip at another resolution (same file name, another folder): recorded anew.
    let other = dir.path().join("small");
    std::fs::create_dir(&other).unwrap();
    let small = other.join("desk.mkv");
    ffmpeg(
        &[
            "-i",
            clip.to_str().unwrap(),
            "-vf",
            "scale=iw*3/4:-2",
            "-c:v",
            "mjpeg",
            "-q:v",
            "3",
        ],
        &small,
    );
    let events = watch_with_profiles(&small, &data);
    assert_eq!(times_of(&events, "calibrating"), [0.0], "{events:?}");
    assert_eq!(times_of(&events, "calibrated").len(), 1, "{events:?}");
    assert_eq!(profiles_in(&data).len(), 2, "{:?}", profiles_in(&data));
}

#[test]
fn quiet_leaves_stderr_empty_and_verbose_says_where_the_models_and_baseline_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_of_renders(dir.path(), "short.mkv", &[("s453", 5)]);
    let watch = |flag: &str| {
        let args = [
            flag,
            "watch",
            clip.to_str().unwrap(),
            "--fast",
            "--no-tui",
            "--no-log",
            "--no-notify",
            "--calibrate",
            "2",
            "--events",
            "-",
        ];
        let out = posture(&args[usize::from(flag.is_empty())..]);
        assert!(out.status.success(), "{flag}: {}", stderr(&out));
        out
    };
    let (plain, quiet, verbose) = (watch(""), watch("--quiet"), watch("--verbose"));
    let said = stderr(&plain);
    assert!(
        said.contains("baseline recorded (front") && said.contains("watched 5 s"),
        "{said}"
    );
    assert_eq!(stderr(&quiet), "", "--quiet leaves only errors and warnings");
    let events = after_header(records(&quiet));
    assert!(
        events.iter().any(|e| e["event"] == "calibrated"),
        "--quiet keeps the events: {events:?}"
    );
    let said = stderr(&verbose);
    assert!(
        said.contains("ONNX Runtime /") && said.contains("pose_detection.onnx"),
        "{said}"
    );
    assert!(said.contains("baseline recorded from the first 2 s"), "{said}");
    assert!(said.contains("watched 5 s"), "{said}");
}

#[test]
fn watch_refuses_what_it_cannot_do_in_one_line() {
    let out = posture(&["watch", "camera:0", "--fast"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--fast reads a file"), "{}", stderr(&out));
    let out = posture(&["watch", "missing.mp4", "--fast"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("missing.mp4") && err.lines().count() == 1, "{err}");
}

#[test]
fn a_person_sitting_still_is_looked_at_half_as_often_once_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    // Upright for 60 s: 5 s of baseline, then nothing changes.
    let clip = clip_of_renders(dir.path(), "still.mkv", &[("s453", 60)]);
    let log = dir.path().join("events.jsonl");
    let out = posture(&[
        "watch",
        clip.to_str().unwrap(),
        "--fast",
        "--calibrate",
        "5",
        "--events",
        log.to_str().unwrap(),
        "--no-log",
        "--no-notify",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stderr(&out);
    let analysed: usize = text
        .split(" frame(s) analysed")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no frame count in {text}"));
    // 4 fps while the baseline is recorded and for the 10 s it takes to call the level steady
    // (15 s, 60 frames), then 2 fps (45 s, 90 frames): about 150, against 240 at 4 fps.
    assert!((140..=160).contains(&analysed), "{analysed} frames: {text}");
    // Still a status at least once a second, and never an alert.
    let events = events(&log);
    let status = times_of(&events, "status");
    assert!(status.windows(2).all(|w| w[1] - w[0] <= 1.0 + 1e-9), "{status:?}");
    assert!(*status.last().unwrap() >= 59.0, "{status:?}");
    assert!(times_of(&events, "alert_start").is_empty(), "{events:?}");
}

#[test]
fn a_baseline_given_from_another_set_up_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let face = fixture("webcam_face.mp4");
    calibrate(&face, &baseline);
    // Its own clip: no warning; a clip of another size: a warning saying how it differs.
    for (clip, warned) in [(face, false), (fixture("render_s030_sway.mp4"), true)] {
        let out = posture(&[
            "watch",
            clip.to_str().unwrap(),
            "--fast",
            "--no-notify",
            "--no-log",
            "--no-tui",
            "--baseline",
            baseline.to_str().unwrap(),
        ]);
        let err = stderr(&out);
        assert!(out.status.success(), "{err}");
        assert_eq!(
            err.contains("the baseline was recorded differently (camera moved or changed: 624x464 instead of 640x360)"),
            warned,
            "{clip:?}: {err}"
        );
    }
}
