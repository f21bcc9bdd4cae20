"""The analysis of a real clip does not change with its framing (issue 9, item 4), on re-framings that
bench/video_variants.py makes with ffmpeg: real extraction (MediaPipe), real cleaning, real physics.

Every variant is asserted on pose2sim cam01 (measured: mirrored 0.910, half speed 0.498, half frame rate
0.858, half resolution 0.929, 70 % crop 0.991, phone 0.932; speeds are the image plane's, see
biomechanics/measurement.py: with depth in the velocity half speed read 0.55-0.64).

On the Sports2D clip (two people, a backflip off a roof, a backlit landing, a run behind a tree) the original's
peak is the athlete's right toe running after his landing (7.21 m/s at 7.28 s). Held there: mirrored 0.964,
half playback speed 0.526 (wanted 0.5), half resolution 1.036 (measured 2026-12-07), each at that run. That
took services.pose.redetect's second look (the mirror image's tracker lost the athlete when the woman walked
in: 0.578), and services.pose.tracking continuing the identity seen most and across interleaved tracks (at
half resolution his landing had joined a fragment of him, his run was lost and the woman scored level). Two
earlier "holds" were faults that happened to land near 7.28: half resolution's 8.05 was the right wrist at
0.26 s, in BlazePose's misfit first frames, and the phone recording's 6.6 a one-frame foot swap at 1.9 s
carried through the clip by services.pose.laterality (now judged per unbroken run, BlazePose's majority
deciding the side). Three variants are asserted only to agree or be marked not reliable (details.quality):
- half the frame rate: the clip is 30 fps, so the variant is 15 fps, not the issue's 60 -> 30, and below the
  24 fps a strike's peak needs (quality.RELIABLE_FPS): the same running foot, 8 samples over its swing,
  reads 1.121x here (8.08 m/s; 1.17 before scoring resampled by cubic spline, and 0.393 when the woman
  was measured: see test_the_athlete_is_measured_at_half_the_frame_rate), marked uncertain for the frame rate;
- the central 70 % crop: the athlete's head (6-14 % from the top of the frame) is outside it for most of the
  clip, and BlazePose's detector starts from the face: found in 120 of 230 frames, 0.530; the original's
  fastest moment (the right toe at 7.28 s, at y = 887 of 994 px) is itself outside the crop (y 149-845);
- the phone recording: 0.763. The pose model's trackers disagree about the right toe through the run
  (6.9-7.2 s and 7.3-7.5 s, up to 0.44 m), so its speed there is not counted and the peak left is the right
  wrist side-on on the box at 5.18 s (5.50 m/s), and the quality says the toe was not counted; BlazePose's CPU inference is not bit-exact across
  processors, so these figures move between machines.
bench/validity.py prints every ratio."""

from __future__ import annotations


import numpy as np
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


def test_the_athlete_is_measured_at_half_the_frame_rate(reports):
    """At 15 fps the athlete's look before his flip and after it are averaged over the same second as at 30
    (services.pose.tracking.LOOK_WINDOW_MS) and he stays one person; with a 30-frame mean they matched at
    0.739, he became two people and the woman walking below him was measured. Where both clips measured
    someone at the same moment, it is the same person (hips within 10 % of the frame's height)."""
    original, variant = (reports[("sports2d-demo", name)][0] for name in ("original", "half_frame_rate"))
    hips = {round(frame.timestamp_ms): (frame.landmarks[23].y + frame.landmarks[24].y) / 2
            for frame in original.frames if frame.detected}
    apart = [abs(hips[round(f.timestamp_ms)] - (f.landmarks[23].y + f.landmarks[24].y) / 2)
             for f in variant.frames if f.detected and round(f.timestamp_ms) in hips]
    assert len(apart) > 0.6 * len(variant.frames)
    assert np.median(apart) < 0.1


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
