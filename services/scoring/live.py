"""Live feedback per repetition: the performer's landmarks of a camera stream in, one feedback per
repetition as soon as it has ended (technique, peak speed with how far it can be trusted, the top
correction). The core of LiveAnalyze (servicer); it never imports grpc.

How a repetition is found while the stream goes on: the last WINDOW_S of landmarks are measured as a
video would be (motion_from_arrays: the same depth lifter and filters), every CHECK_EVERY_S of stream
time, and a repetition is reported once its end lies SETTLE_S before the newest frame (the rest after a
strike is what marks its end: find_repetitions needs it) and it is not one reported already (its peak is
after the end of the last one told: as the window moves, one strike can be found with slightly other
bounds). The feedback measures that repetition's own cut (analyze_motion),
so a number in it is the number an uploaded clip of that repetition would give, with its quality.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from services.kit.errors import ValidationFailed
from services.scoring.assessment import prepare
from services.scoring.biomechanics import analyze_motion
from services.scoring.biomechanics.motion import Motion
from services.scoring.clients import lifted_depth, motion_from_arrays

WINDOW_S = 6.0        # landmarks kept and measured: a repetition and the rest around it
CHECK_EVERY_S = 0.1   # stream time between two searches for an ended repetition
SETTLE_S = 0.05       # a repetition ends this long before the newest frame before it is reported
MIN_FRAMES = 15
# A repetition first found long after its end (a stronger motion leaving the window lowered the bar
# that find_repetitions sets relative to the fastest peak) is not told: its moment has passed. Late is
# judged against the search before (what it could already have found), not against the newest frame: on
# a busy machine one search can take longer than this, and a strike that first settled while it ran is new.
MAX_LATE_S = 1.0
MAX_CATCH_UP = 3      # searches a late search makes for the ones it missed (the latest ones): bounded work
LEAD_S = 0.5          # measured before a repetition's start, so that its peak is well inside the cut


@dataclass(frozen=True)
class Feedback:
    repetition: int          # 1, 2, ... within the stream
    technique: str           # as given at the start, else the family found ("kick" or "punch")
    effector: str
    start_ms: float          # stream time (the client's timestamps)
    end_ms: float
    peak_speed_m_s: float
    speed_verdict: str       # reliable, uncertain or unreliable (biomechanics/quality.py)
    speed_reasons: list[str]
    overall_score: float
    top_correction: str
    computed_in_ms: float    # from the search's start to this feedback


@dataclass
class _Frame:
    t: float                         # s
    row: np.ndarray                  # [33, 6] (NaN when nobody was seen)
    # [33] lifted at the first search that sees the frame, then kept, with the frame size it is in pixels of
    depth: tuple[tuple[int, int], np.ndarray] | None = None


class LiveRepetitions:
    """add() runs on the stream's event loop, check() in a worker thread: the window is shared under a lock,
    and a search works on a snapshot of it."""

    def __init__(self, *, technique: str = "", body_mass_kg: float = 70.0, lifter=None) -> None:
        self.technique, self.body_mass_kg, self.lifter = technique, body_mass_kg, lifter
        self._frames: deque[_Frame] = deque()
        self._lock = threading.Lock()
        self.size: tuple[int, int] | None = None
        self.last_check_s = -np.inf
        self.last_end_s = -np.inf   # end of the last repetition told
        self.count = 0

    def add(self, timestamp_ms: float, landmarks: np.ndarray | None, width: int, height: int) -> None:
        """One answered frame: landmarks [33, 8] as the pose service sends them (x, y, z, wx, wy, wz,
        visibility, presence), or None when nobody was seen."""
        t = timestamp_ms / 1000.0
        row = np.full((33, 6), np.nan)
        if landmarks is not None:
            row[:, 0:2], row[:, 2:5], row[:, 5] = landmarks[:, 0:2], landmarks[:, 3:6], landmarks[:, 6]
        with self._lock:
            if self._frames and t <= self._frames[-1].t:
                return  # out of order or repeated: the pose service answers in order; never trust it blindly
            if width and height:
                self.size = (width, height)
            self._frames.append(_Frame(t, row))
            while self._frames[0].t < t - WINDOW_S:
                self._frames.popleft()

    def due(self) -> bool:
        with self._lock:
            return (len(self._frames) >= MIN_FRAMES
                    and self._frames[-1].t - self.last_check_s >= CHECK_EVERY_S)

    def unsearched(self) -> bool:
        """Frames came after the last search began (the stream's end: one last search tells the last strike)."""
        with self._lock:
            return len(self._frames) >= MIN_FRAMES and self._frames[-1].t > self.last_check_s

    def check(self) -> list[Feedback]:
        """The repetitions that have ended since the last report (CPU work: run it off the event loop).

        A search later than MAX_LATE_S after the one before (a loaded machine) also searches the window as
        it stood where the searches it missed would have, up to MAX_CATCH_UP of them: find_repetitions sets
        its bar relative to the window's fastest peak, and a faster movement since then can hide a strike
        that had ended (sports2d searched every 3 s: its step at 4.1 s, 2.8 m/s, was no repetition beside
        the flip's 9.9 m/s in the window to 6.5 s, where searches 0.1 s apart had told it at 4.9 s)."""
        began = time.perf_counter()
        with self._lock:
            frames, size = list(self._frames), self.size
        newest, searched_before = frames[-1].t, self.last_check_s
        self.last_check_s = newest
        missed = (list(np.arange(searched_before + MAX_LATE_S, newest - MAX_LATE_S / 2, MAX_LATE_S))[-MAX_CATCH_UP:]
                  if np.isfinite(searched_before) else [])
        out: list[Feedback] = []
        for end in [*missed, newest]:
            out += self._search([f for f in frames if f.t <= end], size, searched_before, began)
            searched_before = end
        return out

    def _search(self, frames: list[_Frame], size: tuple[int, int] | None, searched_before: float,
                began: float) -> list[Feedback]:
        """The repetitions newly ended in the window `frames` (newest last), the search before at searched_before."""
        if len(frames) < MIN_FRAMES:  # a catch-up point before the stream's frames (it had paused)
            return []
        newest = frames[-1].t
        motion = self._motion(frames, size)
        if int(np.count_nonzero(motion.detected)) < MIN_FRAMES:
            return []
        try:
            prepared = prepare(motion, self.technique)
        except ValidationFailed:
            return []
        out = []
        for rep in prepared.repetitions:
            if rep.peak_s <= self.last_end_s or rep.end_s > newest - SETTLE_S:
                continue
            if rep.end_s < searched_before - MAX_LATE_S:
                self.last_end_s = rep.end_s
                continue
            feedback = self._feedback(motion, rep, prepared.family, began)
            self.last_end_s = rep.end_s
            if feedback is not None:
                out.append(feedback)
        return out

    def _motion(self, frames: list[_Frame], size: tuple[int, int] | None) -> Motion:
        values = np.stack([f.row for f in frames])
        detected = np.isfinite(values[:, :, 2]).all(axis=1)
        depth = None
        if self.lifter is not None and size is not None:
            kept = [f.depth[1] if f.depth is not None and f.depth[0] == size else None for f in frames]
            new = [i for i, d in enumerate(kept) if d is None]
            if new:  # the frames that came since the last search (or all, after the frame size changed)
                for i, lifted in zip(new, lifted_depth(values[new], detected[new], size, self.lifter)):
                    kept[i], frames[i].depth = lifted, (size, lifted)
            depth = np.stack(kept)
        return motion_from_arrays(np.array([f.t for f in frames]), values, detected, size, self.lifter,
                                  smoothing="one_euro", depth=depth)

    def _feedback(self, motion: Motion, rep, family: str, began: float) -> Feedback | None:
        # From half a second before (the filters settle before the strike) to the settling time after it.
        keep = (motion.t >= rep.start_s - LEAD_S) & (motion.t <= rep.end_s + SETTLE_S)
        piece = Motion(t=motion.t[keep], world=motion.world[keep], visibility=motion.visibility[keep],
                       detected=motion.detected[keep], smoothing=motion.smoothing,
                       image=None if motion.image is None else motion.image[keep],
                       depth=None if motion.depth is None else motion.depth[keep], depth_source=motion.depth_source)
        try:
            report = analyze_motion(piece, body_mass_kg=self.body_mass_kg, technique=self.technique or None)
        except ValidationFailed:
            return None
        quality = report.details.get("quality", {}).get("max_speed", {})
        self.count += 1
        return Feedback(
            repetition=self.count, technique=self.technique or family, effector=rep.effector,
            start_ms=round(rep.start_s * 1000.0, 1), end_ms=round(rep.end_s * 1000.0, 1),
            peak_speed_m_s=round(float(report.max_speed), 2),
            speed_verdict=str(quality.get("verdict", "uncertain")), speed_reasons=list(quality.get("reasons", [])),
            overall_score=round(float(report.overall_score), 1),
            top_correction=report.corrections[0] if report.corrections else "",
            computed_in_ms=round((time.perf_counter() - began) * 1000.0, 1))
