"""Embedded PostgreSQL (the pgserver package) in a data folder under the state directory."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)


def start(state_dir: str | Path):
    """Start (or attach to) the embedded server; returns the pgserver handle, whose `get_uri()` is
    the connection URL. The server stops when the last process holding a handle exits."""
    import pgserver  # optional dependency: only the embedded default needs it

    pgdata = Path(state_dir).resolve() / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    log.info("embedded PostgreSQL ready in %s", pgdata)
    return server
