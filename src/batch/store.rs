//! Where a batch keeps its results: one part per input in `DIR/parts/`, and the tables
//! assembled from the parts.
//!
//! A part is two files named by a hash of the input's path: `NAME.frames.csv` (its rows of
//! `frames.csv`) and `NAME.json` (its record, its `summary.csv` row and what identifies the
//! result). Each is written to a temporary file and renamed into place, the JSON last, so a
//! part whose JSON exists is complete. Temporary files left by a killed run are hidden
//! (`.NAME.PID.tmp`) and removed by the next run.

use super::{io_error, BatchError, Counts, Shard};
use crate::frames::discover::Skipped;
use crate::output::{table, write_replacing};
use crate::pipeline::Provenance;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// What decides an input's numbers besides the input itself: the provenance (tool version,
/// model hashes, thresholds, correction, settings), the baseline's bytes, and whether key
/// frames are drawn.
pub fn settings_id(provenance: &Provenance, keyframes: bool, baseline: Option<&[u8]>) -> String {
    let mut text = serde_json::to_vec(provenance).expect("provenance serialises");
    text.extend(format!("\nkeyframes={keyframes}\nbaseline=").as_bytes());
    text.extend(baseline.map_or_else(|| "none".into(), sha256_hex).as_bytes());
    sha256_hex(&text)
}

/// The full input list and the settings: shards of one run share it.
pub fn run_id(inputs: &[PathBuf], settings_id: &str) -> String {
    let mut text = settings_id.as_bytes().to_vec();
    for path in inputs {
        text.push(b'\n');
        text.extend(path.as_os_str().as_encoded_bytes());
    }
    sha256_hex(&text)
}

/// Identifies one input's result: the file (size and modification time) and the settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InputKey {
    pub size_bytes: u64,
    pub modified_ns: u128,
    pub settings_id: String,
}

impl InputKey {
    /// The key of `path` now (zeros for a file that cannot be read: it fails when measured).
    pub fn of(path: &Path, settings_id: &str) -> InputKey {
        let meta = std::fs::metadata(path).ok();
        let modified_ns = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        InputKey {
            size_bytes: meta.map_or(0, |m| m.len()),
            modified_ns,
            settings_id: settings_id.to_string(),
        }
    }
}

/// One input's stored result.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Part {
    /// Position in the full (unsharded) input list.
    pub position: usize,
    pub input: String,
    pub key: InputKey,
    /// The input failed: unreadable, an error part-way, or nobody in view (as `posture
    /// measure` counts failures). A re-run scores it again.
    pub failed: bool,
    /// The input's `posture measure --json` record, as written (a line of `summary.jsonl`).
    pub record_json: String,
    /// Its row of `summary.csv`.
    pub summary_row: String,
    /// Its key frame, relative to the output folder.
    pub keyframe: Option<PathBuf>,
}

/// A part and where its files are.
#[derive(Debug, Clone)]
pub struct StoredPart {
    pub part: Part,
    /// The part's file name in `parts/`, without `.json`.
    pub name: String,
    pub frames_csv: PathBuf,
}

pub struct PartStore {
    dir: PathBuf,
}

impl PartStore {
    /// The parts folder of `out_dir`, created if needed, without a killed run's temporary files.
    pub fn open(out_dir: &Path) -> Result<PartStore, BatchError> {
        let dir = out_dir.join("parts");
        std::fs::create_dir_all(&dir).map_err(|e| io_error(format!("cannot create {}", dir.display()), e))?;
        remove_stale_temporaries(&dir);
        remove_stale_temporaries(out_dir);
        Ok(PartStore { dir })
    }

    fn name(input: &Path) -> String {
        sha256_hex(input.as_os_str().as_encoded_bytes())[..24].to_string()
    }

    fn paths(&self, input: &Path) -> (PathBuf, PathBuf) {
        let name = Self::name(input);
        (
            self.dir.join(format!("{name}.json")),
            self.dir.join(format!("{name}.frames.csv")),
        )
    }

    /// The stored result of `input`, if a complete one is there.
    pub fn stored(&self, input: &Path) -> Option<StoredPart> {
        self.named(&Self::name(input))
            .filter(|s| s.part.input == input.display().to_string())
    }

    /// The complete part of this name, if there is one.
    fn named(&self, name: &str) -> Option<StoredPart> {
        let frames_csv = self.dir.join(format!("{name}.frames.csv"));
        let part = read_part(&self.dir.join(format!("{name}.json")))?;
        frames_csv.is_file().then(|| StoredPart {
            part,
            name: name.to_string(),
            frames_csv,
        })
    }

    pub fn read(&self, input: &Path) -> Option<Part> {
        self.stored(input).map(|s| s.part)
    }

    /// Store a result: the frame rows first, then the part that says they are complete.
    pub fn write(&self, input: &Path, part: &Part, frame_rows: &[u8]) -> Result<(), BatchError> {
        let (json, frames_csv) = self.paths(input);
        write_replacing(&frames_csv, frame_rows)
            .map_err(|e| io_error(format!("cannot write {}", frames_csv.display()), e))?;
        self.write_part(&json, part)
    }

    /// Give a stored result its new place in the input list.
    pub fn reposition(&self, input: &Path, mut part: Part, position: usize) -> Result<(), BatchError> {
        part.position = position;
        self.write_part(&self.paths(input).0, &part)
    }

    fn write_part(&self, json: &Path, part: &Part) -> Result<(), BatchError> {
        let bytes = serde_json::to_vec(part).expect("parts serialise");
        write_replacing(json, &bytes).map_err(|e| io_error(format!("cannot write {}", json.display()), e))
    }
}

fn read_part(path: &Path) -> Option<Part> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(".tmp") && entry.path().is_file() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The schema of `run.json`.
pub const RUN_SCHEMA: &str = "posture-score-run/1";

/// `run.json`: how the tables were made.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunInfo {
    /// [`RUN_SCHEMA`]; a shard's run.json written before it had one reads as "".
    #[serde(default)]
    pub schema: String,
    pub tool: String,
    pub version: String,
    /// The full input list and the settings (shards of one run share it).
    pub run_id: String,
    pub settings_id: String,
    pub shard: Option<Shard>,
    /// For a merge: the folders merged.
    pub shards_merged: Vec<PathBuf>,
    pub inputs_in_all_shards: usize,
    pub counts: Counts,
    pub wall_time_s: f64,
    pub jobs: usize,
    pub provenance: serde_json::Value,
    pub skipped: Vec<Skipped>,
    /// The parts (file names in `parts/`, without `.json`) the tables were assembled from, in
    /// order: a merge takes exactly these, never results left by an earlier run.
    pub parts: Vec<String>,
}

/// Write `path` whole from `fill`, through a temporary file renamed over it.
fn write_streamed(path: &Path, fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), BatchError> {
    let tmp = path.with_file_name(format!(
        ".{}.{}.tmp",
        path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default(),
        std::process::id()
    ));
    let written = std::fs::File::create(&tmp).and_then(|file| {
        let mut out = std::io::BufWriter::new(file);
        fill(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(|e| io_error(format!("cannot write {}", path.display()), e))
}

/// Write the tables of `parts` (in their order) and `run.json` into `out_dir`.
pub fn assemble(out_dir: &Path, parts: &[StoredPart], run: &RunInfo) -> Result<(), BatchError> {
    write_streamed(&out_dir.join("frames.csv"), |out| {
        out.write_all(&table::header(&table::frame_columns()))?;
        for p in parts {
            std::io::copy(&mut std::fs::File::open(&p.frames_csv)?, out)?;
        }
        Ok(())
    })?;
    write_streamed(&out_dir.join("summary.csv"), |out| {
        out.write_all(&table::header(&table::summary_columns()))?;
        parts
            .iter()
            .try_for_each(|p| out.write_all(p.part.summary_row.as_bytes()))
    })?;
    write_streamed(&out_dir.join("summary.jsonl"), |out| {
        parts.iter().try_for_each(|p| {
            out.write_all(p.part.record_json.as_bytes())?;
            out.write_all(b"\n")
        })
    })?;
    let json = serde_json::to_vec_pretty(run).expect("run info serialises");
    write_replacing(&out_dir.join("run.json"), &[json, b"\n".to_vec()].concat())
        .map_err(|e| io_error(format!("cannot write {}", out_dir.join("run.json").display()), e))
}

/// Join the outputs of the shards of one run into `out_dir`, as one run would have written
/// them (key frames copied along). Refused when the folders are not the shards of one run, when
/// an input has no result, or when `out_dir` is one of them.
pub fn merge(shard_dirs: &[PathBuf], out_dir: &Path) -> Result<Counts, BatchError> {
    let started = std::time::Instant::now();
    let mut runs = Vec::new();
    let mut parts: Vec<(StoredPart, &Path)> = Vec::new();
    for dir in shard_dirs {
        if dir.canonicalize().ok() == out_dir.canonicalize().ok() {
            return Err(BatchError::Merge(format!(
                "--out {} is one of the folders to merge; choose a new folder",
                out_dir.display()
            )));
        }
        let run: RunInfo = std::fs::read(dir.join("run.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| {
                BatchError::Merge(format!(
                    "{} has no readable run.json (is it a score --out folder?)",
                    dir.display()
                ))
            })?;
        let store = PartStore { dir: dir.join("parts") };
        for name in &run.parts {
            let stored = store.named(name).ok_or_else(|| {
                BatchError::Merge(format!(
                    "{}: part {name} in run.json is missing or incomplete",
                    dir.display()
                ))
            })?;
            parts.push((stored, dir));
        }
        runs.push(run);
    }
    let first = runs
        .first()
        .ok_or_else(|| BatchError::Merge("no folders given".into()))?;
    if let Some(other) = runs.iter().find(|r| r.run_id != first.run_id) {
        return Err(BatchError::Merge(format!(
            "the folders are not shards of one run (inputs or settings differ: run {} vs {})",
            first.run_id.get(..12).unwrap_or(&first.run_id),
            other.run_id.get(..12).unwrap_or(&other.run_id)
        )));
    }
    parts.sort_by_key(|(p, _)| p.part.position);
    let total = first.inputs_in_all_shards;
    if let Some(pair) = parts.windows(2).find(|w| w[0].0.part.position == w[1].0.part.position) {
        return Err(BatchError::Merge(format!(
            "{} is in two of the folders (the same shard given twice?)",
            pair[0].0.part.input
        )));
    }
    let missing: Vec<usize> = (0..total)
        .filter(|i| parts.binary_search_by_key(i, |(p, _)| p.part.position).is_err())
        .collect();
    if let Some(&first_missing) = missing.first() {
        let which = first
            .shard
            .map(|s| format!(" (first missing: shard {}/{})", first_missing % s.count + 1, s.count))
            .unwrap_or_default();
        return Err(BatchError::Merge(format!(
            "{} of {total} inputs have no result in these folders{which}; run or finish the missing shards",
            missing.len()
        )));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| io_error(format!("cannot create {}", out_dir.display()), e))?;
    for (stored, dir) in &parts {
        if let Some(keyframe) = &stored.part.keyframe {
            let to = out_dir.join(keyframe);
            if let Some(folder) = to.parent() {
                std::fs::create_dir_all(folder).map_err(|e| io_error(folder.display(), e))?;
            }
            std::fs::copy(dir.join(keyframe), &to)
                .map_err(|e| io_error(format!("cannot copy {}", keyframe.display()), e))?;
        }
    }
    let parts: Vec<StoredPart> = parts.into_iter().map(|(p, _)| p).collect();
    let failed = parts.iter().filter(|p| p.part.failed).count();
    let counts = Counts {
        inputs_found: total,
        measured: parts.len() - failed,
        failed,
        skipped: first.counts.skipped,
        reused: 0,
        not_scored: 0,
        segmented: 0,
    };
    let run = RunInfo {
        schema: RUN_SCHEMA.into(),
        tool: "posture".into(),
        // The shards' version, which scored every row (one run id means one set of settings).
        version: first.version.clone(),
        run_id: first.run_id.clone(),
        settings_id: first.settings_id.clone(),
        shard: None,
        shards_merged: shard_dirs.to_vec(),
        inputs_in_all_shards: total,
        counts,
        wall_time_s: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        jobs: 0,
        provenance: first.provenance.clone(),
        skipped: first.skipped.clone(),
        parts: parts.iter().map(|p| p.name.clone()).collect(),
    };
    assemble(out_dir, &parts, &run)?;
    Ok(counts)
}
