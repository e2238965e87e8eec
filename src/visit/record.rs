//! The patient record: a folder per patient under the data folder, holding that patient's visit
//! files as they are (`DATA/patients/ID/2026-12-02T091000Z.zip`).
//!
//! Why files rather than SQLite: a visit is already one self-contained file (measurements, frame
//! table, key frames, provenance); a database would copy it or point at it. A folder can be
//! backed up, sent or archived with the patient's notes as it is, a visit can be opened by hand,
//! and adding one is a single atomic rename, so a failed `visits add` never touches what is
//! stored. Listing reads each visit's JSON: a record holds tens of visits, not thousands.

use super::format::{self, Visit, VisitError, VisitFile};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("'{0}' is not a patient id: use 1-64 letters, digits, '-', '_' or '.', not starting with '.'")]
    BadId(String),
    #[error("no visits for patient {id} yet (add one with `posture visits add {id} VISIT.zip`)")]
    NoVisits { id: String },
    #[error("{}: recorded for patient {found}, not {id}; add it to {found}'s record", path.display())]
    OtherPatient { path: PathBuf, id: String, found: String },
    #[error("cannot store the visit in {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Visit(#[from] VisitError),
}

/// Check a patient id: it names a folder, so only characters safe in any file system.
pub fn check_id(id: &str) -> Result<(), RecordError> {
    let ok = (1..=64).contains(&id.len())
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(RecordError::BadId(id.to_string()))
    }
}

/// One stored visit.
#[derive(Debug, Clone)]
pub struct StoredVisit {
    pub path: PathBuf,
    pub file: VisitFile,
}

/// The record of one patient.
#[derive(Debug, Clone)]
pub struct PatientRecord {
    pub id: String,
    pub dir: PathBuf,
}

impl PatientRecord {
    /// The record of `id` under `data_dir` (nothing is created until a visit is added).
    pub fn open(data_dir: &Path, id: &str) -> Result<PatientRecord, RecordError> {
        check_id(id)?;
        Ok(PatientRecord {
            id: id.to_string(),
            dir: data_dir.join("patients").join(id),
        })
    }

    /// The file name a visit recorded at `recorded_at` is stored under: the time without
    /// colons, and `-2`, `-3`... when the name is taken.
    fn free_name(&self, recorded_at: &str) -> PathBuf {
        let stem: String = recorded_at
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let mut n = 1;
        loop {
            let name = if n == 1 {
                format!("{stem}.zip")
            } else {
                format!("{stem}-{n}.zip")
            };
            let path = self.dir.join(name);
            if !path.exists() {
                return path;
            }
            n += 1;
        }
    }

    fn io(&self, source: std::io::Error) -> RecordError {
        RecordError::Io {
            path: self.dir.clone(),
            source,
        }
    }

    /// Store a visit file made here (an import): marked as this patient's.
    pub fn add_new(&self, mut file: VisitFile) -> Result<PathBuf, RecordError> {
        file.visit.patient = Some(self.id.clone());
        std::fs::create_dir_all(&self.dir).map_err(|e| self.io(e))?;
        let path = self.free_name(&file.visit.recorded_at);
        format::write(&path, &file)?;
        Ok(path)
    }

    /// Store a visit file given by the user (a capture): checked whole first, refused when it
    /// names another patient; one that names none is marked as this patient's. Every entry,
    /// a kept video included, is copied as it is.
    pub fn add_file(&self, source: &Path) -> Result<(PathBuf, Visit), RecordError> {
        let visit = format::read(source)?.visit;
        if let Some(found) = visit.patient.as_ref().filter(|p| **p != self.id) {
            return Err(RecordError::OtherPatient {
                path: source.to_path_buf(),
                id: self.id.clone(),
                found: found.clone(),
            });
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| self.io(e))?;
        let path = self.free_name(&visit.recorded_at);
        format::copy_with_patient(source, &path, &self.id)?;
        let stored = format::read(&path)?.visit;
        Ok((path, stored))
    }

    /// The patient's history from every stored visit, with the number of visits.
    pub fn history(
        &self,
        thresholds: &crate::assess::Thresholds,
    ) -> Result<(super::history::History, usize), RecordError> {
        let named: Vec<_> = self
            .visits()?
            .into_iter()
            .map(|v| {
                (
                    v.path.file_name().unwrap_or_default().to_string_lossy().into_owned(),
                    v.file,
                )
            })
            .collect();
        Ok((super::history::history(&self.id, &named, thresholds), named.len()))
    }

    /// Every stored visit, oldest first (by recording time, then file name). A file that cannot
    /// be read is an error naming it: a record is never shown with a visit silently missing.
    pub fn visits(&self) -> Result<Vec<StoredVisit>, RecordError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(RecordError::NoVisits { id: self.id.clone() })
            }
            Err(e) => return Err(self.io(e)),
        };
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| self.io(e))?.path();
            let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if !hidden && path.extension().is_some_and(|e| e == "zip") {
                paths.push(path);
            }
        }
        let mut visits = paths
            .into_iter()
            .map(|path| {
                Ok(StoredVisit {
                    file: format::read(&path)?,
                    path,
                })
            })
            .collect::<Result<Vec<_>, RecordError>>()?;
        if visits.is_empty() {
            return Err(RecordError::NoVisits { id: self.id.clone() });
        }
        visits.sort_by(|a, b| {
            (a.file.visit.recorded_at.as_str(), &a.path).cmp(&(b.file.visit.recorded_at.as_str(), &b.path))
        });
        Ok(visits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_ids_are_safe_folder_names() {
        for good in ["P001", "anna.k", "2026-03_x"] {
            check_id(good).unwrap();
        }
        for bad in ["", ".", "..", "../x", "a/b", "a b", ".hidden", &"x".repeat(65)] {
            assert!(check_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_empty_record_says_how_to_add_a_visit() {
        let dir = tempfile::tempdir().unwrap();
        let record = PatientRecord::open(dir.path(), "P1").unwrap();
        let e = record.visits().unwrap_err();
        assert!(e.to_string().contains("posture visits add P1"), "{e}");
    }
}
