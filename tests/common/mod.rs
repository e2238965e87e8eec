//! Helpers shared by the integration tests: running the real binary, reading fixtures.
#![allow(dead_code)]

use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Run the ffmpeg CLI (a project dependency) writing `output`.
pub fn ffmpeg(args: &[&str], output: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y"])
        .args(args)
        .arg(output)
        .status()
        .expect("the ffmpeg CLI must be installed (apt-get install ffmpeg)");
    assert!(status.success(), "ffmpeg {args:?} failed");
}

/// The walking clip played 8 times over (1840 frames, 61.3 s: longer than one tracking
/// segment): far more work than the 3 s before a signal on any machine (the single clip takes
/// 2.5 s on a fast one).
pub const LONG_CLIP_FRAMES: u64 = 8 * 230;

/// Write the long walking clip ([`LONG_CLIP_FRAMES`]) into `dir`.
pub fn long_walk(dir: &Path) -> PathBuf {
    looped_walk(dir, 8)
}

/// The walking clip played `times` over (7.67 s each), as `walk_xTIMES.mp4` in `dir`.
pub fn looped_walk(dir: &Path, times: u32) -> PathBuf {
    let walk = dir.join(format!("walk_x{times}.mp4"));
    let source = fixture("sports2d_walk.mp4");
    let loops = (times - 1).to_string();
    ffmpeg(
        &["-stream_loop", &loops, "-i", source.to_str().unwrap(), "-c", "copy"],
        &walk,
    );
    walk
}

/// `ffmpeg ARGS... OUTPUT` encoding the video as MJPEG (quality 3, full-range 4:2:0): the
/// clips tests build from renders and fixtures, each picture standing alone.
pub fn ffmpeg_mjpeg(args: &[&str], output: &Path) {
    let encode = ["-c:v", "mjpeg", "-q:v", "3", "-pix_fmt", "yuvj420p"];
    ffmpeg(&[args, &encode[..]].concat(), output);
}

/// The names of the entries in `dir`, sorted.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

/// A data folder for the binary under test, so that nothing it logs (posture watch's session
/// log) lands in the user's own folder.
pub fn test_data_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("posture-test-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary data folder");
    dir
}

pub fn posture(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_posture"))
        .args(args)
        .env("POSTURE_DATA_DIR", test_data_dir())
        .output()
        .expect("the posture binary runs")
}

/// Run `posture ARGS` with `dir` as the current folder.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_posture"))
        .current_dir(dir)
        .args(args)
        .env("POSTURE_DATA_DIR", test_data_dir())
        .output()
        .expect("the posture binary runs")
}

pub fn posture_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_posture"));
    cmd.args(args).env("POSTURE_DATA_DIR", test_data_dir());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the posture binary runs")
}

pub fn records(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}")))
        .collect()
}

/// The frame records of `posture landmarks` output, once its first line is checked to be the
/// run's header (schema, models' hashes).
pub fn frame_records(out: &Output) -> Vec<serde_json::Value> {
    let mut recs = records(out);
    assert!(!recs.is_empty(), "no header line; stderr: {}", stderr(out));
    let header = recs.remove(0);
    assert_eq!(header["schema"], "posture-landmarks/1", "{header}");
    assert!(header["run"]["landmark_sha256"].is_string(), "{header}");
    for r in &recs {
        assert_eq!(r["schema"], "posture-landmarks/1", "{r}");
    }
    recs
}

/// The exit status `posture measure` gives for these records of inputs that were all read: 3
/// when one has no number at all (no side angle, no front signal), else 0.
pub fn measure_exit_status(recs: &[serde_json::Value]) -> Option<i32> {
    let unmeasured = recs
        .iter()
        .any(|r| r["cva_deg"].is_null() && r["head_tilt_deg"].is_null() && r["front_signals"].is_null());
    Some(if unmeasured { 3 } else { 0 })
}

/// The README's section whose heading starts with `heading`.
pub fn readme_section(heading: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    readme
        .split("\n## ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("README has no section {heading}"))
        .to_string()
}

/// The keys of `value` (an object) and of its objects at `paths`, which `section` must name
/// as `key`.
pub fn assert_every_field_named(section: &str, value: &serde_json::Value, paths: &[&str], what: &str) {
    for path in [""].iter().chain(paths) {
        let object = path.split('.').filter(|p| !p.is_empty()).fold(value, |v, key| &v[key]);
        let object = object
            .as_object()
            .unwrap_or_else(|| panic!("{what}: {path} is not an object in {value}"));
        for key in object.keys() {
            assert!(
                section.contains(&format!("`{key}`")),
                "the README does not name {what}'s field {path}.{key}"
            );
        }
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A test case from fixtures/cases.json: boxes drawn by hand around body parts.
#[derive(Debug, Deserialize)]
pub struct Case {
    pub id: String,
    pub file: String,
    pub frame: Option<u64>,
    pub subject: Option<[f32; 2]>,
    pub crop: Option<[f32; 4]>,
    pub boxes: Boxes,
    /// Where the face is hidden (pixelated), a box around the whole head: the nose and both ears
    /// must fall inside it.
    #[serde(default)]
    pub head_box: Option<[f32; 4]>,
    pub expect_pose: bool,
    /// The face cannot be seen (pixelated), so which way the person faces is unknowable: the
    /// shoulders are checked as an unlabelled pair.
    #[serde(default)]
    pub left_right_ambiguous: bool,
    /// Models this case is checked with (both unless the case says why not in its note).
    #[serde(default)]
    pub models: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
pub struct Boxes {
    pub nose: Option<[f32; 4]>,
    pub left_ear: Option<[f32; 4]>,
    pub right_ear: Option<[f32; 4]>,
    pub left_shoulder: Option<[f32; 4]>,
    pub right_shoulder: Option<[f32; 4]>,
}

impl Boxes {
    /// (landmark index, name, box) for each part that has a box.
    pub fn parts(&self) -> Vec<(usize, &'static str, [f32; 4])> {
        [
            (0, "nose", self.nose),
            (7, "left_ear", self.left_ear),
            (8, "right_ear", self.right_ear),
            (11, "left_shoulder", self.left_shoulder),
            (12, "right_shoulder", self.right_shoulder),
        ]
        .into_iter()
        .filter_map(|(i, n, b)| b.map(|b| (i, n, b)))
        .collect()
    }
}

pub fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(fixture("cases.json")).expect("fixtures/cases.json");
    serde_json::from_str(&text).expect("cases.json parses")
}

pub fn landmark_xy(record: &serde_json::Value, index: usize) -> (f32, f32) {
    let lm = &record["pose"]["landmarks"][index];
    (lm["x_px"].as_f64().unwrap() as f32, lm["y_px"].as_f64().unwrap() as f32)
}

/// The render whose name starts with `id` (fixtures/renders).
pub fn render_named(id: &str) -> PathBuf {
    let dir = fixture("renders");
    names_in(&dir)
        .into_iter()
        .find(|n| n.starts_with(id) && n.ends_with(".jpg"))
        .map(|n| dir.join(n))
        .unwrap_or_else(|| panic!("no render {id}"))
}

/// A 5 fps MJPEG clip `dir/name` showing each render for its seconds, in order (ffmpeg's
/// concat of the renders).
pub fn clip_of_renders(dir: &Path, name: &str, parts: &[(&str, u32)]) -> PathBuf {
    let mut list = String::new();
    for (id, seconds) in parts {
        list.push_str(&format!("file '{}'\nduration {seconds}\n", render_named(id).display()));
    }
    // The concat format holds the last picture only if it is named once more.
    list.push_str(&format!("file '{}'\n", render_named(parts.last().unwrap().0).display()));
    let list_path = dir.join(format!("{name}.txt"));
    std::fs::write(&list_path, list).unwrap();
    let clip = dir.join(name);
    ffmpeg_mjpeg(
        &[
            "-f",
            "concat",
            "-safe",
            "0",
            "-i",
            list_path.to_str().unwrap(),
            "-vf",
            "fps=5",
        ],
        &clip,
    );
    clip
}

/// Where `got` differs from the stored `want` by more than one unit of the last digit `want`
/// prints (`None` when they agree). ONNX Runtime picks its kernels by CPU (AVX2, AVX-512), so
/// a figure rounded to 0.1 may flip its last digit between machines; strings, booleans, nulls,
/// whole numbers (counts) and the shape of the record must be equal.
pub fn json_differs_beyond_last_digit(got: &serde_json::Value, want: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match (got, want) {
        (Value::Number(g), Value::Number(w)) if w.is_f64() => {
            let (g, w_text) = (g.as_f64().unwrap_or(f64::NAN), w.to_string());
            let decimals = w_text.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
            let tolerance = 1.000_001 * 10f64.powi(-decimals);
            ((g - w.as_f64().unwrap()).abs() > tolerance).then(|| format!("{g} against {w_text}"))
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => g
            .iter()
            .zip(w)
            .enumerate()
            .find_map(|(i, (g, w))| json_differs_beyond_last_digit(g, w).map(|d| format!("[{i}]: {d}"))),
        (Value::Object(g), Value::Object(w)) if g.len() == w.len() => w.iter().find_map(|(k, w)| match g.get(k) {
            Some(g) => json_differs_beyond_last_digit(g, w).map(|d| format!("{k}: {d}")),
            None => Some(format!("{k} missing")),
        }),
        _ => (got != want).then(|| format!("{got} against {want}")),
    }
}

/// `posture calibrate INPUT --out BASELINE`, which must succeed, and the baseline it wrote.
pub fn calibrate(input: &Path, baseline: &Path) -> serde_json::Value {
    let out = posture(&[
        "calibrate",
        input.to_str().unwrap(),
        "--out",
        baseline.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "calibrate {}: {}", input.display(), stderr(&out));
    serde_json::from_str(&std::fs::read_to_string(baseline).unwrap()).unwrap()
}

/// Run `posture ARGS...`, send it `signal` (`-INT`, `-TERM`) after `after`, and wait for it.
pub fn interrupted(args: &[&str], signal: &str, after: Duration) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_posture"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the posture binary runs");
    std::thread::sleep(after);
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    child.wait_with_output().unwrap()
}
