"""Advanced-query detection: which requests get ConsistencyLevel and $count=true, and when."""

from __future__ import annotations

import httpx
import pytest

from graph_magic.connector.advanced import plan_advanced_query
from tests.connector.connector_kit import make_connector
from tests.support.graph import GRAPH

EVENTUAL = {"ConsistencyLevel": "eventual"}


@pytest.mark.parametrize(
    ("path", "params", "headers", "mode", "want_params", "want_headers", "advanced"),
    [
        # directory paths with an advanced option
        (
            "/users",
            {"$search": '"displayName:ada"'},
            {},
            "auto",
            {"$count": "true"},
            EVENTUAL,
            True,
        ),
        (
            "/users",
            {"$filter": "endsWith(mail,'@x.com')"},
            {},
            "auto",
            {"$count": "true"},
            EVENTUAL,
            True,
        ),
        (
            "/groups",
            {"$filter": "displayName ne 'x'"},
            {},
            "auto",
            {"$count": "true"},
            EVENTUAL,
            True,
        ),
        (
            "/applications",
            {"$orderby": "displayName"},
            {},
            "auto",
            {"$count": "true"},
            EVENTUAL,
            True,
        ),
        ("/devices", {"$count": "true"}, {}, "auto", {}, EVENTUAL, True),
        (
            "/users/abc/memberOf",
            {"$filter": "not(x eq 1)"},
            {},
            "auto",
            {"$count": "true"},
            EVENTUAL,
            True,
        ),
        ("/users/$count", {}, {}, "auto", {}, EVENTUAL, True),
        (
            "/me/transitiveMemberOf/microsoft.graph.group",
            {"$search": '"displayName:a"'},
            {},
            "auto",
            {"$count": "true"},
            EVENTUAL,
            True,
        ),
        # nothing advanced asked
        ("/users", {"$select": "id", "$top": "5"}, {}, "auto", {}, {}, False),
        # $expand switches detection off
        (
            "/users",
            {"$filter": "accountEnabled eq true", "$expand": "manager"},
            {},
            "auto",
            {},
            {},
            False,
        ),
        # non-directory paths get nothing
        ("/auditLogs/signIns", {"$filter": "status/errorCode ne 0"}, {}, "auto", {}, {}, False),
        ("/me/messages", {"$search": '"hello"'}, {}, "auto", {}, {}, False),
        ("/me/messages", {"$count": "true"}, {}, "auto", {}, {}, False),
        # the caller's own choices win
        (
            "/users",
            {"$filter": "x ne 1"},
            {"consistencylevel": "eventual"},
            "auto",
            {"$count": "true"},
            {},
            True,
        ),
        (
            "/users",
            {"$filter": "x ne 1", "$count": "true"},
            {"ConsistencyLevel": "eventual"},
            "auto",
            {},
            {},
            True,
        ),
        ("/users", {"$filter": "x ne 1", "$count": "false"}, {}, "auto", {}, {}, False),
        ("/users", {"$filter": "x ne 1"}, {"ConsistencyLevel": "session"}, "auto", {}, {}, False),
        # the setting
        ("/users", {"$filter": "x ne 1"}, {}, "never", {}, {}, False),
        ("/users", {"$select": "id"}, {}, "always", {"$count": "true"}, EVENTUAL, True),
        ("/me/messages", {}, {}, "always", {}, {}, False),
    ],
)
def test_detection_matrix(path, params, headers, mode, want_params, want_headers, advanced):
    plan = plan_advanced_query(path, params, headers, mode)
    assert plan.params == want_params
    assert plan.headers == want_headers
    assert plan.advanced is advanced


def test_writes_are_never_advanced():
    plan = plan_advanced_query("/users", {"$filter": "x ne 1"}, {}, "auto", method="POST")
    assert plan.params == {} and plan.headers == {} and not plan.advanced


async def test_header_is_resent_on_every_next_link_page(graph, connector):
    route = graph.get(f"{GRAPH}/users").mock(
        side_effect=[
            httpx.Response(
                200,
                json={
                    "@odata.count": 3,
                    "value": [{"id": "1"}],
                    "@odata.nextLink": f"{GRAPH}/users?$search=%22displayName:a%22&$skiptoken=2",
                },
            ),
            httpx.Response(
                200,
                json={
                    "value": [{"id": "2"}],
                    "@odata.nextLink": f"{GRAPH}/users?$search=%22displayName:a%22&$skiptoken=3",
                },
            ),
            httpx.Response(200, json={"value": [{"id": "3"}]}),
        ]
    )
    out = await connector.perform_action(
        "user",
        "search",
        None,
        {"method": "GET", "endpoint": "/users", "params": {"$search": '"displayName:a"'}},
    )
    assert out["response"]["advanced_query"] is True
    assert out["response"]["data"]["@odata.count"] == 3
    first = route.calls[0].request
    assert first.url.params["$count"] == "true"
    assert first.url.params["$search"] == '"displayName:a"'
    assert [c.request.headers.get("consistencylevel") for c in route.calls] == ["eventual"] * 3


async def test_expand_gets_no_header(graph, connector):
    route = graph.get(f"{GRAPH}/users").mock(return_value=httpx.Response(200, json={"value": []}))
    await connector.perform_action(
        "user",
        "list",
        None,
        {"method": "GET", "endpoint": "/users?$filter=accountEnabled eq true&$expand=manager"},
    )
    request = route.calls[0].request
    assert "consistencylevel" not in request.headers
    assert "$count" not in request.url.params
    assert request.url.params["$filter"] == "accountEnabled eq true"


async def test_unsupported_query_400_is_retried_once_with_both(graph, tokens, sleeper):
    conn = make_connector(tokens, sleeper)
    message = (
        "Operator 'endsWith' is not supported because the required parameters might be missing. "
        "Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to "
        "https://aka.ms/graph-docs/advanced-queries for more information"
    )
    route = graph.get(f"{GRAPH}/users").mock(
        side_effect=[
            httpx.Response(
                400, json={"error": {"code": "Request_UnsupportedQuery", "message": message}}
            ),
            httpx.Response(200, json={"value": [{"id": "1"}]}),
        ]
    )
    # $expand keeps auto-detection off, so the first request goes without the header
    out = await conn.perform_action(
        "user",
        "list",
        None,
        {
            "method": "GET",
            "endpoint": "/users",
            "params": {"$filter": "endsWith(mail,'@contoso.com')", "$expand": "manager"},
        },
    )
    assert route.call_count == 2
    first, second = (c.request for c in route.calls)
    assert "consistencylevel" not in first.headers and "$count" not in first.url.params
    assert second.headers["consistencylevel"] == "eventual"
    assert second.url.params["$count"] == "true"
    assert out["response"]["advanced_query"] is True
    await conn.close()


async def test_unsupported_query_400_not_retried_under_never(graph, tokens, sleeper):
    conn = make_connector(tokens, sleeper, advanced_query="never")
    route = graph.get(f"{GRAPH}/users").mock(
        return_value=httpx.Response(
            400,
            json={
                "error": {
                    "code": "Request_UnsupportedQuery",
                    "message": "Request with $search query parameter only works through "
                    "MSGraph with a special request header: 'ConsistencyLevel: eventual'",
                }
            },
        )
    )
    from graph_magic.errors import GraphAPIError

    with pytest.raises(GraphAPIError) as info:
        await conn.perform_action(
            "user",
            "search",
            None,
            {"method": "GET", "endpoint": "/users", "params": {"$search": '"displayName:a"'}},
        )
    assert route.call_count == 1
    assert "ConsistencyLevel" in info.value.hint
    await conn.close()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/users", True),
        ("/users/abc", True),
        ("/groups/g1/transitiveMembers/microsoft.graph.user", True),
        ("/me/memberOf", True),
        ("/servicePrincipals/s/appRoleAssignedTo", True),
        ("/me/messages", False),
        ("/users/abc/calendar/events", False),
        ("/auditLogs/directoryAudits", False),
        ("/sites/root", False),
    ],
)
def test_directory_paths(path, expected):
    from graph_magic.connector.advanced import is_directory_path

    assert is_directory_path(path) is expected
