"""Cassettes: the file a recorded Graph session lives in, and what may go into one.

A cassette is JSON Lines: a header line (format version, the Graph origin it was recorded
against, the pseudonymised properties), then one line per exchange, appended as each completes, so a
session cut short keeps what it had. An exchange is the request as Graph saw it (method, path
under the base URL, query pairs, body) and the answer (status, the headers a client reads, the
body), or the transport error that ended it.

What may not go in is decided here, once, for recording and replay alike: no request header but
the few that change an answer (so no Authorization, no cookie), no response header that could
carry a credential, and every body and query passed through :mod:`.masking` (secretText from
addPassword, passwords, JWT-shaped strings). Replay canonicalises the incoming request the same
way, so a request whose body held a password still finds its masked recording.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from graph_magic.connector.masking import mask_text
from graph_magic.errors import GraphReplayError

__all__ = [
    "FORMAT_VERSION",
    "CanonicalRequest",
    "Exchange",
    "canonical_request",
    "decode_body",
    "encode_body",
    "header",
    "kept_request_headers",
    "kept_response_headers",
    "read_cassette",
    "shown_path",
]

FORMAT_VERSION = 1

# Request headers that change Graph's answer, so a replay can show them; nothing else is kept.
_KEPT_REQUEST_HEADERS = frozenset(
    {"content-type", "consistencylevel", "prefer", "x-ms-throttle-priority"}
)
# Response headers a client reads: paging and retry decisions, Graph's ids, throttling state.
_KEPT_RESPONSE_HEADERS = frozenset(
    {
        "content-type",
        "retry-after",
        "retry-after-ms",
        "x-ms-retry-after-ms",
        "location",
        "odata-version",
        "preference-applied",
        "request-id",
        "client-request-id",
        "x-ms-ags-diagnostic",
        "x-ms-resource-unit",
        "x-ms-throttle-limit-percentage",
        "x-ms-throttle-scope",
        "x-ms-throttle-information",
    }
)


@dataclass(frozen=True)
class CanonicalRequest:
    """A request as matching sees it: the same for the recording and for the replay.

    ``query`` is sorted, so the order a client wrote its options in does not matter; ``body`` is
    the masked JSON value (or masked text) the request carried.
    """

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: Any = None

    def describe(self) -> str:
        """``GET /users?$top=5`` as a person would write it (query in sorted order)."""
        query = "&".join(f"{k}={v}" for k, v in self.query)
        return f"{self.method} {self.path}" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class Exchange:
    """One recorded exchange: the canonical request and its answer or transport error."""

    request: CanonicalRequest
    request_headers: Mapping[str, str]
    status: int | None
    headers: Mapping[str, str]
    body: Mapping[str, Any] | None
    error: Mapping[str, str] | None = None

    def to_json(self) -> dict[str, Any]:
        """The cassette line for this exchange."""
        request: dict[str, Any] = {
            "method": self.request.method,
            "path": self.request.path,
            "query": [list(pair) for pair in self.request.query],
        }
        if self.request_headers:
            request["headers"] = dict(self.request_headers)
        if self.request.body is not None:
            request["body"] = self.request.body
        line: dict[str, Any] = {"request": request}
        if self.error is not None:
            line["error"] = dict(self.error)
        else:
            line["response"] = {"status": self.status, "headers": dict(self.headers)}
            if self.body is not None:
                line["response"]["body"] = dict(self.body)
        return line


def canonical_request(method: str, url: str, body: bytes, content_type: str) -> CanonicalRequest:
    """The masked, order-insensitive form of a request to ``url`` (absolute) with ``body``.

    The path keeps its version segment (``/v1.0/users``, ``/beta/users``) and drops the origin,
    so one cassette holds a system's v1.0 and beta calls and replays under any host.
    """
    parts = urlsplit(mask_text(url))
    query = tuple(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return CanonicalRequest(
        method=method.upper(),
        path=unquote(parts.path) or "/",
        query=query,
        body=_canonical_body(body, content_type),
    )


def _canonical_body(body: bytes, content_type: str) -> Any:
    if not body:
        return None
    encoded = encode_body(body, content_type)
    return encoded.get("json", encoded)


def encode_body(body: bytes, content_type: str) -> dict[str, Any]:
    """``{"json": value}``, ``{"text": str}`` or ``{"base64": str}``, secrets masked."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(body).decode("ascii")}
    if "json" in content_type.lower():
        try:
            return {"json": json.loads(mask_text(text))}
        except ValueError:
            pass
    return {"text": mask_text(text)}


def decode_body(body: Mapping[str, Any] | None) -> bytes:
    """The bytes a recorded body stands for."""
    if not body:
        return b""
    if "json" in body:
        return json.dumps(body["json"], ensure_ascii=False, separators=(",", ":")).encode()
    if "text" in body:
        return str(body["text"]).encode()
    return base64.b64decode(str(body.get("base64", "")))


def kept_request_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The request headers a cassette keeps: those that change the answer, never a credential."""
    return {k.lower(): v for k, v in headers.items() if k.lower() in _KEPT_REQUEST_HEADERS}


def kept_response_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The response headers a cassette keeps, their values masked (a Location's query)."""
    return {
        k.lower(): mask_text(v) for k, v in headers.items() if k.lower() in _KEPT_RESPONSE_HEADERS
    }


def header(origin: str, pseudonymised: Collection[str]) -> dict[str, Any]:
    """The first line of a cassette."""
    return {
        "graph_magic_cassette": FORMAT_VERSION,
        "origin": origin,
        "pseudonymised": sorted(pseudonymised),
    }


@dataclass(frozen=True)
class Cassette:
    """A read cassette: where it came from, the origin it was recorded on, its exchanges."""

    path: Path
    origin: str
    exchanges: tuple[Exchange, ...]


def shown_path(path: Path) -> str:
    """``path`` as an error shows it: relative to the working directory when under it.

    Notebooks keep their error outputs, and nbval compares them on other machines.
    """
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def read_cassette(path: str | Path) -> Cassette:
    """Read and check a cassette; a broken one is a GraphReplayError naming the file and line."""
    path = Path(path)
    shown = shown_path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise GraphReplayError(f"cassette {shown} does not exist; record it first") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GraphReplayError(f"cassette {shown} cannot be read: {exc}") from None
    records = list(_parsed_lines(shown, lines))
    if not records or records[0][1].get("graph_magic_cassette") != FORMAT_VERSION:
        raise GraphReplayError(
            f"{shown} is not a graph-magic cassette (version {FORMAT_VERSION}): its first line "
            "must be the cassette header"
        )
    header = records[0][1]
    exchanges = tuple(_exchange(shown, number, data) for number, data in records[1:])
    return Cassette(path=path, origin=str(header.get("origin", "")), exchanges=exchanges)


def _parsed_lines(path: str, lines: list[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise GraphReplayError(
                f"cassette {path}, line {number}: not JSON ({exc.msg}); was the recording cut "
                "short? Record again, or delete the line"
            ) from None
        if not isinstance(data, dict):
            raise GraphReplayError(f"cassette {path}, line {number}: expected a JSON object")
        yield number, data


def _exchange(path: str, number: int, data: Mapping[str, Any]) -> Exchange:
    try:
        request = data["request"]
        canonical = CanonicalRequest(
            method=str(request["method"]),
            path=str(request["path"]),
            query=tuple((str(k), str(v)) for k, v in request.get("query", [])),
            body=request.get("body"),
        )
        if "error" in data:
            error = {"type": str(data["error"]["type"]), "message": str(data["error"]["message"])}
            return Exchange(canonical, request.get("headers", {}), None, {}, None, error)
        response = data["response"]
        return Exchange(
            request=canonical,
            request_headers=dict(request.get("headers", {})),
            status=int(response["status"]),
            headers={str(k): str(v) for k, v in response.get("headers", {}).items()},
            body=response.get("body"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise GraphReplayError(
            f"cassette {path}, line {number}: not an exchange (missing or wrong {exc})"
        ) from None
