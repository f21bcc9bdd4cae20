"""How far a measured figure can be trusted: how it was measured, what limits it, and a verdict.

speed_quality judges one effector's peak speed (and the force that follows it) by every check below;
performer_quality judges the figures that follow the whole body (kinetic chain, balance) by the checks on
the performer alone (one performer, performer found, person size): a bystander measured instead of the
performer makes every figure theirs, not only the speed. balance_quality adds that balance from one camera
rests on its depth (never reliable there; measured against the pose2sim markers, see the function).

Verdicts: "reliable", "uncertain" (reported, but never scored 10 nor praised or corrected on), and
"unreliable" (reported as such; its aspect scores are neutral and no feedback is built on it).
Each check below states its threshold and why; the worst check gives the verdict.

- physiology (a guard, not a norm): peaks above what people reach are measurement faults. Hand: elite
  punches reach ~9-13 m/s at the fist (Whiting, Gregor & Finerman 1988, Med Sci Sports Exerc
  20(3):S78; Smith et al. 2000, Br J Sports Med 34:165, elite boxers' straight punches up to ~11 m/s).
  Foot: taekwondo roundhouse kicks peak at ~15-17 m/s at the foot (Pieter & Pieter 1995, Biol Sport
  12(4):257; Kong et al. 2000, J Sports Sci 18:50, up to ~16 m/s). Guards: 13 m/s hand, 18 m/s foot.
- frame rate: a strike's extension lasts ~100-150 ms; below RELIABLE_FPS (24) fewer than ~3 frames
  cover it and the peak is not resolved (read low or high by where the frames fell: the sigma-40-ms strike
  of sampling.py read 0.84-0.99 of its peak at 15 fps, Sports2D's running foot 1.12x its 30 fps figure),
  below USABLE_FPS (12) it is not measurable.
- person size: the image landmarks jitter by a few pixels; below RELIABLE_PERSON_PX (200 px of body
  height) that is > 2 % of the body per frame, below USABLE_PERSON_PX (100 px) > 5 %.
- performer found: share of the analysed frames in which the performer was detected; below FOUND_RELIABLE
  (0.8) uncertain: a fifth of a 2-3 s clip (0.4-0.6 s) can hold a whole strike, so the fastest moment may
  be among the frames the pose model missed (sports2d mirrored: 110 of 230 frames measured, the athlete's
  second tracker having lost him).
- one performer: where another person was in the same frames and at least RIVAL_UNCERTAIN (0.6) as
  prominent (services/pose/tracking.py: size in the frame x motion), which of them is measured is close to
  a guess (sports2d: 0.75; its mirror image followed the other person until services.pose.redetect):
  uncertain.
- effector in view: share of the effector's samples within +-WINDOW_S of its peak that were seen
  (visibility >= 0.5): below 0.8 uncertain, below 0.5 unreliable.
- trackers agree: where the pose service's BlazePose trackers placed the effector more than
  measurement.SPREAD_LIMIT_M apart, its speed was not counted (BlazePose unsure: a hidden or inverted limb);
  the peak may be among those moments, so any such span makes the figure uncertain; so does one of the
  other effectors the peak was chosen from (a limb not measured somewhere may have been the fastest there).
- plane of motion: speeds are those of the image plane (planar.py); the effector's distal segment's
  angle to the image plane at the peak (image_scale.foreshortening): above 45 degrees the motion was
  partly along the camera's axis (uncertain), above 65 degrees mostly (unreliable: under-read).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from services.kit.image_scale import SEGMENTS

from . import landmarks as L
from .chain import Chain
from .measurement import Measured
from .sampling import sample_mask

PHYSIOLOGICAL_MAX_M_S = {"hand": 13.0, "foot": 18.0}
RELIABLE_FPS, USABLE_FPS = 24.0, 12.0
RELIABLE_PERSON_PX, USABLE_PERSON_PX = 200.0, 100.0
SEEN_RELIABLE, SEEN_USABLE = 0.8, 0.5
FOUND_RELIABLE = 0.8
RIVAL_UNCERTAIN = 0.6
PLANE_UNCERTAIN_DEG, PLANE_UNRELIABLE_DEG = 45.0, 65.0
WINDOW_S = 0.1
UNCERTAIN_SCORE_CAP = 8.0  # an uncertain figure may score well, never full marks (design choice)
RANK = {"reliable": 0, "uncertain": 1, "unreliable": 2}
# Effector -> the segment whose plane says how the effector moved
EFFECTOR_SEGMENT = {"left_wrist": "left_forearm", "right_wrist": "right_forearm", "left_ankle": "left_shank",
                    "right_ankle": "right_shank", "left_toe": "left_shank", "right_toe": "right_shank"}


@dataclass
class Quality:
    verdict: str = "reliable"
    reasons: list[str] = field(default_factory=list)
    measured: dict = field(default_factory=dict)

    def copy(self) -> "Quality":
        return Quality(self.verdict, list(self.reasons), dict(self.measured))

    def worsen(self, verdict: str, reason: str) -> None:
        if RANK[verdict] > RANK[self.verdict]:
            self.verdict = verdict
        if verdict != "reliable":
            self.reasons.append(reason)

    @property
    def reliable(self) -> bool:
        return self.verdict == "reliable"

    def as_dict(self) -> dict:
        return {"verdict": self.verdict, "reasons": list(self.reasons), **self.measured}


def limb_kind(effector: str) -> str:
    return "hand" if effector.endswith("wrist") else "foot"


def physiological_fault(effector: str, speed_m_s: float) -> str | None:
    """The reason a peak is a measurement fault, or None when people can move that fast."""
    limit = PHYSIOLOGICAL_MAX_M_S[limb_kind(effector)]
    if math.isfinite(speed_m_s) and speed_m_s > limit:
        return (f"{speed_m_s:.1f} m/s is above the fastest {limb_kind(effector)} speeds people reach "
                f"(about {limit:g} m/s): a tracking fault, not a real speed")
    return None


def person_height_px(measured: Measured) -> float:
    """Median over frames of the performer's extent along the image's vertical, px."""
    image = measured.motion.image
    ok = sample_mask(measured.motion)
    y = np.where(ok, image[..., 1], np.nan)
    seen = ok.sum(axis=1) >= 8
    if not seen.any():
        return float("nan")
    return float(np.median(np.nanmax(y[seen], axis=1) - np.nanmin(y[seen], axis=1)))


def _performer_checks(q: Quality, measured: Measured) -> Quality:
    """Worsen q by what every figure rests on: one performer, found in most frames, large enough in the image."""
    motion = measured.motion
    if motion.rival_prominence > 0:
        q.measured["rival_prominence"] = round(float(motion.rival_prominence), 3)
    if motion.rival_prominence >= RIVAL_UNCERTAIN:
        q.worsen("uncertain", f"another person was in view and {100 * motion.rival_prominence:.0f} % as prominent as "
                 "the one measured; the figures may be theirs (film one person at a time)")
    found = float(motion.detected.mean()) if motion.n_frames else 0.0
    q.measured["performer_found_fraction"] = round(found, 3)
    if found < FOUND_RELIABLE:
        q.worsen("uncertain", f"the performer was found in only {100 * found:.0f} % of the frames; what happened "
                 "in the others is not measured (keep the whole body in view, in even light)")
    if measured.source == "image_plane":
        height = person_height_px(measured)
        q.measured["person_height_px"] = round(height, 1) if math.isfinite(height) else None
        if not math.isfinite(height) or height < USABLE_PERSON_PX:
            q.worsen("unreliable", "the performer is too small in the frame (film closer)")
        elif height < RELIABLE_PERSON_PX:
            q.worsen("uncertain", "the performer is small in the frame; the landmarks carry more noise")
    return q


def performer_quality(measured: Measured) -> Quality:
    """How far the figures that follow the whole body (kinetic chain, balance) can be trusted: the checks on
    the performer alone (one performer, found, large enough), without those of one effector's peak."""
    return _performer_checks(Quality(measured={"method": measured.source}), measured)


def balance_quality(measured: Measured, performer: Quality | None = None) -> Quality:
    """How far the balance figures can be trusted: the performer's checks, and from one camera never reliable.
    The base of support and the centre of mass are placed along the camera's axis by one camera's depth,
    uncertain by 0.10-0.16 m at the feet (learning/video_like.py's table), as much as a foot is wide. Measured
    on the pose2sim balancing trial (bench/balance_vs_truth.py): its four views put the static centre of mass
    beyond the support in 85-100 % of the frames (up to 0.19-0.21 m), the triangulated markers through the
    same code in 24 % (up to 0.08 m); the XCoM up to 0.23-0.83 m against 0.36 m. performer: performer_quality
    of the same measurement when the caller has it already."""
    return _from_one_camera(performer_quality(measured) if performer is None else performer, measured,
                            "measured from one camera, whose depth places the feet and the centre of mass only "
                            "to within about 15 cm, as much as a foot is wide")


def force_quality(speed: Quality, measured: Measured) -> Quality:
    """How far the striking limb's peak force and mean power can be trusted: the speed's checks (they come from
    the same limb's motion), and from one camera never reliable. They are second derivatives of positions, and
    the part of the accelerations along the camera's axis is not seen: on the pose2sim balancing trial the
    markers' own image plane held 0.44-0.58 of their 3-D peak force, and the videos read 0.09-1.24 of it;
    experts' kicks and punches filmed by an ideal camera read 0.68-1.25 of theirs (10th-90th percentiles,
    bench/force_vs_truth.py), about the width of the 70 % below which a force would be corrected."""
    return _from_one_camera(speed, measured, "measured from one camera: force and power come from the limb's "
                            "accelerations, whose part along the camera's axis it cannot see (half of it on a trial "
                            "with markers)")


def _from_one_camera(base: Quality, measured: Measured, reason: str) -> Quality:
    """A copy of base, uncertain for `reason` when the measurement is one camera's (a video's image plane)."""
    q = base.copy()
    if measured.source == "image_plane":
        q.worsen("uncertain", reason)
    return q


def chain_quality(chain: Chain, performer: Quality) -> Quality:
    """How far the kinetic chain's scores can be trusted: the performer's checks (performer_quality), and every
    timed pair's order measurable (chain.order_of). Peaks closer than the footage can order may be in the
    experts' order or not, so they are uncertain: scored, never full marks."""
    q = performer.copy()
    for p in chain.pairs:
        if p.order == 0:
            low, high = p.lag_range_ms
            q.worsen("uncertain", f"the {p.proximal}'s and the {p.distal}'s peaks are closer than the footage can "
                     f"order: the {p.distal} anywhere from {-low:.0f} ms before to {high:.0f} ms after the "
                     f"{p.proximal}")
    return q


def speed_quality(measured: Measured, effector: str, speed_m_s: float, t_peak_s: float,
                  candidates: tuple[str, ...] = ()) -> Quality:
    """The quality of one effector's peak speed (m/s at t_peak_s), the fastest of `candidates` (the
    effectors it was chosen from)."""
    motion = measured.motion
    q = Quality(measured={"method": measured.source, "frame_rate_hz": round(measured.smoothed.video_fs, 2)})
    fault = physiological_fault(effector, speed_m_s)
    if fault:
        q.worsen("unreliable", fault)
    fps = measured.smoothed.video_fs
    if fps < USABLE_FPS:
        q.worsen("unreliable", f"{fps:.0f} frames/s is too few to measure a strike (needs {USABLE_FPS:g}+)")
    elif fps < RELIABLE_FPS:
        q.worsen("uncertain", f"at {fps:.0f} frames/s the peak speed is not resolved: it may read low or high "
                 f"(needs {RELIABLE_FPS:g}+)")
    _performer_checks(q, measured)
    landmark, segment = L.EFFECTORS[effector], EFFECTOR_SEGMENT[effector]
    near = np.abs(motion.t - t_peak_s) <= WINDOW_S
    seen = float(sample_mask(motion)[near, landmark].mean()) if near.any() else 0.0
    q.measured["effector_seen_fraction"] = round(seen, 3)
    if seen < SEEN_USABLE:
        q.worsen("unreliable", f"the {effector.replace('_', ' ')} was out of view around its peak")
    elif seen < SEEN_RELIABLE:
        q.worsen("uncertain", f"the {effector.replace('_', ' ')} was partly hidden around its peak")
    if measured.source != "image_plane":
        return q
    spans, most = measured.disagreement(landmark)
    if spans:
        q.measured["not_counted_s"] = _spans(spans)
        q.worsen("uncertain", f"the pose model's trackers disagreed about where the {effector.replace('_', ' ')} "
                 f"was, by up to {most:.2f} m, at {_where(spans)} (a hidden or upside-down limb); speeds there are "
                 "not counted and the peak may be among them")
    # The peak is the fastest of the candidates where they were measured: one not measured somewhere may have
    # been faster there (sports2d's phone recording: the right toe's run at 6.9-7.5 s, 7.3 m/s in the original,
    # not counted, and the peak reported was the right wrist's 5.6).
    for other in (c for c in candidates if c != effector):
        spans, most = measured.disagreement(L.EFFECTORS[other])
        if spans:
            q.measured.setdefault("others_not_counted_s", {})[other] = _spans(spans)
            q.worsen("uncertain", f"the pose model's trackers disagreed about where the {other.replace('_', ' ')} "
                     f"was, by up to {most:.2f} m, at {_where(spans)}: its speed there is not counted, and the "
                     "fastest moment may have been there (the peak speed is a lower bound)")
    k = [name for name, *_ in SEGMENTS].index(segment)
    cos = measured.segment_in_plane[near, k]
    cos = cos[np.isfinite(cos)]
    angle = float(np.degrees(np.arccos(np.median(cos)))) if cos.size else float("nan")
    q.measured["segment_out_of_image_plane_deg"] = round(angle, 1) if math.isfinite(angle) else None
    kin = measured.kinematics
    at = int(np.argmin(np.abs(kin.t - t_peak_s)))
    # Speeds are the image plane's (measurement.py); this says how much of the effector's motion at its
    # peak went along the camera's axis (from the depth's rate), i.e. what the speed does not count. It is a
    # lower bound: one camera's depth, low-passed, under-reads that motion (pose2sim cam01's toes: 0.03 and
    # 0.15 where the markers give 0.47 and 0.74; the rate of any one-camera depth tried follows the markers'
    # at r 0.2-0.6), so a speed it leaves reliable may still be under-read (cam01's right toe by 16 %).
    v = np.r_[kin.vel[at, landmark, :2], measured.depth_velocity[at, landmark]]
    share = float(abs(v[2]) / np.linalg.norm(v)) if np.all(np.isfinite(v)) and np.linalg.norm(v) > 0 else float("nan")
    q.measured["speed_share_along_camera_axis"] = round(share, 3) if math.isfinite(share) else None
    if math.isfinite(angle) and angle > PLANE_UNRELIABLE_DEG:
        q.worsen("unreliable", f"the {segment.replace('_', ' ')} moved mostly toward or away from the camera "
                 f"({angle:.0f} degrees out of the image plane): the speed is under-read; film side-on")
    elif math.isfinite(angle) and angle > PLANE_UNCERTAIN_DEG:
        q.worsen("uncertain", f"the {segment.replace('_', ' ')} moved partly along the camera's axis "
                 f"({angle:.0f} degrees out of the image plane): the speed may be under-read")
    return q


def _spans(spans: list[tuple[float, float]]) -> list[list[float]]:
    return [[round(a, 2), round(b, 2)] for a, b in spans]


def _where(spans: list[tuple[float, float]]) -> str:
    return ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in spans[:3]) + (" ..." if len(spans) > 3 else "")


def capped(score: float, quality: Quality) -> float:
    """An aspect score as far as its figure allows: NaN (scored neutral, flagged) when unreliable, at most
    UNCERTAIN_SCORE_CAP when uncertain."""
    if quality.verdict == "unreliable":
        return float("nan")
    if quality.verdict == "uncertain" and math.isfinite(score):
        return min(score, UNCERTAIN_SCORE_CAP)
    return score
