"""Writes with Graph's validation: POST/PATCH/DELETE users, assignLicense, invitations."""

from __future__ import annotations

import pytest

from tests.sandbox.sandbox_kit import EVENTUAL, error_of

NEW_USER = {
    "accountEnabled": True,
    "displayName": "SDK Test",
    "mailNickname": "sdktest",
    "userPrincipalName": "sdktest@contoso.com",
    "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": "xWwvJ]6NMw+bWH-d"},
}
E5 = "c7df2760-2c81-4ef7-b578-5b5392b571df"


async def test_create_user_then_read_it_back(client):
    r = await client.post("/v1.0/users", json=NEW_USER)
    assert r.status_code == 201
    body = r.json()
    assert body["@odata.context"] == "https://graph.microsoft.com/v1.0/$metadata#users/$entity"
    assert body["displayName"] == "SDK Test" and body["userPrincipalName"] == "sdktest@contoso.com"
    got = (await client.get("/v1.0/users/sdktest@contoso.com?$select=accountEnabled")).json()
    assert got["id"] == body["id"] and got["accountEnabled"] is True
    count = await client.get("/v1.0/users/$count", headers=EVENTUAL)
    assert count.text == "251"


@pytest.mark.parametrize("missing", ["mailNickname", "passwordProfile", "displayName"])
async def test_create_user_missing_property(client, missing):
    body = {k: v for k, v in NEW_USER.items() if k != missing}
    assert error_of(await client.post("/v1.0/users", json=body)) == (
        400,
        "Request_BadRequest",
        f"Property {missing} value is required but is empty or missing.",
    )


async def test_duplicate_upn_is_object_conflict(client, app):
    existing = app.state.tenant.users[1]["userPrincipalName"]
    r = await client.post("/v1.0/users", json={**NEW_USER, "userPrincipalName": existing})
    assert error_of(r) == (
        400,
        "Request_BadRequest",
        "Another object with the same value for property userPrincipalName already exists.",
    )
    assert r.json()["error"]["details"] == [
        {"target": "userPrincipalName", "code": "ObjectConflict"}
    ]


async def test_bad_mail_nickname(client):
    r = await client.post("/v1.0/users", json={**NEW_USER, "mailNickname": "has space"})
    assert error_of(r) == (
        400,
        "Request_BadRequest",
        "Invalid value specified for property 'mailNickname' of resource 'User'.",
    )


async def test_patch_is_204_and_changes_only_given_fields(client, app):
    user = app.state.tenant.users[4]
    before = (await client.get(f"/v1.0/users/{user['id']}")).json()
    r = await client.patch(f"/v1.0/users/{user['id']}", json={"jobTitle": "Chief Tester"})
    assert r.status_code == 204 and r.content == b""
    after = (await client.get(f"/v1.0/users/{user['id']}")).json()
    assert after["jobTitle"] == "Chief Tester"
    assert {k: v for k, v in after.items() if k != "jobTitle"} == {
        k: v for k, v in before.items() if k != "jobTitle"
    }
    listed = (await client.get("/v1.0/users?$top=999")).json()["value"]
    assert next(u for u in listed if u["id"] == user["id"])["jobTitle"] == "Chief Tester"


async def test_delete_is_204_then_404(client, app):
    user = app.state.tenant.users[8]
    assert (await client.delete(f"/v1.0/users/{user['id']}")).status_code == 204
    assert (await client.get(f"/v1.0/users/{user['id']}")).status_code == 404
    assert (await client.delete(f"/v1.0/users/{user['id']}")).status_code == 404


async def test_assign_license_needs_usage_location(client, app):
    tenant = app.state.tenant
    nowhere = next(
        u for u in tenant.users if u["usageLocation"] is None and u["userType"] == "Member"
    )
    body = {"addLicenses": [{"skuId": E5, "disabledPlans": []}], "removeLicenses": []}
    r = await client.post(f"/v1.0/users/{nowhere['id']}/assignLicense", json=body)
    assert error_of(r) == (
        400,
        "Request_BadRequest",
        "License assignment cannot be done for user with invalid usage location.",
    )
    patched = await client.patch(f"/v1.0/users/{nowhere['id']}", json={"usageLocation": "US"})
    assert patched.status_code == 204
    r = await client.post(f"/v1.0/users/{nowhere['id']}/assignLicense", json=body)
    assert r.status_code == 200
    assert r.json()["@odata.context"].endswith("#users/$entity")
    got = (await client.get(f"/v1.0/users/{nowhere['id']}?$select=assignedLicenses")).json()
    assert got["assignedLicenses"] == [{"disabledPlans": [], "skuId": E5}]


async def test_invitation_creates_a_pending_guest(client):
    r = await client.post(
        "/v1.0/invitations",
        json={"invitedUserEmailAddress": "admin@fabrikam.com", "inviteRedirectUrl": "https://a.b"},
    )
    assert r.status_code == 201
    body = r.json()
    assert body["status"] == "PendingAcceptance" and body["invitedUserType"] == "Guest"
    guest = (
        await client.get(
            f"/v1.0/users/{body['invitedUser']['id']}?$select=userType,externalUserState,userPrincipalName"
        )
    ).json()
    assert guest["userType"] == "Guest" and guest["externalUserState"] == "PendingAcceptance"
    assert guest["userPrincipalName"] == "admin_fabrikam.com#EXT#@contoso.onmicrosoft.com"
    r = await client.post("/v1.0/invitations", json={"invitedUserEmailAddress": "x@y.z"})
    assert r.status_code == 400


async def test_patch_unknown_property_and_clearing_display_name(client, app):
    user = app.state.tenant.users[2]
    r = await client.patch(f"/v1.0/users/{user['id']}", json={"shoeSize": 9})
    assert error_of(r) == (
        400,
        "Request_BadRequest",
        "Property 'shoeSize' does not exist as a declared property or extension property.",
    )
    r = await client.patch(f"/v1.0/users/{user['id']}", json={"displayName": ""})
    assert error_of(r)[:2] == (400, "Request_BadRequest")
    assert app.state.tenant.find_user(user["id"])["displayName"] == user["displayName"]
