"""The limits of a public WebSocket (WS /ws/analyze, /ws/live), written once: connections per user, the
size and rate of client messages, idle time. Each breach is told to the client as the spec's error
message, then the socket is closed with the code RFC 6455 gives it (1008 policy, 1009 too big, 1001
going away); the service behind is never reached by what was refused.

Per edge process (in-process counters, as the REST rate limit): a user's sockets spread over several
edge replicas are limited per replica.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from contextlib import asynccontextmanager
from typing import AsyncIterator

from fastapi import WebSocket, WebSocketDisconnect

from services.kit import errors
from services.kit.config import Settings
from services.kit.context import Principal
from services.edge.rate_limit import RateLimiter
from services.edge.ws_handshake import CLOSE_POLICY, error_message

CLOSE_GOING_AWAY, CLOSE_TOO_BIG = 1001, 1009


class Closed(Exception):
    """The client went away, or the socket was closed for a breach (the client was told why)."""


class SocketLimits:
    """One per edge app (app.state.ws_limits)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.open: Counter[str] = Counter()
        self.rate = RateLimiter(settings.ws_messages_per_minute, 60, 0)
        # Live camera frames are messages too, counted by frame rate (a burst of one second allowed).
        self.frame_rate = RateLimiter(int(settings.ws_live_max_fps), 1, int(settings.ws_live_max_fps))

    @asynccontextmanager
    async def session(self, websocket: WebSocket, principal: Principal, *,
                      frames: bool = False) -> AsyncIterator["Session"]:
        """A socket counted against its user while open; Closed (the client told) when over the cap."""
        user, cap = principal.user_id, self.settings.ws_max_connections
        if self.open[user] >= cap:
            await close_with(websocket, errors.RateLimited(
                f"At most {cap} WebSocket connections per user may be open at once; close one first",
                limit=cap, window=0, retry_after=1), CLOSE_POLICY)
            raise Closed()
        self.open[user] += 1
        try:
            yield Session(websocket, self, self.frame_rate if frames else self.rate)
        finally:
            self.open[user] -= 1
            if self.open[user] <= 0:
                del self.open[user]


class Session:
    def __init__(self, websocket: WebSocket, limits: SocketLimits, rate: RateLimiter) -> None:
        self.websocket, self.limits, self.rate = websocket, limits, rate
        self.key = f"ws:{id(websocket)}"
        self.busy = False  # work running for this socket: idle time does not count meanwhile

    async def receive(self) -> str | bytes:
        """The next client message (text or binary) within the limits; Closed when there is none."""
        settings = self.limits.settings
        while True:
            try:
                message = await asyncio.wait_for(self.websocket.receive(), settings.ws_idle_seconds)
            except asyncio.TimeoutError:
                if self.busy:
                    continue
                await close_with(self.websocket, errors.TimeoutFailure(
                    f"No message for {settings.ws_idle_seconds:g} s; the connection was closed"), CLOSE_GOING_AWAY)
                raise Closed() from None
            except (WebSocketDisconnect, RuntimeError):
                raise Closed() from None
            if message["type"] == "websocket.disconnect":
                raise Closed()
            data = message.get("text") if message.get("text") is not None else message.get("bytes") or b""
            if len(data) > settings.ws_max_message_bytes:
                await close_with(self.websocket, errors.PayloadTooLarge(
                    f"A message may hold at most {settings.ws_max_message_bytes} bytes (got {len(data)}); send a "
                    "larger video by URL or through POST /analyze",
                    details={"message": f"at most {settings.ws_max_message_bytes} bytes"}), CLOSE_TOO_BIG)
                raise Closed()
            decision = await self.rate.hit(self.key)
            if not decision.allowed:
                window = self.rate.window_s
                await close_with(self.websocket, errors.RateLimited(
                    f"At most {self.rate.requests} messages per {window} s on one connection",
                    limit=self.rate.requests, window=window, retry_after=decision.reset_s), CLOSE_POLICY)
                raise Closed()
            return data

    async def send(self, message: dict) -> None:
        try:
            await self.websocket.send_json(message)
        except (WebSocketDisconnect, RuntimeError):
            raise Closed() from None


async def close_with(websocket: WebSocket, error: errors.DomainError, code: int) -> None:
    try:
        await websocket.send_json(error_message(error))
        await websocket.close(code=code)
    except (WebSocketDisconnect, RuntimeError):
        pass  # already gone
