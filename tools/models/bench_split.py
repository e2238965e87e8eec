#!/usr/bin/env python3
"""Per-call time of each full landmark graph against its split parts (tools/models/split.py).

ONNX Runtime (the library the tool loads, same version) with the tool's session settings: 1
intra-op thread, no spinning, ORT_ENABLE_ALL. Per round, each model runs once on the same real
crop, in turn (full graph, landmark model, mask head), so that load on a shared machine falls on
all of them alike; medians over the rounds, and the ratio to the full graph's median.

    python tools/models/bench_split.py --full-dir .cache/split-work --rounds 300
"""

import argparse
import os
import statistics
import subprocess
import time

import numpy as np
import onnxruntime as ort

from split import FEATURE_NAMES, FULL_GRAPHS, ffmpeg_crop


def session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full-dir", required=True, help="folder holding the full graphs (split.py's work dir)")
    ap.add_argument("--models", default="models")
    ap.add_argument("--fixtures", default="fixtures")
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args()
    x = ffmpeg_crop(os.path.join(args.fixtures, "sports2d_walk.mp4"), "crop=500:500:390:0", seek=1.0)
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                         capture_output=True, text=True).stdout.strip()
    print(f"onnxruntime {ort.__version__}, 1 intra-op thread, {args.rounds} rounds, CPU: {cpu}")
    for name in FULL_GRAPHS:
        full = session(os.path.join(args.full_dir, name + ".onnx"))
        landmarks = session(os.path.join(args.models, name + ".onnx"))
        head = session(os.path.join(args.models, name + "_mask.onnx"))
        features = dict(zip([o.name for o in landmarks.get_outputs()], landmarks.run(None, {"input_1": x})))
        head_in = {k: features[k] for k in FEATURE_NAMES.values()}
        calls = {"full graph": lambda: full.run(None, {"input_1": x}),
                 "landmark model": lambda: landmarks.run(None, {"input_1": x}),
                 "mask head": lambda: head.run(None, head_in)}
        for f in calls.values():  # warm-up
            f()
        times = {k: [] for k in calls}
        for _ in range(args.rounds):
            for k, f in calls.items():
                t = time.perf_counter()
                f()
                times[k].append(time.perf_counter() - t)
        base = statistics.median(times["full graph"])
        for k, v in times.items():
            med = statistics.median(v)
            print(f"{name:20s} {k:15s} median {med * 1e3:7.2f} ms  ratio to full graph {med / base:5.3f}")


if __name__ == "__main__":
    main()
