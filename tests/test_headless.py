"""``graph-magic run``: the README's main job runs a guide and leaves something to open and read."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]


def graph_magic(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The ``graph-magic`` command as the README runs it, importing this checkout."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.run(
        [sys.executable, "-m", "graph_magic", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_quickstart_runs_and_says_what_it_did_and_where_the_result_is(tmp_path: Path) -> None:
    guide = ROOT / "notebooks" / "01_quickstart.ipynb"
    done = graph_magic("run", guide, "--out", "result", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no kernel warning, no traceback
    stored = nbformat.read(guide, as_version=4)
    code_cells = sum(cell.cell_type == "code" for cell in stored.cells)
    lines = done.stdout.splitlines()
    assert lines[0] == f"Ran {guide}: {code_cells} of {code_cells} code cells."
    assert lines[1].startswith("Graph requests: ")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme[readme.index("\nRan notebooks/01_quickstart.ipynb") :].split("```")[0]
    shown_lines = shown.strip().splitlines()  # the README shows what this run prints
    assert shown_lines[:2] == [
        f"Ran notebooks/01_quickstart.ipynb: {code_cells} of {code_cells} code cells.",
        lines[1],
    ]
    assert lines[-2:] == [
        f"Executed notebook: {Path('result') / guide.name}",
        f"Web page: {Path('result') / '01_quickstart.html'}",
    ]
    executed = nbformat.read(tmp_path / "result" / guide.name, as_version=4)
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code)
    assert executed.metadata.language_info["name"] == "python"
    page = (tmp_path / "result" / "01_quickstart.html").read_text(encoding="utf-8")
    # Every result's headline is on the page, pagers included (no widget manager needed).
    headlines = [
        output.data["text/plain"].splitlines()[0]
        for cell in code
        for output in cell.outputs
        if "text/plain" in output.get("data", {}) and cell.source.startswith("%%graph")
    ]
    assert headlines and "unpkg.com" not in page
    assert [line for line in headlines if html.escape(line, quote=False) not in page] == []
    assert guide.read_bytes() == (ROOT / "notebooks" / guide.name).read_bytes()


def test_the_summary_counts_the_graph_requests_rows_and_dry_runs(tmp_path: Path) -> None:
    notebook = tmp_path / "count.ipynb"
    nbformat.write(
        new_notebook(
            cells=[
                new_code_cell("%load_ext graph_magic"),
                new_code_cell("%%graph\nGET /users?$select=displayName&$top=999"),
                new_code_cell("%%graph\nGET /groups\n###\nGET /users/$count"),
                new_code_cell("%%graph --dry-run\nGET /devices"),
            ],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        ),
        notebook,
    )
    done = graph_magic("run", notebook, "--out", tmp_path / "out", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == (
        "Graph requests: 3 sent (0 answered with an error), 1 shown by --dry-run;"
        " 290 rows returned."  # 250 users, 40 groups, a count
    )


def test_a_failing_cell_stops_the_run_and_what_ran_is_still_written(tmp_path: Path) -> None:
    notebook = tmp_path / "broken.ipynb"
    nbformat.write(
        new_notebook(
            cells=[
                new_code_cell("print('first')"),
                new_code_cell("raise ValueError('the second cell fails')"),
                new_code_cell("print('never')"),
            ],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        ),
        notebook,
    )
    done = graph_magic("run", notebook, cwd=tmp_path)

    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == f"Ran {notebook}: 2 of 3 code cells."
    assert lines[1] == "STOPPED: cell 2 failed: ValueError: the second cell fails"
    executed = json.loads((tmp_path / "out" / "broken.ipynb").read_text(encoding="utf-8"))
    assert executed["cells"][0]["outputs"][0]["text"] == ["first\n"]
    assert executed["cells"][2]["outputs"] == []
    assert (tmp_path / "out" / "broken.html").is_file()


def test_a_missing_notebook_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    missing = "nowhere.ipynb"
    done = graph_magic("run", missing, cwd=tmp_path)

    assert done.returncode == 2
    assert done.stderr == f"graph-magic run: no notebook at {missing}\n"
    assert not (tmp_path / "out").exists()


def test_a_cell_that_runs_past_the_timeout_is_named(tmp_path: Path) -> None:
    notebook = tmp_path / "slow.ipynb"
    nbformat.write(
        new_notebook(
            cells=[new_code_cell("print('first')"), new_code_cell("import time; time.sleep(60)")],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        ),
        notebook,
    )
    done = graph_magic("run", notebook, "--timeout", "2", cwd=tmp_path)

    assert done.returncode == 1
    assert done.stdout.splitlines()[1] == "STOPPED: cell 2 did not finish within 2 s"
    assert (tmp_path / "out" / "slow.html").is_file()
