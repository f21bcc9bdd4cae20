"""Coach field rules: pure checks and normalisation over plain dicts, reporting every bad field at once."""

from __future__ import annotations

import json
import math
import re
from typing import Any, Callable, Iterable, Mapping

from services.kit.errors import InvalidRequest
from services.kit.techniques import normalise_technique

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{1,63}$")
NAME_MAX = 200
STYLE_MAX = 100
RANK_MAX = 100
YEARS_MIN, YEARS_MAX = 0, 100
LIST_ITEM_MAX = 100
LIST_MAX_ITEMS = 200
PHILOSOPHY_MAX_BYTES = 16 * 1024

DEFAULT_LIMIT, MAX_LIMIT = 100, 500

TECHNIQUE_RULE = ("short name of letters, digits and '_' starting with a letter, up to 64 characters "
                  "(e.g. 'roundhouse', 'front_kick')")
REFERENCE_NAME_MAX = 200
BODY_MASS_MIN_KG, BODY_MASS_MAX_KG = 20.0, 300.0

# Fields a client may change after creation, in the order they appear in the contract.
EDITABLE_FIELDS = ("name", "style", "rank", "years_experience", "teachers", "techniques", "teaching_philosophy")
# Fields the service owns (id is the primary key; the rest are set by the service).
IMMUTABLE_FIELDS = ("id", "owner_id", "created_at", "updated_at")
# Keys a client may send on create that are silently ignored (the service sets them).
SERVICE_SET_FIELDS = ("owner_id", "created_at", "updated_at")

REQUIRED = "This field is required"


class _FieldError(ValueError):
    """One field's problem; collected by the caller into InvalidRequest.details."""


def _text(value: Any, *, max_len: int, required: bool) -> str | None:
    if value is None:
        if required:
            raise _FieldError(REQUIRED)
        return None
    if not isinstance(value, str):
        raise _FieldError("Must be a string")
    value = value.strip()
    if not value:
        if required:
            raise _FieldError(REQUIRED)
        return None  # an empty optional text means "not set"
    if len(value) > max_len:
        raise _FieldError(f"Must be at most {max_len} characters (got {len(value)})")
    return value


def check_id(value: Any) -> str:
    if value is None or value == "":
        raise _FieldError(REQUIRED)
    if not isinstance(value, str):
        raise _FieldError("Must be a string")
    if not 2 <= len(value) <= 64:
        raise _FieldError(f"Must be 2-64 characters long (got {len(value)})")
    if not ID_PATTERN.match(value):
        raise _FieldError("Must start with a lower-case letter and contain only lower-case letters, digits, '_' or '-'")
    return value


def check_name(value: Any) -> str:
    return _text(value, max_len=NAME_MAX, required=True)


def check_style(value: Any) -> str:
    return _text(value, max_len=STYLE_MAX, required=True)


def check_rank(value: Any) -> str | None:
    return _text(value, max_len=RANK_MAX, required=False)


def check_years_experience(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FieldError("Must be an integer")
    if not YEARS_MIN <= value <= YEARS_MAX:
        raise _FieldError(f"Must be between {YEARS_MIN} and {YEARS_MAX} (got {value})")
    return value


def _string_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise _FieldError("Must be a list of strings")
    if len(value) > LIST_MAX_ITEMS:
        raise _FieldError(f"Must have at most {LIST_MAX_ITEMS} items (got {len(value)})")
    items = []
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise _FieldError(f"Item {index} must be a string")
        item = item.strip()
        if not item:
            raise _FieldError(f"Item {index} is empty")
        if len(item) > LIST_ITEM_MAX:
            raise _FieldError(f"Item {index} must be at most {LIST_ITEM_MAX} characters (got {len(item)})")
        items.append(item)
    return items


def check_teachers(value: Any) -> list[str]:
    return _string_list(value)


def _technique(name: str) -> str | None:
    """The technique's normal form (services/kit/techniques), or None when it has none."""
    try:
        return normalise_technique(name) or None
    except InvalidRequest:
        return None


def check_techniques(value: Any) -> list[str]:
    """Normalised like references' techniques, so that a reference of a listed technique is not listed twice."""
    seen: dict[str, None] = {}  # dict keeps first-seen order
    for index, item in enumerate(_string_list(value)):
        technique = _technique(item)
        if technique is None:
            raise _FieldError(f"Item {index} must be a {TECHNIQUE_RULE}")
        seen.setdefault(technique, None)
    return list(seen)


def check_teaching_philosophy(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _FieldError("Must be a JSON object")
    try:
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    except (TypeError, ValueError):
        raise _FieldError("Must contain only JSON values") from None
    if size > PHILOSOPHY_MAX_BYTES:
        raise _FieldError(f"Must be at most {PHILOSOPHY_MAX_BYTES} bytes as JSON (got {size})")
    return value


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "id": check_id, "name": check_name, "style": check_style, "rank": check_rank,
    "years_experience": check_years_experience, "teachers": check_teachers, "techniques": check_techniques,
    "teaching_philosophy": check_teaching_philosophy,
}


def _run(fields: Iterable[str], data: Mapping[str, Any], message: str,
         checks: Mapping[str, Callable[[Any], Any]] = _CHECKS) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    details: dict[str, str] = {}
    for field in fields:
        try:
            clean[field] = checks[field](data.get(field))
        except _FieldError as exc:
            details[field] = str(exc)
    if details:
        raise InvalidRequest(message, details=details)
    return clean


def _unknown(keys: Iterable[str], allowed: Iterable[str]) -> dict[str, str]:
    allowed = set(allowed)
    return {key: "Unknown field" for key in keys if key not in allowed}


def validate_new(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check a coach to create; return its normalised fields (all of them) or raise InvalidRequest.

    owner_id and timestamps in `data` are ignored: the service sets them."""
    details = _unknown(data, (*_CHECKS, *SERVICE_SET_FIELDS))
    try:
        clean = _run(_CHECKS, data, "Invalid coach")
    except InvalidRequest as exc:
        exc.details.update(details)
        raise
    if details:
        raise InvalidRequest("Invalid coach", details=details)
    return clean


def check_update_paths(paths: Iterable[str]) -> list[str]:
    """The update-mask paths, de-duplicated, or InvalidRequest naming each path that cannot be used."""
    details: dict[str, str] = {}
    result: list[str] = []
    for path in paths:
        if path in IMMUTABLE_FIELDS:
            details[path] = "This field cannot be changed"
        elif path in EDITABLE_FIELDS:
            if path not in result:
                result.append(path)
        elif path.split(".", 1)[0] in EDITABLE_FIELDS:
            details[path] = f"Only whole fields can be changed; use '{path.split('.', 1)[0]}'"
        else:
            details[path or "update_mask"] = "Unknown field" if path else "Empty field path"
    if details:
        raise InvalidRequest("Invalid update mask", details=details)
    return result


def validate_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Check the fields of an update (keys must be editable fields); None clears an optional field."""
    paths = check_update_paths(changes)
    if not paths:
        raise InvalidRequest("Nothing to change: name at least one coach field",
                             details={"update_mask": f"Name one or more of: {', '.join(EDITABLE_FIELDS)}"})
    return _run(paths, changes, "Invalid coach")


def check_page(limit: int, offset: int) -> tuple[int, int]:
    """(limit, offset) for a listing; limit 0 means the default. Raises InvalidRequest on bad values."""
    details: dict[str, str] = {}
    if limit == 0:
        limit = DEFAULT_LIMIT
    elif not 1 <= limit <= MAX_LIMIT:
        details["limit"] = f"Must be between 1 and {MAX_LIMIT} (got {limit})"
    if offset < 0:
        details["offset"] = f"Must be 0 or more (got {offset})"
    if details:
        raise InvalidRequest("Invalid pagination parameters", details=details)
    return limit, offset


def check_reference_technique(value: Any) -> str:
    """'Front-Kick ' -> 'front_kick': the same rule as coaches' techniques and analyses, so they meet."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _FieldError(REQUIRED)
    if not isinstance(value, str):
        raise _FieldError("Must be a string")
    technique = _technique(value)
    if technique is None:
        raise _FieldError(f"Must be a {TECHNIQUE_RULE}")
    return technique


def check_reference_name(value: Any) -> str | None:
    return _text(value, max_len=REFERENCE_NAME_MAX, required=False)


def check_body_mass(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _FieldError("Must be a number of kilograms")
    if not BODY_MASS_MIN_KG <= value <= BODY_MASS_MAX_KG:
        raise _FieldError(f"Must be between {BODY_MASS_MIN_KG:g} and {BODY_MASS_MAX_KG:g} kg (got {value:g})")
    return float(value)


_REFERENCE_CHECKS: dict[str, Callable[[Any], Any]] = {
    "technique": check_reference_technique, "name": check_reference_name, "body_mass_kg": check_body_mass,
}


def validate_reference(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check the descriptive fields of a new reference (technique, name, body_mass_kg); normalised or InvalidRequest."""
    return _run(_REFERENCE_CHECKS, data, "Invalid reference", _REFERENCE_CHECKS)


def check_technique_filter(value: str) -> str | None:
    """A listing's optional technique filter, normalised like a reference's technique ("" = no filter)."""
    if not value or not value.strip():
        return None
    return _run(("technique",), {"technique": value}, "Invalid technique filter", _REFERENCE_CHECKS)["technique"]
