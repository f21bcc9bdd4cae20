"""Open-set recognition: threshold choice, cross-fitted rates, test-time crops and the built default model."""

from __future__ import annotations

import json

import numpy as np
import pytest

from services.kit.paths import DEEPMIMIC, REPO
from services.scoring.learning import open_set as O

DEFAULT_MANIFEST = REPO / "models" / "scoring" / "graphsage.json"


def test_threshold_caps_false_positives_and_prefers_the_higher_of_ties():
    pos = np.array([0.9, 0.8, 0.7, 0.3])
    neg = np.array([0.1, 0.2, 0.5])
    correct = np.array([True, True, True, True])
    assert O.choose_threshold(pos, correct, neg) == pytest.approx(0.7)   # 0.3 would accept the negative at 0.5
    # with a third of the negatives allowed, the threshold goes just above the second negative
    assert O.choose_threshold(pos, correct, neg, max_fpr=1 / 3) == pytest.approx(0.3)
    # a wrongly classified positive does not count as recognised at any threshold
    assert O.choose_threshold(pos, np.array([False, False, True, True]), neg) <= 0.7
    # FPR at the chosen threshold never exceeds the cap
    rng = np.random.default_rng(1)
    p, n = rng.uniform(0.2, 1.0, 200), rng.uniform(0.0, 0.8, 300)
    tau = O.choose_threshold(p, np.ones(200, bool), n)
    assert np.mean(n >= tau) <= O.MAX_FALSE_POSITIVE_RATE and np.mean(p >= tau) > 0.25


def test_cross_fitted_rates_are_measured_with_a_threshold_chosen_on_the_other_half():
    rng = np.random.default_rng(0)
    pos = rng.uniform(0.5, 1.0, 40)
    neg = rng.uniform(0.0, 0.6, 40)
    groups_p = np.repeat(np.arange(8), 5).astype(str)
    groups_n = np.repeat(np.arange(8), 5).astype(str)
    r = O.cross_fitted(pos, np.ones(40, bool), groups_p, neg, groups_n, seed=0)
    assert 0.0 <= r.false_positive_rate <= 1.0 and 0.0 <= r.true_positive_rate <= 1.0
    assert r.threshold == O.choose_threshold(pos, np.ones(40, bool), neg)
    assert (r.positives, r.negatives) == (40, 40)
    perfect = O.cross_fitted(np.full(10, 0.9), np.ones(10, bool), np.arange(10).astype(str),
                             np.full(10, 0.1), np.arange(10).astype(str), seed=1)
    assert perfect.true_positive_rate == 1.0 and perfect.false_positive_rate == 0.0


def test_technique_scores_never_pick_the_background():
    classes = ["a", O.BACKGROUND, "b"]
    probs = np.array([[0.1, 0.8, 0.1], [0.05, 0.15, 0.8]])
    score, best = O.technique_scores(probs, classes)
    # the score is the probability of being any technique; the technique named, the most likely one
    assert best.tolist() == [0, 2] and score.tolist() == pytest.approx([0.2, 0.85])
    plain, _ = O.technique_scores(np.array([[0.3, 0.7]]), ["a", "b"])   # no background class: the best's own
    assert plain.tolist() == pytest.approx([0.7])


def test_test_time_views_are_the_input_and_its_mirror_image():
    pose = np.random.default_rng(3).normal(size=(2, 64, 33, 4)).astype(np.float32)
    given, mirror = O.test_time_views(pose)
    assert given is pose and mirror.shape == pose.shape and mirror.dtype == pose.dtype
    # the left wrist (15) of the mirror image is the right wrist (16) of the input, seen from behind the glass
    assert np.array_equal(mirror[:, :, 15, 0], -pose[:, :, 16, 0])
    assert np.array_equal(mirror[:, :, 15, 1:], pose[:, :, 16, 1:])


def test_background_cuts_hold_whole_clips_on_one_side():
    positives, negatives = O.deepmimic_samples(DEEPMIMIC)
    assert {s.technique for s in positives} == {"roundhouse", "lunge_punch"}
    assert {s.technique for s in negatives} == {O.BACKGROUND}
    assert {s.source for s in negatives} >= {"deepmimic/walk", "deepmimic/backflip", "deepmimic/jump"}
    assert not any("spinkick" in s.source for s in positives + negatives)


def test_the_default_model_reports_measured_open_set_rates():
    if not DEFAULT_MANIFEST.is_file():
        pytest.skip("run `make scoring-models`")
    manifest = json.loads(DEFAULT_MANIFEST.read_text())
    if "open_set" not in manifest:
        pytest.skip("the default classifier was built without open-set training (build_default without negatives)")
    o = manifest["open_set"]
    assert manifest["classes"][-1] == O.BACKGROUND == o["background_class"]
    assert 0.0 < o["threshold"] < 1.0
    assert o["technique_views"] > 0 and o["non_technique_views"] > 0 and o["non_technique_sources"] >= 4
    # far from chance either way; 0.80 built on 2026-12-06 (42 epochs, the cut and its mirror image)
    assert o["true_positive_rate"] > 0.75 and o["false_positive_rate"] < 0.1
    assert f"FPR <= {O.MAX_FALSE_POSITIVE_RATE:g}" in o["threshold_rule"]
