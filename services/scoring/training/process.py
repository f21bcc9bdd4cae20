"""Starting training worker processes and reading their JSON-line records."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any, AsyncIterator

from services.kit import errors

WORKER_MODULE = "services.scoring.training.worker"
MAX_LINE = 16 * 1024 * 1024  # a "done" line carries the manifest; nothing legitimate is near this
STDERR_TAIL = 4000
CHECK_TIMEOUT_SECONDS = 300.0  # loading a large dataset folder takes a while; a hang must not hold a request
TERMINATE_WAIT_SECONDS = 15.0  # the worker's own grace (10 s) plus margin
CHECK_SLOTS = 2  # submission checks running at once in this process
log = logging.getLogger("kataforge.training")


def worker_env(concurrency: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOJO_")}  # the worker needs no settings
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH", "")]))
    # Concurrent workers share the cores instead of each starting one thread per core.
    threads = str(max(1, (os.cpu_count() or 1) // max(1, concurrency)))
    env.update(PYTHONDONTWRITEBYTECODE="1", OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    return env


class TrainingWorker:
    """One worker: spawned with its job on stdin (kept open as a liveness pipe), records on stdout."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.stderr_tail = b""
        self._stderr_task = asyncio.create_task(self._drain_stderr())

    @classmethod
    async def spawn(cls, spec: dict[str, Any], concurrency: int = 1) -> "TrainingWorker":
        proc = await asyncio.create_subprocess_exec(
            # -P: the worker's code comes from our package path, never from the current directory.
            sys.executable, "-P", "-m", WORKER_MODULE, stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=worker_env(concurrency),
            limit=MAX_LINE, start_new_session=True)
        assert proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(spec).encode() + b"\n")
            await proc.stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass  # it died at once: its exit status and stderr say why
        return cls(proc)

    async def _drain_stderr(self) -> None:
        assert self.proc.stderr is not None
        while chunk := await self.proc.stderr.read(65536):
            self.stderr_tail = (self.stderr_tail + chunk)[-STDERR_TAIL:]

    async def records(self) -> AsyncIterator[dict[str, Any]]:
        assert self.proc.stdout is not None
        while True:
            try:
                line = await self.proc.stdout.readline()
            except ValueError:  # longer than MAX_LINE: not our protocol
                raise errors.ModelError("The training worker wrote an oversized record") from None
            if not line:
                return
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a library printing to stdout; records are whole JSON lines
            if isinstance(record, dict) and "event" in record:
                yield record

    async def wait(self) -> int:
        rc = await self.proc.wait()
        await self._stderr_task
        return rc

    def stop(self) -> None:
        """SIGTERM now (the worker stops between batches, or ends itself after its grace), SIGKILL later
        if it is still there. Returns at once: whoever reads its records sees it end."""
        if self.proc.returncode is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except (ProcessLookupError, PermissionError):
            return
        asyncio.get_running_loop().call_later(TERMINATE_WAIT_SECONDS, self.kill)

    def kill(self) -> None:
        if self.proc.returncode is not None:  # its pid (group) may belong to another process by now
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def failure_reason(self, rc: int, what: str) -> str:
        """Why the worker ended, for the user; its stderr goes to the server's log only (it names this
        server's files and may hold anything a library printed)."""
        how = f"was killed by signal {signal.Signals(-rc).name}" if rc < 0 else f"exited with code {rc}"
        tail = self.stderr_tail.decode(errors="replace").strip()
        log.warning("%s: the training worker %s; its stderr ends with:\n%s", what, how, tail or "(nothing)")
        return f"The training worker {how} (the server's log says why)"


def domain_error(body: dict[str, Any]) -> errors.DomainError:
    """The worker's error record back as the same error class (constructors bypassed: NotFound's differs)."""
    cls = errors.BY_CODE.get(body.get("code"), errors.DomainError)
    error = cls.__new__(cls)
    errors.DomainError.__init__(error, str(body.get("message", "")), details=body.get("details"))
    error.extra = {k: v for k, v in body.items() if k not in ("code", "message", "details")}
    return error


class WorkerChecker:
    """The submission check (data, checkpoint, device) run in a worker process, off the event loop.

    At most `slots` at once: each is a process loading a whole dataset, and every submission starts
    one; later submissions wait their turn (within the same time limit)."""

    def __init__(self, slots: int = CHECK_SLOTS) -> None:
        self._slots = asyncio.Semaphore(slots)

    async def check(self, spec: dict[str, Any]) -> dict[str, Any]:
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), self._slots:
                return await self._check(spec)
        except TimeoutError:
            raise errors.TimeoutFailure("Checking the training data took too long") from None

    async def _check(self, spec: dict[str, Any]) -> dict[str, Any]:
        worker = await TrainingWorker.spawn(spec)
        try:
            async for record in worker.records():
                if record["event"] == "checked":
                    return record
                if record["event"] == "error":
                    raise domain_error(record.get("error") or {})
            rc = await worker.wait()
        finally:
            worker.kill()
            await asyncio.shield(worker.wait())
        reason = worker.failure_reason(rc, "training data check")
        raise errors.Unavailable(f"Checking the training data failed on the server. {reason}")
