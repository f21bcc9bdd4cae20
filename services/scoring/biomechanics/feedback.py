"""Corrections and training recommendations: deterministic rules over the measured values.

Every message names the measured number and the reference it was compared with, so the user can
see why it was given. Thresholds are fractions of the references in norms.py / chain.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from .balance import Balance
from .chain import Chain
from .norms import LAG_MAX_MS, LAG_MIN_MS, TechniqueRef
from .quality import Quality

SPEED_LOW = 0.7      # below 70 % of the reference speed: correction
SPEED_GOOD = 0.9     # at or above 90 %: acknowledged
FORCE_LOW = 0.7
BALANCE_OUT_MAX = 0.10  # CoM outside the support in more than 10 % of the frames: correction
SWAY_HIGH_M = 0.05      # RMS sway above 5 cm: recommendation


@dataclass(frozen=True)
class Findings:
    ref: TechniqueRef
    effector: str          # e.g. "right_wrist"
    max_speed: float       # m/s
    speed_ref: float       # m/s
    peak_force: float      # N
    force_ref: float       # N
    mean_power: float      # W
    chain: Chain
    balance: Balance
    speed_quality: Quality = field(default_factory=Quality)  # force comes from the same trajectory
    performer_quality: Quality = field(default_factory=Quality)  # what the chain and balance rest on
    balance_quality: Quality = field(default_factory=Quality)    # the performer's, and one camera's depth
    chain_quality: Quality = field(default_factory=Quality)      # the performer's, and the pairs' orders measurable
    force_quality: Quality | None = None   # the speed's, and one camera's hidden axis; None: the speed's
    t_peak_s: float = math.nan  # s, the effector's peak (the motion's clock): the moment a correction points at


def _part(effector: str) -> str:
    return {"wrist": "hand", "toe": "foot", "ankle": "ankle"}[effector.split("_", 1)[1]]


def _ratio_words(r: float) -> str:
    if r < 0.4:
        return "well under half of"
    if r < 0.6:
        return "about half of"
    if r < 0.9:
        return f"{r * 100:.0f} % of"
    return "close to" if r < 1.0 else "above"


def feedback(f: Findings) -> tuple[list[str], list[str], list[float | None]]:
    """(corrections, recommendations, correction times): per correction the moment it speaks of, s on the
    motion's clock (the effector's peak for speed and force, the distal joint's peak for a chain lag), None
    when it speaks of none (balance is judged over the settled stances, not at one instant)."""
    corrections: list[str] = []
    times: list[float | None] = []
    strike = f.t_peak_s if math.isfinite(f.t_peak_s) else None

    def at_peak_of(joint: str) -> float | None:
        lag_ms = f.chain.peak_times_ms.get(joint)
        return None if strike is None or lag_ms is None else strike + lag_ms / 1000.0
    recs: list[str] = []
    part, action = _part(f.effector), ("kick" if f.ref.family == "kick" else "strike")
    r_speed = f.max_speed / f.speed_ref
    speed_txt = (f"Peak {part} speed was {f.max_speed:.1f} m/s, {_ratio_words(r_speed)} the "
                 f"{f.speed_ref:.1f} m/s reference for a {f.ref.label}")
    trusted = f.speed_quality.reliable  # no praise nor correction built on a figure that cannot be trusted
    if not trusted:
        recs.append(f"The peak {part} speed ({f.max_speed:.1f} m/s) is {f.speed_quality.verdict}: "
                    f"{'; '.join(f.speed_quality.reasons)}. Speed and force are not scored or corrected from it.")
    elif r_speed < SPEED_LOW:
        corrections.append(f"{speed_txt}: relax the {'leg' if f.ref.family == 'kick' else 'arm'} until the last "
                           f"moment and snap the {action} out and back.")
        times.append(strike)
        recs.append(f"To raise your {part} speed from {f.max_speed:.1f} m/s towards {f.speed_ref:.1f} m/s, add "
                    "plyometric drills and fast shadow repetitions (3 x 10, full speed, full recovery).")
    elif r_speed >= SPEED_GOOD:
        recs.append(f"{speed_txt}: keep it while working on the other aspects.")

    strength = f.force_quality or f.speed_quality
    if not strength.reliable and trusted:
        recs.append(f"The peak limb force ({f.peak_force:.0f} N) is {strength.verdict}: {'; '.join(strength.reasons)}. "
                    "It is reported, not corrected.")
    if strength.reliable and math.isfinite(f.force_ref) and f.force_ref > 0 and f.peak_force / f.force_ref < FORCE_LOW:
        corrections.append(f"Peak limb force was {f.peak_force:.0f} N, {f.peak_force / f.force_ref * 100:.0f} % of the "
                           f"{f.force_ref:.0f} N expected for your body mass in a {f.ref.label}: accelerate through "
                           "the whole movement instead of only at its end.")
        times.append(strike)
        recs.append(f"Build force (now {f.peak_force:.0f} N peak, {f.mean_power:.0f} W mean power) with heavy-bag "
                    "rounds and explosive resistance work such as medicine-ball throws or jump squats.")

    body, steady = f.performer_quality, f.balance_quality
    found_here = []
    if body.reliable:
        found_here.append(_chain_feedback(f.chain, action, at_peak_of))
        if steady.reliable or f.balance.frames_used == 0:   # not measured at all: say why, whatever its quality
            found_here.append(_balance_feedback(f.balance))
        else:
            recs.append(f"Balance is {steady.verdict}: {'; '.join(steady.reasons)}. It is reported, not corrected.")
    else:
        # The chain and balance would be judged on a body that may not be the performer's. The speed's
        # recommendation above already names why (speed_quality runs the performer's checks too).
        recs.append(f"The kinetic chain and balance rest on the same body: they are {body.verdict} too, and "
                    "sequencing and balance are not corrected from them.")
    for found in found_here:
        corrections += found[0]
        times += found[1]
        recs += found[2]
    if not corrections and trusted:
        within = [name for name, judged in (("the kinetic chain", f.chain.measured and f.chain_quality.reliable),
                                            ("balance", steady.reliable)) if judged and body.reliable]
        judged = (f"; {' and '.join(within)} {'were' if len(within) > 1 else 'was'} within "
                  f"{'their reference ranges' if len(within) > 1 else 'its reference range'}" if within else "")
        recs.append(f"No major fault measured ({speed_txt.lower()}{judged}): increase the difficulty, e.g. "
                    "combinations or a moving target.")
    return corrections, recs, times


FeedbackParts = tuple[list[str], list["float | None"], list[str]]   # corrections, their moments (s), recommendations


def _chain_feedback(chain: Chain, action: str, at_peak_of: Callable[[str], "float | None"]) -> FeedbackParts:
    """Corrections for pairs measurably out of order (chain.reversed_pairs) or too slow to link, and the
    sequencing recommendation."""
    corrections: list[str] = []
    times: list[float | None] = []
    recs: list[str] = []
    for p in chain.pairs:
        if p in chain.reversed_pairs:
            corrections.append(f"Your {p.distal} reached peak speed {abs(p.lag_ms):.0f} ms before your {p.proximal}: "
                               f"start the {action} by driving the {p.proximal}, then let the {p.distal} follow.")
            times.append(at_peak_of(p.distal))
        elif p.lag_range_ms[0] > LAG_MAX_MS:   # measurably longer than the window
            corrections.append(f"Your {p.distal} peaked {p.lag_ms:.0f} ms after your {p.proximal}, longer than the "
                               f"{LAG_MIN_MS:.0f}-{LAG_MAX_MS:.0f} ms of a linked sequence: do not pause between "
                               "the two, let one motion flow into the next.")
            times.append(at_peak_of(p.distal))
    if chain.measured and chain.reversed_pairs:
        recs.append(f"Only {chain.order_fraction * 100:.0f} % of your timed joint pairs moved in proximal-to-distal "
                    f"order (observed: {' -> '.join(chain.observed_order)}; peaks within {chain.resolution_ms:.0f} "
                    f"ms count as together): practise the {action} slowly, {chain.joints[0]} first, then speed it "
                    "up keeping the order.")
    elif not chain.measured:
        fix = " Film the whole body, side-on, in good light." if chain.joints else ""
        recs.append(f"Sequencing is not measured: {chain.why_not_measured}; timing and coordination score "
                    f"neutral.{fix}")
    return corrections, times, recs


def _balance_feedback(b: Balance) -> FeedbackParts:
    """The balance correction (CoM outside the support) and the sway recommendation."""
    if b.frames_used == 0:
        return [], [], ["The feet were not tracked well enough to measure balance: keep both feet in the frame."]
    corrections, times, recs = [], [], []
    if b.fraction_outside > BALANCE_OUT_MAX:
        when = ("of the moments after each repetition, when you should be settled"
                if b.phases.startswith("settled") else "of the frames")
        corrections.append(f"Your centre of mass was outside your base of support in {b.fraction_outside * 100:.0f} % "
                           f"{when} (up to {b.max_excursion_m * 100:.0f} cm outside): keep your weight over "
                           "the supporting foot and your stance wider.")
        times.append(None)
    # Sway is named only when it is itself large: a centre of mass held still outside the support is
    # the correction above, and "swayed 0.0 cm" beside it would read as a contradiction.
    if b.sway_rms_m > SWAY_HIGH_M:
        recs.append(f"Your centre of mass swayed {b.sway_rms_m * 100:.1f} cm (RMS) over your support: add "
                    "single-leg balance drills (30 s holds, then chambering the technique on one leg).")
    return corrections, times, recs
