"""Shared paths and small helpers for the DeepVis Python scripts."""

import hashlib
import json
import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO_ROOT / "Models"
CACHE_DIR = REPO_ROOT / ".cache"


class ScriptError(Exception):
    """A failure to report to the user in one line, without a traceback."""


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def load_manifest(variant):
    path = MODELS_DIR / f"{variant}.json"
    if not path.exists():
        raise ScriptError(f"no manifest {path.relative_to(REPO_ROOT)}")
    with open(path) as f:
        return json.load(f)


def write_json(path, value):
    """Write JSON with a trailing newline, atomically."""
    tmp = Path(str(path) + ".tmp")
    with open(tmp, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def log(message):
    print(message, file=sys.stderr, flush=True)


def run_main(main):
    """Run `main()`, turning ScriptError into a one-line message and exit status 1."""
    try:
        sys.exit(main() or 0)
    except ScriptError as error:
        log(f"error: {error}")
        sys.exit(1)
