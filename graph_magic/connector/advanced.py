"""Graph's advanced queries: which directory-object queries need them, and what to add.

Directory-object queries that need Graph's "advanced query" mode get
``ConsistencyLevel: eventual`` and ``$count=true``, and nothing else does (sign-in logs, mail,
...). Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["AdvancedPlan", "asks_for_consistency", "is_directory_path", "plan_advanced_query"]

# Directory-object collections (and, through their path, their relationships) where Graph
# applies the advanced-query rules. ``me`` is the signed-in user, so it is one of them too.
DIRECTORY_ROOTS = frozenset(
    name.lower()
    for name in (
        "users",
        "groups",
        "devices",
        "applications",
        "servicePrincipals",
        "orgContacts",
        "administrativeUnits",
        "directoryObjects",
        "directoryRoles",
        "me",
    )
)

# Relationships between directory objects; a path through any other segment (messages,
# calendar, drive...) leaves the directory and its advanced-query rules.
DIRECTORY_RELATIONSHIPS = frozenset(
    name.lower()
    for name in (
        "memberOf",
        "transitiveMemberOf",
        "members",
        "transitiveMembers",
        "owners",
        "ownedObjects",
        "ownedDevices",
        "registeredDevices",
        "registeredOwners",
        "registeredUsers",
        "createdObjects",
        "directReports",
        "transitiveReports",
        "transitiveManagers",
        "manager",
        "appRoleAssignments",
        "appRoleAssignedTo",
        "oauth2PermissionGrants",
    )
)

# Query options whose presence asks for advanced mode on a directory path.
_ADVANCED_OPTIONS = frozenset({"$search", "$filter", "$count", "$orderby"})


@dataclass(frozen=True)
class AdvancedPlan:
    """What to add to a request for advanced-query mode, and whether the request is in it."""

    params: dict[str, str]
    headers: dict[str, str]
    advanced: bool


def is_directory_path(path: str) -> bool:
    """True for directory-object collections and their directory relationships.

    ``/users``, ``/users/{id}/memberOf``, ``/me/transitiveMemberOf/microsoft.graph.group``
    qualify; ``/me/messages`` or ``/users/{id}/calendar`` do not (not directory objects).
    """
    segments = [s for s in path.split("?", 1)[0].split("/") if s]
    if not segments or segments[0].split("(", 1)[0].lower() not in DIRECTORY_ROOTS:
        return False
    # After /me the next segment is a relationship; after /users it is an id first.
    rest = segments[1:] if segments[0].lower() == "me" else segments[2:]
    for segment in rest:
        lowered = segment.lower()
        if lowered == "$count" or lowered.startswith("microsoft.graph."):
            continue
        if lowered not in DIRECTORY_RELATIONSHIPS:
            return False
    return True


def _get(mapping: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in mapping.items():
        if key.lower() == lowered:
            return value
    return None


def plan_advanced_query(
    path: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    mode: str = "auto",
    *,
    method: str = "GET",
) -> AdvancedPlan:
    """Decide whether a request needs advanced-query mode and what to add for it.

    ``path`` is relative to the version root. The caller's own ``ConsistencyLevel`` header or
    ``$count`` force the choice (the other half is completed); ``$expand`` switches automatic
    detection off because Graph refuses it in advanced mode; ``always`` puts every
    directory-object GET in advanced mode; ``never`` adds nothing. Writes never get it.
    """
    header = _get(headers, "ConsistencyLevel")
    count = _get(params, "$count")
    add_params: dict[str, str] = {}
    add_headers: dict[str, str] = {}
    count_segment = path.rstrip("/").endswith("/$count")

    if mode == "never" or method.upper() != "GET":
        return AdvancedPlan({}, {}, header is not None and header.lower() == "eventual")

    if header is not None:
        wanted = header.lower() == "eventual"
        if wanted and count is None and not count_segment:
            add_params["$count"] = "true"
        return AdvancedPlan(add_params, {}, wanted)

    if count is not None and count.lower() == "false":
        return AdvancedPlan({}, {}, False)

    # The cheap test on the query options first: most requests ask for nothing advanced.
    automatic = mode == "auto" and count is None
    if automatic and not _asks_for_advanced(path, params):
        wanted = False
    else:
        wanted = is_directory_path(path)
    if not wanted:
        return AdvancedPlan({}, {}, False)

    add_headers["ConsistencyLevel"] = "eventual"
    if count is None and not count_segment:
        add_params["$count"] = "true"
    return AdvancedPlan(add_params, add_headers, True)


def _asks_for_advanced(path: str, params: Mapping[str, str]) -> bool:
    # Any $filter counts (so ne/not/endsWith filters are covered too): DESIGN's rule.
    names = {name.lower() for name in params}
    if "$expand" in names:
        return False
    return path.rstrip("/").endswith("/$count") or bool(names & _ADVANCED_OPTIONS)


def asks_for_consistency(status: int, code: str | None, message: str | None) -> bool:
    """True for Graph's 400 that says the query needs ConsistencyLevel and ``$count=true``."""
    if status != 400 or code != "Request_UnsupportedQuery" or not message:
        return False
    lowered = message.lower()
    return "consistencylevel" in lowered or "$count=true" in lowered
