"""A guide notebook run top to bottom in JupyterLab, as a newcomer does first."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

GUIDE = Path(__file__).parents[2] / "notebooks" / "01_quickstart.ipynb"


def test_the_quickstart_runs_in_jupyterlab_and_shows_its_results(lab: Any, page: Any) -> None:
    shutil.copy(GUIDE, lab.notebooks / GUIDE.name)
    page.switch_to(GUIDE.name)
    try:
        cells = page.run_all()
        page.screenshot("quickstart-ran", cells[1])
        stderr = '[data-mime-type="application/vnd.jupyter.stderr"]'
        failed = [page.output_text(cell) for cell in cells if page.find(cell, stderr)]
        assert failed == []
        # The first request shows the pager (250 users), the filtered one a plain table.
        pager = page.widget(cells[1], ".gm-caption").text
        assert pager.startswith("users: 250 rows"), pager
        assert page.find(cells[1], ".gm-table.gm-box tbody tr")
        finance = page.widget(cells[2], ".jp-RenderedHTML .gm-table table")
        assert finance.find_elements("css selector", "tbody tr")
        assert page.output_text(cells[9]).strip().isdigit()  # %graph GET /users/$count
        page.screenshot("quickstart-filtered-table", cells[2])
    finally:
        page.switch_to(page.home)
