//! `posture capture --fast` on clips built from the renders, as a patient would record a visit:
//! a good protocol (side-on, then facing the camera), a patient who never turns side-on, and a
//! second person in view. Each checks what the terminal said and the visit file written.

mod common;
use common::*;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Side render s030 (seated man, true CVA 40.0) and the front render of a seated man, level
/// camera (s480).
const SIDE: &str = "s030";
const FRONT: &str = "s480";
/// A second person: a standing man filmed side-on (s008).
const OTHER: &str = "s008";

/// The entries of the zip at `path`, by name, with their bytes.
fn zip_entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (entry.name().to_string(), bytes)
        })
        .collect()
}

fn entry<'a>(entries: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    entries
        .iter()
        .find(|e| e.0 == name)
        .map(|e| e.1.as_slice())
        .unwrap_or_else(|| panic!("no {name} in the visit: {names:?}"))
}

fn names(entries: &[(String, Vec<u8>)]) -> Vec<&str> {
    let mut names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    names.sort();
    names
}

fn visit_json(entries: &[(String, Vec<u8>)]) -> Value {
    serde_json::from_slice(entry(entries, "visit.json")).unwrap()
}

fn png(bytes: &[u8]) -> image::RgbImage {
    image::load_from_memory_with_format(bytes, image::ImageFormat::Png)
        .expect("a PNG key frame")
        .to_rgb8()
}

/// A 5 fps clip `name` of `seconds` of the picture `input` (a render, or two side by side).
fn still_clip(dir: &Path, name: &str, inputs: &[&str], seconds: u32) -> PathBuf {
    let mut args: Vec<String> = Vec::new();
    for id in inputs {
        args.extend(["-loop", "1", "-t"].map(String::from));
        args.push(seconds.to_string());
        args.push("-i".into());
        args.push(render_named(id).display().to_string());
    }
    let filter = if inputs.len() == 2 {
        "[0][1]hstack,fps=5"
    } else {
        "fps=5"
    };
    args.extend(["-filter_complex", filter].map(String::from));
    let clip = dir.join(name);
    ffmpeg_mjpeg(&args.iter().map(String::as_str).collect::<Vec<_>>(), &clip);
    clip
}

/// The clips in `parts` one after the other, in `dir/name`.
fn joined(dir: &Path, name: &str, parts: &[PathBuf]) -> PathBuf {
    let list: String = parts.iter().map(|p| format!("file '{}'\n", p.display())).collect();
    let list_path = dir.join(format!("{name}.txt"));
    std::fs::write(&list_path, list).unwrap();
    let clip = dir.join(name);
    ffmpeg(
        &[
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            list_path.to_str().unwrap(),
            "-c",
            "copy",
        ],
        &clip,
    );
    clip
}

fn capture(args: &[&str]) -> std::process::Output {
    let mut all = vec!["capture", "--fast"];
    all.extend_from_slice(args);
    posture(&all)
}

#[test]
fn a_good_protocol_saves_a_complete_visit_with_a_side_angle_and_a_front_part() {
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_of_renders(dir.path(), "home.mkv", &[(SIDE, 7), (FRONT, 8)]);
    let visit = dir.path().join("visit.zip");
    let out = capture(&[
        clip.to_str().unwrap(),
        "--out",
        visit.to_str().unwrap(),
        "--patient",
        "P001",
        "--seconds",
        "5",
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    // One step at a time, its progress, and no flood: a line per change.
    for said in [
        "step 1 of 2: sit as you usually do, side-on",
        "step 2 of 2: now the same facing the camera",
        "3 of 5 s",
        "side view done",
        "front view done",
    ] {
        assert!(err.contains(said), "'{said}' not said: {err}");
    }
    assert!(err.lines().count() < 30, "{err}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Side view: head-neck angle (CVA)"), "{text}");

    let entries = zip_entries(&visit);
    assert_eq!(
        names(&entries),
        ["frames.csv", "keyframe-front.png", "keyframe-side.png", "visit.json"],
        "no video without --keep-video"
    );
    let v = visit_json(&entries);
    assert_eq!(v["schema"], "posture-visit/1");
    let section = readme_section("`posture capture`");
    assert_every_field_named(&section, &v, &["source"], "visit.json");
    for part in v["parts"].as_array().unwrap() {
        assert_every_field_named(&section, part, &[], "a visit part");
    }
    assert_eq!(v["patient"], "P001");
    assert_eq!(v["protocol"], "guided-capture/1");
    assert_eq!(v["complete"], true);
    assert!(v["incomplete_reason"].is_null());
    assert!(v["recorded_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["source"]["kind"], "file");
    assert_eq!(v["source"]["name"], "home.mkv");
    assert_eq!(
        (v["source"]["width"].as_u64(), v["source"]["height"].as_u64()),
        (Some(640), Some(480))
    );

    let parts = v["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 2);
    let (side, front) = (&parts[0], &parts[1]);
    assert_eq!(side["view"], "side");
    let cva = side["record"]["cva_deg"].as_f64().expect("a side CVA");
    assert!((cva - 40.0).abs() < 3.0, "CVA {cva}, truth 40.0");
    assert!(
        side["record"]["quality"]["frames_used"].as_u64().unwrap() >= 20,
        "{side}"
    );
    assert!(side["record"]["ci95"]["cva_deg"].is_array(), "{side}");
    assert_eq!(side["keyframe"], "keyframe-side.png");
    assert_eq!(front["view"], "front");
    assert_eq!(front["record"]["view"], "front");
    assert!(front["record"]["front_signals"].is_object(), "{front}");
    assert_eq!(front["keyframe"], "keyframe-front.png");

    // frames.csv: the frame table's columns, each row named by its part.
    let csv = String::from_utf8(entry(&entries, "frames.csv").to_vec()).unwrap();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("input,frame,timestamp_ms,view,"), "{header}");
    let inputs: Vec<&str> = lines.map(|l| l.split(',').next().unwrap()).collect();
    assert!(inputs.contains(&"side") && inputs.contains(&"front"), "{inputs:?}");
    assert!(inputs.iter().all(|i| *i == "side" || *i == "front"), "{inputs:?}");

    for name in ["keyframe-side.png", "keyframe-front.png"] {
        assert_eq!(png(entry(&entries, name)).dimensions(), (640, 480), "{name}");
    }

    // --quiet: the same visit, and nothing on stderr (the result in words stays on stdout).
    let quiet_visit = dir.path().join("quiet.zip");
    let quiet = capture(&[
        clip.to_str().unwrap(),
        "--out",
        quiet_visit.to_str().unwrap(),
        "--patient",
        "P001",
        "--seconds",
        "5",
        "-q",
    ]);
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    assert_eq!(stderr(&quiet), "", "--quiet leaves only errors");
    assert_eq!(quiet.stdout, out.stdout);
    let again = visit_json(&zip_entries(&quiet_visit));
    assert_eq!(again["parts"], v["parts"]);
}

#[test]
fn a_patient_never_side_on_gets_told_to_turn_and_an_incomplete_visit_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_of_renders(dir.path(), "front.mkv", &[(FRONT, 14)]);
    let visit = dir.path().join("visit.zip");
    let out = capture(&[
        clip.to_str().unwrap(),
        "--out",
        visit.to_str().unwrap(),
        "--seconds",
        "3",
        "--step-limit",
        "8",
        "--keep-video",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "an incomplete visit: {err}");
    assert!(err.contains("turn side-on"), "{err}");
    assert!(err.contains("given up: side view"), "{err}");

    let entries = zip_entries(&visit);
    assert_eq!(
        names(&entries),
        ["frames.csv", "keyframe-front.png", "video.mkv", "visit.json"]
    );
    assert_eq!(entry(&entries, "video.mkv"), std::fs::read(&clip).unwrap().as_slice());
    let v = visit_json(&entries);
    assert_eq!(v["complete"], false);
    let reason = v["incomplete_reason"].as_str().unwrap();
    assert!(
        reason.contains("side view") && reason.contains("turn side-on"),
        "{reason}"
    );
    assert!(reason.contains("front_view"), "the gate that failed most: {reason}");
    let parts = v["parts"].as_array().unwrap();
    let side = parts
        .iter()
        .find(|p| p["view"] == "side")
        .expect("the side part, without a reading");
    assert!(side["record"]["cva_deg"].is_null());
    assert_eq!(side["record"]["reason"], "front_view");
    assert!(side["keyframe"].is_null());
    let front = parts.iter().find(|p| p["view"] == "front").unwrap();
    assert!(front["record"]["quality"]["frames_used"].as_u64().unwrap() > 0);
}

#[test]
fn a_second_person_in_view_is_said_and_the_key_frame_marks_who_was_measured() {
    let dir = tempfile::tempdir().unwrap();
    // The patient on the left, someone else on the right, side then front.
    let side = still_clip(dir.path(), "side.mkv", &[SIDE, OTHER], 7);
    let front = still_clip(dir.path(), "front.mkv", &[FRONT, OTHER], 7);
    let clip = joined(dir.path(), "two.mkv", &[side, front]);
    let visit = dir.path().join("visit.zip");
    let out = capture(&[
        clip.to_str().unwrap(),
        "--out",
        visit.to_str().unwrap(),
        "--seconds",
        "3",
    ]);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("someone else is in view"), "{err}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("on the left of the picture"), "{text}");

    let entries = zip_entries(&visit);
    let v = visit_json(&entries);
    let side = &v["parts"][0];
    assert_eq!(side["record"]["other_people"]["most_at_once"], 1, "{side}");
    let cva = side["record"]["cva_deg"].as_f64().unwrap();
    assert!(
        (cva - 40.0).abs() < 3.0,
        "the patient's CVA (40.0), not the other's: {cva}"
    );
    // The key frame frames and draws the measured person only: on the left half.
    let key = png(entry(&entries, "keyframe-side.png"));
    assert_eq!(key.dimensions(), (1280, 480));
    let (mut left, mut right) = (0, 0);
    for (x, _, p) in key.enumerate_pixels() {
        if p.0 == [0, 200, 255] {
            if x < 640 {
                left += 1;
            } else {
                right += 1;
            }
        }
    }
    assert!(left > 100 && right == 0, "box pixels left {left}, right {right}");
}

#[test]
fn capture_refuses_what_it_cannot_do_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out_zip = dir.path().join("v.zip");
    let out_arg = out_zip.to_str().unwrap();
    for (args, says) in [
        (
            vec!["capture", "camera:0", "--fast", "--out", out_arg],
            "--fast reads a file",
        ),
        (
            vec!["capture", "missing.mp4", "--fast", "--out", out_arg],
            "missing.mp4",
        ),
    ] {
        let out = posture(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(says) && err.lines().count() == 1, "{args:?}: {err}");
    }
    let photo = render_named(SIDE);
    let out = posture(&["capture", photo.to_str().unwrap(), "--fast", "--out", out_arg]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("a picture, not a video"), "{}", stderr(&out));
    assert!(!out_zip.exists(), "nothing written for a refused capture");
}

#[test]
fn ctrl_c_saves_what_was_captured_marked_incomplete() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_of_renders(dir.path(), "side.mkv", &[(SIDE, 30)]);
    let visit = dir.path().join("visit.zip");
    // At real-time pace (no --fast), 10 s of usable frames take 10 s: stopped well before.
    let mut child = Command::new(env!("CARGO_BIN_EXE_posture"))
        .args(["capture", clip.to_str().unwrap(), "--out", visit.to_str().unwrap()])
        .env("POSTURE_DATA_DIR", test_data_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the posture binary runs");
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("step 1 of 2") {
        assert!(err.read_line(&mut said).unwrap() > 0, "ended before step 1: {said}");
    }
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    std::io::Read::read_to_string(&mut err, &mut said).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{said}");
    let v = visit_json(&zip_entries(&visit));
    assert_eq!(v["complete"], false);
    let reason = v["incomplete_reason"].as_str().unwrap();
    assert!(reason.contains("capture was stopped"), "{reason}");
}

/// The camera path of `--keep-video`, through the library: a clip delivered to the capture as
/// a camera's frames are (a frame source it samples a few times a second), each analysed frame
/// handed to the video kept for the visit. The video read back holds exactly those frames, at
/// their size and times.
#[test]
fn a_cameras_kept_video_is_its_analysed_frames_at_their_times() {
    use posture::capture::{capture, protocol::ProtocolSettings, CaptureSettings, KeptVideo, DEFAULT_FPS};
    use posture::frames::{FrameSource, VideoOptions, VideoSource, VIDEO_EXTENSION};
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_of_renders(dir.path(), "home.mkv", &[(SIDE, 7), (FRONT, 8)]);
    let settings = CaptureSettings {
        pipeline: posture::pipeline::PipelineSettings {
            decoder_threads: 1,
            recount_every: 5,
            ..Default::default()
        },
        measure: Default::default(),
        thresholds: Default::default(),
        protocol: ProtocolSettings {
            hold_s: 5.0,
            ..Default::default()
        },
        fps: DEFAULT_FPS,
    };
    let mut models = settings.pipeline.load_models().expect("models load");
    let source = settings.pipeline.open_input(&clip).unwrap();
    let (mut kept, mut times_ms) = (KeptVideo::default(), Vec::new());
    let captured = capture(
        source,
        "camera",
        &settings,
        &mut models,
        &|| false,
        |_, _| {},
        |frame| {
            times_ms.push(frame.timestamp_ms);
            kept.push(frame);
        },
    )
    .unwrap();
    assert!(captured.complete());
    assert_eq!(times_ms.len() as u64, captured.frames_analysed);
    // A few frames a second of a 5 fps clip: most of them, not every one.
    assert!(times_ms.len() > 40, "{} frames analysed", times_ms.len());
    let video = kept.finish().unwrap().expect("frames were kept");
    let path = dir.path().join(format!("video.{VIDEO_EXTENSION}"));
    std::fs::write(&path, &video).unwrap();
    let mut back = VideoSource::open(&path, &VideoOptions::default()).unwrap();
    let frames: Vec<_> = std::iter::from_fn(|| back.next_frame()).map(Result::unwrap).collect();
    assert_eq!(frames.len(), times_ms.len());
    for (frame, t) in frames.iter().zip(&times_ms) {
        assert_eq!(frame.image.dimensions(), (640, 480));
        assert!(
            (frame.timestamp_ms - (t - times_ms[0])).abs() < 1.5,
            "{} vs {t}",
            frame.timestamp_ms
        );
    }
}
