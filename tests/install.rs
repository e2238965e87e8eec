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
fn cargo_install_into_a_temporary_root_gives_a_posture_that_measures_from_any_folder() {
    let (root, work, home) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    // The build folder these tests were built in: cargo install then reuses what it holds
    // (the same release build), instead of building everything again in a folder of its own.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target/tmp");
    let installed = Command::new(env!("CARGO"))
        .args(["install", "--quiet", "--locked", "--offline", "--path"])
        .arg(env!("CARGO_MANIFEST_DIR"))
        .arg("--root")
        .arg(root.path())
        .env("CARGO_TARGET_DIR", target)
        .output()
        .expect("cargo runs");
    assert!(installed.status.success(), "cargo install: {}", stderr(&installed));
    let binary = root.path().join("bin").join("posture");
    std::fs::copy(fixture(DEMO_RENDER), work.path().join("side.jpg")).unwrap();
    let args = ["measure", "--json", "side.jpg"];
    let clone = run_elsewhere(
        Path::new(env!("CARGO_BIN_EXE_posture")),
        work.path(),
        home.path(),
        &args,
        &[],
    );
    let out = run_elsewhere(&binary, work.path(), home.path(), &args, &[]);
    assert!(out.status.success(), "the installed posture: {}", stderr(&out));
    assert_eq!(records(&out), records(&clone));
    assert!(records(&out)[0]["cva_deg"].is_number());
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

/// Run `bash SCRIPT ARGS` from the clone with `env` added.
fn script(name: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("bash");
    cmd.arg(repo_file(name)).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("bash runs")
}

#[test]
fn the_install_script_picks_the_wheel_the_table_gives_for_every_platform() {
    use posture::setup::Platform;
    let machines = [
        ("Linux", "x86_64"),
        ("Linux", "aarch64"),
        ("Linux", "arm64"),
        ("Darwin", "arm64"),
        ("Darwin", "x86_64"),
        ("FreeBSD", "amd64"),
        ("Linux", "riscv64"),
    ];
    for (os, arch) in machines {
        let out = script(
            "scripts/install-onnxruntime.sh",
            &["--print-wheel"],
            &[("POSTURE_UNAME_S", os), ("POSTURE_UNAME_M", arch)],
        );
        let expected = Platform::parse(os, arch).and_then(Platform::ort_wheel);
        match expected {
            Ok(wheel) => {
                assert!(out.status.success(), "{os} {arch}: {}", stderr(&out));
                let printed = String::from_utf8(out.stdout).unwrap();
                assert_eq!(
                    printed.trim(),
                    format!("{} {}", wheel.platform_tag, wheel.library),
                    "{os} {arch}"
                );
            }
            Err(e) => {
                assert_eq!(out.status.code(), Some(1), "{os} {arch}: no wheel, yet it succeeded");
                let err = stderr(&out);
                assert!(err.contains("ORT_DYLIB_PATH"), "{os} {arch}: {err} (doctor says: {e})");
            }
        }
    }
    let windows = script(
        "scripts/install-onnxruntime.sh",
        &["--print-wheel"],
        &[("POSTURE_UNAME_S", "MINGW64_NT-10.0")],
    );
    assert!(
        stderr(&windows).contains("install-onnxruntime.ps1"),
        "{}",
        stderr(&windows)
    );
}

#[test]
fn the_three_installers_read_the_one_table_and_the_version_posture_loads() {
    let version = posture::pose::runtime::ORT_VERSION;
    for name in ["scripts/install-onnxruntime.sh", "scripts/install-onnxruntime.ps1"] {
        let text = std::fs::read_to_string(repo_file(name)).unwrap();
        assert!(
            text.contains("onnxruntime-wheels.tsv"),
            "{name} does not read the table"
        );
        assert!(
            text.contains(&format!("\nversion={version}\n")) || text.contains(&format!("\n$version = \"{version}\"\n")),
            "{name} installs another version than {version}"
        );
    }
    let table = std::fs::read_to_string(repo_file("scripts/onnxruntime-wheels.tsv")).unwrap();
    assert!(table
        .lines()
        .filter(|l| l.starts_with("windows\t"))
        .all(|l| l.ends_with("\tonnxruntime.dll")));
}

/// A wheel holding only `library` with `header` as its bytes (python3 is what the install
/// script unpacks wheels with).
fn fake_wheel(dir: &Path, name: &str, library: &str, header: &[u8]) -> PathBuf {
    let bytes = dir.join(format!("{name}.bin"));
    std::fs::write(&bytes, header).unwrap();
    let wheel = dir.join(format!("{name}.whl"));
    let status = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], 'w') as z: z.write(sys.argv[2], 'onnxruntime/capi/' + sys.argv[3])",
        ])
        .arg(&wheel)
        .arg(&bytes)
        .arg(library)
        .status()
        .expect("python3 runs");
    assert!(status.success());
    wheel
}

#[test]
fn a_runtime_of_the_wrong_architecture_is_replaced_not_kept() {
    use posture::setup::library::{parse_header, sample_header, Format};
    use posture::setup::{Arch, Platform};
    let here = Platform::current().unwrap();
    let other = if here.arch == Arch::X86_64 {
        Arch::Aarch64
    } else {
        Arch::X86_64
    };
    let library = here.ort_wheel().unwrap().library;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let installed = data.join(format!(
        "posture/onnxruntime-{}/{library}",
        posture::pose::runtime::ORT_VERSION
    ));
    std::fs::create_dir_all(installed.parent().unwrap()).unwrap();
    std::fs::write(&installed, sample_header(Format::Elf, other)).unwrap();
    let right = fake_wheel(dir.path(), "right", library, &sample_header(Format::Elf, here.arch));
    let wrong = fake_wheel(dir.path(), "wrong", library, &sample_header(Format::Elf, other));
    let data_env = data.to_str().unwrap();
    let install = |wheel: &Path| {
        script(
            "scripts/install-onnxruntime.sh",
            &[],
            &[
                ("XDG_DATA_HOME", data_env),
                ("POSTURE_ORT_WHEEL", wheel.to_str().unwrap()),
            ],
        )
    };
    // A wheel of the wrong architecture installs nothing, and says so.
    let out = install(&wrong);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nothing installed"), "{}", stderr(&out));
    // The wrong library found in place is replaced...
    let out = install(&right);
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("built for linux-{}", other.as_str())) && said.contains("replacing it"),
        "{said}"
    );
    let header = parse_header(&std::fs::read(&installed).unwrap()).unwrap();
    assert!(header.runs_on(here), "{header}");
    // ...and then kept.
    let out = install(&right);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("already installed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_bash_installer_puts_each_platforms_library_where_that_platforms_posture_looks() {
    use posture::pose::platform::{wheel_table, Os, Platform};
    use posture::pose::runtime::installed_runtime_path;
    use posture::setup::library::{sample_header, Format};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut served = 0;
    for (os, arch, wheel) in wheel_table().filter(|(os, _, _)| *os != Os::Windows) {
        let format = if os == Os::Macos { Format::MachO } else { Format::Elf };
        let name = format!("{}-{}", os.as_str(), arch.as_str());
        let fake = fake_wheel(dir.path(), &name, wheel.library, &sample_header(format, arch));
        let out = script(
            "scripts/install-onnxruntime.sh",
            &[],
            &[
                ("POSTURE_UNAME_S", if os == Os::Macos { "Darwin" } else { "Linux" }),
                ("POSTURE_UNAME_M", arch.as_str()),
                ("XDG_DATA_HOME", data.to_str().unwrap()),
                ("POSTURE_ORT_WHEEL", fake.to_str().unwrap()),
            ],
        );
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            !said.contains("ORT_DYLIB_PATH"),
            "{name}: nothing more to set, yet: {said}"
        );
        let looked_at = installed_runtime_path(Platform { os, arch }, |var| {
            (var == "XDG_DATA_HOME").then(|| data.clone().into_os_string())
        })
        .unwrap();
        assert!(looked_at.is_file(), "{name}: posture looks at {looked_at:?}; {said}");
        assert_eq!(
            std::fs::read(&looked_at).unwrap(),
            sample_header(format, arch),
            "{name}"
        );
        std::fs::remove_file(&looked_at).unwrap();
        served += 1;
    }
    assert_eq!(served, 3, "Linux x86_64 and aarch64, macOS arm64");
}

#[test]
fn missing_debian_packages_without_sudo_print_the_command_for_root() {
    // A PATH with what the script needs, no sudo, and an `id` that says "not root".
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for tool in ["dpkg-query", "grep"] {
        let found = Command::new("bash")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .unwrap();
        let path = String::from_utf8(found.stdout).unwrap();
        std::os::unix::fs::symlink(path.trim(), bin.join(tool)).unwrap();
    }
    std::fs::write(bin.join("id"), "#!/bin/sh\necho 1000\n").unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(bin.join("id"))
        .status()
        .unwrap();
    let out = Command::new("/bin/bash")
        .arg(repo_file("scripts/install-deps.sh"))
        .env("PATH", &bin)
        .env("POSTURE_EXTRA_PACKAGES", "posture-test-no-such-package")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("sudo is not here"), "{err}");
    assert!(
        err.contains("apt-get update && apt-get install -y --no-install-recommends posture-test-no-such-package"),
        "{err}"
    );
    assert!(!err.contains("command not found"), "{err}");
}

#[test]
fn doctor_finds_everything_this_machine_has() {
    let out = posture(&["doctor"]);
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(out.status.code(), Some(0), "{text}{}", stderr(&out));
    let line = |name: &str| {
        text.lines()
            .find(|l| l.get(9..).is_some_and(|rest| rest.starts_with(name)))
            .unwrap_or_else(|| panic!("no {name} line: {text}"))
            .to_string()
    };
    let runtime = line("ONNX Runtime");
    assert!(runtime.starts_with("ok"), "{runtime}");
    assert!(
        runtime.contains(&format!(" {}, x86_64 ELF, /", posture::pose::runtime::ORT_VERSION))
            || !cfg!(target_arch = "x86_64"),
        "{runtime}"
    );
    let models = line("models");
    let sums = std::fs::read_to_string(repo_file("models/SHA256SUMS")).unwrap();
    for (name, hash) in models
        .split(": ")
        .nth(1)
        .unwrap()
        .split(", ")
        .map(|m| m.split_once(' ').unwrap())
    {
        assert!(
            sums.lines().any(|l| l.starts_with(hash) && l.ends_with(name)),
            "{name} {hash}"
        );
    }
    assert!(line("FFmpeg").contains("libavcodec"), "{text}");
    assert!(line("data folder").starts_with("ok"), "{text}");
    // No webcam here: absent, with what to do, and not a failure.
    assert!(text.contains("cameras"), "{text}");
    assert!(text.trim_end().ends_with("posture can run here"), "{text}");
}

#[test]
fn doctor_names_a_bogus_or_foreign_runtime_and_fails_with_the_fix() {
    use posture::setup::library::{sample_header, Format};
    use posture::setup::Arch;
    let dir = tempfile::tempdir().unwrap();
    let foreign_arch = if cfg!(target_arch = "x86_64") {
        Arch::Aarch64
    } else {
        Arch::X86_64
    };
    let foreign = dir.path().join("libonnxruntime.so.1.31.1");
    std::fs::write(&foreign, sample_header(Format::Elf, foreign_arch)).unwrap();
    let bogus = dir.path().join("bogus.so");
    std::fs::write(&bogus, b"not a library at all").unwrap();
    let cases = [
        (foreign.clone(), format!("is built for {} ELF", foreign_arch.as_str())),
        (bogus.clone(), "is not a shared library".to_string()),
        (dir.path().join("absent.so"), "not found".to_string()),
    ];
    for (path, said) in cases {
        let out = posture_env(&["doctor"], &[("ORT_DYLIB_PATH", path.to_str().unwrap())]);
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(1), "{text}");
        let runtime = text.lines().find(|l| l.contains("ONNX Runtime  ")).unwrap();
        assert!(runtime.starts_with("missing") && runtime.contains(&said), "{runtime}");
        assert!(
            text.contains("fix: set ORT_DYLIB_PATH to an ONNX Runtime 1.31.1"),
            "{text}"
        );
        assert!(text.contains("bash scripts/install-onnxruntime.sh"), "{text}");
        assert!(text.contains("posture cannot run here"), "{text}");
        // The models are still checked: their checksums do not need the runtime.
        assert!(
            text.lines().any(|l| l.starts_with("ok") && l.contains("models")),
            "{text}"
        );
    }
    // The same in JSON.
    let out = posture_env(&["doctor", "--json"], &[("ORT_DYLIB_PATH", foreign.to_str().unwrap())]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["usable"], false);
    assert_eq!(report["checks"][1]["status"], "missing");
}

#[test]
fn the_debian_package_installs_files_that_exist() {
    let manifest = std::fs::read_to_string(repo_file("Cargo.toml")).unwrap();
    let section = manifest
        .split("[package.metadata.deb]")
        .nth(1)
        .expect("Cargo.toml has [package.metadata.deb]")
        .split("\n[")
        .next()
        .unwrap();
    let sources: Vec<&str> = section
        .lines()
        .filter_map(|l| l.trim().strip_prefix("[\""))
        .filter_map(|l| l.split('"').next())
        .collect();
    for needed in [
        "target/release/posture",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "models/LICENSE",
    ] {
        assert!(sources.contains(&needed), "the package does not install {needed}");
    }
    for source in &sources {
        if *source == "target/release/posture" {
            continue; // built by `cargo deb` itself
        }
        assert!(
            repo_file(source).is_file(),
            "{source} named in the deb assets does not exist"
        );
    }
    assert!(
        section.contains("depends = \"$auto"),
        "the FFmpeg libraries come from dpkg-shlibdeps"
    );
}

#[test]
fn the_image_installs_the_runtime_the_table_names_with_the_binary_and_its_licences() {
    use posture::pose::platform::{Arch, Os, Platform};
    let dockerfile = std::fs::read_to_string(repo_file("deploy/Dockerfile")).unwrap();
    let stages: Vec<&str> = dockerfile.split("\nFROM ").skip(1).collect();
    assert_eq!(stages.len(), 2, "a build stage and the image");
    let (build, image) = (stages[0], stages[1]);
    assert!(image.starts_with("debian:") && image.lines().next().unwrap().ends_with("-slim"));
    assert!(build.contains("bash scripts/install-deps.sh") && build.contains("bash scripts/install-onnxruntime.sh"));
    assert!(build.contains("cargo build --release --locked"));
    // The library the build's installer writes is the one the image copies and points at.
    let library = Platform {
        os: Os::Linux,
        arch: Arch::X86_64,
    }
    .runtime_library();
    let version = posture::pose::runtime::ORT_VERSION;
    let installed = format!("/opt/share/posture/onnxruntime-{version}/{library}");
    assert!(
        image.contains(&format!("COPY --from=build {installed} /usr/local/lib/posture/")),
        "the image does not copy {installed}"
    );
    assert!(image.contains(&format!("ORT_DYLIB_PATH=/usr/local/lib/posture/{library}")));
    assert!(image.contains("COPY --from=build /src/target/release/posture /usr/local/bin/posture"));
    for licence in ["/src/LICENSE-MIT", "/src/LICENSE-APACHE", "/src/models/"] {
        assert!(image.contains(licence), "the image lacks {licence}");
    }
    assert!(repo_file("models/LICENSE").is_file());
    let ignored = std::fs::read_to_string(repo_file("deploy/Dockerfile.dockerignore")).unwrap();
    assert!(!ignored
        .lines()
        .any(|l| l.starts_with("LICENSE") || l.starts_with("models")));
}
