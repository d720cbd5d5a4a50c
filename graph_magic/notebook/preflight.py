"""Pre-flight checks: what Graph's metadata says is wrong with a cell's requests, before sending.

An unknown path segment, ``$`` option or property (in ``$select``, ``$expand``, ``$orderby``,
``$filter``) is a short warning with "did you mean"; a request the signed-in token's
``roles``/``scp`` claims cannot be allowed to make is a warning naming the least-privileged
permission it needs.
``--strict`` (or the ``strict`` setting) makes them a usage error and sends nothing. A check
speaks only when the knowledge knows: ``beta``, an unknown cloud, a path the permissions map
does not have, or a token not held yet say nothing, so no request Graph accepts is blocked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from graph_magic.connector.config import SystemConfig
from graph_magic.knowledge import Knowledge, Resolution
from graph_magic.knowledge.schema import suggest
from graph_magic.notebook.cell import RequestSpec
from graph_magic.notebook.display import Note
from graph_magic.notebook.errors import GraphUsageError
from graph_magic.notebook.filter_names import filter_properties
from graph_magic.notebook.options import graph_version
from graph_magic.notebook.session import GraphSession

__all__ = [
    "CheckWarning",
    "check_request",
    "did_you_mean",
    "knowledge_for",
    "preflight",
]

#: The system query options OData and Graph define; any other ``$name`` is a typo.
SYSTEM_OPTIONS = (
    "$select",
    "$expand",
    "$filter",
    "$orderby",
    "$top",
    "$skip",
    "$count",
    "$search",
    "$format",
    "$skiptoken",
    "$deltatoken",
    "$apply",
    "$compute",
    "$levels",
    "$index",
    "$schemaversion",
    "$id",
)


class CheckWarning(Note):
    """A pre-flight warning: shown as a block, not a Python warning (nbval and users see it)."""

    def _repr_html_(self) -> str:
        return f'<pre style="color: #8a5300">{escape(self.text)}</pre>'


def knowledge_for(system: SystemConfig, version: str | None = None) -> Knowledge | None:
    """The Knowledge that describes requests to ``system`` at ``version``; None for beta."""
    cloud = system.cloud
    if cloud is None or graph_version(False, version, system.version) != "v1.0":
        return None
    return Knowledge.for_cloud(cloud)


def preflight(
    session: GraphSession, name: str, specs: list[RequestSpec], beta: bool, strict: bool
) -> None:
    """Check ``specs`` (going to system ``name``, to beta if ``beta``); warn, or raise if strict."""
    system = session.system(name)
    grants = session.describe(name)
    roles, scopes = grants.get("roles", ()), grants.get("scopes", ())
    found: list[str] = []
    for spec in specs:
        knowledge = knowledge_for(system, graph_version(beta, spec.version, system.version))
        if knowledge is None:
            continue
        prefix = f"{spec.id}: " if len(specs) > 1 else ""
        found += [prefix + text for text in check_request(knowledge, spec, roles, scopes)]
    if not found:
        return
    if strict:
        raise GraphUsageError(
            "pre-flight check failed (--strict), nothing was sent: " + "; ".join(found)
        )
    session.show(CheckWarning("\n".join(f"warning: {text}" for text in found)))


def check_request(
    knowledge: Knowledge,
    spec: RequestSpec,
    roles: Iterable[str] = (),
    scopes: Iterable[str] = (),
) -> list[str]:
    """What the metadata finds wrong with ``spec`` (empty: nothing it knows of)."""
    resolution = knowledge.resolve(spec.path)
    if not resolution.known:
        near = resolution.suggestions or _containing(knowledge, resolution)
        return [f"{spec.path}: unknown segment {resolution.unknown!r}{did_you_mean(near)}"]
    found = [
        f"unknown query option {key!r}{did_you_mean(suggest(key, SYSTEM_OPTIONS))}"
        for key in spec.params
        if key.startswith("$") and key.lower() not in SYSTEM_OPTIONS
    ]
    if resolution.type is not None:
        found += _property_checks(knowledge, resolution.type, spec.params)
    found += _permission_check(knowledge, spec, tuple(roles), tuple(scopes))
    return found


def _containing(knowledge: Knowledge, resolution: Resolution) -> tuple[str, ...]:
    """The next segments that contain the unknown one (``owners``: ``registeredOwners``)."""
    word = (resolution.unknown or "").lower()
    if not word:
        return ()
    known = "/" + "/".join(step.text for step in resolution.steps)
    return tuple(c.name for c in knowledge.children(known) if word in c.name.lower())[:3]


def _property_checks(knowledge: Knowledge, type_name: str, params: Mapping[str, str]) -> list[str]:
    """Names in $select/$expand/$orderby/$filter that neither the type nor a derived type has."""
    if not knowledge.schema.is_structured(type_name):
        return []
    types = (type_name, *knowledge.derived_types(type_name))
    structural = {p.name.lower(): p.name for t in types for p in knowledge.properties(t)}
    navigation = {n.name.lower(): n.name for t in types for n in knowledge.navigation(t)}
    wanted = {
        "$select": {**structural, **navigation},
        "$orderby": structural,
        "$expand": navigation,
        "$filter": {**structural, **navigation},
    }
    found: list[str] = []
    lowered = {key.lower(): value for key, value in params.items()}
    for option, known in wanted.items():
        value = lowered.get(option, "")
        for name in filter_properties(value) if option == "$filter" else _names(value):
            if name.lower() not in known:
                near = did_you_mean(suggest(name, known.values()))
                found.append(f"{option}: {type_name} has no property {name!r}{near}")
    return found


def _names(value: str) -> list[str]:
    """The plain member names of an option's items (casts, paths, ``*`` and ``@`` skipped)."""
    names: list[str] = []
    depth, current = 0, []
    for char in value + ",":
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            item = "".join(current).split("(", 1)[0].strip().split(" ", 1)[0]
            if item and not any(mark in item for mark in "/.*@$"):
                names.append(item)
            current = []
        else:
            current.append(char)
    return names


def _permission_check(
    knowledge: Knowledge, spec: RequestSpec, roles: tuple[str, ...], scopes: tuple[str, ...]
) -> list[str]:
    """A warning when the token's claims cannot allow the request (silent when not known)."""
    if not roles and not scopes:
        return []
    if knowledge.allows(spec.method, spec.path, roles=roles, scopes=scopes) is not False:
        return []
    answer = knowledge.permissions(spec.method, spec.path)
    scheme, kind = (answer.application, "application") if roles else (answer.delegated, "delegated")
    if not scheme.all:  # no permission of the token's kind would do (/me with an app): Graph says
        return []
    return [
        f"the token's {kind} permissions do not allow {spec.method} {spec.path}: it needs "
        f"{' or '.join(scheme.least or scheme.all)}"
    ]


def did_you_mean(suggestions: Iterable[str]) -> str:
    """`` (did you mean a, b?)``, or "" when there is nothing to suggest."""
    names = list(suggestions)
    return f" (did you mean {', '.join(names)}?)" if names else ""
