"""A stored timeline (the JSON build.py made, kept in the analysis' result) -> scoring_pb2.AnalysisTimeline.

Built by hand rather than with json_format.ParseDict: proto3 JSON has no null in a list of numbers (a value
not measured is NaN in the message), pairs are FramePair messages, and a long clip holds hundreds of
thousands of numbers, which the generic parser walks one by one.
"""

from __future__ import annotations

import math
from typing import Any

from kataforge.scoring.v1 import scoring_pb2

NAN = math.nan


def _numbers(values: list[float | None]) -> list[float]:
    return [NAN if v is None else v for v in values]


def _series(out, items: list[dict[str, Any]]) -> None:
    for s in items:
        out.add(name=s["name"], unit=s["unit"], values=_numbers(s["values"]), description=s.get("description", ""))


def _landmarks(out, items: list[dict[str, Any]]) -> None:
    for frame in items:
        out.add().points.extend(frame["points"])


def _reference(out: scoring_pb2.AlignedReference, data: dict[str, Any]) -> None:
    out.reference_id, out.technique = data["reference_id"], data["technique"]
    out.image_size.width, out.image_size.height = data["image_size"]["width"], data["image_size"]["height"]
    out.frame_times_ms.extend(_numbers(data["frame_times_ms"]))
    _landmarks(out.landmarks, data["landmarks"])
    _series(out.series, data["series"])
    for frame, reference_frame in data["alignment"]:
        out.alignment.add(frame=frame, reference_frame=reference_frame)
    out.aligned.extend(data["aligned"])
    for match in data["repetitions"]:
        out.repetitions.add(**match)


def timeline_message(data: dict[str, Any], out: scoring_pb2.AnalysisTimeline | None = None
                     ) -> scoring_pb2.AnalysisTimeline:
    """The message of a stored timeline, filled into `out` (e.g. Analysis.timeline, sparing a copy) or a new one."""
    out = scoring_pb2.AnalysisTimeline() if out is None else out
    out.frames_analysed, out.frame_step = data["frames_analysed"], data["frame_step"]
    out.frame_times_ms.extend(_numbers(data["frame_times_ms"]))
    out.image_size.width, out.image_size.height = data["image_size"]["width"], data["image_size"]["height"]
    _landmarks(out.landmarks, data["landmarks"])
    _series(out.series, data["series"])
    for rep in data["repetitions"]:
        out.repetitions.add(**{k: v for k, v in rep.items() if k != "phases"},
                            phases=[scoring_pb2.TimelinePhase(**p) for p in rep["phases"]])
    out.correction_times_ms.extend(_numbers(data["correction_times_ms"]))
    if data.get("reference"):
        _reference(out.reference, data["reference"])
    return out
