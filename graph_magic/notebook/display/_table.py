"""A frame as an HTML table a person can read: one line per row, ids whole, prose wrapped.

Left to the browser, a wide Graph result (``/users`` has 11 columns) is squeezed into the
output's width: a GUID breaks at each hyphen, every row grows to four lines, and in the pager's
widget the right-hand columns are cut off, their scrollbar 50 rows further down. The rule here:

- no cell wraps, so an id, a UPN, a date or a phone number is always one piece;
- except prose: a column where a shown value is longer than ``PROSE_CHARS`` and has a space to
  break at, which wraps at spaces and is at least ``PROSE_WIDTH`` wide;
- a table wider than the output scrolls sideways in its own box; in the pager the box is also
  at most ``BOX_HEIGHT`` tall with the header row kept in view, so both scrollbars are in reach.

The rule is a class per prose column on the table's wrapper and one ``<style>`` block whose
rules depend only on those classes, so equal tables give byte-equal HTML (nbval compares it).
"""

from __future__ import annotations

import pandas as pd

from graph_magic.notebook.display._text import TEXT_OPTIONS, frame_html

__all__ = ["BOX_HEIGHT", "PROSE_CHARS", "PROSE_WIDTH", "table_html"]

PROSE_CHARS = 40
"""A value longer than this, with a space in it, makes its column wrap."""
PROSE_WIDTH = "24em"
"""The least width of a wrapping column, so prose never shrinks to a word per line."""
BOX_HEIGHT = "32em"
"""The pager's table box: about 20 rows, so its sideways scrollbar is on screen with its rows."""

_STYLE = (
    # width 0 and min-width 100%: as wide as the output, never widened by the table inside
    # (a widget's HTML sits in a flex row, which would otherwise grow to the table's width).
    ".gm-table{overflow-x:auto;width:0;min-width:100%;line-height:1.4}"
    ".gm-table.gm-box{overflow-y:auto;max-height:" + BOX_HEIGHT + "}"
    ".gm-table table{border-collapse:collapse}"
    ".gm-table table th,.gm-table table td{white-space:nowrap;text-align:left;"
    "vertical-align:top;padding:0.2em 0.6em}"
    ".gm-table.gm-box thead th{position:sticky;top:0;"
    "background:var(--jp-layout-color1,#fff)}"
)


def table_html(
    frame: pd.DataFrame, max_rows: int | None, *, index: bool = True, boxed: bool = False
) -> str:
    """``frame`` as an escaped HTML table in a wrapper that applies the reading rule above.

    ``boxed`` (the pager) bounds the box's height too; ``max_rows`` as for ``frame_html``.
    """
    table = frame_html(frame, max_rows, index=index)
    positions = prose_positions(frame, max_rows, index=index)
    classes = ["gm-table", *(["gm-box"] if boxed else []), *(f"gm-wrap-{n}" for n in positions)]
    wrap = "".join(
        f".gm-wrap-{n} td:nth-child({n}){{white-space:normal;min-width:{PROSE_WIDTH}}}"
        for n in positions
    )
    return f'<div class="{" ".join(classes)}"><style>{_STYLE}{wrap}</style>{table}</div>'


def prose_positions(frame: pd.DataFrame, max_rows: int | None, *, index: bool = True) -> list[int]:
    """The 1-based ``nth-child`` positions, in a rendered row, of the columns that wrap.

    Counts the index cell and the "..." column pandas puts in the middle of a frame wider than
    the pinned ``display.max_columns``, so a position names the cell the browser shows there.
    """
    shown = _shown_rows(frame, max_rows)
    limit = int(TEXT_OPTIONS["display.max_columns"])
    columns: list[int | None] = list(range(len(frame.columns)))
    if len(columns) > limit:
        half = limit // 2
        columns = [*columns[:half], None, *columns[-half:]]
    first = 2 if index else 1
    return [
        position
        for position, column in enumerate(columns, start=first)
        if column is not None and _is_prose(shown.iloc[:, column])
    ]


def _shown_rows(frame: pd.DataFrame, max_rows: int | None) -> pd.DataFrame:
    """The rows a table of at most ``max_rows`` shows (pandas keeps the head and the tail)."""
    if max_rows is None or len(frame) <= max_rows:
        return frame
    half = max(1, max_rows // 2)
    return pd.concat([frame.head(half), frame.tail(half)])


def _is_prose(values: pd.Series) -> bool:
    """A column to wrap: a value longer than ``PROSE_CHARS`` with a space in it."""
    text = values.dropna().astype(str)
    long = text[text.str.len() > PROSE_CHARS]
    return bool(long.str.contains(" ", regex=False).any())
