"""POST /me/assignLicense: the signed-in user's licenses, with Graph's delegated permission
(LicenseAssignment.ReadWrite.All) and its refusal of app-only tokens."""

from __future__ import annotations

import httpx

from graph_magic.sandbox.tenant.names import SKUS
from tests.sandbox.sandbox_kit import GRAPH, delegated, error_of

POWER_BI = SKUS[3][0]


def signed_in(app, user, scopes):
    headers = delegated(app, user, scopes)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=GRAPH, headers=headers)


async def test_me_assign_license_adds_and_removes(app):
    user = next(
        u for u in app.state.tenant.users if u["usageLocation"] and len(u["assignedLicenses"]) == 1
    )
    held = user["assignedLicenses"][0]["skuId"]
    body = {"addLicenses": [{"skuId": POWER_BI, "disabledPlans": []}], "removeLicenses": [held]}
    async with signed_in(app, user, ("LicenseAssignment.ReadWrite.All",)) as c:
        r = await c.post("/v1.0/me/assignLicense", json=body)
        assert r.status_code == 200
        assert r.json()["@odata.context"].endswith("#users/$entity")
        assert r.json()["id"] == user["id"]
    assert [lic["skuId"] for lic in user["assignedLicenses"]] == [POWER_BI]


async def test_me_assign_license_permission_and_app_tokens(app, client):
    user = app.state.tenant.users[1]
    body = {"addLicenses": [], "removeLicenses": []}
    async with signed_in(app, user, ("User.Read",)) as c:
        r = await c.post("/v1.0/me/assignLicense", json=body)
        assert error_of(r)[:2] == (403, "Authorization_RequestDenied")
    r = await client.post("/v1.0/me/assignLicense", json=body)
    assert error_of(r) == (
        400,
        "BadRequest",
        "/me request is only valid with delegated authentication flow.",
    )
