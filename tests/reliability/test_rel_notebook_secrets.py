"""The notebooks in notebooks/ show no token or secret in any output, and paste none; the
cassettes the recorded ones replay hold none either.

nbval (strict) checks that a fresh run reproduces each stored output, so scanning the stored
outputs covers what a run shows; ``scripts/reliability_report.py --notebooks`` also executes
them and scans the fresh outputs. Markdown may name the sandbox's published secret (the README
does); code and outputs may not hold a token or a secret.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts.store_notebooks import NOTEBOOKS as FOLDER
from scripts.store_notebooks import guides
from tests.support.cassettes import BEARER, JWT, SANDBOX_SECRETS, secrets_in

NOTEBOOKS = guides()
CASSETTES = sorted(FOLDER.glob("**/cassettes/*.jsonl"))


def _outputs(cell: dict) -> list[str]:
    texts = []
    for output in cell.get("outputs", []):
        texts.append("".join(output.get("text", "")))
        texts.extend(
            "".join(v) if isinstance(v, list) else str(v) for v in output.get("data", {}).values()
        )
        texts.append("\n".join(output.get("traceback", [])))
    return texts


@pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks yet")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_secret_in_notebook_outputs_or_code(path: Path) -> None:
    notebook = json.loads(path.read_text(encoding="utf-8"))
    hits = []
    for number, cell in enumerate(notebook["cells"], 1):
        texts = _outputs(cell)
        if cell["cell_type"] == "code":
            texts.append("".join(cell["source"]))
        for text in texts:
            hits += [(number, m.group(0)[:24]) for m in JWT.finditer(text)]
            hits += [(number, m.group(0)[:24]) for m in BEARER.finditer(text)]
            hits += [(number, s) for s in SANDBOX_SECRETS if s in text]
    assert hits == []


@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: p.name)
def test_no_secret_in_a_stored_cassette(path: Path) -> None:
    assert secrets_in(path) == []


def test_the_notebook_scan_finds_a_token_in_an_output() -> None:
    cell = {"outputs": [{"data": {"text/plain": "Authorization: Bearer abcdefgh12345678"}}]}
    assert any(BEARER.search(text) for text in _outputs(cell))
