"""with_progress (services/kit/progress_stream.py): items in order, then the result; a consumer that leaves
cancels the work and leaves no task behind."""

import asyncio

import pytest

from services.kit.progress_stream import with_progress


async def test_items_come_in_order_then_the_result():
    async def run(report):
        for i in range(3):
            report(i)
            await asyncio.sleep(0)
        return "done"

    assert [x async for x in with_progress(run)] == [(False, 0), (False, 1), (False, 2), (True, "done")]


async def test_the_work_error_comes_after_what_it_reported():
    async def run(report):
        report("started")
        await asyncio.sleep(0)
        raise ValueError("bad video")

    seen = []
    with pytest.raises(ValueError, match="bad video"):
        async for item in with_progress(run):
            seen.append(item)
    assert seen == [(False, "started")]


async def test_a_consumer_that_leaves_cancels_the_work_and_leaves_no_pending_task():
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def run(report):
        report("first")
        started.set()
        try:
            await asyncio.sleep(60)  # the long extraction the client stops waiting for
        except asyncio.CancelledError:
            cancelled.set()
            raise

    before = set(asyncio.all_tasks())
    stream = with_progress(run)
    assert await stream.__anext__() == (False, "first")
    waiting = asyncio.ensure_future(stream.__anext__())  # now waiting for the next item
    await started.wait()
    await asyncio.sleep(0.01)
    waiting.cancel()  # the client went away mid-wait
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await stream.aclose()
    await asyncio.sleep(0.01)
    assert cancelled.is_set()
    # Only this stream's own tasks: the suite's other services share this event loop.
    left = [t for t in asyncio.all_tasks() - before
            if not t.done() and t.get_coro().__qualname__ in ("Queue.get", run.__qualname__)]
    assert not left, left
