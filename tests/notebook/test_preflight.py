"""Pre-flight checks: unknown segments, options and properties, and the token's permissions."""

from __future__ import annotations

import dataclasses

import pytest

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import load_system
from graph_magic.knowledge import Knowledge, cloud_of
from graph_magic.notebook.cell import parse_cell
from graph_magic.notebook.preflight import check_request, knowledge_for
from tests.support.fakes import RecordingSleep

GLOBAL = Knowledge.for_cloud("global")


async def _claims(system: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ``roles`` and ``scp`` claims of the sandbox system's real token."""
    async with GraphConnector(system, sleep=RecordingSleep()) as conn:
        await conn.token_provider.get_token()
        info = conn.token_provider.describe()
    return info.get("roles", ()), info.get("scopes", ())


def _check(cell: str, roles: tuple[str, ...] = (), scopes: tuple[str, ...] = ()) -> list[str]:
    (spec,) = parse_cell(cell, {})
    return check_request(GLOBAL, spec, roles, scopes)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (
            "GET /users?$select=displayname2,mail",
            "$select: microsoft.graph.user has no property 'displayname2' (did you mean "
            "displayName",
        ),
        ("GET /users?$tpo=3", "unknown query option '$tpo' (did you mean $top?)"),
        ("GET /users\n$orderby: dispalyName desc", "has no property 'dispalyName'"),
        ("GET /me?$expand=managr", "$expand: microsoft.graph.user has no property 'managr'"),
        ("GET /users/abc/managr", "unknown segment 'managr' (did you mean manager?)"),
        ("GET /devices/d1/owners", "unknown segment 'owners' (did you mean registeredOwners?)"),
        (
            "GET /users\n$filter: displayname2 eq 'Adele'",
            "$filter: microsoft.graph.user has no property 'displayname2' (did you mean "
            "displayName",
        ),
        (
            "GET /users?$filter=startswith(displayName,'A') and usertyp eq 'Guest'",
            "$filter: microsoft.graph.user has no property 'usertyp' (did you mean userType",
        ),
        (
            "GET /users\n$filter: signInActivty/lastSignInDateTime le 2024-01-01T00:00:00Z",
            "has no property 'signInActivty' (did you mean signInActivity",
        ),
        (
            "GET /users\n$filter: assignedLicence/any(x:x/skuId eq 'a')",
            "has no property 'assignedLicence' (did you mean assignedLicenses",
        ),
    ],
)
def test_an_unknown_name_is_a_warning_with_did_you_mean(cell: str, expected: str) -> None:
    (found,) = _check(cell)
    assert expected in found


@pytest.mark.parametrize(
    "cell",
    [
        "GET /users?$select=displayName,mail,id&$top=5&$count=true",
        "GET /groups/g1/members?$select=displayName,userPrincipalName",  # a derived type's
        "GET /users/adele@contoso.com/manager?$select=id",
        "GET /users?$expand=manager($select=id,displayName)&$orderby=displayName desc",
        "GET /users?$select=*&$filter=startswith(displayName,'A')",
        "GET /me/drive/root:/Reports/q1.xlsx:/content",
        "GET /users/delta()?$deltatoken=abc",
        "GET /users?api-version=1&custom=2",
        # $filter: lambdas, functions, casts, nested properties, literals of every kind
        "GET /users\n$filter: assignedLicenses/any(a:a/skuId eq "
        "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46)",
        "GET /users\n$filter: signInActivity/lastSignInDateTime le 2024-01-01T00:00:00Z",
        "GET /users\n$filter: not(startswith(displayName,'it''s mail eq x')) and "
        "userType in ('Guest','Member')",
        "GET /users\n$filter: endsWith(mail,'@contoso.com') and accountEnabled eq true",
        "GET /groups\n$filter: groupTypes/any(c:c eq 'Unified') or membershipRule ne null",
        "GET /groups/g1/members\n$filter: microsoft.graph.user/department eq 'Sales'",
        "GET /groups/g1/members/microsoft.graph.user\n$filter: department eq 'Sales'",
        "GET /me/messages\n$filter: importance eq microsoft.graph.importance'high'",
        "GET /users\n$filter: createdDateTime ge 2024-01-01 and id eq @p1&@p1='x'",
        "GET /users?$filter=memberOf/$count gt 0&$count=true",
        "GET /identity/conditionalAccess/policies\n$filter: state eq 'enabled'",
        "GET /users\n$filter: ALL(x: x eq 1) eq true or DisplayName eq 'x'",
    ],
)
def test_what_graph_accepts_is_never_warned_about(cell: str) -> None:
    assert _check(cell) == []


async def test_the_limited_apps_token_warns_naming_the_least_privileged_permission() -> None:
    roles, scopes = await _claims("sandbox-limited")
    assert roles and not scopes and "AuditLog.Read.All" not in roles
    (found,) = _check("GET /auditLogs/signIns", roles)
    assert found == (
        "the token's application permissions do not allow GET /auditLogs/signIns: "
        "it needs AuditLog.Read.All"
    )


async def test_the_app_with_every_permission_warns_about_nothing() -> None:
    roles, _ = await _claims("sandbox")
    for cell in ("GET /auditLogs/signIns", "GET /users", "GET /groups", "GET /devices"):
        assert _check(cell, roles) == []


def test_no_claims_or_an_unknown_request_say_nothing_about_permissions() -> None:
    assert _check("GET /auditLogs/signIns") == []
    assert _check("GET /me", ("User.Read.All",)) == []  # no app permission would do: Graph says


def test_beta_and_unknown_clouds_get_no_knowledge() -> None:
    system = load_system("sandbox")
    assert cloud_of(system.base_url) == "global"
    assert knowledge_for(system) is GLOBAL
    assert knowledge_for(system, "beta") is None
    # cloud=None: the cloud is read from the host, as for a system file that names none.
    elsewhere = dataclasses.replace(system, base_url="https://graph.example.test/v1.0", cloud=None)
    assert knowledge_for(elsewhere) is None
    usgov = dataclasses.replace(system, base_url="https://graph.microsoft.us/v1.0", cloud=None)
    assert knowledge_for(usgov) is Knowledge.for_cloud("usgov")
    assert knowledge_for(dataclasses.replace(system, cloud="china")) is Knowledge.for_cloud("china")
