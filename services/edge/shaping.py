"""Protobuf messages to the spec's JSON shapes."""

from __future__ import annotations

from typing import Any

import numpy as np
from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message

from services.kit.structs import whole_numbers

# Internal fields that are not part of the public response shapes.
_PRIVATE = {"owner_id", "model_timings"}


def to_json(message: Message, *, keep_empty: bool = True) -> dict[str, Any]:
    data = MessageToDict(message, preserving_proto_field_name=True,
                         always_print_fields_with_no_presence=keep_empty)
    return {k: v for k, v in data.items() if k not in _PRIVATE}


def coach_json(coach: Message) -> dict[str, Any]:
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


def token_json(tokens: Message) -> dict[str, Any]:
    """int64 fields print as strings in proto JSON; the spec's expires_in is a number of seconds."""
    data = to_json(tokens)
    data["expires_in"] = int(data["expires_in"])
    return data


def pose_sequence_json(seq: Message) -> dict[str, Any]:
    """The compact form a reference's poses are given in: {fps, frames: [{timestamp_ms, landmarks:
    [[wx, wy, wz, visibility] x 33] or []}]}, so what is read back can be posted again."""
    # Landmarks travel as float32: six decimals (a micrometre, a millionth of visibility) keep all they hold,
    # without float32 -> float64 noise digits.
    def landmarks(frame: Message) -> list[list[float]]:
        if not frame.detected:
            return []
        values = np.array([(lm.wx, lm.wy, lm.wz, lm.visibility) for lm in frame.landmarks], dtype=np.float64)
        return np.round(values, 6).tolist()

    return {"fps": seq.fps,
            "frames": [{"timestamp_ms": frame.timestamp_ms, "landmarks": landmarks(frame)} for frame in seq.frames]}


def reference_json(reference: Message) -> dict[str, Any]:
    if not reference.HasField("pose_sequence"):
        return to_json(reference)
    # The generic conversion of thousands of landmarks is slow: shape the metadata without them.
    metadata = type(reference)()
    metadata.CopyFrom(reference)
    metadata.ClearField("pose_sequence")
    return {**to_json(metadata), "pose_sequence": pose_sequence_json(reference.pose_sequence)}
