"""``%load_ext graph_magic`` imports only what registering the magic needs (issue 17).

An analyst pays the extension's imports at every kernel restart, so the heavy parts (the
sandbox, msal, tenacity, httpx, the connector, ipywidgets, the knowledge index, the cell
grammar) load on first use. Each check runs in a fresh interpreter: in this one, other tests
have long imported everything.
"""

from __future__ import annotations

from tests.support.child import run_child

# Not imported by %load_ext: each loads on the first cell or command that needs it.
DEFERRED = (
    "graph_magic.sandbox",
    "graph_magic.knowledge",
    "graph_magic.connector.client",
    "graph_magic.connector.auth",
    "graph_magic.notebook.cell",
    "graph_magic.notebook.display",
    "graph_magic.notebook.commands",
    "graph_magic.notebook.run",
    "msal",
    "tenacity",
    "httpx",
    "ipywidgets",
    "yaml",
    "opentelemetry",
)

_CHILD = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "graph_magic")
after_load = sorted(sys.modules)
result = shell.run_cell(
    "%%graph -o users --no-paginate\\nGET /users\\n$select: displayName,mail\\n$top: 5", silent=True
)
users = shell.user_ns.get("users")
print(json.dumps({
    "after_load": after_load,
    "after_cell": sorted(sys.modules),
    "cell_ok": result.success,
    "rows": None if users is None else len(users),
    "columns": None if users is None else list(users.columns),
}))
"""


# What the first Tab and a dry run need: the system's host and the knowledge, never a server.
NOT_FOR_COMPLETION = (
    "graph_magic.sandbox.app",
    "graph_magic.sandbox.tenant",
    "graph_magic.connector.client",
    "graph_magic.connector.auth",
    "starlette",
    "msal",
    "httpx",
    "odata_query",
)
NOT_FOR_A_DRY_RUN = ("graph_magic.sandbox.app", "graph_magic.sandbox.tenant", "starlette")

_TAB_THEN_DRY_RUN = """
import json, sys
from IPython.core.completer import provisionalcompleter
from IPython.core.interactiveshell import InteractiveShell

shell = InteractiveShell.instance()
shell.run_line_magic("load_ext", "graph_magic")
cell = "%%graph\\nGET /us"
with provisionalcompleter():
    words = [c.text for c in shell.Completer.completions(cell, len(cell))]
after_tab = sorted(sys.modules)
shell.run_cell("%%graph --dry-run\\nGET /users\\n$filter: startswith(displayName,'A')")
print(json.dumps({"words": words, "after_tab": after_tab, "after_dry_run": sorted(sys.modules)}))
"""


def _loaded(modules: object, roots: tuple[str, ...]) -> list[str]:
    """The modules of ``modules`` under any of ``roots``."""
    return sorted(
        name
        for name in modules  # type: ignore[attr-defined]
        if any(name == root or name.startswith(root + ".") for root in roots)
    )


def _run_child(code: str = _CHILD) -> dict[str, object]:
    return run_child(code)


def test_load_ext_defers_the_heavy_modules_and_the_first_cell_still_works() -> None:
    report = _run_child()
    loaded = set(report["after_load"])  # type: ignore[arg-type]
    assert _loaded(loaded, DEFERRED) == []
    assert "graph_magic.notebook.magic" in loaded
    assert report["cell_ok"] is True
    assert report["rows"] == 5
    assert report["columns"] == ["displayName", "mail", "id"]


def test_the_first_tab_and_a_dry_run_never_start_the_sandbox() -> None:
    """Completion needs the default system's host (for its cloud) and the knowledge index; a
    dry run builds the request with the connector. Neither makes the sandbox tenant, its app
    or a token (issue 19: the first Tab right after ``%load_ext``)."""
    report = _run_child(_TAB_THEN_DRY_RUN)
    assert report["words"] == ["users"]
    after_tab = report["after_tab"]
    assert "graph_magic.knowledge.api" in after_tab  # type: ignore[operator]
    assert _loaded(after_tab, NOT_FOR_COMPLETION) == []
    after_dry_run = report["after_dry_run"]
    assert "graph_magic.connector.client" in after_dry_run  # type: ignore[operator]
    assert _loaded(after_dry_run, NOT_FOR_A_DRY_RUN) == []


def test_the_first_cell_loads_neither_the_parquet_writer_nor_opentelemetry() -> None:
    """A plain cell writes no Parquet file, and no span or measurement could reach anyone
    (nothing loaded OpenTelemetry): neither pyarrow's writer nor the API is imported."""
    report = _run_child()
    assert report["cell_ok"] is True
    assert _loaded(report["after_cell"], ("opentelemetry", "pyarrow.parquet")) == []
