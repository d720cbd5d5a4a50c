"""The rest of each type's v1.0 property set, with the values an ordinary tenant shows.

The generators draw what varies (names, dates, memberships); the properties here are the ones
Graph's metadata declares that every object of the type carries with a plain value (``null``,
``[]``, Graph's defaults such as ``parentalControlSettings``). Adding them draws nothing from
any seeded stream, so the data the generators made stays byte for byte what it was.
``tests/sandbox/tenant/test_properties.py`` checks against the metadata that no declared
property is missing.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

_INFO = {
    "logoUrl": None,
    "marketingUrl": None,
    "privacyStatementUrl": None,
    "supportUrl": None,
    "termsOfServiceUrl": None,
}
_VERIFIED_PUBLISHER = {"displayName": None, "verifiedPublisherId": None, "addedDateTime": None}

APPLICATION_MORE: dict[str, Any] = {
    "addIns": [],
    "api": {
        "acceptMappedClaims": None,
        "knownClientApplications": [],
        "oauth2PermissionScopes": [],
        "preAuthorizedApplications": [],
        "requestedAccessTokenVersion": None,
    },
    "applicationTemplateId": None,
    "authenticationBehaviors": None,
    "certification": None,
    "createdByAppId": None,
    "defaultRedirectUri": None,
    "description": None,
    "disabledByMicrosoftStatus": None,
    "groupMembershipClaims": None,
    "info": _INFO,
    "isDeviceOnlyAuthSupported": None,
    "isDisabled": None,
    "isFallbackPublicClient": None,
    "managerApplications": [],
    "nativeAuthenticationApisEnabled": None,
    "notes": None,
    "oauth2RequirePostResponse": False,
    "optionalClaims": None,
    "parentalControlSettings": {"countriesBlockedForMinors": [], "legalAgeGroupRule": "Allow"},
    "requestSignatureVerification": None,
    "samlMetadataUrl": None,
    "serviceManagementReference": None,
    "servicePrincipalLockConfiguration": None,
    "spa": {"redirectUris": []},
    "tokenEncryptionKeyId": None,
    "uniqueName": None,
    "verifiedPublisher": _VERIFIED_PUBLISHER,
}
"""What an application carries besides the generated properties (``logo`` is a stream: Graph
never writes it into JSON)."""

SERVICE_PRINCIPAL_MORE: dict[str, Any] = {
    "deletedDateTime": None,
    "addIns": [],
    "alternativeNames": [],
    "appDescription": None,
    "applicationTemplateId": None,
    "createdByAppId": None,
    "customSecurityAttributes": None,
    "description": None,
    "disabledByMicrosoftStatus": None,
    "homepage": None,
    "info": _INFO,
    "isDisabled": None,
    "loginUrl": None,
    "logoutUrl": None,
    "notes": None,
    "notificationEmailAddresses": [],
    "preferredSingleSignOnMode": None,
    "preferredTokenSigningKeyThumbprint": None,
    "resourceSpecificApplicationPermissions": [],
    "samlSingleSignOnSettings": None,
    "tokenEncryptionKeyId": None,
    "verifiedPublisher": _VERIFIED_PUBLISHER,
}

GROUP_MORE: dict[str, Any] = {
    "accessType": None,
    "assignedLabels": [],
    "assignedLicenses": [],
    "hasMembersWithLicenseErrors": False,
    "infoCatalogs": [],
    "isManagementRestricted": None,
    "licenseProcessingState": None,
    "onPremisesDomainName": None,
    "onPremisesExtensionAttributes": {f"extensionAttribute{i}": None for i in range(1, 16)},
    "onPremisesNetBiosName": None,
    "onPremisesSamAccountName": None,
    "organizationId": None,
    "serviceProvisioningErrors": [],
    "uniqueName": None,
    "welcomeMessageEnabled": None,
}
"""Group properties Graph returns only when ``$select`` names them (not in the default set)."""

GROUP_SINGLE_ONLY: dict[str, Any] = {
    "allowExternalSenders": False,
    "autoSubscribeNewMembers": False,
    "hideFromAddressLists": False,
    "hideFromOutlookClients": False,
    "isArchived": False,
    "isFavorite": False,
    "isSubscribedByMail": False,
    "unseenConversationsCount": 0,
    "unseenCount": 0,
    "unseenMessagesCount": 0,
}
"""Group properties only ``GET /groups/{id}?$select=...`` returns (Exchange's, per group);
selected on ``/groups`` they are Graph's 501, as the user's single-only properties are."""

DEVICE_MORE: dict[str, Any] = {
    "deletedDateTime": None,
    "alternativeSecurityIds": [],
    "complianceExpirationDateTime": None,
    "deviceCategory": None,
    "deviceMetadata": None,
    "deviceOwnership": None,
    "deviceVersion": 2,
    "enrollmentProfileName": None,
    "enrollmentType": None,
    "isManagementRestricted": None,
    "isRooted": False,
    "managementType": None,
    "mdmAppId": None,
    "onPremisesSecurityIdentifier": None,
}

_MORE = {
    "applications": APPLICATION_MORE,
    "servicePrincipals": SERVICE_PRINCIPAL_MORE,
    "groups": {**GROUP_MORE, **GROUP_SINGLE_ONLY},
    "devices": DEVICE_MORE,
}


def complete(kind: str, objects: Iterable[dict[str, Any]]) -> None:
    """Give each object of collection ``kind`` the properties it lacks, after its own (in
    place: the store indexes these very dicts). Values are copied, never shared."""
    more = _MORE[kind]
    for obj in objects:
        for name, value in more.items():
            if name not in obj:
                obj[name] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def fresh(kind: str) -> dict[str, Any]:
    """The extra properties of a newly created object of ``kind`` (copies)."""
    return copy.deepcopy(_MORE[kind])
