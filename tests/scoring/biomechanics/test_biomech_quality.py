"""services/scoring/biomechanics/quality.py: what makes a measured peak uncertain, said with its figures."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from services.scoring.biomechanics import analyze_motion
from services.scoring.biomechanics.quality import FOUND_RELIABLE, RIVAL_UNCERTAIN
from testkit.skeleton import KICK_CHAIN, kick, motion, still


def quality_of(m) -> dict:
    return analyze_motion(m, body_mass_kg=70.0).details["quality"]["max_speed"]


def test_a_clean_capture_is_reliable():
    t, w = kick(KICK_CHAIN)
    q = quality_of(motion(t, w))
    assert q["verdict"] == "reliable" and q["performer_found_fraction"] == 1.0
    assert "rival_prominence" not in q


def test_a_person_nearly_as_prominent_makes_the_figure_uncertain():
    t, w = kick(KICK_CHAIN)
    close = quality_of(replace(motion(t, w), rival_prominence=RIVAL_UNCERTAIN + 0.1))
    assert close["verdict"] == "uncertain" and close["rival_prominence"] == RIVAL_UNCERTAIN + 0.1
    assert any("another person" in r and "70 %" in r for r in close["reasons"])
    far = quality_of(replace(motion(t, w), rival_prominence=0.3))
    assert far["verdict"] == "reliable" and far["rival_prominence"] == 0.3


def test_a_performer_missing_from_many_frames_makes_the_figure_uncertain():
    t, w = kick(KICK_CHAIN)
    detected = np.ones(t.size, dtype=bool)
    detected[: int(0.3 * t.size)] = False  # the first 30 %: the performer not found (still, before the kick)
    w = np.where(detected[:, None, None], w, np.nan)
    q = quality_of(motion(t, w, detected=detected))
    assert q["performer_found_fraction"] < FOUND_RELIABLE
    assert q["verdict"] == "uncertain" and any("found in only 70 %" in r for r in q["reasons"])


def test_the_chain_and_balance_follow_the_performer_not_the_effector():
    """A bystander nearly as prominent makes every figure possibly theirs: the reversed chain is neither
    corrected nor scored 10-worthy, and the answer says why; a hidden effector alone leaves them trusted."""
    t, w = kick(KICK_CHAIN[::-1], lag_s=0.080)
    clean = analyze_motion(motion(t, w), body_mass_kg=70.0)
    assert clean.details["quality"]["kinetic_chain"]["verdict"] == "reliable"
    assert clean.details["quality"]["kinetic_chain"]["follows"] == "performer"
    assert any("reached peak speed" in c for c in clean.corrections)
    shared = analyze_motion(replace(motion(t, w), rival_prominence=0.9), body_mass_kg=70.0)
    q = shared.details["quality"]
    assert q["performer"]["verdict"] == "uncertain" and q["performer"]["rival_prominence"] == 0.9
    assert q["kinetic_chain"]["verdict"] == q["balance"]["verdict"] == "uncertain"
    assert not any("reached peak speed" in c or "base of support" in c for c in shared.corrections)
    # said once: the speed's recommendation already names the bystander
    assert any("another person" in r and "90 %" in r for r in shared.recommendations)
    assert "The kinetic chain and balance rest on the same body: they are uncertain too, and sequencing and " \
           "balance are not corrected from them." in shared.recommendations
    assert max(shared.aspect_scores.timing, shared.aspect_scores.balance, shared.aspect_scores.coordination) <= 8.0
    # The same body alone in the frame is judged as before.
    assert shared.kinetic_chain_efficiency == clean.kinetic_chain_efficiency


def test_the_performer_checks_are_those_of_the_speed_without_the_effectors():
    t, w = kick(KICK_CHAIN)
    report = analyze_motion(replace(motion(t, w), rival_prominence=0.7), body_mass_kg=70.0)
    speed, performer = report.details["quality"]["max_speed"], report.details["quality"]["performer"]
    assert set(performer["reasons"]) <= set(speed["reasons"]) and performer["reasons"]
    assert "effector_seen_fraction" in speed and "effector_seen_fraction" not in performer


def test_balance_from_one_camera_is_reported_not_corrected():
    """The same leaning stance (feet 0.5 m behind the body) from motion capture and from one camera: on video
    the feet and the CoM are placed along the camera's axis by its depth, so balance is uncertain there."""
    t, w = still(60)
    off = w.copy()
    off[:, [27, 28, 29, 30, 31, 32], 2] += 0.5
    lab = analyze_motion(motion(t, off), body_mass_kg=75)
    assert lab.details["quality"]["balance"]["verdict"] == "reliable"
    assert any("outside your base of support" in c for c in lab.corrections)
    filmed = replace(motion(t, off), image=500.0 + 400.0 * off[..., :2])   # px: a side-on camera's image plane
    video = analyze_motion(filmed, body_mass_kg=75)
    q = video.details["quality"]["balance"]
    assert q["verdict"] == "uncertain" and any("one camera" in r for r in q["reasons"])
    assert video.details["com_outside_fraction"] == 1.0                   # still measured and reported
    assert not any("base of support" in c for c in video.corrections)
    assert any(r.startswith("Balance is uncertain: measured from one camera") for r in video.recommendations)
    assert video.aspect_scores.balance <= 8.0


def test_force_from_one_camera_is_reported_not_corrected():
    """The same weak kick from motion capture and filmed side-on: the video's speed is as reliable, but its
    force and power come from accelerations whose part along the camera's axis is not seen (quality.force_quality)."""
    t, w = kick(KICK_CHAIN)
    lab = analyze_motion(motion(t, w), body_mass_kg=70.0)
    assert lab.details["quality"]["peak_force"]["verdict"] == "reliable"
    assert any(c.startswith("Peak limb force was") for c in lab.corrections)
    side_on = replace(motion(t, w), image=500.0 + 400.0 * w[..., [2, 1]])   # px: the kick runs across the image
    video = analyze_motion(side_on, body_mass_kg=70.0)
    q = video.details["quality"]
    assert q["max_speed"]["verdict"] == "reliable"
    assert q["peak_force"]["verdict"] == "uncertain" and any("one camera" in r for r in q["peak_force"]["reasons"])
    assert video.peak_force > 0 and video.details["peak_force_n"] > 0           # still measured and reported
    assert not any("limb force" in c for c in video.corrections)
    assert any(r.startswith(f"The peak limb force ({video.peak_force:.0f} N) is uncertain") for r in video.recommendations)
    assert video.aspect_scores.force <= 8.0
