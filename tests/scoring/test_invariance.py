"""The analysis of a real clip does not change with its framing (issue 9, item 4), on re-framings that
bench/video_variants.py makes with ffmpeg: real extraction (MediaPipe), real cleaning, real physics.

Every variant is asserted on pose2sim cam01 (measured: mirrored 0.910, half speed 0.498, half frame rate
0.858, half resolution 0.929, 70 % crop 0.991, phone 0.932; speeds are the image plane's, see
biomechanics/measurement.py: with depth in the velocity half speed read 0.55-0.64).

On the Sports2D clip (two people, a backflip off a box, a backlit landing, a run behind a tree) what
BlazePose finds differs with the framing and with the machine (its CPU inference is not bit-exact across
processors): the mirrored clip loses the performer after the landing (found in 146 of 230 frames, 199 in
the original), and on the machines of 2026-12-06 half the frame rate read 0.574 where earlier machines
read 0.951, the crop 0.55-0.70, the phone recording 1.05-1.61. No measurement after the pose model can
make frames it never saw agree, nor tell which of two people the user meant: the woman walking past is
nearly as prominent as the athlete (0.75 of his score; 0.67-0.99 in the variants, and in the mirror image
she is chosen). What the analysis owes there is to say so: each variant's max_speed agrees with the
original's within the issue's tolerance, or one of the two is marked not reliable (details.quality:
another person nearly as prominent, trackers disagreeing about the effector, the performer found in too
few frames, ...).
bench/validity.py prints every ratio."""

from __future__ import annotations


import pytest

from bench.video_variants import VARIANTS, make_variant
from services.kit.paths import VIDEOS

HOLDING = {"pose2sim-balancing-cam01": tuple(VARIANTS)}
SAID = {"sports2d-demo": tuple(VARIANTS)}  # agrees, or one of the two figures says it cannot be trusted
CASES = [(clip, name) for clip, names in HOLDING.items() for name in names]

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def reports(tmp_path_factory, analyse_video):
    out_dir = tmp_path_factory.mktemp("variants")
    done = {}
    for clip, names in {**HOLDING, **SAID}.items():
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


@pytest.mark.parametrize("clip", [c for c, names in {**HOLDING, **SAID}.items() if "phone_rotated" in names])
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
