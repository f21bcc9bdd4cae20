"""Video files: private temp storage with a size cap, format sniffing, OpenCV probing and frame decoding."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

import cv2
import numpy as np

from services.kit import errors

TEMP_PREFIX = "kataforge-pose-"
# FFmpeg may only read local files: a container that references URLs (playlists) cannot make us fetch.
_FFMPEG_OPTIONS = "protocol_whitelist;file"
SUPPORTED = "MP4, MOV, M4V, 3GP, WebM, MKV, AVI, MPEG-TS, MPEG-PS, FLV or Ogg"
# HEIF/AVIF still images are ISO-BMFF files too; these ftyp brands mark them.
_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
_ISO_TOP_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"moof", b"mfra",
                  b"meta", b"styp", b"sidx", b"pdin", b"prft", b"emsg"}


@contextlib.contextmanager
def private_dir(root: str | Path | None = None) -> Iterator[Path]:
    """A fresh 0700 directory that is removed with everything in it, even when the body raises."""
    path = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


class UploadSink:
    """Writes an upload to our own file, refusing it as soon as it exceeds `max_bytes`."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path, self.max_bytes, self.size = path, max_bytes, 0
        self._file: BinaryIO | None = open(path, "xb")  # never follows or overwrites an existing file

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            self.close()
            raise too_large(self.max_bytes)
        assert self._file is not None, "write after close"
        self._file.write(chunk)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> "UploadSink":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def too_large(max_bytes: int) -> errors.PayloadTooLarge:
    return errors.PayloadTooLarge(f"The video is larger than the {max_bytes / 1048576:g} MiB limit",
                                  details={"video": f"more than {max_bytes} bytes"})


@dataclass(frozen=True)
class VideoInfo:
    fps: float
    frame_count: int  # as declared by the container (0 when it declares none)
    width: int  # of decoded frames, after the rotation metadata is applied
    height: int
    duration_ms: float
    rotation: int  # degrees from the container's metadata, already applied to frames


@dataclass(frozen=True)
class Frame:
    index: int  # position in the decoded video, counting from 0
    timestamp_ms: float  # presentation time from the container
    rgb: np.ndarray  # (height, width, 3) uint8


def describe(head: bytes) -> str | None:
    """Name of a recognised video container, or None; raises InvalidRequest naming a non-video file."""
    if head[4:8] == b"ftyp":
        if head[8:12] in _IMAGE_BRANDS:
            raise errors.InvalidRequest("The uploaded file is a HEIF/AVIF image, not a video",
                                        details={"video": "still image (HEIF/AVIF)"})
        return "mp4"
    if head[4:8] in _ISO_TOP_BOXES:
        return "mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "avi"
    if len(head) > 376 and head[0] == head[188] == head[376] == 0x47:
        return "mpegts"
    if head.startswith(b"\x00\x00\x01\xba"):
        return "mpegps"
    if head.startswith(b"FLV"):
        return "flv"
    if head.startswith(b"OggS"):
        return "ogg"
    for magic, kind in ((b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
                        (b"GIF8", "a GIF image"), (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a ZIP archive"),
                        (b"BM", "a BMP image"), (b"RIFF", "a RIFF file that is not AVI (e.g. WAV or WebP)")):
        if head.startswith(magic):
            raise errors.InvalidRequest(f"The uploaded file is {kind}, not a video",
                                        details={"video": f"{kind}; expected {SUPPORTED}"})
    if _looks_like_text(head):
        raise errors.InvalidRequest("The uploaded file is text, not a video",
                                    details={"video": f"text; expected {SUPPORTED}"})
    return None


def _looks_like_text(head: bytes) -> bool:
    sample = head[:4096]
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a multi-byte character cut at the end of the sample
            return False
        text = sample[:exc.start].decode("utf-8")
    return all(ch.isprintable() or ch in "\r\n\t\f" for ch in text)


def check_iso_boxes(path: Path) -> None:
    """Walk the top-level boxes of an MP4/MOV: a box running past the end of the file means truncation."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        offset = 0
        while offset + 8 <= size:
            handle.seek(offset)
            header = handle.read(16)
            box_size, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if box_size == 1 and len(header) >= 16:
                box_size = int.from_bytes(header[8:16], "big")  # 64-bit "largesize"
            elif box_size == 0:
                return  # the box extends to the end of the file
            if box_size < 8:
                raise errors.InvalidRequest("The video file is corrupt: an MP4 box has an impossible size",
                                            details={"video": f"box at byte {offset} declares {box_size} bytes"})
            if offset + box_size > size:
                raise errors.InvalidRequest(
                    "The video file is truncated: it ends before its data does (was the upload cut short?)",
                    details={"video": f"'{kind.decode('latin-1')}' box needs {offset + box_size} bytes, "
                                      f"the file has {size}"})
            offset += box_size


@contextlib.contextmanager
def _capture(path: Path) -> Iterator[cv2.VideoCapture]:
    # OpenCV reads this variable when a capture is opened; only our own temp path is ever passed.
    os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", _FFMPEG_OPTIONS)
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        yield cap
    finally:
        cap.release()


def probe(path: Path, max_seconds: float) -> VideoInfo:
    """Check that the file is a decodable video within the duration limit and read its properties."""
    size = path.stat().st_size
    if size == 0:
        raise errors.InvalidRequest("The uploaded video is empty", details={"video": "0 bytes"})
    with open(path, "rb") as handle:
        head = handle.read(4096)
    kind = describe(head)
    if kind is None:
        raise errors.InvalidRequest(f"The uploaded file is not a recognised video format (expected {SUPPORTED})",
                                    details={"video": "unrecognised file format"})
    if kind in ("mp4", "mov"):
        check_iso_boxes(path)
    with _capture(path) as cap:
        if not cap.isOpened():
            raise errors.InvalidRequest("The video could not be opened: the file is damaged or incomplete "
                                        f"(e.g. an MP4 without its index), or its {kind} content is unsupported",
                                        details={"video": "cannot be decoded"})
        fps = cap.get(cv2.CAP_PROP_FPS)
        declared = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        rotation = int(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0)
        ok, first = cap.read()
    if not ok or first is None:
        raise errors.InvalidRequest("The video has no decodable frames", details={"video": "no frame could be decoded"})
    if not fps or not np.isfinite(fps) or fps <= 0 or fps > 1000:
        raise errors.InvalidRequest("The video does not declare a usable frame rate",
                                    details={"video": f"frame rate {fps!r}"})
    frame_count = int(declared) if np.isfinite(declared) and declared > 0 else 0
    duration_ms = frame_count * 1000.0 / fps
    if duration_ms > max_seconds * 1000.0:
        raise errors.InvalidRequest(f"The video is {duration_ms / 1000:.1f} s long; the limit is {max_seconds:g} s",
                                    details={"video": f"longer than {max_seconds:g} s"})
    height, width = first.shape[:2]  # OpenCV applies the rotation metadata to decoded frames
    return VideoInfo(fps=float(fps), frame_count=frame_count, width=width, height=height,
                     duration_ms=duration_ms, rotation=rotation)


@dataclass
class DecodeStats:
    decoded: int = 0  # frames decoded so far, analysed or not
    last_timestamp_ms: float = 0.0


def frames(path: Path, info: VideoInfo, max_seconds: float, stride: int = 1,
           stats: DecodeStats | None = None) -> Iterator[Frame]:
    """Decode every frame (timestamps need it) and yield every `stride`-th one as RGB.

    Timestamps are the container's presentation times (CAP_PROP_POS_MSEC). Where a container gives
    a non-increasing time, the frame is placed one nominal frame period (1000 / fps ms) after the last.
    """
    stats = stats if stats is not None else DecodeStats()
    period = 1000.0 / info.fps
    last = -np.inf
    index = 0
    with _capture(path) as cap:
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        while True:
            ok = cap.grab()
            if not ok:
                break
            ts = cap.get(cv2.CAP_PROP_POS_MSEC)
            ts = ts if np.isfinite(ts) and ts > last else (last + period if np.isfinite(last) else 0.0)
            last = ts
            stats.decoded, stats.last_timestamp_ms = index + 1, float(ts)
            if ts > max_seconds * 1000.0:
                raise errors.InvalidRequest(f"The video is longer than the {max_seconds:g} s limit",
                                            details={"video": f"longer than {max_seconds:g} s"})
            if index % stride == 0:
                ok, bgr = cap.retrieve()
                if not ok or bgr is None:
                    break
                yield Frame(index=index, timestamp_ms=float(ts), rgb=cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
            index += 1
    # Containers with an exact frame table (MP4, MOV) declare their count; far fewer decoded = damaged data.
    if info.frame_count and index < 0.9 * info.frame_count - 1:
        raise errors.InvalidRequest(
            f"The video is truncated or damaged: only {index} of its {info.frame_count} frames could be decoded",
            details={"video": f"{index} of {info.frame_count} frames decoded"})
