"""The input of the biomechanics core: a BlazePose world-landmark sequence with timestamps.

Axis convention (MediaPipe Pose documentation, "pose_world_landmarks": real-world 3D coordinates in
metres with the origin at the centre between the hips; the axes follow the image's): x points to the
image's right, y points DOWN (the nose has negative y in a standing person), z is depth with smaller
values closer to the camera, i.e. +z points away from the camera. The vertical axis is therefore y
(assuming a roughly level camera) and the horizontal (ground) plane is x-z. Because the origin
rides with the hips, every position here is relative to the hip centre: whole-body translation
(a step, a lunge) is not visible in these coordinates. Motion capture (services/scoring/mocap) uses
the same axes but keeps the laboratory origin, so its speeds are those of the lab frame, as the
CMU reference figures are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from services.kit.errors import ValidationFailed

from .landmarks import N_LANDMARKS


@dataclass(frozen=True)
class Motion:
    """t: [T] seconds, strictly increasing; world: [T,33,3] metres (NaN where unknown);
    visibility: [T,33] in 0..1; detected: [T] bool (False: no person in that frame);
    smoothing: what the pose service already applied, as text (e.g. "butterworth 10 Hz");
    filtered: its name in services.kit.landmark_filters.FILTERS ("none": not filtered yet) and cutoff_hz
    its cut-off (typed, from the sequence's SignalProcessing);
    image: [T,33,2] image pixels (x right, y down) of the same landmarks, None for motion capture;
    depth: [T,33] px, the depth (away from the camera) of the image landmarks relative to the hip centre,
    lifted from the image by the depth lifter (learning/lifting.py), NaN where it gave none; None: no
    lifter ran (planar.py then takes BlazePose's world depth); depth_source names what made it;
    tracker_spread: [T,33] px, how far the pose service's BlazePose trackers disagreed about each image
    landmark (services.kit.tracker_spread; NaN unknown), None when not measured (one tracker, not a video);
    rival_prominence: the most prominent other person in the performer's frames as a share of the
    performer's prominence (services/pose/tracking.py; 0: nobody else, or not a video).
    Measurement (filtering, kinematics) is services.scoring.biomechanics.measurement.measure(motion)."""

    t: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    detected: np.ndarray
    smoothing: str = "none"
    filtered: str = "none"
    cutoff_hz: float = 0.0
    image: np.ndarray | None = None
    depth: np.ndarray | None = None
    depth_source: str = ""
    tracker_spread: np.ndarray | None = None
    rival_prominence: float = 0.0

    def __post_init__(self) -> None:
        t = np.asarray(self.t, dtype=float).reshape(-1)
        world = np.asarray(self.world, dtype=float)
        vis = np.asarray(self.visibility, dtype=float)
        det = np.asarray(self.detected, dtype=bool).reshape(-1)
        n = t.shape[0]
        if world.shape != (n, N_LANDMARKS, 3) or vis.shape != (n, N_LANDMARKS) or det.shape != (n,):
            raise ValidationFailed(
                f"The pose sequence is malformed: expected {n} frames of {N_LANDMARKS} landmarks, got world "
                f"{world.shape}, visibility {vis.shape}, detected {det.shape}",
                details={"frames": "every frame needs 33 landmarks (or none when no person was detected)"})
        if self.image is not None:
            image = np.asarray(self.image, dtype=float)
            if image.shape != (n, N_LANDMARKS, 2):
                raise ValidationFailed(f"Image landmarks of shape {image.shape}; expected {(n, N_LANDMARKS, 2)}",
                                       details={"frames": "image landmarks malformed"})
            object.__setattr__(self, "image", image)
        # Per image landmark, [T,33]: the lifted depth and the trackers' spread need the image they describe.
        for name, what in (("depth", "Lifted depth"), ("tracker_spread", "Tracker spread")):
            if getattr(self, name) is None:
                continue
            values = np.asarray(getattr(self, name), dtype=float)
            if self.image is None or values.shape != (n, N_LANDMARKS):
                raise ValidationFailed(f"{what} of shape {values.shape} needs image landmarks and "
                                       f"{(n, N_LANDMARKS)}", details={"frames": f"{what.lower()} malformed"})
            object.__setattr__(self, name, values)
        if n > 1 and not np.all(np.diff(t) > 0):
            raise ValidationFailed("Frame timestamps must be strictly increasing",
                                   details={"timestamps": "not strictly increasing"})
        if not np.all(np.isfinite(t)):
            raise ValidationFailed("Frame timestamps must be finite numbers", details={"timestamps": "not finite"})
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "world", world)
        object.__setattr__(self, "visibility", np.clip(np.nan_to_num(vis, nan=0.0), 0.0, 1.0))
        object.__setattr__(self, "detected", det)

    @property
    def n_frames(self) -> int:
        return int(self.t.shape[0])

    @classmethod
    def from_frames(cls, t: Sequence[float], frames: Sequence[Sequence[Sequence[float]]],
                    detected: Sequence[bool] | None = None) -> "Motion":
        """Build from plain lists: t in seconds and, per frame, 33 (wx, wy, wz, visibility) tuples.

        A frame given as an empty list means no person was detected in it; `detected` (optional)
        can also mark frames as undetected explicitly.
        """
        n = len(frames)
        if len(t) != n:
            raise ValidationFailed(f"Got {len(t)} timestamps for {n} frames", details={"timestamps": "count mismatch"})
        world = np.full((n, N_LANDMARKS, 3), np.nan)
        vis = np.zeros((n, N_LANDMARKS))
        det = np.ones(n, dtype=bool) if detected is None else np.asarray(detected, dtype=bool).copy()
        for i, frame in enumerate(frames):
            if len(frame) == 0:
                det[i] = False
                continue
            arr = np.asarray(frame, dtype=float)
            if arr.shape != (N_LANDMARKS, 4):
                raise ValidationFailed(
                    f"Frame {i} has landmarks of shape {arr.shape}; expected 33 (wx, wy, wz, visibility)",
                    details={"frames": f"frame {i} malformed"})
            world[i], vis[i] = arr[:, :3], arr[:, 3]
        return cls(t=np.asarray(t, dtype=float), world=world, visibility=vis, detected=det)
