"""The per-call context: which request ids a caller may choose."""

import pytest

from services.kit.context import clean_request_id


@pytest.mark.parametrize("value", ["req-1", "a" * 128, "4bf92f35-77b3-4da6-a3ce-929d0e0e4736", "!~"])
def test_a_callers_short_printable_request_id_is_kept(value):
    assert clean_request_id(value) == value


@pytest.mark.parametrize("value", [None, "", "has space", "tab\there", "new\nline", "é-accent", "\x7f", "a" * 129])
def test_any_other_request_id_is_replaced_by_a_fresh_one(value):
    fresh = clean_request_id(value)
    assert fresh != value and fresh.startswith("req_") and len(fresh) == 36
    assert clean_request_id(value) != fresh  # fresh each time
