"""The recorded guide, end to end: recorded against the served sandbox as if it were a tenant, then
replayed with the sandbox gone, showing what the live run showed, cell for cell.

The stored notebook itself is checked by nbval against its committed cassette (the test command
runs it); this test makes a cassette of its own, without pseudonyms, so the live and the replayed
outputs can be compared exactly, and searches it for the token and the secrets the run used.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from graph_magic.headless import execute_notebook
from scripts.record_notebook import cassette_of, record
from scripts.store_notebooks import NOTEBOOKS
from tests.support.cassettes import secrets_in

GUIDE = NOTEBOOKS / "recorded" / "11_tenant_review.ipynb"
LOOPBACK = re.compile(r"http://127\.0\.0\.1:\d+")


def shown(nb: nbformat.NotebookNode) -> list[list[str]]:
    """What each code cell showed as text: display data, streams and errors.

    The one thing a replay shows differently is the host: its own (Graph's, by default) where
    the live run showed the served tenant's loopback address.
    """
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        texts = []
        for output in cell.outputs:
            if "data" in output:
                texts.append(str(output.data.get("text/plain", "")))
            elif output.output_type == "stream":
                texts.append(output.text)
            else:
                texts.append(f"{output.ename}: {output.evalue}")
        cells.append([LOOPBACK.sub("https://graph.microsoft.com", text) for text in texts])
    return cells


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The guide in a folder of its own, so its runs leave nothing in notebooks/."""
    folder = tmp_path / "recorded"
    folder.mkdir()
    return Path(shutil.copy(GUIDE, folder))


def test_the_guide_replays_with_the_tenant_gone_as_it_ran_live(
    copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cassette = tmp_path / "live.jsonl"
    live, token = record(copy, cassette, pseudonymise=())  # the served tenant stops here

    replaying = tmp_path / "replaying"
    replaying.mkdir()
    (replaying / "tenant.yaml").write_text(f"replay: {cassette}\n")
    monkeypatch.setenv("GRAPH_MAGIC_SYSTEMS", str(replaying))
    monkeypatch.delenv("GRAPH_TOKEN", raising=False)
    replayed = nbformat.read(copy, as_version=4)
    error, _ = asyncio.run(execute_notebook(replayed, copy.parent))

    assert error is None
    assert shown(replayed) == shown(live)
    assert any("250 rows" in text for texts in shown(live) for text in texts)
    assert not (copy.parent / ".graph-magic").exists()

    assert secrets_in(cassette, token) == []
    text = cassette.read_text(encoding="utf-8")

    # The committed cassette was recorded with pseudonyms: no name or address the live run
    # showed is in it.
    people = [json.loads(line) for line in text.splitlines()[1:]]
    first_page = people[0]["response"]["body"]["json"]["value"]
    names = {user["displayName"] for user in first_page} | {user["mail"] for user in first_page}
    committed = cassette_of(GUIDE).read_text(encoding="utf-8")
    assert [value for value in names if value and value in committed] == []
