"""MP4 header reading and limits: real videos against OpenCV, synthetic hostile structures, limit refusals."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import pytest

from services.kit import errors
from services.kit.paths import VIDEOS
from services.pose.container import ContainerHeader, HeaderLimits, MediaTrack, check_header, read_iso_header
from testkit.bad_videos import ffmpeg, find_boxes

IDENTITY = (0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


# ---- a tiny ISO-BMFF writer for synthetic (often hostile) files --------------------------------------------------
def box(kind: bytes, *children: bytes) -> bytes:
    payload = b"".join(children)
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def full(kind: bytes, payload: bytes, version: int = 0, flags: int = 0) -> bytes:
    return box(kind, bytes([version]) + flags.to_bytes(3, "big") + payload)


def mvhd(timescale: int = 1000, duration: int = 1000, version: int = 0) -> bytes:
    times = struct.pack(">QQIQ", 0, 0, timescale, duration) if version else struct.pack(">IIII", 0, 0, timescale,
                                                                                        duration)
    return full(b"mvhd", times + bytes(80), version)


def tkhd(width: float, height: float, matrix: tuple[int, ...] = IDENTITY, version: int = 0, track_id: int = 1) -> bytes:
    head = struct.pack(">QQIIQ", 0, 0, track_id, 0, 0) if version else struct.pack(">IIIII", 0, 0, track_id, 0, 0)
    tail = bytes(16) + struct.pack(">9i", *matrix) + struct.pack(">II", int(width * 65536), int(height * 65536))
    return full(b"tkhd", head + tail, version, flags=3)


def mdhd(timescale: int, duration: int, version: int = 0) -> bytes:
    times = struct.pack(">QQIQ", 0, 0, timescale, duration) if version else struct.pack(">IIII", 0, 0, timescale,
                                                                                        duration)
    return full(b"mdhd", times + bytes(4), version)


def stsd(codec: bytes, width: int, height: int) -> bytes:
    entry = box(codec, bytes(6) + b"\x00\x01" + bytes(16) + struct.pack(">HH", width, height) + bytes(50))
    return full(b"stsd", struct.pack(">I", 1) + entry)


def stsz(count: int, sample_size: int = 0) -> bytes:
    return full(b"stsz", struct.pack(">II", sample_size, count) + (bytes(4 * count) if sample_size == 0 else b""))


def trak(handler: bytes = b"vide", size: tuple[float, float] = (640, 360), coded: tuple[int, int] | None = None,
         samples: int = 30, timescale: int = 30, duration: int = 30, table: bytes | None = None,
         matrix: tuple[int, ...] = IDENTITY, track_id: int = 1) -> bytes:
    coded = coded if coded is not None else (int(size[0]), int(size[1]))
    entry = stsd(b"avc1", *coded) if handler == b"vide" else stsd(b"mp4a", 0, 0)
    stbl = box(b"stbl", entry, table if table is not None else stsz(samples))
    hdlr = full(b"hdlr", bytes(4) + handler + bytes(13))
    return box(b"trak", tkhd(*size, matrix=matrix, track_id=track_id),
               box(b"mdia", mdhd(timescale, duration), hdlr, box(b"minf", stbl)))


def mp4(*moov: bytes, after: bytes = b"") -> bytes:
    return box(b"ftyp", b"isom\x00\x00\x02\x00isomavc1") + box(b"moov", *moov) + box(b"mdat", bytes(64)) + after


def nested(kind: bytes, depth: int, inner: bytes) -> bytes:
    for _ in range(depth):
        inner = box(kind, inner)
    return inner


def header_of(tmp_path: Path, data: bytes) -> ContainerHeader:
    path = tmp_path / "upload.mp4"
    path.write_bytes(data)
    return read_iso_header(path)


# ---- real videos -------------------------------------------------------------------------------------------------
# name -> (width, height, frames, fps, audio tracks), as stored (none of them carries rotation metadata)
REAL = {
    "pose2sim-balancing-cam01.mp4": (1080, 1920, 100, 60, 0),
    "pose2sim-balancing-cam02.mp4": (1080, 1920, 100, 60, 1),
    "pose2sim-balancing-cam03.mp4": (1088, 1920, 100, 60, 0),
    "pose2sim-balancing-cam04.mp4": (1088, 1920, 100, 60, 0),
    "sports2d-demo.mp4": (1768, 994, 230, 30, 1),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_videos_match_opencv(name):
    header = read_iso_header(VIDEOS / name)
    (track,) = header.video_tracks
    cap = cv2.VideoCapture(str(VIDEOS / name), cv2.CAP_FFMPEG)
    try:
        seen = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), cap.get(cv2.CAP_PROP_FPS),
                int(cap.get(cv2.CAP_PROP_ORIENTATION_META)))
    finally:
        cap.release()
    width, height, frames, fps, audio = REAL[name]
    assert (track.width, track.height, track.sample_count, track.rotation) == (width, height, frames, 0)
    assert (track.width, track.height, track.sample_count, track.rotation) == (seen[0], seen[1], seen[2], seen[4])
    assert (track.coded_width, track.coded_height) == (width, height)
    assert track.sample_count / track.duration_s == pytest.approx(fps) == pytest.approx(seen[3])
    assert header.duration_s == pytest.approx(frames / fps, abs=0.1) and not header.fragmented
    assert [t.kind for t in header.tracks].count("audio") == audio and header.stream_count == 1 + audio
    check_header(header, HeaderLimits())


@pytest.mark.parametrize("matrix, rotation", [((0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000), 90),
                                              ((-0x10000, 0, 0, 0, -0x10000, 0, 0, 0, 0x40000000), 180),
                                              ((0, -0x10000, 0, 0x10000, 0, 0, 0, 0, 0x40000000), 270)])
def test_rotation_from_the_track_matrix(tmp_path, matrix, rotation):
    data = bytearray((VIDEOS / "sports2d-demo.mp4").read_bytes())
    (body, _), _ = find_boxes(data, b"moov", b"trak", b"tkhd")
    data[body + 40:body + 76] = struct.pack(">9i", *matrix)  # version 0: the matrix follows 40 bytes of fields
    path = tmp_path / "rotated.mp4"
    path.write_bytes(bytes(data))
    track = read_iso_header(path).video_tracks[0]
    assert (track.rotation, track.width, track.height) == (rotation, 1768, 994)
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    assert int(cap.get(cv2.CAP_PROP_ORIENTATION_META)) % 360 == rotation
    cap.release()


@pytest.mark.parametrize("display_rotation", [90, 180, 270])
def test_rotation_written_by_ffmpeg_matches_opencv(tmp_path, display_rotation):
    source, path = tmp_path / "source.mp4", tmp_path / "rotated.mov"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=64x48:r=10", "-frames:v", "3", "-c:v", "libx264", "-threads", "1", source)
    ffmpeg("-display_rotation:v", str(display_rotation), "-i", source, "-c", "copy", path)
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    opencv = int(cap.get(cv2.CAP_PROP_ORIENTATION_META))
    cap.release()
    # FFmpeg's display rotation turns counter-clockwise; OpenCV and we report the clockwise turn to apply.
    assert read_iso_header(path).video_tracks[0].rotation == opencv == 360 - display_rotation


# ---- structure: versions, size forms, tables --------------------------------------------------------------------
def test_version_1_times_and_ids(tmp_path):
    video = box(b"trak", tkhd(1920, 1080, version=1, track_id=7),
                box(b"mdia", mdhd(90000, 90000 * 12, version=1), full(b"hdlr", bytes(4) + b"vide" + bytes(13)),
                    box(b"minf", box(b"stbl", stsd(b"hvc1", 1920, 1080), stsz(360)))))
    header = header_of(tmp_path, mp4(mvhd(600, 600 * 12, version=1), video))
    assert header.duration_s == 12.0
    assert header.tracks == (MediaTrack(kind="video", width=1920, height=1080, duration_s=12.0, sample_count=360,
                                   rotation=0, coded_width=1920, coded_height=1080, codec="hvc1", track_id=7),)


def test_sample_entry_size_when_tkhd_has_none_and_fallback_counts(tmp_path):
    stz2 = full(b"stz2", bytes(3) + b"\x08" + struct.pack(">I", 50) + bytes(50))
    stts = full(b"stts", struct.pack(">I", 2) + struct.pack(">IIII", 40, 1, 2, 3))
    header = header_of(tmp_path, mp4(mvhd(1000, 0), trak(size=(0, 0), coded=(320, 240), table=stz2),
                                     trak(b"soun", size=(0, 0), table=stts, timescale=44100, duration=88200)))
    video, audio = header.tracks
    assert (video.width, video.height, video.sample_count) == (320, 240, 50)
    assert (audio.kind, audio.width, audio.sample_count, audio.duration_s) == ("audio", 0, 42, 2.0)
    assert header.duration_s == 2.0  # mvhd declares none: the longest track's


def test_largesize_and_size_zero_boxes_are_followed_without_reading_media(tmp_path):
    head = box(b"ftyp", b"isom\x00\x00\x02\x00isom") + box(b"moov", mvhd(), trak())
    path = tmp_path / "huge.mp4"
    gib = 1 << 30
    with open(path, "wb") as handle:  # a sparse 5 GiB mdat (64-bit size), then a trailing size-0 box
        handle.write(head + struct.pack(">I4sQ", 1, b"mdat", 16 + 5 * gib))
        handle.seek(len(head) + 16 + 5 * gib)
        handle.write(struct.pack(">I4s", 0, b"free") + bytes(100))
    assert read_iso_header(path).video_tracks[0].sample_count == 30


def test_fragmented_counts_and_durations_come_from_the_fragments(tmp_path):
    empty = trak(samples=0, duration=0, track_id=1)  # 30 ticks a second
    mvex = box(b"mvex", full(b"mehd", struct.pack(">I", 3000)), full(b"trex", struct.pack(">5I", 1, 1, 2, 0, 0)))

    def moof(count: int, flags: int, tfhd: bytes = b"", tfhd_flags: int = 0) -> bytes:
        entry = struct.pack(">I", 1) if flags & 0x100 else b""  # duration 1, then a size
        trun = full(b"trun", struct.pack(">I", count) + (entry + bytes(4)) * count, flags=flags)
        traf = box(b"traf", full(b"tfhd", struct.pack(">I", 1) + tfhd, flags=tfhd_flags), trun)
        return box(b"moof", full(b"mfhd", bytes(4)), traf) + box(b"mdat", bytes(8))

    # trex default (2 ticks) x 30, explicit 1 x 60, tfhd default (3 ticks, after the description index) x 10
    fragments = moof(30, 0x200) + moof(60, 0x300) + moof(10, 0x200, struct.pack(">II", 1, 3), tfhd_flags=0x0A)
    header = header_of(tmp_path, mp4(mvhd(1000, 0), empty, mvex, after=fragments))
    (track,) = header.tracks
    assert header.fragmented and track.sample_count == 100 and track.duration_s == (60 + 60 + 30) / 30
    assert header.duration_s == 5.0  # the fragments' (longer than mehd's 3 s)


def test_real_fragmented_mp4(tmp_path):
    path = tmp_path / "fragmented.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=64x48:r=10", "-frames:v", "20", "-c:v", "libx264", "-g", "5",
           "-threads", "1", "-movflags", "frag_keyframe+empty_moov", path)
    header = read_iso_header(path)
    assert header.fragmented and header.video_tracks[0].sample_count == 20
    assert header.duration_s == pytest.approx(2.0) == pytest.approx(header.video_tracks[0].duration_s)
    assert (header.video_tracks[0].width, header.video_tracks[0].height) == (64, 48)
    check_header(header, HeaderLimits())


# ---- hostile or broken structure ---------------------------------------------------------------------------------
FTYP = box(b"ftyp", b"isom\x00\x00\x02\x00isom")
GOOD = mp4(mvhd(), trak())
MALFORMED = {
    "empty": (b"", "The uploaded video is empty"),
    "text": (b"this is not a video\n" * 10, "not an MP4/MOV video"),
    "png": (b"\x89PNG\r\n\x1a\n" + box(b"IHDR", bytes(13)), "not an MP4/MOV video"),
    "random": (bytes(range(7, 256)) * 50, "not an MP4/MOV video"),
    "size-below-header": (FTYP + struct.pack(">I4s", 4, b"moov") + bytes(64), "impossible size"),
    "largesize-below-header": (FTYP + struct.pack(">I4sQ", 1, b"mdat", 12) + bytes(64), "impossible size"),
    "largesize-cut": (FTYP + struct.pack(">I4s", 1, b"mdat") + b"\x00\x00", "impossible size"),
    "truncated": (GOOD[:len(GOOD) - 40], "truncated"),
    "mdat-past-end": (FTYP + box(b"moov", mvhd(), trak()) + struct.pack(">I4s", 1 << 20, b"mdat"), "truncated"),
    "child-overruns-parent": (FTYP + box(b"moov", mvhd(), struct.pack(">I4s", 4096, b"trak")), "impossible size"),
    "no-moov": (FTYP + box(b"mdat", bytes(100)), "no index (moov)"),
    "fragment-only": (box(b"styp", b"msdh") + box(b"moof", full(b"mfhd", bytes(4))) + box(b"mdat", b""),
                      "no index (moov)"),
    "nested-too-deeply": (FTYP + nested(b"moov", 20, mvhd()), "nested too deeply"),
    "too-many-boxes": (FTYP + box(b"moov", mvhd(), *[box(b"free")] * 10_001), "too many MP4 boxes"),
    "sample-table-too-short": (mp4(mvhd(), trak(table=full(b"stsz", struct.pack(">II", 0, 1 << 30)))),
                               "impossible size"),
    "unknown-version": (mp4(full(b"mvhd", bytes(100), version=7), trak()), "unknown version 7"),
    "zero-timescale": (mp4(mvhd(0, 100), trak()), "time scale of 0"),
    "short-tkhd": (mp4(mvhd(), box(b"trak", full(b"tkhd", bytes(20)))), "impossible size"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_structure_is_refused(tmp_path, case):
    data, expected = MALFORMED[case]
    with pytest.raises(errors.InvalidRequest) as caught:
        header_of(tmp_path, data)
    assert expected in caught.value.message and caught.value.details["video"]


# ---- limits ------------------------------------------------------------------------------------------------------
OVER_LIMITS = {
    "pixel-bomb": (mp4(mvhd(), trak(size=(7680, 4320))), "7680x4320 is larger than the 3840x2160 limit"),
    "coded-size-bomb": (mp4(mvhd(), trak(size=(640, 360), coded=(7680, 4320))), "7680x4320 is larger"),
    "no-size": (mp4(mvhd(), trak(size=(0, 0), coded=(0, 0))), "declares no picture size (0x0)"),
    "absurd-aspect": (mp4(mvhd(), trak(size=(65000, 16))), "65000x16 is not plausible"),
    "streams": (mp4(mvhd(), *[trak(track_id=i) for i in range(1, 10)]), "9 streams (tracks); the limit is 8"),
    "audio-only": (mp4(mvhd(), trak(b"soun", size=(0, 0))), "The file has no video track (audio only?)"),
    "no-tracks": (mp4(mvhd()), "no video track"),
    "ten-hours": (mp4(mvhd(1000, 36_000_000, version=1), trak()), "36000.0 s long; the limit is 600 s"),
    "long-media-short-movie": (mp4(mvhd(1000, 1000), trak(timescale=30, duration=30 * 700)), "700.0 s long"),
    "frames": (mp4(mvhd(), trak(table=stsz(200_000, sample_size=1))), "200000 frames; the limit is 144000"),
}


@pytest.mark.parametrize("case", sorted(OVER_LIMITS))
def test_limits_are_refused_with_the_reason(tmp_path, case):
    data, expected = OVER_LIMITS[case]
    header = header_of(tmp_path, data)
    with pytest.raises(errors.InvalidRequest) as caught:
        check_header(header, HeaderLimits())
    assert expected in caught.value.message and caught.value.details["video"]


def test_within_limits_passes_and_limits_are_configurable(tmp_path):
    portrait_4k = header_of(tmp_path, mp4(mvhd(), trak(size=(2160, 3840), samples=144_000)))
    check_header(portrait_4k, HeaderLimits())
    with pytest.raises(errors.InvalidRequest, match="larger than the 1920x1080 limit"):
        check_header(portrait_4k, HeaderLimits(max_pixels=1920 * 1080))
    with pytest.raises(errors.InvalidRequest, match="1.7 s long; the limit is 1 s"):
        check_header(read_iso_header(VIDEOS / "pose2sim-balancing-cam01.mp4"), HeaderLimits(max_seconds=1))
