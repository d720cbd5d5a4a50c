"""Shared helpers of the sandbox tests: token headers, Graph error parts, a settable clock, a
recording sleep and a tiny tenant app for the auth and fault tests.

Plain functions and classes, imported as ``tests.sandbox.sandbox_kit``; ``conftest.py`` turns
the ones tests want as fixtures into fixtures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from graph_magic.sandbox import FaultMiddleware, SandboxOptions, TokenRejected, TokenService
from graph_magic.sandbox.entra import endpoints as identity
from tests.support.fakes import RecordingSleep
from tests.support.graph import GRAPH_HOST

GRAPH = GRAPH_HOST  # the sandbox serves every version under the host
EVENTUAL = {"ConsistencyLevel": "eventual"}
AUTHORITY = "https://login.microsoftonline.com/contoso.onmicrosoft.com"
GRAPH_SCOPE = ["https://graph.microsoft.com/.default"]

USERS = [
    {
        "id": "11111111-0000-4000-8000-000000000001",
        "userPrincipalName": "adele@contoso.com",
        "displayName": "Adele Vance",
    },
    {
        "id": "11111111-0000-4000-8000-000000000002",
        "userPrincipalName": "megan@contoso.com",
        "displayName": "Megan Bowen",
    },
]


def find_user(id_or_upn: str) -> dict | None:
    """The tiny tenant's users, found by id or UPN (case-insensitive UPN, as Graph does)."""
    for user in USERS:
        if id_or_upn in (user["id"],) or id_or_upn.lower() == user["userPrincipalName"]:
            return user
    return None


def tiny_app(
    options: SandboxOptions, clock: Callable[[], float], sleep: RecordingSleep | None = None
) -> tuple[FaultMiddleware, TokenService]:
    """Identity routes plus one Graph-like route that reports the verified principal."""
    tokens = TokenService(options, find_user, clock)

    async def whoami(request: Request) -> Response:
        try:
            principal = tokens.verify(request.headers.get("authorization"))
        except TokenRejected as exc:
            return JSONResponse(
                {"error": {"code": "InvalidAuthenticationToken", "message": exc.message}},
                status_code=401,
            )
        return JSONResponse(
            {
                "kind": principal.kind,
                "roles": sorted(principal.roles),
                "scopes": sorted(principal.scopes),
                "upn": principal.upn,
            }
        )

    async def users(request: Request) -> Response:
        return JSONResponse({"value": []})

    app = Starlette(
        routes=[
            *identity.routes(tokens),
            Route("/v1.0/whoami", whoami),
            Route("/v1.0/users", users, methods=["GET", "POST"]),
        ]
    )
    middleware = FaultMiddleware(app, options, sleep or RecordingSleep(), clock=clock)
    return middleware, tokens


def bearer(app: Any, client_id: str = "sandbox-app") -> dict[str, str]:
    """An Authorization header with an app-only token from the sandbox's own token service."""
    token, _ = app.state.tokens.issue_app_token(client_id)
    return {"Authorization": f"Bearer {token}"}


def delegated(app: Any, user: dict[str, Any], scopes: tuple[str, ...] = ("User.Read",)) -> dict:
    """An Authorization header with a delegated token for ``user``."""
    token, _ = app.state.tokens.issue_delegated_token("sandbox-public", user, scopes)
    return {"Authorization": f"Bearer {token}"}


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    """(status, Graph code, message) of an error answer."""
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]
