"""A paced scan against the sandbox's throttle: the client holds the limit and is never told
429, taking exactly the time the budget sets (the waits move one clock both sides read)."""

from __future__ import annotations

import pytest

from graph_magic.connector.pacing import SLACK_SECONDS, Pacer
from graph_magic.sandbox import create_app
from tests.reliability.reliability_kit import (
    app_token,
    bearer_system,
    in_process,
    injector,
    options,
)
from tests.support.fakes import Clock, ClockSleep

PAGES, TOP, UNITS = 60, 20, 10


async def _scan(pacing: bool) -> tuple[list[str], int, list[float]]:
    app = create_app(options(users=PAGES * TOP, throttle=True, throttle_units_per_10s=UNITS))
    clock = Clock()
    injector(app).clock = clock
    sleep = ClockSleep(clock)
    limits = {"pacing": pacing, "budgets": {"identity": {"amount": UNITS, "window": 10}}}
    system = bearer_system(app_token(app), limits=limits)
    async with in_process(app, system, sleep, pacer=Pacer(clock=clock)) as conn:
        out = await conn.perform_action(
            "user", "list", None, {"method": "GET", "endpoint": "/users", "params": {"$top": TOP}}
        )
    ids = [user["id"] for user in out["response"]["data"]["value"]]
    assert ids == [user["id"] for user in app.state.tenant.users]
    return ids, injector(app).counters.faults["throttle"], sleep.waits


async def test_a_paced_scan_holds_the_limit_without_a_429() -> None:
    _, throttled, waits = await _scan(pacing=True)
    assert throttled == 0
    # 2 resource units a page, 10 at once, then 1 a second: the budget's bound, and the slack
    assert sum(waits) == pytest.approx((2 * PAGES - UNITS) / (UNITS / 10) + SLACK_SECONDS)


async def test_without_pacing_the_same_scan_is_told_429_and_waits_as_long() -> None:
    _, throttled, waits = await _scan(pacing=False)
    assert throttled > 0
    assert sum(waits) >= (2 * PAGES - UNITS) / (UNITS / 10)
