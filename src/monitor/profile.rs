//! Camera profiles: the upright baseline recorded for one camera at one resolution, kept in the
//! data folder (`profiles/KEY.json`) so that a later watch with the same camera reuses it, and
//! a different camera or resolution (whose front signals, in pixels, differ) records its own.
//! A camera is keyed by its number and name, a video file by its file name; both by size.

use crate::assess::baseline::{Baseline, BaselineError};
use std::path::{Path, PathBuf};

/// The profile key for a source labelled `label` (a camera's "camera N (name)", a file's
/// path) delivering frames of `size`: lower-case letters, digits, `.`, `-` and `_` only.
pub fn profile_key(label: &str, is_camera: bool, size: (u32, u32)) -> String {
    let name = if is_camera {
        label.to_string()
    } else {
        let file = Path::new(label)
            .file_name()
            .map_or(label.into(), |f| f.to_string_lossy());
        format!("file {file}")
    };
    let mut key = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
            c
        } else {
            '-'
        };
        // One dash for any run of other characters, none at the start.
        if c != '-' || !(key.is_empty() || key.ends_with('-')) {
            key.push(c);
        }
    }
    let key = key.trim_end_matches('-');
    format!("{key}-{}x{}", size.0, size.1)
}

/// Where the profile `key` lives under `data_dir`.
pub fn profile_path(data_dir: &Path, key: &str) -> PathBuf {
    data_dir.join("profiles").join(format!("{key}.json"))
}

/// The baseline stored at `path`; `None` when there is none yet.
pub fn load(path: &Path) -> Result<Option<Baseline>, BaselineError> {
    if !path.exists() {
        return Ok(None);
    }
    Baseline::load(path).map(Some)
}

/// Store `baseline` at `path` (its folder made if need be), whole or not at all.
pub fn save(path: &Path, baseline: &Baseline) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let json = serde_json::to_string_pretty(baseline).map_err(std::io::Error::other)?;
    crate::output::write_replacing(path, json.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_camera_is_keyed_by_number_name_and_size_and_a_file_by_name_and_size() {
        assert_eq!(
            profile_key("camera 0 (HD Webcam: Integrated)", true, (1280, 720)),
            "camera-0-hd-webcam-integrated-1280x720"
        );
        assert_eq!(
            profile_key("camera 0 (HD Webcam: Integrated)", true, (640, 480)),
            "camera-0-hd-webcam-integrated-640x480"
        );
        assert_eq!(
            profile_key("/tmp/x/Desk Clip.mkv", false, (640, 480)),
            "file-desk-clip.mkv-640x480"
        );
        // The folder a file is in does not matter; its name does.
        assert_eq!(
            profile_key("other/Desk Clip.mkv", false, (640, 480)),
            profile_key("/tmp/x/Desk Clip.mkv", false, (640, 480))
        );
        assert!(!profile_key("../..", false, (1, 1)).contains('/'));
        assert_eq!(
            profile_path(Path::new("/d"), "file-a.mkv-2x2"),
            PathBuf::from("/d/profiles/file-a.mkv-2x2.json")
        );
    }

    #[test]
    fn no_profile_yet_is_none_and_a_damaged_one_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = profile_path(dir.path(), "k");
        assert!(load(&path).unwrap().is_none());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{").unwrap();
        assert!(load(&path).is_err());
    }
}
