"""Training worker process: one job read from stdin, progress as JSON lines on stdout.

Run as `python -m services.scoring.training.worker` by the runner (services.scoring.training.runner).
The first stdin line is the job; the runner keeps stdin open, so EOF means the runner has gone and
the worker stops (its checkpoints let the next runner resume). Modes:
  check: load the data and the checkpoint to resume from, probe the device; one "checked" line.
  train: "dataset", "device", then one "epoch" line per epoch, then "done" (ONNX written to out_dir)
         or "stopped" (SIGTERM / EOF) or "error" (a domain error: bad data, bad checkpoint).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Any

from services.kit import errors
from services.scoring.learning.names import CLASSIFIERS

STOP_GRACE_SECONDS = 10.0  # after a stop request, a worker still busy in an epoch is ended this much later
# Address space of a worker training on the CPU (RLIMIT_AS): torch, the samples of a dataset at its cap
# (services.scoring.learning.dataset.MAX_BYTES) and a model fit in it; a runaway load does not.
MAX_ADDRESS_SPACE = 8 * 2**30
_stop = threading.Event()


def emit(event: str, **body: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **body}) + "\n")
    sys.stdout.flush()


def request_stop(*_: Any) -> None:
    if not _stop.is_set():
        _stop.set()
        # Checkpoints are written atomically, so ending mid-epoch loses at most that epoch.
        timer = threading.Timer(STOP_GRACE_SECONDS, lambda: os._exit(3))
        timer.daemon = True  # a worker that stopped in time exits without waiting for it
        timer.start()


def _watch_stdin() -> None:
    sys.stdin.read()  # returns at EOF: the runner closed the pipe or died
    request_stop()


def _public(text: str, spec: dict[str, Any]) -> str:
    """Error records (JSON text) name folders as the user gave them, never by the server's absolute paths."""
    for path, label in sorted(spec.get("public_paths", {}).items(), key=lambda kv: -len(kv[0])):
        text = text.replace(json.dumps(path)[1:-1], json.dumps(label)[1:-1])  # `text` is JSON
    return text


def resolve_device(requested: str) -> str:
    import torch
    if requested == "cuda" and not torch.cuda.is_available():
        raise errors.InvalidRequest(
            "device 'cuda' was requested but the training worker sees no CUDA GPU: use 'cpu' or 'auto', or run "
            "the scoring service on a machine with a GPU and a CUDA build of torch",
            details={"device": "no CUDA GPU available"})
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


SEED, VAL_FRACTION = 0, 0.25  # TrainConfig's defaults: a resumed run must split the data the same way


def cap_memory() -> tuple[int, int]:
    """Cap the worker's address space (soft RLIMIT_AS), so that a huge dataset ends in a MemoryError that
    is reported rather than in the machine running out of memory. Returns the limits it replaced."""
    import resource
    previous = soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = MAX_ADDRESS_SPACE if hard == resource.RLIM_INFINITY else min(MAX_ADDRESS_SPACE, hard)
    if soft == resource.RLIM_INFINITY or soft > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return previous


def uncap_memory(previous: tuple[int, int]) -> None:
    """Lift the cap again before CUDA starts: its driver reserves address space far beyond any such cap
    (host + GPU memory), and fails to start under one (the soft limit may go back up to the hard one)."""
    import resource
    resource.setrlimit(resource.RLIMIT_AS, previous)


def _dataset(spec: dict[str, Any]):
    from services.scoring.learning.dataset import load_dataset, split_by_source
    samples = load_dataset(Path(spec["data_path"]), min_techniques=2 if spec["model_type"] in CLASSIFIERS else 1,
                           label=str(spec.get("data_label", "")))
    split_by_source(samples, VAL_FRACTION, SEED)  # refuses data with nothing to hold out
    counts = Counter(s.technique for s in samples)
    return samples, {"samples": len(samples), "techniques": dict(sorted(counts.items()))}


def check(spec: dict[str, Any]) -> None:
    """What train() would refuse, found before the job is stored: data, device, checkpoint to resume."""
    previous = cap_memory()
    samples, summary = _dataset(spec)
    if spec.get("device") == "cuda":
        uncap_memory(previous)
        summary["device"] = resolve_device("cuda")
    if spec.get("resume_from"):
        from services.scoring.learning import checkpoint
        payload = checkpoint.load(Path(spec["resume_from"]))
        checkpoint.check_compatible(payload, spec["model_type"], sorted({s.technique for s in samples}),
                                    SEED, VAL_FRACTION)
        summary["resume_epoch"] = int(payload["epoch"])
    emit("checked", **summary)


def train(spec: dict[str, Any]) -> None:
    from services.scoring.learning.train import TrainConfig, train_model
    previous = cap_memory()
    samples, summary = _dataset(spec)
    emit("dataset", **summary)
    if spec["device"] != "cpu":
        uncap_memory(previous)  # "auto" probes CUDA too
    device = resolve_device(spec["device"])
    if device == "cpu":
        cap_memory()  # training on the CPU stays capped; on a GPU its host memory is mostly the samples
    emit("device", device=device)
    config = TrainConfig(model_type=spec["model_type"], epochs=spec["epochs"], batch_size=spec["batch_size"],
                         learning_rate=spec["learning_rate"], device=device,
                         checkpoint_dir=Path(spec["checkpoint_dir"]),
                         resume_from=Path(spec["resume_from"]) if spec.get("resume_from") else None,
                         seed=SEED, val_fraction=VAL_FRACTION)
    model = train_model(config, samples, on_epoch=lambda report: emit("epoch", **asdict(report)),
                        should_stop=_stop.is_set)
    if _stop.is_set():
        emit("stopped")
        sys.exit(3)
    out = Path(spec["out_dir"]) / "model.onnx"
    partial = out.with_suffix(".partial")
    partial.write_bytes(model.onnx)
    partial.replace(out)
    emit("done", onnx=str(out), manifest=model.manifest)


def main() -> int:
    line = sys.stdin.readline()
    try:
        spec = json.loads(line)
    except ValueError:
        print("expected one JSON job line on stdin", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    threading.Thread(target=_watch_stdin, name="stdin-watch", daemon=True).start()
    try:
        (check if spec.get("mode") == "check" else train)(spec)
    except MemoryError:  # past cap_memory(): the data (or the model on it) is too large for one worker
        exc = errors.ValidationFailed(
            f"The training data does not fit in a training worker's memory ({MAX_ADDRESS_SPACE // 2**30} GiB of "
            "address space): train on a smaller folder", details={"data_dir": "too large for memory"})
        emit("error", error=exc.to_dict())
        return 2
    except errors.DomainError as exc:
        emit("error", error=json.loads(_public(json.dumps(exc.to_dict()), spec)))
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
