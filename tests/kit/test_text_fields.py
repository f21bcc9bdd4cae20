"""U+0000 in any string field of a request is refused, naming the field (services/kit/text_fields.py)."""

from __future__ import annotations

import pytest
from google.protobuf import struct_pb2

from kataforge.coach.v1 import coach_pb2
from kataforge.pose.v1 import pose_pb2
from kataforge.scoring.v1 import scoring_pb2
from services.kit.errors import InvalidRequest
from services.kit.text_fields import refuse_nul


def _refused(message) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        refuse_nul(message)
    return caught.value


def test_a_plain_string_field_is_named():
    error = _refused(scoring_pb2.ListAnalysesRequest(technique="roundhouse", coach="na\x00gato"))
    assert error.details == {"coach": "must not contain U+0000"} and "coach" in error.message


def test_nested_repeated_and_struct_fields_are_named_by_their_path():
    coach = coach_pb2.Coach(id="nagato", name="Nagato", style="Shotokan", teachers=["Funakoshi", "x\x00"])
    assert _refused(coach_pb2.CreateCoachRequest(coach=coach)).details == {"coach.teachers": "must not contain U+0000"}
    philosophy = struct_pb2.Struct()
    philosophy.update({"values": {"first": "re\x00spect"}})
    coach = coach_pb2.Coach(id="nagato", name="Nagato", style="Shotokan", teaching_philosophy=philosophy)
    details = _refused(coach_pb2.CreateCoachRequest(coach=coach)).details
    assert list(details) == ["coach.teaching_philosophy.fields.values.struct_value.fields.first.string_value"]


def test_a_key_of_a_struct_is_checked_too():
    philosophy = struct_pb2.Struct()
    philosophy.update({"bad\x00key": 1})
    coach = coach_pb2.Coach(id="nagato", name="Nagato", style="Shotokan", teaching_philosophy=philosophy)
    assert list(_refused(coach_pb2.CreateCoachRequest(coach=coach)).details) == ["coach.teaching_philosophy.fields"]


def test_clean_text_and_bytes_with_zeros_pass():
    philosophy = struct_pb2.Struct()
    philosophy.update({"values": ["respect", {"depth": 2}], "note": "Ünïcode ✓"})
    coach = coach_pb2.Coach(id="nagato", name="Nagato", style="Shotokan", teachers=["a", "b"],
                            teaching_philosophy=philosophy)
    refuse_nul(coach_pb2.CreateCoachRequest(coach=coach))
    refuse_nul(pose_pb2.RawImage(width=2, height=1, format="gray8", data=b"\x00\x00"))  # bytes hold anything
