"""The comparison's data: a coach's reference performance in, per-repetition differences and a summary out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.scoring.biomechanics.motion import Motion
from services.scoring.biomechanics.scores import Scores

from .alignment import Alignment
from .performance import Performance, RepMeasures


@dataclass(frozen=True)
class ReferencePerformance:
    """One registered reference of a coach."""

    coach_name: str               # for messages, e.g. "Nagato"
    technique: str                # e.g. "front_kick"
    motion: Motion
    reference_id: str = ""
    # The coach's body mass, kg, only to report the coach's limb force in newtons; the force score
    # compares forces per kg of body mass, so it is not needed (None: the student's mass is used).
    body_mass_kg: float | None = None


@dataclass(frozen=True)
class ChainPairDifference:
    proximal: str                 # e.g. "hip"
    distal: str                   # e.g. "knee"
    student_lag_ms: float         # t_peak(distal) - t_peak(proximal), student
    coach_lag_ms: float           # the same, coach
    lag_diff_ms: float            # student - coach
    same_order: bool              # not in measurably opposite orders (chain.Pair.order)


@dataclass(frozen=True)
class RepetitionComparison:
    """One student repetition against its closest coach repetition. Differences are student - coach."""

    student: RepMeasures
    coach: RepMeasures
    coach_index: int                               # index among the reference's repetitions
    coach_mirrored: bool                           # the coach was mirrored to the student's side
    alignment: Alignment
    phase_diff_ms: dict[str, float]                # phase -> ms (4 phases + "total")
    angle_diff_deg: dict[str, dict[str, float]]    # moment -> compared angle -> degrees
    speed_ratio: float                             # peak effector speed, student / coach
    force_ratio: float                             # peak limb force per kg body mass, student / coach
    chain: list[ChainPairDifference]
    com_excursion_diff_m: float                    # max CoM excursion outside the support, student - coach
    com_outside_diff: float                        # fraction of frames outside, student - coach
    scores: Scores

    @property
    def similarity_pct(self) -> float:
        return self.alignment.similarity_pct


@dataclass(frozen=True)
class Comparison:
    coach_name: str
    technique: str
    reference_id: str
    family: str
    repetitions: list[RepetitionComparison]
    similarity_pct: float                          # mean over the student's repetitions
    scores: Scores                                 # mean over the student's repetitions, 0-10
    corrections: list[str] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)   # JSON-serialisable, every measured value
    # Per correction, the moment it speaks of (s, the student's clock; None: none), corrections.py.
    correction_times_s: list[float | None] = field(default_factory=list)
    # What the alignment paths index: the student's measured performance, and the coach's as recorded
    # (False) and mirrored to the other side (True, only when a repetition was compared mirrored).
    student: Performance | None = None
    coach: dict[bool, Performance] = field(default_factory=dict)
