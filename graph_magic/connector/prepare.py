"""Building a request: the exact method, URL, headers and body the connector will send.

One builder serves sending and ``--dry-run`` alike (httpx's ``build_request`` idea), so what a
dry run prints is what goes on the wire: the URL with its query encoded once, the advanced-query
additions (``ConsistencyLevel: eventual``, ``$count=true``), the caller's headers and the
connector's own (``client-request-id``, ``Content-Type``). Only ``Authorization`` is added later,
per attempt, because a refreshed token must replace it.

Framing headers (``Content-Length``, ``Transfer-Encoding``, ``Host``) are the HTTP client's: it
frames the bytes it sends and names the host it connects to; so are the connection-level ones
(``Connection``, ``Upgrade``, ``Keep-Alive``, ``TE``...). Graph's documentation prints them
in its examples, with numbers that are not the body's, so the caller's are dropped (and named in
``dropped``) rather than sent, where a wrong length would fail the request in the client.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from graph_magic.connector.advanced import plan_advanced_query
from graph_magic.connector.config import SystemConfig
from graph_magic.connector.urls import join_url, parse_query, relative_path, split_endpoint
from graph_magic.errors import GraphSecurityError

__all__ = [
    "FRAMING_HEADERS",
    "PRIORITY_HEADER",
    "PreparedRequest",
    "framing_dropped",
    "prepare",
    "with_advanced_query",
]

PRIORITY_HEADER = "x-ms-throttle-priority"
"""Graph's request header for which requests it throttles first (Low) and last (High)."""
_BODY_METHODS = frozenset({"POST", "PATCH", "PUT"})
_NO_BODY = frozenset({"GET", "DELETE"})
# Headers the HTTP client writes itself, lower-cased; a caller's are dropped. Besides the
# framing ones, the connection-level (hop-by-hop) headers of RFC 9110 section 7.6.1: they
# steer the client's own connection (close it, upgrade it), not the request Graph gets.
FRAMING_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "host"}
    | {"connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"}
)


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """A request ready to send, Authorization aside.

    ``target`` is the URL as the caller asked for it (results and history name it), without
    the advanced-query additions; ``implicit`` names (lower-cased) the headers every request
    carries whatever it says: the correlation id, and the Content-Type of a bodiless request.
    ``path`` is the URL's path below the version root, for hints and advanced-query rules.
    ``dropped`` names the caller's framing headers that were left out, as the caller spelled them.
    """

    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None
    advanced: bool
    target: str
    path: str
    endpoint: str
    implicit: frozenset[str]
    dropped: tuple[str, ...] = ()

    def follow(self, url: str) -> PreparedRequest:
        """The same request to ``url``: headers too (a nextLink carries no ConsistencyLevel)."""
        return dataclasses.replace(self, url=url)


def prepare(
    system: SystemConfig,
    command_config: Mapping[str, Any],
    *,
    params: Mapping[str, Any] | None = None,
    correlation_id: str,
) -> PreparedRequest:
    """Build the request ``command_config`` describes (see ``GraphConnector.perform_action``).

    ``params`` fill ``{name}`` placeholders in the endpoint, each as one encoded segment. A URL
    handed over with its own query and nothing to add (a nextLink to resume from) keeps its
    exact bytes.
    """
    method = str(command_config.get("method") or "GET").upper()
    if not command_config.get("endpoint"):
        raise ValueError("command_config needs an 'endpoint' (a path or a Graph URL)")
    body = command_config.get("body")
    if method in _NO_BODY and body is not None:
        raise ValueError(f"a {method} request carries no body; remove 'body'")
    base = system.base_url.rstrip("/")
    endpoint = _fill_placeholders(str(command_config["endpoint"]), params)
    full, query = split_endpoint(base, endpoint)
    options = command_config.get("params") or {}
    for name, value in options.items():
        query[str(name)] = _param_text(value)
    caller, dropped = framing_dropped(command_config.get("headers") or {})
    path = relative_path(full, base)
    plan = None
    if method == "GET":
        plan = plan_advanced_query(path, query, caller, system.advanced_query)
    raw_query = endpoint.partition("?")[2]
    keep_raw = raw_query and not options and not (plan and plan.params)
    target = f"{full}?{raw_query}" if keep_raw else join_url(full, query)
    url = target if keep_raw or not (plan and plan.params) else join_url(full, query | plan.params)
    content = _encode_body(body) if method in _BODY_METHODS and body is not None else None
    headers, implicit = _headers(system, correlation_id, plan.headers if plan else {}, caller)
    if content is not None:
        if isinstance(body, bytes) and "content-type" in implicit:
            headers["Content-Type"] = "application/octet-stream"  # bytes are no JSON
        implicit -= {"content-type"}
    return PreparedRequest(
        method=method,
        url=url,
        headers=headers,
        content=content,
        advanced=bool(plan and plan.advanced),
        target=target,
        path=path,
        endpoint=endpoint,
        implicit=frozenset(implicit),
        dropped=dropped,
    )


def framing_dropped(headers: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``headers`` without the framing headers, and the names of those left out."""
    kept = {name: value for name, value in headers.items() if name.lower() not in FRAMING_HEADERS}
    return kept, tuple(str(name) for name in headers if name not in kept)


def with_advanced_query(request: PreparedRequest) -> PreparedRequest:
    """The request again in advanced-query mode: ``$count=true`` and ``ConsistencyLevel``.

    For Graph's 400 ``Request_UnsupportedQuery`` that asks for both (the automatic detection
    cannot know every query Graph counts as advanced).
    """
    full, _, raw_query = request.url.partition("?")
    query = {k: v for k, v in parse_query(raw_query).items() if k.lower() != "$count"}
    query["$count"] = "true"
    headers = dict(request.headers)
    _set_header(headers, "ConsistencyLevel", "eventual")
    return dataclasses.replace(request, url=join_url(full, query), headers=headers, advanced=True)


def _headers(
    system: SystemConfig,
    correlation_id: str,
    added: Mapping[str, str],
    caller: Mapping[str, Any],
) -> tuple[dict[str, str], set[str]]:
    """What the request says first (advanced-query, then the caller's), then the defaults."""
    headers = dict(added)
    for name, value in caller.items():
        _set_header(headers, str(name), str(value))
    present = {name.lower() for name in headers}
    implicit = set()
    if "content-type" not in present:
        headers["Content-Type"] = system.default_content_type
        implicit.add("content-type")
    if "client-request-id" not in present:
        headers["client-request-id"] = correlation_id
        implicit.add("client-request-id")
    if system.throttle_priority and PRIORITY_HEADER.lower() not in present:
        headers[PRIORITY_HEADER] = system.throttle_priority  # a cell's own --priority wins
    return headers, implicit


def _set_header(headers: dict[str, str], name: str, value: str) -> None:
    """Set a header, replacing any existing spelling of the same name."""
    lowered = name.lower()
    for existing in [k for k in headers if k.lower() == lowered]:
        del headers[existing]
    headers[name] = value


def _param_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_DOT_SEGMENTS = frozenset({".", ".."})


def _fill_placeholders(endpoint: str, params: Mapping[str, Any] | None) -> str:
    if not params or "{" not in endpoint:
        return endpoint
    for name, value in params.items():
        text = str(value)
        if text in _DOT_SEGMENTS and "{" + str(name) + "}" in endpoint:
            # Percent-encoding leaves dots alone and URL normalisation resolves them, so
            # DELETE /users/{id} with id '..' would go out as DELETE /v1.0.
            raise GraphSecurityError(
                f"placeholder {{{name}}} is {text!r}, a dot segment that would change which "
                "resource the request acts on; pass an id or a name",
                url=endpoint,
            )
        endpoint = endpoint.replace("{" + str(name) + "}", quote(text, safe=""))
    return endpoint


def _encode_body(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()
