"""Fixtures for the connector tests: a token provider, a recording sleep, a system (the fakes
themselves are in tests/support).

Also the identity platform's fake (``aad``), system files in tmp dirs (``write_system``), and a
fresh msal cache registry per test, as a new process would have.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import respx

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import SystemConfig, load_system
from tests.connector.auth.identity_platform import FakeIdentityPlatform
from tests.support.fakes import FakeTokenProvider, RecordingSleep
from tests.support.graph import GRAPH

_KEYS = itertools.count()


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


def _write_system(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def write_system() -> Callable[[Path, str, str], Path]:
    """``write_system(directory, name, text)`` writes ``name.yaml`` and returns its path."""
    return _write_system


@pytest.fixture
def aad() -> Iterator[FakeIdentityPlatform]:
    """A fake Microsoft identity platform; every other host is refused (no network)."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        yield FakeIdentityPlatform(mock)


@pytest.fixture(autouse=True)
def _fresh_token_caches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: no msal cache loaded yet."""
    from graph_magic.connector.auth import _cache

    monkeypatch.setattr(_cache, "_FILE_CACHES", {})
