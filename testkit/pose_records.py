"""Pose records as a worker writes them (services.pose.decode_protocol), well-formed or broken on purpose:
for the protocol's own tests and for the hostile-worker tests of the pool."""

from __future__ import annotations

import io

import numpy as np

from services.pose.appearance import SIZE as LOOK_FLOATS
from services.pose.decode_protocol import POSE_HEAD, POSES, RECORD, write_poses


def payload(bodies: list[np.ndarray], looks: list[np.ndarray], index: int = 7, ts: float = 123.5) -> bytes:
    """The body of one POSES record (after its tag and length)."""
    out = io.BytesIO()
    write_poses(out, index, ts, bodies, looks)
    data = out.getvalue()
    tag, length = RECORD.unpack_from(data)
    assert tag == POSES and length == len(data) - RECORD.size
    return data[RECORD.size:]


def people(n: int, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """n random people: their landmark arrays and appearance vectors."""
    rng = np.random.default_rng(seed)
    return ([rng.random((33, 8), dtype=np.float32) for _ in range(n)],
            [rng.random(LOOK_FLOATS, dtype=np.float32) for _ in range(n)])


def one_person() -> bytes:
    return payload(*people(1))


def with_count(body: bytes, count: int) -> bytes:
    """The record body with its people count changed (and nothing else)."""
    index, ts, _ = POSE_HEAD.unpack_from(body)
    return POSE_HEAD.pack(index, ts, count) + body[POSE_HEAD.size:]


def poisoned(value: float, where: str) -> bytes:
    bodies, looks = people(1)
    (looks if where == "look" else bodies)[0].flat[5] = value
    return payload(bodies, looks, ts=value if where == "timestamp" else 0.0)
