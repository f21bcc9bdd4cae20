"""reference.py: the coach's reference on the student's frames, from the comparison's own DTW paths."""

from __future__ import annotations

import numpy as np
import pytest

from services.scoring.comparison.performance import window
from services.scoring.timeline.frames import choose_frames, image_points, nearest
from services.scoring.timeline.reference import aligned_reference


def block(a, max_frames: int = 3000):
    frames = choose_frames(a.prepared.motion, max_frames)
    return frames, aligned_reference(a.assessed.comparison, a.assessed.reference, frames)


def segments(alignment: list[list[int]]) -> list[list[list[int]]]:
    """The path split where a new repetition's path starts: a step back, or forward by more than a frame."""
    out = [[alignment[0]]]
    for pair in alignment[1:]:
        step = np.subtract(pair, out[-1][-1])
        if np.all((step >= 0) & (step <= 1)):
            out[-1].append(pair)
        else:
            out.append([pair])
    return out


@pytest.mark.parametrize("clip", ["cmu_kick", "video_pair"])
def test_the_alignment_is_the_dtw_path_in_frames(request, clip):
    a = request.getfixturevalue(clip)
    frames, ref = block(a)
    comparison = a.assessed.comparison
    n, m = frames.t.size, a.assessed.reference.motion.n_frames
    alignment = np.array(ref["alignment"])
    assert alignment.shape[1] == 2 and alignment.min() >= 0
    assert alignment[:, 0].max() < n and alignment[:, 1].max() < m
    assert len(ref["frame_times_ms"]) == m
    parts = segments(ref["alignment"])
    assert len(parts) == len(comparison.repetitions) == len(ref["repetitions"])
    for part, rc, match in zip(parts, comparison.repetitions, ref["repetitions"]):
        part = np.array(part)
        # monotonic, in steps of at most one frame: a DTW path
        assert np.all(np.diff(part, axis=0) >= 0) and np.all(np.diff(part, axis=0) <= 1)
        # from the student repetition's start to its end, and the coach repetition's
        student = comparison.student.kin.t[window(comparison.student.kin, rc.student.rep)]
        coach = comparison.coach[rc.coach_mirrored].kin.t[window(comparison.coach[rc.coach_mirrored].kin, rc.coach.rep)]
        assert part[0, 0] == nearest(frames.t, student[:1])[0] and part[-1, 0] == nearest(frames.t, student[-1:])[0]
        ref_t = a.assessed.reference.motion.t
        assert part[0, 1] == nearest(ref_t, coach[:1])[0] and part[-1, 1] == nearest(ref_t, coach[-1:])[0]
        assert match == {"index": rc.student.rep.index + 1, "reference_index": rc.coach_index + 1,
                         "mirrored": rc.coach_mirrored, "similarity_pct": round(rc.similarity_pct, 2)}


def test_each_aligned_frame_shows_a_reference_frame_its_path_matches(video_pair):
    frames, ref = block(video_pair)
    reference = video_pair.assessed.reference
    size = (reference.width, reference.height)
    matched: dict[int, set[int]] = {}
    for i, j in ref["alignment"]:
        matched.setdefault(i, set()).add(j)
    aligned = np.flatnonzero(ref["aligned"])
    assert aligned.size > frames.t.size / 2
    for i in aligned:
        candidates = matched[int(i)] | {j + d for j in matched[int(i)] for d in (-1, 1)}
        points = ref["landmarks"][i]["points"]
        assert any(points == image_points(reference.motion, np.array([j]), size)[0] for j in candidates
                   if 0 <= j < reference.motion.n_frames), i
    assert ref["image_size"] == {"width": 1080, "height": 1920}


def test_outside_the_repetitions_the_reference_runs_on_at_the_video_pace(video_pair):
    frames, ref = block(video_pair)
    reference = video_pair.assessed.reference
    size = (reference.width, reference.height)
    shown = [next((j for j in range(reference.motion.n_frames)
                   if image_points(reference.motion, np.array([j]), size)[0] == ref["landmarks"][i]["points"]), None)
             for i in range(frames.t.size)]
    outside = [i for i, a in enumerate(ref["aligned"]) if not a and shown[i] is not None]
    runs = [(i, k) for i, k in zip(outside, outside[1:]) if k == i + 1 and 0 < shown[i] < reference.motion.n_frames - 1]
    assert runs, "no stretch outside the repetitions"
    assert all(shown[k] - shown[i] in (0, 1) for i, k in runs)      # 60 fps both: one frame per frame


@pytest.mark.parametrize("clip", ["cmu_kick", "video_pair"])
def test_the_reference_series_are_its_own_at_the_matched_frames(request, clip):
    a = request.getfixturevalue(clip)
    frames, ref = block(a)
    names = [s["name"] for s in ref["series"]]
    assert "right_wrist_speed" in names and "left_knee_angle" in names
    speeds = np.array([v for s in ref["series"] if s["unit"] == "m/s" for v in s["values"] if v is not None])
    assert speeds.size and speeds.min() >= 0
    # the coach's peak effector speed of a compared repetition shows at the aligned frames around its peak
    rc = a.assessed.comparison.repetitions[0]
    series = {s["name"]: np.array(s["values"], dtype=float) for s in ref["series"]}
    aligned = np.array(ref["aligned"])
    peak = np.nanmax(series[f"{rc.coach.rep.effector}_speed"][aligned])
    assert peak == pytest.approx(rc.coach.peak_speed_m_s, rel=0.15)


def test_a_mirrored_repetition_shows_the_reference_mirrored(cmu_kick):
    """CMU 135 kicks with alternate legs: the comparison mirrors his first (right) kick for the left one."""
    frames, ref = block(cmu_kick)
    compared = cmu_kick.assessed.comparison.repetitions
    assert [m["mirrored"] for m in ref["repetitions"]] == [rc.coach_mirrored for rc in compared]
    assert any(m["mirrored"] for m in ref["repetitions"]) and not all(m["mirrored"] for m in ref["repetitions"])
    series = {s["name"]: np.array(s["values"], dtype=float) for s in ref["series"]}
    for rc in cmu_kick.assessed.comparison.repetitions:
        lo, hi = (nearest(frames.t, np.array([rc.student.rep.start_s, rc.student.rep.end_s])))
        striking = rc.student.rep.effector   # the coach's kick shown on the student's side
        other = ("left" if striking.startswith("right") else "right") + striking[striking.index("_"):]
        assert np.nanmax(series[f"{striking}_speed"][lo:hi + 1]) > 2 * np.nanmax(series[f"{other}_speed"][lo:hi + 1])
