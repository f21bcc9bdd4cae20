"""WS /ws/training/{training_id} against the whole system: the handshake rules and a real job's epochs."""

from __future__ import annotations

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from testkit.rest_calls import coach_with_references, messages, new_user, ws_url

pytestmark = pytest.mark.integration


async def start_training(http, owner) -> str:
    coach_id = await coach_with_references(http, owner)
    reply = await http.post("/models/train", headers=owner, json={
        "model_type": "style_encoder", "coach": coach_id, "data_dir": f"references:{coach_id}", "epochs": 3,
        "batch_size": 16, "learning_rate": 0.003, "device": "auto"})
    assert reply.status_code == 202, reply.text
    return reply.json()["training_id"]


async def test_each_epoch_then_the_final_state(http, system):
    _, owner = await new_user(http, "coach")
    training_id = await start_training(http, owner)
    token = owner["Authorization"].split(" ", 1)[1]
    # A browser's way: the token as the second subprotocol; the server selects "bearer".
    async with connect(ws_url(system, f"/ws/training/{training_id}"), subprotocols=["bearer", token]) as socket:
        assert socket.subprotocol == "bearer"
        got = await messages(socket)
        assert socket.close_code == 1000
    progress = [m["data"] for m in got if m["type"] == "progress"]
    statuses = [m["data"]["status"] for m in got if m["type"] == "status"]
    assert statuses[-1] == "completed" and len(statuses) == len(set(statuses))
    assert [p["current_epoch"] for p in progress] == sorted({p["current_epoch"] for p in progress})
    assert progress[-1]["current_epoch"] == progress[-1]["total_epochs"] == 3 and progress[-1]["progress"] == 100.0
    assert all(p["training_id"] == training_id and p["metrics"]["train_loss"] is not None for p in progress)
    final = [m["data"] for m in got if m["type"] == "status"][-1]
    assert final["training_id"] == training_id and final["completed_at"]
    # Someone else's job is not found: an error message, close 4404.
    _, stranger = await new_user(http, "coach")
    async with connect(ws_url(system, f"/ws/training/{training_id}"), additional_headers=stranger) as socket:
        got = await messages(socket)
    assert got == [{"type": "error", "error": {**got[0]["error"], "code": "not_found"}}] and socket.close_code == 4404


async def test_handshake_refuses_no_credentials_and_foreign_origins(http, system):
    async with connect(ws_url(system, "/ws/training/train_x")) as socket:
        got = await messages(socket)
    assert got[0]["type"] == "error" and got[0]["error"]["code"] == "unauthorized" and socket.close_code == 4401
    async with connect(ws_url(system, "/ws/training/train_x?api_key=not-a-key")) as socket:
        await messages(socket)
    assert socket.close_code == 4401
    _, owner = await new_user(http, "coach")
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url(system, "/ws/training/train_x"), additional_headers=owner,
                           origin="https://evil.example"):
            pass
    assert refused.value.response.status_code == 403
    # The edge's own origin is fine.
    host = system.removeprefix("http://")
    async with connect(ws_url(system, "/ws/training/train_x"), additional_headers=owner,
                       origin=f"http://{host}") as socket:
        got = await messages(socket)
    assert got[0]["error"]["code"] == "not_found" and socket.close_code == 4404
