"""build_timeline on real analyses: one entry per frame everywhere, times from the video, the analysis' own
repetitions and the moments of its corrections."""

from __future__ import annotations

import json

import numpy as np
import pytest

from services.scoring.timeline import build_timeline


def check_frames(timeline: dict) -> None:
    times = timeline["frame_times_ms"]
    n = len(times)
    assert n > 0 and all(b > a for a, b in zip(times, times[1:]))
    assert len(timeline["landmarks"]) == n
    for series in timeline["series"]:
        assert len(series["values"]) == n, series["name"]
    reference = timeline.get("reference")
    if reference:
        assert len(reference["landmarks"]) == len(reference["aligned"]) == n
        assert all(len(s["values"]) == n for s in reference["series"])


@pytest.mark.parametrize("clip", ["cmu_kick", "video_pair"])
def test_every_list_has_one_entry_per_analysed_frame(request, clip):
    a = request.getfixturevalue(clip)
    timeline = build_timeline(a.assessed, a.prepared, width=a.width, height=a.height)
    motion = a.prepared.motion
    check_frames(timeline)
    assert timeline["frames_analysed"] == motion.n_frames and timeline["frame_step"] == 1
    assert timeline["frame_times_ms"] == pytest.approx(1000.0 * motion.t, abs=0.05)
    assert timeline["image_size"] == {"width": a.width, "height": a.height}
    json.dumps(timeline, allow_nan=False)      # plain JSON: null, never NaN


def test_the_repetitions_and_their_phases_are_the_analysis_own(video_pair):
    timeline = build_timeline(video_pair.assessed, video_pair.prepared, width=video_pair.width,
                              height=video_pair.height)
    reps = video_pair.prepared.repetitions
    assert reps and len(timeline["repetitions"]) == len(reps)
    details = video_pair.assessed.body["details"]["repetitions"]
    t0, t1 = timeline["frame_times_ms"][0], timeline["frame_times_ms"][-1]
    for shown, rep, said in zip(timeline["repetitions"], reps, details):
        assert shown["index"] == rep.index + 1 and shown["effector"] == rep.effector == said["effector"]
        assert t0 <= shown["start_ms"] <= shown["peak_ms"] <= shown["end_ms"] <= t1
        assert shown["start_ms"] == pytest.approx(1000 * said["moments_s"]["start"], abs=1)
        phases = shown["phases"]
        assert [p["name"] for p in phases] == ["chamber", "extension", "retraction", "recovery"]
        assert phases[0]["start_ms"] == shown["start_ms"] and phases[-1]["end_ms"] == shown["end_ms"]
        for p, following in zip(phases, phases[1:] + [None]):
            assert shown["start_ms"] <= p["start_ms"] <= p["end_ms"] <= shown["end_ms"]
            if following:
                assert p["end_ms"] == following["start_ms"]
        durations = [p["end_ms"] - p["start_ms"] for p in phases]
        assert durations == pytest.approx(list(said["phases_ms"].values()), abs=0.2)


@pytest.mark.parametrize("clip", ["cmu_kick", "video_pair", "video_alone"])
def test_each_correction_has_its_moment_inside_the_clip(request, clip):
    a = request.getfixturevalue(clip)
    timeline = build_timeline(a.assessed, a.prepared, width=a.width, height=a.height)
    corrections = a.assessed.body["corrections"]
    assert len(timeline["correction_times_ms"]) == len(corrections)
    t0, t1 = timeline["frame_times_ms"][0], timeline["frame_times_ms"][-1]
    assert all(t is None or t0 <= t <= t1 for t in timeline["correction_times_ms"])
    if a.assessed.comparison is not None:
        # Compared with the coach: every correction is about one repetition's moment.
        spans = [(r["start_ms"], r["end_ms"]) for r in timeline["repetitions"]]
        for t in timeline["correction_times_ms"]:
            assert t is not None and any(lo - 1 <= t <= hi + 1 for lo, hi in spans)


def test_the_reference_block_only_when_a_reference_was_compared(video_pair, video_alone):
    compared = build_timeline(video_pair.assessed, video_pair.prepared, width=video_pair.width,
                              height=video_pair.height)
    assert video_pair.assessed.body["details"]["scored_against"] == "coach_reference"
    assert compared["reference"]["reference_id"] == "ref_cam01"
    alone = build_timeline(video_alone.assessed, video_alone.prepared, width=video_alone.width,
                           height=video_alone.height)
    assert "reference" not in alone


def test_a_long_clip_is_shown_at_every_step_th_frame_and_says_so(cmu_kick):
    whole = build_timeline(cmu_kick.assessed, cmu_kick.prepared, width=0, height=0)
    fewer = build_timeline(cmu_kick.assessed, cmu_kick.prepared, width=0, height=0, max_frames=500)
    n = cmu_kick.prepared.motion.n_frames
    assert fewer["frame_step"] == 3 and fewer["frames_analysed"] == n and len(fewer["frame_times_ms"]) == -(-n // 3)
    assert fewer["frame_times_ms"] == whole["frame_times_ms"][::3]
    check_frames(fewer)
    # A frame shows the fastest speed of its interval: the peak survives the decimation.
    for kept, every in zip(fewer["series"], whole["series"]):
        if kept["unit"] == "m/s":
            assert np.nanmax(np.array(kept["values"], dtype=float)) == np.nanmax(np.array(every["values"], dtype=float))
    assert len(fewer["reference"]["alignment"]) < len(whole["reference"]["alignment"])
