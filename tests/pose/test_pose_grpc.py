"""The real pose gRPC server: streamed uploads, GetInfo, bad input, limits, responsiveness, cleanup."""

from __future__ import annotations

import asyncio
import json
import tempfile
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kataforge.pose.v1 import pose_pb2, pose_pb2_grpc
from services.kit import errors
from services.kit.config import replace
from services.kit.grpc_errors import ERROR_TRAILER
from services.kit.paths import VIDEOS
from services.pose.main import build
from services.pose.video import TEMP_PREFIX
from testkit.bad_videos import BAD_UPLOADS
from testkit.loopback import free_port

pytestmark = pytest.mark.integration
CHUNK = 256 * 1024


def _temp_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"))


@pytest.fixture(scope="module")
async def pose_server(base_settings, bundle, start_service, backend_channel):
    before = _temp_dirs()
    running = await start_service(build(base_settings), base_settings)
    channel = backend_channel(base_settings.pose_addr, "pose")
    yield pose_pb2_grpc.PoseServiceStub(channel), health_pb2_grpc.HealthStub(channel)
    await channel.close()
    await running.stop()
    assert _temp_dirs() - before == set(), "the pose service left temporary files behind"


def _upload(data: bytes, *, stride: int = 0, first=None):
    async def messages():
        yield first or pose_pb2.ExtractPosesChunk(header=pose_pb2.VideoHeader(filename="clip.mp4", frame_stride=stride))
        for start in range(0, len(data), CHUNK):
            yield pose_pb2.ExtractPosesChunk(data=data[start:start + CHUNK])
    return messages()


async def _serving(health) -> bool:
    reply = await health.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
    return reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_get_info(pose_server):
    stub, _ = pose_server
    info = await stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=5)
    assert (info.model, info.model_loaded, info.delegate, info.gpu_available) == ("blazepose_full", True, "cpu", False)


async def test_get_info_reports_live_stream_capacity(pose_server, base_settings):
    stub, _ = pose_server
    info = await stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=5)
    assert (info.live_streams, info.max_live_streams) == (0, base_settings.max_live_streams)


async def test_streamed_video_gives_poses_while_health_keeps_answering(pose_server):
    stub, health = pose_server
    data = (VIDEOS / "pose2sim-balancing-cam04.mp4").read_bytes()
    call = asyncio.ensure_future(stub.ExtractPoses(_upload(data), timeout=120))
    answered = 0
    while not call.done():
        assert await _serving(health)  # the event loop is free while inference runs
        answered += 1
        await asyncio.sleep(0.2)
    seq = await call
    assert answered >= 3
    assert (seq.fps, seq.width, seq.height, seq.frame_count, seq.model) == (60.0, 1088, 1920, 100, "blazepose_full")
    assert len(seq.frames) == 100 and sum(f.detected for f in seq.frames) >= 90
    assert all(len(f.landmarks) == 33 for f in seq.frames if f.detected)
    ts = [f.timestamp_ms for f in seq.frames]
    assert all(b > a for a, b in zip(ts, ts[1:])) and ts[-1] == pytest.approx(99 * 1000 / 60, abs=0.5)
    hip = seq.frames[50].landmarks[23]
    assert 0 < hip.x < 1 and 0 < hip.y < 1 and 0 <= hip.visibility <= 1 and abs(hip.wx) < 0.5


async def test_frame_stride_over_grpc(pose_server):
    stub, _ = pose_server
    data = (VIDEOS / "pose2sim-balancing-cam01.mp4").read_bytes()
    seq = await stub.ExtractPoses(_upload(data, stride=25), timeout=60)
    assert [f.index for f in seq.frames] == [0, 25, 50, 75] and seq.frame_count == 100


async def test_abandoned_call_is_cleaned_up(pose_server):
    stub, health = pose_server
    before = _temp_dirs()
    data = (VIDEOS / "sports2d-demo.mp4").read_bytes()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ExtractPoses(_upload(data), timeout=1.5)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    for _ in range(40):  # the handler is cancelled on the server a moment after the client gives up
        if not _temp_dirs() - before:
            break
        await asyncio.sleep(0.05)
    assert not _temp_dirs() - before
    assert await _serving(health)


def _error(exc: grpc.aio.AioRpcError) -> dict:
    return json.loads(dict(exc.trailing_metadata())[ERROR_TRAILER])


@pytest.mark.parametrize("case", ["empty", "text", "png", "truncated-index-at-end", "truncated-index-at-start"])
async def test_bad_uploads_are_invalid_argument_and_the_server_keeps_serving(pose_server, case):
    stub, health = pose_server
    data, message = BAD_UPLOADS[case]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ExtractPoses(_upload(data), timeout=30)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert message in caught.value.details()
    assert _error(caught.value)["code"] == "invalid_request"
    assert await _serving(health)
    assert (await stub.GetInfo(pose_pb2.GetInfoRequest(), timeout=5)).model_loaded


async def test_first_message_must_be_a_header(pose_server):
    stub, health = pose_server
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ExtractPoses(_upload(b"abc", first=pose_pb2.ExtractPosesChunk(data=b"\0\0\0\x18ftyp")), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "must be a header" in caught.value.details()

    async def nothing():
        return
        yield  # an empty request stream
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ExtractPoses(nothing(), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "no messages" in caught.value.details()
    assert await _serving(health)


async def test_malformed_upload_streams_are_refused(pose_server):
    stub, health = pose_server
    data = (VIDEOS / "pose2sim-balancing-cam01.mp4").read_bytes()
    header = pose_pb2.ExtractPosesChunk(header=pose_pb2.VideoHeader(filename="clip.mp4"))

    async def two_headers():
        yield header
        yield pose_pb2.ExtractPosesChunk(data=data[:CHUNK])
        yield header
    cases = [(two_headers(), "Only the first message of ExtractPoses may be a header"),
             (_upload(data, stride=1001), "frame_stride must be between 1 and 1000"),
             (_upload(data, first=pose_pb2.ExtractPosesChunk(header=pose_pb2.VideoHeader(
                 source_url="https://example.com/v.mp4"))), "Send either source_url or data chunks, not both")]
    before = _temp_dirs()
    for messages, expected in cases:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.ExtractPoses(messages, timeout=30)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, expected
        assert expected in caught.value.details() and _error(caught.value)["code"] == "invalid_request"
    assert not _temp_dirs() - before
    assert await _serving(health)


@pytest.mark.parametrize("url, reason", [("http://127.0.0.1:9/v.mp4", "loopback"),
                                         ("http://169.254.169.254/latest/meta-data", "link-local"),
                                         ("file:///etc/passwd", "only http and https")])
async def test_source_url_is_checked(pose_server, url, reason):
    stub, _ = pose_server
    header = pose_pb2.ExtractPosesChunk(header=pose_pb2.VideoHeader(source_url=url))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.ExtractPoses(_upload(b"", first=header), timeout=10)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT and reason in caught.value.details()


async def test_upload_over_the_size_limit_is_refused(base_settings, bundle, start_service, backend_channel):
    settings = replace(base_settings, max_request_size=1024 * 1024, pose_addr=f"127.0.0.1:{free_port()}")
    running = await start_service(build(settings), settings)
    try:
        async with backend_channel(settings.pose_addr, "pose") as channel:
            stub = pose_pb2_grpc.PoseServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.ExtractPoses(_upload((VIDEOS / "sports2d-demo.mp4").read_bytes()), timeout=30)
            assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "1 MiB limit" in caught.value.details()
    finally:
        await running.stop()


async def test_missing_bundle_fails_start_with_make_model_hint(base_settings, start_service, tmp_path):
    settings = replace(base_settings, model_dir=str(tmp_path), pose_addr=f"127.0.0.1:{free_port()}")
    with pytest.raises(errors.ModelError, match="make model"):
        await start_service(build(settings), settings)




async def test_asking_for_a_gpu_that_is_not_usable_fails_the_start(base_settings, bundle):
    """DOJO_POSE_DELEGATE=gpu on a machine where MediaPipe's GPU delegate cannot run (CI has no GPU):
    the service refuses to become ready instead of silently running on the CPU."""
    from services.pose.landmarker import gpu_usable
    from services.pose.servicer import PoseServicer

    if await asyncio.to_thread(gpu_usable, bundle):
        pytest.skip("a usable GPU is present here")
    servicer = PoseServicer(replace(base_settings, pose_delegate="gpu"), bundle)
    with pytest.raises(errors.ModelError, match="DOJO_POSE_DELEGATE=gpu"):
        await servicer.warm_up()
    assert not PoseServicer.pool.is_set(servicer) and not servicer.model_loaded
    with pytest.raises(errors.Unavailable, match="loading its model"):
        servicer.pool  # an extraction now would be told to retry
