"""What each learned model is asked (its forward pass and loss) and how it is measured on held-out views:
the accuracy of manifest.description, the form assessor's per-aspect breakdown against a model-free baseline,
and the classifier's open-set threshold and rates (open_set) on video-like views."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from . import manifest
from .batches import Tensors
from .models import ASPECTS
from .open_set import BACKGROUND, MAX_FALSE_POSITIVE_RATE, cross_fitted, technique_scores, test_time_views

EVAL_BATCH = 256


def forward(model_type: str, model: torch.nn.Module, pose: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
    return model(pose, context) if model_type == "form_assessor" else model(pose)


def loss(model_type: str, out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    # Form: mean absolute error in score points. Its minimiser is the median, which suits the engine's
    # stepwise scores (timing and coordination move in thirds) and the within-1-point accuracy better
    # than the mean that squared error aims at (held-out accuracy 0.64 against 0.57 with MSE on CMU 135).
    return F.l1_loss(out, target) if model_type == "form_assessor" else F.cross_entropy(out, target)


def training_loss(model_type: str, model: torch.nn.Module, pose: torch.Tensor, context: torch.Tensor,
                  target: torch.Tensor) -> torch.Tensor:
    """What training minimises: the technique classifier's members each on their own cross-entropy (an
    ensemble trained side by side, models.TechniqueClassifier); every other model its loss above."""
    if model_type == "graphsage":
        return sum(F.cross_entropy(logits, target) for logits in model.member_logits(pose))
    return loss(model_type, forward(model_type, model, pose, context), target)


@torch.no_grad()
def _embed(model: torch.nn.Module, pose: torch.Tensor) -> torch.Tensor:
    return torch.cat([model.encoder(pose[i:i + EVAL_BATCH]) for i in range(0, len(pose), EVAL_BATCH)])


@torch.no_grad()
def evaluate(model_type: str, model: torch.nn.Module, val: Tensors, reference: Tensors | None) -> tuple[float, float]:
    """(val_loss, val_accuracy) as defined in manifest.description."""
    model.eval()
    out = torch.cat([forward(model_type, model, val.pose[i:i + EVAL_BATCH], val.context[i:i + EVAL_BATCH])
                     for i in range(0, len(val), EVAL_BATCH)])
    val_loss = float(loss(model_type, out, val.target))
    if model_type == "form_assessor":
        accuracy = (out - val.target).abs().le(manifest.FORM_TOLERANCE).float().mean()
    elif model_type == "graphsage":
        accuracy = out.argmax(dim=1).eq(val.target).float().mean()
    else:  # nearest training repetition by cosine similarity (embeddings are unit vectors)
        nearest = (_embed(model, val.pose) @ _embed(model, reference.pose).T).argmax(dim=1)
        accuracy = reference.target[nearest].eq(val.target).float().mean()
    return val_loss, float(accuracy)


@torch.no_grad()
def form_breakdown(model: torch.nn.Module, val: Tensors, train_targets: torch.Tensor) -> dict[str, Any]:
    """Held-out accuracy per aspect, and that of a model-free baseline for scale."""
    model.eval()
    out = torch.cat([model(val.pose[i:i + EVAL_BATCH], val.context[i:i + EVAL_BATCH])
                     for i in range(0, len(val), EVAL_BATCH)])
    within = (out - val.target).abs().le(manifest.FORM_TOLERANCE).float().mean(dim=0)
    median = train_targets.median(dim=0).values.to(val.target.device)
    baseline = (median - val.target).abs().le(manifest.FORM_TOLERANCE).float().mean()
    return {"aspect_accuracy": {a: round(float(v), 4) for a, v in zip(ASPECTS, within)},
            "baseline_accuracy": round(float(baseline), 4),
            "baseline": "the training repetitions' median score of each aspect, whatever the input"}


@torch.no_grad()
def open_set_views(model: torch.nn.Module, val: Tensors, sources: list[str], classes: list[str],
                   seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the open-set threshold and rates, and the held-out views' probabilities and labels)."""
    model.eval()
    probs = 0.0
    variants = test_time_views(val.pose.cpu().numpy())
    for pose in variants:   # the same test-time views as the runtime scores (open_set.test_time_views)
        pose = torch.from_numpy(pose).to(val.pose.device)
        logits = torch.cat([model(pose[i:i + EVAL_BATCH]) for i in range(0, len(val), EVAL_BATCH)])
        probs = probs + torch.softmax(logits, dim=1).cpu().numpy() / len(variants)
    held_out = {"probabilities": probs, "targets": val.target.cpu().numpy(), "sources": list(sources),
                "classes": list(classes)}
    return open_set_report(held_out, seed), held_out


def open_set_report(held_out: dict[str, Any], seed: int) -> dict[str, Any]:
    """The open-set threshold (open_set) and the rates and technique accuracy on held-out video-like views."""
    probs, target, classes = held_out["probabilities"], held_out["targets"], held_out["classes"]
    score, best = technique_scores(probs, classes)
    positive = target != classes.index(BACKGROUND)
    groups = np.array(held_out["sources"])
    rates = cross_fitted(score[positive], best[positive] == target[positive], groups[positive],
                         score[~positive], groups[~positive], seed)
    return {"open_set": {
        "score": ("1 - P(background): the probability that the motion is any technique (open_set.technique_scores), "
                  "averaged over the cut and its mirror image (open_set.test_time_views)"),
        "background_class": BACKGROUND, "threshold": round(rates.threshold, 4),
        "threshold_rule": (f"highest TPR with FPR <= {MAX_FALSE_POSITIVE_RATE:g} on the held-out views; rates "
                           "cross-fitted by source"),
        "true_positive_rate": round(rates.true_positive_rate, 4),
        "false_positive_rate": round(rates.false_positive_rate, 4),
        "accepted_rate": round(rates.accepted_rate, 4),
        "technique_views": rates.positives, "non_technique_views": rates.negatives,
        "technique_sources": len(set(groups[positive].tolist())),
        "non_technique_sources": len(set(groups[~positive].tolist())),
        "video_like_accuracy": round(float(np.mean(best[positive] == target[positive])), 4) if positive.any() else None,
        "inputs": "video-like views of held-out repetitions (services.scoring.learning.video_like)"}}
