"""1,000 hostile interpolation values never change a request's structure on the wire.

Each value goes through ``parse_cell`` into path, query, header and body positions, then through
the connector to a transport that records the exact bytes sent. The path segments, the query
keys, the header names and the body's shape are the same for every value; only the values
differ, and they arrive intact.
"""

from __future__ import annotations

import asyncio

import pytest

from graph_magic.errors import GraphSyntaxError
from graph_magic.notebook.cell import parse_cell
from tests.reliability.reliability_kit import Outcome
from tests.reliability.reliability_security import (
    FRAGMENTS,
    HEADER_CELL,
    body_problems,
    interpolation,
    path_query_problems,
)


@pytest.fixture(scope="module")
def outcome() -> Outcome:
    """One run shared by the module's tests (3,000 requests through the connector)."""
    return asyncio.run(interpolation(1000))


def test_a_thousand_values_never_change_the_structure(outcome: Outcome) -> None:
    assert outcome.extra["changed"] == []
    values = outcome.extra["values"]
    assert len(values) == 1000 and set(FRAGMENTS) <= set(values)
    # 1,000 GETs, 1,000 POSTs, and the header requests that could be sent at all
    assert len(outcome.extra["wire"]) == 2000 + len(outcome.extra["headers_sent"])


def test_refused_header_values_are_only_unsendable_ones(outcome: Outcome) -> None:
    refused = outcome.extra["refused"]
    assert refused and outcome.extra["headers_sent"]
    for value in refused:
        assert any(c in value for c in "\r\n\x00") or not value.isascii(), value
        with pytest.raises(GraphSyntaxError) as info:
            parse_cell(HEADER_CELL, {"v": value})
        assert info.value.line == 2 and info.value.column >= 1


def test_every_request_carried_the_token_to_graph_only(outcome: Outcome) -> None:
    for request in outcome.extra["wire"]:
        assert request.url.host == "graph.microsoft.com"
        assert request.headers["authorization"] == "Bearer token-for-the-wire"


def test_the_structure_checks_catch_a_changed_request() -> None:
    """The checks can fail: a value that became two segments or an extra key is reported."""
    import httpx

    split = httpx.Request("GET", "https://graph.microsoft.com/v1.0/users/a/b/memberOf?$top=5")
    assert path_query_problems("a/b", split)
    extra = httpx.Request(
        "GET",
        "https://graph.microsoft.com/v1.0/users/a/memberOf?$filter=displayName%20eq%20'a'"
        "&$top=5&$count=true&$top=999",
    )
    assert path_query_problems("a", extra)
    body = httpx.Request("POST", "https://graph.microsoft.com/v1.0/users", json={"raw": "x"})
    assert body_problems("x", body)
