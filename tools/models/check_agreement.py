#!/usr/bin/env python3
"""Check that the ONNX models agree with the TFLite originals on real inputs.

Runs each original .tflite with TFLite's default op resolver (XNNPACK delegate,
what MediaPipe runs) and, for comparison, with reference kernels only; runs the
.onnx with onnxruntime (CPU, ORT_ENABLE_ALL); reports, per output, the max
absolute difference and the max absolute value over all inputs. The ONNX model
must have exactly the TFLite model's outputs; all are compared as raw values,
the landmark models' segmentation mask Identity_2 (logits) included. The gate is
--tolerance x max(1, max abs value) per output, except where SEGMENTATION_TOLERANCE
says otherwise; for the mask, the sigmoid (probability) difference and the pixels
whose 0.5-thresholded mask differs are reported as well.

Inputs are decoded and resized with the ffmpeg CLI (no imaging library needed):
  detector  224x224 RGB in [-1, 1], letterboxed (aspect kept, black border)
            from the fixture stills and two frames of fixtures/sports2d_walk.mp4;
  landmark  256x256 RGB in [0, 1] square crops of the same stills (centre
            crop) and of the two walk frames (a box around a person).
"""

import argparse
import json
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tensorflow as tf  # noqa: E402

STILLS = ["grace_hopper.jpg", "astronaut.png", "cameraman.png"]
# (label, seconds into the clip, square crop box w:h:x:y in source pixels for the landmark input)
WALK = "sports2d_walk.mp4"
WALK_FRAMES = [("sports2d_walk.mp4@1s", 1.0, "500:500:390:0"),
               ("sports2d_walk.mp4@5s", 5.0, "500:500:250:470")]


def ffmpeg_rgb(path, vf, size, seek=None):
    cmd = ["ffmpeg", "-v", "error", "-nostdin"]
    if seek is not None:
        cmd += ["-ss", f"{seek:.3f}"]
    cmd += ["-i", path, "-frames:v", "1", "-vf", vf, "-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    if len(raw) != size * size * 3:
        sys.exit(f"ffmpeg gave {len(raw)} bytes for {path} ({vf}), expected {size * size * 3}")
    return np.frombuffer(raw, dtype=np.uint8).reshape(1, size, size, 3)


def letterbox_vf(size):
    return (f"scale={size}:{size}:force_original_aspect_ratio=decrease:flags=bilinear,"
            f"pad={size}:{size}:(ow-iw)/2:(oh-ih)/2:color=black")


def detector_inputs(fixtures):
    out = []
    for name in STILLS:
        img = ffmpeg_rgb(os.path.join(fixtures, name), letterbox_vf(224), 224)
        out.append((name, img.astype(np.float32) / 127.5 - 1.0))
    for label, t, _ in WALK_FRAMES:
        img = ffmpeg_rgb(os.path.join(fixtures, WALK), letterbox_vf(224), 224, seek=t)
        out.append((label, img.astype(np.float32) / 127.5 - 1.0))
    return out


def landmark_inputs(fixtures):
    out = []
    for name in STILLS:
        vf = "crop='min(iw,ih)':'min(iw,ih)',scale=256:256:flags=bilinear"
        out.append((name, ffmpeg_rgb(os.path.join(fixtures, name), vf, 256).astype(np.float32) / 255.0))
    for label, t, box in WALK_FRAMES:
        vf = f"crop={box},scale=256:256:flags=bilinear"
        img = ffmpeg_rgb(os.path.join(fixtures, WALK), vf, 256, seek=t)
        out.append((label, img.astype(np.float32) / 255.0))
    return out


class TFLite:
    def __init__(self, path, reference_kernels):
        kw = {}
        if reference_kernels:
            kw["experimental_op_resolver_type"] = \
                tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        self.it = tf.lite.Interpreter(model_path=path, num_threads=1, **kw)
        self.it.allocate_tensors()
        self.inp = self.it.get_input_details()[0]["index"]
        self.outs = [(d["name"], d["index"]) for d in self.it.get_output_details()]

    def __call__(self, x):
        self.it.set_tensor(self.inp, x)
        self.it.invoke()
        return {n: self.it.get_tensor(i).copy() for n, i in self.outs}


class Onnx:
    def __init__(self, path):
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        self.inp = self.s.get_inputs()[0].name
        self.names = [o.name for o in self.s.get_outputs()]

    def __call__(self, x):
        return dict(zip(self.names, self.s.run(None, {self.inp: x})))


# The landmark models' segmentation logits span about -1700..350 and come out of a decoder
# in which TFLite's own two kernel sets (XNNPACK and reference) already differ by up to
# about 3e-3 of that range (pose_landmark_full, these inputs), far above the default 1e-4.
SEGMENTATION = "Identity_2"
SEGMENTATION_TOLERANCE = 1e-2


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(v, dtype=np.float64), -100.0, 100.0)))


def within_tolerance(st, rel_tol):
    return st["max_abs_diff"] <= rel_tol * max(1.0, st["max_abs_value"])


def check_model(name, tflite_path, onnx_path, inputs):
    xnn, ref, onx = TFLite(tflite_path, False), TFLite(tflite_path, True), Onnx(onnx_path)
    tfl_names = sorted(n for n, _ in xnn.outs)
    if (sorted(xnn.outs) != sorted(ref.outs) or len(set(onx.names)) != len(onx.names)
            or sorted(onx.names) != tfl_names):
        sys.exit(f"{name}: output names differ: tflite {xnn.outs} onnx {onx.names}")
    stats = {n: {"max_abs_diff": 0.0, "max_abs_diff_vs_reference_kernels": 0.0,
                 "max_abs_diff_tflite_xnnpack_vs_reference": 0.0, "max_abs_value": 0.0,
                 "shape": None} for n in onx.names}
    if SEGMENTATION in stats:
        stats[SEGMENTATION].update({"max_abs_prob_diff": 0.0, "max_abs_prob_diff_vs_reference_kernels": 0.0,
                                    "max_abs_prob_diff_tflite_xnnpack_vs_reference": 0.0,
                                    "mask_pixels_differ": 0, "mask_pixels_differ_tflite_xnnpack_vs_reference": 0,
                                    "mask_pixels": 0, "max_logit": -np.inf, "min_logit": np.inf})
    per_input = []
    for label, x in inputs:
        a, r, o = xnn(x), ref(x), onx(x)
        for n in onx.names:
            if a[n].shape != o[n].shape:
                sys.exit(f"{name}/{n}: tflite shape {a[n].shape} != onnx {o[n].shape}")
            st = stats[n]
            st["shape"] = list(o[n].shape)
            st["max_abs_diff"] = max(st["max_abs_diff"], float(np.max(np.abs(a[n] - o[n]))))
            st["max_abs_diff_vs_reference_kernels"] = max(st["max_abs_diff_vs_reference_kernels"],
                                                          float(np.max(np.abs(r[n] - o[n]))))
            st["max_abs_diff_tflite_xnnpack_vs_reference"] = max(
                st["max_abs_diff_tflite_xnnpack_vs_reference"], float(np.max(np.abs(a[n] - r[n]))))
            st["max_abs_value"] = max(st["max_abs_value"], float(np.max(np.abs(a[n]))))
            if n == SEGMENTATION:
                pa, pr, po = sigmoid(a[n]), sigmoid(r[n]), sigmoid(o[n])
                st["max_abs_prob_diff"] = max(st["max_abs_prob_diff"], float(np.max(np.abs(pa - po))))
                st["max_abs_prob_diff_vs_reference_kernels"] = max(
                    st["max_abs_prob_diff_vs_reference_kernels"], float(np.max(np.abs(pr - po))))
                st["max_abs_prob_diff_tflite_xnnpack_vs_reference"] = max(
                    st["max_abs_prob_diff_tflite_xnnpack_vs_reference"], float(np.max(np.abs(pa - pr))))
                st["mask_pixels_differ"] += int(np.count_nonzero((pa > 0.5) != (po > 0.5)))
                st["mask_pixels_differ_tflite_xnnpack_vs_reference"] += int(
                    np.count_nonzero((pa > 0.5) != (pr > 0.5)))
                st["mask_pixels"] += int(pa.size)
                st["max_logit"] = max(st["max_logit"], float(np.max(a[n])))
                st["min_logit"] = min(st["min_logit"], float(np.min(a[n])))
        if name == "pose_detection":
            per_input.append({"input": label, "best_score": float(sigmoid(a["Identity_1"].max())),
                              "best_score_onnx": float(sigmoid(o["Identity_1"].max()))})
        else:
            per_input.append({"input": label, "pose_flag": float(a["Identity_1"].ravel()[0]),
                              "pose_flag_onnx": float(o["Identity_1"].ravel()[0])})
    return {"outputs": stats, "per_input": per_input, "inputs": [l for l, _ in inputs]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--facts", required=True, help="JSON written by convert.py")
    ap.add_argument("--fixtures", default="fixtures")
    ap.add_argument("--out", required=True, help="JSON file for the results")
    ap.add_argument("--tolerance", type=float, default=1e-4,
                    help="fail if an output's max abs diff exceeds tolerance * max(1, max abs value)")
    args = ap.parse_args()
    facts = json.load(open(args.facts))

    det_in, lm_in = detector_inputs(args.fixtures), landmark_inputs(args.fixtures)
    results = {"onnxruntime": ort.__version__, "tensorflow": tf.__version__,
               "tolerance": args.tolerance, "models": {}}
    failed = []
    for name, m in facts["models"].items():
        inputs = det_in if name == "pose_detection" else lm_in
        res = check_model(name, m["tflite_path"], m["onnx_path"], inputs)
        results["models"][name] = res
        for out, st in res["outputs"].items():
            st["tolerance"] = SEGMENTATION_TOLERANCE if out == SEGMENTATION else args.tolerance
            ok = within_tolerance(st, st["tolerance"])
            if not ok:
                failed.append(f"{name}/{out}")
            print(f"[check_agreement] {name:20s} {out:11s} {str(st['shape']):18s} "
                  f"max|diff| {st['max_abs_diff']:.3g} (vs ref kernels {st['max_abs_diff_vs_reference_kernels']:.3g}; "
                  f"tflite xnnpack vs ref {st['max_abs_diff_tflite_xnnpack_vs_reference']:.3g}"
                  f") max|value| {st['max_abs_value']:.4g} tolerance {st['tolerance']:g} "
                  f"{'ok' if ok else 'TOO LARGE'}", flush=True)
            if out == SEGMENTATION:
                print(f"[check_agreement] {name:20s} {out:11s} sigmoid: max|diff| {st['max_abs_prob_diff']:.3g} "
                      f"(tflite xnnpack vs ref {st['max_abs_prob_diff_tflite_xnnpack_vs_reference']:.3g}); "
                      f"mask > 0.5 differs on {st['mask_pixels_differ']} of {st['mask_pixels']} pixels "
                      f"(tflite xnnpack vs ref {st['mask_pixels_differ_tflite_xnnpack_vs_reference']})", flush=True)
        for p in res["per_input"]:
            print(f"[check_agreement]   {name}: {p}", flush=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
    if failed:
        sys.exit(f"agreement check failed for {failed}")


if __name__ == "__main__":
    main()
