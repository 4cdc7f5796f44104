#!/usr/bin/env python3
"""End-to-end test of `deepvis serve` in a real browser: Debian's headless Chromium driven by Selenium.

Starts the release binary on the sample video, opens the page and checks what a user would: the page loads, the
layer's tiles change between frames, clicking a tile selects that unit, the gradient-ascent image changes while it
is optimized, and the history slider shows an earlier step. Saves screenshots into --out. Exits non-zero with one
line saying what failed; run by DeepVisCLITests/ServeBrowserTests (part of Scripts/test).

Usage: .venv/bin/python Tests/Browser/serve_browser_test.py [--deepvis .build/release/deepvis] [--out DIR]
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


class Failure(Exception):
    pass


def wait_for(what, condition, timeout):
    """Polls `condition` until it returns a truthy value; raises Failure naming `what` after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise Failure(f"timed out after {timeout:.0f} s waiting for {what}")


def start_server(binary, video, log):
    command = [binary, "serve", "--video", video, "--loop", "--port", "0", "--layer", "blocks.5",
               "--ascent-iterations", "80", "--seconds", "600"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    url = []

    def read():
        for line in server.stdout:
            found = re.search(r"open (http://\S+)", line)
            if found and not url:
                url.append(found.group(1))
    threading.Thread(target=read, daemon=True).start()
    wait_for("the server to print its URL", lambda: url or server.poll() is not None, 90)
    if not url:
        raise Failure(f"deepvis serve exited with status {server.returncode} before printing its URL")
    return server, url[0]


def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        raise Failure("Selenium is missing from .venv: run Scripts/python-env")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,900"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def js(driver, expression):
    return driver.execute_script("return " + expression)


def image_data(driver, element_id):
    """The pixels of an <img> or <canvas> as a data URL (the same bytes mean the same picture)."""
    return driver.execute_script("""
        const el = document.getElementById(arguments[0]);
        if (el.tagName === 'CANVAS') return el.toDataURL();
        if (!el.complete || !el.naturalWidth) return null;
        const c = document.createElement('canvas');
        c.width = el.naturalWidth; c.height = el.naturalHeight;
        c.getContext('2d').drawImage(el, 0, 0);
        return c.toDataURL();""", element_id)


def click_tile(driver, unit):
    from selenium.webdriver.common.action_chains import ActionChains
    canvas = driver.find_element("id", "tiles")
    x, y, w, h = driver.execute_script("""
        const t = window.deepvis.tiles, g = tileGeometry(), u = arguments[0];
        const c = u % t.columns, r = Math.floor(u / t.columns), el = document.getElementById('tiles');
        return [c * (g.w + 2) + g.w / 2, r * (g.h + 2) + g.h / 2, el.clientWidth, el.clientHeight];""", unit)
    # Selenium 4 offsets are from the element's centre.
    ActionChains(driver).move_to_element_with_offset(canvas, int(x - w / 2), int(y - h / 2)).click().perform()


def run(args):
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.path.exists(path):
            raise Failure(f"{path} is missing: run Scripts/install-deps --test (Debian package {package})")
    if not os.path.exists(args.video):
        raise Failure(f"{args.video} is missing: run Scripts/make-sample-video")
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "serve.log"), "w")
    server, url = start_server(args.deepvis, args.video, log)
    driver = None
    try:
        driver = browser()
        driver.get(url)
        wait_for("the first layer frame", lambda: js(driver, "window.deepvis.layerFrames") >= 2, 60)
        if driver.title != "DeepVis":
            raise Failure(f"page title is {driver.title!r}")
        layers = js(driver, "window.deepvis.layers.length")
        listed = len(driver.find_elements("css selector", "#layers li"))
        if layers < 2 or listed != layers:
            raise Failure(f"layer list shows {listed} entries for {layers} layers")
        print(f"page loaded: {layers} layers, tiles of {js(driver, 'window.deepvis.layers[window.deepvis.state.layer].name')}")

        # Tiles change between frames (the video moves).
        first = image_data(driver, "tiles")
        sequence = js(driver, "window.deepvis.tiles.sequence")
        wait_for("the tiles to change", lambda: js(driver, "window.deepvis.tiles.sequence") > sequence
                 and image_data(driver, "tiles") != first, 30)
        print("tiles change between frames")

        # Clicking a tile selects that unit.
        target = 7
        click_tile(driver, target)
        wait_for(f"unit {target} to be selected", lambda: js(driver, "window.deepvis.state.unit") == target, 15)
        title = driver.find_element("id", "unitTitle").text
        if f"unit {target}" not in title:
            raise Failure(f"unit pane title {title!r} does not name unit {target}")
        print(f"clicking tile {target} selected it: {title}")

        # The ascent image changes while it is optimized.
        wait_for("the ascent image", lambda: image_data(driver, "ascent"), 120)
        early = image_data(driver, "ascent")
        early_count = js(driver, "window.deepvis.history.filter(Boolean).length")
        wait_for("the ascent image to change", lambda: image_data(driver, "ascent") not in (None, early)
                 and js(driver, "window.deepvis.history.filter(Boolean).length") > early_count, 120)
        wait_for("a few history steps", lambda: js(driver, "window.deepvis.history.filter(Boolean).length") >= 12, 180)
        print(f"ascent image changed ({early_count} → {js(driver, 'window.deepvis.history.filter(Boolean).length')} history entries)")

        # Hover a tile for the screenshot's tooltip, then pull the slider back to an earlier step.
        from selenium.webdriver.common.action_chains import ActionChains
        position = js(driver, "window.deepvis.history.filter(Boolean).length") - 4
        driver.execute_script("""
            const s = document.getElementById('slider'); s.value = arguments[0];
            s.dispatchEvent(new Event('input', {bubbles: true}));""", position)
        wait_for("the slider position to reach the server and back",
                 lambda: js(driver, "window.deepvis.state.history") == position, 15)
        label = wait_for("the slider label", lambda: (lambda t: t if t.startswith("step") else None)(
            driver.find_element("id", "sliderLabel").text), 10)
        step = int(re.match(r"step (\d+)", label).group(1))
        shown = js(driver, "document.getElementById('ascent').src")
        # Read from the history as it is now: the ascent keeps running, and when it thins its history the server resends
        # the entries, so the newest step read before the slider moved may sit at `position` by now.
        expected = js(driver, f"window.deepvis.history.filter(Boolean)[{position}].url")
        latest = js(driver, "window.deepvis.history.filter(Boolean).slice(-1)[0].step")
        if not step < latest or shown != expected:
            raise Failure(f"slider shows {label!r} (image {shown}) — expected an earlier step than {latest}, image {expected}")
        print(f"slider shows an earlier step: {label} (latest step {latest})")
        canvas = driver.find_element("id", "tiles")
        ActionChains(driver).move_to_element_with_offset(canvas, -canvas.size["width"] // 2 + 60,
                                                         -canvas.size["height"] // 2 + 20).perform()
        time.sleep(0.5)
        driver.save_screenshot(os.path.join(args.out, "serve.png"))

        # A key from the window's table: o = next layer.
        layer = js(driver, "window.deepvis.state.layer")
        driver.find_element("tag name", "body").send_keys("o")
        wait_for("key o to switch the layer", lambda: js(driver, "window.deepvis.state.layer") == (layer + 1) % layers, 15)
        wait_for("the new layer's tiles", lambda: js(driver, "window.deepvis.tiles.index") == (layer + 1) % layers, 15)
        driver.save_screenshot(os.path.join(args.out, "serve-next-layer.png"))
        errors = js(driver, "window.deepvis.errors")
        if errors:
            raise Failure(f"the server reported errors to the page: {errors}")
        print("key o switched the layer; screenshots in " + args.out)
    finally:
        if driver is not None:
            driver.quit()
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise Failure("deepvis serve did not stop within 30 s of SIGINT")
    if server.returncode != 0:
        raise Failure(f"deepvis serve exited with status {server.returncode} (log: {log.name})")


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deepvis", default=os.path.join(root, ".build/release/deepvis"))
    parser.add_argument("--video", default=os.path.join(root, ".cache/sample/sample.mp4"))
    parser.add_argument("--out", default=os.path.join(root, "out/serve-browser"))
    args = parser.parse_args()
    try:
        run(args)
    except Failure as failure:
        print(f"serve browser test FAILED: {failure}", file=sys.stderr)
        return 1
    print("serve browser test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
