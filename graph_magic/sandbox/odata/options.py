"""OData query options as Graph reads them: $select, $expand/$levels, $top, $orderby, the
filter rules of directory objects, and the signed $skiptoken with its links.

Each parser raises Graph's exact 400 (or 501) for what Graph refuses, in Graph's order, before
the engine touches any data.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import graph_magic.sandbox.graph_errors as ge
from graph_magic.sandbox._clock import dt_key
from graph_magic.sandbox._signing import Signer, b64url_decode, b64url_encode
from graph_magic.sandbox.graph_errors import GraphError, bad_request, unsupported_query
from graph_magic.sandbox.http import GraphRequest
from graph_magic.sandbox.tenant.schema import EntitySpec

if TYPE_CHECKING:
    from graph_magic.sandbox.odata.filter import FilterInfo

_TOKEN_PREFIX = "RFNwdA"
"""What every skiptoken starts with (base64 of 'DSpt'), as Graph's directory tokens do."""


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


def check_filter_rules(spec: EntitySpec, req: GraphRequest, info: FilterInfo) -> None:
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


def parse_orderby(spec: EntitySpec, req: GraphRequest) -> list[tuple[str, bool]]:
    """$orderby as (stored path, descending) pairs; a directory refuses unusual sorts and
    sorting a filter unless the query is advanced."""
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


def sort_items(items: list[dict[str, Any]], keys: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    """``items`` sorted by ``keys`` (nulls last; text case-insensitively, timestamps in time)."""
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
        self._signer = Signer(seed, "pages")

    def _sig(self, scope: str, offset: int) -> str:
        return b64url_encode(self._signer.sign(f"{scope}|{offset}".encode(), 12))

    def make(self, scope: str, offset: int) -> str:
        """A token for ``offset`` within ``scope`` (path + canonical query)."""
        raw = f"{offset}.{self._sig(scope, offset)}".encode()
        return _TOKEN_PREFIX + b64url_encode(raw)

    def read(self, scope: str, token: str) -> int:
        """The offset in a token issued for this scope, or Graph's 400."""
        try:
            if not token.startswith(_TOKEN_PREFIX):
                raise ValueError
            raw = b64url_decode(token[len(_TOKEN_PREFIX) :]).decode()
            offset_text, sig = raw.split(".", 1)
            offset = int(offset_text)
        except ValueError as exc:  # UnicodeDecodeError and binascii.Error among them
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
