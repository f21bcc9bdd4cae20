"""A server-streaming RPC that reports a long call's progress: run the work, yield what it reports as it
reports it, then its result. Written once for the pose service's extraction and the scoring service's
analysis (ExtractPosesWithProgress, AnalyzeWithProgress)."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Awaitable, Callable, TypeVar

T = TypeVar("T")
Report = Callable[[Any], None]


async def with_progress(run: Callable[[Report], Awaitable[T]]) -> AsyncIterator[tuple[bool, Any]]:
    """Run `run(report)`; yield (False, item) for every item it reports, in order, then (True, its result).
    `report` may be called from any thread (an extraction reports from its worker thread). The work's
    error is raised after the items reported before it; when the consumer stops (the client went away),
    the work is cancelled."""
    loop, items = asyncio.get_running_loop(), asyncio.Queue()

    def report(item: Any) -> None:
        loop.call_soon_threadsafe(items.put_nowait, item)

    work = asyncio.ensure_future(run(report))
    waiting: asyncio.Future | None = None
    try:
        while not work.done() or not items.empty():
            waiting = asyncio.ensure_future(items.get())
            await asyncio.wait({work, waiting}, return_when=asyncio.FIRST_COMPLETED)
            if waiting.done():
                yield False, waiting.result()
            else:
                waiting.cancel()
                await asyncio.sleep(0)  # let reports scheduled by a finishing thread land
        result = work.result()
    finally:
        work.cancel()
        if waiting is not None and not waiting.done():
            waiting.cancel()  # the consumer left mid-wait: no getter left pending ("Task was destroyed")
    yield True, result
