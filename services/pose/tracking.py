"""Who is who across frames: people linked into tracks, tracks stitched, and the performer rule.

Linking: duplicate detections of one person are merged first (services.pose.pose_nms); then each
frame's people are assigned to the open tracks by the Hungarian method (scipy.optimize.linear_sum_assignment)
on a cost of box overlap, centre distance and clothing colour (services.pose.appearance), so identities
survive crossings and fast changes of shape. A track unseen for MAX_GAP_MS is closed.

Stitching: a person lost for a moment (mid-flip, occluded) comes back as a new track. Tracks that
share no frame, follow within MAX_STITCH_GAP_MS, look alike (appearance similarity at
least MIN_STITCH_SIMILARITY) and are where the person could have got to in the gap (at most
MAX_CENTRE_SHIFT box diagonals plus MAX_STITCH_SPEED body heights per second) are joined into one
identity: clothing alone joined a performer lost mid-flip to a passer-by who entered across the frame.
Where several identities could be continued, the one seen in the most frames is (PeopleTracker.identities).

Performer rule: the identity with the highest
    score = sum over its frames of (box height / frame height) x (1 + motion)
where motion is its mean speed of wrists and ankles in body heights per second, capped at
MAX_MOTION: the person who is large in the frame, stays there and moves. A bystander in the
background is small, and a passer-by is in few frames.

Rival: where another person is in view at the same time as the performer and nearly as prominent, the
rule's choice is close to a guess (sports2d: the athlete scores 146, the woman walking past 109; in its
mirror image a tracker lost him for good, 74 against her 111, until services.pose.redetect's second look
found him again: 167 against 111). The rival's
score as a share of the performer's (`rival_prominence`) goes with the sequence so that the analysis can
say so. Only identities seen in at least MIN_SHARED_FRAMES of the performer's frames count: a fragment of
the performer that failed to stitch is never in the same frame as the performer.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from services.pose.appearance import similarity
from services.pose.pose_nms import Box, box_of, centre_shift, distinct, iou

MAX_GAP_MS = 1000.0  # a person unseen for longer is considered gone; a later detection starts a new track
MIN_IOU = 0.1  # below this overlap, and farther than MAX_CENTRE_SHIFT, a detection is someone else
MAX_CENTRE_SHIFT = 0.75  # centre movement between matched frames, in box diagonals of the track
MIN_MATCH_SIMILARITY = 0.5  # clothing this different is never the same person, however close
MAX_STITCH_GAP_MS = 2500.0
MIN_STITCH_SIMILARITY = 0.75
MAX_STITCH_SPEED = 4.0  # body heights per second (~7 m/s for 1.75 m: a sprint); a farther jump is someone else
MIN_SHARED_FRAMES = 0.1  # share of the performer's frames a rival must also be seen in
MAX_MOTION = 2.0  # body heights per second; faster "motion" is landmark noise, not a person moving more
# A track's clothing descriptor is a running mean over about the last LOOK_WINDOW_MS of its sightings, whatever
# the frame rate: a window of 30 frames spanned 2 s at 15 fps, and the sports2d athlete's look before his
# flip then matched his look after it at 0.739 (under MIN_STITCH_SIMILARITY; 0.804 at 30 fps), so he became
# two people and the woman walking past was measured. Over one second: 0.788 at 15 fps, 0.811 at 30.
LOOK_WINDOW_MS = 1000.0
_LIMB_ENDS = [15, 16, 27, 28]  # BlazePose wrists and ankles
_INFEASIBLE = 1e6

@dataclass
class Track:
    id: int
    frame_height: int
    positions: list[int] = field(default_factory=list)  # frame positions (order of analysis)
    times_ms: list[float] = field(default_factory=list)
    boxes: list[Box] = field(default_factory=list)
    landmarks: list[np.ndarray] = field(default_factory=list)
    look: np.ndarray | None = None  # running mean appearance descriptor (LOOK_WINDOW_MS)
    _looks: int = 0  # descriptors averaged into `look`
    _size: float = 0.0  # running sum of box height / frame height
    _travel: float = 0.0  # body heights travelled by wrists and ankles (mean of the four)
    _moving_ms: float = 0.0

    def add(self, position: int, timestamp_ms: float, box: Box, landmarks: np.ndarray,
            look: np.ndarray | None) -> None:
        if self.landmarks:
            prev, dt = self.landmarks[-1], timestamp_ms - self.times_ms[-1]
            body = max(box[3] - box[1], 1.0) / self.frame_height  # body height as a fraction of the frame
            step = np.linalg.norm(landmarks[_LIMB_ENDS, :2] - prev[_LIMB_ENDS, :2], axis=1).mean()
            if dt > 0:
                self._travel += min(step / body, MAX_MOTION * dt / 1000.0)
                self._moving_ms += dt
        if look is not None and look.sum() > 0:
            if self.look is None:
                self.look = look.copy()
            else:  # the plain mean of the first sightings, then a moving average over the window
                since = timestamp_ms - self.times_ms[-1] if self.times_ms else 0.0
                weight = min(1.0, max(1.0 / (self._looks + 1), since / LOOK_WINDOW_MS))
                self.look = self.look + weight * (look - self.look)
            self._looks += 1
        self.positions.append(position)
        self.times_ms.append(timestamp_ms)
        self.boxes.append(box)
        self.landmarks.append(landmarks)
        self._size += (box[3] - box[1]) / self.frame_height

    def forget_history(self) -> None:
        for name in ("positions", "times_ms", "boxes", "landmarks"):
            del getattr(self, name)[:-1]

    @property
    def motion(self) -> float:
        """Mean speed of wrists and ankles, body heights per second (0 for a single frame)."""
        return self._travel / (self._moving_ms / 1000.0) if self._moving_ms > 0 else 0.0

    @property
    def score(self) -> float:
        return self._size * (1.0 + min(self.motion, MAX_MOTION))


@dataclass
class Identity:
    """One person over the clip: one or more tracks stitched together, in time order."""

    tracks: list[Track]

    @property
    def score(self) -> float:
        return sum(t.score for t in self.tracks)

    @property
    def positions(self) -> list[int]:
        return [p for t in self.tracks for p in t.positions]

    @property
    def landmarks(self) -> list[np.ndarray]:
        return [lm for t in self.tracks for lm in t.landmarks]


def _alike(a: Track, b: Track) -> bool:
    sim = similarity(a.look, b.look) if a.look is not None and b.look is not None else None
    return sim is not None and sim >= MIN_STITCH_SIMILARITY


def _reachable(a: Box, b: Box, gap_ms: float) -> bool:
    """Whether box b is where the person in box a could be gap_ms later."""
    body = max(a[3] - a[1], b[3] - b[1], 1.0)
    allowed = MAX_CENTRE_SHIFT * math.hypot(a[2] - a[0], a[3] - a[1]) + MAX_STITCH_SPEED * body * gap_ms / 1000.0
    return math.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2) <= allowed


class PeopleTracker:
    """Links detections frame by frame; `performer()` stitches tracks and applies the rule."""

    def __init__(self, width: int, height: int, max_gap_ms: float = MAX_GAP_MS, keep_history: bool = True) -> None:
        # keep_history=False (live streams): only each track's last frame is kept, so memory stays flat.
        self.width, self.height, self.max_gap_ms, self.keep_history = width, height, max_gap_ms, keep_history
        self.tracks: list[Track] = []
        self._open: list[Track] = []
        self._next_id = 0

    def update(self, position: int, timestamp_ms: float, people: list[np.ndarray],
               looks: list[np.ndarray] | None = None) -> int:
        """Assign this frame's people ((33, 8) landmark arrays, with optional appearance
        descriptors) to tracks; returns how many distinct people the frame holds."""
        self._open = [t for t in self._open if timestamp_ms - t.times_ms[-1] <= self.max_gap_ms]
        looks = looks if looks is not None else [np.zeros(0, dtype=np.float32)] * len(people)
        people, looks = distinct(people, looks, self.width, self.height)
        boxes = [box_of(p, self.width, self.height) for p in people]
        assigned: list[Track | None] = [None] * len(people)
        if self._open and people:
            cost = np.full((len(self._open), len(people)), _INFEASIBLE)
            for i, track in enumerate(self._open):
                for j, box in enumerate(boxes):
                    cost[i, j] = self._cost(track, box, looks[j])
            for i, j in zip(*linear_sum_assignment(cost)):
                if cost[i, j] < _INFEASIBLE:
                    assigned[j] = self._open[i]
        for j, person in enumerate(people):
            track = assigned[j]
            if track is None:
                track = Track(id=self._next_id, frame_height=self.height)
                self._next_id += 1
                self.tracks.append(track)
                self._open.append(track)
            track.add(position, timestamp_ms, boxes[j], person, looks[j] if looks[j].size else None)
            if not self.keep_history:
                track.forget_history()
        if not self.keep_history:
            self.tracks = [t for t in self.tracks if t in self._open]
        return len(people)

    @staticmethod
    def _cost(track: Track, box: Box, look: np.ndarray) -> float:
        overlap, shift = iou(track.boxes[-1], box), centre_shift(track.boxes[-1], box)
        if overlap < MIN_IOU and shift > MAX_CENTRE_SHIFT:
            return _INFEASIBLE
        cost = (1.0 - overlap) + shift
        sim = similarity(track.look, look) if track.look is not None and look.size else None
        if sim is not None:
            if sim < MIN_MATCH_SIMILARITY:
                return _INFEASIBLE
            cost += 1.0 - sim
        return cost

    def identities(self) -> list[Identity]:
        """Tracks joined greedily in order of their start. A track may continue an identity it shares no
        frame with, whose last sighting before it is within MAX_STITCH_GAP_MS, from where the person could
        have got to it, and which looks like it (MIN_STITCH_SIMILARITY, the look of the identity's track
        seen last); of those it continues the one seen in the most frames, else it starts a new identity.

        No shared frame, rather than a later start: two tracks of one person may interleave (the sports2d
        athlete at half resolution at the start of his flip: his track ended at 5.60 s, another of him ran
        from 5.43 s, in none of the same frames), while a track in a frame with the identity is someone
        else. Seen most, not most alike: the similarity gate says who could be the same person, and past
        it a long-followed person is likelier than a fragment (there his landing at 6.2 s looked 0.76 like
        him before the flip and 0.88 like a 4-frame piece of him mid-flip, itself 0.69 like him; joined to
        the piece, his landing and run were lost and the woman walking past scored level with him)."""
        identities: list[Identity] = []
        frames: list[set[int]] = []  # each identity's frame positions
        for track in sorted(self.tracks, key=lambda t: t.times_ms[0]):
            best, start = None, track.times_ms[0]
            for k, (ident, seen) in enumerate(zip(identities, frames)):
                if not seen.isdisjoint(track.positions):
                    continue
                # its last sighting before the track starts: (track, index) in each of its tracks, the latest
                before = [(t, bisect.bisect_left(t.times_ms, start) - 1) for t in ident.tracks]
                last, at = max(((t, i) for t, i in before if i >= 0), key=lambda ti: ti[0].times_ms[ti[1]],
                               default=(None, 0))
                if last is None:
                    continue
                gap = start - last.times_ms[at]
                if (gap <= MAX_STITCH_GAP_MS and _reachable(last.boxes[at], track.boxes[0], gap)
                        and _alike(last, track) and (best is None or len(seen) > len(frames[best]))):
                    best = k
            if best is None:
                identities.append(Identity([track]))
                frames.append(set(track.positions))
            else:
                identities[best].tracks.append(track)
                frames[best].update(track.positions)
        return identities

    def performer(self) -> Identity | None:
        return self.performer_and_rival()[0]

    def performer_and_rival(self) -> tuple[Identity | None, float]:
        """The performer, and the score of the most prominent other person seen in the same frames as a
        share of the performer's (0: nobody else shared the frames)."""
        identities = self.identities()
        performer = max(identities, key=lambda ident: ident.score, default=None)
        if performer is None or performer.score <= 0:
            return performer, 0.0
        mine = set(performer.positions)
        rivals = [ident.score for ident in identities if ident is not performer
                  and len(mine.intersection(ident.positions)) >= MIN_SHARED_FRAMES * len(mine)]
        return performer, min(1.0, max(rivals, default=0.0) / performer.score)


class LivePerformer:
    """The performer rule applied online: keep the current performer while they are in view,
    otherwise switch to the open track with the highest score so far."""

    def __init__(self, width: int, height: int) -> None:
        self.tracker = PeopleTracker(width, height, keep_history=False)
        self.current: Track | None = None

    def choose(self, position: int, timestamp_ms: float, people: list[np.ndarray]) -> np.ndarray | None:
        self.tracker.update(position, timestamp_ms, people)
        seen_now = [t for t in self.tracker.tracks if t.positions and t.positions[-1] == position]
        if self.current is None or self.current not in seen_now:
            self.current = max(seen_now, key=lambda t: t.score, default=None)
        return None if self.current is None else self.current.landmarks[-1]
