"""One performance assessed: repetitions, technique recognition, physics, comparison with the coach, models.

Synchronous numpy/onnxruntime work (run off the event loop by analysis.py). Order of the answer:
- the technique is the caller's, else the recognised one (graphsage on the clearest repetition);
- with a coach reference of that technique, the aspect scores and corrections come from the
  comparison with it (services/scoring/comparison: DTW-aligned phase timings, joint angles at key
  moments, speed ratios, chain lags); without one, from the physical norms of biomechanics/norms.py;
- the learned form assessment and the style similarity to the coach are reported beside them
  (details), never replacing the measured values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from services.kit.errors import ValidationFailed
from services.scoring.biomechanics import BiomechanicsReport, Motion, analyze_motion
from services.scoring.biomechanics.measurement import measure
from services.scoring.biomechanics.norms import technique_ref
from services.scoring.biomechanics.repetitions import Repetition, detect_family, find_repetitions
from services.scoring.biomechanics.scores import WEIGHTS

MAX_CORRECTIONS = 6
SAMPLE_MARGIN_S = 0.1  # kept around a repetition when it is cut out for the models (as in training)


@dataclass(frozen=True)
class Cut:
    """A stretch of the motion handed to the learned models (the layout of learning.dataset.Sample)."""

    technique: str
    t: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    source: str = ""


@dataclass(frozen=True)
class Recognition:
    technique: str
    confidence: float                       # softmax probability, 0..1
    model: str                              # e.g. "graphsage (coach nagato, v3)" or "graphsage (default)"
    alternatives: list[tuple[str, float]] = field(default_factory=list)


class ModelSet(Protocol):
    """The learned models usable for one coach (the coach's own when trained, else the defaults)."""

    def recognise(self, cut: Cut) -> Recognition | None: ...
    def assess_form(self, cut: Cut) -> dict[str, float] | None: ...
    def similarity(self, a: Cut, b: Cut) -> float | None: ...
    def timings(self) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class Prepared:
    motion: Motion
    family: str
    repetitions: list[Repetition]
    focus: Cut            # the fastest repetition (or the whole clip when none was found)


def cut(motion: Motion, lo: float, hi: float, technique: str = "") -> Cut:
    """The frames between lo and hi s; frames without the person stay in as unknown (NaN, visibility 0),
    as in the training cuts (learning.dataset), so the models see gaps the same way."""
    keep = (motion.t >= lo) & (motion.t <= hi)
    if np.count_nonzero(keep & motion.detected) < 2:
        keep = np.ones_like(motion.detected)
    seen = motion.detected[keep]
    world = np.where(seen[:, None, None], motion.world[keep], np.nan)
    visibility = np.where(seen[:, None], motion.visibility[keep], 0.0)
    return Cut(technique=technique, t=motion.t[keep] - motion.t[keep][0], world=world, visibility=visibility)


def prepare(motion: Motion, technique: str) -> Prepared:
    """Find the repetitions; the clip must show a person long enough to measure (else ValidationFailed)."""
    detected = int(np.count_nonzero(motion.detected))
    if detected < 5:
        # analyze_motion has the user-facing wording for these cases
        analyze_motion(motion, body_mass_kg=75.0)
    kin = measure(motion).kinematics
    ref = technique_ref(technique)
    family = ref.family if ref else detect_family(kin)
    reps = find_repetitions(kin, family)
    if reps:
        best = max(reps, key=lambda r: r.peak_speed_m_s)
        focus = cut(motion, best.start_s - SAMPLE_MARGIN_S, best.end_s + SAMPLE_MARGIN_S, technique)
    else:
        focus = cut(motion, -math.inf, math.inf, technique)
    return Prepared(motion=motion, family=family, repetitions=reps, focus=focus)


@dataclass(frozen=True)
class Assessment:
    """The analysis body and what it was computed from, for whoever shows more of it (timeline.py)."""

    body: dict[str, Any]                 # metrics, corrections, recommendations, details
    report: BiomechanicsReport           # the physics (max_speed, its effector)
    correction_times_s: list[float | None]  # per body["corrections"]: the moment it speaks of, s (None: none)
    comparison: Any = None               # comparison.Comparison with the coach's reference, when one was used
    reference: Any = None                # the analysis.CoachReference it was compared with


def _round_scores(scores: dict[str, float]) -> dict[str, float]:
    return {k: round(float(scores[k]), 1) for k in ("speed", "force", "timing", "balance", "coordination")}


def assess(prepared: Prepared, *, technique: str, body_mass_kg: float, coach_name: str,
           references: list, models: ModelSet | None) -> dict[str, Any]:
    """Physics, comparison and models for one performance -> the analysis body (metrics, corrections...)."""
    return run_assessment(prepared, technique=technique, body_mass_kg=body_mass_kg, coach_name=coach_name,
                          references=references, models=models).body


def run_assessment(prepared: Prepared, *, technique: str, body_mass_kg: float, coach_name: str,
                   references: list, models: ModelSet | None) -> Assessment:
    """assess(), keeping the report and the comparison the body was made from."""
    report = analyze_motion(prepared.motion, body_mass_kg=body_mass_kg, technique=technique or None)
    aspects = {k: float(v) for k, v in vars(report.aspect_scores).items()}
    corrections, recommendations = list(report.corrections), list(report.recommendations)
    times = list(report.correction_times_s)
    details: dict[str, Any] = {**report.details, "repetitions": [_rep_json(r) for r in prepared.repetitions],
                               "scored_against": "norms"}
    compared = None
    if references:
        try:
            compared = _compare_nearest(prepared, references, technique, coach_name, body_mass_kg, models,
                                        report.speed_quality, report.performer_quality, report.balance_quality,
                                        report.force_quality)
        except ValidationFailed as exc:
            # No repetition to align (in the video or the reference): the physics still stand, scored
            # against the norms, and the answer says why the coach's reference was not used.
            details["comparison"] = {"reference": references[0].id, "reason": exc.message}
            recommendations.append(f"Not compared with {coach_name}'s reference: {exc.message}")
    if compared is not None:
        comparison, reference = compared
        aspects = {k: float(v) for k, v in comparison.scores.as_dict().items() if k != "overall"}
        # Ranked by size in the comparison; beyond a handful a student cannot work on them at once.
        corrections = list(comparison.corrections)[:MAX_CORRECTIONS]
        times = list(comparison.correction_times_s)[:MAX_CORRECTIONS]
        recommendations = list(comparison.recommendations) + recommendations
        details.update(scored_against="coach_reference", reference_id=reference.id, comparison=comparison.details,
                       similarity_to_reference_pct=round(comparison.similarity_pct, 1))
    elif technique and not references:
        details["comparison"] = {"reference": None, "reason": f"{coach_name} has no reference performance of "
                                 f"'{technique}' yet; the scores use the physical norms stated in the code"}
    if models is not None:
        form = models.assess_form(prepared.focus)
        if form is not None:
            details["form_assessor"] = {k: round(float(v), 2) for k, v in form.items()}
    overall = sum(WEIGHTS[k] * aspects[k] for k in WEIGHTS)
    body = {
        "metrics": {
            "overall_score": round(overall, 1),
            "aspect_scores": _round_scores(aspects),
            "biomechanics": {"max_speed": report.max_speed, "peak_force": report.peak_force,
                             "mean_power": report.mean_power,
                             "kinetic_chain_efficiency": report.kinetic_chain_efficiency},
        },
        "corrections": corrections,
        "recommendations": recommendations,
        "details": details,
    }
    return Assessment(body=body, report=report, correction_times_s=times,
                      comparison=compared[0] if compared else None, reference=compared[1] if compared else None)


def _compare_nearest(prepared: Prepared, references: list, technique: str, coach_name: str, body_mass_kg: float,
                     models: ModelSet | None, speed_quality=None, performer_quality=None,
                     balance_quality=None, force_quality=None):
    """Compare with the reference the style encoder finds closest (the newest when there is no encoder)."""
    from services.scoring.comparison import ReferencePerformance, compare

    chosen = references[0]
    focus = {}
    if models is not None and len(references) > 1:
        focus = {ref.id: prepare(ref.motion, technique).focus for ref in references}
        scored = [(models.similarity(prepared.focus, focus[ref.id]), ref) for ref in references]
        chosen = max(scored, key=lambda s: -1.0 if s[0] is None else s[0])[1]
    perf = ReferencePerformance(coach_name=coach_name, technique=technique, motion=chosen.motion,
                                reference_id=chosen.id, body_mass_kg=chosen.body_mass_kg or None)
    comparison = compare(prepared.motion, perf, family=prepared.family, body_mass_kg=body_mass_kg,
                         speed_quality=speed_quality, performer_quality=performer_quality,
                         balance_quality=balance_quality, force_quality=force_quality)
    if models is not None:
        chosen_focus = focus.get(chosen.id) or prepare(chosen.motion, technique).focus
        sim = models.similarity(prepared.focus, chosen_focus)
        if sim is not None:
            comparison.details["style_similarity_pct"] = round(100.0 * max(0.0, sim), 1)
    return comparison, chosen


def _rep_json(rep: Repetition) -> dict[str, Any]:
    return {"index": rep.index, "effector": rep.effector, "held": rep.held,
            "peak_speed_m_s": round(rep.peak_speed_m_s, 2),
            "moments_s": {k: round(v, 3) for k, v in rep.moments().items()},
            "phases_ms": {k: round(v, 1) for k, v in rep.phases_ms().items()}}

