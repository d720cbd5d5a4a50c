"""The pager in JupyterLab: a wide result read, paged, resized, and fetched from Graph.

Each test runs its own ``%%graph -o`` cell in the suite's notebook (the sandbox tenant's 250
users, 11 columns each) and checks what a person sees and what lands in the ``-o`` variable,
read from a following cell's output.
"""

from __future__ import annotations

import re
from typing import Any

FIRST_60 = "%%graph -o {name} --max-items 60\nGET /users\n$top: 20"
"""60 of the 250 users in 3 Graph pages, the nextLink kept: a pager that can fetch more."""

# How each body row of the pager's table lays out: its height, and for the id cell how many
# lines its text takes (a GUID breaks at hyphens if it is allowed to wrap).
_ROW_LAYOUT = """
const table = arguments[0];
const heads = [...table.querySelectorAll('thead th')].map(th => th.textContent);
const idAt = heads.indexOf('id');
return [...table.querySelectorAll('tbody tr')].map(tr => {
    const range = document.createRange();
    range.selectNodeContents(tr.children[idAt]);
    return {height: tr.getBoundingClientRect().height, idLines: range.getClientRects().length};
});
"""

# The table's scroll box, scrolled to its right end: is the last column inside it, and is the
# box (so its sideways scrollbar) on screen with its top in view?
_BOX_FIT = """
const box = arguments[0];
box.scrollIntoView({block: 'start'});
box.scrollLeft = box.scrollWidth;
const head = box.querySelector('thead th:last-child');
const last = head.getBoundingClientRect();
const area = box.closest('.jp-WindowedPanel-outer') || document.documentElement;
const shown = area.getBoundingClientRect();
const rect = box.getBoundingClientRect();
return {
    last: head.textContent, lastRight: last.right, boxRight: rect.right,
    scrolls: box.scrollWidth > box.clientWidth,
    boxBottom: rect.bottom, areaBottom: shown.bottom,
};
"""


def _position(page: Any, cell: Any) -> str:
    """The pager's "rows 51-100 of 250" label."""
    texts = [label.text for label in page.find(cell, ".widget-label")]
    return next((text for text in texts if re.fullmatch(r"rows [\d,]+-[\d,]+ of [\d,]+", text)), "")


def _until_position(page: Any, cell: Any, expected: str) -> None:
    page.wait(lambda _d: _position(page, cell) == expected)


def _rows_of(page: Any, name: str) -> int:
    """``len(name)`` in the kernel, read from a new cell's output."""
    return int(page.output_text(page.run(f"len({name})")))


def test_a_wide_result_keeps_ids_whole_and_every_column_in_reach(page: Any) -> None:
    cell = page.run(FIRST_60.format(name="wide"))
    table = page.widget(cell, ".gm-table table")
    layout = page.js(_ROW_LAYOUT, table)
    page.screenshot("pager-wide-table", cell)
    assert len(layout) == 50
    assert all(row["idLines"] == 1 for row in layout), layout[:3]
    assert max(row["height"] for row in layout) < 40, layout[:3]  # one line per row
    fit = page.js(_BOX_FIT, page.widget(cell, ".gm-table"))
    page.screenshot("pager-wide-table-scrolled-right")
    assert fit["scrolls"] and fit["last"] == "id", fit
    assert fit["lastRight"] <= fit["boxRight"] + 1  # the last column scrolls into the box
    assert fit["boxBottom"] <= fit["areaBottom"]  # and its scrollbar is on screen


def test_paging_resizing_and_auto_paginate_fetch_into_the_variable(page: Any) -> None:
    cell = page.run(FIRST_60.format(name="paged"))
    caption = page.widget(cell, ".gm-caption").text
    assert caption.startswith("users: 60 rows · 3 pages")
    assert "more available: stopped at --max-items 60 (nextLink kept)" in caption
    _until_position(page, cell, "rows 1-50 of 60")
    assert not page.button(cell, "previous").is_enabled()

    page.choose(cell, "25")
    _until_position(page, cell, "rows 1-25 of 60")
    assert len(page.find(cell, ".gm-table tbody tr")) == 25
    page.screenshot("pager-25-rows-per-page", cell)

    page.button(cell, "next").click()
    _until_position(page, cell, "rows 26-50 of 60")
    page.button(cell, "next").click()
    _until_position(page, cell, "rows 51-60 of 60")
    assert not page.button(cell, "next").is_enabled()  # the last page; auto-paginate is off
    page.screenshot("pager-last-page", cell)

    # Switching auto-paginate on at the last page enables "next" at once; it fetches a page.
    page.button(cell, "auto-paginate").click()
    page.wait(lambda _d: page.button(cell, "next").is_enabled())
    page.button(cell, "next").click()
    _until_position(page, cell, "rows 76-80 of 80")
    page.screenshot("pager-auto-paginated", cell)
    assert _rows_of(page, "paged") == 80

    page.button(cell, "auto-paginate").click()  # off again
    page.button(cell, "next page").click()
    page.wait(lambda _d: _position(page, cell).endswith("of 100"))
    assert _rows_of(page, "paged") == 100


def test_load_all_tells_the_truth_in_the_caption_and_offers_a_download(page: Any) -> None:
    cell = page.run(FIRST_60.format(name="everyone"))
    before = page.widget(cell, ".gm-caption").text
    first_id = re.search(r"request-id (\S+)", before).group(1)
    load_all = page.button(cell, "load all")
    load_all.click()
    page.wait(lambda _d: _position(page, cell) == "rows 1-50 of 250")
    caption = page.widget(cell, ".gm-caption").text
    page.screenshot("pager-loaded-all", cell)
    assert caption.startswith("users: 250 rows · 13 pages")
    assert re.search(r"\d+\.\d\d s in 2 fetches", caption), caption
    ids = re.search(r"first request-id (\S+) · last request-id (\S+)", caption)
    assert ids and ids.group(1) == first_id and ids.group(2) != first_id, caption
    assert "more available" not in caption
    ids_lines = "return [...arguments[0].querySelectorAll('.gm-request-id')]"
    ids_lines += ".map(e => e.getClientRects().length)"
    assert page.js(ids_lines, page.widget(cell, ".gm-caption")) == [1, 1]  # never broken
    assert not load_all.is_displayed()  # nothing is left to fetch
    assert _rows_of(page, "everyone") == 250

    page.button(cell, "CSV").click()
    link = page.widget(cell, "a.gm-download")
    look = page.js(
        "const s = getComputedStyle(arguments[0]);"
        "return [s.display, s.textDecorationLine, s.backgroundColor];",
        link,
    )
    page.screenshot("pager-csv-link", cell)
    assert link.get_attribute("download") == "users.csv"
    assert link.text.endswith("download users.csv (250 rows)")
    # It looks like a button: a box with a fill, no underline.
    assert look[0] == "inline-block" and look[1] == "none"
    assert look[2] not in ("rgba(0, 0, 0, 0)", "transparent"), look
