"""GraphAPIError's shape, the hints for Graph's gotchas, and the expired-token refresh."""

from __future__ import annotations

import httpx
import pytest

from graph_magic.connector.hints import hint_for
from graph_magic.errors import GraphAPIError
from tests.support.graph import GRAPH

EXPIRED = "Access token has expired or is not yet valid."


def _error(status, code, message, **headers):
    return httpx.Response(
        status,
        headers=headers,
        json={
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": "2026-11-27T10:00:00",
                    "request-id": "req-1",
                    "client-request-id": "client-1",
                },
            }
        },
    )


async def _call(conn, method="GET", endpoint="/users", **config):
    return await conn.perform_action(
        "x", "y", None, {"method": method, "endpoint": endpoint, **config}
    )


async def test_error_carries_graph_fields_and_detail(graph, connector):
    graph.get(f"{GRAPH}/users/nope").mock(
        return_value=_error(404, "Request_ResourceNotFound", "Resource 'nope' does not exist.")
    )
    with pytest.raises(GraphAPIError) as info:
        await _call(connector, endpoint="/users/nope")
    err = info.value
    assert err.status_code == 404
    assert err.code == "Request_ResourceNotFound"
    assert err.message == "Resource 'nope' does not exist."
    assert (err.request_id, err.client_request_id, err.date) == (
        "req-1",
        "client-1",
        "2026-11-27T10:00:00",
    )
    assert err.detail["error"] == "HTTP Error 404"
    assert err.detail["upstream"]["url"] == f"{GRAPH}/users/nope"
    assert err.detail["upstream"]["detail"]["error"]["code"] == "Request_ResourceNotFound"
    assert err.method == "GET" and err.attempts == 1 and err.hint is None


async def test_request_id_falls_back_to_headers(graph, connector):
    graph.get(f"{GRAPH}/users").mock(
        return_value=httpx.Response(400, text="bad", headers={"request-id": "hdr-1"})
    )
    with pytest.raises(GraphAPIError) as info:
        await _call(connector)
    assert info.value.request_id == "hdr-1"
    assert info.value.detail["upstream"]["detail"] == "bad"


@pytest.mark.parametrize(
    ("status", "code", "message", "method", "path", "needle"),
    [
        (
            400,
            "Request_UnsupportedQuery",
            "Request with $search query parameter only works through MSGraph with a special "
            "request header: 'ConsistencyLevel: eventual'",
            "GET",
            "/users",
            "ConsistencyLevel",
        ),
        (
            400,
            "Request_BadRequest",
            "Unsupported segment",
            "GET",
            "/devices/d1/owners",
            "registeredOwners",
        ),
        (
            400,
            "Request_BadRequest",
            "License assignment cannot be done for user with invalid usage location.",
            "POST",
            "/users/u1/assignLicense",
            "usageLocation",
        ),
        (
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges",
            "GET",
            "/auditLogs/signIns",
            "AuditLog.Read.All",
        ),
        (
            401,
            "Unauthorized",
            "Insufficient privileges to perform requested operation",
            "POST",
            "/invitations",
            "User.Invite.All",
        ),
        (
            403,
            "Forbidden",
            "Guest invitations not allowed",
            "POST",
            "/invitations",
            "User.Invite.All",
        ),
        (
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
            "GET",
            "/users/u1",
            "User.Read.All",
        ),
        (
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges",
            "GET",
            "/groups",
            "Group.Read.All",
        ),
        (
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges",
            "GET",
            "/devices",
            "Device.Read.All",
        ),
        (
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges",
            "GET",
            "/servicePrincipals",
            "Application.Read.All",
        ),
        (
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges",
            "GET",
            "/applications",
            "Application.Read.All",
        ),
        (
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges",
            "PATCH",
            "/groups/g",
            "Group.ReadWrite.All",
        ),
    ],
)
def test_hints(status, code, message, method, path, needle):
    hint = hint_for(status, code, message, method, path)
    assert hint is not None and needle in hint


def test_no_hint_for_ordinary_errors():
    assert hint_for(404, "Request_ResourceNotFound", "gone", "GET", "/users/x") is None
    assert hint_for(403, "accessDenied", "no", "GET", "/sites/root") is None


async def test_hint_reaches_the_error(graph, connector):
    graph.get(f"{GRAPH}/devices/d1/owners").mock(
        return_value=_error(400, "Request_BadRequest", "Unsupported segment type.")
    )
    with pytest.raises(GraphAPIError) as info:
        await _call(connector, endpoint="/devices/d1/owners")
    assert "registeredOwners" in info.value.hint
    assert "Hint:" in str(info.value)


async def test_expired_token_is_refreshed_once(graph, connector, tokens):
    route = graph.get(f"{GRAPH}/users").mock(
        side_effect=[
            _error(
                401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid."
            ),
            httpx.Response(200, json={"value": []}),
        ]
    )
    out = await _call(connector)
    assert out["response"]["status_code"] == 200
    assert [c.request.headers["authorization"] for c in route.calls] == [
        "Bearer token-1",
        "Bearer token-2",
    ]
    assert tokens.forced == 1


async def test_expired_token_twice_is_an_error(graph, connector, tokens):
    route = graph.get(f"{GRAPH}/users").mock(
        return_value=_error(
            401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid."
        )
    )
    with pytest.raises(GraphAPIError) as info:
        await _call(connector)
    assert route.call_count == 2 and tokens.forced == 1
    assert info.value.status_code == 401


async def test_other_401_is_not_retried(graph, connector, tokens):
    route = graph.get(f"{GRAPH}/users").mock(
        return_value=_error(401, "InvalidAuthenticationToken", "Access token validation failure.")
    )
    with pytest.raises(GraphAPIError):
        await _call(connector)
    assert route.call_count == 1 and tokens.forced == 0


def test_the_sandboxs_501_hints_at_a_real_tenant_and_graphs_own_501_does_not():
    message = (
        "The sandbox does not model GET /v1.0/organization: it is real Microsoft Graph (Graph's "
        "v1.0 metadata knows it), but the offline sandbox tenant does not answer it."
    )
    hint = hint_for(501, "NotImplemented", message, "GET", "/organization")
    assert hint == (
        "The offline sandbox answers only part of Graph, and not this real request: send it to "
        "a real tenant (--system NAME; %graph systems lists them)."
    )
    graphs_own = "This operation target is not yet supported."
    assert hint_for(501, "NotImplemented", graphs_own, "GET", "/users?$select=skills") is None
