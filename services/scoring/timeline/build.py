"""build_timeline: a verbose analysis as a page replays it, from what the analysis itself computed.

Only built for a verbose analysis (analysis.py), off the event loop: it is numpy over arrays the analysis
already holds (the Motion's measurement is cached on it, the comparison keeps its Performances), so it
adds no measurement, only sampling onto the frames and JSON. The JSON is the REST shape (services/edge/
shaping.py prints the proto back to it): times in ms from the video's start, speeds m/s, angles deg,
landmarks as fractions of the image, null where nothing was measured.
"""

from __future__ import annotations

from typing import Any

from services.scoring.assessment import Assessment, Prepared
from services.scoring.biomechanics.measurement import measure
from services.scoring.biomechanics.repetitions import Repetition

from .frames import MAX_FRAMES, choose_frames, image_points, json_values
from .reference import aligned_reference
from .series import frame_series

# Repetition moments (repetitions.py) -> the phases between them, as the analysis names its durations
# (Repetition.phases_ms: start_to_chamber, chamber_to_extension, ...; "recovery" as the comparison says).
PHASES = (("chamber", "start", "chamber"), ("extension", "chamber", "extension"),
          ("retraction", "extension", "retraction"), ("recovery", "retraction", "end"))


def _ms(t_s: float) -> float:
    return round(1000.0 * t_s, 1)


def repetition_json(rep: Repetition) -> dict[str, Any]:
    moments = rep.moments()
    return {"index": rep.index + 1, "effector": rep.effector, "start_ms": _ms(rep.start_s), "end_ms": _ms(rep.end_s),
            "peak_ms": _ms(rep.peak_s), "peak_speed_m_s": round(float(rep.peak_speed_m_s), 3), "held": rep.held,
            "phases": [{"name": name, "start_ms": _ms(moments[a]), "end_ms": _ms(moments[b])}
                       for name, a, b in PHASES]}


def build_timeline(assessed: Assessment, prepared: Prepared, *, width: int, height: int,
                   max_frames: int = MAX_FRAMES) -> dict[str, Any]:
    """The "timeline" of an analysis of prepared.motion (a video of width x height pixels, as displayed)."""
    motion = prepared.motion
    frames = choose_frames(motion, max_frames)
    measured = measure(motion)
    comparison = assessed.comparison
    student = comparison.student if comparison is not None else None
    series = frame_series(measured.kinematics, float(measured.smoothed.settings["cutoff_hz"]), frames.t,
                          measured.source, student.angles if student is not None else None)
    timeline = {
        "frame_times_ms": json_values(1000.0 * frames.t, 1),
        "frames_analysed": frames.total, "frame_step": frames.step,
        "image_size": {"width": int(width), "height": int(height)},
        "landmarks": [{"points": p} for p in image_points(motion, frames.index, (width, height))],
        "series": [s.as_json() for s in series],
        "repetitions": [repetition_json(r) for r in prepared.repetitions],
        "correction_times_ms": [None if t is None else _ms(t) for t in assessed.correction_times_s],
    }
    if comparison is not None and assessed.reference is not None:
        timeline["reference"] = aligned_reference(comparison, assessed.reference, frames)
    return timeline
