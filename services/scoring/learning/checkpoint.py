"""Training checkpoints: atomic per-epoch files, finding the latest, loading them safely and checking them."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import torch

from services.kit.errors import InvalidRequest

FORMAT = "kataforge.learning.checkpoint/1"
_NAME = re.compile(r"^epoch_(\d{4,})\.pt$")
REQUIRED = ("format", "model_type", "classes", "epoch", "best_accuracy", "config", "model", "optimizer")


def file_name(epoch: int) -> str:
    return f"epoch_{epoch:04d}.pt"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save(folder: Path, payload: dict[str, Any]) -> Path:
    """Write folder/epoch_NNNN.pt so that it appears complete or not at all, and survives a power cut.

    A hidden temporary file in the same folder (same file system: os.replace is an atomic rename) is
    written, flushed and fsynced, renamed over the final name, then the folder entry itself is fsynced.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / file_name(int(payload["epoch"]))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{final.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(folder)
    return final


def latest(folder: Path) -> Path | None:
    """The checkpoint of the highest epoch in the folder (temporary files are never candidates)."""
    found = [(int(m.group(1)), p) for p in Path(folder).iterdir() if p.is_file() and (m := _NAME.match(p.name))]
    return max(found)[1] if found else None


def load(path: Path) -> dict[str, Any]:
    """A checkpoint's payload, or InvalidRequest saying why it cannot be used.

    torch.load(weights_only=True) only rebuilds tensors and plain containers: a crafted file cannot
    run code when it is unpickled.
    """
    path = Path(path)
    if path.is_dir():
        found = latest(path)
        if found is None:
            raise InvalidRequest(f"No complete checkpoint (epoch_NNNN.pt) in {str(path)!r} to resume from",
                                 details={"resume_from": "no checkpoint in folder"})
        path = found
    if not path.is_file():
        raise InvalidRequest(f"Checkpoint {str(path)!r} does not exist", details={"resume_from": "not found"})
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, foreign pickle, not a torch file at all
        raise InvalidRequest(f"Checkpoint {str(path)!r} is corrupt or not a KataForge checkpoint "
                             f"({type(exc).__name__}): resume from an earlier epoch or start afresh",
                             details={"resume_from": "corrupt checkpoint"}) from None
    missing = [k for k in REQUIRED if not isinstance(payload, dict) or k not in payload]
    if missing or payload.get("format") != FORMAT:
        raise InvalidRequest(f"Checkpoint {str(path)!r} is not a KataForge training checkpoint "
                             f"(missing {', '.join(missing) or 'format tag'})",
                             details={"resume_from": "not a training checkpoint"})
    payload["path"] = str(path)
    return payload


def check_compatible(payload: dict[str, Any], model_type: str, classes: list[str], seed: int,
                     val_fraction: float) -> None:
    """InvalidRequest unless the checkpoint continues this very training (same model, labels and split)."""
    where = payload.get("path", "the checkpoint")
    if payload["model_type"] != model_type:
        raise InvalidRequest(f"{where} is a {payload['model_type']} checkpoint; it cannot resume a {model_type} "
                             "training", details={"resume_from": "other model type"})
    if list(payload["classes"]) != list(classes):
        raise InvalidRequest(f"{where} was trained on the classes {list(payload['classes'])}, this data has "
                             f"{list(classes)}: resume with the same data, or start a new training",
                             details={"resume_from": "other classes"})
    config = payload["config"]
    if config.get("seed") != seed or config.get("val_fraction") != val_fraction:
        raise InvalidRequest(f"{where} used seed {config.get('seed')} and val_fraction {config.get('val_fraction')}; "
                             "resuming with others would move held-out repetitions into training",
                             details={"resume_from": "other split"})
