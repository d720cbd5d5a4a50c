"""Group, membership and device writes with Graph's validation, permissions and read-back."""

from __future__ import annotations

import httpx
import pytest

from graph_magic.sandbox import APPS, create_app
from tests.sandbox.sandbox_kit import EVENTUAL, GRAPH, bearer, delegated, error_of

NEW_GROUP = {
    "description": "Self help community for library",
    "displayName": "Library Assist",
    "groupTypes": ["Unified"],
    "mailEnabled": True,
    "mailNickname": "library",
    "securityEnabled": False,
}
SECURITY_GROUP = {
    "displayName": "Operations group",
    "mailEnabled": False,
    "mailNickname": "operations2019",
    "securityEnabled": True,
}
DENIED = (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


def ref(object_id: str) -> dict[str, str]:
    return {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{object_id}"}


def not_found(object_id: str) -> tuple[int, str, str]:
    return (
        404,
        "Request_ResourceNotFound",
        f"Resource '{object_id}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )


def outsider(tenant, group_id):
    """A user who is not a direct member of the group."""
    inside = set(tenant.members[group_id])
    return next(u for u in tenant.users if u["id"] not in inside)


async def test_create_group_is_201_and_lists(client, app):
    r = await client.post("/v1.0/groups", json=NEW_GROUP)
    assert r.status_code == 201
    assert r.headers["content-type"].startswith("application/json;odata.metadata=minimal")
    body = r.json()
    assert body["@odata.context"] == "https://graph.microsoft.com/v1.0/$metadata#groups/$entity"
    assert body["displayName"] == "Library Assist" and body["groupTypes"] == ["Unified"]
    assert body["mail"] == "library@contoso.com" and body["visibility"] == "Public"
    assert body["proxyAddresses"] == [
        "SMTP:library@contoso.com",
        "smtp:library@contoso.onmicrosoft.com",
    ]
    assert body["createdDateTime"].endswith("Z") and body["deletedDateTime"] is None
    got = (await client.get(f"/v1.0/groups/{body['id']}")).json()
    assert {k: v for k, v in got.items() if k != "@odata.context"} == {
        k: v for k, v in body.items() if k != "@odata.context"
    }
    listed = (await client.get("/v1.0/groups?$top=999&$select=id")).json()["value"]
    assert listed[-1]["id"] == body["id"]
    count = await client.get("/v1.0/groups/$count", headers=EVENTUAL)
    assert count.text == str(len(app.state.tenant.groups)) == "41"
    members = (await client.get(f"/v1.0/groups/{body['id']}/members")).json()
    assert members["value"] == []


async def test_security_group_has_no_mail_and_taken_alias_gets_digits(client):
    body = (await client.post("/v1.0/groups", json=SECURITY_GROUP)).json()
    assert body["mail"] is None and body["proxyAddresses"] == [] and body["visibility"] is None
    sales = {**NEW_GROUP, "displayName": "Sales too", "mailNickname": "sales"}
    mail = (await client.post("/v1.0/groups", json=sales)).json()["mail"]
    assert mail != "sales@contoso.com"
    assert mail.startswith("sales") and mail.endswith("@contoso.com") and mail[5:9].isdigit()


@pytest.mark.parametrize(
    "missing", ["displayName", "mailEnabled", "mailNickname", "securityEnabled"]
)
async def test_create_group_missing_property(client, missing):
    body = {k: v for k, v in SECURITY_GROUP.items() if k != missing}
    assert error_of(await client.post("/v1.0/groups", json=body)) == (
        400,
        "Request_BadRequest",
        f"Property {missing} value is required but is empty or missing.",
    )


@pytest.mark.parametrize(
    ("change", "prop"),
    [
        ({"mailNickname": "has space"}, "mailNickname"),
        ({"mailNickname": "a.b"}, "mailNickname"),
        ({"mailEnabled": "yes"}, "mailEnabled"),
        ({"groupTypes": "Unified"}, "groupTypes"),
    ],
)
async def test_create_group_invalid_values(client, change, prop):
    r = await client.post("/v1.0/groups", json={**SECURITY_GROUP, **change})
    assert error_of(r) == (
        400,
        "Request_BadRequest",
        f"Invalid value specified for property '{prop}' of resource 'Group'.",
    )
    assert r.json()["error"]["details"] == [{"code": "InvalidValue", "target": prop}]


async def test_create_group_refuses_undeclared_properties_but_not_annotations(client):
    r = await client.post("/v1.0/groups", json={**SECURITY_GROUP, "shoeSize": 9})
    assert error_of(r) == (
        400,
        "Request_BadRequest",
        "Property 'shoeSize' does not exist as a declared property or extension property.",
    )
    typed = {**SECURITY_GROUP, "@odata.type": "#microsoft.graph.group"}
    assert (await client.post("/v1.0/groups", json=typed)).status_code == 201


async def test_patch_group_is_204_and_reads_show_it(client, app):
    group = app.state.tenant.groups[0]
    before = (await client.get(f"/v1.0/groups/{group['id']}")).json()
    member_id = app.state.tenant.members[group["id"]][0]
    r = await client.patch(
        f"/v1.0/groups/{group['id']}", json={"description": "Renamed", "mail": "x@contoso.com"}
    )
    assert r.status_code == 204 and r.content == b""
    after = (await client.get(f"/v1.0/groups/{group['id']}")).json()
    assert after == {**before, "description": "Renamed"}  # mail is read-only
    listed = (await client.get(f"/v1.0/users/{member_id}/memberOf/microsoft.graph.group")).json()
    assert next(g for g in listed["value"] if g["id"] == group["id"])["description"] == "Renamed"
    r = await client.patch(f"/v1.0/groups/{group['id']}", json={"displayName": ""})
    assert error_of(r)[:2] == (400, "Request_BadRequest")


async def test_delete_group_is_204_then_404_and_leaves_member_of(client, app):
    tenant = app.state.tenant
    group = tenant.groups[3]
    member_id = tenant.members[group["id"]][0]
    assert group["id"] in tenant.member_of[member_id]
    r = await client.delete(f"/v1.0/groups/{group['id']}")
    assert r.status_code == 204 and r.content == b""
    assert error_of(await client.get(f"/v1.0/groups/{group['id']}")) == not_found(group["id"])
    assert error_of(await client.delete(f"/v1.0/groups/{group['id']}")) == not_found(group["id"])
    member_of = (await client.get(f"/v1.0/users/{member_id}/memberOf?$top=999")).json()["value"]
    assert group["id"] not in [g["id"] for g in member_of]
    listed = (await client.get("/v1.0/groups?$top=999&$select=id")).json()["value"]
    assert group["id"] not in [g["id"] for g in listed]


async def test_add_member_then_member_of_and_members_show_it(client, app):
    tenant = app.state.tenant
    group = tenant.groups[1]
    user = outsider(tenant, group["id"])
    url = f"/v1.0/groups/{group['id']}/members/$ref"
    r = await client.post(url, json=ref(user["id"]))
    assert r.status_code == 204 and r.content == b""
    member_of = (await client.get(f"/v1.0/users/{user['id']}/memberOf?$top=999")).json()
    assert group["id"] in [g["id"] for g in member_of["value"]]
    members = (await client.get(f"/v1.0/groups/{group['id']}/members?$top=999")).json()
    assert members["value"][-1]["id"] == user["id"]
    count = await client.get(
        f"/v1.0/groups/{group['id']}/members/microsoft.graph.user/$count", headers=EVENTUAL
    )
    assert count.text == str(sum("userPrincipalName" in m for m in members["value"]))
    again = await client.post(url, json=ref(user["id"]))
    assert error_of(again) == (
        400,
        "Request_BadRequest",
        "One or more added object references already exist for the following modified "
        "properties: 'members'.",
    )


async def test_add_member_accepts_a_group_and_a_users_url(client, app):
    tenant = app.state.tenant
    parent = tenant.groups[5]
    child_id = (await client.post("/v1.0/groups", json=SECURITY_GROUP)).json()["id"]
    r = await client.post(f"/v1.0/groups/{parent['id']}/members/$ref", json=ref(child_id))
    assert r.status_code == 204
    user = outsider(tenant, child_id)
    body = {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{user['id']}"}
    r = await client.post(f"/v1.0/groups/{child_id}/members/$ref", json=body)
    assert r.status_code == 204
    nested = await client.get(f"/v1.0/groups/{parent['id']}/members/microsoft.graph.group")
    assert child_id in [g["id"] for g in nested.json()["value"]]
    users = await client.get(f"/v1.0/groups/{child_id}/members/microsoft.graph.user")
    assert [u["id"] for u in users.json()["value"]] == [user["id"]]


async def test_add_member_unknown_object_and_bad_reference(client, app):
    group = app.state.tenant.groups[1]
    url = f"/v1.0/groups/{group['id']}/members/$ref"
    missing = "8c14a998-3c8d-4c52-ad09-c9032671ea31"
    assert error_of(await client.post(url, json=ref(missing))) == not_found(missing)
    bad = (
        400,
        "Request_UnsupportedQuery",
        "Unsupported referenced-object resource identifier for link property 'members'.",
    )
    assert error_of(await client.post(url, json={"@odata.id": "not-a-reference"})) == bad
    assert error_of(await client.post(url, json=ref("not-a-guid"))) == bad
    app_id = app.state.tenant.applications[0]["id"]
    assert error_of(await client.post(url, json=ref(app_id))) == bad
    missing_group = f"/v1.0/groups/{missing}/members/$ref"
    user_id = app.state.tenant.users[1]["id"]
    assert error_of(await client.post(missing_group, json=ref(user_id))) == not_found(missing)


async def test_remove_member_is_204_then_404(client, app):
    tenant = app.state.tenant
    group = tenant.groups[2]
    member_id = tenant.members[group["id"]][0]
    url = f"/v1.0/groups/{group['id']}/members/{member_id}/$ref"
    r = await client.delete(url)
    assert r.status_code == 204 and r.content == b""
    members = (await client.get(f"/v1.0/groups/{group['id']}/members?$top=999")).json()
    assert member_id not in [m["id"] for m in members["value"]]
    member_of = (await client.get(f"/v1.0/users/{member_id}/memberOf?$top=999")).json()
    assert group["id"] not in [g["id"] for g in member_of["value"]]
    assert error_of(await client.delete(url)) == not_found(member_id)
    r = await client.delete(f"/v1.0/groups/{group['id']}/members/nobody/$ref")
    assert error_of(r) == (
        400,
        "Request_UnsupportedQuery",
        "Unsupported referenced-object resource identifier for link property 'members'.",
    )


async def test_patch_device_is_204_and_merges_extension_attributes(client, app):
    device = app.state.tenant.devices[1]
    r = await client.patch(
        f"/v1.0/devices/{device['id']}",
        json={"accountEnabled": False, "extensionAttributes": {"extensionAttribute3": "Kiosk"}},
    )
    assert r.status_code == 204 and r.content == b""
    got = (await client.get(f"/v1.0/devices/{device['id']}")).json()
    assert got["accountEnabled"] is False
    assert got["extensionAttributes"] == {
        "extensionAttribute1": None,
        "extensionAttribute2": None,
        "extensionAttribute3": "Kiosk",
    }
    listed = (await client.get("/v1.0/devices?$top=999")).json()["value"]
    assert next(d for d in listed if d["id"] == device["id"])["accountEnabled"] is False
    r = await client.patch(f"/v1.0/devices/{device['id']}", json={"displayName": "KIOSK-1"})
    assert r.status_code == 204
    assert (await client.get(f"/v1.0/devices/{device['id']}")).json()["displayName"] == "KIOSK-1"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"isManaged": "no"},
            "Invalid value specified for property 'isManaged' of resource 'Device'.",
        ),
        (
            {"extensionAttributes": {"extensionAttribute16": "x"}},
            "Invalid value specified for property 'extensionAttributes' of resource 'Device'.",
        ),
        (
            {"colour": "red"},
            "Property 'colour' does not exist as a declared property or extension property.",
        ),
    ],
)
async def test_patch_device_refusals(client, app, body, expected):
    device = app.state.tenant.devices[1]
    r = await client.patch(f"/v1.0/devices/{device['id']}", json=body)
    assert error_of(r) == (400, "Request_BadRequest", expected)


async def test_delete_device_is_204_then_404(client, app):
    tenant = app.state.tenant
    device = tenant.devices[7]
    r = await client.delete(f"/v1.0/devices/{device['id']}")
    assert r.status_code == 204 and r.content == b""
    assert error_of(await client.get(f"/v1.0/devices/{device['id']}")) == not_found(device["id"])
    owners = await client.get(f"/v1.0/devices/{device['id']}/registeredOwners")
    assert owners.status_code == 404
    assert error_of(await client.delete(f"/v1.0/devices/{device['id']}")) == not_found(device["id"])
    listed = (await client.get("/v1.0/devices?$top=999&$select=id")).json()["value"]
    assert len(listed) == 299 and device["id"] not in [d["id"] for d in listed]


def test_sandbox_app_holds_the_new_write_roles_and_limited_does_not():
    new = {"Group.Create", "GroupMember.ReadWrite.All", "Device.ReadWrite.All"}
    assert new <= APPS["sandbox-app"].roles
    assert not new & APPS["sandbox-limited"].roles


async def test_limited_app_device_writes(limited, app):
    device = app.state.tenant.devices[1]
    r = await limited.patch(f"/v1.0/devices/{device['id']}", json={"displayName": "X"})
    assert r.status_code == 204  # Directory.ReadWrite.All, which it holds, grants updates
    assert error_of(await limited.delete(f"/v1.0/devices/{device['id']}")) == DENIED


async def test_delegated_scopes_decide_group_writes(app):
    tenant = app.state.tenant
    group = tenant.groups[1]
    user = outsider(tenant, group["id"])
    member_only = delegated(app, tenant.users[0], ("GroupMember.ReadWrite.All",))
    read_only = delegated(app, tenant.users[0], ("Group.Read.All",))
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url=GRAPH, headers=read_only) as c:
        r = await c.post(f"/v1.0/groups/{group['id']}/members/$ref", json=ref(user["id"]))
        assert error_of(r) == DENIED
        assert error_of(await c.patch(f"/v1.0/groups/{group['id']}", json={})) == DENIED
    async with httpx.AsyncClient(transport=transport, base_url=GRAPH, headers=member_only) as c:
        r = await c.post(f"/v1.0/groups/{group['id']}/members/$ref", json=ref(user["id"]))
        assert r.status_code == 204
        assert error_of(await c.post("/v1.0/groups", json=SECURITY_GROUP)) == DENIED
        assert error_of(await c.delete(f"/v1.0/groups/{group['id']}")) == DENIED


async def test_created_ids_are_deterministic():
    """Two fresh tenants given the same writes create the same ids."""
    ids = []
    for _ in range(2):
        fresh = create_app()
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(fresh), base_url=GRAPH, headers=bearer(fresh)
        ) as c:
            ids.append((await c.post("/v1.0/groups", json=NEW_GROUP)).json()["id"])
    assert ids[0] == ids[1]
