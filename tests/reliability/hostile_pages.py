"""Hostile pages and links: the second page of a scan (or its nextLink) is not what Graph sends.

Each case is a fake Graph whose first page holds two users and a nextLink, and whose second
answer is broken in one way. The user must get either the whole scan (where the answer is odd
but sound, like a UTF-8 BOM), or a ``GraphResponseError`` keeping the two users on ``.partial``,
with nothing sent past the broken page. Neighbours of the cases in
``tests/connector/test_hostile_pages.py`` and ``test_hostile_links.py``.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from typing import Any

import httpx

from graph_magic.errors import GraphResponseError, GraphSecurityError
from tests.reliability.hostile_kit import Case, CaseResult, Expect, Wire, check, drive
from tests.support.graph import GRAPH

FIRST = f"{GRAPH}/users"
SECOND = f"{GRAPH}/users?$skiptoken=page2"
JSON = "application/json"


def first_page(next_link: Any = SECOND) -> httpx.Response:
    """Two users and a link to the second page."""
    body = {"value": [{"id": "1"}, {"id": "2"}], "@odata.nextLink": next_link}
    return httpx.Response(200, json=body)


def two_pages(second: httpx.Response, first: httpx.Response | None = None) -> Wire:
    """A Graph answering the first page, then ``second`` for anything else."""

    def handler(request: httpx.Request) -> httpx.Response:
        if str(request.url) == FIRST:
            return first or first_page()
        return second

    return Wire(handler)


async def list_users(conn: Any) -> Any:
    """The scan the user runs: every page of GET /users."""
    return await conn.perform_action("user", "list", None, {"endpoint": "/users"})


def raw(content: bytes, content_type: str = JSON, **headers: str) -> httpx.Response:
    """An answer of exactly these bytes, decoded (or not) only when the connector reads it."""
    headers = {"content-type": content_type, **headers}
    return httpx.Response(200, stream=httpx.ByteStream(content), headers=headers)


def page_case(name: str, second: Callable[[], httpx.Response], expect: Expect) -> Case:
    """A scan whose second answer is built by ``second``."""

    async def run(result: CaseResult) -> None:
        check(result, expect, await drive(result, two_pages(second()), list_users))

    return Case(name, run)


def link_case(name: str, link: Any, expect: Expect) -> Case:
    """A scan whose first page's nextLink is ``link``."""

    async def run(result: CaseResult) -> None:
        wire = two_pages(raw(b'{"value": [{"id": "3"}]}'), first=first_page(link))
        check(result, expect, await drive(result, wire, list_users))

    return Case(name, run)


BROKEN = Expect(GraphResponseError, "page 2", kept=2, sent=2)
WHOLE = Expect(None, kept=3, sent=2)

PAGE_CASES = [
    page_case("value is null", lambda: raw(b'{"value": null}'), BROKEN),
    page_case("value is a number", lambda: raw(b'{"value": 3}'), BROKEN),
    page_case("top-level JSON string", lambda: raw(b'"value"'), BROKEN),
    page_case("JSON true", lambda: raw(b"true"), BROKEN),
    page_case("204 No Content", lambda: httpx.Response(204), BROKEN),
    page_case("JSON followed by garbage", lambda: raw(b'{"value": []} trailing'), BROKEN),
    page_case("two JSON documents", lambda: raw(b'{"value": []}{"value": []}'), BROKEN),
    page_case(
        "invalid UTF-8 inside a string", lambda: raw(b'{"value": [{"id": "\xff\xfe"}]}'), BROKEN
    ),
    page_case(
        "lone UTF-16 surrogate escape", lambda: raw(b'{"value": [{"id": "\\ud800"}]}'), WHOLE
    ),
    page_case(
        "UTF-8 BOM before the JSON",
        lambda: raw(b"\xef\xbb\xbf" + b'{"value": [{"id": "3"}]}'),
        WHOLE,
    ),
    page_case(
        "UTF-16 JSON",
        lambda: raw(
            json.dumps({"value": [{"id": "3"}]}).encode("utf-16-le"), f"{JSON}; charset=utf-16"
        ),
        WHOLE,
    ),
    page_case(
        "a 5000-digit number", lambda: raw(b'{"value": [{"n": 1' + b"0" * 5000 + b"}]}"), BROKEN
    ),
    page_case(
        "a number past float range", lambda: raw(b'{"value": [{"id": "3", "n": 1e999}]}'), WHOLE
    ),
    page_case(
        "NaN and Infinity",
        lambda: raw(b'{"value": [{"id": "3", "n": NaN, "m": -Infinity}]}'),
        WHOLE,
    ),
    page_case(
        "duplicate value keys, the last not a list",
        lambda: raw(b'{"value": [], "value": 1}'),
        BROKEN,
    ),
    page_case(
        "value of numbers and lists",
        lambda: raw(b'{"value": [1, [2], {"id": "3"}]}'),
        Expect(None, kept=5, sent=2),
    ),
    page_case(
        "says gzip, is not gzip",
        lambda: raw(b'{"value": [{"id": "3"}]}', **{"content-encoding": "gzip"}),
        Expect(GraphResponseError, "does not decode", kept=2, sent=2),
    ),
    page_case(
        "says deflate, is truncated deflate",
        lambda: raw(
            zlib.compress(b'{"value": [{"id": "3"}]}')[:-6], **{"content-encoding": "deflate"}
        ),
        BROKEN,
    ),
    page_case(
        "truncated gzip",
        lambda: raw(
            gzip.compress(b'{"value": [{"id": "3"}, {"id": "4"}]}')[:-10],
            **{"content-encoding": "gzip"},
        ),
        BROKEN,
    ),
    page_case(
        "an unknown content-encoding",
        lambda: raw(b"xx", **{"content-encoding": "x-hostile"}),
        BROKEN,
    ),
    page_case("XML 200", lambda: raw(b"<feed><entry/></feed>", "application/atom+xml"), BROKEN),
]

LINK_CASES = [
    link_case("nextLink is true", True, Expect(GraphResponseError, "not a URL", kept=2, sent=1)),
    link_case("nextLink is 1.5", 1.5, Expect(GraphResponseError, "not a URL", kept=2, sent=1)),
    link_case(
        "nextLink is an empty string", "", Expect(GraphResponseError, "not a URL", kept=2, sent=1)
    ),
    link_case(
        "nextLink is whitespace", "  ", Expect(GraphResponseError, "not a URL", kept=2, sent=1)
    ),
    link_case(
        "nextLink with a newline",
        SECOND + "\r\nX-Evil: 1",
        Expect(GraphResponseError, "not a URL", kept=2, sent=1),
    ),
    link_case(
        "nextLink with user info",
        "https://me:pw@graph.microsoft.com/v1.0/users?$skiptoken=2",
        Expect(GraphResponseError, "user info", kept=2, sent=1),
    ),
    link_case(
        "nextLink to the Graph host on another port",
        "https://graph.microsoft.com:8443/v1.0/users",
        Expect(GraphSecurityError, kept=2, sent=1),
    ),
    link_case(
        "nextLink to a look-alike host",
        "https://graph.microsoft.com.evil.example/v1.0/users",
        Expect(GraphSecurityError, kept=2, sent=1),
    ),
    link_case(
        "nextLink over http",
        "http://graph.microsoft.com/v1.0/users?$skiptoken=2",
        Expect(GraphSecurityError, kept=2, sent=1),
    ),
    link_case("nextLink is null: the scan ends", None, Expect(None, kept=2, sent=1)),
    link_case(
        "nextLink 100 kB long",
        SECOND + "x" * 100_000,
        Expect(GraphResponseError, "URL too long", kept=2, sent=1),
    ),
    link_case("nextLink 10 kB long", SECOND + "x" * 10_000, Expect(None, kept=3, sent=2)),
]
