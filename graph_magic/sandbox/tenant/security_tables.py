"""The fixture tables the security generator draws from: Entra's built-in roles, who holds them,
the domains, the sign-in risk vocabulary and the authentication methods users register.

Plain data, kept apart from :mod:`~graph_magic.sandbox.tenant.generate_security`. The role
template ids are Microsoft's own (Entra's "built-in roles" reference), so a notebook written
against the sandbox filters by the same ids as against a real tenant.
"""

from __future__ import annotations

GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"

ROLE_TEMPLATES = (
    (GLOBAL_ADMINISTRATOR, "Global Administrator",
     "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft "
     "Entra identities.", ("microsoft.directory/*/allProperties/allTasks",)),
    ("e8611ab8-c189-46e8-94e1-60213ab1f814", "Privileged Role Administrator",
     "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity "
     "Management.", ("microsoft.directory/roleAssignments/allProperties/allTasks",
                     "microsoft.directory/roleDefinitions/allProperties/allTasks")),
    ("194ae4cb-b126-40b2-bd5b-6091b380977d", "Security Administrator",
     "Can read security information and reports, and manage configuration in Microsoft Entra "
     "ID and Office 365.", ("microsoft.directory/conditionalAccessPolicies/allProperties/"
                            "allTasks", "microsoft.directory/identityProtection/allProperties/"
                            "allTasks")),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", "User Administrator",
     "Can manage all aspects of users and groups, including resetting passwords for limited "
     "admins.", ("microsoft.directory/users/allProperties/allTasks",
                 "microsoft.directory/groups/allProperties/allTasks")),
    ("29232cdf-9323-42fd-ade2-1d097af3e4de", "Exchange Administrator",
     "Can manage all aspects of the Exchange product.",
     ("microsoft.office365.exchange/allEntities/basic/allTasks",)),
    ("f28a1f50-f6e7-4571-818b-6a12f2af6b6c", "SharePoint Administrator",
     "Can manage all aspects of the SharePoint service.",
     ("microsoft.office365.sharePoint/allEntities/allTasks",)),
    ("729827e3-9c14-49f7-bb1b-9608f156bbb8", "Helpdesk Administrator",
     "Can reset passwords for non-administrators and Helpdesk Administrators.",
     ("microsoft.directory/users/password/update",)),
    ("9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", "Application Administrator",
     "Can create and manage all aspects of app registrations and enterprise apps.",
     ("microsoft.directory/applications/allProperties/allTasks",
      "microsoft.directory/servicePrincipals/allProperties/allTasks")),
    ("158c047a-c907-4556-b7ef-446551a6b5f7", "Cloud Application Administrator",
     "Can create and manage all aspects of app registrations and enterprise apps except App "
     "Proxy.", ("microsoft.directory/applications/allProperties/allTasks",)),
    ("b1be1c3e-b65d-4f19-8427-f6fa0d97feb9", "Conditional Access Administrator",
     "Can manage Conditional Access capabilities.",
     ("microsoft.directory/conditionalAccessPolicies/allProperties/allTasks",)),
    ("f2ef992c-3afb-46b9-b7cf-a126ee74c451", "Global Reader",
     "Can read everything that a Global Administrator can, but not update anything.",
     ("microsoft.directory/*/allProperties/read",)),
    ("5d6b6bb7-de71-4623-b4af-96380a352509", "Security Reader",
     "Can read security information and reports in Microsoft Entra ID and Office 365.",
     ("microsoft.directory/identityProtection/allProperties/read",)),
    ("4a5d8f65-41da-4de4-8968-e035b65339cf", "Reports Reader",
     "Can read sign-in and audit reports.", ("microsoft.directory/auditLogs/allProperties/read",)),
    ("4d6ac14f-3453-41d0-bef9-a3e0c569773a", "License Administrator",
     "Can manage product licenses on users and groups.",
     ("microsoft.directory/users/assignLicense",)),
    ("88d8e3e3-8f55-4a1e-953a-9b9898b8876b", "Directory Readers",
     "Can read basic directory information. Commonly used to grant directory read access to "
     "applications and guests.", ("microsoft.directory/users/standard/read",)),
)  # fmt: skip
"""(template id, display name, description, allowed resource actions) of the built-in roles."""

ROLE_HOLDERS = (
    (GLOBAL_ADMINISTRATOR, 4),
    ("e8611ab8-c189-46e8-94e1-60213ab1f814", 1),
    ("194ae4cb-b126-40b2-bd5b-6091b380977d", 2),
    ("fe930be7-5e62-47db-91af-98c3a49a38b1", 3),
    ("29232cdf-9323-42fd-ade2-1d097af3e4de", 2),
    ("f28a1f50-f6e7-4571-818b-6a12f2af6b6c", 1),
    ("729827e3-9c14-49f7-bb1b-9608f156bbb8", 5),
    ("9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3", 2),
    ("158c047a-c907-4556-b7ef-446551a6b5f7", 1),
    ("b1be1c3e-b65d-4f19-8427-f6fa0d97feb9", 1),
    ("f2ef992c-3afb-46b9-b7cf-a126ee74c451", 2),
    ("5d6b6bb7-de71-4623-b4af-96380a352509", 2),
    ("4a5d8f65-41da-4de4-8968-e035b65339cf", 2),
    ("4d6ac14f-3453-41d0-bef9-a3e0c569773a", 1),
)
"""How many enabled members hold each role (a few more holders are added by rule: a disabled
account still holding Global Administrator, a guest Global Reader, apps with roles)."""

APP_ROLE_HOLDERS = (
    ("Graph Reporter", "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"),
    ("Onboarding Bot", "fe930be7-5e62-47db-91af-98c3a49a38b1"),
    ("Partner Portal", "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"),
)
"""Service principals (by app name) that hold a directory role."""

MFA_METHODS = (
    ("microsoftAuthenticatorPush", "push"),
    ("softwareOneTimePasscode", "oath"),
    ("mobilePhone", "sms"),
    ("windowsHelloForBusiness", None),
    ("fido2", "fido2"),
    ("microsoftAuthenticatorPasswordless", "push"),
)
"""Methods that count for MFA, with the system-preferred method each one makes (if any)."""

PASSWORDLESS = frozenset({"windowsHelloForBusiness", "fido2", "microsoftAuthenticatorPasswordless"})

SECONDARY_PREFERENCE = {
    "microsoftAuthenticatorPush": "push",
    "softwareOneTimePasscode": "oath",
    "mobilePhone": "sms",
}
"""userPreferredMethodForSecondaryAuthentication per method (Graph's enum values)."""

RISK_EVENTS = (
    "unfamiliarFeatures", "anonymizedIPAddress", "unlikelyTravel", "maliciousIPAddress",
    "leakedCredentials", "passwordSpray",
)  # fmt: skip
"""Sign-in risk detections (Graph's riskEventType names) a risky sign-in carries one of."""

RISK_OUTCOMES = (
    ("atRisk", "none"),
    ("remediated", "userPerformedSecuredPasswordReset"),
    ("remediated", "userPassedMFADrivenByRiskBasedPolicy"),
    ("dismissed", "adminDismissedAllRiskForUser"),
    ("confirmedCompromised", "adminConfirmedUserCompromised"),
)
"""(riskState, riskDetail) pairs as Identity Protection records them."""

DOMAINS = (
    ("contoso.com", True, False, True, ["Email", "OfficeCommunicationsOnline", "Intune"]),
    ("contoso.onmicrosoft.com", False, True, True, ["Email", "OfficeCommunicationsOnline"]),
    ("contoso.mail.onmicrosoft.com", False, False, True, ["Email"]),
    ("contosolabs.com", False, False, False, []),
)
"""(id, isDefault, isInitial, isVerified, supportedServices) of the tenant's domains."""

SECRET_NAMES = ("CI deploy", "prod", "staging", "Key Vault sync", "local dev", "rotation 2024")
"""Display names of client secrets."""
