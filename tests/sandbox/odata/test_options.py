"""$filter, $search, $orderby and $expand as Graph runs them, with the advanced-query rules."""

from __future__ import annotations

import pytest

from graph_magic.sandbox.odata.search import tokenize
from tests.sandbox.sandbox_kit import EVENTUAL, error_of

ADVANCED = {"$count": "true"}
E5 = "c7df2760-2c81-4ef7-b578-5b5392b571df"


async def users(client, headers=None, **params):
    params.setdefault("$top", "999")
    r = await client.get("/v1.0/users", params=params, headers=headers or {})
    assert r.status_code == 200, r.text
    return r.json()["value"]


async def test_startswith_in_both_casings(client, app):
    expected = [u["id"] for u in app.state.tenant.users if u["displayName"].startswith("A")]
    for text in ("startswith(displayName,'a')", "startsWith(displayName, 'A')"):
        got = await users(client, **{"$filter": text, "$select": "id"})
        assert [u["id"] for u in got] == expected and expected


async def test_eq_is_case_insensitive_and_in_accepts_one_item(client, app):
    sales = [u["id"] for u in app.state.tenant.users if u["department"] == "Sales"]
    got = await users(client, **{"$filter": "department eq 'sales'", "$select": "id"})
    assert [u["id"] for u in got] == sales
    got = await users(client, **{"$filter": "department in ('Sales')", "$select": "id"})
    assert [u["id"] for u in got] == sales


async def test_any_lambda_on_assigned_licenses(client, app):
    expected = [
        u["id"]
        for u in app.state.tenant.users
        if any(lic["skuId"] == E5 for lic in u["assignedLicenses"])
    ]
    got = await users(
        client, **{"$filter": f"assignedLicenses/any(x:x/skuId eq {E5})", "$select": "id"}
    )
    assert [u["id"] for u in got] == expected and expected


async def test_endswith_on_proxy_addresses_needs_advanced(client, app):
    text = "proxyAddresses/any(p:endsWith(p,'onmicrosoft.com'))"
    r = await client.get("/v1.0/users", params={"$filter": text})
    assert error_of(r) == (
        400,
        "Request_UnsupportedQuery",
        "Operator 'endsWith' is not supported because the required parameters might be missing. "
        "Try adding $count=true query parameter and ConsistencyLevel:eventual header. "
        "Refer to https://aka.ms/graph-docs/advanced-queries for more information",
    )
    got = await users(client, EVENTUAL, **{"$filter": text, "$select": "id", **ADVANCED})
    members = [u["id"] for u in app.state.tenant.users if u["userType"] == "Member"]
    assert [u["id"] for u in got] == members


async def test_ne_and_not_need_advanced(client, app):
    r = await client.get("/v1.0/users", params={"$filter": "department ne 'Sales'"})
    assert error_of(r) == (
        400,
        "Request_UnsupportedQuery",
        "Filter operator 'NotEqualsMatch' is not supported.",
    )
    r = await client.get("/v1.0/users", params={"$filter": "not(department eq 'Sales')"})
    assert error_of(r)[:2] == (400, "Request_UnsupportedQuery")
    only_header = await client.get(
        "/v1.0/users", params={"$filter": "department ne 'Sales'"}, headers=EVENTUAL
    )
    assert only_header.status_code == 400, "ne needs $count=true as well as the header"
    got = await users(
        client, EVENTUAL, **{"$filter": "NOT(department eq 'Sales')", "$select": "id", **ADVANCED}
    )
    assert len(got) == sum(1 for u in app.state.tenant.users if u["department"] != "Sales")


async def test_date_range_filter(client, app):
    text = "createdDateTime ge 2023-01-01T00:00:00Z"
    got = await users(client, **{"$filter": text, "$select": "id"})
    expected = [u["id"] for u in app.state.tenant.users if u["createdDateTime"] >= "2023-01-01"]
    assert [u["id"] for u in got] == expected and 0 < len(expected) < 250


async def test_advanced_only_property_and_unsupported_group_property(client):
    r = await client.get("/v1.0/users", params={"$filter": "officeLocation eq '1/1000'"})
    assert error_of(r) == (
        400,
        "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for property 'officeLocation' of "
        "resource 'User'.",
    )
    r = await client.get(
        "/v1.0/groups",
        params={"$filter": "createdDateTime ge 2021-11-01", "$count": "true"},
        headers=EVENTUAL,
    )
    assert error_of(r) == (
        400,
        "Request_UnsupportedQuery",
        "Unsupported or invalid query filter clause specified for property 'createdDateTime' of "
        "resource 'Group'.",
    )


async def test_count_inside_filter(client, app):
    text = "assignedLicenses/$count eq 0"
    assert error_of(await client.get("/v1.0/users", params={"$filter": text}))[:2] == (
        400,
        "Request_BadRequest",
    )
    got = await users(client, EVENTUAL, **{"$filter": text, "$select": "id", **ADVANCED})
    assert len(got) == sum(1 for u in app.state.tenant.users if not u["assignedLicenses"])


async def test_unparsable_filter_and_unknown_property(client):
    assert (await client.get("/v1.0/users?$filter=displayName eq")).status_code == 400
    r = await client.get("/v1.0/users", params={"$filter": "shoeSize eq 4"})
    assert error_of(r) == (
        400,
        "Request_BadRequest",
        "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'.",
    )


async def test_search_needs_header_and_matches_tokens(client, app):
    r = await client.get("/v1.0/users", params={"$search": '"displayName:adele"'})
    assert error_of(r) == (
        400,
        "Request_UnsupportedQuery",
        "Request with $search query parameter only works through MSGraph with a special request "
        "header: 'ConsistencyLevel: eventual'",
    )
    got = await users(client, EVENTUAL, **{"$search": '"displayName:adele"', "$select": "id"})
    expected = [u["id"] for u in app.state.tenant.users if u["givenName"] == "Adele"]
    assert [u["id"] for u in got] == expected and expected
    some = app.state.tenant.users[7]
    query = f'"displayName:{some["surname"]} {some["givenName"]}"'
    got = await users(client, EVENTUAL, **{"$search": query, "$select": "displayName"})
    assert some["displayName"] in [u["displayName"] for u in got]


async def test_search_or_and_unquoted(client):
    both = await users(
        client, EVENTUAL, **{"$search": '"displayName:adele" OR "displayName:wanda"'}
    )
    assert {u["givenName"] for u in both} == {"Adele", "Wanda"}
    r = await client.get("/v1.0/users", params={"$search": "displayName:adele"}, headers=EVENTUAL)
    assert r.status_code == 400


async def test_orderby_rules(client, app):
    got = await users(client, **{"$orderby": "displayName desc", "$select": "displayName"})
    names = [u["displayName"].lower() for u in got]
    assert names == sorted(names, reverse=True)
    sorting = (400, "Request_UnsupportedQuery", "Sorting not supported for current query.")
    r = await client.get(
        "/v1.0/users", params={"$orderby": "displayName", "$filter": "department eq 'Sales'"}
    )
    assert error_of(r) == sorting
    assert error_of(await client.get("/v1.0/users?$orderby=createdDateTime")) == sorting
    got = await users(
        client,
        EVENTUAL,
        **{"$orderby": "createdDateTime", "$filter": "department eq 'Sales'", **ADVANCED},
    )
    assert len(got) == sum(1 for u in app.state.tenant.users if u["department"] == "Sales")


async def test_expand_manager_and_cap(client, app):
    tenant = app.state.tenant
    report = tenant.users[9]
    r = await client.get(f"/v1.0/users/{report['id']}?$expand=manager($select=id,displayName)")
    manager = tenant.find_object(tenant.manager_of[report["id"]])
    assert r.json()["manager"] == {
        "@odata.type": "#microsoft.graph.user",
        "id": manager["id"],
        "displayName": manager["displayName"],
    }
    body = (await client.get("/v1.0/groups?$expand=members&$top=40")).json()
    assert max(len(g["members"]) for g in body["value"]) == 20
    r = await client.get("/v1.0/users?$expand=photo")
    assert error_of(r) == (
        400,
        "ExpandNotSupported",
        "Expand is not allowed for property 'Photo' according to the entity schema.",
    )


@pytest.mark.parametrize("key", ["id", "userPrincipalName"])
async def test_user_by_id_or_upn(client, app, key):
    user = app.state.tenant.users[3]
    r = await client.get(f"/v1.0/users/{user[key]}?$select=displayName,givenName")
    assert r.json() == {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users(displayName,givenName)"
        "/$entity",
        "displayName": user["displayName"],
        "givenName": user["givenName"],
        "id": user["id"],
    }


async def test_guest_upn_with_encoded_hash(client, app):
    guest = next(u for u in app.state.tenant.users if u["userType"] == "Guest")
    encoded = guest["userPrincipalName"].replace("#", "%23")
    r = await client.get(f"/v1.0/users/{encoded}")
    assert r.json()["id"] == guest["id"]


async def test_missing_user_and_missing_manager_are_404(client, app):
    missing = "8c14a998-3c8d-4c52-ad09-c9032671ea31"
    assert error_of(await client.get(f"/v1.0/users/{missing}")) == (
        404,
        "Request_ResourceNotFound",
        f"Resource '{missing}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )
    ceo = app.state.tenant.users[0]
    assert error_of(await client.get(f"/v1.0/users/{ceo['id']}/manager")) == (
        404,
        "Request_ResourceNotFound",
        "Resource 'manager' does not exist or one of its queried reference-property objects "
        "are not present.",
    )


async def test_relationships_are_typed_directory_objects(client, app):
    tenant = app.state.tenant
    group = tenant.groups[0]
    body = (await client.get(f"/v1.0/groups/{group['id']}/members?$top=999")).json()
    assert body["@odata.context"].endswith("#directoryObjects")
    assert [m["id"] for m in body["value"]] == tenant.members[group["id"]]
    assert {m["@odata.type"] for m in body["value"]} <= {
        "#microsoft.graph.user",
        "#microsoft.graph.group",
    }
    member = tenant.members[group["id"]][0]
    member_of = (await client.get(f"/v1.0/users/{member}/memberOf")).json()["value"]
    assert group["id"] in [g["id"] for g in member_of]
    device = tenant.devices[0]
    owners = (await client.get(f"/v1.0/devices/{device['id']}/registeredOwners")).json()
    assert [o["id"] for o in owners["value"]] == tenant.device_owners[device["id"]]
    r = await client.get(f"/v1.0/devices/{device['id']}/owners")
    assert error_of(r) == (400, "BadRequest", "Resource not found for the segment 'owners'.")


async def test_registered_owners_carry_odata_id(client, app):
    device = app.state.tenant.devices[1]
    owner = (await client.get(f"/v1.0/devices/{device['id']}/registeredOwners")).json()["value"][0]
    assert list(owner)[:3] == ["@odata.type", "@odata.id", "businessPhones"]
    assert owner["@odata.id"].endswith(
        f"/directoryObjects/{owner['id']}/Microsoft.DirectoryServices.User"
    )


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("HelloWorld", ["hello", "world"]),
        ("HELLOworld", ["helloworld"]),
        ("hello.world", ["hello", ".", "world", "helloworld"]),
        ("hello123world", ["hello", "123", "world"]),
        ("Adele  Vance", ["adele", "vance"]),
    ],
)
def test_search_tokenization_follows_graphs_rules(text, tokens):
    assert tokenize(text) == tokens


async def test_search_on_group_description_and_and_with_filter(client, app):
    groups = app.state.tenant.groups
    r = await client.get(
        "/v1.0/groups",
        params={"$search": '"description:security"', "$filter": "mailEnabled eq false"},
        headers=EVENTUAL,
    )
    got = [g["id"] for g in r.json()["value"]]
    expected = [g["id"] for g in groups if g["description"].startswith("Security group")]
    assert got == expected and expected
