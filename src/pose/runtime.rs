//! ONNX Runtime: finding the shared library, loading model files, running a model.
//!
//! `ort` is built with `load-dynamic`: the library is not linked in but opened at run time,
//! because ort's default build would download a binary, which cannot work offline. The library
//! comes from the `onnxruntime` 1.31.1 Python wheel for the platform ([`super::platform`]),
//! unpacked by `scripts/install-onnxruntime.sh` (or `.ps1` on Windows) into
//! [`default_runtime_path`].

use super::platform::{Os, Platform};
use sha2::{Digest, Sha256};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The ONNX Runtime release the project is built and tested against.
pub const ORT_VERSION: &str = "1.31.1";

/// SHA-256 of every shipped model, so a corrupt or swapped file is refused by name.
const MODEL_SUMS: &str = include_str!("../../models/SHA256SUMS");

#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("ONNX Runtime {ORT_VERSION} not found (looked in: {looked}); install it with `{install}`, or set ORT_DYLIB_PATH to a {library}")]
    RuntimeMissing {
        looked: String,
        library: &'static str,
        install: &'static str,
    },
    #[error("ONNX Runtime at {path} cannot be used: {detail}; reinstall it with `{install}`")]
    RuntimeUnusable {
        path: PathBuf,
        detail: String,
        install: &'static str,
    },
    #[error("model file {path} is missing; restore the models/ folder (git checkout models/) or pass --models DIR")]
    ModelMissing { path: PathBuf },
    #[error("model file {path} is corrupt or not the shipped model (SHA-256 {actual}, expected {expected}); restore it with `git checkout models/`")]
    ModelCorrupt {
        path: PathBuf,
        actual: String,
        expected: String,
    },
    #[error("model file {path}: {detail}")]
    ModelUnusable { path: PathBuf, detail: String },
    #[error("model {path} failed while running: {detail}")]
    Inference { path: PathBuf, detail: String },
}

/// The library's file name and the command that installs it, on the platform this runs on.
/// On a platform the table does not know, only ORT_DYLIB_PATH can name the library.
fn runtime_for_here() -> (Option<&'static str>, &'static str) {
    match Platform::current() {
        Ok(platform) => (Some(platform.runtime_library()), platform.install_command()),
        Err(_) => (None, "bash scripts/install-onnxruntime.sh"),
    }
}

/// Where the install script for `platform` puts the library, given the environment's
/// variables (`var`): `%LOCALAPPDATA%\posture\onnxruntime-1.31.1\` on Windows, else
/// `$XDG_DATA_HOME/posture/onnxruntime-1.31.1/` (`~/.local/share/...` when XDG_DATA_HOME is
/// unset).
pub fn installed_runtime_path(platform: Platform, var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    let var = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let data = match platform.os {
        Os::Windows => var("LOCALAPPDATA")?,
        Os::Linux | Os::Macos => {
            var("XDG_DATA_HOME").or_else(|| var("HOME").map(|h| h.join(".local").join("share")))?
        }
    };
    Some(
        data.join("posture")
            .join(format!("onnxruntime-{ORT_VERSION}"))
            .join(platform.runtime_library()),
    )
}

/// Where the install script puts the library on this machine.
pub fn default_runtime_path() -> Option<PathBuf> {
    installed_runtime_path(Platform::current().ok()?, |name| std::env::var_os(name))
}

/// The library to load: ORT_DYLIB_PATH when set, else the default location, else next to
/// the executable.
pub fn find_runtime() -> Result<PathBuf, RuntimeError> {
    let (library, install) = runtime_for_here();
    let missing = |looked: String| RuntimeError::RuntimeMissing {
        looked,
        library: library.unwrap_or("ONNX Runtime shared library"),
        install,
    };
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|v| !v.is_empty()) {
        let path = PathBuf::from(p);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(missing(format!("ORT_DYLIB_PATH={}", path.display())))
        };
    }
    let mut candidates: Vec<PathBuf> = default_runtime_path().into_iter().collect();
    if let (Some(dir), Some(library)) = (
        std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf)),
        library,
    ) {
        candidates.push(dir.join(library));
    }
    candidates.iter().find(|c| c.is_file()).cloned().ok_or_else(|| {
        missing(if candidates.is_empty() {
            "nowhere: ORT_DYLIB_PATH is unset".to_string()
        } else {
            candidates
                .iter()
                .map(|c| c.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
    })
}

static RUNTIME: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();

/// Load ONNX Runtime once per process (safe to call repeatedly) and return its environment.
pub fn init_runtime() -> Result<&'static ort::environment::Environment, RuntimeError> {
    let path = find_runtime()?;
    let loaded = RUNTIME.get_or_init(|| {
        let builder = ort::init_from(&path).map_err(|e| e.to_string())?;
        // ONNX Runtime's telemetry is on by default; nothing about a recording should be sent.
        // Its on-disk queue also needs ORT_DISABLE_TELEMETRY, which the command line sets.
        builder
            .with_name("posture")
            .with_telemetry(false)
            .build()
            .map_err(|e| e.to_string())
    });
    loaded.as_ref().map_err(|detail| RuntimeError::RuntimeUnusable {
        path,
        detail: detail.clone(),
        install: runtime_for_here().1,
    })
}

/// Which landmark model to use: lite is faster, full is more accurate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LandmarkVariant {
    Lite,
    Full,
}

impl LandmarkVariant {
    /// The landmark model: landmarks, presence, heatmap, world landmarks, and the intermediate
    /// tensors the mask head reads (`models/MODEL_CARD.md`).
    pub fn file_name(self) -> &'static str {
        match self {
            LandmarkVariant::Lite => "pose_landmark_lite.onnx",
            LandmarkVariant::Full => "pose_landmark_full.onnx",
        }
    }

    /// The mask head cut from the same network: those tensors in, the person mask's logits out.
    pub fn mask_file_name(self) -> &'static str {
        match self {
            LandmarkVariant::Lite => "pose_landmark_lite_mask.onnx",
            LandmarkVariant::Full => "pose_landmark_full_mask.onnx",
        }
    }
}

pub const DETECTOR_FILE: &str = "pose_detection.onnx";

/// This repository's `models/` folder, unless POSTURE_MODELS says otherwise: for the tests and
/// tools that run from the clone. The command line uses [`ModelSource::from_choice`].
pub fn default_models_dir() -> PathBuf {
    std::env::var_os("POSTURE_MODELS")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/models")))
}

/// The shipped models, built into the binary so that it runs wherever it is copied or
/// installed; they are the bytes SHA256SUMS names (checked again at load, like files).
const EMBEDDED_MODELS: [(&str, &[u8]); 5] = [
    (DETECTOR_FILE, include_bytes!("../../models/pose_detection.onnx")),
    (
        "pose_landmark_lite.onnx",
        include_bytes!("../../models/pose_landmark_lite.onnx"),
    ),
    (
        "pose_landmark_lite_mask.onnx",
        include_bytes!("../../models/pose_landmark_lite_mask.onnx"),
    ),
    (
        "pose_landmark_full.onnx",
        include_bytes!("../../models/pose_landmark_full.onnx"),
    ),
    (
        "pose_landmark_full_mask.onnx",
        include_bytes!("../../models/pose_landmark_full_mask.onnx"),
    ),
];

/// Where the models are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// The models built into the binary.
    Embedded,
    /// A folder holding the model files (`--models DIR`, `$POSTURE_MODELS`).
    Dir(PathBuf),
}

impl ModelSource {
    /// `--models DIR` when given, else `$POSTURE_MODELS` when set, else the built-in models.
    /// The built-in ones rather than this clone's `models/`: a file there can only be used
    /// when it has the checksum compiled in, i.e. when it is the built-in model anyway, and
    /// the binary then needs nothing from where it was built.
    pub fn from_choice(dir: Option<PathBuf>, env: Option<std::ffi::OsString>) -> ModelSource {
        dir.or_else(|| env.filter(|v| !v.is_empty()).map(PathBuf::from))
            .map_or(ModelSource::Embedded, ModelSource::Dir)
    }

    /// [`Self::from_choice`] with this process's `$POSTURE_MODELS`.
    pub fn with_env(dir: Option<PathBuf>) -> ModelSource {
        ModelSource::from_choice(dir, std::env::var_os("POSTURE_MODELS"))
    }
}

impl From<&Path> for ModelSource {
    fn from(dir: &Path) -> ModelSource {
        ModelSource::Dir(dir.to_path_buf())
    }
}

impl From<&PathBuf> for ModelSource {
    fn from(dir: &PathBuf) -> ModelSource {
        ModelSource::Dir(dir.clone())
    }
}

impl From<&ModelSource> for ModelSource {
    fn from(source: &ModelSource) -> ModelSource {
        source.clone()
    }
}

fn expected_sha256(file_name: &str) -> Option<&'static str> {
    MODEL_SUMS.lines().find_map(|line| {
        let (sum, name) = line.split_once(char::is_whitespace)?;
        (name.trim().trim_start_matches('*') == file_name).then_some(sum)
    })
}

/// How a session is run.
#[derive(Debug, Clone, Copy)]
pub struct SessionOptions {
    /// Intra-op threads. ONNX Runtime's spinning workers are turned off: on a busy 2-core
    /// machine they burn CPU that a live loop should leave alone.
    pub threads: usize,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions { threads: 1 }
    }
}

/// A loaded model file.
pub struct Model {
    path: PathBuf,
    sha256: String,
    session: ort::session::Session,
}

impl Model {
    /// Load a shipped model by file name from `source`, checking its SHA-256 first.
    pub fn load(
        source: impl Into<ModelSource>,
        file_name: &str,
        options: SessionOptions,
    ) -> Result<Model, RuntimeError> {
        let (path, bytes) = match source.into() {
            ModelSource::Embedded => {
                let bytes = EMBEDDED_MODELS
                    .iter()
                    .find(|(name, _)| *name == file_name)
                    .map(|(_, bytes)| *bytes);
                let path = PathBuf::from("(built-in)").join(file_name);
                let bytes = bytes.ok_or_else(|| RuntimeError::ModelMissing { path: path.clone() })?;
                (path, std::borrow::Cow::Borrowed(bytes))
            }
            ModelSource::Dir(dir) => {
                let path = dir.join(file_name);
                let bytes = std::fs::read(&path).map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => RuntimeError::ModelMissing { path: path.clone() },
                    _ => RuntimeError::ModelUnusable {
                        path: path.clone(),
                        detail: e.to_string(),
                    },
                })?;
                (path, std::borrow::Cow::Owned(bytes))
            }
        };
        let sha256 = hex(&Sha256::digest(&bytes));
        if let Some(expected) = expected_sha256(file_name) {
            if expected != sha256 {
                return Err(RuntimeError::ModelCorrupt {
                    path,
                    actual: sha256,
                    expected: expected.to_owned(),
                });
            }
        }
        let env = init_runtime()?;
        let session = build_session(env, &bytes, options).map_err(|detail| RuntimeError::ModelUnusable {
            path: path.clone(),
            detail,
        })?;
        Ok(Model { path, sha256, session })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Hex SHA-256 of the model file, for provenance records.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// Run on one NHWC float input and hand the named outputs (flat, row-major) to `read`.
    pub fn run<R>(
        &mut self,
        shape: &[usize; 4],
        input: &[f32],
        outputs: &[&str],
        read: impl FnOnce(&[&[f32]]) -> R,
    ) -> Result<R, RuntimeError> {
        self.run_keeping(shape, input, outputs, &[], read).map(|(r, _)| r)
    }

    /// [`Self::run`], also handing back the outputs named in `keep` as they are, for another
    /// model to read later ([`Self::run_on`]) without a copy.
    pub fn run_keeping<R>(
        &mut self,
        shape: &[usize; 4],
        input: &[f32],
        outputs: &[&str],
        keep: &[&str],
        read: impl FnOnce(&[&[f32]]) -> R,
    ) -> Result<(R, Vec<ort::value::DynValue>), RuntimeError> {
        let fail = inference_error(&self.path);
        let tensor = ort::value::TensorRef::from_array_view((*shape, input)).map_err(|e| fail(e.to_string()))?;
        let mut results = self
            .session
            .run(ort::inputs![tensor])
            .map_err(|e| fail(e.to_string()))?;
        let read = read_outputs(&results, outputs, read).map_err(fail)?;
        let kept = keep
            .iter()
            .map(|name| {
                results
                    .remove(name)
                    .ok_or_else(|| fail(format!("no output named {name}")))
            })
            .collect::<Result<_, _>>()?;
        Ok((read, kept))
    }

    /// Run on named inputs that another model's run kept, and hand the named outputs to `read`.
    pub fn run_on<R>(
        &mut self,
        inputs: &[(&str, &ort::value::DynValue)],
        outputs: &[&str],
        read: impl FnOnce(&[&[f32]]) -> R,
    ) -> Result<R, RuntimeError> {
        let fail = inference_error(&self.path);
        let named: Vec<(&str, ort::session::SessionInputValue<'_>)> =
            inputs.iter().map(|(name, value)| (*name, (*value).into())).collect();
        let results = self.session.run(named).map_err(|e| fail(e.to_string()))?;
        read_outputs(&results, outputs, read).map_err(fail)
    }

    pub fn unexpected_output(&self, detail: String) -> RuntimeError {
        RuntimeError::ModelUnusable {
            path: self.path.clone(),
            detail,
        }
    }
}

fn inference_error(path: &Path) -> impl Fn(String) -> RuntimeError + Copy + '_ {
    move |detail| RuntimeError::Inference {
        path: path.to_path_buf(),
        detail,
    }
}

/// The named outputs of a run as flat float slices, handed to `read`.
fn read_outputs<R>(
    results: &ort::session::SessionOutputs<'_>,
    outputs: &[&str],
    read: impl FnOnce(&[&[f32]]) -> R,
) -> Result<R, String> {
    let mut slices = Vec::with_capacity(outputs.len());
    for name in outputs {
        let value = results.get(*name).ok_or_else(|| format!("no output named {name}"))?;
        let (_, data) = value.try_extract_tensor::<f32>().map_err(|e| e.to_string())?;
        slices.push(data);
    }
    Ok(read(&slices))
}

fn build_session(
    env: &ort::environment::Environment,
    bytes: &[u8],
    options: SessionOptions,
) -> Result<ort::session::Session, String> {
    use ort::session::builder::GraphOptimizationLevel;
    let text = |e: ort::Error<ort::session::builder::SessionBuilder>| e.to_string();
    let mut builder = ort::session::Session::builder(env)
        .map_err(|e| e.to_string())?
        .with_optimization_level(GraphOptimizationLevel::All)
        .map_err(text)?
        .with_intra_threads(options.threads.max(1))
        .map_err(text)?
        .with_inter_threads(1)
        .map_err(text)?
        .with_intra_op_spinning(false)
        .map_err(text)?;
    builder.commit_from_memory(bytes).map_err(|e| e.to_string())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pose::platform::{wheel_table, Arch};

    /// An environment with only `vars` set.
    fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<OsString> {
        move |name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| OsString::from(v))
    }

    #[test]
    fn the_installed_library_is_looked_for_under_its_platforms_name_on_every_row() {
        let home = env_of(&[("HOME", "/home/u"), ("LOCALAPPDATA", "C:/Users/u/AppData/Local")]);
        for (os, arch, wheel) in wheel_table() {
            let path = installed_runtime_path(Platform { os, arch }, &home).unwrap();
            assert_eq!(path.file_name().unwrap(), wheel.library, "{os:?} {arch:?}");
            let folder = path.parent().unwrap();
            assert!(
                folder.ends_with(format!("posture/onnxruntime-{ORT_VERSION}")),
                "{path:?}"
            );
            let data = match os {
                Os::Windows => "C:/Users/u/AppData/Local",
                Os::Linux | Os::Macos => "/home/u/.local/share",
            };
            assert!(path.starts_with(data), "{os:?}: {path:?}");
        }
    }

    #[test]
    fn xdg_data_home_moves_the_library_and_windows_needs_localappdata() {
        let linux = Platform {
            os: Os::Linux,
            arch: Arch::X86_64,
        };
        let xdg = env_of(&[("HOME", "/home/u"), ("XDG_DATA_HOME", "/data")]);
        assert_eq!(
            installed_runtime_path(linux, xdg),
            Some(PathBuf::from(
                "/data/posture/onnxruntime-1.31.1/libonnxruntime.so.1.31.1"
            ))
        );
        let empty_xdg = env_of(&[("HOME", "/home/u"), ("XDG_DATA_HOME", "")]);
        assert!(installed_runtime_path(linux, empty_xdg)
            .unwrap()
            .starts_with("/home/u/.local/share"));
        let windows = Platform {
            os: Os::Windows,
            arch: Arch::X86_64,
        };
        assert_eq!(installed_runtime_path(windows, env_of(&[("HOME", "/home/u")])), None);
        assert_eq!(installed_runtime_path(linux, env_of(&[])), None);
    }

    #[test]
    fn this_machine_looks_for_the_library_its_wheel_installs() {
        let wheel = Platform::current().unwrap().ort_wheel().unwrap();
        let default = default_runtime_path().unwrap();
        assert_eq!(default.file_name().unwrap(), wheel.library);
        assert_eq!(runtime_for_here().0, Some(wheel.library));
    }

    #[test]
    fn every_shipped_model_has_a_checksum() {
        for name in [
            DETECTOR_FILE,
            LandmarkVariant::Lite.file_name(),
            LandmarkVariant::Lite.mask_file_name(),
            LandmarkVariant::Full.file_name(),
            LandmarkVariant::Full.mask_file_name(),
        ] {
            let sum = expected_sha256(name).unwrap_or_else(|| panic!("{name} missing from SHA256SUMS"));
            assert_eq!(sum.len(), 64);
        }
    }

    #[test]
    fn models_are_built_in_unless_a_folder_is_given() {
        let (flag, env) = (PathBuf::from("/from/flag"), std::ffi::OsString::from("/from/env"));
        assert_eq!(ModelSource::from_choice(None, None), ModelSource::Embedded);
        assert_eq!(ModelSource::from_choice(None, Some("".into())), ModelSource::Embedded);
        assert_eq!(
            ModelSource::from_choice(None, Some(env.clone())),
            ModelSource::Dir("/from/env".into())
        );
        assert_eq!(
            ModelSource::from_choice(Some(flag.clone()), Some(env)),
            ModelSource::Dir(flag)
        );
    }

    #[test]
    fn built_in_models_are_the_files_sha256sums_names() {
        for (name, bytes) in EMBEDDED_MODELS {
            assert_eq!(
                Some(hex(&Sha256::digest(bytes)).as_str()),
                expected_sha256(name),
                "{name}"
            );
        }
        let names: Vec<&str> = EMBEDDED_MODELS.iter().map(|(name, _)| *name).collect();
        for variant in [LandmarkVariant::Lite, LandmarkVariant::Full] {
            assert!(names.contains(&variant.file_name()), "{variant:?} is not built in");
            assert!(
                names.contains(&variant.mask_file_name()),
                "{variant:?} mask is not built in"
            );
        }
        assert!(names.contains(&DETECTOR_FILE));
    }

    #[test]
    fn missing_model_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Model::load(dir.path(), DETECTOR_FILE, SessionOptions::default())
            .err()
            .unwrap();
        assert!(matches!(err, RuntimeError::ModelMissing { .. }));
        assert!(err.to_string().contains("pose_detection.onnx"), "{err}");
    }

    #[test]
    fn corrupt_model_is_refused_before_loading() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(DETECTOR_FILE), b"not a model").unwrap();
        let err = Model::load(dir.path(), DETECTOR_FILE, SessionOptions::default())
            .err()
            .unwrap();
        assert!(matches!(err, RuntimeError::ModelCorrupt { .. }), "{err}");
    }
}
