"""The project's biomechanics on real motion capture: peak speeds vs the CMU reference figures,
repetitions found, phases in order.

Reference figures (../shared/data/README.md): peak toe speed about 10 m/s in the front kick (135_04),
9.7 in the roundhouse (135_07), 8.9 in the side kick (135_11); peak hand speed about 6.3 m/s in the
lunge punch (135_09). Repetition counts were read off the clips' toe and hand speed curves by eye
(one fast, high foot or fast hand stroke per repetition; steps between them are not repetitions).
"""

from __future__ import annotations


import pytest

from services.kit.paths import CMU_KARATE as CMU
from services.scoring.biomechanics import analyze_motion
from services.scoring.mocap.cmu import cmu_samples, load_clips, repetitions

REFERENCE_PEAK_M_S = {"front_kick": 10.0, "roundhouse": 9.7, "side_kick": 8.9, "lunge_punch": 6.3}
REPETITIONS = {"front_kick": 3, "low_block": 8, "roundhouse": 4, "lunge_punch": 8, "knife_hand_block": 9,
               "side_kick": 7}
KICKERS = {"front_kick": ["right", "left", "right"], "roundhouse": ["right", "left", "right", "left"],
           "side_kick": ["right"] * 3 + ["left"] * 4}


@pytest.fixture(scope="module")
def clips():
    return {c.technique: c for c in load_clips(CMU)}


@pytest.mark.parametrize("technique", sorted(REFERENCE_PEAK_M_S))
def test_peak_effector_speed_is_within_ten_percent_of_the_reference(clips, technique):
    report = analyze_motion(clips[technique].motion, body_mass_kg=75.0, technique=technique)
    expected = REFERENCE_PEAK_M_S[technique]
    assert report.effector.endswith("toe" if "kick" in technique or technique == "roundhouse" else "wrist")
    assert abs(report.max_speed - expected) <= 0.10 * expected, (report.max_speed, expected)


@pytest.mark.parametrize("technique", sorted(REPETITIONS))
def test_the_right_number_of_repetitions_with_ordered_phases(clips, technique):
    reps = repetitions(clips[technique])
    assert len(reps) == REPETITIONS[technique]
    for rep in reps:
        assert rep.start_s <= rep.chamber_s <= rep.extension_s <= rep.retraction_s <= rep.end_s
        assert rep.start_s < rep.peak_s < rep.end_s
        assert 0.15 < rep.end_s - rep.start_s < 2.0
    if technique in KICKERS:
        assert [r.effector.split("_")[0] for r in reps] == KICKERS[technique]
        # a kick comes back: the foot is retracted, never held out
        assert not any(r.held for r in reps)


def test_steps_are_not_kicks(clips):
    """The lunge punch steps with the foot as fast as a kick (7 m/s) but keeps it low."""
    from services.scoring.biomechanics.sampling import smooth
    from services.scoring.biomechanics.kinematics import kinematics
    from services.scoring.biomechanics.repetitions import detect_family
    assert detect_family(kinematics(smooth(clips["lunge_punch"].motion))) == "punch"
    assert detect_family(kinematics(smooth(clips["side_kick"].motion))) == "kick"


def test_training_samples_are_hip_centred_repetitions():
    samples = cmu_samples(CMU)
    assert len(samples) == sum(REPETITIONS.values())
    assert len({s.source for s in samples}) == len(samples)
    for s in samples:
        assert s.world.shape == (s.t.size, 33, 3) and s.t[0] == 0.0
        hips = 0.5 * (s.world[:, 23] + s.world[:, 24])
        assert abs(hips).max() < 1e-9


def test_a_still_stance_has_no_repetition(clips):
    """The opening 1.5 s of the front-kick clip: the karateka stands in guard; jitter is no technique."""
    import numpy as np

    from services.scoring.biomechanics.sampling import smooth
    from services.scoring.biomechanics.kinematics import kinematics
    from services.scoring.biomechanics.motion import Motion
    from services.scoring.biomechanics.repetitions import find_repetitions
    m = clips["front_kick"].motion
    keep = m.t < 1.5
    still = Motion(t=m.t[keep], world=m.world[keep], visibility=m.visibility[keep], detected=m.detected[keep])
    kin = kinematics(smooth(still))
    assert float(np.nanmax(kin.speed[:, [15, 16, 31, 32]])) < 1.5
    assert find_repetitions(kin, "punch") == [] and find_repetitions(kin, "kick") == []
