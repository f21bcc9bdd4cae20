"""The boxes of an MP4/MOV (ISO-BMFF) file, walked once: box headers and the small header boxes only (media
data is never read), every size checked, with limits on the boxes' count and nesting. container.py turns what
the walk found into tracks and checks them against the upload limits."""

from __future__ import annotations

import array
import math
import struct
import sys
from dataclasses import dataclass
from typing import BinaryIO

from services.kit import errors

MAX_DEPTH = 8  # real files nest moov/trak/mdia/minf/stbl: 5 levels
MAX_BOXES = 10_000  # a normal file has a few dozen; fragmented ones a few per fragment
TOP_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"uuid", b"moof", b"mfra",
              b"meta", b"styp", b"sidx", b"pdin", b"prft", b"emsg"}
# Boxes whose children we walk; everything else is skipped by seeking past it (mdat is never read).
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf"}
_UNKNOWN_32, _UNKNOWN_64 = 0xFFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF  # "duration indeterminate"
_TABLE_CHUNK = 1 << 16
_U32_ARRAY = next(code for code in "IL" if array.array(code).itemsize == 4)


def refuse(message: str, detail: str) -> errors.InvalidRequest:
    return errors.InvalidRequest(message, details={"video": detail})


def corrupt(detail: str) -> errors.InvalidRequest:
    return refuse("The video file is corrupt: an MP4 box has an impossible size", detail)


def printable_name(kind: bytes) -> str:
    # Box types come from the upload: keep only printable characters for messages and logs.
    return "".join(c if c.isprintable() else "?" for c in kind.decode("latin-1"))


@dataclass
class TrakRecord:
    """What one trak declared so far (its boxes may come in any order)."""

    track_id: int = 0
    handler: bytes = b""
    width: float = 0.0  # tkhd, 16.16 fixed point
    height: float = 0.0
    rotation: int = 0
    timescale: int = 0
    duration: int = 0
    codec: bytes = b""
    coded_width: int = 0
    coded_height: int = 0
    samples: int | None = None  # from stsz/stz2
    stts: tuple[int, int] | None = None  # (offset, entries) of the time-to-sample table: summed if no stsz


def _need(data: bytes, n: int, kind: str) -> bytes:
    if len(data) < n:
        raise corrupt(f"'{kind}' box is {len(data)} bytes, needs {n}")
    return data


def _u32(data: bytes, at: int) -> int:
    return int.from_bytes(data[at:at + 4], "big")


def _times(data: bytes, kind: str) -> tuple[int, int]:
    """(timescale, duration) of an mvhd/mdhd box, versions 0 and 1; duration 0 when indeterminate."""
    version = _need(data, 4, kind)[0]
    if version not in (0, 1):
        raise refuse(f"The video file is corrupt: its '{kind}' box has unknown version {version}",
                     f"'{kind}' version {version}")
    layout, size = (">20xIQ", 32) if version else (">12xII", 20)  # past version/flags and the two dates
    timescale, duration = struct.unpack(layout, _need(data, size, kind)[:size])
    if timescale == 0:
        raise refuse("The video file is corrupt: it declares a time scale of 0", f"'{kind}' timescale 0")
    return timescale, 0 if duration == (_UNKNOWN_64 if version else _UNKNOWN_32) else duration


def _add(counts: dict[int, int], key: int, value: int) -> None:
    counts[key] = counts.get(key, 0) + value


class BoxReader:
    """One pass over the boxes of one file, reading only box headers and the small header boxes."""

    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.handle, self.size, self.boxes = handle, size, 0
        self.movie_timescale = self.movie_duration = self.fragment_duration = 0  # mehd: in the movie timescale
        self.open: list[TrakRecord] = []  # trak boxes being walked (innermost last)
        self.done: list[TrakRecord] = []
        self.fragmented = False
        # Fragments (moof/traf): per track_ID, the samples and their summed durations; the defaults of
        # the traf being walked (tfhd) and of each track (trex, in moov, which precedes its fragments).
        self.fragment_samples: dict[int, int] = {}
        self.fragment_ticks: dict[int, int] = {}
        self.traf_track: int | None = None
        self.traf_duration: int | None = None
        self.trex_duration: dict[int, int] = {}

    def read(self, offset: int, end: int, want: int) -> bytes:
        self.handle.seek(offset)
        return self.handle.read(max(0, min(want, end - offset)))

    def children(self, start: int, end: int, top: bool) -> list[tuple[bytes, int, int]]:
        """(type, payload start, box end) of each box in [start, end), checking every size."""
        found, offset = [], start
        while end - offset >= 8:  # fewer bytes than a box header: padding, ignored like FFmpeg does
            self.boxes += 1
            if self.boxes > MAX_BOXES:
                raise refuse(f"The video file has too many MP4 boxes (more than {MAX_BOXES}); "
                             "re-encode it as a regular MP4", f"more than {MAX_BOXES} boxes")
            header = self.read(offset, end, 16)
            box_size, kind, body = _u32(header, 0), header[4:8], offset + 8
            if box_size == 1:
                if len(header) < 16:
                    raise corrupt(f"'{printable_name(kind)}' box at byte {offset} has no room for its 64-bit size")
                box_size, body = int.from_bytes(header[8:16], "big"), offset + 16
            elif box_size == 0:
                box_size = end - offset  # the box extends to the end of the file (or of its parent)
            if box_size < body - offset:
                raise corrupt(f"'{printable_name(kind)}' box at byte {offset} declares {box_size} bytes")
            if offset + box_size > end:
                if top:
                    raise refuse(
                        "The video file is truncated: it ends before its data does (was the upload cut short?)",
                        f"'{printable_name(kind)}' box needs {offset + box_size} bytes, the file has {self.size}")
                raise corrupt(f"'{printable_name(kind)}' box at byte {offset} runs {offset + box_size - end} bytes "
                              "past the box that contains it")
            found.append((kind, body, offset + box_size))
            offset += box_size
        return found

    def walk(self, start: int, end: int, parent: bytes, depth: int) -> None:
        for kind, body, box_end in self.children(start, end, top=False):
            if kind in _CONTAINERS:
                if depth >= MAX_DEPTH:
                    raise refuse("The video file is corrupt: its MP4 boxes are nested too deeply",
                                 f"more than {MAX_DEPTH} levels of boxes")
                self.enter(kind)
                self.walk(body, box_end, kind, depth + 1)
                if kind == b"trak":
                    self.done.append(self.open.pop())
            elif (parent, kind) in _LEAVES:
                getattr(self, kind.decode("ascii"))(self.read(body, box_end, 128), body, box_end)

    def enter(self, kind: bytes) -> None:
        if kind == b"trak":
            self.open.append(TrakRecord())
        elif kind == b"traf":
            self.traf_track = self.traf_duration = None
        elif kind == b"moof":
            self.fragmented = True

    @property
    def trak(self) -> TrakRecord:
        # A track box outside any trak (a hostile layout) is parsed into a record that is then dropped.
        return self.open[-1] if self.open else TrakRecord()

    def column_sum(self, offset: int, entries: int, entry_size: int) -> int:
        """Sum of the first 32-bit field of each table entry (stts counts, trun durations), read in chunks."""
        total, end = 0, offset + entry_size * entries
        while offset < end:
            chunk = self.read(offset, end, _TABLE_CHUNK - _TABLE_CHUNK % entry_size)
            column = array.array(_U32_ARRAY, chunk[:len(chunk) - len(chunk) % 4])
            if sys.byteorder == "little":
                column.byteswap()
            total += sum(column[::entry_size // 4])
            offset += len(chunk)
        return total

    # ---- the boxes we read: (parent, type) in _LEAVES; `data` is at most the first 128 bytes of the payload
    def mvhd(self, data: bytes, body: int, end: int) -> None:
        if not self.movie_timescale:  # the first one counts
            self.movie_timescale, self.movie_duration = _times(data, "mvhd")

    def mehd(self, data: bytes, body: int, end: int) -> None:
        size = 8 if _need(data, 4, "mehd")[0] == 1 else 4
        self.fragment_duration = int.from_bytes(_need(data, 4 + size, "mehd")[4:4 + size], "big")

    def tkhd(self, data: bytes, body: int, end: int) -> None:
        wide = _need(data, 4, "tkhd")[0] == 1
        base = 36 if wide else 24  # past version/flags, times, track_ID, reserved, duration
        _need(data, base + 60, "tkhd")
        self.trak.track_id = _u32(data, 20 if wide else 12)
        a, b = struct.unpack(">ii", data[base + 16:base + 24])  # matrix [a b u; c d v; x y w], 16.16
        # Phones mark portrait video with a quarter-turn matrix: the first row's angle, to the nearest 90.
        self.trak.rotation = round(math.degrees(math.atan2(b, a)) / 90) % 4 * 90 if (a or b) else 0
        self.trak.width, self.trak.height = _u32(data, base + 52) / 65536, _u32(data, base + 56) / 65536

    def mdhd(self, data: bytes, body: int, end: int) -> None:
        self.trak.timescale, self.trak.duration = _times(data, "mdhd")

    def hdlr(self, data: bytes, body: int, end: int) -> None:
        self.trak.handler = _need(data, 12, "hdlr")[8:12]

    def stsd(self, data: bytes, body: int, end: int) -> None:
        # First sample entry: size, type, 6 reserved, data_reference_index, 16 bytes, then (if visual) w, h.
        if len(data) >= 16 and _u32(data, 4) > 0:
            self.trak.codec = data[12:16]
            if len(data) >= 44:
                self.trak.coded_width, self.trak.coded_height = struct.unpack(">HH", data[40:44])

    def stsz(self, data: bytes, body: int, end: int) -> None:
        sample_size, count = _u32(_need(data, 12, "stsz"), 4), _u32(data, 8)
        if sample_size == 0 and 12 + 4 * count > end - body:
            raise corrupt(f"'stsz' lists {count} samples in {end - body} bytes")
        self.trak.samples = count

    def stz2(self, data: bytes, body: int, end: int) -> None:
        field_size, count = _need(data, 12, "stz2")[7], _u32(data, 8)
        if 12 + math.ceil(count * field_size / 8) > end - body:
            raise corrupt(f"'stz2' lists {count} samples in {end - body} bytes")
        self.trak.samples = count

    def stts(self, data: bytes, body: int, end: int) -> None:
        entries = _u32(_need(data, 8, "stts"), 4)
        if 8 + 8 * entries > end - body:
            raise corrupt(f"'stts' lists {entries} entries in {end - body} bytes")
        self.trak.stts = (body + 8, entries)

    def trex(self, data: bytes, body: int, end: int) -> None:
        self.trex_duration[_u32(_need(data, 16, "trex"), 4)] = _u32(data, 12)

    def tfhd(self, data: bytes, body: int, end: int) -> None:
        flags, self.traf_track, self.traf_duration = _u32(_need(data, 8, "tfhd"), 0) & 0xFFFFFF, _u32(data, 4), None
        if flags & 0x08:  # default-sample-duration-present, after the optional base offset and description index
            at = 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
            self.traf_duration = _u32(_need(data, at + 4, "tfhd"), at)

    def trun(self, data: bytes, body: int, end: int) -> None:
        flags, count = _u32(_need(data, 8, "trun"), 0) & 0xFFFFFF, _u32(data, 4)
        table = body + 8 + (4 if flags & 0x01 else 0) + (4 if flags & 0x04 else 0)  # data offset, first flags
        entry = 4 * sum(1 for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit)
        if table + entry * count > end:
            raise corrupt(f"'trun' lists {count} samples in {end - body} bytes")
        track = self.traf_track
        if track is not None:
            _add(self.fragment_samples, track, count)
            default = self.traf_duration if self.traf_duration is not None else self.trex_duration.get(track, 0)
            # sample-duration-present: the first field of each entry; else all have the default duration
            ticks = self.column_sum(table, count, entry) if flags & 0x100 else count * default
            _add(self.fragment_ticks, track, ticks)

_LEAVES = {(b"moov", b"mvhd"), (b"mvex", b"mehd"), (b"mvex", b"trex"), (b"trak", b"tkhd"), (b"mdia", b"mdhd"),
           (b"mdia", b"hdlr"), (b"stbl", b"stsd"), (b"stbl", b"stsz"), (b"stbl", b"stz2"), (b"stbl", b"stts"),
           (b"traf", b"tfhd"), (b"traf", b"trun")}
