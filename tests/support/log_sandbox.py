"""A connector on an in-process sandbox tenant the test holds: what it sent, and failures on cue.

For the windowed log scans: the test can edit the tenant's logs before the first request (an
item stamped exactly on a window's edge), read every URL that went out, and have the requests
that match a rule answered with Graph's 400 instead of reaching the tenant.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import load_system
from graph_magic.sandbox import create_app

GRAPH = "https://graph.microsoft.com/v1.0"
_KEYS = itertools.count()


class SandboxToken:
    """An app-only token from the tenant's own token service (what msal would have fetched)."""

    def __init__(self, app: Any) -> None:
        self._app = app

    async def get_token(self, *, force_refresh: bool = False) -> str:
        return self._app.state.tokens.issue_app_token("sandbox-app")[0]

    def describe(self) -> dict[str, Any]:
        return {"auth_type": "sandbox-token"}

    async def logout(self) -> None:
        return None


class RecordingTransport(httpx.AsyncBaseTransport):
    """Records every request's URL; answers those ``fail`` picks with Graph's 400."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, fail: Callable[[httpx.URL], bool] | None = None
    ) -> None:
        self.inner = inner
        self.fail = fail
        self.sent: list[httpx.URL] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.url)
        if self.fail is not None and self.fail(request.url):
            body = {"error": {"code": "BadRequest", "message": "Window refused by the test."}}
            return httpx.Response(400, json=body, request=request)
        return await self.inner.handle_async_request(request)

    def filters(self) -> list[str]:
        """The decoded ``$filter`` of every first page sent (nextLinks left out), in order."""
        out = []
        for url in self.sent:
            query = dict(parse_qsl(urlsplit(str(url)).query))
            if "$skiptoken" not in query:
                out.append(query.get("$filter", ""))
        return out


def log_tenant(**options: Any) -> Any:
    """A fresh sandbox app (``options`` are SandboxOptions, e.g. ``sign_ins=3000``)."""
    from graph_magic.sandbox import SandboxOptions

    return create_app(SandboxOptions.from_dict(options))


def log_connector(
    app: Any,
    fail: Callable[[httpx.URL], bool] | None = None,
    *,
    connector_options: dict[str, Any] | None = None,
    **system: Any,
) -> tuple[GraphConnector, RecordingTransport]:
    """A connector to ``app`` (its own rate-limit key) and the transport recording its requests.

    ``system`` adds or replaces system keys; ``connector_options`` go to GraphConnector
    (``sleep``, ``pacer``).
    """
    transport = RecordingTransport(httpx.ASGITransport(app), fail)
    config = load_system(
        {
            "base_url": GRAPH,
            "auth_type": "bearer",
            "token": "unused",
            "rate_limit_key": f"windows-{next(_KEYS)}",
            "max_concurrent_requests": 8,
            "limits": {"pacing": False},  # the tenant does not throttle; its host is Graph's
            **system,
        },
        environ={},
    )
    connector = GraphConnector(
        config, token_provider=SandboxToken(app), transport=transport, **(connector_options or {})
    )
    return connector, transport
