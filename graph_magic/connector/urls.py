"""Request URLs for Graph: params assembly, advanced-query detection and nextLink safety.

Pure functions, no I/O, so every rule about what goes on the wire can be tested on its own:

- a query string is built once from decoded values and URL-encoded exactly once;
- directory-object queries that need Graph's "advanced query" mode get
  ``ConsistencyLevel: eventual`` and ``$count=true`` (and nothing else does);
- a nextLink or a full URL is only followed when it points at the configured Graph host,
  because the bearer token goes with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from graph_magic.errors import GraphSecurityError

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
# Characters left as they are in a query value: OData's punctuation reads better unescaped and
# every server treats it alike. Everything else (space, &, =, +, #, %, quotes) is escaped.
_SAFE_IN_VALUE = "$'(),:/@*!;"


@dataclass(frozen=True)
class AdvancedPlan:
    """What to add to a request for advanced-query mode, and whether the request is in it."""

    params: dict[str, str]
    headers: dict[str, str]
    advanced: bool


def parse_query(query: str) -> dict[str, str]:
    """Decode a query string into a dict, keeping ``+`` literal (Graph links never mean space)."""
    out: dict[str, str] = {}
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        out[unquote(name)] = unquote(value)
    return out


def encode_query(params: Mapping[str, object]) -> str:
    """Encode decoded params once; booleans become Graph's ``true``/``false``."""
    parts = []
    for name, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        parts.append(f"{quote(str(name), safe='$')}={quote(str(value), safe=_SAFE_IN_VALUE)}")
    return "&".join(parts)


def split_endpoint(base_url: str, endpoint: str) -> tuple[str, dict[str, str]]:
    """Turn a relative endpoint or a full Graph URL into (URL without query, decoded params).

    A relative endpoint hangs off ``base_url``; a full URL keeps its own version segment (a
    ``/beta`` URL goes to beta) but must be on the Graph host.
    """
    path, _, query = endpoint.partition("?")
    if "://" in path:
        ensure_same_origin(path, base_url)
        url = path
    else:
        url = base_url.rstrip("/") + "/" + path.lstrip("/")
    return url, parse_query(query)


def join_url(url: str, params: Mapping[str, object]) -> str:
    """Attach the encoded query string to a URL that has none."""
    query = encode_query(params)
    return f"{url}?{query}" if query else url


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"https": 443, "http": 80}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def same_origin(url: str, base_url: str) -> bool:
    """True when scheme, host and port of ``url`` equal those of ``base_url``."""
    return _origin(url) == _origin(base_url)


def ensure_same_origin(url: str, base_url: str) -> None:
    """Refuse a URL that would carry the token off the configured Graph host."""
    if not same_origin(url, base_url):
        scheme, host, port = _origin(url)
        raise GraphSecurityError(
            f"Refusing to send the Graph token to {scheme}://{host}:{port}: only the configured "
            f"Graph host ({base_url}) receives it. A nextLink or URL pointing elsewhere is not "
            "followed.",
            url=f"{scheme}://{host}:{port}",
        )


def relative_path(url: str, base_url: str) -> str:
    """The path of a Graph URL below its version segment, e.g. ``/users/abc/memberOf``."""
    if "://" not in url:
        return "/" + url.partition("?")[0].lstrip("/")
    segments = [s for s in urlsplit(url).path.split("/") if s]
    # A full URL's leading segments mirror the base's path, the version being the last of them.
    base_depth = len([s for s in urlsplit(base_url).path.split("/") if s])
    return "/" + "/".join(segments[base_depth:])


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
