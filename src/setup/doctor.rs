//! `posture doctor`: what posture needs, whether it is found, where, and for each missing
//! thing the one command that fixes it.

use super::library::{read_header, Header};
use super::Platform;
use crate::pose::runtime::{self, ModelSource, RuntimeError, SessionOptions, ORT_VERSION};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Whether a thing is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    /// Needed and not usable: posture cannot run until it is fixed.
    Missing,
    /// Not there, but only some uses need it (a camera for `watch`).
    Absent,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Missing => "missing",
            Status::Absent => "absent",
        }
    }
}

/// One thing checked.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    /// What was found and where, or what is wrong.
    pub found: String,
    /// The one command (or step) that fixes it, when it is not ok.
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: &'static str, found: String) -> Check {
        Check {
            name,
            status: Status::Ok,
            found,
            fix: None,
        }
    }

    fn missing(name: &'static str, found: String, fix: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Missing,
            found,
            fix: Some(fix.into()),
        }
    }
}

/// Every check, in the order a user fixes them.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    /// True when nothing needed is missing.
    pub usable: bool,
    pub checks: Vec<Check>,
}

pub const SCHEMA: &str = "posture-doctor/1";

/// Check this machine: the platform, ONNX Runtime, FFmpeg, the models, the data folder and
/// the cameras. Loads ONNX Runtime and the models (as any command would), nothing else.
pub fn examine(models: &ModelSource) -> Report {
    let platform = Platform::current();
    let mut checks = vec![match platform {
        Ok(p) => match p.ort_wheel() {
            Ok(wheel) => Check::ok(
                "platform",
                format!(
                    "{p}; ONNX Runtime from the onnxruntime {ORT_VERSION} wheel {}",
                    wheel.platform_tag
                ),
            ),
            Err(e) => Check::missing("platform", format!("{p}"), e.to_string()),
        },
        Err(ref e) => Check::missing(
            "platform",
            e.to_string(),
            "build ONNX Runtime from its source and set ORT_DYLIB_PATH",
        ),
    }];
    let runtime_ok = match platform {
        Ok(p) => {
            let check = onnx_runtime(p, std::env::var_os("ORT_DYLIB_PATH").is_some_and(|v| !v.is_empty()));
            let ok = check.status == Status::Ok;
            checks.push(check);
            ok
        }
        Err(_) => false,
    };
    checks.push(ffmpeg());
    checks.push(model_files(models, runtime_ok));
    checks.push(data_folder(crate::monitor::log::default_path().ok().as_deref()));
    checks.push(cameras());
    Report {
        schema: SCHEMA,
        usable: checks.iter().all(|c| c.status != Status::Missing),
        checks,
    }
}

/// The library posture will load, its architecture, and whether it loads.
fn onnx_runtime(platform: Platform, from_env: bool) -> Check {
    const NAME: &str = "ONNX Runtime";
    let install = platform.install_command();
    let library = platform.runtime_library();
    let fix = || {
        if from_env {
            format!("set ORT_DYLIB_PATH to an ONNX Runtime {ORT_VERSION} {library} built for {platform}, or unset it and run {install}")
        } else {
            install.to_string()
        }
    };
    let path = match runtime::find_runtime() {
        Ok(path) => path,
        Err(e) => return Check::missing(NAME, e.to_string(), fix()),
    };
    let header = match read_header(&path) {
        Ok(Some(header)) => header,
        Ok(None) => return Check::missing(NAME, format!("{} is not a shared library", path.display()), fix()),
        Err(e) => return Check::missing(NAME, format!("cannot read {}: {e}", path.display()), fix()),
    };
    if !header.runs_on(platform) {
        return Check::missing(
            NAME,
            format!("{} is built for {header}; this machine is {platform}", path.display()),
            fix(),
        );
    }
    match runtime::init_runtime() {
        Ok(_) => Check::ok(NAME, runtime_found(&header, &path, version_of(&path).as_deref())),
        Err(e) => Check::missing(NAME, e.to_string(), fix()),
    }
}

/// The version the library reports (`OrtGetApiBase()->GetVersionString()`). Only called once
/// ort has loaded the same file, so it is ONNX Runtime.
fn version_of(path: &Path) -> Option<String> {
    // SAFETY: the library is already loaded by ort (opening it again runs no initialiser), and
    // OrtGetApiBase and GetVersionString take no arguments and return static data.
    unsafe {
        let lib = libloading::Library::new(path).ok()?;
        let get: libloading::Symbol<unsafe extern "C" fn() -> *const ort::sys::OrtApiBase> =
            lib.get(b"OrtGetApiBase").ok()?;
        let base = get();
        if base.is_null() {
            return None;
        }
        let text = ((*base).GetVersionString)();
        (!text.is_null()).then(|| std::ffi::CStr::from_ptr(text).to_string_lossy().into_owned())
    }
}

fn runtime_found(header: &Header, path: &Path, version: Option<&str>) -> String {
    let version = version.unwrap_or("version unknown");
    let tested = if version == ORT_VERSION {
        String::new()
    } else {
        format!(" (posture is tested with {ORT_VERSION})")
    };
    format!("{version}{tested}, {header}, {}", path.display())
}

/// FFmpeg's libraries are linked in: when one is missing the program does not start at all,
/// so here they are always found; their versions tell which release is used.
fn ffmpeg() -> Check {
    let v = |n: u32| format!("{}.{}.{}", n >> 16, (n >> 8) & 0xff, n & 0xff);
    Check::ok(
        "FFmpeg",
        format!(
            "libavcodec {}, libavformat {}, libavutil {}, libswscale {}",
            v(ffmpeg_next::codec::version()),
            v(ffmpeg_next::format::version()),
            v(ffmpeg_next::util::version()),
            v(ffmpeg_next::software::scaling::version())
        ),
    )
}

/// The three models, each checked against its SHA-256 (and loaded when the runtime works).
fn model_files(source: &ModelSource, runtime_ok: bool) -> Check {
    const NAME: &str = "models";
    let place = match source {
        ModelSource::Embedded => "built in".to_string(),
        ModelSource::Dir(dir) => format!("from {}", dir.display()),
    };
    let fix = match source {
        ModelSource::Embedded => "reinstall posture (cargo install --path .)",
        ModelSource::Dir(_) => "unset POSTURE_MODELS and drop --models to use the built-in models",
    };
    let names = [
        runtime::DETECTOR_FILE,
        runtime::LandmarkVariant::Lite.file_name(),
        runtime::LandmarkVariant::Full.file_name(),
    ];
    let mut sums = Vec::new();
    for name in names {
        match runtime::Model::load(source, name, SessionOptions::default()) {
            Ok(model) => sums.push(format!("{name} {}", &model.sha256()[..12])),
            // The checksum is checked before the runtime is needed: it passed.
            Err(RuntimeError::RuntimeMissing { .. } | RuntimeError::RuntimeUnusable { .. }) if !runtime_ok => {
                sums.push(format!("{name} (checksum ok, not loaded: no runtime)"))
            }
            Err(e) => return Check::missing(NAME, e.to_string(), fix),
        }
    }
    Check::ok(
        NAME,
        format!("{place}, SHA-256 as models/SHA256SUMS: {}", sums.join(", ")),
    )
}

/// The folder the session log goes to: writable, or creatable.
fn data_folder(log: Option<&Path>) -> Check {
    const NAME: &str = "data folder";
    let Some(dir) = log.and_then(Path::parent) else {
        return Check::missing(
            NAME,
            "no data folder: none of POSTURE_DATA_DIR, XDG_DATA_HOME, HOME is set".into(),
            "export POSTURE_DATA_DIR=\"$HOME/.local/share/posture\"",
        );
    };
    // The folder, or the nearest folder above it that exists (the log creates the rest).
    let existing: PathBuf = dir.ancestors().find(|a| a.is_dir()).unwrap_or(dir).to_path_buf();
    match tempfile::Builder::new().prefix(".posture-doctor").tempfile_in(&existing) {
        Ok(_) if existing == dir => Check::ok(NAME, format!("{} (writable)", dir.display())),
        Ok(_) => Check::ok(NAME, format!("{} (created at first use)", dir.display())),
        Err(e) => Check::missing(
            NAME,
            format!("{} is not writable: {e}", existing.display()),
            format!("export POSTURE_DATA_DIR=\"$HOME/.local/share/posture\" (a folder you own), or fix the permissions of {}", existing.display()),
        ),
    }
}

/// Cameras: only `watch` and `camera:N` inputs need one.
fn cameras() -> Check {
    const NAME: &str = "cameras";
    let absent = |found: String| {
        Check {
        name: NAME,
        status: Status::Absent,
        found,
        fix: Some("connect a webcam (on Linux it appears as /dev/video0; your user needs the video group) for `posture watch` and camera:N".into()),
    }
    };
    match crate::frames::list_cameras() {
        Ok(list) if list.is_empty() => absent("none found; files can still be measured".into()),
        Ok(list) => Check::ok(
            NAME,
            list.iter()
                .map(|c| format!("camera:{} {}", c.index, c.name))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Err(e) => absent(format!("{e}; files can still be measured")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runtime_of_another_version_is_said_to_be_untested() {
        let header = super::super::library::parse_header(&super::super::library::sample_header(
            super::super::library::Format::Elf,
            super::super::Arch::X86_64,
        ))
        .unwrap();
        let found = runtime_found(&header, Path::new("/lib/x.so"), Some("1.32.0"));
        assert_eq!(found, "1.32.0 (posture is tested with 1.31.1), x86_64 ELF, /lib/x.so");
        let found = runtime_found(&header, Path::new("/lib/x.so"), Some("1.31.1"));
        assert_eq!(found, "1.31.1, x86_64 ELF, /lib/x.so");
    }

    #[test]
    fn a_data_folder_not_yet_made_is_fine_where_it_can_be_made() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("a/b/posture.sqlite");
        let check = data_folder(Some(&log));
        assert_eq!(check.status, Status::Ok, "{check:?}");
        assert!(check.found.contains("created at first use"), "{check:?}");
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        assert!(data_folder(Some(&log)).found.ends_with("(writable)"));
        assert!(
            !dir.path().join("a/b").read_dir().unwrap().any(|_| true),
            "the probe is removed"
        );
        assert_eq!(data_folder(None).status, Status::Missing);
    }

    #[test]
    fn a_corrupt_model_folder_is_missing_with_its_fix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(runtime::DETECTOR_FILE), b"not a model").unwrap();
        let check = model_files(&ModelSource::Dir(dir.path().to_path_buf()), false);
        assert_eq!(check.status, Status::Missing);
        assert!(check.found.contains("corrupt"), "{check:?}");
        assert!(check.fix.unwrap().contains("POSTURE_MODELS"));
    }
}
