"""OData casts on memberOf and members, and $expand=manager($levels=...), as a client sees them."""

from __future__ import annotations

import httpx
import pytest

from tests.sandbox.sandbox_kit import EVENTUAL, GRAPH, delegated, error_of

ADVANCED = {"$count": "true"}
CONTEXT = "https://graph.microsoft.com/v1.0/$metadata#"
CAST_NEEDS_ADVANCED = (
    400,
    "Request_UnsupportedQuery",
    "OData cast with $filter, $orderby, $search or $count is not supported because the required "
    "parameters might be missing. Try adding $count=true query parameter and "
    "ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for "
    "more information",
)


def _mixed_group(tenant):
    """A group whose direct members are users and at least one group."""
    return next(
        g
        for g in tenant.groups
        if any(tenant.find_object(m).get("groupTypes") is not None for m in tenant.members[g["id"]])
    )


def _chain(tenant, user_id):
    """The user's managers, nearest first."""
    chain = []
    while user_id in tenant.manager_of:
        user_id = tenant.manager_of[user_id]
        chain.append(tenant.find_object(user_id))
    return chain


async def test_member_of_cast_lists_groups_shaped_as_groups(client, app):
    tenant = app.state.tenant
    user = tenant.users[20]
    group_ids = list(tenant.member_of[user["id"]])
    r = await client.get(f"/v1.0/users/{user['id']}/memberOf/microsoft.graph.group")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json;odata.metadata=minimal")
    body = r.json()
    assert body["@odata.context"] == CONTEXT + "groups"
    assert [g["id"] for g in body["value"]] == group_ids
    listed = (await client.get(f"/v1.0/groups/{group_ids[0]}")).json()
    assert body["value"][0] == {k: v for k, v in listed.items() if k != "@odata.context"}
    assert "@odata.type" not in body["value"][0]


async def test_member_of_cast_select_and_paging_run_by_default(client, app):
    user = app.state.tenant.users[20]
    url = f"/v1.0/users/{user['id']}/memberOf/microsoft.graph.group"
    r = await client.get(url, params={"$select": "displayName,id", "$top": "2"})
    body = r.json()
    assert body["@odata.context"] == CONTEXT + "groups(displayName,id)"
    assert all(set(g) == {"displayName", "id"} for g in body["value"])
    assert body["@odata.nextLink"].startswith(
        f"https://graph.microsoft.com/v1.0/users/{user['id']}/memberOf/microsoft.graph.group?"
    )
    rest = (await client.get(body["@odata.nextLink"])).json()["value"]
    assert len(body["value"]) + len(rest) == len(app.state.tenant.member_of[user["id"]])


@pytest.mark.parametrize(
    "params",
    [
        {"$filter": "startswith(displayName,'S')"},
        {"$orderby": "displayName"},
        {"$count": "true"},
        {"$search": '"displayName:Sales"'},
    ],
)
async def test_member_of_cast_with_query_options_needs_advanced_query(client, app, params):
    user = app.state.tenant.users[20]
    url = f"/v1.0/users/{user['id']}/memberOf/microsoft.graph.group"
    assert error_of(await client.get(url, params=params)) == CAST_NEEDS_ADVANCED
    r = await client.get(url, params={**params, **ADVANCED}, headers=EVENTUAL)
    assert r.status_code == 200, r.text
    assert "@odata.count" in r.json()


async def test_member_of_cast_advanced_filter_counts_and_sorts(client, app):
    tenant = app.state.tenant
    user = tenant.users[20]
    groups = [tenant.find_object(g) for g in tenant.member_of[user["id"]]]
    r = await client.get(
        f"/v1.0/users/{user['id']}/memberOf/microsoft.graph.group",
        params={"$orderby": "displayName", "$filter": "securityEnabled eq false", **ADVANCED},
        headers=EVENTUAL,
    )
    body = r.json()
    expected = sorted(
        (g for g in groups if not g["securityEnabled"]), key=lambda g: g["displayName"].lower()
    )
    assert body["@odata.count"] == len(expected)
    assert [g["id"] for g in body["value"]] == [g["id"] for g in expected]


async def test_member_of_cast_count_segment(client, app):
    user = app.state.tenant.users[20]
    url = f"/v1.0/users/{user['id']}/memberOf/microsoft.graph.group/$count"
    r = await client.get(url, headers=EVENTUAL)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text == str(len(app.state.tenant.member_of[user["id"]]))
    assert error_of(await client.get(url)) == (
        400,
        "Request_BadRequest",
        "$count is not currently supported.",
    )


async def test_me_member_of_cast_with_a_delegated_token(client, app):
    user = app.state.tenant.users[20]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=delegated(app, user)
    ) as me:
        body = (await me.get("/v1.0/me/memberOf/microsoft.graph.group?$select=id")).json()
        assert body["@odata.context"] == CONTEXT + "groups(id)"
        assert [g["id"] for g in body["value"]] == list(app.state.tenant.member_of[user["id"]])
        count = await me.get("/v1.0/me/memberOf/microsoft.graph.group/$count", headers=EVENTUAL)
        assert count.text == str(len(body["value"]))
    assert error_of(await client.get("/v1.0/me/memberOf/microsoft.graph.group"))[:2] == (
        400,
        "BadRequest",
    )


@pytest.mark.parametrize(("cast", "collection"), [("user", "users"), ("group", "groups")])
async def test_members_cast_keeps_one_type(client, app, cast, collection):
    tenant = app.state.tenant
    group = _mixed_group(tenant)
    kind = "userPrincipalName" if cast == "user" else "groupTypes"
    expected = [m for m in tenant.members[group["id"]] if kind in tenant.find_object(m)]
    url = f"/v1.0/groups/{group['id']}/members/microsoft.graph.{cast}"
    body = (await client.get(url, params={"$top": "999"})).json()
    assert body["@odata.context"] == CONTEXT + collection
    assert [m["id"] for m in body["value"]] == expected and expected
    assert all("@odata.type" not in m for m in body["value"])
    if cast == "user":  # a user's default properties, as /users lists them
        assert set(body["value"][0]) == set(
            (await client.get("/v1.0/users?$top=1")).json()["value"][0]
        )
    count = await client.get(url + "/$count", headers=EVENTUAL)
    assert count.text == str(len(expected))


async def test_a_cast_to_no_directory_type_is_a_bad_segment(client, app):
    user = app.state.tenant.users[20]
    r = await client.get(f"/v1.0/users/{user['id']}/memberOf/microsoft.graph.message")
    assert error_of(r) == (
        400,
        "BadRequest",
        "Resource not found for the segment 'microsoft.graph.message'.",
    )


async def test_a_real_cast_the_sandbox_lacks_is_its_501(client, app):
    user = app.state.tenant.users[20]
    path = f"/v1.0/users/{user['id']}/memberOf/microsoft.graph.directoryRole"
    status, code, message = error_of(await client.get(path))
    assert (status, code) == (501, "NotImplemented")
    assert message.startswith(f"The sandbox does not model GET {path}:")


async def test_levels_max_nests_the_whole_manager_chain(client, app):
    tenant = app.state.tenant
    user = max(tenant.users, key=lambda u: len(_chain(tenant, u["id"])))
    chain = _chain(tenant, user["id"])
    assert len(chain) >= 3
    r = await client.get(
        f"/v1.0/users/{user['id']}",
        params={"$expand": "manager($levels=max;$select=id,displayName)", "$select": "id"},
    )
    assert r.status_code == 200
    node = r.json()
    assert node["@odata.context"] == CONTEXT + "users(id)/$entity"
    for manager in chain:
        node = node["manager"]
        assert {k: v for k, v in node.items() if k != "manager"} == {
            "@odata.type": "#microsoft.graph.user",
            "id": manager["id"],
            "displayName": manager["displayName"],
        }
    assert "manager" not in node  # the top of the chain has none


async def test_levels_n_stops_after_n_managers(client, app):
    tenant = app.state.tenant
    user = max(tenant.users, key=lambda u: len(_chain(tenant, u["id"])))
    r = await client.get(f"/v1.0/users/{user['id']}?$expand=manager($levels=2;$select=displayName)")
    node = r.json()["manager"]
    assert node["manager"]["id"] == _chain(tenant, user["id"])[1]["id"]
    assert "manager" not in node["manager"]


async def test_levels_on_the_users_collection_with_advanced_query(client, app):
    tenant = app.state.tenant
    params = {"$expand": "manager($levels=max;$select=id)", "$select": "id", "$top": "50"}
    r = await client.get("/v1.0/users", params={**params, **ADVANCED}, headers=EVENTUAL)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["@odata.count"] == len(tenant.users)
    for item in body["value"]:
        depth, node = 0, item
        while "manager" in node:
            depth, node = depth + 1, node["manager"]
        assert depth == len(_chain(tenant, item["id"]))
    plain = (await client.get("/v1.0/users", params=params)).json()
    assert plain["value"] == body["value"] and "@odata.count" not in plain


async def test_levels_with_count_needs_the_header(client):
    r = await client.get("/v1.0/users?$expand=manager($levels=max)&$count=true")
    assert error_of(r) == (
        400,
        "Request_UnsupportedQuery",
        "$levels with $count=true is not supported because the 'ConsistencyLevel:eventual' "
        "header is missing. Refer to https://aka.ms/graph-docs/advanced-queries for more "
        "information",
    )
    r = await client.get("/v1.0/users?$expand=manager&$count=true", headers=EVENTUAL)
    assert error_of(r) == (
        400,
        "Request_UnsupportedQuery",
        "Expand is not supported with ConsistencyLevel:eventual and $count=true.",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            "-1",
            (
                "BadRequest",
                "Levels option must be a non-negative integer or 'max', it is set to '-1' instead.",
            ),
        ),
        (
            "deep",
            (
                "BadRequest",
                "Levels option must be a non-negative integer or 'max', it is set to 'deep' "
                "instead.",
            ),
        ),
        (
            "0",
            (
                "Request_BadRequest",
                "Invalid value specified for $levels: '0'. Must be 'max' or between 1 and 1000 "
                "inclusive.",
            ),
        ),
        (
            "1001",
            (
                "Request_BadRequest",
                "Invalid value specified for $levels: '1001'. Must be 'max' or between 1 and "
                "1000 inclusive.",
            ),
        ),
    ],
)
async def test_invalid_levels_are_400(client, value, expected):
    r = await client.get(f"/v1.0/users?$expand=manager($levels={value})")
    assert error_of(r) == (400, *expected)


async def test_levels_only_on_manager(client):
    r = await client.get("/v1.0/users?$expand=memberOf($levels=2)")
    assert error_of(r) == (
        400,
        "Request_BadRequest",
        "Query option '$levels' is not supported when expanding 'memberOf'; only 'manager' "
        "accepts it.",
    )
