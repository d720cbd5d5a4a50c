"""``--dry-run``: a cell's requests as the connector builds them, secrets masked, nothing sent.

The text comes from the connector's own builders (``GraphConnector.build_request`` for one
request, ``build_batch`` for the sub-requests of a ``$batch``), so it shows what would go on
the wire, advanced-query additions included, and cannot drift from it. Left out: the
``client-request-id`` every request carries (a fresh one per send) and a bodiless request's
default Content-Type; the token is shown as ``Authorization: ***``. Framing headers the cell
wrote (``Content-Length``, say) are not sent, and a line above the footer says so. A scan
(a GET) to a system that paces by Graph's limits gets an estimate line: its service family's
limit, and with ``--max-items`` the requests and the least time that limit allows. A scan that
asks ``$count=true`` is the one exception to "nothing sent": the count is asked for first (the
same request with ``$top=1``), and the estimate counts its pages from Graph's answer.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

from graph_magic.connector.batch_body import decoded_size
from graph_magic.connector.client import GraphConnector
from graph_magic.connector.masking import mask_headers, mask_text, mask_url
from graph_magic.connector.pacing import system_limits
from graph_magic.connector.prepare import PreparedRequest, framing_dropped
from graph_magic.connector.urls import parse_query
from graph_magic.connector.window_plan import Window, plan_windows
from graph_magic.errors import GraphMagicError
from graph_magic.knowledge.costs import classify
from graph_magic.knowledge.estimate import default_page_size, estimate_scan, pages_for
from graph_magic.knowledge.time_ordered import TimeOrdered
from graph_magic.notebook.cell import RequestSpec
from graph_magic.notebook.errors import GraphUsageError

__all__ = [
    "asks_count",
    "batch_request",
    "command_config",
    "count_items",
    "describe_requests",
    "request_url",
    "scan_estimate",
    "windows_of",
]

# What the token line shows; mask_headers turns the value into ***.
_AUTHORIZATION = {"Authorization": "Bearer <token>"}


def command_config(spec: RequestSpec) -> dict[str, Any]:
    """The connector's command_config for one request of a cell."""
    config: dict[str, Any] = {
        "method": spec.method,
        "endpoint": spec.path,
        "params": dict(spec.params),
        "headers": dict(spec.headers),
    }
    if spec.body is not None:
        config["body"] = spec.body
    return config


def batch_request(spec: RequestSpec) -> dict[str, Any]:
    """The connector's $batch request for one request of a cell."""
    request: dict[str, Any] = {"id": spec.id, "method": spec.method, "url": spec.path}
    if spec.params:
        request["params"] = dict(spec.params)
    headers = framing_dropped(spec.headers)[0]
    if headers:
        request["headers"] = headers
    if spec.body is not None:
        request["body"] = spec.body
    if spec.depends_on:
        request["dependsOn"] = list(spec.depends_on)
    return request


def request_url(connector: GraphConnector, spec: RequestSpec) -> str:
    """The request's URL as results and history name it: as asked, secret-looking values masked."""
    return mask_url(connector.build_request(command_config(spec)).target)


def windows_of(
    connector: GraphConnector, specs: list[RequestSpec], parallel: int
) -> tuple[TimeOrdered, list[Window]]:
    """The time windows ``--parallel`` cuts a cell's one log scan into; a usage error if none.

    The connector's own plan (:func:`~graph_magic.connector.window_plan.plan_windows`), so a
    dry run shows the requests the scan sends; checked before anything is sent.
    """
    if len(specs) != 1:
        raise GraphUsageError(
            f"--parallel cuts one log scan into time windows; this cell has {len(specs)} requests"
        )
    try:
        return plan_windows(connector.build_request(command_config(specs[0])), parallel)
    except ValueError as exc:
        raise GraphUsageError(str(exc)) from None


def asks_count(specs: list[RequestSpec]) -> bool:
    """True when a dry run's one scan asks ``$count=true``: its count is worth one request."""
    if len(specs) != 1 or specs[0].method != "GET":
        return False
    return str(specs[0].params.get("$count", "")).lower() == "true"


async def count_items(connector: GraphConnector, spec: RequestSpec) -> int | str:
    """Graph's ``@odata.count`` for a scan (one page of one item), or why there is none."""
    params = {**spec.params, "$top": "1", "$count": "true"}
    pages = connector.iter_pages(spec.path, spec.headers, params=params, max_items=1)
    try:
        async with contextlib.aclosing(pages):
            first = await anext(pages)
    except GraphMagicError as exc:
        return f"Graph did not count: {getattr(exc, 'message', None) or exc}"
    count = first.get("@odata.count")
    if isinstance(count, int) and not isinstance(count, bool):
        return count
    return "Graph's answer held no @odata.count"


def describe_requests(
    specs: list[RequestSpec],
    connector: GraphConnector,
    masked_headers: tuple[str, ...],
    max_items: int | None = None,
    *,
    parallel: int | None = None,
    counted: int | str | None = None,
) -> str:
    """The requests as HTTP text; several go out as one $batch through ``connector``.

    ``max_items`` (``--max-items``) bounds a scan's pages in its estimate line, as does
    ``counted``, Graph's count of its items (or why there is none: see :func:`count_items`).
    With ``parallel``, the first request of each time window, in the order they are merged.
    """
    masked = {name.lower() for name in masked_headers}
    if parallel is not None:
        return _describe_windows(specs, connector, parallel, masked)
    if len(specs) == 1:
        request = connector.build_request(command_config(specs[0]))
        shown = {k: v for k, v in request.headers.items() if k.lower() not in request.implicit}
        body = None if request.content is None else _body_text(request.content)
        blocks = [_block(request.method, request.url, shown, body, masked)]
        dropped = request.dropped
        items = counted if isinstance(counted, int) else None
        known = [n for n in (max_items, items) if n is not None]
        estimate = scan_estimate(connector, request, min(known) if known else None)
    else:
        items = connector.build_batch([batch_request(spec) for spec in specs])
        blocks = [
            f"### {item.id}\n"
            + _block(
                item.method,
                connector.base_url + item.url,
                item.headers,
                None if item.body is None else _item_body(item.body, item.headers),
                masked,
            )
            for item in items
        ]
        dropped = tuple(name for spec in specs for name in framing_dropped(spec.headers)[1])
        estimate = None
    count = f"{len(specs)} request{'s' if len(specs) != 1 else ''}"
    batch = " as one $batch" if len(specs) > 1 else ""
    system = connector.system.name
    footer = f"(dry run: {count}{batch} to system '{system}'; nothing was sent)"
    if counted is not None:
        said = f"Graph counts {counted:,} items" if isinstance(counted, int) else counted
        footer = (
            f"(count: {said}; one request with $top=1 was sent to ask)\n"
            f"(dry run: {count}{batch} to system '{system}'; nothing else was sent)"
        )
    if dropped:
        names = ", ".join(dict.fromkeys(dropped))
        footer = f"(not sent: {names}; the HTTP client sets framing headers itself)\n{footer}"
    if estimate:
        footer = f"(estimate: {estimate})\n{footer}"
    return "\n\n".join([*blocks, footer])


def _describe_windows(
    specs: list[RequestSpec], connector: GraphConnector, parallel: int, masked: set[str]
) -> str:
    entry, windows = windows_of(connector, specs, parallel)
    blocks = []
    for number, window in enumerate(windows, 1):
        request = window.request
        shown = {k: v for k, v in request.headers.items() if k.lower() not in request.implicit}
        heading = f"# window {number} of {len(windows)}: {window.describe(entry.time_property)}"
        blocks.append(heading + "\n" + _block(request.method, request.url, shown, None, masked))
    order = "oldest" if windows[0].start is None and len(windows) > 1 else "newest"
    footer = (
        f"(dry run: 1 scan as {len(windows)} time windows of {entry.time_property}, scanned at "
        f"once and merged {order} first, to system '{connector.system.name}'; nothing was sent)"
    )
    estimate = scan_estimate(connector, windows[0].request, None)
    if estimate and len(windows) > 1:  # each window ends on a short page: one request more
        extra = len(windows) - 1
        estimate += f"; {len(windows)} windows add up to {extra} request{'s' * (extra > 1)}"
    if estimate:
        footer = f"(estimate: {estimate})\n{footer}"
    return "\n\n".join([*blocks, footer])


def scan_estimate(
    connector: GraphConnector, request: PreparedRequest, max_items: int | None
) -> str | None:
    """A GET's estimate at the limits its system paces by (None: not a scan, or not paced).

    Its pages are known only from ``max_items`` and a page size (``$top``, else Graph's
    documented default for the collection); otherwise the line says what each page costs.
    """
    limits = system_limits(connector.system)
    if request.method != "GET" or limits is None:
        return None
    query = parse_query(request.url.partition("?")[2])
    cost = classify("GET", request.path, request.url.partition("?")[2])
    top = query.get("$top", "")
    size = int(top) if top.isdigit() and int(top) > 0 else default_page_size(request.path)
    pages = pages_for(max_items, size) if max_items is not None and size else None
    return estimate_scan(cost.family, pages, limits, units=cost.units).describe()


def _block(
    method: str, url: str, headers: Mapping[str, str], body: str | None, masked: set[str]
) -> str:
    lines = [f"{method} {mask_url(url)}"]
    for key, value in mask_headers({**_AUTHORIZATION, **headers}).items():
        lines.append(f"{key}: {'***' if key.lower() in masked else value}")
    if body is not None:
        lines += ["", mask_text(body)]
    return "\n".join(lines)


def _body_text(content: bytes) -> str:
    """A body as a person reads it: JSON indented, text as its text, bytes (a photo) counted."""
    try:
        return _pretty(json.loads(content))
    except ValueError:
        pass
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return f"({len(content):,} bytes)"


def _item_body(body: Any, headers: Mapping[str, str]) -> str:
    """A batched body as a person reads it: JSON indented, base64 bytes counted."""
    size = decoded_size(body, headers)
    return _pretty(body) if size is None else f"({size:,} bytes, sent base64-encoded)"


def _pretty(body: Any) -> str:
    return json.dumps(body, indent=2, ensure_ascii=False, default=str)
