"""Shared semaphore, masked logging, telemetry names, and the connector's lifecycle."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest

from graph_magic.connector import telemetry
from graph_magic.connector.client import GraphConnector
from tests.connector.connector_kit import make_system
from tests.support.fakes import RecordingSleep
from tests.support.graph import GRAPH


class InFlightCounter:
    """A transport that records the largest number of requests in flight at once."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.most = max(self.most, self.now)
        for _ in range(5):
            await asyncio.sleep(0)  # let every other task reach the semaphore
        self.now -= 1
        return httpx.Response(200, json={"id": "x"})


async def _fire(connectors, n):
    await asyncio.gather(
        *(
            connectors[i % len(connectors)].perform_action(
                "u", "get", None, {"method": "GET", "endpoint": f"/users/{i}"}
            )
            for i in range(n)
        )
    )


@pytest.mark.parametrize(("shared", "bound"), [(True, 2), (False, 4)])
async def test_semaphore_is_shared_by_rate_limit_key(tokens, shared, bound):
    counter = InFlightCounter()
    transport = httpx.MockTransport(counter)
    first = make_system(max_concurrent_requests=2)
    second = make_system(
        max_concurrent_requests=2, **({"rate_limit_key": first.rate_limit_key} if shared else {})
    )
    conns = [GraphConnector(s, token_provider=tokens, transport=transport) for s in (first, second)]
    await _fire(conns, 12)
    assert counter.most == bound
    for conn in conns:
        await conn.close()


class JwtProvider:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXQifQ.c2lnbmF0dXJlLXNlY3JldA"

    async def get_token(self, *, force_refresh: bool = False) -> str:
        return self.token


async def test_debug_logs_never_show_the_token(graph, caplog, capsys):
    system = make_system(logging={"enabled": True, "format": "detailed", "auth": True})
    conn = GraphConnector(system, sleep=RecordingSleep(), token_provider=JwtProvider())
    graph.post(f"{GRAPH}/users").mock(
        return_value=httpx.Response(201, json={"id": "n", "passwordProfile": {"password": "pw"}})
    )
    with caplog.at_level(logging.DEBUG, logger="graph_magic"):
        await conn.perform_action(
            "u",
            "create",
            None,
            {
                "method": "POST",
                "endpoint": "/users",
                "body": {"passwordProfile": {"password": "Sup3rSecret!"}},
                "headers": {"Cookie": "session=abc123"},
            },
        )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "--> POST" in text and "<-- 201" in text  # the log was really written
    assert JwtProvider.token not in text and "eyJ" not in text
    assert "Sup3rSecret!" not in text and "abc123" not in text
    printed = capsys.readouterr().err  # what the detailed handler really wrote
    assert "headers:" in printed and "--> POST" in printed
    assert "eyJ" not in printed and "Sup3rSecret!" not in printed and "abc123" not in printed
    await conn.close()
    telemetry.configure_logging(make_system().logging)


def _metric_names(reader):
    data = reader.get_metrics_data()
    return {
        metric.name
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
    }


async def test_spans_and_metrics_are_named_per_design(graph, connector, otel):
    reader, exporter = otel
    graph.get(f"{GRAPH}/users").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(200, json={"value": [{"id": "1"}]}),
        ]
    )
    await connector.perform_action("user", "list", None, {"method": "GET", "endpoint": "/users"})
    spans = {span.name for span in exporter.get_finished_spans()}
    assert {"azure.perform_action", "azure.collect_pages"} <= spans
    assert {
        "azure.perform_action.duration",
        "azure.semaphore.wait.duration",
        "azure.request.retry.delay",
        "azure.request.retry.attempts",
        "azure.http_429",
    } <= _metric_names(reader)


async def test_context_manager_closes_and_reopens(graph, tokens):
    graph.get(f"{GRAPH}/me").mock(return_value=httpx.Response(200, json={"id": "me"}))
    async with GraphConnector(make_system(), token_provider=tokens) as conn:
        await conn.perform_action("u", "me", None, {"method": "GET", "endpoint": "/me"})
        assert conn._client is not None
    assert conn._client is None
    out = await conn.perform_action("u", "me", None, {"method": "GET", "endpoint": "/me"})
    assert out["response"]["data"] == {"id": "me"}
    await conn.close()


def test_connector_exposes_system_and_provider(tokens):
    conn = GraphConnector({"base_url": GRAPH, "token": "t"}, token_provider=tokens)
    assert conn.system.base_url == GRAPH and conn.token_provider is tokens
