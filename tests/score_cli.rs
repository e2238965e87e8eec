//! `posture score` on real fixtures: a folder becomes tables that say what `posture measure`
//! says of each input; a run killed with SIGKILL and run again equals an uninterrupted run;
//! two shards merged equal one run; key frames never overwrite each other; bad inputs fail
//! alone, by name; a clip longer than a tracking segment gives the same numbers whether
//! measured, scored by one worker or cut among two.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap();
}

/// A folder as a clinic would hand it over: photos with one name in two folders, a clip, a
/// front-view clip, a HEIC photo, notes, and a hidden file.
fn clinic_folder(root: &Path) -> PathBuf {
    let dir = root.join("clips");
    copy(&render_named("s030"), &dir.join("a/photo.jpg"));
    copy(&render_named("s151"), &dir.join("b/photo.jpg"));
    copy(&fixture("grace_hopper.jpg"), &dir.join("b/front.jpg"));
    copy(&fixture("render_s030_sway.mp4"), &dir.join("sway.mp4"));
    copy(&fixture("webcam_face.mp4"), &dir.join("webcam.mp4"));
    copy(&fixture("grace_hopper.heic"), &dir.join("phone.heic"));
    std::fs::write(dir.join("notes.txt"), "patient 12, second visit").unwrap();
    std::fs::write(dir.join(".DS_Store"), [0u8, 0, 0, 1]).unwrap();
    dir
}

/// The inputs `clinic_folder` holds, in the order a folder is searched (sorted by name).
const CLINIC_INPUTS: [&str; 5] = ["a/photo.jpg", "b/front.jpg", "b/photo.jpg", "sway.mp4", "webcam.mp4"];

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn jsonl(path: &Path) -> Vec<Value> {
    read(path).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The three tables of an output folder, which must not depend on how the run went.
fn tables(out: &Path) -> [String; 3] {
    ["frames.csv", "summary.csv", "summary.jsonl"].map(|n| read(&out.join(n)))
}

/// Read a CSV file with Python's csv module and return, per input, the number of rows and
/// of rows with used == "true", and the header (what a pandas or spreadsheet user gets).
fn python_csv(path: &Path) -> Value {
    let script = r#"
import csv, json, sys, collections
import statistics
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
per = collections.OrderedDict()
for r in rows:
    p = per.setdefault(r["input"], {"rows": 0, "used": 0, "cva": []})
    p["rows"] += 1
    p["used"] += r.get("used") == "true"
    if r.get("used") == "true" and r.get("cva_deg"):
        p["cva"].append(float(r["cva_deg"]))
for p in per.values():
    p["median_used_cva"] = statistics.median(p.pop("cva")) if p.get("cva") else None
print(json.dumps({"header": list(rows[0].keys()) if rows else [], "inputs": per}))
"#;
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_folder_is_scored_as_measure_measures_each_input() {
    let tmp = tempfile::tempdir().unwrap();
    clinic_folder(tmp.path());
    let out = run_in(tmp.path(), &["score", "clips", "--out", "scored", "--jobs", "2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("skipped clips/phone.heic: HEIF/HEIC picture (unsupported format)"),
        "{err}"
    );
    assert!(err.contains("skipped clips/notes.txt: not a picture or video"), "{err}");
    assert!(!err.contains("DS_Store"), "hidden files are ignored: {err}");

    // summary.jsonl holds, in input order, exactly what `posture measure --json` prints.
    let inputs: Vec<String> = CLINIC_INPUTS.iter().map(|i| format!("clips/{i}")).collect();
    let mut args = vec!["measure", "--json"];
    args.extend(inputs.iter().map(String::as_str));
    let measured = run_in(tmp.path(), &args);
    assert!(measured.status.success(), "{}", stderr(&measured));
    let expected = records(&measured);
    let scored = jsonl(&tmp.path().join("scored/summary.jsonl"));
    assert_eq!(expected.len(), CLINIC_INPUTS.len());
    assert_eq!(scored, expected);

    // frames.csv and summary.csv read with one call each, one row per analysed frame / input.
    let frames = python_csv(&tmp.path().join("scored/frames.csv"));
    let per_input = frames["inputs"].as_object().unwrap();
    assert_eq!(per_input.keys().cloned().collect::<Vec<_>>(), inputs);
    for record in &expected {
        let p = &per_input[record["input"].as_str().unwrap()];
        assert_eq!(p["rows"], record["quality"]["frames_total"], "{}", record["input"]);
        assert_eq!(p["used"], record["quality"]["frames_used"], "{}", record["input"]);
        // The median of the used frames' rows is the input's number (README's pandas example).
        if let Some(cva) = record["cva_deg"].as_f64() {
            let from_rows = p["median_used_cva"].as_f64().unwrap();
            assert!(
                (from_rows - cva).abs() <= 0.06,
                "{}: {from_rows} vs {cva}",
                record["input"]
            );
        }
    }
    for column in [
        "timestamp_ms",
        "yaw_off_profile_deg",
        "cva_deg",
        "nose_drop",
        "used",
        "reason",
    ] {
        assert!(
            frames["header"].as_array().unwrap().contains(&Value::from(column)),
            "{column}"
        );
    }
    let summary = python_csv(&tmp.path().join("scored/summary.csv"));
    assert_eq!(summary["inputs"].as_object().unwrap().len(), CLINIC_INPUTS.len());

    let run: Value = serde_json::from_str(&read(&tmp.path().join("scored/run.json"))).unwrap();
    assert_eq!(run["schema"], "posture-score-run/1");
    let section = readme_section("`posture score`");
    assert_every_field_named(&section, &run, &["counts"], "run.json");
    assert_every_field_named(&section, &run["skipped"][0], &[], "a skipped file in run.json");
    assert_eq!(run["counts"]["inputs_found"], 5);
    assert_eq!(run["counts"]["measured"], 5);
    assert_eq!(run["counts"]["failed"], 0);
    assert_eq!(run["counts"]["skipped"], 2);
    assert_eq!(run["provenance"]["model"]["landmark_file"], "pose_landmark_lite.onnx");
    assert!(run["wall_time_s"].as_f64().unwrap() > 0.0);
    // Frames are written only when asked.
    assert!(!tmp.path().join("scored/keyframes").exists());

    // The same command again scores nothing anew; --force scores everything again.
    let again = run_in(tmp.path(), &["score", "clips", "--out", "scored"]);
    assert!(
        stderr(&again).contains("5 measured (5 from an earlier run)"),
        "{}",
        stderr(&again)
    );
    let forced = run_in(tmp.path(), &["score", "clips", "--out", "scored", "--force"]);
    assert!(
        stderr(&forced).contains("5 measured (0 from an earlier run)"),
        "{}",
        stderr(&forced)
    );
    // Other settings are another result: nothing is reused.
    let strided = run_in(tmp.path(), &["score", "clips", "--out", "scored", "--stride", "2"]);
    assert!(
        stderr(&strided).contains("(0 from an earlier run)"),
        "{}",
        stderr(&strided)
    );
}

#[test]
fn a_run_killed_midway_and_run_again_equals_an_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let clips = clinic_folder(tmp.path());
    for id in ["s152", "s153", "s154", "s155", "s156", "s157"] {
        copy(&render_named(id), &clips.join(format!("more/{id}.jpg")));
    }
    let whole = run_in(tmp.path(), &["score", "clips", "--out", "whole", "--jobs", "2"]);
    assert!(whole.status.success(), "{}", stderr(&whole));

    // One job, largest input first: the kill lands after the first clip and before the photos.
    let mut child = Command::new(env!("CARGO_BIN_EXE_posture"))
        .current_dir(tmp.path())
        .args(["score", "clips", "--out", "killed", "--jobs", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let parts = tmp.path().join("killed/parts");
    let complete = |dir: &Path| {
        std::fs::read_dir(dir).map_or(0, |d| {
            d.flatten()
                .filter(|e| {
                    let n = e.file_name().to_string_lossy().into_owned();
                    n.ends_with(".json") && !n.starts_with('.')
                })
                .count()
        })
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    while complete(&parts) == 0 {
        assert!(Instant::now() < deadline, "no input finished in 120 s");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let kept = complete(&parts);
    assert!((1..11).contains(&kept), "killed after {kept} of 11 inputs");
    // Whatever was on disk at the kill is whole: no table yet, or complete rows.
    if let Ok(frames) = std::fs::read_to_string(tmp.path().join("killed/frames.csv")) {
        assert!(frames.ends_with('\n'));
    }

    let resumed = run_in(tmp.path(), &["score", "clips", "--out", "killed", "--jobs", "2"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(
        stderr(&resumed).contains(&format!("({kept} from an earlier run)")),
        "{}",
        stderr(&resumed)
    );
    assert_eq!(tables(&tmp.path().join("killed")), tables(&tmp.path().join("whole")));
    assert!(
        !names_in(&parts).iter().any(|n| n.ends_with(".tmp")),
        "temporary files are cleared"
    );
}

#[test]
fn two_shards_merged_equal_one_run() {
    let tmp = tempfile::tempdir().unwrap();
    clinic_folder(tmp.path());
    let one = run_in(tmp.path(), &["score", "clips", "--out", "one"]);
    assert!(one.status.success(), "{}", stderr(&one));
    for k in ["1/2", "2/2"] {
        let out = format!("shard-{}", &k[..1]);
        let shard = run_in(
            tmp.path(),
            &["score", "clips", "--out", &out, "--shard", k, "--jobs", "1"],
        );
        assert!(shard.status.success(), "{}", stderr(&shard));
    }
    // The shards are disjoint: 3 and 2 of the 5 inputs.
    let count = |d: &str| jsonl(&tmp.path().join(d).join("summary.jsonl")).len();
    assert_eq!((count("shard-1"), count("shard-2")), (3, 2));

    let lone = run_in(tmp.path(), &["score", "--merge", "shard-1", "--out", "merged"]);
    assert!(!lone.status.success());
    assert!(
        stderr(&lone).contains("cannot merge: 2 of 5 inputs have no result"),
        "{}",
        stderr(&lone)
    );
    // As if the shards had been scored by another build than the one merging them: run.json
    // names the build that scored the rows.
    for shard in ["shard-1", "shard-2"] {
        let path = tmp.path().join(shard).join("run.json");
        let mut run: Value = serde_json::from_str(&read(&path)).unwrap();
        run["version"] = "0.0.9 (commit 0000000)".into();
        std::fs::write(&path, run.to_string()).unwrap();
    }
    let merged = run_in(
        tmp.path(),
        &["score", "--merge", "shard-2", "shard-1", "--out", "merged"],
    );
    assert!(merged.status.success(), "{}", stderr(&merged));
    assert_eq!(tables(&tmp.path().join("merged")), tables(&tmp.path().join("one")));
    let run: Value = serde_json::from_str(&read(&tmp.path().join("merged/run.json"))).unwrap();
    assert_eq!(run["version"], "0.0.9 (commit 0000000)");

    // Shards of different runs (other settings) do not merge.
    let other = run_in(
        tmp.path(),
        &["score", "clips", "--out", "other", "--shard", "2/2", "--stride", "3"],
    );
    assert!(other.status.success(), "{}", stderr(&other));
    let mixed = run_in(tmp.path(), &["score", "--merge", "shard-1", "other", "--out", "mixed"]);
    assert!(!mixed.status.success());
    assert!(stderr(&mixed).contains("not shards of one run"), "{}", stderr(&mixed));
}

#[test]
fn key_frames_of_inputs_with_one_name_in_two_folders_are_two_files() {
    let tmp = tempfile::tempdir().unwrap();
    let clips = tmp.path().join("clips");
    copy(&render_named("s030"), &clips.join("a/photo.jpg"));
    copy(&render_named("s151"), &clips.join("b/photo.jpg"));
    copy(&fixture("grace_hopper.jpg"), &clips.join("c/photo.jpg"));
    let out = run_in(tmp.path(), &["score", "clips", "--out", "scored", "--keyframes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let keyframes = tmp.path().join("scored/keyframes/clips");
    assert_eq!(names_in(&keyframes.join("a")), ["photo.jpg.png"]);
    assert_eq!(names_in(&keyframes.join("b")), ["photo.jpg.png"]);
    // A front view has no angle to show.
    assert!(!keyframes.join("c").exists());
    let a = image::open(keyframes.join("a/photo.jpg.png")).unwrap().to_rgb8();
    let b = image::open(keyframes.join("b/photo.jpg.png")).unwrap().to_rgb8();
    assert_ne!(a, b);
    assert_eq!(
        a.dimensions(),
        image::open(render_named("s030")).unwrap().to_rgb8().dimensions()
    );
}

#[test]
fn a_bad_input_fails_alone_by_name_and_the_others_are_scored() {
    let tmp = tempfile::tempdir().unwrap();
    let clips = tmp.path().join("clips");
    copy(&render_named("s030"), &clips.join("photo.jpg"));
    std::fs::write(tmp.path().join("broken.mp4"), b"\0\0\0\x18ftypisom not really").unwrap();
    let out = run_in(
        tmp.path(),
        &[
            "score",
            "clips",
            "missing.jpg",
            "broken.mp4",
            "--out",
            "scored",
            "--quiet",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    let error_lines: Vec<_> = err.lines().filter(|l| l.starts_with("posture: error:")).collect();
    assert_eq!(error_lines.len(), 2, "{err}");
    assert!(
        error_lines[0].contains("missing.jpg") || error_lines[1].contains("missing.jpg"),
        "{err}"
    );
    let summary = jsonl(&tmp.path().join("scored/summary.jsonl"));
    let inputs: Vec<_> = summary.iter().map(|r| r["input"].as_str().unwrap()).collect();
    assert_eq!(inputs, ["clips/photo.jpg", "missing.jpg", "broken.mp4"]);
    assert!(summary[0]["cva_deg"].is_number());
    assert!(summary[1]["error"]
        .as_str()
        .unwrap()
        .contains("missing.jpg: no such file"));
    assert!(summary[2]["error"].is_string());
    let run: Value = serde_json::from_str(&read(&tmp.path().join("scored/run.json"))).unwrap();
    assert_eq!(
        (run["counts"]["measured"].as_u64(), run["counts"]["failed"].as_u64()),
        (Some(1), Some(2))
    );

    // An --out that is an input, or a camera, is refused before anything is written.
    let photo = clips.join("photo.jpg");
    let photo_bytes = std::fs::read(&photo).unwrap();
    let over = run_in(tmp.path(), &["score", "clips/photo.jpg", "--out", "clips/photo.jpg"]);
    assert!(!over.status.success());
    assert!(stderr(&over).contains("is the input"), "{}", stderr(&over));
    assert_eq!(std::fs::read(&photo).unwrap(), photo_bytes);
    let camera = run_in(tmp.path(), &["score", "camera:0", "--out", "cam"]);
    assert!(!camera.status.success());
    assert!(
        stderr(&camera).contains("posture measure camera:N"),
        "{}",
        stderr(&camera)
    );
    assert!(!tmp.path().join("cam").exists());
}

#[test]
fn a_clip_with_bystanders_says_so() {
    let out = posture(&["measure", "--json", fixture("sports2d_walk.mp4").to_str().unwrap()]);
    let record = &records(&out)[0];
    assert!(
        record["other_people"]["most_at_once"].as_u64().unwrap() >= 1,
        "{record}"
    );
    assert!(record["other_people"]["seconds"].as_f64().unwrap() > 1.0, "{record}");
    let text = posture(&["measure", fixture("sports2d_walk.mp4").to_str().unwrap()]);
    let line = String::from_utf8_lossy(&text.stdout);
    assert!(line.contains("subject chosen among"), "{line}");
    let alone = posture(&["measure", fixture("render_s030_sway.mp4").to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&alone.stdout).contains("chosen among"));
}

#[test]
fn a_long_clip_cut_among_two_workers_gives_what_measure_and_one_worker_give() {
    let tmp = tempfile::tempdir().unwrap();
    let clips = tmp.path().join("clips");
    std::fs::create_dir(&clips).unwrap();
    long_walk(&clips);
    // Every third frame: a third of the work, and the stride's file indices across the cut.
    let stride = 3;
    // The walk has no side reading (the exit status says so): its frames are what is compared.
    let measured = run_in(tmp.path(), &["measure", "--json", "clips/walk_x8.mp4", "--stride", "3"]);
    let expected = records(&measured);
    assert_eq!(expected.len(), 1, "{}", stderr(&measured));
    assert_eq!(
        expected[0]["quality"]["frames_total"],
        LONG_CLIP_FRAMES.div_ceil(stride)
    );

    let mut outputs = Vec::new();
    for (jobs, segmented) in [("1", 0), ("2", 1)] {
        let out_dir = format!("jobs{jobs}");
        let args = ["score", "clips", "--out", &out_dir, "--jobs", jobs, "--stride", "3"];
        let out = run_in(tmp.path(), &args);
        assert!(out.status.success(), "{}", stderr(&out));
        let out_dir = tmp.path().join(out_dir);
        let run: Value = serde_json::from_str(&read(&out_dir.join("run.json"))).unwrap();
        assert_eq!(run["counts"]["segmented"], segmented, "--jobs {jobs}");
        assert_eq!(jsonl(&out_dir.join("summary.jsonl")), expected, "--jobs {jobs}");
        outputs.push(tables(&out_dir));
    }
    assert_eq!(outputs[0], outputs[1]);
    // Frame numbers and times run on across the cut at 60 s, as the file's.
    let rows: Vec<(u64, f64)> = outputs[0][0]
        .lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[1].parse().unwrap(), cells[2].parse().unwrap())
        })
        .collect();
    assert_eq!(rows.len() as u64, LONG_CLIP_FRAMES.div_ceil(stride));
    assert!(rows.iter().enumerate().all(|(i, r)| r.0 == i as u64 * stride));
    assert!(rows.windows(2).all(|w| w[1].1 > w[0].1));
    assert!(rows.iter().any(|r| r.1 < 60_000.0) && rows.iter().any(|r| r.1 >= 60_000.0));
}

#[test]
fn summary_table_says_which_inputs_were_recorded_otherwise_than_the_baseline() {
    let tmp = tempfile::tempdir().unwrap();
    let baseline = tmp.path().join("baseline.json");
    calibrate(&fixture("webcam_face.mp4"), &baseline);
    let dir = tmp.path().join("clips");
    copy(&fixture("webcam_face.mp4"), &dir.join("webcam.mp4"));
    copy(&fixture("grace_hopper.jpg"), &dir.join("photo.jpg"));
    let out = run_in(
        tmp.path(),
        &[
            "score",
            "clips",
            "--out",
            "scored",
            "--baseline",
            baseline.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let mut table = csv::Reader::from_path(tmp.path().join("scored/summary.csv")).unwrap();
    let header = table.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (input, mismatch, class) = (column("input"), column("baseline_mismatch"), column("forward_head"));
    let rows: Vec<csv::StringRecord> = table.records().map(Result::unwrap).collect();
    let row = |name: &str| rows.iter().find(|r| &r[input] == name).unwrap().clone();
    let (photo, clip) = (row("clips/photo.jpg"), row("clips/webcam.mp4"));
    assert!(
        photo[mismatch].contains("camera moved or changed: 512x600 instead of 640x360"),
        "{:?}",
        photo
    );
    assert_eq!(&photo[class], "", "{photo:?}");
    assert_eq!(&clip[mismatch], "", "{clip:?}");
    assert_eq!(&clip[class], "normal", "{clip:?}");
}

#[test]
fn a_cut_clip_stopped_with_segments_still_queued_is_named_as_not_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let clips = tmp.path().join("clips");
    std::fs::create_dir_all(&clips).unwrap();
    // 122.7 s: three segments for two workers, so the third waits in the queue.
    looped_walk(&clips, 16);
    let out_dir = tmp.path().join("scored");
    let args = [
        "score",
        clips.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--jobs",
        "2",
    ];
    let out = interrupted(&args, "-TERM", Duration::from_secs(3));
    assert_eq!(out.status.code(), Some(143), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("walk_x16.mp4: stopped part-way, not kept"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read(&out_dir.join("summary.jsonl")), "", "nothing is kept of the clip");
}
