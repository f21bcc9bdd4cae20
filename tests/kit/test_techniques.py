"""The one technique normal form shared by coaches, references and analyses."""

import pytest

from services.kit.errors import InvalidRequest
from services.kit.techniques import MESSAGE, RULE, TECHNIQUE_PATTERN, normalise_technique


@pytest.mark.parametrize(("given", "expected"), [
    ("roundhouse", "roundhouse"), ("front_kick", "front_kick"), ("jab2", "jab2"), ("x", "x"),
    (" Front-Kick ", "front_kick"), ("front-kick", "front_kick"), ("Spinning Back Kick", "spinning_back_kick"),
    ("front  kick", "front_kick"), ("front__kick", "front_kick"), ("front - kick", "front_kick"),
    ("front\t\nkick", "front_kick"), ("-front-kick-", "front_kick"), ("_teep_", "teep"), ("TEEP", "teep"),
    ("k" * 64, "k" * 64), (" " + "k" * 64 + " ", "k" * 64),
])
def test_spellings_of_a_technique_meet_in_one_form(given, expected):
    assert normalise_technique(given) == expected
    assert TECHNIQUE_PATTERN.match(expected)


@pytest.mark.parametrize("name", ["roundhouse", "front_kick", "spinning_back_kick", "jab2", "t"])
def test_names_already_in_normal_form_are_unchanged(name):
    assert normalise_technique(name) == name


def test_normalising_twice_changes_nothing():
    for given in (" Front-Kick ", "a - b__c  d", "Spinning Back Kick"):
        once = normalise_technique(given)
        assert normalise_technique(once) == once


@pytest.mark.parametrize("blank", ["", " ", "\t\n"])
def test_a_blank_name_names_no_technique(blank):
    # Analyses without a technique recognise it; callers that need one report the field as required.
    assert normalise_technique(blank) == ""


@pytest.mark.parametrize("name", ["kick!", "2kick", "front.kick", "k" * 65, "-", "_", " - _ ", "côté", "jab/cross"])
def test_other_names_are_refused_with_the_technique_field(name):
    with pytest.raises(InvalidRequest) as caught:
        normalise_technique(name)
    assert caught.value.message == MESSAGE == "technique must be a short name such as 'roundhouse' or 'front_kick'"
    assert caught.value.details == {"technique": RULE}
    assert caught.value.to_dict()["code"] == "invalid_request"
