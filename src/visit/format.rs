//! The visit file: one zip (deflate) holding a visit's measurements, its per-frame table and an
//! annotated key frame per view; the video only when the patient asked to keep it. It is the
//! contract between `posture capture` (writer) and `posture visits` / `posture report`
//! (readers), written atomically (a temporary file in the same folder, then renamed), so that a
//! failed or interrupted write never leaves half a visit.
//!
//! ```text
//! VISIT.zip
//!   visit.json           Visit (schema "posture-visit/1")
//!   frames.csv           output::table::frame_columns(); the input column holds the part name
//!   keyframe-side.png    present only when that part has a used frame
//!   keyframe-front.png
//!   video.<ext>          only with --keep-video
//! ```

use crate::assess::Thresholds;
use crate::output::measure::MeasureRecord;
use crate::pipeline::InputResult;
use serde::{Deserialize, Serialize};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The schema this code writes and reads.
pub const VISIT_SCHEMA: &str = "posture-visit/1";

const VISIT_JSON: &str = "visit.json";
const FRAMES_CSV: &str = "frames.csv";
const VIDEO_STEM: &str = "video.";
/// The most bytes read from one entry other than the video (a damaged or hostile archive cannot
/// make a reader allocate more).
const MAX_ENTRY_BYTES: u64 = 256 << 20;

/// How the visit was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    /// `posture capture`: side then front, each held still, with live feedback from the gates.
    #[serde(rename = "guided-capture/1")]
    GuidedCapture,
    /// A clip or photos measured on import (`posture visits add`), with no guidance.
    #[serde(rename = "import")]
    Import,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::GuidedCapture => "guided-capture/1",
            Protocol::Import => "import",
        }
    }
}

pub use crate::frames::{SourceInfo, SourceKind};

/// The view a part of the visit was recorded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartView {
    Side,
    Front,
}

impl PartView {
    pub const ALL: [PartView; 2] = [PartView::Side, PartView::Front];

    pub fn as_str(self) -> &'static str {
        match self {
            PartView::Side => "side",
            PartView::Front => "front",
        }
    }

    /// The key frame's entry name by convention (`keyframe-side.png`).
    pub fn keyframe_name(self) -> String {
        format!("keyframe-{}.png", self.as_str())
    }
}

/// One part of a visit: the measurement of one view.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitPart {
    /// The view the protocol asked for (or, on import, the view found).
    pub view: PartView,
    /// Exactly what `posture measure --json` prints for this part.
    pub record: MeasureRecord,
    /// The entry holding this part's annotated key frame, when it has one.
    pub keyframe: Option<String>,
    /// Where the person sat in the picture, to tell a camera moved between visits; absent from
    /// visits recorded before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framing: Option<crate::assess::recording::Framing>,
}

impl VisitPart {
    /// The part for one measured input.
    pub fn of(view: PartView, result: &InputResult, thresholds: &Thresholds, keyframe: Option<String>) -> VisitPart {
        VisitPart {
            view,
            record: MeasureRecord::of(result, thresholds),
            keyframe,
            framing: result.framing,
        }
    }
}

/// `visit.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Visit {
    /// [`VISIT_SCHEMA`].
    pub schema: String,
    /// Who was measured (capture's `--patient`, or `posture visits add PATIENT`).
    pub patient: Option<String>,
    /// When: UTC, RFC 3339 ([`utc_rfc3339`]).
    pub recorded_at: String,
    pub protocol: Protocol,
    /// Every part the protocol asked for got enough usable frames.
    pub complete: bool,
    /// Plain words: which gate failed most and what to change.
    pub incomplete_reason: Option<String>,
    pub source: SourceInfo,
    pub parts: Vec<VisitPart>,
}

impl Visit {
    /// The part recorded in `view`, if any.
    pub fn part(&self, view: PartView) -> Option<&VisitPart> {
        self.parts.iter().find(|p| p.view == view)
    }
}

/// A whole visit file.
#[derive(Debug, Clone)]
pub struct VisitFile {
    pub visit: Visit,
    /// `frames.csv`, header included.
    pub frames_csv: Vec<u8>,
    /// Key frames by entry name (`keyframe-side.png`) with their PNG bytes.
    pub keyframes: Vec<(String, Vec<u8>)>,
    /// The video, only when the patient asked to keep it.
    pub video: Option<VisitVideo>,
}

/// A visit's video.
#[derive(Debug, Clone, PartialEq)]
pub enum VisitVideo {
    /// On write: a video file copied in as `video.<ext>` (its extension kept). On read: the
    /// entry's name in the archive (the video is not read into memory).
    File(PathBuf),
    /// A video encoded in memory (a camera's analysed frames: [`crate::frames::VideoWriter`]),
    /// stored as `video.<extension>`.
    Encoded { extension: &'static str, bytes: Vec<u8> },
}

impl VisitFile {
    /// The key frame PNG of `part`, if it has one.
    pub fn keyframe(&self, part: &VisitPart) -> Option<&[u8]> {
        let name = part.keyframe.as_deref()?;
        self.keyframes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VisitError {
    #[error("{}: cannot read the visit file: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: cannot write the visit file: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{}: not a posture visit file ({detail}); visit files are made by `posture capture`", path.display())]
    Invalid { path: PathBuf, detail: String },
    #[error("{}: visit schema '{found}' is not {VISIT_SCHEMA}, the one this posture reads; update posture", path.display())]
    Schema { path: PathBuf, found: String },
}

/// The `frames.csv` of a visit: the header, then each part's frames with the part's name in the
/// input column.
pub fn frames_csv(parts: &[(PartView, &InputResult)]) -> Vec<u8> {
    let mut bytes = crate::output::table::header(&crate::output::table::frame_columns());
    for (view, result) in parts {
        bytes.extend(crate::output::table::frame_rows_as(result, view.as_str()));
    }
    bytes
}

/// `t` as UTC in RFC 3339 to the second (`2026-12-02T09:10:00Z`); times before 1970 read as 1970.
pub fn utc_rfc3339(t: SystemTime) -> String {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Write the visit file to `path` atomically: a temporary file beside it, renamed over it once
/// complete and synced. On any failure the temporary file is removed and `path` is untouched.
pub fn write(path: &Path, file: &VisitFile) -> Result<(), VisitError> {
    let failed = |source: std::io::Error| VisitError::Write {
        path: path.to_path_buf(),
        source,
    };
    let tmp = crate::output::temporary_beside(path).map_err(failed)?;
    let written = write_zip(&tmp, file).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        // Nothing to do if it is already gone (it may never have been created).
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(failed)
}

fn write_zip(tmp: &Path, file: &VisitFile) -> std::io::Result<()> {
    use zip::write::SimpleFileOptions;
    use zip::CompressionMethod;
    let out = std::fs::OpenOptions::new().write(true).create_new(true).open(tmp)?;
    let mut zip = zip::ZipWriter::new(out);
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let json = serde_json::to_vec_pretty(&file.visit).map_err(std::io::Error::other)?;
    let mut entries: Vec<(&str, &[u8])> = vec![(VISIT_JSON, &json), (FRAMES_CSV, &file.frames_csv)];
    entries.extend(file.keyframes.iter().map(|(n, b)| (n.as_str(), b.as_slice())));
    for (name, bytes) in entries {
        zip.start_file(name, deflated).map_err(std::io::Error::other)?;
        zip.write_all(bytes)?;
    }
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(true);
    if let Some(VisitVideo::Encoded { extension, bytes }) = &file.video {
        // Already compressed: stored as it is.
        zip.start_file(format!("{VIDEO_STEM}{extension}"), stored)
            .map_err(std::io::Error::other)?;
        zip.write_all(bytes)?;
    }
    if let Some(VisitVideo::File(video)) = &file.video {
        let ext = video
            .extension()
            .and_then(|e| e.to_str())
            .map_or_else(|| "bin".to_string(), str::to_ascii_lowercase);
        // Already compressed: stored as it is; large_file so that a long clip past 4 GiB fits.
        zip.start_file(format!("{VIDEO_STEM}{ext}"), stored)
            .map_err(std::io::Error::other)?;
        let mut source = std::fs::File::open(video)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", video.display())))?;
        std::io::copy(&mut source, &mut zip)?;
    }
    zip.finish().map_err(std::io::Error::other)?.sync_all()
}

/// Copy the visit file `source` to `dest` atomically, with `patient` in its `visit.json`; every
/// other entry (frames, key frames, a kept video) is copied as it is, without recompressing.
pub fn copy_with_patient(source: &Path, dest: &Path, patient: &str) -> Result<(), VisitError> {
    let mut visit = read(source)?.visit;
    visit.patient = Some(patient.to_string());
    let invalid = |e: zip::result::ZipError| VisitError::Invalid {
        path: source.to_path_buf(),
        detail: e.to_string(),
    };
    let opened = std::fs::File::open(source).map_err(|e| VisitError::Read {
        path: source.to_path_buf(),
        source: e,
    })?;
    let mut archive = zip::ZipArchive::new(opened).map_err(invalid)?;
    let failed = |source: std::io::Error| VisitError::Write {
        path: dest.to_path_buf(),
        source,
    };
    let tmp = crate::output::temporary_beside(dest).map_err(failed)?;
    let written = (|| -> std::io::Result<()> {
        let out = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        let mut zip = zip::ZipWriter::new(out);
        let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        zip.start_file(VISIT_JSON, deflated).map_err(std::io::Error::other)?;
        zip.write_all(&serde_json::to_vec_pretty(&visit).map_err(std::io::Error::other)?)?;
        for i in 0..archive.len() {
            let entry = archive.by_index_raw(i).map_err(std::io::Error::other)?;
            if entry.name() != VISIT_JSON {
                zip.raw_copy_file(entry).map_err(std::io::Error::other)?;
            }
        }
        zip.finish().map_err(std::io::Error::other)?.sync_all()?;
        std::fs::rename(&tmp, dest)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.map_err(failed)
}

/// Read a visit file: the visit, the frame table and the key frames (not the video).
pub fn read(path: &Path) -> Result<VisitFile, VisitError> {
    let invalid = |detail: String| VisitError::Invalid {
        path: path.to_path_buf(),
        detail,
    };
    let opened = std::fs::File::open(path).map_err(|source| VisitError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mut zip = zip::ZipArchive::new(opened).map_err(|e| invalid(format!("not a readable zip: {e}")))?;
    let mut entry = |name: &str| -> Result<Vec<u8>, VisitError> {
        let file = zip.by_name(name).map_err(|e| invalid(format!("{name}: {e}")))?;
        let mut bytes = Vec::new();
        file.take(MAX_ENTRY_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| invalid(format!("{name}: {e}")))?;
        if bytes.len() as u64 > MAX_ENTRY_BYTES {
            return Err(invalid(format!("{name} is larger than {MAX_ENTRY_BYTES} bytes")));
        }
        Ok(bytes)
    };
    let json = entry(VISIT_JSON)?;
    let value: serde_json::Value = serde_json::from_slice(&json).map_err(|e| invalid(format!("{VISIT_JSON}: {e}")))?;
    let schema = value.get("schema").and_then(|s| s.as_str()).unwrap_or("");
    if schema != VISIT_SCHEMA {
        if schema.starts_with("posture-visit/") {
            return Err(VisitError::Schema {
                path: path.to_path_buf(),
                found: schema.to_string(),
            });
        }
        return Err(invalid(format!("{VISIT_JSON} has no schema {VISIT_SCHEMA}")));
    }
    let visit: Visit = serde_json::from_value(value).map_err(|e| invalid(format!("{VISIT_JSON}: {e}")))?;
    let frames_csv = entry(FRAMES_CSV)?;
    let mut keyframes = Vec::new();
    for name in visit.parts.iter().filter_map(|p| p.keyframe.clone()) {
        let bytes = entry(&name)?;
        keyframes.push((name, bytes));
    }
    let video = zip
        .file_names()
        .find(|n| n.starts_with(VIDEO_STEM))
        .map(|n| VisitVideo::File(PathBuf::from(n)));
    Ok(VisitFile {
        visit,
        frames_csv,
        keyframes,
        video,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::assess::ViewChoice;
    use crate::measures::testing::posed;
    use crate::output::names_in;
    use crate::pipeline::testing::result_of;

    /// A visit of a synthetic subject: 90 side frames (3 s) with the head 2 cm forward, 90 front.
    pub(crate) fn visit_file() -> VisitFile {
        let side = result_of(&vec![Some(posed(90.0, 0.02)); 90], false, ViewChoice::Side);
        let front = result_of(&vec![Some(posed(0.0, 0.0)); 90], false, ViewChoice::Front);
        let t = Thresholds::default();
        VisitFile {
            visit: Visit {
                schema: VISIT_SCHEMA.into(),
                patient: Some("P001".into()),
                recorded_at: utc_rfc3339(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_796_202_600)),
                protocol: Protocol::GuidedCapture,
                complete: true,
                incomplete_reason: None,
                source: SourceInfo {
                    kind: SourceKind::Camera,
                    name: "camera:0".into(),
                    width: 640,
                    height: 480,
                },
                parts: vec![
                    VisitPart::of(PartView::Side, &side, &t, Some(PartView::Side.keyframe_name())),
                    VisitPart::of(PartView::Front, &front, &t, None),
                ],
            },
            frames_csv: frames_csv(&[(PartView::Side, &side), (PartView::Front, &front)]),
            keyframes: vec![(PartView::Side.keyframe_name(), vec![0x89, b'P', b'N', b'G', 1, 2, 3])],
            video: None,
        }
    }

    #[test]
    fn a_visit_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("visit.zip");
        let file = visit_file();
        assert!(
            file.visit.parts[0].record.cva_deg.is_some(),
            "the side part has a reading"
        );
        write(&path, &file).unwrap();
        let back = read(&path).unwrap();
        assert_eq!(
            serde_json::to_value(&back.visit).unwrap(),
            serde_json::to_value(&file.visit).unwrap()
        );
        assert_eq!(back.frames_csv, file.frames_csv);
        assert_eq!(back.keyframes, file.keyframes);
        assert_eq!(back.video, None);
        assert_eq!(back.keyframe(&back.visit.parts[0]), Some(&file.keyframes[0].1[..]));
        let csv = String::from_utf8(back.frames_csv).unwrap();
        assert!(csv.starts_with("input,frame,"), "{csv}");
        assert_eq!(csv.lines().filter(|l| l.starts_with("side,")).count(), 90);
        assert_eq!(csv.lines().filter(|l| l.starts_with("front,")).count(), 90);
        assert_eq!(names_in(dir.path()), ["visit.zip"]);
    }

    #[test]
    fn the_json_has_the_contract_field_names() {
        let v = serde_json::to_value(visit_file().visit).unwrap();
        assert_eq!(v["schema"], "posture-visit/1");
        assert_eq!(v["protocol"], "guided-capture/1");
        assert_eq!(v["source"]["kind"], "camera");
        assert_eq!(v["parts"][0]["view"], "side");
        assert_eq!(v["parts"][0]["keyframe"], "keyframe-side.png");
        assert_eq!(v["parts"][1]["keyframe"], serde_json::Value::Null);
        assert!(
            v["parts"][0]["record"]["cva_deg"].is_number(),
            "{}",
            v["parts"][0]["record"]
        );
        assert_eq!(serde_json::to_value(Protocol::Import).unwrap(), "import");
    }

    #[test]
    fn a_kept_video_is_stored_under_its_extension_and_not_read_into_memory() {
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("clip.MP4");
        std::fs::write(&clip, vec![7u8; 5000]).unwrap();
        let mut file = visit_file();
        file.video = Some(VisitVideo::File(clip));
        let path = dir.path().join("v.zip");
        write(&path, &file).unwrap();
        assert_eq!(
            read(&path).unwrap().video,
            Some(VisitVideo::File(PathBuf::from("video.mp4")))
        );
    }

    #[test]
    fn an_encoded_video_is_stored_as_it_is_and_nothing_else_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = visit_file();
        file.video = Some(VisitVideo::Encoded {
            extension: "mkv",
            bytes: vec![1, 2, 3, 4],
        });
        let path = dir.path().join("v.zip");
        write(&path, &file).unwrap();
        assert_eq!(
            read(&path).unwrap().video,
            Some(VisitVideo::File(PathBuf::from("video.mkv")))
        );
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
        let mut bytes = Vec::new();
        zip.by_name("video.mkv").unwrap().read_to_end(&mut bytes).unwrap();
        assert_eq!(bytes, [1, 2, 3, 4]);
        assert_eq!(names_in(dir.path()), ["v.zip"]);
    }

    #[test]
    fn files_that_are_not_visits_are_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.zip");
        write(&good, &visit_file()).unwrap();
        let bytes = std::fs::read(&good).unwrap();
        let truncated = dir.path().join("truncated.zip");
        std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
        let text = dir.path().join("notes.zip");
        std::fs::write(&text, "hello").unwrap();
        for bad in [&truncated, &text] {
            let e = read(bad).unwrap_err();
            assert!(matches!(e, VisitError::Invalid { .. }), "{e}");
            let message = e.to_string();
            assert!(
                message.contains("not a posture visit file") && !message.contains('\n'),
                "{message}"
            );
        }
        let e = read(&dir.path().join("missing.zip")).unwrap_err();
        assert!(matches!(e, VisitError::Read { .. }), "{e}");
    }

    #[test]
    fn a_newer_schema_says_to_update() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.zip");
        let mut file = visit_file();
        file.visit.schema = "posture-visit/2".into();
        write(&path, &file).unwrap();
        let e = read(&path).unwrap_err();
        assert!(matches!(e, VisitError::Schema { .. }), "{e}");
        assert!(e.to_string().contains("update posture"));
    }

    #[test]
    fn a_failed_write_leaves_no_partial_file_and_the_old_visit_intact() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("visit.zip");
        write(&path, &visit_file()).unwrap();
        let before = std::fs::read(&path).unwrap();
        // The video to copy in does not exist: the write fails after the other entries.
        let mut file = visit_file();
        file.video = Some(VisitVideo::File(dir.path().join("gone.mp4")));
        file.visit.patient = Some("other".into());
        let e = write(&path, &file).unwrap_err();
        assert!(e.to_string().contains("gone.mp4"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(names_in(dir.path()), ["visit.zip"]);
        // Into a folder that does not exist: nothing anywhere.
        assert!(write(&dir.path().join("missing").join("v.zip"), &visit_file()).is_err());
        assert_eq!(names_in(dir.path()), ["visit.zip"]);
    }

    #[test]
    fn a_copy_for_a_patient_keeps_every_entry() {
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("clip.mp4");
        std::fs::write(&clip, vec![7u8; 5000]).unwrap();
        let mut file = visit_file();
        file.visit.patient = None;
        file.video = Some(VisitVideo::File(clip));
        let (from, to) = (dir.path().join("a.zip"), dir.path().join("b.zip"));
        write(&from, &file).unwrap();
        copy_with_patient(&from, &to, "P9").unwrap();
        let back = read(&to).unwrap();
        assert_eq!(back.visit.patient.as_deref(), Some("P9"));
        assert_eq!((back.frames_csv, back.keyframes), (file.frames_csv, file.keyframes));
        assert_eq!(back.video, Some(VisitVideo::File(PathBuf::from("video.mp4"))));
    }

    #[test]
    fn utc_times_are_rfc3339() {
        assert_eq!(utc_rfc3339(SystemTime::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_796_202_600);
        assert_eq!(utc_rfc3339(t), "2026-12-02T09:10:00Z");
        // A leap day.
        let leap = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(951_782_400);
        assert_eq!(utc_rfc3339(leap), "2000-02-29T00:00:00Z");
    }
}
