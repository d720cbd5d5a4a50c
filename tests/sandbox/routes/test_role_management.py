"""Directory role management: built-in role definitions under Microsoft's template ids, role
assignments with $filter and $expand, permissions, and data that answers "who is privileged"."""

from __future__ import annotations

import base64
import uuid

import httpx

from tests.sandbox.sandbox_kit import GRAPH, delegated, error_of

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
ASSIGNMENTS = "/v1.0/roleManagement/directory/roleAssignments"
DEFINITIONS = "/v1.0/roleManagement/directory/roleDefinitions"
DENIED = (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


async def test_role_definitions_are_the_built_in_roles_with_their_template_ids(client):
    r = await client.get(DEFINITIONS)
    body = r.json()
    assert r.status_code == 200
    assert body["@odata.context"].endswith("$metadata#roleManagement/directory/roleDefinitions")
    by_name = {d["displayName"]: d for d in body["value"]}
    assert by_name["Global Administrator"]["id"] == GLOBAL_ADMIN
    assert by_name["Privileged Role Administrator"]["templateId"] == (
        "e8611ab8-c189-46e8-94e1-60213ab1f814"
    )
    definition = by_name["Global Administrator"]
    assert definition["isBuiltIn"] is True and definition["resourceScopes"] == ["/"]
    assert set(definition["rolePermissions"][0]) == {
        "allowedResourceActions",
        "condition",
        "excludedResourceActions",
    }
    one = (await client.get(f"{DEFINITIONS}/{GLOBAL_ADMIN}")).json()
    assert one["displayName"] == "Global Administrator"
    assert one["@odata.context"].endswith("roleDefinitions/$entity")


async def test_unknown_role_definition_is_graphs_404(client):
    r = await client.get(f"{DEFINITIONS}/00000000-0000-0000-0000-000000000000")
    assert error_of(r) == (
        404,
        "Request_ResourceNotFound",
        "Resource '00000000-0000-0000-0000-000000000000' does not exist or one of its queried "
        "reference-property objects are not present.",
    )


async def test_global_administrators_with_expanded_principals(client, app):
    params = {"$filter": f"roleDefinitionId eq '{GLOBAL_ADMIN}'", "$expand": "principal"}
    body = (await client.get(ASSIGNMENTS, params=params)).json()
    assert body["@odata.context"].endswith("roleAssignments(principal())")
    holders = body["value"]
    assert len(holders) >= 4 and all(a["roleDefinitionId"] == GLOBAL_ADMIN for a in holders)
    for assignment in holders:
        principal = assignment["principal"]
        assert principal["@odata.type"] == "#microsoft.graph.user"
        assert principal["id"] == assignment["principalId"]
        raw = base64.urlsafe_b64decode(assignment["id"].removesuffix("-1") + "=")
        assert uuid.UUID(bytes_le=raw[:16]) == uuid.UUID(GLOBAL_ADMIN)
        assert uuid.UUID(bytes_le=raw[16:]) == uuid.UUID(assignment["principalId"])
    users = {u["id"]: u for u in app.state.tenant.users}
    enabled = [users[a["principalId"]]["accountEnabled"] for a in holders]
    assert False in enabled  # a disabled account still holds the role: the finding to find


async def test_assignments_reach_guests_and_service_principals(client):
    body = await client.get(ASSIGNMENTS, params={"$expand": "principal($select=displayName)"})
    kinds = {a["principal"]["@odata.type"] for a in body.json()["value"]}
    assert kinds == {"#microsoft.graph.user", "#microsoft.graph.servicePrincipal"}
    guests = await client.get(
        ASSIGNMENTS, params={"$expand": "principal($select=userType,displayName)"}
    )
    principals = [a["principal"] for a in guests.json()["value"]]
    assert {p.get("userType") for p in principals} == {"Guest", "Member", None}
    apps = [p for p in principals if p["@odata.type"] == "#microsoft.graph.servicePrincipal"]
    assert apps and all(set(p) == {"@odata.type", "displayName", "id"} for p in apps)


async def test_expand_role_definition_and_select(client):
    params = {"$select": "principalId,roleDefinitionId", "$expand": "roleDefinition", "$top": "3"}
    body = (await client.get(ASSIGNMENTS, params=params)).json()
    assert body["@odata.context"].endswith("roleAssignments(principalId,roleDefinitionId,"
                                           "roleDefinition())")  # fmt: skip
    first = body["value"][0]
    assert set(first) == {"principalId", "roleDefinitionId", "roleDefinition"}
    assert first["roleDefinition"]["id"] == first["roleDefinitionId"]
    assert "@odata.nextLink" in body


async def test_one_assignment_by_id_and_unknown_expand(client, app):
    assignment = app.state.tenant.security.role_assignments[0]
    r = await client.get(f"{ASSIGNMENTS}/{assignment['id']}", params={"$expand": "principal"})
    one = r.json()
    assert one["@odata.context"].endswith("roleAssignments(principal())/$entity")
    assert one["principal"]["id"] == assignment["principalId"]
    bad = await client.get(ASSIGNMENTS, params={"$expand": "owners"})
    assert error_of(bad) == (
        400,
        "ExpandNotSupported",
        "Expand is not allowed for property 'Owners' according to the entity schema.",
    )


async def test_role_reads_need_role_management_or_directory_read(app, limited):
    assert (await limited.get(ASSIGNMENTS)).status_code == 200  # Directory.Read.All grants it
    user = app.state.tenant.users[3]
    headers = delegated(app, user, ("User.Read.All",))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=headers
    ) as c:
        assert error_of(await c.get(ASSIGNMENTS)) == DENIED
        assert error_of(await c.get(DEFINITIONS)) == DENIED
    headers = delegated(app, user, ("RoleManagement.Read.Directory",))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=headers
    ) as c:
        assert (await c.get(DEFINITIONS)).status_code == 200
