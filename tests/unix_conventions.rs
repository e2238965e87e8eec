//! The command line as a Unix tool: `-o -` is standard output and `-` standard input, a reader
//! that stops early (`posture landmarks clip.mp4 | head -1`) ends the run quietly with status 0,
//! `--quiet`/`--verbose` on every command, distinct exit statuses, versioned JSON records whose
//! every field the README names.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

#[test]
fn a_dash_output_writes_to_standard_output_and_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let photo = fixture("grace_hopper.jpg");
    let photo = photo.to_str().unwrap();
    let plain = run_in(dir.path(), &["measure", "--json", photo]);
    assert!(plain.status.success(), "{}", stderr(&plain));
    let cases: [&[&str]; 4] = [
        &["measure", "--json", "-o", "-", photo],
        &["measure", "--json", "--output", "-", photo],
        &["landmarks", "-o", "-", photo],
        &["landmarks", "--output", "-", photo],
    ];
    for args in cases {
        let out = run_in(dir.path(), args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        if args[0] == "measure" {
            assert_eq!(records(&out).len(), 1, "{args:?}");
            assert_eq!(out.stdout, plain.stdout, "{args:?}");
        } else {
            let lines = frame_records(&out);
            assert_eq!(lines.len(), 1, "{args:?}");
            assert!(lines[0]["pose"]["landmarks"].is_array(), "{args:?}");
        }
        assert!(
            names_in(dir.path()).is_empty(),
            "{args:?} left {:?}",
            names_in(dir.path())
        );
    }
}

/// Run posture with its standard output read by a reader that takes one line and goes away.
fn read_one_line_and_close(args: &[&str]) -> (String, Output) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_posture"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the posture binary runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader (and with it the pipe's only read end) is dropped here.
    (first, child.wait_with_output().unwrap())
}

fn assert_ended_quietly(args: &[&str], first: &str, out: &Output) {
    assert!(!first.is_empty(), "{args:?}: no first line; {}", stderr(out));
    serde_json::from_str::<serde_json::Value>(first).expect("the first line is whole JSON");
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    for noise in ["error", "Broken pipe", "panicked"] {
        assert!(!err.contains(noise), "{args:?} said {noise:?}: {err}");
    }
}

#[test]
fn landmarks_into_a_pipe_closed_after_one_line_end_quietly_with_status_0() {
    let clip = fixture("lab_cam01_h264.mp4");
    let args = ["landmarks", clip.to_str().unwrap()];
    let (first, out) = read_one_line_and_close(&args);
    assert_ended_quietly(&args, &first, &out);
}

#[test]
fn measure_into_a_pipe_closed_after_one_line_ends_quietly_with_status_0() {
    let (a, b) = (fixture("grace_hopper.jpg"), fixture("astronaut.png"));
    let args = [
        "measure",
        "--json",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        a.to_str().unwrap(),
    ];
    let (first, out) = read_one_line_and_close(&args);
    assert_ended_quietly(&args, &first, &out);
}

/// Run posture with `input`'s bytes on its standard input.
fn with_stdin(args: &[&str], input: &std::path::Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_posture"))
        .args(args)
        .env("POSTURE_DATA_DIR", test_data_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the posture binary runs");
    let bytes = std::fs::read(input).unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &bytes));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().expect("posture read all of standard input");
    out
}

/// `record` with its input's name replaced, to compare a run on `-` with one on the file.
fn named(mut record: serde_json::Value, key: &str, name: &str) -> serde_json::Value {
    record[key] = name.into();
    record
}

#[test]
fn a_dash_input_reads_a_picture_or_a_video_from_standard_input() {
    let render = fixture("renders/s030_side_seated_male_heavy_fhp-moderate_R_yawm5_level.jpg");
    let clip = fixture("lab_cam01_h264.mp4");
    for (input, args) in [
        (&render, &["measure", "--json"][..]),
        (&clip, &["measure", "--json", "--duration", "1"][..]),
    ] {
        let path = input.to_str().unwrap();
        let from_file = posture(&[args, &[path]].concat());
        let from_stdin = with_stdin(&[args, &["-"]].concat(), input);
        assert_eq!(
            from_stdin.status.code(),
            from_file.status.code(),
            "{}",
            stderr(&from_stdin)
        );
        let (a, b) = (records(&from_file), records(&from_stdin));
        assert_eq!(b.len(), 1, "{}", stderr(&from_stdin));
        assert_eq!(b[0]["input"], "-");
        assert_eq!(named(a[0].clone(), "input", "-"), b[0], "{path}");
    }
    let from_file = posture(&["landmarks", "--duration", "0.5", clip.to_str().unwrap()]);
    let from_stdin = with_stdin(&["landmarks", "--duration", "0.5", "-"], &clip);
    assert!(from_stdin.status.success(), "{}", stderr(&from_stdin));
    let (a, b) = (frame_records(&from_file), frame_records(&from_stdin));
    assert!(!b.is_empty());
    let a: Vec<_> = a.into_iter().map(|r| named(r, "source", "-")).collect();
    assert_eq!(a, b);
    assert!(stderr(&from_stdin).contains("posture: -: "), "{}", stderr(&from_stdin));
}

#[test]
fn a_bad_or_repeated_dash_input_is_one_clear_line() {
    let junk = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(junk.path(), b"these bytes are no picture").unwrap();
    let out = with_stdin(&["measure", "-"], junk.path());
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("posture: error: -: unsupported format"), "{err}");
    assert!(!err.contains("posture-stdin"), "the temporary copy is not named: {err}");
    let out = with_stdin(&["landmarks", "-", "-"], junk.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("can be read once"), "{}", stderr(&out));
    let dir = tempfile::tempdir().unwrap();
    let out = with_stdin(&["score", "-", "--out", dir.path().to_str().unwrap()], junk.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("posture measure -"), "{}", stderr(&out));
}

/// The subcommands `posture --help` lists.
fn subcommands() -> Vec<String> {
    let help = String::from_utf8(posture(&["--help"]).stdout).unwrap();
    let commands = help
        .split("Commands:")
        .nth(1)
        .and_then(|rest| rest.split("Options:").next())
        .expect("posture --help lists its commands")
        .to_string();
    commands
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn quiet_and_verbose_are_flags_of_every_command() {
    let commands = subcommands();
    assert!(
        commands.len() >= 7 && commands.contains(&"doctor".to_string()),
        "{commands:?}"
    );
    for command in &commands {
        let help = String::from_utf8(posture(&[command, "--help"]).stdout).unwrap();
        for flag in ["-q, --quiet", "-v, --verbose"] {
            assert!(help.contains(flag), "posture {command} --help has no {flag}");
        }
    }
    let photo = fixture("grace_hopper.jpg");
    let photo = photo.to_str().unwrap();
    let plain = posture(&["measure", "--json", photo]);
    let quiet = posture(&["measure", "--json", "--quiet", photo]);
    let verbose = posture(&["--verbose", "measure", "--json", photo]);
    assert!(stderr(&plain).contains("1 frame(s)"), "{}", stderr(&plain));
    assert_eq!(stderr(&quiet), "", "--quiet leaves only errors");
    let said = stderr(&verbose);
    assert!(
        said.contains("ONNX Runtime /") && said.contains("pose_detection.onnx"),
        "{said}"
    );
    assert_eq!(plain.stdout, quiet.stdout);
    assert_eq!(plain.stdout, verbose.stdout);
    let both = posture(&["measure", "-q", "-v", photo]);
    assert_eq!(
        both.status.code(),
        Some(2),
        "--quiet and --verbose together are a usage error"
    );
    // Errors still show with --quiet.
    let missing = posture(&["landmarks", "-q", "/nonexistent/clip.mp4"]);
    assert!(stderr(&missing).contains("no such file"), "{}", stderr(&missing));
}

#[test]
fn an_input_read_without_a_measurement_exits_3_and_an_unreadable_one_1() {
    let nobody = fixture("no_person.jpg");
    let nobody = nobody.to_str().unwrap();
    let photo = fixture("grace_hopper.jpg");
    let photo = photo.to_str().unwrap();
    for args in [
        &["measure", nobody][..],
        &["measure", "--json", photo, nobody],
        &["landmarks", nobody],
    ] {
        let out = posture(args);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("no person in view"), "{args:?}: {}", stderr(&out));
    }
    for args in [
        &["measure", nobody, "/nonexistent.jpg"][..],
        &["landmarks", "/nonexistent.jpg", nobody],
    ] {
        let out = posture(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
    }
    let out = posture(&["measure", photo]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn every_json_record_has_a_schema_and_the_readme_names_each_field() {
    let render = fixture("renders/s030_side_seated_male_heavy_fhp-moderate_R_yawm5_level.jpg");
    let out = posture(&["measure", "--json", render.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let record = &records(&out)[0];
    assert_eq!(record["schema"], "posture-measure/1");
    // The fields there before the schema was added are all still there.
    for key in [
        "input",
        "view",
        "cva_deg",
        "shoulder_angle_deg",
        "head_tilt_deg",
        "classification",
        "reason",
        "shoulder_angle_reason",
        "quality",
        "ci95",
        "class_shares",
        "front_signals",
        "change_from_baseline",
        "other_people",
        "interrupted",
        "provenance",
    ] {
        assert!(record.get(key).is_some(), "measure --json lost {key}");
    }
    let section = readme_section("`posture measure`");
    let nested = [
        "classification",
        "quality",
        "other_people",
        "provenance",
        "provenance.model",
    ];
    assert_every_field_named(&section, record, &nested, "measure --json");

    let out = posture(&["landmarks", render.to_str().unwrap()]);
    let header = &records(&out)[0];
    let frame = &frame_records(&out)[0];
    let section = readme_section("`posture landmarks`");
    assert_every_field_named(&section, header, &["run", "run.settings"], "the landmarks header");
    assert_every_field_named(&section, frame, &["pose", "pose.roi"], "a landmarks frame");
    // A side-view photo is read twice and says so.
    assert_eq!(frame["pose"]["read_mirrored"], true, "{frame}");
    assert_every_field_named(&section, &frame["pose"]["landmarks"][0], &[], "a landmark");
    assert_every_field_named(&section, &frame["pose"]["world_landmarks"][0], &[], "a world landmark");

    let out = posture(&["doctor", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "posture-doctor/1");
    let section = readme_section("Installing elsewhere");
    assert_every_field_named(&section, &report, &[], "doctor --json");
    assert_every_field_named(&section, &report["checks"][0], &[], "a doctor check");
}
