"""The default classifier's k-fold training: every repetition held out once, rates from the pooled views,
fold 0's model exported with them."""

from __future__ import annotations

from collections import Counter

import numpy as np
import torch

from services.scoring.learning.cross_validation import train_cross_validated
from services.scoring.learning.dataset import Sample
from services.scoring.learning.export import check_inputs
from services.scoring.learning.models import build
from services.scoring.learning.open_set import BACKGROUND
from services.scoring.learning.runtime import LearnedModel
from services.scoring.learning.train import TrainConfig

from testkit import learning_synth


def still_people(n: int) -> list[Sample]:
    """Non-technique motion: a person standing with a slow sway, 1.2 s at 30 fps, each its own clip."""
    rng = np.random.default_rng(4)
    t = np.arange(36) / 30.0
    out = []
    for i in range(n):
        sway = 0.02 * np.sin(2 * np.pi * 0.4 * t + rng.uniform(0, 6))[:, None, None]
        world = learning_synth.standing_pose()[None] + sway + rng.normal(0, 0.003, (t.size, 33, 3))
        out.append(Sample(technique=BACKGROUND, t=t, world=world, visibility=np.ones((t.size, 33)), source=f"still/{i}"))
    return out


def test_every_repetition_is_held_out_once_and_the_rates_come_with_the_first_fold(synthetic):
    negatives = still_people(4)
    config = TrainConfig("graphsage", epochs=1, batch_size=16, learning_rate=2e-3, seed=1, video_like=False)
    trained = train_cross_validated(config, synthetic, negatives, folds=2, jobs=1)
    views = Counter(trained.held_out["sources"])
    assert set(views) == {s.source for s in synthetic + negatives}    # every repetition and clip, ...
    # ... each in one fold only (held out twice, a source would count twice the views of its kind)
    assert len({views[s.source] for s in synthetic}) == 1 and len({views[s.source] for s in negatives}) == 1
    info = trained.manifest
    assert info["samples"]["folds"] == 2 and info["samples"]["val_views"] == sum(views.values())
    rates = info["open_set"]
    assert rates["technique_sources"] == len(synthetic) and rates["non_technique_sources"] == len(negatives)
    assert "2-fold cross-validation" in rates["threshold_rule"] and 0.0 < rates["threshold"] <= 1.0
    assert info["classes"][-1] == BACKGROUND
    assert info["training"]["shipped"] == "fold 0 of 2"
    # The exported ONNX is fold 0's model, carrying the pooled manifest.
    member = build("graphsage", len(info["classes"]))
    member.load_state_dict(trained.weights)
    pose = check_inputs("graphsage", 3, seed=7)["pose"]
    with torch.no_grad():
        expected = torch.softmax(member.eval()(torch.from_numpy(pose)), -1).numpy()
    served = LearnedModel(trained.onnx)
    np.testing.assert_allclose(served.session.run(None, {"pose": pose})[0], expected, atol=1e-4)
    assert served.manifest["open_set"] == rates
