"""The hostile-family machinery shared by ``test_rel_hostile_*`` and the reliability report.

Each family (malformed pages, redirects, secrets, YAML, size caps, deadlines, $batch envelopes,
config errors, cell headers, CSV formulas, token refresh) is a list of :class:`Case`: a hostile
server or input, driven through the public API (``GraphConnector``, ``load_system``, the
``%%graph`` magic), and what the user must get. :func:`run_case` runs one and reports what
happened as a :class:`CaseResult`; the tests assert each case, the report sums a family into
a :class:`FamilyFigures` row.

A hostile Graph is an ``httpx.MockTransport`` handler (an in-process server: every request it
receives is counted, so "nothing sent" is a number). Nothing here sleeps for real beyond a
fraction of a second (the drip servers), and no Retry-After is slept.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import SystemConfig, load_system
from graph_magic.errors import GraphMagicError
from tests.support.fakes import FakeTokenProvider, RecordingSleep
from tests.support.graph import GRAPH

TOKEN = "token-1"  # what FakeTokenProvider hands out first
_KEYS = itertools.count()

Handler = Callable[[httpx.Request], Any]


@dataclass
class Expect:
    """What the user must get: an error of ``error`` (None: an answer) whose message holds
    ``says``, ``kept`` items (on ``.partial`` or in the answer), ``sent`` requests on the wire."""

    error: type[BaseException] | None
    says: str = ""
    kept: int | None = None
    sent: int | None = None


@dataclass
class CaseResult:
    """What one case did: outcome, items kept (and how many it must keep, where it says),
    requests that reached the hostile server, time taken."""

    name: str
    problems: list[str] = field(default_factory=list)
    error: BaseException | None = None
    kept: int = 0
    to_keep: int | None = None
    sent: int = 0
    seconds: float = 0.0
    wire: list[httpx.Request] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The case behaved as the README promises."""
        return not self.problems


@dataclass
class Case:
    """One hostile input and what it must get; ``run`` drives it and fills a CaseResult."""

    name: str
    run: Callable[[CaseResult], Awaitable[None]]


@dataclass
class FamilyFigures:
    """One row of the hostile-families table."""

    family: str
    cases: int = 0
    as_promised: int = 0
    kept: int = 0
    to_keep: int = 0
    sent: int = 0
    seconds: float = 0.0
    failed: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def ok(self) -> bool:
        """Every case of the family behaved as promised."""
        return self.as_promised == self.cases


def check(result: CaseResult, expect: Expect, outcome: Any) -> None:
    """Compare an outcome (an exception or an answer) with ``expect``; note each difference."""
    error = outcome if isinstance(outcome, BaseException) else None
    result.error = error
    if expect.kept is not None:
        result.to_keep = expect.kept
    if expect.error is None and error is not None:
        result.problems.append(f"expected an answer, got {type(error).__name__}: {error}")
    elif expect.error is not None and not isinstance(error, expect.error):
        got = f"{type(error).__name__}: {error}" if error else "an answer"
        result.problems.append(f"expected {expect.error.__name__}, got {got}")
    if error is not None and not isinstance(error, GraphMagicError):
        result.problems.append(f"a raw {type(error).__name__} escaped")
    if expect.says and expect.says not in str(error or ""):
        result.problems.append(f"the message does not say {expect.says!r}: {error}")
    if expect.kept is not None and result.kept != expect.kept:
        result.problems.append(f"kept {result.kept} items, expected {expect.kept}")
    if expect.sent is not None and result.sent != expect.sent:
        result.problems.append(f"sent {result.sent} requests, expected {expect.sent}")


def items_of(outcome: Any) -> list[Any]:
    """The items the user holds after a scan: the answer's ``value`` or the error's partial."""
    if isinstance(outcome, BaseException):
        partial = getattr(outcome, "partial", None)
        if isinstance(partial, dict):
            partial = partial.get("value", partial.get("responses"))
        return list(partial or [])
    data = outcome["response"]["data"] if isinstance(outcome, dict) else outcome
    if isinstance(data, dict):
        return list(data.get("value") or [])
    return list(data or [])


def system(**overrides: Any) -> SystemConfig:
    """A bearer system on graph.microsoft.com, its own rate-limit key, retries bounded."""
    data: dict[str, Any] = {
        "base_url": GRAPH,
        "auth_type": "bearer",
        "token": TOKEN,
        "rate_limit_key": f"hostile-{next(_KEYS)}",
        "retry": {"max_attempts": 2},
    }
    data.update(overrides)
    return load_system(data, environ={})


class Wire:
    """A hostile Graph: a handler behind a MockTransport that counts what reached it."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.own_provider = False  # True: the system's own token provider, not the fake

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        answer = self.handler(request)
        if isinstance(answer, Awaitable):
            answer = await answer
        return answer

    def connector(self, **overrides: Any) -> GraphConnector:
        """A connector whose every request (and redirect hop) reaches this server."""
        return GraphConnector(
            system(**overrides),
            sleep=RecordingSleep(),
            token_provider=None if self.own_provider else FakeTokenProvider(),
            transport=httpx.MockTransport(self),
        )


async def drive(
    result: CaseResult, wire: Wire, call: Callable[[GraphConnector], Awaitable[Any]], **sys: Any
) -> Any:
    """Run ``call`` on a connector to ``wire``; fill items kept, requests sent, time taken."""
    started = time.perf_counter()
    async with wire.connector(**sys) as conn:
        try:
            outcome: Any = await call(conn)
        except Exception as exc:  # the case checks what escaped, raw or not
            outcome = exc
    result.seconds += time.perf_counter() - started
    result.sent += len(wire.requests)
    result.wire += wire.requests
    result.kept += len(items_of(outcome))
    return outcome


async def run_case(case: Case) -> CaseResult:
    """Run one case; a crash of the case itself is a problem, not an exception."""
    result = CaseResult(case.name)
    started = time.perf_counter()
    try:
        await case.run(result)
    except Exception as exc:
        result.problems.append(f"the case crashed: {type(exc).__name__}: {exc}")
    result.seconds = max(result.seconds, time.perf_counter() - started)
    return result


async def run_family(family: str, cases: Sequence[Case], note: str = "") -> FamilyFigures:
    """Run every case of a family and sum the figures."""
    figures = FamilyFigures(family, note=note)
    for case in cases:
        result = await run_case(case)
        figures.cases += 1
        figures.as_promised += result.ok
        if result.to_keep is not None:  # only where the case says what must be kept
            figures.kept += result.kept
            figures.to_keep += result.to_keep
        figures.sent += result.sent
        figures.seconds += result.seconds
        if not result.ok:
            figures.failed.append(f"{case.name}: {'; '.join(result.problems)}")
    return figures


def family_table(rows: Sequence[FamilyFigures]) -> str:
    """The families as a Markdown table, for the README's reliability section."""
    lines = [
        "| hostile family | cases tried | as promised | items kept / to keep | requests sent "
        "| time taken | result |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for f in rows:
        result = "ok" if f.ok else "FAILED: " + "; ".join(f.failed)[:300]
        if f.ok and f.note:
            result += f": {f.note}"
        lines.append(
            f"| {f.family} | {f.cases} | {f.as_promised} | {f.kept} / {f.to_keep} | {f.sent} "
            f"| {f.seconds:.2f} s | {result} |"
        )
    return "\n".join(lines)


def by_name(cases: Sequence[Case]) -> dict[str, Case]:
    """Cases keyed by name, for ``pytest.mark.parametrize``."""
    return {case.name: case for case in cases}


def family_params(families: Mapping[str, Sequence[Case]]) -> list[Any]:
    """Every case of ``families`` as a ``pytest.param`` named ``family: case``."""
    return [
        pytest.param(case, id=f"{family}: {name}")
        for family, cases in families.items()
        for name, case in by_name(cases).items()
    ]
