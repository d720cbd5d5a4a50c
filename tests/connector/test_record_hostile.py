"""A hostile answer while recording: refused by the connector exactly as without the recorder,
never held whole in memory by it, and refused the same way on replay."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.recording import stop_recording
from graph_magic.errors import GraphResponseError
from tests.support.fakes import FakeTokenProvider, RecordingSleep
from tests.support.graph import GRAPH
from tests.support.streams import Stream

CAP = 100_000


def _system(**extra: Any) -> dict[str, Any]:
    return {
        "base_url": GRAPH,
        "auth_type": "bearer",
        "token": "static-token",
        "max_response_bytes": CAP,
        "retry": {"max_attempts": 1},
        **extra,
    }


def _failure(system: dict[str, Any], transport: httpx.AsyncBaseTransport | None) -> str:
    async def ask() -> str:
        connector = GraphConnector(
            system, transport=transport, sleep=RecordingSleep(), token_provider=FakeTokenProvider()
        )
        try:
            await connector.perform_action(
                None, None, None, {"method": "GET", "endpoint": "/users"}
            )
        except GraphResponseError as exc:
            return str(exc)
        finally:
            await connector.close()
        raise AssertionError("expected the answer to be refused")

    return asyncio.run(ask())


def _answers(body: bytes, **headers: str) -> Callable[[httpx.Request], httpx.Response]:
    pieces = [body[i : i + 4096] for i in range(0, len(body), 4096)]

    def handler(request: httpx.Request) -> httpx.Response:  # pieces, as the network answers
        headers_sent = {"content-type": "application/json", **headers}
        return httpx.Response(200, headers=headers_sent, stream=Stream(pieces))

    return handler


BIG = json.dumps({"value": [{"id": str(n), "pad": "x" * 90} for n in range(5_000)]}).encode()
BOMB = gzip.compress(b"[" + b" " * 50_000_000 + b"]")


@pytest.mark.parametrize(
    ("handler", "says", "stored"),
    [
        (_answers(BIG), "larger than max_response_bytes", "oversized"),
        (
            _answers(BOMB, **{"content-encoding": "gzip"}),
            "larger than max_response_bytes",
            "oversized",
        ),
        (
            _answers(b"not gzip at all", **{"content-encoding": "gzip"}),
            "does not decode",
            "undecodable",
        ),
    ],
    ids=["too large", "gzip bomb", "bad encoding"],
)
def test_a_refused_answer_is_refused_live_recorded_and_replayed_alike(
    tmp_path: Path, handler: Callable[[httpx.Request], httpx.Response], says: str, stored: str
) -> None:
    cassette = tmp_path / "hostile.jsonl"
    plain = _failure(_system(), httpx.MockTransport(handler))
    live = _failure(_system(record=str(cassette)), httpx.MockTransport(handler))
    stop_recording(cassette)
    again = _failure({"replay": str(cassette), "max_response_bytes": CAP}, None)
    assert says in plain
    assert live == plain == again
    (exchange,) = [json.loads(line) for line in cassette.read_text().splitlines()[1:]]
    assert stored in exchange["response"]["body"]
    assert cassette.stat().st_size < CAP  # the cassette holds a note, not the answer


def test_an_answer_its_transport_already_read_is_recorded_and_replayed(tmp_path: Path) -> None:
    cassette = tmp_path / "read.jsonl"
    page = {"value": [{"id": "1", "displayName": "Adele"}]}

    def handler(request: httpx.Request) -> httpx.Response:  # a mock's answer: read at once
        return httpx.Response(200, json=page, headers={"content-encoding": "identity"})

    async def users(system: dict[str, Any], transport: httpx.AsyncBaseTransport | None) -> Any:
        connector = GraphConnector(system, transport=transport, token_provider=FakeTokenProvider())
        try:
            answer = await connector.perform_action(
                None, None, None, {"method": "GET", "endpoint": "/users"}
            )
        finally:
            await connector.close()
        return answer["response"]["data"]["value"]

    live = asyncio.run(users(_system(record=str(cassette)), httpx.MockTransport(handler)))
    stop_recording(cassette)
    assert live == page["value"]
    assert asyncio.run(users({"replay": str(cassette)}, None)) == live
