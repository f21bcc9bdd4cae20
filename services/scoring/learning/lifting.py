"""Depth of the body's joints lifted from one camera's 2-D landmarks (serving side; no torch).

Why: BlazePose's own per-frame depth is its weakest output (knees and ankles 0.11 m RMS off in depth
against 0.03-0.05 m across the image on the pose2sim trial, bench/angles_vs_opensim.py), and joint
angles need depth: with the triangulated truth's depth in place of BlazePose's, cam01's knee/hip
flexion RMSE against OpenSim falls from 14.2 to 8.3 deg. A lifter in the manner of Martinez et al.
2017 ("A simple yet effective baseline for 3d human pose estimation", ICCV): an MLP from the 2-D
positions of 13 joints to their depths, trained by the project itself on its motion capture seen
through random cameras (learning/lifter_training.py, `make scoring-models`). Measured on the four
pose2sim views (bench/validity.py, knee + hip flexion RMSE, deg; BlazePose depth -> lifted depth):
see the README's table; chosen over BlazePose's depth because it is better on the views where the
limbs are seen (cam03 hides the right leg for 23 % of the frames).

Single-frame by design: it does not depend on the frame rate (6-60 fps footage) or playback speed.
Input normalisation makes it independent of the person's size in pixels: positions relative to the hip
centre divided by their RMS distance from it (s); the output is depth / s, so depth comes back in the
image's pixels. Joints not seen are zero with a 0 in the mask (trained with random dropouts). The
answer is averaged with the mirrored input's, mirrored back (test-time augmentation): a mirrored video
gets the mirrored depths exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .runtime import MANIFEST_KEY, inference_session

# nose, shoulders, elbows, wrists, hips, knees, ankles (BlazePose indices), left before right
JOINTS = (0, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)
MIRROR = (0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11)  # the same list with the sides swapped
HIPS = (7, 8)                                          # positions of the hips in JOINTS
N_INPUTS = 3 * len(JOINTS)                             # x/s, y/s per joint, then the seen mask
MIN_SEEN = 7                                           # fewer seen joints than this: no depth for the frame


def normalise(xy: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(inputs [N, N_INPUTS] float32, s [N], ok [N]) from joint positions xy [N,13,2] (any unit, y down)
    and seen [N,13]. ok: both hips and at least MIN_SEEN joints seen."""
    xy = np.asarray(xy, dtype=float)
    seen = np.asarray(seen, dtype=bool) & np.isfinite(xy).all(axis=-1)
    ok = seen[:, list(HIPS)].all(axis=1) & (seen.sum(axis=1) >= MIN_SEEN)
    hip = 0.5 * (xy[:, HIPS[0]] + xy[:, HIPS[1]])
    rel = np.where(seen[..., None], xy - hip[:, None], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.sqrt((rel ** 2).sum(-1).sum(-1) / np.maximum(seen.sum(axis=1), 1))
    ok &= np.isfinite(s) & (s > 0)
    s = np.where(ok, s, 1.0)
    inputs = np.concatenate([(rel / s[:, None, None]).reshape(len(xy), -1), seen.astype(float)], axis=1)
    inputs[~ok] = 0.0
    return inputs.astype(np.float32), s, ok


def mirror_inputs(inputs: np.ndarray) -> np.ndarray:
    """The inputs of the mirrored image (x -> -x, sides swapped)."""
    n = len(JOINTS)
    xy = inputs[:, :2 * n].reshape(-1, n, 2)[:, list(MIRROR)] * np.array([-1.0, 1.0], dtype=np.float32)
    return np.concatenate([xy.reshape(-1, 2 * n), inputs[:, 2 * n:][:, list(MIRROR)]], axis=1).astype(np.float32)


class DepthLifter:
    """The exported lifter (ONNX, input "joints2d" [N, N_INPUTS], output "depth" [N, 13] = depth / s)."""

    def __init__(self, source: bytes | str | Path) -> None:
        self.session = inference_session(source, "The depth lifter")
        meta = self.session.get_modelmeta().custom_metadata_map
        self.manifest: dict = json.loads(meta[MANIFEST_KEY]) if MANIFEST_KEY in meta else {}

    @classmethod
    def from_dir(cls, folder: str | Path) -> "DepthLifter | None":
        path = Path(folder) / "depth_lifter.onnx"
        return cls(path) if path.is_file() else None

    @property
    def name(self) -> str:
        return f"{self.manifest.get('name', 'depth_lifter')} {self.manifest.get('version', '')}".strip()

    def _run(self, inputs: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"joints2d": inputs})[0].astype(float)

    def depth(self, image_px: np.ndarray, seen: np.ndarray) -> np.ndarray:
        """[T,33] depth (px, away from the camera, relative to the hip centre) of the JOINTS of image
        landmarks image_px [T,33,2] seen in `seen` [T,33]; NaN for the other landmarks, unseen joints and
        frames without enough of the body."""
        xy = np.asarray(image_px, dtype=float)[:, list(JOINTS)]
        inputs, s, ok = normalise(xy, np.asarray(seen, dtype=bool)[:, list(JOINTS)])
        out = np.full((len(xy), 33), np.nan)
        if not ok.any():
            return out
        direct = self._run(inputs[ok])
        mirrored = self._run(mirror_inputs(inputs[ok]))[:, list(MIRROR)]
        z = 0.5 * (direct + mirrored) * s[ok, None]
        z[~np.asarray(seen, dtype=bool)[ok][:, list(JOINTS)]] = np.nan
        out[np.ix_(np.flatnonzero(ok), list(JOINTS))] = z
        return out
