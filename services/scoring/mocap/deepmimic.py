"""DeepMimic humanoid3d clips (../shared/data/mocap/deepmimic) -> the 33 BlazePose landmarks.

File layout (the folder's README.md, from the DeepMimic code): `humanoid3d.txt` holds the 15-joint
character (`Skeleton.Joints`: parent, AttachX/Y/Z = offset from the parent joint in metres, in the
parent's frame at rest; y up, the body faces +x, its right is +z); `humanoid3d_<name>.txt` holds
`{"Loop", "Frames"}`, each frame 44 numbers: duration of the frame (s), root position (3, world m),
root rotation, then per joint in ID order a quaternion (w, x, y, z; spherical joints) or one angle in
radians about the local z axis (revolute knees and elbows); fixed joints (wrists) have none.
Quaternions are not always unit length in these files: each is normalised.

Forward kinematics (cKinTree::ChildParentTrans*): R_j = R_parent . R(q_j), p_j = p_parent + R_parent . attach_j;
the root is Translate(pos) . R(q_root). Frame times are the cumulative durations (the last frame's
duration is unused).

Landmarks (MediaPipe "left"/"right" = the character's left/right; the character's rest pose stands
with the arms hanging, thumbs forward):
  11/12 shoulder, 13/14 elbow, 15/16 wrist, 23/24 hip, 25/26 knee, 27/28 ankle = the joints of those names
  17/19 pinky/index knuckle = wrist + R_elbow (-/+ HAND_HALF_WIDTH_M forward, -HAND_LENGTH_M down)
  21/22 thumb = wrist + R_elbow (THUMB_FORWARD_M forward, -THUMB_DOWN_M down)
  29/30 heel, 31/32 foot index = the back and front ends of the foot box at its sole (box attach
        (0.045, -0.0225, 0) m, size 0.177 x 0.055 m in the character file): heel and toe level, as
        landmarks33 makes them for CMU so that balance sees a flat foot in contact
  0 nose = head centre + R_neck (NOSE_FORWARD_M forward); 7/8 ears = head centre -/+ R_neck
        (HEAD_HALF_WIDTH_M right); head centre = neck + R_neck (0, 0.175, 0) (the head sphere's attach)
  1-6 eyes, 9/10 mouth: no counterpart -> NaN, visibility 0 (as for CMU).
Axes: DeepMimic (x forward, y up, z right) -> MediaPipe world (x, -y, -z): a 180 degree rotation about
x, the same turn as forward_kinematics.to_mediapipe_axes, so handedness is kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from services.kit.errors import ValidationFailed
from services.scoring.biomechanics import landmarks as L

from .forward_kinematics import to_mediapipe_axes
from .landmarks33 import HEAD_HALF_WIDTH_M, NOSE_FORWARD_M, NOT_CAPTURED

CHARACTER = "humanoid3d.txt"
FRAME_VALUES = 44
HAND_LENGTH_M = 0.08         # wrist to knuckles (adult metacarpals), beyond DeepMimic's wrist point
HAND_HALF_WIDTH_M = 0.04     # as landmarks33
THUMB_FORWARD_M, THUMB_DOWN_M = 0.03, 0.04
HEAD_ATTACH_M = 0.175        # the head sphere above the neck joint (character BodyDefs)
FOOT_BOX = {"x": 0.045, "y": -0.0225, "length": 0.177, "height": 0.055}
# Clip name -> technique label as the API spells it; any other clip is not a technique (a negative for
# open-set recognition). Decided from the motion, by the hip turn (range of the hip line's yaw) and the
# highest ankle above the mid-hip, against the CMU 135 repetitions (tests/scoring/mocap/
# test_mocap_deepmimic.py computes both): "kick" turns the hips 163 degrees with the right (back) foot
# rising to 0.34 m above the hips, as CMU's roundhouse kicks (128-148 degrees, 0.40-0.42 m), not its front
# kicks (49-58 degrees) or side kicks (29-42 degrees); "punch" steps the right foot forward and punches with
# the right hand at shoulder height, oi-zuki: lunge_punch (the one punch of the classes). "spinkick"
# turns the body all round (362 degrees): a spinning kick, no class of the CMU catalogue; it is kept out
# of training and evaluation (neither a known technique nor a non-technique).
TECHNIQUES = {"kick": "roundhouse", "punch": "lunge_punch"}
UNCLASSED_TECHNIQUES = ("spinkick",)


@dataclass(frozen=True)
class Joint:
    name: str
    kind: str             # "none" (root), "spherical", "revolute", "fixed"
    parent: int
    attach: np.ndarray    # [3] m in the parent's frame


@dataclass(frozen=True)
class DeepMimicClip:
    name: str             # e.g. "kick"
    t: np.ndarray         # [F] s from 0
    world: np.ndarray     # [F,33,3] m, MediaPipe axes, lab frame
    visibility: np.ndarray
    loop: bool


def read_character(path: Path) -> list[Joint]:
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    joints = sorted(doc["Skeleton"]["Joints"], key=lambda j: int(j["ID"]))
    return [Joint(j["Name"], j["Type"], int(j["Parent"]),
                  np.array([j["AttachX"], j["AttachY"], j["AttachZ"]], dtype=float)) for j in joints]


def quaternion_matrix(q: np.ndarray) -> np.ndarray:
    """[F,3,3] rotation of quaternions [F,4] (w, x, y, z), normalised first (the files' are not all unit)."""
    q = np.asarray(q, dtype=float)
    norm = np.linalg.norm(q, axis=1, keepdims=True)
    if np.any(norm < 1e-9):
        raise ValidationFailed("A DeepMimic clip has a zero quaternion")
    w, x, y, z = (q / norm).T
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], axis=-1),
        np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], axis=-1),
        np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=-1)], axis=-2)


def z_rotation(theta: np.ndarray) -> np.ndarray:
    c, s, o, i = np.cos(theta), np.sin(theta), np.zeros_like(theta), np.ones_like(theta)
    return np.stack([np.stack([c, -s, o], -1), np.stack([s, c, o], -1), np.stack([o, o, i], -1)], axis=-2)


def forward_kinematics(joints: list[Joint], frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(positions [F,J,3] m, global rotations [F,J,3,3]) in DeepMimic's world axes."""
    n = frames.shape[0]
    pos = np.zeros((n, len(joints), 3))
    rot = np.zeros((n, len(joints), 3, 3))
    col = 1
    for j, joint in enumerate(joints):
        if joint.parent < 0:
            pos[:, j], rot[:, j] = frames[:, col:col + 3], quaternion_matrix(frames[:, col + 3:col + 7])
            col += 7
            continue
        if joint.kind == "spherical":
            local = quaternion_matrix(frames[:, col:col + 4])
            col += 4
        elif joint.kind == "revolute":
            local = z_rotation(frames[:, col])
            col += 1
        else:
            local = np.broadcast_to(np.eye(3), (n, 3, 3))
        parent_rot = rot[:, joint.parent]
        pos[:, j] = pos[:, joint.parent] + parent_rot @ joint.attach
        rot[:, j] = parent_rot @ local
    if col != frames.shape[1]:
        raise ValidationFailed(f"DeepMimic frames have {frames.shape[1]} values, the character needs {col}")
    return pos, rot


def to_landmarks(joints: list[Joint], pos: np.ndarray, rot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(world [F,33,3] m in MediaPipe axes, visibility [F,33]) from the joints' positions and frames."""
    index = {j.name: i for i, j in enumerate(joints)}
    frames = pos.shape[0]
    out = np.full((frames, L.N_LANDMARKS, 3), np.nan)

    def at(joint: str, offset) -> np.ndarray:
        return pos[:, index[joint]] + rot[:, index[joint]] @ np.asarray(offset, dtype=float)

    sole = FOOT_BOX["y"] - FOOT_BOX["height"] / 2
    for side in ("left", "right"):
        up = side.upper()
        for name, joint in (("SHOULDER", "shoulder"), ("ELBOW", "elbow"), ("WRIST", "wrist"), ("HIP", "hip"),
                            ("KNEE", "knee"), ("ANKLE", "ankle")):
            out[:, getattr(L, f"{up}_{name}")] = pos[:, index[f"{side}_{joint}"]]
        hand = f"{side}_wrist"   # fixed to the elbow: its frame is the forearm's
        out[:, getattr(L, f"{up}_INDEX")] = at(hand, (HAND_HALF_WIDTH_M, -HAND_LENGTH_M, 0.0))
        out[:, getattr(L, f"{up}_PINKY")] = at(hand, (-HAND_HALF_WIDTH_M, -HAND_LENGTH_M, 0.0))
        out[:, getattr(L, f"{up}_THUMB")] = at(hand, (THUMB_FORWARD_M, -THUMB_DOWN_M, 0.0))
        foot = f"{side}_ankle"
        out[:, getattr(L, f"{up}_HEEL")] = at(foot, (FOOT_BOX["x"] - FOOT_BOX["length"] / 2, sole, 0.0))
        out[:, getattr(L, f"{up}_TOE")] = at(foot, (FOOT_BOX["x"] + FOOT_BOX["length"] / 2, sole, 0.0))
    out[:, L.NOSE] = at("neck", (NOSE_FORWARD_M, HEAD_ATTACH_M, 0.0))
    out[:, L.LEFT_EAR] = at("neck", (0.0, HEAD_ATTACH_M, -HEAD_HALF_WIDTH_M))
    out[:, L.RIGHT_EAR] = at("neck", (0.0, HEAD_ATTACH_M, HEAD_HALF_WIDTH_M))
    visibility = np.ones((frames, L.N_LANDMARKS))
    visibility[:, list(NOT_CAPTURED)] = 0.0
    return to_mediapipe_axes(out), visibility


def load_clip(path: Path, joints: list[Joint]) -> DeepMimicClip:
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    frames = np.asarray(doc.get("Frames") or [], dtype=float)
    if frames.ndim != 2 or frames.shape[1] != FRAME_VALUES or frames.shape[0] < 2:
        raise ValidationFailed(f"{path.name}: expected frames of {FRAME_VALUES} values, got {frames.shape}")
    t = np.concatenate([[0.0], np.cumsum(frames[:-1, 0])])
    pos, rot = forward_kinematics(joints, frames)
    world, vis = to_landmarks(joints, pos, rot)
    name = path.stem.removeprefix("humanoid3d_")
    return DeepMimicClip(name=name, t=t, world=world, visibility=vis, loop=doc.get("Loop") == "wrap")


@lru_cache(maxsize=4)
def load_clips(root: Path) -> tuple[DeepMimicClip, ...]:
    """Every humanoid3d_<name>.txt clip under root, sorted by name."""
    root = Path(root)
    if not (root / CHARACTER).is_file():
        raise ValidationFailed(f"No DeepMimic character ({CHARACTER}) in {root.name}")
    joints = read_character(root / CHARACTER)
    return tuple(load_clip(p, joints) for p in sorted(root.glob("humanoid3d_*.txt")))


def label_of(clip_name: str) -> str | None:
    """The technique of a clip, "" for a negative (no technique), None for a technique outside the classes."""
    if clip_name in UNCLASSED_TECHNIQUES:
        return None
    return TECHNIQUES.get(clip_name, "")
