"""Seeded conditional access: named locations and the policies that use them.

The policies are the ones a real tenant's review turns up: MFA for admins, legacy
authentication blocked, risk-based policies, a country block, an "all users MFA" policy still in
report-only mode and a disabled device policy, in Graph's full shapes (conditions,
grantControls, sessionControls). Ids and dates come from the ``{seed}:policies`` stream.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from graph_magic.sandbox._clock import DATA_END
from graph_magic.sandbox.tenant._seeded import Obj, guid
from graph_magic.sandbox.tenant.security_tables import ROLE_TEMPLATES

_ADMIN_ROLES = [template_id for template_id, *_ in ROLE_TEMPLATES[:10]]
"""The administrator roles the admin MFA policy targets (the readers are left out)."""


def _stamp(rng: random.Random, max_days: int) -> str:
    """A policy timestamp as Graph writes them: seven fractional digits, 'Z'."""
    moment = DATA_END - timedelta(seconds=rng.randrange(max_days * 86400))
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rng.randrange(10**7):07d}Z"


def make_named_locations(seed: int) -> list[Obj]:
    """Two trusted IP ranges (head office, VPN) and the blocked countries."""
    rng = random.Random(f"{seed}:locations")
    out: list[Obj] = []
    for name, ranges in (
        ("Contoso head office", ["198.51.100.0/24", "2001:db8:1200::/48"]),
        ("Contoso VPN egress", ["192.0.2.16/28"]),
    ):
        created = _stamp(rng, 900)
        out.append(
            {
                "@odata.type": "#microsoft.graph.ipNamedLocation",
                "id": guid(rng),
                "displayName": name,
                "modifiedDateTime": created,
                "createdDateTime": created,
                "isTrusted": True,
                "ipRanges": [
                    {
                        "@odata.type": "#microsoft.graph."
                        + ("iPv6CidrRange" if ":" in cidr else "iPv4CidrRange"),
                        "cidrAddress": cidr,
                    }
                    for cidr in ranges
                ],
            }
        )
    out.append(
        {
            "@odata.type": "#microsoft.graph.countryNamedLocation",
            "id": guid(rng),
            "displayName": "Blocked countries",
            "modifiedDateTime": _stamp(rng, 200),
            "createdDateTime": _stamp(rng, 900),
            "countriesAndRegions": ["KP", "IR", "SY", "CU"],
            "countryLookupMethod": "clientIpAddress",
            "includeUnknownCountriesAndRegions": False,
        }
    )
    return out


def _users(include_users: list[str], **extra: list[str]) -> Obj:
    return {
        "excludeGroups": extra.get("excludeGroups", []),
        "excludeGuestsOrExternalUsers": None,
        "excludeRoles": [],
        "excludeUsers": extra.get("excludeUsers", []),
        "includeGroups": [],
        "includeGuestsOrExternalUsers": None,
        "includeRoles": extra.get("includeRoles", []),
        "includeUsers": include_users,
    }


def _conditions(users: Obj, **extra: Any) -> Obj:
    return {
        "applications": {
            "applicationFilter": None,
            "excludeApplications": [],
            "includeApplications": ["All"],
            "includeAuthenticationContextClassReferences": [],
            "includeUserActions": [],
        },
        "authenticationFlows": None,
        "clientApplications": None,
        "clientAppTypes": extra.get("clientAppTypes", ["all"]),
        "devices": None,
        "insiderRiskLevels": None,
        "locations": extra.get("locations"),
        "platforms": extra.get("platforms"),
        "servicePrincipalRiskLevels": [],
        "signInRiskLevels": extra.get("signInRiskLevels", []),
        "userRiskLevels": extra.get("userRiskLevels", []),
        "users": users,
    }


def _grant(controls: list[str], operator: str = "OR") -> Obj:
    return {
        "operator": operator,
        "builtInControls": controls,
        "customAuthenticationFactors": [],
        "termsOfUse": [],
        "authenticationStrength": None,
    }


def _guest_session() -> Obj:
    """Guests sign in again every day and never stay signed in."""
    return {
        "applicationEnforcedRestrictions": None,
        "cloudAppSecurity": None,
        "disableResilienceDefaults": None,
        "persistentBrowser": {"isEnabled": True, "mode": "never"},
        "signInFrequency": {
            "authenticationType": "primaryAndSecondaryAuthentication",
            "frequencyInterval": "timeBased",
            "isEnabled": True,
            "type": "days",
            "value": 1,
        },
    }


def make_policies(
    seed: int, users: list[Obj], groups: list[Obj], locations: list[Obj], admins: set[str]
) -> list[Obj]:
    """The conditional access policies (one break-glass admin excluded from each, as advised)."""
    rng = random.Random(f"{seed}:policies")
    break_glass = [next((u["id"] for u in users if u["id"] in admins), "None")]
    it_groups = [g["id"] for g in groups if g["displayName"] == "IT"]
    blocked = [loc["id"] for loc in locations if "countriesAndRegions" in loc]
    trusted = [loc["id"] for loc in locations if loc.get("isTrusted")]
    specs: list[tuple[str, str, Obj, Obj, Obj | None]] = [
        ("Require MFA for administrators", "enabled",
         _conditions(_users([], includeRoles=_ADMIN_ROLES, excludeUsers=break_glass)),
         _grant(["mfa"]), None),
        ("Block legacy authentication", "enabled",
         _conditions(_users(["All"], excludeUsers=break_glass),
                     clientAppTypes=["exchangeActiveSync", "other"]),
         _grant(["block"]), None),
        ("Block sign-ins from blocked countries", "enabled",
         _conditions(_users(["All"], excludeUsers=break_glass),
                     locations={"excludeLocations": [], "includeLocations": blocked}),
         _grant(["block"]), None),
        ("Require MFA for risky sign-ins", "enabled",
         _conditions(_users(["All"], excludeUsers=break_glass),
                     signInRiskLevels=["high", "medium"]),
         _grant(["mfa"]), None),
        ("Require password change for high-risk users", "enabled",
         _conditions(_users(["All"], excludeUsers=break_glass), userRiskLevels=["high"]),
         _grant(["mfa", "passwordChange"], "AND"), None),
        ("Require MFA for all users", "enabledForReportingButNotEnforced",
         _conditions(_users(["All"], excludeUsers=break_glass, excludeGroups=it_groups),
                     locations={"excludeLocations": trusted, "includeLocations": ["All"]}),
         _grant(["mfa"]), None),
        ("Guests: MFA and daily sign-in", "enabled",
         _conditions(_users(["GuestsOrExternalUsers"])), _grant(["mfa"]), _guest_session()),
        ("Require compliant device on Windows", "disabled",
         _conditions(_users(["All"], excludeUsers=break_glass),
                     platforms={"excludePlatforms": [], "includePlatforms": ["windows"]}),
         _grant(["compliantDevice", "domainJoinedDevice"]), None),
    ]  # fmt: skip
    out = []
    for name, state, conditions, grant, session in specs:
        created = _stamp(rng, 900)
        out.append(
            {
                "id": guid(rng),
                "templateId": None,
                "displayName": name,
                "createdDateTime": created,
                "modifiedDateTime": max(created, _stamp(rng, 120)),
                "state": state,
                "sessionControls": session,
                "conditions": conditions,
                "grantControls": grant,
            }
        )
    return out
