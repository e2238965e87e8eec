//! The command line as a Unix tool: `-o -` is standard output, and a reader that stops early
//! (`posture landmarks clip.mp4 | head -1`) ends the run quietly with status 0.

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
        let lines = records(&out);
        assert_eq!(lines.len(), 1, "{args:?}");
        if args[0] == "measure" {
            assert_eq!(out.stdout, plain.stdout, "{args:?}");
        } else {
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
