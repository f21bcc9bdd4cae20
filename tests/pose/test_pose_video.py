"""Video files before any decoder sees them (format sniffing, MP4 box structure, refusals), the upload
size cap, private temp storage, and rotation metadata applied by the pipeline."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from services.kit import errors
from services.kit.paths import VIDEOS
from services.pose import video
from services.pose.extract import extract_poses
from testkit.bad_videos import BAD_UPLOADS, PLAYLIST
from testkit.videos import ALL_VIDEOS, EXTRACT_WORKERS


def _write(tmp_path: Path, data: bytes, name: str = "upload") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---- preflight ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL_VIDEOS)
def test_real_videos_pass_preflight(name):
    assert video.preflight(VIDEOS / name) == "mp4"


@pytest.mark.parametrize("case", sorted(BAD_UPLOADS))
def test_bad_files_are_refused_with_a_reason(tmp_path, case):
    data, message = BAD_UPLOADS[case]
    with pytest.raises(errors.InvalidRequest) as caught:
        video.preflight(_write(tmp_path, data))
    assert message in caught.value.message
    assert caught.value.details["video"]  # the field the client should fix, with a short reason


def test_playlist_text_never_reaches_ffmpeg(tmp_path):
    with pytest.raises(errors.InvalidRequest, match="text, not a video"):
        video.preflight(_write(tmp_path, PLAYLIST, "video.mp4"))  # its name does not matter


def test_heif_image_is_not_taken_for_an_mp4(tmp_path):
    heic = struct.pack(">I", 24) + b"ftypheic" + bytes(4) + b"mif1heic" + bytes(64)
    with pytest.raises(errors.InvalidRequest, match="HEIF/AVIF image"):
        video.preflight(_write(tmp_path, heic))


@pytest.mark.parametrize("head, kind", [
    (b"\x1a\x45\xdf\xa3" + bytes(60), "matroska"), (b"RIFF\x00\x00\x00\x00AVI LIST" + bytes(50), "avi"),
    (b"OggS" + bytes(60), "ogg"), (b"FLV\x01" + bytes(60), "flv"), (b"\x00\x00\x01\xba" + bytes(60), "mpegps"),
    (bytes([0x47] + [0] * 187) * 3, "mpegts"), (struct.pack(">I", 8) + b"moov" + bytes(56), "mov")])
def test_other_containers_are_recognised_by_their_magic_bytes(head, kind):
    assert video.describe(head) == kind


@pytest.mark.parametrize("magic, kind", [(b"\xff\xd8\xff\xe0", "JPEG image"), (b"%PDF-1.7", "PDF document"),
                                         (b"PK\x03\x04", "ZIP archive"), (b"RIFF\x00\x00\x00\x00WAVE", "not AVI")])
def test_other_files_are_named_in_the_refusal(magic, kind):
    with pytest.raises(errors.InvalidRequest, match=kind):
        video.describe(magic + bytes(range(256)))


def test_mp4_box_with_an_impossible_size_is_corrupt(tmp_path):
    data = bytearray((VIDEOS / "pose2sim-balancing-cam01.mp4").read_bytes())
    ftyp_size = int.from_bytes(data[:4], "big")
    data[ftyp_size:ftyp_size + 4] = (4).to_bytes(4, "big")  # the box after ftyp claims 4 bytes
    with pytest.raises(errors.InvalidRequest, match="impossible size"):
        video.preflight(_write(tmp_path, bytes(data)))


def test_check_iso_boxes_accepts_every_real_video():
    for name in ALL_VIDEOS:
        video.check_iso_boxes(VIDEOS / name)


# ---- upload storage ---------------------------------------------------------------------------------------------
def test_upload_sink_enforces_the_cap(tmp_path):
    with video.UploadSink(tmp_path / "v", max_bytes=10) as sink:
        sink.write(b"12345")
        sink.write(b"67890")
        with pytest.raises(errors.PayloadTooLarge, match="limit"):
            sink.write(b"x")
    assert (tmp_path / "v").read_bytes() == b"1234567890"  # nothing past the cap was written


def test_upload_sink_never_overwrites_an_existing_file(tmp_path):
    target = tmp_path / "v"
    target.write_bytes(b"keep")
    with pytest.raises(FileExistsError):
        video.UploadSink(target, max_bytes=10)
    assert target.read_bytes() == b"keep"


def test_private_dir_is_removed_even_on_error(tmp_path):
    with pytest.raises(RuntimeError):
        with video.private_dir(tmp_path) as workdir:
            (workdir / "video").write_bytes(b"data")
            assert oct(workdir.stat().st_mode & 0o777) == "0o700"
            assert workdir.name.startswith(video.TEMP_PREFIX)
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_private_dir_is_removed_after_use(tmp_path):
    with video.private_dir(tmp_path) as workdir:
        (workdir / "nested").mkdir()
        (workdir / "nested" / "video").write_bytes(b"data")
    assert not workdir.exists() and list(tmp_path.iterdir()) == []


# ---- rotation metadata ------------------------------------------------------------------------------------------
def _rotated_copy(tmp_path: Path) -> Path:
    """sports2d-demo with its track matrix set to a 90 degree rotation (as phones write portrait video)."""
    data = bytearray((VIDEOS / "sports2d-demo.mp4").read_bytes())
    tkhd = data.find(b"tkhd")
    assert data[tkhd + 4] == 0  # version 0 layout
    matrix = tkhd + 4 + 4 + 20 + 8 + 8
    data[matrix:matrix + 36] = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    return _write(tmp_path, bytes(data), "rotated.mp4")


def test_rotation_metadata_is_honoured(tmp_path, bundle, pose_pool):
    seq = extract_poses(_rotated_copy(tmp_path), bundle, frame_stride=10, workers=EXTRACT_WORKERS, pool=pose_pool)
    assert seq.rotation == 90 and (seq.width, seq.height) == (994, 1768)
    assert seq.frame_count == 230 and [f.index for f in seq.frames] == list(range(0, 230, 10))
    # The landmarks are in the turned frame: people who stood upright in the file now lie across it
    # (measured: 18 of the 23 analysed frames have a person, their body boxes 1.28-6.4 times wider than
    # tall, median 2.6; upright in the unturned file, the walker's box is about half as wide as tall).
    detected = [f for f in seq.frames if f.detected]
    assert len(detected) >= 12
    aspects = []
    for frame in detected:
        kept = frame.landmarks[~(frame.landmarks[:, :6] == 0).all(axis=1)]
        width = np.ptp(kept[:, 0]) * seq.width
        height = np.ptp(kept[:, 1]) * seq.height
        aspects.append(width / height)
    assert min(aspects) > 1.0 and np.median(aspects) > 1.5
