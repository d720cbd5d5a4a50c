"""The HTML table rule: one line per row, ids whole, prose wrapped, a scroll box in the pager.

What the rule looks like in a browser is checked in tests/browser; these pin the HTML it sends.
"""

from __future__ import annotations

import re

import pandas as pd

from graph_magic.notebook.display import make_result
from graph_magic.notebook.display._table import prose_positions, table_html

GUID = "f8a812d0-0f2b-49f9-a6c1-fe48b141067c"
PROSE = "Everyone in the Contoso sales team, including the regional account managers"


def _wrapper_classes(html: str) -> list[str]:
    return re.match(r'<div class="([^"]*)">', html).group(1).split()


def test_ids_and_short_values_never_wrap_and_prose_does():
    frame = pd.DataFrame(
        {"id": [GUID], "displayName": ["Sales"], "description": [PROSE], "mail": ["s@x.com"]}
    )
    html = table_html(frame, None)
    # The index cell is child 1, so "description" (the third column) is child 4.
    assert _wrapper_classes(html) == ["gm-table", "gm-wrap-4"]
    assert ".gm-wrap-4 td:nth-child(4){white-space:normal;min-width:24em}" in html
    assert "white-space:nowrap" in html  # every other cell, the id among them
    assert "gm-box" not in _wrapper_classes(html)


def test_a_long_value_without_a_space_is_not_prose():
    frame = pd.DataFrame({"link": ["https://contoso.sharepoint.com/" + "x" * 60], "id": [GUID]})
    assert prose_positions(frame, None) == []


def test_positions_count_pandas_middle_column_in_a_wide_frame():
    columns = {f"c{n}": ["short"] for n in range(25)}
    columns["c22"] = [PROSE]
    frame = pd.DataFrame(columns)
    # 25 columns show as c0..c9, "...", c15..c24: c22 is the 19th shown, after the index.
    assert prose_positions(frame, None) == [20]
    assert prose_positions(frame, None, index=False) == [19]
    header = re.findall(r"<th>([^<]*)</th>", table_html(frame, None))
    assert header[0] == "" and header[11] == "..."
    assert header.index("c22") + 1 == 20  # nth-child is 1-based


def test_only_the_rows_shown_decide():
    frame = pd.DataFrame({"note": ["short"] * 30 + [PROSE] + ["short"] * 30})
    assert prose_positions(frame, 10) == []  # the long one is in the elided middle
    assert prose_positions(frame, None) == [2]


def test_the_pager_body_is_boxed_and_equal_frames_give_equal_html(make_users):
    result = make_result(
        method="GET",
        url="https://graph.microsoft.com/v1.0/users",
        status_code=200,
        data={"value": make_users(0, 60)},
    )
    boxed = result.body_html(0, 25, boxed=True)
    assert _wrapper_classes(boxed) == ["gm-table", "gm-box"]
    assert "max-height:32em" in boxed and "position:sticky" in boxed
    assert result.body_html() == result.body_html()
    assert _wrapper_classes(result.body_html()) == ["gm-table"]
