"""compare() refuses what it cannot compare, with messages that say what to do (real CMU motion)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from testkit.comparison_motions import cmu_motion, cut

from services.kit.errors import InvalidRequest, ValidationFailed
from services.scoring.comparison import ReferencePerformance, compare
from services.scoring.comparison.performance import prepare


@pytest.fixture(scope="module")
def front_kick():
    clip = cmu_motion("04")
    rep = prepare(clip, "kick").reps[0]
    return cut(clip, rep.start_s, rep.end_s)


@pytest.fixture(scope="module")
def standing():
    """The karateka standing in guard before his first kick (135_04 starts kicking at 2.8 s)."""
    clip = cmu_motion("04")
    keep = clip.t <= 2.3
    return replace(clip, t=clip.t[keep], world=clip.world[keep], visibility=clip.visibility[keep],
                   detected=clip.detected[keep])


def ref(motion, technique="front_kick"):
    return ReferencePerformance(coach_name="Nagato", technique=technique, motion=motion, reference_id="mae-geri-1")


def test_a_student_without_a_kick_is_told_what_to_film(front_kick, standing):
    with pytest.raises(ValidationFailed) as err:
        compare(standing, ref(front_kick), family="kick", body_mass_kg=70.0)
    assert "No front kick repetition was found in your video" in err.value.message
    assert "film the whole body" in err.value.message
    assert err.value.details == {"video": "no front kick repetition found"}


def test_a_reference_without_a_kick_names_the_coach_and_the_reference(front_kick, standing):
    with pytest.raises(ValidationFailed) as err:
        compare(front_kick, ref(standing), family="kick", body_mass_kg=70.0)
    assert "No front kick repetition was found in Nagato's reference (mae-geri-1)" in err.value.message
    assert "re-record the reference" in err.value.message
    assert "reference" in err.value.details


def test_a_reference_of_another_family_is_refused(front_kick):
    with pytest.raises(ValidationFailed) as err:
        compare(front_kick, ref(front_kick, "lunge_punch"), family="kick", body_mass_kg=70.0)
    assert "Nagato's reference 'lunge_punch' is a hand technique" in err.value.message
    assert "cannot be compared with a kick" in err.value.message


def test_a_reference_without_a_person_is_refused(front_kick):
    nobody = replace(front_kick, detected=np.zeros_like(front_kick.detected))
    with pytest.raises(ValidationFailed) as err:
        compare(front_kick, ref(nobody), family="kick", body_mass_kg=70.0)
    assert "Only 0 frames of Nagato's reference (mae-geri-1) show a person" in err.value.message


@pytest.mark.parametrize("family,mass,field", [("elbow", 70.0, "family"), ("kick", 5.0, "body_mass_kg"),
                                               ("kick", float("nan"), "body_mass_kg")])
def test_bad_arguments_are_invalid_requests(front_kick, family, mass, field):
    with pytest.raises(InvalidRequest) as err:
        compare(front_kick, ref(front_kick), family=family, body_mass_kg=mass)
    assert field in err.value.details
