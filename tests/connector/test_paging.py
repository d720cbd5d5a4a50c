"""Auto-pagination: empty pages, count, deltaLink, max_items, nextLink safety, redirects."""

from __future__ import annotations

import httpx
import pytest

from graph_magic.errors import GraphAPIError, GraphSecurityError
from tests.connector.connector_kit import make_connector
from tests.support.graph import GRAPH


def _page(items, next_token=None, **extra):
    body = {"@odata.context": f"{GRAPH}/$metadata#users", **extra, "value": items}
    if next_token:
        body["@odata.nextLink"] = f"{GRAPH}/users?$top=2&$skiptoken={next_token}"
    return httpx.Response(200, json=body, headers={"request-id": f"rid-{next_token}"})


def _users(*ids):
    return [{"id": str(i), "displayName": f"User {i}"} for i in ids]


async def _get(connector, endpoint="/users", **config):
    return await connector.perform_action(
        "user", "list", None, {"method": "GET", "endpoint": endpoint, **config}
    )


async def test_follows_every_page_through_an_empty_middle_page(graph, connector):
    route = graph.get(f"{GRAPH}/users").mock(
        side_effect=[
            _page(_users(1, 2), "p2", **{"@odata.count": 5}),
            _page([], "p3"),
            _page(_users(3, 4), "p4"),
            _page(_users(5)),
        ]
    )
    out = await _get(connector, params={"$top": "2"}, auto_paginate=True)

    resp = out["response"]
    assert [u["id"] for u in resp["data"]["value"]] == ["1", "2", "3", "4", "5"]
    assert resp["pages"] == 4
    assert resp["data"]["@odata.count"] == 5
    assert resp["data"]["@odata.context"].endswith("#users")
    assert "@odata.nextLink" not in resp["data"]
    assert resp["next_link"] is None and resp["truncated"] is False
    sent = [str(c.request.url) for c in route.calls]
    assert sent == [
        f"{GRAPH}/users?$top=2",
        f"{GRAPH}/users?$top=2&$skiptoken=p2",
        f"{GRAPH}/users?$top=2&$skiptoken=p3",
        f"{GRAPH}/users?$top=2&$skiptoken=p4",
    ]
    assert all(c.request.headers["authorization"] == "Bearer token-1" for c in route.calls)
    cids = {c.request.headers["client-request-id"] for c in route.calls}
    assert cids == {out["correlation_id"]}


async def test_delta_link_comes_from_the_last_page(graph, connector):
    route = graph.get(f"{GRAPH}/users/delta").mock(
        side_effect=[
            httpx.Response(
                200,
                json={"value": _users(1), "@odata.nextLink": f"{GRAPH}/users/delta?$skiptoken=s"},
            ),
            httpx.Response(
                200,
                json={"value": _users(2), "@odata.deltaLink": f"{GRAPH}/users/delta?$deltatoken=x"},
            ),
        ]
    )
    out = await _get(connector, "/users/delta")
    assert route.call_count == 2
    assert out["response"]["data"]["@odata.deltaLink"] == f"{GRAPH}/users/delta?$deltatoken=x"
    assert [u["id"] for u in out["response"]["data"]["value"]] == ["1", "2"]


async def test_max_items_stops_early_and_says_so(graph, connector):
    route = graph.get(f"{GRAPH}/users").mock(
        side_effect=[_page(_users(1, 2), "p2"), _page(_users(3, 4), "p3"), _page(_users(5))]
    )
    out = await _get(connector, max_items=3)
    resp = out["response"]
    assert [u["id"] for u in resp["data"]["value"]] == ["1", "2", "3"]
    assert resp["truncated"] is True
    assert resp["next_link"] == f"{GRAPH}/users?$top=2&$skiptoken=p3"
    assert resp["data"]["@odata.nextLink"] == resp["next_link"]
    assert route.call_count == 2


async def test_no_paginate_returns_the_first_page_with_its_link(graph, connector):
    route = graph.get(f"{GRAPH}/users").mock(side_effect=[_page(_users(1, 2), "p2")])
    out = await _get(connector, auto_paginate=False)
    resp = out["response"]
    assert route.call_count == 1
    assert resp["pages"] == 1 and resp["truncated"] is True
    assert resp["next_link"] == f"{GRAPH}/users?$top=2&$skiptoken=p2"


async def test_system_auto_paginate_false_is_the_default(graph, tokens, sleeper):
    conn = make_connector(tokens, sleeper, auto_paginate=False)
    route = graph.get(f"{GRAPH}/users").mock(side_effect=[_page(_users(1), "p2")])
    out = await _get(conn)
    assert route.call_count == 1 and out["response"]["truncated"] is True
    await conn.close()


async def test_foreign_host_next_link_is_refused_before_sending(graph, connector):
    evil = graph.get("https://evil.example.net/v1.0/users").mock(
        return_value=httpx.Response(200, json={"value": []})
    )
    graph.get(f"{GRAPH}/users").mock(
        return_value=httpx.Response(
            200,
            json={"value": _users(1), "@odata.nextLink": "https://evil.example.net/v1.0/users?x=1"},
        )
    )
    with pytest.raises(GraphSecurityError) as info:
        await _get(connector)
    assert "evil.example.net" in str(info.value)
    assert evil.call_count == 0


@pytest.mark.parametrize(
    "link",
    [
        "http://graph.microsoft.com/v1.0/users?$skiptoken=a",  # scheme
        "https://graph.microsoft.com:8443/v1.0/users?$skiptoken=a",  # port
    ],
)
async def test_next_link_scheme_or_port_change_is_refused(graph, connector, link):
    graph.get(f"{GRAPH}/users").mock(
        return_value=httpx.Response(200, json={"value": [], "@odata.nextLink": link})
    )
    with pytest.raises(GraphSecurityError):
        await _get(connector)


async def test_full_url_endpoint_on_another_host_is_refused(graph, connector):
    with pytest.raises(GraphSecurityError):
        await _get(connector, "https://example.com/v1.0/users")
    assert not graph.calls


async def test_full_url_version_segment_wins(graph, connector):
    route = graph.get("https://graph.microsoft.com/beta/users").mock(
        return_value=httpx.Response(200, json={"value": []})
    )
    await _get(connector, "https://graph.microsoft.com/beta/users?$select=id,displayName")
    assert str(route.calls[0].request.url) == (
        "https://graph.microsoft.com/beta/users?$select=id,displayName"
    )


async def test_params_are_encoded_once(graph, connector):
    route = graph.get(f"{GRAPH}/groups").mock(return_value=httpx.Response(200, json={"value": []}))
    await _get(
        connector,
        "/groups",
        params={"$select": "id,displayName", "$top": 5, "custom": "a&b=c d+e%"},
        headers={"ConsistencyLevel": "session"},
    )
    assert route.calls[0].request.url.query.decode() == (
        "$select=id,displayName&$top=5&custom=a%26b%3Dc%20d%2Be%25"
    )


async def test_redirect_to_another_host_drops_authorization(graph, connector):
    graph.get(f"{GRAPH}/reports/getOffice365ActiveUserDetail(period='D7')").mock(
        return_value=httpx.Response(302, headers={"Location": "https://reports.example.net/r.csv"})
    )
    download = graph.get("https://reports.example.net/r.csv").mock(
        return_value=httpx.Response(200, text="a,b\n1,2\n", headers={"content-type": "text/csv"})
    )
    out = await _get(connector, "/reports/getOffice365ActiveUserDetail(period='D7')")
    assert out["response"]["data"] == b"a,b\n1,2\n"
    sent = download.calls[0].request.headers
    assert "authorization" not in sent
    assert sent["client-request-id"] == out["correlation_id"]


async def test_redirect_on_the_graph_host_keeps_authorization(graph, connector):
    graph.get(f"{GRAPH}/old").mock(
        return_value=httpx.Response(301, headers={"Location": f"{GRAPH}/new"})
    )
    new = graph.get(f"{GRAPH}/new").mock(return_value=httpx.Response(200, json={"id": "x"}))
    out = await _get(connector, "/old")
    assert out["response"]["data"] == {"id": "x"}
    assert new.calls[0].request.headers["authorization"] == "Bearer token-1"


async def test_text_plain_count_is_text_and_204_is_none(graph, connector):
    graph.get(f"{GRAPH}/users/$count").mock(
        return_value=httpx.Response(200, text="893", headers={"content-type": "text/plain"})
    )
    patch = graph.patch(f"{GRAPH}/users/abc").mock(return_value=httpx.Response(204))
    out = await _get(connector, "/users/$count")
    assert out["response"]["data"] == "893"
    out = await connector.perform_action(
        "user",
        "update",
        None,
        {"method": "PATCH", "endpoint": "/users/abc", "body": {"usageLocation": "US"}},
    )
    assert out["response"]["data"] is None and out["response"]["status_code"] == 204
    assert patch.calls[0].request.content == b'{"usageLocation": "US"}'
    assert patch.calls[0].request.headers["content-type"] == "application/json"


async def test_entity_is_returned_as_json(graph, connector):
    graph.get(f"{GRAPH}/users/abc").mock(
        return_value=httpx.Response(200, json={"id": "abc"}, headers={"request-id": "r-1"})
    )
    # placeholders come from the positional params
    out = await connector.perform_action(
        "user", "get", {"user": "abc"}, {"method": "GET", "endpoint": "/users/{user}"}
    )
    assert out["response"]["data"] == {"id": "abc"}
    assert out["response"]["request_id"] == "r-1"
    assert out["status"] == "success" and out["response"]["pages"] == 1


async def test_failure_mid_scan_keeps_items_on_partial(graph, connector):
    graph.get(f"{GRAPH}/users").mock(
        side_effect=[
            _page(_users(1, 2), "p2"),
            httpx.Response(
                404,
                json={"error": {"code": "Request_ResourceNotFound", "message": "gone"}},
            ),
        ]
    )
    with pytest.raises(GraphAPIError) as info:
        await _get(connector)
    assert [u["id"] for u in info.value.partial] == ["1", "2"]


async def test_iter_pages_yields_page_objects(graph, connector):
    graph.get(f"{GRAPH}/users").mock(
        side_effect=[_page(_users(1), "p2", **{"@odata.count": 2}), _page(_users(2))]
    )
    pages = [p async for p in connector.iter_pages("/users", params={"$top": 1})]
    assert [p.number for p in pages] == [1, 2]
    assert pages[0].count == 2 and pages[1].count is None
    assert pages[0].next_link.endswith("$skiptoken=p2") and pages[1].next_link is None
    assert [i["id"] for p in pages for i in p.items] == ["1", "2"]
    assert pages[0].status_code == 200 and pages[0].content_type == "application/json"


async def test_iter_pages_max_items(graph, connector):
    graph.get(f"{GRAPH}/users").mock(side_effect=[_page(_users(1, 2), "p2"), _page(_users(3))])
    pages = [p async for p in connector.iter_pages("/users", max_items=1)]
    assert len(pages) == 1 and [i["id"] for i in pages[0].items] == ["1"]


async def test_resuming_from_a_next_link_keeps_it_byte_for_byte(graph, connector):
    link = f"{GRAPH}/users?$top=5&$skiptoken=X%274453707%27"
    route = graph.get(f"{GRAPH}/users").mock(return_value=_page(_users(9)))
    pages = [p async for p in connector.iter_pages(link, max_items=10)]
    assert str(route.calls[0].request.url) == link
    assert [i["id"] for i in pages[0].items] == ["9"]
