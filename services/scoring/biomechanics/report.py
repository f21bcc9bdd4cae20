"""analyze_motion: a BlazePose world-landmark sequence in, a BiomechanicsReport out."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from services.kit.errors import InvalidRequest, ValidationFailed

from . import landmarks as L
from .balance import balance, settle_windows
from .chain import order_resolution_ms, technique_chain
from .feedback import Findings, feedback
from .kinematics import measured_speed, peak
from .measurement import measure
from .quality import (Quality, balance_quality, capped, chain_quality, force_quality, performer_quality,
                      physiological_fault, speed_quality)
from .kinetics import limb_kinetics
from .motion import Motion
from .norms import acc_ref, family_ref, speed_ref, technique_ref
from .repetitions import find_repetitions
from .scores import NEUTRAL, WEIGHTS, balance_score, combine, force_score, speed_score
from .segments import effector_segment, limb_segments

MIN_DETECTED_FRAMES = 5
MIN_SPEED_SAMPLES = 3
BODY_MASS_RANGE_KG = (20.0, 300.0)


@dataclass(frozen=True)
class AspectScores:
    """0-10, rounded to 1 decimal (raw values in BiomechanicsReport.details["scores_raw"])."""

    speed: float
    force: float
    timing: float
    balance: float
    coordination: float


@dataclass(frozen=True)
class BiomechanicsReport:
    max_speed: float                 # m/s, 2 decimals
    peak_force: float                # N, 1 decimal
    mean_power: float                # W, 1 decimal
    kinetic_chain_efficiency: float  # %, 0-100, 1 decimal
    aspect_scores: AspectScores
    overall_score: float             # 0-10, 1 decimal
    effector: str                    # e.g. "right_wrist", "left_toe"
    technique_family: str            # "kick" or "punch"
    corrections: list[str] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # JSON-serialisable, raw values
    # Per correction, the moment (s, the motion's clock) it speaks of; None where it speaks of none.
    correction_times_s: list[float | None] = field(default_factory=list)
    # How far max_speed (and the force from it) can be trusted: the comparison with a coach's reference
    # scores speed and force within the same limits (comparison/compare.py).
    speed_quality: Quality | None = None
    force_quality: Quality | None = None     # the speed's, and one camera's hidden axis (peak_force, mean_power)
    # How far the figures of the whole body (chain, balance; against a coach, every comparison) can be trusted.
    performer_quality: Quality | None = None
    balance_quality: Quality | None = None   # the performer's, and one camera's depth


def _f(x: float, nd: int = 4) -> float | None:
    """JSON-friendly float: rounded, None for NaN/inf."""
    return round(float(x), nd) if x is not None and math.isfinite(x) else None


def _check_inputs(motion: Motion, body_mass_kg: float) -> None:
    lo, hi = BODY_MASS_RANGE_KG
    if not (isinstance(body_mass_kg, (int, float)) and math.isfinite(body_mass_kg) and lo <= body_mass_kg <= hi):
        raise InvalidRequest(f"Body mass must be between {lo:.0f} and {hi:.0f} kg, got {body_mass_kg}",
                             details={"body_mass_kg": f"must be between {lo:.0f} and {hi:.0f} kg"})
    n = int(np.count_nonzero(motion.detected))
    if n == 0:
        raise ValidationFailed("No person was detected in the video: film the whole body in good light",
                               details={"video": "no person detected"})
    if n < MIN_DETECTED_FRAMES:
        raise ValidationFailed(
            f"The video has only {n} frame{'s' if n != 1 else ''} with a detected person; at least "
            f"{MIN_DETECTED_FRAMES} are needed to measure motion",
            details={"video": f"{n} frames with a person, {MIN_DETECTED_FRAMES} needed"})


def analyze_motion(motion: Motion, *, body_mass_kg: float, technique: str | None = None) -> BiomechanicsReport:
    """Measure speed, force, power, sequencing and balance of a technique and score them."""
    _check_inputs(motion, body_mass_kg)
    measured = measure(motion)
    sm, kin = measured.smoothed, measured.kinematics

    peaks: dict[str, tuple[float, float]] = {}
    for name, idx in L.EFFECTORS.items():
        speed = measured_speed(kin, idx, sm.settings["cutoff_hz"])
        if np.count_nonzero(np.isfinite(speed)) >= MIN_SPEED_SAMPLES:
            found = peak(speed, kin.t)
            if found is not None:
                peaks[name] = found
    ref = technique_ref(technique)
    # The toe is the kick's effector (the CMU references are toe speeds); the ankle stands in only
    # for a foot whose toe was not tracked.
    feet = [f"{s}_toe" if f"{s}_toe" in peaks else f"{s}_ankle" for s in ("left", "right")]
    wanted = {"punch": ["left_wrist", "right_wrist"], "kick": feet}
    candidates = [c for c in (wanted[ref.family] if ref else wanted["punch"] + wanted["kick"]) if c in peaks]
    if not candidates:
        limbs = "feet" if ref and ref.family == "kick" else ("wrists" if ref else "wrists and feet")
        raise ValidationFailed(f"The {limbs} were not tracked clearly enough to measure the technique: film the "
                               "whole body, side-on, in good light", details={"video": f"{limbs} not visible"})
    # A peak beyond human limits is a tracking fault (quality.py): the effector is the fastest plausible one,
    # and the faults stay reported (details.quality) rather than hidden.
    faults = {c: physiological_fault(c, peaks[c][0]) for c in candidates}
    plausible = [c for c in candidates if faults[c] is None] or candidates
    effector = max(plausible, key=lambda c: (peaks[c][0], -plausible.index(c)))
    family = "punch" if effector.endswith("wrist") else "kick"
    ref = ref or family_ref(family)
    max_speed, t_peak = peaks[effector]
    v_ref = speed_ref(ref, effector)
    quality = speed_quality(measured, effector, max_speed, t_peak, tuple(candidates))
    strength = force_quality(quality, measured)
    # The chain and balance follow the whole body: they rest on the performer's checks; balance also on depth.
    performer = performer_quality(measured)
    steady = balance_quality(measured, performer)

    chain = technique_chain(kin, family, effector, t_peak, order_resolution_ms(sm.video_fs))
    sequenced = chain_quality(chain, performer)
    limb = limb_segments(effector)
    kinetic = limb_kinetics(kin, limb, body_mass_kg, kin.speed[:, L.EFFECTORS[effector]],
                            effector_segment(effector))
    a_ref = acc_ref(ref, effector)
    f_ref = kinetic.limb_mass_kg * a_ref * kinetic.lever_fraction
    # Balance is judged where the performer must be stable: the settled stance after each
    # repetition (balance.py); a clip without a detected repetition is judged over every frame.
    reps = find_repetitions(kin, family)
    starts = [r.start_s for r in reps[1:]] + [None]
    bal = balance(kin.pos, dt=kin.dt, windows=settle_windows(kin.t, [r.end_s for r in reps], starts) if reps else None,
                  vel=kin.vel)

    raw = combine(
        speed=capped(speed_score(max_speed, v_ref), quality),
        force=capped(force_score(kinetic.peak_force_n, f_ref), strength),
        timing=capped(10.0 * chain.timing_fraction, sequenced),
        balance=capped(balance_score(bal.fraction_outside, bal.max_excursion_m), steady),
        coordination=capped(10.0 * chain.order_fraction, sequenced),
    )
    corrections, recommendations, correction_times = feedback(Findings(
        ref=ref, effector=effector, max_speed=max_speed, speed_ref=v_ref, peak_force=kinetic.peak_force_n,
        force_ref=f_ref, mean_power=kinetic.mean_power_w, chain=chain, balance=bal, speed_quality=quality,
        force_quality=strength, performer_quality=performer, balance_quality=steady, chain_quality=sequenced,
        t_peak_s=t_peak))
    # The response's field is a number: an unmeasured chain reads the neutral middle, as an unmeasured aspect
    # scores neutral (scores.NEUTRAL); details say it was not measured and carry no figure.
    kce = chain.efficiency if chain.measured else 10.0 * NEUTRAL

    details: dict[str, Any] = {
        "axes": ("camera axes, metres: x right, y down (image plane, scaled by the performer's bone lengths), "
                 "z away from the camera (BlazePose depth, low-passed)" if measured.source == "image_plane" else
                 "laboratory/world frame, metres, y down"),
        "technique": technique or "", "technique_family": family, "reference_label": ref.label,
        "effector": effector,
        "effector_peak_speeds_m_s": {k: _f(v[0]) for k, v in sorted(peaks.items())},
        "effector_peak_times_s": {k: _f(v[1]) for k, v in sorted(peaks.items())},
        "speed_ref_m_s": _f(v_ref), "acc_ref_m_s2": _f(a_ref), "force_ref_n": _f(f_ref, 2),
        "limb_mass_kg": _f(kinetic.limb_mass_kg), "lever_fraction": _f(kinetic.lever_fraction),
        "body_mass_kg": float(body_mass_kg),
        "max_speed_m_s": _f(max_speed), "peak_force_n": _f(kinetic.peak_force_n, 2),
        "mean_power_w": _f(kinetic.mean_power_w, 2), "peak_kinetic_energy_j": _f(kinetic.peak_kinetic_energy_j),
        "active_phase_s": [_f(x) for x in kinetic.active_phase_s],
        "chain_measured": chain.measured, "chain_not_measured_because": chain.why_not_measured,
        "chain_joints": chain.joints,
        "chain_order": chain.observed_order,
        "chain_peak_times_ms": {k: _f(v, 1) for k, v in chain.peak_times_ms.items()},
        "chain_order_resolution_ms": _f(chain.resolution_ms, 1),
        "chain_lags_ms": [{"proximal": p.proximal, "distal": p.distal, "lag_ms": _f(p.lag_ms, 1),
                           "lag_range_ms": [_f(x, 1) for x in p.lag_range_ms], "order": p.order,
                           "order_score": p.order_score,
                           "timing_score": _f(p.timing_score)} for p in chain.pairs],
        "kinetic_chain_efficiency_pct": _f(chain.efficiency),
        "balance_measured": bal.frames_used > 0, "balance_frames": bal.frames_used,
        "com_outside_fraction": _f(bal.fraction_outside), "com_max_excursion_m": _f(bal.max_excursion_m),
        "com_mean_excursion_m": _f(bal.mean_excursion_m), "com_sway_rms_m": _f(bal.sway_rms_m),
        "balance_criterion": bal.criterion, "balance_phases": bal.phases, "balance_repetitions": len(reps),
        "vertical_down": [_f(x) for x in bal.vertical.down], "vertical_tilt_deg": _f(bal.vertical.tilt_deg, 2),
        "vertical_source": bal.vertical.source,
        "frames_total": motion.n_frames, "frames_detected": int(np.count_nonzero(motion.detected)),
        "frames_resampled": int(kin.t.size), "sample_rate_hz": _f(sm.video_fs, 3),
        "analysis_rate_hz": _f(sm.fs, 3),
        "duration_s": _f(float(kin.t[-1] - kin.t[0])),
        "filter": {k: (_f(v) if isinstance(v, float) else v) for k, v in measured.settings().items()},
        "quality": {"max_speed": quality.as_dict(),
                    "peak_force": {"verdict": strength.verdict, "reasons": list(strength.reasons),
                                   "follows": "max_speed"},
                    "performer": performer.as_dict(),
                    "kinetic_chain": ({**sequenced.as_dict(), "follows": "performer"} if chain.measured
                                      else {"verdict": "not_measured", "reasons": [chain.why_not_measured]}),
                    "balance": steady.as_dict(),
                    "effector_faults": {k: v for k, v in faults.items() if v}},
        "scores_raw": {k: _f(v) for k, v in raw.as_dict().items()}, "score_weights": dict(WEIGHTS),
    }
    return BiomechanicsReport(
        max_speed=round(max_speed, 2), peak_force=round(kinetic.peak_force_n, 1),
        mean_power=round(kinetic.mean_power_w, 1), kinetic_chain_efficiency=round(kce, 1),
        aspect_scores=AspectScores(speed=round(raw.speed, 1), force=round(raw.force, 1), timing=round(raw.timing, 1),
                                   balance=round(raw.balance, 1), coordination=round(raw.coordination, 1)),
        overall_score=round(raw.overall, 1), effector=effector, technique_family=family,
        corrections=corrections, recommendations=recommendations, details=details,
        correction_times_s=correction_times, speed_quality=quality, force_quality=strength, performer_quality=performer,
        balance_quality=steady)
