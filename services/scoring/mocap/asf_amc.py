"""Parsers for the Acclaim skeleton (ASF) and motion (AMC) formats used by the CMU mocap database.

Format: Acclaim Skeleton File / Acclaim Motion Capture, as documented by the CMU Graphics Lab
(mocap.cs.cmu.edu, "ASF/AMC format") and read by e.g. CalciferZh/AMCParser. An ASF gives each bone
a direction (unit vector in the global frame of the rest pose), a length, a local `axis` frame
(Euler angles, degrees) and its degrees of freedom; the `:hierarchy` section lists children.
An AMC gives, per frame, each bone's dof values (degrees) in the order of its `dof` line; the
root carries TX TY TZ RX RY RZ. Lengths and root translations are in the ASF's length unit:
`:units length 0.45` means value / 0.45 inches (the CMU convention), so metres = value / 0.45 * 0.0254.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from services.kit.errors import ValidationFailed

INCH_M = 0.0254
MAX_FILE_BYTES = 64 * 1024 * 1024   # the CMU files are < 2 MB; anything far larger is not a mocap clip


@dataclass(frozen=True)
class Bone:
    name: str
    direction: np.ndarray      # [3] unit vector, global rest frame
    length: float              # ASF length units
    axis: np.ndarray           # [3] degrees, Euler angles of the bone's local frame
    axis_order: str            # e.g. "XYZ"
    dof: tuple[str, ...]       # e.g. ("rx", "ry", "rz")


@dataclass
class Skeleton:
    name: str
    length_to_m: float                     # multiply ASF lengths by this to get metres
    root_order: tuple[str, ...]            # e.g. ("TX", "TY", "TZ", "RX", "RY", "RZ")
    root_axis_order: str
    bones: dict[str, Bone] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)

    def order(self) -> list[str]:
        """Bones in parent-before-child order, starting from the root's children."""
        out, stack = [], list(reversed(self.children.get("root", [])))
        while stack:
            name = stack.pop()
            out.append(name)
            stack.extend(reversed(self.children.get(name, [])))
        return out

    def parent_of(self) -> dict[str, str]:
        return {c: p for p, cs in self.children.items() for c in cs}


def _read(path: Path) -> list[str]:
    if not path.is_file():
        raise ValidationFailed(f"Motion-capture file not found: {path.name}", details={"path": str(path.name)})
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValidationFailed(f"{path.name} is larger than {MAX_FILE_BYTES // 2**20} MiB; not a mocap clip")
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


def _floats(tokens: list[str], n: int, where: str) -> np.ndarray:
    try:
        values = np.array([float(x) for x in tokens[:n]])
    except ValueError:
        raise ValidationFailed(f"Malformed numbers in {where}") from None
    if values.size != n or not np.all(np.isfinite(values)):
        raise ValidationFailed(f"Expected {n} finite numbers in {where}")
    return values


def _word(tokens: list[str], where: str) -> str:
    """The value of a `key value` line: a bare key is a malformed file, said as such."""
    if len(tokens) < 2:
        raise ValidationFailed(f"Expected a value after '{tokens[0]}' in {where}")
    return tokens[1]


def parse_asf(path: Path) -> Skeleton:
    """Read an ASF skeleton: units, root, bones and hierarchy."""
    lines = [ln.split("#", 1)[0].strip() for ln in _read(path)]
    skel = Skeleton(name=path.stem, length_to_m=INCH_M, root_order=(), root_axis_order="XYZ")
    section, bone, in_hierarchy = "", None, False
    for line in lines:
        if not line:
            continue
        tok = line.split()
        if tok[0].startswith(":"):
            section, in_hierarchy = tok[0], tok[0] == ":hierarchy"
            if section == ":name" and len(tok) > 1:
                skel.name = tok[1]
            continue
        if section == ":units" and tok[0] == "length":
            unit = float(_floats(tok[1:], 1, f"{path.name} :units length")[0])
            if unit <= 0:  # lengths are divided by it
                raise ValidationFailed(f"{path.name}: the length unit must be a positive number, got {tok[1]}")
            skel.length_to_m = INCH_M / unit
        elif section == ":root":
            if tok[0] == "order":
                skel.root_order = tuple(t.upper() for t in tok[1:])
            elif tok[0] == "axis":
                skel.root_axis_order = _word(tok, f"{path.name} :root axis").upper()
        elif section == ":bonedata":
            if tok[0] == "begin":
                bone = {"dof": ()}
            elif tok[0] == "end" and bone is not None:
                try:
                    b = Bone(name=bone["name"], direction=bone["direction"], length=bone["length"],
                             axis=bone["axis"], axis_order=bone["axis_order"], dof=bone["dof"])
                except KeyError as missing:
                    raise ValidationFailed(f"{path.name}: a bone has no {missing} entry") from None
                norm = float(np.linalg.norm(b.direction))
                object.__setattr__(b, "direction", b.direction / norm if norm > 0 else b.direction)
                skel.bones[b.name] = b
                bone = None
            elif bone is not None:
                key = tok[0]
                if key == "name":
                    bone["name"] = _word(tok, f"{path.name} bone name")
                elif key == "direction":
                    bone["direction"] = _floats(tok[1:], 3, f"{path.name} direction")
                elif key == "length":
                    bone["length"] = float(_floats(tok[1:], 1, f"{path.name} length")[0])
                elif key == "axis":
                    bone["axis"] = _floats(tok[1:], 3, f"{path.name} axis")
                    bone["axis_order"] = tok[4].upper() if len(tok) > 4 else "XYZ"
                elif key == "dof":
                    bone["dof"] = tuple(t.lower() for t in tok[1:])
        elif in_hierarchy and tok[0] not in ("begin", "end"):
            skel.children.setdefault(tok[0], []).extend(tok[1:])
    if not skel.bones or "root" not in skel.children:
        raise ValidationFailed(f"{path.name} is not an ASF skeleton (no bones or no hierarchy)")
    unknown = {c for cs in skel.children.values() for c in cs} - set(skel.bones)
    if unknown:
        raise ValidationFailed(f"{path.name}: the hierarchy names bones that are not defined: {sorted(unknown)}")
    return skel


def parse_amc(path: Path, skeleton: Skeleton) -> dict[str, np.ndarray]:
    """Read an AMC motion: {bone or "root": [frames, dof] degrees / length units}, frames in file order."""
    dofs = {"root": len(skeleton.root_order), **{n: len(b.dof) for n, b in skeleton.bones.items()}}
    frames: list[dict[str, np.ndarray]] = []
    current: dict[str, np.ndarray] | None = None
    for raw in _read(path):
        line = raw.strip()
        if not line or line.startswith(("#", ":")):
            continue
        tok = line.split()
        if len(tok) == 1 and tok[0].isdigit():
            current = {}
            frames.append(current)
            continue
        if current is None:
            raise ValidationFailed(f"{path.name}: data before the first frame number")
        name = tok[0]
        if name not in dofs:
            raise ValidationFailed(f"{path.name}: bone '{name}' is not in the skeleton {skeleton.name}")
        current[name] = _floats(tok[1:], dofs[name], f"{path.name} frame {len(frames)} {name}")
    if not frames:
        raise ValidationFailed(f"{path.name} has no frames")
    out = {}
    for name, n in dofs.items():
        if n == 0:
            continue
        if any(name not in f for f in frames):
            raise ValidationFailed(f"{path.name}: bone '{name}' is missing from some frames")
        out[name] = np.stack([f[name] for f in frames])
    return out
