//! The binary as it is installed: its licence files, and a version that names the commit it
//! was built from.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

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
