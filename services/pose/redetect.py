"""Second look at the frames where a person went missing, to tell who is who: a crop around where they must be.

BlazePose finds people with a detector and then follows them with its landmark model (VIDEO mode). Once a
tracker loses someone, only the detector can find them again, and on the whole frame it can miss a person it
followed a moment earlier, for seconds: in the mirror image of the sports2d clip the detector found the
athlete in 1 of 60 frames (IMAGE mode, every frame detected anew), and the tracker that had lost him when a
passer-by walked in never got him back (a second tracker, on the other frames, kept him throughout). He was
then in 143 of 230 frames, scored under the passer-by, and she was measured instead. Cropped around where he
was in the frames before and after (the box interpolated in time, EXPAND times its size), the same model found
him in 55 of those 60 frames (48 with 1.2x, 53 with 2.2x).

So where two or more identities could be the performer (each scoring at least FOLLOW_SHARE of the best:
services.pose.tracking's rule), their gaps are looked at again: the analysed frames between two of their
detections at most MAX_GAP_MS apart, and up to EDGE_MS next to the ends of a longer gap and of the clip. The
pose workers crop those regions and run BlazePose on each crop alone (IMAGE mode: no state, so the result
does not depend on how the regions are shared out between workers); a person found there is kept only where
it lies where the region expected them (MAX_CENTRE_SHIFT box diagonals, as the tracker links frames), and goes
into that frame's detections before the people are linked into tracks again. Duplicates of someone the
first pass had found are dropped there as any duplicate is (services.pose.pose_nms). A video with one
candidate for the performer costs nothing more.

What is found in a crop decides who is who, not what is measured (services.pose.extract keeps only the
trackers' landmarks of the performer). Measured on sports2d: with the crops' landmarks measured too, the
clip's fastest moment moved to 0.2-0.5 s, where a tracker had put the left toe at the hand for a few frames
(those frames had been at the start of the measured stretch, whose edges the filter leaves out, and the
crops found him in the frames before them), and its mirror image read 11.0 m/s against 8.25; a crop's
landmarks, detected alone, are also not smoothed over time as a tracker's are. Kept for identity only, the
mirror image reads 7.24 m/s against the original's 7.28 (0.995; it had read 0.578 when she was measured).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from services.pose.pose_nms import Box, box_of, centre_shift
# MAX_GAP_MS: a longer gap is a person gone, as the tracker holds, not one the detector missed
from services.pose.tracking import MAX_CENTRE_SHIFT, MAX_GAP_MS, Identity, PeopleTracker

FOLLOW_SHARE = 0.3  # identities scoring at least this share of the best one's gaps are looked at again
EDGE_MS = 500.0  # how far before a first / after a last detection a person may have been missed
EXPAND = 1.6  # crop side / the larger side of the expected box (1.2: 48, 1.6: 55, 2.2: 53 of 60 found)
MAX_REGIONS = 900  # per video: bounds the second pass (~50 ms of CPU each) and the job line's size

Region = tuple[int, int, int, int, int]  # frame index, x0, y0, x1, y1 (pixels of the displayed frame)


@dataclass(frozen=True)
class Wanted:
    region: Region  # the crop to detect again
    expected: Box  # where the person was expected (pixels): what is found must lie near it


Record = tuple[int, float, list[np.ndarray], list[np.ndarray]]  # index, ms, people (33, 8), looks


def track(records: list[Record], width: int, height: int) -> tuple[PeopleTracker, int]:
    """People linked into tracks over the records (frame order); also the most people in one frame."""
    tracker, most = PeopleTracker(width, height), 0
    for position, (_, ts, people, looks) in enumerate(records):
        most = max(most, tracker.update(position, ts, people, looks))
    return tracker, most


def _square(box: Box, width: int, height: int) -> tuple[int, int, int, int] | None:
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    half = EXPAND * max(box[2] - box[0], box[3] - box[1], 1.0) / 2
    x0, y0 = max(0, math.floor(cx - half)), max(0, math.floor(cy - half))
    x1, y1 = min(width, math.ceil(cx + half)), min(height, math.ceil(cy + half))
    return (x0, y0, x1, y1) if x1 - x0 >= 16 and y1 - y0 >= 16 else None


def _lerp(a: Box, b: Box, f: float) -> Box:
    return tuple(float(p + (q - p) * f) for p, q in zip(a, b))  # type: ignore[return-value]


def _missing(ident: Identity, times: list[float]) -> list[tuple[int, Box]]:
    """(position, expected box) of the analysed frames in this identity's gaps: the whole of a gap up to
    MAX_GAP_MS (the box interpolated in time), and of a longer one, as before the first and after the last
    sighting, the EDGE_MS next to a sighting (its box kept)."""
    seen = sorted((p, b) for t in ident.tracks for p, b in zip(t.positions, t.boxes))
    out: list[tuple[int, Box]] = []
    for (p, a), (q, b) in zip(seen, seen[1:]):
        span = times[q] - times[p]
        if q - p > 1 and span <= MAX_GAP_MS:
            out += [(m, _lerp(a, b, (times[m] - times[p]) / span if span > 0 else 0.0)) for m in range(p + 1, q)]
        elif q - p > 1:
            out += [(m, a) for m in range(p + 1, q) if times[m] - times[p] <= EDGE_MS]
            out += [(m, b) for m in range(p + 1, q) if times[q] - times[m] <= EDGE_MS]
    first, last = seen[0], seen[-1]
    out += [(m, first[1]) for m in range(first[0]) if times[first[0]] - times[m] <= EDGE_MS]
    out += [(m, last[1]) for m in range(last[0] + 1, len(times)) if times[m] - times[last[0]] <= EDGE_MS]
    return out


def plan(tracker: PeopleTracker, records: list[Record]) -> list[Wanted]:
    """The regions to detect again (at most MAX_REGIONS, the leading identities' gaps first); none where at
    most one identity could be the performer."""
    identities = sorted(tracker.identities(), key=lambda ident: -ident.score)
    if len(identities) < 2 or identities[1].score < FOLLOW_SHARE * identities[0].score:
        return []
    times = [r[1] for r in records]
    wanted: list[Wanted] = []
    for ident in identities:
        if ident.score < FOLLOW_SHARE * identities[0].score:
            break
        for position, box in _missing(ident, times):
            square = _square(box, tracker.width, tracker.height)
            if square is not None:
                wanted.append(Wanted((records[position][0], *square), box))
    return wanted[:MAX_REGIONS]


def merge(records: list[Record], wanted: list[Wanted], found: dict[int, list[tuple[np.ndarray, np.ndarray]]],
          width: int, height: int) -> tuple[list[Record], set[int]]:
    """The records with each region's person added to its frame where it lies where that person was
    expected; `found` maps a number in `wanted` to what its crop held (landmarks in the whole frame's
    coordinates, look). Returns the records and the id() of each landmark array added (the caller tells a
    crop's person from a tracker's by it, while the records live)."""
    by_index = {r[0]: n for n, r in enumerate(records)}
    out = [(i, ts, list(people), list(looks)) for i, ts, people, looks in records]
    added: set[int] = set()
    for number, people in sorted(found.items()):  # the plan's order, however the regions were shared out
        index, expected = wanted[number].region[0], wanted[number].expected
        for landmarks, look in people:
            if centre_shift(expected, box_of(landmarks, width, height)) <= MAX_CENTRE_SHIFT:
                out[by_index[index]][2].append(landmarks)
                out[by_index[index]][3].append(look)
                added.add(id(landmarks))
    return out, added


def to_frame(crop_landmarks: np.ndarray, region: Region, width: int, height: int) -> np.ndarray:
    """(33, 8) landmarks found in a region's crop, in the whole frame's normalised coordinates: x, y moved and
    scaled, z (in x's scale) scaled with x; world landmarks (metres about the hips), visibility and presence
    are the crop's."""
    _, x0, y0, x1, y1 = region
    out = np.array(crop_landmarks, dtype=np.float32, copy=True)
    out[:, 0] = (x0 + out[:, 0] * (x1 - x0)) / width
    out[:, 1] = (y0 + out[:, 1] * (y1 - y0)) / height
    out[:, 2] = out[:, 2] * (x1 - x0) / width
    return out
