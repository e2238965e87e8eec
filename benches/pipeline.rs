//! Benchmarks for each pipeline stage and for the whole pipeline on a fixture clip.
//!
//! Stages: `decode` (video to RGB frames), `detector` (letterbox, inference, post-processing),
//! `roi_crop` (ROI from a detection and the 256x256 crop), `landmarks` (inference alone),
//! `postprocess` (heatmap refinement and projection), `pose_only` (the tracking pipeline over
//! the sports2d clip decoded beforehand) and `end_to_end` (decoding included), both in frames
//! per second. Models at 1 and 2 threads.
//!
//! Run: `cargo bench --bench pipeline` (or a group: `cargo bench --bench pipeline -- end_to_end`).
//! Numbers go in BENCHMARKS.md with the machine and the command.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use posture::frames::{open_file, Frame, OpenOptions, VideoOptions};
use posture::pipeline::{for_each_frame_of, InputError, PersonMaskWhen, PipelineSettings};
use posture::pose::landmarks::decode;
use posture::pose::{runtime, LandmarkVariant, PoseModels, SessionOptions, Tracker, TrackerConfig};
use std::path::{Path, PathBuf};
use std::time::Duration;

const CLIP: &str = "sports2d_walk.mp4";
const CLIP_FRAMES: u64 = 230;

fn clip() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(CLIP)
}

fn open_clip(decoder_threads: usize) -> Box<dyn posture::frames::FrameSource> {
    let options = OpenOptions {
        video: VideoOptions {
            stride: 1,
            decoder_threads,
        },
        replay: false,
    };
    open_file(&clip(), &options).expect("fixture clip opens")
}

/// A side-view frame of the walking woman (full body in view).
fn sample_frame() -> Frame {
    let mut source = open_clip(0);
    loop {
        let f = source.next_frame().expect("frame").expect("decodes");
        if f.index == 100 {
            return f;
        }
    }
}

fn models(variant: LandmarkVariant, threads: usize) -> PoseModels {
    PoseModels::load(&runtime::default_models_dir(), variant, SessionOptions { threads }).expect("models load")
}

fn decode_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    g.sample_size(10).throughput(Throughput::Elements(CLIP_FRAMES));
    for threads in [1, 2] {
        g.bench_function(
            BenchmarkId::new("sports2d_1768x994_vp9", format!("{threads}thread")),
            |b| {
                b.iter(|| {
                    let mut source = open_clip(threads);
                    let mut n = 0;
                    while let Some(f) = source.next_frame() {
                        f.expect("decodes");
                        n += 1;
                    }
                    assert_eq!(n, CLIP_FRAMES);
                })
            },
        );
    }
}

fn stage_benches(c: &mut Criterion) {
    let frame = sample_frame();
    for threads in [1, 2] {
        let mut m = models(LandmarkVariant::Lite, threads);
        let mut g = c.benchmark_group("detector");
        g.bench_function(BenchmarkId::new("letterbox", format!("{threads}thread")), |b| {
            b.iter(|| m.detector.prepare(&frame.image))
        });
        let letterbox = m.detector.prepare(&frame.image);
        g.bench_function(BenchmarkId::new("inference", format!("{threads}thread")), |b| {
            b.iter(|| m.detector.infer().unwrap())
        });
        let (boxes, scores) = m.detector.infer().unwrap();
        g.bench_function(BenchmarkId::new("postprocess", format!("{threads}thread")), |b| {
            b.iter(|| m.detector.postprocess(&boxes, &scores, &letterbox))
        });
        g.finish();
        let detection = m
            .detector
            .postprocess(&boxes, &scores, &letterbox)
            .into_iter()
            .next()
            .expect("a person at frame 100");

        let mut g = c.benchmark_group("roi_crop");
        g.bench_function(BenchmarkId::new("roi_and_crop_256", format!("{threads}thread")), |b| {
            b.iter(|| m.landmarks.prepare(&frame.image, &detection.roi()))
        });
        g.finish();

        for variant in [LandmarkVariant::Lite, LandmarkVariant::Full] {
            let mut m = models(variant, threads);
            let roi = detection.roi();
            m.landmarks.prepare(&frame.image, &roi);
            let mut g = c.benchmark_group("landmarks");
            g.bench_function(
                BenchmarkId::new(format!("{variant:?}").to_lowercase(), format!("{threads}thread")),
                |b| b.iter(|| m.landmarks.infer().unwrap()),
            );
            g.finish();
            if threads == 1 {
                let raw = m.landmarks.infer().unwrap();
                let mut g = c.benchmark_group("postprocess");
                g.bench_function(format!("{variant:?}").to_lowercase(), |b| b.iter(|| decode(&raw, &roi)));
                g.finish();
            }
        }
    }
}

/// Every landmark model at 1 and 2 threads, with its benchmark id.
fn each_config(mut bench: impl FnMut(BenchmarkId, usize, &mut PoseModels)) {
    for variant in [LandmarkVariant::Lite, LandmarkVariant::Full] {
        for threads in [1, 2] {
            let mut m = models(variant, threads);
            let id = BenchmarkId::new(format!("{variant:?}").to_lowercase(), format!("{threads}thread"));
            bench(id, threads, &mut m);
        }
    }
}

/// The pipeline alone over the clip's frames decoded beforehand (MediaPipe's "pose only" figure).
fn pose_only(c: &mut Criterion) {
    let mut source = open_clip(0);
    let frames: Vec<Frame> = std::iter::from_fn(|| source.next_frame())
        .map(|f| f.expect("decodes"))
        .collect();
    let mut g = c.benchmark_group("pose_only");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(15))
        .throughput(Throughput::Elements(frames.len() as u64));
    each_config(|id, _, m| {
        g.bench_function(id, |b| {
            b.iter(|| {
                let mut tracker = Tracker::new(TrackerConfig::default());
                frames
                    .iter()
                    .filter(|f| tracker.process(m, f).unwrap().pose.is_some())
                    .count()
            })
        });
    });
    g.finish();
}

/// Decoding and the pipeline, frame by frame, as `posture landmarks` runs.
fn end_to_end(c: &mut Criterion) {
    let mut g = c.benchmark_group("end_to_end");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Elements(CLIP_FRAMES));
    each_config(|id, threads, m| {
        g.bench_function(id, |b| {
            b.iter(|| {
                // The library's frame loop, with the models (and their threads) loaded above.
                let settings = PipelineSettings {
                    person_mask: PersonMaskWhen::Never,
                    ..Default::default()
                };
                let stats = for_each_frame_of(open_clip(threads), "clip", &settings, m, &|| false, |_, _, _| {
                    Ok::<(), InputError>(())
                })
                .expect("the clip is read");
                let poses = stats.frames_with_person;
                // A pose in most frames: the subject is tracked, not re-detected from nothing.
                assert!(poses > 100, "pose in only {poses} frames");
            })
        });
    });
    g.finish();
}

criterion_group!(benches, decode_bench, stage_benches, pose_only, end_to_end);
criterion_main!(benches);
