"""Video handling on real files: probing, rotation, timestamps, refusals, size cap, temp cleanup."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from services.kit import errors
from services.pose import video
from tests.conftest import VIDEOS
from tests.pose.conftest import BAD_UPLOADS


def _write(tmp_path: Path, data: bytes, name: str = "upload") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name, fps, size", [("pose2sim-balancing-cam01.mp4", 60.0, (1080, 1920)),
                                             ("sports2d-demo.mp4", 30.0, (1768, 994))])
def test_probe_reads_real_properties(name, fps, size):
    info = video.probe(VIDEOS / name, max_seconds=600)
    assert info.fps == fps and (info.width, info.height) == size
    assert info.duration_ms == pytest.approx(info.frame_count * 1000 / fps)


def test_frames_have_container_timestamps_and_stride():
    path = VIDEOS / "pose2sim-balancing-cam02.mp4"
    info = video.probe(path, 600)
    stats = video.DecodeStats()
    frames = list(video.frames(path, info, 600, stride=7, stats=stats))
    assert [f.index for f in frames] == list(range(0, 100, 7))
    assert stats.decoded == 100
    assert [f.timestamp_ms for f in frames] == pytest.approx([i * 1000 / 60 for i in range(0, 100, 7)], abs=0.5)
    assert frames[0].rgb.shape == (1920, 1080, 3) and frames[0].rgb.dtype == np.uint8


def _rotated_copy(tmp_path: Path) -> Path:
    """sports2d-demo with its track matrix set to a 90 degree rotation (as phones write portrait video)."""
    data = bytearray((VIDEOS / "sports2d-demo.mp4").read_bytes())
    tkhd = data.find(b"tkhd")
    assert data[tkhd + 4] == 0  # version 0 layout
    matrix = tkhd + 4 + 4 + 20 + 8 + 8
    data[matrix:matrix + 36] = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    return _write(tmp_path, bytes(data), "rotated.mp4")


def test_rotation_metadata_is_honoured(tmp_path):
    path = _rotated_copy(tmp_path)
    info = video.probe(path, 600)
    assert info.rotation == 90 and (info.width, info.height) == (994, 1768)
    first = next(video.frames(path, info, 600))
    assert first.rgb.shape == (1768, 994, 3)


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_files_are_refused_with_a_reason(tmp_path, case):
    data, message = BAD_UPLOADS[case]
    with pytest.raises(errors.InvalidRequest) as caught:
        video.probe(_write(tmp_path, data), 600)
    assert message in caught.value.message


def test_playlist_text_never_reaches_ffmpeg(tmp_path):
    playlist = b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://169.254.169.254/latest/meta-data\n"
    with pytest.raises(errors.InvalidRequest, match="text, not a video"):
        video.probe(_write(tmp_path, playlist), 600)


def test_too_long_video_is_refused():
    with pytest.raises(errors.InvalidRequest, match="limit is 1 s"):
        video.probe(VIDEOS / "pose2sim-balancing-cam01.mp4", max_seconds=1)


def test_upload_sink_enforces_the_cap(tmp_path):
    with video.UploadSink(tmp_path / "v", max_bytes=10) as sink:
        sink.write(b"12345")
        sink.write(b"67890")
        with pytest.raises(errors.PayloadTooLarge, match="limit"):
            sink.write(b"x")


def test_private_dir_is_removed_even_on_error(tmp_path):
    with pytest.raises(RuntimeError):
        with video.private_dir(tmp_path) as workdir:
            (workdir / "video").write_bytes(b"data")
            assert oct(workdir.stat().st_mode & 0o777) == "0o700"
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []
