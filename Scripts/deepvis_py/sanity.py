"""Check a converted model on real photos: the cat must be a cat, the coffee an espresso."""

import numpy as np

from .common import MODELS_DIR, ScriptError
from .preprocess import preprocess

CAT_CLASSES = set(range(281, 286))  # tabby, tiger cat, Persian, Siamese, Egyptian cat
COFFEE_CLASSES = {967, 968}  # espresso, cup


def read_labels(manifest):
    with open(MODELS_DIR / manifest["labels"]) as f:
        return [line.rstrip("\n") for line in f]


def top_k(logits, k=5):
    logits = np.asarray(logits, np.float64).ravel()
    p = np.exp(logits - logits.max())
    p /= p.sum()
    order = np.argsort(-p)[:k]
    return [(int(i), float(p[i])) for i in order]


def check_photos(session, manifest, log):
    """Classify chelsea and coffee; raise ScriptError if either looks wrong."""
    from skimage import data

    labels = read_labels(manifest)
    spec = manifest["input"]
    results = {}
    for name in ("chelsea", "coffee"):
        x = preprocess(getattr(data, name)(), spec)
        (logits,) = session.run(["logits"], {"input": x})
        top = top_k(logits)
        results[name] = top
        shown = ", ".join(f"{labels[i].split(',')[0]} {p:.1%}" for i, p in top[:3])
        log(f"  {name}: {shown}")
    if results["chelsea"][0][0] not in CAT_CLASSES:
        raise ScriptError("sanity check failed: chelsea is not classified as a cat")
    if not COFFEE_CLASSES & {i for i, _ in results["coffee"]}:
        raise ScriptError("sanity check failed: coffee has no espresso/cup in its top 5")
    return results
