"""The arrows of DESIGN.md ("Layout"), checked on the source: who may import whom, and sizes.

Every import statement counts, those under ``TYPE_CHECKING`` and inside functions included: a
circle hidden behind a lazy or type-only import is still a circle in the design.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "graph_magic"

# The one module of the client that may reach the sandbox (lazily, for `transport: sandbox`),
# and the command line, whose `graph-magic sandbox serve` starts it as a server.
SANDBOX_SEAMS = {"graph_magic.connector.sandbox_transport", "graph_magic.__main__"}
# `load_ipython_extension` registers the magic: the only way into the notebook from outside it.
NOTEBOOK_ENTRY = {"graph_magic"}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imported(path: Path) -> set[str]:
    """The project modules ``path`` imports, each resolved to the module it really names."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names]
            targets = [t if t in MODULES else base for t in targets]
        else:
            continue
        found.update(t for t in targets if t == "graph_magic" or t.startswith("graph_magic."))
    return {t for t in found if t in MODULES and t != name}


def _third_party(path: Path) -> set[str]:
    tops: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            tops.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            tops.add(node.module.split(".")[0])
    return tops


IMPORTS = {name: _imported(path) for name, path in MODULES.items()}


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), plus self-loops."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in IMPORTS[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(IMPORTS):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles_counting_type_checking_and_lazy_imports() -> None:
    assert _cycles() == []


def test_the_circle_check_sees_a_circle() -> None:
    """Guard the guard: a two-module circle planted in the graph is reported."""
    IMPORTS["graph_magic.errors"].add("graph_magic.connector.client")
    try:
        assert any("graph_magic.errors" in c for c in _cycles())
    finally:
        IMPORTS["graph_magic.errors"].discard("graph_magic.connector.client")


def _of(package: str) -> Iterator[str]:
    return (name for name in MODULES if _in(name, package))


@pytest.mark.parametrize("module", list(_of("graph_magic.connector")))
def test_connector_never_imports_the_notebook_ipython_widgets_or_pandas(module: str) -> None:
    assert not {n for n in IMPORTS[module] if _in(n, "graph_magic.notebook")}
    forbidden = _third_party(MODULES[module]) & {"IPython", "ipywidgets", "pandas", "traitlets"}
    assert not forbidden, f"{module} imports {sorted(forbidden)}"


@pytest.mark.parametrize("module", list(_of("graph_magic.sandbox")))
def test_sandbox_never_imports_the_connector_or_the_notebook(module: str) -> None:
    hits = {n for n in IMPORTS[module] if not _in(n, "graph_magic.sandbox")}
    hits -= {"graph_magic.knowledge"} | set(_of("graph_magic.knowledge"))
    assert not hits, f"{module} imports {sorted(hits)}"


@pytest.mark.parametrize("module", list(_of("graph_magic.knowledge")))
def test_knowledge_imports_no_other_package(module: str) -> None:
    hits = {n for n in IMPORTS[module] if not _in(n, "graph_magic.knowledge")}
    assert not hits, f"{module} imports {sorted(hits)}"


def test_only_the_connectors_sandbox_transport_imports_the_sandbox() -> None:
    importers = {
        name
        for name, targets in IMPORTS.items()
        if not _in(name, "graph_magic.sandbox")
        and any(_in(t, "graph_magic.sandbox") for t in targets)
    }
    assert importers <= SANDBOX_SEAMS, sorted(importers - SANDBOX_SEAMS)
    assert "graph_magic.connector.sandbox_transport" in MODULES


def test_nothing_outside_the_notebook_imports_it() -> None:
    importers = {
        name
        for name, targets in IMPORTS.items()
        if not _in(name, "graph_magic.notebook")
        and any(_in(t, "graph_magic.notebook") for t in targets)
    }
    assert importers <= NOTEBOOK_ENTRY, sorted(importers - NOTEBOOK_ENTRY)


def test_errors_module_is_the_exception_tree_and_nothing_else() -> None:
    tree = ast.parse(MODULES["graph_magic.errors"].read_text(encoding="utf-8"))
    # It may name plain values the errors carry (RetryStop), never anything with dependencies.
    heavy = {n for n in IMPORTS["graph_magic.errors"] if IMPORTS[n]}
    assert not heavy, f"errors.py imports modules that import others: {sorted(heavy)}"
    top = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    assert not top, f"errors.py defines functions: {[f.name for f in top]}"
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    docstring = ast.get_docstring(tree) or ""
    missing = [name for name in classes if name not in docstring]
    assert not missing, f"the docstring's tree does not draw {missing}"
    assert "GraphUsageError" in docstring, "the tree points to the notebook's usage errors"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_and_functions_stay_small(module: str) -> None:
    source = MODULES[module].read_text(encoding="utf-8")
    lines = source.count("\n")
    assert lines <= MAX_MODULE_LINES, f"{module} has {lines} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{module}: {long}"


def test_ruff_finds_nothing() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed")
    result = subprocess.run(
        [ruff, "check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
