"""Replay: a system's Graph answered from a cassette, with no network and no credentials.

A request is matched by method, path, query (in any order) and body, all in the masked form the
recorder stored (:mod:`.cassette`). The same request recorded several times (a delta round, a
retry after a 429, a list read before and after a write) gets its answers in recorded order; once
they are used up, the last one answers again, so re-running a cell still works. A request with
no recording fails with a :class:`~graph_magic.errors.GraphReplayError` that names it and the
closest recorded request, and says what differs.

Answers come back as recorded, statuses, Retry-After and errors included, with the recorded
origin replaced by the replaying system's, so nextLinks and deltaLinks lead back here.
"""

from __future__ import annotations

import base64
import difflib
import json
from collections.abc import AsyncIterator, Iterable, Mapping
from pathlib import Path

import httpx

from graph_magic.connector.cassette import (
    CanonicalRequest,
    Cassette,
    Exchange,
    canonical_request,
    decode_body,
    read_cassette,
    shown_path,
)
from graph_magic.connector.recording import Pieces
from graph_magic.errors import GraphReplayError

__all__ = ["ReplayTransport"]


def _key(request: CanonicalRequest) -> str:
    return json.dumps(
        [request.method, request.path, request.query, request.body],
        sort_keys=True,
        ensure_ascii=False,
    )


class ReplayTransport(httpx.AsyncBaseTransport):
    """Answers every request from the cassette at ``path``, as recorded, under ``origin``."""

    def __init__(self, path: str | Path, origin: str) -> None:
        self.cassette: Cassette = read_cassette(path)
        self.origin = origin.rstrip("/")
        self._answers: dict[str, list[Exchange]] = {}
        for exchange in self.cassette.exchanges:
            self._answers.setdefault(_key(exchange.request), []).append(exchange)
        self._used: dict[str, int] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        asked = canonical_request(
            request.method, str(request.url), body, request.headers.get("content-type", "")
        )
        key = _key(asked)
        answers = self._answers.get(key)
        if not answers:
            raise self._missing(asked)
        turn = self._used.get(key, 0)
        self._used[key] = turn + 1
        exchange = answers[min(turn, len(answers) - 1)]
        if exchange.error is not None:
            raise _transport_error(exchange.error, request)
        headers = [(name, self._here(value)) for name, value in exchange.headers.items()]
        stored = exchange.body or {}
        if "oversized" in stored:  # one byte past the cap it was recorded under: refused again
            stream = Filler(int(stored["oversized"]))
        elif "undecodable" in stored:  # the bytes as sent, with the encoding they failed
            headers.append(("content-encoding", str(stored.get("encoding", ""))))
            stream = Pieces(base64.b64decode(str(stored["undecodable"])))
        else:
            stream = Pieces(self._here_bytes(decode_body(exchange.body)))
        return httpx.Response(
            exchange.status or 500, headers=headers, stream=stream, request=request
        )

    def _here(self, text: str) -> str:
        recorded = self.cassette.origin
        return text.replace(recorded, self.origin) if recorded else text

    def _here_bytes(self, content: bytes) -> bytes:
        recorded = self.cassette.origin.encode()
        return content.replace(recorded, self.origin.encode()) if recorded else content

    def _missing(self, asked: CanonicalRequest) -> GraphReplayError:
        where = f"cassette {shown_path(self.cassette.path)}"
        recorded = [answers[0].request for answers in self._answers.values()]
        closest = _closest(asked, recorded)
        message = f"no recorded answer in {where} for {asked.describe()}"
        if closest is None:
            return GraphReplayError(
                message + " (the cassette holds no exchange)", request=asked.describe()
            )
        differs = ", ".join(_differences(asked, closest))
        message += (
            f"; the closest recorded request is {closest.describe()} ({differs} differ). "
            "Send the request as it was recorded, or record this cell again against the tenant"
        )
        return GraphReplayError(message, request=asked.describe(), closest=closest.describe())


class Filler(httpx.AsyncByteStream):
    """``size`` spaces in 64 KiB pieces, made as they are read: an oversized answer's stand-in."""

    def __init__(self, size: int) -> None:
        self.size = size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        left = self.size
        while left > 0:
            piece = min(left, 64 * 1024)
            left -= piece
            yield b" " * piece


def _closest(
    asked: CanonicalRequest, recorded: Iterable[CanonicalRequest]
) -> CanonicalRequest | None:
    """The recorded request most like ``asked``: same method and path first, then its text."""

    def likeness(candidate: CanonicalRequest) -> tuple[bool, bool, float]:
        text = difflib.SequenceMatcher(None, asked.describe(), candidate.describe()).ratio()
        return (candidate.path == asked.path, candidate.method == asked.method, text)

    return max(recorded, key=likeness, default=None)


def _differences(asked: CanonicalRequest, closest: CanonicalRequest) -> list[str]:
    parts = []
    if asked.method != closest.method:
        parts.append("method")
    if asked.path != closest.path:
        parts.append("path")
    names = {k for k, _ in asked.query} ^ {k for k, _ in closest.query}
    names |= {k for k, v in set(asked.query) ^ set(closest.query)}
    if names:
        parts.append("query " + " ".join(sorted(names)))
    if asked.body != closest.body:
        parts.append("body")
    return parts or ["nothing visible"]


def _transport_error(error: Mapping[str, str], request: httpx.Request) -> httpx.HTTPError:
    """The recorded transport failure, raised again as the httpx error it was."""
    kind = getattr(httpx, error.get("type", ""), None)
    if not (isinstance(kind, type) and issubclass(kind, httpx.RequestError)):
        kind = httpx.RemoteProtocolError
    return kind(error.get("message", "recorded transport error"), request=request)
