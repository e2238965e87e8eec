//! CPU time, not wall time, of the pre-processing stages: decoding and converting the
//! sports2d clip (process CPU per frame, the decoding thread included), the rotated 256x256
//! landmark crop and the 224x224 detector letterbox (CPU of the calling thread). On a machine
//! shared with others, wall-clock benchmarks (criterion) swing by a factor of two between runs of
//! the same code; CPU time much less. Linux only (/proc). Run:
//! `cargo run --release --example stage_cpu`; BENCHMARKS.md has the figures.
use posture::frames::{open_file, OpenOptions, VideoOptions};
use posture::pose::crop::{crop_to_tensor, letterbox_roi, Border};
use posture::pose::Roi;

fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn process_cpu_s() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap();
    let f: Vec<&str> = s[s.rfind(')').unwrap() + 2..].split_whitespace().collect();
    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0
}

fn main() {
    let clip = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sports2d_walk.mp4");
    let options = OpenOptions {
        video: VideoOptions {
            stride: 1,
            decoder_threads: 1,
        },
        replay: false,
    };
    let roi = Roi {
        center_x_px: 900.0,
        center_y_px: 480.0,
        size_px: 620.0,
        rotation_rad: 0.21,
    };
    let mut out = vec![0.0f32; 256 * 256 * 3];
    let mut sample = None;
    for pass in 0..3 {
        let (c0, w0) = (process_cpu_s(), std::time::Instant::now());
        let mut source = open_file(&clip, &options).unwrap();
        let (mut n, mut fresh_crop_ns, mut fresh_upright_ns) = (0u64, 0, 0);
        let upright = Roi {
            rotation_rad: 0.0,
            ..roi
        };
        while let Some(f) = source.next_frame() {
            let f = f.unwrap();
            // The landmark crop of a frame just converted, as the pipeline takes it: its
            // pixels are no longer in the core's caches, unlike the repeated crops below.
            // Turned (as stage 3 below) on even frames, unturned on odd ones.
            let t0 = thread_cpu_ns();
            if n % 2 == 0 {
                crop_to_tensor(&f.image, &roi, 256, (0.0, 1.0), Border::Replicate, &mut out);
                fresh_crop_ns += thread_cpu_ns() - t0;
            } else {
                crop_to_tensor(&f.image, &upright, 256, (0.0, 1.0), Border::Replicate, &mut out);
                fresh_upright_ns += thread_cpu_ns() - t0;
            }
            if f.index == 100 && sample.is_none() {
                sample = Some(f.image);
            } else {
                // As the pipeline does: the pixels go back for a later frame.
                source.recycle(f.image);
            }
            n += 1;
        }
        drop(source);
        let (cpu, wall) = (process_cpu_s() - c0, w0.elapsed().as_secs_f64());
        println!(
            "decode+convert pass {pass}: {n} frames, cpu {:.2} ms/frame (the crops below taken out), \
             wall {:.2} ms/frame; crops of fresh frames, thread cpu: turned {:.3} ms, unturned {:.3} ms",
            (1000.0 * cpu - (fresh_crop_ns + fresh_upright_ns) as f64 / 1e6) / n as f64,
            1000.0 * wall / n as f64,
            fresh_crop_ns as f64 / 1e6 / n.div_ceil(2) as f64,
            fresh_upright_ns as f64 / 1e6 / (n / 2) as f64
        );
    }
    let frame = sample.unwrap();
    let mut letterbox = vec![0.0f32; 224 * 224 * 3];
    let lb = letterbox_roi(frame.width(), frame.height());
    for pass in 0..3 {
        let t0 = thread_cpu_ns();
        for _ in 0..500 {
            crop_to_tensor(&frame, &roi, 256, (0.0, 1.0), Border::Replicate, &mut out);
        }
        let t1 = thread_cpu_ns();
        for _ in 0..500 {
            crop_to_tensor(&frame, &lb, 224, (-1.0, 1.0), Border::Black, &mut letterbox);
        }
        let t2 = thread_cpu_ns();
        let sum: f64 = out.iter().map(|&v| v as f64).sum::<f64>() + letterbox.iter().map(|&v| v as f64).sum::<f64>();
        println!(
            "crop pass {pass}: rotated 256 {:.3} ms, letterbox 224 {:.3} ms (thread cpu; checksum {sum:.3})",
            (t1 - t0) as f64 / 500e6,
            (t2 - t1) as f64 / 500e6
        );
    }
}
