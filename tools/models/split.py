#!/usr/bin/env python3
"""Split each landmark model into a landmark model and a mask head.

The landmark models converted by convert.py compute MediaPipe's segmentation output
`Identity_2` (the person mask) on every call, although the tool reads it only on the few
side-view frames whose other gates have passed. Its decoder branch costs about as much as the
rest of the network. This script cuts every full graph `pose_landmark_X.onnx` in two:

  pose_landmark_X.onnx       the same graph without `Identity_2` and the nodes only it needs,
                             plus two outputs: the intermediate tensors the segmentation
                             decoder reads from the shared trunk (`mask_features_64`,
                             `mask_features_128`);
  pose_landmark_X_mask.onnx  the segmentation decoder alone: those two tensors in,
                             `Identity_2` out.

No weight, node or attribute changes: each node of the full graph lands in exactly one of
the two (the head holds the nodes that lead only to `Identity_2`, less a skip connection kept
with the trunk, see split()), so `head(landmarks(x).features)` computes what the full graph
computed. The script checks that on
random and real inputs (ONNX Runtime, 1 intra-op thread, ORT_ENABLE_ALL, as the tool runs it):
every output, the mask logits included, bit-identical to the full graph's.

Input: the full graphs, by default from the git commit that shipped them (FULL_GRAPHS), their
SHA-256 checked; output: the split files in --out-dir, facts as JSON for model_card.py.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort

from hashing import sha256_file

# The full graphs convert.py writes (SHA-256), shipped in models/ up to commit FULL_GRAPHS_COMMIT.
FULL_GRAPHS = {
    "pose_landmark_lite": "e70a5daad84cddcac6adeb7bc4c7547c61fb7fc82bd47f939ac4e48a09350418",
    "pose_landmark_full": "c957da291b9eb5c1ebf24a2f16aaf17fe96502ca3e1cde0a19e268b7129fbae4",
}
FULL_GRAPHS_COMMIT = "2bf1f78f06a5c2324eb3f58fa50c08d6fab242e2"
MASK_OUTPUT = "Identity_2"
LANDMARK_OUTPUTS = ["Identity", "Identity_1", "Identity_3", "Identity_4"]
# The cut tensors, named by their spatial side (channels differ between lite and full).
FEATURE_NAMES = {64: "mask_features_64", 128: "mask_features_128"}


def log(msg):
    print(f"[split.py] {msg}", flush=True)


def ancestors(producer, names):
    """Nodes (by name) that the tensors `names` depend on."""
    seen, stack = set(), list(names)
    while stack:
        node = producer.get(stack.pop())
        if node is None or node.name in seen:
            continue
        seen.add(node.name)
        stack.extend(node.input)
    return seen


def value_infos(model):
    inferred = onnx.shape_inference.infer_shapes(model)
    g = inferred.graph
    return {v.name: v for v in list(g.value_info) + list(g.input) + list(g.output)}


def split(model):
    """(landmark model, mask head) from a full landmark graph."""
    g = model.graph
    producer = {o: n for n in g.node for o in n.output if o}
    outputs = [o.name for o in g.output]
    if sorted(outputs) != sorted(LANDMARK_OUTPUTS + [MASK_OUTPUT]):
        sys.exit(f"unexpected outputs {outputs}")
    trunk = ancestors(producer, LANDMARK_OUTPUTS)
    head = ancestors(producer, [MASK_OUTPUT]) - trunk
    # A skip connection, Add(trunk tensor, head tensor), goes to the trunk side with the head
    # nodes that feed it: ONNX Runtime fuses such an Add into the convolution that produces its
    # other input, and does not when the trunk tensor arrives as an input of a graph of its own,
    # which moves the logits in the last bits (up to 3e-3 on lite). Kept together, the head
    # computes bit-identical logits.
    for n in g.node:
        if n.name in head and n.op_type == "Add" and any(
                producer.get(t) is not None and producer[t].name in trunk for t in n.input):
            moved = ancestors(producer, list(n.output)) & head
            trunk |= moved
            head -= moved
    graph_inputs = {i.name for i in g.input}
    inits = {i.name: i for i in g.initializer}
    cut = []
    for n in g.node:
        if n.name not in head:
            continue
        for t in n.input:
            if t in graph_inputs:
                sys.exit(f"the mask branch reads the image itself ({n.name}): cannot split")
            p = producer.get(t)
            if p is not None and p.name in trunk and t not in cut:
                cut.append(t)
    infos = value_infos(model)
    rename = {}
    for t in cut:
        dims = [d.dim_value for d in infos[t].type.tensor_type.shape.dim]
        if len(dims) != 4 or dims[2] != dims[3] or dims[2] not in FEATURE_NAMES:
            sys.exit(f"cut tensor {t} has shape {dims}; expected NCHW with a side in {list(FEATURE_NAMES)}")
        rename[t] = FEATURE_NAMES[dims[2]]
    if sorted(rename.values()) != sorted(FEATURE_NAMES.values()):
        sys.exit(f"cut tensors {rename}: expected one per name in {FEATURE_NAMES}")

    def renamed_node(n):
        c = onnx.NodeProto()
        c.CopyFrom(n)
        for i, t in enumerate(c.input):
            c.input[i] = rename.get(t, t)
        for i, t in enumerate(c.output):
            c.output[i] = rename.get(t, t)
        return c

    def feature_info(t):
        v = onnx.ValueInfoProto()
        v.CopyFrom(infos[t])
        v.name = rename[t]
        return v

    cut_sorted = sorted(cut, key=lambda t: rename[t])
    out_by_name = {o.name: o for o in g.output}

    def graph_of(node_names, inputs, outputs, name):
        nodes = [renamed_node(n) for n in g.node if n.name in node_names]
        used = {t for n in nodes for t in n.input}
        initializers = [inits[t] for t in inits if t in used]
        return onnx.helper.make_graph(nodes, name, inputs, outputs, initializer=initializers)

    def model_of(graph):
        m = onnx.helper.make_model(graph, opset_imports=model.opset_import, ir_version=model.ir_version,
                                   producer_name=model.producer_name, producer_version=model.producer_version)
        onnx.checker.check_model(m, full_check=True)
        return m

    landmarks = model_of(graph_of(
        trunk, list(g.input),
        [out_by_name[o] for o in outputs if o != MASK_OUTPUT] + [feature_info(t) for t in cut_sorted],
        g.name))
    mask = model_of(graph_of(
        head, [feature_info(t) for t in cut_sorted], [out_by_name[MASK_OUTPUT]], g.name + "_mask"))
    if len(landmarks.graph.node) + len(mask.graph.node) != len(g.node):
        sys.exit("split: nodes lost or duplicated")
    return landmarks, mask


def session(model_bytes):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])


def run(sess, feeds):
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))


def ffmpeg_crop(path, vf, seek=None):
    cmd = ["ffmpeg", "-v", "error", "-nostdin"]
    if seek is not None:
        cmd += ["-ss", f"{seek:.3f}"]
    cmd += ["-i", path, "-frames:v", "1", "-vf", vf + ",scale=256:256:flags=bilinear",
            "-pix_fmt", "rgb24", "-f", "rawvideo", "-"]
    raw = subprocess.run(cmd, check=True, capture_output=True).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(1, 256, 256, 3).astype(np.float32) / 255.0


def inputs(fixtures):
    square = "crop='min(iw,ih)':'min(iw,ih)'"
    out = [("random", np.random.default_rng(1).uniform(0, 1, size=(1, 256, 256, 3)).astype(np.float32))]
    for name in ["grace_hopper.jpg", "astronaut.png", "cameraman.png"]:
        out.append((name, ffmpeg_crop(os.path.join(fixtures, name), square)))
    for label, t, box in [("sports2d_walk.mp4@1s", 1.0, "500:500:390:0"),
                          ("sports2d_walk.mp4@5s", 5.0, "500:500:250:470")]:
        out.append((label, ffmpeg_crop(os.path.join(fixtures, "sports2d_walk.mp4"), f"crop={box}", seek=t)))
    renders = os.path.join(fixtures, "renders")
    for name in sorted(os.listdir(renders))[:4]:
        out.append((name, ffmpeg_crop(os.path.join(renders, name), square)))
    return out


def check(full, landmarks, mask, fixtures):
    """Check that head(landmarks(x)) is full(x), bit for bit; returns the inputs checked."""
    s_full, s_lm, s_mask = (session(m.SerializeToString()) for m in (full, landmarks, mask))
    checked = []
    for label, x in inputs(fixtures):
        a = run(s_full, {"input_1": x})
        b = run(s_lm, {"input_1": x})
        b[MASK_OUTPUT] = run(s_mask, {v: b[v] for v in FEATURE_NAMES.values()})[MASK_OUTPUT]
        for name in LANDMARK_OUTPUTS + [MASK_OUTPUT]:
            if not np.array_equal(a[name], b[name]):
                sys.exit(f"{label}: {name} differs from the full graph's by {np.max(np.abs(a[name] - b[name]))}")
        checked.append(label)
    log(f"  every output bit-identical to the full graph's on {len(checked)} inputs")
    return checked


def full_graph(name, from_dir, work_dir):
    """The full graph of `name`: from --from DIR, else from git at FULL_GRAPHS_COMMIT; SHA-256 checked."""
    if from_dir:
        path = os.path.join(from_dir, name + ".onnx")
    else:
        path = os.path.join(work_dir, name + ".onnx")
        blob = subprocess.run(["git", "show", f"{FULL_GRAPHS_COMMIT}:models/{name}.onnx"], check=True,
                              capture_output=True).stdout
        with open(path, "wb") as f:
            f.write(blob)
    got = sha256_file(path)
    if got != FULL_GRAPHS[name]:
        msg = f"{path}: SHA-256 {got}, not the shipped models' full graph {FULL_GRAPHS[name]}"
        if not from_dir:
            sys.exit(msg)
        # A fresh conversion on another machine may differ in bytes; the split is still checked
        # against it, but its files will not be the shipped ones.
        log(f"warning: {msg}")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from", dest="from_dir", help="folder holding the full graphs (default: git history)")
    ap.add_argument("--work-dir", default=".cache/split-work", help="scratch folder")
    ap.add_argument("--out-dir", default="models")
    ap.add_argument("--fixtures", default="fixtures")
    ap.add_argument("--facts", help="JSON file to write facts to (for model_card.py)")
    args = ap.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    facts = {"tools": {"onnx": onnx.__version__, "onnxruntime": ort.__version__, "numpy": np.__version__},
             "full_graphs_commit": FULL_GRAPHS_COMMIT, "models": {}}
    for name, sha in FULL_GRAPHS.items():
        path = full_graph(name, args.from_dir, args.work_dir)
        full = onnx.load(path)
        landmarks, mask = split(full)
        log(f"{name}: {len(full.graph.node)} nodes -> {len(landmarks.graph.node)} + {len(mask.graph.node)} (mask)")
        checked = check(full, landmarks, mask, args.fixtures)
        files = {}
        for suffix, m in (("", landmarks), ("_mask", mask)):
            out = os.path.join(args.out_dir, f"{name}{suffix}.onnx")
            with open(out, "wb") as f:
                f.write(m.SerializeToString())
            files[os.path.basename(out)] = {
                "bytes": os.path.getsize(out), "sha256": sha256_file(out), "nodes": len(m.graph.node),
                "parameters": int(sum(np.prod(i.dims) for i in m.graph.initializer)),
                "inputs": [(i.name, [d.dim_value for d in i.type.tensor_type.shape.dim]) for i in m.graph.input],
                "outputs": [(o.name, [d.dim_value for d in o.type.tensor_type.shape.dim]) for o in m.graph.output],
            }
            log(f"  wrote {out}")
        facts["models"][name] = {"full_graph_sha256": sha, "full_graph_nodes": len(full.graph.node),
                                 "files": files, "bit_identical_on": checked}
    if args.facts:
        with open(args.facts, "w") as f:
            json.dump(facts, f, indent=2)


if __name__ == "__main__":
    main()
