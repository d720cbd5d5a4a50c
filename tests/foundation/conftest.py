"""Fixtures for the foundation tests: an isolated home/cwd and a tmp systems directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import respx
from foundation_kit import FakeIdentityPlatform


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tmp cwd and HOME with no GRAPH_* variables, so only the package's systems are seen."""
    home = tmp_path / "home"
    work = tmp_path / "work"
    home.mkdir()
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    for name in (
        "GRAPH_MAGIC_SYSTEMS",
        "GRAPH_TOKEN",
        "GRAPH_TENANT_ID",
        "GRAPH_CLIENT_ID",
        "GRAPH_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


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
    from graph_magic import auth

    monkeypatch.setattr(auth, "_FILE_CACHES", {})
