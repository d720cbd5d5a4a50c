"""Foundation fixtures: tmp systems directories (``isolated`` lives in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import respx

from tests.foundation.foundation_kit import FakeIdentityPlatform


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
    from graph_magic.connector import auth

    monkeypatch.setattr(auth, "_FILE_CACHES", {})
