"""A full URL in a cell must name the system's Graph origin, whichever cloud that is."""

from __future__ import annotations

import re

import pytest

from graph_magic import parse_cell
from graph_magic.errors import GraphSyntaxError

GOV = "https://graph.microsoft.us"


def test_a_government_system_takes_its_own_hosts_urls() -> None:
    (spec,) = parse_cell(f"GET {GOV}/v1.0/users?$top=5", {}, graph_origin=GOV)
    assert (spec.path, spec.version) == ("/users", "v1.0")
    (spec,) = parse_cell("GET https://GRAPH.microsoft.us:443/beta/me", {}, graph_origin=GOV)
    assert (spec.path, spec.version) == ("/me", "beta")


@pytest.mark.parametrize(
    ("cell", "origin", "expected", "column"),
    [
        # The global Graph is another cloud for a government system: its token must not go there.
        (
            "GET https://graph.microsoft.com/v1.0/me",
            GOV,
            "host 'graph.microsoft.com' is not graph.microsoft.us (graph.microsoft.com is the "
            "global cloud's Graph)",
            13,
        ),
        # ... and the other way round.
        (
            "GET https://dod-graph.microsoft.us/v1.0/me",
            "https://graph.microsoft.com",
            "host 'dod-graph.microsoft.us' is not graph.microsoft.com (dod-graph.microsoft.us is "
            "the usgovdod cloud's Graph)",
            13,
        ),
        ("GET https://graph.microsoft.us:8443/v1.0/me", GOV, "host 'graph.microsoft.us:8443'", 13),
        ("GET http://graph.microsoft.us/v1.0/me", GOV, "only reached over https, not http", 5),
        ("GET https://evil.example/v1.0/me", GOV, "host 'evil.example' is not", 13),
    ],
)
def test_another_origin_is_refused_where_it_is_written(
    cell: str, origin: str, expected: str, column: int
) -> None:
    with pytest.raises(GraphSyntaxError) as info:
        parse_cell(cell, {}, graph_origin=origin)
    assert expected in str(info.value)
    assert (info.value.line, info.value.column) == (1, column)


def test_a_sandbox_served_on_loopback_takes_its_own_http_urls() -> None:
    origin = "http://127.0.0.1:8765"
    (spec,) = parse_cell("GET http://127.0.0.1:8765/v1.0/groups", {}, graph_origin=origin)
    assert spec.path == "/groups"
    with pytest.raises(GraphSyntaxError, match=re.escape("host '127.0.0.1:9999'")):
        parse_cell("GET http://127.0.0.1:9999/v1.0/groups", {}, graph_origin=origin)
    with pytest.raises(GraphSyntaxError, match="only reached over http, not https"):
        parse_cell("GET https://127.0.0.1:8765/v1.0/groups", {}, graph_origin=origin)


def test_without_a_system_the_global_graph_is_assumed() -> None:
    (spec,) = parse_cell("GET https://graph.microsoft.com/v1.0/users", {})
    assert spec.path == "/users"
