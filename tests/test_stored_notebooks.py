"""Every guide is stored exactly as JupyterLab would save it, so opening it marks nothing modified.

``scripts/store_notebooks.py`` writes them in this form; these tests keep a hand edit, or a
notebook saved by another tool, from bringing back what made JupyterLab mark every guide
modified on open (a ``language_info`` holding only ``name``, which JupyterLab completes from the
kernel at once) or its pager views blank until run (widget state left out).
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

import nbformat
import pytest
from ipykernel.ipkernel import IPythonKernel
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from scripts.store_notebooks import guides, jupyterlab_form, kernelspec_metadata
from tests.support.notebooks import on_this_python

ROOT = Path(__file__).resolve().parents[1]
GUIDES = guides()
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


@pytest.fixture(params=GUIDES, ids=lambda path: path.stem)
def guide(request: pytest.FixtureRequest) -> tuple[Path, str, nbformat.NotebookNode]:
    path: Path = request.param
    text = path.read_text(encoding="utf-8")
    return path, text, nbformat.reads(text, as_version=nbformat.NO_CONVERT)


def test_the_guides_are_there() -> None:
    assert len(GUIDES) >= 6


def test_a_guide_is_byte_for_byte_what_jupyterlab_would_save(guide) -> None:
    path, text, nb = guide
    prefix = path.stem.split("_")[0]
    kernelspec = kernelspec_metadata(nb.metadata.kernelspec.name)
    expected = jupyterlab_form(nb, nb.metadata.language_info, kernelspec, id_prefix=prefix)
    assert text == expected, (
        f"{path.name} is not stored as JupyterLab saves it (nbconvert --execute adds per-cell"
        f" timings, for one): python scripts/store_notebooks.py --no-execute {path}"
        " rewrites it without running it"
    )
    assert (nb.nbformat, nb.nbformat_minor) == (4, nbformat.current_nbformat_minor)


def test_a_guide_holds_the_language_info_the_kernel_reports(guide) -> None:
    _, _, nb = guide
    stored = dict(nb.metadata.language_info)
    kernel = dict(IPythonKernel.language_info)
    assert re.fullmatch(r"3\.(11|12|13)\.\d+", stored.pop("version"))
    kernel.pop("version")
    assert stored == kernel


def test_a_guide_ran_top_to_bottom_in_one_kernel(guide) -> None:
    _, _, nb = guide
    counts = [cell.execution_count for cell in nb.cells if cell.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))


def test_every_widget_view_of_a_guide_has_its_state_stored(guide) -> None:
    _, _, nb = guide
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    views = [
        output.data[WIDGET_VIEW]["model_id"]
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if WIDGET_VIEW in output.get("data", {})
    ]
    assert [view for view in views if view not in state] == []
    # Outside a trusted JupyterLab the view falls back to the result's table, not its text.
    assert all(
        "text/html" in output.data
        for cell in nb.cells
        for output in cell.get("outputs", [])
        if WIDGET_VIEW in output.get("data", {})
    )


def test_the_form_merges_streams_names_cells_and_drops_run_timings() -> None:
    code = new_code_cell("print(1); print(2)", execution_count=1)
    code.outputs = [
        new_output("stream", name="stdout", text="1\n"),
        new_output("stream", name="stdout", text="2\n"),
        new_output("stream", name="stderr", text="warn\n"),
    ]
    code.metadata["execution"] = {"iopub.status.busy": "2026-12-07T15:00:00Z"}
    nb = new_notebook(cells=[new_markdown_cell("# t"), code])
    for cell in nb.cells:
        del cell["id"]
    info = {"name": "python", "version": "3.11.7"}
    spec = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

    text = jupyterlab_form(nb, info, spec, id_prefix="07")

    stored = nbformat.reads(text, as_version=4)
    assert [cell.id for cell in stored.cells] == ["07-01", "07-02"]
    assert [(out.name, out.text) for out in stored.cells[1].outputs] == [
        ("stdout", "1\n2\n"),
        ("stderr", "warn\n"),
    ]
    assert stored.cells[1].metadata == {}
    assert stored.metadata.language_info == info and stored.metadata.kernelspec == spec
    assert text.startswith('{\n "cells": [\n  {\n') and text.endswith("}\n")
    assert jupyterlab_form(stored, info, spec, id_prefix="07") == text  # already in form


def test_no_execute_stores_a_markdown_edit_as_the_only_change(tmp_path: Path) -> None:
    from scripts.store_notebooks import main

    guide = ROOT / "notebooks" / "05_auth.ipynb"
    copy = tmp_path / guide.name
    original = on_this_python(guide.read_text(encoding="utf-8"))  # --no-execute writes ours
    nb = nbformat.reads(original, as_version=4)
    old_last = nb.cells[0].source.splitlines()[-1]
    nb.cells[0].source += "\n\nOne more line."
    nbformat.write(nb, copy, version=nbformat.NO_CONVERT)  # not JupyterLab's form: no newline

    assert main(["--no-execute", str(copy)]) == 0

    stored = copy.read_text(encoding="utf-8").splitlines()
    diff = difflib.unified_diff(original.splitlines(), stored, lineterm="", n=0)
    edits = [line for line in diff if line[:1] in "+-" and line[:3] not in {"+++", "---"}]
    assert edits == [  # the old last line gains its newline; a blank line and the new one
        f"-    {json.dumps(old_last)}",
        f"+    {json.dumps(old_last + chr(10))},",
        '+    "\\n",',
        '+    "One more line."',
    ]
