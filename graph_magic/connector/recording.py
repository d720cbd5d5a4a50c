"""Recording: every Graph exchange of a system, as it happens, into a cassette.

The recorder sits in the connector's httpx client as its transport and hands each request to an
inner client built as the connector's own would be (the sandbox's transport, or the network with
the environment's proxies), so recording changes nothing the session sees. Each exchange is
reduced to what :mod:`.cassette` allows (no credential of any kind), pseudonymised when asked, and
appended as one line, flushed, so a kernel that dies keeps what it had recorded.

Only the connector's Graph calls pass here: token requests go through msal's own client and
never reach a cassette. One :class:`Recording` per file is shared by every connector that
records into it (a system's v1.0 and beta connectors), so they append to one cassette.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import AsyncIterator, Collection
from pathlib import Path
from typing import IO, Any

import httpx

from graph_magic.connector.cassette import (
    Exchange,
    canonical_request,
    encode_body,
    header,
    kept_request_headers,
    kept_response_headers,
)
from graph_magic.connector.masking import mask_text
from graph_magic.connector.pseudonyms import Pseudonymiser
from graph_magic.connector.send import read_capped
from graph_magic.errors import GraphResponseError

__all__ = ["Pieces", "Recording", "RecordingTransport", "open_recording", "stop_recording"]

# The recordings open in this process, by absolute path: connectors of one system share one.
_OPEN: dict[Path, Recording] = {}
_OPEN_LOCK = threading.Lock()
# Framing the recorder drops from the answer it hands on: httpx frames the body it was given.
_FRAMING_HEADERS = ("content-length", "transfer-encoding")


class Recording:
    """An open cassette: its file, the origin it records, and the pseudonyms so far."""

    def __init__(self, path: Path, origin: str, pseudonymise: Collection[str]) -> None:
        self.path = path
        self.origin = origin
        self.pseudonyms = Pseudonymiser(pseudonymise)
        self.exchanges = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = path.open("w", encoding="utf-8")
        self._write(header(origin, pseudonymise))

    @property
    def closed(self) -> bool:
        """True once :func:`stop_recording` has closed the file."""
        return self._file is None

    def add(self, exchange: Exchange) -> None:
        """Append one exchange (a no-op once the recording is stopped)."""
        if self._file is not None:
            self._write(exchange.to_json())
            self.exchanges += 1

    def close(self) -> None:
        """Close the file; what was recorded stays."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write(self, line: dict[str, object]) -> None:
        assert self._file is not None
        self._file.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._file.flush()


def open_recording(path: str | Path, origin: str, pseudonymise: Collection[str] = ()) -> Recording:
    """The recording into ``path``: the one already open, or a new cassette (the file restarts)."""
    resolved = Path(path).expanduser().resolve()
    with _OPEN_LOCK:
        recording = _OPEN.get(resolved)
        if recording is None or recording.closed:
            recording = _OPEN[resolved] = Recording(resolved, origin, pseudonymise)
        return recording


def stop_recording(path: str | Path) -> Recording | None:
    """Close the recording into ``path``; returns it (None when none was open)."""
    resolved = Path(path).expanduser().resolve()
    with _OPEN_LOCK:
        recording = _OPEN.pop(resolved, None)
    if recording is not None:
        recording.close()
    return recording


class RecordingTransport(httpx.AsyncBaseTransport):
    """Sends through ``inner`` and records each exchange into ``recording``.

    The answer is read as it came (still compressed) and handed on as it came, so the
    connector's own checks see it unchanged: a body past ``max_bytes`` or a Content-Encoding
    that does not decode fails there exactly as it would without the recorder. The recorder
    reads at most ``max_bytes`` and one byte more, so a huge answer cannot fill memory here; the
    cassette notes it as oversized (or undecodable), and a replay fails the same way.
    """

    def __init__(self, inner: httpx.AsyncClient, recording: Recording, max_bytes: int) -> None:
        self._inner = inner
        self.recording = recording
        self.max_bytes = max_bytes

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        try:
            response = await self._inner.send(request, stream=True)
            try:
                if response.is_stream_consumed:  # read by its transport: already decoded
                    raw, dropped = response.content, (*_FRAMING_HEADERS, "content-encoding")
                else:
                    raw, dropped = await _read_raw(response, self.max_bytes + 1), _FRAMING_HEADERS
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            self._record(request, body, None, error=exc)
            raise
        headers = [(k, v) for k, v in response.headers.items() if k not in dropped]
        handed = httpx.Response(
            response.status_code,
            headers=headers,
            stream=Pieces(raw),
            request=request,
            extensions={"http_version": response.extensions.get("http_version", b"HTTP/1.1")},
        )
        stored = await self._stored_body(handed, raw)
        self._record(request, body, handed, stored=stored)
        return handed

    async def _stored_body(self, handed: httpx.Response, raw: bytes) -> dict[str, Any] | None:
        """The answer's body as the cassette keeps it: decoded and masked, or why not.

        Decoded by the connector's own capped reader, so what it would refuse is noted here.
        """
        probe = httpx.Response(200, headers=handed.headers, stream=Pieces(raw))
        try:
            await read_capped(probe, self.max_bytes, str(handed.request.url))
        except GraphResponseError as exc:
            if exc.setting == "max_response_bytes":
                return {"oversized": self.max_bytes + 1}
            encoding = handed.headers.get("content-encoding", "")
            return {"undecodable": base64.b64encode(raw).decode("ascii"), "encoding": encoding}
        if not probe.content:
            return None
        encoded = encode_body(probe.content, handed.headers.get("content-type", ""))
        pseudonyms = self.recording.pseudonyms
        if "json" in encoded and pseudonyms:
            return {"json": pseudonyms.answer(encoded["json"])}
        return encoded

    def _record(
        self,
        request: httpx.Request,
        body: bytes,
        response: httpx.Response | None,
        *,
        stored: dict[str, Any] | None = None,
        error: Exception | None = None,
    ) -> None:
        pseudonyms = self.recording.pseudonyms
        canonical = pseudonyms.request(
            canonical_request(
                request.method, str(request.url), body, request.headers.get("content-type", "")
            )
        )
        sent_headers = kept_request_headers(request.headers)
        if response is None:
            failure = {"type": type(error).__name__, "message": mask_text(str(error))}
            self.recording.add(Exchange(canonical, sent_headers, None, {}, None, failure))
            return
        self.recording.add(
            Exchange(
                request=canonical,
                request_headers=sent_headers,
                status=response.status_code,
                headers=kept_response_headers(response.headers),
                body=stored,
            )
        )

    async def aclose(self) -> None:
        await self._inner.aclose()


class Pieces(httpx.AsyncByteStream):
    """``data`` as a stream of 64 KiB pieces, so whoever decodes it counts as it inflates (a
    small gzip that inflates to gigabytes is stopped near the cap, never allocated whole)."""

    def __init__(self, data: bytes, size: int = 64 * 1024) -> None:
        self.data = data
        self.size = size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for start in range(0, len(self.data), self.size):
            yield self.data[start : start + self.size]


async def _read_raw(response: httpx.Response, limit: int) -> bytes:
    """The body as it came over the wire, compressed or not, at most ``limit`` bytes of it."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]
