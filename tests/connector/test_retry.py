"""Retries: statuses, Retry-After in every form, budgets, Retry-Attempt, POST safety."""

from __future__ import annotations

import email.utils
import time

import httpx
import pytest
import tenacity

from graph_magic.connector import retry
from graph_magic.connector.config import RetrySettings
from graph_magic.connector.retry import backoff_delay, parse_retry_after
from graph_magic.errors import GraphAPIError, GraphTransportError
from tests.connector.connector_kit import make_connector
from tests.support.graph import GRAPH

NAMES = RetrySettings().retry_after_header_names
OK = httpx.Response(200, json={"id": "me"})
NO_JITTER = {"jitter": 0.0}


def _throttled(status=429, **headers):
    return httpx.Response(
        status,
        headers=headers,
        json={"error": {"code": "TooManyRequests", "message": "Please retry again later."}},
    )


async def _call(conn, method="GET", endpoint="/me", **config):
    return await conn.perform_action(
        "x", "y", None, {"method": method, "endpoint": endpoint, **config}
    )


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "2.128"}, 2.128),
        ({"Retry-After": "5,5"}, 5.0),
        ({"x-ms-retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250"}, 0.25),
        ({"Retry-After": "1", "x-ms-retry-after-ms": "3000"}, 3.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "-3"}, None),
        ({}, None),
    ],
)
def test_parse_retry_after_forms(headers, expected):
    assert parse_retry_after(headers, NAMES) == expected


def test_parse_retry_after_http_date_uses_the_clock():
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert parse_retry_after({"Retry-After": date}, NAMES, now=lambda: 1_000_000.0) == 30.0
    assert parse_retry_after({"Retry-After": date}, NAMES, now=lambda: 1_000_100.0) == 0.0


def test_backoff_grows_and_jitter_adds_at_most_its_share():
    settings = RetrySettings(backoff_base=0.5, backoff_factor=2.0, jitter=0.1)
    assert [backoff_delay(n, settings, rng=lambda: 0.0) for n in (1, 2, 3)] == [0.5, 1.0, 2.0]
    assert backoff_delay(2, settings, rng=lambda: 1.0) == pytest.approx(1.1)


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"Retry-After": "2.128"}, 2.128),
        ({"x-ms-retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "3200"}, 3.2),
        ({"Retry-After": "0.1"}, 0.5),  # the backoff is larger, so it wins
    ],
)
async def test_each_form_sets_the_wait(graph, tokens, sleeper, headers, wait):
    conn = make_connector(tokens, sleeper, retry=NO_JITTER)
    route = graph.get(f"{GRAPH}/me").mock(side_effect=[_throttled(**headers), OK])
    out = await _call(conn)
    assert out["response"]["status_code"] == 200 and route.call_count == 2
    assert sleeper.waits == [pytest.approx(wait)]
    await conn.close()


async def test_http_date_retry_after(graph, tokens, sleeper):
    conn = make_connector(tokens, sleeper, retry=NO_JITTER)
    later = email.utils.formatdate(time.time() + 60, usegmt=True)
    graph.get(f"{GRAPH}/me").mock(side_effect=[_throttled(503, **{"Retry-After": later}), OK])
    await _call(conn)
    assert 50 < sleeper.waits[0] <= 60
    await conn.close()


async def test_header_names_come_from_config(graph, tokens, sleeper):
    retry = {"jitter": 0.0, "retry_after_header_names": ["x-wait-ms"]}
    conn = make_connector(tokens, sleeper, retry=retry)
    graph.get(f"{GRAPH}/me").mock(
        side_effect=[_throttled(**{"x-wait-ms": "4000", "Retry-After": "99"}), OK]
    )
    await _call(conn)
    assert sleeper.waits == [4.0]
    await conn.close()


async def test_retry_attempt_header_and_exhaustion(graph, tokens, sleeper):
    conn = make_connector(tokens, sleeper, retry={"jitter": 0.0, "max_attempts": 3})
    route = graph.get(f"{GRAPH}/me").mock(return_value=_throttled(503))
    with pytest.raises(GraphAPIError) as info:
        await _call(conn)
    assert route.call_count == 3
    assert [c.request.headers.get("retry-attempt") for c in route.calls] == [None, "1", "2"]
    assert sleeper.waits == [0.5, 1.0]
    assert info.value.status_code == 503 and info.value.attempts == 3
    assert "after 3 attempts" in str(info.value)
    await conn.close()


async def test_max_total_seconds_caps_the_waits(graph, tokens, sleeper):
    conn = make_connector(tokens, sleeper, retry={"max_total_seconds": 150, "max_attempts": 10})
    route = graph.get(f"{GRAPH}/me").mock(return_value=_throttled(**{"Retry-After": "100"}))
    with pytest.raises(GraphAPIError) as info:
        await _call(conn)
    assert sleeper.waits == [100.0]
    assert route.call_count == 2 and info.value.attempts == 2
    await conn.close()


async def test_status_not_in_list_is_not_retried(graph, connector, sleeper):
    route = graph.get(f"{GRAPH}/me").mock(
        return_value=httpx.Response(404, json={"error": {"code": "NotFound", "message": "x"}})
    )
    with pytest.raises(GraphAPIError):
        await _call(connector)
    assert route.call_count == 1 and sleeper.waits == []


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_post_and_patch_are_not_retried_on_5xx(graph, connector, sleeper, method):
    route = graph.route(method=method, url=f"{GRAPH}/users").mock(return_value=_throttled(503))
    with pytest.raises(GraphAPIError):
        await _call(connector, method, "/users", body={"displayName": "x"})
    assert route.call_count == 1 and sleeper.waits == []


@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_post_and_patch_are_retried_on_429(graph, connector, method):
    route = graph.route(method=method, url=f"{GRAPH}/users").mock(
        side_effect=[_throttled(**{"Retry-After": "1"}), httpx.Response(201, json={"id": "n"})]
    )
    out = await _call(connector, method, "/users", body={"displayName": "x"})
    assert out["response"]["status_code"] == 201 and route.call_count == 2
    assert [c.request.content for c in route.calls] == [b'{"displayName": "x"}'] * 2
    assert route.calls[1].request.headers["retry-attempt"] == "1"


async def test_delete_is_retried_on_503(graph, connector):
    route = graph.delete(f"{GRAPH}/users/a").mock(
        side_effect=[_throttled(503), httpx.Response(204)]
    )
    out = await _call(connector, "DELETE", "/users/a")
    assert route.call_count == 2 and out["response"]["data"] is None


async def test_connect_errors_are_retried_then_reported(graph, tokens, sleeper):
    conn = make_connector(tokens, sleeper, retry={"max_attempts": 2})
    route = graph.get(f"{GRAPH}/me").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(GraphTransportError) as info:
        await _call(conn)
    assert route.call_count == 2 and info.value.attempts == 2
    await conn.close()


async def test_read_timeout_retried_for_get_not_for_post(graph, connector):
    get = graph.get(f"{GRAPH}/me").mock(side_effect=[httpx.ReadTimeout("slow"), OK])
    out = await _call(connector)
    assert get.call_count == 2 and out["response"]["data"] == {"id": "me"}
    post = graph.post(f"{GRAPH}/users").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(GraphTransportError):
        await _call(connector, "POST", "/users", body={})
    assert post.call_count == 1


async def test_expected_outcomes_are_results(graph, connector):
    graph.get(f"{GRAPH}/users/missing").mock(
        return_value=httpx.Response(
            404, json={"error": {"code": "Request_ResourceNotFound", "message": "gone"}}
        )
    )
    out = await connector.perform_action(
        "user",
        "get",
        None,
        {"method": "GET", "endpoint": "/users/missing"},
        expected_outcomes=[404],
    )
    assert out["status"] == "success"
    assert out["response"]["status_code"] == 404 and out["response"]["success"] is False
    assert out["response"]["data"]["error"]["code"] == "Request_ResourceNotFound"


class _CountingRetrying(tenacity.AsyncRetrying):
    built = 0

    def __init__(self, *args, **kwargs):
        type(self).built += 1
        super().__init__(*args, **kwargs)


def _scripted(*outcomes):
    """``send(attempt)`` answering each attempt with the next outcome; records attempt numbers."""
    sent = []

    async def send(attempt):
        sent.append(attempt)
        outcome = outcomes[len(sent) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return send, sent


async def test_an_answer_not_worth_retrying_never_builds_the_retry_loop(monkeypatch, sleeper):
    monkeypatch.setattr(tenacity, "AsyncRetrying", _CountingRetrying)
    _CountingRetrying.built = 0
    for answer in (httpx.Response(200), httpx.Response(404)):
        policy = retry.RetryPolicy(RetrySettings(), "GET", sleep=sleeper)
        send, sent = _scripted(answer)
        assert await policy.run(send) is answer
        assert sent == [1] and policy.attempts == 1 and policy.stop is None
    policy = retry.RetryPolicy(RetrySettings(), "POST", sleep=sleeper)
    send, sent = _scripted(httpx.ReadTimeout("slow"))
    with pytest.raises(httpx.ReadTimeout):
        await policy.run(send)
    assert sent == [1] and _CountingRetrying.built == 0 and sleeper.waits == []


async def test_a_retryable_first_answer_is_the_loops_first_attempt(monkeypatch, sleeper):
    monkeypatch.setattr(tenacity, "AsyncRetrying", _CountingRetrying)
    _CountingRetrying.built = 0
    settings = RetrySettings(jitter=0.0, max_attempts=3)
    ok = httpx.Response(200)
    policy = retry.RetryPolicy(settings, "GET", sleep=sleeper)
    send, sent = _scripted(httpx.ConnectError("refused"), _throttled(503), ok)
    assert await policy.run(send) is ok
    # The first failure is not sent again: attempts 1, 2, 3 with the backoff after 1 and 2.
    assert sent == [1, 2, 3] and policy.attempts == 3
    assert sleeper.waits == [0.5, 1.0] and _CountingRetrying.built == 1

    policy = retry.RetryPolicy(settings, "GET", sleep=sleeper)
    send, sent = _scripted(*[_throttled(503)] * 3)
    assert (await policy.run(send)).status_code == 503
    assert sent == [1, 2, 3] and policy.stop is not None and policy.stop.reason == "max_attempts"
