"""The striking limb's peak force and mean power from video against the truth, through the same code.

Run: .venv/bin/python bench/force_vs_truth.py   (about a minute: it runs the pose model on four videos)
1. The pose2sim balancing trial: its triangulated markers (.trc, angles_vs_opensim.trc_body) in 3-D, the same
   markers seen in each camera's image plane (the camera fitted to the video's landmarks, DLT; cam03 and
   cam04 fit badly, their image-plane rows are marked), and each camera's video through the pose service and
   the analysis path: per limb, peak net force (N) and mean power (W) of kinetics.limb_kinetics for a 70 kg
   body, and the video's figure as a share of the 3-D truth's.
2. Experts' kicks and punches (CMU 135) filmed by an ideal camera at 4 yaws, 30 fps, with BlazePose's frame
   jitter (testkit.filmed_mocap): each repetition's peak force in the image plane as a share of the capture's.
Forces are second derivatives of positions: what the camera's axis hides and what the video's noise adds
both land in them, so the quality report says how far they can be trusted (quality.force_quality).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.linalg import rq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import angles_vs_opensim as opensim  # noqa: E402
from services.kit.paths import CMU_KARATE  # noqa: E402
from services.scoring.biomechanics import Motion  # noqa: E402
from services.scoring.biomechanics import landmarks as L  # noqa: E402
from services.scoring.biomechanics.kinetics import limb_kinetics  # noqa: E402
from services.scoring.biomechanics.measurement import measure  # noqa: E402
from services.scoring.biomechanics.segments import effector_segment, limb_segments  # noqa: E402
from services.scoring.learning.video_like import VIDEO  # noqa: E402
from services.scoring.mocap.cmu import load_clips, repetitions  # noqa: E402
from testkit.filmed_mocap import filmed_motion  # noqa: E402

MASS_KG = 70.0
LIMBS = ("right_toe", "left_toe", "right_wrist", "left_wrist")
GOOD_FIT_PX = 50.0   # a camera fitted worse than this (median reprojection, px) does not give a true image plane


def kinetics_of(motion: Motion, effector: str, lo: float = -np.inf, hi: float = np.inf) -> tuple[float, float]:
    """(peak force N, mean power W) of the effector's limb, over the samples between lo and hi s."""
    kin = measure(motion).kinematics
    keep = (kin.t >= lo) & (kin.t <= hi)
    part = type(kin)(t=kin.t[keep], dt=kin.dt, pos=kin.pos[keep], vel=kin.vel[keep], acc=kin.acc[keep],
                     speed=kin.speed[keep])
    k = limb_kinetics(part, limb_segments(effector), MASS_KG, part.speed[:, L.EFFECTORS[effector]],
                      effector_segment(effector))
    return k.peak_force_n, k.mean_power_w


def as_motion(t: np.ndarray, world: np.ndarray) -> Motion:
    return Motion(t=t - t[0], world=world, visibility=np.where(np.isfinite(world).all(-1), 0.99, 0.0),
                  detected=np.ones(len(t), dtype=bool))


def camera_plane(P: np.ndarray, world: np.ndarray) -> np.ndarray:
    """The markers in the fitted camera's axes with the depth removed: what a perfect 2-D tracker would see."""
    K, R = rq(P[:, :3])
    R = np.diag(np.sign(np.diag(K))) @ R
    plane = world @ (-R if np.linalg.det(R) < 0 else R).T
    plane[..., 2] = 0.0
    return plane


def pose2sim() -> None:
    t, names, markers = opensim.read_trc()
    truth = opensim.trc_body(names, markers)
    full = {eff: kinetics_of(as_motion(t, truth), eff) for eff in LIMBS}
    print("| source | " + " | ".join(f"{e}: N / W (share of 3-D)" for e in LIMBS) + " |")
    print("|---|" + "---|" * len(LIMBS))
    print("| markers 3-D | " + " | ".join(f"{f:.0f} / {p:.0f}" for f, p in full.values()) + " |")
    for cam, motion in opensim.video_motions():
        lag, _ = opensim.find_lag(motion.image, names, markers)
        P, err = opensim.fit_camera(motion.image, names, markers, lag)
        plane = {eff: kinetics_of(as_motion(t, camera_plane(P, truth)), eff) for eff in LIMBS}
        video = {eff: kinetics_of(motion, eff) for eff in LIMBS}
        fit = "" if err <= GOOD_FIT_PX else f" (camera fit {err:.0f} px: not a true plane)"
        print(f"| cam0{cam} markers, image plane{fit} | " + " | ".join(
            f"{plane[e][0]:.0f} / {plane[e][1]:.0f} ({plane[e][0] / full[e][0]:.2f})" for e in LIMBS) + " |")
        print(f"| cam0{cam} video | " + " | ".join(
            f"{video[e][0]:.0f} / {video[e][1]:.0f} ({video[e][0] / full[e][0]:.2f})" for e in LIMBS) + " |",
            flush=True)

def filmed_cmu() -> None:
    rng = np.random.default_rng(0)
    print("\n| yaw deg | repetitions | filmed peak force / captured: median | 10th pct | 90th pct |")
    print("|---|---|---|---|---|")
    clips = [c for c in load_clips(CMU_KARATE) if c.technique in ("front_kick", "roundhouse", "side_kick",
                                                                    "lunge_punch")]
    for yaw in (0.0, 45.0, 90.0, 135.0):
        shares = []
        for clip in clips:
            shown = filmed_motion(clip.motion, yaw, 30.0, rng, VIDEO.jitter_m)
            for rep in repetitions(clip):
                lo, hi = rep.start_s, rep.end_s
                truth = kinetics_of(clip.motion, rep.effector, lo, hi)[0]
                shares.append(kinetics_of(shown, rep.effector, lo, hi)[0] / truth)
        s = np.array(shares)
        print(f"| {yaw:g} | {s.size} | {np.median(s):.2f} | {np.percentile(s, 10):.2f} | {np.percentile(s, 90):.2f} |",
              flush=True)


if __name__ == "__main__":
    pose2sim()
    filmed_cmu()
