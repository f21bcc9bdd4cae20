"""People tracking on synthetic detections: duplicates, appearance gating, stitching and the performer rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.pose import appearance
from services.pose.tracking import (MAX_GAP_MS, MAX_STITCH_GAP_MS, MAX_STITCH_SPEED, MIN_MATCH_SIMILARITY,
                                    MIN_STITCH_SIMILARITY, LivePerformer, PeopleTracker, Track)
from testkit.people import BLUE, FRAME_MS, GREEN, RED, SIZE, look, person



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
def test_duplicates_are_merged_before_tracking():
    full = person(0.5, 0.2, 0.6, visibility=0.9)
    shrunk = person(0.5, 0.22, 0.55, visibility=0.6)  # a second skeleton fitted to the same body
    tracker = PeopleTracker(SIZE, SIZE)
    assert tracker.update(0, 0.0, [full, shrunk], [RED, BLUE]) == 1
    assert len(tracker.tracks) == 1 and tracker.tracks[0].landmarks[0] is full


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


def test_a_returning_person_continues_the_identity_seen_most():
    """Past the similarity gate a long-followed person is likelier than a fragment: the sports2d athlete
    landing after his flip at half resolution had joined a 4-frame piece of himself (0.88 alike) rather than
    himself before the flip (0.76), and the woman walking past was measured."""
    piece_look = look(2, 17, 0.3)  # the returning person looks 0.84 like RED, 1.0 like the piece
    assert MIN_STITCH_SIMILARITY < appearance.similarity(RED, piece_look) < 0.9
    tracker = PeopleTracker(SIZE, SIZE)
    for i in range(60):
        people = [(person(0.3, 0.2, 0.6, t(i), swing=0.1), RED)]
        if i >= 50:  # a piece of someone beside him for the last 10 frames: a frame shared, so another identity
            people.append((person(0.7, 0.2, 0.6, t(i)), piece_look))
        tracker.update(i, t(i), [p for p, _ in people], [lk for _, lk in people])
    back = t(59) + 1500.0  # longer than MAX_GAP_MS: the tracks have closed
    for i in range(30):
        tracker.update(60 + i, back + t(i), [person(0.5, 0.2, 0.6, t(i), swing=0.1)], [piece_look])
    long_followed = max(tracker.identities(), key=lambda ident: len(ident.positions))
    assert long_followed.positions == list(range(60)) + list(range(60, 90))
    assert len(tracker.identities()) == 2


def _track(frames: list[int], cx: float) -> Track:
    track = Track(id=0, frame_height=SIZE)
    for pos in frames:
        track.add(pos, t(pos), (SIZE * (cx - 0.1), 200.0, SIZE * (cx + 0.1), 800.0), person(cx, 0.2, 0.6, t(pos)), RED)
    return track


@pytest.mark.parametrize("shared", [False, True])
def test_interleaved_tracks_of_one_person_are_one_identity(shared):
    """Two tracks of one person may overlap in time without sharing a frame (the sports2d athlete at half
    resolution at the start of his flip: one track ended at 5.60 s, another of him ran from 5.43 s): they are
    one identity. Tracks in one frame together are two people."""
    tracker = PeopleTracker(SIZE, SIZE)
    first = _track(list(range(0, 35)) + [36, 38, 40], 0.40)
    second = _track(([20] if shared else []) + [35, 37, 39] + list(range(41, 70)), 0.45)
    tracker.tracks = [first, second]
    assert len(tracker.identities()) == (2 if shared else 1)


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


@pytest.mark.parametrize("fps", [15.0, 60.0])
def test_a_tracks_look_averages_the_same_span_of_time_at_any_frame_rate(fps):
    """A person whose clothing reads RED for 3 s, then 60 % of it BLUE (turning into the light), has after
    0.5 s the same running look at 15 or 60 fps as at 30: the mean spans about LOOK_WINDOW_MS, not a count
    of frames (30 frames spanned 2 s at 15 fps, and the sports2d athlete failed to stitch across his flip)."""
    lit = look(2, 17, 0.6)

    def blue_in_final_look(rate: float) -> float:
        tracker = PeopleTracker(SIZE, SIZE)
        for pos, ms in enumerate(np.arange(0.0, 3500.0, 1000.0 / rate)):
            tracker.update(pos, float(ms), [person(0.5, 0.2, 0.6, ms)], [RED if ms < 3000.0 else lit])
        (track,) = tracker.tracks
        return float(track.look[17])

    at_30 = blue_in_final_look(30.0)
    assert 0.1 < at_30 < 0.5  # half a second of the new look shows in a one-second mean, not all of it
    assert blue_in_final_look(fps) == pytest.approx(at_30, abs=0.03)
