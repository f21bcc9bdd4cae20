"""Rate limiting through the real edge and auth service: the spec's numbers, headers and 429 body."""

from __future__ import annotations

from contextlib import asynccontextmanager

import httpx
import pytest

from services.edge.app import create_app
from services.kit.config import replace
from testkit.rest_calls import new_user

pytestmark = pytest.mark.integration


@pytest.fixture
async def spec_limited(system_settings, system):
    """An edge in front of the running services with the spec's limits (100 per 60 s, burst 20)."""
    settings = replace(system_settings, rate_limit_requests=100, rate_limit_window=60, rate_limit_burst=20)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.7", 5000)),
                                     base_url="http://edge") as client:
            yield client


async def test_a_burst_of_130_gets_120_answers_then_429s(spec_limited, http):
    _, headers = await new_user(http, "student")  # registered through the suite's unlimited edge
    statuses, last_ok = [], None
    for _ in range(130):
        reply = await spec_limited.get("/coaches", headers=headers)
        statuses.append(reply.status_code)
        if reply.status_code == 200:
            last_ok = reply
        else:
            limited = reply
    assert statuses.count(200) == 120 and statuses[120:] == [429] * 10  # 100 per window + a burst of 20
    assert last_ok.headers["X-RateLimit-Limit"] == "100" and last_ok.headers["X-RateLimit-Remaining"] == "0"
    error = limited.json()["error"]
    assert error["code"] == "rate_limit_exceeded" and error["message"] == "Rate limit exceeded"
    assert error["limit"] == 100 and error["window"] == 60 and 1 <= error["retry_after"] <= 60
    assert limited.headers["Retry-After"] == str(error["retry_after"])
    assert 1 <= int(limited.headers["X-RateLimit-Reset"]) <= 60 and limited.headers["x-request-id"]


async def test_counted_per_caller_and_remaining_counts_down(spec_limited, http):
    _, first = await new_user(http, "student")
    _, second = await new_user(http, "student")
    a = [int((await spec_limited.get("/coaches", headers=first)).headers["X-RateLimit-Remaining"]) for _ in range(3)]
    assert a == [99, 98, 97]
    # Another user, and callers without credentials (counted by address), have their own budgets.
    assert (await spec_limited.get("/coaches", headers=second)).headers["X-RateLimit-Remaining"] == "99"
    anonymous = await spec_limited.get("/system/info")
    assert anonymous.headers["X-RateLimit-Remaining"] == "99"
    # Made-up credentials are counted against the address, not given a fresh budget each.
    for n in range(3):
        bad = await spec_limited.get("/coaches", headers={"X-API-Key": f"made-up-key-{n}"})
        assert bad.status_code == 401
    assert bad.headers["X-RateLimit-Remaining"] == "96"  # the anonymous call above and these three
    # Probes are not counted.
    health = await spec_limited.get("/system/health")
    assert "X-RateLimit-Remaining" not in health.headers


@asynccontextmanager
async def edge_counting_in(settings, redis_url: str, address: str = "203.0.113.7"):
    """An edge process's app with its own memory, its counts in this Redis."""
    app = create_app(replace(settings, rate_limit_requests=100, rate_limit_window=60, rate_limit_burst=20,
                             redis_url=redis_url))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(address, 5000)),
                                     base_url="http://edge") as client:
            yield client


async def test_edges_sharing_redis_share_one_budget(system_settings, system, http, redis_server):
    _, headers = await new_user(http, "student")
    async with edge_counting_in(system_settings, redis_server.url) as a, \
            edge_counting_in(system_settings, redis_server.url) as b:
        statuses = [(await (a if n % 2 else b).get("/coaches", headers=headers)).status_code for n in range(120)]
        assert statuses == [200] * 120  # 60 on each edge: alone, neither is near its 120
        for edge in (a, b):
            over = await edge.get("/coaches", headers=headers)
            assert over.status_code == 429 and over.json()["error"]["code"] == "rate_limit_exceeded"
        health = (await a.get("/system/health", headers=headers)).json()
        assert health["components"]["redis"] == "healthy"
        assert not any("Redis" in w for w in health["warnings"])


async def test_when_redis_goes_away_the_edge_keeps_serving_and_says_so(system_settings, system, http,
                                                                      redis_server):
    _, headers = await new_user(http, "student")
    async with edge_counting_in(system_settings, redis_server.url) as edge, \
            edge_counting_in(system_settings, redis_server.url) as other:
        for _ in range(10):
            assert (await other.get("/coaches", headers=headers)).status_code == 200
        shared = await edge.get("/coaches", headers=headers)
        assert shared.headers["X-RateLimit-Remaining"] == "89"  # the other edge's 10 counted in Redis
        redis_server.stop()
        replies = [await edge.get("/coaches", headers=headers) for _ in range(5)]
        assert [r.status_code for r in replies] == [200] * 5
        # Counted in this process meanwhile: a fresh budget here, still counting down.
        assert [r.headers["X-RateLimit-Remaining"] for r in replies] == ["99", "98", "97", "96", "95"]
        health = await edge.get("/system/health", headers=headers)
        assert health.status_code == 200
        body = health.json()
        assert body["components"]["redis"] == "unavailable"
        assert any("Redis" in w and "per edge process" in w for w in body["warnings"])
        assert body["status"] == "healthy"  # a lost cache degrades the limits, not the service

        redis_server.start()  # back, empty (no persistence), on the same address
        body = (await edge.get("/system/health", headers=headers)).json()
        assert body["components"]["redis"] == "healthy"
        assert (await edge.get("/coaches", headers=headers)).headers["X-RateLimit-Remaining"] == "99"
        assert (await other.get("/coaches", headers=headers)).headers["X-RateLimit-Remaining"] == "98"
