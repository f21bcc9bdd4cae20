"""google.protobuf.Struct values back to plain JSON types."""

from typing import Any

_SAFE_INT = 2**53  # doubles represent every integer up to here exactly


def whole_numbers(value: Any) -> Any:
    """Struct holds every number as a double; give integral ones back as int so JSON shows 5, not 5.0."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= _SAFE_INT:
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers(v) for v in value]
    return value
