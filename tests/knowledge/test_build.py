"""The build script: deterministic, and what it writes is exactly what ships."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.knowledge.conftest import REPO

SCRIPT = REPO / "scripts" / "build_knowledge.py"
SHIPPED = REPO / "graph_magic" / "knowledge" / "data"


def _build(source: Path, out: Path) -> dict[str, bytes]:
    subprocess.run(
        [sys.executable, str(SCRIPT), "--source", str(source), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return {path.name: path.read_bytes() for path in sorted(out.iterdir())}


@pytest.fixture(scope="module")
def built(source: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, bytes]]:
    """Two builds of the same sources into fresh folders."""
    return [_build(source, tmp_path_factory.mktemp(f"build{n}")) for n in (1, 2)]


def test_the_build_is_deterministic(built: list[dict[str, bytes]]) -> None:
    first, second = built
    assert first == second


def test_the_shipped_index_is_what_the_build_writes(built: list[dict[str, bytes]]) -> None:
    shipped = {path.name: path.read_bytes() for path in sorted(SHIPPED.iterdir())}
    assert sorted(shipped) == sorted(built[0])
    stale = [name for name in shipped if shipped[name] != built[0][name]]
    assert not stale, f"stale: {stale}; run python scripts/build_knowledge.py"


def test_the_index_is_small_and_carries_the_mit_notices() -> None:
    sizes = {path.name: path.stat().st_size for path in SHIPPED.iterdir()}
    assert sum(sizes.values()) < 3_000_000
    for notice in ("LICENSE-msgraph-metadata", "LICENSE-microsoft-graph-devx-content"):
        assert "MIT License" in (SHIPPED / notice).read_text(encoding="utf-8")
