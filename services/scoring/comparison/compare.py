"""compare(): a student's performance against a coach's reference of the same technique."""

from __future__ import annotations

import math

import numpy as np

from services.kit.errors import InvalidRequest, ValidationFailed
from services.scoring.biomechanics.motion import Motion
from services.scoring.biomechanics.norms import technique_ref
from services.scoring.biomechanics.quality import Quality, capped
from services.scoring.biomechanics.report import BODY_MASS_RANGE_KG, MIN_DETECTED_FRAMES
from services.scoring.biomechanics.scores import combine

from .alignment import align
from .corrections import corrections
from .drills import recommendations
from .details import comparison_details
from .differences import compare_repetitions
from .model import Comparison, ReferencePerformance, RepetitionComparison
from .performance import Performance, RepMeasures, features, measure, mirrored, prepare, side_of
from .reference_cache import prepared_reference

FAMILIES = {"kick": "kick", "punch": "hand technique"}


def _label(technique: str, family: str) -> str:
    ref = technique_ref(technique)
    if ref is not None and ref.label not in ("kick", "punch"):
        return ref.label
    return " ".join(technique.replace("_", " ").replace("-", " ").split()) or FAMILIES[family]


def _check_request(reference: ReferencePerformance, family: str, body_mass_kg: float) -> None:
    if family not in FAMILIES:
        raise InvalidRequest(f"Technique family must be 'kick' or 'punch', got {family!r}",
                             details={"family": "must be 'kick' or 'punch'"})
    lo, hi = BODY_MASS_RANGE_KG
    if not (isinstance(body_mass_kg, (int, float)) and math.isfinite(body_mass_kg) and lo <= body_mass_kg <= hi):
        raise InvalidRequest(f"Body mass must be between {lo:.0f} and {hi:.0f} kg, got {body_mass_kg}",
                             details={"body_mass_kg": f"must be between {lo:.0f} and {hi:.0f} kg"})
    coach_mass = reference.body_mass_kg
    if coach_mass is not None and not (math.isfinite(coach_mass) and lo <= coach_mass <= hi):
        raise ValidationFailed(f"{reference.coach_name}'s reference gives a body mass of {coach_mass} kg; it must be "
                               f"between {lo:.0f} and {hi:.0f} kg", details={"reference": "body mass out of range"})
    ref = technique_ref(reference.technique)
    if ref is not None and ref.family != family:
        raise ValidationFailed(
            f"{reference.coach_name}'s reference '{reference.technique}' is a {FAMILIES[ref.family]}; it cannot be "
            f"compared with a {FAMILIES[family]}: choose a reference of the same technique",
            details={"reference": f"a {FAMILIES[ref.family]}, not a {FAMILIES[family]}"})


def _whose(reference: ReferencePerformance | None) -> str:
    if reference is None:
        return "your video"
    rid = f" ({reference.reference_id})" if reference.reference_id else ""
    return f"{reference.coach_name}'s reference{rid}"


def _prepare(motion: Motion, family: str, label: str, reference: ReferencePerformance | None) -> Performance:
    field = "reference" if reference is not None else "video"
    detected = int(np.count_nonzero(motion.detected))
    if detected < MIN_DETECTED_FRAMES:
        raise ValidationFailed(
            f"Only {detected} frames of {_whose(reference)} show a person; at least {MIN_DETECTED_FRAMES} are needed",
            details={field: f"{detected} frames with a person"})
    # The coach's reference is prepared once and reused for every student compared with it.
    perf = prepared_reference(motion, family) if reference is not None else prepare(motion, family)
    if not perf.reps:
        fix = ("re-record the reference with the whole body in view, performing the technique at full speed"
               if reference is not None else
               f"film the whole body, side-on, and perform the {label} at full speed")
        raise ValidationFailed(f"No {label} repetition was found in {_whose(reference)}: {fix}",
                               details={field: f"no {label} repetition found"})
    return perf


def compare(student: Motion, reference: ReferencePerformance, *, family: str, body_mass_kg: float,
            speed_quality: Quality | None = None, performer_quality: Quality | None = None,
            balance_quality: Quality | None = None, force_quality: Quality | None = None) -> Comparison:
    """Each student repetition against the coach's closest repetition (DTW on normalised poses).

    speed_quality: how far the student's measured speed can be trusted (biomechanics/quality.py, from the
    same measurement as the reported max_speed). Speed and force are compared only as far as it allows:
    capped scores when uncertain, neutral when unreliable, and no correction or drill built on them unless
    reliable, as in the analysis against the norms. performer_quality (quality.performer_quality): whether the
    body measured is the performer's at all (one performer, found, large enough); every difference rests on
    it, so when it is not reliable every aspect is capped alike and no correction is made. balance_quality
    (quality.balance_quality): balance is compared, corrected and drilled only as far as it allows; so is force
    by force_quality (quality.force_quality; the speed's when not given)."""
    _check_request(reference, family, body_mass_kg)
    label = _label(reference.technique, family)
    stu = _prepare(student, family, label, None)
    coach = _prepare(reference.motion, family, label, reference)
    coach_mass = reference.body_mass_kg or body_mass_kg
    versions = {False: coach}                        # the coach as recorded; True: mirrored, made on demand
    coach_features: dict[tuple[bool, int], np.ndarray] = {}
    coach_measures: dict[tuple[bool, int], RepMeasures] = {}
    compared: list[RepetitionComparison] = []
    for srep in stu.reps:
        s_feat = features(stu, srep)
        best = None
        for i, crep in enumerate(coach.reps):
            key = (side_of(crep) != side_of(srep), i)   # mirror the coach when the sides differ
            if key[0] and True not in versions:
                versions[True] = mirrored(coach)
            if key not in coach_features:
                coach_features[key] = features(versions[key[0]], versions[key[0]].reps[i])
            al = align(s_feat, coach_features[key])
            if best is None or al.pose_error < best[0].pose_error:
                best = (al, key)
        al, key = best
        if key not in coach_measures:
            coach_measures[key] = measure(versions[key[0]], versions[key[0]].reps[key[1]], family, coach_mass)
        compared.append(compare_repetitions(measure(stu, srep, family, body_mass_kg), coach_measures[key], al,
                                            coach_index=key[1], coach_mirrored=key[0]))

    # Per-repetition aspect scores are already 0-10 (NaN made neutral); the summary is their mean.
    means = {a: float(np.mean([getattr(r.scores, a) for r in compared]))
             for a in ("speed", "force", "timing", "balance", "coordination")}
    trusted = speed_quality is None or speed_quality.verdict == "reliable"
    force_quality = force_quality or speed_quality
    strong = force_quality is None or force_quality.reliable
    if speed_quality is not None:
        means["speed"] = capped(means["speed"], speed_quality)
    if force_quality is not None:
        means["force"] = capped(means["force"], force_quality)
    steady = balance_quality is None or balance_quality.reliable
    if not steady:
        means["balance"] = capped(means["balance"], balance_quality)
    body_trusted = performer_quality is None or performer_quality.reliable
    if not body_trusted:
        means = {a: capped(v, performer_quality) for a, v in means.items()}
    scores = combine(**means)
    if body_trusted:
        fixes = corrections(compared, coach=reference.coach_name, family=family, label=label, speed_trusted=trusted,
                            force_trusted=strong, balance_trusted=steady)
        recs = recommendations(compared, scores.as_dict(), fixes, coach=reference.coach_name, family=family,
                               label=label, speed_trusted=trusted, force_trusted=strong, balance_trusted=steady)
        if not steady:
            recs.append(f"Balance is {balance_quality.verdict} ({'; '.join(balance_quality.reasons)}): it is not "
                        f"corrected against {reference.coach_name}'s.")
    else:
        fixes, recs = [], [f"Not corrected against {reference.coach_name}'s reference: the figures are "
                           f"{performer_quality.verdict} ({'; '.join(performer_quality.reasons)})."]
    similarity = float(np.mean([r.similarity_pct for r in compared]))
    details = comparison_details(compared, scores, similarity, reference=reference, family=family, label=label,
                                 student_mass_kg=body_mass_kg)
    return Comparison(coach_name=reference.coach_name, technique=reference.technique,
                      reference_id=reference.reference_id, family=family, repetitions=compared,
                      similarity_pct=similarity, scores=scores, corrections=[f.text for f in fixes],
                      recommendations=recs, details=details, correction_times_s=[f.at_s for f in fixes],
                      student=stu, coach=versions)
