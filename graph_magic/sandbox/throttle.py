"""The sandbox's throttle: Graph's per-service budgets as token buckets, and Retry-After forms.

The budgets and what each request costs are Graph knowledge (:mod:`graph_magic.knowledge.limits`
and :mod:`graph_magic.knowledge.costs`); here they become buckets, one per budget and scope
(app and tenant, tenant, or app), that refill continuously and say how long a throttled client
must wait.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graph_magic.knowledge.costs import RequestCost, resource_units
from graph_magic.knowledge.limits import Budget, Limits, graph_limits, owner_key, tenant_size_of
from graph_magic.sandbox._clock import http_date_at

if TYPE_CHECKING:
    from graph_magic.sandbox.options import SandboxOptions

__all__ = [
    "Bucket",
    "Throttle",
    "full_bucket",
    "resource_units",
    "retry_after_headers",
    "sandbox_limits",
    "throttle_headers",
]

# x-ms-throttle-scope's first part for each budget scope, and x-ms-throttle-information's
# reason for what the budget counts (Graph documents the first two; the third is inferred).
_SCOPE_NAMES = {
    "app+tenant": "Tenant_Application",
    "tenant": "Tenant",
    "app": "Application",
    "app+mailbox": "Tenant_Application",  # Outlook sends no scope header; the closest name
}
_REASONS = {
    "resource-units": "ResourceUnitLimitExceeded",
    "writes": "WriteLimitExceeded",
    "requests": "RequestLimitExceeded",
}


def sandbox_limits(options: SandboxOptions) -> Limits:
    """The limits a sandbox with ``options`` enforces when its ``throttle`` is on.

    Graph's table with the sandbox's reports table, its tenant's size class (from its user
    count) or ``throttle_units_per_10s`` for identity, every budget times ``throttle_scale``.
    A client pacing against this sandbox asks the same function, so both hold one limit.
    """
    faults = options.faults
    return graph_limits(
        reports_table=faults.throttle_reports_table,
        tenant_size=tenant_size_of(options.users),
        identity_units=faults.throttle_units_per_10s,
        scale=faults.throttle_scale,
    )


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


class Throttle:
    """The buckets of one sandbox: one per family, budget and owner (app and tenant, tenant,
    or app), made full on first use."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._buckets: dict[tuple[str, int, str], Bucket] = {}

    def charge(
        self, method: str, cost: RequestCost, app_id: str, tenant: str, now: float
    ) -> tuple[float | None, dict[str, str]]:
        """Charge a request to each budget of its family: (None, headers) when allowed, else
        (seconds to wait, the 429's scope headers) from the first budget that is spent.

        An identity answer carries ``x-ms-resource-unit``, and ``x-ms-throttle-limit-percentage``
        once more than 80% of the app's resource units are used, as Graph's does.
        """
        shown: dict[str, str] = {}
        if cost.family == "identity":
            shown["x-ms-resource-unit"] = str(cost.units)
        for index, budget in enumerate(self.limits.budgets(cost.family)):
            charge = cost.charge(budget.counts)
            if not charge:
                continue
            key = (
                cost.family,
                index,
                owner_key(budget, app=app_id, tenant=tenant, mailbox=cost.mailbox),
            )
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = full_bucket(budget.amount, budget.window, now)
            wait = bucket.take(charge, now)
            if wait is not None:
                return wait, throttle_headers(budget, method, app_id, tenant)
            used = bucket.used_fraction()
            if index == 0 and cost.family == "identity" and used > 0.8:
                shown["x-ms-throttle-limit-percentage"] = f"{used:.1f}"
        return None, shown


def throttle_headers(budget: Budget, method: str, app_id: str, tenant: str) -> dict[str, str]:
    """Graph's ``x-ms-throttle-scope`` and ``x-ms-throttle-information`` for a 429 from
    ``budget``: ``Tenant_Application/Read/{app}/{tenant}`` for a read over the resource units,
    ``.../ReadWrite/...`` for writes and for budgets that count every request."""
    read = budget.counts == "resource-units" and method.upper() == "GET"
    return {
        "x-ms-throttle-scope": (
            f"{_SCOPE_NAMES[budget.scope]}/{'Read' if read else 'ReadWrite'}/{app_id}/{tenant}"
        ),
        "x-ms-throttle-information": _REASONS[budget.counts],
    }


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
