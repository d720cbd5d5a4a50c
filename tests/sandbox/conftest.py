"""Fixtures for the sandbox's tests: a fresh tenant per test, clients holding tokens, and the
tiny auth-and-faults app with a settable clock and a recording sleep (helpers in sandbox_kit)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from graph_magic.sandbox import FaultMiddleware, SandboxOptions, TokenService, create_app
from tests.sandbox.sandbox_kit import GRAPH, bearer, tiny_app
from tests.support.fakes import Clock, RecordingSleep


@pytest.fixture
def app() -> Any:
    """A fresh default tenant (seed 42, ~250 users)."""
    return create_app()


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


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def make_app(
    clock: Clock, sleeps: RecordingSleep
) -> Callable[..., tuple[FaultMiddleware, TokenService]]:
    """Build the tiny app for given options (a dict or SandboxOptions)."""

    def build(options: Any = None) -> tuple[FaultMiddleware, TokenService]:
        if not isinstance(options, SandboxOptions):
            options = SandboxOptions.from_dict(options)
        return tiny_app(options, clock, sleeps)

    return build
