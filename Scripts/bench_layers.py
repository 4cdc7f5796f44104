"""Per-layer benchmark: every distinct convolution shape of a model as a one-layer ONNX model, timed by
our engine (`deepvis bench`) and by onnxruntime in the same run, with the ratio.

Usage: .venv/bin/python Scripts/bench_layers.py --deepvis .build/release/deepvis [--model FILE]
       [--threads 1] [--runs 200] [--gemm auto|avx2|blas ...]
Each layer is Conv (bias = the folded batch norm) followed by Clip(0, 6) where the model has one, so
both engines fuse the activation. Weights and input are seeded noise (speed does not depend on them).
Prints one table row per shape: kind, input shape, weight shape, stride, count in the model, ms per
run for each engine and ours / onnxruntime; the last row sums ms × count over the shapes.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference, TensorProto

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_peer  # noqa: E402


def conv_layers(model_path):
    """(kind, x shape, w shape, attrs, clipped) per Conv node, in graph order."""
    model = shape_inference.infer_shapes(onnx.load(model_path))
    shapes = {}
    for v in list(model.graph.input) + list(model.graph.value_info) + list(model.graph.output):
        shapes[v.name] = [d.dim_value for d in v.type.tensor_type.shape.dim]
    inits = {i.name: list(i.dims) for i in model.graph.initializer}
    consumers = {}
    for n in model.graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    layers = []
    for n in model.graph.node:
        if n.op_type != "Conv":
            continue
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        x, w = shapes[n.input[0]], inits[n.input[1]]
        # Conv -> BatchNormalization -> Clip is one fused layer in both engines.
        out = n.output[0]
        nxt = consumers.get(out, [])
        if len(nxt) == 1 and nxt[0].op_type == "BatchNormalization":
            nxt = consumers.get(nxt[0].output[0], [])
        clipped = len(nxt) == 1 and nxt[0].op_type == "Clip"
        group = attrs.get("group", 1)
        if group > 1 and group == x[1]:
            kind = "depthwise %dx%d" % tuple(w[2:])
        elif w[2:] == [1, 1]:
            kind = "1x1 expand" if w[0] > w[1] and clipped else ("1x1 head" if clipped else "1x1 project")
        else:
            kind = "stem %dx%d" % tuple(w[2:])
        layers.append((kind, x, w, attrs, clipped))
    return layers


def one_layer_model(path, x, w, attrs, clipped, seed):
    rng = np.random.default_rng(seed)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["conv"], **attrs)]
    inits = [numpy_helper.from_array(rng.uniform(-0.1, 0.1, size=w).astype(np.float32), "w"),
             numpy_helper.from_array(rng.uniform(-0.1, 0.1, size=[w[0]]).astype(np.float32), "b")]
    out = "conv"
    if clipped:
        inits += [numpy_helper.from_array(np.array(0, np.float32), "lo"), numpy_helper.from_array(np.array(6, np.float32), "hi")]
        nodes.append(helper.make_node("Clip", ["conv", "lo", "hi"], ["y"]))
        out = "y"
    y_shape = None  # left to shape inference
    graph = helper.make_graph(nodes, "layer", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x)],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, y_shape)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.save(model, path)


def peer_ms(path, threads, runs):
    session = bench_peer.make_session(path, threads)
    name, x = bench_peer.fixed_input(session, 0)
    outs = [session.get_outputs()[0].name]
    import time
    for _ in range(max(10, runs // 10)):
        session.run(outs, {name: x})
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        session.run(outs, {name: x})
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


def ours_ms(deepvis, path, threads, runs, gemm):
    env = dict(os.environ)
    if gemm != "auto":
        env["DEEPVIS_GEMM"] = gemm
    out = subprocess.run([deepvis, "bench", "--model", path, "--threads", str(threads), "--runs", str(runs),
                          "--warmup", str(max(10, runs // 10))], env=env, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["median_ms"]


def main():
    parser = argparse.ArgumentParser(description="per-layer ours vs onnxruntime")
    parser.add_argument("--deepvis", required=True)
    parser.add_argument("--model", default="Models/efficientnet-lite0.onnx")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--gemm", nargs="+", default=["auto"], choices=["auto", "avx2", "blas"])
    parser.add_argument("--only", default="", help="only kinds containing this text")
    args = parser.parse_args()

    distinct = {}
    for kind, x, w, attrs, clipped in conv_layers(args.model):
        key = json.dumps([kind, x, w, attrs, clipped], sort_keys=True)
        distinct.setdefault(key, [kind, x, w, attrs, clipped, 0])[5] += 1
    cols = ["ours(%s)" % g for g in args.gemm]
    print("threads %d, runs %d, load %s" % (args.threads, args.runs, open("/proc/loadavg").read().split()[:3]))
    print("%-16s %-18s %-18s %2s %3s " % ("kind", "input", "weights", "s", "n") + " ".join("%10s" % c for c in cols)
          + " %10s %7s" % ("ort ms", "ratio"))
    totals = [0.0] * (len(cols) + 1)
    with tempfile.TemporaryDirectory() as tmp:
        for i, (kind, x, w, attrs, clipped, count) in enumerate(distinct.values()):
            if args.only not in kind:
                continue
            path = os.path.join(tmp, "layer%d.onnx" % i)
            one_layer_model(path, x, w, attrs, clipped, i)
            ours = [ours_ms(args.deepvis, path, args.threads, args.runs, g) for g in args.gemm]
            peer = peer_ms(path, args.threads, args.runs)
            for j, v in enumerate(ours + [peer]):
                totals[j] += v * count
            print("%-16s %-18s %-18s %2d %3d " % (kind, "x".join(map(str, x[1:])), "x".join(map(str, w)),
                                                  attrs.get("strides", [1])[0], count)
                  + " ".join("%10.3f" % v for v in ours) + " %10.3f %7.2f" % (peer, ours[0] / peer), flush=True)
    print("%-60s " % "sum over the model (ms x count)" + " ".join("%10.3f" % v for v in totals[:-1])
          + " %10.3f %7.2f" % (totals[-1], totals[0] / totals[-1]))


if __name__ == "__main__":
    sys.exit(main())
