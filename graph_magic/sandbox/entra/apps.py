"""The sandbox tenant's app registrations and the permissions its tokens can carry.

Three fixed apps (full, limited, public) and the delegated and OpenID scopes a user may
consent to: the token service issues from these, the routes check against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

_ALL_APP_ROLES = frozenset(
    {
        "User.ReadWrite.All",
        "User.Read.All",
        "Group.ReadWrite.All",
        "Group.Read.All",
        "Group.Create",
        "GroupMember.Read.All",
        "GroupMember.ReadWrite.All",
        "Directory.ReadWrite.All",
        "Directory.Read.All",
        "Device.Read.All",
        "Device.ReadWrite.All",
        "Application.Read.All",
        "Application.ReadWrite.All",
        "LicenseAssignment.ReadWrite.All",
        "AuditLog.Read.All",
        "User.Invite.All",
        "Reports.Read.All",
        "Organization.Read.All",
        "RoleManagement.Read.Directory",
        "Policy.Read.All",
        "IdentityRiskyUser.Read.All",
        "Domain.Read.All",
    }
)
_LIMITED_WITHOUT = frozenset(
    {
        "AuditLog.Read.All",
        "User.Invite.All",
        "Group.Create",
        "GroupMember.ReadWrite.All",
        "Device.ReadWrite.All",
        "RoleManagement.Read.Directory",
        "Policy.Read.All",
        "IdentityRiskyUser.Read.All",
        "Domain.Read.All",
        "Application.ReadWrite.All",
        "LicenseAssignment.ReadWrite.All",
    }
)
"""What ``sandbox-limited`` lacks: the two its 403s demonstrate, the write permissions added
since, which it was never meant to gain, and the security reads (it still reads roles and
domains through Directory.Read.All, as Graph allows)."""

DELEGATED_SCOPES = frozenset(
    {
        "User.Read",
        "User.ReadBasic.All",
        "User.Read.All",
        "User.ReadWrite.All",
        "Group.Read.All",
        "Group.ReadWrite.All",
        "GroupMember.Read.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
        "Device.Read.All",
        "Application.Read.All",
        "Application.ReadWrite.All",
        "LicenseAssignment.ReadWrite.All",
        "AuditLog.Read.All",
        "User.Invite.All",
        "Reports.Read.All",
        "Organization.Read.All",
        "RoleManagement.Read.Directory",
        "Policy.Read.All",
        "IdentityRiskyUser.Read.All",
        "Domain.Read.All",
    }
)
"""Every delegated permission a sandbox user may consent to; ``.default`` grants them all."""

OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})


@dataclass(frozen=True)
class SandboxApp:
    """An app registration of the sandbox tenant: confidential when it has a secret.

    ``federated`` is the (issuer, subject) of the one federated identity credential the app
    trusts: a workload's token from that issuer, for that subject, signs the app in.
    """

    client_id: str
    display_name: str
    secret: str | None
    roles: frozenset[str]
    federated: tuple[str, str] | None = None


_READER_ROLES = frozenset({"User.Read.All", "Group.Read.All", "Directory.Read.All"})
#: The system-assigned and a user-assigned managed identity of the sandbox's Azure resources:
#: read-only, as an analyst's VM or Synapse workspace would be granted.
MANAGED_IDENTITIES = (
    SandboxApp("7c9e6d5b-0b1a-4f3c-9d2e-5a8b7c6d5e4f", "contoso-analytics-vm", None, _READER_ROLES),
    SandboxApp(
        "2f4e6a8c-1b3d-4e5f-8a9b-0c1d2e3f4a5b", "contoso-notebooks-uami", None, _READER_ROLES
    ),
)
#: The sandbox's stand-in for a workload platform's token issuer (an AKS OIDC issuer, a CI
#: system) and the workload it names.
FEDERATED_ISSUER = "https://oidc.sandbox.contoso.test/workloads"
FEDERATED_SUBJECT = "system:serviceaccount:analytics:graph-magic"
FEDERATED_AUDIENCE = "api://AzureADTokenExchange"


APPS: Mapping[str, SandboxApp] = {
    app.client_id: app
    for app in (
        SandboxApp("sandbox-app", "Graph Magic Sandbox", "sandbox-secret", _ALL_APP_ROLES),
        SandboxApp(
            "sandbox-limited",
            "Graph Magic Sandbox (limited)",
            "sandbox-limited-secret",
            _ALL_APP_ROLES - _LIMITED_WITHOUT,
        ),
        SandboxApp("sandbox-public", "Graph Magic Sandbox (public client)", None, frozenset()),
        *MANAGED_IDENTITIES,
        SandboxApp(
            "sandbox-workload",
            "Graph Magic Sandbox (workload identity)",
            None,
            _READER_ROLES,
            federated=(FEDERATED_ISSUER, FEDERATED_SUBJECT),
        ),
    )
}
"""The fixed app registrations (read-only). Device code accepts any client id besides these."""
