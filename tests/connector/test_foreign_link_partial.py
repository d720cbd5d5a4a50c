"""A nextLink to another host is refused, and the pages fetched before it stay on the error."""

from __future__ import annotations

import httpx
import pytest

from graph_magic.errors import GraphSecurityError
from tests.support.graph import GRAPH

FOREIGN = "https://evil.example.com/v1.0/users?$skiptoken=p3"


def _page(ids: list[str], next_link: str | None) -> httpx.Response:
    body: dict = {
        "@odata.context": f"{GRAPH}/$metadata#users",
        "value": [{"id": i, "displayName": f"User {i}"} for i in ids],
    }
    if next_link:
        body["@odata.nextLink"] = next_link
    return httpx.Response(200, json=body)


@pytest.fixture
def foreign_host(graph):
    """The host the second page's nextLink points at; any request to it is recorded."""
    return graph.route(host="evil.example.com").mock(return_value=_page(["stolen"], None))


async def test_foreign_next_link_keeps_the_pages_already_received(graph, connector, foreign_host):
    pages = graph.get(f"{GRAPH}/users").mock(
        side_effect=[
            _page(["1", "2"], f"{GRAPH}/users?$top=2&$skiptoken=p2"),
            _page(["3", "4"], FOREIGN),
        ]
    )
    with pytest.raises(GraphSecurityError) as info:
        await connector.perform_action(
            "user", "list", None, {"method": "GET", "endpoint": "/users", "params": {"$top": 2}}
        )

    error = info.value
    assert error.url == "https://evil.example.com:443"
    assert "Refusing to send the Graph token to https://evil.example.com:443" in str(error)
    assert [u["id"] for u in error.partial] == ["1", "2", "3", "4"]
    assert [str(c.request.url) for c in pages.calls] == [
        f"{GRAPH}/users?$top=2",
        f"{GRAPH}/users?$top=2&$skiptoken=p2",
    ]
    assert foreign_host.call_count == 0


async def test_foreign_url_refused_before_any_page_has_no_partial(graph, connector, foreign_host):
    with pytest.raises(GraphSecurityError) as info:
        await connector.perform_action("user", "list", None, {"method": "GET", "endpoint": FOREIGN})
    assert info.value.partial is None
    assert foreign_host.call_count == 0
