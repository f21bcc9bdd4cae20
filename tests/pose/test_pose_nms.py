"""Pose NMS: duplicate detections of one body merged, two people side by side kept."""

from __future__ import annotations

from services.pose.pose_nms import distinct, same_skeleton
from testkit.people import BLUE, GREEN, MIRROR, RED, SIZE, person


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
    assert same_skeleton(real, partial, SIZE, SIZE) and same_skeleton(real, partial[MIRROR], SIZE, SIZE)
    # Contrast: a sparring partner reached by a punch (its core inside the puncher's box, its own box not).
    puncher, partner = person(0.4, 0.2, 0.6), person(0.62, 0.2, 0.6)
    puncher[[14, 16, 18, 20, 22], 0] = 0.66  # the right arm reaches the partner's chest
    assert not same_skeleton(puncher, partner, SIZE, SIZE)
    assert len(distinct([puncher, partner], [RED, BLUE], SIZE, SIZE)[0]) == 2
