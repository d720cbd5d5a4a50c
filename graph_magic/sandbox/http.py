"""The request and response values every Graph handler sees, and the path router.

The app builds a :class:`GraphRequest` from HTTP (or $batch builds one per sub-request), the
router finds the handler by method and path, and the handler returns a :class:`GraphResponse` or
raises ``GraphError``. Keeping HTTP out of handlers lets $batch run sub-requests through exactly
the same code without a second trip through ASGI.
"""

from __future__ import annotations

import json
import json.encoder
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graph_magic.sandbox.entra.tokens import Principal
from graph_magic.sandbox.graph_errors import METHOD_NOT_ALLOWED, GraphError, bad_request

ODATA_JSON = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)


@dataclass
class GraphRequest:
    """One Graph call: ``path`` is below the version root (``/users/x``), decoded.

    ``params`` holds query options by lower-case name with the ``$`` prefix (beta's bare names are
    normalised); ``query`` keeps the pairs as sent, for nextLinks. ``headers`` has lower-case
    names. ``principal`` is the verified token's Principal.
    """

    method: str
    version: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    origin: str
    principal: Principal
    params: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value in self.query:
            key = name.lower()
            if self.version == "beta" and not key.startswith("$") and key in _BARE_OPTIONS:
                key = "$" + key
            self.params[key] = value

    @property
    def eventual(self) -> bool:
        """Whether the caller sent ``ConsistencyLevel: eventual``."""
        return self.headers.get("consistencylevel", "").strip().lower() == "eventual"

    @property
    def count_requested(self) -> bool:
        """Whether ``$count=true`` is among the query options."""
        return self.params.get("$count", "").strip().lower() == "true"

    @property
    def advanced(self) -> bool:
        """Graph's advanced-query mode: the ConsistencyLevel header and $count=true together."""
        return self.eventual and self.count_requested

    def json_body(self) -> Any:
        """The body as JSON, or Graph's 400 when it is not JSON."""
        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise bad_request(
                "Unable to read JSON request payload. Please ensure Content-Type header is set "
                "and payload is of valid JSON format."
            ) from exc


_BARE_OPTIONS = {
    "select", "filter", "search", "orderby", "top", "count", "expand", "skiptoken", "skip",
    "deltatoken",
}  # fmt: skip


def _refuse(obj: Any) -> Any:
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _make_dumps() -> Callable[[Any], str]:
    """Compact JSON like Graph's. The stdlib re-creates its C encoder on every ``dumps``; on the
    hot path (one call per object) that costs a third of the time, so build it once. Stored
    objects hold no cycles, so the cycle check is off."""
    make, quote = json.encoder.c_make_encoder, json.encoder.c_encode_basestring
    if make is None or quote is None:  # no C accelerator: the plain encoder
        return json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    encode = make(None, _refuse, quote, None, ":", ",", False, False, True)
    return lambda obj: "".join(encode(obj, 0))


compact_json = _make_dumps()
"""``json.dumps`` with Graph's compact separators, non-ASCII kept, encoder built once."""


@dataclass
class GraphResponse:
    """What a handler answers: status, body bytes, content type and extra headers."""

    status: int
    body: bytes = b""
    content_type: str | None = ODATA_JSON
    headers: dict[str, str] = field(default_factory=dict)


def json_response(obj: Any, status: int = 200) -> GraphResponse:
    """A JSON answer with Graph's OData content type, compact like Graph's own."""
    body = compact_json(obj).encode()
    return GraphResponse(status, body, ODATA_JSON)


Handler = Callable[..., GraphResponse]


_LEADING_NAME = re.compile(r"/([A-Za-z]*)")


def _leading_name(text: str) -> str:
    """The letters of the first segment (``/users('x')/...`` -> ``users``), lower-cased."""
    match = _LEADING_NAME.match(text)
    return match.group(1).lower() if match else ""


class Router:
    """Method + path-pattern dispatch; patterns are regexes over the path below the version.

    Segments match case-insensitively, as Graph's do. A path that matches with another method is
    Graph's 405; no match at all is Graph's 400 for an unknown segment. Routes are kept in
    buckets by their first segment's name (every pattern starts with a literal one), so a path
    is tried only against the few routes that can match it, in the order they were added.
    """

    def __init__(self) -> None:
        self._routes: dict[str, list[tuple[str, re.Pattern[str], Handler]]] = {}

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """Route ``method`` on paths matching ``pattern`` (named groups become arguments)."""
        compiled = re.compile(pattern + r"/?$", re.IGNORECASE)
        self._routes.setdefault(_leading_name(pattern), []).append((method, compiled, handler))

    def routes(self) -> list[tuple[str, str, Handler]]:
        """Every route as (method, pattern as added, handler), in the order they were added
        within each first segment (tests walk them, e.g. to check their permissions)."""
        return [
            (method, compiled.pattern.removesuffix(r"/?$"), handler)
            for bucket in self._routes.values()
            for method, compiled, handler in bucket
        ]

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """The handler and its path arguments, or Graph's 405/400."""
        method_mismatch = False
        for route_method, pattern, handler in self._routes.get(_leading_name(path), ()):
            match = pattern.match(path)
            if match:
                if route_method == method:
                    return handler, match.groupdict()
                method_mismatch = True
        if method_mismatch:
            raise GraphError(405, "Request_BadRequest", METHOD_NOT_ALLOWED)
        segment = path.rstrip("/").rsplit("/", 1)[-1] or path
        raise bad_request(f"Resource not found for the segment '{segment}'.", code="BadRequest")
