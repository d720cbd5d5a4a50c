"""Streaming a paging scan into a Parquet file (``--parquet PATH``): typed columns, flat memory.

The engines analysts take big results to (DuckDB, Spark, Polars, pandas) read Parquet with its
types, where CSV keeps only text. Each page becomes a typed frame by the same rules as a ``-o``
frame (:mod:`graph_magic.notebook.column_types`: datetimes, booleans, integers, text), then a
row group of the file, so a scan of a whole tenant holds one page at a time. Lists and objects
are written as JSON text, as ``--csv`` writes them. A column first seen on a late page, or a
column whose type a late page changes (all missing so far, then text), starts a new segment;
``close()`` joins the segments under one schema (a column missing from a segment is null there,
a column of two types becomes text), streaming, and moves the file into place, so the target is
either complete or untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from graph_magic.notebook.column_types import KindLookup
from graph_magic.notebook.frames import items_to_frame, order_columns, select_entries

__all__ = ["ParquetExporter", "arrow_table"]

#: Rows gathered into one row group: large enough to compress and scan well, small enough that
#: the pages held for it stay a bounded, flat amount of memory.
ROW_GROUP_ROWS = 20_000


class ParquetExporter:
    """Stream collection pages into a Parquet file; the same protocol as ``CsvExporter``."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        select: Sequence[str] | str | None = None,
        flatten_depth: int = 2,
        kinds: KindLookup | None = None,
    ) -> None:
        self.path = Path(path)
        self.select = select_entries(select)
        self.flatten_depth = flatten_depth
        self.kinds = kinds
        self.rows = 0
        self._seen: list[str] = []
        self._segments: list[Path] = []
        self._writer: pq.ParquetWriter | None = None
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._closed = False

    def write_items(self, items: Sequence[Any]) -> int:
        """Type one page of items and append it as a row group; returns the rows so far."""
        if self._closed:
            raise ValueError(f"ParquetExporter for {self.path} is already closed")
        if not items:
            return self.rows
        frame = items_to_frame(
            items, select=self.select, flatten_depth=self.flatten_depth, kinds=self.kinds
        )
        table = arrow_table(frame)
        self._seen += [name for name in table.column_names if name not in set(self._seen)]
        if self._writer is None or self._writer.schema != table.schema:
            self._next_segment(table.schema)
        self._buffer.append(table)
        self._buffered += table.num_rows
        if self._buffered >= ROW_GROUP_ROWS:
            self._flush()
        self.rows += table.num_rows
        return self.rows

    def close(self) -> int:
        """Finish the file (joining its segments under one schema) and return the rows."""
        if self._closed:
            return self.rows
        self._closed = True
        try:
            self._finish_writer()
            target = self._joined()
            os.replace(target, self.path)
        except BaseException:
            self._remove_parts()
            raise
        self._remove_parts()
        return self.rows

    def abort(self) -> None:
        """Drop everything written so far; no partial file is left behind."""
        self._closed = True
        self._buffer, self._buffered = [], 0
        with contextlib.suppress(Exception):
            self._finish_writer()
        self._remove_parts()

    # -- segments ----------------------------------------------------------------------------

    def _part(self) -> Path:
        directory = self.path.parent if str(self.path.parent) else Path(".")
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".part", dir=directory)
        os.close(fd)
        return Path(name)

    def _next_segment(self, schema: pa.Schema) -> None:
        self._finish_writer()
        part = self._part()
        self._segments.append(part)
        self._writer = pq.ParquetWriter(part, schema)

    def _flush(self) -> None:
        """Write the pages gathered so far as one row group of the current segment."""
        if self._writer is not None and self._buffer:
            self._writer.write_table(pa.concat_tables(self._buffer))
        self._buffer, self._buffered = [], 0

    def _finish_writer(self) -> None:
        self._flush()
        if self._writer is not None:
            writer, self._writer = self._writer, None
            writer.close()

    def _joined(self) -> Path:
        """The one file to move into place: the only segment, or all of them under one schema."""
        order = order_columns(self._seen, self.select)
        if not self._segments:
            part = self._part()
            self._segments.append(part)
            empty = pa.schema([(name, pa.string()) for name in order])
            pq.write_table(empty.empty_table(), part)
            return part
        schemas = [pq.read_schema(part) for part in self._segments]
        final = _final_schema(order, schemas)
        if len(self._segments) == 1 and schemas[0] == final:
            return self._segments[0]
        joined = self._part()
        self._segments.append(joined)
        with pq.ParquetWriter(joined, final) as writer:
            for part in self._segments[:-1]:
                segment = pq.ParquetFile(part)
                for group in range(segment.num_row_groups):  # a page at a time: flat memory
                    writer.write_table(_conformed(segment.read_row_group(group), final))
        return joined

    def _remove_parts(self) -> None:
        for part in self._segments:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
        self._segments = []


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """A typed page as Arrow: categories as text (the writer encodes repeats itself), lists and
    objects as JSON text."""
    columns = {}
    for name in frame.columns:
        series = frame[name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype("string")
        elif series.dtype == object:
            series = series.map(_json_text, na_action="ignore").astype("string")
        columns[name] = series
    table = pa.Table.from_pandas(pd.DataFrame(columns, columns=frame.columns), preserve_index=False)
    return table.replace_schema_metadata(None)


def _json_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _final_schema(order: list[str], schemas: list[pa.Schema]) -> pa.Schema:
    """Every column in ``order``; its type where the segments agree (null aside), else text."""
    fields = []
    for name in order:
        types = {s.field(name).type for s in schemas if name in s.names} - {pa.null()}
        kind = types.pop() if len(types) == 1 else pa.string()
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


def _conformed(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with ``schema``'s columns in its order: missing ones null, others cast."""
    columns = []
    for field in schema:
        if field.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, field.type))
            continue
        column = table.column(field.name)
        if column.type != field.type:
            column = pc.cast(column, field.type) if column.type == pa.null() else _text(column)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def _text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column of another type as text, as a reader would see its values."""
    return pc.cast(column, pa.string())
