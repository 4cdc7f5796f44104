"""Clients for Scripts/bench-serve: N WebSocket readers (websocket-client, one thread each) against a fresh
`deepvis serve` per phase; prints one table row per phase and the ratio of forward fps to the no-client run."""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading
import time

import websocket  # websocket-client, pinned in Scripts/requirements.txt


def start(binary, video, seconds, stats):
    server = subprocess.Popen([binary, "serve", "--video", video, "--loop", "--port", "0", "--no-ascent",
                               "--seconds", str(seconds), "--stats-json", stats],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for line in server.stdout:
        found = re.search(r"open http://([\d.]+:\d+)/", line)
        if found:
            threading.Thread(target=server.stdout.read, daemon=True).start()
            return server, found.group(1)
    raise SystemExit("bench-serve: the server did not start")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def client(address, stop, result):
    ws = websocket.create_connection(f"ws://{address}/ws", timeout=10)
    frames = messages = size = 0
    while not stop.is_set():
        try:
            data = ws.recv()
        except websocket.WebSocketTimeoutException:
            continue
        if isinstance(data, bytes) and data[:4] == b"DVF1":
            n = struct.unpack("<I", data[4:8])[0]
            header = json.loads(data[8:8 + n])
            messages += 1
            size += len(data)
            frames += "layer" in header
    ws.close()
    result.append((frames, messages, size))


def phase(args, clients):
    stats = tempfile.mktemp(suffix=".json")
    total = args.seconds + 6
    server, address = start(args.deepvis, args.video, total, stats)
    time.sleep(3)  # warm-up: model loaded, video playing
    stop, results, threads = threading.Event(), [], []
    for _ in range(clients):
        t = threading.Thread(target=client, args=(address, stop, results))
        t.start()
        threads.append(t)
    time.sleep(1)
    cpu0, t0 = cpu_seconds(server.pid), time.time()
    time.sleep(args.seconds)
    cpu1, t1 = cpu_seconds(server.pid), time.time()
    stop.set()
    for t in threads:
        t.join()
    server.wait()
    passes = json.load(open(stats))["forward_passes"]
    os.unlink(stats)
    elapsed = t1 - t0
    frames = [r[0] / (elapsed + 1) for r in results]  # +1: the readers ran 1 s before the window opened
    size = sum(r[2] for r in results) / max(sum(r[1] for r in results), 1)
    return {"clients": clients, "fps_min": min(frames, default=0), "fps_mean": sum(frames) / max(len(frames), 1),
            "bytes_per_message": size, "cpu_percent": 100 * (cpu1 - cpu0) / elapsed, "forward_fps": passes / total}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--deepvis", required=True)
    parser.add_argument("--video", required=True)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    rows = [phase(args, n) for n in (0, 1, 4, 16)]
    base = rows[0]["forward_fps"]
    print("| clients | frames/s per client (min / mean) | bytes per message | server CPU | forward fps | vs no client |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['clients']} | {r['fps_min']:.1f} / {r['fps_mean']:.1f} | {r['bytes_per_message'] / 1024:.1f} KiB | "
              f"{r['cpu_percent']:.0f} % | {r['forward_fps']:.1f} | {r['forward_fps'] / base:.2f} |")
    print(f"load average: {open('/proc/loadavg').read().split()[:3]}", file=sys.stderr)


if __name__ == "__main__":
    main()
