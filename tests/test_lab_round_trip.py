"""The quickstart opened in a real JupyterLab (headless Chromium) as someone else's notebook.

It must not be marked modified on open, a save must leave its bytes as they were, and its pager,
untrusted, must be drawn as the result's HTML table. Skipped where Chromium, its driver or
Selenium is missing (`.ci/run` installs them); `scripts/lab_round_trip.py` checks every guide.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scripts import lab_round_trip
from tests.support.notebooks import on_this_python

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("selenium")
pytest.importorskip("jupyterlab")
if not (shutil.which(lab_round_trip.CHROMIUM) and shutil.which(lab_round_trip.CHROMEDRIVER)):
    pytest.skip("needs Chromium and chromedriver", allow_module_level=True)


def test_the_quickstart_opens_unmodified_and_saves_byte_for_byte(tmp_path: Path) -> None:
    # As stored, but naming this Python: the one line a reader on another Python sees change.
    guide = tmp_path / "01_quickstart.ipynb"
    text = (ROOT / "notebooks" / "01_quickstart.ipynb").read_text(encoding="utf-8")
    guide.write_text(on_this_python(text), encoding="utf-8")
    (finding,) = lab_round_trip.round_trip([guide])

    assert "error" not in finding
    assert finding["modifiedOnOpen"] is False
    assert finding["same_bytes"] is True
    cells = finding["cells"]
    assert not any(cell["trusted"] for cell in cells)  # nobody on this machine signed it
    # The listing's pager (the second code cell) falls back to its HTML table.
    assert cells[1]["forms"] == ["text/html"]
