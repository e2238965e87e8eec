//! Finding the inputs of a batch: files as given, and the pictures and videos inside folders,
//! recognised by their content (a clip named `.dat` is found; notes and spreadsheets are not).

use super::image_file::sniff;
use super::video::{picture_format, read_head, sniff_container};
use super::FrameError;
use std::path::{Path, PathBuf};

/// The inputs found, in order, and what was passed over.
#[derive(Debug, Default, PartialEq)]
pub struct Discovery {
    pub inputs: Vec<PathBuf>,
    /// Files inside folders that are neither a picture nor a video this tool reads, with what
    /// they are (hidden files and folders are ignored, not counted).
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    pub path: PathBuf,
    pub why: String,
}

/// What a file's first bytes say it is.
#[derive(Debug, Clone, PartialEq)]
enum Content {
    /// A PNG or JPEG picture, or a video container.
    Media,
    /// A picture format this tool does not read (HEIC, GIF, ...).
    UnsupportedPicture(&'static str),
    Other,
}

/// What the file's first bytes (the ones the sources recognise formats by) say it is.
fn content_of(path: &Path) -> Result<Content, FrameError> {
    let head = read_head(path)?;
    Ok(if let Some(kind) = picture_format(&head) {
        Content::UnsupportedPicture(kind)
    } else if sniff_container(&head).is_some() || sniff(&head).is_some() {
        Content::Media
    } else {
        Content::Other
    })
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.as_encoded_bytes().first() == Some(&b'.'))
}

/// The inputs named by `paths`, in the order given: a file is taken as it is (a bad one then
/// fails with its own error, as `posture measure` would); a folder is searched recursively,
/// its entries sorted by name, keeping what its content shows to be a picture or a video.
/// Symbolic links to folders are not followed (no loops); a path that does not exist is an
/// input, so that it fails by name.
pub fn discover(paths: &[PathBuf]) -> std::io::Result<Discovery> {
    let mut found = Discovery::default();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut found)?;
        } else {
            found.inputs.push(path.clone());
        }
    }
    Ok(found)
}

fn walk(dir: &Path, found: &mut Discovery) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !is_hidden(p))
        .collect();
    entries.sort();
    for path in entries {
        let meta = std::fs::symlink_metadata(&path)?;
        if meta.is_dir() {
            walk(&path, found)?;
            continue;
        }
        if meta.file_type().is_symlink() && path.is_dir() {
            continue;
        }
        let skip = |why: String| Skipped {
            path: path.clone(),
            why,
        };
        match content_of(&path) {
            Ok(Content::Media) => found.inputs.push(path),
            Ok(Content::UnsupportedPicture(kind)) => {
                found.skipped.push(skip(format!("{kind} picture (unsupported format)")))
            }
            Ok(Content::Other) => found.skipped.push(skip("not a picture or video".into())),
            Err(e) => found.skipped.push(skip(e.to_string())),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, bytes: &[u8]) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    #[test]
    fn folders_are_searched_by_content_in_name_order_and_hidden_files_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(&d.join("b/clip.dat"), b"\0\0\0\x18ftypisom\0\0\0\0");
        write(&d.join("a/photo.jpg"), &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]);
        write(&d.join("a/notes.txt"), b"remember the baseline");
        write(&d.join("a/phone.heic"), b"\0\0\0\x18ftypheic\0\0\0\0");
        write(&d.join("a/.DS_Store"), b"\0\0\0\x01Bud1");
        write(&d.join(".cache/x.png"), b"\x89PNG\r\n\x1a\n");
        let found = discover(&[d.to_path_buf()]).unwrap();
        assert_eq!(found.inputs, vec![d.join("a/photo.jpg"), d.join("b/clip.dat")]);
        let skipped: Vec<_> = found.skipped.iter().map(|s| (s.path.clone(), s.why.as_str())).collect();
        assert_eq!(
            skipped,
            vec![
                (d.join("a/notes.txt"), "not a picture or video"),
                (d.join("a/phone.heic"), "HEIF/HEIC picture (unsupported format)"),
            ]
        );
    }

    #[test]
    fn files_named_are_inputs_whatever_they_hold() {
        let dir = tempfile::tempdir().unwrap();
        let notes = dir.path().join("notes.txt");
        write(&notes, b"text");
        let missing = dir.path().join("missing.mp4");
        let found = discover(&[notes.clone(), missing.clone()]).unwrap();
        assert_eq!(found.inputs, vec![notes, missing]);
        assert!(found.skipped.is_empty());
    }
}
