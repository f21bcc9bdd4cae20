"""Bad live frames and options against the real pose gRPC server: each refused with INVALID_ARGUMENT and a
message naming the fault (decompression bombs from their header, never decoded), the server serving on."""

from __future__ import annotations

import asyncio
import math

import grpc
import numpy as np
import pytest

from kataforge.pose.v1 import pose_pb2
from testkit.bad_videos import png_bomb
from testkit.live_stream import DEADLINE, error_body, frame, jpeg, jpeg_declaring, still_serving

pytestmark = pytest.mark.integration


# ---- (e) bad frames ----------------------------------------------------------------------------------------
def _at(timestamp_ms: float, encoded: bytes) -> pose_pb2.LiveFrame:
    msg = frame(1, encoded=encoded)
    msg.timestamp_ms = timestamp_ms
    return msg


def _bad_frames(good: bytes) -> dict[str, tuple[pose_pb2.LiveFrame, str]]:
    raw = dict(width=64, height=48, format="rgb24")
    return {
        "nan_timestamp": (_at(math.nan, good), "timestamp_ms must be a finite number"),
        "infinite_timestamp": (_at(math.inf, good), "timestamp_ms must be a finite number"),
        "huge_timestamp": (_at(1e300, good), "timestamp_ms must be a finite number"),
        "no_image": (frame(1), "A live frame needs an image"),
        "not_an_image": (frame(1, encoded=b"GIF89a" + bytes(200)), "must be a JPEG or PNG image"),
        "text": (frame(1, encoded=b"hello, this is not a picture\n" * 10), "must be a JPEG or PNG image"),
        "empty_encoded": (frame(1, encoded=b""), "must be a JPEG or PNG image"),
        "damaged_jpeg": (frame(1, encoded=good[:700] + bytes(range(256)) * 40), "could not be decoded"),
        "jpeg_declaring_60000x60000": (frame(1, encoded=jpeg_declaring(good, 60000, 60000)),
                                       "60000x60000 is outside the limit"),
        "raw_wrong_length": (frame(1, raw=pose_pb2.RawImage(**raw, data=bytes(64 * 48 * 3 - 1))),
                             "A 64x48 rgb24 image needs 9216 bytes, got 9215"),
        "raw_gray_sent_as_rgb": (frame(1, raw=pose_pb2.RawImage(**raw, data=bytes(64 * 48))),
                                 "needs 9216 bytes, got 3072"),
        "raw_unknown_format": (frame(1, raw=pose_pb2.RawImage(width=64, height=48, format="yuv420p",
                                                              data=bytes(64 * 48 * 3 // 2))),
                               "Unknown raw image format 'yuv420p'"),
        "raw_too_large": (frame(1, raw=pose_pb2.RawImage(width=100_000, height=100_000, format="gray8",
                                                         data=bytes(16))), "100000x100000 is outside the limit"),
        "raw_zero_size": (frame(1, raw=pose_pb2.RawImage(width=0, height=48, format="gray8")),
                          "0x48 is outside the limit"),
    }


BAD_FRAMES = list(_bad_frames(jpeg(np.zeros((48, 64, 3), np.uint8))))  # names only


@pytest.mark.parametrize("case", BAD_FRAMES)
async def test_bad_frame_is_invalid_argument_and_the_server_keeps_serving(live_server, person, case):
    stub, health = live_server
    bad, expected = _bad_frames(person)[case]
    call = stub.StreamPoses(timeout=DEADLINE)
    await call.write(frame(0, encoded=person))
    assert (await call.read()).detected  # good frames before it are answered
    await call.write(bad)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call.read()
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
    assert expected in caught.value.details()
    body = error_body(caught.value)
    assert body["code"] == "invalid_request" and body["message"] == caught.value.details() and body["details"]
    await still_serving(stub, health, person)


async def test_bad_options_on_the_first_frame(live_server, person):
    stub, health = live_server

    async def frames():
        yield frame(0, encoded=person, smoothing="kalman")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in stub.StreamPoses(frames(), timeout=DEADLINE):
            pass
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "Unknown live smoothing 'kalman'" in caught.value.details()
    await still_serving(stub, health, person)


def _vm_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(field)


def _reset_peak_rss() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux >= 4.0), if allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return True
    except OSError:
        return False


async def test_png_decompression_bomb_is_refused_from_its_header(live_server, person, base_settings):
    """A real 20000x20000 PNG (400 KB, 1.2 GB decoded): refused by its size, and never decoded."""
    stub, health = live_server
    bomb = await asyncio.to_thread(png_bomb)
    assert len(bomb) < 1_000_000
    call = stub.StreamPoses(timeout=DEADLINE)
    await call.write(frame(0, encoded=person))
    assert (await call.read()).sequence == 0
    measured = _reset_peak_rss()  # the server runs in this process: its peak memory is ours
    rss_before = _vm_kb("VmRSS")
    await call.write(frame(1, encoded=bomb))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call.read()
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"20000x20000 is outside the limit of {base_settings.max_video_pixels:,} pixels" in caught.value.details()
    assert error_body(caught.value)["details"] == {"image": "20000x20000"}
    if measured:  # decoding it would have needed 400 MB (grey) to 1.2 GB (RGB)
        assert _vm_kb("VmHWM") - rss_before < 200 * 1024
    await still_serving(stub, health, person)


def test_jpeg_size_is_read_past_fill_bytes_and_standalone_markers(jpegs):
    from services.pose.live import encoded_size

    original = jpegs[0]
    width, height = encoded_size(original)
    assert width == 640 and height > 0
    # 0xFF fill bytes before a marker, and a standalone marker (TEM, 0x01) carrying no length.
    padded = original[:2] + b"\xff\xff\x01" + original[2:]
    assert encoded_size(padded) == (width, height)
