"""Checkpoints: atomic writes, resuming where training stopped with the same result, unusable files refused."""

from __future__ import annotations

import os
import stat
from dataclasses import replace

import pytest
import torch

from services.kit.errors import InvalidRequest
from services.scoring.learning import checkpoint
from services.scoring.learning.train import TrainConfig, train_model


def test_every_epoch_leaves_one_complete_checkpoint(graphsage_run):
    names = sorted(p.name for p in graphsage_run.checkpoints.iterdir())
    assert names == ["epoch_0001.pt", "epoch_0002.pt", "epoch_0003.pt"]   # and no temporary file left
    payload = checkpoint.load(graphsage_run.checkpoints / "epoch_0002.pt")
    assert payload["epoch"] == 2 and payload["model_type"] == "graphsage"
    assert payload["classes"] == graphsage_run.model.manifest["classes"]
    assert payload["config"]["seed"] == 3 and payload["config"]["checkpoint_dir"] == str(graphsage_run.checkpoints)
    assert payload["best_accuracy"] == pytest.approx(graphsage_run.reports[1].best_accuracy)
    assert checkpoint.latest(graphsage_run.checkpoints).name == "epoch_0003.pt"


def test_resuming_continues_at_the_next_epoch_with_the_uninterrupted_result(graphsage_run, synthetic, tmp_path):
    reports = []
    config = replace(graphsage_run.config, checkpoint_dir=tmp_path,
                     resume_from=graphsage_run.checkpoints / "epoch_0002.pt")
    resumed = train_model(config, synthetic, on_epoch=reports.append)
    assert [r.epoch for r in reports] == [3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["epoch_0003.pt"]
    assert resumed.manifest["training"]["resumed_from_epoch"] == 2 and resumed.manifest["epochs"] == 3
    a = checkpoint.load(tmp_path / "epoch_0003.pt")
    b = checkpoint.load(graphsage_run.checkpoints / "epoch_0003.pt")
    assert a["model"].keys() == b["model"].keys()
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert reports[0].val_accuracy == graphsage_run.reports[2].val_accuracy
    assert resumed.manifest["accuracy"] == graphsage_run.model.manifest["accuracy"]


def test_resuming_from_a_folder_takes_its_latest_checkpoint(graphsage_run, synthetic):
    reports = []
    done = train_model(replace(graphsage_run.config, checkpoint_dir=None, resume_from=graphsage_run.checkpoints),
                       synthetic, on_epoch=reports.append)
    assert reports == [] and done.manifest["epochs"] == 3          # nothing left to train
    assert done.manifest["accuracy"] == graphsage_run.model.manifest["accuracy"]


def test_a_checkpoint_appears_complete_or_not_at_all(tmp_path, monkeypatch):
    payload = {"format": checkpoint.FORMAT, "epoch": 7, "weights": torch.arange(1000.0)}
    seen, synced = [], []
    real_save, real_fsync = torch.save, os.fsync

    def watching_save(obj, f):
        real_save(obj, f)
        f.flush()
        # mid-write: the bytes are in a hidden file of the same folder, the final name does not exist yet
        seen.append(sorted(p.name for p in tmp_path.iterdir()))

    def recording_fsync(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(checkpoint.torch, "save", watching_save)
    monkeypatch.setattr(checkpoint.os, "fsync", recording_fsync)
    final = checkpoint.save(tmp_path, payload)
    assert final.name == "epoch_0007.pt" and len(seen) == 1
    assert len(seen[0]) == 1 and seen[0][0].startswith(".epoch_0007.pt.") and seen[0][0].endswith(".tmp")
    assert synced == [False, True]          # the file's bytes, then the folder entry
    assert [p.name for p in tmp_path.iterdir()] == ["epoch_0007.pt"]
    assert torch.equal(torch.load(final, weights_only=True)["weights"], payload["weights"])

    def crashing_save(obj, f):
        f.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint.torch, "save", crashing_save)
    with pytest.raises(OSError):
        checkpoint.save(tmp_path, payload | {"epoch": 8})
    assert [p.name for p in tmp_path.iterdir()] == ["epoch_0007.pt"]
    assert checkpoint.latest(tmp_path).name == "epoch_0007.pt"


class Payload:
    """A pickle that would create a folder when unpickled without weights_only."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_unusable_checkpoints_are_refused(graphsage_run, synthetic, tmp_path):
    good = graphsage_run.checkpoints / "epoch_0003.pt"
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InvalidRequest, match="corrupt"):
        train_model(replace(graphsage_run.config, checkpoint_dir=None, resume_from=truncated), synthetic)

    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(os.urandom(4096))
    marker = tmp_path / "pwned"
    hostile = tmp_path / "hostile.pt"
    torch.save({"model": Payload(marker)}, hostile)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, foreign)
    for path, reason in [(garbage, "corrupt"), (hostile, "corrupt"), (foreign, "not a KataForge training checkpoint"),
                         (tmp_path / "missing.pt", "does not exist"), (tmp_path / "empty", "No complete checkpoint")]:
        if path.name == "empty":
            path.mkdir()
        with pytest.raises(InvalidRequest, match=reason):
            checkpoint.load(path)
    assert not marker.exists()               # the hostile pickle never ran


def test_a_checkpoint_of_another_training_is_refused(graphsage_run, synthetic):
    good = graphsage_run.checkpoints / "epoch_0001.pt"
    with pytest.raises(InvalidRequest, match="graphsage checkpoint; it cannot resume a style_encoder"):
        train_model(TrainConfig("style_encoder", 2, 16, 1e-3, seed=3, resume_from=good), synthetic)
    fewer = [s for s in synthetic if s.technique != "side_kick"]
    with pytest.raises(InvalidRequest, match="classes"):
        train_model(replace(graphsage_run.config, checkpoint_dir=None, resume_from=good), fewer)
    with pytest.raises(InvalidRequest, match="seed"):
        train_model(replace(graphsage_run.config, checkpoint_dir=None, resume_from=good, seed=4), synthetic)
