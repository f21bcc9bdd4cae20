"""The manifest of a trained model: what GET /models lists, stored in the ONNX metadata and beside it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from .features import CONTEXT_DIM, INPUT_DIM, N_CHANNELS, N_FRAMES
from .models import (ASPECTS, ATTENTION_HEADS, EMBEDDING_DIM, GRAPH_HIDDEN, GRAPH_LAYERS, LSTM_LAYERS,
                     LSTM_UNITS, MAX_SCORE)

VERSION = "0.1.0"
KINDS = {"graphsage": "technique_classifier", "form_assessor": "form_analysis", "style_encoder": "style_embedding"}
FORM_TOLERANCE = 1.0  # score points: a form prediction counts as right within this of the engine's score


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def description(model_type: str) -> str:
    if model_type == "graphsage":
        return ("GraphSAGE model for technique classification: 3 mean-aggregator SAGE layers over the 33-landmark "
                "BlazePose skeleton, mean+max over time, its class probabilities pooled with those of two temporal "
                "convolutions over the pose sequence from other random weights (normalised geometric mean of the "
                "three, trained side by side). "
                "Accuracy: fraction of held-out "
                "repetitions (as recorded and augmented views) classified correctly.")
    if model_type == "form_assessor":
        return ("LSTM + Attention model for form assessment: predicts the biomechanics engine's aspect scores "
                "(speed, force, timing, balance, coordination; 0-10) from the pose sequence alone. Accuracy: fraction "
                f"of held-out aspect predictions within {FORM_TOLERANCE:g} point of the engine's score.")
    return ("Style encoder: a unit-length embedding of a performance; repetitions of one technique lie close "
            "(cosine similarity). Accuracy: 1-nearest-neighbour technique accuracy of held-out repetitions against "
            "the embeddings of the training repetitions.")


def build(model_type: str, *, classes: list[str], accuracy: float, samples: dict[str, int], epochs: int,
          training: dict[str, Any], extra: dict[str, Any] | None = None, created_at: str | None = None) -> dict[str, Any]:
    created = created_at or utc_now()
    manifest: dict[str, Any] = {
        "name": model_type, "type": KINDS[model_type], "version": VERSION, "description": description(model_type),
        "input_dim": INPUT_DIM, "input_shape": [N_FRAMES, INPUT_DIM // N_CHANNELS, N_CHANNELS],
        "input_features": ("per frame 33 x (x, y, z, visibility): hip-centred, yaw turned to face the camera, in "
                           "trunk lengths, resampled to 64 frames (services.scoring.learning.features)"),
    }
    if model_type == "graphsage":
        manifest.update(output_dim=len(classes), hidden_dim=GRAPH_HIDDEN, layers=GRAPH_LAYERS)
    elif model_type == "form_assessor":
        manifest.update(lstm_units=LSTM_UNITS, lstm_layers=LSTM_LAYERS, attention_heads=ATTENTION_HEADS,
                        output_aspects=len(ASPECTS), aspects=list(ASPECTS), score_range=[0.0, MAX_SCORE],
                        context_dim=CONTEXT_DIM, tolerance=FORM_TOLERANCE)
    else:
        manifest.update(embedding_dim=EMBEDDING_DIM)
    manifest.update(classes=list(classes), accuracy=round(float(accuracy), 4), samples=dict(samples),
                    epochs=int(epochs), training=dict(training), created_at=created, updated_at=created)
    manifest.update(extra or {})
    return manifest
