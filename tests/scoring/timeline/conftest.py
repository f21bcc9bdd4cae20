"""Real analyses to build timelines from: a CMU front kick (motion capture, three kicks, alternate legs)
against its first kick as the coach's reference, and pose2sim cam02 (video, MediaPipe) against cam01 as a
lunge-punch reference, as POST /analyze runs them (assessment.prepare / run_assessment)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from services.kit.paths import CMU_KARATE as CMU, REPO, VIDEOS
from services.scoring.analysis import CoachReference
from services.scoring.assessment import Assessment, Prepared, prepare, run_assessment
from services.scoring.biomechanics import Motion
from services.scoring.clients import motion_from_sequence
from services.scoring.learning.lifting import DepthLifter
from services.scoring.mocap.cmu import load_motion



@dataclass(frozen=True)
class Analysed:
    prepared: Prepared
    assessed: Assessment
    width: int
    height: int


def hips_centred(m: Motion) -> Motion:
    """What the pose service delivers: the origin between the hips."""
    centre = 0.5 * (m.world[:, 23] + m.world[:, 24])
    return Motion(t=m.t, world=m.world - centre[:, None, :], visibility=m.visibility, detected=m.detected)


def clip_part(m: Motion, lo: float, hi: float) -> Motion:
    keep = (m.t >= lo) & (m.t <= hi)
    return Motion(t=m.t[keep] - m.t[keep][0], world=m.world[keep], visibility=m.visibility[keep],
                  detected=m.detected[keep])


def analysed(motion: Motion, technique: str, references: list, width: int = 0, height: int = 0) -> Analysed:
    prepared = prepare(motion, technique)
    assessed = run_assessment(prepared, technique=technique, body_mass_kg=70.0, coach_name="Nagato",
                              references=references, models=None)
    return Analysed(prepared, assessed, width, height)


@pytest.fixture(scope="session")
def cmu_kick() -> Analysed:
    kick = hips_centred(load_motion(CMU / "135.asf", CMU / "135_04.amc"))
    coach = clip_part(kick, 2.5, 3.6)             # the first kick only, as a coach would record it
    return analysed(kick, "front_kick", [CoachReference("ref_kick", "front_kick", coach, 70.0)])


@pytest.fixture(scope="session")
def video_pair(analyse_video) -> Analysed:
    lifter = DepthLifter.from_dir(REPO / "models" / "scoring")   # as the scoring service measures videos
    student, _ = analyse_video(VIDEOS / "pose2sim-balancing-cam02.mp4")
    coach, _ = analyse_video(VIDEOS / "pose2sim-balancing-cam01.mp4")
    reference = CoachReference("ref_cam01", "lunge_punch", motion_from_sequence(coach, lifter),
                               width=coach.width, height=coach.height)
    return analysed(motion_from_sequence(student, lifter), "lunge_punch", [reference], student.width, student.height)


@pytest.fixture(scope="session")
def video_alone(video_pair) -> Analysed:
    """The same student video without a coach's reference (scored against the norms)."""
    return analysed(video_pair.prepared.motion, "lunge_punch", [], video_pair.width, video_pair.height)
