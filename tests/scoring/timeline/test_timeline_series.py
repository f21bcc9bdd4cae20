"""series.py: the per-frame speeds and angles are the analysis' own measurements."""

from __future__ import annotations

import numpy as np
import pytest

from services.scoring.biomechanics.angles import joint_angles
from services.scoring.biomechanics.measurement import measure
from services.scoring.timeline.series import ANGLES, SPEEDS, frame_series


def series_of(a):
    measured = measure(a.prepared.motion)
    return measured, frame_series(measured.kinematics, measured.smoothed.settings["cutoff_hz"], a.prepared.motion.t,
                                  measured.source)


@pytest.mark.parametrize("clip", ["cmu_kick", "video_pair", "video_alone"])
def test_the_reported_max_speed_is_the_peak_of_its_effector_series(request, clip):
    a = request.getfixturevalue(clip)
    _, series = series_of(a)
    shown = {s.name: s for s in series}
    speed = shown[f"{a.assessed.report.effector}_speed"]
    assert speed.unit == "m/s"
    reported = a.assessed.body["metrics"]["biomechanics"]["max_speed"]
    assert round(float(np.nanmax(speed.values)), 2) == reported
    top = max(v for v in speed.as_json()["values"] if v is not None)      # what REST shows, 3 decimals
    assert top == pytest.approx(reported, abs=0.0051)


def test_names_units_and_lengths(video_pair):
    measured, series = series_of(video_pair)
    n = video_pair.prepared.motion.n_frames
    names = [s.name for s in series]
    assert names == [f"{k}_speed" for k in SPEEDS] + list(ANGLES)
    for required in ("left_wrist_speed", "right_wrist_speed", "left_ankle_speed", "right_ankle_speed",
                     "left_knee_angle", "right_knee_angle", "left_hip_angle", "right_hip_angle",
                     "left_elbow_angle", "right_elbow_angle"):
        assert required in names
    for s in series:
        assert s.values.shape == (n,) and s.unit == ("m/s" if s.name.endswith("speed") else "deg")
        assert np.isfinite(s.values).sum() > n / 2, s.name       # measured over most of the clip
        assert s.description
    speeds = np.concatenate([s.values for s in series if s.unit == "m/s"])
    assert np.nanmin(speeds) >= 0 and np.nanmax(speeds) < 15


def test_angles_are_the_comparison_own_at_the_key_moments(cmu_kick):
    """At 120 Hz motion capture every frame is a grid sample: the knee angle at the student's extension is the
    comparison's (performance.py, the angles it compares with the coach's)."""
    measured, series = series_of(cmu_kick)
    shown = {s.name: s for s in series}
    t = cmu_kick.prepared.motion.t
    for rc in cmu_kick.assessed.comparison.repetitions:
        side = rc.student.side
        k = int(np.argmin(np.abs(t - rc.student.rep.extension_s)))
        assert shown[f"{side}_knee_angle"].values[k] == pytest.approx(rc.student.angles["extension"]["knee_flexion"],
                                                                       abs=1e-6)
    # and, without a comparison's angles at hand, the same angles.py values
    direct = joint_angles(measured.kinematics.pos)["right_elbow_flexion"]
    grid = np.rint((t - measured.kinematics.t[0]) / measured.kinematics.dt).astype(int)
    ok = (grid >= 0) & (grid < direct.size)
    assert np.allclose(shown["right_elbow_angle"].values[ok], direct[grid[ok]], equal_nan=True)
