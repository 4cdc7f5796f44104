"""A labelled image grid of gradient-ascent results for the docs: rows are tasks (classes or units),
columns presets; under every image its rates as measured by `deepvis optimize --search` (jobs/*.json)
or by `deepvis optimize --judge` (NAME.json records). Reads results; measures nothing itself."""
import argparse
import json
import os

from PIL import Image, ImageDraw, ImageFont

CELL = 124


def font(size):
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def search_cell(search_dir, preset, task):
    stem = f"{search_dir}/jobs/r2-{preset}-{task}"
    if not os.path.exists(stem + ".json"):
        return None
    d = json.load(open(stem + ".json"))
    if d.get("sameSeen"):
        judges = [f"{s['top5'] * 100:.0f}/{h['top5'] * 100:.0f}" for s, h in zip(d["judgeSeen"], d["judgeShown"])]
        lines = [f"S {d['sameSeen']['top1'] * 100:.0f}/{d['sameShown']['top1'] * 100:.0f}", "J " + " ".join(judges)]
    else:
        lines = [f"jitter {d['jitterObjective']:.3g}"]
    return stem + ".png", lines


def record_cell(opt_dir, preset, task):
    """A `deepvis optimize` class run: logit-K-PRESET-s0.json."""
    if not task.startswith("class"):
        return None
    stem = f"{opt_dir}/logit-{task[5:]}-{preset}-s0"
    if not os.path.exists(stem + ".json"):
        return None
    d = json.load(open(stem + ".json"))
    v = d.get("verdicts") or []
    if not v:
        return None
    judges = [f"{j['seen']['top5'] * 100:.0f}/{j['shown']['top5'] * 100:.0f}" for j in v[1:]]
    return stem + ".png", [f"S {v[0]['seen']['top1'] * 100:.0f}/{v[0]['shown']['top1'] * 100:.0f}", "J " + " ".join(judges)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--search", required=True)
    ap.add_argument("--runs", help="comma-separated directories of `deepvis optimize --judge` runs (presets not in the search)")
    ap.add_argument("--tasks", required=True, help="comma-separated: class292,blocks.8-10,…")
    ap.add_argument("--presets", required=True, help="comma-separated preset names as run")
    ap.add_argument("--titles", help="comma-separated column titles (default: the preset names)")
    ap.add_argument("--row-titles", help="comma-separated row titles")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    tasks, presets = a.tasks.split(","), a.presets.split(",")
    titles = a.titles.split(",") if a.titles else presets
    rows = a.row_titles.split(",") if a.row_titles else tasks
    left, top, text = 110, 24, 30
    img = Image.new("RGB", (left + CELL * len(presets), top + (CELL + text) * len(tasks)), (24, 24, 24))
    draw = ImageDraw.Draw(img)
    f, small = font(13), font(11)
    for c, t in enumerate(titles):
        draw.text((left + c * CELL + 4, 4), t, fill=(230, 230, 230), font=f)
    for r, task in enumerate(tasks):
        y = top + r * (CELL + text)
        draw.text((4, y + CELL // 2 - 8), rows[r], fill=(230, 230, 230), font=f)
        for c, p in enumerate(presets):
            cell = search_cell(a.search, p, task)
            for d in (a.runs.split(",") if a.runs else []):
                cell = cell or record_cell(d, p, task)
            x = left + c * CELL
            if cell is None:
                draw.text((x + 4, y + 4), "not run", fill=(200, 80, 80), font=small)
                continue
            png, lines = cell
            img.paste(Image.open(png).convert("RGB").resize((CELL - 6, CELL - 6), Image.BILINEAR), (x + 3, y + 3))
            for i, line in enumerate(lines):
                draw.text((x + 4, y + CELL + i * 13), line, fill=(220, 220, 220), font=small)
    tmp = a.out + ".tmp.png"
    img.save(tmp)
    os.replace(tmp, a.out)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
