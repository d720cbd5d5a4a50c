"""Client-side pacing: each request waits for its service family's budget before it is sent.

Graph throttles per service family and per app and tenant (:mod:`graph_magic.knowledge.limits`);
reacting to 429s after they come wastes a round trip each and, for the strict budgets (the
identity and access reports' 5 requests per 10 s), most of a scan's time. The pacer keeps one
token bucket per (budget, owner) for the whole process, the owner being the app and tenant, the
tenant or the app as the budget's scope says, so every connector of the same app and tenant
shares it, as on Graph. A request *reserves* its cost at once and sleeps until the bucket has
refilled what it owes (and a small margin, :data:`SLACK_SECONDS`): reservations never block
each other, never loop, and a fake sleep in a test sees exactly the waits a real one would.

A 429 is still the server's word: its Retry-After is honoured by the retry policy, and the
pacer *drains* the family's buckets so that they agree with the server: nothing else of that
family goes before Retry-After, and the retry's own turn is reserved then, so it goes exactly
when the server said.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

import graph_magic.connector.telemetry as telemetry
from graph_magic.connector.config import SystemConfig
from graph_magic.connector.prepare import PreparedRequest
from graph_magic.connector.retry import parse_retry_after
from graph_magic.knowledge.clouds import CLOUD_HOSTS
from graph_magic.knowledge.costs import RequestCost, classify, request_costs
from graph_magic.knowledge.limits import Budget, Limits, owner_key

__all__ = [
    "PACER",
    "SLACK_SECONDS",
    "Owner",
    "Pacer",
    "RequestPacing",
    "TokenBucket",
    "owner_of",
    "system_limits",
]


@dataclass(frozen=True)
class Owner:
    """Whose requests a budget counts: one app (client id) in one tenant."""

    tenant: str
    app: str

    def key(self, budget: Budget, mailbox: str | None = None) -> str:
        """The part of the bucket's key the budget's scope keeps."""
        return owner_key(budget, app=self.app, tenant=self.tenant, mailbox=mailbox)


_ROUNDING = 1e-9  # units: a level short of the margin by float rounding alone is not short


class TokenBucket:
    """A budget's bucket: ``amount`` units, refilled at ``amount / window`` per second, which a
    reservation may take below zero (the debt is the wait)."""

    def __init__(self, budget: Budget, now: float) -> None:
        self.budget = budget
        self.level = float(budget.amount)
        self.updated = now

    def _refill(self, now: float) -> None:
        if now > self.updated:
            gained = (now - self.updated) * self.budget.rate
            self.level = min(float(self.budget.amount), self.level + gained)
            self.updated = now

    def _margin(self, units: float, slack: float) -> float:
        return min(slack * self.budget.rate, max(0.0, self.budget.amount - units))

    def reserve(self, units: float, now: float, slack: float = 0.0) -> float:
        """Take ``units`` now; the seconds to wait before sending: 0 while the bucket keeps
        ``slack`` seconds of refill in hand after them, else until it does again.

        The margin is kept, not spent: each request waits until the level is back at it, so
        the pace is the budget's own rate, shifted by ``slack`` once.
        """
        self._refill(now)
        self.level -= units
        short = self._margin(units, slack) - self.level
        return short / self.budget.rate if short > _ROUNDING else 0.0

    def drain(
        self,
        units: float,
        retry_after: float | None,
        now: float,
        *,
        slack: float = 0.0,
        keep_turn: bool = True,
    ) -> None:
        """The server said 429: the bucket holds ``units`` (and the margin) only when
        ``retry_after`` seconds have passed; with ``keep_turn`` they are the retry's already.

        So the retry (which waits Retry-After in the retry policy) goes exactly when the
        server said, without asking again, and the next request of the family after it; a
        $batch item's retry goes in a later batch that asks for its turn itself. With no
        Retry-After the bucket is simply empty.
        """
        self._refill(now)
        floor = 0.0
        if retry_after is not None:
            floor = units + self._margin(units, slack) - retry_after * self.budget.rate
        self.level = min(self.level, floor) - (units if keep_turn else 0.0)


SLACK_SECONDS = 0.5
"""The refill the pacer keeps in hand: a request goes only while the bucket would still hold
this many seconds of refill after it. The server counts when a request arrives, the pacer when
it is reserved; a request that arrives sooner after the one before than it was reserved (the
first one paid for a connection and a TLS handshake; the network jitters) would otherwise be a
hair early, and answered 429. It costs the time of the margin once per busy stretch, not per
request: the pace stays the budget's rate."""


class Pacer:
    """The process's buckets, one per (family, budget, owner), made full on first use.

    ``clock`` (monotonic seconds) is injectable; so is the sleep each caller waits with.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, slack: float = SLACK_SECONDS
    ) -> None:
        self.clock = clock
        self.slack = slack
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, Budget, str], TokenBucket] = {}

    def _charges(
        self, limits: Limits, owner: Owner, costs: Sequence[RequestCost], now: float
    ) -> list[tuple[TokenBucket, float]]:
        charges = []
        for cost in costs:
            for budget in limits.budgets(cost.family):
                units = cost.charge(budget.counts)
                if not units:
                    continue
                key = (cost.family, budget, owner.key(budget, cost.mailbox))
                bucket = self._buckets.get(key)
                if bucket is None:
                    bucket = self._buckets[key] = TokenBucket(budget, now)
                charges.append((bucket, units))
        return charges

    def reserve(self, limits: Limits, owner: Owner, costs: Sequence[RequestCost]) -> float:
        """Reserve the costs in every budget they are charged to; the longest wait."""
        with self._lock:
            now = self.clock()
            charges = self._charges(limits, owner, costs, now)
            waits = (bucket.reserve(units, now, self.slack) for bucket, units in charges)
            return max(waits, default=0.0)

    def drain(
        self,
        limits: Limits,
        owner: Owner,
        costs: Sequence[RequestCost],
        retry_after: float | None,
        *,
        keep_turn: bool = True,
    ) -> None:
        """A 429 for a request of these costs: drain each of its buckets, and reserve the
        retry's turn unless the retry asks for its own (see TokenBucket.drain)."""
        with self._lock:
            now = self.clock()
            for bucket, units in self._charges(limits, owner, costs, now):
                bucket.drain(units, retry_after, now, slack=self.slack, keep_turn=keep_turn)


PACER = Pacer()
"""The process-wide pacer every connector shares (a test passes its own, with a fake clock)."""


class RequestPacing:
    """Pacing as one connector's sender uses it: wait before each attempt, drain on a 429.

    ``limits`` None switches pacing off (an unknown Graph host, a sandbox that does not
    throttle); ``retry_after_names`` are the headers a 429's wait is read from.
    """

    def __init__(
        self,
        limits: Limits | None,
        owner: Owner,
        sleep: Callable[[float], Awaitable[Any]],
        *,
        retry_after_names: tuple[str, ...],
        pacer: Pacer | None = None,
    ) -> None:
        self.limits = limits
        self.owner = owner
        self._sleep = sleep
        self._names = retry_after_names
        self._pacer = pacer or PACER

    async def wait_turn(self, request: PreparedRequest) -> None:
        """Wait until the request's budgets allow it (at once while they have room)."""
        if self.limits is None:
            return
        costs = _costs(request)
        wait = self._pacer.reserve(self.limits, self.owner, costs)
        family = costs[0].family
        # azure.pacing.wait.duration, beside telemetry's own azure.semaphore.wait.duration
        telemetry.instruments().pacing_wait_duration.record(wait, {"graph.service_family": family})
        if wait > 0:
            telemetry.logger.info("pacing: %.2fs for the %s budget", wait, family)
            await self._sleep(wait)

    def throttled(self, request: PreparedRequest, answer: httpx.Response) -> bool:
        """A 429 answered the request: its family's buckets agree with the server's wait.

        True when the retry's turn is reserved with it (pacing is on): the retry, sent after
        Retry-After, then skips :meth:`wait_turn`.
        """
        if self.limits is None:
            return False
        retry_after = parse_retry_after(answer.headers, self._names, now=time.time)
        self._pacer.drain(self.limits, self.owner, _costs(request), retry_after)
        return True

    def items_throttled(
        self, wire: Sequence[Mapping[str, Any]], answers: Mapping[str, Mapping[str, Any]]
    ) -> None:
        """$batch items answered 429 inside their envelope: each one's family agrees with its
        own Retry-After, as for a request of its own."""
        if self.limits is None:
            return
        for item in wire:
            answer = answers.get(str(item["id"]).lower()) or {}
            if answer.get("status") != 429:
                continue
            headers = answer.get("headers") or {}
            retry_after = parse_retry_after(headers, self._names, now=time.time)
            path, _, query = str(item["url"]).partition("?")
            cost = classify(str(item["method"]), path, query)
            self._pacer.drain(self.limits, self.owner, (cost,), retry_after, keep_turn=False)


def _costs(request: PreparedRequest) -> tuple[RequestCost, ...]:
    """What Graph charges for the request: its path below the version root (the same on
    every page of a scan) with the query it is sent with (a page's own)."""
    query = urlsplit(request.url).query
    return request_costs(request.method, request.path, query, request.content)


def system_limits(system: SystemConfig) -> Limits | None:
    """The limits a system's requests are paced by; None when pacing is off.

    An in-process sandbox paces by exactly what it enforces (its own options), so the client
    and the server hold one limit; any other system by Graph's table as ``limits:`` picks it,
    by default only on Graph's own hosts. A replay is never paced.
    """
    settings = system.limits
    if system.replay:  # answered from a cassette: nothing reaches Graph
        return None
    if system.transport == "sandbox":
        from graph_magic.connector.sandbox_transport import sandbox_limits, throttles

        if settings.pacing is False or (settings.pacing is None and not throttles(system.sandbox)):
            return None
        return sandbox_limits(system.sandbox)
    if settings.pacing is None:
        host = (urlsplit(system.base_url).hostname or "").lower()
        return settings.table() if host in CLOUD_HOSTS else None
    return settings.table() if settings.pacing else None


def owner_of(system: SystemConfig) -> Owner:
    """Whose budgets a system's requests use: its app registration in its tenant (the
    ``rate_limit_key`` when it names neither, as with a bare bearer token)."""
    credentials = system.credentials
    tenant = (credentials.tenant_id or "").lower()
    app = (credentials.client_id or "").lower()
    if not tenant and not app:
        return Owner(tenant=system.rate_limit_key, app=system.rate_limit_key)
    return Owner(tenant=tenant, app=app)
