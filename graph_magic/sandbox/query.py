"""Graph's collection pipeline: query-option rules, filtering, sorting, paging and projection.

Each entity type has an :class:`EntitySpec` (default properties, page sizes, which filters and
sorts need advanced query). :func:`list_collection` applies Graph's checks in Graph's order and
raises its exact 400s, then filters, sorts, pages with signed ``$skiptoken`` links, and writes
the page as JSON from per-object fragments cached by :class:`Projector`, which is what keeps a
999-item page cheap.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from graph_magic.sandbox import graph_errors as ge
from graph_magic.sandbox.data import USER_DEFAULT, USER_EXTRA, USER_SINGLE_ONLY
from graph_magic.sandbox.graph_errors import GraphError, bad_request, unsupported_query
from graph_magic.sandbox.odata import FilterInfo, compile_filter, dt_key
from graph_magic.sandbox.routing import ODATA_JSON, GraphRequest, GraphResponse, compact_json
from graph_magic.sandbox.search import compile_search

EXPAND_CAP = 20
"""Items an expanded collection holds (Graph's documented cap; no nextLink inside)."""


@dataclass(frozen=True)
class EntitySpec:
    """How Graph serves one entity type: properties, page sizes and query rules."""

    name: str
    type_name: str
    properties: tuple[str, ...]
    default: tuple[str, ...]
    directory: bool = True
    default_top: int = 100
    max_top: int = 999
    orderby_default: frozenset[str] = frozenset()
    filter_advanced_only: frozenset[str] = frozenset()
    filter_unsupported: frozenset[str] = frozenset()
    endswith_allowed: frozenset[str] = frozenset()
    single_only: frozenset[str] = frozenset()
    expand: frozenset[str] = frozenset()
    filterable: bool = True

    @property
    def odata_type(self) -> str:
        """The ``@odata.type`` of this entity in mixed directoryObject collections."""
        return f"#microsoft.graph.{self.type_name}"

    def resolve(self, name: str) -> str:
        """The property's stored name (any case), or Graph's 400 naming an unknown one."""
        found = self._lower.get(name.lower())
        if found is None:
            raise bad_request(ge.NO_PROPERTY.format(prop=name, type=self.type_name))
        return found

    @property
    def _lower(self) -> dict[str, str]:
        cache = self.__dict__.get("_lower_cache")
        if cache is None:
            cache = {p.lower(): p for p in self.properties + tuple(self.single_only)}
            object.__setattr__(self, "_lower_cache", cache)
        return cache


def _spec_from(name: str, type_name: str, sample: dict[str, Any], **rules: Any) -> EntitySpec:
    props = tuple(k for k in sample if not k.startswith("@"))
    return EntitySpec(name, type_name, props, props, **rules)


USER_SPEC = EntitySpec(
    "users",
    "user",
    USER_DEFAULT + USER_EXTRA,
    USER_DEFAULT,
    orderby_default=frozenset({"displayName", "userPrincipalName"}),
    filter_advanced_only=frozenset(
        {
            "companyName",
            "employeeType",
            "mobilePhone",
            "officeLocation",
            "postalCode",
            "preferredLanguage",
            "streetAddress",
            "showInAddressList",
            "faxNumber",
            "businessPhones",
            "employeeId",
        }
    ),
    endswith_allowed=frozenset({"mail", "otherMails", "userPrincipalName", "proxyAddresses"}),
    single_only=frozenset(USER_SINGLE_ONLY),
    expand=frozenset({"manager", "memberOf"}),
)


def build_specs(tenant: Any) -> dict[str, EntitySpec]:
    """Specs for every collection of a tenant (non-user shapes read from its first objects)."""
    specs = {"users": USER_SPEC}
    samples = {
        "groups": ("group", tenant.groups, {"expand": frozenset({"members"})}),
        "devices": ("device", tenant.devices, {"expand": frozenset({"registeredOwners"})}),
        "applications": ("application", tenant.applications, {}),
        "servicePrincipals": ("servicePrincipal", tenant.service_principals, {}),
    }
    for name, (type_name, items, extra) in samples.items():
        sample = items[0] if items else {"id": None}
        rules: dict[str, Any] = {"orderby_default": frozenset()}
        if name == "groups":
            rules = {
                "orderby_default": frozenset({"displayName"}),
                "filter_unsupported": frozenset({"createdDateTime"}),
                "endswith_allowed": frozenset({"mail", "proxyAddresses"}),
            }
        specs[name] = _spec_from(name, type_name, sample, **rules, **extra)
    specs["subscribedSkus"] = _spec_from(
        "subscribedSkus",
        "subscribedSku",
        tenant.subscribed_skus[0],
        directory=False,
        filterable=False,
    )
    specs["auditLogs/signIns"] = _spec_from(
        "auditLogs/signIns", "signIn", tenant.sign_ins[0] if tenant.sign_ins else {"id": None},
        directory=False, default_top=1000, max_top=1000,
    )  # fmt: skip
    specs["auditLogs/directoryAudits"] = _spec_from(
        "auditLogs/directoryAudits", "directoryAudit",
        tenant.directory_audits[0] if tenant.directory_audits else {"id": None},
        directory=False, default_top=100, max_top=999,
    )  # fmt: skip
    return specs


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


# ----- query options ---------------------------------------------------------------------------


def parse_select(spec: EntitySpec, req: GraphRequest, *, collection: bool) -> tuple[str, ...]:
    """$select as stored names; single-entity-only properties on a collection are Graph's 501."""
    raw = req.params.get("$select")
    if not raw:
        return ()
    names = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        stored = spec.resolve(part)
        if collection and stored in spec.single_only:
            raise GraphError(501, "NotImplemented", ge.NOT_IMPLEMENTED)
        if stored not in names:
            names.append(stored)
    return tuple(names)


MAX_LEVELS = 1000
"""The deepest manager chain ``$levels`` reaches (Graph: 1..1000, or ``max`` for all of it)."""


@dataclass(frozen=True)
class Expansion:
    """One ``$expand`` option: the relationship, its nested ``$select`` and ``$levels``.

    ``levels`` is None when ``$levels`` is absent (only the immediate relationship), else how
    many managers to nest (``max`` is :data:`MAX_LEVELS`, deeper than any real chain).
    """

    name: str
    select: tuple[str, ...] = ()
    levels: int | None = None


def parse_expand(spec: EntitySpec, req: GraphRequest) -> Expansion | None:
    """$expand (one relationship, optional nested $select and $levels), checked against the
    entity and Graph's rules for $levels."""
    raw = req.params.get("$expand")
    if not raw:
        return None
    name, _, inner = raw.strip().partition("(")
    name = name.strip()
    allowed = {e.lower(): e for e in spec.expand}
    if name.lower() not in allowed:
        raise bad_request(
            ge.EXPAND_NOT_ALLOWED.format(prop=name[:1].upper() + name[1:]),
            code="ExpandNotSupported",
        )
    name = allowed[name.lower()]
    select: tuple[str, ...] = ()
    levels = None
    for option in inner.rstrip(")").split(";"):
        key, _, value = option.partition("=")
        key = key.strip().lower().lstrip("$")
        if key == "select":
            select = tuple(v.strip() for v in value.split(",") if v.strip())
        elif key == "levels":
            levels = _parse_levels(name, value.strip(), req)
    return Expansion(name, select, levels)


def _parse_levels(name: str, raw: str, req: GraphRequest) -> int:
    """``$levels`` as a depth: OData's 400 for a malformed value, Graph's range 1..1000 or
    ``max``, only on ``manager``, and with ``$count=true`` only under ConsistencyLevel."""
    if raw.lower() == "max":
        levels = MAX_LEVELS
    elif raw.isdigit():
        levels = int(raw)
        if not 1 <= levels <= MAX_LEVELS:
            raise bad_request(ge.LEVELS_RANGE.format(raw=raw))
    else:
        raise bad_request(ge.LEVELS_INVALID.format(raw=raw), code="BadRequest")
    if name != "manager":
        raise bad_request(ge.LEVELS_ONLY_MANAGER.format(prop=name))
    if req.count_requested and not req.eventual:
        raise unsupported_query(ge.LEVELS_COUNT_NEEDS_HEADER)
    return levels


def require_cast_advanced(req: GraphRequest) -> None:
    """Graph's rule for an OData cast on a directory relationship (``memberOf/microsoft.graph.
    group``): on its own, with $select, $top and paging, it runs by default; with $filter,
    $orderby, $search or $count it is an advanced query (ConsistencyLevel and $count=true)."""
    if req.advanced:
        return
    params = req.params
    if req.count_requested or any(o in params for o in ("$filter", "$orderby", "$search")):
        raise unsupported_query(ge.CAST_NEEDS_ADVANCED)


def parse_top(spec: EntitySpec, req: GraphRequest) -> int:
    """$top within the entity's bounds, else Graph's page-size 400."""
    raw = req.params.get("$top")
    if raw is None:
        return spec.default_top
    try:
        top = int(raw)
    except ValueError:
        top = 0
    if not 1 <= top <= spec.max_top:
        raise unsupported_query(ge.PAGE_SIZE.format(top=raw, max=spec.max_top))
    return top


def _check_filter_rules(spec: EntitySpec, req: GraphRequest, info: FilterInfo) -> None:
    """Graph's refusals for a directory filter, in Graph's order: never-supported clauses
    first (whatever the headers), then what only advanced query allows."""
    if not spec.directory:
        return
    resource = spec.type_name[:1].upper() + spec.type_name[1:]

    def refuse(prop: str) -> GraphError:
        return unsupported_query(
            ge.UNSUPPORTED_FILTER_PROPERTY.format(prop=prop, resource=resource)
        )

    for prop in info.properties:
        if prop in spec.filter_unsupported:
            raise refuse(prop)
    for func, name in info.calls:
        prop = spec.resolve(name)
        if func == "contains" or (func == "endswith" and prop not in spec.endswith_allowed):
            raise refuse(prop)
    if req.advanced:
        return
    if "count" in info.operators:
        raise bad_request(ge.COUNT_UNSUPPORTED)
    if "ne" in info.operators:
        raise unsupported_query(ge.NE_UNSUPPORTED)
    if "not" in info.operators:
        raise unsupported_query(ge.OPERATOR_NEEDS_ADVANCED.format(op="Not"))
    if "endswith" in info.operators:
        raise unsupported_query(ge.OPERATOR_NEEDS_ADVANCED.format(op="endsWith"))
    for prop in info.properties:
        if prop in spec.filter_advanced_only:
            raise refuse(prop)
    for name in info.null_properties:  # filtering on null is advanced too
        raise refuse(spec.resolve(name))


def _parse_orderby(spec: EntitySpec, req: GraphRequest) -> list[tuple[str, bool]]:
    raw = req.params.get("$orderby")
    if not raw:
        return []
    keys = []
    for part in raw.split(","):
        name, _, direction = part.strip().partition(" ")
        keys.append((name.strip(), direction.strip().lower() == "desc"))
    unusual = any(n not in spec.orderby_default for n, _ in keys)
    if spec.directory and not req.advanced and ("$filter" in req.params or unusual):
        raise unsupported_query(ge.SORTING_UNSUPPORTED)
    resolved = []
    for name, desc in keys:  # the first segment is a property; nested segments stay as written
        head, slash, rest = name.partition("/")
        resolved.append((spec.resolve(head) + slash + rest, desc))
    return resolved


def _sort(items: list[dict[str, Any]], keys: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    for path, desc in reversed(keys):
        parts = path.split("/")

        def key(obj: dict[str, Any], parts: list[str] = parts) -> tuple[bool, Any]:
            value: Any = obj
            for part in parts:
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, str):
                value = dt_key(value) if value[:4].isdigit() and "T" in value else value.lower()
            return (value is None, value if value is not None else "")

        items = sorted(items, key=key, reverse=desc)
    return items


# ----- paging ----------------------------------------------------------------------------------


class PageTokens:
    """Opaque, signed $skiptoken values: an offset bound to the query that produced it.

    Signing with a seed-derived key makes a hand-edited or foreign token Graph's 400 instead of a
    silently wrong page.
    """

    def __init__(self, seed: int) -> None:
        self._key = hashlib.sha256(f"graph-magic-pages/{seed}".encode()).digest()

    def _sig(self, scope: str, offset: int) -> str:
        mac = hmac.new(self._key, f"{scope}|{offset}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:12]).decode().rstrip("=")

    def make(self, scope: str, offset: int) -> str:
        """A token for ``offset`` within ``scope`` (path + canonical query)."""
        raw = f"{offset}.{self._sig(scope, offset)}".encode()
        return "RFNwdA" + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def read(self, scope: str, token: str) -> int:
        """The offset in a token issued for this scope, or Graph's 400."""
        try:
            if not token.startswith("RFNwdA"):
                raise ValueError
            body = token[6:]
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
            offset_text, sig = raw.split(".", 1)
            offset = int(offset_text)
        except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
            raise bad_request(ge.EXPIRED_PAGE_TOKEN, code="Directory_ExpiredPageToken") from exc
        if offset < 0 or not hmac.compare_digest(sig, self._sig(scope, offset)):
            raise bad_request(ge.EXPIRED_PAGE_TOKEN, code="Directory_ExpiredPageToken")
        return offset


def page_scope(req: GraphRequest) -> str:
    """What a page token is bound to: the path and the query options except $skiptoken."""
    pairs = sorted((k, v) for k, v in req.params.items() if k != "$skiptoken")
    return req.path.lower() + "?" + "&".join(f"{k}={v}" for k, v in pairs)


def next_link(req: GraphRequest, token: str, name: str = "$skiptoken") -> str:
    """The full nextLink: the request's URL with every option kept and the page token set."""
    pairs = [(k, v) for k, v in req.query if k.lower().lstrip("$") != name.lstrip("$")]
    pairs.append((name, token))
    query = "&".join(f"{_q(k)}={_q(v)}" for k, v in pairs)
    return f"{req.origin}/{req.version}{_q_path(req.path)}?{query}"


def _q(text: str) -> str:
    return quote(text, safe="$'(),:@!*/")


def _q_path(path: str) -> str:
    return quote(path, safe="/$'(),:@!*=")


def context_url(
    req: GraphRequest, name: str, select: Sequence[str] = (), entity: bool = False
) -> str:
    """Graph's @odata.context for a collection or entity, reflecting $select in order."""
    url = f"{req.origin}/{req.version}/$metadata#{name}"
    if select:
        url += "(" + ",".join(select) + ")"
    return url + ("/$entity" if entity else "")


@dataclass
class CollectionResult:
    """A page chosen by :func:`run_collection`, before serialisation."""

    page: list[dict[str, Any]]
    count: int | None
    next_link: str | None
    select: tuple[str, ...]


class Engine:
    """Runs collection and entity reads for one tenant (specs, page tokens, projections)."""

    def __init__(self, tenant: Any) -> None:
        self.tenant = tenant
        self.specs = build_specs(tenant)
        self.tokens = PageTokens(tenant.seed)
        self.projector = Projector()

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
            predicate, info = compile_filter(params["$filter"], spec.resolve)
            _check_filter_rules(spec, req, info)
        order = _parse_orderby(spec, req)
        if expansion and expansion.levels is None and req.advanced:  # $levels is the exception
            raise unsupported_query(
                "Expand is not supported with ConsistencyLevel:eventual and $count=true."
            )
        offset = 0
        if "$skiptoken" in params:
            offset = self.tokens.read(page_scope(req), params["$skiptoken"])
        if predicate is not None:
            items = [obj for obj in items if predicate(obj)]
        if search is not None:
            items = [obj for obj in items if search(obj)]
        if order:
            items = _sort(items, order)
        count = len(items) if (req.advanced or not spec.directory) and req.count_requested else None
        if offset:
            count = None
        page = items[offset : offset + top]
        link = None
        if offset + top < len(items):
            link = next_link(req, self.tokens.make(page_scope(req), offset + top))
        return CollectionResult(page, count, link, select)

    def collection_response(
        self,
        spec: EntitySpec,
        req: GraphRequest,
        items: list[dict[str, Any]],
        *,
        context: str | None = None,
        typed: bool = False,
        units: int = 1,
    ) -> GraphResponse:
        """The JSON page for a collection read, Graph's envelope around cached fragments."""
        result = self.run_collection(spec, req, items)
        expansion = parse_expand(spec, req) if "$expand" in req.params else None
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
        return GraphResponse(200, body.encode(), ODATA_JSON, resource_units=units)

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
        elif relationship == "memberOf":
            ids = t.member_of.get(object_id, [])
        elif relationship == "members":
            ids = t.members.get(object_id, [])
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
            predicate, _ = compile_filter(req.params["$filter"], spec.resolve)
            items = [o for o in items if predicate(o)]
        if "$search" in req.params:
            search = compile_search(req.params["$search"], spec.resolve)
            items = [o for o in items if search(o)]
        return GraphResponse(200, str(len(items)).encode(), "text/plain")
