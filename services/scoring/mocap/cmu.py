"""The CMU karate motion capture (subject 135): clip catalogue, loading as a Motion, repetitions.

Source: CMU Graphics Lab Motion Capture Database, subject 135 (mocap.cs.cmu.edu, created with
funding from NSF EIA-0196217), optical capture at 120 Hz. Techniques per clip are from the
database's descriptions (see ../shared/data/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from services.kit.errors import ValidationFailed
from services.scoring.biomechanics import landmarks as L
from services.scoring.biomechanics.measurement import measure
from services.scoring.biomechanics.motion import Motion
from services.scoring.biomechanics.norms import technique_ref
from services.scoring.biomechanics.repetitions import Repetition, find_repetitions

from .asf_amc import parse_amc, parse_asf
from .forward_kinematics import solve
from .landmarks33 import to_landmarks

CAPTURE_HZ = 120.0
# clip number -> technique name as the API spells it (karate name in the comment)
CATALOGUE: dict[str, str] = {
    "04": "front_kick",        # mae-geri
    "05": "low_block",         # gedan-barai
    "07": "roundhouse",        # mawashi-geri
    "09": "lunge_punch",       # oi-zuki
    "10": "knife_hand_block",  # shuto-uke
    "11": "side_kick",         # yoko-geri
}


@dataclass(frozen=True)
class Clip:
    name: str            # e.g. "135_04"
    technique: str
    motion: Motion       # 33 landmarks, MediaPipe axes, metres


def technique_of(amc: Path) -> str | None:
    """Technique of a CMU subject-135 clip from its file name (135_NN.amc), None if not catalogued."""
    subject, _, number = amc.stem.partition("_")
    return CATALOGUE.get(number) if subject == "135" else None


def load_motion(asf: Path, amc: Path, frame: str = "lab", rate_hz: float = CAPTURE_HZ) -> Motion:
    """An ASF/AMC clip as a Motion: t in s at `rate_hz`, 33 landmarks in metres (see landmarks33)."""
    skeleton = parse_asf(asf)
    pose = solve(skeleton, parse_amc(amc, skeleton))
    world, visibility = to_landmarks(pose, frame=frame)
    t = np.arange(world.shape[0]) / rate_hz
    return Motion(t=t, world=world, visibility=visibility, detected=np.ones(world.shape[0], dtype=bool),
                  smoothing="none")


@lru_cache(maxsize=16)
def _cached(asf: str, amc: str, frame: str) -> Motion:
    return load_motion(Path(asf), Path(amc), frame)


def load_clips(root: Path, frame: str = "lab") -> list[Clip]:
    """Every catalogued clip under `root` (a folder with 135.asf and 135_NN.amc), sorted by name."""
    asf = root / "135.asf"
    if not asf.is_file():
        raise ValidationFailed(f"No CMU skeleton (135.asf) in {root.name}", details={"data_dir": "no 135.asf"})
    clips = [Clip(amc.stem, technique, _cached(str(asf), str(amc), frame))
             for amc in sorted(root.glob("135_*.amc")) if (technique := technique_of(amc))]
    if not clips:
        raise ValidationFailed(f"No catalogued CMU clip (135_NN.amc) in {root.name}")
    return clips


@dataclass(frozen=True)
class CmuSample:
    """One repetition cut out of a CMU clip (same attributes as learning.dataset.Sample)."""

    technique: str
    t: np.ndarray            # [T] s, from 0
    world: np.ndarray        # [T,33,3] m, MediaPipe axes, hip-centred like the pose service's output
    visibility: np.ndarray   # [T,33]
    source: str              # "cmu/135_04#0"


REPETITION_MARGIN_S = 0.1   # kept before the start and after the end of each repetition


def repetitions(clip: Clip) -> list[Repetition]:
    """The clip's repetitions (biomechanics.repetitions) found by the project's own segmentation."""
    ref = technique_ref(clip.technique)
    return find_repetitions(measure(clip.motion).kinematics, ref.family if ref else "punch")


def cmu_samples(root: Path) -> list[CmuSample]:
    """Every repetition of every catalogued clip under root, hip-centred, as training samples."""
    samples = []
    for clip in load_clips(root, frame="lab"):
        m = clip.motion
        hips = m.world - 0.5 * (m.world[:, L.LEFT_HIP] + m.world[:, L.RIGHT_HIP])[:, None, :]
        for rep in repetitions(clip):
            keep = (m.t >= rep.start_s - REPETITION_MARGIN_S) & (m.t <= rep.end_s + REPETITION_MARGIN_S)
            t = m.t[keep]
            samples.append(CmuSample(technique=clip.technique, t=t - t[0], world=hips[keep],
                                     visibility=m.visibility[keep], source=f"cmu/{clip.name}#{rep.index}"))
    return samples
