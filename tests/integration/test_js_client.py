"""The JavaScript client (clients/js) against the real system, through Node's own test runner."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess

import pytest

from services.kit.paths import REPO, VIDEOS
from testkit.principals import ADMIN_PASSWORD

pytestmark = pytest.mark.integration

NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="Node.js 20+ is not installed on this machine")
async def test_the_js_client_passes_its_node_tests(system):
    proc = await asyncio.create_subprocess_exec(
        NODE, "--experimental-websocket", "--test", "--test-reporter=spec", "test/", cwd=REPO / "clients" / "js",
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "KATAFORGE_URL": system, "KATAFORGE_USERNAME": "root", "KATAFORGE_PASSWORD": ADMIN_PASSWORD,
             "KATAFORGE_VIDEO": str(VIDEOS / "pose2sim-balancing-cam01.mp4")})
    out, _ = await asyncio.wait_for(proc.communicate(), 600)
    report = out.decode()
    assert proc.returncode == 0, report[-4000:]
    assert "ℹ pass 5" in report and "ℹ fail 0" in report, report[-2000:]
