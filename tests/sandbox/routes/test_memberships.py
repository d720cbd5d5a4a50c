"""Group owners, transitive members and memberOf, and the membership actions (whose ``value``
is a list of id strings): status, shapes, nesting, permissions and error texts."""

from __future__ import annotations

import httpx

from tests.sandbox.sandbox_kit import EVENTUAL, GRAPH, delegated, error_of

META = "https://graph.microsoft.com/v1.0/$metadata#"
DENIED = (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def nested_pair(tenant):
    """(outer group, inner group, a user inside inner only): a group nested in another."""
    for outer_id, members in tenant.members.items():
        for inner_id in members:
            inner = tenant.find_object(inner_id)
            if inner is not None and "groupTypes" in inner:
                outer_members = set(members)
                user = next(m for m in tenant.members[inner_id] if m not in outer_members)
                return tenant.find_object(outer_id), inner, tenant.find_object(user)
    raise AssertionError("the seeded tenant nests no group")


async def test_group_owners_are_typed_users(client, app):
    tenant = app.state.tenant
    group = tenant.groups[0]
    body = (await client.get(f"/v1.0/groups/{group['id']}/owners?$select=id")).json()
    assert body["@odata.context"] == META + "directoryObjects(id)"
    assert [o["id"] for o in body["value"]] == tenant.group_owners[group["id"]]
    assert body["value"] and all(o["@odata.type"] == "#microsoft.graph.user" for o in body["value"])


async def test_transitive_members_reach_through_nested_groups(client, app):
    outer, inner, user = nested_pair(app.state.tenant)
    direct = (await client.get(f"/v1.0/groups/{outer['id']}/members?$top=999")).json()["value"]
    assert user["id"] not in {m["id"] for m in direct}
    url = f"/v1.0/groups/{outer['id']}/transitiveMembers?$top=999"
    r = await client.get(url)
    assert r.headers["x-ms-resource-unit"] == "5"
    ids = [m["id"] for m in r.json()["value"]]
    assert user["id"] in ids and inner["id"] in ids and len(ids) == len(set(ids))
    groups = await client.get(
        f"/v1.0/groups/{outer['id']}/transitiveMembers/microsoft.graph.group?$count=true",
        headers=EVENTUAL,
    )
    assert groups.json()["@odata.context"] == META + "groups"
    assert inner["id"] in [g["id"] for g in groups.json()["value"]]
    count = await client.get(
        f"/v1.0/groups/{outer['id']}/transitiveMembers/$count", headers=EVENTUAL
    )
    assert count.text == str(len(ids))


async def test_transitive_member_of_lists_nested_groups_and_roles(client, app):
    tenant = app.state.tenant
    outer, inner, user = nested_pair(tenant)
    body = (await client.get(f"/v1.0/users/{user['id']}/transitiveMemberOf?$top=999")).json()
    assert body["@odata.context"] == META + "directoryObjects"
    ids = [g["id"] for g in body["value"]]
    assert {outer["id"], inner["id"]} <= set(ids)
    role = tenant.directory_roles[0]
    holder = tenant.role_members[role["id"]][0]
    held = (await client.get(f"/v1.0/users/{holder}/transitiveMemberOf?$top=999")).json()
    typed = {(o["@odata.type"], o["id"]) for o in held["value"]}
    assert ("#microsoft.graph.directoryRole", role["id"]) in typed


async def test_get_member_groups_is_a_list_of_strings(client, app):
    tenant = app.state.tenant
    outer, inner, user = nested_pair(tenant)
    r = await client.post(
        f"/v1.0/users/{user['id']}/getMemberGroups", json={"securityEnabledOnly": False}
    )
    body = r.json()
    assert r.status_code == 200
    assert body["@odata.context"] == META + "Collection(Edm.String)"
    assert all(isinstance(v, str) for v in body["value"])
    assert {outer["id"], inner["id"]} <= set(body["value"])
    secure = await client.post(
        f"/v1.0/directoryObjects/{user['id']}/getMemberGroups", json={"securityEnabled": 1}
    )
    assert error_of(secure) == (
        400,
        "Request_BadRequest",
        "Property securityEnabledOnly value is required but is empty or missing.",
    )
    only = await client.post(
        f"/v1.0/users/{user['id']}/getMemberGroups", json={"securityEnabledOnly": True}
    )
    assert set(only.json()["value"]) == {
        g for g in body["value"] if tenant.find_object(g)["securityEnabled"]
    }


async def test_get_member_objects_adds_roles_and_check_actions_filter(client, app):
    tenant = app.state.tenant
    role = tenant.directory_roles[0]
    holder = tenant.role_members[role["id"]][0]
    objects = await client.post(
        f"/v1.0/directoryObjects/{holder}/getMemberObjects", json={"securityEnabledOnly": False}
    )
    assert role["id"] in objects.json()["value"]
    groups = list(tenant.member_of.get(holder, ()))
    outsider = next(g["id"] for g in tenant.groups if g["id"] not in groups)
    asked = {"groupIds": [outsider, *groups[:1]]}
    checked = await client.post(f"/v1.0/users/{holder}/checkMemberGroups", json=asked)
    assert checked.json()["value"] == groups[:1]
    both = {"ids": [role["id"], outsider]}
    checked = await client.post(f"/v1.0/users/{holder}/checkMemberObjects", json=both)
    assert checked.json()["value"] == [role["id"]]
    too_many = {"groupIds": [outsider] * 21}
    assert error_of(
        await client.post(f"/v1.0/users/{holder}/checkMemberGroups", json=too_many)
    ) == (
        400,
        "Request_BadRequest",
        "Invalid value specified for property 'groupIds': it cannot hold more than 20 ids.",
    )


async def test_group_actions_and_unknown_objects(client, app):
    tenant = app.state.tenant
    outer, inner, _ = nested_pair(tenant)
    r = await client.post(
        f"/v1.0/groups/{inner['id']}/checkMemberGroups", json={"groupIds": [outer["id"]]}
    )
    assert r.json()["value"] == [outer["id"]]
    user_id = tenant.users[0]["id"]
    r = await client.post(
        f"/v1.0/groups/{user_id}/getMemberGroups", json={"securityEnabledOnly": True}
    )
    assert error_of(r)[:2] == (404, "Request_ResourceNotFound")


async def test_me_actions_with_user_read_and_app_tokens(client, app):
    user = app.state.tenant.users[4]
    headers = delegated(app, user, ("User.Read",))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=headers
    ) as c:
        r = await c.post("/v1.0/me/getMemberObjects", json={"securityEnabledOnly": False})
        assert r.status_code == 200 and isinstance(r.json()["value"], list)
        mine = (await c.get("/v1.0/me/transitiveMemberOf")).json()["value"]
        assert {g["id"] for g in mine} >= set(app.state.tenant.member_of.get(user["id"], ()))
        other = app.state.tenant.users[5]["id"]
        r = await c.post(
            f"/v1.0/users/{other}/getMemberGroups", json={"securityEnabledOnly": False}
        )
        assert error_of(r) == DENIED
    r = await client.post("/v1.0/me/getMemberGroups", json={"securityEnabledOnly": True})
    assert error_of(r) == (
        400,
        "BadRequest",
        "/me request is only valid with delegated authentication flow.",
    )


async def test_transitive_member_of_casts_and_groups_nested_in_groups(client, app):
    tenant = app.state.tenant
    outer, inner, user = nested_pair(tenant)
    cast = await client.get(f"/v1.0/users/{user['id']}/transitiveMemberOf/microsoft.graph.group")
    body = cast.json()
    assert body["@odata.context"] == META + "groups"
    assert {outer["id"], inner["id"]} <= {g["id"] for g in body["value"]}
    assert all("@odata.type" not in g for g in body["value"])
    up = (await client.get(f"/v1.0/groups/{inner['id']}/transitiveMemberOf")).json()["value"]
    assert outer["id"] in [g["id"] for g in up]


async def test_actions_on_devices_and_service_principals(client, app):
    tenant = app.state.tenant
    sp = tenant.service_principals[0]
    r = await client.post(
        f"/v1.0/servicePrincipals/{sp['id']}/getMemberGroups", json={"securityEnabledOnly": False}
    )
    assert r.status_code == 200 and r.json()["value"] == []
    group = tenant.groups[0]
    r = await client.post(
        f"/v1.0/devices/{group['id']}/getMemberObjects", json={"securityEnabledOnly": False}
    )
    assert error_of(r)[:2] == (404, "Request_ResourceNotFound")


async def test_a_deleted_user_owns_and_holds_nothing(client, app):
    tenant = app.state.tenant
    role = tenant.directory_roles[0]
    holder = tenant.role_members[role["id"]][0]
    assert (await client.delete(f"/v1.0/users/{holder}")).status_code == 204
    members = (await client.get(f"/v1.0/directoryRoles/{role['id']}/members")).json()["value"]
    assert holder not in [m["id"] for m in members]
    assert all(holder not in owners for owners in tenant.group_owners.values())


async def test_group_relationships_need_a_group_permission(app):
    tenant = app.state.tenant
    group_id = tenant.groups[0]["id"]
    headers = delegated(app, tenant.users[2], ("User.Read",))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=headers
    ) as c:
        for path in ("owners", "transitiveMembers", "transitiveMemberOf"):
            assert error_of(await c.get(f"/v1.0/groups/{group_id}/{path}")) == DENIED


async def test_delegated_group_read_reads_nesting_and_a_denied_action_hides_unknown_ids(app):
    """The map lets delegated Group.Read.All (not its application twin) read a group's
    transitiveMemberOf; a token that may not ask gets 403 before any 404 on the id."""
    tenant = app.state.tenant
    outer, inner, _ = nested_pair(tenant)
    reader = delegated(app, tenant.users[2], ("Group.Read.All",))
    basic = delegated(app, tenant.users[2], ("User.Read",))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=GRAPH) as c:
        up = await c.get(f"/v1.0/groups/{inner['id']}/transitiveMemberOf", headers=reader)
        assert outer["id"] in [g["id"] for g in up.json()["value"]]
        unknown = "00000000-0000-0000-0000-000000000000"
        action = f"/v1.0/directoryObjects/{unknown}/getMemberGroups"
        body = {"securityEnabledOnly": False}
        assert error_of(await c.post(action, json=body, headers=basic)) == DENIED
        r = await c.post(action, json=body, headers=reader)
        assert error_of(r)[:2] == (404, "Request_ResourceNotFound")


async def test_groups_expand_owners(client, app):
    tenant = app.state.tenant
    group = tenant.groups[0]
    body = (await client.get(f"/v1.0/groups/{group['id']}?$expand=owners($select=id)")).json()
    assert [o["id"] for o in body["owners"]] == tenant.group_owners[group["id"]]
    assert all(o["@odata.type"] == "#microsoft.graph.user" for o in body["owners"])


async def test_member_of_lists_roles_after_groups_and_the_group_cast_drops_them(client, app):
    tenant = app.state.tenant
    role = tenant.directory_roles[1]
    holder = tenant.role_members[role["id"]][0]
    items = (await client.get(f"/v1.0/users/{holder}/memberOf?$top=999")).json()["value"]
    assert [i["id"] for i in items] == [
        *tenant.member_of.get(holder, ()),
        *tenant.roles_held(holder),
    ]
    assert items[-1]["@odata.type"] == "#microsoft.graph.directoryRole"
    groups = await client.get(
        f"/v1.0/users/{holder}/memberOf/microsoft.graph.group?$count=true", headers=EVENTUAL
    )
    assert role["id"] not in [g["id"] for g in groups.json()["value"]]
