"""Checkpoint folders: every user's own folder under the checkpoints root, and the epoch files in them.

A user's checkpoint_dir / resume_from resolve inside <checkpoints root>/<their user id>/ (administrators'
too): nobody resumes from, writes into or prunes another user's run, nor learns whether it exists. The
database stores paths relative to the root (<user folder>/<path>); users see them relative to their folder.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from pathlib import Path

from services.kit import errors
from services.scoring.training.paths import Resolved, resolve_inside, under

KEEP_CHECKPOINTS = 3
_CHECKPOINT = re.compile(r"^epoch_(\d{4,})\.pt$")
_SAFE_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def user_folder(user_id: str) -> str:
    """The folder name of a user's checkpoints: the id itself when it is a plain file name (auth's UUIDs),
    else a digest of it, so that no id can name `..`, a path or another user's folder."""
    if _SAFE_COMPONENT.fullmatch(user_id) and user_id not in (".", ".."):
        return user_id
    return "u-" + hashlib.sha256(user_id.encode()).hexdigest()[:32]


def stored_checkpoint(user_id: str, shown: str) -> str:
    """What the database holds (relative to the checkpoints root, as the schema says) for a path the
    user sees relative to their own folder."""
    return user_folder(user_id) if shown == "." else f"{user_folder(user_id)}/{shown}"


def shown_checkpoint(user_id: str, stored: str) -> str:
    """The stored path as its owner gave it: relative to their own folder."""
    folder = user_folder(user_id)
    if stored == folder:
        return "."
    return stored[len(folder) + 1:] if stored.startswith(f"{folder}/") else stored


def resolve_checkpoint(root: Path, user_id: str, given: str, field: str, refusal: str) -> Resolved:
    """`given` inside the user's own folder of `root`; Resolved.relative is what to store.

    Anything else (`..`, an absolute path, a symlink out of the folder) is refused with `refusal`, the
    same words as for a missing path, so that nobody learns whether another user's folder exists. The
    lexical check comes first, before the file system is looked at."""
    if "\x00" in given or Path(given).is_absolute() or posixpath.normpath(given).split("/")[0] == "..":
        raise errors.InvalidRequest("Invalid request parameters", details={field: refusal})
    home = root / user_folder(user_id)
    try:
        resolved = resolve_inside(home, given, field, "")
    except errors.InvalidRequest:
        raise errors.InvalidRequest("Invalid request parameters", details={field: refusal}) from None
    return Resolved(resolved.path, stored_checkpoint(user_id, resolved.relative))


def checkpoint_path(root: Path, user_id: str, stored: str) -> Path:
    """A stored checkpoint path back under this process's root, inside its owner's folder, checked again."""
    return under(root / user_folder(user_id), shown_checkpoint(user_id, stored))


def checkpoints(folder: Path) -> list[Path]:
    """The folder's epoch_NNNN.pt files (the trainer's names) by epoch; its temporary files never match."""
    found = [(int(m.group(1)), p) for p in folder.glob("epoch_*.pt") if (m := _CHECKPOINT.match(p.name))]
    return [p for _, p in sorted(found)]


def newest_checkpoint(path: Path) -> Path | None:
    """The checkpoint a resume starts from: the file itself, or a folder's highest epoch; None when there
    is none here (a folder without epochs, or a path this replica does not have)."""
    if path.is_dir():
        found = checkpoints(path)
        return found[-1] if found else None
    return path if path.is_file() else None


def prune_checkpoints(folder: Path, keep: int) -> None:
    """Keep the newest `keep` epochs: each holds weights and optimizer state (MBs), every epoch of a long
    run would fill the disk, and a resume only needs the newest complete one (older ones guard a bad one)."""
    for old in checkpoints(folder)[:-keep]:
        old.unlink(missing_ok=True)
