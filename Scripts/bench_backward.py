"""The autodiff peer for `deepvis bench --backward-from`: PyTorch CPU on the same ONNX graph.

Forward to a layer, then backward from the mean of one of its channels to the input (no weight
gradients: parameters are plain tensors without requires_grad). Times forward+backward and the
backward alone, median of N runs after a warm-up; prints one JSON line.

Usage: .venv/bin/python Scripts/bench_backward.py --layer blocks.8 --threads 1 --runs 30
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(__file__))
from bench_optimize import OnnxInterpreter, check_against_onnxruntime  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="Models/efficientnet-lite0.onnx")
    ap.add_argument("--layer", default="blocks.8")
    ap.add_argument("--channel", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--size", type=int, default=224)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    net = OnnxInterpreter(onnx.load(args.model)).eval()
    err = check_against_onnxruntime(net, args.model, args.size)
    assert err < 1e-3, f"interpreter differs from onnxruntime by {err}"
    x0 = torch.from_numpy(np.random.default_rng(0).uniform(-1, 1, (1, 3, args.size, args.size)).astype(np.float32))
    total, backward = [], []
    for i in range(args.warmup + args.runs):
        x = x0.clone().requires_grad_(True)
        t0 = time.perf_counter()
        obj = net(x, upto=args.layer)[0, args.channel].mean()
        t1 = time.perf_counter()
        obj.backward()
        t2 = time.perf_counter()
        if i >= args.warmup:
            total.append((t2 - t0) * 1e3)
            backward.append((t2 - t1) * 1e3)
    print(json.dumps({"peer": f"pytorch {torch.__version__}", "threads": args.threads, "layer": args.layer,
                      "median_ms": round(statistics.median(total), 3),
                      "backward_median_ms": round(statistics.median(backward), 3), "runs": args.runs}))


if __name__ == "__main__":
    main()
