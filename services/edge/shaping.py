"""Protobuf messages to the spec's JSON shapes."""

from __future__ import annotations

from typing import Any

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from services.kit.pose_json import sequence_json
from services.kit.structs import whole_numbers

# Internal fields that are not part of the public response shapes.
_PRIVATE = {"model_timings"}


def to_json(message: Message, *, keep_empty: bool = True) -> dict[str, Any]:
    data = MessageToDict(message, preserving_proto_field_name=True,
                         always_print_fields_with_no_presence=keep_empty)
    return {k: v for k, v in data.items() if k not in _PRIVATE}


def coach_json(coach: Message) -> dict[str, Any]:
    # Unset optional fields (rank, years_experience) are absent, as proto3 JSON prints them: Envoy's
    # transcoder answers the same call with the same body (tests/integration/test_envoy.py).
    data = to_json(coach)
    if data.get("teaching_philosophy"):
        data["teaching_philosophy"] = whole_numbers(data["teaching_philosophy"])
    else:
        data.pop("teaching_philosophy", None)
    return data


def analysis_json(analysis: Message) -> dict[str, Any]:
    data = to_json(analysis)
    if not data.get("details"):
        data.pop("details", None)
    return data


def reference_json(reference: Message) -> dict[str, Any]:
    if not reference.HasField("pose_sequence"):
        return to_json(reference)
    # The generic conversion of thousands of landmarks is slow: shape the metadata without them.
    metadata = type(reference)()
    metadata.CopyFrom(reference)
    metadata.ClearField("pose_sequence")
    return {**to_json(metadata), "pose_sequence": sequence_json(reference.pose_sequence)}


def _batch_rows(rows: list[dict[str, Any]]) -> None:
    """A completed row has no error; a row without a score (failed, or not analysed yet) and one without a
    stored analysis say null, as the spec's rows always carry both."""
    for row in rows:
        row.setdefault("score", None)
        for name in ("error", "metadata"):
            if not row.get(name):
                row.pop(name, None)
            else:
                row[name] = whole_numbers(row[name])  # Struct numbers are doubles: 5.0 back to 5
        row["analysis_id"] = row.get("analysis_id") or None


def batch_json(reply: Message) -> dict[str, Any]:
    """The spec's /batch_analyze answer (and a durable batch's results)."""
    data = to_json(reply)
    _batch_rows(data["results"])
    data["summary"].setdefault("avg_score", None)
    return data


def batch_job_json(job: Message) -> dict[str, Any]:
    """A durable batch: status, progress, and per video its status (GET /batch/status/{id})."""
    data = to_json(job)
    _batch_rows(data.get("videos", []))
    data.setdefault("finished_at", None)
    return data
