"""The learned models an analysis uses: the coach's newest trained ones, else the project's defaults.

Defaults are the ONNX files `make scoring-models` builds in <model_dir>/scoring. A coach's trained
models live in PostgreSQL (training/registry.py); each analysis asks for their newest version numbers
(one cheap query per type) and loads a model again only when that number changed, so a model trained
for a coach is used by the next analysis without a restart, on every replica.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from services.kit.errors import ModelError
from services.scoring.assessment import Cut, Recognition
from services.scoring.biomechanics import landmarks as L
from services.scoring.learning.open_set import BACKGROUND
from services.scoring.learning.runtime import MODEL_NAMES, LearnedModel, LearnedModels
from services.scoring.metrics import MODEL_INFERENCE

log = logging.getLogger(__name__)
from services.scoring.learning.dataset import MIN_FRAMES  # frames with the hips seen that the features need
# Coach models kept loaded (one onnxruntime session each, ~1-5 MB): the least recently used go first.
MAX_CACHED_COACH_MODELS = 64


# A classifier without a calibrated open-set threshold (a coach's model trained without non-technique motion)
# accepts its best class only when it gives it more probability than all the other classes together: below
# that it is more likely wrong than right.
MIN_UNCALIBRATED_CONFIDENCE = 0.5


@dataclass(frozen=True)
class OpenSetRecognition(Recognition):
    """A recognition with its open-set verdict: `accepted` when the score reaches the model's threshold
    (learning.open_set: calibrated on held-out technique and non-technique motion)."""

    accepted: bool = False
    threshold: float = MIN_UNCALIBRATED_CONFIDENCE
    calibrated: bool = False
    background: float | None = None     # the background class's probability, when the model has one


class ModelsForAnalysis:
    """The models chosen for one analysis; records the time spent in each: in the analysis' model_timings (the
    edge's kataforge_model_inference_time) and in this process's kataforge_scoring_model_inference_seconds."""

    def __init__(self, models: dict[str, tuple[LearnedModel, str]]) -> None:
        self.models = models          # model name -> (loaded model, label such as "graphsage (coach nagato v2)")
        self._timings: list[dict[str, Any]] = []

    def _run(self, name: str, fn):
        started = time.perf_counter()
        try:
            return fn(LearnedModels({name: self.models[name][0]}))
        finally:
            seconds = time.perf_counter() - started
            self._timings.append({"model": name, "seconds": seconds})
            MODEL_INFERENCE.labels(name).observe(seconds)

    @staticmethod
    def _usable(cut: Cut) -> bool:
        hips = np.isfinite(cut.world[:, [L.LEFT_HIP, L.RIGHT_HIP]]).all(axis=(1, 2))
        return int(hips.sum()) >= MIN_FRAMES

    def label(self, name: str) -> str:
        return self.models[name][1] if name in self.models else ""

    def recognise(self, cut: Cut) -> "OpenSetRecognition | None":
        if "graphsage" not in self.models or not self._usable(cut):
            return None
        technique, confidence, probs = self._run("graphsage", lambda m: m.classify(cut))
        threshold = LearnedModels({"graphsage": self.models["graphsage"][0]}).acceptance_threshold()
        calibrated = threshold is not None
        threshold = threshold if calibrated else MIN_UNCALIBRATED_CONFIDENCE
        top = sorted(((k, v) for k, v in probs.items() if k != technique and k != BACKGROUND),
                     key=lambda kv: -kv[1])[:3]
        return OpenSetRecognition(technique=technique, confidence=confidence, model=self.label("graphsage"),
                                  alternatives=[(k, round(v, 4)) for k, v in top],
                                  accepted=confidence >= threshold, threshold=threshold, calibrated=calibrated,
                                  background=probs.get(BACKGROUND))

    def assess_form(self, cut: Cut) -> dict[str, float] | None:
        if "form_assessor" not in self.models or not self._usable(cut):
            return None
        return self._run("form_assessor", lambda m: m.assess(cut))

    def similarity(self, a: Cut, b: Cut) -> float | None:
        """Cosine similarity (0..1) of the style embeddings of two performances."""
        if "style_encoder" not in self.models or not (self._usable(a) and self._usable(b)):
            return None
        ea, eb = self._run("style_encoder", lambda m: (m.embed(a), m.embed(b)))
        return LearnedModels.style_similarity(ea, eb) / 100.0

    def timings(self) -> list[dict[str, Any]]:
        return list(self._timings)


class TechniqueModels:
    def __init__(self, default_dir: Path, registry=None) -> None:
        self.registry = registry
        self.defaults: dict[str, LearnedModel] = {}
        try:
            self.defaults = dict(LearnedModels.from_dir(default_dir).models)
        except ModelError as exc:
            log.error("default models in %s could not be loaded: %s", default_dir, exc)
        if not self.defaults:
            log.warning("no default learned models in %s: build them with `make scoring-models`", default_dir)
        self._coach: OrderedDict[tuple[str, str], tuple[int, LearnedModel | None]] = OrderedDict()
        self._lock = asyncio.Lock()

    def loaded(self) -> list[str]:
        return sorted(self.defaults)

    async def _coach_model(self, coach: str, name: str) -> tuple[int, LearnedModel] | None:
        if self.registry is None or not coach:
            return None
        version = await self.registry.latest_version(coach, name)
        if version is None:
            return None
        key = (coach, name)
        async with self._lock:
            cached = self._coach.get(key)
            if cached is None or cached[0] != version:   # checked again under the lock: loaded once
                stored = await self.registry.latest(coach, name)
                if stored is None:
                    return None
                try:
                    model = await asyncio.to_thread(LearnedModel, stored.onnx, name=name)
                except ModelError as exc:
                    # A broken trained model must not take analyses down; remembered as broken (None) for its
                    # version so it is not reloaded from the database on every analysis.
                    log.error("coach %s model %s v%s unusable: %s", coach, name, stored.version, exc)
                    model = None
                cached = self._coach[key] = (stored.version, model)
            self._coach.move_to_end(key)
            while len(self._coach) > MAX_CACHED_COACH_MODELS:
                self._coach.popitem(last=False)
        return None if cached[1] is None else (cached[0], cached[1])

    async def for_coach(self, coach: str) -> ModelsForAnalysis:
        chosen: dict[str, tuple[LearnedModel, str]] = {}
        # One version query per model type on every analysis: asked concurrently, not one after another.
        owns = await asyncio.gather(*(self._coach_model(coach, name) for name in MODEL_NAMES))
        for name, own in zip(MODEL_NAMES, owns):
            if own is not None:
                chosen[name] = (own[1], f"{name} (coach {coach}, v{own[0]})")
            elif name in self.defaults:
                chosen[name] = (self.defaults[name], f"{name} (default)")
        return ModelsForAnalysis(chosen)
