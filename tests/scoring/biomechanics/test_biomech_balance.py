"""Centre of mass (de Leva 1996) and base of support."""

from __future__ import annotations

import numpy as np
import pytest

from services.scoring.biomechanics import analyze_motion
from services.scoring.biomechanics.balance import FOOT_HALF_WIDTH_M, balance, convex_hull, distance_to_hull
from services.scoring.biomechanics.segments import whole_body_com

from biomech_skeleton import motion, standing_pose, still

FEET = [27, 28, 29, 30, 31, 32]


def test_com_of_a_collapsed_body_is_that_point_and_standing_com_is_central():
    p = np.tile([0.3, -0.2, 0.1], (1, 33, 1))
    assert whole_body_com(p)[0] == pytest.approx([0.3, -0.2, 0.1])  # fractions sum to 1
    com = whole_body_com(standing_pose()[None])[0]
    assert com[0] == pytest.approx(0.0, abs=1e-9)          # left-right symmetric
    assert -0.15 < com[1] < 0.05                             # near the hips, slightly above
    assert abs(com[2]) < 0.02


def test_hull_distance_by_hand():
    square = convex_hull(np.array([[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0.5]], float))
    assert len(square) == 4
    assert distance_to_hull(np.array([0.5, 0.5]), square) == 0.0
    assert distance_to_hull(np.array([2.0, 0.5]), square) == pytest.approx(1.0)
    assert distance_to_hull(np.array([2.0, 2.0]), square) == pytest.approx(np.sqrt(2))
    segment = convex_hull(np.array([[0, 0], [0, 1]], float))
    assert distance_to_hull(np.array([0.3, 0.5]), segment) == pytest.approx(0.3)


def test_standing_com_is_inside_the_base_of_support():
    _, w = still(30)
    b = balance(w)
    assert b.frames_used == 30
    assert b.fraction_outside == 0.0 and b.max_excursion_m == 0.0
    assert b.sway_rms_m == pytest.approx(0.0, abs=1e-9)


def test_com_in_front_of_the_toes_is_outside_by_the_hand_computed_distance():
    _, w = still(30)
    w = w.copy()
    w[:, FEET, 2] += 0.5          # feet 0.5 m behind the body: toes at z = +0.30, heels at +0.55
    com_z = whole_body_com(w[:1])[0, 2]
    b = balance(w)
    assert b.fraction_outside == 1.0
    # nearest BoS edge is the toe line z = 0.30 (toes at x = +-0.11 span the CoM's x = 0)
    assert b.max_excursion_m == pytest.approx(0.30 - com_z - FOOT_HALF_WIDTH_M, abs=1e-6)


def test_a_raised_foot_is_not_support():
    _, w = still(30)
    w = w.copy()
    w[:, [28, 30, 32], 1] -= 0.4              # right foot lifted 40 cm
    w[:, [28, 30, 32], 0] -= 0.3              # and out to the side
    b_lifted = balance(w)
    w[:, [28, 30, 32], 1] += 0.4              # same foot position, on the ground
    b_grounded = balance(w)
    # on one (left) foot the CoM at x ~ 0 is 0.10 m from the left foot line, minus half a foot width
    assert b_lifted.max_excursion_m == pytest.approx(0.10 - FOOT_HALF_WIDTH_M, abs=0.03)
    assert b_grounded.max_excursion_m == 0.0


def test_balance_score_and_correction_when_off_balance():
    t, w = still(60)
    standing = analyze_motion(motion(t, w + 0.0), body_mass_kg=75)
    off = w.copy()
    off[:, FEET, 2] += 0.5
    leaning = analyze_motion(motion(t, off), body_mass_kg=75)
    assert standing.aspect_scores.balance == 10.0
    assert leaning.aspect_scores.balance < 5.0
    assert leaning.details["com_outside_fraction"] == 1.0
    assert any("outside your base of support in 100 %" in c for c in leaning.corrections)
