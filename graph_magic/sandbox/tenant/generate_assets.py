"""Seeded devices, app registrations, service principals and subscribed SKUs."""

from __future__ import annotations

import random
from datetime import timedelta

from graph_magic.sandbox._clock import DATA_END, iso_z
from graph_magic.sandbox.tenant._seeded import Links, Obj, guid
from graph_magic.sandbox.tenant.constants import DOMAIN, GRAPH_APP_ID, TENANT_ID
from graph_magic.sandbox.tenant.names import APP_NAMES, FIRST_PARTY, OPERATING_SYSTEMS, SKUS


def make_devices(seed: int, count: int, users: list[Obj]) -> tuple[list[Obj], Links]:
    """``count`` devices, each registered to one of ``users``: (devices, owners by device id)."""
    devices: list[Obj] = []
    owners: Links = {}
    rng = random.Random(f"{seed}:devices")
    for index in range(count):
        os_name, os_version, maker, model = OPERATING_SYSTEMS[rng.randrange(len(OPERATING_SYSTEMS))]
        device_id = guid(rng)
        prefix = {"Windows": "DESKTOP", "MacMDM": "MAC", "iOS": "IPHONE"}.get(os_name, "ANDROID")
        device = {
            "id": device_id,
            "deviceId": guid(rng),
            "displayName": f"{prefix}-{rng.getrandbits(28):07X}",
            "accountEnabled": rng.random() >= 0.05,
            "operatingSystem": os_name,
            "operatingSystemVersion": os_version,
            "trustType": "AzureAd" if os_name == "Windows" else "Workplace",
            "profileType": "RegisteredDevice",
            "isCompliant": rng.random() >= 0.15,
            "isManaged": rng.random() >= 0.1,
            "manufacturer": maker,
            "model": model,
            "approximateLastSignInDateTime": iso_z(
                DATA_END - timedelta(seconds=rng.randrange(45 * 86400))
            ),
            "registrationDateTime": iso_z(
                DATA_END - timedelta(seconds=rng.randrange(3 * 365 * 86400))
            ),
            "onPremisesSyncEnabled": None,
            "onPremisesLastSyncDateTime": None,
            "physicalIds": [],
            "systemLabels": [],
            "extensionAttributes": {
                "extensionAttribute1": "BYOD-Device" if index % 5 == 0 else None,
                "extensionAttribute2": None,
            },
        }
        devices.append(device)
        if users:
            owners[device_id] = [users[rng.randrange(len(users))]["id"]]
    return devices, owners


def make_apps(seed: int) -> tuple[list[Obj], list[Obj]]:
    """The tenant's app registrations and the service principals of those and of Microsoft's
    first-party apps: (applications, servicePrincipals)."""
    applications: list[Obj] = []
    service_principals: list[Obj] = []
    rng = random.Random(f"{seed}:apps")
    for name in APP_NAMES:
        app_id = guid(rng)
        app = {
            "id": guid(rng),
            "appId": app_id,
            "displayName": name,
            "createdDateTime": iso_z(DATA_END - timedelta(seconds=rng.randrange(3 * 365 * 86400))),
            "deletedDateTime": None,
            "signInAudience": "AzureADMyOrg",
            "publisherDomain": DOMAIN,
            "identifierUris": [],
            "tags": [],
            "keyCredentials": [],
            "passwordCredentials": [],
            "requiredResourceAccess": [
                {
                    "resourceAppId": GRAPH_APP_ID,
                    "resourceAccess": [
                        {"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"}
                    ],
                }
            ],
            "web": {"redirectUris": [], "homePageUrl": None, "logoutUrl": None},
            "appRoles": [],
            "publicClient": {"redirectUris": []},
        }
        applications.append(app)
        service_principals.append(_service_principal(rng, app_id, name, TENANT_ID))
    for app_id, name in FIRST_PARTY:
        service_principals.append(
            _service_principal(rng, app_id, name, "f8cdef31-a31e-4b4a-93e4-5f571e91255a")
        )
    return applications, service_principals


def _service_principal(rng: random.Random, app_id: str, name: str, owner: str) -> Obj:
    return {
        "id": guid(rng),
        "appId": app_id,
        "displayName": name,
        "appDisplayName": name,
        "accountEnabled": True,
        "appOwnerOrganizationId": owner,
        "appRoleAssignmentRequired": False,
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMyOrg" if owner == TENANT_ID else "AzureADMultipleOrgs",
        "servicePrincipalNames": [app_id],
        "tags": [],
        "replyUrls": [],
        "keyCredentials": [],
        "passwordCredentials": [],
        "appRoles": [],
        "oauth2PermissionScopes": [],
    }


def make_skus(seed: int, users: list[Obj]) -> list[Obj]:
    """The subscribed SKUs, their consumed units counted from the users' licenses."""
    skus: list[Obj] = []
    consumed: dict[str, int] = {}
    for user in users:
        for lic in user["assignedLicenses"]:
            consumed[lic["skuId"]] = consumed.get(lic["skuId"], 0) + 1
    rng = random.Random(f"{seed}:skus")
    for sku_id, part, units in SKUS:
        used = consumed.get(sku_id, 0)
        skus.append(
            {
                "accountName": "Contoso",
                "accountId": TENANT_ID,
                "appliesTo": "User",
                "capabilityStatus": "Enabled",
                "consumedUnits": used,
                "id": f"{TENANT_ID}_{sku_id}",
                "prepaidUnits": {
                    "enabled": max(units, used + 5),
                    "lockedOut": 0,
                    "suspended": 0,
                    "warning": 0,
                },
                "servicePlans": [],
                "skuId": sku_id,
                "skuPartNumber": part,
                "subscriptionIds": [guid(rng)],
            }
        )
    return skus
