"""The request and response values every Graph handler sees, and the path router.

The app builds a :class:`GraphRequest` from HTTP (or $batch builds one per sub-request), the
router finds the handler by method and path, and the handler returns a :class:`GraphResponse` or
raises ``GraphError``. Keeping HTTP out of handlers lets $batch run sub-requests through exactly
the same code without a second trip through ASGI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graph_magic.sandbox.graph_errors import METHOD_NOT_ALLOWED, GraphError, bad_request
from graph_magic.sandbox.tokens import Principal

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


@dataclass
class GraphResponse:
    """What a handler answers: status, body bytes, content type and extra headers."""

    status: int
    body: bytes = b""
    content_type: str | None = ODATA_JSON
    headers: dict[str, str] = field(default_factory=dict)
    resource_units: int = 1


def json_response(obj: Any, status: int = 200, *, units: int = 1) -> GraphResponse:
    """A JSON answer with Graph's OData content type, compact like Graph's own."""
    body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
    return GraphResponse(status, body, ODATA_JSON, resource_units=units)


Handler = Callable[..., GraphResponse]


class Router:
    """Method + path-pattern dispatch; patterns are regexes over the path below the version.

    Segments match case-insensitively, as Graph's do. A path that matches with another method is
    Graph's 405; no match at all is Graph's 400 for an unknown segment.
    """

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        """Route ``method`` on paths matching ``pattern`` (named groups become arguments)."""
        self._routes.append((method, re.compile(pattern + r"/?$", re.IGNORECASE), handler))

    def resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        """The handler and its path arguments, or Graph's 405/400."""
        method_mismatch = False
        for route_method, pattern, handler in self._routes:
            match = pattern.match(path)
            if match:
                if route_method == method:
                    return handler, match.groupdict()
                method_mismatch = True
        if method_mismatch:
            raise GraphError(405, "Request_BadRequest", METHOD_NOT_ALLOWED)
        segment = path.rstrip("/").rsplit("/", 1)[-1] or path
        raise bad_request(f"Resource not found for the segment '{segment}'.", code="BadRequest")
