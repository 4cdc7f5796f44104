"""Write reference fixtures for the Swift tests into .cache/reference/.

For each scikit-image photo: the photo as PNG and JPEG (.cache/photos/), the exact
preprocessed input tensor and onnxruntime's outputs for a few layers, all raw
little-endian float32 in NCHW order, plus index.json describing every file.
"""

import json
import os
import sys
import tempfile

import numpy as np
import onnx

from .common import (CACHE_DIR, MODELS_DIR, REPO_ROOT, ScriptError, load_manifest, log,
                     run_main, sha256_file, write_json)
from .preprocess import preprocess
from .sanity import read_labels, top_k

VARIANT = "efficientnet-lite0"
PHOTOS = ("chelsea", "coffee", "astronaut", "rocket")
# Layers chosen to cover: stem, 3x3/s2 and 5x5/s2 depthwise (asymmetric padding), blocks
# with and without residual, 7x7 maps, pooling and the classifier.
LAYERS = ("stem", "blocks.1.depthwise", "blocks.3.depthwise", "blocks.3", "blocks.8",
          "blocks.10", "blocks.15", "head", "pool", "logits")
FORMAT_VERSION = 1


def rel(path):
    return os.path.relpath(path, REPO_ROOT)


def is_up_to_date(index_path, model_sha):
    if not index_path.exists():
        return False
    try:
        index = json.loads(index_path.read_text())
    except ValueError:
        return False
    if index.get("format_version") != FORMAT_VERSION or index.get("model_sha256") != model_sha:
        return False
    if list(index.get("layers", [])) != list(LAYERS):
        return False
    files = [index_path.parent / e["file"] for p in index["photos"].values()
             for e in [p["input"], *p["outputs"].values()]]
    files += [REPO_ROOT / p[k] for p in index["photos"].values() for k in ("png", "jpg")]
    return all(f.exists() for f in files)


def session_with_outputs(model_path, layers):
    """An onnxruntime session on a temporary copy of the model that also outputs `layers`."""
    import onnxruntime

    model = onnx.load(str(model_path))
    known = {v.name: v for v in model.graph.value_info}
    present = {o.name for o in model.graph.output}
    for name in layers:
        if name in present:
            continue
        if name not in known:
            raise ScriptError(f"{model_path.name} has no value named {name}")
        model.graph.output.append(known[name])
    options = onnxruntime.SessionOptions()
    # The reference is the graph as written: no fusions that reorder arithmetic.
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "with-outputs.onnx")
        onnx.save(model, path)
        return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def save_photo(name, photos_dir):
    from PIL import Image
    from skimage import data

    rgb = getattr(data, name)()
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ScriptError(f"skimage.data.{name} is not an 8-bit RGB photo")
    image = Image.fromarray(rgb)
    png, jpg = photos_dir / f"{name}.png", photos_dir / f"{name}.jpg"
    image.save(png, optimize=False)
    image.save(jpg, quality=95)
    return rgb, png, jpg


def write_f32(path, array):
    np.ascontiguousarray(array, dtype="<f4").tofile(path)


def main():
    manifest = load_manifest(VARIANT)
    model_path = MODELS_DIR / manifest["onnx"]["file"]
    if not model_path.exists():
        raise ScriptError(f"{rel(model_path)} is missing; run Scripts/fetch-model first")
    model_sha = sha256_file(model_path)
    out_dir = CACHE_DIR / "reference"
    index_path = out_dir / "index.json"
    if is_up_to_date(index_path, model_sha):
        index_path.touch()  # newer than the model again: the wrapper's fast path applies
        return
    photos_dir = CACHE_DIR / "photos"
    out_dir.mkdir(parents=True, exist_ok=True)
    photos_dir.mkdir(parents=True, exist_ok=True)

    log(f"writing reference outputs of {model_path.name} to {rel(out_dir)}/")
    session = session_with_outputs(model_path, LAYERS)
    labels = read_labels(manifest)
    index = {
        "format_version": FORMAT_VERSION,
        "model": rel(model_path),
        "model_sha256": model_sha,
        "generator": "Scripts/reference-outputs (onnxruntime "
                     f"{__import__('onnxruntime').__version__}, graph optimizations off)",
        "dtype": "float32", "byte_order": "little", "layout": "NCHW",
        "preprocessing": dict(manifest["input"], method=(
            "scikit-image resize(order=1, anti_aliasing=True, mode='edge', preserve_range=True) "
            "of the PNG to shorter side resize_shorter (no rounding to 8 bit), centre crop "
            "(offset (size - crop) // 2), (x - mean) / std")),
        "layers": list(LAYERS),
        "photos": {},
    }
    for name in PHOTOS:
        rgb, png, jpg = save_photo(name, photos_dir)
        x = preprocess(rgb, manifest["input"])
        outputs = session.run(list(LAYERS), {"input": x})
        entry = {"png": rel(png), "jpg": rel(jpg), "size": [rgb.shape[1], rgb.shape[0]],
                 "input": {"file": f"{name}.input.f32", "shape": list(x.shape)},
                 "outputs": {}}
        write_f32(out_dir / entry["input"]["file"], x)
        for layer, value in zip(LAYERS, outputs):
            file = f"{name}.{layer}.f32"
            write_f32(out_dir / file, value)
            entry["outputs"][layer] = {"file": file, "shape": list(value.shape)}
        top = top_k(outputs[LAYERS.index("logits")])
        entry["top5"] = [{"index": i, "probability": round(p, 6), "label": labels[i]}
                         for i, p in top]
        index["photos"][name] = entry
        log(f"  {name}: " + ", ".join(f"{labels[i].split(',')[0]} {p:.1%}" for i, p in top[:3]))
    write_json(index_path, index)
    log(f"wrote {rel(index_path)}")


if __name__ == "__main__":
    run_main(main)
