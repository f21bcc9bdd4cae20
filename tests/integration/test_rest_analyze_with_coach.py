"""/analyze with a coach's reference, technique recognition, and the learned models it reports."""

import json

import pytest

from services.kit.paths import REPO, VIDEOS
from testkit.rest_calls import coach_with_references, finished, new_user

pytestmark = pytest.mark.integration

CAM01 = VIDEOS / "pose2sim-balancing-cam01.mp4"
CAM02 = VIDEOS / "pose2sim-balancing-cam02.mp4"


async def analyze(http, headers, **fields):
    with CAM02.open("rb") as video:
        reply = await http.post("/analyze", data={k: str(v) for k, v in fields.items()}, headers=headers,
                                files={"file": (CAM02.name, video, "video/mp4")})
    assert reply.status_code == 200, reply.text
    return reply.json()


async def test_scores_and_corrections_come_from_the_coach_reference(http, coach_with_reference):
    coach_id, reference_id = coach_with_reference
    _, student = await new_user(http)
    body = await analyze(http, student, coach=coach_id, technique="lunge_punch", verbose="true")
    details = body["details"]
    assert details["scored_against"] == "coach_reference" and details["reference_id"] == reference_id
    assert 0 < details["similarity_to_reference_pct"] <= 100
    assert details["comparison"]["repetitions"], details["comparison"]
    # corrections name the coach and a number
    assert body["corrections"] and any("Nagato" in c and any(ch.isdigit() for ch in c) for c in body["corrections"])
    assert "recognition" not in body  # the technique was given
    metrics = (await http.get("/metrics")).text
    for model in ("form_assessor", "style_encoder"):
        assert f'kataforge_model_inference_time_count{{model="{model}"}}' in metrics
    assert set(details["form_assessor"]) == {"speed", "force", "timing", "balance", "coordination"}

    # a technique the coach has no reference for: the norms, and the answer says so
    other = await analyze(http, student, coach=coach_id, technique="front_kick", verbose="true")
    assert other["details"]["scored_against"] == "norms"
    assert "Nagato has no reference performance of 'front_kick'" in other["details"]["comparison"]["reason"]


async def test_a_motion_that_is_no_technique_is_answered_unknown(http, coach_with_reference):
    """pose2sim cam02 is a balancing drill, no technique: the open-set recognition says "unknown" with its
    score and threshold, and the analysis still answers, against the general norms."""
    coach_id, _ = coach_with_reference
    _, student = await new_user(http)
    body = await analyze(http, student, coach=coach_id)
    recognition = body["recognition"]
    classes = json.loads((REPO / "models" / "scoring" / "graphsage.json").read_text())["classes"]
    assert recognition["technique"] == "unknown" and recognition["accepted"] is False
    assert body["technique"] == ""
    assert recognition["best_guess"] in classes and recognition["best_guess"] != "not_a_technique"
    assert recognition["calibrated"] is True and 0 <= recognition["score"] < recognition["threshold"] <= 1
    assert recognition["model"] == "graphsage (default)" and "general norms" in recognition["note"]
    assert all(a["technique"] in classes for a in recognition["alternatives"])
    assert body["metrics"]["overall_score"] >= 0
    assert 'kataforge_model_inference_time_count{model="graphsage"}' in (await http.get("/metrics")).text


async def test_models_report_the_accuracy_measured_at_training(http, admin_headers):
    listed = (await http.get("/models", headers=admin_headers)).json()
    defaults = {m["name"]: m for m in listed["models"] if m["coach"] == ""}
    assert set(defaults) == {"graphsage", "form_assessor", "style_encoder"}
    for name, model in defaults.items():
        manifest = json.loads((REPO / "models" / "scoring" / f"{name}.json").read_text())
        assert model["accuracy"] == pytest.approx(manifest["accuracy"])


async def test_a_model_trained_for_the_coach_is_used_by_the_next_analysis(http):
    """No restart between the training job's end and the analysis that uses its model."""
    from testkit.training_jobs import cmu_documents

    _, owner = await new_user(http, "coach")
    coach_id = await coach_with_references(http, owner)
    reply = await http.post("/models/train", headers=owner, json={
        "model_type": "graphsage", "coach": coach_id, "data_dir": f"references:{coach_id}", "epochs": 1,
        "batch_size": 16, "learning_rate": 0.003, "device": "cpu"})
    assert reply.status_code == 202, reply.text
    training_id = reply.json()["training_id"]
    status = await finished(http, training_id, owner)
    assert status["status"] == "completed", status["logs"]
    body = await analyze(http, owner, coach=coach_id)
    assert body["recognition"]["model"] == f"graphsage (coach {coach_id}, v1)"
    classes = {doc["technique"] for doc in cmu_documents()}
    assert body["recognition"]["technique"] in classes
