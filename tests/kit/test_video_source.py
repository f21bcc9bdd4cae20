"""video_url parsing: http(s) URLs pass, other schemes and non-base64 text are refused."""

import base64

import pytest

from services.kit import errors
from services.kit.video_source import parse_video_url


def test_http_and_https_urls_are_passed_on():
    assert parse_video_url("https://example.com/v.mp4", 100).url == "https://example.com/v.mp4"
    assert parse_video_url("http://example.com/v.mp4", 100).url.startswith("http://")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://host/v.mp4", "gopher://host:70/_x", "FILE:///x"])
def test_other_schemes_are_refused(url):
    with pytest.raises(errors.InvalidRequest, match="not allowed"):
        parse_video_url(url, 100)


def test_base64_plain_and_data_uri_decode():
    raw = bytes(range(256)) * 3
    encoded = base64.b64encode(raw).decode()
    assert parse_video_url(encoded, 10_000).data == raw
    assert parse_video_url(f"data:video/mp4;base64,{encoded}", 10_000).data == raw
    assert parse_video_url(base64.urlsafe_b64encode(raw).decode().rstrip("="), 10_000).data == raw


@pytest.mark.parametrize("value", ["technique.mp4", "not base64 at all!", "abc$def"])
def test_neither_url_nor_base64_is_refused(value):
    with pytest.raises(errors.InvalidRequest):
        parse_video_url(value, 10_000)


def test_size_is_checked_before_decoding():
    with pytest.raises(errors.PayloadTooLarge):
        parse_video_url("A" * 4000, 1000)


async def test_inline_data_is_labelled_by_its_size_and_passed_on_in_chunks():
    from services.kit.video_source import CHUNK_BYTES
    raw = bytes(range(256)) * (CHUNK_BYTES // 256) + b"tail"  # one whole chunk and a short one
    source = parse_video_url(base64.b64encode(raw).decode(), 10 * CHUNK_BYTES)
    pieces = [piece async for piece in source.chunks()]
    assert [len(p) for p in pieces] == [CHUNK_BYTES, 4] and b"".join(pieces) == raw
    assert source.label == f"base64 video ({len(raw)} bytes)"
    url = parse_video_url("https://example.com/" + "v" * 300, 100)
    assert url.label == url.url[:200] and [piece async for piece in url.chunks()] == []
