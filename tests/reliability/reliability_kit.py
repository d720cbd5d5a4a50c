"""Shared machinery of the reliability suite and its report: sandboxes, probes and figures.

The tests in this directory and ``scripts/reliability_report.py`` run the same scenario
functions (``reliability_faults``, ``reliability_security``, ``reliability_fuzz``); the tests at
CI size, asserting on every figure, the script at a larger size, printing the figures table for
the README. This module holds what they share: fresh sandbox tenants in-process or served on
loopback, probes (a recording sleep, OpenTelemetry metrics read back, request recorders,
an in-flight counter), and the :class:`Figures` / :class:`Outcome` every scenario returns.

Nothing here sleeps on a Retry-After: the connector's ``sleep`` is a recorder.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from graph_magic.connector import telemetry
from graph_magic.connector.auth import make_token_provider
from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import SystemConfig, load_system
from graph_magic.connector.pacing import Pacer
from graph_magic.sandbox import (
    FaultMiddleware,
    FaultOptions,
    SandboxOptions,
    asgi_transport,
    msal_http_client,
)
from tests.support.cassettes import SANDBOX_SECRETS  # noqa: F401 (the families' secrets too)
from tests.support.fakes import RecordingSleep
from tests.support.graph import GRAPH
from tests.support.served import ServedSandbox

DELTA_PAGE = 100  # the sandbox's /users/delta page size, as Graph's
RETRY_AFTER_FORMS = ("seconds", "fractional", "http-date", "ms")

# Small tenants: only users matter to these scenarios.
_SMALL = {"groups": 3, "devices": 3, "sign_ins": 3, "directory_audits": 3}
_KEYS = itertools.count()


# --------------------------------------------------------------------------- probes


class Metrics:
    """graph-magic's OpenTelemetry instruments read back through an in-memory SDK reader."""

    def __init__(self) -> None:
        self.reader = InMemoryMetricReader()
        self.provider = MeterProvider(metric_readers=[self.reader])

    def __enter__(self) -> Metrics:
        telemetry.use_providers(meter_provider=self.provider)
        return self

    def __exit__(self, *exc: object) -> None:
        telemetry.use_providers()
        self.provider.shutdown()

    def points(self, name: str) -> list[Any]:
        """Every data point of the metric ``name`` (empty when it was never recorded)."""
        data = self.reader.get_metrics_data()
        found: list[Any] = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found.extend(metric.data.data_points)
        return found

    def total(self, name: str, **attrs: Any) -> float:
        """Sum of a counter (or of a histogram's recorded values) over matching attributes."""
        value = 0.0
        for point in self.points(name):
            if all(point.attributes.get(k) == v for k, v in attrs.items()):
                value += point.sum if hasattr(point, "bucket_counts") else point.value
        return value

    def count(self, name: str, **attrs: Any) -> int:
        """How many values a histogram recorded over matching attributes."""
        return sum(
            point.count
            for point in self.points(name)
            if all(point.attributes.get(k) == v for k, v in attrs.items())
        )

    def minimum(self, name: str, **attrs: Any) -> float | None:
        """Smallest value a histogram recorded over matching attributes."""
        values = [
            point.min
            for point in self.points(name)
            if point.count and all(point.attributes.get(k) == v for k, v in attrs.items())
        ]
        return min(values) if values else None


class Recorder:
    """ASGI wrapper that notes every request: host, path, and whether it carried a token.

    ``seen`` holds (method, Host header, path, has Authorization); ``retry_attempts`` each
    request's ``Retry-Attempt`` header (None on a first attempt).
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[tuple[str, str, str, bool]] = []
        self.retry_attempts: list[str | None] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            self.seen.append(
                (
                    scope["method"],
                    headers.get("host", ""),
                    scope["path"],
                    "authorization" in headers,
                )
            )
            self.retry_attempts.append(headers.get("retry-attempt"))
        await self.app(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        if name == "app":
            raise AttributeError(name)
        return getattr(self.app, name)


class InFlight(httpx.AsyncBaseTransport):
    """Transport wrapper that measures how many requests are in flight at once."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.now = 0
        self.peak = 0
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.sent += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(0)  # let every waiting caller try to get in
            response = await self.inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.now -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


# --------------------------------------------------------------------------- sandboxes


def options(
    users: int = 250, *, seed: int = 42, lifetime: int = 3600, **faults: Any
) -> SandboxOptions:
    """Sandbox options for a tenant of ``users`` users and the given fault settings."""
    return SandboxOptions(
        seed=seed,
        users=users,
        token_lifetime_seconds=lifetime,
        faults=FaultOptions(**faults),
        **_SMALL,
    )


def app_token(app: Any, client_id: str = "sandbox-app") -> str:
    """A Graph token from the sandbox's own token service (no msal round trip)."""
    return app.state.tokens.issue_app_token(client_id)[0]


def bearer_system(token: str, base_url: str = GRAPH, **overrides: Any) -> SystemConfig:
    """A bearer system with its own rate-limit key (so no test shares a semaphore).

    It names Graph's host but talks to a sandbox that injects its own faults rather than
    Graph's limits, so it does not pace by Graph's table (unless a test asks, ``limits=``).
    """
    data: dict[str, Any] = {
        "base_url": base_url,
        "auth_type": "bearer",
        "token": token,
        "rate_limit_key": f"reliability-{next(_KEYS)}",
        "retry": {"max_attempts": 10},
        "limits": {"pacing": False},
    }
    data.update(overrides)
    return load_system(data, environ={})


def azure_system(**overrides: Any) -> SystemConfig:
    """The sandbox app over msal client credentials, its cache in memory (no file).

    Pass the connector a transport and the provider an http client for a given tenant (as
    :func:`in_process` does); the system itself names no tenant.
    """
    data: dict[str, Any] = {
        "auth_type": "azure",
        "credentials": {
            "client_id": "sandbox-app",
            "client_secret": "sandbox-secret",
            "tenant_id": "contoso.onmicrosoft.com",
        },
        "transport": "sandbox",
        "token_cache": False,
        "rate_limit_key": f"reliability-{next(_KEYS)}",
        "retry": {"max_attempts": 10},
    }
    data.update(overrides)
    return load_system(data, environ={})


def in_process(
    app: Any,
    system: SystemConfig,
    sleep: RecordingSleep,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    token_provider: Any = None,
    pacer: Pacer | None = None,
) -> GraphConnector:
    """A connector whose Graph calls (and msal's, for azure systems) go to ``app``.

    ``transport`` replaces the plain in-process transport (probes wrap it); ``pacer`` the
    process's (one on the test's clock).
    """
    if token_provider is None and system.auth_type == "azure":
        token_provider = make_token_provider(system, http_client=msal_http_client(None, app=app))
    return GraphConnector(
        system,
        sleep=sleep,
        token_provider=token_provider,
        transport=transport or asgi_transport(None, app=app),
        pacer=pacer,
    )


class Served(ServedSandbox):
    """A sandbox app served by uvicorn on 127.0.0.1:<free port>, in a thread."""

    def __init__(self, app: Any) -> None:
        super().__init__(app=app)
        self.app = app


@contextmanager
def served(app: Any) -> Iterator[Served]:
    """Serve ``app`` for the duration of the block."""
    with Served(app) as server:
        yield server


def injector(app: Any) -> Any:
    """The fault injector of a sandbox app (possibly wrapped by a Recorder)."""
    while not isinstance(app, FaultMiddleware):
        app = app.app
    return app.injector


def new_user(nick: str) -> dict[str, Any]:
    """A valid POST /users body for the user ``nick``@contoso.com."""
    return {
        "accountEnabled": True,
        "displayName": f"Reliability {nick}",
        "mailNickname": nick,
        "userPrincipalName": f"{nick}@contoso.com",
        "passwordProfile": {"forceChangePasswordNextSignIn": True, "password": "P@ss-w0rd!x7"},
    }


# --------------------------------------------------------------------------- figures


@dataclass
class Figures:
    """One row of the reliability table."""

    scenario: str
    requests: int = 0
    faults: int = 0
    retries: int = 0
    expected: int = 0
    received: int = 0
    duplicates: int = 0
    leaks: int = 0
    ok: bool = True
    note: str = ""


@dataclass
class Outcome:
    """A scenario's figures and the raw material the tests assert on."""

    figures: Figures
    items: list[Any] = field(default_factory=list)
    expected_items: list[Any] = field(default_factory=list)
    data: Any = None
    error: BaseException | None = None
    waits: list[float] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


def duplicates(values: Sequence[Any]) -> int:
    """How many values occur more than once (counting each extra occurrence)."""
    return len(values) - len(set(values))


def fault_total(app: Any) -> int:
    """Faults injected by the sandbox so far (every kind)."""
    return sum(injector(app).counters.faults.values())


# --------------------------------------------------------------------------- leaks


def count_leaks(texts: Sequence[str], secrets: Sequence[str]) -> dict[str, int]:
    """How often each secret (any non-trivial one) appears in any of ``texts``."""
    found: dict[str, int] = {}
    for secret in {s for s in secrets if s and len(s) >= 6}:
        hits = sum(text.count(secret) for text in texts)
        if hits:
            found[secret[:12] + "..."] = hits
    return found


class TokenRecorder:
    """Wraps a token provider and remembers every token it handed out (to scan for later)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.tokens: list[str] = []

    async def get_token(self, *, force_refresh: bool = False) -> str:
        token = await self.inner.get_token(force_refresh=force_refresh)
        self.tokens.append(token)
        return token

    def describe(self) -> dict[str, Any]:
        return self.inner.describe()

    async def logout(self) -> None:
        await self.inner.logout()


def table(rows: Sequence[Figures]) -> str:
    """The figures as a Markdown table, for the README's reliability section."""
    head = (
        "| scenario | requests | faults injected | retries | items expected | items received "
        "| duplicates | leaks | result |\n|---|---:|---:|---:|---:|---:|---:|---:|---|"
    )
    lines = [head]
    for f in rows:
        lines.append(
            f"| {f.scenario} | {f.requests} | {f.faults} | {f.retries} | {f.expected} | "
            f"{f.received} | {f.duplicates} | {f.leaks} | "
            f"{'ok' if f.ok else 'FAILED'}{': ' + f.note if f.note else ''} |"
        )
    return "\n".join(lines)


def as_json(rows: Sequence[Figures]) -> list[Mapping[str, Any]]:
    """The figures as plain dicts (for a JSON copy of the report)."""
    return [dict(vars(f)) for f in rows]
