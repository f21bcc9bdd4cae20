"""MP4/MOV (ISO-BMFF) header reading and limit checks, before any decoder sees the file (the box walk itself:
iso_boxes.py)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .iso_boxes import TOP_BOXES, BoxReader, TrakRecord, printable_name, refuse

@dataclass(frozen=True)
class MediaTrack:
    kind: str  # 'video' | 'audio' | 'other', from the media handler
    width: int  # presentation size from tkhd (the sample entry's when tkhd has none), before rotation
    height: int
    duration_s: float  # media duration (mdhd); 0.0 when not declared
    sample_count: int  # frames for video
    rotation: int  # 0, 90, 180 or 270 degrees, from the tkhd matrix
    coded_width: int = 0  # from the sample entry (stsd): the size a decoder will allocate
    coded_height: int = 0
    codec: str = ""  # sample entry type, e.g. 'avc1'
    track_id: int = 0


@dataclass(frozen=True)
class ContainerHeader:
    tracks: tuple[MediaTrack, ...]
    duration_s: float  # movie duration (mvhd), else the longest track's; 0.0 when unknown
    fragmented: bool = False  # has moof boxes: sample counts come from the fragments

    @property
    def video_tracks(self) -> tuple[MediaTrack, ...]:
        return tuple(t for t in self.tracks if t.kind == "video")

    @property
    def stream_count(self) -> int:
        return len(self.tracks)


@dataclass(frozen=True)
class HeaderLimits:
    max_pixels: int = 3840 * 2160  # 4K UHD
    max_seconds: float = 600.0
    max_fps: float = 240.0  # with max_seconds, bounds the frame count (phones film slow motion at 240)
    max_streams: int = 8
    max_side: int = 8192  # a longer side is no camera's: only a pixel bomb with an extreme aspect ratio

    @property
    def max_frames(self) -> int:
        return int(self.max_seconds * self.max_fps)


def _media_track(reader: BoxReader, t: TrakRecord) -> MediaTrack:
    """A trak the walk finished, with the samples and durations its fragments added, as a MediaTrack."""
    kind = {b"vide": "video", b"soun": "audio"}.get(t.handler, "other")
    samples = t.samples if t.samples is not None else (reader.column_sum(*t.stts, 8) if t.stts else 0)
    samples += reader.fragment_samples.get(t.track_id, 0)
    ticks = t.duration + reader.fragment_ticks.get(t.track_id, 0)
    coded = (t.coded_width, t.coded_height) if kind == "video" else (0, 0)
    width, height = (round(t.width), round(t.height)) if t.width and t.height else coded
    return MediaTrack(kind=kind, width=width, height=height, duration_s=ticks / t.timescale if t.timescale else 0.0,
                      sample_count=samples, rotation=t.rotation, coded_width=coded[0], coded_height=coded[1],
                      codec=printable_name(t.codec), track_id=t.track_id)


def read_iso_header(path: Path) -> ContainerHeader:
    """Tracks, sizes, durations and sample counts of an MP4/MOV, from its boxes alone (media data unread).

    Raises InvalidRequest for a file that is empty, not ISO-BMFF, truncated, structurally impossible,
    or without a movie index (moov).
    """
    size = path.stat().st_size
    if size == 0:
        raise refuse("The uploaded video is empty", "0 bytes")
    with open(path, "rb") as handle:
        reader = BoxReader(handle, size)
        first = reader.read(0, size, 8)[4:8]
        if first not in TOP_BOXES:
            raise refuse("The file is not an MP4/MOV video (no ISO media box at its start)",
                         f"starts with {first!r}, expected an 'ftyp' box")
        moov = False
        for kind, body, end in reader.children(0, size, top=True):
            if kind == b"moov" and not moov:  # FFmpeg, too, ignores any later moov
                moov = True
                reader.walk(body, end, kind, 1)
            elif kind == b"moof":
                reader.enter(kind)
                reader.walk(body, end, kind, 1)
        if not moov:
            raise refuse("The video file has no index (moov): the upload is incomplete, or it is a fragment "
                         "of a stream; upload the complete video file", "no 'moov' box")
        tracks = tuple(_media_track(reader, t) for t in reader.done)
    scale = reader.movie_timescale
    duration = (reader.movie_duration or reader.fragment_duration) / scale if scale else 0.0
    longest = max((t.duration_s for t in tracks), default=0.0)
    # A fragmented file's moov describes only what precedes the fragments (often nothing).
    duration = max(duration, longest) if reader.fragmented else duration or longest
    return ContainerHeader(tracks=tracks, duration_s=duration, fragmented=reader.fragmented)


def _resolution(pixels: int) -> str:
    """A pixel limit as the 16:9 size it equals (3840x2160), else as a pixel count."""
    width = round(math.sqrt(pixels * 16 / 9))
    return f"{width}x{pixels // width}" if width and width * (pixels // width) == pixels else f"{pixels:,} pixels"


def check_header(header: ContainerHeader, limits: HeaderLimits) -> None:
    """Refuse, with a message the uploader can act on, a file whose header exceeds the limits."""
    if header.stream_count > limits.max_streams:
        raise refuse(f"The video has {header.stream_count} streams (tracks); the limit is {limits.max_streams}: "
                     "export it with one video track", f"{header.stream_count} tracks")
    if not header.video_tracks:
        kinds = ", ".join(t.kind for t in header.tracks) or "none"
        raise refuse("The file has no video track (audio only?)", f"tracks: {kinds}")
    for track in header.video_tracks:
        # The decoder allocates the coded size, the display uses tkhd's: refuse if either is too large.
        width, height = max([(track.width, track.height), (track.coded_width, track.coded_height)],
                            key=lambda size: size[0] * size[1])
        size = f"{width}x{height}"
        if width <= 0 or height <= 0:
            raise refuse(f"The video track declares no picture size ({size}); the file is damaged",
                         f"video size {size}")
        if width * height > limits.max_pixels:
            raise refuse(f"The video's resolution {size} is larger than the {_resolution(limits.max_pixels)} "
                         "limit; resize the video and upload it again", f"video size {size}")
        if max(width, height) > limits.max_side:
            raise refuse(f"The video's resolution {size} is not plausible (a side longer than {limits.max_side} "
                         "pixels); re-encode it at a normal size", f"video size {size}")
    # An edit list can present less than the media holds; the decoder may still work through it all.
    longest = max([header.duration_s, *(t.duration_s for t in header.tracks)])
    if longest > limits.max_seconds:
        raise refuse(f"The video is {longest:.1f} s long; the limit is {limits.max_seconds:g} s: "
                     "trim it to the part to analyse", f"longer than {limits.max_seconds:g} s")
    frames = max(t.sample_count for t in header.video_tracks)
    if frames > limits.max_frames:
        raise refuse(f"The video has {frames} frames; the limit is {limits.max_frames} "
                     f"({limits.max_seconds:g} s at {limits.max_fps:g} fps)", f"{frames} frames")
