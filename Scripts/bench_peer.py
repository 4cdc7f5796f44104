"""Time onnxruntime's forward pass on a model, as the peer for Scripts/bench-forward.

Usage: .venv/bin/python Scripts/bench_peer.py --model FILE [--threads N] [--runs 50]
       [--warmup 10] [--seed 0]
Prints one JSON line: {"peer": "onnxruntime", "threads": N, "median_ms": ..., ...}.
The input is seeded uniform noise in [-1, 1) with the model's input shape (dynamic
dimensions taken as 1), so every run and every peer sees the same tensor.
"""

import argparse
import json
import sys
import time

import numpy as np
import onnxruntime


def make_session(model, threads, profile_prefix=None):
    """The peer's session as every benchmark times it; with `profile_prefix`, its per-node profiler writes there."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    if profile_prefix is not None:
        options.enable_profiling = True
        options.profile_file_prefix = profile_prefix
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def fixed_input(session, seed):
    (info,) = session.get_inputs()
    if info.type != "tensor(float)":
        raise SystemExit(f"bench_peer: input {info.name} is {info.type}, expected float")
    shape = [d if isinstance(d, int) and d > 0 else 1 for d in info.shape]
    rng = np.random.default_rng(seed)
    return info.name, rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description="onnxruntime forward-pass latency")
    parser.add_argument("--model", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.threads < 1 or args.runs < 1 or args.warmup < 0:
        parser.error("--threads and --runs must be >= 1, --warmup >= 0")

    session = make_session(args.model, args.threads)
    name, x = fixed_input(session, args.seed)
    outputs = [session.get_outputs()[0].name]
    for _ in range(args.warmup):
        session.run(outputs, {name: x})
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        session.run(outputs, {name: x})
        times.append((time.perf_counter() - start) * 1000.0)
    p10, median, p90 = np.percentile(times, [10, 50, 90])
    print(json.dumps({"peer": "onnxruntime", "version": onnxruntime.__version__,
                      "threads": args.threads, "runs": args.runs, "warmup": args.warmup,
                      "median_ms": round(float(median), 3), "p10_ms": round(float(p10), 3),
                      "p90_ms": round(float(p90), 3)}))


if __name__ == "__main__":
    sys.exit(main())
