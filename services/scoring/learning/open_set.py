"""Open-set recognition: the background class's data, the acceptance threshold and its measured rates.

The classifier has one output beyond the techniques, BACKGROUND, trained on motion that is no
technique (DeepMimic's walk, run, jog, jump, dances, cartwheel, flips, spin, roll, crawl, get-ups; CMU
subject 13's jumping jacks, jog, squats, knee raises, arm circles, twists, toe touches), cut into
repetitions the way an analysis cuts a video (dataset.cut_repetitions: the project's own segmentation,
the whole stretch when it finds none). Its score for a performance is the probability that it is a
technique at all, 1 - P(background) (the sum of the techniques' softmax probabilities), and the technique
named is the most likely one: a motion unlike every technique gives its probability to the background.
Whether it is a technique and which one are two questions: a kick the model splits 0.5/0.4 between
front and side kick is still a technique (0.9). On the held-out views of the first open-set build, at
the same 2 % FPR cap, this score had a cross-fitted TPR of 0.725 against 0.483 for the best technique's
own probability, at the same FPR (0.054 / 0.051).

Threshold: chosen on held-out views (whole repetitions and whole negative clips or activity runs held
out, never frames of one clip on both sides) as the score giving the highest TPR while the FPR stays at
most MAX_FALSE_POSITIVE_RATE (a Neyman-Pearson operating point), ties to the higher threshold, where TPR
= share of held-out technique views accepted with their right technique and FPR = share of held-out
non-technique views accepted as any technique. Youden's J (TPR - FPR, Youden 1950) was tried first: it
chose 0.08 with an FPR of 5 %, and accepted a balancing drill (pose2sim cam04) as a front kick; a wrong
technique is costlier than "unknown" (wrong norms, the wrong coach reference), so false positives are
capped instead. The rates reported with it are cross-fitted, so that no view is scored by a threshold
chosen on itself: the held-out sources are split in two halves (by source, seeded); the threshold chosen
on one half is applied to the other, both ways, and the counts pooled.

Training length, test-time views, features and scores were chosen by measurement on cross-validated
views; what was tried and what each read (including what was not kept) is in
open_set_experiments.md beside this module. The build's own figures are in its manifest (GET /models).

Background motion also includes held poses (HELD per stretch: one frame of it kept for 1-2 s with a slow
sway): a person standing or balancing in front of the camera is no technique either.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from services.scoring.biomechanics import landmarks as L

from .dataset import MIN_FRAMES, Sample, cut_repetitions
from .features import mirrored

BACKGROUND = "not_a_technique"     # the background class's label (not a technique name a coach would use)
DEEPMIMIC_SOURCE = "deepmimic"
CMU13_SOURCE = "cmu13"
WINDOWS = 5
WINDOW_S = (0.2, 2.0)
MAX_FALSE_POSITIVE_RATE = 0.02
HELD = 1
HELD_S = (1.0, 2.0)
HELD_SWAY_M = 0.02


def _sample(label: str, t, world, visibility, source: str) -> Sample:
    return Sample(technique=label, t=np.asarray(t, float), world=np.asarray(world, float),
                  visibility=np.asarray(visibility, float), source=source)


def _cuts(whole: Sample, label: str) -> list[Sample]:
    """The repetitions the analysis would find in a stretch of motion (a label without norms, as BACKGROUND,
    makes the segmentation detect the family from the motion, as /analyze does without a technique), all
    sharing the stretch's source so that held-out splits keep one clip on one side. A background stretch
    also gives WINDOWS random windows of WINDOW_S: what the analysis cuts out of motion that is no
    technique is not always a whole movement (the focus of the shared videos is 0.2-1.4 s)."""
    cuts = [Sample(technique=label, t=c.t, world=c.world, visibility=c.visibility, source=whole.source)
            for c in cut_repetitions(whole)]
    if label != BACKGROUND:
        return cuts
    rng = np.random.default_rng(zlib.crc32(whole.source.encode()))
    t = np.asarray(whole.t, float)
    for _ in range(WINDOWS):
        length = rng.uniform(*WINDOW_S)
        if t[-1] - t[0] <= length:
            break
        start = rng.uniform(t[0], t[-1] - length)
        keep = (t >= start) & (t <= start + length)
        if keep.sum() >= MIN_FRAMES:
            cuts.append(Sample(technique=label, t=t[keep] - t[keep][0], world=whole.world[keep],
                               visibility=whole.visibility[keep], source=whole.source))
    for _ in range(HELD):
        fps = len(t) / max(t[-1] - t[0], 1e-6)
        n = max(MIN_FRAMES, int(rng.uniform(*HELD_S) * fps))
        k = int(rng.integers(len(t)))
        frame = whole.world[k]            # landmarks the capture lacks stay NaN (visibility 0)
        if not np.isfinite(frame[[L.LEFT_HIP, L.RIGHT_HIP]]).all():
            continue
        # a slow sway of the whole body (balancing) and small per-landmark drift
        phase = rng.uniform(0, 2 * np.pi, 3)
        tt = np.arange(n) / fps
        sway = HELD_SWAY_M * np.sin(2 * np.pi * rng.uniform(0.2, 0.6) * tt[:, None] + phase[None, :])
        world = frame[None] + sway[:, None, :] + rng.normal(0.0, 0.003, (n,) + frame.shape)
        vis = np.repeat(whole.visibility[k:k + 1], n, axis=0)
        cuts.append(Sample(technique=label, t=tt, world=world, visibility=vis, source=whole.source))
    return cuts


def deepmimic_samples(root: Path) -> tuple[list[Sample], list[Sample]]:
    """(technique repetitions, background repetitions) of the DeepMimic clips (mocap.deepmimic.label_of)."""
    from services.scoring.mocap.deepmimic import label_of, load_clips
    positives, negatives = [], []
    for clip in load_clips(Path(root)):
        label = label_of(clip.name)
        if label is None:
            continue
        whole = _sample(label or BACKGROUND, clip.t, clip.world, clip.visibility, f"{DEEPMIMIC_SOURCE}/{clip.name}")
        (positives if label else negatives).extend(_cuts(whole, label or BACKGROUND))
    return positives, negatives


def cmu13_samples(root: Path) -> list[Sample]:
    """Background repetitions of the CMU subject-13 exercise runs (mocap.cmu_exercise)."""
    from services.scoring.mocap.cmu_exercise import load_runs
    out = []
    for run in load_runs(Path(root)):
        out.extend(_cuts(_sample(BACKGROUND, run.t, run.world, run.visibility, run.source), BACKGROUND))
    return out


@dataclass(frozen=True)
class Rates:
    threshold: float
    true_positive_rate: float    # held-out technique views accepted with the right technique
    false_positive_rate: float   # held-out non-technique views accepted as a technique
    accepted_rate: float         # held-out technique views accepted (right technique or not)
    positives: int
    negatives: int


def choose_threshold(pos_score: np.ndarray, pos_correct: np.ndarray, neg_score: np.ndarray,
                     max_fpr: float = MAX_FALSE_POSITIVE_RATE) -> float:
    """The score threshold with the highest TPR among those whose FPR on these views is at most max_fpr,
    ties to the higher one. Candidates are the scores seen and 1.0, each nudged just above a negative's
    score so that it is the negatives strictly above it that count."""
    candidates = np.unique(np.r_[pos_score, np.nextafter(neg_score, np.inf), 1.0])
    best, best_tpr = 1.0, -np.inf
    for c in candidates[::-1]:                       # high to low: the first maximum is the highest threshold
        if len(neg_score) and np.mean(neg_score >= c) > max_fpr + 1e-12:
            break                                    # lower thresholds only accept more negatives
        tpr = np.mean((pos_score >= c) & pos_correct) if len(pos_score) else 0.0
        if tpr > best_tpr + 1e-12:
            best, best_tpr = float(c), tpr
    return best


def cross_fitted(pos_score: np.ndarray, pos_correct: np.ndarray, pos_group: np.ndarray, neg_score: np.ndarray,
                 neg_group: np.ndarray, seed: int) -> Rates:
    """The threshold chosen on every held-out view, with rates measured by 2-fold cross-fitting over sources."""
    rng = np.random.default_rng([seed, 7])

    def halves(groups: np.ndarray) -> np.ndarray:
        names = sorted(set(groups.tolist()))
        rng.shuffle(names)
        first = set(names[: len(names) // 2])
        return np.array([g in first for g in groups], dtype=bool)

    pos_half, neg_half = halves(pos_group), halves(neg_group)
    tp = acc = fp = 0
    for fit in (True, False):
        tau = choose_threshold(pos_score[pos_half == fit], pos_correct[pos_half == fit], neg_score[neg_half == fit])
        test_p, test_n = pos_half != fit, neg_half != fit
        tp += int(np.sum((pos_score[test_p] >= tau) & pos_correct[test_p]))
        acc += int(np.sum(pos_score[test_p] >= tau))
        fp += int(np.sum(neg_score[test_n] >= tau))
    n_p, n_n = max(len(pos_score), 1), max(len(neg_score), 1)
    return Rates(threshold=choose_threshold(pos_score, pos_correct, neg_score), true_positive_rate=tp / n_p,
                 false_positive_rate=fp / n_n, accepted_rate=acc / n_p, positives=len(pos_score),
                 negatives=len(neg_score))


def test_time_views(pose: np.ndarray) -> list[np.ndarray]:
    """The test-time views ([N,64,33,4] each) of model inputs [N,64,33,4]: as given, and mirrored
    (features.mirrored: the same motion with the other side, which names the same technique)."""
    return [pose, mirrored(pose)]


def technique_scores(probs: np.ndarray, classes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(score = 1 - P(background), the index into classes of the most likely technique) per row of probs [N,C];
    without a background class the score is the most likely technique's probability."""
    techniques = np.array([c != BACKGROUND for c in classes])
    masked = np.where(techniques[None, :], probs, -np.inf)
    best = masked.argmax(axis=1)
    if techniques.all():
        return probs[np.arange(len(probs)), best], best
    return 1.0 - probs[:, ~techniques].sum(axis=1), best
