"""Other things a cell shows in JupyterLab: progress while paging, an error block, Tab."""

from __future__ import annotations

import re
from typing import Any

COUNTED_SCAN = """%%graph -o counted --system sandbox-slow
GET /users
$count: true
$top: 25
ConsistencyLevel: eventual"""
"""10 pages 250 ms apart, with @odata.count known: a real progress bar for about 2 s."""


def test_progress_shows_its_counts_on_the_bar_then_goes(page: Any) -> None:
    page.run("%config GraphMagic.progress_delay = 0.3")
    cell = page.run(COUNTED_SCAN, wait=False)
    bar = page.widget(cell, ".widget-hprogress, .jupyter-widget-hprogress")
    page.wait(lambda _d: "items" in _progress_text(page, cell))
    text = _progress_text(page, cell)
    page.screenshot("progress-while-paging", cell)
    assert re.fullmatch(r"fetching: [\d,]+ of 250 items · [\d,]+ pages?", text), text
    beside = page.js(
        "const [bar, label] = [...arguments].map(e => e.getBoundingClientRect());"
        "return label.left >= bar.right && label.top < bar.bottom && label.bottom > bar.top;",
        bar,
        next(e for e in page.find(cell, ".widget-label") if e.text.startswith("fetching")),
    )
    assert bar.is_displayed() and beside  # the counts sit on the bar's line, to its right
    page.wait(lambda _d: not page.find(cell, ".widget-hprogress, .jupyter-widget-hprogress"))
    caption = page.widget(cell, ".gm-caption").text
    page.screenshot("progress-gone", cell)
    assert caption.startswith("users: 250 rows · 10 pages")
    assert "fetching" not in page.output_text(cell)


def _progress_text(page: Any, cell: Any) -> str:
    labels = [label.text for label in page.find(cell, ".widget-label")]
    return next((text for text in labels if text.startswith("fetching")), "")


def test_an_error_block_says_what_failed_and_what_graph_said(page: Any) -> None:
    cell = page.run("%%graph\nGET /users/nobody@contoso.com")
    (block,) = page.find(
        cell, '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    )
    page.screenshot("error-block", cell)
    lines = [line.strip() for line in block.text.splitlines()]
    assert lines[0] == "GraphAPIError: 404 Request_ResourceNotFound"
    assert lines[1].startswith("Resource 'nobody@contoso.com' does not exist")
    assert "request: GET https://graph.microsoft.com/v1.0/users/nobody@contoso.com" in lines
    assert any(re.fullmatch(r"request-id: [0-9a-f-]{36}", line) for line in lines), lines


def test_tab_completes_a_path_in_a_graph_cell(page: Any) -> None:
    index = page.add_cell("%%graph\nGET /us")
    cell = page.cell(index)
    offered = page.complete(cell)
    page.screenshot("completion-offered", cell)
    assert "users" in offered, offered  # the item completes the segment after "/"
    page.press_enter()
    page.wait(lambda _d: "GET /users" in page.find(cell, ".cm-content")[0].text)
    page.screenshot("completion-accepted", cell)
