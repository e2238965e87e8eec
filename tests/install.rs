//! The binary as it is installed: its licence files.

use std::path::{Path, PathBuf};

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
