//! A visit from a clip or photos measured on import (`posture visits add PATIENT CLIP|PHOTO...`):
//! protocol `import`, no guidance. The frames go through the library pipeline once
//! ([`crate::pipeline::measure_input`]); a clip recorded side-on then facing the camera, as the
//! guided capture records it, is cut into a side part and a front part where it turns
//! ([`super::compare::split_by_view`]), and each part is judged on its own
//! ([`crate::pipeline::assess_input`]). Photos are grouped by the view each shows.

use super::compare::split_by_view;
use super::format::{self, PartView, Protocol, SourceInfo, SourceKind, Visit, VisitFile, VisitPart, VISIT_SCHEMA};
use crate::assess::ViewChoice;
use crate::batch::keyframe::{choose_frame, read_frame, side_of};
use crate::measures::View;
use crate::output::annotate::keyframe_png;
use crate::pipeline::{assess_input, measure_input, Analysis, InputResult, Measured, MeasuredFrame};
use crate::pose::{Landmark, PoseModels, NUM_LANDMARKS};
use std::path::{Path, PathBuf};

/// Photos are pooled as one recording with this gap between them, as `posture calibrate` pools
/// inputs, so that the movement and spike filters never take two photos for neighbours.
const GAP_BETWEEN_PHOTOS_MS: f64 = 60_000.0;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("give one clip, or photos, per visit (not {0})")]
    Mixed(String),
    #[error("{0}; nothing added")]
    Input(String),
    #[error("interrupted; nothing added")]
    Interrupted,
}

/// One input's pass: its frames, the skeletons of frames with a side reading (for the key
/// frame), and the picture size.
struct Pass {
    path: PathBuf,
    measured: Measured,
    skeletons: Vec<(u64, [Landmark; NUM_LANDMARKS])>,
    size: (u32, u32),
}

fn pass(
    path: &Path,
    analysis: &Analysis,
    models: &mut PoseModels,
    stop: &dyn Fn() -> bool,
) -> Result<Pass, ImportError> {
    let mut skeletons = Vec::new();
    let mut size = (0, 0);
    let measured = measure_input(
        path,
        analysis.pipeline,
        &analysis.assess.measure,
        models,
        stop,
        |frame, pose, m| {
            size = (frame.image.width(), frame.image.height());
            if let (true, Some(p)) = (m.timed.measure.side.is_ok(), &pose.pose) {
                skeletons.push((m.index, p.landmarks));
            }
        },
    );
    if measured.stats.interrupted {
        return Err(ImportError::Interrupted);
    }
    if let Some(e) = &measured.error {
        return Err(ImportError::Input(e.to_string()));
    }
    Ok(Pass {
        path: path.to_path_buf(),
        measured,
        skeletons,
        size,
    })
}

/// A part to judge: its frames, and for each frame index the input and frame to read again
/// for the key frame.
struct PartFrames {
    view: PartView,
    frames: Vec<MeasuredFrame>,
    origin: Vec<(u64, PathBuf, u64)>,
}

/// Measure `inputs` (one clip, or photos) as one visit recorded at `recorded_at`.
pub fn import(
    inputs: &[PathBuf],
    analysis: &Analysis,
    models: &mut PoseModels,
    stop: &dyn Fn() -> bool,
    recorded_at: String,
) -> Result<VisitFile, ImportError> {
    let mut passes = Vec::new();
    for path in inputs {
        passes.push(pass(path, analysis, models, stop)?);
    }
    let clips = passes.iter().filter(|p| !p.measured.stats.is_still).count();
    if clips > 1 || (clips == 1 && passes.len() > 1) {
        return Err(ImportError::Mixed(format!(
            "{clips} clip(s) and {} photo(s)",
            passes.len() - clips
        )));
    }
    let view_of = |f: &MeasuredFrame| f.timed.measure.view.view;
    let parts: Vec<PartFrames> = if clips == 1 {
        let pass = &passes[0];
        let views: Vec<View> = pass.measured.frames.iter().map(view_of).collect();
        split_by_view(&views)
            .into_iter()
            .map(|(view, range)| {
                let frames = pass.measured.frames[range].to_vec();
                let origin = frames.iter().map(|f| (f.index, pass.path.clone(), f.index)).collect();
                PartFrames { view, frames, origin }
            })
            .collect()
    } else {
        PartView::ALL
            .into_iter()
            .filter_map(|view| {
                let mut part = PartFrames {
                    view,
                    frames: Vec::new(),
                    origin: Vec::new(),
                };
                for (k, p) in passes.iter().enumerate() {
                    let Some(f) = p.measured.frames.first() else { continue };
                    let is_front = view_of(f) == View::Front;
                    if is_front != (view == PartView::Front) {
                        continue;
                    }
                    let mut f = *f;
                    f.index = k as u64;
                    f.timed.timestamp_ms = k as f64 * GAP_BETWEEN_PHOTOS_MS;
                    part.frames.push(f);
                    part.origin.push((k as u64, p.path.clone(), 0));
                }
                (!part.frames.is_empty()).then_some(part)
            })
            .collect()
    };
    // A part is named by its own inputs and its view.
    let label = |part: &PartFrames| {
        let mut names: Vec<String> = part.origin.iter().map(|o| file_name(&o.1)).collect();
        names.dedup();
        format!("{} ({})", names.join(", "), part.view.as_str())
    };
    let mut visit_parts = Vec::new();
    let mut keyframes = Vec::new();
    let mut results = Vec::new();
    for part in parts {
        let name = label(&part);
        let assess = crate::pipeline::AssessSettings {
            view: match part.view {
                PartView::Side => ViewChoice::Side,
                PartView::Front => ViewChoice::Front,
            },
            ..analysis.assess.clone()
        };
        let measured = Measured {
            frames: part.frames,
            stats: passes[0].measured.stats,
            error: None,
        };
        let result = assess_input(&name, measured, &assess, None, analysis.provenance);
        let skeletons: Vec<_> = passes
            .iter()
            .flat_map(|p| p.skeletons.iter().map(move |s| (p, s)))
            .collect();
        let keyframe = key_frame(&result, &part.origin, &skeletons, analysis)?;
        let name = keyframe.map(|png| {
            let name = part.view.keyframe_name();
            keyframes.push((name.clone(), png));
            name
        });
        visit_parts.push(VisitPart::of(part.view, &result, &assess.thresholds, name));
        results.push((part.view, result));
    }
    let used = |r: &InputResult| r.summary.as_ref().is_some_and(|s| s.frames_used > 0);
    let complete = results.iter().any(|(v, r)| *v == PartView::Side && used(r));
    let frames_csv = format::frames_csv(&results.iter().map(|(v, r)| (*v, r)).collect::<Vec<_>>());
    let name = match inputs {
        [one] => file_name(one),
        [first, rest @ ..] => format!("{} (+{} more)", file_name(first), rest.len()),
        [] => String::new(),
    };
    Ok(VisitFile {
        visit: Visit {
            schema: VISIT_SCHEMA.into(),
            patient: None,
            recorded_at,
            protocol: Protocol::Import,
            complete,
            incomplete_reason: (!complete).then(|| "no side view with usable frames".to_string()),
            source: SourceInfo {
                kind: SourceKind::File,
                name,
                width: passes[0].size.0,
                height: passes[0].size.1,
            },
            parts: visit_parts,
        },
        frames_csv,
        keyframes,
        video: None,
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// The annotated key frame of a part with a side reading: the frame nearest its median, read
/// again from its input.
fn key_frame(
    result: &InputResult,
    origin: &[(u64, PathBuf, u64)],
    skeletons: &[(&Pass, &(u64, [Landmark; NUM_LANDMARKS]))],
    analysis: &Analysis,
) -> Result<Option<Vec<u8>>, ImportError> {
    let Some(index) = choose_frame(result) else {
        return Ok(None);
    };
    let (Some((side, view)), Some((_, path, source_index))) =
        (side_of(result, index), origin.iter().find(|o| o.0 == index))
    else {
        return Ok(None);
    };
    let Some((_, (_, landmarks))) = skeletons.iter().find(|(p, s)| p.path == *path && s.0 == *source_index) else {
        return Ok(None);
    };
    let frame = read_frame(analysis.pipeline, path, *source_index)
        .map_err(|e| ImportError::Input(format!("{}: key frame: {e}", path.display())))?;
    Ok(Some(keyframe_png(&frame.image, landmarks, &side, view)))
}
