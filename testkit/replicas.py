"""A pose replica's processes (the service and its extraction workers), found by the address it serves, for
the scale-out test and benchmark that kill one while it extracts."""

from __future__ import annotations

import signal

import psutil


class PoseReplica:
    """The processes of the pose service listening on `addr`. The Process objects are kept from call to call:
    psutil measures cpu_percent(None) since the previous call on the same object, and a Process made anew
    reads 0.0 on its first call, so a watcher that looked the workers up again each time never saw them busy."""

    def __init__(self, addr: str) -> None:
        self.addr = addr
        self._known: dict[int, psutil.Process] = {}

    def _service(self) -> psutil.Process | None:
        for proc in psutil.process_iter(["cmdline"]):
            try:
                if "services.pose.main" in " ".join(proc.info["cmdline"] or []) and \
                        proc.environ().get("DOJO_POSE_ADDR") == self.addr:
                    return proc
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return None

    def processes(self) -> list[psutil.Process]:
        """The service and its workers now (empty when it is not running)."""
        service = self._service()
        if service is None:
            return []
        try:
            found = [service, *service.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
        out = []
        for proc in found:
            known = self._known.get(proc.pid)
            if known is None or known != proc:      # Process equality also compares the creation time
                self._known[proc.pid] = known = proc
            out.append(known)
        return out

    def busy_percent(self) -> float:
        """CPU % used by the service and its workers since the previous call (0 on the first)."""
        total = 0.0
        for proc in self.processes():
            try:
                total += proc.cpu_percent(None)
            except psutil.NoSuchProcess:
                continue
        return total

    def kill(self) -> int:
        """SIGKILL the service and its workers at once; how many processes there were."""
        procs = self.processes()
        for proc in procs:
            try:
                proc.send_signal(signal.SIGKILL)
            except psutil.NoSuchProcess:
                continue
        return len(procs)
