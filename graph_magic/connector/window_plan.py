"""Cutting a log scan into time windows: where the cuts go and the exact request of each window.

Pure, no I/O, so ``--dry-run`` shows the very requests a windowed scan sends. A GET on a
time-ordered log collection (:mod:`graph_magic.knowledge.time_ordered`) is cut into ``parallel``
disjoint windows of its timestamp, ``[start, end)``: each window's ``$filter`` is the caller's
own, parenthesised, ``and`` the window's bounds (``createdDateTime ge X and createdDateTime lt
Y``). The oldest window has no lower bound and the newest no upper one, so together they cover
the whole time line: a wrong guess about the range can make windows uneven, never lose an item.
``ge`` on one side and ``lt`` on the other give an item stamped exactly on a cut to one window.

The cuts divide the range evenly, on whole seconds. The range is the caller's own bounds on the
timestamp when the ``$filter`` gives them as ``and``-ed comparisons
(:mod:`graph_magic.connector.time_bounds`), else Graph's retention for the collection next to
the bound it gives, or up to ``now``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from graph_magic.connector.prepare import PreparedRequest
from graph_magic.connector.time_bounds import balanced, time_bounds
from graph_magic.connector.urls import join_url, parse_query
from graph_magic.knowledge.time_ordered import TIME_ORDERED, TimeOrdered, time_ordered

__all__ = ["MAX_WINDOWS", "Window", "plan_windows", "window_filter"]

MAX_WINDOWS = 64
"""The most windows a scan is cut into: each costs a task and at least one request."""


@dataclass(frozen=True)
class Window:
    """One window of a scan: its bounds (None: open on that side) and its first request."""

    start: datetime | None
    end: datetime | None
    request: PreparedRequest

    def describe(self, time_property: str) -> str:
        """``createdDateTime ge X and lt Y`` (what the window covers, for errors and notes)."""
        parts = []
        if self.start is not None:
            parts.append(f"ge {odata_instant(self.start)}")
        if self.end is not None:
            parts.append(f"lt {odata_instant(self.end)}")
        return f"{time_property} {' and '.join(parts)}" if parts else "the whole collection"


def plan_windows(
    request: PreparedRequest, parallel: int, *, now: datetime | None = None
) -> tuple[TimeOrdered, list[Window]]:
    """The collection's entry and its windows, in the order the scan yields them.

    Newest first, as Graph lists these logs; oldest first when the request asks ``$orderby
    <timestamp> asc``. Raises ValueError, naming the problem, for a request that cannot be
    cut: not a GET, not a time-ordered collection, ordered by another property, or asking
    ``$count`` (each window would count only itself).
    """
    entry = _entry(request)
    if not 1 <= parallel <= MAX_WINDOWS:
        raise ValueError(
            f"--parallel takes 1 to {MAX_WINDOWS} windows, not {parallel} (more would only add "
            "requests: Graph's reports budget lets a few run at once)"
        )
    full, _, raw_query = request.url.partition("?")
    query = parse_query(raw_query)
    ascending = _ascending(query, entry)
    if _get(query, "$count")[1].lower() == "true":
        raise ValueError(
            "$count=true cannot go with --parallel: each window would count only its own items"
        )
    filter_key, user_filter = _get(query, "$filter")
    if not balanced(user_filter):
        raise ValueError(
            "the $filter's parentheses do not balance, so it cannot be parenthesised and and-ed "
            f"with a window's bounds: {user_filter!r}"
        )
    low, high = _range(time_bounds(user_filter, entry.time_property), entry, now)
    cuts = _cuts(low, high, parallel)
    edges: list[datetime | None] = [None, *cuts, None]
    windows = []
    for start, end in pairwise(edges):
        text = window_filter(user_filter, entry.time_property, start, end)
        url = join_url(full, _with(query, filter_key or "$filter", text))
        windows.append(Window(start, end, dataclasses.replace(request, url=url, target=url)))
    return entry, windows if ascending else windows[::-1]


def window_filter(
    user_filter: str, time_property: str, start: datetime | None, end: datetime | None
) -> str:
    """The ``$filter`` of one window: ``(user filter) and P ge start and P lt end``."""
    parts = [f"({user_filter})"] if user_filter.strip() else []
    if start is not None:
        parts.append(f"{time_property} ge {odata_instant(start)}")
    if end is not None:
        parts.append(f"{time_property} lt {odata_instant(end)}")
    return " and ".join(parts)


def odata_instant(moment: datetime) -> str:
    """A DateTimeOffset literal in UTC: ``2025-05-31T12:00:00Z``, a fraction only when set."""
    moment = moment.astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def _entry(request: PreparedRequest) -> TimeOrdered:
    entry = time_ordered(request.path) if request.method == "GET" else None
    if entry is None:
        names = ", ".join(f"{e.path} ({e.time_property})" for e in TIME_ORDERED)
        raise ValueError(
            f"--parallel cuts a log scan into time windows, so it works only on a GET of a "
            f"time-ordered log collection: {names}; not {request.method} {request.path}"
        )
    return entry


def _ascending(query: dict[str, str], entry: TimeOrdered) -> bool:
    """True for ``$orderby <timestamp> asc``; any other property cannot be merged by time."""
    order = _get(query, "$orderby")[1].split()
    if not order:
        return False
    prop = entry.time_property
    if order[0].lower() != prop.lower() or len(order) > 2:
        raise ValueError(
            f"--parallel merges windows of {prop}, so $orderby may only be {prop} (asc or "
            f"desc), not {' '.join(order)!r}"
        )
    return len(order) == 2 and order[1].lower() == "asc"


def _range(
    bounds: tuple[datetime | None, datetime | None], entry: TimeOrdered, now: datetime | None
) -> tuple[datetime, datetime]:
    """The range to cut: the caller's bounds, a missing one from the retention up to ``now``.

    A bound on the far side of ``now`` (a clock that disagrees with the data, as a replayed
    tenant's does) anchors the retention on the bound instead, so the range is never empty.
    """
    low, high = bounds
    if low is not None and high is not None:
        return low, high
    clock = now or datetime.now(UTC)
    retention = timedelta(days=entry.retention_days)
    if low is None:
        end = high if high is not None else clock
        return min(clock, end) - retention, end
    return low, clock if clock > low else low + retention


def _cuts(low: datetime, high: datetime, parallel: int) -> list[datetime]:
    """Up to ``parallel - 1`` whole-second instants strictly inside (low, high), ascending."""
    span = (high - low).total_seconds()
    cuts: list[datetime] = []
    for index in range(1, parallel):
        at = low + timedelta(seconds=span * index / parallel)
        at = at.replace(microsecond=0)
        if low < at < high and (not cuts or at > cuts[-1]):
            cuts.append(at)
    return cuts


def _get(query: dict[str, str], name: str) -> tuple[str | None, str]:
    """(the key as spelled, its value) of a query option in any case; (None, "") if absent."""
    for key, value in query.items():
        if key.lower() == name:
            return key, value
    return None, ""


def _with(query: dict[str, str], key: str, value: str) -> dict[str, str]:
    """The query with ``key`` set to ``value``, in its place (or last when new)."""
    out = dict(query)
    out[key] = value
    return out
