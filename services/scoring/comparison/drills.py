"""Training recommendations from a student's comparison with the coach's reference: the summary of how
closely the form matches, and a drill per aspect that scores under RECOMMEND_BELOW, unless the figure it
would aim at was not measured reliably (speed, force, balance: their qualities; coordination: no timed chain)."""

from __future__ import annotations

from collections import defaultdict

from .corrections import PHASE_WORDS, family_words, finite_mean
from .model import RepetitionComparison

RECOMMEND_BELOW = 7.0       # aspect score (0-10) under which a training recommendation is given
# A joint whose RMS distance from the coach's along the DTW path exceeds this (torso lengths, ~5 cm)
# is worth pointing at; below it the "largest difference" would be noise.
NOTABLE_JOINT_ERROR = 0.1


def recommendations(reps: list[RepetitionComparison], scores: dict[str, float], corrections_given: list, *,
                    coach: str, family: str, label: str, speed_trusted: bool = True, force_trusted: bool = True,
                    balance_trusted: bool = True) -> list[str]:
    words = family_words(family)
    sim = finite_mean(r.similarity_pct for r in reps)
    joint_error: dict[str, list[float]] = defaultdict(list)
    for r in reps:
        for j, e in r.alignment.joint_error.items():
            joint_error[j].append(e)
    worst = [j for j in sorted(joint_error, key=lambda j: -finite_mean(joint_error[j]))[:2]
             if finite_mean(joint_error[j]) > NOTABLE_JOINT_ERROR]
    summary = (f"Your {label} matches {coach}'s form at {sim:.0f} % (pose similarity over {len(reps)} "
               f"repetition{'s' if len(reps) != 1 else ''})")
    if worst:
        summary += (f"; the largest differences are at your {' and '.join(w.replace('_', ' ') for w in worst)}: "
                    f"watch {coach}'s reference side by side with yours at slow speed")
    recs = [summary + "."]
    cs = finite_mean(r.coach.peak_speed_m_s for r in reps)
    coach_ms = {p: finite_mean(r.coach.phases_ms[p] for r in reps) for p in PHASE_WORDS}
    drills = {
        "speed": f"Fast shadow {words['action']}s, 3 x 10 at full speed with full recovery, aiming at {coach}'s "
                 f"{cs:.1f} m/s; add plyometric drills.",
        "force": "Heavy-bag rounds and explosive resistance work (medicine-ball throws, jump squats) to build force.",
        "timing": f"Practise the {label} to {coach}'s count: chamber {coach_ms['start_to_chamber']:.0f} ms, "
                  f"extension {coach_ms['chamber_to_extension']:.0f} ms, retraction "
                  f"{coach_ms['extension_to_retraction']:.0f} ms; film and compare again.",
        "coordination": f"Slow-motion {words['action']}s that drive the knee first and then snap the lower leg, "
                        f"speeding up while keeping {coach}'s timing of knee and ankle.",
        "balance": "Single-leg balance drills: 30 s holds, then chambering the technique on one leg.",
    }
    unfounded = {"speed": not speed_trusted, "force": not (speed_trusted and force_trusted),
                 "balance": not balance_trusted,
                 # a chain is compared only where one is timed (chain.TIMED_PAIRS: none in a punch)
                 "coordination": not any(r.chain for r in reps)}
    for aspect, drill in drills.items():
        if unfounded.get(aspect, False):
            continue  # a drill aimed at a figure that was not measured reliably would rest on nothing
        if scores.get(aspect, 10.0) < RECOMMEND_BELOW:
            recs.append(f"{aspect.capitalize()} {scores[aspect]:.1f}/10 against {coach}: {drill}")
    if not corrections_given:
        recs.append(f"No difference from {coach}'s {label} beyond the thresholds: keep this form while raising "
                    "the difficulty (combinations, a moving target).")
    return recs
