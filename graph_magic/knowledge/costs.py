"""What a request costs Graph's throttling: its service family and its resource units.

Graph charges a request against the limits of the service behind its path (:mod:`.limits`):
``/auditLogs/signIns`` against the identity and access reports, ``/users`` against identity
and access in resource units, ``/invitations`` against the invitation manager. A ``$batch``
is not a request of its own for throttling: Graph evaluates each sub-request against its own
service's limits, so :func:`request_costs` charges the sub-requests one by one and the
envelope nothing (an envelope whose requests cannot be read is charged as one ``global``
request, the way Graph would answer it 400 without running anything).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .limits import Counts

__all__ = ["RequestCost", "classify", "path_segments", "request_costs", "resource_units"]

_VERSIONS = frozenset({"v1.0", "beta"})
_READS = frozenset({"GET", "HEAD"})

# Graph's base costs in resource units, "*" matching one id; a ``me/...`` rule applies to
# ``users/{id}/...`` too (the documentation says so). Anything not listed costs 1.
_BASE_COSTS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("GET", ("applications",), 2),
    ("GET", ("applications", "*"), 2),
    ("GET", ("applications", "*", "extensionproperties"), 2),
    ("GET", ("contracts",), 3),
    ("POST", ("directoryobjects", "getbyids"), 5),
    ("GET", ("domains", "*", "domainnamereferences"), 4),
    ("POST", ("getobjectsbyid",), 5),
    ("GET", ("groups", "*", "members"), 3),
    ("GET", ("groups", "*", "transitivemembers"), 5),
    ("POST", ("ismemberof",), 4),
    ("POST", ("me", "checkmembergroups"), 4),
    ("POST", ("me", "checkmemberobjects"), 4),
    ("POST", ("me", "getmembergroups"), 2),
    ("POST", ("me", "getmemberobjects"), 2),
    ("GET", ("me", "licensedetails"), 2),
    ("GET", ("me", "memberof"), 2),
    ("GET", ("me", "ownedobjects"), 2),
    ("GET", ("me", "transitivememberof"), 2),
    ("GET", ("oauth2permissiongrants",), 2),
    ("GET", ("oauth2permissiongrants", "*"), 2),
    ("GET", ("serviceprincipals", "*", "approleassignments"), 2),
    ("GET", ("subscribedskus",), 3),
    ("GET", ("users",), 2),
    ("GET", ("users", "*"), 2),
)

# The directory: identity and access, counted in resource units.
_IDENTITY_ROOTS = frozenset(
    {
        "administrativeunits",
        "applications",
        "contracts",
        "devices",
        "directory",
        "directoryobjects",
        "directoryroles",
        "directoryroletemplates",
        "domains",
        "getobjectsbyid",
        "grouplifecyclepolicies",
        "groups",
        "ismemberof",
        "me",
        "oauth2permissiongrants",
        "organization",
        "policies",
        "rolemanagement",
        "serviceprincipals",
        "subscribedskus",
        "users",
    }
)
# What hangs off a user or a group but is another service (Outlook, files, Teams...).
_NOT_DIRECTORY = frozenset(
    {
        "activities",
        "calendar",
        "calendargroups",
        "calendars",
        "calendarview",
        "chats",
        "contactfolders",
        "contacts",
        "conversations",
        "drive",
        "drives",
        "events",
        "followedsites",
        "inferenceclassification",
        "insights",
        "joinedteams",
        "mailboxsettings",
        "mailfolders",
        "messages",
        "onenote",
        "onlinemeetings",
        "outlook",
        "people",
        "photo",
        "photos",
        "planner",
        "presence",
        "sendmail",
        "sites",
        "team",
        "teamwork",
        "threads",
        "todo",
    }
)
# What Outlook serves below a user, ``me`` or a group: a mailbox's resources, charged to it.
_OUTLOOK = frozenset(
    {
        "calendar",
        "calendargroups",
        "calendars",
        "calendarview",
        "contactfolders",
        "contacts",
        "conversations",
        "events",
        "inferenceclassification",
        "mailboxsettings",
        "mailfolders",
        "messages",
        "outlook",
        "people",
        "photo",
        "photos",
        "sendmail",
        "threads",
        "todo",
    }
)
_TEAMS_ROOTS = frozenset({"teams", "chats", "teamwork", "appcatalogs"})
_TEAMS_OWNED = frozenset({"chats", "joinedteams", "team", "teamwork"})
# The identity and access reports that live under /reports (the rest there are usage reports).
_ENTRA_REPORTS = frozenset(
    {
        "appcredentialsigninactivities",
        "applicationsignindetailedsummary",
        "authenticationmethods",
        "credentialuserregistrationdetails",
        "getazureadapplicationsigninsummary",
        "getazureadfeatureusage",
        "getazureadlicenseusage",
        "getazureaduserfeatureusage",
        "getcredentialusagesummary",
        "getcredentialuserregistrationcount",
        "getrelyingpartydetailedsummary",
        "serviceprincipalsigninactivities",
        "usercredentialusagedetails",
    }
)


@dataclass(frozen=True)
class RequestCost:
    """One request as Graph's throttling sees it: its family, resource units, whether it
    writes (anything but a read), and the mailbox an Outlook request works on."""

    family: str
    units: int
    write: bool
    mailbox: str | None = None
    """For Outlook, whose mailbox: ``me``, or a user's or group's id or address."""

    def charge(self, counts: Counts) -> float:
        """What this request takes from a budget counting ``counts``."""
        if counts == "resource-units":
            return float(self.units)
        if counts == "writes":
            return 1.0 if self.write else 0.0
        return 1.0


def path_segments(path: str) -> list[str]:
    """The path's segments below the version, lower-cased, key predicates and calls cut off
    (``users('x')`` -> ``users``, ``getX(period='D7')`` -> ``getx``)."""
    segments = [s.lower() for s in path.split("?", 1)[0].strip("/").split("/") if s]
    if segments and segments[0] in _VERSIONS:
        segments = segments[1:]
    return [s.split("(", 1)[0] for s in segments]


def _family(segments: list[str]) -> str:
    root = segments[0] if segments else ""
    rest = segments[1:]
    owned = rest[1:2] if root in {"users", "groups"} else rest[:1] if root == "me" else []
    if owned and owned[0] in _OUTLOOK:
        return "outlook"
    if root in _TEAMS_ROOTS or (owned and owned[0] in _TEAMS_OWNED):
        return "teams"
    if root in {"devicemanagement", "deviceappmanagement"}:
        return "intune"
    if root == "auditlogs":
        return "reports"
    if root == "reports":
        return "reports" if rest and rest[0] in _ENTRA_REPORTS else "usage-reports"
    if root == "invitations":
        return "invitations"
    if root in {"identityprotection", "riskyusers", "riskdetections"} or segments[:2] == [
        "identity",
        "conditionalaccess",
    ]:
        return "identity-protection"
    if segments[:2] == ["admin", "serviceannouncement"]:
        return "service-communications"
    if root in _IDENTITY_ROOTS and not _NOT_DIRECTORY.intersection(rest[:2]):
        return "identity"
    return "global"


def _base_cost(method: str, segments: list[str]) -> int:
    as_me = ["me", *segments[2:]] if segments[:1] == ["users"] and len(segments) > 2 else None
    for rule_method, pattern, cost in _BASE_COSTS:
        if rule_method != method:
            continue
        for candidate in (segments, as_me):
            if candidate is not None and _matches(pattern, candidate):
                return cost
    return 1


def _matches(pattern: tuple[str, ...], segments: list[str]) -> bool:
    return len(pattern) == len(segments) and all(
        p in {"*", s} for p, s in zip(pattern, segments, strict=True)
    )


def resource_units(method: str, path: str, query: str = "") -> int:
    """Graph's documented identity cost of a request, in resource units (minimum 1).

    The base cost (GET users 2, groups/{id}/members 3, transitiveMembers 5, subscribedSkus 3,
    POST directoryObjects/getByIds 5, ...; anything else 1), then ``$select`` -1,
    ``$expand`` +1, ``$top`` under 20 -1.
    """
    cost = _base_cost(method.upper(), path_segments(path))
    params = {k.lower(): v for k, v in parse_qsl(query, keep_blank_values=True)}
    if "$select" in params:
        cost -= 1
    if "$expand" in params:
        cost += 1
    top = params.get("$top", "")
    if top.isdigit() and int(top) < 20:
        cost -= 1
    return max(1, cost)


def classify(method: str, path: str, query: str = "") -> RequestCost:
    """The service family of ``method path?query`` and what it costs there."""
    method = method.upper()
    segments = path_segments(path)
    family = _family(segments)
    return RequestCost(
        family=family,
        units=resource_units(method, path, query),
        write=method not in _READS,
        mailbox=_mailbox(segments) if family == "outlook" else None,
    )


def _mailbox(segments: list[str]) -> str:
    """Whose mailbox an Outlook path works on: ``me``, or the user's or group's key."""
    return "me" if segments[0] == "me" else f"{segments[0]}/{segments[1]}"


def request_costs(
    method: str, path: str, query: str = "", body: bytes | None = None
) -> tuple[RequestCost, ...]:
    """What a request costs, one entry per request Graph evaluates: a ``$batch`` (POST to
    ``/$batch`` with its JSON ``body``) gives one entry per sub-request, anything else one."""
    if method.upper() == "POST" and path_segments(path) == ["$batch"]:
        items = _batch_items(body)
        if items:
            return tuple(_item_cost(item) for item in items)
        return (RequestCost("global", 1, True),)
    return (classify(method, path, query),)


def _batch_items(body: bytes | None) -> list[dict[str, Any]]:
    try:
        requests = json.loads(body or b"").get("requests")
    except (ValueError, AttributeError):
        return []
    if not isinstance(requests, list):
        return []
    return [r for r in requests if isinstance(r, dict) and isinstance(r.get("url"), str)]


def _item_cost(item: dict[str, Any]) -> RequestCost:
    url = item["url"]
    parts = urlsplit(url) if "://" in url else None
    path, _, query = (parts.path, "", parts.query) if parts else url.partition("?")
    return classify(str(item.get("method") or "GET"), path, query)
