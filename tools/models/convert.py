#!/usr/bin/env python3
"""Convert MediaPipe BlazePose (npm @mediapipe/pose) TFLite models to ONNX.

Run through tools/models/convert.sh, which pins the toolchain and fetches the
package. This script:

  1. extracts pose_detection.tflite from pose_solution_packed_assets.data, using
     the offsets in pose_solution_packed_assets_loader.js;
  2. densifies the detector (its 38 DENSIFY ops hold sparse fp16 weights that
     tf2onnx cannot read): the TFLite interpreter, run without delegates and with
     all tensors preserved, computes every DENSIFY output; each is written back
     as a constant buffer, the sparse inputs lose their sparsity and the DENSIFY
     ops are dropped; the model is re-serialised with the flatbuffer object API;
  3. converts the detector and the lite/full landmark models with tf2onnx
     (opset 17, float32, NHWC inputs), puts each graph in a canonical form so
     that re-runs give identical bytes (see canonicalize), and checks the
     input/output signatures; the landmark models keep all five outputs of
     MediaPipe's graph, the segmentation mask Identity_2 included;
  4. writes facts (hashes, I/O) as JSON for the agreement check and model card.
"""

import argparse
import json
import os
import re
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import flatbuffers  # noqa: E402
import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402
from tensorflow.lite.python import schema_py_generated as schema  # noqa: E402

from hashing import sha256_file  # noqa: E402

OPSET = 17
DETECTOR_NAME = "pose_detection.tflite"
LANDMARK_MODELS = ["pose_landmark_lite", "pose_landmark_full"]

EXPECTED = {
    "pose_detection": {
        "inputs": [("input_1", [1, 224, 224, 3])],
        "outputs": [("Identity", [1, 2254, 12]), ("Identity_1", [1, 2254, 1])],
    },
    "pose_landmark": {
        "inputs": [("input_1", [1, 256, 256, 3])],
        "outputs": [
            ("Identity", [1, 195]),
            ("Identity_1", [1, 1]),
            ("Identity_2", [1, 256, 256, 1]),
            ("Identity_3", [1, 64, 64, 39]),
            ("Identity_4", [1, 117]),
        ],
    },
}


def log(msg):
    print(f"[convert.py] {msg}", flush=True)


# --------------------------------------------------------------------------- 1
def extract_detector(package_dir, out_path):
    loader = os.path.join(package_dir, "pose_solution_packed_assets_loader.js")
    data = os.path.join(package_dir, "pose_solution_packed_assets.data")
    text = open(loader, encoding="utf-8").read()
    m = re.search(r"loadPackage\((\{.*?\})\)\s*;?\s*\}?", text, re.S)
    if not m:
        sys.exit(f"no loadPackage({{...}}) metadata found in {loader}")
    meta = json.loads(m.group(1))
    entries = [f for f in meta["files"] if f["filename"].endswith("/" + DETECTOR_NAME)]
    if len(entries) != 1:
        sys.exit(f"expected one {DETECTOR_NAME} entry in {loader}, got {meta['files']}")
    start, end = int(entries[0]["start"]), int(entries[0]["end"])
    size = os.path.getsize(data)
    if size != int(meta["remote_package_size"]):
        sys.exit(f"{data}: {size} bytes, loader says {meta['remote_package_size']}")
    with open(data, "rb") as f:
        blob = f.read()[start:end]
    if len(blob) != end - start or blob[4:8] != b"TFL3":
        sys.exit(f"extracted bytes {start}..{end} are not a TFLite flatbuffer")
    with open(out_path, "wb") as f:
        f.write(blob)
    log(f"extracted {entries[0]['filename']} = bytes {start}..{end} of {os.path.basename(data)}")
    return {"filename": entries[0]["filename"], "start": start, "end": end,
            "package_size": size, "loader": os.path.basename(loader)}


# --------------------------------------------------------------------------- 2
def builtin_code(opcode):
    # builtinCode is authoritative for schema >= 3a; deprecatedBuiltinCode caps at 127.
    return max(int(opcode.builtinCode), int(opcode.deprecatedBuiltinCode))


def densify(src_path, dst_path):
    """Replace DENSIFY ops by constant dense buffers; returns the count replaced."""
    buf = bytearray(open(src_path, "rb").read())
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(buf, 0))
    if len(model.subgraphs) != 1:
        sys.exit(f"{src_path}: expected 1 subgraph, got {len(model.subgraphs)}")
    sg = model.subgraphs[0]
    densify_code = schema.BuiltinOperator.DENSIFY
    densify_ops = [op for op in sg.operators
                   if builtin_code(model.operatorCodes[op.opcodeIndex]) == densify_code]
    if not densify_ops:
        log("detector has no DENSIFY ops; nothing to densify")
        with open(dst_path, "wb") as f:
            f.write(buf)
        return 0

    # Reference kernels only: with the default (XNNPACK) delegate, the preserved
    # DENSIFY outputs are not meaningful.
    interp = tf.lite.Interpreter(
        model_content=bytes(buf),
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        experimental_preserve_all_tensors=True,
        num_threads=1,
    )
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    interp.set_tensor(inp["index"], np.zeros(inp["shape"], dtype=inp["dtype"]))
    interp.invoke()

    for op in densify_ops:
        (src_idx,), (dst_idx,) = list(op.inputs), list(op.outputs)
        src_t, dst_t = sg.tensors[src_idx], sg.tensors[dst_idx]
        if src_t.sparsity is None:
            sys.exit(f"DENSIFY input {src_t.name!r} is not sparse")
        if model.buffers[dst_t.buffer].data is not None and len(model.buffers[dst_t.buffer].data):
            sys.exit(f"DENSIFY output {dst_t.name!r} already has data")
        dense = np.ascontiguousarray(interp.get_tensor(dst_idx))
        if list(dense.shape) != [int(d) for d in dst_t.shape]:
            sys.exit(f"{dst_t.name!r}: dense shape {dense.shape} != {list(dst_t.shape)}")
        if not np.all(np.isfinite(dense)):
            sys.exit(f"{dst_t.name!r}: non-finite densified values")
        new_buf = schema.BufferT()
        new_buf.data = np.frombuffer(dense.tobytes(), dtype=np.uint8)
        model.buffers.append(new_buf)
        dst_t.buffer = len(model.buffers) - 1
        # The sparse source is now unused: clear its sparsity and empty its buffer.
        src_t.sparsity = None
        model.buffers[src_t.buffer].data = None
    del interp

    sg.operators = [op for op in sg.operators if op not in densify_ops]
    builder = flatbuffers.Builder(1 << 22)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    out = bytes(builder.Output())
    with open(dst_path, "wb") as f:
        f.write(out)

    # Self-check: no DENSIFY or sparse tensor left, and the dense model runs and
    # matches the original (both on reference kernels) on a fixed random input.
    check = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(out, 0))
    left = [op for op in check.subgraphs[0].operators
            if builtin_code(check.operatorCodes[op.opcodeIndex]) == densify_code]
    sparse = [t for t in check.subgraphs[0].tensors if t.sparsity is not None]
    if left or sparse:
        sys.exit(f"densified model still has {len(left)} DENSIFY ops, {len(sparse)} sparse tensors")
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=inp["shape"]).astype(np.float32)
    diffs = []
    res = []
    for content in (bytes(buf), out):
        it = tf.lite.Interpreter(
            model_content=content, num_threads=1,
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        it.allocate_tensors()
        it.set_tensor(it.get_input_details()[0]["index"], x)
        it.invoke()
        res.append([it.get_tensor(d["index"]) for d in it.get_output_details()])
    for a, b in zip(*res):
        diffs.append(float(np.max(np.abs(a - b))))
    if max(diffs) != 0.0:
        sys.exit(f"densified detector differs from the original on reference kernels: {diffs}")
    log(f"densified {len(densify_ops)} DENSIFY ops; dense TFLite == original (reference kernels, max diff 0)")
    return len(densify_ops)


# --------------------------------------------------------------------------- 3
def shape_of(value_info):
    dims = []
    for d in value_info.type.tensor_type.shape.dim:
        dims.append(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?"))
    return dims


def canonicalize(model):
    """Make the serialised graph independent of tf2onnx's run-to-run choices.

    tf2onnx 1.17 gives structurally identical graphs on every run, but the node
    order and the generated names (counters such as `const_fold_opt__799`, and
    which name survives when equal constants are merged) vary between runs. Here
    nodes are put in a structural order (post-order depth-first walk from the
    graph outputs, inputs in order), and every internal name is replaced by a
    positional one: node k is `n{k}_{OpType}`, its outputs `t{k}` (`t{k}_{j}`
    for further outputs), initializers `c{i}` in order of first use. Graph
    input and output names are kept.
    """
    g = model.graph
    producer = {o: n for n in g.node for o in n.output if o}
    order, seen = [], set()
    for out in g.output:
        root = producer.get(out.name)
        if root is None or id(root) in seen:
            continue
        seen.add(id(root))
        stack = [(root, iter(root.input))]
        while stack:
            node, pending = stack[-1]
            for name in pending:
                p = producer.get(name)
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    stack.append((p, iter(p.input)))
                    break
            else:
                stack.pop()
                order.append(node)
    if len(order) != len(g.node):
        sys.exit(f"canonicalize: {len(g.node) - len(order)} nodes do not lead to a graph output")
    if any(n.op_type in ("If", "Loop", "Scan") for n in order):
        sys.exit("canonicalize: subgraphs are not handled")

    keep = {v.name for v in g.input} | {v.name for v in g.output}
    init_names = {i.name for i in g.initializer}
    rename = {}
    for k, node in enumerate(order):
        for name in node.input:
            if name in init_names and name not in rename:
                rename[name] = f"c{sum(1 for v in rename.values() if v.startswith('c'))}"
        for j, name in enumerate(node.output):
            if name and name not in keep:
                rename[name] = f"t{k}" if j == 0 else f"t{k}_{j}"
    def ren(name):
        return rename.get(name, name)

    nodes = []
    for k, node in enumerate(order):
        c = onnx.NodeProto()
        c.CopyFrom(node)
        c.name = f"n{k}_{node.op_type}"
        c.ClearField("doc_string")
        del c.input[:]
        c.input.extend(ren(x) for x in node.input)
        del c.output[:]
        c.output.extend(ren(x) for x in node.output)
        nodes.append(c)
    inits = []
    for i in g.initializer:
        if i.name not in rename:
            sys.exit(f"canonicalize: initializer {i.name!r} is never used")
        c = onnx.TensorProto()
        c.CopyFrom(i)
        c.name = rename[i.name]
        inits.append(c)
    inits.sort(key=lambda t: int(t.name[1:]))
    infos = []
    for v in g.value_info:
        c = onnx.ValueInfoProto()
        c.CopyFrom(v)
        c.name = ren(v.name)
        infos.append(c)
    infos.sort(key=lambda v: v.name)
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(inits)
    del g.value_info[:]
    g.value_info.extend(infos)
    return model


def run_onnx(model_bytes, x):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])
    return dict(zip([o.name for o in sess.get_outputs()], sess.run(None, {sess.get_inputs()[0].name: x})))


def check_signature(model_proto, expected, what):
    """Check names, shapes and dtypes of the graph's inputs/outputs; returns them."""
    ins = [(i.name, shape_of(i), onnx.TensorProto.DataType.Name(i.type.tensor_type.elem_type))
           for i in model_proto.graph.input]
    outs = [(o.name, shape_of(o), onnx.TensorProto.DataType.Name(o.type.tensor_type.elem_type))
            for o in model_proto.graph.output]
    got = {"inputs": [(n, s) for n, s, _ in ins], "outputs": [(n, s) for n, s, _ in outs]}
    want = {k: [(n, list(s)) for n, s in v] for k, v in expected.items()}
    if got != want or any(t != "FLOAT" for _, _, t in ins + outs):
        sys.exit(f"{what}: unexpected signature\n got  {ins} -> {outs}\n want {want}")
    return ins, outs


def describe(model_proto):
    ins = [(i.name, shape_of(i), onnx.TensorProto.DataType.Name(i.type.tensor_type.elem_type))
           for i in model_proto.graph.input]
    outs = [(o.name, shape_of(o), onnx.TensorProto.DataType.Name(o.type.tensor_type.elem_type))
            for o in model_proto.graph.output]
    return {
        "inputs": [{"name": n, "shape": s, "dtype": t} for n, s, t in ins],
        "outputs": [{"name": n, "shape": s, "dtype": t} for n, s, t in outs],
        "nodes": len(model_proto.graph.node),
        "op_types": sorted({n.op_type for n in model_proto.graph.node}),
        "opset": OPSET,
        "ir_version": model_proto.ir_version,
        "producer": f"{model_proto.producer_name} {model_proto.producer_version}",
    }


def to_onnx(tflite_path, what, expected):
    """tf2onnx + canonical form; returns the canonical ModelProto (checked, not yet written)."""
    log(f"tf2onnx {tf2onnx.__version__}: {os.path.basename(tflite_path)} -> {what} (opset {OPSET})")
    model_proto, _ = tf2onnx.convert.from_tflite(tflite_path, opset=OPSET)
    raw = model_proto.SerializeToString()
    model_proto = canonicalize(model_proto)
    onnx.checker.check_model(model_proto, full_check=True)
    # The canonical graph must compute exactly what tf2onnx's graph computes.
    shape = [int(d) for d in expected["inputs"][0][1]]
    x = np.random.default_rng(1).uniform(-1, 1, size=shape).astype(np.float32)
    a_all, b_all = run_onnx(raw, x), run_onnx(model_proto.SerializeToString(), x)
    for n, a in a_all.items():
        b = b_all[n]
        if not np.array_equal(a, b):
            sys.exit(f"{what}: canonicalised graph differs from tf2onnx's: {n} {np.max(np.abs(a - b))}")
    ins, outs = check_signature(model_proto, expected, what)
    log(f"  ok: {ins} -> {outs}; {len(model_proto.graph.node)} nodes")
    return model_proto


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package-dir", required=True, help="unpacked npm package (its package/ folder)")
    ap.add_argument("--work-dir", required=True, help="scratch folder for intermediate .tflite files")
    ap.add_argument("--out-dir", default="models", help="where the .onnx files go")
    ap.add_argument("--facts", required=True, help="JSON file to write facts to")
    args = ap.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)
    os.makedirs(args.out_dir, exist_ok=True)

    pkg = json.load(open(os.path.join(args.package_dir, "package.json")))
    facts = {"package": {"name": pkg["name"], "version": pkg["version"], "license": pkg.get("license")},
             "tools": {"tensorflow": tf.__version__, "tf2onnx": tf2onnx.__version__, "onnx": onnx.__version__,
                       "numpy": np.__version__, "onnxruntime": ort.__version__,
                       "python": sys.version.split()[0]},
             "models": {}}

    det_tflite = os.path.join(args.work_dir, DETECTOR_NAME)
    facts["detector_extraction"] = extract_detector(args.package_dir, det_tflite)
    dense_tflite = os.path.join(args.work_dir, "pose_detection_dense.tflite")
    n_densify = densify(det_tflite, dense_tflite)

    jobs = [("pose_detection", det_tflite, dense_tflite, EXPECTED["pose_detection"])]
    for name in LANDMARK_MODELS:
        p = os.path.join(args.package_dir, name + ".tflite")
        jobs.append((name, p, p, EXPECTED["pose_landmark"]))

    for name, original, to_convert, expected in jobs:
        onnx_path = os.path.join(args.out_dir, name + ".onnx")
        model_proto = to_onnx(to_convert, onnx_path, expected)
        with open(onnx_path, "wb") as f:
            f.write(model_proto.SerializeToString())
        info = describe(model_proto)
        info.update({
            "tflite": os.path.basename(original),
            "tflite_sha256": sha256_file(original),
            "tflite_bytes": os.path.getsize(original),
            "tflite_path": os.path.abspath(original),
            "onnx": os.path.basename(onnx_path),
            "onnx_path": os.path.abspath(onnx_path),
        })
        if name == "pose_detection":
            info["densified_ops"] = n_densify
            info["dense_tflite_sha256"] = sha256_file(dense_tflite)
        facts["models"][name] = info

    with open(args.facts, "w") as f:
        json.dump(facts, f, indent=2)
    log(f"facts -> {args.facts}")


if __name__ == "__main__":
    main()
