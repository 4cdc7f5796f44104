"""The autodiff peer for `deepvis optimize`: the same regularized gradient-ascent loop in PyTorch CPU.

The network is built straight from the ONNX file by a small interpreter over its nodes (Conv with
explicit asymmetric pads, BatchNormalization, Clip, Add, GlobalAveragePool, Flatten, Gemm), checked
against onnxruntime, and run only up to the objective's layer, as our engine does.

Loop per step (paper-3 of Yosinski et al. 2015, in the paper's 0–255-minus-mean scale): clamp x to
valid pixels, forward x/std, objective = mean of one channel, backward, x += lr·∇, x *= 1 − decay,
Gaussian blur (scipy 'reflect' borders, radius ⌊4σ+0.5⌋) every 4th step.

Usage: .venv/bin/python Scripts/bench_optimize.py --model M --layer blocks.8 --channel 0 --threads 1 --steps 40
Prints one JSON line.
"""
import argparse
import json
import math
import time

import numpy as np
import onnx
import onnxruntime
import torch
import torch.nn.functional as F
from onnx import numpy_helper


class OnnxInterpreter(torch.nn.Module):
    """Evaluates the ONNX graph's nodes in order with torch ops, up to a requested value."""

    def __init__(self, model):
        super().__init__()
        g = model.graph
        self.consts = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in g.initializer}
        self.nodes = list(g.node)
        self.input_name = g.input[0].name
        self.output_name = g.output[0].name

    @staticmethod
    def attrs(node):
        return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}

    def run_node(self, node, env):
        a = self.attrs(node)
        x = [env[n] if n in env else self.consts.get(n) for n in node.input]
        op = node.op_type
        if op == "Conv":
            pads = a.get("pads", [0, 0, 0, 0])   # ONNX: top, left, bottom, right
            h = F.pad(x[0], (pads[1], pads[3], pads[0], pads[2])) if any(pads) else x[0]
            return F.conv2d(h, x[1], x[2] if len(x) > 2 else None, stride=a.get("strides", [1, 1]),
                            dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))
        if op == "BatchNormalization":
            return F.batch_norm(x[0], x[3], x[4], x[1], x[2], training=False, eps=a.get("epsilon", 1e-5))
        if op == "Clip":
            lo = float(x[1]) if len(x) > 1 and x[1] is not None else a.get("min", -math.inf)
            hi = float(x[2]) if len(x) > 2 and x[2] is not None else a.get("max", math.inf)
            return torch.clamp(x[0], lo, hi)
        if op == "Add":
            return x[0] + x[1]
        if op == "GlobalAveragePool":
            return x[0].mean(dim=(2, 3), keepdim=True)
        if op == "Flatten":
            return torch.flatten(x[0], a.get("axis", 1))
        if op == "Gemm":
            w = x[1].t() if a.get("transB", 0) else x[1]
            return a.get("alpha", 1.0) * (x[0] @ w) + a.get("beta", 1.0) * x[2]
        raise ValueError(f"unsupported op {op} in node {node.name}")

    def forward(self, x, upto=None):
        env = {self.input_name: x}
        target = upto or self.output_name
        for node in self.nodes:
            env[node.output[0]] = self.run_node(node, env)
            if node.output[0] == target:
                return env[target]
        raise KeyError(target)


def gaussian_blur(x, sigma):
    """scipy.ndimage.gaussian_filter per colour plane: truncate 4, 'reflect' (d c b a | a b c d) borders."""
    r = int(4 * sigma + 0.5)
    k = torch.exp(-0.5 * torch.arange(-r, r + 1, dtype=torch.float32) ** 2 / sigma ** 2)
    k = k / k.sum()
    h, w = x.shape[2], x.shape[3]

    def reflect(n):
        i = np.arange(-r, n + r)
        i = np.mod(i, 2 * n)
        return torch.from_numpy(np.where(i < n, i, 2 * n - 1 - i))
    xp = x[:, :, :, reflect(w)]
    xp = F.conv2d(xp.reshape(-1, 1, h, w + 2 * r), k.view(1, 1, 1, -1)).reshape(x.shape[0], 3, h, w)
    xp = xp[:, :, reflect(h), :]
    return F.conv2d(xp.reshape(-1, 1, h + 2 * r, w), k.view(1, 1, -1, 1)).reshape(x.shape)


def check_against_onnxruntime(net, path, size):
    x = np.random.default_rng(0).uniform(-1, 1, (1, 3, size, size)).astype(np.float32)
    sess = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    ref = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    with torch.no_grad():
        got = net(torch.from_numpy(x)).numpy()
    return float(np.abs(got - ref).max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="Models/efficientnet-lite0.onnx")
    ap.add_argument("--layer", default="blocks.8")
    ap.add_argument("--channel", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--mean", type=float, default=127.0)
    ap.add_argument("--std", type=float, default=128.0)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    net = OnnxInterpreter(onnx.load(args.model)).eval()
    err = check_against_onnxruntime(net, args.model, args.size)
    assert err < 1e-3, f"interpreter differs from onnxruntime by {err}"
    lr, decay, blur, every = 100.0, 1e-4, 1.0, 4   # paper-3
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1, 3, args.size, args.size, generator=gen) * 10

    def step(i, x):
        x = x.clamp(-args.mean, 255 - args.mean).detach().requires_grad_(True)
        obj = net(x / args.std, upto=args.layer)[0, args.channel].mean()
        obj.backward()
        with torch.no_grad():
            x = (x + lr * x.grad) * (1 - decay)
            if i % every == 0:
                x = gaussian_blur(x, blur)
        return x, float(obj.detach())

    for i in range(3):
        x, _ = step(i, x)
    t0 = time.perf_counter()
    best = -math.inf
    for i in range(args.steps):
        x, obj = step(i, x)
        best = max(best, obj)
    s = time.perf_counter() - t0
    print(json.dumps({"impl": "pytorch", "torch": torch.__version__, "threads": args.threads, "steps": args.steps,
                      "seconds": round(s, 3), "steps_per_s": round(args.steps / s, 3), "best": round(best, 4),
                      "max_abs_diff_vs_onnxruntime": err}))


if __name__ == "__main__":
    main()
