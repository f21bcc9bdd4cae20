"""Training jobs and registry entries <-> ScoringService protobuf messages."""

from __future__ import annotations

from kataforge.scoring.v1 import scoring_pb2
from services.scoring.training.jobs import JobView, StartCommand
from services.scoring.training.checkpoints import shown_checkpoint
from services.scoring.training.registry import ModelEntry


def start_command(req: scoring_pb2.StartTrainingRequest) -> StartCommand:
    return StartCommand(
        model_type=req.model_type.strip(), coach=req.coach.strip(), data_dir=req.data_dir,
        epochs=req.epochs if req.HasField("epochs") else None,
        batch_size=req.batch_size if req.HasField("batch_size") else None,
        learning_rate=req.learning_rate if req.HasField("learning_rate") else None,
        device=req.device.strip().lower(), checkpoint_dir=req.checkpoint_dir, resume_from=req.resume_from)


def progress_message(p: dict, epochs: int) -> scoring_pb2.TrainingProgress:
    """One epoch's report as the runner recorded it (services/scoring/training/runner.py: _epoch)."""
    return scoring_pb2.TrainingProgress(
        current_epoch=int(p.get("current_epoch") or 0), total_epochs=int(p.get("total_epochs") or epochs),
        train_loss=float(p.get("train_loss") or 0.0), val_loss=float(p.get("val_loss") or 0.0),
        val_accuracy=float(p.get("val_accuracy") or 0.0), best_accuracy=float(p.get("best_accuracy") or 0.0))


def job_message(view: JobView) -> scoring_pb2.TrainingJob:
    job = view.job
    message = scoring_pb2.TrainingJob(
        training_id=job.id, status=view.status or job.status, model_type=job.model_type, coach=job.coach,
        epochs=job.epochs, batch_size=job.batch_size, learning_rate=job.learning_rate, device=job.device,
        data_dir=job.data_dir, checkpoint_dir=shown_checkpoint(job.owner_id, job.checkpoint_dir),
        resume_from=shown_checkpoint(job.owner_id, job.resume_from) if job.resume_from else "", error=job.error,
        model_version=str(job.model_version) if job.model_version else "", owner_id=job.owner_id)
    if job.progress:
        message.progress.CopyFrom(progress_message(job.progress, job.epochs))
    message.created_at.FromDatetime(job.created_at)
    # Until a worker picks the job up, it counts from submission (the spec's reply to POST has started_at).
    message.started_at.FromDatetime(job.started_at or job.created_at)
    if view.estimated_completion is not None:
        message.estimated_completion.FromDatetime(view.estimated_completion)
    if job.finished_at is not None:
        message.completed_at.FromDatetime(job.finished_at)
    for line in view.logs:
        entry = message.logs.add(message=line.message, level=line.level)
        entry.timestamp.FromDatetime(line.at)
    return message


def model_message(entry: ModelEntry) -> scoring_pb2.ModelInfo:
    message = scoring_pb2.ModelInfo(name=entry.name, type=entry.type, version=entry.version,
                                    description=entry.description, coach=entry.coach,
                                    training_id=entry.training_id, classes=entry.classes, **entry.dims)
    if entry.accuracy is not None:
        message.accuracy = entry.accuracy
    if entry.open_set:
        message.open_set.CopyFrom(open_set_message(entry.open_set))
    if entry.created_at is not None:
        message.created_at.FromDatetime(entry.created_at)
    if entry.updated_at is not None:
        message.updated_at.FromDatetime(entry.updated_at)
    return message


_OPEN_SET_NUMBERS = ("true_positive_rate", "false_positive_rate", "threshold", "video_like_accuracy", "accepted_rate")
_OPEN_SET_COUNTS = ("technique_views", "non_technique_views", "technique_sources", "non_technique_sources")


def open_set_message(block: dict) -> scoring_pb2.OpenSetRates:
    """A manifest's "open_set" block (learning.train) as the ModelInfo field GET /models reports."""
    message = scoring_pb2.OpenSetRates(threshold_rule=str(block.get("threshold_rule") or ""),
                                       background_class=str(block.get("background_class") or ""))
    for key in _OPEN_SET_NUMBERS:
        if isinstance(v := block.get(key), (int, float)) and not isinstance(v, bool):
            setattr(message, key, float(v))
    for key in _OPEN_SET_COUNTS:
        if isinstance(v := block.get(key), (int, float)) and not isinstance(v, bool):
            setattr(message, key, int(v))
    return message
