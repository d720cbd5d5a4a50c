"""Fixtures for the connector tests: a token provider, a recording sleep, a system (the fakes
themselves are in tests/support).

Also the identity platform's fake (``aad``), system files in tmp dirs (``write_system``), and a
fresh msal cache registry per test, as a new process would have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import respx

from tests.connector.auth.identity_platform import FakeIdentityPlatform
from tests.connector.connector_kit import make_connector
from tests.support.fakes import FakeTokenProvider, RecordingSleep


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
    conn = make_connector(tokens, sleeper)  # its pacer's time passes by the fake sleep
    yield conn
    await conn.close()


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
