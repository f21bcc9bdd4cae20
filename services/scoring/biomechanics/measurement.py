"""One Motion measured once: which positions, resampled and filtered, differentiated.

Video (a Motion with image landmarks) is measured in the image plane put in metres (planar.py);
motion capture, whose 3-D is exact, in its own laboratory frame. The physics report, the segmentation,
the comparison with the coach and the quality report all start from the same Measured, computed once
per Motion and kept on it (a Motion is immutable, so the cache cannot go stale).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from services.kit.image_scale import foreshortening

from .kinematics import Kinematics, kinematics
from .motion import Motion
from .planar import depth_cutoff_hz, limb_seen, metric_positions
from .sampling import Smoothed, sample_mask, smooth

_ATTR = "_measured"


@dataclass(frozen=True)
class Measured:
    motion: Motion
    smoothed: Smoothed
    kinematics: Kinematics
    source: str                     # "image_plane" (video) or "world" (motion capture, or no image)
    scale_m_per_px: np.ndarray | None  # [T] at the video's frames, None for "world"

    @cached_property
    def segment_in_plane(self) -> np.ndarray | None:
        """[T,S] cos of each image_scale.SEGMENTS segment's angle to the image plane at the video's frames
        (1 = in the plane, NaN unknown); None for "world" (motion capture is 3-D). The quality report and
        the comparison's viewpoint check both read it."""
        if self.source != "image_plane":
            return None
        motion = self.motion
        usable = limb_seen(sample_mask(motion) & np.isfinite(motion.image).all(axis=-1))
        return foreshortening(motion.image, motion.world, usable, self.scale_m_per_px)

    def settings(self) -> dict:
        out = dict(self.smoothed.settings)
        out["positions"] = ("image plane in metres (performer's bone lengths), depth low-passed at "
                            f"{depth_cutoff_hz(self.motion):.3g} Hz" if self.source == "image_plane"
                            else "3-D world/lab frame")
        if self.scale_m_per_px is not None and np.isfinite(self.scale_m_per_px).any():
            out["mm_per_px_median"] = float(1000.0 * np.nanmedian(self.scale_m_per_px))
        return out


def measure(motion: Motion) -> Measured:
    """The Measured of a Motion (computed on first use, then kept on the Motion)."""
    cached = motion.__dict__.get(_ATTR)
    if cached is not None:
        return cached
    scale = None
    if motion.image is not None and np.isfinite(motion.image).any():
        positions, scale = metric_positions(motion)
        if not np.isfinite(scale).any():  # no bone seen whole: nothing to put the image in metres with
            positions, scale = None, None
    else:
        positions = None
    sm = smooth(motion, positions)
    out = Measured(motion=motion, smoothed=sm, kinematics=kinematics(sm),
                   source="world" if positions is None else "image_plane", scale_m_per_px=scale)
    object.__setattr__(motion, _ATTR, out)
    return out
