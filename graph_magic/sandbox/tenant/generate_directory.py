"""The directory's core beyond users and groups: the organization, its activated directory
roles with their members, and group owners.

Each draws from its own seeded stream (``{seed}:directoryRoles``, ``{seed}:owners``), after
every other collection was made, so adding them changed no byte of the users, groups or apps.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from itertools import islice

from graph_magic.sandbox._clock import DATA_END, iso_z
from graph_magic.sandbox.tenant._seeded import Links, Obj, below, guid
from graph_magic.sandbox.tenant.constants import DOMAIN, INITIAL_DOMAIN, TENANT_ID

ROLES = (
    (
        "62e90394-69f5-4237-9190-012177145e10",
        "Global Administrator",
        "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft "
        "Entra identities.",
        (2, 2),
    ),
    (
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "Privileged Role Administrator",
        "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged "
        "Identity Management.",
        (1, 1),
    ),
    (
        "fe930be7-5e62-47db-91af-98c3a49a38b1",
        "User Administrator",
        "Can manage all aspects of users and groups, including resetting passwords for limited "
        "admins.",
        (2, 3),
    ),
    (
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "Security Administrator",
        "Can read security information and reports, and manage configuration in Microsoft Entra "
        "ID and Office 365.",
        (1, 3),
    ),
    (
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "Application Administrator",
        "Can create and manage all aspects of app registrations and enterprise apps.",
        (1, 3),
    ),
    (
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "Helpdesk Administrator",
        "Can reset passwords for non-administrators and Helpdesk Administrators.",
        (2, 4),
    ),
    (
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        "Global Reader",
        "Can read everything that a Global Administrator can, but not update anything.",
        (1, 3),
    ),
    (
        "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        "Directory Readers",
        "Can read basic directory information. Commonly used to grant directory read access to "
        "applications and guests.",
        (0, 2),
    ),
)
"""The activated roles: (roleTemplateId, displayName, description, (fewest, most) members).
Template ids are Microsoft's, the same in every tenant."""


_POOL = 2000
"""Role holders and group owners are drawn from the tenant's first this-many members."""


@dataclass
class DirectoryCore:
    """The organization, directory roles and their members, and group owners."""

    organization: list[Obj]
    directory_roles: list[Obj]
    role_members: Links
    group_owners: Links


def make_directory_core(seed: int, users: list[Obj], groups: list[Obj]) -> DirectoryCore:
    """The directory core of a tenant whose users and groups are already made."""
    pool = (u["id"] for u in users if u.get("userType") == "Member")
    members = list(islice(pool, _POOL))  # the first members: a 200,000-user tenant stays cheap
    roles, role_members = _roles(seed, members)
    return DirectoryCore([_organization()], roles, role_members, _owners(seed, groups, members))


def _organization() -> Obj:
    """Contoso's organization object (fixed: it derives from nothing random)."""
    return {
        "id": TENANT_ID,
        "deletedDateTime": None,
        "assignedPlans": [],
        "businessPhones": ["+1 425 555 0100"],
        "city": "Redmond",
        "country": "United States",
        "countryLetterCode": "US",
        "createdDateTime": iso_z(DATA_END - timedelta(days=6 * 365)),
        "defaultUsageLocation": "US",
        "displayName": "Contoso",
        "marketingNotificationEmails": [],
        "mobileDeviceManagementAuthority": "intune",
        "onPremisesLastSyncDateTime": None,
        "onPremisesSyncEnabled": None,
        "partnerTenantType": None,
        "postalCode": "98052",
        "preferredLanguage": "en",
        "privacyProfile": None,
        "provisionedPlans": [],
        "securityComplianceNotificationMails": [],
        "securityComplianceNotificationPhones": [],
        "state": "WA",
        "street": "One Microsoft Way",
        "technicalNotificationMails": [f"it@{DOMAIN}"],
        "tenantType": "AAD",
        "verifiedDomains": [
            _domain(INITIAL_DOMAIN, initial=True, default=False),
            _domain(DOMAIN, initial=False, default=True),
        ],
    }


def _domain(name: str, *, initial: bool, default: bool) -> Obj:
    return {
        "capabilities": "Email, OfficeCommunicationsOnline",
        "isDefault": default,
        "isInitial": initial,
        "name": name,
        "type": "Managed",
    }


def _roles(seed: int, members: list[str]) -> tuple[list[Obj], Links]:
    """The activated directory roles and their members, drawn from the tenant's members."""
    rng = random.Random(f"{seed}:directoryRoles")
    roles: list[Obj] = []
    role_members: Links = {}
    for template_id, name, description, (fewest, most) in ROLES:
        role_id = guid(rng)
        roles.append(
            {
                "id": role_id,
                "deletedDateTime": None,
                "description": description,
                "displayName": name,
                "roleTemplateId": template_id,
            }
        )
        count = min(len(members), fewest + below(rng, most - fewest + 1))
        role_members[role_id] = rng.sample(members[:60], min(count, len(members[:60])))
    return roles, role_members


def _owners(seed: int, groups: list[Obj], members: list[str]) -> Links:
    """Each group's owners: one or two members, none for a fifth of the security groups."""
    rng = random.Random(f"{seed}:owners")
    owners: Links = {}
    for group in groups:
        if not members or (not group["mailEnabled"] and rng.random() < 0.2):
            owners[group["id"]] = []
            continue
        owners[group["id"]] = rng.sample(members, min(len(members), 1 + below(rng, 2)))
    return owners
