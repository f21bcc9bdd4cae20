"""Footage that cannot give a trustworthy speed is analysed where it can be and says what it cannot
measure (details.quality), never with a fabricated figure: real extraction of re-made shared clips."""

from __future__ import annotations


import pytest

from bench.video_variants import ffmpeg
from services.kit.errors import ValidationFailed
from services.kit.paths import VIDEOS

CLIP = VIDEOS / "pose2sim-balancing-cam01.mp4"
ENCODE = ["-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "14", "-pix_fmt", "yuv420p", "-threads", "2"]
# name -> ffmpeg filter: the performer ~90 px tall in a 1080x1920 frame; 6 frames/s; the upper body only
BAD = {"tiny": "scale=iw/8:-2,pad=1080:1920:(ow-iw)/2:(oh-ih)/2",
       "six_fps": "fps=6",
       "upper_body": "crop=iw:ih*0.5:0:0"}

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, analyse_video):
    out = tmp_path_factory.mktemp("bad")
    results = {}
    for name, vf in BAD.items():
        path = out / f"{name}.mp4"
        ffmpeg("-i", CLIP, "-vf", vf, *ENCODE, path)
        try:
            results[name] = analyse_video(path)[1]
        except ValidationFailed as exc:  # the user-facing refusal is an answer too
            results[name] = exc
    return results


def _quality(result):
    return result.details["quality"]["max_speed"]


def test_six_frames_per_second_is_not_a_measurable_strike(analysed):
    result = analysed["six_fps"]
    assert not isinstance(result, ValidationFailed), result
    assert _quality(result)["verdict"] == "unreliable"
    assert any("frames/s" in r for r in _quality(result)["reasons"])
    assert result.aspect_scores.speed == 5.0  # neutral, not scored from it
    assert not any("m/s" in c for c in result.corrections)


def test_a_tiny_performer_is_said_to_be_too_small(analysed):
    result = analysed["tiny"]
    if isinstance(result, ValidationFailed):  # BlazePose may not find a 90 px person at all: said plainly
        assert "person" in result.message.lower() or "tracked" in result.message.lower()
        return
    assert _quality(result)["verdict"] in ("uncertain", "unreliable")
    assert any("small" in r for r in _quality(result)["reasons"])
    assert result.aspect_scores.speed < 10.0


def test_upper_body_only_is_analysed_without_feet(analysed):
    result = analysed["upper_body"]
    assert not isinstance(result, ValidationFailed), result
    assert result.effector.endswith("wrist")
    assert result.details["balance_measured"] is False
    assert any("feet were not tracked" in r for r in result.recommendations)
