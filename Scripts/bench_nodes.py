"""Per-node forward times inside the model: `deepvis bench --profile` beside onnxruntime's own profiler.

Usage: .venv/bin/python Scripts/bench_nodes.py --deepvis .build/release/deepvis [--model FILE] [--threads 1] [--runs 400]
Both engines run the same seeded input; each node's time is a median (ours over --runs passes, onnxruntime's over the
last two thirds of its --runs profiled runs). onnxruntime fuses a residual add into its project convolution, so ours
are summed the same way; nodes one engine runs fused with another (our banded expand → depthwise pairs) show 0 on
the fused side. Prints one row per onnxruntime node found in ours, then the sums. Node medians of a profiled pass are
for finding where the time goes; the whole-pass ratio is `Scripts/bench-forward`'s.
"""

import argparse
import json
import os
import re
import subprocess
import tempfile

import numpy as np

import bench_peer


def ours(deepvis, model, threads, runs):
    out = subprocess.run([deepvis, "bench", "--model", model, "--threads", str(threads), "--runs", str(runs), "--profile"],
                         check=True, capture_output=True, text=True).stderr
    times = {}
    for line in out.splitlines():
        m = re.match(r"\s+(\S+)\s+\S+\s+\[.*?\]\s+([\d.]+) ms", line)
        if m:
            # A convolution's value is "X.bn" and its fused clamp's "X" (0 ms): one node, summed.
            key = m.group(1).removesuffix(".bn")
            times[key] = times.get(key, 0.0) + float(m.group(2))
    return times


def peer(model, threads, runs):
    with tempfile.TemporaryDirectory() as tmp:
        session = bench_peer.make_session(model, threads, profile_prefix=os.path.join(tmp, "profile"))
        name, x = bench_peer.fixed_input(session, 0)
        for _ in range(runs):
            session.run(None, {name: x})
        with open(session.end_profiling()) as f:
            events = json.load(f)
    samples = {}
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            samples.setdefault(e["name"].removesuffix("_kernel_time"), []).append(e["dur"])
    return {n.removesuffix("_nchwc"): float(np.median(d[len(d) // 3:])) / 1000 for n, d in samples.items()}


def main():
    parser = argparse.ArgumentParser(description="per-node ours vs onnxruntime inside the model")
    parser.add_argument("--deepvis", required=True)
    parser.add_argument("--model", default="Models/efficientnet-lite0.onnx")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=400)
    args = parser.parse_args()
    if args.threads < 1 or args.runs < 3:
        parser.error("--threads must be >= 1 and --runs >= 3")
    a = ours(args.deepvis, args.model, args.threads, args.runs)
    b = peer(args.model, args.threads, args.runs)
    print("threads %d, runs %d, load %s" % (args.threads, args.runs, open("/proc/loadavg").read().split()[:3]))
    print("%-26s %10s %10s %7s %8s" % ("node", "ours ms", "ort ms", "ratio", "gap ms"))
    total_a = total_b = 0.0
    for node, t in b.items():
        if node not in a:
            continue
        mine = a[node]
        if node.endswith(".project") and node.removesuffix(".project") in a:
            mine += a[node.removesuffix(".project")]
        total_a += mine
        total_b += t
        print("%-26s %10.3f %10.3f %7s %+8.3f" % (node, mine, t, "%.2f" % (mine / t) if t > 0 else "-", mine - t))
    print("%-26s %10.3f %10.3f %7.2f %+8.3f" % ("sum of matched nodes", total_a, total_b, total_a / total_b, total_a - total_b))


if __name__ == "__main__":
    main()
