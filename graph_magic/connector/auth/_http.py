"""The HTTP client msal talks through: httpx, with the system's timeouts and a deadline.

msal wants a "requests-like" object; this adapter gives it httpx (so proxies and respx behave
as for Graph calls), form-encodes as requests would, and bounds each exchange as a whole.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import httpx

from graph_magic.connector.config import Timeouts

__all__ = ["MsalHttpClient"]


class MsalHttpClient(Protocol):
    """msal's "requests-like" http client: ``get`` and ``post`` answering with a response that
    has ``status_code``, ``text``, ``headers`` and ``raise_for_status()`` (httpx's do)."""

    def get(self, url: str, params: Any = None, headers: Any = None, **kwargs: Any) -> Any: ...

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> Any: ...

    def close(self) -> None: ...


class _HttpxForMsal:
    """msal's "requests-like" http_client over httpx: same proxies and timeouts as Graph calls.

    httpx's timeouts bound each read; ``deadline`` (seconds) bounds each exchange whole, so an
    identity platform dripping its answer a byte at a time cannot hold a sign-in (and the worker
    thread it runs in) for longer.
    """

    def __init__(self, client: httpx.Client, deadline: float | None = None) -> None:
        self._client = client
        self._deadline = deadline

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> httpx.Response:
        if isinstance(data, (str, bytes)):
            body: dict[str, Any] = {"content": data}
        else:
            # requests form-encodes bytes values as their text; httpx would send "b'...'"
            # (msal passes the signed client assertion as bytes).
            body = {"data": {k: _text(v) for k, v in (data or {}).items()}}
        request = self._client.build_request(
            "POST", url, params=params, headers=headers, timeout=kwargs.get("timeout"), **body
        )
        return self._send(request)

    def get(
        self, url: str, params: Any = None, headers: Any = None, **kwargs: Any
    ) -> httpx.Response:
        request = self._client.build_request(
            "GET", url, params=params, headers=headers, timeout=kwargs.get("timeout")
        )
        return self._send(request)

    def _send(self, request: httpx.Request) -> httpx.Response:
        """Send and read the answer, raising ReadTimeout once the deadline has passed."""
        started = time.monotonic()
        response = self._client.send(request, stream=True)
        try:
            chunks = []
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                if self._deadline is not None and time.monotonic() - started > self._deadline:
                    raise httpx.ReadTimeout(
                        f"no complete answer from {request.url.host} within {self._deadline:g} s",
                        request=request,
                    )
            response._content = b"".join(chunks)  # what Response.read sets
        finally:
            response.close()
        return response

    def close(self) -> None:
        self._client.close()


def httpx_for_msal(timeouts: Timeouts) -> _HttpxForMsal:
    """msal's http client for a real identity platform: the system's timeouts, no redirects,
    and each exchange bounded whole by their sum (connect, write and read)."""
    bounds = [t for t in (timeouts.connect, timeouts.write, timeouts.read) if t is not None]
    return _HttpxForMsal(
        httpx.Client(timeout=timeouts.as_httpx(), follow_redirects=False),
        deadline=sum(bounds) if len(bounds) == 3 else None,
    )


def _text(value: Any) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value
