"""Graph's throttling arithmetic: the resource-unit cost of a request and the token buckets.

Graph's identity service charges each request resource units (documented per path, adjusted by
$select, $expand and $top) against a per-app budget per 10 seconds, and writes against a
second budget per 150 seconds; the fault injector keeps one bucket of each per app.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import parse_qsl

from graph_magic.sandbox._clock import http_date_at

WRITE_UNITS_PER_WINDOW = 3000
WRITE_WINDOW_SECONDS = 150.0
RU_WINDOW_SECONDS = 10.0

_BASE_COSTS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("groups", "*", "transitivemembers"), 5),
    (("groups", "*", "members"), 3),
    (("me", "memberof"), 2),
    (("users",), 2),
    (("users", "*"), 2),
    (("applications",), 2),
    (("applications", "*"), 2),
    (("subscribedskus",), 3),
    (("contracts",), 3),
    (("directoryobjects", "getbyids"), 5),
    (("getobjectsbyid",), 5),
)


def resource_units(method: str, path: str, query: str = "") -> int:
    """Graph's documented identity cost of a request, in resource units (minimum 1).

    Base costs: GET users/applications 2, groups/{id}/members 3, transitiveMembers 5,
    subscribedSkus 3, me/memberOf 2, getByIds 5, anything else 1; ``$select`` -1,
    ``$expand`` +1, ``$top`` under 20 -1.
    """
    segments = [s.lower() for s in path.strip("/").split("/") if s]
    if segments and segments[0] in {"v1.0", "beta"}:
        segments = segments[1:]
    cost = 1
    for pattern, base in _BASE_COSTS:
        if len(pattern) == len(segments) and all(
            p in {"*", s} for p, s in zip(pattern, segments, strict=True)
        ):
            if (
                method.upper() == "GET"
                or pattern[-1] == "getbyids"
                or pattern == ("getobjectsbyid",)
            ):
                cost = base
            break
    params = {k.lower(): v for k, v in parse_qsl(query, keep_blank_values=True)}
    if "$select" in params:
        cost -= 1
    if "$expand" in params:
        cost += 1
    top = params.get("$top", "")
    if top.isdigit() and int(top) < 20:
        cost -= 1
    return max(1, cost)


@dataclass
class Bucket:
    """A token bucket refilling ``capacity`` units per ``window`` seconds."""

    capacity: float
    window: float
    level: float
    updated: float

    def take(self, cost: float, now: float) -> float | None:
        """Charge ``cost``; None when allowed, else the seconds until it would be.

        A throttled request is charged too (floored at empty), as Graph keeps counting usage
        while it throttles: a client that ignores Retry-After stays throttled.
        """
        rate = self.capacity / self.window
        self.level = min(self.capacity, self.level + (now - self.updated) * rate)
        self.updated = now
        if self.level >= cost:
            self.level -= cost
            return None
        self.level = max(0.0, self.level - cost)
        return (cost - self.level) / rate

    def used_fraction(self) -> float:
        """How much of the capacity is spent (0 to 1)."""
        return 1.0 - self.level / self.capacity


def full_bucket(capacity: float, window: float, now: float) -> Bucket:
    """A bucket holding its whole capacity at ``now``."""
    return Bucket(capacity=float(capacity), window=window, level=float(capacity), updated=now)


def retry_after_headers(form: str, seconds: float, now: float) -> dict[str, str]:
    """The header telling a client to wait ``seconds``, in the form ``retry_after_form`` asks
    for (whole seconds, fractional, an HTTP date after ``now``, or x-ms-retry-after-ms)."""
    if form == "fractional":
        return {"Retry-After": f"{seconds:.3f}"}
    if form == "http-date":
        return {"Retry-After": http_date_at(math.ceil(now + seconds))}
    if form == "ms":
        return {"x-ms-retry-after-ms": str(math.ceil(seconds * 1000))}
    return {"Retry-After": str(max(1, math.ceil(seconds)))}
