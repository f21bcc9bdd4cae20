"""POST /analyze verbose: the timeline a page replays (landmarks, series, repetitions, the corrections' moments
and the coach's reference aligned to the student), stored with the analysis; none without verbose."""


import numpy as np
import pytest

from services.kit.paths import VIDEOS
from testkit.rest_calls import new_user

pytestmark = pytest.mark.integration

CAM01 = VIDEOS / "pose2sim-balancing-cam01.mp4"


async def analyze(http, headers, **fields) -> dict:
    with CAM01.open("rb") as video:
        reply = await http.post("/analyze", data={k: str(v) for k, v in fields.items()}, headers=headers,
                                files={"file": (CAM01.name, video, "video/mp4")})
    assert reply.status_code == 200, reply.text
    return reply.json()


def check_landmarks(frames: list[dict]) -> None:
    for frame in frames:
        points = frame["points"]
        assert len(points) in (0, 99) and all(0.0 <= v <= 1.0 for v in points)


async def test_a_verbose_analysis_carries_its_timeline_with_the_aligned_reference(http, coach_with_reference):
    coach_id, reference_id = coach_with_reference
    _, student = await new_user(http)
    body = await analyze(http, student, coach=coach_id, technique="lunge_punch", verbose="true")
    details, timeline = body["details"], body["timeline"]
    assert details["scored_against"] == "coach_reference"

    times = timeline["frame_times_ms"]
    n = len(times)
    assert n == timeline["frames_analysed"] == 100 and timeline["frame_step"] == 1      # 100 frames at 60 fps
    assert times[0] == 0.0 and all(b > a for a, b in zip(times, times[1:])) and times[1] == pytest.approx(16.7, abs=0.1)
    video = details["video"]
    assert timeline["image_size"] == {"width": video["width"], "height": video["height"]} == {"width": 1080,
                                                                                             "height": 1920}
    assert len(timeline["landmarks"]) == n and sum(1 for f in timeline["landmarks"] if f["points"]) > 90
    check_landmarks(timeline["landmarks"])
    series = {s["name"]: s for s in timeline["series"]}
    for name in ("left_wrist_speed", "right_wrist_speed", "left_ankle_speed", "right_ankle_speed"):
        assert series[name]["unit"] == "m/s" and len(series[name]["values"]) == n
    for name in ("left_knee_angle", "right_knee_angle", "left_hip_angle", "right_hip_angle", "left_elbow_angle",
                 "right_elbow_angle"):
        assert series[name]["unit"] == "deg" and len(series[name]["values"]) == n
    effector = series[f"{details['effector']}_speed"]["values"]
    assert max(v for v in effector if v is not None) == pytest.approx(body["metrics"]["biomechanics"]["max_speed"],
                                                                      abs=0.0051)
    assert len(timeline["repetitions"]) == len(details["repetitions"]) > 0
    for rep in timeline["repetitions"]:
        assert times[0] <= rep["start_ms"] <= rep["peak_ms"] <= rep["end_ms"] <= times[-1]
        edges = [rep["start_ms"]] + [p["end_ms"] for p in rep["phases"]]
        assert edges == sorted(edges) and edges[-1] == rep["end_ms"]
    assert len(timeline["correction_times_ms"]) == len(body["corrections"])

    ref = timeline["reference"]
    assert ref["reference_id"] == reference_id and ref["technique"] == "lunge_punch"
    assert len(ref["landmarks"]) == len(ref["aligned"]) == n and any(ref["aligned"])
    check_landmarks(ref["landmarks"])
    assert {s["name"] for s in ref["series"]} == set(series)
    pairs = np.array(ref["alignment"])
    assert pairs.min() >= 0 and pairs[:, 0].max() < n and pairs[:, 1].max() < len(ref["frame_times_ms"])
    # the student is the reference: the DTW paths keep to the diagonal
    assert np.mean(np.abs(pairs[:, 0] - pairs[:, 1]) <= 1) > 0.9

    stored = await http.get(f"/analyses/{body['id']}", headers=student)
    assert stored.status_code == 200 and stored.json()["timeline"] == timeline


async def test_a_plain_analysis_has_no_timeline(http, coach_with_reference):
    coach_id, _ = coach_with_reference
    _, student = await new_user(http)
    body = await analyze(http, student, coach=coach_id, technique="lunge_punch")
    assert "timeline" not in body and "details" not in body
    stored = await http.get(f"/analyses/{body['id']}", headers=student)
    assert "timeline" not in stored.json()
