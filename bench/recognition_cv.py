"""Open-set recognition measured by k-fold cross-validation over the shared motion capture.

    python bench/recognition_cv.py [--folds 4] [--jobs 2] [--seed 0]

The default build (`make scoring-models`) measures its classifier on one held-out quarter of the
repetitions: 10 technique repetitions and 8 non-technique clips, 12 video-like views each. Its true-positive
rate moved from 0.758 to 0.425 with the seed alone, too coarse to tell a better model from luck. Here the
classifier is trained once per fold with the build's recipe (dataset.split_by_fold: every repetition and
every non-technique clip held out exactly once, whole), the held-out views' probabilities are pooled over
the folds, and the open-set rates are measured on the pool as the build measures them (open_set: score
1 - P(background), threshold at most 2 % FPR, rates cross-fitted by source, here over several seeds of the
cross-fitting halves). Also printed: accuracy on the technique views and, per source, the share of its views
named rightly and its median score. Each fold trains on one core: 4 folds take about 8 minutes with 2 jobs.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.scoring.learning.build_default import RECIPES, load_training_data  # noqa: E402
from services.scoring.learning.open_set import BACKGROUND, cross_fitted, technique_scores  # noqa: E402
from services.scoring.learning.train import TrainConfig, train_model  # noqa: E402


def train_fold(fold: int, folds: int, seed: int) -> dict:
    samples, negatives = load_training_data()
    epochs, batch, lr = RECIPES["graphsage"]
    trained = train_model(TrainConfig("graphsage", epochs=epochs, batch_size=batch, learning_rate=lr, seed=seed,
                                      fold=fold, folds=folds), samples, negatives=negatives)
    return trained.held_out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    started = time.monotonic()
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        parts = list(pool.map(train_fold, range(args.folds), [args.folds] * args.folds, [args.seed] * args.folds))
    classes = parts[0]["classes"]
    probs = np.concatenate([p["probabilities"] for p in parts])
    target = np.concatenate([p["targets"] for p in parts])
    source = np.array([s for p in parts for s in p["sources"]])
    score, best = technique_scores(probs, classes)
    pos = target != classes.index(BACKGROUND)
    right = best == target
    print(f"{args.folds}-fold cross-validation, seed {args.seed}, {time.monotonic() - started:.0f} s: "
          f"{pos.sum()} views of {len(set(source[pos]))} technique repetitions, {(~pos).sum()} views of "
          f"{len(set(source[~pos]))} non-technique clips")
    print(f"video-like accuracy (technique named rightly, acceptance aside): {right[pos].mean():.3f}\n")
    print("| cross-fitting seed | threshold | true-positive rate | false-positive rate | accepted |")
    print("|---|---|---|---|---|")
    for k in range(4):
        r = cross_fitted(score[pos], right[pos], source[pos], score[~pos], source[~pos], k)
        print(f"| {k} | {r.threshold:.3f} | {r.true_positive_rate:.3f} | {r.false_positive_rate:.3f} | "
              f"{r.accepted_rate:.3f} |")
    print("\n| technique repetition | technique | named rightly | median score |")
    print("|---|---|---|---|")
    for src in sorted(set(source[pos])):
        m = source == src
        print(f"| {src} | {classes[target[m][0]]} | {right[m].mean():.2f} | {np.median(score[m]):.2f} |")
    print("\n| non-technique clip | median score | 90th percentile |")
    print("|---|---|---|")
    for src in sorted(set(source[~pos])):
        m = source == src
        print(f"| {src} | {np.median(score[m]):.2f} | {np.quantile(score[m], 0.9):.2f} |")


if __name__ == "__main__":
    main()
