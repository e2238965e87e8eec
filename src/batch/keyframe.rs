//! Annotated key frames: for an input with a reading, the used frame nearest its median CVA,
//! with the subject's skeleton and the angle drawn, so that a reader can see what was measured.
//! Written only when asked (`--keyframes`): frames are never stored otherwise.

use crate::output::annotate::keyframe_png;
use crate::pipeline::{InputResult, PipelineSettings};
use crate::pose::{Landmark, NUM_LANDMARKS};
use std::path::{Path, PathBuf};

/// Where the key frame of `input` goes, relative to the output folder: `keyframes/` and the
/// input's own path with `.png` added ([`crate::output::mirrored`]).
pub fn relative_path(input: &Path) -> PathBuf {
    Path::new("keyframes").join(crate::output::mirrored(input, ".png"))
}

/// The frame to show: among the frames used for the CVA, the one nearest the median (the
/// earliest of equals).
pub fn choose_frame(result: &InputResult) -> Option<u64> {
    let median = result.summary.as_ref()?.side.as_ref()?.cva_deg.median;
    result
        .frames
        .iter()
        .zip(&result.frame_reasons)
        .filter(|(_, reason)| reason.is_none())
        .filter_map(|(f, _)| f.timed.measure.side.ok().map(|s| (f.index, (s.cva_deg - median).abs())))
        .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)))
        .map(|(index, _)| index)
}

/// Draw and write the key frame of one input; `None` when it has no reading.
pub fn write(
    out_dir: &Path,
    input: &Path,
    result: &InputResult,
    skeletons: &[(u64, [Landmark; NUM_LANDMARKS])],
    pipeline: &PipelineSettings,
) -> Result<Option<PathBuf>, String> {
    let Some(index) = choose_frame(result) else {
        return Ok(None);
    };
    let frame_measure = result
        .frames
        .iter()
        .find(|f| f.index == index)
        .and_then(|f| f.timed.measure.side.ok().map(|s| (s, f.timed.measure.view.view)));
    let (Some((side, view)), Some((_, landmarks))) = (frame_measure, skeletons.iter().find(|s| s.0 == index)) else {
        return Ok(None);
    };
    let mut source = pipeline.open_input(input).map_err(|e| e.to_string())?;
    let frame = loop {
        match source.next_frame() {
            Some(Ok(f)) if f.index == index => break f,
            Some(_) => continue,
            None => return Err(format!("frame {index} could not be read again")),
        }
    };
    let png = keyframe_png(&frame.image, landmarks, &side, view);
    let relative = relative_path(input);
    let path = out_dir.join(&relative);
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).map_err(|e| format!("cannot create {}: {e}", folder.display()))?;
    }
    crate::output::write_replacing(&path, &png).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(Some(relative))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_frames_go_under_keyframes_named_after_the_input() {
        assert_eq!(
            relative_path(Path::new("a/photo.jpg")),
            PathBuf::from("keyframes/a/photo.jpg.png")
        );
    }
}
