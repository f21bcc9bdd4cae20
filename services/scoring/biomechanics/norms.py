"""Reference figures the scores compare against, and the technique catalogue that selects them.

Speeds: CMU Graphics Lab motion capture, subject 135 (a karateka; /work/shared/data/README.md,
forward kinematics of the ASF/AMC at 120 Hz): peak toe speed about 10.0 m/s in the front kick
(mae-geri), 9.7 m/s in the roundhouse (mawashi-geri), 8.9 m/s in the side kick (yoko-geri); peak
hand speed about 6.3 m/s in the lunge punch (oi-zuki). These are speeds in the laboratory frame;
MediaPipe world landmarks are relative to the hips, so a technique that steps in (oi-zuki) reads
somewhat lower here than in the lab.
"""

from __future__ import annotations

from dataclasses import dataclass

# Generic references when the technique is unknown: front-kick toe and lunge-punch hand (CMU 135).
KICK_TOE_SPEED_REF = 10.0    # m/s
PUNCH_HAND_SPEED_REF = 6.3   # m/s
# The ankle is the kick effector only when the toe is not tracked. Its reference is the toe's
# scaled by the ratio of the ankle's to the toe's distance from the hip in an extended leg
# (~0.85 m / ~1.05 m for an adult, de Leva 1996 segment lengths), i.e. the same angular speed.
ANKLE_SPEED_RATIO = 0.8

# Peak acceleration references (m/s^2) for the force score. A minimum-jerk stroke (Flash & Hogan
# 1985, x = D (10 s^3 - 15 s^4 + 6 s^5), s = t/T) has v_peak = 1.875 D/T and a_peak = 5.774 D/T^2,
# so a_peak = 3.079 v_peak / T. With the CMU peak speeds and stroke durations of ~0.25 s for a punch
# and ~0.30 s for a kick (a design choice; striking-limb actions last a few hundred ms):
#   punch: 3.079 * 6.3 / 0.25 = 78 m/s^2, front kick: 3.079 * 10 / 0.30 = 103 m/s^2 at the effector.
MIN_JERK_PEAK_ACC_FACTOR = 5.7735 / 1.875
PUNCH_STROKE_S = 0.25
KICK_STROKE_S = 0.30

# Plausible lag between consecutive peak segment speeds in a proximal-to-distal sequence
# (Putnam 1993, "Sequential motions of body segments in striking and throwing skills",
# J Biomech 26 Suppl 1:125-135: distal peaks follow proximal ones by tens of milliseconds). The upper
# bound holds every expert's kick: the knee -> ankle lag (chain.TIMED_PAIRS) of the captured kicks reaches
# 172 ms, and 187 ms filmed at 30 fps (bench/chain_vs_mocap.py).
LAG_MIN_MS = 10.0
LAG_MAX_MS = 190.0


@dataclass(frozen=True)
class TechniqueRef:
    family: str          # "kick" or "punch"
    label: str           # for messages: "front kick"
    speed_ref: float     # m/s, peak speed of the family's distal effector (toe / wrist)
    stroke_s: float      # s, stroke duration used for the acceleration reference


FRONT_KICK = TechniqueRef("kick", "front kick", 10.0, KICK_STROKE_S)
ROUNDHOUSE = TechniqueRef("kick", "roundhouse kick", 9.7, KICK_STROKE_S)
SIDE_KICK = TechniqueRef("kick", "side kick", 8.9, KICK_STROKE_S)
KICK = TechniqueRef("kick", "kick", KICK_TOE_SPEED_REF, KICK_STROKE_S)
LUNGE_PUNCH = TechniqueRef("punch", "lunge punch", 6.3, PUNCH_STROKE_S)
PUNCH = TechniqueRef("punch", "punch", PUNCH_HAND_SPEED_REF, PUNCH_STROKE_S)

# Keyword -> reference, most specific first; matched against the lower-cased technique name with
# separators normalised to spaces.
_CATALOGUE: tuple[tuple[tuple[str, ...], TechniqueRef], ...] = (
    (("front kick", "mae geri", "maegeri", "push kick", "teep", "ap chagi"), FRONT_KICK),
    (("roundhouse", "mawashi geri", "mawashigeri", "dollyo chagi", "round kick"), ROUNDHOUSE),
    (("side kick", "yoko geri", "yokogeri", "yop chagi"), SIDE_KICK),
    (("kick", "geri", "chagi", "knee", "hiza"), KICK),
    (("oi zuki", "oizuki", "oi tsuki", "lunge punch"), LUNGE_PUNCH),
    (("punch", "zuki", "tsuki", "jab", "cross", "hook", "uppercut", "strike", "uchi", "block", "uke",
      "barai", "straight"), PUNCH),
)


def technique_ref(technique: str | None) -> TechniqueRef | None:
    """The reference for a free technique name, or None when the name says nothing we know."""
    if not technique:
        return None
    name = " ".join(technique.lower().replace("_", " ").replace("-", " ").split())
    for keywords, ref in _CATALOGUE:
        if any(k in name for k in keywords):
            return ref
    return None


def family_ref(family: str) -> TechniqueRef:
    return KICK if family == "kick" else PUNCH


def speed_ref(ref: TechniqueRef, effector: str) -> float:
    """m/s reference for the effector actually measured (ankle: scaled toe reference)."""
    return ref.speed_ref * (ANKLE_SPEED_RATIO if effector.endswith("ankle") else 1.0)


def acc_ref(ref: TechniqueRef, effector: str) -> float:
    """m/s^2: minimum-jerk peak acceleration for the reference speed and stroke (see above)."""
    return MIN_JERK_PEAK_ACC_FACTOR * speed_ref(ref, effector) / ref.stroke_s
