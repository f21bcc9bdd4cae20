"""Loading training folders (pose JSON, CMU motion capture) and the held-out split by repetition."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from services.kit.errors import ValidationFailed
from services.scoring.learning.dataset import load_dataset, split_by_fold, split_by_source

from services.kit.paths import CMU_KARATE as CMU
from testkit import learning_synth



def write_json(path: Path, sample, *, label: bool = True, drop_frame: int | None = None) -> None:
    frames = []
    for i, (t, w, v) in enumerate(zip(sample.t, sample.world, sample.visibility)):
        marks = [] if i == drop_frame else [[*map(float, xyz), float(vis)] for xyz, vis in zip(w, v)]
        frames.append({"timestamp_ms": 1000.0 * t, "landmarks": marks})
    doc = {"fps": 30.0, "frames": frames} | ({"technique": sample.technique} if label else {})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))


def test_pose_json_files_load_with_labels_from_the_file_or_the_folder(tmp_path):
    reps = learning_synth.dataset(per_technique=2, seed=1)
    for k, s in enumerate(reps):
        if k % 2:
            write_json(tmp_path / s.technique / f"take{k}.json", s, label=False, drop_frame=3)
        else:
            write_json(tmp_path / f"take{k}.json", s)
    (tmp_path / "notes.json").write_text('{"comment": "not a pose sequence"}')
    loaded = load_dataset(tmp_path, min_techniques=2)
    assert len(loaded) == len(reps)
    assert Counter(s.technique for s in loaded) == Counter(s.technique for s in reps)
    by_source = {s.source: s for s in loaded}
    odd = by_source[f"{reps[1].technique}/take1.json"]
    assert np.isnan(odd.world[3]).all() and np.all(odd.visibility[3] == 0)     # empty frame: nobody there
    assert np.allclose(odd.world[4], reps[1].world[4]) and np.allclose(odd.t, reps[1].t)


def test_empty_or_single_technique_folders_are_refused_with_a_reason(tmp_path):
    with pytest.raises(ValidationFailed, match="No usable training sample"):
        load_dataset(tmp_path)
    with pytest.raises(ValidationFailed, match="does not exist"):
        load_dataset(tmp_path / "missing")
    s = learning_synth.dataset(per_technique=2, seed=2, techniques=("front_kick",))
    write_json(tmp_path / "a.json", s[0])
    write_json(tmp_path / "b.json", s[1])
    assert len(load_dataset(tmp_path)) == 2
    with pytest.raises(ValidationFailed, match="at least 2 techniques") as err:
        load_dataset(tmp_path, min_techniques=2)
    assert "front_kick" in err.value.message


def test_too_short_sequences_are_skipped_and_named(tmp_path):
    s = learning_synth.dataset(per_technique=1, seed=3, techniques=("lunge_punch",))[0]
    s.t, s.world, s.visibility = s.t[:3], s.world[:3], s.visibility[:3]
    write_json(tmp_path / "short.json", s)
    with pytest.raises(ValidationFailed) as err:
        load_dataset(tmp_path)
    assert any("short.json" in line and "frames" in line for line in err.value.details["skipped"])


def test_split_keeps_repetitions_whole_stratified_and_deterministic(synthetic):
    copies = [s for s in synthetic for _ in range(3)]          # three views of every repetition
    train, val = split_by_source(copies, 0.25, seed=11)
    assert not {s.source for s in train} & {s.source for s in val}
    assert len(train) + len(val) == len(copies)
    assert Counter(s.technique for s in val) == Counter({t: 2 * 3 for t in learning_synth.TECHNIQUES})
    again = split_by_source(copies, 0.25, seed=11)[1]
    assert [s.source for s in again] == [s.source for s in val]
    other = split_by_source(copies, 0.25, seed=12)[1]
    assert {s.source for s in other} != {s.source for s in val}


def test_folds_hold_out_every_repetition_once_whole_and_stratified(synthetic):
    copies = [s for s in synthetic for _ in range(2)]          # two views of every repetition
    held = Counter()
    for fold in range(3):
        train, val = split_by_fold(copies, 3, fold, seed=5)
        assert not {s.source for s in train} & {s.source for s in val}
        assert len(train) + len(val) == len(copies)
        assert Counter(s.technique for s in val) == Counter({t: 2 * 2 for t in learning_synth.TECHNIQUES})
        held.update(s.source for s in val)
    assert set(held.values()) == {2} and len(held) == len({s.source for s in copies})
    assert [s.source for s in split_by_fold(copies, 3, 1, seed=5)[1]] == \
        [s.source for s in split_by_fold(copies, 3, 1, seed=5)[1]]
    assert {s.source for s in split_by_fold(copies, 3, 1, seed=6)[1]} != \
        {s.source for s in split_by_fold(copies, 3, 1, seed=5)[1]}


@pytest.mark.parametrize("folds, fold", [(1, 0), (3, 3), (3, -1)])
def test_a_fold_out_of_range_is_refused(synthetic, folds, fold):
    with pytest.raises(ValidationFailed, match="fold"):
        split_by_fold(synthetic, folds, fold, seed=0)


@pytest.mark.skipif(not CMU.is_dir(), reason="CMU karate capture not present")
def test_cmu_capture_loads_as_repetitions_of_six_techniques():
    samples = load_dataset(CMU, min_techniques=2)
    counts = Counter(s.technique for s in samples)
    assert set(counts) == {"front_kick", "low_block", "roundhouse", "lunge_punch", "knife_hand_block", "side_kick"}
    assert all(n >= 2 for n in counts.values()) and len({s.source for s in samples}) == len(samples)
    s = samples[0]
    assert s.world.shape == (s.t.size, 33, 3) and np.all(np.diff(s.t) > 0)


def test_a_recorded_performance_is_cut_into_its_repetitions(tmp_path):
    rng = np.random.default_rng(8)
    reps = [learning_synth.repetition("lunge_punch", rng, yaw=0.3) for _ in range(3)]   # one performer, one facing
    t, world, vis = [], [], []
    offset = 0.0
    for r in reps:
        t.append(r.t + offset)
        world.append(r.world)
        vis.append(r.visibility)
        offset = t[-1][-1] + 0.1
    whole = learning_synth.Sample("lunge_punch", np.concatenate(t), np.concatenate(world), np.concatenate(vis))
    write_json(tmp_path / "three.json", whole)
    loaded = load_dataset(tmp_path)
    assert sorted(s.source for s in loaded) == ["three.json#0", "three.json#1", "three.json#2"]
    for s, r in zip(sorted(loaded, key=lambda s: s.source), reps):
        assert s.t[0] == 0.0 and s.t[-1] < r.t[-1] + 0.2


# ---- malformed files and oversized folders -----------------------------------------------------------

@pytest.mark.skipif(not CMU.is_dir(), reason="CMU karate capture not present")
@pytest.mark.parametrize("change,words", [
    (("name lhipjoint", "name"), "Expected a value after 'name' in 135.asf"),           # was an IndexError
    (("length 0.45", "length 0"), "135.asf: the length unit must be a positive number"),  # was a ZeroDivisionError
    (("length 0.45", "length"), "135.asf :units length"),
    (("axis XYZ", "axis"), "Expected a value after 'axis' in 135.asf :root axis"),
])
def test_malformed_motion_capture_is_skipped_with_its_reason(tmp_path, change, words):
    from services.scoring.mocap.asf_amc import parse_asf
    bad = tmp_path / "mocap"
    bad.mkdir()
    (bad / "135.asf").write_text((CMU / "135.asf").read_text().replace(*change, 1))
    (bad / "135_04.amc").symlink_to(CMU / "135_04.amc")
    with pytest.raises(ValidationFailed, match="135.asf") as parsed:
        parse_asf(bad / "135.asf")
    assert words in parsed.value.message
    s = learning_synth.dataset(per_technique=2, seed=4, techniques=("front_kick",))
    write_json(tmp_path / "a.json", s[0])
    write_json(tmp_path / "b.json", s[1])
    with pytest.raises(ValidationFailed) as err:   # the good files load; the bad folder is reported
        load_dataset(tmp_path, min_techniques=2, label="kicks")
    assert err.value.message.startswith("A technique classifier needs")
    with pytest.raises(ValidationFailed) as err:
        load_dataset(bad, label="kicks/mocap")
    assert err.value.details["skipped"] == [f"kicks/mocap: motion capture unreadable ({parsed.value.message})"]


def test_any_error_in_one_file_skips_that_file_only(tmp_path, monkeypatch):
    from services.scoring.learning import dataset
    reps = learning_synth.dataset(per_technique=1, seed=5, techniques=("front_kick",))
    write_json(tmp_path / "good.json", reps[0])
    write_json(tmp_path / "sub" / "cursed.json", reps[0])
    real = dataset._from_json

    def reader(path, root):
        if path.name == "cursed.json":
            raise ZeroDivisionError("division by zero")  # whatever a reader's bug raises
        return real(path, root)

    monkeypatch.setattr(dataset, "_from_json", reader)
    assert [s.source for s in load_dataset(tmp_path)] == ["good.json"]
    (tmp_path / "good.json").unlink()
    with pytest.raises(ValidationFailed) as err:
        load_dataset(tmp_path, label="mine")
    assert err.value.details["skipped"] == ["mine/sub/cursed.json: ZeroDivisionError: division by zero"]
    assert "'mine'" in err.value.message and str(tmp_path) not in err.value.message


@pytest.mark.parametrize("limit,value", [("MAX_FILES", 3), ("MAX_BYTES", 1000)])
def test_oversized_folders_are_refused_before_loading(tmp_path, monkeypatch, limit, value):
    from services.scoring.learning import dataset
    monkeypatch.setattr(dataset, limit, value)
    for i in range(4):
        (tmp_path / f"{i}.json").write_text("x" * 400)
    (tmp_path / "notes.txt").write_text("y" * 10_000)  # not data: not counted
    monkeypatch.setattr(dataset, "_from_json", lambda *_: pytest.fail("nothing is read past the cap"))
    with pytest.raises(ValidationFailed) as err:
        load_dataset(tmp_path, label="big")
    assert err.value.details == {"data_dir": "too much data"}
    assert err.value.message.startswith("'big' holds more than")
