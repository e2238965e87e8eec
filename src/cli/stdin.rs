//! `-` as an input: a picture or video read from standard input. It is spooled to a temporary
//! file first (a video's index may sit at its end, and FFmpeg seeks), then opened as any file,
//! its format read from the content; results and messages name it `-`. The file is removed
//! when the run ends.

use anyhow::Context;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// The input that means standard input.
pub const STDIN: &str = "-";

/// The inputs of a run, with standard input spooled when one of them is `-`.
pub struct Inputs {
    spooled: Option<(tempfile::TempDir, PathBuf)>,
}

/// Spool standard input when `-` is among `inputs`; refuse `-` twice (standard input can be
/// read once) and a terminal (nothing was piped in).
pub fn spool(inputs: &[PathBuf]) -> anyhow::Result<Inputs> {
    let dashes = inputs.iter().filter(|i| i.as_os_str() == STDIN).count();
    if dashes == 0 {
        return Ok(Inputs { spooled: None });
    }
    if dashes > 1 {
        anyhow::bail!("`-` (standard input) is given {dashes} times; it can be read once");
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        anyhow::bail!("`-` reads a picture or video from standard input, but it is a terminal; pipe one in, e.g. `posture measure - < photo.jpg`");
    }
    let dir = tempfile::Builder::new()
        .prefix("posture-stdin")
        .tempdir()
        .context("cannot create a temporary folder for standard input")?;
    let path = dir.path().join("stdin");
    let mut file = std::fs::File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
    std::io::copy(&mut stdin.lock(), &mut file).context("cannot read standard input")?;
    Ok(Inputs {
        spooled: Some((dir, path)),
    })
}

impl Inputs {
    /// The file to open for `input`: the spooled copy for `-`, else `input` itself.
    pub fn path<'a>(&'a self, input: &'a Path) -> &'a Path {
        match &self.spooled {
            Some((_, spooled)) if input.as_os_str() == STDIN => spooled,
            _ => input,
        }
    }

    /// `text` (a label, an error) with the spooled copy's path named `-`.
    pub fn relabel(&self, text: &str) -> String {
        match &self.spooled {
            Some((_, spooled)) => text.replace(&spooled.display().to_string(), STDIN),
            None => text.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_dash_inputs_are_opened_as_given() {
        let inputs = spool(&[PathBuf::from("a.jpg"), PathBuf::from("./-x")]).unwrap();
        assert_eq!(inputs.path(Path::new("a.jpg")), Path::new("a.jpg"));
        assert_eq!(inputs.relabel("a.jpg: no such file"), "a.jpg: no such file");
    }

    #[test]
    fn a_dash_given_twice_is_refused_before_reading() {
        let err = spool(&[PathBuf::from("-"), PathBuf::from("-")]).err().unwrap();
        assert!(err.to_string().contains("2 times"), "{err}");
    }

    #[test]
    fn the_spooled_copy_is_named_dash_in_messages() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stdin");
        let inputs = Inputs {
            spooled: Some((dir, path.clone())),
        };
        assert_eq!(inputs.path(Path::new("-")), path);
        assert_eq!(inputs.path(Path::new("b.mp4")), Path::new("b.mp4"));
        let error = format!("{}: corrupt or truncated: x", path.display());
        assert_eq!(inputs.relabel(&error), "-: corrupt or truncated: x");
    }
}
