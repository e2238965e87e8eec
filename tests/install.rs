//! The binary as it is installed: its licence files, running from wherever it is copied with
//! the models built in, and a version that names the commit it was built from.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const DEMO_RENDER: &str = "renders/s030_side_seated_male_heavy_fhp-moderate_R_yawm5_level.jpg";

fn repo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

#[test]
fn the_licence_files_match_the_licence_cargo_declares() {
    let manifest = std::fs::read_to_string(repo_file("Cargo.toml")).unwrap();
    assert!(
        manifest.lines().any(|l| l.trim() == r#"license = "MIT OR Apache-2.0""#),
        "Cargo.toml no longer declares MIT OR Apache-2.0: update LICENSE-* and this test"
    );
    let mit = std::fs::read_to_string(repo_file("LICENSE-MIT")).expect("LICENSE-MIT");
    assert!(mit.starts_with("MIT License") && mit.contains("Permission is hereby granted, free of charge"));
    let apache = std::fs::read_to_string(repo_file("LICENSE-APACHE")).expect("LICENSE-APACHE");
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0, January 2004"));
    assert!(
        apache.contains("END OF TERMS AND CONDITIONS"),
        "LICENSE-APACHE is cut short"
    );
    let readme = std::fs::read_to_string(repo_file("README.md")).unwrap();
    let licence = readme
        .split("\n## ")
        .find(|s| s.starts_with("Licence"))
        .expect("README has a Licence section");
    for named in ["LICENSE-MIT", "LICENSE-APACHE", "models/LICENSE"] {
        assert!(
            licence.contains(named),
            "README's Licence section does not name {named}"
        );
    }
}

/// The ONNX Runtime library the tests use, for a process whose HOME is elsewhere.
fn runtime_library() -> PathBuf {
    std::env::var_os("ORT_DYLIB_PATH")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(posture::pose::runtime::default_runtime_path)
        .expect("ONNX Runtime is installed")
}

/// A copy of the built binary in a folder of its own, as `cp` or an installer leaves it.
fn moved_binary(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir(&bin).unwrap();
    let moved = bin.join("posture");
    // Copied by another process: a file this process had open for writing can be inherited by
    // a child that another test thread forks at that moment, and executing it then fails
    // with "Text file busy" (ETXTBSY) until that child has exec'd.
    let copied = Command::new("cp")
        .arg(env!("CARGO_BIN_EXE_posture"))
        .arg(&moved)
        .status()
        .expect("cp runs");
    assert!(copied.success(), "cp failed");
    moved
}

/// Run `binary` in `cwd` with nothing from the build's environment: a fresh HOME, no
/// POSTURE_MODELS, ONNX Runtime named by ORT_DYLIB_PATH.
fn run_elsewhere(binary: &Path, cwd: &Path, home: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(binary);
    cmd.current_dir(cwd)
        .args(args)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", home)
        .env("ORT_DYLIB_PATH", runtime_library());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the moved binary runs")
}

#[test]
fn a_copied_binary_measures_from_any_folder_as_the_clone_does() {
    let (install, work, home) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let binary = moved_binary(install.path());
    std::fs::copy(fixture(DEMO_RENDER), work.path().join("side.jpg")).unwrap();
    let models = repo_file("models");
    for model in ["lite", "full"] {
        let args = ["measure", "--json", "--model", model, "side.jpg"];
        // The clone's binary reading the model files on disk...
        let from_files = run_elsewhere(
            Path::new(env!("CARGO_BIN_EXE_posture")),
            work.path(),
            home.path(),
            &args,
            &[("POSTURE_MODELS", &models)],
        );
        // ...and a copy elsewhere, told nothing about the clone.
        let moved = run_elsewhere(&binary, work.path(), home.path(), &args, &[]);
        assert!(from_files.status.success(), "{}", stderr(&from_files));
        assert!(moved.status.success(), "{model}: {}", stderr(&moved));
        let (a, b) = (records(&from_files), records(&moved));
        assert_eq!(a.len(), 1);
        assert_eq!(a, b, "{model}: the moved binary reads differently");
        assert!(b[0]["cva_deg"].is_number(), "{}", b[0]);
        let sums = std::fs::read_to_string(models.join("SHA256SUMS")).unwrap();
        let model = &b[0]["provenance"]["model"];
        for key in ["landmark_sha256", "mask_sha256", "detector_sha256"] {
            let sum = model[key].as_str().unwrap();
            assert!(sums.contains(sum), "{key} {sum} is not a shipped model's");
        }
    }
}

#[test]
fn a_copied_binary_still_takes_its_models_from_posture_models() {
    let (install, work, home) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let binary = moved_binary(install.path());
    let empty = work.path().join("no-models");
    std::fs::create_dir(&empty).unwrap();
    let photo = fixture(DEMO_RENDER);
    let args = ["measure", "--json", photo.to_str().unwrap()];
    let out = run_elsewhere(&binary, work.path(), home.path(), &args, &[("POSTURE_MODELS", &empty)]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("no-models") && err.contains("pose_detection.onnx"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let mut with_flag = args.to_vec();
    with_flag.extend(["--models", empty.to_str().unwrap()]);
    let out = run_elsewhere(&binary, work.path(), home.path(), &with_flag, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("no-models"), "{}", stderr(&out));
}

#[test]
fn version_names_the_package_version_and_the_commit() {
    let out = posture(&["--version"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let expected_start = format!("posture {} (commit ", env!("CARGO_PKG_VERSION"));
    let commit = text
        .trim_end()
        .strip_prefix(&expected_start)
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("--version printed {text:?}"));
    let looks_like_commit = (7..=40).contains(&commit.len()) && commit.bytes().all(|b| b.is_ascii_hexdigit());
    assert!(looks_like_commit || commit == "unknown", "{commit:?}");
    // Built from its own git checkout, it must be that checkout's commit.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let git = Command::new("git")
        .arg("-C")
        .arg(manifest)
        .args(["rev-parse", "--show-toplevel", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    let own_head = git
        .as_deref()
        .and_then(|text| match text.lines().collect::<Vec<_>>()[..] {
            [top, head] if Path::new(top).canonicalize().ok() == manifest.canonicalize().ok() => Some(head.to_owned()),
            _ => None,
        });
    if let Some(head) = own_head {
        assert!(head.starts_with(commit), "built from {commit}, checkout at {head}");
    }
}
