"""Retry budgets that run out, writes that must never go twice, and 200 calls through 4 slots."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from graph_magic.errors import GraphAPIError, GraphTransportError
from graph_magic.sandbox import asgi_transport, create_app
from tests.reliability.reliability_faults import concurrent_load, exhausted_budget, no_double_writes
from tests.reliability.reliability_kit import (
    InFlight,
    RecordingSleep,
    app_token,
    bearer_system,
    in_process,
    injector,
    options,
)

PAGES_BEFORE = 5


async def test_max_attempts_exhausted_says_attempts_and_last_answer_and_keeps_items() -> None:
    outcome = await exhausted_budget(PAGES_BEFORE, kind="attempts")
    error = outcome.error
    assert isinstance(error, GraphAPIError)
    assert error.status_code == 503 and error.attempts == 4
    assert error.code == "serviceNotAvailable"
    assert "after 4 attempts" in str(error) and "503 serviceNotAvailable" in str(error)
    assert error.detail["upstream"]["detail"]["error"]["code"] == "serviceNotAvailable"
    assert outcome.items == outcome.expected_items  # the 50 users fetched before, in order
    assert len(outcome.waits) == 3


async def test_max_total_seconds_stops_before_the_wait_would_exceed_it() -> None:
    outcome = await exhausted_budget(PAGES_BEFORE, kind="seconds")
    error = outcome.error
    assert isinstance(error, GraphAPIError)
    assert error.status_code == 429 and error.code == "TooManyRequests"
    # one 100 s wait fits in 150 s, a second would not: two attempts, the last answer a 429
    assert error.attempts == 2 and "after 2 attempts" in str(error)
    assert outcome.waits == [100.0]
    assert outcome.items == outcome.expected_items


async def test_dropped_connections_exhaust_as_a_transport_error_with_the_items() -> None:
    outcome = await exhausted_budget(PAGES_BEFORE, kind="drops")
    error = outcome.error
    assert isinstance(error, GraphTransportError)
    assert error.attempts == 4 and "after 4 attempt(s)" in str(error)
    assert "RemoteProtocolError" in str(error)
    assert outcome.items == outcome.expected_items


async def test_post_and_patch_answered_5xx_after_acting_are_not_resent() -> None:
    outcome = await no_double_writes(10, mode="5xx")
    assert outcome.extra["sent_writes"] == 20  # 10 POSTs, 10 PATCHes, each sent once
    assert outcome.extra["failures"] == 20  # each one reported as failed, not retried
    assert len(outcome.items) == 10 and outcome.figures.duplicates == 0
    assert outcome.figures.retries == 0


async def test_post_and_patch_with_a_read_timeout_are_not_resent() -> None:
    outcome = await no_double_writes(10, mode="timeout")
    assert outcome.extra["sent_writes"] == 20
    assert outcome.extra["failures"] == 20
    assert len(outcome.items) == 10 and outcome.figures.duplicates == 0
    assert outcome.figures.retries == 0


class _TimeoutOnce(httpx.AsyncBaseTransport):
    """The first request reaches the sandbox, then its answer is lost to a read timeout."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        response = await self.inner.handle_async_request(request)
        if self.sent == 1:
            raise httpx.ReadTimeout("timed out", request=request)
        return response


async def test_a_get_with_a_read_timeout_is_resent(sleeper: RecordingSleep) -> None:
    """The control for the write tests: the same loss on a GET is retried."""
    app = create_app(options(users=20))
    probe = _TimeoutOnce(asgi_transport(None, app=app))
    async with in_process(app, bearer_system(app_token(app)), sleeper, transport=probe) as conn:
        out = await conn.perform_action(
            "user", "list", None, {"method": "GET", "endpoint": "/users"}
        )
    assert out["response"]["status_code"] == 200
    assert probe.sent == 2 and injector(app).counters.requests == 2


async def test_post_throttled_with_429_is_resent_and_created_once(sleeper: RecordingSleep) -> None:
    app = create_app(options(users=20, every_nth_429=2))
    before = len(app.state.tenant.users)
    body = {
        "accountEnabled": True,
        "displayName": "Throttled Once",
        "mailNickname": "throttled",
        "userPrincipalName": "throttled@contoso.com",
        "passwordProfile": {"password": "P@ss-w0rd!x7"},
    }
    async with in_process(app, bearer_system(app_token(app)), sleeper) as conn:
        await conn.perform_action("user", "list", None, {"method": "GET", "endpoint": "/users"})
        out = await conn.perform_action(
            "user", "create", None, {"method": "POST", "endpoint": "/users", "body": body}
        )
    assert out["response"]["status_code"] == 201
    assert injector(app).counters.faults["429"] == 1 and len(sleeper.waits) == 1
    upns = [u["userPrincipalName"] for u in app.state.tenant.users[before:]]
    assert upns == ["throttled@contoso.com"]


async def test_200_concurrent_calls_keep_at_most_4_in_flight_and_all_complete() -> None:
    outcome = await concurrent_load(200, bound=4)
    assert outcome.items == outcome.expected_items
    assert outcome.extra["peak"] == 4  # the bound is reached, never passed
    assert outcome.figures.requests == 200
    assert outcome.extra["semaphore_waits"] == 200


async def test_200_concurrent_calls_under_faults_all_complete_within_the_bound() -> None:
    outcome = await concurrent_load(200, bound=4, faulty=True)
    assert outcome.items == outcome.expected_items
    assert outcome.figures.faults > 40 and outcome.figures.retries == outcome.figures.faults
    assert outcome.figures.requests == 200 + outcome.figures.faults
    assert outcome.extra["peak"] == 4


async def test_post_on_a_dropped_connection_is_not_resent(sleeper: RecordingSleep) -> None:
    """A dropped connection may have carried the request: a POST is reported, not resent."""
    app = create_app(options(users=20, drop_rate=1.0))
    body = {"displayName": "Dropped", "userPrincipalName": "dropped@contoso.com"}
    async with in_process(app, bearer_system(app_token(app)), sleeper) as conn:
        with pytest.raises(GraphTransportError) as info:
            await conn.perform_action(
                "user", "create", None, {"method": "POST", "endpoint": "/users", "body": body}
            )
    assert info.value.attempts == 1
    assert injector(app).counters.requests == 1 and sleeper.waits == []


async def test_two_connectors_sharing_a_rate_limit_key_share_the_bound(
    sleeper: RecordingSleep,
) -> None:
    app = create_app(options(users=50))
    probe = InFlight(asgi_transport(None, app=app))
    key = {"rate_limit_key": "reliability-shared", "max_concurrent_requests": 4}
    first = in_process(app, bearer_system(app_token(app), **key), sleeper, transport=probe)
    second = in_process(app, bearer_system(app_token(app), **key), sleeper, transport=probe)
    users = [u["id"] for u in app.state.tenant.users]
    async with first, second:
        results = await asyncio.gather(
            *(
                conn.perform_action("u", "g", None, {"method": "GET", "endpoint": f"/users/{uid}"})
                for uid in users
                for conn in (first, second)
            )
        )
    assert len(results) == 100 and probe.sent == 100
    assert probe.peak == 4
