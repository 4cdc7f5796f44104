"""Writes Pillow reference outputs for ImagingTests into the directory given as argv[1].

Inputs are real photographs bundled with scikit-image. Outputs are PNGs (lossless), so the Swift
side compares pixels exactly as Pillow produced them.
"""
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from skimage import data

out = Path(sys.argv[1])
photos = {"chelsea": data.chelsea(), "astronaut": data.astronaut(), "coffee": data.coffee()}
BILINEAR = Image.Resampling.BILINEAR

for name, array in photos.items():
    im = Image.fromarray(array).convert("RGB")
    im.save(out / f"{name}.png")
    # Downscale (antialiased), upscale, odd sizes, and the two fit modes at the network size.
    for w, h in [(224, 224), (97, 61), (640, 480), (451, 300)]:
        im.resize((w, h), BILINEAR).save(out / f"{name}_resize_{w}x{h}.png")
    ImageOps.fit(im, (224, 224), BILINEAR).save(out / f"{name}_fit_224x224.png")
    ImageOps.pad(im, (224, 224), BILINEAR, color=(0, 0, 0)).save(out / f"{name}_pad_224x224.png")
    ImageOps.pad(im, (320, 100), BILINEAR, color=(10, 20, 30)).save(out / f"{name}_pad_320x100.png")
    # JPEG written and read back by Pillow's bundled libjpeg-turbo.
    im.save(out / f"{name}.jpg", quality=90)
    Image.open(out / f"{name}.jpg").convert("RGB").save(out / f"{name}_jpg_decoded.png")

# PNG flavours, each with its RGB reference as Pillow sees it.
base = Image.fromarray(photos["chelsea"]).convert("RGB").resize((120, 80), BILINEAR)
flavours = {
    "palette": base.quantize(64),
    "gray": base.convert("L"),
    "rgba": base.convert("RGBA"),
    "graya": base.convert("LA"),
    "bilevel": base.convert("1"),
}
alpha = np.tile(np.linspace(0, 255, 120, dtype=np.uint8), (80, 1))
flavours["rgba"].putalpha(Image.fromarray(alpha))
for name, im in flavours.items():
    im.save(out / f"png_{name}.png")
    im.convert("RGB").save(out / f"png_{name}_rgb.png")
