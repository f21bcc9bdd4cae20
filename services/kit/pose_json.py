"""A PoseSequence as compact JSON: {fps, frames: [{timestamp_ms, landmarks: [[wx, wy, wz, visibility] x 33] or []}]}.

The form the REST API takes and gives reference poses in, and the pose-sequence files training reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from google.protobuf.message import Message


def sequence_json(seq: Message) -> dict[str, Any]:
    """World landmarks (m) and visibility per frame; a frame without the performer has no landmarks."""
    # Landmarks travel as float32: six decimals (a micrometre, a millionth of visibility) keep all they hold,
    # without float32 -> float64 noise digits.
    def landmarks(frame: Message) -> list[list[float]]:
        if not frame.detected or len(frame.landmarks) != 33:
            return []
        values = np.array([(lm.wx, lm.wy, lm.wz, lm.visibility) for lm in frame.landmarks], dtype=np.float64)
        return np.round(values, 6).tolist()

    return {"fps": seq.fps,
            "frames": [{"timestamp_ms": frame.timestamp_ms, "landmarks": landmarks(frame)} for frame in seq.frames]}
