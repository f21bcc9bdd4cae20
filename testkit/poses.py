"""Pose sequences built for tests: a standing performer (BlazePose world metres) throwing a right jab."""

from __future__ import annotations

import math

from kataforge.common.v1 import common_pb2

# Approximate BlazePose world landmarks of an adult standing in guard (x right, y down, z away from the camera),
# metres around the centre of the hips, in BlazePose order (0 nose ... 32 right foot index).
STANDING = [
    (0.0, -0.62, -0.05), (0.02, -0.65, -0.07), (0.03, -0.65, -0.07), (0.04, -0.65, -0.07),
    (-0.02, -0.65, -0.07), (-0.03, -0.65, -0.07), (-0.04, -0.65, -0.07), (0.08, -0.63, 0.0),
    (-0.08, -0.63, 0.0), (0.02, -0.58, -0.05), (-0.02, -0.58, -0.05), (0.18, -0.45, 0.0),
    (-0.18, -0.45, 0.0), (0.22, -0.2, -0.1), (-0.22, -0.2, -0.1), (0.12, -0.4, -0.2),
    (-0.12, -0.4, -0.2), (0.11, -0.42, -0.22), (-0.11, -0.42, -0.22), (0.1, -0.43, -0.22),
    (-0.1, -0.43, -0.22), (0.11, -0.41, -0.21), (-0.11, -0.41, -0.21), (0.1, 0.0, 0.0),
    (-0.1, 0.0, 0.0), (0.12, 0.42, -0.05), (-0.12, 0.42, 0.05), (0.13, 0.82, 0.0),
    (-0.13, 0.82, 0.1), (0.14, 0.86, 0.03), (-0.14, 0.86, 0.13), (0.12, 0.9, -0.1), (-0.12, 0.9, 0.0),
]
RIGHT_HAND = (16, 18, 20, 22)


def jab_sequence(frames: int = 30, fps: float = 30.0, *, empty: tuple[int, ...] = (),
                 start_ms: float = 0.0) -> common_pb2.PoseSequence:
    """`frames` frames at `fps`; the right hand extends 0.45 m forward and back. Frames in `empty` show no one."""
    seq = common_pb2.PoseSequence(fps=fps)
    for i in range(frames):
        frame = seq.frames.add(timestamp_ms=start_ms + i * 1000.0 / fps)
        if i in empty:
            continue
        frame.detected = True
        reach = 0.45 * math.sin(math.pi * i / max(frames - 1, 1))
        for j, (wx, wy, wz) in enumerate(STANDING):
            frame.landmarks.add(wx=wx, wy=wy, wz=wz - reach if j in RIGHT_HAND else wz, visibility=0.9,
                                presence=0.95)
    return seq


def compact(seq: common_pb2.PoseSequence) -> dict:
    """The REST form of a sequence: {fps, frames: [{timestamp_ms, landmarks: [[wx, wy, wz, visibility]]}]}."""
    return {"fps": seq.fps, "frames": [
        {"timestamp_ms": f.timestamp_ms, "landmarks": [[lm.wx, lm.wy, lm.wz, lm.visibility] for lm in f.landmarks]}
        for f in seq.frames]}
