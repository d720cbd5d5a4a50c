"""Fixtures for the connector tests: a fake token provider, a recording sleep, a system."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import respx

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import SystemConfig, load_system

GRAPH = "https://graph.microsoft.com/v1.0"
_KEYS = itertools.count()


class FakeTokenProvider:
    """Hands out ``token-1``, ``token-2``... and counts forced refreshes."""

    def __init__(self) -> None:
        self.issued = 0
        self.forced = 0

    async def get_token(self, *, force_refresh: bool = False) -> str:
        if force_refresh or self.issued == 0:
            self.issued += 1
        if force_refresh:
            self.forced += 1
        return f"token-{self.issued}"

    def describe(self) -> dict[str, Any]:
        return {"auth_type": "fake"}

    async def logout(self) -> None:
        self.issued = 0


class RecordingSleep:
    """An injectable sleep that records every wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def make_system(**overrides: Any) -> SystemConfig:
    """A bearer system on graph.microsoft.com with its own rate-limit key per call."""
    data: dict[str, Any] = {
        "base_url": GRAPH,
        "auth_type": "bearer",
        "token": "static-token",
        "rate_limit_key": f"test-{next(_KEYS)}",
    }
    data.update(overrides)
    return load_system(data, environ={})


@pytest.fixture
def tokens() -> FakeTokenProvider:
    return FakeTokenProvider()


@pytest.fixture
def sleeper() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def graph():
    """respx router for Graph; every test declares the routes it needs."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
async def connector(tokens, sleeper):
    conn = GraphConnector(make_system(), sleep=sleeper, token_provider=tokens)
    yield conn
    await conn.close()


def make_connector(tokens, sleeper, **overrides: Any) -> GraphConnector:
    return GraphConnector(make_system(**overrides), sleep=sleeper, token_provider=tokens)
