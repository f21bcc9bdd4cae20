"""A small cache of prepared coach references: a reference is compared with many students, and
filtering it (filtering.smooth) is most of a comparison's time."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

from services.scoring.biomechanics.motion import Motion

from .performance import Performance, prepare

MAX_REFERENCES = 8   # a prepared 10 s reference holds ~5 MB of arrays

_lock = threading.Lock()
_cache: OrderedDict[tuple[str, str], Performance] = OrderedDict()


def motion_digest(motion: Motion) -> str:
    """Content hash of a Motion (a reference fetched twice is two objects with the same content)."""
    h = hashlib.blake2b(digest_size=16)
    for a in (motion.t, motion.world, motion.visibility, motion.detected):
        h.update(a.tobytes())
    if motion.image is not None:  # a video is measured from its image landmarks (measurement.py)
        h.update(motion.image.tobytes())
    h.update(f"{motion.smoothing}|{motion.filtered}|{motion.cutoff_hz!r}".encode())
    return h.hexdigest()


def prepared_reference(motion: Motion, family: str) -> Performance:
    key = (motion_digest(motion), family)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    perf = prepare(motion, family)
    with _lock:
        _cache[key] = perf
        while len(_cache) > MAX_REFERENCES:
            _cache.popitem(last=False)
    return perf
