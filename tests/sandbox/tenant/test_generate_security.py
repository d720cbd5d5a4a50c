"""The security tables draw from their own seeded streams: the same seed gives the same tables,
and adding them left every user, group and sign-in as the other streams make them (only the
properties the security passes own differ)."""

from __future__ import annotations

import httpx

from graph_magic.sandbox import create_app
from graph_magic.sandbox.options import SandboxOptions
from graph_magic.sandbox.tenant.generate import make_groups, make_users
from graph_magic.sandbox.tenant.generate_logs import make_sign_ins
from graph_magic.sandbox.tenant.store import Tenant
from tests.sandbox.sandbox_kit import GRAPH, bearer

_RISK = {"riskDetail", "riskLevelAggregated", "riskLevelDuringSignIn", "riskState",
         "riskEventTypes"}  # fmt: skip


def _without(obj: dict, keys: set[str]) -> dict:
    return {k: v for k, v in obj.items() if k not in keys}


def test_security_passes_change_only_their_own_properties():
    options = SandboxOptions(users=300, sign_ins=3000)
    tenant = Tenant(options)
    users, _ = make_users(options.seed, options.users)
    assert [_without(u, {"externalUserStateChangeDateTime"}) for u in tenant.users] == [
        _without(u, {"externalUserStateChangeDateTime"}) for u in users
    ]
    groups, _, _ = make_groups(options.seed, options.groups, users)
    # The directory's full property set adds Graph's other group properties; the generated ones
    # are as they were.
    assert [{k: g[k] for k in raw} for g, raw in zip(tenant.groups, groups, strict=True)] == groups
    sign_ins = make_sign_ins(options.seed, options.sign_ins, users)
    assert [_without(s, _RISK) for s in tenant.sign_ins] == [_without(s, _RISK) for s in sign_ins]
    assert tenant.sign_ins != sign_ins  # some did gain risk


def test_security_tables_are_the_seeds():
    first, again = Tenant(SandboxOptions()), Tenant(SandboxOptions())
    other = Tenant(SandboxOptions(seed=7))
    assert first.security == again.security
    assert first.security.role_assignments != other.security.role_assignments
    assert first.applications == again.applications


def test_a_tiny_tenant_still_generates():
    tenant = Tenant(SandboxOptions(users=1, groups=0, devices=0, sign_ins=0, directory_audits=0))
    security = tenant.security
    assert len(security.registration_details) == 1 and security.risky_users == []
    assert security.role_definitions and security.policies


async def test_a_tenant_with_no_one_to_flag_still_filters():
    app = create_app({"users": 1, "groups": 0, "devices": 0, "sign_ins": 0, "directory_audits": 0})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=bearer(app)
    ) as c:
        for path, text in (
            ("/v1.0/identityProtection/riskyUsers", "riskLevel eq 'high'"),
            ("/v1.0/roleManagement/directory/roleAssignments", "principalId eq 'x'"),
        ):
            r = await c.get(path, params={"$filter": text})
            assert r.status_code == 200 and r.json()["value"] == []
