"""Fixtures for the knowledge tests: the shipped Knowledge per cloud, and Microsoft's sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from graph_magic.knowledge import Knowledge

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO.parent / "shared" / "graph-metadata"


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    """The global cloud's knowledge, from the index that ships."""
    return Knowledge.for_cloud("global")


@pytest.fixture(scope="session")
def source() -> Path:
    """Microsoft's metadata the index is built from (skips where it is not beside the repo)."""
    if not (SOURCE / "permissions.json").exists():
        pytest.skip(f"no Graph metadata at {SOURCE}")
    return SOURCE


@pytest.fixture(scope="session")
def permission_map(source: Path) -> dict[str, dict[str, object]]:
    """permissions.json as Microsoft publishes it."""
    return json.loads((source / "permissions.json").read_text(encoding="utf-8"))["permissions"]
