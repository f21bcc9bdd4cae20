"""Technique names: the one normal form that coaches list, references are stored under and analyses use."""

from __future__ import annotations

import re

from services.kit.errors import InvalidRequest

TECHNIQUE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# Clients write "Front-Kick", "front kick" or "front__kick" for the same technique; all must meet as one.
_SEPARATORS = re.compile(r"[\s_-]+")

MESSAGE = "technique must be a short name such as 'roundhouse' or 'front_kick'"
RULE = "letters, digits and '_' only, up to 64 characters"


def normalise_technique(name: str) -> str:
    """' Front-Kick ' -> 'front_kick'; an empty or blank name -> "" (no technique named: callers decide
    whether one is required).

    Lower-cases, turns each run of whitespace, '-' and '_' into one '_' and drops it at either end; the
    result must match TECHNIQUE_PATTERN or InvalidRequest is raised with details {"technique": RULE}."""
    stripped = name.strip()
    if not stripped:
        return ""
    technique = _SEPARATORS.sub("_", stripped.lower()).strip("_")
    if not TECHNIQUE_PATTERN.match(technique):  # also a name of separators only, such as "-"
        raise InvalidRequest(MESSAGE, details={"technique": RULE})
    return technique
