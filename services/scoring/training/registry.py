"""Model registry: the project's default models (files built by `make`) and coaches' trained models (PostgreSQL).

The analysis core asks `latest(coach, model_type)` for a coach's newest trained model; since models
live in the database, a model trained on any replica is usable on every replica without a restart.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from services.scoring.training.store import ModelStore, StoredModel

log = logging.getLogger("kataforge.models")

# The sizes GET /models reports (the spec's fields), read from a model's manifest when present.
DIM_KEYS = ("input_dim", "output_dim", "hidden_dim", "layers", "lstm_units", "lstm_layers", "attention_heads",
            "output_aspects", "embedding_dim")


@dataclass
class ModelEntry:
    name: str  # the model type: graphsage, form_assessor, style_encoder
    type: str  # what it does (technique_classifier, form_analysis, ...)
    version: str
    description: str
    created_at: datetime | None
    updated_at: datetime | None
    coach: str = ""  # "" for the project's default models
    training_id: str = ""
    accuracy: float | None = None
    classes: list[str] = field(default_factory=list)
    dims: dict[str, int] = field(default_factory=dict)
    open_set: dict[str, Any] | None = None   # the manifest's "open_set" block (technique classifiers trained with one)


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def entry_from_manifest(manifest: dict[str, Any], **fields: Any) -> ModelEntry:
    accuracy = manifest.get("accuracy")
    values: dict[str, Any] = dict(
        name=str(manifest.get("name") or ""), type=str(manifest.get("type") or ""),
        version=str(manifest.get("version") or ""), description=str(manifest.get("description") or ""),
        created_at=_timestamp(manifest.get("created_at")), updated_at=_timestamp(manifest.get("created_at")),
        accuracy=float(accuracy) if isinstance(accuracy, (int, float)) else None,
        classes=[str(c) for c in manifest.get("classes") or []],
        dims={k: int(v) for k in DIM_KEYS if isinstance(v := manifest.get(k), (int, float)) and not isinstance(v, bool)},
        open_set=manifest["open_set"] if isinstance(manifest.get("open_set"), dict) else None)
    values.update(fields)
    return ModelEntry(**values)


def read_default_models(folder: Path) -> list[ModelEntry]:
    """Every <name>.json manifest with its <name>.onnx beside it (times from the manifest, else the file's)."""
    entries = []
    for manifest_path in sorted(folder.glob("*.json")):
        onnx_path = manifest_path.with_suffix(".onnx")
        if not onnx_path.is_file():
            log.warning("default model manifest %s has no %s beside it; not listed", manifest_path.name, onnx_path.name)
            continue
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as exc:
            log.warning("default model manifest %s is unreadable (%s); not listed", manifest_path.name, exc)
            continue
        if not isinstance(manifest, dict):
            continue
        modified = datetime.fromtimestamp(onnx_path.stat().st_mtime, timezone.utc)
        entry = entry_from_manifest(manifest, name=str(manifest.get("name") or manifest_path.stem),
                                    updated_at=_timestamp(manifest.get("updated_at")) or modified)
        entry.created_at = entry.created_at or modified
        entries.append(entry)
    return entries


class ModelRegistry:
    def __init__(self, store: ModelStore, model_dir: Path) -> None:
        self.store = store
        self.default_dir = model_dir / "scoring"
        self._warned_missing = False

    async def latest(self, coach: str, model_type: str) -> StoredModel | None:
        """(version, onnx_bytes, manifest) of the coach's newest trained model of that type, else None."""
        return await self.store.latest(coach, model_type)

    async def latest_version(self, coach: str, model_type: str) -> int | None:
        """The newest version number alone: cheap enough to ask on every analysis, to reload on change."""
        return await self.store.latest_version(coach, model_type)

    async def default_models(self) -> list[ModelEntry]:
        if not self.default_dir.is_dir():
            if not self._warned_missing:
                log.warning("no default models: %s does not exist (build them with make)", self.default_dir)
                self._warned_missing = True
            return []
        return await asyncio.to_thread(read_default_models, self.default_dir)

    async def list_models(self, coach: str = "") -> list[ModelEntry]:
        """Default models, then each coach's newest trained model per type (one coach's only, if given)."""
        entries = await self.default_models()
        for row in await self.store.newest_per_coach(coach):
            manifest = json.loads(row["manifest"])
            entries.append(entry_from_manifest(
                manifest, name=row["model_type"], version=str(row["version"]), coach=row["coach"],
                training_id=row["training_id"] or "", created_at=row["first_created_at"], updated_at=row["created_at"]))
        return entries
