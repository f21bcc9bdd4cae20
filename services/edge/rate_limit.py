"""Rate limiting of the public API as the spec states it, on the `limits` library.

Spec ("Rate Limiting"): 100 requests per 60 s (DOJO_RATE_LIMIT_REQUESTS, DOJO_RATE_LIMIT_WINDOW) with a
burst allowance of 20 requests above that rate (DOJO_RATE_LIMIT_BURST). Read as: within any window a
caller may make `requests + burst` calls; X-RateLimit-Limit states the normal rate (100) and
X-RateLimit-Remaining what is left of it (0 once the caller is into the burst allowance), and the
call after the allowance is a 429 with the spec's body (limit, window, retry_after) and Retry-After.
Moving window (limits.aio.strategies.MovingWindowRateLimiter): the exact count over the last `window`
seconds, so a caller cannot double its rate across a fixed window's edge.

Counted per verified caller (user or API key: the principal's user id), else per client address; a
request with credentials that do not verify counts against its address, so made-up keys do not buy
fresh budgets. Health and metrics are not counted: probes and scrapers call them from one address.

Where the counts live: in the process by default; in Redis when DOJO_REDIS_URL is set, so that every edge
process behind a load balancer draws on one budget per caller (limits' RedisStorage on redis-py; the
moving window is a Lua script, atomic across processes). When Redis cannot be reached the edge keeps
serving: it counts in process memory (each process then allows the full rate, so the cluster-wide limit
is the rate times the number of processes), logs it once, tries Redis again every RETRY_S seconds, and
/system/health says so (`SharedCounts.state`). Failing closed would turn a cache outage into an API outage.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.kit import errors
from services.kit.config import Settings
from services.edge.errors import envelope

log = logging.getLogger("kataforge.edge")
UNCOUNTED = ("/system/health", "/v1/system/health", "/metrics", "/v1/metrics")
# The web page's static files: one page load fetches about ten of them, which must not eat the API budget.
UNCOUNTED_PREFIX = "/app"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int         # the normal rate, requests per window (X-RateLimit-Limit)
    remaining: int     # of the normal rate (X-RateLimit-Remaining)
    reset_s: int       # seconds until the oldest counted request leaves the window (X-RateLimit-Reset)

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"x-ratelimit-limit", str(self.limit).encode()),
                (b"x-ratelimit-remaining", str(self.remaining).encode()),
                (b"x-ratelimit-reset", str(self.reset_s).encode())]


class SharedCounts:
    """The counts in Redis while it answers, else in this process (see the module docstring)."""

    RETRY_S = 5.0      # after a failure, Redis is tried again no sooner than this
    TIMEOUT_S = 0.25   # per Redis command: a slow Redis must not add more than this to a request

    def __init__(self, redis_url: str = "") -> None:
        self.local = MovingWindowRateLimiter(MemoryStorage())
        self._redis = (RedisStorage("async+" + redis_url, implementation="redispy", wrap_exceptions=True,
                                    socket_timeout=self.TIMEOUT_S, socket_connect_timeout=self.TIMEOUT_S)
                       if redis_url else None)
        self.shared = MovingWindowRateLimiter(self._redis) if self._redis else None
        self._retry_at = 0.0
        self.failure = ""  # why the counts are in process memory although Redis is configured

    def current(self) -> MovingWindowRateLimiter:
        return self.shared if self.shared and time.monotonic() >= self._retry_at else self.local

    def failed(self, exc: Exception) -> None:
        if not self.failure:
            log.warning("Redis unreachable (%s): rate limits are counted per edge process until it answers",
                        exc)
        self.failure = str(exc) or type(exc).__name__
        self._retry_at = time.monotonic() + self.RETRY_S

    def answered(self) -> None:
        if self.failure:
            log.info("Redis answers again: rate limits are shared by every edge process")
        self.failure = ""

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.bridge.get_connection().aclose()  # the redis-py client and its pool

    async def state(self) -> str:
        """'not_configured', 'healthy' (Redis answers a PING now) or 'unavailable'."""
        if self._redis is None:
            return "not_configured"
        try:
            alive = await asyncio.wait_for(self._redis.check(), self.TIMEOUT_S * 4)
        except asyncio.TimeoutError:
            alive = False
        if alive:
            self._retry_at = 0.0  # use it again from the next request
            return "healthy"
        self.failure = self.failure or "no answer to PING"
        return "unavailable"


class RateLimiter:
    def __init__(self, requests: int, window_s: int, burst: int, redis_url: str = "") -> None:
        self.requests, self.window_s, self.burst = requests, window_s, burst
        self._item = RateLimitItemPerSecond(requests + burst, window_s)
        self.counts = SharedCounts(redis_url)

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(settings.rate_limit_requests, settings.rate_limit_window, settings.rate_limit_burst,
                   settings.redis_url)

    async def hit(self, key: str) -> Decision:
        limiter = self.counts.current()
        if limiter is self.counts.shared:
            try:
                decision = await self._hit(limiter, key)
            except (StorageError, asyncio.TimeoutError) as exc:
                self.counts.failed(exc)
            else:
                self.counts.answered()
                return decision
        return await self._hit(self.counts.local, key)

    async def _hit(self, limiter: MovingWindowRateLimiter, key: str) -> Decision:
        allowed = await limiter.hit(self._item, key)
        stats = await limiter.get_window_stats(self._item, key)
        used = self._item.amount - stats.remaining
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        return Decision(allowed=allowed, limit=self.requests, remaining=max(0, self.requests - used), reset_s=reset)


async def caller_key(scope: Scope) -> str:
    """'principal:<user id>' for a caller whose credentials verify, else 'address:<client host>'. The
    verified principal is kept on the request state, so the route's authentication reuses it."""
    request = Request(scope)
    try:
        principal = await request.app.state.authenticator.authenticate(request)
    except errors.DomainError:
        principal = None  # bad credentials: the route answers 401; counted by address meanwhile
    if principal is not None:
        return f"principal:{principal.user_id}"
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


class RateLimitMiddleware:
    """Counts each HTTP request and adds the X-RateLimit-* headers to its answer (inside EdgeMiddleware,
    so a 429 carries the request id and the security headers too)."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (scope["type"] != "http" or path in UNCOUNTED or scope.get("method") == "OPTIONS"
                or path == UNCOUNTED_PREFIX or path.startswith(UNCOUNTED_PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        decision = await self.limiter.hit(await caller_key(scope))

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + decision.headers()
            await send(message)

        if not decision.allowed:
            limiter = self.limiter
            error = errors.RateLimited("Rate limit exceeded", limit=limiter.requests, window=limiter.window_s,
                                       retry_after=decision.reset_s)
            await envelope(error)(scope, receive, with_headers)
            return
        await self.app(scope, receive, with_headers)
