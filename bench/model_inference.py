"""Learned-model inference latency on the CPU against the 5 ms budget of one analysis.

One analysis = the three learned models (graphsage classify, form_assessor assess, style_encoder embed)
on one repetition, with onnxruntime on one thread (intra_op_num_threads=1, the service's setting).
Inputs are real: repetitions of the CMU karate capture (../shared/data/mocap/cmu-135-karate), one per
technique, taken in turn. After a warm-up, each stage runs --runs times; prints p50/p95 per stage, for
the three models together, and for the whole analysis including feature extraction (numpy), and the
ratio of the measured p95 to the 5 ms budget (< 1: within budget).

Usage: .venv/bin/python bench/model_inference.py [--models models/scoring] [--runs 300]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.kit.paths import REPO, CMU_KARATE as CMU  # noqa: E402
from services.scoring.learning.features import featurize_sample  # noqa: E402
from services.scoring.learning.runtime import LearnedModels, providers  # noqa: E402

BUDGET_MS = 5.0
WARMUP = 30


def timed(fn, inputs: list, runs: int) -> np.ndarray:
    """ms per call, cycling through the inputs."""
    for i in range(WARMUP):
        fn(inputs[i % len(inputs)])
    out = np.empty(runs)
    for i in range(runs):
        x = inputs[i % len(inputs)]
        t0 = time.perf_counter()
        fn(x)
        out[i] = (time.perf_counter() - t0) * 1e3
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=Path, default=REPO / "models" / "scoring")
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    if args.runs < 200:
        parser.error("--runs must be at least 200 for a meaningful p95")
    runtime = LearnedModels.from_dir(args.models)
    missing = {"graphsage", "form_assessor", "style_encoder"} - set(runtime.models)
    if missing:
        print(f"missing {', '.join(sorted(missing))} in {args.models}: run `make scoring-models`", file=sys.stderr)
        return 2
    from services.scoring.mocap.cmu import cmu_samples
    samples = cmu_samples(CMU)
    one_each = list({s.technique: s for s in samples}.values())
    feats = [featurize_sample(s) for s in one_each]

    def models_only(f):
        runtime.classify(f), runtime.assess(f), runtime.embed(f)

    def analysis(s):
        models_only(featurize_sample(s))

    stages = [("features (numpy)", featurize_sample, one_each), ("graphsage", runtime.classify, feats),
              ("form_assessor", runtime.assess, feats), ("style_encoder", runtime.embed, feats),
              ("three models", models_only, feats), ("analysis (features + models)", analysis, one_each)]
    print(f"providers: {providers()}; {len(one_each)} CMU repetitions in turn; {args.runs} runs after {WARMUP} warm-up")
    print(f"{'stage':<30} {'p50 ms':>8} {'p95 ms':>8} {'p95 / 5 ms':>11}")
    for name, fn, inputs in stages:
        ms = timed(fn, inputs, args.runs)
        p50, p95 = np.percentile(ms, [50, 95])
        ratio = f"{p95 / BUDGET_MS:>11.2f}" if name in ("three models", "analysis (features + models)") else ""
        print(f"{name:<30} {p50:>8.3f} {p95:>8.3f} {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
