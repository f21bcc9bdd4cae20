"""The second look at a person's missed frames (services.pose.redetect), on synthetic detections: which crops
are asked for, which of the people found there are kept, and the crop's landmarks put back in the frame."""

from __future__ import annotations

import numpy as np
import pytest

from services.kit.paths import VIDEOS
from services.pose import redetect
from services.pose.extract import extract_poses
from services.pose.pose_nms import box_of
from testkit.people import BLUE, FRAME_MS, GREEN, RED, SIZE, person
from testkit.videos import EXTRACT_WORKERS


def records(frames: list[list[tuple[np.ndarray, np.ndarray]]]) -> list[redetect.Record]:
    return [(i, i * FRAME_MS, [p for p, _ in people], [lk for _, lk in people]) for i, people in enumerate(frames)]


def walker(i: int) -> np.ndarray:
    """A person walking right across the frame, 0.4 frames tall, swinging their limbs."""
    return person(0.2 + 0.005 * i, 0.3, 0.4, i * FRAME_MS, swing=0.1)


def rival(i: int) -> np.ndarray:
    """Someone else as large and as lively, on the other side of the frame, seen in every frame."""
    return person(0.8, 0.3, 0.4, i * FRAME_MS, swing=0.1)


def wanted_frames(wanted: list[redetect.Wanted]) -> list[int]:
    return sorted(w.region[0] for w in wanted)


def test_a_gap_in_a_performers_track_is_looked_at_again_where_they_must_be():
    frames = [([] if 30 <= i < 40 else [(walker(i), RED)]) + [(rival(i), BLUE)] for i in range(60)]
    recs = records(frames)
    tracker, _ = redetect.track(recs, SIZE, SIZE)
    wanted = redetect.plan(tracker, recs)
    assert wanted_frames(wanted) == list(range(30, 40))
    for w in wanted:
        index, x0, y0, x1, y1 = w.region
        truth = box_of(walker(index), SIZE, SIZE)  # where they really were: inside the crop, near its centre
        assert x0 <= truth[0] and truth[2] <= x1 and y0 <= truth[1] and truth[3] <= y1
        assert abs((x0 + x1) / 2 - (0.2 + 0.005 * index) * SIZE) < 0.05 * SIZE
        assert (y1 - y0) == pytest.approx(redetect.EXPAND * (truth[3] - truth[1]), rel=0.05)


def test_someone_found_everywhere_costs_no_second_look():
    recs = records([[(walker(i), RED), (rival(i), BLUE)] for i in range(60)])
    tracker, _ = redetect.track(recs, SIZE, SIZE)
    assert redetect.plan(tracker, recs) == []


def test_with_one_candidate_for_the_performer_who_is_who_is_not_in_doubt():
    """The second look decides who is who; with nobody else near the performer's score it is not taken."""
    frames = [[] if 30 <= i < 40 else [(walker(i), RED)] for i in range(60)]
    frames = [people + [(person(0.85, 0.1, 0.08), GREEN)] for people in frames]  # a small still figure
    recs = records(frames)
    tracker, _ = redetect.track(recs, SIZE, SIZE)
    assert redetect.plan(tracker, recs) == []


def test_a_long_absence_is_someone_gone_and_a_minor_figure_is_not_followed():
    """Of a gap longer than MAX_GAP_MS only the EDGE_MS after the last sighting and before the next are asked
    for, and nothing of the gaps of a small still bystander whose score is under FOLLOW_SHARE of the
    performer's."""
    gap = int(redetect.MAX_GAP_MS / FRAME_MS) + 10
    edge = int(redetect.EDGE_MS / FRAME_MS)
    frames = [([] if 20 <= i < 20 + gap else [(walker(i), RED)]) + [(rival(i), BLUE)] for i in range(40 + gap)]
    for i in range(0, 40 + gap, 2):  # a small still figure seen every other frame
        frames[i] = frames[i] + [(person(0.85, 0.1, 0.08), GREEN)]
    recs = records(frames)
    tracker, _ = redetect.track(recs, SIZE, SIZE)
    asked = wanted_frames(redetect.plan(tracker, recs))
    last, back = 19 * FRAME_MS, (20 + gap) * FRAME_MS  # the last sighting before the gap, the first after
    assert asked == [m for m in range(20, 20 + gap)
                     if m * FRAME_MS - last <= redetect.EDGE_MS or back - m * FRAME_MS <= redetect.EDGE_MS]
    assert 2 * edge <= len(asked) <= 2 * edge + 2 < gap


def test_the_people_a_crop_held_are_kept_only_where_they_were_expected():
    frames = [([] if i == 30 else [(walker(i), RED)]) + [(rival(i), BLUE)] for i in range(60)]
    recs = records(frames)
    tracker, _ = redetect.track(recs, SIZE, SIZE)
    wanted = redetect.plan(tracker, recs)
    assert wanted_frames(wanted) == [30]
    right, elsewhere = walker(30), person(0.9, 0.3, 0.4)  # the other: farther than MAX_CENTRE_SHIFT
    merged, added = redetect.merge(recs, wanted, {0: [(right, RED), (elsewhere, GREEN)]}, SIZE, SIZE)
    assert added == {id(right)}
    assert len(merged[30][2]) == 2 and merged[30][2][1] is right
    assert len(recs[30][2]) == 1  # the first pass's records are left as they were
    again, _ = redetect.track(merged, SIZE, SIZE)
    assert [ident.positions for ident in again.identities()] == [list(range(60))] * 2


def test_landmarks_found_in_a_crop_are_put_back_in_the_frame():
    crop = np.zeros((33, 8), dtype=np.float32)
    crop[:, 0], crop[:, 1], crop[:, 2] = 0.5, 0.25, 0.1
    crop[:, 3:6], crop[:, 6:8] = (0.1, -0.2, 0.3), 0.9
    out = redetect.to_frame(crop, (7, 100, 200, 500, 1000), width=1000, height=2000)
    assert out[0, 0] == pytest.approx((100 + 0.5 * 400) / 1000)
    assert out[0, 1] == pytest.approx((200 + 0.25 * 800) / 2000)
    assert out[0, 2] == pytest.approx(0.1 * 400 / 1000)  # z is in x's scale
    assert np.array_equal(out[:, 3:], crop[:, 3:])  # metres about the hips, visibility: the crop's


# ---- on real footage: a pose worker's second look ----------------------------------------------------------------
@pytest.fixture(scope="module")
def mirrored_sports2d(tmp_path_factory):
    from bench.video_variants import make_variant
    return make_variant(VIDEOS / "sports2d-demo.mp4", "mirrored", tmp_path_factory.mktemp("mirrored"))


@pytest.mark.integration
def test_the_athlete_lost_by_a_tracker_is_found_again_and_chosen(bundle, pose_pool, mirrored_sports2d):
    """The mirror image of sports2d: one of its two trackers loses the athlete on the roof when the passer-by
    walks in (frame ~58) and its detector never finds him again on the whole frame. Without the second look
    he scored under the passer-by and she was measured (143 frames, hers). With it (measured): 123 of his
    detections from the crops, he is the performer, and what is measured is his trackers' landmarks only
    (110 frames, 63 of them before 5 s)."""
    seq = extract_poses(mirrored_sports2d, bundle, workers=EXTRACT_WORKERS, pool=pose_pool)
    assert seq.recovered_detections >= 60
    # He stands on the roof (the top half of the frame) until the flip at ~5.5 s; she walks along the ground.
    roof = [f for f in seq.frames if f.detected and not f.filled and f.timestamp_ms < 5000]
    assert len(roof) >= 50
    assert all(np.median(f.landmarks[:, 1]) < 0.5 for f in roof)


@pytest.mark.integration
def test_a_clip_where_the_performer_is_always_found_gets_no_second_look(extracted):
    """pose2sim cam01: one person, found by the first pass in every frame; nothing to look at again."""
    seq = extracted("pose2sim-balancing-cam01.mp4")
    assert seq.recovered_detections == 0
    assert all(f.detected for f in seq.frames)
