"""The seeded security picture of the tenant: directory roles and who holds them, MFA
registration, risky sign-ins and users, app credentials, guests' invitation state and domains.

Every table draws from its own ``random.Random`` stream (``{seed}:roles``, ``{seed}:mfa``, ...),
so adding it left the users, groups and sign-ins the other streams make as they were. Three
passes complete existing objects instead of adding new ones: applications and service principals
gain ``passwordCredentials``/``keyCredentials``, a few sign-ins gain risk, guests gain
``externalUserStateChangeDateTime``; only those properties change. Dates are placed around the
sandbox's fixed clock (2025-06-02), so "expires within 30 days" and "stale" have answers.
"""

from __future__ import annotations

import base64
import functools
import gc
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from graph_magic.sandbox._clock import DATA_END, iso_z
from graph_magic.sandbox.tenant._seeded import Obj, guid
from graph_magic.sandbox.tenant.constants import TENANT_ID
from graph_magic.sandbox.tenant.generate_mfa import make_registration_details
from graph_magic.sandbox.tenant.generate_policies import make_named_locations, make_policies
from graph_magic.sandbox.tenant.security_tables import (
    APP_ROLE_HOLDERS,
    DOMAINS,
    GLOBAL_ADMINISTRATOR,
    RISK_EVENTS,
    RISK_OUTCOMES,
    ROLE_HOLDERS,
    ROLE_TEMPLATES,
    SECRET_NAMES,
)

if TYPE_CHECKING:
    from graph_magic.sandbox.tenant.generate import Directory

TODAY = DATA_END + timedelta(days=1)
"""The day the sandbox's clock shows (2025-06-02): credential expiry is spread around it."""

_GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
_LEVELS = ("low", "medium", "high")


@dataclass
class Security:
    """The security collections, as Graph lists them.

    The MFA report, one row per user, is drawn on first use (``registration_details``): it is
    most of the cost at 200,000 users, and most sessions never read it. It is drawn from the
    users as seeded (``seeded_users``), so what a session wrote before reading it changes no
    other user's row.
    """

    seed: int
    seeded_users: list[Obj]
    role_definitions: list[Obj]
    role_assignments: list[Obj]
    risky_users: list[Obj]
    named_locations: list[Obj]
    policies: list[Obj]
    domains: list[Obj]

    @functools.cached_property
    def registration_details(self) -> list[Obj]:
        """userRegistrationDetails of every seeded user (admins are the role holders)."""
        admins = {a["principalId"] for a in self.role_assignments}
        return make_registration_details(self.seed, self.seeded_users, admins)


def make_security(seed: int, made: Directory) -> Security:
    """The security tables of a generated directory (completing its apps, sign-ins, guests),
    made with the cycle collector paused, as the directory was (they only allocate)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _make_security(seed, made)
    finally:
        if collecting:
            gc.enable()


def _make_security(seed: int, made: Directory) -> Security:
    add_credentials(seed, made.applications, made.service_principals)
    add_guest_state(seed, made.users)
    mark_risky_sign_ins(seed, made.sign_ins)
    assignments = make_role_assignments(seed, made.users, made.service_principals)
    admins = {a["principalId"] for a in assignments}
    locations = make_named_locations(seed)
    return Security(
        seed=seed,
        seeded_users=list(made.users),
        role_definitions=make_role_definitions(),
        role_assignments=assignments,
        risky_users=make_risky_users(made.sign_ins),
        named_locations=locations,
        policies=make_policies(seed, made.users, made.groups, locations, admins),
        domains=make_domains(),
    )


# ----- roles -------------------------------------------------------------------------------


def make_role_definitions() -> list[Obj]:
    """The built-in role definitions (unifiedRoleDefinition), id = Microsoft's template id."""
    return [
        {
            "id": template_id,
            "description": description,
            "displayName": name,
            "isBuiltIn": True,
            "isEnabled": True,
            "resourceScopes": ["/"],
            "templateId": template_id,
            "version": "1",
            "rolePermissions": [
                {
                    "allowedResourceActions": list(actions),
                    "condition": None,
                    "excludedResourceActions": [],
                }
            ],
        }
        for template_id, name, description, actions in ROLE_TEMPLATES
    ]


def assignment_id(role_id: str, principal_id: str) -> str:
    """Graph's directory role assignment id: the role's and the principal's GUID bytes
    (little-endian, as .NET writes them) in URL-safe base64, then ``-1``."""
    raw = uuid.UUID(role_id).bytes_le + uuid.UUID(principal_id).bytes_le
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "-1"


def role_assignment(role_id: str, principal_id: str) -> Obj:
    """A direct, tenant-wide (``/``) assignment of a role to a principal."""
    return {
        "id": assignment_id(role_id, principal_id),
        "principalId": principal_id,
        "principalOrganizationId": TENANT_ID,
        "directoryScopeId": "/",
        "appScopeId": None,
        "roleDefinitionId": role_id,
        "condition": None,
    }


def make_role_assignments(seed: int, users: list[Obj], sps: list[Obj]) -> list[Obj]:
    """Active role assignments: enabled members per :data:`ROLE_HOLDERS`, plus the findings an
    analyst looks for (a disabled account still Global Administrator, a guest Global Reader)
    and service principals holding roles."""
    rng = random.Random(f"{seed}:roles")
    members = [u for u in users if u["userType"] == "Member" and u["accountEnabled"]]
    wanted = sum(count for _, count in ROLE_HOLDERS)
    holders = rng.sample(members, min(wanted, len(members)))
    out: list[Obj] = []
    for role_id, count in ROLE_HOLDERS:
        taken, holders = holders[:count], holders[count:]
        out.extend(role_assignment(role_id, u["id"]) for u in taken)
    disabled = [u for u in users if u["userType"] == "Member" and not u["accountEnabled"]]
    if disabled:
        out.append(role_assignment(GLOBAL_ADMINISTRATOR, rng.choice(disabled)["id"]))
    guests = [u for u in users if u["userType"] == "Guest"]
    if guests:
        out.append(role_assignment(_GLOBAL_READER, rng.choice(guests)["id"]))
    by_name = {sp["displayName"]: sp for sp in sps}
    for name, role_id in APP_ROLE_HOLDERS:
        if name in by_name:
            out.append(role_assignment(role_id, by_name[name]["id"]))
    return out


# ----- risk --------------------------------------------------------------------------------


def mark_risky_sign_ins(seed: int, sign_ins: list[Obj]) -> None:
    """Give about 1.5% of the sign-ins a risk level, state, detail and detection (the rest keep
    Graph's ``none``)."""
    rng = random.Random(f"{seed}:risk")
    for sign_in in sign_ins:
        if rng.random() >= 0.015 or not sign_in["userId"]:
            continue
        level = rng.choices(_LEVELS, weights=(45, 40, 15))[0]
        state, detail = rng.choices(RISK_OUTCOMES, weights=(45, 18, 12, 15, 10))[0]
        sign_in["riskLevelDuringSignIn"] = sign_in["riskLevelAggregated"] = level
        sign_in["riskState"] = state
        sign_in["riskDetail"] = detail
        sign_in["riskEventTypes"] = [rng.choice(RISK_EVENTS)]


RISKY_USER_PROPERTIES = (
    "id", "isDeleted", "isProcessing", "riskLastUpdatedDateTime", "riskLevel", "riskState",
    "riskDetail", "userDisplayName", "userPrincipalName",
)  # fmt: skip
"""riskyUser's properties in Graph's order (known to the routes when no one is at risk)."""


def make_risky_users(sign_ins: list[Obj]) -> list[Obj]:
    """The riskyUser of everyone with a risky sign-in: the newest one sets the state; a user
    still at risk (or confirmed compromised) carries the highest level seen, others ``none``."""
    found: dict[str, Obj] = {}
    for sign_in in sign_ins:  # newest first
        level = sign_in["riskLevelDuringSignIn"]
        if level == "none":
            continue
        user = found.get(sign_in["userId"])
        if user is None:
            found[sign_in["userId"]] = {
                "id": sign_in["userId"],
                "isDeleted": False,
                "isProcessing": False,
                "riskLastUpdatedDateTime": sign_in["createdDateTime"],
                "riskLevel": level,
                "riskState": sign_in["riskState"],
                "riskDetail": sign_in["riskDetail"],
                "userDisplayName": sign_in["userDisplayName"],
                "userPrincipalName": sign_in["userPrincipalName"],
            }
        elif _LEVELS.index(level) > _LEVELS.index(user["riskLevel"]):
            user["riskLevel"] = level
    for user in found.values():
        if user["riskState"] not in ("atRisk", "confirmedCompromised"):
            user["riskLevel"] = "none"
    return list(found.values())


# ----- app credentials, guests, domains ----------------------------------------------------


def _end_date(rng: random.Random) -> datetime:
    """When a credential ends: some expired, a quarter within 30 days, most later."""
    roll = rng.random()
    if roll < 0.15:
        days = -rng.randrange(1, 120)
    elif roll < 0.4:
        days = rng.randrange(1, 31)
    else:
        days = rng.randrange(31, 720)
    return TODAY + timedelta(days=days, seconds=rng.randrange(86400))


def _secret(rng: random.Random) -> Obj:
    end = _end_date(rng)
    return {
        "customKeyIdentifier": None,
        "displayName": rng.choice(SECRET_NAMES),
        "endDateTime": iso_z(end),
        "hint": "".join(rng.choice("abcdefghijkmnpqrstuvwxyzABCDEFGH23456789~") for _ in "123"),
        "keyId": guid(rng),
        "secretText": None,
        "startDateTime": iso_z(end - timedelta(days=rng.choice((180, 365, 730)))),
    }


def _certificate(rng: random.Random, subject: str) -> Obj:
    end = _end_date(rng)
    thumbprint = rng.getrandbits(160).to_bytes(20, "big")
    return {
        "customKeyIdentifier": base64.b64encode(thumbprint).decode(),
        "displayName": f"CN={subject}",
        "endDateTime": iso_z(end),
        "key": None,
        "keyId": guid(rng),
        "startDateTime": iso_z(end - timedelta(days=365)),
        "type": "AsymmetricX509Cert",
        "usage": "Verify",
    }


def add_credentials(seed: int, applications: list[Obj], sps: list[Obj]) -> None:
    """Client secrets and certificates on the app registrations, and SAML signing certificates
    on some of the tenant's own service principals (Microsoft's first-party ones have none)."""
    rng = random.Random(f"{seed}:credentials")
    for app in applications:
        app["passwordCredentials"] = [_secret(rng) for _ in range(rng.choice((0, 1, 1, 2)))]
        if rng.random() < 0.4:
            app["keyCredentials"] = [_certificate(rng, app["displayName"])]
    for sp in sps:
        if sp["appOwnerOrganizationId"] == TENANT_ID and rng.random() < 0.3:
            subject = "Microsoft Azure Federated SSO Certificate"
            sp["keyCredentials"] = [_certificate(rng, subject)]


def add_guest_state(seed: int, users: list[Obj]) -> None:
    """When each guest redeemed the invitation (``externalUserStateChangeDateTime``): within two
    weeks of being created."""
    rng = random.Random(f"{seed}:guests")
    for user in users:
        if user["userType"] != "Guest":
            continue
        created = datetime.fromisoformat(user["createdDateTime"].replace("Z", "+00:00"))
        accepted = min(created + timedelta(seconds=rng.randrange(14 * 86400)), DATA_END)
        user["externalUserStateChangeDateTime"] = iso_z(accepted)


def make_domains() -> list[Obj]:
    """The tenant's domains: the verified default, the initial one, the mail routing one and a
    domain added but never verified."""
    return [
        {
            "authenticationType": "Managed",
            "availabilityStatus": None,
            "id": name,
            "isAdminManaged": True,
            "isDefault": default,
            "isInitial": initial,
            "isRoot": True,
            "isVerified": verified,
            "manufacturer": None,
            "model": None,
            "passwordNotificationWindowInDays": 14,
            "passwordValidityPeriodInDays": 2147483647,
            "state": None,
            "supportedServices": list(services),
        }
        for name, default, initial, verified, services in DOMAINS
    ]
