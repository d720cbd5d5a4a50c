"""Several sandbox tenants at once: each its own name, domains, tenant id, users and tokens."""

from __future__ import annotations

import httpx
import pytest

from graph_magic.sandbox import SandboxOptions, Tenant, create_app
from graph_magic.sandbox.tenant.constants import CONTOSO, TenantIdentity

SMALL = {"users": 12, "groups": 3, "devices": 2, "sign_ins": 5, "directory_audits": 2}
FABRIKAM = TenantIdentity("fabrikam")


def test_a_named_tenant_is_the_seeds_data_under_its_own_names() -> None:
    contoso = Tenant(SandboxOptions(seed=5, **SMALL))
    fabrikam = Tenant(SandboxOptions(seed=5, tenant="fabrikam", **SMALL))
    assert FABRIKAM.tenant_id != CONTOSO.tenant_id
    assert [u["id"] for u in fabrikam.users] == [u["id"] for u in contoso.users]
    members = [u for u in fabrikam.users if u["userType"] == "Member"]
    assert members and all(u["userPrincipalName"].endswith("@fabrikam.com") for u in members)
    guests = [u for u in fabrikam.users if u["userType"] == "Guest"]
    assert all(u["userPrincipalName"].endswith("#EXT#@fabrikam.onmicrosoft.com") for u in guests)
    (org,) = fabrikam.organization
    assert (org["id"], org["displayName"]) == (FABRIKAM.tenant_id, "Fabrikam")
    assert {d["name"] for d in org["verifiedDomains"]} == {
        "fabrikam.com",
        "fabrikam.onmicrosoft.com",
    }
    text = repr([fabrikam.users, fabrikam.groups, fabrikam.service_principals, fabrikam.security])
    assert "contoso" not in text.lower() and CONTOSO.tenant_id not in text


def test_a_tenant_name_is_refused_when_it_cannot_be_a_domain() -> None:
    for bad in ("Fabrikam", "f", "fab rikam", "fabrikam.com", "1fabrikam"):
        with pytest.raises(ValueError, match="sandbox option 'tenant'"):
            SandboxOptions(tenant=bad)


async def test_two_tenants_served_at_once_answer_as_themselves() -> None:
    answers = {}
    for name in ("contoso", "fabrikam"):
        app = create_app({"tenant": name, "seed": 3, **SMALL})
        token, _ = app.state.tokens.issue_app_token("sandbox-app")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app),
            base_url="https://graph.microsoft.com",
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            org = (await client.get("/v1.0/organization")).json()["value"][0]
            user = (await client.get("/v1.0/users?$top=1")).json()["value"][0]
            other = await client.post(
                "/v1.0/users",
                json={
                    "accountEnabled": True,
                    "displayName": "New",
                    "mailNickname": "new",
                    "userPrincipalName": "new@contoso.com",
                    "passwordProfile": {"password": "xWwvJ]6NMw+bWH-d"},
                },
            )
        answers[name] = (org["id"], user["userPrincipalName"].split("@")[1], other.status_code)
    assert answers["contoso"] == (CONTOSO.tenant_id, "contoso.com", 201)
    assert answers["fabrikam"] == (FABRIKAM.tenant_id, "fabrikam.com", 400)  # not its domain


def test_a_tenants_token_service_signs_in_at_its_own_name() -> None:
    app = create_app({"tenant": "fabrikam", **SMALL})
    tokens = app.state.tokens
    assert tokens.tenant_id == FABRIKAM.tenant_id
    assert tokens.is_tenant("fabrikam.onmicrosoft.com")
    assert not tokens.is_tenant("contoso.onmicrosoft.com")
