"""frames.py: which frames a timeline shows, grid values onto them, landmarks as fractions of the image."""

from __future__ import annotations

import numpy as np

from services.scoring.biomechanics import landmarks as L
from services.scoring.biomechanics.kinematics import measured_speed
from services.scoring.biomechanics.measurement import measure
from services.scoring.timeline.frames import choose_frames, frame_max, grid_at, image_points, nearest


def test_a_long_clip_keeps_every_step_th_frame(cmu_kick):
    motion = cmu_kick.prepared.motion
    every = choose_frames(motion)
    assert every.step == 1 and every.total == motion.n_frames and np.array_equal(every.t, motion.t)
    fewer = choose_frames(motion, max_frames=400)
    assert fewer.step == int(np.ceil(motion.n_frames / 400)) and fewer.t.size <= 400
    assert np.array_equal(fewer.index, np.arange(0, motion.n_frames, fewer.step))


def test_the_frame_maximum_keeps_the_grid_peak_at_any_frame_rate(video_pair):
    """The 60 fps video measured on a 120 Hz grid, shown at every frame and at every 4th."""
    motion = video_pair.prepared.motion
    measured = measure(motion)
    kin = measured.kinematics
    speed = measured_speed(kin, L.LEFT_WRIST, measured.smoothed.settings["cutoff_hz"])
    for step in (1, 4):
        shown = frame_max(kin.t, speed, motion.t[::step])
        assert shown.shape == motion.t[::step].shape
        assert np.nanmax(shown) == np.nanmax(speed)
        # a frame shows at least the speed at its own instant
        k, inside = grid_at(kin.t, motion.t[::step])
        at = np.where(inside, speed[k], np.nan)
        both = np.isfinite(at) & np.isfinite(shown)
        assert both.sum() > shown.size / 2 and np.all(shown[both] >= at[both])


def test_nearest_and_grid_positions():
    t = np.array([0.0, 0.1, 0.2, 0.35])
    assert nearest(t, np.array([-1.0, 0.04, 0.06, 0.3, 9.0])).tolist() == [0, 0, 1, 3, 3]
    k, inside = grid_at(np.arange(0.0, 1.0, 0.25), np.array([-0.5, 0.1, 0.74, 1.5]))
    assert k.tolist() == [0, 0, 3, 3] and inside.tolist() == [False, True, True, False]


def test_landmarks_are_fractions_of_the_displayed_image(video_pair):
    motion = video_pair.prepared.motion
    size = (video_pair.width, video_pair.height)
    assert size == (1080, 1920)                    # portrait: the rotation flag applied by the pose service
    index = np.arange(motion.n_frames)
    points = image_points(motion, index, size)
    assert len(points) == motion.n_frames
    for frame, row in zip(index, points):
        if not motion.detected[frame]:
            assert row == []
            continue
        xyv = np.array(row).reshape(33, 3)
        assert np.all((xyv >= 0) & (xyv <= 1))
        inside = (motion.image[frame] >= 0).all(axis=1) & (motion.image[frame] <= size).all(axis=1)
        assert np.allclose(xyv[inside, :2] * size, motion.image[frame][inside], atol=0.5)   # 1e-4 of 1920 px
        assert np.allclose(xyv[:, 2], motion.visibility[frame], atol=5e-5)


def test_a_mirrored_frame_swaps_the_sides_and_flips_x(video_pair):
    motion = video_pair.prepared.motion
    size = (video_pair.width, video_pair.height)
    frame = int(np.flatnonzero(motion.detected)[0])
    plain = np.array(image_points(motion, np.array([frame]), size)[0]).reshape(33, 3)
    flipped = np.array(image_points(motion, np.array([frame]), size, np.array([True]))[0]).reshape(33, 3)
    assert np.allclose(flipped[L.LEFT_WRIST, 0], 1 - plain[L.RIGHT_WRIST, 0], atol=1e-4)
    assert np.allclose(flipped[L.LEFT_WRIST, 1:], plain[L.RIGHT_WRIST, 1:], atol=1e-4)


def test_motion_capture_has_no_image_landmarks(cmu_kick):
    motion = cmu_kick.prepared.motion
    assert image_points(motion, np.arange(3), (0, 0)) == [[], [], []]
