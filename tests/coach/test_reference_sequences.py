"""Reference field rules and the strict checks of given pose sequences (pure functions, no services)."""

from __future__ import annotations

import math

import pytest

from kataforge.common.v1 import common_pb2
from services.coach import sequences, validation
from services.kit.errors import InvalidRequest, ValidationFailed
from testkit.poses import jab_sequence


def invalid(seq: common_pb2.PoseSequence) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        sequences.check_given(seq)
    return caught.value


def test_a_good_sequence_is_stored_with_its_summary():
    given = jab_sequence(frames=30, fps=30.0, empty=(0, 1), start_ms=500.0)
    given.frames[5].index = 99  # client-sent bookkeeping is replaced
    clean, summary = sequences.check_given(given)
    assert summary == sequences.Summary(fps=30.0, frame_count=30, detected_frames=28,
                                        duration_ms=pytest.approx(29 * 1000 / 30 + 1000 / 30))
    assert [f.index for f in clean.frames] == list(range(30))
    assert [f.detected for f in clean.frames] == [False, False] + [True] * 28
    assert clean.frame_count == 30 and clean.duration_ms == pytest.approx(1000.0)
    assert clean.frames[10].landmarks == given.frames[10].landmarks


def test_detected_follows_the_landmarks_not_the_flag():
    given = jab_sequence(frames=12)
    given.frames[0].detected = False  # has 33 landmarks: it shows a person
    given.frames[1].ClearField("landmarks")
    given.frames[1].detected = True  # no landmarks: nobody
    clean, summary = sequences.check_given(given)
    assert (clean.frames[0].detected, clean.frames[1].detected, summary.detected_frames) == (True, False, 11)


def test_landmark_count_range_and_finiteness_are_reported_per_field():
    seq = jab_sequence(frames=12)
    del seq.frames[2].landmarks[32]
    seq.frames[3].landmarks[0].wx = 3.5
    seq.frames[4].landmarks[7].wz = math.nan
    seq.frames[5].landmarks[11].visibility = 1.5
    seq.frames[6].landmarks[12].wy = math.inf
    error = invalid(seq)
    assert error.message == "Invalid pose sequence: 5 problems"
    assert error.details == {
        "pose_sequence.frames.2.landmarks": "Must hold 33 landmarks (BlazePose order), or none when no person is "
                                            "in the frame (got 32)",
        "pose_sequence.frames.3.landmarks.0": "wx = 3.5 is not a world coordinate within ±3 m of the hips "
                                              "(metres, MediaPipe world landmarks)",
        "pose_sequence.frames.4.landmarks.7": "wz = nan is not a world coordinate within ±3 m of the hips "
                                              "(metres, MediaPipe world landmarks)",
        "pose_sequence.frames.5.landmarks.11": "visibility = 1.5 must be between 0 and 1",
        "pose_sequence.frames.6.landmarks.12": "wy = inf is not a world coordinate within ±3 m of the hips "
                                               "(metres, MediaPipe world landmarks)",
    }


def test_timestamps_must_increase_strictly():
    seq = jab_sequence(frames=12)
    seq.frames[4].timestamp_ms = seq.frames[3].timestamp_ms
    seq.frames[8].timestamp_ms = -1.0
    error = invalid(seq)
    assert error.details == {
        "pose_sequence.frames.4.timestamp_ms": "Timestamps must be strictly increasing: 100 ms follows 100 ms",
        "pose_sequence.frames.8.timestamp_ms": "Must be a time in milliseconds between 0 and 3.6e+06 (got -1)",
    }


@pytest.mark.parametrize("fps", [0.0, -30.0, math.nan, 5000.0])
def test_fps_must_be_a_frame_rate(fps):
    seq = jab_sequence(frames=12)
    seq.fps = fps
    assert list(invalid(seq).details) == ["pose_sequence.fps"]


def test_empty_and_oversized_sequences_are_malformed():
    assert invalid(common_pb2.PoseSequence(fps=30.0)).details == {
        "pose_sequence.frames": "This field is required: one entry per video frame"}
    huge = common_pb2.PoseSequence(fps=60.0)
    for i in range(sequences.MAX_FRAMES + 1):
        huge.frames.add(timestamp_ms=float(i))
    assert invalid(huge).details == {"pose_sequence.frames": "At most 7200 frames (got 7201): keep only the "
                                                             "frames of the technique"}


def test_only_the_first_problems_are_listed():
    seq = jab_sequence(frames=40)
    for frame in seq.frames:
        frame.landmarks[0].visibility = 2.0
    error = invalid(seq)
    assert error.message == "Invalid pose sequence: 40 problems; the first 20 are listed"
    assert len(error.details) == sequences.MAX_DETAILS


def test_too_few_frames_with_a_person_is_unprocessable_not_malformed():
    with pytest.raises(ValidationFailed) as caught:
        sequences.check_given(jab_sequence(frames=20, empty=tuple(range(11))))
    assert caught.value.details == {"pose_sequence.frames": "9 frames with a person, at least 10 needed"}
    assert caught.value.message.startswith("Only 9 of 20 frames show a person; a reference needs at least 10")


def test_extracted_sequences_need_a_person_and_a_bounded_length():
    assert sequences.check_extracted(jab_sequence(frames=10)).detected_frames == 10
    with pytest.raises(ValidationFailed) as caught:
        sequences.check_extracted(jab_sequence(frames=12, empty=(0, 1, 2)))
    assert caught.value.details == {"video": "9 frames with a person, at least 10 needed"}


@pytest.mark.parametrize(("given", "expected"), [
    (" Front-Kick ", "front_kick"), ("Spinning Back Kick", "spinning_back_kick"), ("jab2", "jab2"),
    ("front  kick", "front_kick"), ("front__kick", "front_kick"), ("front - kick", "front_kick")])
def test_reference_technique_is_normalised_like_analyses(given, expected):
    assert validation.validate_reference({"technique": given})["technique"] == expected


def test_a_filter_is_normalised_like_a_reference():
    assert validation.check_technique_filter(" Front--Kick") == "front_kick"
    assert validation.check_technique_filter("  ") is None
    with pytest.raises(InvalidRequest) as caught:
        validation.check_technique_filter("-")
    assert list(caught.value.details) == ["technique"]


def test_reference_fields_are_reported_together():
    with pytest.raises(InvalidRequest) as caught:
        validation.validate_reference({"technique": "2 kick!", "name": "n" * 201, "body_mass_kg": 12})
    assert caught.value.details == {
        "technique": "Must be a short name of letters, digits and '_' starting with a letter, up to 64 characters "
                     "(e.g. 'roundhouse', 'front_kick')",
        "name": "Must be at most 200 characters (got 201)",
        "body_mass_kg": "Must be between 20 and 300 kg (got 12)",
    }
    with pytest.raises(InvalidRequest) as caught:
        validation.validate_reference({"technique": "  "})
    assert caught.value.details == {"technique": "This field is required"}
    assert validation.validate_reference({"technique": "teep", "name": " ", "body_mass_kg": 70}) == {
        "technique": "teep", "name": None, "body_mass_kg": 70.0}
