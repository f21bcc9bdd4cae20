"""The analysis of a real clip does not change with its framing (issue 9, item 4), on re-framings that
bench/video_variants.py makes with ffmpeg: real extraction (MediaPipe), real cleaning, real physics.

Every variant is asserted on pose2sim cam01 (measured: mirrored 0.910, half speed 0.498, half frame rate
0.858, half resolution 0.929, 70 % crop 0.991, phone 0.932; speeds are the image plane's, see
biomechanics/measurement.py: with depth in the velocity half speed read 0.55-0.64).

On the Sports2D clip (two people, a backflip off a roof, a backlit landing, a run behind a tree) the mirror
image had measured the woman walking past: one of BlazePose's two trackers lost the athlete when she walked in
and its detector never found him again (0.578 of the original's speed). services.pose.redetect's second
look at crops tells who is who again, and mirrored (0.995), half playback speed (0.512, wanted 0.5) and half
resolution (1.106) now hold there too (measured 2026-12-07). Three variants are asserted only to agree or be
marked not reliable (details.quality):
- half the frame rate: the clip is 30 fps, so the variant is 15 fps, not the issue's 60 -> 30, and below the
  24 fps a strike's peak needs (quality.RELIABLE_FPS): read 0.393, marked uncertain for it;
- the central 70 % crop: the athlete's head (6-14 % from the top of the frame) is outside it for most of the
  clip, and BlazePose's detector starts from the face: found in 116 of 230 frames, 0.554;
- the phone recording: 0.907 here, 1.05-1.61 on the machines of 2026-12-06 (BlazePose's CPU inference is not
  bit-exact across processors, and the ratio sits at the tolerance's edge).
bench/validity.py prints every ratio."""

from __future__ import annotations


import pytest

from bench.video_variants import VARIANTS, make_variant
from services.kit.paths import VIDEOS

HOLDING = {"pose2sim-balancing-cam01": tuple(VARIANTS), "sports2d-demo": ("mirrored", "half_speed", "half_resolution")}
# agrees, or one of the two figures says it cannot be trusted
SAID = {"sports2d-demo": ("half_frame_rate", "crop_70", "phone_rotated")}
CLIPS = {clip: HOLDING.get(clip, ()) + SAID.get(clip, ()) for clip in {**HOLDING, **SAID}}
CASES = [(clip, name) for clip, names in HOLDING.items() for name in names]

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def reports(tmp_path_factory, analyse_video):
    out_dir = tmp_path_factory.mktemp("variants")
    done = {}
    for clip, names in CLIPS.items():
        source = VIDEOS / f"{clip}.mp4"
        done[(clip, "original")] = analyse_video(source)
        for name in names:
            done[(clip, name)] = analyse_video(make_variant(source, name, out_dir))
    return done


@pytest.mark.parametrize("clip, name", CASES)
def test_peak_speed_follows_the_reframing(reports, clip, name):
    _, factor, tolerance = VARIANTS[name]
    original, variant = reports[(clip, "original")][1], reports[(clip, name)][1]
    assert variant.max_speed == pytest.approx(factor * original.max_speed, rel=tolerance)
    assert variant.details["filter"]["positions"].startswith("image plane")


@pytest.mark.parametrize("clip, name", [(clip, name) for clip, names in SAID.items() for name in names])
def test_a_figure_that_changes_with_the_framing_says_it_cannot_be_trusted(reports, clip, name):
    _, factor, tolerance = VARIANTS[name]
    original, variant = reports[(clip, "original")][1], reports[(clip, name)][1]
    if variant.max_speed == pytest.approx(factor * original.max_speed, rel=tolerance):
        return
    verdicts = {report.details["quality"]["max_speed"]["verdict"] for report in (original, variant)}
    assert verdicts != {"reliable"}, (f"{name}: {variant.max_speed} m/s against {original.max_speed}, "
                                      "both called reliable")


@pytest.mark.parametrize("clip", [c for c, names in CLIPS.items() if "phone_rotated" in names])
def test_phone_recording_is_seen_upright(reports, clip):
    seq, _ = reports[(clip, "phone_rotated")]
    original, _ = reports[(clip, "original")]
    assert (seq.width, seq.height) == (original.width, original.height)


def test_mirrored_keeps_the_technique_family(reports):
    """Mirroring swaps left and right: the fastest effector is the same limb type (hand or foot)."""
    clip = "pose2sim-balancing-cam01"
    original, variant = reports[(clip, "original")][1], reports[(clip, "mirrored")][1]
    assert variant.technique_family == original.technique_family


def test_half_resolution_keeps_the_speed_score(reports):
    clip = "pose2sim-balancing-cam01"
    original, variant = reports[(clip, "original")][1], reports[(clip, "half_resolution")][1]
    assert variant.details["quality"]["max_speed"]["person_height_px"] < 0.6 * \
        original.details["quality"]["max_speed"]["person_height_px"]
    assert abs(variant.aspect_scores.speed - original.aspect_scores.speed) <= 0.5
