"""Servers that drip (the whole-request deadline) and $batch envelopes no Graph would send.

Deadline: each dripping server sends one byte per 50 ms, so an answer would take seconds; the
caller's ``timeout`` of 0.2 s must cut every attempt (a read timeout alone never fires). Reads
are retried within the budget (two attempts here), a write is not resent, and a scan keeps the
pages before the slow one. $batch: answers whose sub-responses are odd (out of order, an id
that is a number, a status that is a string or out of range, no status) or whose envelope is
not Graph's; the answers that are sound are kept and the writes already made are reported.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from graph_magic.errors import GraphResponseError, GraphTransportError
from tests.reliability.hostile_kit import Case, CaseResult, Expect, Wire, check, drive
from tests.reliability.hostile_pages import FIRST, first_page
from tests.reliability.hostile_transfer import DEADLINE, DRIP
from tests.support.graph import GRAPH
from tests.support.streams import Stream

PAGE = b'{"value": [' + b", ".join(b'{"id": "%d"}' % i for i in range(20)) + b"]}"
CUT = Expect(GraphTransportError, "within the 0.2 s timeout")


def _drip(body: bytes = PAGE, status: int = 200) -> httpx.Response:
    stream = Stream([body[i : i + 1] for i in range(len(body))], pause=DRIP)
    return httpx.Response(status, stream=stream, headers={"content-type": "application/json"})


async def _silent(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(30)  # cancelled at the deadline: never slept through
    return httpx.Response(200, json={"value": []})


def deadline_case(name: str, handler: Any, call: dict[str, Any], expect: Expect) -> Case:
    """``call`` (perform_action's dict) against ``handler``, with the 0.2 s deadline."""

    async def run(result: CaseResult) -> None:
        outcome = await drive(
            result,
            Wire(handler),
            lambda c: c.perform_action("u", "x", None, call, timeout=DEADLINE),
        )
        check(result, expect, outcome)

    return Case(name, run)


def _second_page_drips(request: httpx.Request) -> httpx.Response:
    return first_page() if str(request.url) == FIRST else _drip()


def _redirect_then_drip(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/landed"):
        return _drip()
    return httpx.Response(302, headers={"location": f"{GRAPH}/landed"})


def _endless(request: httpx.Request) -> httpx.Response:
    stream = Stream([b" "] * 1_000_000, pause=0.01)  # never ends, never reaches the size cap
    return httpx.Response(200, stream=stream, headers={"content-type": "application/json"})


LIST = {"endpoint": "/users"}
DEADLINE_CASES = [
    deadline_case("first page drips", lambda r: _drip(), LIST, Expect(CUT.error, CUT.says, sent=2)),
    deadline_case(
        "second page drips",
        _second_page_drips,
        LIST,
        Expect(CUT.error, CUT.says, kept=2, sent=3),
    ),
    deadline_case("headers never come", _silent, LIST, Expect(CUT.error, CUT.says, sent=2)),
    deadline_case(
        "a POST's answer drips: not resent",
        lambda r: _drip(b'{"id": "new"}', 201),
        {"method": "POST", "endpoint": "/users", "body": {}},
        Expect(CUT.error, CUT.says, sent=1),
    ),
    deadline_case(
        "a 429's body drips",
        lambda r: _drip(b'{"error": {"code": "TooManyRequests"}}', 429),
        LIST,
        Expect(CUT.error, CUT.says, sent=2),
    ),
    deadline_case(
        "the redirect target drips", _redirect_then_drip, LIST, Expect(CUT.error, CUT.says, sent=4)
    ),
    deadline_case(
        "endless whitespace under the size cap", _endless, LIST, Expect(CUT.error, CUT.says, sent=2)
    ),
]


# --------------------------------------------------------------------------- $batch


def _answering(edit: Any) -> Any:
    """A $batch endpoint that answers each asked request 201, then lets ``edit`` spoil it."""

    def handler(request: httpx.Request) -> httpx.Response:
        asked = json.loads(request.content)["requests"]
        answers = [
            {"id": r["id"], "status": 201, "headers": {}, "body": {"id": f"new-{r['id']}"}}
            for r in asked
        ]
        spoiled = edit(answers)
        if isinstance(spoiled, bytes):
            return httpx.Response(
                200, content=spoiled, headers={"content-type": "application/json"}
            )
        return httpx.Response(200, json=spoiled)

    return handler


def _creations(n: int) -> list[dict[str, Any]]:
    return [
        {"id": str(i), "method": "POST", "url": "/users", "body": {"n": i}} for i in range(1, n + 1)
    ]


def batch_case(name: str, edit: Any, expect: Expect, n: int = 3) -> Case:
    """``n`` creations in one $batch whose answer ``edit`` spoils."""

    async def run(result: CaseResult) -> None:
        outcome = await drive(
            result,
            Wire(_answering(edit)),
            lambda c: c.perform_batch(_creations(n), continue_on_error=True),
        )
        if isinstance(outcome, dict):
            result.kept = sum(1 for e in outcome["response"]["data"] if e["status"] == 201)
        else:
            result.kept = sum(
                1 for e in (getattr(outcome, "partial", None) or []) if e.get("status") == 201
            )
        check(result, expect, outcome)

    return Case(name, run)


def _set(index: int, **changes: Any) -> Any:
    def edit(answers: list[dict[str, Any]]) -> dict[str, Any]:
        answers[index] = {**answers[index], **changes}
        for key in [k for k, v in changes.items() if v is _DROP]:
            del answers[index][key]
        return {"responses": answers}

    return edit


_DROP = object()
ALL = Expect(None, kept=3, sent=1)
TWO = Expect(None, kept=2, sent=1)
BATCH_CASES = [
    batch_case("answers in reverse order", lambda a: {"responses": a[::-1]}, ALL),
    batch_case("an id sent back as a number", _set(0, id=1), ALL),
    batch_case("a status sent as a string", _set(1, status="201"), TWO),
    batch_case("a status of 999", _set(1, status=999), TWO),
    batch_case("no status", _set(1, status=_DROP), TWO),
    batch_case("headers null", _set(1, headers=None), ALL),
    batch_case("a body that is a JSON string", _set(1, body="eyJpZCI6ICJ4In0="), ALL),
    batch_case(
        "an extra nextLink in the envelope",
        lambda a: {"responses": a, "@odata.nextLink": f"{GRAPH}/$batch?x"},
        ALL,
    ),
    batch_case(
        "the envelope is 3 answers and 3 strays",
        lambda a: {"responses": a + [{**r, "id": r["id"] + "x"} for r in a]},
        Expect(GraphResponseError, "no id that was asked", kept=3, sent=1),
    ),
    batch_case(
        "the envelope is JSON null",
        lambda a: b"null",
        Expect(GraphResponseError, "$batch answer", kept=0, sent=1),
    ),
    batch_case(
        "responses is a string",
        lambda a: {"responses": "ok"},
        Expect(GraphResponseError, "$batch answer", kept=0, sent=1),
    ),
    batch_case("every answer missing", lambda a: {"responses": []}, Expect(None, kept=0, sent=1)),
]
