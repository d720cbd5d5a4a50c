"""The in-process sandbox starts failing mid-scan: the error says which retry budget ran out.

The sandbox's own faults (503 every time, or 429 asking for 100 s) hit a /users scan after five
good pages; the tests read the error a user gets, count what reached the tenant, and check the
five pages' items stay on the error.
"""

from __future__ import annotations

from graph_magic.errors import GraphAPIError
from tests.reliability.reliability_faults import exhausted_budget

PAGES_BEFORE = 5


async def test_sandbox_503s_stop_on_max_attempts() -> None:
    outcome = await exhausted_budget(PAGES_BEFORE, kind="attempts")
    error = outcome.error
    assert isinstance(error, GraphAPIError) and error.status_code == 503
    assert outcome.figures.requests == PAGES_BEFORE + 4
    assert error.hint == (
        "Retries stopped after 4 attempts because retry.max_attempts (4) was reached; "
        "raise retry.max_attempts in the system config to try more times."
    )
    assert str(error).endswith(f"\nHint: {error.hint}")
    assert outcome.items == outcome.expected_items


async def test_sandbox_retry_after_longer_than_the_budget_left_says_so() -> None:
    outcome = await exhausted_budget(PAGES_BEFORE, kind="seconds")
    error = outcome.error
    assert isinstance(error, GraphAPIError) and error.status_code == 429
    assert outcome.figures.requests == PAGES_BEFORE + 2 and outcome.waits == [100.0]
    assert error.hint == (
        "Retries stopped after 2 attempts because the server asked to wait 100 s "
        "(Retry-After), more than the 50 s left of the retry.max_total_seconds budget of 150 s; "
        "raise retry.max_total_seconds in the system config to honour such waits."
    )
    assert outcome.items == outcome.expected_items
