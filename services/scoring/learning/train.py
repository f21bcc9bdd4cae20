"""train_model: train one learned model on labelled repetitions, checkpoint every epoch, export it to ONNX."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from services.kit.errors import InvalidRequest, ValidationFailed

from . import checkpoint, manifest
from .batches import TrainingData, Tensors
from .dataset import Sample, problem, split_by_fold, split_by_source
from .evaluation import evaluate, form_breakdown, open_set_views, training_loss
from .export import export_onnx
from .models import build, members
from .open_set import BACKGROUND

__all__ = ["MODEL_TYPES", "EpochReport", "Sample", "TrainConfig", "TrainedModel", "train_model"]

from .names import CLASSIFIERS, MODEL_TYPES  # noqa: F401  (re-exported: the training API)
WEIGHT_DECAY = 1e-4   # AdamW (Loshchilov & Hutter 2019) decoupled decay, a common default
MAX_GRAD_NORM = 5.0   # clips the rare exploding LSTM gradient (Pascanu et al. 2013)
# Intra-op threads while training on the CPU. These models are small: one batch is a few ms of work,
# and OpenMP threads spin-waiting for each other on a busy machine made a batch 20x slower with 2
# threads than with 1 (measured on the 2-core build machine under load).
CPU_TRAIN_THREADS = 1


@dataclass
class TrainConfig:
    model_type: str
    epochs: int
    batch_size: int
    learning_rate: float
    device: str = "cpu"            # "cpu" or "cuda"
    checkpoint_dir: Path | None = None
    resume_from: Path | None = None
    seed: int = 0
    val_fraction: float = 0.25
    # k-fold cross-validation (dataset.split_by_fold): hold out fold `fold` of `folds` instead of val_fraction
    fold: int | None = None
    folds: int = 4
    # The classifiers train and validate on video-like views (batches, video_like); off, on plain augmentations.
    video_like: bool = True


@dataclass
class EpochReport:
    epoch: int
    total_epochs: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    best_accuracy: float
    seconds: float


@dataclass
class TrainedModel:
    model_type: str
    onnx: bytes
    manifest: dict
    # The open-set classifier's held-out views: class probabilities [N,C], targets [N], sources [N], classes;
    # what evaluations pool over folds (bench/recognition_cv.py). None for the other models.
    held_out: dict | None = None
    weights: dict | None = None   # the trained module's state_dict (cross_validation averages fold models)


def _validate(config: TrainConfig) -> None:
    def bad(field: str, message: str) -> InvalidRequest:
        return InvalidRequest(message, details={field: message})
    if config.model_type not in MODEL_TYPES:
        raise bad("model_type", f"model_type must be one of {', '.join(MODEL_TYPES)}, got {config.model_type!r}")
    if not isinstance(config.epochs, int) or config.epochs < 1:
        raise bad("epochs", f"epochs must be a positive integer, got {config.epochs!r}")
    if not isinstance(config.batch_size, int) or config.batch_size < 1:
        raise bad("batch_size", f"batch_size must be a positive integer, got {config.batch_size!r}")
    if not (isinstance(config.learning_rate, (int, float)) and math.isfinite(config.learning_rate)
            and config.learning_rate > 0):
        raise bad("learning_rate", f"learning_rate must be a positive number, got {config.learning_rate!r}")
    if config.device not in ("cpu", "cuda"):
        raise bad("device", f"device must be 'cpu' or 'cuda', got {config.device!r}")
    if config.device == "cuda" and not torch.cuda.is_available():
        raise bad("device", "device 'cuda' was asked for but this machine has no usable CUDA GPU")
    if not 0.0 < config.val_fraction < 1.0:
        raise bad("val_fraction", f"val_fraction must be between 0 and 1, got {config.val_fraction!r}")
    if config.fold is not None and not (isinstance(config.folds, int) and config.folds >= 2
                                        and isinstance(config.fold, int) and 0 <= config.fold < config.folds):
        raise bad("fold", f"fold must be in 0..folds-1 with folds >= 2, got fold {config.fold!r} of {config.folds!r}")


def _config_dict(config: TrainConfig) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}


def _learning_rate(config: TrainConfig, epoch: int) -> float:
    """Cosine annealing (Loshchilov & Hutter 2017) from the configured rate at epoch 1 to ~0 after the last."""
    return config.learning_rate * 0.5 * (1.0 + math.cos(math.pi * (epoch - 1) / config.epochs))


def _train_epoch(config: TrainConfig, model: torch.nn.Module, optimizer: torch.optim.Optimizer, data: Tensors,
                 should_stop: Callable[[], bool] | None) -> float | None:
    """Mean training loss of one pass, or None when should_stop() interrupted it."""
    model.train()
    batches = list(torch.randperm(len(data)).split(config.batch_size))
    if len(batches) > 1 and len(batches[-1]) == 1:   # batch normalisation cannot train on a batch of one
        batches[-2:] = [torch.cat(batches[-2:])]
    total = 0.0
    for idx in batches:
        if should_stop is not None and should_stop():
            return None
        idx = idx.to(data.pose.device)
        step_loss = training_loss(config.model_type, model, data.pose[idx], data.context[idx], data.target[idx])
        optimizer.zero_grad(set_to_none=True)
        step_loss.backward()
        for part in members(model):   # each member of an ensemble clipped on its own, as if trained alone
            torch.nn.utils.clip_grad_norm_(part.parameters(), MAX_GRAD_NORM)
        optimizer.step()
        total += float(step_loss.detach()) * len(idx)
    return total / max(len(data), 1)


def train_model(config: TrainConfig, samples: list[Sample], on_epoch: Callable[[EpochReport], None] | None = None,
                should_stop: Callable[[], bool] | None = None, negatives: list[Sample] | None = None) -> TrainedModel:
    """Train config.model_type on the samples (held-out split by repetition source) and export it.

    `negatives`: repetitions of motion that is no technique (open_set); the technique classifier then
    learns them as one more class, open_set.BACKGROUND, and its manifest carries the open-set
    threshold and rates measured on the held-out views (open_set.cross_fitted). Ignored by the other models.

    Checkpoints: checkpoint_dir/epoch_NNNN.pt after every epoch. should_stop() is polled between
    batches: training then ends at once, the interrupted epoch is dropped, and the model of the last
    completed epoch is exported (manifest training.stopped = true).
    """
    _validate(config)
    threads = torch.get_num_threads()
    if config.device == "cpu":
        torch.set_num_threads(CPU_TRAIN_THREADS)
    try:
        return _train(config, samples, on_epoch, should_stop, negatives)
    finally:
        torch.set_num_threads(threads)


def _train(config: TrainConfig, samples: list[Sample], on_epoch: Callable[[EpochReport], None] | None,
           should_stop: Callable[[], bool] | None, negatives: list[Sample] | None) -> TrainedModel:
    started = time.monotonic()
    usable = [s for s in samples if problem(s) is None and s.technique != BACKGROUND]
    if not usable:
        raise ValidationFailed("None of the training samples is usable (each needs a technique label and at least "
                               "5 frames showing the person)", details={"samples": "none usable"})
    classes = sorted({s.technique for s in usable})
    open_set = config.model_type == "graphsage" and bool(negatives)
    if open_set:
        usable += [s for s in negatives if problem(s) is None]
        classes.append(BACKGROUND)
    if config.model_type in CLASSIFIERS and len(classes) - open_set < 2:
        raise ValidationFailed(f"{config.model_type} learns to tell techniques apart and needs at least 2; the data "
                               f"has only {classes[0]!r}: add repetitions of other techniques",
                               details={"samples": "fewer than 2 techniques"})
    train, val = (split_by_fold(usable, config.folds, config.fold, config.seed) if config.fold is not None
                  else split_by_source(usable, config.val_fraction, config.seed))
    resumed = None
    if config.resume_from is not None:
        resumed = checkpoint.load(Path(config.resume_from))
        checkpoint.check_compatible(resumed, config.model_type, classes, config.seed, config.val_fraction)

    data = TrainingData(config.model_type, train, val, classes, config.seed, video_like=config.video_like)
    validation = data.validation.to(config.device)
    reference = data.reference.to(config.device) if data.reference is not None else None
    torch.manual_seed(config.seed)
    model = build(config.model_type, len(classes)).to(config.device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=WEIGHT_DECAY)
    first, best = 1, 0.0
    if resumed is not None:
        try:
            model.load_state_dict(resumed["model"])
            optimizer.load_state_dict(resumed["optimizer"])
        except (RuntimeError, ValueError, KeyError) as exc:
            raise InvalidRequest(f"{resumed['path']} does not fit this {config.model_type} model: {exc}",
                                 details={"resume_from": "incompatible weights"}) from None
        first, best = int(resumed["epoch"]) + 1, float(resumed["best_accuracy"])

    last_state = copy.deepcopy(model.state_dict())
    completed, stopped, accuracy, views = first - 1, False, None, None
    for epoch in range(first, config.epochs + 1):
        if should_stop is not None and should_stop():
            stopped = True
            break
        t0 = time.monotonic()
        for group in optimizer.param_groups:
            group["lr"] = _learning_rate(config, epoch)
        torch.manual_seed(config.seed * 1_000_003 + epoch)   # shuffling and dropout: same epoch, same draws
        epoch_data = data.epoch(epoch).to(config.device)
        views = len(epoch_data)
        train_loss = _train_epoch(config, model, optimizer, epoch_data, should_stop)
        if train_loss is None:
            model.load_state_dict(last_state)
            stopped = True
            break
        val_loss, accuracy = evaluate(config.model_type, model, validation, reference)
        best = max(best, accuracy)
        if config.checkpoint_dir is not None:
            checkpoint.save(Path(config.checkpoint_dir), {
                "format": checkpoint.FORMAT, "model_type": config.model_type, "classes": classes, "epoch": epoch,
                "best_accuracy": best, "val_accuracy": accuracy, "config": _config_dict(config),
                "model": model.state_dict(), "optimizer": optimizer.state_dict()})
        last_state = copy.deepcopy(model.state_dict())
        completed = epoch
        if on_epoch is not None:
            on_epoch(EpochReport(epoch=epoch, total_epochs=config.epochs, train_loss=train_loss, val_loss=val_loss,
                                 val_accuracy=accuracy, best_accuracy=best, seconds=time.monotonic() - t0))
    if accuracy is None or stopped:
        _, accuracy = evaluate(config.model_type, model, validation, reference)
    held_out = None
    if config.model_type == "form_assessor":
        extra = form_breakdown(model, validation, data.train_targets())
    elif open_set:
        extra, held_out = open_set_views(model, validation, data.validation_sources, classes, config.seed)
    else:
        extra = {}
    model = model.cpu().eval()
    info = manifest.build(
        config.model_type, classes=classes, accuracy=accuracy, epochs=completed,
        samples={"train": len(train), "val": len(val), "train_views_per_epoch": views,
                 "val_views": len(validation)},
        training={"seed": config.seed, "batch_size": config.batch_size, "learning_rate": config.learning_rate,
                  "val_fraction": config.val_fraction, "device": config.device, "stopped": stopped,
                  "fold": None if config.fold is None else f"{config.fold} of {config.folds}",
                  "resumed_from_epoch": first - 1 if resumed is not None else None,
                  "seconds": round(time.monotonic() - started, 2)}, extra=extra)
    return TrainedModel(model_type=config.model_type, onnx=export_onnx(config.model_type, model, info), manifest=info,
                        held_out=held_out, weights=model.state_dict())
