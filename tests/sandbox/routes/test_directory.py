"""/organization, /directoryRoles (by id and roleTemplateId) with members, /directoryObjects and
getByIds: status, Graph's shapes, permissions and error texts."""

from __future__ import annotations

import httpx

from tests.sandbox.sandbox_kit import GRAPH, delegated, error_of

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
DENIED = (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
META = "https://graph.microsoft.com/v1.0/$metadata#"


def not_found(key: str) -> tuple[int, str, str]:
    return (
        404,
        "Request_ResourceNotFound",
        f"Resource '{key}' does not exist or one of its queried reference-property objects "
        "are not present.",
    )


def as_user(app, user, scopes):
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=delegated(app, user, scopes)
    )


async def test_organization_lists_contoso_and_gets_by_tenant_id(client):
    body = (await client.get("/v1.0/organization")).json()
    assert body["@odata.context"] == META + "organization"
    (org,) = body["value"]
    assert org["displayName"] == "Contoso" and org["countryLetterCode"] == "US"
    assert [d["name"] for d in org["verifiedDomains"] if d["isDefault"]] == ["contoso.com"]
    one = await client.get(f"/v1.0/organization/{org['id']}?$select=displayName")
    assert one.json() == {
        "@odata.context": META + "organization(displayName)/$entity",
        "displayName": "Contoso",
        "id": org["id"],
    }
    other = "00000000-0000-0000-0000-000000000000"
    assert error_of(await client.get(f"/v1.0/organization/{other}")) == not_found(other)


async def test_organization_needs_a_permission_a_signed_in_user_has(app):
    user = app.state.tenant.users[3]
    async with as_user(app, user, ("User.Read",)) as c:
        assert (await c.get("/v1.0/organization")).status_code == 200
    async with as_user(app, user, ("Device.Read.All",)) as c:
        assert error_of(await c.get("/v1.0/organization")) == DENIED


async def test_directory_roles_list_and_address_by_template(client, app):
    body = (await client.get("/v1.0/directoryRoles")).json()
    assert body["@odata.context"] == META + "directoryRoles"
    roles = {r["displayName"]: r for r in body["value"]}
    admin = roles["Global Administrator"]
    assert set(admin) == {"id", "deletedDateTime", "description", "displayName", "roleTemplateId"}
    assert admin["roleTemplateId"] == GLOBAL_ADMIN
    for path in (
        f"/v1.0/directoryRoles/{admin['id']}",
        f"/v1.0/directoryRoles(roleTemplateId='{GLOBAL_ADMIN}')",
        f"/v1.0/directoryRoles/roleTemplateId={GLOBAL_ADMIN}",
    ):
        got = (await client.get(path)).json()
        assert got["@odata.context"] == META + "directoryRoles/$entity"
        assert got["id"] == admin["id"]
    missing = "11111111-2222-3333-4444-555555555555"
    r = await client.get(f"/v1.0/directoryRoles(roleTemplateId='{missing}')")
    assert error_of(r) == not_found(missing)


async def test_role_members_are_typed_users_of_the_tenant(client, app):
    tenant = app.state.tenant
    for path in (
        f"/v1.0/directoryRoles(roleTemplateId='{GLOBAL_ADMIN}')/members",
        f"/v1.0/directoryRoles/roleTemplateId={GLOBAL_ADMIN}/members",
    ):
        body = (await client.get(path + "?$select=displayName,userPrincipalName")).json()
        assert body["@odata.context"] == META + "directoryObjects(displayName,userPrincipalName)"
        assert len(body["value"]) == 2
        for member in body["value"]:
            assert member["@odata.type"] == "#microsoft.graph.user"
            assert tenant.find_user(member["id"])["userType"] == "Member"


async def test_roles_need_role_management_or_directory_read(app):
    user = app.state.tenant.users[3]
    async with as_user(app, user, ("User.Read.All",)) as c:
        assert error_of(await c.get("/v1.0/directoryRoles")) == DENIED
    async with as_user(app, user, ("Directory.Read.All",)) as c:
        assert (await c.get("/v1.0/directoryRoles")).status_code == 200


async def test_directory_object_is_typed_whatever_its_type(client, app):
    tenant = app.state.tenant
    for obj, kind in (
        (tenant.users[0], "user"),
        (tenant.groups[0], "group"),
        (tenant.devices[0], "device"),
        (tenant.service_principals[0], "servicePrincipal"),
        (tenant.directory_roles[0], "directoryRole"),
    ):
        body = (await client.get(f"/v1.0/directoryObjects/{obj['id']}")).json()
        assert body["@odata.context"] == META + "directoryObjects/$entity"
        assert body["@odata.type"] == f"#microsoft.graph.{kind}"
        assert body["id"] == obj["id"]
    missing = "deadbeef-0000-4000-8000-000000000000"
    assert error_of(await client.get(f"/v1.0/directoryObjects/{missing}")) == not_found(missing)


async def test_get_by_ids_keeps_order_skips_unknown_and_filters_types(client, app):
    tenant = app.state.tenant
    ids = [tenant.groups[1]["id"], "deadbeef-0000-4000-8000-000000000000", tenant.users[2]["id"]]
    body = (await client.post("/v1.0/directoryObjects/getByIds", json={"ids": ids})).json()
    assert body["@odata.context"] == META + "directoryObjects"
    assert [(o["@odata.type"], o["id"]) for o in body["value"]] == [
        ("#microsoft.graph.group", ids[0]),
        ("#microsoft.graph.user", ids[2]),
    ]
    users = await client.post(
        "/v1.0/directoryObjects/getByIds", json={"ids": ids, "types": ["User"]}
    )
    assert [o["id"] for o in users.json()["value"]] == [ids[2]]


async def test_get_by_ids_errors_and_permission(client, app):
    url = "/v1.0/directoryObjects/getByIds"
    assert error_of(await client.post(url, json={"types": ["user"]})) == (
        400,
        "Request_BadRequest",
        "Property ids value is required but is empty or missing.",
    )
    many = {"ids": [f"{i:08d}-0000-4000-8000-000000000000" for i in range(1001)]}
    assert error_of(await client.post(url, json=many)) == (
        400,
        "Request_BadRequest",
        "Invalid value specified for property 'ids': it cannot hold more than 1000 ids.",
    )
    bad_type = {"ids": ["x"], "types": ["printer"]}
    assert error_of(await client.post(url, json=bad_type)) == (
        400,
        "Request_BadRequest",
        "Invalid value specified for property 'types' of resource 'getByIds'.",
    )
    group = app.state.tenant.groups[0]["id"]
    units = {"ids": [group], "types": ["administrativeUnit", "microsoft.graph.orgContact"]}
    answer = await client.post(url, json=units)
    assert answer.status_code == 200 and answer.json()["value"] == []
    async with as_user(app, app.state.tenant.users[3], ("User.Read.All",)) as c:
        assert error_of(await c.post(url, json={"ids": ["x"]})) == DENIED
        one = app.state.tenant.groups[0]["id"]
        assert error_of(await c.get(f"/v1.0/directoryObjects/{one}")) == DENIED


async def test_roles_filter_by_display_name_as_scripts_do(client):
    r = await client.get("/v1.0/directoryRoles?$filter=displayName eq 'Global Administrator'")
    (role,) = r.json()["value"]
    assert role["roleTemplateId"] == GLOBAL_ADMIN
