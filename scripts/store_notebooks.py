"""Execute the guide notebooks against the sandbox and store them exactly as JupyterLab saves them.

    python scripts/store_notebooks.py                      # every guide (see guides())
    python scripts/store_notebooks.py notebooks/01_quickstart.ipynb
    python scripts/store_notebooks.py --no-execute notebooks/01_quickstart.ipynb  # text edits

Why: a notebook that JupyterLab would write differently is marked modified the moment it opens.
Opening one, JupyterLab asks the kernel for its ``language_info`` and writes all of it into the
notebook's metadata (``codemirror_mode``, ``file_extension``, ``mimetype``, ``nbconvert_exporter``,
``pygments_lexer``, ``version``), and ``kernelspec`` from the kernel's spec; it merges adjacent
stream outputs of the same name; the server then writes the JSON with nbformat's writer (indent 1,
sorted keys, a final newline). So each notebook is run in a fresh kernel (nbclient, the
``notebooks/`` folder as working directory, the widgets' state kept so the pager's views show
without a kernel) and written in that form. The one thing no file can match for everyone is
``language_info.version``: a reader on another Python sees the notebook modified on open.

Trust cannot be stored: Jupyter trusts a notebook's rich outputs only when the reader's own
secret signed it (``jupyter trust``) or they ran it. Untrusted, JupyterLab still shows HTML
(sanitized) and falls back from a widget view to the output's next form, which for the pager is
the result's HTML table.

Exits 1, writing nothing for that notebook, if a cell fails without the ``raises-exception`` tag.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path[:0] = [str(ROOT)]

from graph_magic.headless import execute_notebook  # noqa: E402


def guides() -> list[Path]:
    """Every stored notebook: the guides, and the recorded ones that replay a cassette."""
    return sorted(NOTEBOOKS.glob("*.ipynb")) + sorted(NOTEBOOKS.glob("recorded/*.ipynb"))


def kernelspec_metadata(name: str = "python3") -> dict[str, str]:
    """The ``kernelspec`` JupyterLab writes for the installed kernel ``name``."""
    spec = KernelSpecManager().get_kernel_spec(name)
    return {"display_name": spec.display_name, "language": spec.language, "name": name}


def jupyterlab_form(
    nb: nbformat.NotebookNode,
    language_info: Mapping[str, Any],
    kernelspec: Mapping[str, str],
    id_prefix: str = "cell",
) -> str:
    """``nb`` as JupyterLab saves it after opening it on a kernel with ``language_info``.

    A cell without an id gets ``ID_PREFIX-NN`` (its position), as the guides' cells are named.
    """
    nb = nbformat.from_dict(nb)
    nb.metadata["kernelspec"] = dict(kernelspec)
    nb.metadata["language_info"] = dict(language_info)
    taken = {cell.get("id") for cell in nb.cells}
    for number, cell in enumerate(nb.cells, 1):
        if not cell.get("id"):
            cell["id"] = _free_id(f"{id_prefix}-{number:02d}", taken)
        cell.metadata.pop("execution", None)  # nbclient's timings: new on every run
        if cell.cell_type == "code":
            cell.outputs = merged_streams(cell.outputs)
    return nbformat.writes(nb) + "\n"


def merged_streams(outputs: list[Any]) -> list[Any]:
    """Adjacent stream outputs of the same name as one, as JupyterLab's output area holds them."""
    merged: list[Any] = []
    for output in outputs:
        last = merged[-1] if merged else None
        if (
            last is not None
            and output.output_type == last.output_type == "stream"
            and output.name == last.name
        ):
            last.text += output.text
        else:
            merged.append(output)
    return merged


def _free_id(wanted: str, taken: set[Any]) -> str:
    candidate, extra = wanted, 0
    while candidate in taken:
        extra += 1
        candidate = f"{wanted}-{extra}"
    taken.add(candidate)
    return candidate


def store(path: Path, execute: bool = True) -> str | None:
    """Execute ``path`` in place and write it in JupyterLab's form; the error if a cell failed.

    Without ``execute`` the stored outputs are kept and only the form is written, with the
    ``language_info`` the installed Python kernel reports: for an edit to markdown, which
    changes no output, so the diff holds the edit alone (a run renews every widget's model id
    and every timing).
    """
    nb = nbformat.read(path, as_version=4)
    if execute:
        error, _ = asyncio.run(execute_notebook(nb, path.parent))
        if error:
            return error
    else:
        from ipykernel.ipkernel import IPythonKernel

        nb.metadata["language_info"] = dict(IPythonKernel.language_info)  # what it would report
    kernelspec = kernelspec_metadata(nb.metadata.get("kernelspec", {}).get("name", "python3"))
    prefix = path.stem.split("_")[0]
    text = jupyterlab_form(nb, nb.metadata.language_info, kernelspec, id_prefix=prefix)
    path.write_text(text, encoding="utf-8")
    return None


def main(argv: list[str] | None = None) -> int:
    """Store each notebook named (default: every guide); 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every guide")
    parser.add_argument(
        "--no-execute", action="store_true", help="keep the outputs, write the form only"
    )
    args = parser.parse_args(argv)
    failed = 0
    for path in args.notebooks or guides():
        error = store(path, execute=not args.no_execute)
        print(f"{path}: {error or 'stored'}", file=sys.stderr if error else sys.stdout)
        failed += error is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
