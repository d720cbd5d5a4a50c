"""Talk to the sandbox in-process: an httpx transport for Graph calls and an http client for msal.

Both answer from ``graph_magic.sandbox.shared_app(options)``, so the connector's requests and
msal's token requests reach the same tenant, with URLs that still read
``https://graph.microsoft.com/...`` and ``https://login.microsoftonline.com/...``. Nothing
leaves the process.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import html
import re
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import httpx
from starlette.types import ASGIApp

from graph_magic.sandbox.app import shared_app
from graph_magic.sandbox.entra.endpoints import APPROVE_PATH
from graph_magic.sandbox.entra.tokens import LOGIN_HOST
from graph_magic.sandbox.faults import ConnectionDropped
from graph_magic.sandbox.options import SandboxOptions

_T = TypeVar("_T")
SandboxOptionsLike = SandboxOptions | Mapping[str, Any] | None


def _options(options: SandboxOptionsLike) -> SandboxOptions:
    if isinstance(options, SandboxOptions):
        return options
    return SandboxOptions.from_dict(dict(options or {}))


class _SandboxTransport(httpx.ASGITransport):
    """httpx's ASGI transport, with a dropped connection surfacing as it would over a socket."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from exc


def asgi_transport(
    options: SandboxOptionsLike, *, app: ASGIApp | None = None
) -> httpx.AsyncBaseTransport:
    """An httpx async transport answered by the shared sandbox app for ``options``.

    ``app`` replaces the shared app (tests, or a sandbox built elsewhere).
    """
    return _SandboxTransport(app=app if app is not None else shared_app(_options(options)))


def _run(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coro`` to completion on a private event loop, from any thread.

    msal is synchronous and may be called from a worker thread while the extension's loop runs
    elsewhere, or from a thread whose own loop is running (a notebook cell): then a private
    thread runs the private loop, since a thread can run only one loop at a time.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


class SandboxMsalHttpClient:
    """A synchronous, requests-like http client for msal that answers from the sandbox.

    msal calls ``get``/``post`` and reads ``status_code``, ``text``, ``headers`` and
    ``raise_for_status()`` on the result; httpx responses provide all of them.
    """

    def __init__(self, transport_factory: Callable[[], httpx.AsyncBaseTransport]) -> None:
        self._transport_factory = transport_factory

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **_: Any,
    ) -> httpx.Response:
        """GET ``url`` from the sandbox (discovery documents)."""
        return _run(self._send("GET", url, params=params, headers=headers))

    def post(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | str | None = None,
        headers: Mapping[str, str] | None = None,
        **_: Any,
    ) -> httpx.Response:
        """POST a form to ``url`` on the sandbox (token and device code endpoints)."""
        return _run(self._send("POST", url, params=params, data=data, headers=headers))

    def close(self) -> None:
        """Nothing to release: every call uses its own short-lived client."""

    async def _send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        data: Mapping[str, Any] | str | None = None,
    ) -> httpx.Response:
        clean_headers = {k: v for k, v in (headers or {}).items() if v is not None}
        # None, not {}: httpx replaces a URL's own query string with an empty params dict.
        clean_params = {k: v for k, v in (params or {}).items() if v is not None} or None
        async with httpx.AsyncClient(transport=self._transport_factory()) as client:
            if isinstance(data, str):
                return await client.request(
                    method, url, params=clean_params, headers=clean_headers, content=data
                )
            return await client.request(
                method, url, params=clean_params, headers=clean_headers, data=data
            )


def msal_http_client(
    options: SandboxOptionsLike, *, app: ASGIApp | None = None
) -> SandboxMsalHttpClient:
    """An msal ``http_client`` whose requests are answered by the shared sandbox app."""
    resolved = _options(options)
    return SandboxMsalHttpClient(lambda: asgi_transport(resolved, app=app))


def approve_device_code(
    options: SandboxOptionsLike, user_code: str, upn: str, *, app: ASGIApp | None = None
) -> None:
    """Sign ``upn`` in on a pending device code, as a user in a browser would.

    Raises ``ValueError`` with the sandbox's reason when the code or the user is unknown.
    """
    client = msal_http_client(options, app=app)
    response = client.post(
        f"https://{LOGIN_HOST}{APPROVE_PATH}", data={"user_code": user_code, "upn": upn}
    )
    if response.status_code != 200:
        raise ValueError(response.json().get("error_description", response.text))


def browse_sign_in(
    options: SandboxOptionsLike, auth_uri: str, upn: str | None, *, app: ASGIApp | None = None
) -> dict[str, str]:
    """Visit ``auth_uri`` as a person in a browser would; the answer it hands the app.

    The sign-in page is answered as ``upn``; with the sandbox's ``browser_auto_approve`` there
    is no page and ``upn`` may be None. The answer (``code`` and ``state``) comes as a redirect's
    query or, for ``response_mode=form_post``, as the fields of the page that posts it. Raises
    ``ValueError`` with the page's message when the sandbox did not sign anyone in.
    """
    client = msal_http_client(options, app=app)
    page = client.get(auth_uri)
    if page.status_code == 200 and "username" in page.text and upn:
        page = client.post(auth_uri, data={"username": upn})
    location = page.headers.get("location")
    if page.status_code == 302 and location:
        return dict(parse_qsl(urlsplit(location).query))
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    if page.status_code == 200 and "code" in fields and "username" not in page.text:
        return {name: html.unescape(value) for name, value in fields.items()}
    error = re.search(r'<p class="error">(.*?)</p>', page.text)
    message = html.unescape(error.group(1)) if error else ""
    raise ValueError(message or "the sign-in page waits for an account (give --as UPN)")
