"""Proximal-to-distal sequencing of a kick: correct order and lags score higher than the reverse."""

from __future__ import annotations

import pytest

from services.scoring.biomechanics import analyze_motion
from services.scoring.biomechanics.chain import lag_timing_score

from testkit.skeleton import KICK_CHAIN, kick, motion

def test_proximal_to_distal_kick_scores_full_and_reports_lags():
    t, w = kick(KICK_CHAIN)
    report = analyze_motion(motion(t, w), body_mass_kg=70, technique="front_kick")
    assert report.effector == "right_toe"
    assert report.details["chain_order"] == ["hip", "knee", "ankle", "toe"]
    lags = [p["lag_ms"] for p in report.details["chain_lags_ms"]]
    assert lags == pytest.approx([40.0, 40.0, 40.0], abs=4.0)
    assert report.kinetic_chain_efficiency == pytest.approx(100.0)
    assert report.aspect_scores.coordination == 10.0 and report.aspect_scores.timing == 10.0


def test_reversed_chain_scores_lower_and_is_corrected():
    forward = analyze_motion(motion(*kick(KICK_CHAIN)), body_mass_kg=70, technique="front_kick")
    reverse = analyze_motion(motion(*kick(KICK_CHAIN[::-1])), body_mass_kg=70, technique="front_kick")
    assert reverse.details["chain_order"] == ["toe", "ankle", "knee", "hip"]
    assert reverse.kinetic_chain_efficiency < 10.0 < forward.kinetic_chain_efficiency
    assert reverse.aspect_scores.coordination < forward.aspect_scores.coordination
    assert reverse.overall_score < forward.overall_score
    assert any("knee reached peak speed 40 ms before your hip" in c for c in reverse.corrections)
    # each correction points at the moment it speaks of: here the knee's (the distal joint's) peak
    assert len(reverse.correction_times_s) == len(reverse.corrections)
    which = next(i for i, c in enumerate(reverse.corrections) if "knee reached peak speed" in c)
    details = reverse.details
    knee_peak_s = details["effector_peak_times_s"]["right_toe"] + details["chain_peak_times_ms"]["knee"] / 1000
    assert reverse.correction_times_s[which] == pytest.approx(knee_peak_s, abs=1e-3)


def test_slow_links_are_penalised_by_the_lag_window():
    slow = analyze_motion(motion(*kick(KICK_CHAIN, lag_s=0.190)), body_mass_kg=70, technique="front_kick")
    assert slow.details["chain_order"] == ["hip", "knee", "ankle", "toe"]
    assert slow.aspect_scores.coordination == 10.0
    # 190 ms is 40 ms past the 150 ms window: timing 1 - 40/150 = 0.73 per pair
    assert slow.details["scores_raw"]["timing"] == pytest.approx(10 * (1 - 40 / 150), abs=0.4)
    assert any("peaked 190 ms after your" in c for c in slow.corrections)


@pytest.mark.parametrize("lag, expected", [(-40, 0.0), (0, 0.0), (5, 0.5), (10, 1.0), (80, 1.0), (150, 1.0),
                                           (225, 0.5), (300, 0.0), (500, 0.0)])
def test_lag_timing_score(lag, expected):
    assert lag_timing_score(lag) == pytest.approx(expected)
