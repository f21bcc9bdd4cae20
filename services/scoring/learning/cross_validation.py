"""The default technique classifier by k-fold cross-validation: its rates measured on every repetition.

Why: measured on one held-out quarter (10 technique repetitions, 8 non-technique clips), the classifier's
open-set true-positive rate moved from 0.758 to 0.425 with the seed alone, so neither the figure that
GET /models reported nor a comparison of two models meant much. Here every repetition and every
non-technique clip is held out exactly once (dataset.split_by_fold), the held-out views' probabilities are
pooled over the folds, and the threshold, the rates and the accuracy come from that pool
(evaluation.open_set_report), each view scored by the one fold model that never saw its repetition.

What is shipped is the first fold's model, trained on 3/4 of the repetitions as before: the pooled rates
are those of such a model (any fold's), now measured on 41 technique repetitions and 32 non-technique clips
instead of 10 and 8. Not shipped, the average of the fold models: 4 of them would cost 4x the classifier's
inference (1.4 ms each with its temporal members, p50 of bench/model_inference.py on 2026-12-07; the three
learned models share 5 ms), and no held-out data is left to measure an average whose members have together
seen every repetition.

The folds train in parallel worker processes, one core each (train.CPU_TRAIN_THREADS).
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np

from . import manifest
from .dataset import Sample
from .export import export_onnx
from .models import build
from .evaluation import open_set_report
from .train import TrainConfig, TrainedModel, train_model


def _train_fold(config: TrainConfig, samples: list[Sample], negatives: list[Sample]) -> TrainedModel:
    return train_model(config, samples, negatives=negatives)


def pool_held_out(parts: list[dict]) -> dict:
    """The folds' held-out views as one set (train.TrainedModel.held_out)."""
    return {"probabilities": np.concatenate([p["probabilities"] for p in parts]),
            "targets": np.concatenate([p["targets"] for p in parts]),
            "sources": [s for p in parts for s in p["sources"]], "classes": list(parts[0]["classes"])}


def train_cross_validated(config: TrainConfig, samples: list[Sample], negatives: list[Sample], folds: int = 4,
                          jobs: int = 2) -> TrainedModel:
    """config.model_type "graphsage" trained on each of `folds` folds (`jobs` at a time); fold 0's model is
    exported with the threshold and rates of the pooled held-out views."""
    started = time.monotonic()
    configs = [replace(config, fold=k, folds=folds) for k in range(folds)]
    # spawn, not fork: a forked child of a process whose torch already started threads can deadlock.
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        trained = list(pool.map(_train_fold, configs, [samples] * folds, [negatives] * folds))
    held_out = pool_held_out([t.held_out for t in trained])
    classes = held_out["classes"]
    report = open_set_report(held_out, config.seed)
    report["open_set"]["inputs"] = (f"video-like views of every repetition, each scored by the one of {folds} fold "
                                    "models that did not train on it (services.scoring.learning.cross_validation)")
    report["open_set"]["threshold_rule"] += f"; views pooled over {folds}-fold cross-validation"
    accuracy = float(np.mean(held_out["probabilities"].argmax(axis=1) == held_out["targets"]))
    first = trained[0].manifest
    info = manifest.build(
        config.model_type, classes=classes, accuracy=accuracy, epochs=first["epochs"],
        samples={"train": sum(t.manifest["samples"]["train"] for t in trained) // folds,
                 "val": sum(t.manifest["samples"]["val"] for t in trained),
                 "train_views_per_epoch": first["samples"]["train_views_per_epoch"],
                 "val_views": int(len(held_out["targets"])), "folds": folds},
        training={**first["training"], "fold": None, "folds": folds,
                  "shipped": f"fold 0 of {folds}",
                  "seconds": round(time.monotonic() - started, 2)},
        extra=report)
    shipped = build(config.model_type, len(classes))
    shipped.load_state_dict(trained[0].weights)
    shipped.eval()
    return TrainedModel(model_type=config.model_type, onnx=export_onnx(config.model_type, shipped, info),
                        manifest=info, held_out=held_out, weights=trained[0].weights)
