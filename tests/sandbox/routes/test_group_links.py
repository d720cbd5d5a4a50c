"""members@odata.bind and owners@odata.bind in POST and PATCH /groups, and owners/$ref: what
is written, read back, and Graph's refusals (nothing written when one link is wrong)."""

from __future__ import annotations

import httpx

from tests.sandbox.sandbox_kit import GRAPH, delegated, error_of

V1 = "https://graph.microsoft.com/v1.0"
PREPOPULATED = {
    "description": "Group with designated owner and members",
    "displayName": "Operations group",
    "groupTypes": [],
    "mailEnabled": False,
    "mailNickname": "operations2019",
    "securityEnabled": True,
}


def not_found(object_id):
    return (
        404,
        "Request_ResourceNotFound",
        f"Resource '{object_id}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )


async def test_create_with_owner_and_members_as_in_the_docs(client, app):
    tenant = app.state.tenant
    owner, first, second = (u["id"] for u in tenant.users[1:4])
    body = {
        **PREPOPULATED,
        "owners@odata.bind": [f"{V1}/users/{owner}"],
        "members@odata.bind": [f"{V1}/users/{first}", f"{V1}/directoryObjects/{second}"],
    }
    r = await client.post("/v1.0/groups", json=body)
    assert r.status_code == 201
    created = r.json()
    assert "members@odata.bind" not in created and created["displayName"] == "Operations group"
    members = (await client.get(f"/v1.0/groups/{created['id']}/members")).json()["value"]
    assert [m["id"] for m in members] == [first, second]
    owners = (await client.get(f"/v1.0/groups/{created['id']}/owners")).json()["value"]
    assert [o["id"] for o in owners] == [owner]
    member_of = (await client.get(f"/v1.0/users/{first}/memberOf?$top=999")).json()["value"]
    assert created["id"] in [g["id"] for g in member_of]


async def test_patch_binds_add_members_and_refuses_existing_ones(client, app):
    tenant = app.state.tenant
    group = tenant.groups[0]
    newcomer = next(u["id"] for u in tenant.users if u["id"] not in tenant.members[group["id"]])
    r = await client.patch(
        f"/v1.0/groups/{group['id']}",
        json={"description": "x", "members@odata.bind": [f"{V1}/directoryObjects/{newcomer}"]},
    )
    assert r.status_code == 204
    assert tenant.members[group["id"]][-1] == newcomer and group["description"] == "x"
    again = await client.patch(
        f"/v1.0/groups/{group['id']}",
        json={"members@odata.bind": [f"{V1}/directoryObjects/{newcomer}"]},
    )
    assert error_of(again) == (
        400,
        "Request_BadRequest",
        "One or more added object references already exist for the following modified "
        "properties: 'members'.",
    )


async def test_bind_refusals_write_nothing(client, app):
    tenant = app.state.tenant
    before = len(tenant.groups)
    ghost = "deadbeef-0000-4000-8000-000000000000"
    body = {**PREPOPULATED, "members@odata.bind": [f"{V1}/users/{ghost}"]}
    assert error_of(await client.post("/v1.0/groups", json=body)) == not_found(ghost)
    app_id = tenant.applications[0]["id"]
    body = {**PREPOPULATED, "owners@odata.bind": [f"{V1}/directoryObjects/{app_id}"]}
    assert error_of(await client.post("/v1.0/groups", json=body)) == (
        400,
        "Request_UnsupportedQuery",
        "Unsupported referenced-object resource identifier for link property 'owners'.",
    )
    many = [f"{V1}/users/{u['id']}" for u in tenant.users[:21]]
    body = {**PREPOPULATED, "members@odata.bind": many}
    assert error_of(await client.post("/v1.0/groups", json=body)) == (
        400,
        "Request_BadRequest",
        "A resource cannot contain more than 20 link changes",
    )
    body = {**PREPOPULATED, "members@odata.bind": "not-a-list"}
    assert error_of(await client.post("/v1.0/groups", json=body))[0] == 400
    assert len(tenant.groups) == before


def reader(app):
    """A client whose delegated token may only read groups."""
    headers = delegated(app, app.state.tenant.users[0], ("Group.Read.All",))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=GRAPH, headers=headers)


async def test_owner_references_add_and_remove(client, app):
    tenant = app.state.tenant
    group = tenant.groups[0]
    user = next(u["id"] for u in tenant.users if u["id"] not in tenant.group_owners[group["id"]])
    url = f"/v1.0/groups/{group['id']}/owners/$ref"
    ref = {"@odata.id": f"{V1}/users/{user}"}
    async with reader(app) as c:
        assert error_of(await c.post(url, json=ref))[0] == 403
    assert (await client.post(url, json=ref)).status_code == 204
    assert error_of(await client.post(url, json=ref))[2].endswith("'owners'.")
    gone = await client.delete(f"/v1.0/groups/{group['id']}/owners/{user}/$ref")
    assert gone.status_code == 204 and user not in tenant.group_owners[group["id"]]
    again = await client.delete(f"/v1.0/groups/{group['id']}/owners/{user}/$ref")
    assert error_of(again) == not_found(user)


async def test_binds_need_the_write_permission(app):
    user = app.state.tenant.users[0]
    async with reader(app) as c:
        body = {**PREPOPULATED, "members@odata.bind": [f"{V1}/users/{user['id']}"]}
        assert error_of(await c.post("/v1.0/groups", json=body))[0] == 403
