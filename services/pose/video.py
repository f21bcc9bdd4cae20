"""Video files: private temp storage with a size cap, format sniffing and structural checks (no decoding)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator

from services.kit import errors

TEMP_PREFIX = "kataforge-pose-"
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
    rotation: int  # degrees from the container's metadata, already applied to frames
    stride: int = 1  # every stride-th frame analysed (decode_protocol.analysis_stride)
    trackers: int = 1  # BlazePose trackers the analysed frames were dealt to (decode_protocol.tracker_count)


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


def preflight(path: Path) -> str:
    """The checks made in the service process before any decoder sees the file: not empty, a known
    video container (by its magic bytes, never its name), and for MP4/MOV an intact box structure.
    Returns the container kind. The header limits (pixels, duration, streams) are checked next by
    services.pose.container, and decoding itself happens in the sandboxed decoder process."""
    if path.stat().st_size == 0:
        raise errors.InvalidRequest("The uploaded video is empty", details={"video": "0 bytes"})
    with open(path, "rb") as handle:
        head = handle.read(4096)
    kind = describe(head)
    if kind is None:
        raise errors.InvalidRequest(f"The uploaded file is not a recognised video format (expected {SUPPORTED})",
                                    details={"video": "unrecognised file format"})
    if kind in ("mp4", "mov"):
        check_iso_boxes(path)
    return kind
