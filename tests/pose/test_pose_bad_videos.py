"""The bad-input builders make the files they promise, and the checks before decoding refuse them as expected."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from services.kit import errors
from services.pose import video
from services.pose.container import HeaderLimits, check_header, read_iso_header
from testkit import bad_videos
from testkit.bad_videos import CASES, INDEX_FIRST, PERSON, REFUSED_BY, build_all, find_boxes


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, tuple[Path, str | None]]:
    return build_all(tmp_path_factory.mktemp("bad-videos"))


def _decoded_frames(path: Path) -> list:
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        frames = []
        while True:
            ok, frame = cap.read()
            if not ok:
                return frames
            frames.append(frame)
    finally:
        cap.release()


def test_every_case_is_built_with_its_expectation(built):
    assert set(built) == set(CASES) == set(REFUSED_BY)
    for name, (path, expected) in built.items():
        assert path.is_file(), name
        assert (expected is None) == (REFUSED_BY[name] is None), name


def test_files_refused_by_their_magic_bytes(built):
    assert built["zero_bytes"][0].stat().st_size == 0
    assert built["png_renamed"][0].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert built["png_renamed"][0].suffix == built["playlist_mp4"][0].suffix == ".mp4"
    playlist = built["playlist"][0].read_text()
    assert playlist.startswith("#EXTM3U") and "file:///etc/passwd" in playlist and "169.254.169.254" in playlist
    for name in ("text", "png_renamed", "playlist", "playlist_mp4"):
        path, expected = built[name]
        with pytest.raises(errors.InvalidRequest) as caught:
            video.describe(path.read_bytes()[:4096])
        assert expected in caught.value.message, name


@pytest.mark.parametrize("name", [n for n, stage in REFUSED_BY.items() if stage == "preflight"])
def test_non_mp4_files_are_refused_by_the_header_reader_too(built, name):
    path, expected = built[name]
    with pytest.raises(errors.InvalidRequest) as caught:
        read_iso_header(path)
    assert name != "zero_bytes" or expected in caught.value.message


@pytest.mark.parametrize("name", [n for n, stage in REFUSED_BY.items() if stage == "header"])
def test_header_check_refuses_with_the_expected_message(built, name):
    path, expected = built[name]
    with pytest.raises(errors.InvalidRequest) as caught:
        check_header(read_iso_header(path), HeaderLimits())
    assert expected in caught.value.message
    assert caught.value.details["video"]


def test_truncated_is_the_first_half_of_a_real_video(built):
    data = INDEX_FIRST.read_bytes()
    assert built["truncated_mp4"][0].read_bytes() == data[:len(data) // 2]


def test_pixel_bomb_is_a_small_real_8k_video(built):
    path = built["pixel_bomb"][0]
    (track,) = read_iso_header(path).tracks
    assert (track.kind, track.width, track.height, track.codec) == ("video", 7680, 4320, "avc1")
    assert (track.coded_width, track.coded_height, track.sample_count) == (7680, 4320, 3)
    assert path.stat().st_size < 200_000


def test_audio_only_has_one_audio_track(built):
    header = read_iso_header(built["audio_only"][0])
    assert [t.kind for t in header.tracks] == ["audio"] and not header.video_tracks
    assert header.tracks[0].codec == "mp4a" and header.duration_s == pytest.approx(1.0, abs=0.1)


def test_ten_hours_claims_ten_hours_everywhere(built):
    header = read_iso_header(built["ten_hours"][0])
    assert header.duration_s == pytest.approx(bad_videos.TEN_HOURS_S)
    assert header.video_tracks[0].duration_s == pytest.approx(bad_videos.TEN_HOURS_S)
    assert header.video_tracks[0].sample_count == 10  # only the claim changed, not the frames


def test_corrupted_frames_keeps_its_index_but_no_frame_decodes(built):
    path = built["corrupted_frames"][0]
    original, damaged = PERSON.read_bytes(), path.read_bytes()
    assert len(original) == len(damaged)
    (start, end), = find_boxes(original, b"mdat")
    assert original[:start] == damaged[:start] and original[end:] == damaged[end:]  # ftyp, moov untouched
    assert sum(a != b for a, b in zip(original[start:end:97], damaged[start:end:97])) > 0.9 * len(range(start, end, 97))
    check_header(read_iso_header(path), HeaderLimits())  # the header is fine: only decoding can tell
    assert _decoded_frames(path) == []  # hence "no decodable frames" from the decoder


def test_one_frame_is_a_valid_analysable_video(built):
    path, expected = built["one_frame"]
    assert expected is None
    header = read_iso_header(path)
    check_header(header, HeaderLimits())
    (track,) = header.tracks
    assert (track.width, track.height, track.sample_count) == (540, 960, 1)
    (frame,) = _decoded_frames(path)
    assert frame.shape == (960, 540, 3) and frame.std() > 20  # a real picture, not a flat test frame


def test_builders_are_deterministic(tmp_path, built):
    for name in ("ten_hours", "corrupted_frames", "one_frame", "audio_only"):
        again = CASES[name][0](tmp_path)
        assert again.read_bytes() == built[name][0].read_bytes(), name
