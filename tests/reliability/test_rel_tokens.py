"""Tokens that expire during a long scan, and which 401s are worth a second try.

The sandbox's token service and the client's token provider run on settable clocks, so tokens
expire in the middle of a 50-page scan without anybody sleeping.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from graph_magic.connector.auth import make_token_provider
from graph_magic.errors import GraphAPIError
from graph_magic.sandbox import create_app, msal_http_client
from tests.reliability.reliability_faults import token_expiry_scan
from tests.reliability.reliability_kit import (
    Recorder,
    RecordingSleep,
    app_token,
    azure_system,
    bearer_system,
    in_process,
    injector,
    options,
)

PAGES = 50


class FixedToken:
    """A provider that always hands out the same token, and counts forced refreshes."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.forced = 0

    async def get_token(self, *, force_refresh: bool = False) -> str:
        self.forced += force_refresh
        return self.token

    def describe(self) -> dict[str, Any]:
        return {"auth_type": "fixed"}

    async def logout(self) -> None:
        return None


async def test_tokens_expiring_mid_scan_are_refreshed_ahead_of_time() -> None:
    outcome = await token_expiry_scan(PAGES, lifetime=600, step=60.0)
    assert outcome.items == outcome.expected_items
    # 50 requests at 60 s each with 10-minute tokens refreshed 5 minutes early: one token per
    # 5 requests, and Graph never had to refuse one.
    assert outcome.extra["issued"] == 10
    assert 401 not in outcome.extra["statuses"]
    assert len(outcome.extra["statuses"]) == PAGES


async def test_a_401_for_an_expired_token_is_refreshed_and_the_scan_goes_on() -> None:
    outcome = await token_expiry_scan(PAGES, lifetime=600, step=60.0, client_clock_stopped=True)
    statuses = outcome.extra["statuses"]
    assert outcome.items == outcome.expected_items
    expired = statuses.count(401)
    assert expired == 5
    # each 401 was followed by exactly one resend with a fresh token, which succeeded
    assert all(statuses[i + 1] == 200 for i, s in enumerate(statuses) if s == 401)
    assert len(statuses) == PAGES + expired
    assert outcome.extra["issued"] == 1 + expired


async def test_an_expired_token_is_retried_once_only(sleeper: RecordingSleep) -> None:
    app = create_app(options(users=20, lifetime=600))
    token = app_token(app)
    app.state.tokens.clock = lambda: 4_000_000_000.0  # long after the token's expiry
    provider = FixedToken(token)
    system = bearer_system(token)
    async with in_process(app, system, sleeper, token_provider=provider) as conn:
        with pytest.raises(GraphAPIError) as info:
            await conn.perform_action("user", "list", None, {"method": "GET", "endpoint": "/users"})
    assert info.value.status_code == 401
    assert info.value.code == "InvalidAuthenticationToken"
    assert "expired" in info.value.message
    assert provider.forced == 1
    assert injector(app).counters.requests == 2  # the request and its one resend
    assert sleeper.waits == []


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(lambda: app_token(create_app(options(users=20, seed=7))), id="other-tenant"),
        pytest.param(lambda: "not-a-token", id="malformed"),
        pytest.param(lambda: "", id="empty"),
    ],
)
async def test_a_401_for_any_other_reason_is_not_retried(
    make_token: Any, sleeper: RecordingSleep
) -> None:
    app = create_app(options(users=20))
    provider = FixedToken(make_token())
    system = bearer_system("unused")
    async with in_process(app, system, sleeper, token_provider=provider) as conn:
        with pytest.raises(GraphAPIError) as info:
            await conn.perform_action("user", "list", None, {"method": "GET", "endpoint": "/users"})
    assert info.value.status_code == 401
    assert "expired" not in (info.value.message or "")
    assert provider.forced == 0
    assert injector(app).counters.requests == 1
    assert sleeper.waits == []


async def test_200_concurrent_401s_share_one_refresh(sleeper: RecordingSleep) -> None:
    """When Graph stops accepting the token under load, one new token serves every caller."""
    app = create_app(options(users=50))
    token_calls = Recorder(app)
    system = azure_system()
    provider = make_token_provider(system, http_client=msal_http_client(None, app=token_calls))
    users = [u["id"] for u in app.state.tenant.users] * 4
    async with in_process(app, system, sleeper, token_provider=provider) as conn:
        await conn.perform_action("u", "g", None, {"method": "GET", "endpoint": "/users"})
        app.state.tokens.clock = lambda: 4_000_000_000.0  # every token so far has expired
        results = await asyncio.gather(
            *(
                conn.perform_action("u", "g", None, {"method": "GET", "endpoint": f"/users/{u}"})
                for u in users
            )
        )
    assert [r["response"]["data"]["id"] for r in results] == users
    token_requests = [p for _, _, p, _ in token_calls.seen if p.endswith("/oauth2/v2.0/token")]
    assert len(token_requests) == 2  # the first sign-in and one refresh
    assert injector(app).counters.requests == 1 + 2 * len(users)  # each 401 resent once
