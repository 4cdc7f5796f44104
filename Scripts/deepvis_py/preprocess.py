"""Image preprocessing for classification, as the manifest describes it.

Resize so the shorter side is `resize_shorter` (bilinear with antialiasing), centre-crop
`crop` x `crop`, then (x - mean) / std per RGB channel on 0-255 values, NCHW float32.
"""

import numpy as np
from skimage.transform import resize


def load_rgb(path):
    from PIL import Image
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def preprocess(rgb, spec):
    """HxWx3 uint8 RGB -> [1, 3, crop, crop] float32 normalized input."""
    h, w = rgb.shape[:2]
    shorter = spec["resize_shorter"]
    if h <= w:
        new_h, new_w = shorter, int(round(w * shorter / h))
    else:
        new_h, new_w = int(round(h * shorter / w)), shorter
    resized = resize(rgb.astype(np.float64), (new_h, new_w), order=1, mode="edge",
                     anti_aliasing=True, preserve_range=True)
    crop = spec["crop"]
    top, left = (new_h - crop) // 2, (new_w - crop) // 2
    patch = resized[top:top + crop, left:left + crop]
    mean = np.asarray(spec["mean"], np.float64)
    std = np.asarray(spec["std"], np.float64)
    x = (patch - mean) / std
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None], dtype=np.float32)
