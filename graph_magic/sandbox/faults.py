"""Seeded latency and faults in front of the sandbox's Graph routes, the way Graph misbehaves.

``FaultMiddleware`` wraps the whole sandbox app. For each Graph request (``/v1.0/...``,
``/beta/...``; never the token endpoints) it may wait (latency plus jitter), drop the connection,
answer 429 (``every_nth_429``, ``rate_429``, or the token-bucket throttle with Graph's documented
resource-unit costs) or answer 503/504 for a burst of requests. Every decision comes from one
``random.Random(seed)``, so the same options and the same request sequence give the same faults.
``batch_item_fault`` gives $batch a per-item 429. Counters say what was injected.

Retry-After comes in the form ``retry_after_form`` asks for: ``seconds`` (``Retry-After: 2``),
``fractional`` (``Retry-After: 2.128``, as in Graph's own sample), ``http-date``
(``Retry-After: Fri, 27 Nov 2026 15:40:00 GMT``) or ``ms`` (``x-ms-retry-after-ms: 2128``, no
Retry-After).
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

from graph_magic.sandbox.options import SandboxOptions

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BATCH_ITEM_SCOPE_KEY = "graph_magic.batch_item"
"""Set this key (truthy) in the scope of a $batch sub-request run through the whole app: the
middleware then leaves it alone, since $batch items get their faults from ``batch_item_fault``."""

TRANSPORT_SCOPE_KEY = "graph_magic.transport"
"""Scope key under which the served sandbox passes the connection's asyncio transport, so a
drop can close the socket however deep in the middleware stack this middleware sits."""

WRITE_UNITS_PER_WINDOW = 3000
WRITE_WINDOW_SECONDS = 150.0
RU_WINDOW_SECONDS = 10.0

_THROTTLE_MESSAGE = "Please retry again later."
_STATUS_BODIES = {
    503: (
        "serviceNotAvailable",
        "The service is not available. Try the request again after a delay.",
    ),
    504: ("gatewayTimeout", "The gateway did not receive a timely response from the service."),
}
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
class _Bucket:
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
        return 1.0 - self.level / self.capacity


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
        self._ru_buckets: dict[str, _Bucket] = {}
        self._write_buckets: dict[str, _Bucket] = {}

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
            cost = resource_units(method, path, query)
            self.counters.resource_units += cost
            if faults.throttle:
                self._throttle(decision, method, cost, headers)
            return decision

    def batch_item_fault(self) -> dict[str, Any] | None:
        """A 429 answer for one $batch sub-request (``status``, ``headers``, ``body``), or None.

        The caller adds the item's ``id``; the envelope stays 200, as on Graph.
        """
        rate = self.faults.batch_item_429_rate
        with self._lock:
            if not rate or self._rng.random() >= rate:
                return None
            self.counters.faults["batch_item_429"] += 1
            request_id = self._request_id()
            retry = _retry_after_headers(
                self.faults.retry_after_form, self.faults.retry_after, self.clock()
            )
        return {
            "status": 429,
            "headers": {**retry, "Content-Type": "application/json"},
            "body": _throttle_body(request_id, self.dates()),
        }

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
        self, decision: FaultDecision, method: str, cost: int, headers: MutableMapping[str, str]
    ) -> None:
        now = self.clock()
        app_id = _app_id(headers.get("authorization"))
        ru = self._ru_buckets.setdefault(
            app_id, _bucket(self.faults.throttle_units_per_10s, RU_WINDOW_SECONDS, now)
        )
        wait = ru.take(cost, now)
        information, kind = "ResourceUnitLimitExceeded", "Read"
        if wait is None and method.upper() != "GET":
            writes = self._write_buckets.setdefault(
                app_id, _bucket(WRITE_UNITS_PER_WINDOW, WRITE_WINDOW_SECONDS, now)
            )
            wait = writes.take(1, now)
            information, kind = "WriteLimitExceeded", "ReadWrite"
        decision.extra_headers["x-ms-resource-unit"] = str(cost)
        if wait is None:
            used = ru.used_fraction()
            if used > 0.8:
                decision.extra_headers["x-ms-throttle-limit-percentage"] = f"{used:.1f}"
            return
        self.counters.faults["throttle"] += 1
        self._throttled(decision, headers, wait)
        decision.headers["x-ms-throttle-scope"] = (
            f"Tenant_Application/{kind}/{app_id}/{_tenant_of(headers)}"
        )
        decision.headers["x-ms-throttle-information"] = information

    def _throttled(
        self, decision: FaultDecision, headers: MutableMapping[str, str], retry_after: float
    ) -> None:
        now, shown = self.clock(), self.dates()
        request_id = self._request_id()
        decision.status = 429
        decision.headers = {
            **_graph_headers(request_id, headers, shown),
            **_retry_after_headers(self.faults.retry_after_form, retry_after, now),
        }
        decision.body = _compact(_throttle_body(request_id, shown))

    def _server_error(
        self, decision: FaultDecision, status: int, headers: MutableMapping[str, str]
    ) -> None:
        now, shown = self.clock(), self.dates()
        request_id = self._request_id()
        code, message = _STATUS_BODIES[status]
        decision.status = status
        decision.headers = _graph_headers(request_id, headers, shown)
        if status == 503:
            decision.headers.update(
                _retry_after_headers(self.faults.retry_after_form, self.faults.retry_after, now)
            )
        decision.body = _compact(
            {
                "error": {
                    "code": code,
                    "message": message,
                    "innerError": {
                        "date": _iso(shown),
                        "request-id": request_id,
                        "client-request-id": headers.get("client-request-id", request_id),
                    },
                }
            }
        )

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


def batch_item_fault(state: Any) -> dict[str, Any] | None:
    """A per-item 429 for a $batch sub-request, or None; ``state`` is the app's ``state``
    (where ``FaultMiddleware`` publishes its injector as ``faults``) or the injector itself."""
    injector = state if isinstance(state, FaultInjector) else getattr(state, "faults", None)
    return injector.batch_item_fault() if isinstance(injector, FaultInjector) else None


def _retry_after_headers(form: str, seconds: float, now: float) -> dict[str, str]:
    if form == "fractional":
        return {"Retry-After": f"{seconds:.3f}"}
    if form == "http-date":
        return {"Retry-After": formatdate(math.ceil(now + seconds), usegmt=True)}
    if form == "ms":
        return {"x-ms-retry-after-ms": str(math.ceil(seconds * 1000))}
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def _throttle_body(request_id: str, now: float) -> dict[str, Any]:
    return {
        "error": {
            "code": "TooManyRequests",
            "message": _THROTTLE_MESSAGE,
            "innerError": {
                "code": "429",
                "date": _iso(now),
                "message": "Please retry after",
                "request-id": request_id,
                "status": "429",
            },
        }
    }


def _graph_headers(
    request_id: str, headers: MutableMapping[str, str], now: float
) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "Cache-Control": "no-cache",
        "request-id": request_id,
        "client-request-id": headers.get("client-request-id", request_id),
        "Date": formatdate(now, usegmt=True),
    }


def _compact(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _iso(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))


def _bucket(capacity: float, window: float, now: float) -> _Bucket:
    return _Bucket(capacity=float(capacity), window=window, level=float(capacity), updated=now)


def _token_claims(authorization: str | None) -> dict[str, Any]:
    """The (unverified) claims of a bearer token: throttling keys on the app, not on trust."""
    _, _, token = (authorization or "").partition(" ")
    parts = token.strip().split(".")
    if len(parts) != 3:
        return {}
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _app_id(authorization: str | None) -> str:
    return str(_token_claims(authorization).get("appid") or "anonymous")


def _tenant_of(headers: MutableMapping[str, str]) -> str:
    return str(_token_claims(headers.get("authorization")).get("tid") or "unknown")


def _is_graph(scope: Scope) -> bool:
    path = scope.get("path", "")
    return path.startswith(("/v1.0/", "/beta/")) or path in {"/v1.0", "/beta"}


def socket_transport(send: Send) -> Any:
    """The socket transport behind uvicorn's ``send``, or None in-process.

    uvicorn hands the app its request cycle's bound ``send``; that cycle holds the asyncio
    transport, which is the only way to close a connection without writing a response.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    return transport if callable(getattr(transport, "abort", None)) else None


async def _drop(transport: Any) -> None:
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
