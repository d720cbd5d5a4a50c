"""Run a notebook headless and keep what it showed: ``graph-magic run NOTEBOOK``.

``jupyter execute`` runs a notebook and throws the outputs away, so exit status 0 is all a
person sees. This runs it the same way (nbclient, a fresh kernel, the notebook's folder as the
working directory) and keeps the result twice: the executed notebook, for JupyterLab, and an
HTML page, for a browser. Then it says what happened: the cells run, the Graph requests made
(the magic's own history, read from the kernel before it stops) and the rows they returned.

The kernel is started with CurveZMQ transport encryption when pyzmq has it (every pyzmq wheel
does): ipykernel 7 otherwise warns that it "is running over TCP without encryption", which is
true of every local kernel started the default way and says nothing about the notebook.

nbclient, nbformat and nbconvert come with the ``lab`` extra; they are imported on first use so
``graph-magic sandbox serve`` does not need them.
"""

from __future__ import annotations

import asyncio
import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nbclient import NotebookClient
    from nbformat import NotebookNode

__all__ = ["RunReport", "execute_notebook", "run_notebook"]

# Read in the kernel after the last cell: what the magic's history remembers (its last
# `history_size` requests, 100 by default). It is not stored in the notebook. A notebook that
# never loaded the extension made no request.
_PROBE = """\
import json as _gm_json
_gm_magic = get_ipython().find_magic("graph")
_gm_outcomes = [e.outcome for e in _gm_magic.__self__.session.history] if _gm_magic else []
_gm_rows = sum(e.rows or 0 for e in _gm_magic.__self__.session.history) if _gm_magic else 0
print(_gm_json.dumps({
    "sent": sum(outcome != "dry-run" for outcome in _gm_outcomes),
    "errors": sum(outcome.startswith("error") for outcome in _gm_outcomes),
    "dry_runs": _gm_outcomes.count("dry-run"),
    "rows": _gm_rows,
}))
"""


@dataclass(frozen=True)
class RunReport:
    """What one headless run did, and where its result is."""

    notebook: Path
    executed: Path
    html: Path
    code_cells: int
    cells_run: int
    expected_errors: int
    requests: int
    errors: int
    dry_runs: int
    rows: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when every cell ran and none failed unexpectedly."""
        return self.error is None

    def summary(self) -> str:
        """The lines ``graph-magic run`` prints."""
        on_purpose = f", {self.expected_errors} failing on purpose" if self.expected_errors else ""
        lines = [
            f"Ran {self.notebook}: {self.cells_run} of {self.code_cells} code cells{on_purpose}.",
            f"Graph requests: {self.requests} sent ({self.errors} answered with an error),"
            f" {self.dry_runs} shown by --dry-run; {self.rows} rows returned.",
        ]
        if self.error:
            lines.insert(1, f"STOPPED: {self.error}")
        lines += [f"Executed notebook: {self.executed}", f"Web page: {self.html}"]
        return "\n".join(lines)


def run_notebook(notebook: Path, out_dir: Path, timeout: float = 600.0) -> RunReport:
    """Execute ``notebook`` and write ``out_dir/NAME.ipynb`` and ``NAME.html``, even if it fails.

    The notebook's own file is left as it is. A cell that fails without the
    ``raises-exception`` tag stops the run, as in Run All; what ran so far is still written.
    """
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    error, counts = asyncio.run(execute_notebook(nb, notebook.parent, timeout=timeout))
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / notebook.name
    nbformat.write(nb, executed)
    html = executed.with_suffix(".html")
    html.write_text(_html(nb), encoding="utf-8")
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    return RunReport(
        notebook=notebook,
        executed=executed,
        html=html,
        code_cells=len(code),
        cells_run=sum(cell.get("execution_count") is not None for cell in code),
        expected_errors=sum(_failed_on_purpose(cell) for cell in code),
        requests=counts.get("sent", 0),
        errors=counts.get("errors", 0),
        dry_runs=counts.get("dry_runs", 0),
        rows=counts.get("rows", 0),
        error=error,
    )


async def execute_notebook(
    nb: NotebookNode, cwd: Path, timeout: float = 600.0
) -> tuple[str | None, dict[str, int]]:
    """Run every cell of ``nb`` in place in a fresh kernel working in ``cwd``.

    Returns the error that stopped the run (None when it ran to the end) and the magic's
    request counts. Like nbclient's own ``execute``, it stores the kernel's ``language_info``
    and the widgets' state in the notebook's metadata.
    """
    from jupyter_core.utils import ensure_async

    client = _client(nb, cwd, timeout)
    async with client.async_setup_kernel():
        assert client.kc is not None
        reply = await client.async_wait_for_reply(await ensure_async(client.kc.kernel_info()))
        if reply is not None:
            nb.metadata["language_info"] = reply["content"]["language_info"]
        error, kernel_free = await _run_cells(client, timeout)
        counts = await _probe(client, len(nb.cells)) if kernel_free else {}
        client.set_widgets_metadata()
    return error, counts


async def _run_cells(client: NotebookClient, timeout: float) -> tuple[str | None, bool]:
    """Run the cells in order until one fails: the failure, and whether the kernel is free."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    for index, cell in enumerate(client.nb.cells):
        count = client.code_cells_executed + 1
        try:
            await client.async_execute_cell(cell, index, execution_count=count)
        except CellExecutionError as exc:
            return f"cell {index + 1} failed: {exc.ename}: {exc.evalue}", True
        except CellTimeoutError:
            return f"cell {index + 1} did not finish within {timeout:g} s", False
        except DeadKernelError:
            return f"cell {index + 1} did not finish: the kernel died", False
    return None, True


def _client(nb: NotebookNode, cwd: Path, timeout: float) -> NotebookClient:
    import zmq
    from nbclient import NotebookClient
    from traitlets.config import Config

    config = Config()
    if zmq.has("curve"):
        config.KernelManager.transport_encryption = "auto"
    return NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=nb.metadata.get("kernelspec", {}).get("name", "python3"),
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,  # per-cell timestamps: new on every run, noise in a stored notebook
        config=config,
    )


async def _probe(client: NotebookClient, index: int) -> dict[str, int]:
    from nbformat.v4 import new_code_cell

    cell = new_code_cell(_PROBE)
    client.nb.cells.append(cell)  # nbclient stores a cell's outputs back at its index
    try:
        await client.async_execute_cell(cell, index, store_history=False)
    finally:
        client.nb.cells.pop()
    text = "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream")
    try:
        return dict(json.loads(text.strip().splitlines()[-1]))
    except (ValueError, IndexError):
        return {}


def _failed_on_purpose(cell: Any) -> bool:
    tagged = "raises-exception" in cell.get("metadata", {}).get("tags", [])
    return tagged and any(out.get("output_type") == "error" for out in cell.get("outputs", []))


def _html(nb: NotebookNode) -> str:
    """The notebook as one HTML page that shows without a kernel or a widget manager.

    The widgets' state is left out, so each widget view falls back to the output's HTML or
    text form (nbconvert skips a view whose state is missing) instead of a blank that only a
    widget manager fetched from a CDN could fill.
    """
    from nbconvert import HTMLExporter

    page = copy.deepcopy(nb)
    page.metadata.pop("widgets", None)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(page)
    return str(body)
