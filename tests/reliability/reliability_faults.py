"""Fault scenarios: what graph-magic keeps and never repeats when Graph misbehaves.

Each scenario builds a fresh sandbox tenant (so its fault counters hold only its own requests),
drives the real connector against it and returns an :class:`~reliability_kit.Outcome`: paging
under 429/503/504 and dropped connections, tokens expiring mid-scan, a large $batch with item
429s, exhausted retry budgets, writes whose answers are lost, and concurrent load.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Sequence
from typing import Any

import httpx

from graph_magic.connector.auth import make_token_provider
from graph_magic.connector.client import GraphConnector
from graph_magic.errors import GraphAPIError, GraphTransportError
from graph_magic.sandbox import FaultOptions, asgi_transport, create_app, msal_http_client
from tests.reliability.reliability_kit import (
    DELTA_PAGE,
    Figures,
    InFlight,
    Metrics,
    Outcome,
    Recorder,
    app_token,
    azure_system,
    bearer_system,
    duplicates,
    fault_total,
    in_process,
    injector,
    new_user,
    options,
    served,
)
from tests.support.fakes import Clock, ClockSleep, RecordingSleep

_RUNS = itertools.count()

# --------------------------------------------------------------------------- scenarios


def paging_faults(form: str = "seconds", *, drops: float = 0.0) -> dict[str, Any]:
    """About 30% of requests faulted: 429 in ``form``, 503/504, and optionally drops."""
    rates: dict[str, Any] = {
        "rate_429": 0.18,
        "rate_503": 0.09,
        "rate_504": 0.08,
        "retry_after": 2.0,
        "retry_after_form": form,
    }
    if drops:
        rates.update(rate_429=0.14, rate_503=0.06, rate_504=0.06, drop_rate=drops)
    return rates


async def delta_scan(
    pages: int, *, form: str = "seconds", served_mode: bool = False, drops: float = 0.0
) -> Outcome:
    """A full /users/delta round of ``pages`` pages under faults: every user once, in order."""
    opts = options(users=pages * DELTA_PAGE, **paging_faults(form, drops=drops))
    app = create_app(opts)
    expected = [u["id"] for u in app.state.tenant.users]
    sleep = RecordingSleep()
    label = f"delta paging, {'served' if served_mode else 'in-process'}, 429 {form}"
    if drops:
        label += f" + {drops:.0%} drops"
    recorder = Recorder(app)
    with Metrics() as metrics:
        if served_mode:
            with served(recorder) as server:
                system = bearer_system(app_token(app), server.url())
                async with GraphConnector(system, sleep=sleep) as conn:
                    out, followed = await _delta_and_follow(conn)
        else:
            system = bearer_system(app_token(app))
            async with in_process(recorder, system, sleep) as conn:
                out, followed = await _delta_and_follow(conn)
        retries = int(metrics.total("azure.request.retry.attempts"))
        extra = {
            "http_429_metric": int(metrics.total("azure.http_429")),
            "retry_delay_sum": metrics.total("azure.request.retry.delay"),
            "retry_delay_count": metrics.count("azure.request.retry.delay"),
            "min_429_delay": metrics.minimum(
                "azure.request.retry.delay", **{"http.response.status_code": 429}
            ),
            "counters": injector(app).counters.as_dict(),
            "pages": out["response"]["pages"],
            "followed": followed,
            "resent": sum(1 for header in recorder.retry_attempts if header),
        }
    data = out["response"]["data"]
    ids = [u["id"] for u in data["value"]]
    figures = Figures(
        label,
        requests=injector(app).counters.requests,
        faults=fault_total(app),
        retries=retries,
        expected=len(expected),
        received=len(ids),
        duplicates=duplicates(ids),
        ok=ids == expected and bool(data.get("@odata.deltaLink")),
        note=f"{extra['pages']} pages, deltaLink "
        + ("kept" if data.get("@odata.deltaLink") else "LOST"),
    )
    return Outcome(figures, ids, expected, data, waits=sleep.waits, extra=extra)


async def _delta_and_follow(conn: GraphConnector) -> tuple[dict[str, Any], dict[str, Any]]:
    out = await conn.perform_action(
        "user",
        "delta",
        None,
        {"method": "GET", "endpoint": "/users/delta", "params": {"$select": "id,displayName"}},
    )
    # The deltaLink must be usable: following it right away reports no changes.
    link = out["response"]["data"]["@odata.deltaLink"]
    followed = await conn.perform_action("user", "delta", None, {"method": "GET", "endpoint": link})
    return out, followed["response"]["data"]


async def throttled_scan(pages: int, *, units_per_10s: int = 10) -> Outcome:
    """A /users scan against Graph's token-bucket throttle, on a clock the waits move.

    Each page costs 2 resource units; the bucket holds ``units_per_10s`` and refills at a
    tenth of that per second. A client that honours Retry-After is throttled only while the
    bucket is empty, so its total wait is the unit deficit over the refill rate, rounded up
    by Retry-After's whole seconds; one that ignores it stays throttled (the bucket keeps
    charging) and runs out of retries.
    """
    top = 20
    app = create_app(
        options(users=pages * top, throttle=True, throttle_units_per_10s=units_per_10s)
    )
    clock = Clock()
    injector(app).clock = clock
    sleep = ClockSleep(clock)
    expected = [u["id"] for u in app.state.tenant.users]
    with Metrics() as metrics:
        async with in_process(app, bearer_system(app_token(app)), sleep) as conn:
            out = await conn.perform_action(
                "user",
                "list",
                None,
                {"method": "GET", "endpoint": "/users", "params": {"$top": top}},
            )
        retries = int(metrics.total("azure.request.retry.attempts"))
        attempts = [
            p.attributes["retry.attempt"] for p in metrics.points("azure.request.retry.attempts")
        ]
    ids = [u["id"] for u in out["response"]["data"]["value"]]
    counters = injector(app).counters
    rate = units_per_10s / 10.0
    deficit = max(0.0, 2 * pages - units_per_10s)
    figures = Figures(
        f"token-bucket throttle, {units_per_10s} units per 10 s",
        requests=counters.requests,
        faults=counters.faults["throttle"],
        retries=retries,
        expected=len(expected),
        received=len(ids),
        duplicates=duplicates(ids),
        ok=ids == expected,
        note=f"waited {sum(sleep.waits):.0f} s; the bucket needed at least {deficit / rate:.0f} s",
    )
    return Outcome(
        figures,
        ids,
        expected,
        waits=sleep.waits,
        extra={"minimum_wait": deficit / rate, "highest_attempt": max(attempts, default=1)},
    )


async def token_expiry_scan(
    pages: int, *, lifetime: int = 600, step: float = 60.0, client_clock_stopped: bool = False
) -> Outcome:
    """A /users scan of ``pages`` pages while the clock runs ``step`` seconds per request.

    Tokens live ``lifetime`` seconds, so several expire during the scan. Normally both sides
    share one settable clock, as a real client and Graph share real time, and the client
    refreshes ahead of expiry; with ``client_clock_stopped`` the client's clock stands still
    (a suspended laptop, a skewed clock), so only Graph's 401 tells it the token expired.
    """
    top = 10
    opts = options(users=pages * top, lifetime=lifetime)
    app = create_app(opts)
    clock = Clock()
    app.state.tokens.clock = clock
    token_calls = Recorder(app)
    system = azure_system()
    sleep = RecordingSleep()
    ticking = _Ticking(asgi_transport(None, app=app), clock, step)
    provider = make_token_provider(
        system,
        clock=Clock() if client_clock_stopped else clock,
        http_client=msal_http_client(None, app=token_calls),
    )
    expected = [u["id"] for u in app.state.tenant.users]
    with Metrics() as metrics:
        async with in_process(
            app, system, sleep, transport=ticking, token_provider=provider
        ) as conn:
            out = await conn.perform_action(
                "user",
                "list",
                None,
                {"method": "GET", "endpoint": "/users", "params": {"$top": top, "$select": "id"}},
            )
        retries = int(metrics.total("azure.request.retry.attempts"))
    ids = [u["id"] for u in out["response"]["data"]["value"]]
    issued = sum(1 for _, _, path, _ in token_calls.seen if path.endswith("/oauth2/v2.0/token"))
    statuses = ticking.statuses
    label = f"token lifetime {lifetime}s, clock +{step:.0f}s per request"
    if client_clock_stopped:
        label += " (client clock stopped)"
    figures = Figures(
        label,
        requests=len(statuses),
        faults=statuses.count(401),
        retries=retries,
        expected=len(expected),
        received=len(ids),
        duplicates=duplicates(ids),
        ok=ids == expected,
        note=f"{issued} tokens issued, {statuses.count(401)} answered 401",
    )
    return Outcome(figures, ids, expected, extra={"issued": issued, "statuses": statuses})


class _Ticking(httpx.AsyncBaseTransport):
    """Advances the shared clock by ``step`` before each Graph request; notes each status."""

    def __init__(self, inner: httpx.AsyncBaseTransport, clock: Clock, step: float) -> None:
        self.inner = inner
        self.clock = clock
        self.step = step
        self.statuses: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.clock.now += self.step
        response = await self.inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def batch_with_throttling(
    size: int, *, rate: float = 0.3, writes: int = 20, chains: int = 10
) -> Outcome:
    """``size`` $batch requests (reads, ``writes`` creations, ``chains`` dependsOn pairs, and
    dependents of a request that really fails) with ``rate`` of the items answered 429."""
    opts = options(users=max(size, 50), batch_item_429_rate=rate, retry_after=1.0)
    app = create_app(opts)
    users = [u["id"] for u in app.state.tenant.users]
    before = len(users)
    requests: list[dict[str, Any]] = []
    expect: dict[str, int] = {}
    run = f"r{next(_RUNS)}"
    # dependsOn chains whose first request is throttled must end with real results too
    for n in range(chains):
        requests.append({"id": f"c{n}a", "method": "GET", "url": f"/users/{users[n]}"})
        requests.append(
            {
                "id": f"c{n}b",
                "method": "GET",
                "url": f"/users/{users[n + 1]}",
                "dependsOn": [f"c{n}a"],
            }
        )
        expect[f"c{n}a"] = expect[f"c{n}b"] = 200
    # a request that truly fails, and its dependents: those must end as 424
    requests.append({"id": "missing", "method": "GET", "url": "/users/no-such-user@contoso.com"})
    expect["missing"] = 404
    for n in range(3):
        requests.append(
            {
                "id": f"dep{n}",
                "method": "GET",
                "url": f"/users/{users[n]}",
                "dependsOn": ["missing"],
            }
        )
        expect[f"dep{n}"] = 424
    for n in range(writes):
        requests.append(
            {
                "id": f"w{n}",
                "method": "POST",
                "url": "/users",
                "body": new_user(f"{run}-{n}"),
            }
        )
        expect[f"w{n}"] = 201
    n = 0
    while len(requests) < size:
        requests.append({"id": f"g{n}", "method": "GET", "url": f"/users/{users[n % before]}"})
        expect[f"g{n}"] = 200
        n += 1
    system = bearer_system(app_token(app))
    sleep = RecordingSleep()
    with Metrics() as metrics:
        async with in_process(app, system, sleep) as conn:
            out = await conn.perform_batch(requests, continue_on_error=True)
        retries = int(metrics.total("azure.request.retry.attempts"))
        item_429 = int(metrics.total("azure.http_429", **{"graph.batch_item": True}))
    data = out["response"]["data"]
    got = {entry["id"]: entry["status"] for entry in data}
    created = [u["userPrincipalName"] for u in app.state.tenant.users[before:]]
    wrong = {k: (v, got.get(k)) for k, v in expect.items() if got.get(k) != v}
    figures = Figures(
        f"$batch of {len(requests)} with {rate:.0%} item 429s",
        requests=injector(app).counters.requests,
        faults=fault_total(app),
        retries=retries,
        expected=len(requests),
        received=sum(1 for k, v in expect.items() if got.get(k) == v),
        duplicates=duplicates(created) + max(0, len(created) - writes),
        ok=not wrong and [e["id"] for e in data] == [r["id"] for r in requests],
        note=f"{writes} creations, {sum(1 for v in got.values() if v == 424)} dependents 424",
    )
    return Outcome(
        figures,
        items=data,
        expected_items=requests,
        data=out,
        waits=sleep.waits,
        extra={"wrong": wrong, "created": created, "item_429_metric": item_429},
    )


async def batch_envelope_lost(writes: int, *, rate: float = 0.4) -> Outcome:
    """``writes`` creations by $batch; ``rate`` of them throttled, then the retry round's
    envelope is answered 503 (not resent: it carries POSTs). Every answer received before
    must still reach the caller, on the error's ``partial``, so no creation goes unreported."""
    app = create_app(options(users=30, batch_item_429_rate=rate))
    before = len(app.state.tenant.users)
    run = f"env{next(_RUNS)}"
    requests = [
        {"id": f"w{n}", "method": "POST", "url": "/users", "body": new_user(f"{run}-{n}")}
        for n in range(writes)
    ]
    first_round = -(-writes // 20)  # envelopes of 20
    probe = FailAfter(
        asgi_transport(None, app=app), injector(app), first_round, FaultOptions(rate_503=1.0)
    )
    answers: list[dict[str, Any]] | None = None
    error: BaseException | None = None
    async with in_process(
        app, bearer_system(app_token(app)), RecordingSleep(), transport=probe
    ) as conn:
        try:
            out = await conn.perform_batch(requests, continue_on_error=True)
            answers = out["response"]["data"]
        except (GraphAPIError, GraphTransportError) as exc:
            error, answers = exc, exc.partial
    created = [u["userPrincipalName"] for u in app.state.tenant.users[before:]]
    reported = sum(1 for a in answers or () if a["status"] == 201)
    figures = Figures(
        f"$batch of {writes} creations, retry envelope answered 503",
        requests=injector(app).counters.requests,
        faults=fault_total(app),
        expected=len(created),
        received=reported,
        duplicates=duplicates(created),
        ok=answers is not None and reported == len(created) and 0 < len(created) < writes,
        note=f"{len(created)} created before the envelope failed, {reported} reported on the error",
    )
    return Outcome(figures, created, data=answers, error=error)


async def exhausted_budget(pages_before: int, *, kind: str = "attempts", top: int = 10) -> Outcome:
    """A /users scan whose Graph starts failing for good after ``pages_before`` pages.

    ``kind``: ``attempts`` (503 every time, max_attempts 4), ``seconds`` (429 asking 100 s,
    max_total_seconds 150) or ``drops`` (the connection dropped every time).
    """
    opts = options(users=(pages_before + 5) * top)
    app = create_app(opts)
    switch = {
        "attempts": FaultOptions(rate_503=1.0),
        "seconds": FaultOptions(every_nth_429=1, retry_after=100.0),
        "drops": FaultOptions(drop_rate=1.0),
    }[kind]
    retry = {"max_attempts": 4}
    if kind == "seconds":
        retry = {"max_attempts": 10, "max_total_seconds": 150}
    system = bearer_system(app_token(app), retry=retry)
    sleep = RecordingSleep()
    flipping = FailAfter(asgi_transport(None, app=app), injector(app), pages_before, switch)
    expected = [u["id"] for u in app.state.tenant.users][: pages_before * top]
    error: BaseException | None = None
    with Metrics() as metrics:
        async with in_process(app, system, sleep, transport=flipping) as conn:
            try:
                await conn.perform_action(
                    "user",
                    "list",
                    None,
                    {
                        "method": "GET",
                        "endpoint": "/users",
                        "params": {"$top": top, "$select": "id"},
                    },
                )
            except (GraphAPIError, GraphTransportError) as exc:
                error = exc
        retries = int(metrics.total("azure.request.retry.attempts"))
    partial = list(getattr(error, "partial", None) or [])
    ids = [u["id"] for u in partial]
    attempts = getattr(error, "attempts", 0)
    stop = getattr(error, "retry_stop", None)
    figures = Figures(
        f"retry budget exhausted ({kind})",
        requests=injector(app).counters.requests,
        faults=fault_total(app),
        retries=retries,
        expected=len(expected),
        received=len(ids),
        duplicates=duplicates(ids),
        ok=error is not None and ids == expected and stop is not None,
        note=(
            f"error after {attempts} attempts: {type(error).__name__ if error else 'none'}, "
            f"stopped by {stop.reason if stop else 'nothing'}"
        ),
    )
    return Outcome(figures, ids, expected, error=error, waits=sleep.waits)


class FailAfter(httpx.AsyncBaseTransport):
    """Switches the sandbox's faults to ``faults`` after ``count`` successful Graph requests."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, injector: Any, count: int, faults: FaultOptions
    ) -> None:
        self.inner = inner
        self.injector = injector
        self.count = count
        self.faults = faults
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.sent == self.count:
            self.injector.faults = self.faults
        self.sent += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class ActThenFail:
    """ASGI wrapper: lets each write reach the tenant, then answers 500/502/503/504 in turn.

    A gateway that lost the answer after Graph acted: resending would act twice. Reads pass
    through untouched; ``writes`` counts the writes that reached the tenant.
    """

    def __init__(self, app: Any, statuses: Sequence[int] = (500, 502, 503, 504)) -> None:
        self.app = app
        self.statuses = itertools.cycle(statuses)
        self.writes = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PATCH"):
            await self.app(scope, receive, send)
            return
        self.writes += 1

        async def swallow(message: Any) -> None:
            return None

        await self.app(scope, receive, swallow)
        status = next(self.statuses)
        body = json.dumps(
            {"error": {"code": "UnknownError", "message": "The gateway lost the answer."}}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json"), (b"retry-after", b"1")],
            }
        )
        await send({"type": "http.response.body", "body": body})


class TimeoutAfter(httpx.AsyncBaseTransport):
    """Transport wrapper: each write reaches the sandbox, then the client sees a read timeout.

    ``writes`` counts the writes that reached the tenant.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.writes = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if request.method in ("POST", "PATCH"):
            self.writes += 1
            raise httpx.ReadTimeout("timed out waiting for the answer", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def no_double_writes(creations: int, *, mode: str = "5xx") -> Outcome:
    """``creations`` POSTs and as many PATCHes whose answers are lost after they took effect."""
    opts = options(users=20)
    base_app = create_app(opts)
    before = len(base_app.state.tenant.users)
    token = app_token(base_app)
    lossy: ActThenFail | TimeoutAfter
    if mode == "5xx":
        lossy = ActThenFail(base_app)
        transport: httpx.AsyncBaseTransport = asgi_transport(None, app=lossy)
    else:
        lossy = transport = TimeoutAfter(asgi_transport(None, app=base_app))
    system = bearer_system(token)
    sleep = RecordingSleep()
    run = f"nd{next(_RUNS)}"
    failures = 0
    with Metrics() as metrics:
        async with in_process(base_app, system, sleep, transport=transport) as conn:
            for n in range(creations):
                try:
                    await conn.perform_action(
                        "user",
                        "create",
                        None,
                        {"method": "POST", "endpoint": "/users", "body": new_user(f"{run}-{n}")},
                    )
                except (GraphAPIError, GraphTransportError):
                    failures += 1
            target = base_app.state.tenant.users[0]["id"]
            for n in range(creations):
                try:
                    await conn.perform_action(
                        "user",
                        "update",
                        None,
                        {
                            "method": "PATCH",
                            "endpoint": f"/users/{target}",
                            "body": {"jobTitle": f"title {n}"},
                        },
                    )
                except (GraphAPIError, GraphTransportError):
                    failures += 1
        retries = int(metrics.total("azure.request.retry.attempts"))
    created = [u["userPrincipalName"] for u in base_app.state.tenant.users[before:]]
    sent_writes = lossy.writes
    figures = Figures(
        f"POST/PATCH answered {'5xx' if mode == '5xx' else 'read timeout'} after acting",
        requests=sent_writes,
        faults=failures,
        retries=retries,
        expected=creations,
        received=len(created),
        duplicates=duplicates(created) + (sent_writes - 2 * creations),
        ok=len(created) == creations and sent_writes == 2 * creations,
        note=f"{sent_writes} writes reached the tenant for {2 * creations} asked",
    )
    return Outcome(figures, created, extra={"sent_writes": sent_writes, "failures": failures})


async def concurrent_load(calls: int, *, bound: int = 4, faulty: bool = False) -> Outcome:
    """``calls`` concurrent perform_action through one connector bounded at ``bound``.

    ``faulty`` adds the paging scenarios' ~30% of 429/503/504: retries wait outside the
    bound (the recording sleep yields), so the others go on meanwhile.
    """
    opts = options(users=max(calls, 20), **(paging_faults() if faulty else {}))
    app = create_app(opts)
    users = [u["id"] for u in app.state.tenant.users]
    probe = InFlight(asgi_transport(None, app=app))
    system = bearer_system(app_token(app), max_concurrent_requests=bound)
    sleep = RecordingSleep()
    targets = [users[n % len(users)] for n in range(calls)]
    with Metrics() as metrics:
        async with in_process(app, system, sleep, transport=probe) as conn:
            results = await asyncio.gather(
                *(
                    conn.perform_action(
                        "user", "get", None, {"method": "GET", "endpoint": f"/users/{uid}"}
                    )
                    for uid in targets
                )
            )
        waits = metrics.count("azure.semaphore.wait.duration")
        retries = int(metrics.total("azure.request.retry.attempts"))
    got = [r["response"]["data"]["id"] for r in results]
    label = f"{calls} concurrent calls, max_concurrent_requests {bound}"
    figures = Figures(
        label + (", ~30% faults" if faulty else ""),
        requests=probe.sent,
        faults=fault_total(app),
        retries=retries,
        expected=calls,
        received=sum(1 for a, b in zip(got, targets, strict=True) if a == b),
        ok=got == targets and probe.peak <= bound,
        note=f"peak in flight {probe.peak}",
    )
    return Outcome(figures, got, targets, extra={"peak": probe.peak, "semaphore_waits": waits})
