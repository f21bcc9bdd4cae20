"""Speed, acceleration, force and power against motions whose answers are computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from services.scoring.biomechanics import analyze_motion
from services.scoring.biomechanics.kinetics import ACTIVE_FRACTION
from services.scoring.biomechanics.motion import Motion

from testkit.skeleton import motion, punch, still

RIGHT_ARM = [12, 14, 16, 18, 20, 22]  # shoulder, elbow, wrist, pinky, index, thumb
ARM_FRACTION = 0.0271 + 0.0162 + 0.0061  # de Leva 1996 upper arm + forearm + hand (male)


def sinusoidal_arm(t: np.ndarray, amp: float, freq: float) -> np.ndarray:
    """The whole right arm translating along z: z = -amp * sin(2 pi f t)."""
    _, w = still(len(t))
    w = w.copy()
    w[:, RIGHT_ARM, 2] -= amp * np.sin(2 * np.pi * freq * t)[:, None]
    return w


def test_constant_speed_wrist_gives_its_speed():
    t, w = still(60, fps=60)
    w = w.copy()
    w[:, 16, 2] -= 5.0 * t  # 5 m/s towards the camera
    report = analyze_motion(motion(t, w), body_mass_kg=75)
    assert report.effector == "right_wrist"
    assert report.details["max_speed_m_s"] == pytest.approx(5.0, rel=0.03)


def test_sinusoid_peak_speed_acceleration_force_and_power():
    amp, freq, mass = 0.2, 2.0, 80.0
    t = np.arange(120) / 60.0
    report = analyze_motion(motion(t, sinusoidal_arm(t, amp, freq)), body_mass_kg=mass, technique="jab")
    omega = 2 * np.pi * freq
    v_peak = omega * amp                 # 2.51 m/s
    a_peak = omega ** 2 * amp            # 31.6 m/s^2
    m_arm = ARM_FRACTION * mass          # 3.95 kg; every arm segment has acceleration a
    assert report.details["max_speed_m_s"] == pytest.approx(v_peak, rel=0.03)
    assert report.details["peak_force_n"] == pytest.approx(m_arm * a_peak, rel=0.05)
    # P = dE/dt = -m A^2 w^3 sin(wt) cos(wt). The active phase is |cos| >= 0.2 around a speed peak,
    # i.e. phase angles within theta = arccos(0.2) of it, and P > 0 on the half before the peak:
    # mean(max(P, 0)) = m A^2 w^3 * (sin^2(theta) / 2) / (2 theta).
    theta = np.arccos(ACTIVE_FRACTION)
    p_mean = m_arm * amp ** 2 * omega ** 3 * (np.sin(theta) ** 2 / 2) / (2 * theta)
    assert report.details["mean_power_w"] == pytest.approx(p_mean, rel=0.10)


def test_non_uniform_timestamps():
    amp, freq = 0.2, 2.0
    rng = np.random.default_rng(7)
    dt = (1 / 60) * (1 + rng.uniform(-0.3, 0.3, 150))
    t = np.cumsum(dt) - dt[0]
    report = analyze_motion(motion(t, sinusoidal_arm(t, amp, freq)), body_mass_kg=75, technique="jab")
    assert report.details["max_speed_m_s"] == pytest.approx(2 * np.pi * freq * amp, rel=0.03)
    assert report.details["sample_rate_hz"] == pytest.approx(60.0, rel=0.05)


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_five_mm_jitter_changes_max_speed_by_less_than_ten_percent(fps):
    t = np.arange(int(1.2 * fps)) / fps
    clean = punch(t)
    noisy = clean + np.random.default_rng(1).normal(0.0, 0.005, clean.shape)
    v_clean = analyze_motion(motion(t, clean), body_mass_kg=75)
    v_noisy = analyze_motion(motion(t, noisy), body_mass_kg=75)
    assert v_clean.details["max_speed_m_s"] == pytest.approx(0.5 / (np.sqrt(2 * np.pi) * 0.04), rel=0.05)
    assert v_noisy.details["max_speed_m_s"] == pytest.approx(v_clean.details["max_speed_m_s"], rel=0.10)


def test_low_visibility_samples_do_not_create_spikes():
    t = np.arange(72) / 60.0
    w = punch(t)
    vis = np.full((len(t), 33), 0.99)
    bad = punch(t)
    bad[[20, 21, 40], 16] += (0.4, -0.3, 0.2)   # mis-tracked wrist on three frames
    reference = analyze_motion(motion(t, w), body_mass_kg=75).details["max_speed_m_s"]
    trusted = analyze_motion(motion(t, bad, vis), body_mass_kg=75).details["max_speed_m_s"]
    vis[[20, 21, 40], 16] = 0.1                 # ... which MediaPipe flagged as not visible
    flagged = analyze_motion(motion(t, bad, vis), body_mass_kg=75).details["max_speed_m_s"]
    assert trusted > 1.5 * reference            # the corruption is a real spike when trusted
    assert flagged == pytest.approx(reference, rel=0.02)


def test_undetected_frames_inside_the_clip_are_bridged():
    t = np.arange(72) / 60.0
    w = punch(t)
    detected = np.ones(len(t), dtype=bool)
    detected[[10, 11, 50]] = False
    w[[10, 11, 50]] = np.nan
    report = analyze_motion(motion(t, w, detected=detected), body_mass_kg=75)
    full = analyze_motion(motion(t, punch(t)), body_mass_kg=75)
    assert report.details["max_speed_m_s"] == pytest.approx(full.details["max_speed_m_s"], rel=0.02)
    assert report.details["frames_detected"] == 69


def test_sequence_already_smoothed_by_the_pose_service_is_not_filtered_twice():
    """A sequence the pose service low-passed (typed: Motion.filtered, from its SignalProcessing) is only
    resampled: its peak speed is kept, whereas a second 10 Hz pass over a fast punch would lower it."""
    from services.scoring.biomechanics.sampling import smooth

    t = np.arange(72) / 60.0
    w = punch(t)
    raw = motion(t, w)
    pre = Motion(t=raw.t, world=raw.world, visibility=raw.visibility, detected=raw.detected,
                 smoothing="butterworth 10 Hz", filtered="butterworth", cutoff_hz=10.0)
    once, twice = smooth(pre), smooth(raw)
    assert "pose service" in once.settings["filter"] and "Butterworth" in twice.settings["filter"]
    assert once.settings["filter_name"] == "butterworth" and once.settings["cutoff_hz"] == 10.0
    # The text alone decides nothing: the same text without the typed field is filtered here.
    text_only = Motion(t=raw.t, world=raw.world, visibility=raw.visibility, detected=raw.detected,
                       smoothing="butterworth 10 Hz")
    assert "Butterworth" in smooth(text_only).settings["filter"]
    wrist = 16
    speed = lambda sm: np.nanmax(np.linalg.norm(np.diff(sm.pos[:, wrist], axis=0), axis=1) / sm.dt)  # m/s
    true_peak = 0.5 / (np.sqrt(2 * np.pi) * 0.04)
    assert speed(once) == pytest.approx(true_peak, rel=0.03)
    assert speed(twice) < speed(once)


def test_a_motion_is_filtered_once_and_as_the_functions_do():
    """measurement.measure: the report, segmentation and comparison share one filtering per Motion."""
    from services.scoring.biomechanics.kinematics import kinematics
    from services.scoring.biomechanics.measurement import measure
    from services.scoring.biomechanics.sampling import smooth
    t = np.arange(0.0, 1.2, 1 / 30)
    m = motion(t, punch(t))
    assert measure(m) is measure(m) and measure(m).source == "world"
    fresh = kinematics(smooth(m))
    np.testing.assert_array_equal(measure(m).kinematics.speed, fresh.speed)
    np.testing.assert_array_equal(measure(m).kinematics.pos, fresh.pos)
