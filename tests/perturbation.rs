//! A reading must not hang on a gate passed by a hair. Different CPUs (AVX2 or not) give
//! landmarks that differ in the last digits, so the real fixtures are measured again with
//! small pixel noise (a quarter of the pixel values moved by one level, several seeds) and with
//! the landmarks moved by up to 0.5% of the region they were read from: no input may gain or
//! lose a number, or change view or class; under pixel noise no reading moves beyond its
//! interval; and the man on the box never gets a number.
//!
//! The frame loop is the library's, driven here so that noise can be put in; the first test
//! checks that its clean run gives what `posture measure` prints.

mod common;
use common::*;
use posture::assess::stats::SplitMix64 as Rng;
use posture::assess::{summarize, Summary, Thresholds, TimedMeasure, ViewChoice};
use posture::frames::{Frame, FrameError, FrameSource};
use posture::measures::{measure_frame, MeasureSettings};
use posture::pipeline::{for_each_frame_of, InputError, PipelineSettings};
use posture::pose::{LandmarkVariant, Pose, PoseModels, SessionOptions};
use posture::validation::perturb_landmarks;

/// One eighth of the bytes up by one level, one eighth down.
fn add_pixel_noise(pixels: &mut [u8], rng: &mut Rng) {
    for chunk in pixels.chunks_mut(21) {
        let mut bits = rng.next_u64();
        for p in chunk {
            match bits & 7 {
                0 => *p = p.saturating_add(1),
                1 => *p = p.saturating_sub(1),
                _ => {}
            }
            bits >>= 3;
        }
    }
}

struct Input {
    file: &'static str,
    subject: Option<(f32, f32)>,
    pixel_seeds: u64,
    landmark_seeds: u64,
}

/// A frame's time, whether it is a still, its size, and the subject's pose.
type TrackedFrame = (f64, bool, (u32, u32), Option<Pose>);

/// A file's frames with pixel noise from a seed, for the library's frame loop.
struct Noisy {
    inner: Box<dyn FrameSource>,
    rng: Rng,
}

impl FrameSource for Noisy {
    fn label(&self) -> &str {
        self.inner.label()
    }

    fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        let mut next = self.inner.next_frame()?;
        if let Ok(frame) = &mut next {
            add_pixel_noise(&mut frame.image, &mut self.rng);
        }
        Some(next)
    }

    fn is_still(&self) -> bool {
        self.inner.is_still()
    }
}

/// One pass of the library's frame loop over `input`, with pixel noise from `pixel_seed`; the
/// poses come back with the timing, so that landmark perturbations can be measured without
/// tracking again.
fn track(models: &mut PoseModels, input: &Input, pixel_seed: Option<u64>) -> Vec<TrackedFrame> {
    let settings = PipelineSettings {
        subject: input.subject,
        ..Default::default()
    };
    let path = fixture(input.file);
    let mut source = settings.open_input(&path).expect("fixture opens");
    if let Some(seed) = pixel_seed {
        source = Box::new(Noisy {
            inner: source,
            rng: Rng(seed),
        });
    }
    let mut out = Vec::new();
    for_each_frame_of(
        source,
        input.file,
        &settings,
        models,
        &|| false,
        |frame, result, is_still| {
            out.push((
                frame.timestamp_ms,
                is_still,
                (frame.image.width(), frame.image.height()),
                result.pose.clone(),
            ));
            Ok::<(), InputError>(())
        },
    )
    .expect("the fixture is read to its end");
    out
}

fn summary_of(frames: &[TrackedFrame], landmark_seed: Option<u64>) -> Summary {
    let settings = MeasureSettings::default();
    let mut rng = Rng(landmark_seed.unwrap_or(0) ^ 0xABCD);
    let timed: Vec<TimedMeasure> = frames
        .iter()
        .map(|(t, is_still, size, pose)| {
            let pose = match (pose, landmark_seed) {
                (Some(p), Some(_)) => Some(perturb_landmarks(p, 0.005, &mut rng)),
                (p, _) => p.clone(),
            };
            TimedMeasure {
                timestamp_ms: *t,
                is_still: *is_still,
                measure: measure_frame(pose.as_ref(), *size, &settings),
            }
        })
        .collect();
    summarize(&timed, ViewChoice::Auto, &Thresholds::default())
}

fn models() -> PoseModels {
    PoseModels::load(
        &posture::pose::runtime::default_models_dir(),
        LandmarkVariant::Lite,
        SessionOptions { threads: 1 },
    )
    .expect("models load")
}

/// What must not change: the view, whether there is a number, and its class.
fn outcome(s: &Summary) -> (String, Option<String>) {
    let class = s.side.as_ref().map(|side| {
        format!(
            "{:?}",
            Thresholds::default()
                .forward_head(side.cva_deg.median)
                .expect("a class")
        )
    });
    (s.view.as_str().to_string(), class)
}

/// How far a reading may move under pixel noise: within a clip's interval, or this much for a
/// still, which has no interval of its own (render s030 moves 0.75 degree; over 40 training
/// renders and 3 seeds the median change is 0.3 degree and the largest 2.9: docs/measures.md,
/// "Robustness").
const STILL_TOLERANCE_DEG: f32 = 1.5;
/// Under landmark perturbation, which moves every landmark of every frame independently by up
/// to 0.5% of the region (about 3 px on a 30 px head, a thousand times what a change of CPU
/// does), a reading may move this much: a still's angle follows its landmarks (3.2 degrees
/// measured on s030), and a clip's median moves by up to 0.7 degree here.
const LANDMARK_TOLERANCE_CLIP_DEG: f32 = 1.5;
const LANDMARK_TOLERANCE_STILL_DEG: f32 = 4.0;

/// Measure `input` clean and perturbed; return a line per run that broke the rules.
fn check(input: &Input) -> (Summary, Vec<String>) {
    let mut models = models();
    let clean_frames = track(&mut models, input, None);
    let clean = summary_of(&clean_frames, None);
    let mut runs: Vec<(String, Summary)> = (1..=input.landmark_seeds)
        .map(|seed| (format!("landmarks seed {seed}"), summary_of(&clean_frames, Some(seed))))
        .collect();
    for seed in 1..=input.pixel_seeds {
        let frames = track(&mut models, input, Some(seed));
        runs.push((format!("pixels seed {seed}"), summary_of(&frames, None)));
    }
    let expected = outcome(&clean);
    let mut broken = Vec::new();
    for (name, s) in &runs {
        let got = outcome(s);
        if got != expected {
            broken.push(format!("{}: {name}: {got:?} instead of {expected:?}", input.file));
        }
        if let (Some(c), Some(p)) = (&clean.side, &s.side) {
            let m = c.cva_deg.median;
            let (lo, hi) = match (name.starts_with("landmarks"), c.cva_deg.ci95) {
                (false, Some(ci)) => ci,
                (false, None) => (m - STILL_TOLERANCE_DEG, m + STILL_TOLERANCE_DEG),
                (true, Some(_)) => (m - LANDMARK_TOLERANCE_CLIP_DEG, m + LANDMARK_TOLERANCE_CLIP_DEG),
                (true, None) => (m - LANDMARK_TOLERANCE_STILL_DEG, m + LANDMARK_TOLERANCE_STILL_DEG),
            };
            let v = p.cva_deg.median;
            eprintln!(
                "{}: {name}: CVA {v:.2} (clean {:.2}, {lo:.2}-{hi:.2}), raw {:.2} (clean {:.2}), {} frames used ({:?})",
                input.file, c.cva_deg.median, p.cva_raw_deg.median, c.cva_raw_deg.median, s.frames_used, s.reasons
            );
            if !(lo..=hi).contains(&v) {
                broken.push(format!("{}: {name}: CVA {v:.2} outside {lo:.2}-{hi:.2}", input.file));
            }
        }
    }
    (clean, broken)
}

fn check_all(inputs: Vec<Input>) -> Vec<(Summary, Vec<String>)> {
    // Two at a time: the machine has two cores.
    let mut inputs = inputs.into_iter();
    let mut results = Vec::new();
    loop {
        let pair: Vec<Input> = inputs.by_ref().take(2).collect();
        if pair.is_empty() {
            return results;
        }
        let handles: Vec<_> = pair
            .into_iter()
            .map(|i| std::thread::spawn(move || check(&i)))
            .collect();
        results.extend(handles.into_iter().map(|h| h.join().expect("no panic")));
    }
}

#[test]
fn the_clean_run_here_is_what_posture_measure_prints() {
    let input = Input {
        file: "render_s030_sway.mp4",
        subject: None,
        pixel_seeds: 0,
        landmark_seeds: 0,
    };
    let mut models = models();
    let clean = summary_of(&track(&mut models, &input, None), None);
    let out = posture(&["measure", "--json", fixture(input.file).to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let recs = records(&out);
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    let side = clean.side.expect("the sway clip reads");
    assert_eq!(r["quality"]["frames_used"], clean.frames_used as u64, "{r}");
    let printed = r["cva_deg"].as_f64().expect("a CVA") as f32;
    assert!(
        (printed - side.cva_deg.median).abs() <= 0.05,
        "{printed} vs {}",
        side.cva_deg.median
    );
}

#[test]
fn the_man_on_the_box_never_gets_a_number_under_noise() {
    let results = check_all(vec![Input {
        file: "sports2d_walk.mp4",
        subject: Some((700.0, 280.0)),
        pixel_seeds: 6,
        landmark_seeds: 6,
    }]);
    let (clean, broken) = &results[0];
    assert!(clean.side.is_none(), "{:?}", clean.reasons);
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn no_fixture_gains_loses_or_moves_its_reading_under_noise() {
    let inputs = vec![
        Input {
            file: "render_s030_sway.mp4",
            subject: None,
            pixel_seeds: 3,
            landmark_seeds: 6,
        },
        Input {
            file: "sports2d_walk.mp4",
            subject: Some((1400.0, 680.0)),
            pixel_seeds: 2,
            landmark_seeds: 6,
        },
        Input {
            file: "lab_cam01_h264.mp4",
            subject: None,
            pixel_seeds: 2,
            landmark_seeds: 6,
        },
        Input {
            file: "renders/s030_side_seated_male_heavy_fhp-moderate_R_yawm5_level.jpg",
            subject: None,
            pixel_seeds: 6,
            landmark_seeds: 6,
        },
        Input {
            file: "cameraman.png",
            subject: None,
            pixel_seeds: 6,
            landmark_seeds: 6,
        },
        Input {
            file: "grace_hopper.jpg",
            subject: None,
            pixel_seeds: 6,
            landmark_seeds: 6,
        },
    ];
    let n = inputs.len();
    let results = check_all(inputs);
    assert_eq!(results.len(), n, "every input checked");
    // The sway clip and the render read; the rest give no number, clean as under noise.
    assert!(results[0].0.side.is_some() && results[3].0.side.is_some());
    let broken: Vec<&String> = results.iter().flat_map(|r| &r.1).collect();
    assert!(broken.is_empty(), "{broken:#?}");
}
