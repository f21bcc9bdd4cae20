"""Build the default learned models from the shared motion capture: `python -m services.scoring.learning.build_default`.

Techniques: the CMU 135 karate capture (--data) and DeepMimic's kick and punch (--deepmimic; mocap.deepmimic
says which class each is). Non-technique motion for the classifier's background class (open_set): DeepMimic's
other clips and CMU subject 13's exercise runs (--exercise).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from services.kit.paths import CMU_EXERCISE, CMU_KARATE, DEEPMIMIC, MODELS

from .dataset import load_dataset
from .open_set import cmu13_samples, deepmimic_samples
from .cross_validation import train_cross_validated
from .train import MODEL_TYPES, TrainConfig, train_model

DEFAULT_OUT = MODELS / "scoring"
SEED = 0
# The technique classifier is trained FOLDS times, JOBS at a time, by cross-validation (cross_validation:
# its rates measured on every repetition, the first fold's model shipped); FOLDS 1 trains one model on 3/4.
FOLDS, JOBS = 4, 2
# Per model: (epochs, batch size, learning rate). The classifier sees each of its ~225 technique and
# background repetitions as 5-9 new video-like views per epoch; its open-set TPR grew with the epochs
# (cross-validated, open_set, GraphSAGE alone: 0.718 at 14, 0.761 at 28, 0.794 at 42, 0.815 at 70) at ~7 s
# per fold and epoch on one core, so 42 epochs take ~10 of the build's ~11 minutes on 2 cores (70 would take
# ~16); its two temporal members (models.TechniqueClassifier) add ~65 s. The other two models train in ~25 s.
RECIPES: dict[str, tuple[int, int, float]] = {
    "graphsage": (42, 16, 2e-3),
    "form_assessor": (12, 16, 1e-3),
    "style_encoder": (12, 16, 1e-3),
}


def write_atomic(path: Path, data: bytes) -> None:
    """Readers (the scoring service, make) never see half a model: write beside, then rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_training_data(data_dir: Path = CMU_KARATE, deepmimic: Path | None = DEEPMIMIC,
                       exercise: Path | None = CMU_EXERCISE) -> tuple[list, list]:
    """(technique repetitions, non-technique repetitions) of the shared motion capture."""
    samples = load_dataset(data_dir, min_techniques=2)
    negatives = []
    if deepmimic is not None:
        extra, negatives = deepmimic_samples(deepmimic)
        samples += extra
    if exercise is not None:
        negatives += cmu13_samples(exercise)
    return samples, negatives


def build(data_dir: Path, out: Path, seed: int = SEED, models: tuple[str, ...] = MODEL_TYPES,
          deepmimic: Path | None = DEEPMIMIC, exercise: Path | None = CMU_EXERCISE,
          folds: int = FOLDS, jobs: int = JOBS) -> list[dict]:
    samples, negatives = load_training_data(data_dir, deepmimic, exercise)
    out.mkdir(parents=True, exist_ok=True)
    manifests = []
    for name in models:
        epochs, batch, lr = RECIPES[name]
        config = TrainConfig(name, epochs=epochs, batch_size=batch, learning_rate=lr, seed=seed)
        if name == "graphsage" and folds >= 2 and negatives:
            trained = train_cross_validated(config, samples, negatives, folds=folds, jobs=jobs)
        else:
            trained = train_model(config, samples, negatives=negatives)
        write_atomic(out / f"{name}.onnx", trained.onnx)
        write_atomic(out / f"{name}.json", (json.dumps(trained.manifest, indent=2, sort_keys=True) + "\n").encode())
        manifests.append(trained.manifest)
    return manifests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=CMU_KARATE, help="CMU ASF/AMC folder and/or pose JSON files")
    parser.add_argument("--deepmimic", type=Path, default=DEEPMIMIC, help="DeepMimic humanoid3d clips")
    parser.add_argument("--exercise", type=Path, default=CMU_EXERCISE, help="CMU subject-13 exercise capture")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where <name>.onnx and <name>.json go")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--models", nargs="+", choices=MODEL_TYPES, default=list(MODEL_TYPES))
    parser.add_argument("--folds", type=int, default=FOLDS, help="cross-validation folds of the classifier (1: none)")
    parser.add_argument("--jobs", type=int, default=JOBS, help="folds trained at a time, one core each")
    args = parser.parse_args(argv)
    started = time.monotonic()
    manifests = build(args.data, args.out, args.seed, tuple(args.models), args.deepmimic, args.exercise,
                      args.folds, args.jobs)
    print(f"{'model':<14} {'accuracy':>8} {'train':>5} {'val':>4} {'views':>6} {'epochs':>6} {'seconds':>7}  accuracy is")
    for m in manifests:
        s = m["samples"]
        metric = m["description"].split("Accuracy: ", 1)[-1]
        print(f"{m['name']:<14} {m['accuracy']:>8.3f} {s['train']:>5} {s['val']:>4} {s['val_views']:>6} "
              f"{m['epochs']:>6} {m['training']['seconds']:>7.1f}  {metric}")
    for m in manifests:
        if "aspect_accuracy" in m:
            per = ", ".join(f"{a} {v:.2f}" for a, v in m["aspect_accuracy"].items())
            print(f"{m['name']} per aspect: {per}; baseline ({m['baseline']}): {m['baseline_accuracy']:.3f}")
    for m in manifests:
        if "open_set" in m:
            o = m["open_set"]
            print(f"{m['name']} open set: threshold {o['threshold']:.3f}; true-positive rate {o['true_positive_rate']:.3f} "
                  f"of {o['technique_views']} video-like views of {o['technique_sources']} held-out technique "
                  f"repetitions; false-positive rate {o['false_positive_rate']:.3f} of {o['non_technique_views']} "
                  f"views of {o['non_technique_sources']} held-out non-technique clips; video-like accuracy "
                  f"{o['video_like_accuracy']:.3f} ({o['threshold_rule']})")
    print(f"classes: {', '.join(manifests[0]['classes'])}; total {time.monotonic() - started:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
