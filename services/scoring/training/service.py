"""Wiring of training into the scoring process: the jobs core, the model registry and the runner."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import grpc

from services.kit.config import Settings
from services.kit.db import database_url
from services.scoring.training.changes import JobChanges
from services.scoring.training.clients import GrpcCoachDirectory
from services.scoring.training.jobs import TrainingJobs
from services.scoring.training.process import WorkerChecker
from services.scoring.training.registry import ModelRegistry
from services.scoring.training.runner import TrainingRunner
from services.scoring.training.store import JobStore, ModelStore


async def start_training(settings: Settings, pool: asyncpg.Pool,
                         coach_channel: grpc.aio.Channel) -> tuple[TrainingJobs, TrainingRunner]:
    """The jobs core for the servicer, and a started runner (resuming jobs a previous process left)."""
    store = JobStore(pool)
    runner = TrainingRunner(store, database_url(settings), datasets_root=settings.datasets_path,
                            checkpoints_root=settings.checkpoints_path, concurrency=settings.training_concurrency)
    coaches = GrpcCoachDirectory(coach_channel)
    jobs = TrainingJobs(store, ModelRegistry(ModelStore(pool), Path(settings.model_dir)), coaches, WorkerChecker(),
                        references=coaches, datasets_root=settings.datasets_path,
                        checkpoints_root=settings.checkpoints_path, max_epochs=settings.training_max_epochs,
                        concurrency=settings.training_concurrency, on_submit=runner.wake,
                        changes=JobChanges(database_url(settings)))
    await runner.start()
    return jobs, runner
