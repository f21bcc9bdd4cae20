"""estimated_completion: from measured epoch times, absent before the first epoch and once the job has ended."""

from datetime import datetime, timedelta, timezone

from services.scoring.training.jobs import estimate
from services.scoring.training.store import Job

T0 = datetime(2026, 1, 28, 12, 0, tzinfo=timezone.utc)


def job(**changes) -> Job:
    base = dict(id="train_x", owner_id="u", coach="c", model_type="graphsage", data_dir="d", epochs=100,
                batch_size=16, learning_rate=0.001, device="cpu", checkpoint_dir="train_x", resume_from="",
                status="in_progress", progress=None, epoch_seconds=0.0, epochs_timed=0, progress_at=None, attempts=1,
                error="", model_version=None, created_at=T0, started_at=T0, finished_at=None)
    base.update(changes)
    return Job(**base)


def test_no_estimate_before_an_epoch_was_measured():
    assert estimate(job()) is None


def test_remaining_epochs_times_the_mean_epoch_time():
    # 45 epochs timed at 80 s on average, the last ended at 13:00: 55 more take 4400 s.
    at = T0 + timedelta(hours=1)
    running = job(progress={"current_epoch": 45}, epoch_seconds=45 * 80.0, epochs_timed=45, progress_at=at)
    assert estimate(running) == at + timedelta(seconds=55 * 80.0)


def test_resumed_jobs_count_every_measured_epoch():
    # A resumed job has 10 epochs timed (4 before a restart, 6 after) and 90 to go.
    at = T0 + timedelta(minutes=20)
    resumed = job(progress={"current_epoch": 10}, epoch_seconds=10 * 120.0, epochs_timed=10, progress_at=at, attempts=2)
    assert estimate(resumed) == at + timedelta(seconds=90 * 120.0)


def test_no_estimate_once_ended():
    for status in ("completed", "failed", "cancelled"):
        assert estimate(job(status=status, progress={"current_epoch": 3}, epoch_seconds=3.0, epochs_timed=3,
                            progress_at=T0)) is None
