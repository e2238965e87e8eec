//! Annotated key frames: for an input with a reading, the used frame nearest its median CVA,
//! with the subject's skeleton and the angle drawn, so that a reader can see what was measured.
//! Written only when asked (`--keyframes`): frames are never stored otherwise.

use crate::frames::Frame;
use crate::measures::{SideMeasures, View};
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

/// The side reading of frame `index` of `result`, with the frame's view.
pub fn side_of(result: &InputResult, index: u64) -> Option<(SideMeasures, View)> {
    result
        .frames
        .iter()
        .find(|f| f.index == index)
        .and_then(|f| f.timed.measure.side.ok().map(|s| (s, f.timed.measure.view.view)))
}

/// Read frame `index` of `input` again (key frames are chosen after the pass, and frames are
/// not kept during it).
pub fn read_frame(pipeline: &PipelineSettings, input: &Path, index: u64) -> Result<Frame, String> {
    let mut source = pipeline.open_input(input).map_err(|e| e.to_string())?;
    loop {
        match source.next_frame() {
            Some(Ok(f)) if f.index == index => return Ok(f),
            Some(_) => continue,
            None => return Err(format!("frame {index} could not be read again")),
        }
    }
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
    let (Some((side, view)), Some((_, landmarks))) = (side_of(result, index), skeletons.iter().find(|s| s.0 == index))
    else {
        return Ok(None);
    };
    let frame = read_frame(pipeline, input, index)?;
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
