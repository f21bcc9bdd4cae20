"""StreamPoses against the real pose gRPC server: JPEG and raw frames, back-pressure (newest frame wins), the
limit on concurrent streams, silent streams, and clients that cancel mid-stream. Bad frames:
test_pose_live_bad_frames.py."""

from __future__ import annotations

import asyncio
import time

import cv2
import grpc
import numpy as np
import pytest

from kataforge.pose.v1 import pose_pb2, pose_pb2_grpc
from testkit.live_stream import (DEADLINE, error_body, FPS, frame, landmarks, live_frames_counted, live_streams, lockstep,
                                 no_live_streams, serving, start_pose, still_serving)

pytestmark = pytest.mark.integration


# ---- (a) JPEG frames ---------------------------------------------------------------------------------------
async def test_jpeg_frames_give_one_pose_per_frame(live_server, jpegs):
    stub, _ = live_server
    sent = [frame(i, encoded=data) for i, data in enumerate(jpegs[:40])]
    for msg in sent:
        msg.sequence += 1000  # echoed as sent, whatever the client's numbering
    counted = live_frames_counted()
    answers = await lockstep(stub, sent)
    assert [a.sequence for a in answers] == [m.sequence for m in sent]
    # Every frame answered is counted (kataforge_pose_frames_total{mode="live"}; the server runs in this process).
    assert live_frames_counted() == counted + len(sent)
    assert [a.timestamp_ms for a in answers] == pytest.approx([m.timestamp_ms for m in sent])
    detected = [a for a in answers if a.detected]
    assert len(detected) >= 0.8 * len(answers)
    for answer in answers:
        assert answer.processing_ms > 0 and answer.dropped_frames == 0  # lockstep: nothing to drop
        assert answer.people_seen >= int(answer.detected)
        if not answer.detected:
            assert len(answer.landmarks) == 0
    for answer in detected:
        lms = landmarks(answer)
        assert lms.shape == (33, 8) and np.isfinite(lms).all()
        assert (np.abs(lms[:, 3:6]) < 2.0).all()  # world coordinates: metres around the hips
        assert ((lms[:, 6:8] >= 0) & (lms[:, 6:8] <= 1)).all()
        assert answer.people_seen >= 1
    hips = np.array([landmarks(a)[[23, 24], :2].mean(axis=0) for a in detected])
    assert ((hips > 0) & (hips < 1)).all()  # the performer is in the picture
    await no_live_streams(stub)


# ---- (b) raw frames ----------------------------------------------------------------------------------------
async def test_raw_rgb_bgr_and_gray_frames(live_server, portrait):
    stub, _ = live_server
    results = {}
    for fmt in ("rgb24", "bgr24", "gray8"):
        sent = []
        for i, bgr in enumerate(portrait):
            pixels = {"rgb24": cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), "bgr24": bgr,
                      "gray8": cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)}[fmt]
            raw = pose_pb2.RawImage(width=359, height=639, format=fmt, data=np.ascontiguousarray(pixels).tobytes())
            sent.append(frame(i, raw=raw, smoothing="none"))
        # No smoothing and a fresh stream each: the same pictures must give the same landmarks.
        answers = await lockstep(stub, sent)
        assert [a.sequence for a in answers] == [0, 1, 2]
        assert all(a.detected and len(a.landmarks) == 33 and a.people_seen == 1 for a in answers), fmt
        results[fmt] = np.stack([landmarks(a) for a in answers])
        assert np.isfinite(results[fmt]).all()
    assert results["rgb24"] == pytest.approx(results["bgr24"], abs=1e-4)  # same pixels, same answer
    # Grey loses colour only: the pose stays where it was (a few % of the picture; the face moves most).
    moved = np.abs(results["gray8"][..., :2] - results["rgb24"][..., :2])
    assert np.median(moved) < 0.02 and moved.max() < 0.2
    await no_live_streams(stub)


# ---- (c) back-pressure -------------------------------------------------------------------------------------
async def test_frames_sent_faster_than_processed_are_dropped_newest_wins(live_server, jpegs):
    """Two bursts of 30 frames, each written as fast as possible without reading; between them the
    client waits for the first answer only, so the second burst's drops come after it."""
    stub, health = live_server
    call = stub.StreamPoses(timeout=DEADLINE)
    half = len(jpegs) // 2
    for i in range(half):
        await call.write(frame(i, encoded=jpegs[i]))
    answers = [await call.read()]
    for i in range(half, len(jpegs)):
        await call.write(frame(i, encoded=jpegs[i]))
    await call.done_writing()
    while (answer := await call.read()) != grpc.aio.EOF:
        answers.append(answer)
    assert await call.code() == grpc.StatusCode.OK  # ends cleanly once the client closed its side
    sequences = [a.sequence for a in answers]
    dropped = [a.dropped_frames for a in answers]
    assert 0 < len(answers) < len(jpegs)
    assert sequences[0] == 0 and sequences[-1] == len(jpegs) - 1  # the last frame sent is always answered
    assert all(b > a for a, b in zip(sequences, sequences[1:]))  # never an older frame after a newer one
    assert all(b >= a for a, b in zip(dropped, dropped[1:])) and dropped[-1] > dropped[0]
    assert dropped[-1] > 0 and len(answers) + dropped[-1] == len(jpegs)  # each frame answered or dropped
    assert [a.timestamp_ms for a in answers] == pytest.approx([s * 1000.0 / FPS for s in sequences])
    assert await serving(health)
    await no_live_streams(stub)


# ---- (d) concurrent stream limit ---------------------------------------------------------------------------
async def test_concurrent_stream_limit(base_settings, bundle, start_service, jpegs, backend_channel):
    running, channel = await start_pose(base_settings, start_service, backend_channel, max_live_streams=1)
    try:
        stub = pose_pb2_grpc.PoseServiceStub(channel)
        info = await stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=10)
        assert (info.live_streams, info.max_live_streams) == (0, 1)

        first = stub.StreamPoses(timeout=DEADLINE)
        await first.write(frame(0, encoded=jpegs[0]))
        assert (await first.read()).sequence == 0  # the first stream is being served
        assert await live_streams(stub) == 1

        async def one_frame():
            yield frame(0, encoded=jpegs[0])
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in stub.StreamPoses(one_frame(), timeout=DEADLINE):
                pass
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "already serves 1 live streams, its limit" in caught.value.details()
        assert error_body(caught.value)["code"] == "service_unavailable"
        assert error_body(caught.value)["details"] == {"live_streams": "limit 1"}

        for i in (1, 2):  # the first stream is unaffected by the refusal
            await first.write(frame(i, encoded=jpegs[i]))
            assert (await first.read()).sequence == i
        await first.done_writing()
        assert await first.read() == grpc.aio.EOF and await first.code() == grpc.StatusCode.OK
        await no_live_streams(stub)

        answers = await lockstep(stub, [frame(i, encoded=jpegs[i]) for i in range(3)])  # a new one is accepted
        assert [a.sequence for a in answers] == [0, 1, 2]
        await no_live_streams(stub)
    finally:
        await channel.close()
        await running.stop()


async def test_a_silent_stream_is_ended_and_frees_its_slot(base_settings, bundle, start_service, jpegs, backend_channel):
    running, channel = await start_pose(base_settings, start_service, backend_channel, max_live_streams=1, live_idle_seconds=1.0)
    try:
        stub = pose_pb2_grpc.PoseServiceStub(channel)
        idle = stub.StreamPoses(timeout=DEADLINE)
        await idle.write(frame(0, encoded=jpegs[0]))
        assert (await idle.read()).sequence == 0
        # ...then the client sends nothing more and never closes its side.
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await idle.read()
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert "No live frame arrived for 1 s" in caught.value.details()
        await no_live_streams(stub)
        answers = await lockstep(stub, [frame(i, encoded=jpegs[i]) for i in range(2)])  # the slot is free again
        assert [a.sequence for a in answers] == [0, 1]
    finally:
        await channel.close()
        await running.stop()


# ---- (f) cancellation --------------------------------------------------------------------------------------
async def test_client_cancelling_mid_stream_leaves_the_server_healthy(live_server, jpegs, person):
    stub, health = live_server
    call = stub.StreamPoses(timeout=DEADLINE)

    async def keep_sending():
        for i in range(10_000):
            await call.write(frame(i, encoded=jpegs[i % len(jpegs)]))
            await asyncio.sleep(1 / FPS)

    sender = asyncio.create_task(keep_sending())
    try:
        sequences = [(await call.read()).sequence for _ in range(5)]
        assert sequences == sorted(sequences)
        assert await live_streams(stub) == 1
        assert call.cancel()
    finally:
        sender.cancel()
        await asyncio.gather(sender, return_exceptions=True)
    assert await call.code() == grpc.StatusCode.CANCELLED
    await no_live_streams(stub)
    await still_serving(stub, health, person)


async def test_client_deadline_mid_stream_leaves_the_server_healthy(live_server, jpegs, person):
    """The client's deadline passes while frames are still arriving and being processed."""
    stub, health = live_server
    call = stub.StreamPoses(timeout=4.0)  # passes while the model loads or while frames are processed

    async def keep_sending():
        try:
            for i in range(10_000):
                await call.write(frame(i, encoded=jpegs[i % len(jpegs)]))
                await asyncio.sleep(0.01)  # faster than the model: frames are dropped as well
        except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
            pass  # the call ended

    sender = asyncio.create_task(keep_sending())
    started = time.monotonic()
    try:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            while await call.read() != grpc.aio.EOF:
                pass
    finally:
        await asyncio.wait_for(sender, 30)
    # The call ends at the client's deadline. gRPC Python may report it as INTERNAL "Internal error from
    # Core" instead when a write races the deadline on the client (seen once in CI): the client library's
    # own failure, at the same moment; the server's side is what the checks below are about.
    code, ended = caught.value.code(), time.monotonic() - started
    assert code == grpc.StatusCode.DEADLINE_EXCEEDED or (
        code == grpc.StatusCode.INTERNAL and "from Core" in (caught.value.details() or "") and ended > 3.5), code
    await no_live_streams(stub)
    await still_serving(stub, health, person)


async def test_several_streams_at_once(live_server, jpegs):
    """Streams are independent: each gets its own answers, in its own order."""
    stub, _ = live_server

    async def stream(offset: int) -> list[int]:
        frames = [frame(i, encoded=jpegs[(i + offset) % len(jpegs)]) for i in range(8)]
        for msg in frames:
            msg.sequence += offset * 100
        return [a.sequence for a in await lockstep(stub, frames)]
    results = await asyncio.gather(*(stream(k) for k in range(3)))
    assert results == [[k * 100 + i for i in range(8)] for k in range(3)]
    await no_live_streams(stub)
