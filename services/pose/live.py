"""Live pose tracking: one session per stream (image decoding, landmarker, performer, One Euro
smoothing) and the newest-frame slot that gives back-pressure by dropping stale frames."""

from __future__ import annotations

import asyncio
import math
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import cv2
import numpy as np

from services.kit import errors
from services.pose.landmarker import Landmarker
from services.kit.landmark_signal import SignalConfig, streaming_filter
from services.pose.tracking import LivePerformer

RAW_CHANNELS = {"rgb24": 3, "bgr24": 3, "gray8": 1}
# MediaPipe counts time in int64 microseconds; 1e15 ms (~31,700 years) leaves room for any epoch.
MAX_TIMESTAMP_MS = 1e15
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}

T = TypeVar("T")


def encoded_size(data: bytes) -> tuple[int, int]:
    """(width, height) read from a PNG or JPEG header, without decoding the pixels.

    Checked against the pixel limit before cv2.imdecode, so a small file declaring a huge image
    (a decompression bomb) is refused without allocating it.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data.startswith(b"\xff\xd8"):
        pos = 2
        while pos + 9 <= len(data):
            if data[pos] != 0xFF:
                break
            marker = data[pos + 1]
            if marker == 0xFF:  # fill byte before a marker
                pos += 1
                continue
            if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # standalone markers carry no length
                pos += 2
                continue
            length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
            if marker in _JPEG_SOF:
                height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
                return width, height
            pos += 2 + length
    raise errors.InvalidRequest("A live frame must be a JPEG or PNG image, or a raw image",
                                details={"encoded": "not a JPEG or PNG image"})


def check_timestamp(timestamp_ms: float) -> None:
    """A frame's capture time must be a finite number MediaPipe can count in int64 microseconds."""
    if not math.isfinite(timestamp_ms) or abs(timestamp_ms) > MAX_TIMESTAMP_MS:
        raise errors.InvalidRequest(f"timestamp_ms must be a finite number of milliseconds no larger than "
                                    f"{MAX_TIMESTAMP_MS:g} in size, got {timestamp_ms!r}",
                                    details={"timestamp_ms": repr(timestamp_ms)})


def to_rgb(*, encoded: bytes | None = None, raw_format: str = "", width: int = 0, height: int = 0,
           raw: bytes | None = None, max_pixels: int) -> np.ndarray:
    """An RGB uint8 (H, W, 3) array from an encoded or raw frame, after checking its size."""
    if encoded is not None:
        width, height = encoded_size(encoded)
    elif raw_format not in RAW_CHANNELS:
        raise errors.InvalidRequest(f"Unknown raw image format {raw_format!r}; use rgb24, bgr24 or gray8",
                                    details={"raw.format": raw_format or "missing"})
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise errors.InvalidRequest(f"A live frame of {width}x{height} is outside the limit of {max_pixels:,} "
                                    "pixels; send smaller frames (640x480 to 1280x720 is typical)",
                                    details={"image": f"{width}x{height}"})
    if encoded is not None:
        bgr = cv2.imdecode(np.frombuffer(encoded, dtype=np.uint8), cv2.IMREAD_COLOR)
        if bgr is None:
            raise errors.InvalidRequest("The live frame could not be decoded (damaged JPEG/PNG)",
                                        details={"encoded": "cannot be decoded"})
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    channels = RAW_CHANNELS[raw_format]
    assert raw is not None
    if len(raw) != width * height * channels:
        raise errors.InvalidRequest(f"A {width}x{height} {raw_format} image needs {width * height * channels} "
                                    f"bytes, got {len(raw)}", details={"raw.data": f"{len(raw)} bytes"})
    pixels = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, channels)
    if raw_format == "rgb24":
        return pixels.copy()
    return cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB if raw_format == "bgr24" else cv2.COLOR_GRAY2RGB)


@dataclass(frozen=True)
class LiveResult:
    detected: bool
    landmarks: np.ndarray | None  # (33, 8), smoothed world and image coordinates
    people_seen: int


class LiveSession:
    """Tracking state of one live stream. Not thread-safe: call from one worker thread only."""

    def __init__(self, bundle: Path, *, num_poses: int, smoothing: str, max_pixels: int,
                 delegate: str = "cpu") -> None:
        if smoothing not in ("", "one_euro", "none"):
            raise errors.InvalidRequest(f"Unknown live smoothing {smoothing!r}; use one_euro or none",
                                        details={"options.smoothing": smoothing})
        self.max_pixels = max_pixels
        self._model = Landmarker(bundle, num_poses=num_poses, delegate=delegate)
        self._filter = None if smoothing == "none" else streaming_filter(SignalConfig(smoothing="one_euro"))
        self._performer: LivePerformer | None = None
        self._position = 0
        self._gap_since: float | None = None

    def process(self, rgb: np.ndarray, timestamp_ms: float) -> LiveResult:
        check_timestamp(timestamp_ms)
        if self._performer is None:
            self._performer = LivePerformer(rgb.shape[1], rgb.shape[0])
        people = self._model.detect(rgb, timestamp_ms)
        chosen = self._performer.choose(self._position, timestamp_ms, people)
        self._position += 1
        if chosen is None:
            if self._filter is not None:
                self._filter.reset()  # a later detection may be someone else: do not smooth across
            return LiveResult(detected=False, landmarks=None, people_seen=len(people))
        landmarks = chosen.copy()
        if self._filter is not None:
            landmarks[:, :6] = self._filter(timestamp_ms, chosen[:, :6].astype(np.float64))
        return LiveResult(detected=True, landmarks=landmarks, people_seen=len(people))

    def close(self) -> None:
        self._model.close()


class LatestSlot(Generic[T]):
    """Holds only the newest item: put() replaces an item not yet taken (counting it as dropped),
    so a slow consumer always gets the latest frame and memory never grows with the backlog."""

    def __init__(self) -> None:
        self._item: T | None = None
        self._has_item = asyncio.Event()
        self.closed = False
        self.dropped = 0
        self.received_at = 0.0

    def put(self, item: T) -> None:
        if self._item is not None:
            self.dropped += 1
        self._item, self.received_at = item, time.perf_counter()
        self._has_item.set()

    def close(self) -> None:
        self.closed = True
        self._has_item.set()

    async def take(self) -> tuple[T, float] | None:
        """The newest item and when it arrived, or None once closed and empty."""
        while self._item is None:
            if self.closed:
                return None
            self._has_item.clear()
            await self._has_item.wait()
        item, self._item = self._item, None
        return item, self.received_at
