#!/usr/bin/env python3
"""MediaPipe Pose 0.10.14 speed on fixtures/sports2d_walk.mp4, lite and full, video (tracking) mode.

Settings: static_image_mode=False, smooth_landmarks=True, enable_segmentation=False, everything else default
(min_detection_confidence=0.5, min_tracking_confidence=0.5); only model_complexity changes (0 lite, 1 full).

  pose_only:  all frames decoded first with cv2 into memory (RGB); only pose.process is timed.
  end_to_end: cv2.VideoCapture read + cvtColor(BGR->RGB) + pose.process are timed (opening the file is not).

Each measurement uses a fresh Pose object warmed up on the first WARMUP frames outside the timing, then times
all frames of the clip; it is repeated REPEATS times and the median frames/s is printed as
  mediapipe model=lite mode=pose_only fps=79.1 frames=230
Run pinned to one core for a figure comparable with a single-threaded run:
  taskset -c 0 .cache/reference-venv/bin/python tools/reference/bench_mediapipe.py
"""
import os
import statistics
import sys
import time

import cv2
import mediapipe as mp

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VIDEO = os.path.join(ROOT, "fixtures", "sports2d_walk.mp4")
WARMUP = 10
REPEATS = 3
MODELS = {"lite": 0, "full": 1}


def make_pose(complexity):
    return mp.solutions.pose.Pose(static_image_mode=False, model_complexity=complexity, smooth_landmarks=True,
                                  enable_segmentation=False)


def decode_all(path):
    cap = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    if not frames:
        sys.exit(f"could not decode {path}")
    return frames


def pose_only(complexity, frames):
    with make_pose(complexity) as pose:
        t0 = time.perf_counter()
        for f in frames[:WARMUP]:
            pose.process(f)
        warm = time.perf_counter() - t0
        found = 0
        t0 = time.perf_counter()
        for f in frames:
            found += pose.process(f).pose_landmarks is not None
        dt = time.perf_counter() - t0
    return len(frames) / dt, len(frames), found, warm


def end_to_end(complexity, warm_frames):
    with make_pose(complexity) as pose:
        t0 = time.perf_counter()
        for f in warm_frames:
            pose.process(f)
        warm = time.perf_counter() - t0
        cap = cv2.VideoCapture(VIDEO)
        n = found = 0
        t0 = time.perf_counter()
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            found += pose.process(rgb).pose_landmarks is not None
            n += 1
        dt = time.perf_counter() - t0
        cap.release()
    return n / dt, n, found, warm


def main():
    cv2.setNumThreads(1)
    affinity = sorted(os.sched_getaffinity(0))
    print(f"# mediapipe {mp.__version__}, opencv {cv2.__version__}, cpus allowed {affinity}, "
          f"loadavg {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    frames = decode_all(VIDEO)
    h, w = frames[0].shape[:2]
    print(f"# {os.path.relpath(VIDEO, ROOT)}: {len(frames)} frames {w}x{h}; warm-up {WARMUP} frames, "
          f"{REPEATS} repeats, median reported", flush=True)
    for model, complexity in MODELS.items():
        for mode in ("pose_only", "end_to_end"):
            runs = []
            for _ in range(REPEATS):
                if mode == "pose_only":
                    runs.append(pose_only(complexity, frames))
                else:
                    runs.append(end_to_end(complexity, frames[:WARMUP]))
            fps = [r[0] for r in runs]
            n, found = runs[0][1], runs[0][2]
            print(f"# model={model} mode={mode} runs_fps={','.join(f'{x:.1f}' for x in fps)} "
                  f"pose_found={found}/{n} warmup_s={','.join(f'{r[3]:.2f}' for r in runs)}", flush=True)
            print(f"mediapipe model={model} mode={mode} fps={statistics.median(fps):.1f} frames={n}", flush=True)


if __name__ == "__main__":
    main()
