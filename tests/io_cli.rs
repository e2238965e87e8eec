//! Inputs and outputs of the real binary: an output never overwrites an input, Ctrl-C and
//! SIGTERM keep the input in progress, `--duration` ends a clip early, calibrate checks its
//! output first and leaves no temporary file, any file name is an input, rotated phone videos
//! measure as upright ones, and nothing is written under $HOME/.cache.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn copy_fixture(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(fixture(name), &path).unwrap();
    path
}

#[test]
fn an_output_naming_an_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clip = copy_fixture(d, "webcam_face.mp4");
    let photo = copy_fixture(d, "grace_hopper.jpg");
    std::fs::hard_link(&photo, d.join("same_photo.jpg")).unwrap();
    let (clip_bytes, photo_bytes) = (std::fs::read(&clip).unwrap(), std::fs::read(&photo).unwrap());
    let cases: [(&[&str], &str); 6] = [
        (
            &["measure", "webcam_face.mp4", "-o", "./webcam_face.mp4"],
            "webcam_face.mp4",
        ),
        (
            &[
                "measure",
                "grace_hopper.jpg",
                "webcam_face.mp4",
                "--output",
                "same_photo.jpg",
            ],
            "grace_hopper.jpg",
        ),
        (
            &["landmarks", "webcam_face.mp4", "--output", "../$/webcam_face.mp4"],
            "webcam_face.mp4",
        ),
        (
            &["landmarks", "grace_hopper.jpg", "-o", "grace_hopper.jpg"],
            "grace_hopper.jpg",
        ),
        (
            &["calibrate", "grace_hopper.jpg", "--out", "grace_hopper.jpg"],
            "grace_hopper.jpg",
        ),
        (
            &["calibrate", "webcam_face.mp4", "--out", "./webcam_face.mp4"],
            "webcam_face.mp4",
        ),
    ];
    let subdir = d.file_name().unwrap().to_str().unwrap();
    for (args, named) in cases {
        let args: Vec<String> = args.iter().map(|a| a.replace('$', subdir)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_in(d, &args);
        let err = stderr(&out);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(err.contains(named) && err.contains("is the input"), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert_eq!(std::fs::read(&clip).unwrap(), clip_bytes, "{args:?} changed the clip");
        assert_eq!(
            std::fs::read(&photo).unwrap(),
            photo_bytes,
            "{args:?} changed the photo"
        );
    }
    // A baseline is an input of measure too.
    let baseline = d.join("baseline.json");
    std::fs::write(&baseline, b"{}").unwrap();
    let out = run_in(
        d,
        &[
            "measure",
            "grace_hopper.jpg",
            "--baseline",
            "baseline.json",
            "-o",
            "baseline.json",
        ],
    );
    assert!(
        !out.status.success() && stderr(&out).contains("baseline.json"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&baseline).unwrap(), b"{}");
}

#[test]
fn annotating_pictures_into_their_own_folder_keeps_them_and_keeps_same_names_apart() {
    let dir = tempfile::tempdir().unwrap();
    let photo = copy_fixture(dir.path(), "grace_hopper.jpg");
    std::fs::copy(fixture("astronaut.png"), dir.path().join("astronaut.png")).unwrap();
    std::fs::create_dir(dir.path().join("b")).unwrap();
    std::fs::copy(fixture("astronaut.png"), dir.path().join("b/astronaut.png")).unwrap();
    let bytes = std::fs::read(dir.path().join("astronaut.png")).unwrap();
    let out = run_in(
        dir.path(),
        &[
            "landmarks",
            "grace_hopper.jpg",
            "astronaut.png",
            "b/astronaut.png",
            "--annotate",
            ".",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(dir.path().join("astronaut.png")).unwrap(), bytes);
    assert!(photo.exists());
    for annotated in ["grace_hopper.jpg.png", "astronaut.png.png", "b/astronaut.png.png"] {
        assert!(dir.path().join(annotated).is_file(), "{annotated}");
    }
}

fn interrupted_measure(signal: &str) -> (Output, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let walk = long_walk(dir.path());
    let photo = fixture("grace_hopper.jpg");
    let args = ["measure", "--json", walk.to_str().unwrap(), photo.to_str().unwrap()];
    // Long enough for the models to load (the run stops before an input it has not begun),
    // far short of the long clip's work.
    let out = interrupted(&args, signal, Duration::from_secs(3));
    let recs = records(&out);
    (out, recs)
}

#[test]
fn ctrl_c_keeps_the_clip_in_progress_and_skips_the_rest() {
    let (out, recs) = interrupted_measure("-INT");
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert_eq!(recs.len(), 1, "the photo after the clip is skipped: {}", stderr(&out));
    let r = &recs[0];
    assert!(r["input"].as_str().unwrap().ends_with("walk_x8.mp4"));
    assert_eq!(r["interrupted"], true);
    let frames = r["quality"]["frames_total"].as_u64().unwrap();
    assert!(frames < LONG_CLIP_FRAMES, "{frames} frames: not interrupted");
    assert!(stderr(&out).contains("Ctrl-C"), "{}", stderr(&out));
}

#[test]
fn sigterm_keeps_the_clip_in_progress_and_skips_the_rest() {
    let (out, recs) = interrupted_measure("-TERM");
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    assert_eq!(recs.len(), 1, "{}", stderr(&out));
    assert_eq!(recs[0]["interrupted"], true);
    assert!(recs[0]["quality"]["frames_total"].as_u64().unwrap() < LONG_CLIP_FRAMES);
}

#[test]
fn interrupted_landmarks_keep_the_frames_written() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("walk.jsonl");
    let walk = long_walk(dir.path());
    let args = ["landmarks", walk.to_str().unwrap(), "-o", jsonl.to_str().unwrap()];
    let out = interrupted(&args, "-INT", Duration::from_millis(2500));
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    let text = std::fs::read_to_string(&jsonl).unwrap();
    let frames: Vec<u64> = text
        .lines()
        .skip(1) // the run's header
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["frame"].as_u64().unwrap())
        .collect();
    assert!(
        !frames.is_empty() && (frames.len() as u64) < LONG_CLIP_FRAMES,
        "{} frames",
        frames.len()
    );
    assert_eq!(frames, (0..frames.len() as u64).collect::<Vec<_>>());
}

#[test]
fn interrupted_calibration_writes_no_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let source_dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.json");
    let walk = long_walk(source_dir.path());
    let args = ["calibrate", walk.to_str().unwrap(), "--out", baseline.to_str().unwrap()];
    let out = interrupted(&args, "-INT", Duration::from_secs(3));
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("no baseline written"), "{}", stderr(&out));
    assert!(names_in(dir.path()).is_empty(), "{:?}", names_in(dir.path()));
}

#[test]
fn duration_ends_a_clip_after_that_much_media_time() {
    let walk = fixture("sports2d_walk.mp4");
    let out = posture(&["measure", "--json", walk.to_str().unwrap(), "--duration", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = &records(&out)[0];
    // 30 fps: frames 0-59 lie before 2 s.
    assert_eq!(r["quality"]["frames_total"], 60, "{r}");
    assert_eq!(r["interrupted"], false);
    assert_eq!(r["provenance"]["settings"]["duration_s"], 2.0);

    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("walk.jsonl");
    let args = [
        "landmarks",
        walk.to_str().unwrap(),
        "--duration",
        "0.5",
        "-o",
        jsonl.to_str().unwrap(),
    ];
    assert!(posture(&args).status.success());
    let last: Value = serde_json::from_str(std::fs::read_to_string(&jsonl).unwrap().lines().last().unwrap()).unwrap();
    assert_eq!(last["frame"], 14);
    assert!(last["timestamp_ms"].as_f64().unwrap() < 500.0);

    let out = posture(&["measure", walk.to_str().unwrap(), "--duration", "0"]);
    assert_eq!(out.status.code(), Some(2), "a usage error");
}

#[test]
fn calibrate_checks_its_output_before_measuring() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("file"), b"x").unwrap();
    let walk = fixture("sports2d_walk.mp4");
    for out_path in [
        d.join("missing/baseline.json"),
        d.join("file/baseline.json"),
        d.to_path_buf(),
    ] {
        let started = std::time::Instant::now();
        let out = posture(&["calibrate", walk.to_str().unwrap(), "--out", out_path.to_str().unwrap()]);
        let err = stderr(&out);
        assert!(!out.status.success());
        assert!(err.contains(&format!("cannot write {}", out_path.display())), "{err}");
        // Nothing was measured: the frame loop reports its frames on stderr.
        assert!(!err.contains("frame(s)"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5), "measured before refusing");
    }
    assert_eq!(names_in(d), ["file"]);
}

#[test]
fn calibrate_leaves_only_the_baseline_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let baseline = d.join("baseline.json");
    let side = fixture("renders/s030_side_seated_male_heavy_fhp-moderate_R_yawm5_level.jpg");
    let nobody = fixture("no_person.jpg");

    let out = posture(&[
        "calibrate",
        nobody.to_str().unwrap(),
        "--out",
        baseline.to_str().unwrap(),
    ]);
    assert!(
        !out.status.success() && stderr(&out).contains("no baseline written"),
        "{}",
        stderr(&out)
    );
    assert!(names_in(d).is_empty(), "{:?}", names_in(d));

    calibrate(&side, &baseline);
    assert_eq!(names_in(d), ["baseline.json"]);

    // A failed run keeps the baseline that was there.
    let before = std::fs::read(&baseline).unwrap();
    let out = posture(&[
        "calibrate",
        nobody.to_str().unwrap(),
        "--out",
        baseline.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert_eq!(names_in(d), ["baseline.json"]);
    assert_eq!(std::fs::read(&baseline).unwrap(), before);
}

#[cfg(unix)]
#[test]
fn a_file_name_that_is_not_utf8_is_an_input_like_any_other() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"photo\xff.jpg");
    let photo = dir.path().join(name);
    std::fs::copy(fixture("grace_hopper.jpg"), &photo).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_posture"))
        .args(["measure", "--json"])
        .arg(&photo)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r = &records(&out)[0];
    assert!(r["input"].as_str().unwrap().ends_with("photo\u{fffd}.jpg"), "{r}");
    assert_eq!(r["view"], "front");

    // Videos go through FFmpeg, which must get the name's bytes too.
    let clip = dir.path().join(std::ffi::OsStr::from_bytes(b"clip\xff.mp4"));
    std::fs::copy(fixture("webcam_face.mp4"), &clip).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_posture"))
        .args(["landmarks", "--stride", "24"])
        .args([&photo, &clip])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let recs = frame_records(&out);
    assert_eq!(recs.len(), 1 + 3, "{}", stderr(&out));
    assert!(recs[3]["source"].as_str().unwrap().ends_with("clip\u{fffd}.mp4"));
}

#[test]
fn a_phone_video_shot_on_its_side_measures_as_the_upright_one() {
    // A 2 s clip of a side-view render (the walker's clip gives too few side-on frames to
    // compare numbers), stored upright, and stored turned a quarter clockwise with the display
    // matrix that turns it back for a player (FFmpeg 5.1's MP4 muxer writes one for `rotate`).
    let dir = tempfile::tempdir().unwrap();
    let render = fixture("renders/s030_side_seated_male_heavy_fhp-moderate_R_yawm5_level.jpg");
    let encode = |filter: &str, out: &Path| {
        let input = [
            "-loop",
            "1",
            "-i",
            render.to_str().unwrap(),
            "-t",
            "2",
            "-r",
            "30",
            "-vf",
            filter,
        ];
        ffmpeg(
            &[&input[..], &["-c:v", "libx264", "-preset", "ultrafast", "-crf", "18"]].concat(),
            out,
        );
    };
    let upright = dir.path().join("upright.mp4");
    encode("format=yuv420p", &upright);
    let stored = dir.path().join("stored.mp4");
    encode("transpose=1,format=yuv420p", &stored);
    let phone = dir.path().join("phone.mp4");
    ffmpeg(
        &[
            "-i",
            stored.to_str().unwrap(),
            "-c",
            "copy",
            "-metadata:s:v:0",
            "rotate=90",
        ],
        &phone,
    );

    let out = posture(&["measure", "--json", upright.to_str().unwrap(), phone.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let recs = records(&out);
    let (a, b) = (&recs[0], &recs[1]);
    assert_eq!(a["view"], "side-right", "{a}");
    assert_eq!(b["view"], a["view"], "{b}");
    assert_eq!(b["quality"]["frames_total"], 60);
    assert_eq!(b["quality"]["frames_used"], a["quality"]["frames_used"], "{b}");
    let (cva_a, cva_b) = (a["cva_deg"].as_f64().unwrap(), b["cva_deg"].as_f64().unwrap());
    assert!((cva_a - cva_b).abs() < 1.0, "upright {cva_a}, turned {cva_b}");

    // The landmarks are in the upright 640x480 picture: the ear above the shoulder.
    let out = posture(&["landmarks", phone.to_str().unwrap(), "--duration", "0.5"]);
    let recs = frame_records(&out);
    assert_eq!(recs.len(), 15);
    for r in &recs {
        let ((ear_x, ear_y), (_, shoulder_y)) = (landmark_xy(r, 8), landmark_xy(r, 12));
        assert!(
            ear_y < shoulder_y,
            "frame {}: ear {ear_y}, shoulder {shoulder_y}",
            r["frame"]
        );
        assert!(
            (0.0..640.0).contains(&ear_x) && (0.0..480.0).contains(&ear_y),
            "ear at {ear_x},{ear_y}"
        );
    }
}

#[test]
fn no_file_is_written_under_the_home_cache() {
    let home = tempfile::tempdir().unwrap();
    let runtime = std::env::var_os("ORT_DYLIB_PATH")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(posture::pose::runtime::default_runtime_path)
        .expect("ONNX Runtime is installed");
    let photo = fixture("grace_hopper.jpg");
    let out = Command::new(env!("CARGO_BIN_EXE_posture"))
        .args(["measure", photo.to_str().unwrap()])
        .env("HOME", home.path())
        .env("ORT_DYLIB_PATH", &runtime)
        .env_remove("XDG_CACHE_HOME")
        .env_remove("ORT_DISABLE_TELEMETRY")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let cache = home.path().join(".cache");
    assert!(!cache.exists(), "{:?} written", names_in(&cache));
}
