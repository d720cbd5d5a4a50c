"""Hints: a one-line fix for Graph's well-known gotchas.

The errors in ``graph_magic.errors`` carry these texts; the rules that write them are about
Graph (which permission a path needs, which header $search wants), so they live here, in the
connector, next to the code that raises the errors. Why retrying stopped is explained by
``RetryStop.hint`` itself. A 403's hint adds what Microsoft's permissions map says allows the
request (``graph_magic.knowledge``) and the permission names the token's claims hold.
"""

from __future__ import annotations

from collections.abc import Iterable

from graph_magic.knowledge import Knowledge

__all__ = ["hint_for"]

# Permission family to grant for a 403 Authorization_RequestDenied, by the path's first segment.
_PERMISSION_BY_ROOT = {
    "users": "User.Read.All",
    "me": "User.Read",
    "groups": "Group.Read.All",
    "devices": "Device.Read.All",
    "applications": "Application.Read.All",
    "serviceprincipals": "Application.Read.All",
    "orgcontacts": "OrgContact.Read.All",
    "administrativeunits": "AdministrativeUnit.Read.All",
    "directoryroles": "RoleManagement.Read.Directory",
    "directoryobjects": "Directory.Read.All",
    "subscribedskus": "Organization.Read.All",
    "organization": "Organization.Read.All",
    "auditlogs": "AuditLog.Read.All",
    "reports": "Reports.Read.All",
    "invitations": "User.Invite.All",
}
_WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


def hint_for(
    status: int,
    code: str | None,
    message: str | None,
    method: str,
    path: str,
    held: Iterable[str] = (),
) -> str | None:
    """A one-line fix for Graph's well-known gotchas, or None when none applies.

    ``path`` is the request path relative to the version root (``/users/abc``); query strings
    and a leading version segment are tolerated. ``held``: the permission names of the token
    (its ``roles`` or ``scp`` claims), named by a 403's hint; never the token itself.
    """
    hint = _gotcha(status, code, message, method, path)
    if hint is not None and status == 403:
        hint += _permissions_sentence(method, path, tuple(held))
    return hint


def _permissions_sentence(method: str, path: str, held: tuple[str, ...]) -> str:
    """ " Least-privileged ...; the token holds ...": the permissions map is the same in every
    cloud, and the hint only informs, so v1.0's map serves beta's paths too."""
    answer = Knowledge.for_cloud().permissions(method, path.split("?", 1)[0])
    app, delegated = answer.application.least, answer.delegated.least
    if app == delegated:
        schemes = [f"{', '.join(app)} (application and delegated)"] if app else []
    else:
        schemes = [
            f"{', '.join(names)} ({kind})"
            for kind, names in (("application", app), ("delegated", delegated))
            if names
        ]
    others = len(set(answer.application.others) | set(answer.delegated.others))
    text = f" Least-privileged permissions that allow it: {'; '.join(schemes)}" if schemes else ""
    if text and others:
        text += f" (or {others} other{'s' if others > 1 else ''})"
    text += "." if text else ""
    if held:
        text += f" The token holds: {', '.join(sorted(held, key=str.lower))}."
    return text


def _gotcha(
    status: int, code: str | None, message: str | None, method: str, path: str
) -> str | None:
    """The gotcha's fix, by status, code, message and path."""
    path_only = path.split("?", 1)[0]
    segments = [s for s in path_only.split("/") if s]
    if segments and segments[0] in ("v1.0", "beta"):
        segments = segments[1:]
    lowered = [s.lower() for s in segments]
    root = lowered[0] if lowered else ""
    text = (message or "").lower()
    method = method.upper()

    if status == 400 and "$search" in text and "consistencylevel" in text:
        return (
            "$search on directory objects needs the header 'ConsistencyLevel: eventual' "
            "(and $count=true for most advanced queries); add it to the request."
        )
    if status == 501 and "sandbox does not model" in text:
        return (
            "The offline sandbox answers only part of Graph, and not this real request: send "
            "it to a real tenant (--system NAME; %graph systems lists them)."
        )
    if root == "devices" and len(lowered) >= 3 and lowered[2] == "owners":
        return "Devices have no 'owners' relationship: use /devices/{id}/registeredOwners."
    if "assignlicense" in lowered and (status == 400 and "usage location" in text):
        return (
            "The user has no usageLocation: PATCH /users/{id} with "
            '{"usageLocation": "US"} (an ISO country code) first, then assign the license.'
        )
    if root == "auditlogs" and status == 403:
        return "Reading audit and sign-in logs needs the AuditLog.Read.All permission."
    if root == "invitations" and status in (401, 403):
        return "Inviting guest users needs the User.Invite.All permission."
    if status == 403 and code == "Authorization_RequestDenied":
        family = _PERMISSION_BY_ROOT.get(root)
        if family is None:
            return "The app lacks the permission for this call; check the API's permission list."
        if method in _WRITE_METHODS and family.endswith(".Read.All"):
            family = family.replace(".Read.All", ".ReadWrite.All")
        return f"The app lacks the permission for this call: grant {family} (or higher)."
    return None
