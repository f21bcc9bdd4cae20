"""Python SDK for the KataForge public API (API key or bearer token): `KataForgeClient` (blocking) and
`AsyncKataForgeClient` (asyncio), with the same methods.

Every call is written once, in `client_calls.ApiCalls`, as the request it makes (a `Call`: method, path, body, and what
to keep of the answer); the two clients differ only in how they send it (httpx.Client or AsyncClient)
and in the calls that wait (a batch's end, a WebSocket's progress), which each writes in its own style.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from pathlib import Path
from typing import Any, Callable

import httpx

from kataforge.client_calls import ApiCalls, Call, clean

__all__ = ["AsyncKataForgeClient", "KataForgeClient", "KataForgeError"]


class KataForgeError(Exception):
    """An error answered by the API, with the spec's error envelope."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.status = status
        self.code = error.get("code", "unknown")
        self.message = error.get("message", str(body))
        self.details = error.get("details", {})
        self.body = body
        super().__init__(f"{status} {self.code}: {self.message}")


def _body(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = {"error": {"code": "invalid_response", "message": response.text[:200]}}
    if response.status_code >= 400:
        raise KataForgeError(response.status_code, body)
    return body


def _ws_url(base_url: str, path: str) -> str:
    return base_url.rstrip("/").replace("https://", "wss://", 1).replace("http://", "ws://", 1) + path


def _video_field(video: str | os.PathLike) -> str:
    """video_url for a WebSocket analysis: a URL or base64 as given, a local file as base64."""
    if isinstance(video, os.PathLike) or os.path.isfile(str(video)):
        with open(video, "rb") as handle:
            return base64.b64encode(handle.read()).decode()
    return str(video)


def _analysis_outcome(message: dict[str, Any], on_message: Callable[[dict[str, Any]], None] | None) -> bool:
    """Pass a /ws/analyze message on; True at the last one (complete); KataForgeError for an error."""
    if on_message is not None:
        on_message(message)
    if message["type"] == "error":
        raise KataForgeError(0, message)
    return message["type"] == "complete"


class KataForgeClient(ApiCalls):
    def __init__(self, base_url: str = "http://localhost:8000", api_key: str | None = None,
                 token: str | None = None, timeout: float = 600.0) -> None:
        super().__init__(base_url, api_key, token)
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "KataForgeClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _send(self, call: Call) -> Any:
        response = self._http.request(call.method, call.path, headers={**self._headers(), **call.headers},
                                      **call.httpx_options())
        return call.then(self, _body(response))

    def analyze_file(self, path: str | os.PathLike, coach: str, technique: str | None = None,
                     verbose: bool = False) -> dict[str, Any]:
        """Upload a local video file (multipart) and analyse it."""
        with open(path, "rb") as handle:
            return self._send(self._upload_call(path, handle.read(), coach, technique, verbose))

    def wait_for_batch(self, batch_id: str, poll_s: float = 1.0, timeout_s: float = 3600.0,
                       on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """Poll a durable batch until it ends (each status passed to on_progress); its results."""
        deadline = time.monotonic() + timeout_s
        while True:
            status = self.batch_status(batch_id)
            if on_progress is not None:
                on_progress(status)
            if status.get("finished_at"):
                return self.batch_results(batch_id)
            if time.monotonic() > deadline:
                raise TimeoutError(f"batch {batch_id} still {status['status']} after {timeout_s:.0f} s")
            time.sleep(poll_s)

    def analyze_with_progress(self, video: str | os.PathLike, coach: str, technique: str | None = None,
                              on_message: Callable[[dict[str, Any]], None] | None = None,
                              **options: Any) -> dict[str, Any]:
        """Analyse through WS /ws/analyze: every message (status with its progress, biomechanics, score,
        corrections) is passed to on_message as it arrives; the stored analysis is returned."""
        from websockets.sync.client import connect
        start = {"action": "start_analysis", "video_url": _video_field(video), "coach": coach,
                 **clean({"technique": technique, **options})}
        with connect(_ws_url(self.base_url, "/ws/analyze"), additional_headers=self._headers(),
                     max_size=None, open_timeout=30) as socket:
            socket.send(json.dumps(start))
            while not _analysis_outcome(message := json.loads(socket.recv()), on_message):
                pass
        return self.get_analysis(message["data"]["analysis_id"])


class AsyncKataForgeClient(ApiCalls):
    """The same calls as KataForgeClient, each a coroutine."""

    def __init__(self, base_url: str = "http://localhost:8000", api_key: str | None = None,
                 token: str | None = None, timeout: float = 600.0) -> None:
        super().__init__(base_url, api_key, token)
        self._http = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> "AsyncKataForgeClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def _send(self, call: Call) -> Any:
        response = await self._http.request(call.method, call.path, headers={**self._headers(), **call.headers},
                                            **call.httpx_options())
        return call.then(self, _body(response))

    async def analyze_file(self, path: str | os.PathLike, coach: str, technique: str | None = None,
                           verbose: bool = False) -> dict[str, Any]:
        data = await asyncio.to_thread(Path(path).read_bytes)
        return await self._send(self._upload_call(path, data, coach, technique, verbose))

    async def wait_for_batch(self, batch_id: str, poll_s: float = 1.0, timeout_s: float = 3600.0,
                             on_progress: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        while True:
            status = await self.batch_status(batch_id)
            if on_progress is not None:
                on_progress(status)
            if status.get("finished_at"):
                return await self.batch_results(batch_id)
            if time.monotonic() > deadline:
                raise TimeoutError(f"batch {batch_id} still {status['status']} after {timeout_s:.0f} s")
            await asyncio.sleep(poll_s)

    async def analyze_with_progress(self, video: str | os.PathLike, coach: str, technique: str | None = None,
                                    on_message: Callable[[dict[str, Any]], None] | None = None,
                                    **options: Any) -> dict[str, Any]:
        from websockets.asyncio.client import connect
        start = {"action": "start_analysis", "video_url": await asyncio.to_thread(_video_field, video),
                 "coach": coach, **clean({"technique": technique, **options})}
        async with connect(_ws_url(self.base_url, "/ws/analyze"), additional_headers=self._headers(),
                           max_size=None, open_timeout=30) as socket:
            await socket.send(json.dumps(start))
            while not _analysis_outcome(message := json.loads(await socket.recv()), on_message):
                pass
        return await self.get_analysis(message["data"]["analysis_id"])
