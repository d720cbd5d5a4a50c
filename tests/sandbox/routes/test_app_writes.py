"""Application and service principal writes and password credentials: Graph's statuses and
shapes (secretText once, then only its hint), permissions and error texts."""

from __future__ import annotations

import httpx

from graph_magic.sandbox import APPS
from tests.sandbox.sandbox_kit import GRAPH, delegated, error_of

META = "https://graph.microsoft.com/v1.0/$metadata#"
DENIED = (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


async def test_create_application_then_read_update_delete(client, app):
    r = await client.post("/v1.0/applications", json={"displayName": "Display name"})
    assert r.status_code == 201
    created = r.json()
    assert created["@odata.context"] == META + "applications/$entity"
    assert created["displayName"] == "Display name" and created["passwordCredentials"] == []
    assert created["signInAudience"] == "AzureADandPersonalMicrosoftAccount"
    assert created["parentalControlSettings"]["legalAgeGroupRule"] == "Allow"
    by_app_id = await client.get(f"/v1.0/applications(appId='{created['appId']}')")
    assert by_app_id.json()["id"] == created["id"]
    patch = await client.patch(
        f"/v1.0/applications/{created['id']}", json={"notes": "owned by IT", "appId": "x"}
    )
    assert patch.status_code == 204
    got = (await client.get(f"/v1.0/applications/{created['id']}")).json()
    assert got["notes"] == "owned by IT" and got["appId"] == created["appId"]
    assert (await client.delete(f"/v1.0/applications/{created['id']}")).status_code == 204
    gone = await client.get(f"/v1.0/applications/{created['id']}")
    assert error_of(gone)[:2] == (404, "Request_ResourceNotFound")


async def test_application_write_errors(client):
    assert error_of(await client.post("/v1.0/applications", json={})) == (
        400,
        "Request_BadRequest",
        "Property displayName value is required but is empty or missing.",
    )
    r = await client.post("/v1.0/applications", json={"displayName": "x", "colour": "red"})
    assert error_of(r)[:2] == (400, "Request_BadRequest") and "'colour'" in error_of(r)[2]


async def test_limited_app_cannot_register_applications(limited, app):
    assert error_of(await limited.post("/v1.0/applications", json={"displayName": "x"})) == DENIED
    first = app.state.tenant.applications[0]["id"]
    assert error_of(await limited.patch(f"/v1.0/applications/{first}", json={"notes": "x"})) == (
        DENIED
    )


async def test_service_principal_for_a_new_application(client, app):
    created = (await client.post("/v1.0/applications", json={"displayName": "Payroll"})).json()
    r = await client.post("/v1.0/servicePrincipals", json={"appId": created["appId"]})
    assert r.status_code == 201
    sp = r.json()
    assert sp["@odata.context"] == META + "servicePrincipals/$entity"
    assert (sp["appId"], sp["displayName"], sp["servicePrincipalType"]) == (
        created["appId"],
        "Payroll",
        "Application",
    )
    again = await client.post("/v1.0/servicePrincipals", json={"appId": created["appId"]})
    assert error_of(again) == (
        409,
        "Request_MultipleObjectsWithSameKeyValue",
        "The service principal cannot be created, updated, or restored because the service "
        f"principal name {created['appId']} is already in use.",
    )
    ghost = "00000000-1111-4222-8333-444444444444"
    r = await client.post("/v1.0/servicePrincipals", json={"appId": ghost})
    assert error_of(r) == (
        400,
        "Request_BadRequest",
        f"The appId '{ghost}' of the service principal does not reference a valid application "
        "object.",
    )
    r = await client.patch(f"/v1.0/servicePrincipals/{sp['id']}", json={"notes": "n"})
    assert r.status_code == 204
    assert (await client.delete(f"/v1.0/servicePrincipals/{sp['id']}")).status_code == 204


async def test_add_password_shows_the_secret_once(client, app):
    application = app.state.tenant.applications[0]
    url = f"/v1.0/applications/{application['id']}/addPassword"
    r = await client.post(
        url, json={"passwordCredential": {"displayName": "Password friendly name"}}
    )
    assert r.status_code == 200
    credential = r.json()
    assert credential["@odata.context"] == META + "microsoft.graph.passwordCredential"
    secret = credential["secretText"]
    assert len(secret) == 40 and credential["hint"] == secret[:3]
    assert credential["displayName"] == "Password friendly name"
    assert credential["customKeyIdentifier"] is None
    assert credential["startDateTime"][:4] == "2025" and credential["endDateTime"][:4] == "2027"
    stored = (await client.get(f"/v1.0/applications/{application['id']}")).json()
    (listed,) = [c for c in stored["passwordCredentials"] if c["keyId"] == credential["keyId"]]
    assert listed["secretText"] is None and listed["hint"] == secret[:3]
    assert secret not in (await client.get("/v1.0/applications")).text
    end = {"passwordCredential": {"endDateTime": "2026-01-01T00:00:00Z"}}
    dated = (await client.post(url, json=end)).json()
    assert dated["endDateTime"] == "2026-01-01T00:00:00Z" and dated["keyId"] != credential["keyId"]


async def test_remove_password_and_its_errors(client, app):
    sp = app.state.tenant.service_principals[0]
    base = f"/v1.0/servicePrincipals/{sp['id']}"
    added = (await client.post(f"{base}/addPassword", json={})).json()
    r = await client.post(f"{base}/removePassword", json={"keyId": added["keyId"]})
    assert r.status_code == 204
    assert all(c["keyId"] != added["keyId"] for c in sp["passwordCredentials"])
    r = await client.post(f"{base}/removePassword", json={"keyId": added["keyId"]})
    assert error_of(r) == (
        400,
        "Request_BadRequest",
        f"No password credential found with keyId '{added['keyId']}'.",
    )
    r = await client.post(f"{base}/removePassword", json={})
    assert error_of(r)[2] == "Property keyId value is required but is empty or missing."


async def test_credentials_need_a_write_permission(app):
    user = app.state.tenant.users[1]
    application = app.state.tenant.applications[0]
    before = [dict(credential) for credential in application["passwordCredentials"]]
    headers = delegated(app, user, ("Application.Read.All",))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=headers
    ) as c:
        r = await c.post(f"/v1.0/applications/{application['id']}/addPassword", json={})
        assert error_of(r) == DENIED
        r = await c.post("/v1.0/servicePrincipals", json={"appId": application["appId"]})
        assert error_of(r) == DENIED
        sp = app.state.tenant.service_principals[0]["id"]
        assert error_of(await c.delete(f"/v1.0/servicePrincipals/{sp}")) == DENIED
        assert application["passwordCredentials"] == before  # refused: nothing written


def test_sandbox_app_may_write_applications_and_limited_may_not():
    new = {"Application.ReadWrite.All", "LicenseAssignment.ReadWrite.All"}
    assert new <= APPS["sandbox-app"].roles
    assert not new & APPS["sandbox-limited"].roles
