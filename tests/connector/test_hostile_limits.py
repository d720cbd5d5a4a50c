"""Bounds on an answer: ``max_response_bytes`` (after decompression) and the whole-request
deadline (``timeout``), against fake servers on httpx's in-process MockTransport.

The bomb is streamed in small raw chunks and never inflated whole; the trickling server drips
one byte per 50 ms, so without the deadline a request would take five seconds.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable

import httpx
import pytest

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import load_system
from graph_magic.errors import GraphConfigError, GraphResponseError, GraphTransportError
from tests.connector.connector_kit import make_system
from tests.support.graph import GRAPH
from tests.support.streams import Stream

MIB = 1024 * 1024


def _gzip_bomb(inflated: int, raw_chunk: int = 1024) -> list[bytes]:
    """A gzip body inflating to ``inflated`` bytes of spaces, in ``raw_chunk``-byte pieces."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b" " * MIB
    data = b"".join(packer.compress(block) for _ in range(inflated // MIB)) + packer.flush()
    return [data[i : i + raw_chunk] for i in range(0, len(data), raw_chunk)]


def _connector(handler: Callable, tokens, sleeper, **overrides) -> GraphConnector:
    return GraphConnector(
        make_system(**overrides),
        sleep=sleeper,
        token_provider=tokens,
        transport=httpx.MockTransport(handler),
    )


async def test_a_gzip_bomb_is_refused_without_inflating_it(tokens, sleeper):
    chunks = _gzip_bomb(32 * MIB)  # about 32 KB on the wire, 1000:1 as a real bomb
    stream = Stream(chunks)
    headers = {"content-type": "application/json", "content-encoding": "gzip"}

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers=headers, stream=stream)

    cap = 256 * 1024
    async with _connector(handler, tokens, sleeper, max_response_bytes=cap) as connector:
        with pytest.raises(GraphResponseError) as info:
            await connector.perform_action("r", "get", None, {"endpoint": "/reports/x"})
    assert sum(map(len, chunks)) < 64 * 1024  # a small body on the wire...
    assert stream.served < len(chunks) // 10  # ...of which little was read before the refusal
    assert info.value.setting == "max_response_bytes"
    assert "max_response_bytes" in str(info.value)


async def test_a_later_page_over_the_cap_keeps_the_pages_before(tokens, sleeper):
    big = b'{"value": [' + b'{"id": "x"},' * 200_000 + b'{"id": "y"}]}'

    def handler(request: httpx.Request) -> httpx.Response:
        if "skiptoken" in str(request.url):
            return httpx.Response(200, content=big, headers={"content-type": "application/json"})
        return httpx.Response(
            200, json={"value": [{"id": "1"}], "@odata.nextLink": f"{GRAPH}/users?$skiptoken=2"}
        )

    async with _connector(handler, tokens, sleeper, max_response_bytes=MIB) as connector:
        with pytest.raises(GraphResponseError) as info:
            await connector.perform_action("u", "list", None, {"endpoint": "/users"})
    assert info.value.partial == [{"id": "1"}]


async def test_an_answer_at_the_cap_is_read_whole(tokens, sleeper):
    body = b'{"id": "' + b"x" * (1000 - 10) + b'"}'
    assert len(body) == 1000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    async with _connector(handler, tokens, sleeper, max_response_bytes=1000) as connector:
        result = await connector.perform_action("u", "get", None, {"endpoint": "/me"})
    assert len(result["response"]["data"]["id"]) == 990


async def test_an_error_answer_over_the_cap_is_refused_too(tokens, sleeper):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, content=b"e" * 5000, headers={"content-type": "text/plain"})

    async with _connector(handler, tokens, sleeper, max_response_bytes=4096) as connector:
        with pytest.raises(GraphResponseError):
            await connector.perform_action("u", "get", None, {"endpoint": "/me"})


def _trickle(stream_of: Callable[[], Stream]) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "application/json"}, stream=stream_of())

    return handler


def _drip() -> Stream:
    """A 100-byte JSON body, one byte per 50 ms: every read well inside any read timeout."""
    body = b'{"value": [' + b" " * 86 + b"]}"
    return Stream([bytes([b]) for b in body], pause=0.05)


async def test_a_trickling_server_is_cut_at_the_deadline(tokens, sleeper):
    retry = {"max_attempts": 1}
    async with _connector(_trickle(_drip), tokens, sleeper, retry=retry) as connector:
        started = time.perf_counter()
        with pytest.raises(GraphTransportError) as info:
            await connector.perform_action("u", "list", None, {"endpoint": "/users"}, timeout=0.2)
        elapsed = time.perf_counter() - started
    assert elapsed < 2.0  # the whole body would take 5 s
    assert "within the 0.2 s timeout" in str(info.value)


async def test_iter_pages_is_cut_at_the_deadline_too(tokens, sleeper):
    retry = {"max_attempts": 1}
    async with _connector(_trickle(_drip), tokens, sleeper, retry=retry) as connector:
        with pytest.raises(GraphTransportError):
            async for _ in connector.iter_pages("/users", timeout=0.2):
                pass


async def test_a_deadline_is_per_attempt_and_retried_like_a_read_timeout(tokens, sleeper):
    """A GET cut at its deadline is retried (the retry's wait is the recorder's, not real)."""
    streams = [_drip(), Stream([b'{"value": [{"id": "1"}]}'])]
    async with _connector(_trickle(lambda: streams.pop(0)), tokens, sleeper) as connector:
        result = await connector.perform_action(
            "u", "list", None, {"endpoint": "/users"}, timeout=0.2
        )
    assert result["response"]["data"]["value"] == [{"id": "1"}]
    assert len(sleeper.waits) == 1


async def test_a_write_cut_at_the_deadline_is_not_sent_again(tokens, sleeper):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(201, headers={"content-type": "application/json"}, stream=_drip())

    async with _connector(handler, tokens, sleeper) as connector:
        with pytest.raises(GraphTransportError):
            await connector.perform_action(
                "u",
                "create",
                None,
                {"method": "POST", "endpoint": "/users", "body": {}},
                timeout=0.2,
            )
    assert len(calls) == 1


def test_max_response_bytes_defaults_to_100_mib_and_is_read_from_yaml(tmp_path):
    assert make_system().max_response_bytes == 100 * MIB
    path = tmp_path / "capped.yaml"
    path.write_text("token: t\nmax_response_bytes: 2048\n", encoding="utf-8")
    assert load_system(path, environ={}).max_response_bytes == 2048


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (0, "at least 1"),
        (-5, "at least 1"),
        ("big", "integer"),
        (True, "integer"),
        (1.5, "integer"),
    ],
)
def test_max_response_bytes_must_be_a_positive_integer(value, fragment):
    with pytest.raises(GraphConfigError) as info:
        make_system(max_response_bytes=value)
    assert info.value.key == "max_response_bytes"
    assert fragment in str(info.value)
