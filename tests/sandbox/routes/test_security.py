"""The security reads: MFA registration, risky users and sign-ins, conditional access, named
locations and domains, with Graph's shapes and permissions, and data that answers the analyst's
questions (someone has not registered MFA, someone is at risk, ...)."""

from __future__ import annotations

import json

import httpx

from graph_magic.sandbox import create_app
from tests.sandbox.sandbox_kit import GRAPH, delegated, error_of

REGISTRATION = "/v1.0/reports/authenticationMethods/userRegistrationDetails"
RISKY = "/v1.0/identityProtection/riskyUsers"
POLICIES = "/v1.0/identity/conditionalAccess/policies"
LOCATIONS = "/v1.0/identity/conditionalAccess/namedLocations"
DENIED = (403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")


async def test_registration_details_shape_and_unregistered_admins(client, app):
    body = (await client.get(REGISTRATION, params={"$top": "999"})).json()
    assert body["@odata.context"].endswith(
        "$metadata#reports/authenticationMethods/userRegistrationDetails"
    )
    rows = body["value"]
    assert [r["id"] for r in rows] == [u["id"] for u in app.state.tenant.users]
    assert tuple(rows[0]) == (
        "id", "userPrincipalName", "userDisplayName", "userType", "isAdmin", "isSsprRegistered",
        "isSsprEnabled", "isSsprCapable", "isMfaRegistered", "isMfaCapable",
        "isPasswordlessCapable", "methodsRegistered",
        "isSystemPreferredAuthenticationMethodEnabled", "systemPreferredAuthenticationMethods",
        "userPreferredMethodForSecondaryAuthentication", "lastUpdatedDateTime",
    )  # fmt: skip
    holders = {a["principalId"] for a in app.state.tenant.security.role_assignments}
    assert {r["id"] for r in rows if r["isAdmin"]} == holders & {r["id"] for r in rows}
    params = {"$filter": "isMfaRegistered eq false and isAdmin eq true"}
    unregistered = (await client.get(REGISTRATION, params=params)).json()["value"]
    assert unregistered and all(r["isAdmin"] and not r["isMfaRegistered"] for r in unregistered)
    assert {r["userType"] for r in rows} == {"member", "guest"}
    assert all(r["isMfaRegistered"] == any(m != "email" for m in r["methodsRegistered"])
               for r in rows)  # fmt: skip


async def test_registration_filter_on_methods_and_paging(client, app):
    params = {"$filter": "methodsRegistered/any(m:m eq 'fido2')", "$select": "userPrincipalName"}
    body = (await client.get(REGISTRATION, params=params)).json()
    assert body["value"] and body["@odata.context"].endswith(
        "userRegistrationDetails(userPrincipalName)"
    )
    first = (await client.get(REGISTRATION, params={"$top": "100"})).json()
    assert len(first["value"]) == 100 and "@odata.nextLink" in first
    user = app.state.tenant.users[7]
    one = (await client.get(f"{REGISTRATION}/{user['id']}")).json()
    assert one["userPrincipalName"] == user["userPrincipalName"]
    assert one["@odata.context"].endswith("userRegistrationDetails/$entity")


async def test_the_report_is_drawn_on_first_read_from_the_seeded_users(client, app):
    security = app.state.tenant.security
    assert "registration_details" not in vars(security)  # nothing drawn at startup
    gone = app.state.tenant.users[4]
    assert (await client.delete(f"/v1.0/users/{gone['id']}")).status_code == 204
    rows = (await client.get(REGISTRATION, params={"$top": "999"})).json()["value"]
    fresh = create_app().state.tenant.security.registration_details
    assert rows == json.loads(json.dumps(fresh))  # a write before the first read moves no row


async def test_registration_details_need_audit_log_read(limited):
    assert error_of(await limited.get(REGISTRATION)) == DENIED


async def test_risky_users_follow_the_risky_sign_ins(client, app):
    body = (await client.get(RISKY, params={"$top": "999"})).json()
    assert body["@odata.context"].endswith("$metadata#identityProtection/riskyUsers")
    users = body["value"]
    assert set(users[0]) == {
        "id", "isDeleted", "isProcessing", "riskLastUpdatedDateTime", "riskLevel", "riskState",
        "riskDetail", "userDisplayName", "userPrincipalName",
    }  # fmt: skip
    risky_ins = [s for s in app.state.tenant.sign_ins if s["riskLevelDuringSignIn"] != "none"]
    assert {u["id"] for u in users} == {s["userId"] for s in risky_ins}
    at_risk = [u for u in users if u["riskState"] == "atRisk"]
    assert at_risk and all(u["riskLevel"] != "none" for u in at_risk)
    assert all(u["riskLevel"] == "none" for u in users if u["riskState"] == "remediated")
    high = await client.get(RISKY, params={"$filter": "riskLevel eq 'high'"})
    assert all(u["riskLevel"] == "high" for u in high.json()["value"])


async def test_risky_sign_ins_are_few_and_filterable(client, app):
    params = {"$filter": "riskLevelDuringSignIn ne 'none'", "$select": "riskLevelDuringSignIn,"
              "riskState,riskDetail,riskEventTypes"}  # fmt: skip
    risky = (await client.get("/v1.0/auditLogs/signIns", params=params)).json()["value"]
    assert 0 < len(risky) < len(app.state.tenant.sign_ins) / 20
    assert {s["riskLevelDuringSignIn"] for s in risky} <= {"low", "medium", "high"}
    assert all(len(s["riskEventTypes"]) == 1 for s in risky)


async def test_risky_users_need_identity_risky_user_read(limited):
    assert error_of(await limited.get(RISKY)) == DENIED


async def test_conditional_access_policies_shape_and_states(client, app):
    body = (await client.get(POLICIES)).json()
    assert body["@odata.context"].endswith("$metadata#identity/conditionalAccess/policies")
    policies = body["value"]
    assert {p["state"] for p in policies} == {
        "enabled", "disabled", "enabledForReportingButNotEnforced",
    }  # fmt: skip
    policy = policies[0]
    assert set(policy["conditions"]["users"]) >= {"includeUsers", "excludeUsers", "includeRoles"}
    assert set(policy["grantControls"]) >= {"operator", "builtInControls", "termsOfUse"}
    roles = {r["id"] for r in app.state.tenant.security.role_definitions}
    assert set(policy["conditions"]["users"]["includeRoles"]) <= roles
    location_ids = {loc["id"] for loc in app.state.tenant.security.named_locations}
    used = {i for p in policies if p["conditions"]["locations"]
            for i in p["conditions"]["locations"]["includeLocations"]} - {"All"}  # fmt: skip
    assert used and used <= location_ids
    sessions = [p["sessionControls"] for p in policies if p["sessionControls"]]
    assert sessions[0]["signInFrequency"]["type"] == "days"
    enabled = await client.get(POLICIES, params={"$filter": "state eq 'enabled'"})
    assert all(p["state"] == "enabled" for p in enabled.json()["value"])
    one = (await client.get(f"{POLICIES}/{policy['id']}")).json()
    assert one["displayName"] == policy["displayName"]


async def test_named_locations_carry_their_own_type(client):
    body = (await client.get(LOCATIONS)).json()
    assert body["@odata.context"].endswith("$metadata#identity/conditionalAccess/namedLocations")
    by_type = {loc["@odata.type"]: loc for loc in body["value"]}
    ip = by_type["#microsoft.graph.ipNamedLocation"]
    country = by_type["#microsoft.graph.countryNamedLocation"]
    assert "ipRanges" in ip and "countriesAndRegions" not in ip
    assert "countriesAndRegions" in country and "ipRanges" not in country
    assert ip["ipRanges"][0]["@odata.type"] in (
        "#microsoft.graph.iPv4CidrRange",
        "#microsoft.graph.iPv6CidrRange",
    )
    selected = (await client.get(LOCATIONS, params={"$select": "displayName"})).json()["value"]
    assert set(selected[0]) == {"@odata.type", "displayName", "id"}
    one = (await client.get(f"{LOCATIONS}/{country['id']}")).json()
    assert one["@odata.type"] == "#microsoft.graph.countryNamedLocation"
    assert one["@odata.context"].endswith("namedLocations/$entity")


async def test_conditional_access_needs_policy_read_and_unknown_ids_are_404(client, limited):
    assert error_of(await limited.get(POLICIES)) == DENIED
    assert error_of(await limited.get(LOCATIONS)) == DENIED
    r = await client.get(f"{POLICIES}/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "Request_ResourceNotFound"


async def test_domains_list_get_and_permissions(client, app, limited):
    body = (await client.get("/v1.0/domains")).json()
    assert body["@odata.context"].endswith("$metadata#domains")
    domains = {d["id"]: d for d in body["value"]}
    assert domains["contoso.com"]["isDefault"] and domains["contoso.onmicrosoft.com"]["isInitial"]
    assert [d for d in domains.values() if not d["isVerified"]]
    upn_domains = {u["userPrincipalName"].rsplit("@", 1)[1] for u in app.state.tenant.users}
    assert upn_domains <= set(domains)
    one = (await client.get("/v1.0/domains/Contoso.com")).json()
    assert one["id"] == "contoso.com"
    assert (await limited.get("/v1.0/domains")).status_code == 200  # Directory.Read.All
    headers = delegated(app, app.state.tenant.users[2], ("User.Read.All",))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=headers
    ) as c:
        assert error_of(await c.get("/v1.0/domains")) == DENIED


def _days_left(end: str) -> float:
    from datetime import UTC, datetime

    today = datetime(2025, 6, 2, tzinfo=UTC)
    return (datetime.fromisoformat(end.replace("Z", "+00:00")) - today).total_seconds() / 86400


async def test_app_credentials_spread_around_the_clock(client):
    params = {"$select": "displayName,passwordCredentials,keyCredentials"}
    apps = (await client.get("/v1.0/applications", params=params)).json()["value"]
    secrets = [c for a in apps for c in a["passwordCredentials"]]
    certificates = [c for a in apps for c in a["keyCredentials"]]
    ends = [_days_left(c["endDateTime"]) for c in secrets + certificates]
    assert [d for d in ends if 0 < d <= 30], "something must expire within 30 days"
    assert [d for d in ends if d <= 0] and [d for d in ends if d > 30]
    assert all(c["secretText"] is None and len(c["hint"]) == 3 for c in secrets)
    assert {c["type"] for c in certificates} == {"AsymmetricX509Cert"}
    assert all(c["startDateTime"] < c["endDateTime"] for c in secrets + certificates)
    sps = (await client.get("/v1.0/servicePrincipals", params=params)).json()["value"]
    signing = [sp for sp in sps if sp["keyCredentials"]]
    assert signing and "Microsoft Graph" not in {sp["displayName"] for sp in signing}


async def test_guests_show_invitation_state_and_staleness(client, limited):
    params = {
        "$filter": "userType eq 'Guest'",
        "$select": "displayName,createdDateTime,externalUserState,"
        "externalUserStateChangeDateTime,signInActivity",
    }
    guests = (await client.get("/v1.0/users", params=params)).json()["value"]
    assert guests and all(g["externalUserState"] == "Accepted" for g in guests)
    assert all(g["externalUserStateChangeDateTime"] >= g["createdDateTime"] for g in guests)
    stale = [g for g in guests if -_days_left(g["signInActivity"]["lastSignInDateTime"]) > 30]
    assert 0 < len(stale) < len(guests)
    assert error_of(await limited.get("/v1.0/users", params=params)) == DENIED


async def test_invited_guest_records_when_its_state_changed(client):
    body = {"invitedUserEmailAddress": "ana@fabrikam.com", "inviteRedirectUrl": "https://x"}
    invited = (await client.post("/v1.0/invitations", json=body)).json()["invitedUser"]
    params = {"$select": "externalUserState,externalUserStateChangeDateTime,createdDateTime"}
    guest = (await client.get(f"/v1.0/users/{invited['id']}", params=params)).json()
    assert guest["externalUserState"] == "PendingAcceptance"
    assert guest["externalUserStateChangeDateTime"] == guest["createdDateTime"]


async def test_subscribed_skus_match_assigned_licenses_and_leave_waste(client, app):
    skus = (await client.get("/v1.0/subscribedSkus")).json()["value"]
    users = app.state.tenant.users
    for sku in skus:
        holders = [
            u for u in users for lic in u["assignedLicenses"] if lic["skuId"] == sku["skuId"]
        ]
        assert sku["consumedUnits"] == len(holders)
        assert sku["prepaidUnits"]["enabled"] > sku["consumedUnits"]
    disabled_licensed = [u for u in users if not u["accountEnabled"] and u["assignedLicenses"]]
    assert disabled_licensed
