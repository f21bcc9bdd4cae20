"""People tracking on synthetic detections: duplicates, appearance gating, stitching and the performer rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.pose import appearance
from services.pose.tracking import (MAX_GAP_MS, MAX_STITCH_GAP_MS, MAX_STITCH_SPEED, MIN_MATCH_SIMILARITY,
                                    MIN_STITCH_SIMILARITY, LivePerformer, PeopleTracker, distinct, same_skeleton)

SIZE = 1000  # square frame, pixels
FRAME_MS = 1000 / 30

# A standing person in body units: x across the body (0 = its centre line), y down from the top of the
# head (0) to the toes (1), by BlazePose landmark index.
_TEMPLATE = np.zeros((33, 2))
_TEMPLATE[0] = (0, 0.06)
_TEMPLATE[1:7] = [(-0.02, 0.04), (-0.03, 0.04), (-0.04, 0.04), (0.02, 0.04), (0.03, 0.04), (0.04, 0.04)]
_TEMPLATE[7:11] = [(-0.05, 0.05), (0.05, 0.05), (-0.02, 0.09), (0.02, 0.09)]
_TEMPLATE[11:17] = [(-0.12, 0.2), (0.12, 0.2), (-0.15, 0.38), (0.15, 0.38), (-0.16, 0.52), (0.16, 0.52)]
_TEMPLATE[17:23] = [(-0.17, 0.55), (0.17, 0.55), (-0.16, 0.56), (0.16, 0.56), (-0.15, 0.54), (0.15, 0.54)]
_TEMPLATE[23:29] = [(-0.08, 0.52), (0.08, 0.52), (-0.08, 0.74), (0.08, 0.74), (-0.08, 0.95), (0.08, 0.95)]
_TEMPLATE[29:33] = [(-0.08, 0.97), (0.08, 0.97), (-0.1, 1.0), (0.1, 1.0)]
_WRISTS, _ANKLES = [15, 16], [27, 28]
# Landmark order of the same skeleton with its sides swapped (left <-> right).
_MIRROR = [0, 4, 5, 6, 1, 2, 3, 8, 7, 10, 9, *[k + (1 if k % 2 else -1) for k in range(11, 33)]]


def person(cx: float, top: float, height: float, t_ms: float = 0.0, swing: float = 0.0,
           visibility: float = 0.9) -> np.ndarray:
    """(33, 8) landmarks of a person `height` frames tall (normalised), centred at `cx`, head at `top`;
    wrists and ankles swing sideways by `swing` body heights at 1.5 Hz."""
    body = _TEMPLATE.copy()
    offset = swing * math.sin(2 * math.pi * 1.5 * t_ms / 1000.0)
    body[_WRISTS + _ANKLES, 0] += offset
    lms = np.zeros((33, 8), dtype=np.float32)
    lms[:, 0] = cx + body[:, 0] * height
    lms[:, 1] = top + body[:, 1] * height
    lms[:, 3:5] = (body - [0, 0.52]) * 1.7  # metres, about the hips
    lms[:, 6:8] = visibility
    return lms


def look(bin_: int, other: int | None = None, share: float = 0.0) -> np.ndarray:
    """Appearance descriptor: all of each region's pixels in hue x saturation bin `bin_`, or `share` of
    them moved to bin `other` (Bhattacharyya similarity of look(a) and look(a, b, share) = sqrt(1 - share))."""
    half = appearance.HUE_BINS * appearance.SAT_BINS
    out = np.zeros(appearance.SIZE, dtype=np.float32)
    for region in (0, half):
        out[region + bin_] = 1.0 - share
        if other is not None:
            out[region + other] += share
    return out


RED, BLUE, GREEN = look(2), look(17), look(11)


def run(tracker: PeopleTracker, frames: list[list[tuple[np.ndarray, np.ndarray | None]]],
        start_ms: float = 0.0) -> None:
    for pos, people in enumerate(frames):
        lms = [p for p, _ in people]
        looks = [lk for _, lk in people] if all(lk is not None for _, lk in people) else None
        tracker.update(pos, start_ms + pos * FRAME_MS, lms, looks)


def t(pos: int) -> float:
    return pos * FRAME_MS


# ---- the performer rule -----------------------------------------------------------------------------------------
def test_large_moving_performer_beats_small_static_bystander():
    tracker = PeopleTracker(SIZE, SIZE)
    frames = [[(person(0.15, 0.35, 0.2), GREEN), (person(0.55, 0.2, 0.6, t(i), swing=0.2), RED)] for i in range(90)]
    run(tracker, frames)
    assert len(tracker.identities()) == 2
    performer = tracker.performer()
    assert performer.positions == list(range(90))
    assert all(np.array_equal(lm, frames[i][1][0]) for i, lm in enumerate(performer.landmarks))


def test_motion_outweighs_size():
    """A person kicking and punching beats a larger one who only stands there (score = size x (1 + motion))."""
    tracker = PeopleTracker(SIZE, SIZE)
    frames = [[(person(0.25, 0.2, 0.55), GREEN), (person(0.7, 0.3, 0.4, t(i), swing=0.2), RED)] for i in range(90)]
    run(tracker, frames)
    mover = tracker.performer()
    assert np.array_equal(mover.landmarks[0], frames[0][1][0])
    # ... and without the motion the larger person would have won.
    still = PeopleTracker(SIZE, SIZE)
    run(still, [[(person(0.25, 0.2, 0.55), GREEN), (person(0.7, 0.3, 0.4), RED)] for _ in range(90)])
    assert np.array_equal(still.performer().landmarks[0], frames[0][0][0])


def test_a_rival_as_prominent_as_the_performer_is_reported():
    """Two people side by side, the same size and motion: either could be the performer (rival 0.9-1.0);
    a small still bystander is a small share; nobody else, 0."""
    pair = PeopleTracker(SIZE, SIZE)
    run(pair, [[(person(0.3, 0.2, 0.5, t(i), swing=0.2), RED), (person(0.7, 0.2, 0.48, t(i), swing=0.2), BLUE)]
               for i in range(90)])
    performer, rival = pair.performer_and_rival()
    assert performer.positions == pair.performer().positions and 0.9 <= rival <= 1.0
    bystander = PeopleTracker(SIZE, SIZE)
    run(bystander, [[(person(0.15, 0.35, 0.2), GREEN), (person(0.55, 0.2, 0.6, t(i), swing=0.2), RED)]
                    for i in range(90)])
    assert 0.0 < bystander.performer_and_rival()[1] < 0.3
    alone = PeopleTracker(SIZE, SIZE)
    run(alone, [[(person(0.5, 0.2, 0.6, t(i), swing=0.2), RED)] for i in range(90)])
    assert alone.performer_and_rival()[1] == 0.0


def test_a_fragment_of_the_performer_is_no_rival():
    """The performer lost for longer than a stitch allows comes back as another identity, never in the same
    frames: not a rival, however large."""
    tracker = PeopleTracker(SIZE, SIZE)
    frames = [[(person(0.5, 0.2, 0.6, t(i), swing=0.2), RED)] if i < 60 else [] for i in range(60 + 120)]
    frames += [[(person(0.5, 0.2, 0.6, t(i), swing=0.2), RED)] for i in range(50)]
    run(tracker, frames)
    assert len(tracker.identities()) == 2
    assert tracker.performer_and_rival()[1] == 0.0


def test_passer_by_in_few_frames_loses():
    tracker = PeopleTracker(SIZE, SIZE)
    frames = []
    for i in range(90):
        people = [(person(0.4, 0.25, 0.45, t(i), swing=0.05), RED)]
        if 40 <= i < 50:  # close to the camera, big and fast, but only for a third of a second
            people.append((person(0.85, 0.05, 0.9, t(i), swing=0.3), BLUE))
        frames.append(people)
    run(tracker, frames)
    assert sorted(len(ident.positions) for ident in tracker.identities()) == [10, 90]
    assert tracker.performer().positions == list(range(90))


# ---- duplicate detections ---------------------------------------------------------------------------------------
def test_duplicate_detections_of_one_body_are_merged():
    full = person(0.5, 0.2, 0.6, visibility=0.9)
    shrunk = person(0.5, 0.22, 0.55, visibility=0.6)  # a second skeleton fitted to the same body
    upper = full.copy()  # a partial skeleton: legs folded up onto the torso, inside the full box
    upper[23:, 1] = upper[23:, 1] * 0.5 + 0.1
    upper[:, 6] = 0.4
    neighbour = person(0.85, 0.2, 0.6)  # someone else, beside the first: kept
    people, looks = distinct([upper, shrunk, full, neighbour], [GREEN, BLUE, RED, GREEN], SIZE, SIZE)
    assert len(people) == 2 and people[0] is full and people[1] is neighbour  # the more visible one, in order
    assert looks[0] is RED
    tracker = PeopleTracker(SIZE, SIZE)
    assert tracker.update(0, 0.0, [upper, full, shrunk], [GREEN, RED, BLUE]) == 1
    assert len(tracker.tracks) == 1 and tracker.tracks[0].landmarks[0] is full


def test_people_side_by_side_are_not_duplicates():
    left, right = person(0.45, 0.2, 0.6), person(0.6, 0.2, 0.6)  # boxes overlap a little (IoU ~0.15)
    people, _ = distinct([left, right], [RED, BLUE], SIZE, SIZE)
    assert len(people) == 2


def test_ghost_skeleton_inside_a_body_is_a_duplicate():
    """Multi-pose BlazePose drew a collapsed second skeleton in a performer with arms overhead (Sports2D
    demo mirrored, 1.4 s): head and shoulders on the body, hips stretched down to the knees, arms out
    into the tree. Its box overlaps the real one's by IoU 0.4 and covers only 0.7 of itself: the box
    tests alone kept it, and it then started a second track that took half the performer's frames."""
    real = person(0.5, 0.2, 0.6)
    ghost = person(0.52, 0.25, 0.55, visibility=0.95)
    ghost[[11, 12], 0] = 0.52  # shoulders collapsed onto one point
    ghost[[23, 24], 1] = 0.2 + 0.74 * 0.6  # hips at the real knees
    ghost[[13, 15, 17, 19, 21], 0] = 0.75  # one arm out to the side
    assert same_skeleton(real, ghost, SIZE, SIZE)
    people, _ = distinct([real, ghost], [RED, RED], SIZE, SIZE)
    assert len(people) == 1
    # A partial skeleton sharing head and both shoulders is one body too, mirrored or not.
    partial = real.copy()
    partial[[23, 24], 1] += 0.1
    assert same_skeleton(real, partial, SIZE, SIZE) and same_skeleton(real, partial[_MIRROR], SIZE, SIZE)
    # Contrast: a sparring partner reached by a punch (its core inside the puncher's box, its own box not).
    puncher, partner = person(0.4, 0.2, 0.6), person(0.62, 0.2, 0.6)
    puncher[[14, 16, 18, 20, 22], 0] = 0.66  # the right arm reaches the partner's chest
    assert not same_skeleton(puncher, partner, SIZE, SIZE)
    assert len(distinct([puncher, partner], [RED, BLUE], SIZE, SIZE)[0]) == 2


# ---- appearance gating and stitching ----------------------------------------------------------------------------
def _swap_at_same_place(looks: tuple[np.ndarray | None, np.ndarray | None]) -> PeopleTracker:
    """One person for 30 frames, nobody for 2 (well within MAX_GAP_MS), then a person in the same place."""
    tracker = PeopleTracker(SIZE, SIZE)
    frames = [[(person(0.5, 0.2, 0.6, t(i), swing=0.1), looks[0])] for i in range(30)] + [[], []]
    frames += [[(person(0.5, 0.2, 0.6, t(i), swing=0.1), looks[1])] for i in range(32, 60)]
    run(tracker, frames)
    return tracker


def test_different_looking_person_at_the_same_place_does_not_continue_the_track():
    tracker = _swap_at_same_place((RED, BLUE))
    assert len(tracker.tracks) == 2
    assert [track.positions[0] for track in tracker.tracks] == [0, 32]
    assert len(tracker.identities()) == 2  # nor are they stitched together
    # Contrast: the same boxes with no appearance information, or the same clothes, are one track.
    assert len(_swap_at_same_place((None, None)).tracks) == 1
    assert len(_swap_at_same_place((RED, RED)).tracks) == 1


@pytest.mark.parametrize("similarity, tracks", [(MIN_MATCH_SIMILARITY - 0.05, 2), (MIN_MATCH_SIMILARITY + 0.05, 1)])
def test_min_match_similarity_is_the_gate(similarity, tracks):
    newcomer = look(2, other=17, share=1 - similarity ** 2)
    assert appearance.similarity(RED, newcomer) == pytest.approx(similarity, abs=1e-6)
    assert len(_swap_at_same_place((RED, newcomer)).tracks) == tracks


def _lost_and_found(gap_ms: float, second: np.ndarray) -> PeopleTracker:
    """A red person for one second, gone for gap_ms (longer than MAX_GAP_MS: the track closes), then a
    person looking like `second` comes back a little to the side."""
    tracker = PeopleTracker(SIZE, SIZE)
    for i in range(30):
        tracker.update(i, t(i), [person(0.4, 0.2, 0.6, t(i), swing=0.1)], [RED])
    back = t(29) + gap_ms
    for i in range(30):
        tracker.update(30 + i, back + t(i), [person(0.6, 0.2, 0.6, t(i), swing=0.1)], [second])
    return tracker


def test_same_looking_person_after_a_short_gap_is_stitched_into_one_identity():
    gap = (MAX_GAP_MS + MAX_STITCH_GAP_MS) / 2
    tracker = _lost_and_found(gap, RED)
    assert len(tracker.tracks) == 2  # the gap closed the first track
    (identity,) = tracker.identities()
    assert identity.tracks == tracker.tracks and identity.positions == list(range(60))
    assert tracker.performer() is not None and tracker.performer().positions == list(range(60))
    # Contrast: a longer gap, or other clothes, leave two people.
    assert len(_lost_and_found(MAX_STITCH_GAP_MS + 500, RED).identities()) == 2
    assert len(_lost_and_found(gap, BLUE).identities()) == 2
    assert appearance.similarity(RED, BLUE) < MIN_STITCH_SIMILARITY


def test_someone_alike_who_could_not_have_got_there_is_not_stitched():
    """The performer lost mid-flip (Sports2D demo mirrored) was stitched to a passer-by who entered
    across the frame 67 ms later in similar colours (similarity 0.76): a jump of ~2 body heights."""
    def lost_then(x_back: float, gap_ms: float) -> int:
        tracker = PeopleTracker(SIZE, SIZE)
        for i in range(30):
            tracker.update(i, t(i), [person(0.8, 0.2, 0.3, t(i), swing=0.1)], [RED])
        for i in range(30):
            tracker.update(30 + i, t(29) + gap_ms + t(i), [person(x_back, 0.2, 0.3, t(i), swing=0.1)], [RED])
        return len(tracker.identities())

    # 0.6 of the frame = 2 body heights away one frame later: a new track, and not the same identity...
    assert lost_then(0.2, FRAME_MS) == 2
    # ...but reachable after 1.5 s (at most 0.75 box diagonals + MAX_STITCH_SPEED x 1.5 body heights).
    assert MAX_STITCH_SPEED * 1.5 > 2
    assert lost_then(0.2, 1500.0) == 1


# ---- live use -----------------------------------------------------------------------------------------------------
def test_without_history_memory_stays_flat_and_scores_are_kept():
    def feed(tracker: PeopleTracker, frames: int) -> None:
        for i in range(frames):
            people = [(person(0.5, 0.2, 0.6, t(i), swing=0.2), RED)]
            if i % 90 < 10:  # a passer-by every 3 s, a new track each time
                people.append((person(0.1, 0.5, 0.3, t(i)), BLUE))
            tracker.update(i, t(i), [p for p, _ in people], [lk for _, lk in people])

    live, full = PeopleTracker(SIZE, SIZE, keep_history=False), PeopleTracker(SIZE, SIZE)
    feed(live, 1500)
    assert all(len(tr.positions) == len(tr.landmarks) == len(tr.boxes) == len(tr.times_ms) == 1 for tr in live.tracks)
    assert len(live.tracks) <= 2  # closed tracks are dropped
    feed(full, 1500)
    assert len(full.tracks) == 1 + math.ceil(1500 / 90) and len(full.tracks[0].positions) == 1500
    # The running score needs no history: the performer's is the same either way.
    assert live.tracks[0].score == pytest.approx(full.tracks[0].score)


def test_live_performer_stays_with_the_current_one_while_in_view():
    live = LivePerformer(SIZE, SIZE)
    small = [person(0.3, 0.3, 0.3, t(i), swing=0.1) for i in range(90)]
    big = [person(0.75, 0.1, 0.8, t(i), swing=0.2) for i in range(90)]
    for i in range(30):
        assert np.array_equal(live.choose(i, t(i), [small[i]]), small[i])
    for i in range(30, 60):  # a bigger, livelier person arrives: the performer in view is kept
        assert np.array_equal(live.choose(i, t(i), [big[i], small[i]]), small[i])
    for i in range(60, 90):  # the performer left: the one in view takes over
        assert np.array_equal(live.choose(i, t(i), [big[i]]), big[i])
    assert live.choose(90, t(90), []) is None
