"""A page that is not a Graph collection page stops the scan with GraphResponseError.

The pages received before it stay on ``.partial``; the scan is never reported as complete
(``success`` with ``truncated: False``) and no raw decoding error escapes.
"""

from __future__ import annotations

import httpx
import pytest

from graph_magic.errors import GraphAPIError, GraphResponseError
from tests.support.graph import GRAPH

NEXT = f"{GRAPH}/users?$skiptoken=p2"
THINGS_NEXT = f"{GRAPH}/things?$skiptoken=p2"
DEEP = b"[" * 100_000 + b"]" * 100_000
JSON = {"content-type": "application/json"}

# Second pages no Graph would send, each with the content type that came with it.
BROKEN_PAGES = {
    "truncated JSON": (b'{"value": [{"id": "3"}, {"id', JSON),
    "HTML 200": (b"<html><body>Service Unavailable</body></html>", {"content-type": "text/html"}),
    "empty 200": (b"", JSON),
    "empty 200, no content type": (b"", {}),
    "value is an object": (b'{"value": {"id": "3"}}', JSON),
    "value is a string": (b'{"value": "3"}', JSON),
    "value missing": (b'{"@odata.context": "x"}', JSON),
    "JSON array": (b'[{"id": "3"}]', JSON),
    "JSON null": (b"null", JSON),
    "100k-deep JSON": (DEEP, JSON),
    "deep JSON under value": (b'{"value": ' + DEEP + b"}", JSON),
    "plain text": (b"ok", {"content-type": "text/plain"}),
}


def _first_page(next_link: str | None = NEXT) -> httpx.Response:
    body: dict = {"value": [{"id": "1"}, {"id": "2"}]}
    if next_link is not None:
        body["@odata.nextLink"] = next_link
    return httpx.Response(200, json=body)


@pytest.mark.parametrize("case", list(BROKEN_PAGES))
async def test_a_broken_second_page_is_an_error_that_keeps_the_first(graph, connector, case):
    content, headers = BROKEN_PAGES[case]
    route = graph.get(f"{GRAPH}/users").mock(
        side_effect=[_first_page(), httpx.Response(200, content=content, headers=headers)]
    )
    with pytest.raises(GraphResponseError) as info:
        await connector.perform_action("user", "list", None, {"endpoint": "/users"})
    assert [u["id"] for u in info.value.partial] == ["1", "2"]
    assert "page 2" in str(info.value)
    assert route.call_count == 2


@pytest.mark.parametrize("case", ["truncated JSON", "HTML 200", "100k-deep JSON"])
async def test_iter_pages_yields_the_sound_pages_then_raises(graph, connector, case):
    content, headers = BROKEN_PAGES[case]
    graph.get(f"{GRAPH}/users").mock(
        side_effect=[_first_page(), httpx.Response(200, content=content, headers=headers)]
    )
    seen = []
    with pytest.raises(GraphResponseError):
        async for page in connector.iter_pages("/users"):
            seen.extend(item["id"] for item in page.items)
    assert seen == ["1", "2"]


@pytest.mark.parametrize("content", [b'{"value": [', b"{", DEEP, b"\xff\xfe"])
async def test_an_undecodable_first_page_is_an_error_not_a_crash(graph, connector, content):
    graph.get(f"{GRAPH}/me").mock(return_value=httpx.Response(200, content=content, headers=JSON))
    with pytest.raises(GraphResponseError) as info:
        await connector.perform_action("me", "get", None, {"endpoint": "/me"})
    assert info.value.partial is None
    assert "does not decode" in str(info.value)


async def test_an_undecodable_answer_to_a_write_is_an_error(graph, connector):
    graph.post(f"{GRAPH}/users").mock(
        return_value=httpx.Response(201, content=b'{"id": "new', headers=JSON)
    )
    with pytest.raises(GraphResponseError):
        await connector.perform_action(
            "user", "create", None, {"method": "POST", "endpoint": "/users", "body": {"a": 1}}
        )


async def test_a_deep_error_body_is_still_a_graph_api_error(graph, connector):
    graph.get(f"{GRAPH}/users").mock(
        side_effect=[_first_page(), httpx.Response(400, content=DEEP, headers=JSON)]
    )
    with pytest.raises(GraphAPIError) as info:
        await connector.perform_action("user", "list", None, {"endpoint": "/users"})
    assert info.value.status_code == 400
    assert [u["id"] for u in info.value.partial] == ["1", "2"]


async def test_a_single_entity_first_page_is_still_an_answer(graph, connector):
    """Only pages after the first must be collection pages: GET /me is one object."""
    graph.get(f"{GRAPH}/me").mock(return_value=httpx.Response(200, json={"id": "me"}))
    result = await connector.perform_action("me", "get", None, {"endpoint": "/me"})
    assert result["response"]["data"] == {"id": "me"}
    assert result["status"] == "success"


async def test_empty_collection_pages_with_a_next_link_do_not_end_the_scan(graph, connector):
    graph.get(f"{GRAPH}/users").mock(
        side_effect=[
            httpx.Response(200, json={"value": [], "@odata.nextLink": NEXT}),
            httpx.Response(200, json={"value": [{"id": "1"}]}),
        ]
    )
    result = await connector.perform_action("user", "list", None, {"endpoint": "/users"})
    assert result["response"]["data"]["value"] == [{"id": "1"}]
    assert result["response"]["truncated"] is False


async def test_a_collection_of_strings_is_returned_as_it_came(graph, connector):
    """``POST /me/getMemberGroups`` answers ids, not objects; nothing may expect dicts."""
    groups = {"value": ["g1", "g2"]}
    graph.post(f"{GRAPH}/me/getMemberGroups").mock(return_value=httpx.Response(200, json=groups))
    result = await connector.perform_action(
        "me",
        "groups",
        None,
        {"method": "POST", "endpoint": "/me/getMemberGroups", "body": {"securityEnabledOnly": 0}},
    )
    assert result["response"]["data"] == groups


async def test_strings_and_null_items_page_through(graph, connector):
    graph.get(f"{GRAPH}/things").mock(
        side_effect=[
            httpx.Response(200, json={"value": ["a", None], "@odata.nextLink": THINGS_NEXT}),
            httpx.Response(200, json={"value": [None, {"id": "1"}, 3]}),
        ]
    )
    result = await connector.perform_action("thing", "list", None, {"endpoint": "/things"})
    assert result["response"]["data"]["value"] == ["a", None, None, {"id": "1"}, 3]
    assert result["response"]["truncated"] is False


async def test_iter_pages_of_strings_and_nulls(graph, connector):
    graph.get(f"{GRAPH}/things").mock(
        side_effect=[
            httpx.Response(200, json={"value": ["a", None], "@odata.nextLink": THINGS_NEXT}),
            httpx.Response(200, json={"value": [None]}),
        ]
    )
    items = [i async for page in connector.iter_pages("/things") for i in page.items]
    assert items == ["a", None, None]
