"""services/scoring/biomechanics/quality.py: what makes a measured peak uncertain, said with its figures."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from services.scoring.biomechanics import analyze_motion
from services.scoring.biomechanics.quality import FOUND_RELIABLE, RIVAL_UNCERTAIN
from testkit.skeleton import KICK_CHAIN, kick, motion


def quality_of(m) -> dict:
    return analyze_motion(m, body_mass_kg=70.0).details["quality"]["max_speed"]


def test_a_clean_capture_is_reliable():
    t, w = kick(KICK_CHAIN)
    q = quality_of(motion(t, w))
    assert q["verdict"] == "reliable" and q["performer_found_fraction"] == 1.0
    assert "rival_prominence" not in q


def test_a_person_nearly_as_prominent_makes_the_figure_uncertain():
    t, w = kick(KICK_CHAIN)
    close = quality_of(replace(motion(t, w), rival_prominence=RIVAL_UNCERTAIN + 0.1))
    assert close["verdict"] == "uncertain" and close["rival_prominence"] == RIVAL_UNCERTAIN + 0.1
    assert any("another person" in r and "70 %" in r for r in close["reasons"])
    far = quality_of(replace(motion(t, w), rival_prominence=0.3))
    assert far["verdict"] == "reliable" and far["rival_prominence"] == 0.3


def test_a_performer_missing_from_many_frames_makes_the_figure_uncertain():
    t, w = kick(KICK_CHAIN)
    detected = np.ones(t.size, dtype=bool)
    detected[: int(0.3 * t.size)] = False  # the first 30 %: the performer not found (still, before the kick)
    w = np.where(detected[:, None, None], w, np.nan)
    q = quality_of(motion(t, w, detected=detected))
    assert q["performer_found_fraction"] < FOUND_RELIABLE
    assert q["verdict"] == "uncertain" and any("found in only 70 %" in r for r in q["reasons"])
