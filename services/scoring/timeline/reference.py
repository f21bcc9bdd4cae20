"""The coach's reference aligned to the student's frames, from the comparison's own DTW paths.

The comparison (comparison/compare.py) aligned each student repetition with the coach's closest one by
DTW on the analysis grids (alignment.py), mirroring the coach when the sides differ; those paths are
reused here, never recomputed. A path pairs grid samples (from each repetition's start); here:
- alignment: the path in frames, (timeline frame, reference frame), each sample put on the nearest frame
  of its clip, consecutive repeats dropped;
- per timeline frame inside a compared repetition (aligned): the reference frame nearest the coach's time
  the path matches to the frame's grid sample (the middle of the coach samples when it matches several);
- outside the paths the reference keeps moving with the student (held at its first or last frame): before
  the first path and after the last at the video's pace from the path's end; between two paths linearly
  from the end of one to the start of the next when the reference goes on forwards (another coach
  repetition), else (the same coach repetition again) at the video's pace, cutting back at the next start;
- the reference's landmarks and series at those frames, mirrored as the comparison compared them.
Times in s here, ms in the JSON.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from services.scoring.comparison.performance import Performance, window

from .frames import Frames, image_points, json_values, nearest
from .series import Series, frame_series


def _path_times(student: Performance, coach: Performance, rc) -> tuple[np.ndarray, np.ndarray]:
    """(student s, coach s) of every pair of one repetition's DTW path."""
    path = np.asarray(rc.alignment.path, dtype=int).reshape(-1, 2)
    s0, c0 = window(student.kin, rc.student.rep).start, window(coach.kin, rc.coach.rep).start
    ts = student.kin.t[np.clip(s0 + path[:, 0], 0, student.kin.t.size - 1)]
    tc = coach.kin.t[np.clip(c0 + path[:, 1], 0, coach.kin.t.size - 1)]
    return ts, tc


def _matched(ts: np.ndarray, tc: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Coach time matched to each time t (inside the path's span): the middle of the coach samples the path
    pairs with the student sample nearest t (a DTW path is monotonic, so they are contiguous)."""
    u = nearest(ts, t)
    lo = np.searchsorted(ts, ts[u], side="left")
    hi = np.searchsorted(ts, ts[u], side="right") - 1
    return 0.5 * (tc[lo] + tc[hi])


def _fill_outside(t: np.ndarray, outside: np.ndarray, spans: list, coach_t: np.ndarray, mirrored: np.ndarray) -> None:
    """coach_t and mirrored at the frames outside the paths (see the module doc); spans in time order."""
    if not spans:
        return
    first, last = spans[0], spans[-1]
    before, after = outside & (t < first[0]), outside & (t > last[2])
    coach_t[before], mirrored[before] = first[1] + (t[before] - first[0]), first[4]
    coach_t[after], mirrored[after] = last[3] + (t[after] - last[2]), last[4]
    for a, b in zip(spans, spans[1:]):
        gap = outside & (t > a[2]) & (t < b[0])
        if b[1] >= a[3]:
            coach_t[gap] = a[3] + (t[gap] - a[2]) * (b[1] - a[3]) / (b[0] - a[2])
            mirrored[gap] = np.where(t[gap] - a[2] <= b[0] - t[gap], a[4], b[4])
        else:
            coach_t[gap], mirrored[gap] = a[3] + (t[gap] - a[2]), a[4]


def _aligned_series(comparison, motion, ref_frame: np.ndarray, mirrored: np.ndarray) -> list[Series]:
    """The reference's own series (series.py, on its frames) taken at each timeline frame's reference frame,
    from the coach as recorded or mirrored as that frame shows it."""
    out: dict[str, Series] = {}
    source = "image_plane" if motion.image is not None else "world"
    for flip in sorted(set(mirrored.tolist())):
        perf, shown = comparison.coach[flip], mirrored == flip
        for s in frame_series(perf.kin, perf.cutoff_hz, motion.t, source, perf.angles):
            entry = out.setdefault(s.name, Series(s.name, s.unit, np.full(ref_frame.size, np.nan), s.description))
            entry.values[shown] = s.values[ref_frame[shown]]
    return list(out.values())


def aligned_reference(comparison, reference, frames: Frames) -> dict[str, Any]:
    """The "reference" block of a timeline (see the module doc). comparison: comparison.Comparison (with its
    student and coach Performances); reference: the analysis.CoachReference compared."""
    motion = reference.motion
    ref_t = motion.t
    n = frames.t.size
    coach_t = np.full(n, np.nan)
    mirrored = np.zeros(n, dtype=bool)
    aligned = np.zeros(n, dtype=bool)
    spans: list[tuple[float, float, float, float, bool]] = []   # per path: student and coach s at its ends, mirrored
    pairs: list[list[int]] = []
    matches = []
    for rc in comparison.repetitions:
        coach = comparison.coach[rc.coach_mirrored]
        ts, tc = _path_times(comparison.student, coach, rc)
        inside = (frames.t >= ts[0]) & (frames.t <= ts[-1])
        coach_t[inside] = _matched(ts, tc, frames.t[inside])
        mirrored[inside], aligned[inside] = rc.coach_mirrored, True
        spans.append((ts[0], tc[0], ts[-1], tc[-1], bool(rc.coach_mirrored)))
        for pair in np.stack([nearest(frames.t, ts), nearest(ref_t, tc)], axis=1).tolist():
            if not pairs or pairs[-1] != pair:
                pairs.append(pair)
        matches.append({"index": rc.student.rep.index + 1, "reference_index": rc.coach_index + 1,
                        "mirrored": bool(rc.coach_mirrored), "similarity_pct": round(float(rc.similarity_pct), 2)})
    _fill_outside(frames.t, ~aligned, spans, coach_t, mirrored)
    ref_frame = nearest(ref_t, np.clip(coach_t, ref_t[0], ref_t[-1]))
    size = (int(reference.width), int(reference.height))
    return {
        "reference_id": reference.id, "technique": reference.technique,
        "image_size": {"width": size[0], "height": size[1]},
        "frame_times_ms": json_values(1000.0 * ref_t, 1),
        "landmarks": [{"points": p} for p in image_points(motion, ref_frame, size, mirrored)],
        "series": [s.as_json() for s in _aligned_series(comparison, motion, ref_frame, mirrored)],
        "alignment": pairs,
        "aligned": aligned.tolist(),
        "repetitions": matches,
    }
