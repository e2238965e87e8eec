#!/usr/bin/env python3
"""Per-call time and output differences of OpenVINO (CPU) against ONNX Runtime, on the shipped models.

ONNX Runtime with the tool's session settings (1 intra-op thread, no spinning, ORT_ENABLE_ALL);
OpenVINO on its CPU device with 1 inference thread and the latency hint, once with its default
inference precision (bf16 on CPUs with AVX512-BF16 or AMX) and once with f32. Per round, every
backend runs each model once on the same real input, in turn, so that load on a shared machine falls
on all of them alike; medians over the rounds, and the ratio to ONNX Runtime's median. Then the
largest differences from ONNX Runtime on several real inputs, and whether a second run of the same
compiled model gives the same bits. Run it pinned to one core, from tools/models (it reads
split.py; onnx only for that import):

    python3 -m venv ../../.cache/ov-venv
    ../../.cache/ov-venv/bin/pip install openvino==2026.4.1 onnxruntime==1.31.1 onnx==1.22.0 numpy
    taskset -c 0 ../../.cache/ov-venv/bin/python bench_openvino.py --models ../../models \
        --fixtures ../../fixtures --rounds 400
"""

import argparse
import os
import statistics
import subprocess
import time

import numpy as np
import onnxruntime as ort
import openvino as ov

from bench_split import session as ort_session
from split import FEATURE_NAMES, ffmpeg_crop

LANDMARK_MODELS = ["pose_landmark_lite", "pose_landmark_full"]
DETECTOR = "pose_detection"
# Real landmark-model inputs: 256x256 crops in [0, 1] around the walking person.
WALK_CROPS = [(1.0, "500:500:390:0"), (5.0, "500:500:250:470")]
LETTERBOX_224 = ("scale=224:224:force_original_aspect_ratio=decrease:flags=bilinear,"
                 "pad=224:224:(ow-iw)/2:(oh-ih)/2:black")


def ov_compiled(core, path, precision):
    config = {"INFERENCE_NUM_THREADS": 1, "PERFORMANCE_HINT": "LATENCY"}
    if precision is not None:
        config["INFERENCE_PRECISION_HINT"] = precision
    return core.compile_model(path, "CPU", config)


class OrtRunner:
    def __init__(self, path):
        self.session = ort_session(path)
        self.names = [o.name for o in self.session.get_outputs()]

    def __call__(self, feed):
        return dict(zip(self.names, self.session.run(None, feed)))


class OvRunner:
    def __init__(self, core, path, precision):
        self.compiled = ov_compiled(core, path, precision)
        self.request = self.compiled.create_infer_request()
        self.precision = str(self.compiled.get_property("INFERENCE_PRECISION_HINT"))

    def __call__(self, feed):
        result = self.request.infer(feed)
        return {port.get_any_name(): np.array(value) for port, value in result.items()}


def walk_frame(fixtures, seek, vf):
    """One frame of the walk clip through an ffmpeg filter, as float32 NHWC in [0, 1]."""
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-ss", f"{seek:.3f}", "-i",
           os.path.join(fixtures, "sports2d_walk.mp4"), "-frames:v", "1", "-vf", vf,
           "-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(1, 224, 224, 3).astype(np.float32) / 255.0


def inputs(models, fixtures):
    """Per model name, the feeds: real crops for the landmark models, letterboxed frames for the
    detector; the mask heads get the ONNX Runtime landmark model's features of the same crops."""
    crops = [ffmpeg_crop(os.path.join(fixtures, "sports2d_walk.mp4"), f"crop={box}", seek=t)
             for t, box in WALK_CROPS]
    feeds = {}
    for name in LANDMARK_MODELS:
        feeds[name] = [{"input_1": x} for x in crops]
        runner = OrtRunner(os.path.join(models, name + ".onnx"))
        feeds[name + "_mask"] = [{k: runner(f)[k] for k in FEATURE_NAMES.values()} for f in feeds[name]]
    feeds[DETECTOR] = [{"input_1": walk_frame(fixtures, t, LETTERBOX_224) * 2.0 - 1.0}
                       for t, _ in WALK_CROPS]
    return feeds


def differences(name, reference, other):
    """The largest |other - reference| per output, the landmark table split into its columns."""
    out = {}
    for key, ref in reference.items():
        d = np.abs(other[key].astype(np.float64) - ref)
        if name in LANDMARK_MODELS and key == "Identity":
            d = d.reshape(-1, 39, 5)
            for col, label in enumerate(["x_px", "y_px", "z", "visibility_logit", "presence_logit"]):
                out[f"Identity {label}"] = float(d[..., col].max())
        elif key == "Identity_2":
            flips = int(((ref > 0) != (other[key] > 0)).sum())
            out["Identity_2 logits"] = float(d.max())
            out["Identity_2 mask>0.5 pixels differing (worst input)"] = flips
        else:
            out[key] = float(d.max())
    return out


def main(args):
    print(f"onnxruntime {ort.__version__}, openvino {ov.__version__}, {args.rounds} rounds, "
          f"affinity {sorted(os.sched_getaffinity(0))}")
    feeds = inputs(args.models, args.fixtures)
    core = ov.Core()
    names = [DETECTOR] + [m + s for m in LANDMARK_MODELS for s in ["", "_mask"]]
    backends = {}
    for name in names:
        path = os.path.join(args.models, name + ".onnx")
        backends[name] = {"onnxruntime": OrtRunner(path),
                          "openvino default": OvRunner(core, path, None),
                          "openvino f32": OvRunner(core, path, "f32")}
    print("openvino precision: default =", backends[names[0]]["openvino default"].precision,
          "/ f32 hint =", backends[names[0]]["openvino f32"].precision)

    print("\nsession creation (load, optimise/compile), median of 5, ms:")
    for name in names:
        path = os.path.join(args.models, name + ".onnx")
        made = {"onnxruntime": lambda: ort_session(path), "openvino f32": lambda: ov_compiled(ov.Core(), path, "f32")}
        row = []
        for label, make in made.items():
            spent = []
            for _ in range(5):
                t = time.perf_counter()
                make()
                spent.append(time.perf_counter() - t)
            row.append(f"{label} {statistics.median(spent) * 1e3:6.1f}")
        print(f"{name:28s} " + "  ".join(row))

    calls = [(name, label, run) for name in names for label, run in backends[name].items()]
    for name, _, run in calls:  # warm-up
        run(feeds[name][0])
    times = {(name, label): [] for name, label, _ in calls}
    for _ in range(args.rounds):
        for name, label, run in calls:
            feed = feeds[name][0]
            t = time.perf_counter()
            run(feed)
            times[(name, label)].append(time.perf_counter() - t)
    print("\nper call, medians (ms), ratio to onnxruntime:")
    for name in names:
        base = statistics.median(times[(name, "onnxruntime")])
        row = "  ".join(f"{label} {statistics.median(times[(name, label)]) * 1e3:6.2f} "
                        f"({statistics.median(times[(name, label)]) / base:4.2f})"
                        for label in backends[name])
        print(f"{name:28s} {row}")

    print("\nlargest |openvino - onnxruntime| over the inputs, and run-to-run repeatability:")
    for name in names:
        ref = [backends[name]["onnxruntime"](f) for f in feeds[name]]
        for label in ["openvino default", "openvino f32"]:
            run = backends[name][label]
            worst = {}
            repeatable = True
            for feed, r in zip(feeds[name], ref):
                first = run(feed)
                second = run(feed)
                repeatable &= all(np.array_equal(first[k], second[k]) for k in first)
                for k, v in differences(name, r, first).items():
                    worst[k] = max(worst.get(k, 0), v)
            fresh = OvRunner(core, os.path.join(args.models, name + ".onnx"),
                             None if label == "openvino default" else "f32")
            repeatable_fresh = all(np.array_equal(fresh(f)[k], run(f)[k])
                                   for f in feeds[name] for k in ref[0])
            summary = ", ".join(f"{k} {v:.3g}" for k, v in worst.items())
            print(f"{name:28s} {label:16s} same bits on a second run: {repeatable}, "
                  f"after a fresh compile: {repeatable_fresh}; {summary}")
    # The mask end to end: OpenVINO's landmark model feeding OpenVINO's head, against ONNX Runtime's.
    for name in LANDMARK_MODELS:
        for label in ["openvino default", "openvino f32"]:
            worst = {}
            for feed in feeds[name]:
                ref_features = backends[name]["onnxruntime"](feed)
                ref = backends[name + "_mask"]["onnxruntime"]({k: ref_features[k] for k in FEATURE_NAMES.values()})
                features = backends[name][label](feed)
                got = backends[name + "_mask"][label]({k: features[k] for k in FEATURE_NAMES.values()})
                for k, v in differences(name + "_mask", ref, got).items():
                    worst[k] = max(worst.get(k, 0), v)
            print(f"{name + ' -> mask head':28s} {label:16s} "
                  + ", ".join(f"{k} {v:.3g}" for k, v in worst.items()))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="models")
    ap.add_argument("--fixtures", default="fixtures")
    ap.add_argument("--rounds", type=int, default=200)
    main(ap.parse_args())
