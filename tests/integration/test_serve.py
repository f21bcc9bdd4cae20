"""`kataforge serve` as users run it: separate processes, supervision, clean stop."""

import os
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from services.kit.paths import REPO, VIDEOS
from testkit.loopback import free_port

pytestmark = pytest.mark.integration


def _wait_healthy(url: str, deadline: float) -> dict:
    while time.monotonic() < deadline:
        try:
            body = httpx.get(url, timeout=2).json()
            if body.get("status") == "healthy":
                return body
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    raise AssertionError("system did not become healthy")


def test_serve_supervises_and_stops_cleanly(tmp_path, pg_url):
    port = free_port()
    env = {**os.environ, "DOJO_STATE_DIR": str(tmp_path), "DOJO_API_PORT": str(port),
           "DOJO_DATABASE_URL": pg_url, "DOJO_MODEL_DIR": str(REPO / "models"), "DOJO_LOG_LEVEL": "WARNING",
           "DOJO_ADMIN_USERNAME": "serve_admin", "DOJO_ADMIN_PASSWORD": "serve-admin-password-1",
           "DOJO_ADMIN_EMAIL": "serve_admin@example.com",
           **{f"DOJO_{n}_ADDR": f"127.0.0.1:{free_port()}" for n in ("AUTH", "COACH", "POSE", "SCORING")}}
    proc = subprocess.Popen([sys.executable, "-m", "kataforge.cli", "serve"], env=env, cwd=REPO)
    try:
        body = _wait_healthy(f"http://127.0.0.1:{port}/", time.monotonic() + 120)
        assert body["models_loaded"] == ["blazepose_full", "form_assessor", "graphsage", "style_encoder"]
        children = psutil.Process(proc.pid).children()
        assert len(children) == 5  # five services, each its own process
        pose = next(c for c in children if "services.pose.main" in " ".join(c.cmdline()))
        api = f"http://127.0.0.1:{port}"
        token = httpx.post(f"{api}/auth/login", data={"username": "serve_admin",
                                                        "password": "serve-admin-password-1"}).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.post(f"{api}/coaches", headers=auth, json={"id": "restart_sensei", "name": "Sensei",
                                                                 "style": "Karate"}).status_code == 201
        pose.kill()
        # Sent while the pose service is down: it waits for the restart and its warm-up, then is answered.
        began = time.monotonic()
        with open(VIDEOS / "pose2sim-balancing-cam01.mp4", "rb") as video:
            analysed = httpx.post(f"{api}/analyze", headers=auth, data={"coach": "restart_sensei"},
                                  files={"file": ("cam01.mp4", video, "video/mp4")}, timeout=300)
        assert analysed.status_code == 200, analysed.text
        assert analysed.json()["metrics"]["biomechanics"]["max_speed"] > 0 and time.monotonic() - began > 1
        _wait_healthy(f"http://127.0.0.1:{port}/", time.monotonic() + 120)  # restarted by the supervisor
        assert pose.pid not in [c.pid for c in psutil.Process(proc.pid).children()]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    finally:
        if proc.poll() is None:  # a failed assertion: the services too, not only their supervisor
            for child in psutil.Process(proc.pid).children(recursive=True):
                child.kill()
            proc.kill()
