"""How the learned models are measured on held-out views: the accuracy of each model type, the form
assessor's baseline, and the classifier's open-set report computed from the views' probabilities."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from services.scoring.learning import evaluation as E
from services.scoring.learning.batches import Tensors
from services.scoring.learning.open_set import BACKGROUND

CLASSES = ["front_kick", "low_block", BACKGROUND]


class FirstValues(nn.Module):
    """Logits (or scores) read straight from the pose's first values, so that the right answer is known."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def forward(self, pose: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        return pose[:, 0, 0, :self.n] if context is None else pose[:, 0, 0, :1].repeat(1, 5)


def tensors(first: list[list[float]], target) -> Tensors:
    pose = torch.zeros(len(first), 64, 33, 4)
    pose[:, 0, 0, :len(first[0])] = torch.tensor(first)
    return Tensors(pose, torch.ones(len(first), 2), torch.as_tensor(target))


def test_classifier_accuracy_is_the_share_of_views_whose_most_likely_class_is_the_target():
    val = tensors([[5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 5.0]], [0, 1, 0, 2])
    loss, accuracy = E.evaluate("graphsage", FirstValues(3), val, None)
    assert accuracy == pytest.approx(0.75)
    assert loss == pytest.approx(float(nn.functional.cross_entropy(val.pose[:, 0, 0, :3], val.target)))


def test_form_accuracy_counts_predictions_within_the_tolerance_and_the_loss_is_in_score_points():
    # the "model" predicts 5 for every aspect; targets 5.5 (within 1 point) and 7 (2 points off)
    val = tensors([[5.0], [5.0]], [[5.5] * 5, [7.0] * 5])
    val = Tensors(val.pose, val.context, val.target.float())
    loss, accuracy = E.evaluate("form_assessor", FirstValues(1), val, None)
    assert accuracy == pytest.approx(0.5) and loss == pytest.approx(1.25)
    breakdown = E.form_breakdown(FirstValues(1), val, torch.full((3, 5), 7.0))
    assert set(breakdown["aspect_accuracy"]) == {"speed", "force", "timing", "balance", "coordination"}
    assert breakdown["aspect_accuracy"]["speed"] == pytest.approx(0.5)
    assert breakdown["baseline_accuracy"] == pytest.approx(0.5)   # the training median, 7, is right once


def test_style_accuracy_is_that_of_the_nearest_training_repetition():
    class Encoder(nn.Module):
        def forward(self, pose):
            e = pose[:, 0, 0, :2]
            return e / e.norm(dim=1, keepdim=True)

    model = nn.Module()
    model.encoder = Encoder()
    reference = tensors([[1.0, 0.0], [0.0, 1.0]], [0, 1])
    val = tensors([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]], [0, 1, 1])
    model.forward = lambda pose: torch.zeros(len(pose), 2)   # the training head's logits: not what is measured
    _, accuracy = E.evaluate("style_encoder", model, val, reference)
    assert accuracy == pytest.approx(2 / 3)


def test_open_set_report_accepts_confident_techniques_and_rejects_the_background():
    rng = np.random.default_rng(0)
    n = 40
    technique = np.c_[rng.uniform(0.90, 0.99, n), np.zeros(n)]
    technique[:, 1] = 1.0 - technique[:, 0] - 0.005                 # front kick named, background ~0.005
    probs = np.r_[np.c_[technique, np.full(n, 0.005)],
                  np.c_[np.full((n, 2), 0.02), np.full(n, 0.96)]]     # background views: 0.04 a technique
    held_out = {"probabilities": probs, "targets": np.r_[np.zeros(n, int), np.full(n, 2)],
                "sources": [f"rep{i // 4}" for i in range(n)] + [f"clip{i // 4}" for i in range(n)],
                "classes": CLASSES}
    report = E.open_set_report(held_out, seed=0)["open_set"]
    assert report["true_positive_rate"] == 1.0 and report["false_positive_rate"] == 0.0
    assert 0.04 < report["threshold"] <= 0.995
    assert report["video_like_accuracy"] == 1.0
    assert (report["technique_views"], report["non_technique_views"]) == (n, n)
    assert (report["technique_sources"], report["non_technique_sources"]) == (10, 10)


def test_open_set_report_counts_a_wrongly_named_technique_as_missed_but_accepted():
    probs = np.array([[0.1, 0.89, 0.01]] * 8 + [[0.89, 0.1, 0.01]] * 8 + [[0.01, 0.01, 0.98]] * 16)
    held_out = {"probabilities": probs, "targets": np.r_[np.zeros(16, int), np.full(16, 2)],
                "sources": [f"rep{i % 4}" for i in range(16)] + [f"clip{i % 4}" for i in range(16)],
                "classes": CLASSES}
    report = E.open_set_report(held_out, seed=0)["open_set"]
    assert report["video_like_accuracy"] == pytest.approx(0.5)
    assert report["accepted_rate"] == pytest.approx(1.0) and report["true_positive_rate"] == pytest.approx(0.5)


def test_open_set_views_average_the_cut_and_its_mirror_image():
    """A model that answers differently for the mirror image is scored on the mean of the two."""
    class LeftHanded(nn.Module):
        def forward(self, pose):
            # class 0 when the left wrist (15) is the higher (y down), else class 1
            left = (pose[:, 0, 15, 1] < pose[:, 0, 16, 1]).float()
            return torch.stack([10 * left, 10 * (1 - left), torch.full_like(left, -10.0)], dim=1)

    pose = torch.zeros(4, 64, 33, 4)
    pose[:, :, 15, 1], pose[:, :, 16, 1] = -0.5, 0.2   # the left hand raised: its mirror image raises the right
    val = Tensors(pose, torch.ones(4, 2), torch.zeros(4, dtype=torch.long))
    _, held_out = E.open_set_views(LeftHanded(), val, ["a", "b", "c", "d"], CLASSES, seed=0)
    assert held_out["probabilities"][:, :2] == pytest.approx(np.full((4, 2), 0.5), abs=1e-3)
