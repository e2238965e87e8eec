#!/usr/bin/env python3
"""Write models/MODEL_CARD.md from the facts of convert.py, check_agreement.py and split.py."""

import argparse
import json
import os

import numpy as np
import onnx

from hashing import sha256_file


def mb(n):
    return f"{n / 1e6:.1f} MB"


def shape(s):
    return "x".join(str(d) for d in s)


MEANING = {
    "pose_detection": {
        "input_1": ("RGB in [-1, 1] (pixel / 127.5 - 1), NHWC", "the frame letterboxed to 224x224 "
                    "(aspect kept, border black in pixel space, i.e. -1 after normalisation, as MediaPipe's "
                    "ImageToTensor with BORDER_ZERO does)"),
        "Identity": ("raw regressions, unbounded", "per SSD anchor: box centre x, y, width, height, then 4 "
                     "keypoints (x, y), all relative to the anchor and in 224-pixel units (x before y); "
                     "keypoints: 0 mid-hip, 1 full-body size/rotation point, 2 mid-shoulder, "
                     "3 upper-body size/rotation point"),
        "Identity_1": ("logits, unbounded", "per anchor detection score; sigmoid after clipping to "
                       "[-100, 100] (MediaPipe: min score 0.2 in pose_detection_cpu.pbtxt, 0.5 by default in the pose "
                       "graph; weighted NMS at IoU 0.3)"),
    },
    "pose_landmark": {
        "input_1": ("RGB in [0, 1] (pixel / 255), NHWC", "the rotated square ROI crop, 256x256 "
                    "(from the detection or the previous frame's landmarks)"),
        "Identity": ("x, y in crop pixels (0..256, can leave the crop), z in the same scale, "
                     "visibility and presence are logits", "39 landmarks x (x, y, z, visibility, presence); "
                     "0-32 BlazePose topology (0 nose, 7/8 left/right ear, 11/12 left/right shoulder, "
                     "23/24 hips, ...), 33-34 auxiliary points for the next frame's ROI"),
        "Identity_1": ("probability 0..1 (the graph ends in a Sigmoid)",
                       "pose presence flag: below ~0.5 the tracker should re-run the detector"),
        "Identity_2": ("logits, unbounded", "segmentation mask over the 256x256 crop: apply a sigmoid for the "
                       "probability that the pixel belongs to the person (the tool finds the back-of-neck contour, "
                       "for the C7 point, in it)"),
        "Identity_3": ("unbounded", "64x64 heatmap per landmark (used by MediaPipe to refine landmarks)"),
        "Identity_4": ("metres, roughly -1..1", "39 world landmarks x (x, y, z), origin at the hip centre"),
        "mask_features_64": ("unbounded", "NCHW feature map of the shared trunk that the segmentation decoder "
                             "reads (landmark model output, mask head input)"),
        "mask_features_128": ("unbounded", "NCHW feature map at 128x128 that the segmentation decoder reads "
                              "(landmark model output, mask head input)"),
    },
}


# Latency of the landmark models with / without the segmentation mask (ms per call, median).
# Measured once by hand, not by this pipeline, before the landmark models kept the mask: the
# conversion with all outputs against the earlier shipped models, whose segmentation branch
# convert.py then cut out (interleaved runs; onnxruntime 1.31.1 from Python, 1 intra-op thread,
# ORT_ENABLE_ALL, on a shared 2-core machine).
SEGMENTATION_TIMINGS_MS = {"pose_landmark_lite": (10.9, 3.9), "pose_landmark_full": (13.8, 6.8)}
# Median per-call time of the split landmark model and of the mask head as a share of the full
# graph's, interleaved in one run (tools/models/bench_split.py, 1 intra-op thread; BENCHMARKS.md).
SPLIT_RATIOS = {"pose_landmark_lite": (0.44, 0.63), "pose_landmark_full": (0.54, 0.46)}


def io_table(name, m):
    kind = "pose_detection" if name == "pose_detection" else "pose_landmark"
    rows = ["| | name | shape | dtype | values | meaning |", "|---|---|---|---|---|---|"]
    for role, items in (("input", m["inputs"]), ("output", m["outputs"])):
        for t in items:
            values, meaning = MEANING[kind][t["name"]]
            dtype = "float32" if t["dtype"] == "FLOAT" else t["dtype"].lower()
            rows.append(f"| {role} | `{t['name']}` | {shape(t['shape'])} | {dtype} | {values} | {meaning} |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--facts", required=True)
    ap.add_argument("--agreement", required=True)
    ap.add_argument("--split", required=True, help="facts from split.py")
    ap.add_argument("--tarball-sha256", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    facts = json.load(open(args.facts))
    agr = json.load(open(args.agreement))
    split = json.load(open(args.split))
    pkg, tools, ext = facts["package"], facts["tools"], facts["detector_extraction"]
    models = facts["models"]

    L = []
    L.append("# Model card: BlazePose (MediaPipe) as ONNX\n")
    L.append("Float32 ONNX models (opset 17) converted, unchanged in weights, from Google's MediaPipe "
             "BlazePose TFLite models: the person detector and the lite and full landmark models, each landmark "
             "model cut in two: the landmark model proper and its mask head (the segmentation decoder, run only "
             "when the person mask is read). "
             "They are the models of MediaPipe's legacy Pose solution (BlazePose: 33 body landmarks + 2 "
             "auxiliary points, plus 3D world landmarks).\n")
    L.append("Regenerate everything in this folder except LICENSE (needs only the Python and npm package "
             "registries; about 5-10 minutes the first time):\n")
    L.append("```sh\nbash tools/models/convert.sh   # from the repository root\n"
             "cd models && sha256sum -c SHA256SUMS\n```\n")
    L.append("Only the cut into landmark models and mask heads, from the full graphs in git history (needs "
             "only onnx, onnxruntime and numpy): `bash tools/models/split.sh`.\n")

    L.append("## Source\n")
    L.append(f"- npm package `{pkg['name']}` version `{pkg['version']}` (`npm pack {pkg['name']}@{pkg['version']}`), "
             f"licence {pkg['license']}.")
    L.append(f"- Tarball `mediapipe-pose-{pkg['version']}.tgz`, SHA-256 `{args.tarball_sha256}` "
             "(pinned and checked by convert.sh).")
    L.append("- Files used from the package:\n")
    L.append("| file in package | bytes | SHA-256 | becomes |")
    L.append("|---|---|---|---|")
    det = models["pose_detection"]
    L.append(f"| `pose_solution_packed_assets.data` bytes {ext['start']}..{ext['end']} "
             f"(= `{ext['filename']}` per `{ext['loader']}`) | {det['tflite_bytes']} | "
             f"`{det['tflite_sha256']}` (of the extracted `pose_detection.tflite`) | `pose_detection.onnx` |")
    for name in ("pose_landmark_lite", "pose_landmark_full"):
        m = models[name]
        L.append(f"| `{m['tflite']}` | {m['tflite_bytes']} | `{m['tflite_sha256']}` | `{m['onnx']}` |")
    L.append("")
    L.append("The package also ships `pose_landmark_heavy.tflite`, not converted here.\n")

    L.append("## Licence\n")
    L.append("Apache License 2.0, as the npm package states (`\"license\": \"Apache-2.0\"` in its package.json). "
             "See `LICENSE` in this folder (licence text plus a NOTICE: derived from MediaPipe's BlazePose, "
             "Google LLC, converted to ONNX by this project). Model background: Bazarevsky et al., "
             "\"BlazePose: On-device Real-time Body Pose tracking\", CVPR Workshops 2020.\n")

    L.append("## Conversion\n")
    L.append(f"Tools (pinned in `tools/models/requirements.txt`): Python {tools['python']}, tensorflow-cpu "
             f"{tools['tensorflow']}, tf2onnx {tools['tf2onnx']}, onnx {tools['onnx']}, onnxruntime "
             f"{agr['onnxruntime']}, numpy {tools['numpy']}. Steps (`tools/models/convert.sh` -> `convert.py`, "
             "`check_agreement.py`, `split.py`, `model_card.py`):\n")
    L.append("1. `npm pack` the package, check the tarball's SHA-256, unpack.")
    L.append(f"2. Cut `pose_detection.tflite` out of `pose_solution_packed_assets.data` at the offsets the loader "
             f"script gives (bytes {ext['start']}..{ext['end']}, the whole file).")
    L.append(f"3. Densify the detector: its {det.get('densified_ops', '?')} `DENSIFY` ops (sparse float16 weights) "
             "are not supported by tf2onnx. The TFLite interpreter (reference kernels: "
             "`OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES`, `experimental_preserve_all_tensors=True`) computes "
             "every DENSIFY output; each is written into the flatbuffer as a constant buffer, the sparse inputs "
             "lose their sparsity (and data), the DENSIFY ops are dropped, and the model is re-serialised with "
             "the flatbuffer object API (`tensorflow.lite.python.schema_py_generated`). The script checks that the "
             "densified TFLite model gives bit-identical outputs to the original on reference kernels. "
             f"Densified TFLite SHA-256: `{det.get('dense_tflite_sha256')}`.")
    L.append("4. `tf2onnx.convert.from_tflite(..., opset=17)` on the densified detector and on the two landmark "
             "models (same as `python -m tf2onnx.convert --tflite X.tflite --output X.onnx --opset 17`); "
             "float16 weights become float32 initializers. Each graph is then put in a canonical form (see "
             "Determinism below). Input/output names, shapes and dtypes are checked against the expected "
             "signature; `onnx.checker` (full check) passes.")
    L.append("5. Agreement check on real images (below).")
    L.append("6. `split.py` cuts each landmark graph in two (see Segmentation below), then this card and "
             "`SHA256SUMS`.\n")

    L.append("## Segmentation: a mask head run on request\n")
    t, r = SEGMENTATION_TIMINGS_MS, SPLIT_RATIOS
    L.append("MediaPipe's landmark graphs also output the segmentation logits `Identity_2` (a person mask over the "
             "256x256 crop): the tool uses them to find the back-of-neck contour, which gives the C7 point of the "
             "craniovertebral angle (CVA). The mask's decoder costs about as much as the rest of the network "
             f"(median per call with / without it: lite {t['pose_landmark_lite'][0]} / "
             f"{t['pose_landmark_lite'][1]} ms, full {t['pose_landmark_full'][0]} / {t['pose_landmark_full'][1]} ms, "
             "measured by hand with onnxruntime 1.31.1 in Python, 1 intra-op thread, on a shared 2-core machine), "
             "and the tool reads the mask only on side-view frames whose other gates have passed. So "
             "`tools/models/split.py` cuts each converted graph in two, changing no weight, node or attribute:\n")
    L.append("- `pose_landmark_X.onnx`: the graph without `Identity_2` and the nodes only it needs, plus, as "
             "outputs, the trunk tensors the decoder reads (`mask_features_64`, `mask_features_128`);")
    L.append("- `pose_landmark_X_mask.onnx`: the decoder alone, those two tensors in, `Identity_2` out.\n")
    L.append("A skip connection that adds a trunk tensor inside the decoder (lite) stays on the landmark "
             "model's side with the nodes feeding it: ONNX Runtime fuses that Add into the convolution producing "
             "its other input, and did not once the trunk tensor arrived as a graph input, which moved the logits "
             "by up to 3e-3. `split.py` checks, with ONNX Runtime as the tool runs it (1 intra-op thread, "
             "ORT_ENABLE_ALL), that the landmark model's outputs and the head's logits are bit-identical to the "
             "full graph's on "
             + ", ".join(split["models"]["pose_landmark_lite"]["bit_identical_on"]) + ". "
             f"Per call, the landmark model takes {r['pose_landmark_lite'][0]:.2f} (lite) / "
             f"{r['pose_landmark_full'][0]:.2f} (full) of the full graph's time and the head "
             f"{r['pose_landmark_lite'][1]:.2f} / {r['pose_landmark_full'][1]:.2f} (BENCHMARKS.md). "
             "The full graphs are not shipped; they are what `convert.py` writes and what `split.py` reads "
             f"(from git, commit `{split['full_graphs_commit']}`, by default):\n")
    L.append("| full graph | nodes | SHA-256 |")
    L.append("|---|---|---|")
    for name in ("pose_landmark_lite", "pose_landmark_full"):
        m = split["models"][name]
        L.append(f"| `{name}.onnx` | {m['full_graph_nodes']} | `{m['full_graph_sha256']}` |")
    L.append("")
    L.append("## Files\n")
    L.append("| file | bytes | size | parameters | nodes | SHA-256 |")
    L.append("|---|---|---|---|---|---|")
    out_dir = os.path.dirname(os.path.abspath(args.out))
    params = {}
    shipped = [("pose_detection", models["pose_detection"]["onnx"], models["pose_detection"]["nodes"])]
    for name in ("pose_landmark_lite", "pose_landmark_full"):
        for file, f in split["models"][name]["files"].items():
            shipped.append((file[:-len(".onnx")], file, f["nodes"]))
    for name, file, nodes in shipped:
        p = os.path.join(out_dir, file)
        n = os.path.getsize(p)
        params[name] = sum(int(np.prod(i.dims)) for i in onnx.load(p).graph.initializer)
        L.append(f"| `{file}` | {n} | {mb(n) if n >= 1e5 else f'{n / 1e3:.1f} kB'} | {params[name]} | {nodes} "
                 f"| `{sha256_file(p)}` |")
    L.append("")
    L.append(f"The detector is larger than its TFLite file ({mb(det['tflite_bytes'])}) because most of its "
             f"float16 weights were stored sparse; dense float32 it has {params['pose_detection'] / 1e6:.2f} M "
             "parameters x 4 bytes. Op types used: "
             + ", ".join(f"{k}: " + " ".join(v["op_types"]) for k, v in
                         (("detector", models["pose_detection"]), ("landmark", models["pose_landmark_full"])))
             + ".\n")
    L.append("Determinism: tf2onnx 1.17 produces the same computation on every run but varies node order and "
             "generated names (name counters, and which name survives when equal constants are merged), so "
             "its raw output differs in bytes from run to run. `convert.py` therefore rewrites each graph in a "
             "canonical form: nodes in a structural order (depth-first from the outputs), internal names "
             "positional (`n{k}_{OpType}` nodes, `t{k}` tensors, `c{i}` initializers; the TFLite/TensorFlow "
             "layer names are not kept), graph input/output names unchanged; it checks that the canonical "
             "graph gives bit-identical outputs to tf2onnx's. With that, repeated runs of convert.sh "
             "produced byte-identical ONNX files (same `SHA256SUMS`) on this machine; a different CPU or "
             "library build could still change the bytes, never the weights.\n")

    L.append("## Inputs and outputs\n")
    L.append("Batch 1, NHWC float32 input; output names are the ones tf2onnx gives (the TFLite tensor names), in "
             "this order.\n")
    L.append("### pose_detection.onnx (detector, 224x224)\n")
    L.append(io_table("pose_detection", models["pose_detection"]))
    L.append("\nDecoding (MediaPipe `pose_detection_cpu.pbtxt`): 2254 SSD anchors from 5 layers, strides "
             "8, 16, 32, 32, 32, min scale 0.1484375, max scale 0.75, anchor offset 0.5, aspect ratio 1.0, "
             "fixed anchor size; x/y/w/h scale 224; then remove the letterbox.\n")
    L.append("### pose_landmark_lite.onnx and pose_landmark_full.onnx (landmarks, 256x256), and their mask heads\n")
    L.append("The outputs MediaPipe's graph gives (as converted, before the split):\n")
    L.append(io_table("pose_landmark_lite", models["pose_landmark_lite"]))
    L.append("\nAfter the split, the landmark model has the same input and these outputs but `Identity_2`, plus the "
             "two tensors the mask head reads; the mask head has those two inputs and the one output "
             "`Identity_2` (shapes: lite / full):\n")
    L.append("| file | inputs | outputs |")
    L.append("|---|---|---|")
    for name in ("pose_landmark_lite", "pose_landmark_full"):
        for file, f in split["models"][name]["files"].items():
            io = [", ".join(f"`{n}` {shape(s)}" for n, s in f[k]) for k in ("inputs", "outputs")]
            L.append(f"| `{file}` | {io[0]} | {io[1]} |")
    L.append("")
    for n in ("mask_features_64", "mask_features_128"):
        L.append(f"- `{n}`: {MEANING['pose_landmark'][n][1]}.")
    L.append("\nBoth landmark models have the same signature; full is more accurate and slower. Apply a sigmoid "
             "to the visibility and presence columns of `Identity` and to `Identity_2`. The crop must be the "
             "rotated square ROI (MediaPipe `pose_detection_to_roi.pbtxt`: scale 1.25, target angle 90 degrees), "
             "padded, not clamped, where it leaves the frame.\n")

    L.append("## Agreement with the TFLite originals\n")
    L.append("`tools/models/check_agreement.py` runs each original `.tflite` with TFLite's default op resolver "
             "(XNNPACK delegate, as MediaPipe runs it; 1 thread) and the `.onnx` with onnxruntime "
             f"{agr['onnxruntime']} (CPU, ORT_ENABLE_ALL, 1 thread) on the same real inputs, decoded and resized "
             "with the ffmpeg CLI:\n")
    det_inputs = agr["models"]["pose_detection"]["inputs"]
    lm_inputs = agr["models"]["pose_landmark_lite"]["inputs"]
    L.append(f"- detector: {', '.join(det_inputs)}, each letterboxed to 224x224 (bilinear, black border), "
             "scaled to [-1, 1]; the walk clip frames are whole frames;")
    L.append(f"- landmark models: {', '.join(lm_inputs)}: 256x256 bilinear square crops in [0, 1] (stills: "
             "centre crop; walk frames: a 500x500 box around a person).\n")
    L.append("Per output, the maximum over all inputs of |TFLite - ONNX| and of |TFLite value|. For scale, the "
             "next columns give |TFLite reference kernels - ONNX| and |TFLite XNNPACK - TFLite reference kernels|: "
             "the ONNX differences are of the same size as TFLite's own two kernel sets differ by (float32 "
             "summation order).\n")
    L.append("| model | output | shape | max abs diff (XNNPACK vs ONNX) | max abs value | vs reference kernels | "
             "XNNPACK vs reference | relative |")
    L.append("|---|---|---|---|---|---|---|---|")
    for name in ("pose_detection", "pose_landmark_lite", "pose_landmark_full"):
        res = agr["models"][name]
        for out, st in sorted(res["outputs"].items()):
            rel = st["max_abs_diff"] / max(1.0, st["max_abs_value"])
            L.append(f"| {name} | `{out}` | {shape(st['shape'])} | {st['max_abs_diff']:.2g} | "
                     f"{st['max_abs_value']:.4g} | {st['max_abs_diff_vs_reference_kernels']:.2g} | "
                     f"{st['max_abs_diff_tflite_xnnpack_vs_reference']:.2g} | {rel:.1e} |")
    L.append("")
    seg = {name: agr["models"][name]["outputs"]["Identity_2"] for name in ("pose_landmark_lite", "pose_landmark_full")}
    seg_tol = sorted({st["tolerance"] for st in seg.values()})
    L.append(f"Gate (the script fails otherwise): max abs diff <= {agr['tolerance']:g} x max(1, max abs value) "
             f"for every output except the landmark models' segmentation logits `Identity_2`, which are gated at "
             f"{' / '.join(f'{t:g}' for t in seg_tol)} x max(1, max abs value): they span "
             + ", ".join(f"{st['min_logit']:.0f}..{st['max_logit']:.0f} ({name.split('_')[-1]})"
                         for name, st in seg.items())
             + " over these inputs, and TFLite's own XNNPACK and reference kernels already differ on them by up to "
             + " / ".join(f"{st['max_abs_diff_tflite_xnnpack_vs_reference'] / max(1.0, st['max_abs_value']):.1e}"
                          for st in seg.values())
             + " (lite / full) of that, the same order as ONNX's difference from XNNPACK. As a person mask "
             "(sigmoid) the "
             "largest difference is "
             + " / ".join(f"{st['max_abs_prob_diff']:.2g}" for st in seg.values())
             + " (TFLite XNNPACK vs reference kernels: "
             + " / ".join(f"{st['max_abs_prob_diff_tflite_xnnpack_vs_reference']:.2g}" for st in seg.values())
             + "), and thresholded at 0.5 it differs on "
             + " / ".join(f"{st['mask_pixels_differ']}" for st in seg.values())
             + f" of {seg['pose_landmark_lite']['mask_pixels']} pixels (all inputs together).\n")
    L.append("Per input (TFLite / ONNX): detector best score (sigmoid of the highest logit), landmark "
             "presence flag `Identity_1`:\n")
    L.append("| input | detector | lite flag | full flag |")
    L.append("|---|---|---|---|")
    pd = {p["input"]: p for p in agr["models"]["pose_detection"]["per_input"]}
    pl = {p["input"]: p for p in agr["models"]["pose_landmark_lite"]["per_input"]}
    pf = {p["input"]: p for p in agr["models"]["pose_landmark_full"]["per_input"]}
    for k in det_inputs:
        d, l, f = pd.get(k), pl.get(k), pf.get(k)
        L.append(f"| {k} | {d['best_score']:.4f} / {d['best_score_onnx']:.4f} | "
                 f"{l['pose_flag']:.4f} / {l['pose_flag_onnx']:.4f} | {f['pose_flag']:.4f} / {f['pose_flag_onnx']:.4f} |")
    L.append("")
    L.append("(Landmark inputs here are plain crops, not detector-aligned ROIs, so flags below 0.5 on some stills "
             "are expected; the point is that TFLite and ONNX agree.) The figures depend slightly on the ffmpeg "
             "build used for decoding/resizing (measured with Debian 12's FFmpeg 5.1).\n")

    with open(args.out, "w") as f:
        f.write("\n".join(L))
    print(f"[model_card] wrote {args.out}")


if __name__ == "__main__":
    main()
