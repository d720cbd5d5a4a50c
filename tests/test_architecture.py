"""The arrows of DESIGN.md, checked on the source: who may import whom."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "graph_magic"

CONNECTOR_SIDE = ["connector", "errors"]


def _imports(path: Path) -> set[str]:
    """Every module name an import statement in ``path`` names, resolved to absolute form."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package_parts = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package_parts[: len(package_parts) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _modules(*relative: str) -> list[Path]:
    paths: list[Path] = []
    for name in relative:
        candidate = PACKAGE / f"{name}.py"
        if candidate.exists():
            paths.append(candidate)
        elif (PACKAGE / name).is_dir():
            paths.extend(sorted((PACKAGE / name).rglob("*.py")))
    return paths


@pytest.mark.parametrize("path", _modules(*CONNECTOR_SIDE), ids=lambda p: p.name)
def test_connector_side_never_imports_ipython_or_widgets(path: Path) -> None:
    forbidden = {n for n in _imports(path) if n.split(".")[0] in {"IPython", "ipywidgets"}}
    assert not forbidden, f"{path.name} imports {sorted(forbidden)}"


@pytest.mark.parametrize("path", _modules("sandbox"), ids=lambda p: p.name)
def test_sandbox_never_imports_the_client_side(path: Path) -> None:
    client_side = {f"graph_magic.{name}" for name in [*CONNECTOR_SIDE, "notebook"]}
    hits = {n for n in _imports(path) if any(n == c or n.startswith(c + ".") for c in client_side)}
    assert not hits, f"{path.relative_to(PACKAGE)} imports {sorted(hits)}"


def test_ruff_finds_nothing() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    root = PACKAGE.parent
    result = subprocess.run(
        [ruff, "check", "graph_magic", "tests", "benchmarks", "scripts"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
