"""Training and validation tensors: augmented views of the split's repetitions and what each must predict.

- Training: every epoch, each training repetition as recorded plus COPIES_PER_EPOCH augmented copies,
  drawn from a generator seeded by (seed, epoch), so an epoch is the same whether or not training was
  interrupted and resumed before it. The classifiers' copies are video-like views (video_like: a random
  camera and BlazePose's measured errors, 10-60 fps), what they will be given at analysis time.
- Validation: the form assessor's, each held-out repetition as recorded plus VAL_VIEWS - 1 augmented views;
  the classifiers', VIDEO_VAL_VIEWS video-like views of each held-out repetition (no clean one: the
  accuracy reported is that on video-like inputs); fixed by the seed. With video_like off (TrainConfig:
  data that is clean motion capture by construction, as the synthetic tests'), the classifiers' copies and
  validation views are the plain augmentations (augment.FULL) and each held-out repetition as recorded.
- Class balance (classifiers): the loss is unweighted; each background repetition gives half as many
  views per epoch as a technique repetition. Balanced class weights n / (classes x n_class) (King &
  Zeng 2001) were computed but never reached the loss; put in, they lowered the default build's
  open-set TPR from 0.758 to 0.567 (FPR 0.050 -> 0.026): the non-technique views then score higher and
  the 2 %-FPR threshold rose from 0.67 to 0.98 (open_set).
- Form assessor targets: the biomechanics engine's aspect scores (analyze_motion, 75 kg). The engine
  takes ~80 ms per call, too slow for every augmented copy of every epoch, so targets are computed
  once per (repetition, speed factor in SPEED_GRID) on the repetition re-timed to that speed, and its
  copies draw their speed from that grid and use only the transformations that leave the engine's
  scores unchanged (augment.SCORE_PRESERVING: mirroring, yaw): every target is then exactly what the
  engine says of that very view.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from services.kit.errors import DomainError, ValidationFailed
from services.scoring.biomechanics import Motion, analyze_motion

from .augment import FULL, SCORE_PRESERVING, augment, change_speed
from .dataset import Sample
from .features import featurize_sample, stack
from .models import ASPECTS
from .open_set import BACKGROUND
from .video_like import video_view

COPIES_PER_EPOCH = 8
VAL_VIEWS = 4
VIDEO_VAL_VIEWS = 12
SPEED_GRID = (0.8, 1.0, 1.25)
BODY_MASS_KG = 75.0   # the engine's force score needs a mass; a typical adult male karateka
VAL_STREAM = 1_000_003  # generator stream of the validation views, apart from the epochs' streams


@dataclass
class Tensors:
    pose: torch.Tensor      # [N,64,33,4]
    context: torch.Tensor   # [N,2]
    target: torch.Tensor    # [N] class index (classifiers) or [N,5] engine scores (form assessor)

    def __len__(self) -> int:
        return int(self.pose.shape[0])

    def to(self, device: str) -> "Tensors":
        return Tensors(self.pose.to(device), self.context.to(device), self.target.to(device))


def engine_scores(sample: Sample) -> np.ndarray | None:
    """[5] aspect scores 0..10 of the physics engine (ASPECTS order), None when it cannot measure the sample."""
    world = np.asarray(sample.world, dtype=float)
    try:
        motion = Motion(t=sample.t, world=world, visibility=np.nan_to_num(np.asarray(sample.visibility, float)),
                        detected=np.isfinite(world).any(axis=(1, 2)))
        report = analyze_motion(motion, body_mass_kg=BODY_MASS_KG, technique=sample.technique)
    except DomainError:
        return None
    return np.array([getattr(report.aspect_scores, a) for a in ASPECTS], dtype=np.float32)


def retimed(sample: Sample, speed: float) -> Sample:
    if speed == 1.0:
        return sample
    t, world, vis = change_speed(np.asarray(sample.t, float), np.asarray(sample.world, float),
                                 np.asarray(sample.visibility, float), speed)
    return replace(sample, t=t, world=world, visibility=vis)


def _tensors(views: list[Sample], targets: list) -> Tensors:
    pose, context = stack([featurize_sample(v) for v in views])
    target = (torch.tensor(np.stack(targets), dtype=torch.float32) if isinstance(targets[0], np.ndarray)
              else torch.tensor(targets, dtype=torch.long))
    return Tensors(torch.from_numpy(pose), torch.from_numpy(context), target)


class TrainingData:
    """The split's repetitions turned into tensors for one model type."""

    def __init__(self, model_type: str, train: list[Sample], val: list[Sample], classes: list[str], seed: int,
                 video_like: bool = True) -> None:
        self.regression = model_type == "form_assessor"
        self.video_like = video_like and not self.regression
        self.train, self.val, self.seed = train, val, seed
        self.index = {c: i for i, c in enumerate(classes)}
        # (repetition id, speed) -> engine scores; ids index train + val
        self.scores: dict[tuple[int, float], np.ndarray] = {}
        if self.regression:
            for i, s in enumerate(train + val):
                for speed in SPEED_GRID:
                    found = engine_scores(retimed(s, speed))
                    if found is not None:
                        self.scores[(i, speed)] = found
        val_rng = np.random.default_rng([seed, VAL_STREAM])
        self._sources: list[str] = []
        self.validation = (self._views(val, len(train), VIDEO_VAL_VIEWS, val_rng, recorded=False) if self.video_like
                           else self._views(val, len(train), VAL_VIEWS - 1, val_rng))
        # The validation views' repetition sources, in view order (open-set rates are cross-fitted by source).
        self.validation_sources = [] if self.regression else self._sources
        # The style encoder's reference set: the training repetitions as recorded.
        self.reference = None if self.regression else _tensors(train, [self.index[s.technique] for s in train])

    def _views(self, reps: list[Sample], offset: int, copies: int, rng: np.random.Generator,
               recorded: bool = True) -> Tensors:
        """Each repetition as recorded (unless not `recorded`), then `copies` augmented copies, with their targets."""
        views, targets = [], []
        self._sources = []
        for i, s in enumerate(reps, start=offset):
            speeds = [v for v in SPEED_GRID if (i, v) in self.scores]
            if self.regression and not speeds:
                continue   # the engine cannot measure this repetition: nothing to learn from it
            # Background repetitions are many and each is seen less often (the class weights balance them).
            for k in range(0 if recorded else 1, 1 + (copies // 2 if s.technique == BACKGROUND and recorded else copies)):
                if not self.regression:
                    views.append(s if k == 0 else video_view(s, rng) if self.video_like else augment(s, rng, ranges=FULL))
                    targets.append(self.index[s.technique])
                    self._sources.append(s.source or f"#{i}")
                    continue
                speed = 1.0 if k == 0 and 1.0 in speeds else float(rng.choice(speeds))
                views.append(retimed(s, speed) if k == 0 else augment(s, rng, speed=speed, ranges=SCORE_PRESERVING))
                targets.append(self.scores[(i, speed)])
        if not views:
            raise ValidationFailed("The biomechanics engine could not measure any repetition (wrists or feet never "
                                   "tracked): the form assessor has nothing to learn from; film the whole body",
                                   details={"samples": "no measurable repetition"})
        return _tensors(views, targets)

    def train_targets(self) -> torch.Tensor:
        """[N,5] the engine's scores of the training repetitions at every speed of the grid."""
        return torch.tensor(np.stack([v for (i, _), v in self.scores.items() if i < len(self.train)]))

    def epoch(self, epoch: int) -> Tensors:
        """The training views of one epoch (deterministic in seed and epoch)."""
        return self._views(self.train, 0, COPIES_PER_EPOCH, np.random.default_rng([self.seed, epoch]))
