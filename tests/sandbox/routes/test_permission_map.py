"""The sandbox's permission checks agree with Microsoft's permissions map, route by route.

The routes come from the router itself (so a route another change adds is walked too), each as
a concrete request with real ids. For each, an app principal holding exactly one permission is
tried with every permission the map or the sandbox names: what the sandbox lets through must be
one the map says allows the request, and the map's least-privileged ones must get through; so
must every permission the sandbox's own apps hold that the map lists (but for ``STRICTER``).
Routes the map gives no application permission (``/me``) must refuse every app token, and a
delegated principal is walked on them instead. Where the map contradicts Graph's own pages, the
route is listed below with the reason (``APP_NOT_SUPPORTED``, ``MAP_LACKS``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from graph_magic.knowledge import Knowledge, PermissionAnswer, SchemePermissions
from graph_magic.sandbox.app import GraphService
from graph_magic.sandbox.entra.apps import APPS, DELEGATED_SCOPES
from graph_magic.sandbox.entra.tokens import Principal
from graph_magic.sandbox.options import SandboxOptions
from graph_magic.sandbox.routes._common import PERMISSIONS
from tests.sandbox.routes.route_walker import Part, Walker, display, routes

Holder = Callable[[frozenset[str]], Principal]

UNMAPPED = {
    ("POST", "/groups/{id}/members/$ref"): "the map lists no POST on a group's members",
    ("GET", "/devices/{id}/owners"): "not Graph: the sandbox answers Graph's 400 for it",
    ("GET", "/auditLogs/provisioning/{id}"): "the map lists only the provisioning list",
}
"""Routes the permissions map does not know, and why; a route joins only with a reason."""

STRICTER = {
    ("POST", "/invitations"): {"Directory.ReadWrite.All", "User.ReadWrite.All"},
    ("GET", "/auditLogs/directoryAudits"): {"Directory.Read.All"},
    ("GET", "/auditLogs/directoryAudits/{id}"): {"Directory.Read.All"},
    ("GET", "/auditLogs/provisioning"): {"Directory.Read.All"},
}
"""Where the sandbox refuses a permission its apps hold that the map says allows the request:
``sandbox-limited`` holds these, and its 403s on invitations and audit logs are the ones the
README and the guides show. On the provisioning logs Graph's own page asks Directory.Read.All
beside AuditLog.Read.All, never instead of it, so ``sandbox-limited`` gets the same 403 there."""

_ME_ACTION = (
    "Graph's page says 'Application: Not supported' for the signed-in user; the map copies "
    "the application permissions of the {id} paths"
)

APP_NOT_SUPPORTED = {
    ("POST", f"/me/{action}"): _ME_ACTION
    for action in ("getMemberGroups", "getMemberObjects", "checkMemberGroups", "checkMemberObjects")
}
"""Routes the map gives application permissions that Graph refuses app tokens (``/me`` needs a
signed-in user): walked with a delegated principal instead, and why."""

MAP_LACKS = {
    ("GET", "/organization/{id}"): (
        {"Organization.Read.All", "Organization.ReadWrite.All"}
        | {"Directory.Read.All", "Directory.ReadWrite.All"},
        "Graph's 'Get organization' page lists these; the map has only Intune's and User.Read.All",
    ),
}
"""Permissions Graph's own pages say allow a route that the map leaves out, and why: the
sandbox accepts them too."""

_SANDBOX_NAMES = frozenset().union(*PERMISSIONS.values(), *(app.roles for app in APPS.values()))
_HELD = frozenset().union(*(app.roles for app in APPS.values()))


@dataclass
class Findings:
    """What the walk saw: disagreements, routes the map lacks, and how many it checked."""

    disagreements: list[str] = field(default_factory=list)
    unmapped: set[tuple[str, str]] = field(default_factory=set)
    delegated_instead: set[tuple[str, str]] = field(default_factory=set)
    checked: int = 0


def _accepted(
    walker: Walker, method: str, parts: list[Part], names: set[str], holding: Holder
) -> set[str]:
    """The names that, held alone, get past the sandbox's check (anything but its 403)."""
    passed = set()
    for name in sorted(names):
        path = walker.concrete(parts, _SANDBOX_NAMES)  # afresh: a write may have deleted it
        if walker.send(method, path, holding(frozenset({name}))).status != 403:
            passed.add(name)
    return passed


def _compare(
    where: str, route: tuple[str, str], scheme: SchemePermissions, accepted: set[str]
) -> list[str]:
    found = []
    lacks = MAP_LACKS.get(route, (set(), ""))[0]
    if lacks & set(scheme.all):
        found.append(f"{where}: the map now lists {sorted(lacks & set(scheme.all))}")
    extra = sorted(accepted - set(scheme.all) - lacks)
    if extra:
        found.append(f"{where}: the sandbox accepts {extra}, which the map does not list")
    missing = sorted(set(scheme.least) - accepted)
    if missing:
        found.append(f"{where}: the sandbox refuses the least-privileged {missing}")
    return found


def _application(
    walker: Walker, method: str, parts: list[Part], answer: PermissionAnswer
) -> list[str]:
    """An app token: nothing, or anything the map does not list, is refused; the least pass."""
    where = f"{method} {display(parts)}"
    found = []
    nothing = walker.run(method, walker.concrete(parts, _SANDBOX_NAMES), frozenset())
    if nothing.status != 403:
        found.append(f"{where}: a token with no permission gets {nothing.status}")
    names = set(answer.application.all) | _SANDBOX_NAMES
    accepted = _accepted(walker, method, parts, names, walker.principal)
    route = (method, display(parts))
    found += _compare(f"{where} (application)", route, answer.application, accepted)
    listed = set(answer.application.all) | MAP_LACKS.get(route, (set(), ""))[0]
    refused = (_HELD & listed) - accepted
    if refused != STRICTER.get(route, set()):
        found.append(
            f"{where}: the sandbox's apps hold {sorted(refused)}, which the map says allow it, "
            "and get 403"
        )
    return found


def _delegated_only(
    walker: Walker, method: str, parts: list[Part], answer: PermissionAnswer, user_id: str
) -> list[str]:
    """No app token gets through (``/me``); a signed-in user is walked instead."""
    where = f"{method} {display(parts)}"
    found = []
    every = walker.run(method, walker.concrete(parts, _SANDBOX_NAMES), _SANDBOX_NAMES)
    if every.status < 300:
        found.append(f"{where}: an app token gets {every.status}, but Graph allows none")
    names = set(answer.delegated.all) | DELEGATED_SCOPES
    accepted = _accepted(walker, method, parts, names, lambda s: walker.delegated(s, user_id))
    route = (method, display(parts))
    return found + _compare(f"{where} (delegated)", route, answer.delegated, accepted)


@pytest.fixture(scope="module")
def findings() -> Findings:
    """Walk every route of a fresh sandbox once."""
    service = GraphService(SandboxOptions())
    walker = Walker(service)
    knowledge = Knowledge.for_cloud("global")
    seen = Findings()
    for method, parts, handler in routes(service):
        path = walker.concrete(parts, _SANDBOX_NAMES)
        assert service.router.resolve(method, path)[0] == handler, f"{method} {path}: not its own"
        answer = knowledge.permissions(method, path)
        if not answer.known:
            seen.unmapped.add((method, display(parts)))
            continue
        seen.checked += 1
        if (method, display(parts)) in APP_NOT_SUPPORTED:
            seen.delegated_instead.add((method, display(parts)))
        if answer.application.all and (method, display(parts)) not in APP_NOT_SUPPORTED:
            seen.disagreements += _application(walker, method, parts, answer)
        else:
            user_id = service.tenant.users[0]["id"]
            seen.disagreements += _delegated_only(walker, method, parts, answer, user_id)
    return seen


def test_every_route_accepts_only_what_the_map_allows_and_its_least_privileged(
    findings: Findings,
) -> None:
    assert findings.checked >= 40  # the walk reached the routes (alternatives apart)
    assert findings.disagreements == []


def test_the_routes_the_map_does_not_know_are_the_listed_ones(findings: Findings) -> None:
    assert findings.unmapped == set(UNMAPPED)


def test_the_routes_walked_as_delegated_despite_the_map_are_the_listed_ones(
    findings: Findings,
) -> None:
    assert findings.delegated_instead == set(APP_NOT_SUPPORTED)
