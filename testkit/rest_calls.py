"""Calls to the public REST and WebSocket API that many integration tests make: users, coaches, trainings."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx

from testkit.training_jobs import cmu_documents


async def login(http: httpx.AsyncClient, username: str, password: str) -> dict:
    reply = await http.post("/auth/login", data={"username": username, "password": password})
    assert reply.status_code == 200, reply.text
    return reply.json()


async def new_user(http: httpx.AsyncClient, role: str = "student") -> tuple[str, dict]:
    """Register a fresh user and return (username, bearer headers)."""
    name = f"{role}_{uuid.uuid4().hex[:8]}"
    reply = await http.post("/auth/register", json={"username": name, "email": f"{name}@example.com",
                                                    "password": "correct-horse-battery", "role": role})
    assert reply.status_code == 201, reply.text
    tokens = await login(http, name, "correct-horse-battery")
    return name, {"Authorization": f"Bearer {tokens['access_token']}"}


def ws_url(system: str, path: str) -> str:
    return system.replace("http://", "ws://") + path


async def messages(socket) -> list[dict]:
    """Every message of a socket until the server closes it, decoded."""
    from websockets.exceptions import ConnectionClosed
    out = []
    try:
        async for raw in socket:
            out.append(json.loads(raw))
    except ConnectionClosed:
        pass
    return out


async def new_coach(http: httpx.AsyncClient, prefix: str = "coach") -> str:
    """A new coach entry (owned by a new coach user); its id."""
    _, owner = await new_user(http, "coach")
    coach_id = f"{prefix}_{uuid.uuid4().hex[:6]}"
    reply = await http.post("/coaches", json={"id": coach_id, "name": "Nagato", "style": "Karate"}, headers=owner)
    assert reply.status_code == 201, reply.text
    return coach_id


async def coach_with_references(http: httpx.AsyncClient, owner: dict) -> str:
    """A new coach entry of `owner` holding the CMU karate repetitions as pose-sequence references (what a
    per-coach training job needs); its id."""
    coach_id = f"sensei_{uuid.uuid4().hex[:8]}"
    reply = await http.post("/coaches", json={"id": coach_id, "name": "Sensei", "style": "Karate"}, headers=owner)
    assert reply.status_code == 201, reply.text
    for doc in cmu_documents():
        reply = await http.post(f"/coaches/{coach_id}/references", headers=owner, json={
            "technique": doc["technique"], "pose_sequence": {"fps": doc["fps"], "frames": doc["frames"]}})
        assert reply.status_code == 201, reply.text
    return coach_id


async def finished(http, training_id: str, headers: dict, timeout_s: float = 300.0) -> dict:
    """Poll GET /models/train/{id} until the job ends; the last status."""
    for _ in range(int(timeout_s / 0.2)):
        status = (await http.get(f"/models/train/{training_id}", headers=headers)).json()
        if status["status"] in ("completed", "failed", "cancelled"):
            return status
        assert status["status"] in ("queued", "in_progress"), status
        await asyncio.sleep(0.2)
    raise AssertionError(f"training {training_id} still {status['status']} after {timeout_s:.0f} s")
