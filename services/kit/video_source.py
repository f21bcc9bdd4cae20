"""Parse a `video_url` field: an http(s) URL, or base64 video data (plain or a data: URI)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import AsyncIterator

from services.kit import errors

_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_BASE64_CHARS = re.compile(rb"^[A-Za-z0-9+/_-]*={0,2}$")
# One piece of a video as it is passed between services: a gRPC message stays well under the 4 MiB default
# limit, and a slow sender holds at most this much in memory.
CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class VideoSource:
    url: str = ""  # an http(s) URL to fetch (SSRF rules are applied by the pose service)
    data: bytes = b""  # decoded bytes of inline base64 data

    @property
    def label(self) -> str:
        """How the video is named in records and logs (never the data itself)."""
        return self.url[:200] if self.url else f"base64 video ({len(self.data)} bytes)"

    async def chunks(self) -> AsyncIterator[bytes]:
        """The inline data in pieces of CHUNK_BYTES, as an upload stream carries them."""
        for start in range(0, len(self.data), CHUNK_BYTES):
            yield self.data[start:start + CHUNK_BYTES]


def parse_video_url(value: str, max_bytes: int) -> VideoSource:
    """Classify and, for base64, decode with the size checked before decoding the whole body."""
    value = (value or "").strip()
    if not value:
        raise errors.InvalidRequest("video_url is empty", details={"video_url": "This field is required"})
    scheme_match = _SCHEME.match(value)
    if value.startswith("data:"):
        header, _, payload = value.partition(",")
        if ";base64" not in header:
            raise errors.InvalidRequest("A data: URI in video_url must be base64-encoded",
                                        details={"video_url": "expected data:video/...;base64,..."})
        return VideoSource(data=_decode(payload, max_bytes))
    if scheme_match and "://" in value:
        scheme = scheme_match.group(1).lower()
        if scheme not in ("http", "https"):
            raise errors.InvalidRequest(
                f"video_url scheme '{scheme}' is not allowed; use an http(s) URL or base64 video data",
                details={"video_url": f"scheme '{scheme}' is not allowed"})
        return VideoSource(url=value)
    return VideoSource(data=_decode(value, max_bytes))


def _decode(payload: str, max_bytes: int) -> bytes:
    compact = "".join(payload.split()).encode("ascii", "replace")
    # 4 base64 characters carry 3 bytes: refuse an oversized body before decoding it.
    if len(compact) * 3 // 4 > max_bytes:
        raise errors.PayloadTooLarge(
            f"The video is larger than the {max_bytes // (1024 * 1024)} MiB limit",
            details={"video_url": f"decoded size would exceed {max_bytes} bytes"})
    if not compact or not _BASE64_CHARS.match(compact):
        raise errors.InvalidRequest(
            "video_url is neither an http(s) URL nor valid base64 video data",
            details={"video_url": "expected an http(s) URL or base64 data"})
    try:
        altchars = b"-_" if (b"-" in compact or b"_" in compact) else None
        padded = compact + b"=" * (-len(compact) % 4)
        data = base64.b64decode(padded, altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidRequest("video_url is not valid base64 data",
                                    details={"video_url": "invalid base64 encoding"}) from None
    if not data:
        raise errors.InvalidRequest("The video is empty", details={"video_url": "decoded to zero bytes"})
    return data
