"""None of the five shared videos is a technique: each is answered "unknown" by the default recogniser.

Real extraction (services.pose.extract.extract_poses, once per video per session, the project's pose model)
through the analysis path: pose proto -> Motion (scoring.clients) -> repetitions and focus
(scoring.assessment.prepare) -> the default models (technique_models) -> the recognition block (analysis).
"""

from __future__ import annotations

import pytest

from services.kit.paths import REPO, VIDEOS
from services.pose.extract import extract_poses
from services.pose.landmarker import bundle_path
from services.pose.servicer import to_proto
from services.scoring.analysis import _recognition_block
from services.scoring.assessment import prepare
from services.scoring.clients import motion_from_sequence
from services.scoring.technique_models import TechniqueModels

VIDEO_NAMES = [f"pose2sim-balancing-cam0{i}.mp4" for i in range(1, 5)] + ["sports2d-demo.mp4"]
MODELS = REPO / "models" / "scoring"


@pytest.fixture(scope="session")
def recogniser():
    if not (MODELS / "graphsage.onnx").is_file():
        pytest.skip("run `make scoring-models`")
    return TechniqueModels(MODELS)


@pytest.fixture(scope="session")
def extracted_motion():
    bundle = bundle_path(REPO / "models")
    if not bundle.is_file():
        pytest.skip("run `make model`")
    cache = {}

    def get(name: str):
        if name not in cache:
            cache[name] = motion_from_sequence(to_proto(extract_poses(VIDEOS / name, bundle, workers=2)))
        return cache[name]

    return get


@pytest.mark.parametrize("name", VIDEO_NAMES)
async def test_shared_video_is_not_recognised_as_a_technique(name, recogniser, extracted_motion):
    motion = extracted_motion(name)
    models = await recogniser.for_coach("")
    recognition = models.recognise(prepare(motion, "").focus)
    assert recognition is not None
    block = _recognition_block(recognition)
    assert block["calibrated"] and 0.0 < block["threshold"] < 1.0
    assert block["accepted"] is False, f"{name} recognised as {block['best_guess']} ({block['score']:.3f})"
    assert block["technique"] == "unknown" and "general norms" in block["note"]
