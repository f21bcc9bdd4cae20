"""Shared fixtures of the learned-model tests: synthetic repetitions and one short GraphSAGE training."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from services.scoring.learning.train import EpochReport, TrainConfig, TrainedModel, train_model

from testkit import learning_synth


@dataclass
class Run:
    config: TrainConfig
    model: TrainedModel
    reports: list[EpochReport]
    checkpoints: Path


@pytest.fixture(scope="session")
def synthetic():
    return learning_synth.dataset(per_technique=6, seed=0)


@pytest.fixture(scope="session")
def graphsage_run(synthetic, tmp_path_factory) -> Run:
    """3 epochs of GraphSAGE on the synthetic techniques, checkpointed every epoch. The synthetic data is clean
    motion capture, trained on its plain augmentations (video_like off): what these tests check is the
    training machinery; learning from video-like views is test_learning_train's own test and the default build's."""
    folder = tmp_path_factory.mktemp("graphsage_checkpoints")
    config = TrainConfig("graphsage", epochs=3, batch_size=16, learning_rate=2e-3, checkpoint_dir=folder, seed=3,
                         video_like=False)
    reports: list[EpochReport] = []
    model = train_model(config, synthetic, on_epoch=reports.append)
    return Run(config, model, reports, folder)
