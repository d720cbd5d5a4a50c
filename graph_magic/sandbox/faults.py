"""Seeded latency and faults in front of the sandbox's Graph routes, the way Graph misbehaves.

``FaultMiddleware`` wraps the whole sandbox app. For each Graph request (``/v1.0/...``,
``/beta/...``; never the token endpoints) it may wait (latency plus jitter), drop the connection,
answer 429 (``every_nth_429``, ``rate_429``, or the throttle: Graph's documented limits per
service family, as token buckets) or answer 503/504 for a burst of requests. Every decision
comes from one ``random.Random(seed)``, so the same options and the same request sequence give
the same faults. ``batch_item_fault`` gives $batch a per-item 429. Counters say what was
injected.

Retry-After comes in the form ``retry_after_form`` asks for: ``seconds`` (``Retry-After: 2``),
``fractional`` (``Retry-After: 2.128``, as in Graph's own sample), ``http-date``
(``Retry-After: Fri, 27 Nov 2026 15:40:00 GMT``) or ``ms`` (``x-ms-retry-after-ms: 2128``, no
Retry-After).
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import State
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import graph_magic.sandbox.graph_errors as ge
from graph_magic.knowledge.costs import RequestCost, classify
from graph_magic.sandbox._clock import http_date_at, iso_seconds_at
from graph_magic.sandbox.entra.tokens import unverified_claims
from graph_magic.sandbox.http import GraphRequest, compact_json
from graph_magic.sandbox.options import SandboxOptions
from graph_magic.sandbox.throttle import Throttle, retry_after_headers, sandbox_limits

BATCH_ITEM_SCOPE_KEY = "graph_magic.batch_item"
"""Set this key (truthy) in the scope of a $batch sub-request run through the whole app: the
middleware then leaves it alone, since $batch items get their faults from ``batch_item_fault``."""

TRANSPORT_SCOPE_KEY = "graph_magic.transport"
"""Scope key under which the served sandbox passes the connection's asyncio transport, so a
drop can close the socket however deep in the middleware stack this middleware sits."""


class ConnectionDropped(Exception):
    """Raised in-process where a served sandbox would close the socket without answering."""


@dataclass
class FaultCounters:
    """What the middleware saw and did; read by tests and benchmarks."""

    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    resource_units: int = 0

    def as_dict(self) -> dict[str, Any]:
        """A plain snapshot: requests seen, faults by kind, resource units charged."""
        return {
            "requests": self.requests,
            "faults": dict(self.faults),
            "resource_units": self.resource_units,
        }


@dataclass
class FaultDecision:
    """What to do with one Graph request."""

    delay: float = 0.0
    drop: bool = False
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    extra_headers: dict[str, str] = field(default_factory=dict)


class FaultInjector:
    """The seeded fault state of one sandbox: random stream, bursts, buckets, counters.

    Thread-safe (the in-process sandbox is reached from several event loops); decisions never
    await, so a plain lock suffices. ``clock`` gives real epoch seconds (bucket refill and
    Retry-After dates, which a client compares with its own clock); ``dates`` gives the epoch
    seconds that faulted answers show in their ``Date`` header and error body, the tenant's
    fixed clock when the app supplies it, so a faulted answer is as reproducible as any other.
    """

    def __init__(
        self,
        options: SandboxOptions,
        clock: Callable[[], float] = time.time,
        *,
        dates: Callable[[], float] | None = None,
    ) -> None:
        self.options = options
        self.faults = options.faults
        self.clock = clock
        self.dates = dates or clock
        self.counters = FaultCounters()
        self._rng = random.Random(options.seed)
        self._ids = random.Random(f"{options.seed}/fault-request-ids")
        self._lock = threading.Lock()
        self._burst_status = 0
        self._burst_left = 0
        self._buckets = Throttle(sandbox_limits(options))

    # -- per request -----------------------------------------------------------------------

    def decide(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: MutableMapping[str, str] | None = None,
    ) -> FaultDecision:
        """Count a Graph request and decide its latency and fault (in a fixed draw order)."""
        headers = headers or {}
        faults = self.faults
        with self._lock:
            self.counters.requests += 1
            decision = FaultDecision(delay=self._latency())
            if faults.drop_rate and self._rng.random() < faults.drop_rate:
                decision.drop = True
                self.counters.faults["drop"] += 1
                return decision
            random_429 = bool(faults.rate_429) and self._rng.random() < faults.rate_429
            nth = faults.every_nth_429 and self.counters.requests % faults.every_nth_429 == 0
            if nth or random_429:
                self.counters.faults["429"] += 1
                self._throttled(decision, headers, faults.retry_after)
                return decision
            burst = self._burst()
            if burst:
                self.counters.faults[str(burst)] += 1
                self._server_error(decision, burst, headers)
                return decision
            cost = classify(method, path, query)
            self.counters.resource_units += cost.units
            if faults.throttle and not _is_batch(method, path):  # its items are charged
                self._throttle(decision, method, cost, headers)
            return decision

    def batch_item_fault(self, item: GraphRequest | None = None) -> dict[str, Any] | None:
        """A 429 answer for one $batch sub-request (``status``, ``headers``, ``body``), or None.

        With ``throttle`` on, ``item`` is charged to its family's budgets as a request of its
        own (Graph evaluates each sub-request), and throttled with the Retry-After and scope
        its budget gives; else ``batch_item_429_rate`` decides. The caller adds the item's
        ``id``; the envelope stays 200, as on Graph.
        """
        rate = self.faults.batch_item_429_rate
        with self._lock:
            wait, shown = None, {}
            if item is not None and self.faults.throttle:
                wait, shown = self._charge_item(item)
            if wait is not None:
                self.counters.faults["throttle"] += 1
            elif not rate or self._rng.random() >= rate:
                return None
            else:
                self.counters.faults["batch_item_429"] += 1
                wait, shown = self.faults.retry_after, {}
            request_id = self._request_id()
            retry = retry_after_headers(self.faults.retry_after_form, wait, self.clock())
        return {
            "status": 429,
            "headers": {**retry, **shown, "Content-Type": "application/json"},
            "body": ge.throttled_body(date=iso_seconds_at(self.dates()), request_id=request_id),
        }

    def _charge_item(self, item: GraphRequest) -> tuple[float | None, dict[str, str]]:
        cost = classify(item.method, item.path, urlencode(item.query))
        self.counters.resource_units += cost.units
        app_id, tenant = item.principal.client_id, item.principal.tenant_id
        return self._buckets.charge(item.method, cost, app_id, tenant, self.clock())

    # -- internals (called with the lock held) ---------------------------------------------

    def _latency(self) -> float:
        delay = self.options.latency_ms / 1000.0
        if self.options.latency_jitter_ms:
            delay += self._rng.random() * self.options.latency_jitter_ms / 1000.0
        return delay

    def _burst(self) -> int:
        """The 503/504 status of an ongoing or newly started burst, or 0."""
        if self._burst_left:
            self._burst_left -= 1
            return self._burst_status
        for status, rate in ((503, self.faults.rate_503), (504, self.faults.rate_504)):
            if rate and self._rng.random() < rate:
                self._burst_status, self._burst_left = status, max(1, self.faults.burst) - 1
                return status
        return 0

    def _throttle(
        self,
        decision: FaultDecision,
        method: str,
        cost: RequestCost,
        headers: MutableMapping[str, str],
    ) -> None:
        app_id, tenant = _app_id(headers.get("authorization")), _tenant_of(headers)
        wait, shown = self._buckets.charge(method, cost, app_id, tenant, self.clock())
        if wait is None:
            decision.extra_headers.update(shown)
            return
        self.counters.faults["throttle"] += 1
        self._throttled(decision, headers, wait)
        decision.headers.update(shown)

    def _throttled(
        self, decision: FaultDecision, headers: MutableMapping[str, str], retry_after: float
    ) -> None:
        now, shown = self.clock(), self.dates()
        request_id = self._request_id()
        decision.status = 429
        decision.headers = {
            **_graph_headers(request_id, headers, shown),
            **retry_after_headers(self.faults.retry_after_form, retry_after, now),
        }
        decision.body = _json(ge.throttled_body(date=iso_seconds_at(shown), request_id=request_id))

    def _server_error(
        self, decision: FaultDecision, status: int, headers: MutableMapping[str, str]
    ) -> None:
        now, shown = self.clock(), self.dates()
        request_id = self._request_id()
        decision.status = status
        decision.headers = _graph_headers(request_id, headers, shown)
        if status == 503:
            decision.headers.update(
                retry_after_headers(self.faults.retry_after_form, self.faults.retry_after, now)
            )
        body = ge.service_error(status).body(
            date=iso_seconds_at(shown),
            request_id=request_id,
            client_request_id=headers.get("client-request-id", request_id),
        )
        decision.body = _json(body)

    def _request_id(self) -> str:
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))


class FaultMiddleware:
    """ASGI middleware injecting latency and faults into Graph requests (never token calls).

    Wrap the whole sandbox app with it (outermost), so faults happen before any routing, as
    Graph's throttling happens before a request is acted on. The injector is published as
    ``state.faults`` on the wrapped app and on the request's Starlette app (``scope["app"]``),
    for ``batch_item_fault(request.app.state)``, and as ``self.injector``.
    """

    def __init__(
        self,
        app: ASGIApp,
        options: SandboxOptions,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        *,
        injector: FaultInjector | None = None,
        clock: Callable[[], float] = time.time,
        dates: Callable[[], float] | None = None,
    ) -> None:
        self.app = app
        self.options = options
        self.sleep = sleep
        self.injector = injector or FaultInjector(options, clock, dates=dates)
        state = getattr(app, "state", None)
        if state is not None:
            state.faults = self.injector

    @property
    def counters(self) -> FaultCounters:
        """Requests seen and faults injected so far."""
        return self.injector.counters

    def __getattr__(self, name: str) -> Any:
        """Let the wrapped app's own attributes (``state``, ``routes``...) show through."""
        if name == "app":
            raise AttributeError(name)
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        outer_state = getattr(scope.get("app"), "state", None)
        if outer_state is not None and getattr(outer_state, "faults", None) is not self.injector:
            outer_state.faults = self.injector  # when mounted through Starlette(middleware=...)
        if scope["type"] != "http" or not _is_graph(scope) or scope.get(BATCH_ITEM_SCOPE_KEY):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        decision = self.injector.decide(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            headers,
        )
        if decision.delay > 0:
            await self.sleep(decision.delay)
        if decision.drop:
            await _drop(scope.get(TRANSPORT_SCOPE_KEY) or socket_transport(send))
            return
        if decision.status is not None:
            await _send_response(send, decision)
            return
        if not decision.extra_headers:
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _adding_headers(send, decision.extra_headers))


def batch_item_fault(
    state: State | FaultInjector | None, item: GraphRequest | None = None
) -> dict[str, Any] | None:
    """A per-item 429 for the $batch sub-request ``item``, or None; ``state`` is the app's
    ``state`` (where ``FaultMiddleware`` publishes its injector as ``faults``) or the injector."""
    injector = state if isinstance(state, FaultInjector) else getattr(state, "faults", None)
    return injector.batch_item_fault(item) if isinstance(injector, FaultInjector) else None


def _graph_headers(
    request_id: str, headers: MutableMapping[str, str], now: float
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Cache-Control": "no-cache",
        "request-id": request_id,
        "client-request-id": headers.get("client-request-id", request_id),
        "Date": http_date_at(now),
    }


def _json(body: dict[str, Any]) -> bytes:
    return compact_json(body).encode()


def _app_id(authorization: str | None) -> str:
    return str(unverified_claims(authorization).get("appid") or "anonymous")


def _tenant_of(headers: MutableMapping[str, str]) -> str:
    return str(unverified_claims(headers.get("authorization")).get("tid") or "unknown")


def _is_batch(method: str, path: str) -> bool:
    return method.upper() == "POST" and path.rstrip("/").lower().endswith("/$batch")


def _is_graph(scope: Scope) -> bool:
    path = scope.get("path", "")
    return path.startswith(("/v1.0/", "/beta/")) or path in {"/v1.0", "/beta"}


def socket_transport(send: Send) -> asyncio.Transport | None:
    """The socket transport behind uvicorn's ``send``, or None in-process.

    uvicorn hands the app its request cycle's bound ``send``; that cycle holds the asyncio
    transport, which is the only way to close a connection without writing a response.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    return transport if callable(getattr(transport, "abort", None)) else None


async def _drop(transport: asyncio.Transport | None) -> None:
    if transport is None:
        raise ConnectionDropped("the sandbox dropped the connection (fault injection)")
    transport.abort()
    # Let the server see the lost connection before the app returns, so it does not try to
    # answer 500 on the dead socket.
    await asyncio.sleep(0)


async def _send_response(send: Send, decision: FaultDecision) -> None:
    headers = [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in decision.headers.items()
    ]
    headers.append((b"content-length", str(len(decision.body)).encode()))
    await send({"type": "http.response.start", "status": decision.status, "headers": headers})
    await send({"type": "http.response.body", "body": decision.body})


def _adding_headers(send: Send, extra: dict[str, str]) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            present = {k.lower() for k, _ in message.get("headers", [])}
            added = [
                (k.encode("latin-1"), v.encode("latin-1"))
                for k, v in extra.items()
                if k.encode("latin-1") not in present
            ]
            message = {**message, "headers": [*message.get("headers", []), *added]}
        await send(message)

    return wrapped
