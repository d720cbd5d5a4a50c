"""nextLinks that loop or are malformed stop the scan with an error that keeps the pages.

A loop is caught before the repeated page is asked for; a link that is not a URL (or would
leave the Graph host, or https) is refused before anything is sent to it.
"""

from __future__ import annotations

import httpx
import pytest

from graph_magic.errors import GraphResponseError, GraphSecurityError
from tests.support.graph import GRAPH

FIRST = f"{GRAPH}/users"
A = f"{GRAPH}/users?$skiptoken=A"
B = f"{GRAPH}/users?$skiptoken=B"


def _page(ids: list[str], next_link: object = None) -> httpx.Response:
    body: dict = {"value": [{"id": i} for i in ids]}
    if next_link is not None:
        body["@odata.nextLink"] = next_link
    return httpx.Response(200, json=body)


async def _list(connector) -> dict:
    return await connector.perform_action("user", "list", None, {"endpoint": "/users"})


async def test_a_next_link_to_itself_is_an_error(graph, connector):
    route = graph.get(url__startswith=FIRST).mock(
        side_effect=[_page(["1"], A), _page(["2"], A), _page(["never"])]
    )
    with pytest.raises(GraphResponseError) as info:
        await _list(connector)
    assert [u["id"] for u in info.value.partial] == ["1", "2"]
    assert "loop" in str(info.value)
    assert route.call_count == 2


async def test_a_next_link_back_to_the_first_page_is_an_error(graph, connector):
    route = graph.get(url__startswith=FIRST).mock(side_effect=[_page(["1"], FIRST), _page(["x"])])
    with pytest.raises(GraphResponseError) as info:
        await _list(connector)
    assert [u["id"] for u in info.value.partial] == ["1"]
    assert route.call_count == 1


async def test_a_to_b_to_a_is_an_error(graph, connector):
    route = graph.get(url__startswith=FIRST).mock(
        side_effect=[_page(["1"], A), _page(["2"], B), _page(["3"], A), _page(["never"])]
    )
    with pytest.raises(GraphResponseError) as info:
        await _list(connector)
    assert [u["id"] for u in info.value.partial] == ["1", "2", "3"]
    assert route.call_count == 3


async def test_iter_pages_stops_on_a_loop(graph, connector):
    graph.get(url__startswith=FIRST).mock(side_effect=[_page(["1"], A), _page(["2"], A)])
    seen = []
    with pytest.raises(GraphResponseError):
        async for page in connector.iter_pages("/users"):
            seen += [u["id"] for u in page.items]
    assert seen == ["1", "2"]


MALFORMED = [
    "not a url",
    "/v1.0/users?$skiptoken=relative",
    "https://graph.microsoft.com:99999/v1.0/users",
    "https://graph.microsoft.com:abc/v1.0/users",
    "https://graph.microsoft.com:0/v1.0/users",
    "ftp://graph.microsoft.com/v1.0/users",
    "https:///v1.0/users",
    "javascript:alert(1)",
    "https://graph.microsoft.com/v1.0/users?$skiptoken=a\tb",
    "https://[graph.microsoft.com/v1.0/users",
    "https://graph.microsoft.com/v1.0/users?$skiptoken=\x00",
    123,
    ["https://graph.microsoft.com/v1.0/users"],
    {"href": A},
]


@pytest.mark.parametrize("link", MALFORMED, ids=repr)
async def test_a_malformed_next_link_is_an_error_with_the_pages(graph, connector, link):
    route = graph.get(url__startswith=FIRST).mock(side_effect=[_page(["1", "2"], link)])
    with pytest.raises(GraphResponseError) as info:
        await _list(connector)
    assert [u["id"] for u in info.value.partial] == ["1", "2"]
    assert "not a URL" in str(info.value)
    assert route.call_count == 1


@pytest.mark.parametrize(
    "link",
    [
        "http://graph.microsoft.com/v1.0/users?$skiptoken=2",
        "https://graph.microsoft.com:8443/v1.0/users?$skiptoken=2",
        "https://graph.microsoft.com.evil.example/v1.0/users",
        "https://user:pass@evil.example/v1.0/users",
    ],
)
async def test_a_next_link_off_the_graph_origin_is_refused_with_the_pages(graph, connector, link):
    route = graph.get(url__startswith=FIRST).mock(side_effect=[_page(["1", "2"], link)])
    anywhere = graph.route().mock(return_value=_page(["stolen"]))
    with pytest.raises(GraphSecurityError) as info:
        await _list(connector)
    assert [u["id"] for u in info.value.partial] == ["1", "2"]
    assert "pass" not in str(info.value)
    assert route.call_count == 1
    assert anywhere.call_count == 0


@pytest.mark.parametrize(
    "link", ["https://user:pass@graph.microsoft.com/v1.0/u", "https://u@graph.microsoft.com/v1.0/u"]
)
async def test_a_next_link_with_user_info_is_refused_without_echoing_it(graph, connector, link):
    """httpx would send user info as Basic auth in place of the token, even to Graph."""
    route = graph.get(url__startswith=FIRST).mock(side_effect=[_page(["1", "2"], link)])
    anywhere = graph.route().mock(return_value=_page(["stolen"]))
    with pytest.raises(GraphResponseError) as info:
        await _list(connector)
    assert [u["id"] for u in info.value.partial] == ["1", "2"]
    assert "user info" in str(info.value)
    assert "pass" not in str(info.value)
    assert route.call_count == 1
    assert anywhere.call_count == 0
