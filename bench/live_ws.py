"""WS /ws/live end to end: one stream of a shared clip sent at 30 frames/s, as a camera would.

Starts its own system (`kataforge serve` on a fresh state directory), sends the clip's frames (JPEG, with
their capture times) at 30 frames/s in real time, and prints: frame-to-landmarks latency p50/p95 (from
sending a frame to receiving its landmarks; goal p95 <= 50 ms on 2 cores), frames dropped (sent, not
answered: the pose service keeps the newest when it falls behind), the part of the latency spent in the
pose service (its processing_ms), and for each repetition told, the
delay from its end to its feedback (from sending the frame at the repetition's end to receiving the
feedback; goal <= 300 ms).

Usage: .venv/bin/python bench/live_ws.py [--clip pose2sim-balancing-cam01.mp4] [--seconds 10] [--scale 0.5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import httpx
import numpy as np
from websockets.asyncio.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.kit.paths import REPO, VIDEOS  # noqa: E402


def frames(path: Path, seconds: float, scale: float) -> list[tuple[float, bytes]]:
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    out: list[tuple[float, bytes]] = []
    while len(out) < seconds * fps:
        ok, image = capture.read()
        if not ok:
            break
        if scale != 1.0:
            image = cv2.resize(image, None, fx=scale, fy=scale)
        out.append((len(out) * 1000.0 / fps, cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes()))
    capture.release()
    return out


async def stream(url: str, token: str, clip: list[tuple[float, bytes]], rate: float) -> None:
    sent_at: dict[int, float] = {}
    sent_ts: list[tuple[float, float]] = []  # (capture ms, wall s)
    latencies, processing, told = [], [], []
    async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None) as socket:
        await socket.send(json.dumps({"action": "start_live"}))

        async def send() -> None:
            begin = time.perf_counter()
            for i, (ts, jpeg) in enumerate(clip):
                await asyncio.sleep(max(0.0, begin + i / rate - time.perf_counter()))
                sent_at[i] = time.perf_counter()
                sent_ts.append((ts, sent_at[i]))
                await socket.send(struct.pack(">d", ts) + jpeg)
            await asyncio.sleep(1.0)  # the last repetition's rest
            await socket.send(json.dumps({"action": "stop"}))

        sender = asyncio.create_task(send())
        answered, dropped = 0, 0
        async for raw in socket:
            now = time.perf_counter()
            message = json.loads(raw)
            if message["type"] == "landmarks":
                answered += 1
                dropped = message["dropped_frames"]
                latencies.append((now - sent_at[message["sequence"]]) * 1000.0)
                processing.append(message["processing_ms"])
            elif message["type"] == "repetition":
                end_ms = message["data"]["end_ms"]
                end_sent = next((wall for ts, wall in sent_ts if ts >= end_ms), None)
                told.append((message["data"], None if end_sent is None else (now - end_sent) * 1000.0))
            elif message["type"] == "error":
                print("error:", message["error"])
        await sender
    lat = np.array(latencies)
    print(f"frames sent {len(clip)} at {rate:g}/s, answered {answered}, dropped {len(clip) - answered} "
          f"(the pose service counted {dropped})")
    print(f"frame-to-landmarks latency: p50 {np.percentile(lat, 50):.1f} ms, p95 {np.percentile(lat, 95):.1f} ms "
          f"(goal p95 <= 50 ms); ratio p95/goal {np.percentile(lat, 95) / 50:.2f}")
    inside = np.array(processing)
    print(f"  of which in the pose service (frame received to landmarks ready): p50 {np.percentile(inside, 50):.1f} ms, "
          f"p95 {np.percentile(inside, 95):.1f} ms; the rest is the edge, scoring and the sockets")
    for data, delay in told:
        shown = "n/a" if delay is None else f"{delay:.0f} ms"
        print(f"repetition {data['repetition']}: {data['technique']} {data['effector']} {data['start_ms']:.0f}-"
              f"{data['end_ms']:.0f} ms, peak {data['peak_speed_m_s']} m/s ({data['speed_verdict']}); "
              f"end-to-feedback {shown} (goal <= 300 ms; search {data['computed_in_ms']:.0f} ms)")
    if not told:
        print("no repetition was told")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clip", default="pose2sim-balancing-cam01.mp4")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--scale", type=float, default=0.5, help="frame size factor (a phone's preview is small)")
    parser.add_argument("--rate", type=float, default=30.0)
    args = parser.parse_args()
    clip = frames(VIDEOS / args.clip, args.seconds, args.scale)

    from services.kit import embedded_pg
    from testkit.loopback import free_port
    state = Path(tempfile.mkdtemp(prefix="kf-live-"))
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DOJO_")},
           "DOJO_STATE_DIR": str(state), "DOJO_DATABASE_URL": embedded_pg.start(str(state)).get_uri(),
           "DOJO_API_PORT": str(port), "DOJO_MODEL_DIR": str(REPO / "models"), "DOJO_LOG_LEVEL": "ERROR",
           "DOJO_ADMIN_USERNAME": "bench", "DOJO_ADMIN_PASSWORD": "bench-password-123",
           "DOJO_ADMIN_EMAIL": "bench@example.com",
           **{f"DOJO_{n}_ADDR": f"127.0.0.1:{free_port()}" for n in ("AUTH", "COACH", "POSE", "SCORING")}}
    system = subprocess.Popen([sys.executable, "-m", "kataforge.cli", "serve"], env=env, cwd=REPO)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=2).json().get("status") == "healthy":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the system did not become healthy")
            time.sleep(0.5)
        token = httpx.post(f"http://127.0.0.1:{port}/auth/login",
                           data={"username": "bench", "password": "bench-password-123"}).json()["access_token"]
        print(f"{args.clip}: {len(clip)} frames of {args.seconds:g} s at scale {args.scale:g}")
        asyncio.run(stream(f"ws://127.0.0.1:{port}/ws/live", token, clip, args.rate))
    finally:
        system.send_signal(signal.SIGTERM)
        system.wait(60)


if __name__ == "__main__":
    main()
