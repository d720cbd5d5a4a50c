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
    }
)
_LIMITED_WITHOUT = frozenset(
    {
        "AuditLog.Read.All",
        "User.Invite.All",
        "Group.Create",
        "GroupMember.ReadWrite.All",
        "Device.ReadWrite.All",
        "Application.ReadWrite.All",
        "LicenseAssignment.ReadWrite.All",
    }
)
"""What ``sandbox-limited`` lacks: the two its 403s demonstrate, and the write permissions added
since, which it was never meant to gain."""

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
    }
)
"""Every delegated permission a sandbox user may consent to; ``.default`` grants them all."""

OIDC_SCOPES = frozenset({"openid", "profile", "offline_access", "email"})


@dataclass(frozen=True)
class SandboxApp:
    """An app registration of the sandbox tenant: confidential when it has a secret."""

    client_id: str
    display_name: str
    secret: str | None
    roles: frozenset[str]


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
    )
}
"""The fixed app registrations (read-only). Device code accepts any client id besides these."""
