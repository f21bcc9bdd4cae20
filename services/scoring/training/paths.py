"""Client-given folders resolved inside a configured root: no traversal, no absolute escape, no symlink escape."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.kit import errors

REFERENCES_PREFIX = "references:"


@dataclass(frozen=True)
class Resolved:
    path: Path  # real path (symlinks followed), inside the root
    relative: str  # what is stored: the same place relative to the root ("." for the root itself)


def resolve_inside(root: Path, given: str, field: str, setting: str) -> Resolved:
    """`given` (relative to `root`, or absolute) as a real path that must stay inside `root`.

    Symlinks are followed before the check, so a link pointing out of the root is refused like `..`.
    The root's own location is never echoed back: users see paths relative to it."""
    if "\x00" in given:
        raise errors.InvalidRequest("Invalid request parameters", details={field: "must not contain NUL characters"})
    real_root = root.resolve()
    candidate = Path(given)
    real = (candidate if candidate.is_absolute() else real_root / candidate).resolve()
    if real != real_root and real_root not in real.parents:
        raise errors.InvalidRequest(
            "Invalid request parameters",
            details={field: f"must be a folder inside the configured root ({setting}); give a path relative to it"})
    return Resolved(real, str(real.relative_to(real_root)))


def under(root: Path, relative: str) -> Path:
    """A stored relative path back under this process's root, checked again (a link may have changed)."""
    resolved = resolve_inside(root, relative, "path", "root")
    return resolved.path
