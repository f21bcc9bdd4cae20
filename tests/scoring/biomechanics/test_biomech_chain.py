"""Proximal-to-distal sequencing of a kick: correct order and lags score higher than the reverse."""

from __future__ import annotations

import pytest

from services.scoring.biomechanics import analyze_motion
from services.scoring.biomechanics.chain import (ORDER_RESOLUTION_MS, lag_timing_score, order_resolution_ms,
                                                 reordered)

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


def test_peaks_closer_than_the_resolution_are_not_called_reversed():
    """pose2sim cam02 (60 fps) read its knee 3 ms before its hip: an order that noise decides is neither
    corrected nor scored as reversed; the same chain reversed by 40 ms is."""
    near = analyze_motion(motion(*kick(KICK_CHAIN[::-1], lag_s=0.005)), body_mass_kg=70, technique="front_kick")
    lags = [p["lag_ms"] for p in near.details["chain_lags_ms"]]
    assert all(-ORDER_RESOLUTION_MS < lag < 0 for lag in lags), lags
    assert near.details["chain_order_resolution_ms"] == ORDER_RESOLUTION_MS
    assert not any("reached peak speed" in c for c in near.corrections)
    assert not any("proximal-to-distal order" in r for r in near.recommendations)
    assert near.aspect_scores.coordination == 10.0
    # Timing still says the peaks are not spread out in time as a linked sequence's are.
    assert near.aspect_scores.timing < 2.0
    far = analyze_motion(motion(*kick(KICK_CHAIN[::-1], lag_s=0.040)), body_mass_kg=70, technique="front_kick")
    assert far.aspect_scores.coordination < 1.0 and any("reached peak speed" in c for c in far.corrections)


def test_the_resolution_is_a_frame_of_slow_footage():
    assert order_resolution_ms(60.0) == ORDER_RESOLUTION_MS and order_resolution_ms(120.0) == ORDER_RESOLUTION_MS
    assert order_resolution_ms(30.0) == pytest.approx(33.3, abs=0.1)
    assert order_resolution_ms(10.0) == pytest.approx(100.0)
    # A 40 ms reversal filmed at 10 frames/s is below a frame: its lags read -66, -21 and -46 ms, and no
    # reversal is claimed.
    slow = analyze_motion(motion(*kick(KICK_CHAIN[::-1], lag_s=0.040, fps=10.0)), body_mass_kg=70,
                          technique="front_kick")
    assert slow.details["chain_order_resolution_ms"] == pytest.approx(100.0)
    assert len(slow.details["chain_lags_ms"]) == 3 and slow.aspect_scores.coordination == 10.0
    assert not any("reached peak speed" in c for c in slow.corrections)


@pytest.mark.parametrize("a, b, expected", [(40, -40, True), (40, -5, False), (5, -40, False), (40, 10, False),
                                            (-30, 25, True), (-30, 15, False)])
def test_two_lags_are_reordered_only_when_both_are_measurable(a, b, expected):
    assert reordered(a, b, 20.0) is expected
