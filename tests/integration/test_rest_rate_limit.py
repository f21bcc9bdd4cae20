"""Rate limiting through the real edge and auth service: the spec's numbers, headers and 429 body."""

from __future__ import annotations

import httpx
import pytest

from services.edge.app import create_app
from services.kit.config import replace
from tests.integration.conftest import new_user

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
