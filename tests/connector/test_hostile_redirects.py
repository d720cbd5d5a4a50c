"""Redirects: a request body and the token never follow to another host, https is never
given up for http, and a Location that is not a URL is an error, not a raw InvalidURL."""

from __future__ import annotations

import httpx
import pytest

from graph_magic.errors import GraphResponseError, GraphSecurityError, GraphTransportError
from tests.support.graph import GRAPH

OTHER = "https://other.example.net/users"
BODY = {"displayName": "New", "passwordProfile": {"password": "Secret-Pa55"}}


def _create(connector, method: str = "POST"):
    command = {"method": method, "endpoint": "/users", "body": BODY}
    return connector.perform_action("user", "create", None, command)


@pytest.mark.parametrize("status", [307, 308])
@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT"])
async def test_a_body_is_not_forwarded_to_another_host(graph, connector, status, method):
    graph.route(method=method, url=f"{GRAPH}/users").mock(
        return_value=httpx.Response(status, headers={"Location": OTHER})
    )
    other = graph.route(host="other.example.net").mock(return_value=httpx.Response(201, json={}))
    with pytest.raises(GraphSecurityError) as info:
        await _create(connector, method)
    assert other.call_count == 0
    assert info.value.url == "https://other.example.net"
    assert "Secret-Pa55" not in str(info.value)


@pytest.mark.parametrize("status", [307, 308])
async def test_a_body_follows_a_redirect_on_the_graph_host(graph, connector, status):
    graph.post(f"{GRAPH}/users").mock(
        return_value=httpx.Response(status, headers={"Location": f"{GRAPH}/users2"})
    )
    moved = graph.post(f"{GRAPH}/users2").mock(return_value=httpx.Response(201, json={"id": "1"}))
    out = await _create(connector)
    assert out["response"]["data"] == {"id": "1"}
    sent = moved.calls[0].request
    assert b"Secret-Pa55" in sent.content
    assert sent.headers["authorization"] == "Bearer token-1"


@pytest.mark.parametrize("status", [301, 302, 303])
async def test_a_post_redirected_elsewhere_as_get_carries_neither_body_nor_token(
    graph, connector, status
):
    graph.post(f"{GRAPH}/users").mock(
        return_value=httpx.Response(status, headers={"Location": OTHER})
    )
    other = graph.get(OTHER).mock(return_value=httpx.Response(200, json={"ok": True}))
    out = await _create(connector)
    assert out["response"]["data"] == {"ok": True}
    sent = other.calls[0].request
    assert sent.content == b""
    assert "authorization" not in sent.headers


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(
    "location",
    ["http://graph.microsoft.com/v1.0/users?$filter=secret", "http://other.example.net/r.csv"],
)
async def test_https_is_never_given_up_for_http(graph, connector, status, location):
    graph.get(url__startswith=f"{GRAPH}/users").mock(
        return_value=httpx.Response(status, headers={"Location": location})
    )
    plain = graph.route(scheme="http").mock(return_value=httpx.Response(200, json={"value": []}))
    with pytest.raises(GraphSecurityError):
        await connector.perform_action("user", "list", None, {"endpoint": "/users"})
    assert plain.call_count == 0


async def test_a_downgrade_on_a_later_page_keeps_the_pages_before(graph, connector):
    graph.get(f"{GRAPH}/users").mock(
        return_value=httpx.Response(
            200, json={"value": [{"id": "1"}], "@odata.nextLink": f"{GRAPH}/users2"}
        )
    )
    graph.get(f"{GRAPH}/users2").mock(
        return_value=httpx.Response(302, headers={"Location": "http://graph.microsoft.com/x"})
    )
    with pytest.raises(GraphSecurityError) as info:
        await connector.perform_action("user", "list", None, {"endpoint": "/users"})
    assert info.value.partial == [{"id": "1"}]


@pytest.mark.parametrize("location", ["https://[broken/x", "https://graph.microsoft.com:99999/x"])
async def test_a_location_that_is_not_a_url_is_an_error(graph, connector, location):
    graph.get(f"{GRAPH}/me").mock(return_value=httpx.Response(302, headers={"Location": location}))
    with pytest.raises(GraphResponseError) as info:
        await connector.perform_action("me", "get", None, {"endpoint": "/me"})
    assert "Location that is not a URL" in str(info.value)


async def test_a_location_httpx_cannot_parse_is_a_transport_error(graph, connector):
    """httpx reads the Location itself (for ``next_request``) and calls it a protocol error."""
    graph.get(f"{GRAPH}/me").mock(
        return_value=httpx.Response(302, headers={"Location": "https://h:abc/x"})
    )
    with pytest.raises(GraphTransportError) as info:
        await connector.perform_action("me", "get", None, {"endpoint": "/me"})
    assert "Invalid URL in location header" in str(info.value)


async def test_a_redirect_loop_stops_after_the_redirect_limit(graph, connector):
    route = graph.get(f"{GRAPH}/me").mock(
        return_value=httpx.Response(302, headers={"Location": f"{GRAPH}/me"})
    )
    with pytest.raises(GraphResponseError) as info:
        await connector.perform_action("me", "get", None, {"endpoint": "/me"})
    assert "redirected more than 5 times" in str(info.value)
    assert route.call_count == 6
