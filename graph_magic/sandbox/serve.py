"""Serve the sandbox tenant on loopback with uvicorn, for clients outside this process.

The server binds 127.0.0.1 only: the sandbox accepts its fixed, published secrets, so it must
never be reachable from another machine. Graph answers at ``http://127.0.0.1:PORT/v1.0/...``
and the token endpoints at ``http://127.0.0.1:PORT/contoso.onmicrosoft.com/oauth2/v2.0/...``.

msal insists on an ``https://`` authority, so an msal client keeps
``authority="https://login.microsoftonline.com/contoso.onmicrosoft.com"`` and passes
``http_client=LoopbackHttpClient(port)``, which sends every request to the served sandbox.
Microsoft's Graph SDK (``msgraph-sdk``, optional) is pointed at it by :func:`msgraph_sdk_client`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from graph_magic.sandbox.app import create_app
from graph_magic.sandbox.faults import TRANSPORT_SCOPE_KEY, socket_transport
from graph_magic.sandbox.options import SandboxOptions

HOST = "127.0.0.1"
DEFAULT_PORT = 8765


def make_server(
    options: SandboxOptions,
    port: int = DEFAULT_PORT,
    *,
    log_level: str = "warning",
    app: ASGIApp | None = None,
) -> uvicorn.Server:
    """A uvicorn server for a fresh sandbox tenant on 127.0.0.1:``port`` (not started).

    Port 0 picks a free port; after startup it is in ``server.servers[0].sockets``. ``app``
    serves another ASGI app instead of a fresh tenant (tests).
    """
    if app is None:
        app = create_app(options)
    config = uvicorn.Config(
        _WithTransport(app),
        host=HOST,
        port=port,
        http="h11",
        lifespan="off",
        log_level=log_level,
        access_log=False,
        server_header=False,
        date_header=False,  # the sandbox dates its answers itself (deterministic Date)
    )
    return uvicorn.Server(config)


def serve(options: SandboxOptions, port: int = DEFAULT_PORT, *, log_level: str = "warning") -> None:
    """Run the sandbox on 127.0.0.1:``port`` until interrupted."""
    make_server(options, port, log_level=log_level).run()


class _WithTransport:
    """Hands the connection's transport down in the scope, for ``FaultMiddleware``'s drops."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        transport = socket_transport(send)
        if transport is not None:
            scope[TRANSPORT_SCOPE_KEY] = transport
        await self.app(scope, receive, send)


class LoopbackHttpClient:
    """An msal ``http_client`` that sends every request to the sandbox served on ``port``.

    The scheme and host of each URL (``https://login.microsoftonline.com``) are replaced by
    ``http://127.0.0.1:port``; path and query stay, so msal's own flow runs unchanged.
    """

    def __init__(self, port: int, *, timeout: float = 30.0) -> None:
        self.port = port
        self._client = httpx.Client(timeout=timeout)

    def get(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **_: Any,
    ) -> httpx.Response:
        """GET ``url`` from the served sandbox."""
        return self._client.get(self._local(url), params=_clean(params), headers=_clean(headers))

    def post(
        self,
        url: str,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        **_: Any,
    ) -> httpx.Response:
        """POST a form to ``url`` on the served sandbox."""
        return self._client.post(
            self._local(url), params=_clean(params), data=data, headers=_clean(headers)
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def _local(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit(("http", f"{HOST}:{self.port}", parts.path, parts.query, ""))


def _clean(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    # None, not {}: httpx replaces a URL's own query string with an empty params dict.
    return {k: v for k, v in (values or {}).items() if v is not None} or None


class StaticTokenCredential:
    """An azure-core ``TokenCredential`` handing out one token already obtained (from msal, or
    the sandbox's token endpoint), valid for ``lifetime`` seconds from each call."""

    def __init__(self, token: str, lifetime: int = 3600) -> None:
        self._token = token
        self._lifetime = lifetime

    def __repr__(self) -> str:
        return "StaticTokenCredential(token=***)"

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        """The token as azure-core's ``AccessToken``."""
        from azure.core.credentials import AccessToken

        return AccessToken(self._token, int(time.time()) + self._lifetime)


def msgraph_sdk_client(
    base_url: str, token: str, *, timeout: float = 120.0
) -> tuple[Any, Any, httpx.AsyncClient]:
    """Microsoft's ``GraphServiceClient`` on the served sandbox: (client, adapter, httpx client).

    Built the way msgraph-sdk builds its own (msgraph-core's default middleware: retry,
    redirect, telemetry) with azure-identity's authentication provider over ``token``, its
    allowed hosts limited to the sandbox's, and ``base_url`` (``http://127.0.0.1:PORT/v1.0``)
    in place of Graph's. Needs ``msgraph-sdk``; the adapter is what msgraph-core's
    ``PageIterator`` takes. Close the httpx client when done.
    """
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider,
    )
    from msgraph import GraphServiceClient
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.graph_request_adapter import options as sdk_options
    from msgraph_core import GraphClientFactory

    host = urlsplit(base_url).hostname or HOST
    auth = AzureIdentityAuthenticationProvider(
        StaticTokenCredential(token),
        scopes=["https://graph.microsoft.com/.default"],
        allowed_hosts=[host],
    )
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(timeout=timeout), options=sdk_options
    )
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = base_url
    return GraphServiceClient(request_adapter=adapter), adapter, http
