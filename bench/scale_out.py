"""Scale-out on one machine: two replicas each of edge, pose and scoring behind Envoy, a durable batch of the
shared clips, one pose replica killed (SIGKILL, its whole process tree) while it extracts a video.

Starts an embedded PostgreSQL and `kataforge serve --replicas pose=2,scoring=2,edge=2 --envoy-port P` on it
(services/kit/topology.py), sends everything through Envoy, and prints the counts that matter: videos
completed, analyses stored for them (no more: nothing duplicated), attempts per video, who took the batch
(both scoring replicas), the pose replicas' frames, and the time.

Usage: .venv/bin/python bench/scale_out.py [--copies 2]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import secrets
import signal
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
from services.kit.topology import METRICS_PORT_OFFSET, REPLICA_PORT_STEP  # noqa: E402
from testkit.loopback import free_port_block  # noqa: E402
from testkit.replicas import PoseReplica  # noqa: E402


def frames(metrics_port: int) -> float:
    try:
        text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return float("nan")
    return sum(float(v) for v in re.findall(r'^kataforge_pose_frames_total\{mode="video"\} ([\d.e+]+)$', text, re.M))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=2, help="times the shared clips are put in the batch")
    args = parser.parse_args()
    from services.kit import embedded_pg

    state = Path(tempfile.mkdtemp(prefix="kf-scale-"))
    db_url = embedded_pg.start(str(state)).get_uri()
    ports = {n: free_port_block(2, REPLICA_PORT_STEP) for n in ("AUTH", "COACH", "POSE", "SCORING")}
    api, envoy_port = free_port_block(2, 1), free_port_block(1, 1)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("DOJO_")},
           "DOJO_STATE_DIR": str(state), "DOJO_DATABASE_URL": db_url, "DOJO_API_PORT": str(api),
           "DOJO_MODEL_DIR": str(REPO / "models"), "DOJO_LOG_LEVEL": "ERROR", "DOJO_ADMIN_USERNAME": "bench",
           "DOJO_ADMIN_PASSWORD": "bench-password-123", "DOJO_ADMIN_EMAIL": "bench@example.com",
           "DOJO_RATE_LIMIT_REQUESTS": "1000000", "DOJO_INTERNAL_SECRET": secrets.token_hex(32),
           **{f"DOJO_{n}_ADDR": f"127.0.0.1:{p}" for n, p in ports.items()}}
    system = subprocess.Popen([sys.executable, "-m", "kataforge.cli", "serve", "--replicas",
                               "pose=2,scoring=2,edge=2", "--envoy-port", str(envoy_port)], env=env, cwd=REPO)
    pose_addrs = [f"127.0.0.1:{ports['POSE'] + k * REPLICA_PORT_STEP}" for k in range(2)]
    db = None
    try:
        base = f"http://127.0.0.1:{envoy_port}"
        deadline = time.monotonic() + 300
        while True:  # healthy through Envoy: its edges see every backend SERVING
            try:
                if httpx.get(f"{base}/", timeout=2).json().get("status") == "healthy":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline or system.poll() is not None:
                raise SystemExit("the system did not become healthy through Envoy")
            time.sleep(1)
        db = await asyncpg.connect(db_url, server_settings={"search_path": "scoring"})
        clips = sorted(VIDEOS.glob("*.mp4")) * args.copies
        async with httpx.AsyncClient(base_url=base, timeout=120) as http:
            token = (await http.post("/auth/login", data={"username": "bench", "password": "bench-password-123"})).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            coach = f"bench_{uuid.uuid4().hex[:6]}"
            (await http.post("/coaches", json={"id": coach, "name": "Bench", "style": "Karate"}, headers=headers)
             ).raise_for_status()
            videos = [{"url": base64.b64encode(p.read_bytes()).decode(), "coach": coach, "metadata": {"file": p.name}}
                      for p in clips]
            started = time.perf_counter()
            reply = await http.post("/batch/submit", json={"videos": videos}, headers=headers)
            reply.raise_for_status()
            batch_id = reply.json()["batch_id"]
            killed_at = None
            victim = PoseReplica(pose_addrs[1])
            victim.busy_percent()  # the baseline its CPU use is measured from
            while True:
                if killed_at is None:
                    busy = victim.busy_percent()
                    if busy > 50:  # extracting a video now
                        count = victim.kill()
                        killed_at = time.perf_counter() - started
                        print(f"killed pose replica {victim.addr} ({count} processes, {busy:.0f} % CPU) at "
                              f"{killed_at:.1f} s")
                status = (await http.get(f"/batch/status/{batch_id}", headers=headers)).json()
                if status["finished_at"]:
                    break
                await asyncio.sleep(0.5)
            elapsed = time.perf_counter() - started
        rows = status["videos"]
        ids = [v["analysis_id"] for v in rows if v["analysis_id"]]
        stored = await db.fetchval("SELECT count(*) FROM analyses WHERE id = ANY($1::text[])", ids)
        for_coach = await db.fetchval("SELECT count(*) FROM analyses WHERE coach = $1", coach)
        workers = await db.fetch("SELECT DISTINCT worker FROM batch_items WHERE batch_id = $1", batch_id)
        completed = sum(v["status"] == "completed" for v in rows)
        print(f"\nbatch {status['status']} in {elapsed:.1f} s: {completed}/{len(rows)} videos completed, "
              f"{stored} analyses stored for them, {for_coach} analyses against the coach in all (duplicates: "
              f"{for_coach - len(rows)})")
        print(f"attempts per video: {[v['attempts'] for v in rows]}")
        print(f"scoring workers that took videos: {len(workers)}")
        print("pose replicas' video frames analysed (since their last start): " + ", ".join(
            f"{a}: {frames(int(a.rsplit(':', 1)[1]) + METRICS_PORT_OFFSET):.0f}" for a in pose_addrs))
    finally:
        if db is not None:
            await db.close()
        system.send_signal(signal.SIGTERM)
        system.wait(90)


if __name__ == "__main__":
    asyncio.run(main())
