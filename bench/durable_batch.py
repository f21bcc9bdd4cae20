"""Time a 10-video durable batch of the shared clips, with and without a scoring worker killed mid-batch.

Starts its own system (`kataforge serve` on a fresh state directory) plus a second scoring process on the
same database (two workers share the queue), submits the shared clips twice over (10 videos), and waits
for the end; then again, killing the second scoring process (SIGKILL) as soon as it holds a video. Prints
both times, their ratio (measured in one run, so the machine's load affects both alike), each video's
attempts, and checks that every video was stored exactly once.

Usage: .venv/bin/python bench/durable_batch.py
"""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.kit.paths import REPO, VIDEOS  # noqa: E402
from testkit.loopback import free_port  # noqa: E402


def wait_healthy(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).json().get("status") == "healthy":
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit("the system did not become healthy")


def start_second_scoring(env: dict[str, str]) -> subprocess.Popen:
    from services.kit.service_identity import service_secret

    # A scoring process of its own, with the scoring credential (derived from the run's internal secret).
    child = {k: v for k, v in env.items() if k != "DOJO_INTERNAL_SECRET"}
    proc = subprocess.Popen([sys.executable, "-m", "services.scoring.main"], cwd=REPO, env={
        **child, "DOJO_SCORING_ADDR": f"127.0.0.1:{free_port()}",
        "DOJO_SERVICE_SECRET": service_secret(env["DOJO_INTERNAL_SECRET"], "scoring")})
    time.sleep(25)  # its warm-up (models, lifter) before it takes jobs; the queue does not need it ready
    return proc


async def run_batch(http: httpx.AsyncClient, db: asyncpg.Connection, headers: dict, coach: str,
                    victim: subprocess.Popen | None) -> tuple[float, list[int], float | None]:
    clips = sorted(VIDEOS.glob("*.mp4"))
    videos = [{"url": base64.b64encode(p.read_bytes()).decode(), "coach": coach, "metadata": {"file": p.name}}
              for p in clips + clips][:10]
    started = time.perf_counter()
    reply = await http.post("/batch/submit", json={"videos": videos}, headers=headers)
    reply.raise_for_status()
    batch_id = reply.json()["batch_id"]
    killed_at, taken_up = None, None
    while True:
        if victim is not None and killed_at is None and await db.fetchval(
                "SELECT count(*) FROM batch_items WHERE batch_id = $1 AND worker = $2 AND status = 'processing'",
                batch_id, f"{socket.gethostname()}:{victim.pid}"):
            victim.send_signal(signal.SIGKILL)
            killed_at = time.perf_counter()
        status = (await http.get(f"/batch/status/{batch_id}", headers=headers)).json()
        if killed_at is not None and taken_up is None and any(v["attempts"] > 1 for v in status["videos"]):
            taken_up = time.perf_counter() - killed_at
        if status["finished_at"]:
            break
        await asyncio.sleep(0.2)
    elapsed = time.perf_counter() - started
    ids = [v["analysis_id"] for v in status["videos"]]
    stored = await db.fetchval("SELECT count(*) FROM analyses WHERE id = ANY($1::text[])", ids)
    completed = sum(v["status"] == "completed" for v in status["videos"])
    print(f"  status {status['status']}: {completed}/10 completed, {stored} analyses stored for 10 videos")
    return elapsed, [v["attempts"] for v in status["videos"]], taken_up


async def main() -> None:
    from services.kit import embedded_pg
    state = Path(tempfile.mkdtemp(prefix="kf-durable-"))
    db_url = embedded_pg.start(str(state)).get_uri()
    port = free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DOJO_")},
           "DOJO_STATE_DIR": str(state), "DOJO_DATABASE_URL": db_url, "DOJO_API_PORT": str(port),
           "DOJO_MODEL_DIR": str(REPO / "models"), "DOJO_LOG_LEVEL": "ERROR", "DOJO_ADMIN_USERNAME": "bench",
           "DOJO_ADMIN_PASSWORD": "bench-password-123", "DOJO_ADMIN_EMAIL": "bench@example.com",
           "DOJO_RATE_LIMIT_REQUESTS": "1000000", "DOJO_INTERNAL_SECRET": secrets.token_hex(32),
           **{f"DOJO_{n}_ADDR": f"127.0.0.1:{free_port()}" for n in ("AUTH", "COACH", "POSE", "SCORING")}}
    system = subprocess.Popen([sys.executable, "-m", "kataforge.cli", "serve"], env=env, cwd=REPO)
    db = None
    try:
        wait_healthy(f"http://127.0.0.1:{port}/", time.monotonic() + 180)
        db = await asyncpg.connect(db_url, server_settings={"search_path": "scoring"})
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
            token = (await http.post("/auth/login", data={"username": "bench", "password": "bench-password-123"})).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            coach = f"bench_{uuid.uuid4().hex[:6]}"
            (await http.post("/coaches", json={"id": coach, "name": "Bench", "style": "Karate"}, headers=headers)
             ).raise_for_status()
            print("two scoring processes, no failure:")
            second = start_second_scoring(env)
            calm, attempts, _ = await run_batch(http, db, headers, coach, None)
            print(f"  {calm:.1f} s, attempts {attempts}")
            print("two scoring processes, the second killed (SIGKILL) as soon as it holds a video:")
            killed, attempts, taken_up = await run_batch(http, db, headers, coach, second)
            print(f"  {killed:.1f} s, attempts {attempts}, lost videos taken up again after "
                  f"{taken_up if taken_up is None else round(taken_up, 1)} s")
            second.wait(10)
        print(f"\n10-video durable batch: {calm:.1f} s calm, {killed:.1f} s with a worker killed; "
              f"ratio {killed / calm:.2f}")
    finally:
        if db is not None:
            await db.close()
        system.send_signal(signal.SIGTERM)
        system.wait(60)


if __name__ == "__main__":
    asyncio.run(main())
