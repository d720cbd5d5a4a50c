"""Fixtures for the sandbox core's tests: a fresh tenant per test and clients holding tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from graph_magic.sandbox import create_app

GRAPH = "https://graph.microsoft.com"


@pytest.fixture
def app() -> Any:
    """A fresh default tenant (seed 42, ~250 users)."""
    return create_app()


def bearer(app: Any, client_id: str = "sandbox-app") -> dict[str, str]:
    """An Authorization header with an app-only token from the sandbox's own token service."""
    token, _ = app.state.tokens.issue_app_token(client_id)
    return {"Authorization": f"Bearer {token}"}


def delegated(app: Any, user: dict[str, Any], scopes: tuple[str, ...] = ("User.Read",)) -> dict:
    """An Authorization header with a delegated token for ``user``."""
    token, _ = app.state.tokens.issue_delegated_token("sandbox-public", user, scopes)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client signed in as ``sandbox-app`` (every permission)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=bearer(app)
    ) as c:
        yield c


@pytest.fixture
async def limited(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client signed in as ``sandbox-limited`` (no AuditLog/Invite)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=bearer(app, "sandbox-limited")
    ) as c:
        yield c


EVENTUAL = {"ConsistencyLevel": "eventual"}


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    """(status, Graph code, message) of an error answer."""
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]
