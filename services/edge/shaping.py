"""Protobuf messages to the spec's JSON shapes."""

from __future__ import annotations

import math
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
    if analysis.HasField("timeline"):
        # Shaped by hand (timeline_json): the generic conversion is slow on its many numbers and prints NaN
        # as the string "NaN".
        rest = type(analysis)()
        rest.CopyFrom(analysis)
        rest.ClearField("timeline")
        data = to_json(rest)
        data["timeline"] = timeline_json(analysis.timeline)
    else:
        data = to_json(analysis)
    if not data.get("details"):
        data.pop("details", None)
    return data


def _numbers(values) -> list[float | None]:
    """NaN (not measured) -> null."""
    return [v if math.isfinite(v) else None for v in values]


def _size(size: Message) -> dict[str, int]:
    return {"width": size.width, "height": size.height}


def _landmarks(frames) -> list[dict[str, Any]]:
    return [{"points": [round(v, 4) for v in frame.points]} for frame in frames]  # float32: 4 decimals kept


def _series(items) -> list[dict[str, Any]]:
    return [{"name": s.name, "unit": s.unit, "values": _numbers(s.values), "description": s.description}
            for s in items]


def timeline_json(timeline: Message) -> dict[str, Any]:
    """A verbose analysis' AnalysisTimeline as the web page reads it: null for a value not measured, the
    alignment as [frame, reference frame] pairs, "reference" only when a coach's reference was compared."""
    data = {
        "frame_times_ms": _numbers(timeline.frame_times_ms),
        "frames_analysed": timeline.frames_analysed, "frame_step": timeline.frame_step,
        "image_size": _size(timeline.image_size),
        "landmarks": _landmarks(timeline.landmarks),
        "series": _series(timeline.series),
        "repetitions": [{"index": r.index, "effector": r.effector, "start_ms": r.start_ms, "end_ms": r.end_ms,
                         "peak_ms": r.peak_ms, "peak_speed_m_s": r.peak_speed_m_s, "held": r.held,
                         "phases": [{"name": p.name, "start_ms": p.start_ms, "end_ms": p.end_ms} for p in r.phases]}
                        for r in timeline.repetitions],
        "correction_times_ms": _numbers(timeline.correction_times_ms),
    }
    if timeline.HasField("reference"):
        ref = timeline.reference
        data["reference"] = {
            "reference_id": ref.reference_id, "technique": ref.technique, "image_size": _size(ref.image_size),
            "frame_times_ms": _numbers(ref.frame_times_ms),
            "landmarks": _landmarks(ref.landmarks), "series": _series(ref.series),
            "alignment": [[p.frame, p.reference_frame] for p in ref.alignment],
            "aligned": list(ref.aligned),
            "repetitions": [{"index": m.index, "reference_index": m.reference_index, "mirrored": m.mirrored,
                             "similarity_pct": m.similarity_pct} for m in ref.repetitions],
        }
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
