"""How long a scan must take at Graph's limits: requests, and the time their budget allows.

A scan of ``pages`` pages is ``pages`` requests. A full bucket lets the first ``amount`` go at
once; every one after that waits for the bucket to refill, so no client, however parallel, can
finish sooner than ``(pages x cost - amount) / rate`` seconds (latency aside). ``--dry-run``
shows it; window-parallel scans are bounded by it too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .costs import path_segments
from .limits import Budget, Limits

__all__ = ["DEFAULT_PAGE_SIZES", "Estimate", "default_page_size", "estimate_scan", "pages_for"]

DEFAULT_PAGE_SIZES: dict[tuple[str, ...], int] = {
    ("users",): 100,
    ("groups",): 100,
    ("auditlogs", "signins"): 1000,
}
"""The page size Graph uses when a request sets no ``$top``, where its documentation says."""


@dataclass(frozen=True)
class Estimate:
    """A scan's requests and the least time its family's budget allows (None: unknown)."""

    family: str
    budget: Budget
    requests: int | None
    seconds: float | None
    per_request: float

    def describe(self) -> str:
        """One line a person reads: the limit, then what it means for this scan."""
        limit = f"{self.family} limit {_budget_text(self.budget)}"
        if self.requests is None:
            return (
                f"{limit}: the number of pages is not known before Graph answers; each request "
                f"past the first {self.budget.amount:g} takes at least {self.per_request:.3g} s"
            )
        plural = "s" if self.requests != 1 else ""
        return f"{limit}: {self.requests} request{plural}, at least {self.seconds:.0f} s"


def estimate_scan(
    family: str, pages: int | None, limits: Limits, *, units: float = 1.0
) -> Estimate:
    """The estimate for ``pages`` requests of ``family`` (``units``: each one's resource units,
    for identity), under the strictest of the family's read budgets."""
    budgets = [b for b in limits.budgets(family) if b.counts != "writes"]

    def charge(budget: Budget) -> float:
        return units if budget.counts == "resource-units" else 1.0

    strictest = max(budgets, key=lambda b: charge(b) / b.rate)
    per_request = charge(strictest) / strictest.rate
    seconds = None
    if pages is not None:
        seconds = max(max(0.0, pages * charge(b) - b.amount) / b.rate for b in budgets)
    return Estimate(family, strictest, pages, seconds, per_request)


def default_page_size(path: str) -> int | None:
    """Graph's page size for ``path`` without ``$top``, where documented."""
    return DEFAULT_PAGE_SIZES.get(tuple(path_segments(path)))


def pages_for(items: int, page_size: int) -> int:
    """Pages of ``page_size`` that ``items`` items fill (at least one: an empty scan asks once)."""
    return max(1, math.ceil(items / page_size))


def _budget_text(budget: Budget) -> str:
    what = "resource units" if budget.counts == "resource-units" else "requests"
    owner = {
        "app+tenant": "per app and tenant",
        "tenant": "per tenant",
        "app": "per app",
        "app+mailbox": "per app and mailbox",
    }
    return f"{budget.amount:,g} {what} per {budget.window:g} s {owner[budget.scope]}"
