"""GET /models, POST /models/train, GET /models/train/{id} and its cancel, over HTTP against the whole system."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from testkit.rest_calls import coach_with_references, finished, new_user
from testkit.training_jobs import cmu_documents

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def documents():
    return cmu_documents()


async def make_coach(http, headers) -> str:
    coach_id = f"c_{uuid.uuid4().hex[:10]}"
    reply = await http.post("/coaches", json={"id": coach_id, "name": "Sensei", "style": "karate"}, headers=headers)
    assert reply.status_code == 201, reply.text
    return coach_id


async def stored_jobs(pg_url) -> int:
    conn = await asyncpg.connect(pg_url)
    try:
        return await conn.fetchval("SELECT count(*) FROM scoring.training_jobs")
    finally:
        await conn.close()


async def user_id(http, headers) -> str:
    reply = await http.get("/auth/profile", headers=headers)
    assert reply.status_code == 200, reply.text
    return reply.json()["id"]


def assert_envelope(reply, status: int, code: str) -> dict:
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert error["code"] == code and error["message"] and error["timestamp"].endswith("Z")
    return error


async def test_models_are_listed_with_the_spec_fields(http, admin_headers):
    reply = await http.get("/models", headers=admin_headers)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["total"] == len(body["models"])
    for model in body["models"]:
        assert {"name", "type", "version", "description", "input_dim", "accuracy", "created_at", "updated_at",
                "coach"} <= set(model)
    # The default technique classifier reports its open-set rates, measured at build time (ModelInfo.open_set,
    # filled by the scoring service from the model's manifest); the other models have none.
    classifier = next(m for m in body["models"] if m["name"] == "graphsage" and not m["coach"])
    open_set = classifier["open_set"]
    assert 0.0 <= open_set["true_positive_rate"] <= 1.0 and 0.0 <= open_set["false_positive_rate"] <= 1.0
    assert 0.0 < open_set["threshold"] < 1.0 and "FPR" in open_set["threshold_rule"]
    assert open_set["technique_views"] > 0 and open_set["non_technique_views"] > 0
    assert open_set["technique_sources"] > 0 and open_set["non_technique_sources"] > 0
    assert classifier["classes"][-1] == open_set["background_class"]
    assert all("open_set" not in m for m in body["models"] if m["name"] != "graphsage")
    assert_envelope(await http.get("/models"), 401, "unauthorized")


async def test_bad_training_requests_get_the_error_envelope_and_store_nothing(http, pg_url, system_settings):
    _, owner = await new_user(http, "coach")
    coach_id = await make_coach(http, owner)
    broken = system_settings.checkpoints_path / await user_id(http, owner) / "rest-broken"  # the user's own folder
    broken.mkdir(parents=True, exist_ok=True)
    (broken / "epoch_0001.pt").write_bytes(b"not a checkpoint")
    good = {"model_type": "style_encoder", "coach": coach_id, "data_dir": "mocap/cmu-135-karate", "epochs": 2,
            "batch_size": 16, "learning_rate": 0.001, "device": "cpu"}
    before = await stored_jobs(pg_url)
    cases = [
        ({"data_dir": "../main"}, 400, "data_dir"), ({"data_dir": "/etc"}, 400, "data_dir"),
        ({"data_dir": "videos"}, 422, "data_dir"),  # real files, but no motion data in them
        ({"epochs": 0}, 400, "epochs"), ({"epochs": 10**9}, 400, "epochs"), ({"epochs": 10**30}, 400, "epochs"),
        ({"batch_size": 0}, 400, "batch_size"), ({"learning_rate": 0}, 400, "learning_rate"),
        ({"device": "quantum"}, 400, "device"), ({"model_type": "resnet"}, 400, "model_type"),
        ({"resume_from": "rest-broken"}, 400, "resume_from"), ({"resume_from": "missing"}, 400, "resume_from"),
        ({"epochs": "ten"}, 400, "epochs"), ({"data_dir": None}, 400, "data_dir"), ({"extra": 1}, 400, "extra"),
    ]
    for change, status, field in cases:
        body = {**good, **change}
        body = {k: v for k, v in body.items() if v is not None}
        reply = await http.post("/models/train", json=body, headers=owner)
        error = assert_envelope(reply, status, "invalid_request" if status == 400 else "validation_error")
        assert field in error.get("details", {}), (change, error)
    error = assert_envelope(await http.post("/models/train", json={**good, "coach": "nobody_here"}, headers=owner),
                            404, "not_found")
    assert (error["resource"], error["id"]) == ("coach", "nobody_here")
    _, student = await new_user(http, "student")
    assert_envelope(await http.post("/models/train", json=good, headers=student), 403, "forbidden")
    import torch
    if not torch.cuda.is_available():
        error = assert_envelope(await http.post("/models/train", json={**good, "device": "cuda"}, headers=owner),
                                400, "invalid_request")
        assert "cpu" in error["message"]
    assert await stored_jobs(pg_url) == before
    error = assert_envelope(await http.get("/models/train/train_0000", headers=owner), 404, "not_found")
    assert (error["resource"], error["id"]) == ("training", "train_0000")


async def test_a_coach_trains_on_its_references_and_the_model_is_listed(http, documents, admin_headers):
    _, owner = await new_user(http, "coach")
    coach_id = await coach_with_references(http, owner)
    reply = await http.post("/models/train", headers=owner, json={
        "model_type": "style_encoder", "coach": coach_id, "data_dir": f"references:{coach_id}", "epochs": 2,
        "batch_size": 16, "learning_rate": 0.003, "device": "auto"})
    assert reply.status_code == 202, reply.text
    started = reply.json()
    assert started["training_id"].startswith("train_") and started["status"] in ("started", "queued")
    assert {k: started[k] for k in ("model_type", "coach", "epochs", "batch_size", "learning_rate", "device")} == {
        "model_type": "style_encoder", "coach": coach_id, "epochs": 2, "batch_size": 16, "learning_rate": 0.003,
        "device": "auto"}
    assert started["started_at"].endswith("Z") and "estimated_completion" not in started
    training_id = started["training_id"]

    # Someone else's job is invisible; the administrator sees it.
    _, stranger = await new_user(http, "coach")
    assert_envelope(await http.get(f"/models/train/{training_id}", headers=stranger), 404, "not_found")
    assert_envelope(await http.post(f"/models/train/{training_id}/cancel", headers=stranger), 404, "not_found")

    status = await finished(http, training_id, owner)
    assert status["status"] == "completed", status["logs"]
    assert status["progress"]["current_epoch"] == status["progress"]["total_epochs"] == 2
    assert set(status["progress"]) == {"current_epoch", "total_epochs", "train_loss", "val_loss", "val_accuracy",
                                       "best_accuracy"}
    assert all(set(line) == {"timestamp", "message", "level"} for line in status["logs"])
    assert any(line["message"].startswith(f"Loaded {len(documents)} samples") for line in status["logs"])
    assert (await http.get(f"/v1/models/train/{training_id}", headers=admin_headers)).status_code == 200

    listed = (await http.get("/models", params={"coach": coach_id}, headers=owner)).json()
    mine = [m for m in listed["models"] if m["coach"] == coach_id]
    assert [(m["name"], m["type"], m["version"], m["training_id"]) for m in mine] == [
        ("style_encoder", "style_embedding", "1", training_id)]
    assert mine[0]["input_dim"] == 132 and 0.0 <= mine[0]["accuracy"] <= 1.0
    error = assert_envelope(await http.post(f"/models/train/{training_id}/cancel", headers=owner), 409, "conflict")
    assert "completed" in error["message"]


async def test_nobody_trains_on_another_coachs_references_or_checkpoints(http, pg_url, system_settings, admin_headers):
    _, alice = await new_user(http, "coach")
    _, bob = await new_user(http, "coach")
    alices_coach, bobs_coach = await make_coach(http, alice), await make_coach(http, bob)
    kept = system_settings.checkpoints_path / await user_id(http, alice) / "alice-run"
    kept.mkdir(parents=True, exist_ok=True)
    (kept / "epoch_0001.pt").write_bytes(b"alice's weights")
    good = {"model_type": "style_encoder", "coach": bobs_coach, "data_dir": "mocap/cmu-135-karate", "epochs": 2,
            "device": "cpu"}
    before = await stored_jobs(pg_url)

    # Bob's own coach, trained on Alice's coach's references.
    error = assert_envelope(await http.post("/models/train", headers=bob, json={
        **good, "data_dir": f"references:{alices_coach}"}), 403, "forbidden")
    assert error["details"] == {"data_dir": "not your coach's references"}
    error = assert_envelope(await http.post("/models/train", headers=bob, json={
        **good, "data_dir": "references:nobody_here"}), 404, "not_found")
    assert (error["resource"], error["id"]) == ("coach", "nobody_here")

    # Alice's checkpoints answer Bob exactly like a folder that does not exist.
    missing = assert_envelope(await http.post("/models/train", headers=bob, json={**good, "resume_from": "no-run"}),
                              400, "invalid_request")
    for given in ("alice-run", "alice-run/epoch_0001.pt", f"../{kept.parent.name}/alice-run", str(kept)):
        error = assert_envelope(await http.post("/models/train", headers=bob, json={**good, "resume_from": given}),
                                400, "invalid_request")
        assert {k: error[k] for k in ("message", "details")} == {k: missing[k] for k in ("message", "details")}
    error = assert_envelope(await http.post("/models/train", headers=bob, json={
        **good, "checkpoint_dir": f"../{kept.parent.name}/alice-run"}), 400, "invalid_request")
    assert "checkpoint_dir" in error["details"]
    # An administrator has a folder of their own too: Alice's is not in it.
    error = assert_envelope(await http.post("/models/train", headers=admin_headers, json={
        **good, "resume_from": "alice-run"}), 400, "invalid_request")
    assert error["details"] == missing["details"]
    assert await stored_jobs(pg_url) == before
    assert (kept / "epoch_0001.pt").read_bytes() == b"alice's weights"
