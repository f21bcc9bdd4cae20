"""compare() on real motion capture (CMU subject 135): identical, natural and known-edited students.

The coach's references are single front kicks (mae-geri) cut out of clip 135_04 (three kicks:
right, left, right); students are the other kicks, or a kick edited by a known amount (time
stretch of one phase, knee bent about the knee, mirror image). Phase boundaries are samples of the
120 Hz analysis grid, so a measured duration can be off by one sample (8.3 ms) from the edit.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from testkit.comparison_motions import cmu_motion, cut, knee_bent, phase_stretched, time_scaled

from services.scoring.biomechanics.angles import joint_angles
from services.scoring.biomechanics.chain import NOT_TIMED
from services.scoring.biomechanics.scores import NEUTRAL
from services.scoring.comparison import ReferencePerformance, compare
from services.scoring.comparison.mirror import mirror_motion, mirror_positions
from services.scoring.comparison.performance import prepare

GRID_MS = 1000.0 / 120.0
MASS = 70.0


@pytest.fixture(scope="module")
def kicks():
    clip = cmu_motion("04")
    reps = prepare(clip, "kick").reps
    assert [r.effector for r in reps] == ["right_toe", "left_toe", "right_toe"]
    return clip, [cut(clip, r.start_s, r.end_s) for r in reps]


def coach(motion, technique="front_kick"):
    return ReferencePerformance(coach_name="Nagato", technique=technique, motion=motion, reference_id="ref-1")


def kick(student, reference):
    return compare(student, coach(reference), family="kick", body_mass_kg=MASS)


def numbers(c):
    """Every measured difference of the first repetition, flat, for comparing two comparisons."""
    r = c.repetitions[0]
    out = {f"phase.{k}": v for k, v in r.phase_diff_ms.items()}
    out.update({f"angle.{m}.{k}": v for m, d in r.angle_diff_deg.items() for k, v in d.items()})
    out.update({f"chain.{p.proximal}.{p.distal}": p.lag_diff_ms for p in r.chain})
    out.update({f"score.{k}": v for k, v in c.scores.as_dict().items()})
    out.update(speed=r.speed_ratio, force=r.force_ratio, similarity=r.similarity_pct, com=r.com_excursion_diff_m)
    return out


@pytest.mark.parametrize("i", [0, 1, 2])
def test_a_repetition_compared_with_itself_shows_no_difference(kicks, i):
    c = kick(kicks[1][i], kicks[1][i])
    assert len(c.repetitions) == 1
    for name, value in numbers(c).items():
        if name.startswith("score."):
            assert value == pytest.approx(10.0), name
        elif name in ("speed", "force"):
            assert value == pytest.approx(1.0), name
        elif name == "similarity":
            assert value == pytest.approx(100.0), name
        elif math.isfinite(value):
            assert value == pytest.approx(0.0, abs=1e-6), name
    assert c.corrections == []
    assert any("No difference from Nagato's front kick" in r for r in c.recommendations)
    json.dumps(c.details)


def test_each_student_kick_is_matched_with_the_same_kick_of_the_reference(kicks):
    clip, cuts = kicks
    for i, student in enumerate(cuts):
        r = kick(student, clip).repetitions[0]
        assert (r.coach_index, r.coach_mirrored) == (i, False)
        assert r.similarity_pct == pytest.approx(100.0)


@pytest.mark.parametrize("i,j", [(0, 2), (2, 0), (1, 0), (0, 1)])
def test_the_karatekas_own_kicks_differ_a_little(kicks, i, j):
    c = kick(kicks[1][i], kicks[1][j])
    r = c.repetitions[0]
    assert 75.0 < c.similarity_pct < 99.9
    phases = np.array(list(r.phase_diff_ms.values()))
    assert np.any(np.abs(phases) > GRID_MS / 2) and np.all(np.abs(phases) < 120.0)
    angles = np.array([v for d in r.angle_diff_deg.values() for v in d.values()])
    angles = angles[np.isfinite(angles)]
    assert np.max(np.abs(angles)) > 2.0 and np.max(np.abs(angles)) < 30.0
    assert 0.85 < r.speed_ratio < 1.15 and r.speed_ratio != pytest.approx(1.0, abs=1e-3)
    assert 6.0 < c.scores.overall < 10.0
    assert all(0.0 <= v <= 10.0 for v in c.scores.as_dict().values())
    # the left kick is compared with the right-kicking coach mirrored onto the left
    assert r.coach_mirrored == ((i == 1) != (j == 1))
    json.dumps(c.details)


@pytest.mark.parametrize("factor", [1.5, 2.0])
def test_a_slower_chamber_is_measured_and_named(kicks, factor):
    reference = kicks[1][0]
    rep = prepare(reference, "kick").reps[0]
    student = phase_stretched(reference, rep.start_s, rep.chamber_s, factor)
    c = kick(student, reference)
    r = c.repetitions[0]
    expected = (factor - 1.0) * 1000.0 * (rep.chamber_s - rep.start_s)
    assert r.phase_diff_ms["start_to_chamber"] == pytest.approx(expected, abs=GRID_MS + 1.0)
    for phase in ("chamber_to_extension", "extension_to_retraction", "retraction_to_end"):
        assert abs(r.phase_diff_ms[phase]) <= GRID_MS + 1.0, phase
    assert c.scores.timing < 9.5
    measured = r.phase_diff_ms["start_to_chamber"]
    assert f"Your chamber lasts {measured:.0f} ms longer than Nagato's" in c.corrections[0]
    # ... and points at the moment the chamber starts (for a player to jump to)
    assert len(c.correction_times_s) == len(c.corrections) and c.correction_times_s[0] == r.student.rep.start_s
    # the pose sequence is the same, only its tempo differs: DTW absorbs the stretch
    assert c.similarity_pct > 98.0


@pytest.mark.parametrize("degrees", [25.0, 40.0])
def test_a_more_bent_knee_at_extension_is_measured_and_named(kicks, degrees):
    reference = kicks[1][0]
    rep = prepare(reference, "kick").reps[0]
    student = knee_bent(reference, "right", degrees, at_s=rep.extension_s, hold_s=0.03, ramp_s=0.08)
    c = kick(student, reference)
    r = c.repetitions[0]
    at_extension = r.angle_diff_deg["extension"]
    assert at_extension["knee_flexion"] == pytest.approx(degrees, abs=3.0)
    assert abs(at_extension["hip_flexion"]) < 3.0 and abs(at_extension["support_knee_flexion"]) < 3.0
    s, co = r.student.angles["extension"]["knee_flexion"], r.coach.angles["extension"]["knee_flexion"]
    expected = (f"At full extension your knee is bent {at_extension['knee_flexion']:.0f}° more than Nagato's "
                f"({s:.0f}° vs {co:.0f}°): snap the leg straight.")
    assert expected in c.corrections
    assert c.correction_times_s[c.corrections.index(expected)] == r.student.rep.extension_s


def test_a_knee_difference_below_the_threshold_is_measured_but_not_corrected(kicks):
    reference = kicks[1][0]
    rep = prepare(reference, "kick").reps[0]
    c = kick(knee_bent(reference, "right", 8.0, at_s=rep.extension_s, hold_s=0.03, ramp_s=0.08), reference)
    assert c.repetitions[0].angle_diff_deg["extension"]["knee_flexion"] == pytest.approx(8.0, abs=3.0)
    assert not any("knee" in text for text in c.corrections)


def test_mirroring_swaps_the_sides_of_the_joint_angles(kicks):
    pos = kicks[1][0].world
    a, m = joint_angles(pos), joint_angles(mirror_positions(pos))
    for name in a:
        if name.startswith("left_"):
            np.testing.assert_allclose(m[name], a[name.replace("left_", "right_")], atol=1e-9)
    np.testing.assert_allclose(m["pelvis_rotation"], -a["pelvis_rotation"], atol=1e-9)
    np.testing.assert_allclose(mirror_positions(mirror_positions(pos)), pos)


def test_a_left_kick_against_a_right_kicking_coach_gives_the_same_result(kicks):
    right_student, right_coach = kicks[1][2], kicks[1][0]
    same_side = kick(right_student, right_coach)
    left_student = kick(mirror_motion(right_student), right_coach)
    r = left_student.repetitions[0]
    assert r.student.rep.effector == "left_toe" and r.coach_mirrored
    assert not same_side.repetitions[0].coach_mirrored
    a, b = numbers(same_side), numbers(left_student)
    assert a.keys() == b.keys()
    for name in a:
        assert b[name] == pytest.approx(a[name], abs=1e-6, nan_ok=True), name
    assert left_student.corrections == same_side.corrections


def test_a_slower_student_is_slower_by_the_time_scale(kicks):
    reference = kicks[1][0]
    c = kick(time_scaled(reference, 1.25), reference)
    r = c.repetitions[0]
    assert r.speed_ratio == pytest.approx(1 / 1.25, abs=0.03)
    assert c.scores.speed == pytest.approx(10 * r.speed_ratio) and c.scores.speed < 8.5
    assert c.scores.timing < 8.5
    assert r.phase_diff_ms["total"] == pytest.approx(0.25 * r.coach.phases_ms["total"], abs=2 * GRID_MS)
    speed = next(t for t in c.corrections if "speed" in t)
    assert f"Your foot speed is {100 * r.speed_ratio:.0f} % of Nagato's" in speed
    assert f"({r.student.peak_speed_m_s:.1f} vs {r.coach.peak_speed_m_s:.1f} m/s)" in speed


def test_speed_and_force_are_compared_only_as_far_as_the_speed_measurement_allows(kicks):
    from services.scoring.biomechanics.quality import UNCERTAIN_SCORE_CAP, Quality

    reference = kicks[1][0]
    same = kick(reference, reference)  # identical: full marks for speed and force
    assert same.scores.speed == pytest.approx(10.0) and same.scores.force == pytest.approx(10.0)
    uncertain = compare(reference, coach(reference), family="kick", body_mass_kg=MASS,
                        speed_quality=Quality("uncertain", ["the shin moved along the camera's axis"]))
    assert uncertain.scores.speed == UNCERTAIN_SCORE_CAP and uncertain.scores.force == UNCERTAIN_SCORE_CAP
    assert uncertain.scores.timing == same.scores.timing  # the rest is untouched
    slower = time_scaled(reference, 1.6)  # a speed correction and a speed drill when trusted
    trusted = kick(slower, reference)
    assert any("speed is" in t for t in trusted.corrections) and any(r.startswith("Speed ") for r in trusted.recommendations)
    for verdict in ("uncertain", "unreliable"):
        c = compare(slower, coach(reference), family="kick", body_mass_kg=MASS, speed_quality=Quality(verdict, ["x"]))
        assert not any("speed is" in t or "force is" in t for t in c.corrections), verdict
        assert not any(r.startswith(("Speed ", "Force ")) for r in c.recommendations), verdict
    unreliable = compare(slower, coach(reference), family="kick", body_mass_kg=MASS,
                         speed_quality=Quality("unreliable", ["x"]))
    assert unreliable.scores.speed == 5.0 and unreliable.scores.force == 5.0  # neutral, as against the norms
    # From one camera the force is uncertain while the speed may be reliable (quality.force_quality): the speed
    # is still corrected and drilled, the force only reported.
    assert any("force is" in t for t in trusted.corrections)
    one_camera = compare(slower, coach(reference), family="kick", body_mass_kg=MASS, speed_quality=Quality(),
                         force_quality=Quality("uncertain", ["measured from one camera"]))
    assert any("speed is" in t for t in one_camera.corrections)
    assert not any("force is" in t for t in one_camera.corrections)
    assert not any(r.startswith("Force ") for r in one_camera.recommendations)
    assert one_camera.scores.force <= UNCERTAIN_SCORE_CAP and one_camera.scores.speed == trusted.scores.speed



def test_nothing_is_corrected_against_the_coach_when_the_body_may_not_be_the_performers(kicks):
    """A bystander nearly as prominent (quality.performer_quality): every difference may be the bystander's."""
    from services.scoring.biomechanics.quality import UNCERTAIN_SCORE_CAP, Quality

    reference = kicks[1][0]
    slower = time_scaled(reference, 1.6)
    assert kick(slower, reference).corrections            # alone in the frame: corrected
    doubt = Quality("uncertain", ["another person was in view and 90 % as prominent as the one measured"])
    c = compare(slower, coach(reference), family="kick", body_mass_kg=MASS, performer_quality=doubt)
    assert c.corrections == [] and c.correction_times_s == []
    assert c.recommendations == ["Not corrected against Nagato's reference: the figures are uncertain (another "
                                 "person was in view and 90 % as prominent as the one measured)."]
    assert max(c.scores.as_dict()[a] for a in ("speed", "force", "timing", "balance", "coordination")) \
        <= UNCERTAIN_SCORE_CAP


def test_hand_techniques_are_compared_on_the_arm():
    clip = cmu_motion("09")
    reps = prepare(clip, "punch").reps[:3]
    student, reference = cut(clip, reps[2].start_s, reps[2].end_s), cut(clip, reps[0].start_s, reps[0].end_s)
    c = compare(student, coach(reference, "lunge_punch"), family="punch", body_mass_kg=MASS)
    r = c.repetitions[0]
    assert r.student.rep.effector.endswith("wrist") and r.coach.rep.effector == r.student.rep.effector
    assert 70.0 < c.similarity_pct < 99.9
    assert "elbow_flexion" in r.angle_diff_deg["extension"] and "hip_flexion" not in r.angle_diff_deg["extension"]
    # no order of the arm's joints holds across experts' punches (chain.NOT_TIMED): none is compared or drilled
    assert r.chain == [] and r.student.chain.why_not_measured == NOT_TIMED["punch"]
    assert c.scores.coordination == NEUTRAL
    assert not any(rec.startswith("Coordination ") for rec in c.recommendations)
    details = json.loads(json.dumps(c.details))
    assert details["repetitions"][0]["student"]["effector"] == r.student.rep.effector


def test_every_repetition_of_a_clip_is_compared_and_summarised(kicks):
    clip, cuts = kicks
    c = kick(clip, cuts[0])
    assert [r.student.rep.effector for r in c.repetitions] == ["right_toe", "left_toe", "right_toe"]
    assert [r.coach_mirrored for r in c.repetitions] == [False, True, False]
    sims = [r.similarity_pct for r in c.repetitions]
    assert sims[0] == pytest.approx(100.0) and max(sims[1:]) < 99.9
    assert c.similarity_pct == pytest.approx(np.mean(sims))
    assert c.scores.speed == pytest.approx(np.mean([r.scores.speed for r in c.repetitions]))
    details = json.loads(json.dumps(c.details))
    assert len(details["repetitions"]) == 3 and details["coach"] == "Nagato"
    assert details["repetitions"][1]["coach"]["mirrored"] is True
