"""Streaming a paging scan into a CSV file (``--csv PATH``): stable columns, flat memory.

Rows are flattened by the rules of :mod:`graph_magic.notebook.frames` (dotted columns, lists and
dicts as JSON text, missing as an empty cell), a page at a time, so a scan of a whole tenant
never holds more than one page. The target file is either complete or untouched.

Spreadsheet formulas are neutralised the way OWASP advises for CSV injection: a text cell (the
header's names included) that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return, after any blanks a reader may trim (spaces, zero-width spaces, a BOM, a line feed),
gets a leading ``'``, so Excel or LibreOffice shows it as text instead of running
``=HYPERLINK(...)`` or ``+cmd|...``. Only text is guarded: numbers, booleans and text that is a
plain number (``-5``, ``+1.5``, which a spreadsheet reads as that number) are written as they
are, and lists and dicts are JSON text, which starts with ``[`` or ``{``. The guard is on by
default; ``formula_guard=False`` (the ``GraphMagic.csv_formula_guard`` setting) writes raw text.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from graph_magic.notebook.frames import MISSING, flatten_columns, order_columns, select_entries

__all__ = ["CsvExporter", "formula_safe_frame", "guard_formula"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BLANKS = " \u00a0\u200b\u200c\u200d\u2060\ufeff\n"
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def guard_formula(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula.

    Blanks a reader may trim or not show (spaces, no-break and zero-width spaces, a BOM, a line
    feed) are looked past: `` =HYPERLINK(...)`` is guarded as ``=HYPERLINK(...)`` is.
    """
    if not isinstance(value, str):
        return value
    visible = value.lstrip(_BLANKS)
    if (value.startswith(_FORMULA_START) or visible.startswith(_FORMULA_START)) and not (
        _PLAIN_NUMBER.fullmatch(visible.rstrip(_BLANKS))
    ):
        return "'" + value
    return value


def formula_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with its text cells and column names guarded, for a CSV download."""
    safe = frame.copy()
    for index, kind in enumerate(frame.dtypes):
        if isinstance(kind, pd.CategoricalDtype):  # repeated text (column_types), as text
            safe.isetitem(index, frame.iloc[:, index].astype(object).map(guard_formula))
        elif pd.api.types.is_object_dtype(kind) or pd.api.types.is_string_dtype(kind):
            safe.isetitem(index, frame.iloc[:, index].map(guard_formula))
    safe.columns = [guard_formula(name) for name in frame.columns]
    return safe


def _cells(col: list[Any], guard: bool) -> list[Any]:
    """A column as CSV cells: lists and dicts as JSON text, missing as "" (csv writes None so)."""
    kinds = set(map(type, col))
    plain = list not in kinds and dict not in kinds and float not in kinds
    if plain and not (guard and str in kinds):
        return col
    return [_cell(value, guard) for value in col]


def _cell(value: Any, guard: bool) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if value is MISSING or (type(value) is float and value != value):
        return ""
    return guard_formula(value) if guard else value


class CsvExporter:
    """Stream collection pages into a CSV file with stable columns and flat memory.

    Rows go to a temporary file beside the target as each page arrives, so only one page is in
    memory. A column first seen on a later page is appended to the known columns; ``close()``
    then rewrites the temporary file once, streaming, under the final header (earlier rows get
    empty cells), and moves it into place with ``os.replace``, so the target is either complete
    or untouched. ``abort()`` removes the temporary file. Lists and dicts are written as JSON;
    text that would run as a spreadsheet formula gets a leading ``'`` unless ``formula_guard``
    is False.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        select: Sequence[str] | str | None = None,
        flatten_depth: int = 2,
        formula_guard: bool = True,
    ) -> None:
        self.path = Path(path)
        self.formula_guard = formula_guard
        self.select = select_entries(select)
        self.flatten_depth = flatten_depth
        self.rows = 0
        self._seen: list[str] = []
        self._layout: list[str] | None = None
        self._header: list[str] = []
        directory = self.path.parent if str(self.path.parent) else Path(".")
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=directory)
        self._tmp = Path(tmp)
        self._file: io.TextIOWrapper | None = open(  # noqa: SIM115 - closed in close()/abort()
            fd, "w", newline="", encoding="utf-8"
        )
        self._writer = csv.writer(self._file)

    def __enter__(self) -> CsvExporter:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def write_items(self, items: Sequence[dict[str, Any]]) -> int:
        """Flatten one page of items and append them; returns the rows written so far."""
        if self._file is None:
            raise ValueError(f"CsvExporter for {self.path} is already closed")
        cols = flatten_columns(items, self.flatten_depth)
        rows = len(items)
        known = set(self._seen)
        new = [name for name in cols if name not in known]
        self._seen += new
        if self._layout is None:
            if rows == 0:
                return self.rows
            self._layout = order_columns(self._seen, self.select)
            self._header = list(self._layout)
            self._writer.writerow(self._header_cells(self._header))
        else:
            self._layout += new
        # Columns only ever append to the layout, so each earlier row is a prefix of the
        # current layout and close() can realign it under the final header.
        columns = [cols.get(name) for name in self._layout]
        empty = [""] * rows
        cells = [empty if col is None else _cells(col, self.formula_guard) for col in columns]
        self._writer.writerows(zip(*cells, strict=True))
        self.rows += rows
        return self.rows

    def close(self) -> int:
        """Finish the file (rewriting once if columns changed) and return the rows written."""
        if self._file is None:
            return self.rows
        self._file.close()
        self._file = None
        try:
            final = order_columns(self._seen, self.select)
            if self._layout is None:
                self._write_header_only(final)
            elif final != self._header:
                self._realign(final, self._layout)
            os.replace(self._tmp, self.path)
        except BaseException:
            self._remove_tmp()
            raise
        return self.rows

    def abort(self) -> None:
        """Drop everything written so far; no partial file is left behind."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._remove_tmp()

    def _header_cells(self, names: list[str]) -> list[str]:
        return [guard_formula(name) for name in names] if self.formula_guard else names

    def _remove_tmp(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()

    def _write_header_only(self, final: list[str]) -> None:
        with open(self._tmp, "w", newline="", encoding="utf-8") as out:
            if final:
                csv.writer(out).writerow(self._header_cells(final))

    def _realign(self, final: list[str], layout: list[str]) -> None:
        """Rewrite the data rows, written in ``layout`` order, under the final header."""
        position = {name: i for i, name in enumerate(layout)}
        index = [position.get(name) for name in final]
        fd, tmp = tempfile.mkstemp(
            prefix=f".{self.path.name}.", suffix=".part", dir=self._tmp.parent
        )
        try:
            with (
                open(self._tmp, newline="", encoding="utf-8") as src,
                open(fd, "w", newline="", encoding="utf-8") as out,
            ):
                reader = csv.reader(src)
                next(reader)  # the provisional header
                writer = csv.writer(out)
                writer.writerow(self._header_cells(final))
                for row in reader:
                    width = len(row)
                    writer.writerow([row[i] if i is not None and i < width else "" for i in index])
            os.replace(tmp, self._tmp)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
