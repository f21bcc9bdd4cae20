"""Serving with onnxruntime: loading from bytes or files, the three calls, concurrent use, bad models."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from services.kit.errors import ModelError
from services.scoring.learning import models
from services.scoring.learning.export import export_onnx
from services.scoring.learning.features import featurize_sample
from services.scoring.learning.runtime import LearnedModels, cosine_similarity_pct

CLASSES = ["front_kick", "lunge_punch", "side_kick"]


@pytest.fixture(scope="module")
def exported():
    """The three models with fixed random weights (what the runtime does does not depend on training)."""
    out = {}
    for name in ("graphsage", "form_assessor", "style_encoder"):
        torch.manual_seed(1)
        manifest = {"name": name, "classes": CLASSES} | (
            {"aspects": list(models.ASPECTS)} if name == "form_assessor" else {})
        out[name] = export_onnx(name, models.build(name, len(CLASSES)).eval(), manifest)
    return out


@pytest.fixture(scope="module")
def runtime(exported):
    return LearnedModels.from_bytes(exported)


def test_classify_assess_embed(runtime, synthetic):
    technique, confidence, probs = runtime.classify(synthetic[0])
    assert set(probs) == set(CLASSES) and sum(probs.values()) == pytest.approx(1.0, abs=1e-5)
    assert probs[technique] == confidence == max(probs.values())
    scores = runtime.assess(synthetic[0])
    assert list(scores) == list(models.ASPECTS) and all(0.0 <= v <= 10.0 for v in scores.values())
    e = runtime.embed(synthetic[0])
    assert e.shape == (64,) and np.linalg.norm(e) == pytest.approx(1.0, abs=1e-5)
    # features computed once can be reused for all three
    f = featurize_sample(synthetic[0])
    assert runtime.classify(f) == (technique, confidence, probs) and np.array_equal(runtime.embed(f), e)


def test_loading_from_files_gives_the_same_answers(runtime, exported, synthetic, tmp_path):
    for name, data in exported.items():
        (tmp_path / f"{name}.onnx").write_bytes(data)
    from_files = LearnedModels.from_dir(tmp_path)
    assert sorted(from_files.models) == sorted(exported)
    assert [m["name"] for m in from_files.manifests()] == list(exported)
    assert from_files.assess(synthetic[1]) == runtime.assess(synthetic[1])


def test_style_similarity_and_nearest_reference(runtime, synthetic):
    a, b = runtime.embed(synthetic[0]), runtime.embed(synthetic[-1])
    assert cosine_similarity_pct(a, a) == pytest.approx(100.0)
    assert cosine_similarity_pct(a, -a) == 0.0
    assert 0.0 <= cosine_similarity_pct(a, b) <= 100.0
    name, pct = runtime.nearest(a, {"mine": [a], "other": [-a]})
    assert name == "mine" and pct == pytest.approx(100.0)


def test_concurrent_calls_give_the_sequential_answers(runtime, synthetic):
    feats = [featurize_sample(s) for s in synthetic]
    def answers(f):
        return runtime.classify(f), runtime.assess(f), runtime.embed(f).tolist()
    expected = [answers(f) for f in feats]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(answers, feats * 10))
    assert got == expected * 10


def test_missing_and_broken_models_are_model_errors(exported, synthetic, tmp_path):
    only_classifier = LearnedModels.from_bytes({"graphsage": exported["graphsage"]})
    with pytest.raises(ModelError, match="form_assessor model is not loaded"):
        only_classifier.assess(synthetic[0])
    with pytest.raises(ModelError, match="could not be loaded"):
        LearnedModels.from_bytes({"graphsage": exported["graphsage"][: len(exported["graphsage"]) // 3]})
    (tmp_path / "style_encoder.onnx").write_bytes(b"not onnx")
    with pytest.raises(ModelError):
        LearnedModels.from_dir(tmp_path)
    assert json.dumps(only_classifier.manifests())
