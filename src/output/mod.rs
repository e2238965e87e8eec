//! Writing results: JSON Lines records, annotated frames, and files replaced whole.

pub mod annotate;
pub mod jsonl;
pub mod measure;
pub mod table;

use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Where a file made from `input` goes inside an output folder: the input's own path, made
/// relative (its root dropped, `..` made `_up_`), with `suffix` added to its name. Inputs with
/// one file name in different folders (`a/photo.jpg`, `b/photo.jpg`) get different files, and
/// the file can never be the input itself (its name gains the suffix).
pub fn mirrored(input: &Path, suffix: &str) -> PathBuf {
    let mut path = PathBuf::new();
    for component in input.components() {
        match component {
            Component::Normal(name) => path.push(name),
            Component::ParentDir => path.push("_up_"),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(suffix);
    path.set_file_name(name);
    path
}

/// The temporary file that [`write_replacing`] writes beside `path` before renaming it: hidden,
/// and named by process so that two runs never share one.
pub(crate) fn temporary_beside(path: &Path) -> std::io::Result<PathBuf> {
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut tmp = std::ffi::OsString::from(".");
    tmp.push(name);
    tmp.push(format!(".{}.tmp", std::process::id()));
    Ok(path.with_file_name(tmp))
}

/// Fail now, before any work, if `path` could not be written later: its folder must exist and
/// take a new file, and `path` must not be a folder. Leaves nothing behind.
pub fn check_writable(path: &Path) -> std::io::Result<()> {
    if path.is_dir() {
        return Err(std::io::Error::new(std::io::ErrorKind::IsADirectory, "it is a folder"));
    }
    let tmp = temporary_beside(path)?;
    std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
    std::fs::remove_file(&tmp)
}

/// Write `bytes` to `path` through a temporary file renamed over it, so that a failure never
/// leaves half a file, and the temporary file is removed whatever fails.
pub fn write_replacing(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = temporary_beside(path)?;
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        // Nothing to do if it is already gone (it may never have been created).
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The names in a folder, sorted (tests check that nothing is left behind).
#[cfg(test)]
pub(crate) fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    #[test]
    fn inputs_with_one_file_name_in_different_folders_are_mirrored_apart() {
        let a = super::mirrored(Path::new("a/photo.jpg"), ".png");
        let b = super::mirrored(Path::new("b/photo.jpg"), ".png");
        let c = super::mirrored(Path::new("a/photo.png"), ".png");
        assert_eq!(a, PathBuf::from("a/photo.jpg.png"));
        assert!(a != b && a != c && b != c);
    }

    #[test]
    fn mirrored_paths_stay_inside_the_output_folder() {
        assert_eq!(
            super::mirrored(Path::new("/data/../clips/./x.mp4"), "_000001.png"),
            PathBuf::from("data/_up_/clips/x.mp4_000001.png")
        );
        assert_eq!(
            super::mirrored(Path::new("../x.mp4"), ".png"),
            PathBuf::from("_up_/x.mp4.png")
        );
    }

    use super::*;

    #[test]
    fn a_writable_target_is_checked_without_leaving_anything() {
        let dir = tempfile::tempdir().unwrap();
        check_writable(&dir.path().join("baseline.json")).unwrap();
        assert!(names_in(dir.path()).is_empty());
    }

    #[test]
    fn targets_that_cannot_be_written_are_found_before_any_work() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("file"), b"x").unwrap();
        for bad in [
            dir.path().join("missing").join("baseline.json"),
            dir.path().join("file").join("baseline.json"),
            dir.path().to_path_buf(),
        ] {
            assert!(check_writable(&bad).is_err(), "{}", bad.display());
        }
        assert_eq!(names_in(dir.path()), ["file"]);
    }

    #[test]
    fn replacing_writes_the_bytes_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        std::fs::write(&path, b"old").unwrap();
        write_replacing(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(names_in(dir.path()), ["baseline.json"]);
    }

    #[test]
    fn a_failed_replace_leaves_no_temporary_file() {
        // Renaming a file over a folder that holds something fails after the write.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("baseline.json");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), b"x").unwrap();
        assert!(write_replacing(&target, b"new").is_err());
        assert_eq!(names_in(dir.path()), ["baseline.json"]);
        assert_eq!(names_in(&target), ["inside"]);
    }
}
