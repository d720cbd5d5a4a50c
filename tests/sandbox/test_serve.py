"""The sandbox served on loopback: real sockets, real drops, msal through a loopback client."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import msal
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from graph_magic.sandbox import (
    FaultMiddleware,
    LoopbackHttpClient,
    SandboxOptions,
    batch_item_fault,
    make_server,
)
from tests.sandbox.sandbox_kit import AUTHORITY, GRAPH_SCOPE, tiny_app
from tests.support.fakes import Clock


class Served:
    """A uvicorn server on 127.0.0.1:<free port> in a thread, stopped at teardown."""

    def __init__(self, options: SandboxOptions, app: Any = None) -> None:
        self.app, self.tokens = tiny_app(options, Clock(time.time()))
        self.server = make_server(options, 0, app=app or self.app)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:  # startup, not a Retry-After wait
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        host, self.port = self.server.servers[0].sockets[0].getsockname()[:2]
        assert host == "127.0.0.1"
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def served_drops() -> Iterator[Served]:
    with Served(SandboxOptions.from_dict({"faults": {"drop_rate": 1.0}})) as served:
        yield served


def test_drop_closes_the_connection_without_an_answer(served_drops: Served) -> None:
    with httpx.Client(base_url=served_drops.url) as client:
        with pytest.raises(httpx.RemoteProtocolError, match="without sending"):
            client.get("/v1.0/users")
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/v1.0/users")
        token = client.post(
            "/contoso.onmicrosoft.com/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "sandbox-app",
                "client_secret": "sandbox-secret",
                "scope": GRAPH_SCOPE[0],
            },
        )
    assert token.status_code == 200
    assert served_drops.app.counters.faults["drop"] == 2


def test_msal_and_graph_over_loopback() -> None:
    with Served(SandboxOptions()) as served:
        http_client = LoopbackHttpClient(served.port)
        cca = msal.ConfidentialClientApplication(
            "sandbox-app",
            client_credential="sandbox-secret",
            authority=AUTHORITY,
            http_client=http_client,
        )
        result = cca.acquire_token_for_client(GRAPH_SCOPE)
        http_client.close()
        response = httpx.get(
            f"{served.url}/v1.0/whoami",
            headers={"Authorization": f"Bearer {result['access_token']}"},
        )
    assert response.json()["kind"] == "app"


def test_drop_works_when_mounted_inside_starlette_middleware() -> None:
    """However the app stacks its middleware, a served drop closes the socket (no 500)."""
    options = SandboxOptions.from_dict({"faults": {"drop_rate": 1.0, "batch_item_429_rate": 1.0}})
    app = Starlette(
        routes=[Route("/v1.0/users", lambda request: PlainTextResponse("ok"))],
        middleware=[Middleware(FaultMiddleware, options=options)],
    )
    with Served(options, app) as served, pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{served.url}/v1.0/users")
    assert batch_item_fault(app.state)["status"] == 429
