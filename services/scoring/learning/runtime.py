"""Serving the learned models with onnxruntime: classify, assess and embed one repetition (no torch needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from services.kit.errors import ModelError

from .features import Features, featurize_sample
from .names import MODEL_TYPES
from .open_set import technique_scores, test_time_views

MANIFEST_KEY = "kataforge.manifest"   # ONNX metadata_props key holding the manifest JSON
MODEL_NAMES = MODEL_TYPES


def providers() -> list[str]:
    """CUDA when this onnxruntime build has it (onnxruntime-gpu on a GPU machine), else the CPU."""
    import onnxruntime as ort
    available = ort.get_available_providers()
    return (["CUDAExecutionProvider"] if "CUDAExecutionProvider" in available else []) + ["CPUExecutionProvider"]


def inference_session(source: bytes | str | Path, what: str):
    """An onnxruntime session of an exported model (bytes or a path); ModelError naming `what` if it cannot load."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    # One analysis is a batch of one: parallelising its small GEMMs costs more in thread hand-offs than
    # it gains, and the service runs several analyses at once anyway.
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
    try:
        return ort.InferenceSession(data, options, providers=providers())
    except Exception as exc:  # onnxruntime raises its own exception types for malformed graphs
        raise ModelError(f"{what} could not be loaded: {exc}") from None


def features_of(sample) -> Features:
    """A sample's features (anything with t, world, visibility: dataset.Sample, mocap samples, Motion)."""
    return sample if isinstance(sample, Features) else featurize_sample(sample)


class LearnedModel:
    """One exported model: its onnxruntime session and manifest.

    onnxruntime sessions accept concurrent run() calls (its documented threading contract), and
    nothing here is mutated after construction, so one instance serves every thread.
    """

    def __init__(self, source: bytes | str | Path, *, name: str | None = None) -> None:
        self.session = inference_session(source, f"Learned model {name or '(unnamed)'}")
        meta = self.session.get_modelmeta().custom_metadata_map
        self.manifest: dict = json.loads(meta[MANIFEST_KEY]) if MANIFEST_KEY in meta else {}
        self.name = name or self.manifest.get("name", "")
        self.inputs = [i.name for i in self.session.get_inputs()]
        if not set(self.inputs) <= {"pose", "context"}:
            raise ModelError(f"Learned model {self.name} has unexpected inputs {self.inputs}")

    def run(self, features: Features | Sequence[Features]) -> np.ndarray:
        """The model's output for one Features ([1, ...]) or a list of them ([N, ...])."""
        batch = [features] if isinstance(features, Features) else list(features)
        feeds = {"pose": np.stack([f.pose for f in batch]).astype(np.float32, copy=False)}
        if "context" in self.inputs:
            feeds["context"] = np.stack([f.context for f in batch]).astype(np.float32, copy=False)
        return self.session.run(None, feeds)[0]


def cosine_similarity_pct(a: np.ndarray, b: np.ndarray) -> float:
    """Style closeness in %: 100 x cosine similarity of two embeddings, negatives (opposite styles) as 0."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    cos = float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))
    return 100.0 * min(max(cos, 0.0), 1.0)


class LearnedModels:
    """The three learned models of a deployment (any of them may be absent)."""

    def __init__(self, models: Mapping[str, LearnedModel]) -> None:
        self.models = dict(models)

    @classmethod
    def from_dir(cls, folder: str | Path) -> "LearnedModels":
        """Load <name>.onnx for every model name present in the folder (build_default's output)."""
        folder = Path(folder)
        return cls({n: LearnedModel(folder / f"{n}.onnx", name=n) for n in MODEL_NAMES
                    if (folder / f"{n}.onnx").is_file()})

    @classmethod
    def from_bytes(cls, models: Mapping[str, bytes]) -> "LearnedModels":
        return cls({n: LearnedModel(data, name=n) for n, data in models.items()})

    def manifests(self) -> list[dict]:
        return [m.manifest for m in self.models.values()]

    def _model(self, name: str) -> LearnedModel:
        if name not in self.models:
            raise ModelError(f"The {name} model is not loaded: build it with `make scoring-models`")
        return self.models[name]

    def classify(self, sample) -> tuple[str, float, dict[str, float]]:
        """(most likely technique, its score, probability of every class). For an open-set model (its manifest
        has "open_set") the score is open_set's: the probabilities averaged over open_set.test_time_views,
        1 - P(background), with the most likely class other than the background; otherwise the plain softmax
        probability of the best class."""
        model = self._model("graphsage")
        features = features_of(sample)
        open_set = model.manifest.get("open_set")
        if open_set:
            views = test_time_views(features.pose[None])
            probs = model.run([Features(pose=v[0], context=features.context) for v in views]).mean(axis=0)
        else:
            probs = model.run(features)[0]
        classes = model.manifest.get("classes") or [str(i) for i in range(probs.size)]
        score, best = technique_scores(probs[None], classes) if open_set else (probs[None].max(1), probs[None].argmax(1))
        return classes[int(best[0])], float(score[0]), {c: float(p) for c, p in zip(classes, probs)}

    def acceptance_threshold(self) -> float | None:
        """The technique classifier's calibrated open-set threshold, None when it has none (no background class)."""
        open_set = self._model("graphsage").manifest.get("open_set") or {}
        value = open_set.get("threshold")
        return float(value) if isinstance(value, (int, float)) else None

    def assess(self, sample) -> dict[str, float]:
        """The 5 aspect scores (0-10) the form assessor predicts, rounded to 1 decimal like the engine's."""
        model = self._model("form_assessor")
        scores = model.run(features_of(sample))[0]
        aspects = model.manifest.get("aspects") or ["speed", "force", "timing", "balance", "coordination"]
        return {a: round(float(s), 1) for a, s in zip(aspects, scores)}

    def embed(self, sample) -> np.ndarray:
        """[64] unit-length style embedding."""
        return self._model("style_encoder").run(features_of(sample))[0]

    @staticmethod
    def nearest(embedding: np.ndarray, references: Mapping[str, Sequence[np.ndarray]]) -> tuple[str, float]:
        """(technique of the most similar reference, that similarity in %): recognises a coach's own
        techniques from a few recorded references each."""
        best = max(((name, cosine_similarity_pct(embedding, ref)) for name, refs in references.items() for ref in refs),
                   key=lambda x: x[1], default=None)
        if best is None:
            raise ModelError("No reference embedding to compare with")
        return best

    style_similarity = staticmethod(cosine_similarity_pct)
