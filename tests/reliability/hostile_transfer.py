"""Hostile transfers: redirects, answers too large to hold, and servers that drip.

Redirects: every code (301, 302, 303, 307, 308) to another host, to http, to a host that
sends the request back, in loops and chains; the token, a cell's Cookie and a request body
never reach another host, and the user gets an answer or a named error, never a hang.
Size: bombs in each encoding httpx decodes (gzip, deflate, stacked gzip), bodies httpx does not
decode (br, zstd without their packages) and chunked bodies with no length, against a small
``max_response_bytes``. Deadline: servers that drip a byte at a time, on the first page, a later
page, a write and a $batch, against a 0.2 s ``timeout`` (the only real waiting in this suite).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import httpx

from graph_magic.errors import GraphResponseError, GraphSecurityError
from tests.reliability.hostile_kit import TOKEN, Case, CaseResult, Expect, Wire, check, drive
from tests.reliability.hostile_pages import FIRST, first_page, list_users
from tests.support.graph import GRAPH
from tests.support.streams import Stream

EVIL = "https://evil.example/x"
CAP = 64 * 1024
DRIP = 0.05  # seconds between bytes: a 100-byte answer takes 5 s, the deadline cuts it at 0.2
DEADLINE = 0.2
USER = {"endpoint": "/users/1"}
NEW_USER = {
    "method": "POST",
    "endpoint": "/users",
    "body": {"passwordProfile": {"password": "Pw1!"}},
}


# --------------------------------------------------------------------------- redirects


def _redirecting(status: int, location: str, then: httpx.Response | None = None) -> Wire:
    """Graph answers ``status`` to ``location``; every other host answers ``then`` (or 200)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "graph.microsoft.com" and request.url.scheme == "https":
            if request.url.path.endswith("/landed"):
                return httpx.Response(200, json={"id": "landed"})
            return httpx.Response(status, headers={"location": location})
        return then or httpx.Response(200, json={"id": "elsewhere"})

    return Wire(handler)


def _hops_elsewhere(result: CaseResult) -> list[httpx.Request]:
    return [r for r in result.wire if r.url.host != "graph.microsoft.com"]


def redirect_case(
    name: str,
    status: int,
    location: str,
    ask: dict[str, Any],
    expect: Expect,
    wire: Callable[[], Wire] | None = None,
) -> Case:
    """``ask`` is redirected; whatever reaches another host carries no credential nor body.

    ``wire`` builds another server than Graph redirecting ``status`` to ``location``.
    """

    async def run(result: CaseResult) -> None:
        target = wire() if wire else _redirecting(status, location)
        headers = {"Cookie": "session=cell-cookie"}
        call = {**ask, "headers": headers}
        outcome = await drive(result, target, lambda c: c.perform_action("u", "x", None, call))
        result.kept = int(isinstance(outcome, dict))
        check(result, expect, outcome)
        for hop in _hops_elsewhere(result) + [r for r in result.wire if r.url.scheme == "http"]:
            leaked = [h for h in ("authorization", "cookie") if h in hop.headers]
            if leaked or hop.content or TOKEN in str(hop.url):
                result.problems.append(f"{hop.url.host} got {leaked or 'a body'}")

    return Case(name, run)


def _loop() -> Wire:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": str(request.url)})

    return Wire(handler)


def _chain(length: int) -> Wire:
    def handler(request: httpx.Request) -> httpx.Response:
        hop = int(request.url.params.get("hop", "0"))
        if hop >= length:
            return httpx.Response(200, json={"id": "landed"})
        return httpx.Response(307, headers={"location": f"{GRAPH}/users/1?hop={hop + 1}"})

    return Wire(handler)


def _away_and_back() -> Wire:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "evil.example":
            return httpx.Response(302, headers={"location": f"{GRAPH}/landed"})
        if request.url.path.endswith("/landed"):
            return httpx.Response(200, json={"id": "landed"})
        return httpx.Response(302, headers={"location": EVIL})

    return Wire(handler)


REDIRECT_CASES = [
    *(
        redirect_case(f"{s} GET to another host", s, EVIL, USER, Expect(None, sent=2))
        for s in (301, 302, 303, 307, 308)
    ),
    *(
        redirect_case(
            f"{s} POST to another host", s, EVIL, NEW_USER, Expect(GraphSecurityError, sent=1)
        )
        for s in (307, 308)
    ),
    *(
        redirect_case(f"{s} POST to another host, as GET", s, EVIL, NEW_USER, Expect(None, sent=2))
        for s in (301, 302, 303)
    ),
    *(
        redirect_case(
            f"{s} https to http, same host",
            s,
            "http://graph.microsoft.com/v1.0/landed",
            USER,
            Expect(GraphSecurityError, sent=1),
        )
        for s in (301, 302, 303, 307, 308)
    ),
    redirect_case(
        "307 PATCH to the Graph host on another port",
        307,
        "https://graph.microsoft.com:8443/v1.0/landed",
        {"method": "PATCH", "endpoint": "/users/1", "body": {"a": 1}},
        Expect(GraphSecurityError, sent=1),
    ),
    redirect_case(
        "302 to a scheme-relative other host", 302, "//evil.example/x", USER, Expect(None, sent=2)
    ),
    redirect_case(
        "302 to a Location with user info",
        302,
        "https://me:pw@graph.microsoft.com/v1.0/landed",
        USER,
        Expect(GraphResponseError, "user info", sent=1),
    ),
    redirect_case(
        "302 to javascript:",
        302,
        "javascript:alert(1)",
        USER,
        Expect(GraphResponseError, "not a URL", sent=1),
    ),
    redirect_case(
        "302 to a relative path on Graph", 302, "/v1.0/landed", USER, Expect(None, sent=2)
    ),
    redirect_case(
        "302 away and back to Graph (no token returns)",
        302,
        "",
        USER,
        Expect(None, sent=3),
        wire=_away_and_back,
    ),
    redirect_case(
        "302 to itself forever",
        302,
        "",
        USER,
        Expect(GraphResponseError, "redirect", sent=6),
        wire=_loop,
    ),
    redirect_case(
        "a chain of 6 redirects",
        307,
        "",
        USER,
        Expect(GraphResponseError, "redirect", sent=6),
        wire=lambda: _chain(6),
    ),
    redirect_case(
        "a chain of 5 redirects is followed",
        307,
        "",
        USER,
        Expect(None, sent=6),
        wire=lambda: _chain(5),
    ),
]


# --------------------------------------------------------------------------- size caps


def _packed(wbits: int, inflated: int) -> bytes:
    """``inflated`` bytes of spaces, compressed (31: gzip, 15: zlib deflate, -15: raw deflate)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b" " * (1024 * 1024)
    return b"".join(packer.compress(block) for _ in range(inflated // len(block))) + packer.flush()


def _chunks(data: bytes, size: int = 1024) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def size_case(
    name: str, chunks: list[bytes], encoding: str, expect: Expect, *, later: bool = False
) -> Case:
    """A page of ``chunks`` (first page, or the second of a scan when ``later``)."""

    async def run(result: CaseResult) -> None:
        stream = Stream(chunks)
        headers = {
            "content-type": "application/json",
            **({"content-encoding": encoding} if encoding else {}),
        }
        bomb = httpx.Response(200, stream=stream, headers=headers)
        wire = Wire(lambda r: first_page() if later and str(r.url) == FIRST else bomb)
        check(result, expect, await drive(result, wire, list_users, max_response_bytes=CAP))
        result.extra["raw chunks read"] = stream.served
        if stream.served * 1024 > 4 * CAP:
            result.problems.append(f"{stream.served} raw chunks were read before refusing")

    return Case(name, run)


CAPPED = Expect(GraphResponseError, "max_response_bytes", kept=0, sent=1)
SIZE_CASES = [
    size_case(
        "deflate (zlib) bomb, 256 MiB", _chunks(_packed(15, 256 * 1024 * 1024)), "deflate", CAPPED
    ),
    size_case(
        "raw deflate bomb, 256 MiB", _chunks(_packed(-15, 256 * 1024 * 1024)), "deflate", CAPPED
    ),
    size_case(
        "gzip bomb on page 2",
        _chunks(_packed(31, 256 * 1024 * 1024)),
        "gzip",
        Expect(GraphResponseError, "max_response_bytes", kept=2, sent=2),
        later=True,
    ),
    size_case(
        "gzip inside deflate (two encodings)",
        _chunks(zlib.compress(_packed(31, 64 * 1024 * 1024), 9)),
        "gzip, deflate",
        CAPPED,
    ),
    size_case("uppercase GZIP", _chunks(_packed(31, 256 * 1024 * 1024)), "GZIP", CAPPED),
    size_case(
        "br, which httpx does not decode here",
        _chunks(b"\x1b" + b"\x00" * 5000),
        "br",
        Expect(GraphResponseError, kept=0, sent=1),
    ),
    size_case(
        "chunked, no length, 1 MiB of JSON",
        _chunks(b'{"value": [' + b'{"id": "x"},' * 100_000, 4096),
        "",
        CAPPED,
    ),
    size_case(
        "chunked, no length, under the cap",
        [b'{"value": [', b'{"id": "1"}', b"]}"],
        "",
        Expect(None, kept=1, sent=1),
    ),
]
