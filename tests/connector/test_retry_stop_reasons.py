"""Why retrying stopped: the attempt count, the time budget, or a Retry-After longer than it.

Each test lets Graph (respx) keep answering with a retryable status and asserts what the user
reads in the error, how many requests went out and which waits were asked of the fake sleep.
"""

from __future__ import annotations

import httpx
import pytest

from graph_magic.errors import GraphAPIError, GraphTransportError
from graph_magic.notebook.display import render_error
from tests.connector.connector_kit import make_connector
from tests.support.graph import GRAPH


def _unavailable(**headers: str) -> httpx.Response:
    return httpx.Response(
        503,
        headers=headers,
        json={"error": {"code": "serviceNotAvailable", "message": "Service unavailable"}},
    )


def _throttled(**headers: str) -> httpx.Response:
    return httpx.Response(
        429,
        headers=headers,
        json={"error": {"code": "TooManyRequests", "message": "Please retry again later."}},
    )


async def _get_me(conn) -> None:
    await conn.perform_action("user", "get", None, {"method": "GET", "endpoint": "/me"})


async def test_attempts_exhausted_names_max_attempts(graph, tokens, sleeper):
    conn = make_connector(tokens, sleeper, retry={"jitter": 0.0, "max_attempts": 3})
    route = graph.get(f"{GRAPH}/me").mock(return_value=_unavailable())
    with pytest.raises(GraphAPIError) as info:
        await _get_me(conn)
    await conn.close()

    error = info.value
    assert route.call_count == 3 and sleeper.waits == [0.5, 1.0]
    assert error.retry_stop is not None and error.retry_stop.reason == "max_attempts"
    assert str(error) == (
        "503 serviceNotAvailable: Service unavailable "
        f"(GET {GRAPH}/me, after 3 attempts)\n"
        "Hint: Retries stopped after 3 attempts because retry.max_attempts (3) was reached; "
        "raise retry.max_attempts in the system config to try more times."
    )
    # The magic's short block carries the same hint.
    assert (
        "  hint: Retries stopped after 3 attempts because retry.max_attempts (3) was reached; "
        "raise retry.max_attempts in the system config to try more times."
    ) in render_error(error).splitlines()


async def test_time_budget_used_up_names_max_total_seconds(graph, tokens, sleeper):
    # Backoff 0.5 s then 1 s fits in 2 s; the third wait (2 s) would not.
    retry = {"jitter": 0.0, "max_attempts": 10, "max_total_seconds": 2}
    conn = make_connector(tokens, sleeper, retry=retry)
    route = graph.get(f"{GRAPH}/me").mock(return_value=_unavailable())
    with pytest.raises(GraphAPIError) as info:
        await _get_me(conn)
    await conn.close()

    error = info.value
    assert route.call_count == 3 and sleeper.waits == [0.5, 1.0]
    assert error.attempts == 3 and error.retry_stop.reason == "max_total_seconds"
    assert str(error) == (
        "503 serviceNotAvailable: Service unavailable "
        f"(GET {GRAPH}/me, after 3 attempts)\n"
        "Hint: Retries stopped after 3 attempts because the retry.max_total_seconds budget of "
        "2 s was used up (1.5 s waited, the next wait of 2 s would pass it); raise "
        "retry.max_total_seconds in the system config to keep retrying longer."
    )
    assert "max_attempts" not in str(error)


async def test_short_retry_after_does_not_take_the_blame(graph, tokens, sleeper):
    """The server asked for less than was left; the backoff is what passed the budget."""
    retry = {"jitter": 0.0, "max_attempts": 10, "max_total_seconds": 2}
    conn = make_connector(tokens, sleeper, retry=retry)
    route = graph.get(f"{GRAPH}/me").mock(return_value=_throttled(**{"Retry-After": "0.2"}))
    with pytest.raises(GraphAPIError) as info:
        await _get_me(conn)
    await conn.close()

    assert route.call_count == 3 and sleeper.waits == [0.5, 1.0]
    assert info.value.retry_stop.reason == "max_total_seconds"
    assert "Retry-After" not in str(info.value)


async def test_retry_after_longer_than_what_is_left_says_so(graph, tokens, sleeper):
    retry = {"jitter": 0.0, "max_attempts": 10, "max_total_seconds": 150}
    conn = make_connector(tokens, sleeper, retry=retry)
    route = graph.get(f"{GRAPH}/me").mock(return_value=_throttled(**{"Retry-After": "100"}))
    with pytest.raises(GraphAPIError) as info:
        await _get_me(conn)
    await conn.close()

    error = info.value
    # 100 s fits in 150 s once; the second 100 s would not (50 s left).
    assert route.call_count == 2 and sleeper.waits == [100.0]
    assert error.retry_stop.reason == "retry_after" and error.retry_stop.retry_after == 100.0
    assert str(error) == (
        "429 TooManyRequests: Please retry again later. "
        f"(GET {GRAPH}/me, after 2 attempts)\n"
        "Hint: Retries stopped after 2 attempts because the server asked to wait 100 s "
        "(Retry-After), more than the 50 s left of the retry.max_total_seconds budget of 150 s; "
        "raise retry.max_total_seconds in the system config to honour such waits."
    )


async def test_retry_after_longer_than_the_whole_budget_sends_once(graph, tokens, sleeper):
    conn = make_connector(tokens, sleeper, retry={"max_total_seconds": 60})
    route = graph.get(f"{GRAPH}/me").mock(
        return_value=_throttled(**{"x-ms-retry-after-ms": "90000"})
    )
    with pytest.raises(GraphAPIError) as info:
        await _get_me(conn)
    await conn.close()

    assert route.call_count == 1 and sleeper.waits == []
    assert info.value.hint == (
        "Retries stopped after 1 attempt because the server asked to wait 90 s (Retry-After), "
        "more than the 60 s left of the retry.max_total_seconds budget of 60 s; raise "
        "retry.max_total_seconds in the system config to honour such waits."
    )


async def test_an_answer_not_worth_retrying_blames_no_budget(graph, tokens, sleeper):
    """A POST answered 503 is never resent: no budget ran out, so none is named."""
    conn = make_connector(tokens, sleeper)
    route = graph.post(f"{GRAPH}/users").mock(return_value=_unavailable())
    with pytest.raises(GraphAPIError) as info:
        await conn.perform_action(
            "user", "create", None, {"method": "POST", "endpoint": "/users", "body": {}}
        )
    await conn.close()

    assert route.call_count == 1 and sleeper.waits == []
    assert info.value.retry_stop is None and info.value.hint is None
    assert "Retries stopped" not in str(info.value)


async def test_gotcha_hint_comes_first_then_the_stop_reason(graph, tokens, sleeper):
    conn = make_connector(tokens, sleeper, retry={"jitter": 0.0, "max_attempts": 2})
    route = graph.get(f"{GRAPH}/devices/d1/owners").mock(return_value=_unavailable())
    with pytest.raises(GraphAPIError) as info:
        await conn.perform_action(
            "device", "owners", None, {"method": "GET", "endpoint": "/devices/d1/owners"}
        )
    await conn.close()

    assert route.call_count == 2
    assert info.value.hint == (
        "Devices have no 'owners' relationship: use /devices/{id}/registeredOwners. "
        "Retries stopped after 2 attempts because retry.max_attempts (2) was reached; "
        "raise retry.max_attempts in the system config to try more times."
    )


async def test_transport_failure_says_which_budget_ran_out(graph, tokens, sleeper):
    retry = {"jitter": 0.0, "max_attempts": 10, "max_total_seconds": 1}
    conn = make_connector(tokens, sleeper, retry=retry)
    route = graph.get(f"{GRAPH}/me").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(GraphTransportError) as info:
        await _get_me(conn)
    await conn.close()

    # 0.5 s fits in 1 s; 0.5 + 1 s would not.
    assert route.call_count == 2 and sleeper.waits == [0.5]
    assert str(info.value) == (
        f"GET {GRAPH}/me failed after 2 attempt(s): ConnectError: refused\n"
        "Hint: Retries stopped after 2 attempts because the retry.max_total_seconds budget of "
        "1 s was used up (0.5 s waited, the next wait of 1 s would pass it); raise "
        "retry.max_total_seconds in the system config to keep retrying longer."
    )
