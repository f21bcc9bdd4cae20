"""Train the depth lifter (learning/lifting.py) on the shared motion capture: `python -m
services.scoring.learning.lifter_training --out models/scoring/depth_lifter.onnx` (make scoring-models).

Data: every frame (at 60 Hz) of the CMU 135 karate clips, the CMU 13 exercise runs and the DeepMimic
clips, the 13 lifting JOINTS hip-centred. Each training example is one frame seen by a random camera:
mirrored with p = 0.5, yaw anywhere round the performer, pitch and roll as video_like's VIDEO model
(+-30 / +-10 deg), a pinhole at 2-8 m (perspective, not orthographic: a near camera's foreshortening),
BlazePose-like 2-D error of 2-10 % of s (the RMS joint distance from the hip centre; BlazePose's image
error is 0.03-0.07 m at 4 m, ~0.45 m of s), and with p = 0.3 a limb's end joints lost (a hidden arm or
leg). Target: each joint's depth relative to the hip centre / s. Validation: whole clips held out (every
VAL_EVERY-th clip), never frames of a training clip.

Model: Martinez et al. 2017's residual MLP, narrower (WIDTH) for a CPU build in about a minute; L1 loss.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from services.kit.paths import MOCAP, MODELS

from .lifting import HIPS, JOINTS, MIRROR, N_INPUTS, normalise
from .video_like import VIDEO, camera_rotation

RATE_HZ = 60.0
VAL_EVERY = 5
SAMPLES, EPOCHS, BATCH, LR, WIDTH = 160_000, 5, 1024, 1e-3, 512
DISTANCE_M = (2.0, 8.0)
NOISE = (0.02, 0.10)     # 2-D error, fraction of s
DROP_LIMB = 0.3
LIMB_ENDS = ((3, 5), (4, 6), (9, 11), (10, 12))   # (elbow, wrist) and (knee, ankle) positions in JOINTS
VERSION = "1.0.0"


def clips(root: Path = MOCAP) -> list[tuple[str, np.ndarray]]:
    """(name, [F,13,3] m hip-centred at RATE_HZ) of every shared motion-capture clip, sorted by name."""
    from services.scoring.mocap import cmu, cmu_exercise, deepmimic
    found = [(f"cmu135/{c.name}", c.motion.t, c.motion.world) for c in cmu.load_clips(root / "cmu-135-karate")]
    found += [(r.source, r.t, r.world) for r in cmu_exercise.load_runs(root / "cmu-13-exercise")]
    found += [(f"deepmimic/{c.name}", c.t, c.world) for c in deepmimic.load_clips(root / "deepmimic")]
    out = []
    for name, t, world in sorted(found, key=lambda c: c[0]):
        rate = (len(t) - 1) / max(float(t[-1] - t[0]), 1e-9)
        joints = np.asarray(world, float)[:: max(1, int(round(rate / RATE_HZ))), list(JOINTS)]
        joints = joints[np.isfinite(joints).all(axis=(1, 2))]
        if len(joints):
            out.append((name, joints - 0.5 * (joints[:, HIPS[0]] + joints[:, HIPS[1]])[:, None]))
    return out


def views(frames: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(inputs [n, N_INPUTS], target depth / s [n, 13]) of n random camera views of random frames [F,13,3]."""
    pos = frames[rng.integers(0, len(frames), n)].copy()
    flip = rng.random(n) < 0.5
    pos[flip] = pos[flip][:, list(MIRROR)] * np.array([-1.0, 1.0, 1.0])
    rotations = np.stack([camera_rotation(rng.uniform(-np.pi, np.pi),
                                          np.deg2rad(rng.uniform(-VIDEO.pitch_deg, VIDEO.pitch_deg)),
                                          np.deg2rad(rng.uniform(-VIDEO.roll_deg, VIDEO.roll_deg))) for _ in range(n)])
    cam = np.einsum("nij,nkj->nki", rotations, pos)
    distance = rng.uniform(*DISTANCE_M, (n, 1))
    xy = cam[..., :2] * (distance / (distance + cam[..., 2]))[..., None]   # pinhole, unit focal length x distance
    seen = np.ones((n, len(JOINTS)), dtype=bool)
    lost = np.flatnonzero(rng.random(n) < DROP_LIMB)
    ends = np.array(LIMB_ENDS)[rng.integers(0, len(LIMB_ENDS), lost.size)]
    seen[lost, ends[:, 1]] = False
    both = rng.random(lost.size) < 0.5
    seen[lost[both], ends[both, 0]] = False
    _, s_clean, _ = normalise(xy, seen)
    xy = xy + rng.normal(size=xy.shape) * (rng.uniform(*NOISE, (n, 1, 1)) * s_clean[:, None, None])
    inputs, s, ok = normalise(xy, seen)
    hip_depth = 0.5 * (cam[:, HIPS[0], 2] + cam[:, HIPS[1], 2])
    target = (cam[..., 2] - hip_depth[:, None]) * (distance / (distance + hip_depth[:, None])) / s[:, None]
    return inputs[ok], target[ok].astype(np.float32)


def build_model(width: int = WIDTH):
    import torch

    class Block(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.f = torch.nn.Sequential(*[m for _ in range(2) for m in (
                torch.nn.Linear(width, width), torch.nn.BatchNorm1d(width), torch.nn.ReLU(), torch.nn.Dropout(0.2))])

        def forward(self, x):
            return x + self.f(x)

    return torch.nn.Sequential(torch.nn.Linear(N_INPUTS, width), torch.nn.ReLU(), Block(), Block(),
                               torch.nn.Linear(width, len(JOINTS)))


def train(seed: int = 0, samples: int = SAMPLES, epochs: int = EPOCHS) -> tuple[bytes, dict]:
    """(ONNX bytes, manifest) of a lifter trained as the module docstring says."""
    import torch
    started = time.monotonic()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    data = clips()
    val_clips = [c for i, c in enumerate(data) if i % VAL_EVERY == VAL_EVERY - 1]
    train_frames = np.concatenate([f for i, (_, f) in enumerate(data) if i % VAL_EVERY != VAL_EVERY - 1])
    x_train, y_train = (torch.from_numpy(a) for a in views(train_frames, samples, rng))
    x_val, y_val = (torch.from_numpy(a) for a in views(np.concatenate([f for _, f in val_clips]), 20_000, rng))
    model = build_model()
    optimiser = torch.optim.Adam(model.parameters(), LR)
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimiser, 0.7)
    history = []
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x_train))
        for k in range(0, len(order), BATCH):
            batch = order[k:k + BATCH]
            loss = (model(x_train[batch]) - y_train[batch]).abs().mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        schedule.step()
        model.eval()
        with torch.no_grad():
            history.append(round(float((model(x_val) - y_val).abs().mean()), 4))
    manifest = {"name": "depth_lifter", "version": VERSION, "type": "depth_lifter", "joints": list(JOINTS),
                "input": "per joint x/s, y/s relative to the hip centre (image px), then the seen mask (learning/lifting.py)",
                "output": "per joint depth / s, relative to the hip centre",
                "validation_mae_s": history[-1], "validation_mae_by_epoch": history,
                "validation": f"{len(val_clips)} held-out clips ({', '.join(n for n, _ in val_clips)}), 20000 random views",
                "training": {"samples": samples, "epochs": epochs, "seed": seed, "clips": len(data) - len(val_clips),
                             "seconds": round(time.monotonic() - started, 1)}}
    return export(model, manifest), manifest


def export(model, manifest: dict) -> bytes:
    import torch

    from .export import with_manifest
    model.eval()
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.zeros(2, N_INPUTS),), buffer, input_names=["joints2d"], output_names=["depth"],
                          dynamic_axes={"joints2d": {0: "n"}, "depth": {0: "n"}}, opset_version=17, dynamo=False)
    return with_manifest(buffer.getvalue(), manifest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODELS / "scoring" / "depth_lifter.onnx")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(2)
    data, manifest = train(args.seed)
    from .build_default import write_atomic
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out, data)
    print(f"depth lifter: validation MAE {manifest['validation_mae_s']:.3f} s (by epoch "
          f"{manifest['validation_mae_by_epoch']}), {manifest['training']['seconds']} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
