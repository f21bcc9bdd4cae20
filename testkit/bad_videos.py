"""Builders of bad upload files (empty, mislabelled, damaged, hostile), made at test time from real videos and ffmpeg."""

from __future__ import annotations

import random
import struct
import subprocess
import zlib
from pathlib import Path
from typing import Callable, Iterator

from services.kit.paths import VIDEOS

# A person, H.264, index (moov) at the end of the file.
PERSON = VIDEOS / "pose2sim-balancing-cam01.mp4"
# VP9, index at the start: cut in half, a lenient decoder could still play the first half.
INDEX_FIRST = VIDEOS / "pose2sim-balancing-cam02.mp4"
TEN_HOURS_S = 36000

# The part of the service expected to refuse each case: 'preflight' (magic bytes, services.pose.video),
# 'header' (services.pose.container), 'decode' (the decoder), None (analysable).
REFUSED_BY: dict[str, str | None] = {
    "zero_bytes": "preflight", "text": "preflight", "png_renamed": "preflight", "playlist": "preflight",
    "playlist_mp4": "preflight", "truncated_mp4": "header", "pixel_bomb": "header", "audio_only": "header",
    "ten_hours": "header", "corrupted_frames": "decode", "one_frame": None,
}


def ffmpeg(*args: str | Path) -> None:
    """Run the ffmpeg binary of the imageio-ffmpeg dev dependency, bit-exact and quiet."""
    import imageio_ffmpeg  # dev dependency: imported only when a builder needs it

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-y", "-loglevel", "error", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"ffmpeg failed ({done.returncode}): {done.stderr.decode(errors='replace')[-2000:]}")


# Same bytes on every run and machine: no metadata (dates, encoder version), one encoder thread.
_EXACT = ("-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact", "-map_metadata", "-1")


def _h264(preset: str = "veryfast") -> tuple[str, ...]:
    return "-c:v", "libx264", "-preset", preset, "-threads", "1", "-pix_fmt", "yuv420p"


def _boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of the boxes in data[start:end] (our own ffmpeg output: trusted)."""
    while start + 8 <= end:
        size, kind = struct.unpack(">I4s", data[start:start + 8])
        body = start + 8
        if size == 1:
            size, body = struct.unpack(">Q", data[start + 8:start + 16])[0], start + 16
        elif size == 0:
            size = end - start
        yield kind, body, start + size
        start += size


def find_boxes(data: bytes | bytearray, *path: bytes) -> list[tuple[int, int]]:
    """(payload start, box end) of every box at a path of box types, e.g. find_boxes(d, b"moov", b"mvhd")."""
    spans = [(0, len(data))]
    for kind in path:
        spans = [(body, end) for start, stop in spans for k, body, end in _boxes(data, start, stop) if k == kind]
    return spans


# ---- refused by magic bytes (services.pose.video) ------------------------------------------------------------
def zero_bytes(directory: Path) -> Path:
    path = directory / "zero_bytes.mp4"
    path.write_bytes(b"")
    return path


def text(directory: Path) -> Path:
    path = directory / "text.mp4"
    path.write_text("This is not a video. It is a text file with an .mp4 name.\n" * 40, encoding="utf-8")
    return path


def png_renamed(directory: Path) -> Path:
    """A real PNG (a frame of a real video) named .mp4."""
    path = directory / "png_renamed.mp4"
    ffmpeg("-i", PERSON, "-frames:v", "1", "-vf", "scale=270:480", "-c:v", "png", "-f", "image2", "-update", "1",
           *_EXACT, path)
    return path


_PLAYLIST = ("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n"
             "#EXTINF:10.0,\nfile:///etc/passwd\n#EXTINF:10.0,\nhttp://169.254.169.254/latest/meta-data/\n"
             "#EXT-X-ENDLIST\n")


def playlist(directory: Path) -> Path:
    """An HLS playlist pointing at a local file and the cloud metadata service: FFmpeg must never follow it."""
    path = directory / "playlist.m3u8"
    path.write_text(_PLAYLIST, encoding="ascii")
    return path


def playlist_mp4(directory: Path) -> Path:
    path = directory / "playlist.mp4"
    path.write_text(_PLAYLIST, encoding="ascii")
    return path


# ---- refused by the MP4 header check (services.pose.container) -----------------------------------------------
def truncated_mp4(directory: Path) -> Path:
    """The first half of a real video whose index comes first: the media data box runs past the end."""
    path = directory / "truncated.mp4"
    data = INDEX_FIRST.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    return path


def pixel_bomb(directory: Path) -> Path:
    """A valid 7680x4320 H.264 video of three flat frames: about 10 KB that decode to 100 MB of pixels each."""
    path = directory / "pixel_bomb.mp4"
    # ultrafast is the quickest at 8K; CABAC (off in ultrafast) makes flat frames ten times smaller.
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=7680x4320:r=30", "-frames:v", "3", *_h264("ultrafast"),
           "-x264-params", "cabac=1", *_EXACT, path)
    return path


def audio_only(directory: Path) -> Path:
    """One second of a 440 Hz tone in AAC: an MP4 (M4A) with no video track."""
    path = directory / "audio_only.m4a"
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=1", "-c:a", "aac", "-b:a", "32k",
           *_EXACT, path)
    return path


def _put(data: bytearray, offset: int, size: int, value: int) -> None:
    assert value < 1 << (8 * size), f"{value} does not fit in {size} bytes"
    data[offset:offset + size] = value.to_bytes(size, "big")


def ten_hours(directory: Path) -> Path:
    """A valid 1 s, 10-frame video whose movie, track and media headers (and edit list) claim 10 hours."""
    source = directory / "ten_hours_source.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=128x72:r=10", "-frames:v", "10", *_h264(), *_EXACT, source)
    data = bytearray(source.read_bytes())
    source.unlink()
    (mvhd, _), = find_boxes(data, b"moov", b"mvhd")
    wide = data[mvhd] == 1  # version 1: 64-bit times
    movie_scale = int.from_bytes(data[mvhd + (20 if wide else 12):][:4], "big")
    _put(data, mvhd + (24 if wide else 16), 8 if wide else 4, TEN_HOURS_S * movie_scale)
    for tkhd, _ in find_boxes(data, b"moov", b"trak", b"tkhd"):
        wide = data[tkhd] == 1
        _put(data, tkhd + (28 if wide else 20), 8 if wide else 4, TEN_HOURS_S * movie_scale)
    for mdhd, _ in find_boxes(data, b"moov", b"trak", b"mdia", b"mdhd"):
        wide = data[mdhd] == 1
        scale = int.from_bytes(data[mdhd + (20 if wide else 12):][:4], "big")
        _put(data, mdhd + (24 if wide else 16), 8 if wide else 4, TEN_HOURS_S * scale)
    for elst, _ in find_boxes(data, b"moov", b"trak", b"edts", b"elst"):
        wide = data[elst] == 1  # first entry's segment duration, in the movie time scale
        _put(data, elst + 8, 8 if wide else 4, TEN_HOURS_S * movie_scale)
    path = directory / "ten_hours.mp4"
    path.write_bytes(bytes(data))
    return path


# ---- refused by the decoder, or analysable -------------------------------------------------------------------
def corrupted_frames(directory: Path) -> Path:
    """A real H.264 video with its index intact and every byte of its media data replaced by (seeded) noise."""
    path = directory / "corrupted_frames.mp4"
    data = bytearray(PERSON.read_bytes())
    (start, end), = find_boxes(data, b"mdat")
    data[start:end] = random.Random(20240601).randbytes(end - start)
    path.write_bytes(bytes(data))
    return path


def one_frame(directory: Path) -> Path:
    """A valid H.264 video of exactly one frame, a real person standing: short, but analysable."""
    path = directory / "one_frame.mp4"
    ffmpeg("-i", PERSON, "-frames:v", "1", "-vf", "scale=540:960", "-an", *_h264(), *_EXACT, path)
    return path


# Case name -> (builder, a substring of the message that refuses it; None = must be analysed successfully).
CASES: dict[str, tuple[Callable[[Path], Path], str | None]] = {
    "zero_bytes": (zero_bytes, "The uploaded video is empty"),
    "text": (text, "text, not a video"),
    "png_renamed": (png_renamed, "PNG image, not a video"),
    "playlist": (playlist, "text, not a video"),
    "playlist_mp4": (playlist_mp4, "text, not a video"),
    "truncated_mp4": (truncated_mp4, "truncated"),
    "pixel_bomb": (pixel_bomb, "7680x4320 is larger than the 3840x2160 limit"),
    "audio_only": (audio_only, "no video track"),
    "ten_hours": (ten_hours, f"{TEN_HOURS_S:.1f} s long; the limit is 600 s"),
    "corrupted_frames": (corrupted_frames, "no decodable frames"),
    "one_frame": (one_frame, None),
}


def build_all(directory: Path) -> dict[str, tuple[Path, str | None]]:
    """Build every case into `directory` (which must exist); name -> (file, expected message substring)."""
    return {name: (build(directory), expected) for name, (build, expected) in CASES.items()}


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side: int = 20000) -> bytes:
    """A valid grey PNG of side x side pixels (1.2 GB once decoded to RGB) in about 400 KB."""
    packer = zlib.compressobj(9)
    row = bytes(side + 1)  # filter byte 0, then a row of black pixels
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))


def png_bytes() -> bytes:
    """A valid 1x1 PNG image."""
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + png_chunk(b"IEND", b""))


def truncated(name: str, fraction: float = 0.5) -> bytes:
    data = (VIDEOS / name).read_bytes()
    return data[: int(len(data) * fraction)]


# A playlist names URLs (here the cloud metadata service) a lenient demuxer would fetch; refused as text.
PLAYLIST = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://169.254.169.254/latest/meta-data\n"

# cam01 keeps its MP4 index (moov) at the end, cam02 at the start: truncation fails differently.
BAD_UPLOADS = {
    "empty": (b"", "The uploaded video is empty"),
    "text": (b"this is not a video, just some words\n" * 20, "text, not a video"),
    "png": (png_bytes(), "PNG image, not a video"),
    "truncated-index-at-end": (truncated("pose2sim-balancing-cam01.mp4"), "truncated"),
    "truncated-index-at-start": (truncated("pose2sim-balancing-cam02.mp4"), "truncated"),
    "random-bytes": (bytes(range(7, 256)) * 50, "not a recognised video format"),
}
