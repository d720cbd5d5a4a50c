"""Graph's collection pipeline: the engine that filters, sorts, pages and projects.

:meth:`Engine.run_collection` applies Graph's checks in Graph's order (through the option
parsers of :mod:`~graph_magic.sandbox.odata.options`) and raises its exact 400s, then filters,
sorts, pages with signed ``$skiptoken`` links, and the responses write each page as JSON from
per-object fragments cached by :class:`Projector`, which is what keeps a 999-item page cheap.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import graph_magic.sandbox.graph_errors as ge
from graph_magic.sandbox.graph_errors import bad_request, unsupported_query
from graph_magic.sandbox.http import ODATA_JSON, GraphRequest, GraphResponse, compact_json
from graph_magic.sandbox.odata.options import (
    Expansion,
    PageTokens,
    check_filter_rules,
    context_url,
    next_link,
    page_scope,
    parse_expand,
    parse_orderby,
    parse_select,
    parse_top,
)
from graph_magic.sandbox.odata.search import compile_search
from graph_magic.sandbox.odata.selections import Selections, select_items
from graph_magic.sandbox.tenant.properties import GROUP_MORE, GROUP_SINGLE_ONLY
from graph_magic.sandbox.tenant.schema import USER_SPEC, EntitySpec, spec_from
from graph_magic.sandbox.tenant.store import Tenant

if TYPE_CHECKING:
    from graph_magic.sandbox.odata.filter import FilterInfo, Predicate

EXPAND_CAP = 20
"""Items an expanded collection holds (Graph's documented cap; no nextLink inside)."""


def _first(items: list[dict[str, Any]]) -> dict[str, Any]:
    """A collection's sample object for its spec's properties (an empty one has only ``id``)."""
    return items[0] if items else {"id": None}


_GROUP_RULES: dict[str, Any] = {
    "orderby_default": frozenset({"displayName"}),
    "filter_unsupported": frozenset({"createdDateTime"}),
    "endswith_allowed": frozenset({"mail", "proxyAddresses"}),
    "expand": frozenset({"members", "owners"}),
}

SPEC_MAKERS: dict[str, Callable[[Tenant], EntitySpec]] = {
    "users": lambda t: USER_SPEC,
    "groups": lambda t: _group_spec(
        spec_from("groups", "group", _first(t.groups), **_GROUP_RULES)
    ),
    "devices": lambda t: spec_from(
        "devices", "device", _first(t.devices), expand=frozenset({"registeredOwners"})
    ),
    "applications": lambda t: spec_from("applications", "application", _first(t.applications)),
    "servicePrincipals": lambda t: spec_from(
        "servicePrincipals", "servicePrincipal", _first(t.service_principals)
    ),
    "directoryRoles": lambda t: spec_from(
        "directoryRoles", "directoryRole", _first(t.directory_roles)
    ),
    "organization": lambda t: spec_from(
        "organization", "organization", _first(t.organization), filterable=False
    ),
    "subscribedSkus": lambda t: spec_from(
        "subscribedSkus", "subscribedSku", _first(t.subscribed_skus),
        directory=False, filterable=False,
    ),
    "auditLogs/signIns": lambda t: spec_from(
        "auditLogs/signIns", "signIn", _first(t.sign_ins),
        directory=False, default_top=1000, max_top=1000,
    ),
    "auditLogs/directoryAudits": lambda t: spec_from(
        "auditLogs/directoryAudits", "directoryAudit", _first(t.directory_audits),
        directory=False, default_top=100, max_top=999,
    ),
    "auditLogs/provisioning": lambda t: spec_from(
        "auditLogs/provisioning", "provisioningObjectSummary", _first(t.provisioning),
        directory=False, default_top=1000, max_top=1000,
    ),
}  # fmt: skip
"""How each collection's spec is made (non-user shapes are read from the first object made).
A new collection registers its spec here; routes read it as ``engine.specs[NAME]``."""


class Specs(dict[str, EntitySpec]):
    """Every collection's spec, each made on first use: reading a sample object makes its
    collection, which a request for another collection should not pay for."""

    def __init__(self, tenant: Tenant) -> None:
        super().__init__()
        self._tenant = tenant

    def __missing__(self, name: str) -> EntitySpec:
        spec = self[name] = SPEC_MAKERS[name](self._tenant)
        return spec

    def settle(self) -> None:
        """Make every spec not made yet (before a write could empty a collection)."""
        for name, make in SPEC_MAKERS.items():
            if name not in self:
                self[name] = make(self._tenant)


def _compile_filter(text: str, resolve: Callable[[str], str]) -> tuple[Predicate, FilterInfo]:
    """The compiled ``$filter``, its parser imported on the first request that has one: loading
    odata-query's grammar (sly builds its LALR tables) is the largest part of the sandbox's
    import, and most requests, the first cell's among them, carry no ``$filter``."""
    from graph_magic.sandbox.odata import filter as odata_filter

    return odata_filter.compile_filter(text, resolve)


def _group_spec(spec: EntitySpec) -> EntitySpec:
    """Groups as Graph serves them: the $select-only properties out of the default set, and
    the single-group-only ones (Exchange's) answerable only on ``/groups/{id}``."""
    single = frozenset(GROUP_SINGLE_ONLY)
    properties = tuple(p for p in spec.properties if p not in single)
    default = tuple(p for p in properties if p not in GROUP_MORE)
    return replace(spec, properties=properties, default=default, single_only=single)


class Projector:
    """Serialised projections of objects, cached per (entity, $select, typed) and object id.

    Writes call :meth:`forget` so a changed object is re-serialised on its next read.
    """

    def __init__(self, max_selects: int = 32) -> None:
        self._caches: dict[tuple[str, tuple[str, ...], bool], dict[str, str]] = {}
        self._max = max_selects

    def fragments(
        self, spec: EntitySpec, objs: Sequence[dict[str, Any]], select: tuple[str, ...], typed: bool
    ) -> list[str]:
        """The objects' JSON texts for this projection, serialising only the uncached ones."""
        key = (spec.name, select, typed)
        cache = self._caches.get(key)
        if cache is None:
            if len(self._caches) >= self._max:
                self._caches.pop(next(iter(self._caches)))
            cache = self._caches[key] = {}
        out = list(map(cache.get, map(_ID, objs)))  # C-level loops: this is the hot path
        for index, text in enumerate(out):
            if text is None:
                obj = objs[index]
                text = compact_json(project(spec, obj, select, typed))
                out[index] = cache[obj["id"]] = text
        return out

    def forget(self, object_id: str) -> None:
        """Drop every cached projection of one object (it changed)."""
        for cache in self._caches.values():
            cache.pop(object_id, None)


def project(
    spec: EntitySpec, obj: dict[str, Any], select: Sequence[str], typed: bool = False
) -> dict[str, Any]:
    """The object as Graph shows it: the default set or the $select list (null when unset)."""
    get = obj.get
    out = {prop: get(prop) for prop in select or spec.default}
    if typed:
        out = {"@odata.type": spec.odata_type, **out}
    if select and "id" not in out and spec.directory:
        out["id"] = obj.get("id")
    return out


_ID = operator.itemgetter("id")


@dataclass
class CollectionResult:
    """A page chosen by :meth:`Engine.run_collection`, before serialisation."""

    page: list[dict[str, Any]]
    count: int | None
    next_link: str | None
    select: tuple[str, ...]
    expansion: Expansion | None = None


class Engine:
    """Runs collection and entity reads for one tenant (specs, page tokens, projections)."""

    def __init__(self, tenant: Tenant) -> None:
        self.tenant = tenant
        self.specs = Specs(tenant)
        self.tokens = PageTokens(tenant.seed)
        self.projector = Projector()
        self.selections = Selections()

    def settle(self) -> None:
        """Make every collection and spec not made yet: the app calls this before the first
        write, so nothing is drawn or sampled from data a write changed."""
        self.tenant.settle()
        self.specs.settle()

    def spec_of(self, obj: dict[str, Any]) -> EntitySpec:
        """The spec for an object of a mixed directoryObject collection."""
        if "userPrincipalName" in obj:
            return self.specs["users"]
        if "groupTypes" in obj:
            return self.specs["groups"]
        if "deviceId" in obj:
            return self.specs["devices"]
        if "servicePrincipalType" in obj:
            return self.specs["servicePrincipals"]
        if "roleTemplateId" in obj:
            return self.specs["directoryRoles"]
        return self.specs["applications"]

    def run_collection(
        self, spec: EntitySpec, req: GraphRequest, items: list[dict[str, Any]]
    ) -> CollectionResult:
        """Apply Graph's query rules and options to ``items``; one page of the result."""
        params = req.params
        if "$skip" in params and spec.directory:
            raise bad_request("'$skip' is not supported by the service.")
        top = parse_top(spec, req)
        select = parse_select(spec, req, collection=True)
        expansion = parse_expand(spec, req) if "$expand" in params else None
        if not spec.filterable and "$filter" in params:
            raise bad_request(
                "Query option 'Filter' is not allowed. To allow it, set the 'AllowedQueryOptions' "
                "property on EnableQueryAttribute or QueryValidationSettings.",
                code="BadRequest",
            )
        search = None
        if "$search" in params:
            if spec.directory and not req.eventual:
                raise unsupported_query(ge.SEARCH_NEEDS_HEADER)
            search = compile_search(params["$search"], spec.resolve)
        predicate = None
        if params.get("$filter"):
            predicate, info = _compile_filter(params["$filter"], spec.resolve)
            check_filter_rules(spec, req, info)
        order = parse_orderby(spec, req)
        if expansion and expansion.levels is None and req.advanced:  # $levels is the exception
            raise unsupported_query(
                "Expand is not supported with ConsistencyLevel:eventual and $count=true."
            )
        offset = 0
        if "$skiptoken" in params:
            offset = self.tokens.read(page_scope(req), params["$skiptoken"])
        items = self.selections.of(
            spec.name, page_scope(req), items, lambda i: select_items(i, predicate, search, order)
        )
        count = len(items) if (req.advanced or not spec.directory) and req.count_requested else None
        if offset:
            count = None
        page = items[offset : offset + top]
        link = None
        if offset + top < len(items):
            link = next_link(req, self.tokens.make(page_scope(req), offset + top))
        return CollectionResult(page, count, link, select, expansion)

    def collection_response(
        self,
        spec: EntitySpec,
        req: GraphRequest,
        items: list[dict[str, Any]],
        *,
        context: str | None = None,
        typed: bool = False,
    ) -> GraphResponse:
        """The JSON page for a collection read, Graph's envelope around cached fragments."""
        result = self.run_collection(spec, req, items)
        expansion = result.expansion
        head: dict[str, Any] = {
            "@odata.context": context_url(req, context or spec.name, result.select)
        }
        if result.count is not None:
            head["@odata.count"] = result.count
        if result.next_link:
            head["@odata.nextLink"] = result.next_link
        if expansion:
            fragments = [
                compact_json(self.expanded(spec, obj, result.select, expansion, typed))
                for obj in result.page
            ]
        elif typed:
            fragments = [
                self.projector.fragments(self.spec_of(o), [o], result.select, True)[0]
                for o in result.page
            ]
        else:
            fragments = self.projector.fragments(spec, result.page, result.select, False)
        body = compact_json(head)[:-1] + ',"value":[' + ",".join(fragments) + "]}"
        return GraphResponse(200, body.encode(), ODATA_JSON)

    def expanded(
        self,
        spec: EntitySpec,
        obj: dict[str, Any],
        select: tuple[str, ...],
        expansion: Expansion,
        typed: bool = False,
    ) -> dict[str, Any]:
        """The object's projection with one relationship expanded (capped, no nextLink)."""
        out = project(spec, obj, select, typed)
        if expansion.name == "manager":
            manager = self._manager_chain(obj["id"], expansion.select, expansion.levels or 1)
            if manager is not None:
                out["manager"] = manager
            return out
        related = self.related(obj["id"], expansion.name)
        out[expansion.name] = [
            project(self.spec_of(r), r, expansion.select, True) for r in related[:EXPAND_CAP]
        ]
        return out

    def _manager_chain(
        self, object_id: str, select: tuple[str, ...], levels: int
    ) -> dict[str, Any] | None:
        """The object's manager, and each manager's own nested inside, ``levels`` deep (as
        ``$levels`` asks); None when it has no manager."""
        top: dict[str, Any] | None = None
        holder: dict[str, Any] | None = None
        for _ in range(levels):
            related = self.related(object_id, "manager")
            if not related:
                break
            manager = related[0]
            shown = project(self.spec_of(manager), manager, select, True)
            if holder is None:
                top = shown
            else:
                holder["manager"] = shown
            holder, object_id = shown, manager["id"]
        return top

    def related(self, object_id: str, relationship: str) -> list[dict[str, Any]]:
        """The objects a relationship of ``object_id`` points to (in stored order)."""
        t = self.tenant
        ids: list[str]
        if relationship == "manager":
            manager = t.manager_of.get(object_id)
            ids = [manager] if manager else []
        elif relationship == "memberOf":  # groups, then the directory roles held, as on Graph
            ids = [*t.member_of.get(object_id, ()), *t.roles_held(object_id)]
        elif relationship == "members":
            ids = t.members.get(object_id) or t.role_members.get(object_id, [])
        elif relationship == "owners":
            ids = t.group_owners.get(object_id, [])
        elif relationship == "registeredOwners":
            ids = t.device_owners.get(object_id, [])
        else:
            ids = []
        found = (t.find_object(i) for i in ids)
        return [o for o in found if o is not None]

    def entity_response(
        self,
        spec: EntitySpec,
        req: GraphRequest,
        obj: dict[str, Any],
        *,
        context: str | None = None,
        typed: bool = False,
    ) -> GraphResponse:
        """A single object with $select/$expand and the matching @odata.context."""
        select = parse_select(spec, req, collection=False)
        expansion = parse_expand(spec, req)
        head = {"@odata.context": context_url(req, context or spec.name, select, entity=True)}
        if expansion:
            data = self.expanded(spec, obj, select, expansion, typed)
            body = compact_json({**head, **data})
        else:
            fragment = self.projector.fragments(spec, [obj], select, typed)[0]
            body = compact_json(head)[:-1] + ("," + fragment[1:] if len(fragment) > 2 else "}")
        return GraphResponse(200, body.encode(), ODATA_JSON)

    def count_response(
        self, spec: EntitySpec, req: GraphRequest, items: list[dict[str, Any]]
    ) -> GraphResponse:
        """``/$count``: the number as text/plain; needs ConsistencyLevel: eventual."""
        if not req.eventual:
            raise bad_request(ge.COUNT_UNSUPPORTED)
        if req.params.get("$filter"):
            predicate, _ = _compile_filter(req.params["$filter"], spec.resolve)
            items = [o for o in items if predicate(o)]
        if "$search" in req.params:
            search = compile_search(req.params["$search"], spec.resolve)
            items = [o for o in items if search(o)]
        return GraphResponse(200, str(len(items)).encode(), "text/plain")
