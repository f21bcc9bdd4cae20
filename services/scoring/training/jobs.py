"""Training jobs: who may start one, what a valid request is, and the job as a caller sees it."""

from __future__ import annotations

import asyncio
import math
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Protocol

from services.kit import errors
from services.kit.context import Principal
from services.scoring.learning.names import MODEL_TYPES
from services.scoring.training.changes import JobChanges
from services.scoring.training.checkpoints import resolve_checkpoint, shown_checkpoint, user_folder
from services.scoring.training.paths import REFERENCES_PREFIX, Resolved, resolve_inside
from services.scoring.training.registry import ModelEntry, ModelRegistry
from services.scoring.training.store import ACTIVE, Job, JobStore, LogLine

DEVICES = ("auto", "cpu", "cuda")
DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE, DEFAULT_LEARNING_RATE = 100, 16, 0.001  # the spec's example request
MAX_BATCH_SIZE = 256
# One answer for a missing path and for one outside the user's own checkpoints folder: whether another
# user's folder exists is nobody else's business.
NO_SUCH_CHECKPOINT = "no such checkpoint file or folder in your checkpoints"
NOT_A_CHECKPOINT_DIR = "must name a folder inside your checkpoints (a relative path)"


@dataclass
class StartCommand:
    model_type: str
    coach: str
    data_dir: str
    epochs: int | None = None  # None = default
    batch_size: int | None = None
    learning_rate: float | None = None
    device: str = ""
    checkpoint_dir: str = ""
    resume_from: str = ""


@dataclass
class JobView:
    job: Job
    logs: list[LogLine] = field(default_factory=list)
    status: str = ""  # what to report: the stored status, or "started" in the reply that queued the job
    estimated_completion: datetime | None = None


class CoachDirectory(Protocol):
    async def owner(self, coach_id: str) -> str:
        """User id owning the coach entry; raises NotFound for an unknown coach."""


class DataChecker(Protocol):
    async def check(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Load the data (and the checkpoint to resume from) as a worker would; raises the domain error
        (ValidationFailed for unusable data, InvalidRequest for a bad checkpoint or a missing GPU)."""


class ReferenceSource(Protocol):
    async def documents(self, coach_id: str) -> dict[str, bytes]:
        """The coach's reference performances as pose-sequence JSON files (name -> bytes), each labelled
        with its technique (the format services.scoring.learning.dataset reads)."""


def write_inputs(folder: Path, files: dict[str, bytes]) -> None:
    for name, body in files.items():
        (folder / Path(name).name).write_bytes(body)  # names are ours, but never a path


def estimate(job: Job) -> datetime | None:
    """Last epoch's end + remaining epochs x mean measured epoch time; None before an epoch was timed."""
    if job.status not in ACTIVE or not job.epochs_timed or not job.progress or job.progress_at is None:
        return None
    remaining = max(0, job.epochs - int(job.progress.get("current_epoch", 0)))
    return job.progress_at + timedelta(seconds=remaining * job.epoch_seconds / job.epochs_timed)


def _require(principal: Principal | None) -> Principal:
    if principal is None:
        raise errors.Unauthorized("Authentication required")
    return principal


def _check_fields(cmd: StartCommand, max_epochs: int) -> None:
    details: dict[str, str] = {}
    if not cmd.model_type:
        details["model_type"] = "This field is required"
    elif cmd.model_type not in MODEL_TYPES:
        details["model_type"] = f"must be one of {', '.join(MODEL_TYPES)}"
    if not cmd.coach.strip():
        details["coach"] = "This field is required"
    if not cmd.data_dir.strip():
        details["data_dir"] = "This field is required"
    if cmd.epochs is not None and not 1 <= cmd.epochs <= max_epochs:
        details["epochs"] = f"must be between 1 and {max_epochs} (DOJO_TRAINING_MAX_EPOCHS)"
    if cmd.batch_size is not None and not 1 <= cmd.batch_size <= MAX_BATCH_SIZE:
        details["batch_size"] = f"must be between 1 and {MAX_BATCH_SIZE}"
    if cmd.learning_rate is not None and not (math.isfinite(cmd.learning_rate) and 0 < cmd.learning_rate <= 1):
        details["learning_rate"] = "must be greater than 0 and at most 1"
    if cmd.device not in ("", *DEVICES):
        details["device"] = f"must be one of {', '.join(DEVICES)}"
    if details:
        raise errors.InvalidRequest("Invalid request parameters", details=details)


def _has_checkpoints(folder: Path) -> bool:
    return folder.is_dir() and any(folder.glob("epoch_*.pt"))


class TrainingJobs:
    def __init__(self, store: JobStore, registry: ModelRegistry, coaches: CoachDirectory, checker: DataChecker, *,
                 references: ReferenceSource | None, datasets_root: Path, checkpoints_root: Path,
                 max_epochs: int, concurrency: int, on_submit: Callable[[], None] = lambda: None,
                 changes: JobChanges | None = None) -> None:
        self.store, self.registry, self.coaches, self.checker = store, registry, coaches, checker
        self.changes = changes  # for watch(); None: no watching (a core used without a database listener)
        self.references = references
        self.datasets_root, self.checkpoints_root = datasets_root, checkpoints_root
        self.max_epochs, self.concurrency, self.on_submit = max_epochs, concurrency, on_submit

    async def models(self, principal: Principal | None, coach: str = "") -> list[ModelEntry]:
        _require(principal)
        return await self.registry.list_models(coach.strip())

    async def start(self, cmd: StartCommand, principal: Principal | None) -> JobView:
        """Validate everything (nothing is stored on bad input), then queue the job."""
        principal = _require(principal)
        _check_fields(cmd, self.max_epochs)
        owner = await self.coaches.owner(cmd.coach)  # unknown coach -> NotFound
        if owner != principal.user_id and not principal.is_admin:
            raise errors.Forbidden("Only the coach's owner or an administrator can train models for this coach")
        job_id = f"train_{uuid.uuid4().hex[:20]}"
        # Each user's checkpoints live in a folder of their own (administrators' too): nobody resumes
        # from, writes into or prunes another user's run.
        home = self.checkpoints_root / user_folder(principal.user_id)
        checkpoint = resolve_checkpoint(self.checkpoints_root, principal.user_id, cmd.checkpoint_dir or job_id,
                                        "checkpoint_dir", NOT_A_CHECKPOINT_DIR)
        resume = None
        if cmd.resume_from:
            resume = resolve_checkpoint(self.checkpoints_root, principal.user_id, cmd.resume_from, "resume_from",
                                        NO_SUCH_CHECKPOINT)
            if not resume.path.exists():
                raise errors.InvalidRequest("Invalid request parameters", details={"resume_from": NO_SUCH_CHECKPOINT})
        if checkpoint.path == home.resolve() or (checkpoint.path.exists() and not checkpoint.path.is_dir()):
            raise errors.InvalidRequest("Invalid request parameters", details={"checkpoint_dir": NOT_A_CHECKPOINT_DIR})
        if _has_checkpoints(checkpoint.path) and (resume is None or resume.path != checkpoint.path):
            # Resuming later from this folder would pick up another run's epochs.
            raise errors.InvalidRequest("Invalid request parameters", details={
                "checkpoint_dir": "already holds checkpoints: choose an empty folder, or pass it as resume_from"})
        if other := await self.store.checkpoint_dir_in_use(checkpoint.relative):
            raise errors.Conflict(f"Training {other} is writing checkpoints to that folder",
                                  details={"checkpoint_dir": "in use by a running training"})
        data_dir, data_path, inputs = await self._data(cmd.data_dir.strip(), principal)  # last: it may fetch a lot
        device = cmd.device or "auto"
        with tempfile.TemporaryDirectory(prefix="kataforge-check-") as tmp:
            if inputs is not None:
                await asyncio.to_thread(write_inputs, Path(tmp), inputs)
                data_path = Path(tmp)
            await self.checker.check({"mode": "check", "model_type": cmd.model_type, "device": device,
                                      "data_path": str(data_path), "data_label": data_dir,
                                      "resume_from": str(resume.path) if resume else "",
                                      "public_paths": self.public_paths(data_path, data_dir, resume, principal)})
        now = datetime.now(timezone.utc)
        job = Job(id=job_id, owner_id=principal.user_id, coach=cmd.coach, model_type=cmd.model_type,
                  data_dir=data_dir, epochs=cmd.epochs or DEFAULT_EPOCHS, batch_size=cmd.batch_size or DEFAULT_BATCH_SIZE,
                  learning_rate=cmd.learning_rate or DEFAULT_LEARNING_RATE, device=device,
                  checkpoint_dir=checkpoint.relative, resume_from=resume.relative if resume else "", status="queued",
                  progress=None, epoch_seconds=0.0, epochs_timed=0, progress_at=None, attempts=0, error="",
                  model_version=None, created_at=now, started_at=None, finished_at=None)
        ahead = await self.store.active_count()
        await self.store.insert(job, f"Training queued by {principal.username}: {job.model_type} for coach "
                                     f"{job.coach}, {job.epochs} epochs on {data_dir}", inputs)
        self.on_submit()
        return JobView(job, await self.store.logs(job.id), "started" if ahead < self.concurrency else "queued")

    def public_paths(self, data_path: Path, data_label: str, resume: Resolved | None,
                     principal: Principal) -> dict[str, str]:
        """Absolute paths of this server -> what the user may see in an error message."""
        home = self.checkpoints_root / user_folder(principal.user_id)
        paths = {str(self.datasets_root.resolve()): "<datasets root>",
                 str(self.checkpoints_root.resolve()): "<checkpoints root>",
                 str(home.resolve()): "<your checkpoints>", str(data_path): data_label}
        if resume is not None:
            paths[str(resume.path)] = shown_checkpoint(principal.user_id, resume.relative)
        return paths

    async def _data(self, data_dir: str, principal: Principal) -> tuple[str, Path | None, dict[str, bytes] | None]:
        """(what to store, folder to train on, files to snapshot): a folder inside the datasets root, or
        a coach's references (snapshotted now, so every attempt trains on the same samples)."""
        if data_dir.startswith(REFERENCES_PREFIX):
            coach_id = data_dir[len(REFERENCES_PREFIX):].strip()
            if self.references is None:
                raise errors.InvalidRequest("Training on a coach's references is not available on this server",
                                            details={"data_dir": "give a folder inside the datasets root"})
            # References are another coach's work: training on them is their owner's (or an admin's) call.
            if await self.coaches.owner(coach_id) != principal.user_id and not principal.is_admin:  # unknown -> 404
                raise errors.Forbidden("Only the owner of a coach or an administrator can train on its references",
                                       details={"data_dir": "not your coach's references"})
            files = await self.references.documents(coach_id)
            if not files:
                raise errors.ValidationFailed(f"Coach {coach_id} has no registered reference performances",
                                              details={"data_dir": "no references to train on"})
            return f"{REFERENCES_PREFIX}{coach_id}", None, files
        resolved = resolve_inside(self.datasets_root, data_dir, "data_dir", "DOJO_DATASETS_ROOT")
        if not resolved.path.is_dir():
            raise errors.InvalidRequest("Invalid request parameters",
                                        details={"data_dir": "no such folder in the datasets root"})
        return resolved.relative, resolved.path, None

    async def _visible(self, training_id: str, principal: Principal | None) -> Job:
        principal = _require(principal)
        job = await self.store.get(training_id) if training_id else None
        # Another user's job answers like a missing one, so ids cannot be probed.
        if job is None or (job.owner_id != principal.user_id and not principal.is_admin):
            raise errors.NotFound("training", training_id)
        return job

    async def get(self, training_id: str, principal: Principal | None) -> JobView:
        job = await self._visible(training_id, principal)
        return JobView(job, await self.store.logs(job.id), job.status, estimate(job))

    async def watch(self, training_id: str, principal: Principal | None) -> AsyncIterator[JobView | dict[str, Any]]:
        """The job (a JobView) with its latest epoch, then each later epoch's progress (a dict, in order, none
        skipped) as it is recorded and the job again at every change of status, until its final state
        (a job already finished: its view alone)."""
        changes = self.changes
        if changes is None:
            raise errors.Unavailable("Watching training jobs is not enabled on this server")
        async with changes.watching(training_id) as changed:  # before the first read: no change is missed
            view = await self.get(training_id, principal)
            yield view
            last_epoch = int((view.job.progress or {}).get("current_epoch") or 0)
            if last_epoch and view.status in ACTIVE:  # a finished job's view holds its last epoch already
                yield view.job.progress
            status = view.status
            while status in ACTIVE:
                await changes.wait(changed)
                for progress in await self.store.epochs_after(training_id, last_epoch):
                    yield progress
                    last_epoch = int(progress["current_epoch"])
                view = await self.get(training_id, principal)
                if view.status != status:
                    yield view
                    status = view.status

    async def cancel(self, training_id: str, principal: Principal | None) -> JobView:
        """Cancel a queued or running job (its worker stops within a second or two); idempotent."""
        job = await self._visible(training_id, principal)
        if job.status in ACTIVE and not await self.store.cancel(job.id, f"Training cancelled by {principal.username}"):
            job = await self.store.get(job.id) or job  # it ended between the two reads: say how
        if job.status in ("completed", "failed"):
            raise errors.Conflict(f"Training {training_id} has already {job.status}", details={"status": job.status})
        return await self.get(training_id, principal)
