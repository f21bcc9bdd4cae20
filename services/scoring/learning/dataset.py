"""Training data: the Sample record, loading a folder of motion capture and/or pose JSON, the held-out split."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from services.kit.errors import DomainError, ValidationFailed
from services.scoring.biomechanics.landmarks import LEFT_HIP, N_LANDMARKS, RIGHT_HIP

MIN_FRAMES = 5  # frames with both hips known; the biomechanics core needs as many (report.MIN_DETECTED_FRAMES)
REPETITION_MARGIN_S = 0.1  # kept around a repetition, as services.scoring.assessment and mocap.cmu cut them
DATA_SUFFIXES = (".json", ".asf", ".amc")
MAX_FILES = 5000          # data files in one training folder (the CMU karate capture is 7)
MAX_BYTES = 2 * 2**30     # their total size: a training worker holds all of its samples in memory


@dataclass
class Sample:
    """One repetition of a technique."""

    technique: str          # label, e.g. "front_kick"
    t: np.ndarray           # [T] seconds, strictly increasing
    world: np.ndarray       # [T,33,3] metres, MediaPipe axes, NaN where unknown
    visibility: np.ndarray  # [T,33] 0..1
    source: str = ""        # e.g. "cmu/135_04#2": augmented copies of one repetition share it


def problem(sample: Sample) -> str | None:
    """Why a sample cannot be trained on, or None when it can."""
    t = np.asarray(sample.t, dtype=float)
    world, vis = np.asarray(sample.world, dtype=float), np.asarray(sample.visibility, dtype=float)
    if not str(sample.technique or "").strip():
        return "no technique label"
    if t.ndim != 1 or world.shape != (t.size, N_LANDMARKS, 3) or vis.shape != (t.size, N_LANDMARKS):
        return f"expected [T], [T,33,3], [T,33] arrays, got {t.shape}, {world.shape}, {vis.shape}"
    if not np.all(np.isfinite(t)) or not np.all(np.diff(t) > 0):
        return "timestamps are not finite and strictly increasing"
    seen = np.isfinite(world[:, [LEFT_HIP, RIGHT_HIP]]).all(axis=(1, 2))
    if int(seen.sum()) < MIN_FRAMES:
        return f"only {int(seen.sum())} frames with a detected person, {MIN_FRAMES} needed"
    return None


def _from_json(path: Path, root: Path) -> Sample:
    """A pose-sequence file: {"technique", "fps", "frames": [{"timestamp_ms", "landmarks": [[wx,wy,wz,vis] x33]}]}.

    A frame with an empty landmark list had no person in it. Without a "technique" field the label is
    the name of the file's folder (data_dir/<technique>/*.json), when that is not data_dir itself.
    """
    doc = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(doc, dict) or not isinstance(doc.get("frames"), list):
        raise ValueError('expected an object with a "frames" list')
    technique = doc.get("technique") or (path.parent.name if path.parent != root else "")
    fps = float(doc.get("fps") or 0.0)
    frames = doc["frames"]
    t = np.empty(len(frames))
    world = np.full((len(frames), N_LANDMARKS, 3), np.nan)
    vis = np.zeros((len(frames), N_LANDMARKS))
    for i, frame in enumerate(frames):
        ts = frame.get("timestamp_ms") if isinstance(frame, dict) else None
        if ts is None and fps > 0:
            ts = 1000.0 * i / fps   # timestamps may be left out when the frame rate is given
        if ts is None:
            raise ValueError(f'frame {i} has no "timestamp_ms" and the file gives no "fps"')
        t[i] = float(ts) / 1000.0
        marks = frame.get("landmarks") or []
        if marks:
            arr = np.asarray(marks, dtype=float)
            if arr.shape != (N_LANDMARKS, 4):
                raise ValueError(f"frame {i} has landmarks of shape {arr.shape}, expected 33 x (wx, wy, wz, visibility)")
            world[i], vis[i] = arr[:, :3], arr[:, 3]
    return Sample(technique=str(technique).strip(), t=t, world=world, visibility=np.nan_to_num(vis).clip(0, 1),
                  source=str(path.relative_to(root)))


def _from_mocap(folder: Path, root: Path) -> list[Sample]:
    """Repetitions cut out of a CMU ASF/AMC folder by the mocap reader (labels from its catalogue)."""
    from services.scoring.mocap.cmu import cmu_samples
    prefix = "" if folder == root else f"{folder.relative_to(root)}/"
    return [Sample(technique=s.technique, t=np.asarray(s.t, float), world=np.asarray(s.world, float),
                   visibility=np.asarray(s.visibility, float), source=prefix + str(s.source))
            for s in cmu_samples(folder)]


def cut_repetitions(sample: Sample) -> list[Sample]:
    """The repetitions in a recorded sequence, each with REPETITION_MARGIN_S around it, as the analysis cuts
    them before it runs the models (services.scoring.assessment); the whole sequence when none is found."""
    from services.scoring.biomechanics import Motion
    from services.scoring.biomechanics.sampling import smooth
    from services.scoring.biomechanics.kinematics import kinematics
    from services.scoring.biomechanics.norms import technique_ref
    from services.scoring.biomechanics.repetitions import detect_family, find_repetitions

    t, world = np.asarray(sample.t, float), np.asarray(sample.world, float)
    detected = np.isfinite(world).all(axis=2).any(axis=1)
    try:
        kin = kinematics(smooth(Motion(t=t, world=world, visibility=sample.visibility, detected=detected)))
        ref = technique_ref(sample.technique)
        reps = find_repetitions(kin, ref.family if ref else detect_family(kin))
    except (DomainError, ValueError, IndexError):   # too short or too gappy to segment: keep it whole
        return [sample]
    out = []
    for rep in reps:
        keep = (t >= rep.start_s - REPETITION_MARGIN_S) & (t <= rep.end_s + REPETITION_MARGIN_S)
        if np.count_nonzero(keep & detected) >= MIN_FRAMES:
            out.append(Sample(technique=sample.technique, t=t[keep] - t[keep][0], world=world[keep],
                              visibility=np.asarray(sample.visibility)[keep], source=f"{sample.source}#{rep.index}"))
    return out or [sample]


def _reason(exc: Exception) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, (OSError, ValueError)):   # what the readers raise on purpose, worded for the user
        return str(exc)
    return f"{type(exc).__name__}: {exc}"       # anything else in a file must not take the whole load down


def _inventory(root: Path, where) -> tuple[list[Path], list[Path]]:
    """(motion capture folders, pose JSON files) under `root`, refused past MAX_FILES / MAX_BYTES before any
    is read: a worker loading a whole disk would hold its job (and memory) for hours."""
    folders: set[Path] = set()
    files: list[Path] = []
    count = size = 0
    for path in root.rglob("*"):   # symlinked folders are not followed (no loops, no escape by folder)
        if path.suffix not in DATA_SUFFIXES:
            continue
        try:
            if not path.is_file():
                continue
            size += path.stat().st_size
        except OSError:
            continue  # gone meanwhile, or a dangling link: nothing to read
        count += 1
        if count > MAX_FILES or size > MAX_BYTES:
            raise ValidationFailed(
                f"{where(None)} holds more than {MAX_FILES} data files or {MAX_BYTES // 2**30} GiB of them "
                f"(*.json, *.asf, *.amc): train on a smaller folder", details={"data_dir": "too much data"})
        if path.suffix == ".json":
            files.append(path)
        elif path.suffix == ".asf":
            folders.add(path.parent)
    return sorted(folders), sorted(files)


def load_dataset(path: Path, *, min_techniques: int = 1, label: str = "") -> list[Sample]:
    """Every usable repetition under `path`: CMU ASF/AMC folders and *.json pose sequences, recursively.

    `label` is how messages name the folder (e.g. as a user gave it, relative to a datasets root); files
    are named relative to it. Without one, messages name the folder by its path, files relative to it.
    """
    root = Path(path)

    def where(file: Path | str | None) -> str:
        if file is None:
            return repr(label or str(root))
        relative = file.relative_to(root).as_posix() if isinstance(file, Path) else file
        return relative if not label else label if relative == "." else f"{label}/{relative}"

    if not root.is_dir():
        raise ValidationFailed(f"Training data folder {where(None)} does not exist or is not a folder",
                               details={"data_dir": "not a folder"})
    folders, files = _inventory(root, where)
    samples: list[Sample] = []
    skipped: list[str] = []
    for folder in folders:
        try:
            samples.extend(_from_mocap(folder, root))
        except Exception as exc:  # noqa: BLE001 - one bad folder is reported, the others still load
            skipped.append(f"{where(folder)}: motion capture unreadable ({_reason(exc)})")
    for file in files:
        try:
            whole = _from_json(file, root)
            # A recorded performance may repeat its technique: each repetition is one sample.
            samples.extend(cut_repetitions(whole) if problem(whole) is None else [whole])
        except Exception as exc:  # noqa: BLE001 - one bad file is reported, the others still load
            skipped.append(f"{where(file)}: {_reason(exc)}")
    usable = []
    for s in samples:
        why = problem(s)
        (skipped.append(f"{where(s.source)}: {why}") if why else usable.append(s))
    if not usable:
        raise ValidationFailed(
            f"No usable training sample in {where(None)}: put CMU ASF/AMC motion capture or pose-sequence "
            '*.json files ({"technique", "fps", "frames": [{"timestamp_ms", "landmarks": 33 x [wx, wy, wz, '
            'visibility]}]}) there, each with at least 5 frames showing the person',
            details={"data_dir": "no usable sample", "skipped": skipped[:20]})
    techniques = sorted({s.technique for s in usable})
    if len(techniques) < min_techniques:
        raise ValidationFailed(
            f"A technique classifier needs examples of at least {min_techniques} techniques; {where(None)} has "
            f"{len(techniques)} ({', '.join(techniques)}): add repetitions of other techniques",
            details={"data_dir": f"{len(techniques)} technique(s), {min_techniques} needed"})
    return usable


def _sources_by_technique(samples: list[Sample]) -> tuple[dict[str, list[Sample]], dict[str, list[str]]]:
    """(samples of each source, sorted sources of each technique); a sample without a source is its own."""
    groups: dict[str, list[Sample]] = defaultdict(list)
    for i, s in enumerate(samples):
        groups[s.source or f"#{i}"].append(s)
    by_technique: dict[str, list[str]] = defaultdict(list)
    for source, members in groups.items():
        by_technique[members[0].technique].append(source)
    return groups, {t: sorted(v) for t, v in by_technique.items()}


def _split(samples: list[Sample], seed: int,
           held_out: Callable[[list[str]], list[str]]) -> tuple[list[Sample], list[Sample]]:
    """(train, val): per technique, its sources shuffled by seed, `held_out` of them to validation, whole."""
    groups, by_technique = _sources_by_technique(samples)
    rng = np.random.default_rng(seed)
    val_sources: set[str] = set()
    for technique in sorted(by_technique):
        sources = list(by_technique[technique])
        rng.shuffle(sources)
        val_sources.update(held_out(sources))
    train = [s for src, members in groups.items() if src not in val_sources for s in members]
    val = [s for src, members in groups.items() if src in val_sources for s in members]
    return train, val


def split_by_source(samples: list[Sample], val_fraction: float, seed: int) -> tuple[list[Sample], list[Sample]]:
    """(train, val): whole repetitions (by source) to one side, stratified by technique, deterministic in seed.

    Per technique, round(val_fraction x its repetitions) go to validation, at least one when it has two
    or more, never all of them.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValidationFailed(f"val_fraction must be between 0 and 1, got {val_fraction}",
                               details={"val_fraction": "must be in (0, 1)"})
    def quarter(sources: list[str]) -> list[str]:
        n = len(sources)
        return sources[:min(max(int(math.floor(val_fraction * n + 0.5)), 1 if n >= 2 else 0), n - 1)]

    train, val = _split(samples, seed, quarter)
    if not val:
        raise ValidationFailed("Training needs at least two repetitions of one technique to hold one out for "
                               "validation: add more repetitions", details={"data_dir": "too few repetitions"})
    return train, val


def split_by_fold(samples: list[Sample], folds: int, fold: int, seed: int) -> tuple[list[Sample], list[Sample]]:
    """(train, val) of fold `fold` of `folds` (k-fold cross-validation): each technique's sources, shuffled by
    seed, are dealt to the folds in turn, so that over the folds every repetition is held out exactly once,
    whole, and each fold holds out about 1/folds of every technique. A held-out split of a quarter (10 of
    the default data's 41 technique repetitions) measured rates that moved by 0.3 with the seed; pooled over
    the folds, every repetition counts (bench/recognition_cv.py)."""
    if not (isinstance(folds, int) and folds >= 2 and isinstance(fold, int) and 0 <= fold < folds):
        raise ValidationFailed(f"fold must be in 0..folds-1 with folds >= 2, got fold {fold!r} of {folds!r}",
                               details={"fold": "out of range"})
    return _split(samples, seed, lambda sources: sources[fold::folds])
