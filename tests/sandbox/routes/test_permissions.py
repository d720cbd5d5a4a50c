"""Tokens and permissions on Graph routes: 401 shapes, 403 for missing roles, /me."""

from __future__ import annotations

import httpx

from tests.sandbox.sandbox_kit import GRAPH, delegated, error_of


async def test_missing_and_malformed_tokens_are_401(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=GRAPH) as c:
        r = await c.get("/v1.0/users")
        assert error_of(r) == (401, "InvalidAuthenticationToken", "Access token is empty.")
        assert r.headers["www-authenticate"].startswith("Bearer ")
        r = await c.get("/v1.0/users", headers={"Authorization": "Bearer nope"})
        assert error_of(r) == (
            401,
            "InvalidAuthenticationToken",
            "CompactToken parsing failed with error code: 80049217",
        )


async def test_limited_app_gets_403_on_audit_logs_and_invitations(limited):
    denied = (
        403,
        "Authorization_RequestDenied",
        "Insufficient privileges to complete the operation.",
    )
    assert error_of(await limited.get("/v1.0/auditLogs/signIns")) == denied
    assert error_of(await limited.get("/v1.0/auditLogs/directoryAudits")) == denied
    r = await limited.post(
        "/v1.0/invitations",
        json={"invitedUserEmailAddress": "a@fabrikam.com", "inviteRedirectUrl": "https://x"},
    )
    assert error_of(r) == denied
    assert (await limited.get("/v1.0/users?$top=1")).status_code == 200


async def test_me_is_delegated_only(client, app):
    r = await client.get("/v1.0/me")
    assert error_of(r) == (
        400,
        "BadRequest",
        "/me request is only valid with delegated authentication flow.",
    )
    user = app.state.tenant.users[5]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=delegated(app, user)
    ) as c:
        me = (await c.get("/v1.0/me")).json()
        assert me["@odata.context"] == "https://graph.microsoft.com/v1.0/$metadata#users/$entity"
        assert me["id"] == user["id"] and len(me) == 12
        other = app.state.tenant.users[6]
        assert (await c.get(f"/v1.0/users/{other['id']}")).status_code == 403
        assert (await c.get("/v1.0/me/memberOf")).status_code == 200


async def test_headers_echo_client_request_id(client):
    r = await client.get("/v1.0/users?$top=1", headers={"client-request-id": "abc-123"})
    assert r.headers["client-request-id"] == "abc-123"
    assert r.headers["request-id"] != "abc-123"
    r = await client.get("/v1.0/users/nope", headers={"client-request-id": "abc-124"})
    inner = r.json()["error"]["innerError"]
    assert inner["client-request-id"] == "abc-124"
    assert inner["request-id"] == r.headers["request-id"]
    assert len(inner["date"]) == 19 and "Z" not in inner["date"]
    r = await client.get("/v1.0/users?$top=1")
    assert r.headers["client-request-id"] == r.headers["request-id"]


async def test_unknown_segment_and_wrong_method(client):
    r = await client.get("/v1.0/nothingHere")
    assert error_of(r)[:2] == (400, "BadRequest")
    r = await client.put("/v1.0/users", json={})
    assert error_of(r)[0] == 405


async def test_sign_in_activity_needs_audit_log_permission(client, limited):
    params = {"$select": "displayName,signInActivity", "$top": "2"}
    assert error_of(await limited.get("/v1.0/users", params=params))[:2] == (
        403,
        "Authorization_RequestDenied",
    )
    assert (await limited.get("/v1.0/users", params={"$select": "displayName"})).status_code == 200
    body = (await client.get("/v1.0/users", params=params)).json()
    assert set(body["value"][0]["signInActivity"]) == {
        "lastSignInDateTime",
        "lastNonInteractiveSignInDateTime",
    }
