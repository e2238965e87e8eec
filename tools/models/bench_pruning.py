#!/usr/bin/env python3
"""Time the shipped models, and what the landmark graph cut saves (measurement only).

onnxruntime, CPU, 1 intra-op thread, ORT_ENABLE_ALL. Variants:
  pose_detection          the shipped detector (all outputs)
  <landmark> shipped      the shipped landmark model (segmentation branch cut
                          out by convert.py; outputs Identity, _1, _3, _4)
  <landmark> uncut        the uncut conversion (all five outputs, segmentation
                          included), if convert.py left it in --uncut-dir
  <landmark> no-heatmap   onnx.utils.extract_model of the shipped model to
                          Identity, Identity_1, Identity_4 (heatmap branch cut
                          too; not shipped: MediaPipe's refinement uses it)
Rounds are interleaved so that load drifts hit every variant alike. Run with the
conversion venv after tools/models/convert.sh:
  .cache/convert-venv/bin/python tools/models/bench_pruning.py [--runs 200]
"""

import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import onnx
import onnx.utils
import onnxruntime as ort

SHIPPED = ["Identity", "Identity_1", "Identity_3", "Identity_4"]
NO_HEATMAP = ["Identity", "Identity_1", "Identity_4"]


def session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def nodes(path):
    return len(onnx.load(path).graph.node)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="models")
    ap.add_argument("--uncut-dir", default=".cache/convert-work/tflite",
                    help="where convert.py leaves <model>_uncut.onnx (skipped if absent)")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--round", type=int, default=10, help="calls per variant per round")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp()
    variants = []  # (label, session, fetch list or None, input)
    rng = np.random.default_rng(0)
    x_det = rng.uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
    x_lm = rng.uniform(0, 1, (1, 256, 256, 3)).astype(np.float32)
    variants.append(("pose_detection", session(os.path.join(args.models, "pose_detection.onnx")), None, x_det))
    for name in ("pose_landmark_lite", "pose_landmark_full"):
        path = os.path.join(args.models, name + ".onnx")
        s = session(path)
        outs = [o.name for o in s.get_outputs()]
        if outs != SHIPPED:
            raise SystemExit(f"{path}: outputs {outs}, expected {SHIPPED}")
        ref = s.run(None, {"input_1": x_lm})
        print(f"{name}: shipped {nodes(path)} nodes, {os.path.getsize(path) / 1e6:.1f} MB")
        variants.append((f"{name} shipped", s, None, x_lm))

        uncut = os.path.join(args.uncut_dir, name + "_uncut.onnx")
        if os.path.exists(uncut):
            us = session(uncut)
            got = us.run(SHIPPED, {"input_1": x_lm})
            assert all(np.array_equal(a, b) for a, b in zip(ref, got)), "uncut model computes something else"
            print(f"  uncut {nodes(uncut)} nodes, {os.path.getsize(uncut) / 1e6:.1f} MB ({uncut})")
            variants.append((f"{name} uncut", us, None, x_lm))
        else:
            print(f"  no {uncut}; uncut variant skipped")

        pruned = os.path.join(tmp, name + "_no_heatmap.onnx")
        onnx.utils.extract_model(path, pruned, ["input_1"], NO_HEATMAP)
        ps = session(pruned)
        got = ps.run(None, {"input_1": x_lm})
        assert all(np.array_equal(ref[SHIPPED.index(n)], g) for n, g in zip(NO_HEATMAP, got)), \
            "no-heatmap model computes something else"
        print(f"  no-heatmap {nodes(pruned)} nodes, {os.path.getsize(pruned) / 1e6:.1f} MB")
        variants.append((f"{name} no-heatmap", ps, None, x_lm))

    times = {v[0]: [] for v in variants}
    for label, s, fetch, x in variants:  # warm-up
        for _ in range(10):
            s.run(fetch, {"input_1": x})
    load_before = os.getloadavg()
    for _ in range((args.runs + args.round - 1) // args.round):
        for label, s, fetch, x in variants:
            for _ in range(args.round):
                t = time.perf_counter()
                s.run(fetch, {"input_1": x})
                times[label].append((time.perf_counter() - t) * 1e3)
    load_after = os.getloadavg()
    print(f"onnxruntime {ort.__version__}, 1 intra-op thread, ORT_ENABLE_ALL, {args.runs} runs each "
          f"(interleaved rounds of {args.round}), ms per call; {os.cpu_count()} CPUs, load average "
          f"(1/5/15 min) {' '.join(f'{v:.2f}' for v in load_before)} before, "
          f"{' '.join(f'{v:.2f}' for v in load_after)} after")
    print(f"{'variant':32s} {'median':>7s} {'p10':>7s} {'p90':>7s}")
    for label, ts in times.items():
        q = statistics.quantiles(ts, n=10)
        print(f"{label:32s} {statistics.median(ts):7.2f} {q[0]:7.2f} {q[-1]:7.2f}")


if __name__ == "__main__":
    main()
