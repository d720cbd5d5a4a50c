"""Graph JSON to pandas: collections to DataFrames, entities to property tables, CSV to frames.

Graph answers with lists of JSON objects whose properties nest (``signInActivity``,
``onPremisesExtensionAttributes``, an expanded ``manager``). Analysts want one row per item and
one column per leaf, the way ``pandas.json_normalize`` does it, but a paging scan of a large tenant
hands over hundreds of thousands of items, so the flattener here is a single pass that stores
each value straight into a full-length column list, types each block of rows while its values
are still in the cache, and builds the DataFrame once: no per-row dicts or frames.

Rules shared by every function here:

- nested dicts become dotted columns (``signInActivity.lastSignInDateTime``) down to
  ``flatten_depth`` levels (``json_normalize``'s ``max_level``); deeper dicts stay dicts;
- lists stay lists (never exploded into rows);
- OData annotations (``@odata.context``, ``@odata.type``, ``manager@odata.context``) are left out;
- an item that is not an object (``POST /me/getMemberGroups`` answers a collection of id
  strings; a hostile page may hold ``null``) is one value in a column named ``value``;
- columns follow ``$select`` order when given (an entry naming an object brings its dotted
  columns; a dotted or ``/`` path names one column), then any other column in first-seen order,
  an object's dotted columns kept together;
- a property the item lacks is ``NaN`` (as json_normalize fills it); one Graph sent as ``null``
  is ``None`` in object columns and missing (``NaN``, ``NaT``, ``<NA>``) in typed ones;
- in a frame, each column's dtype (categories, Arrow strings, UTC datetimes, nullable booleans
  and integers) is decided by :mod:`~graph_magic.notebook.column_types`.
"""

from __future__ import annotations

import contextlib
import gc
import io
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

import pandas as pd

from graph_magic.notebook.column_types import KindLookup, TypedColumns

__all__ = [
    "MISSING",
    "SCALAR_COLUMN",
    "csv_to_frame",
    "entity_to_frame",
    "flatten_columns",
    "flatten_item",
    "items_to_frame",
    "order_columns",
    "select_entries",
]

_ANNOTATION = "@odata."
SCALAR_COLUMN = "value"
"""The column an item that is not an object (a string, a number, null, a list) sits in."""
MISSING = float("nan")
"""What a row lacking a column holds, as in json_normalize; a property Graph sent as null stays
None, so the two stay distinguishable in object columns."""


_BLOCK = 2_048
"""Rows flattened before their values are converted to Arrow, while they are still in the
cache (see :class:`~graph_magic.notebook.column_types.TypedColumns`)."""
_SKIPPED: Any = object()
"""The nested path an annotation key (``photo@odata.mediaReadLink``) leads to: not followed."""


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building columns and frames.

    Flattening allocates no reference cycles, but on a large heap (a page set of 100,000
    users) the collector's repeated full scans, triggered by the allocations alone, cost more
    than the flattening itself. Collection resumes (and catches up) afterwards.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


class _Path:
    """One object path's columns (key -> its full-length column) and nested paths, with the
    dotted prefix of its columns' names and the depth left below it.

    Lookups use Graph's key strings, whose hashes are cached; dotted names are built once,
    when a column is born. An annotation key maps to a column no name points to (checking for
    ``@odata.`` once per key instead of at every value is a measurable part of the time), or,
    when it holds an object, to ``_SKIPPED``.
    """

    __slots__ = ("children", "cols", "depth", "prefix")

    def __init__(self, prefix: str, depth: int) -> None:
        self.cols: dict[str, list[Any]] = {}
        self.children: dict[str, Any] = {}
        self.prefix = prefix
        self.depth = depth

    def column(self, key: str, named: dict[str, list[Any]], rows: int) -> list[Any]:
        """A column born now: every row NaN until its value is set."""
        col = self.cols[key] = [MISSING] * rows
        if _ANNOTATION not in key:
            named[self.prefix + key] = col
        return col

    def child(self, key: str) -> Any:
        """The nested path of ``key``'s objects, made when first met."""
        found = self.children[key] = (
            _SKIPPED if _ANNOTATION in key else _Path(f"{self.prefix}{key}.", self.depth - 1)
        )
        return found


class _Flattener:
    """Items flattened into columns in one pass, fed a slice at a time.

    Every column is allocated full length (NaN) when born and each value is stored at its row,
    so a property some items lack needs no padding and no length check per value.
    """

    def __init__(self, depth: int, rows: int) -> None:
        self.rows = 0
        """Rows added so far, of the ``rows`` the columns hold."""
        self.named: dict[str, list[Any]] = {}
        """Every column by its dotted name, in first-seen order."""
        self._total = rows
        self._top = _Path("", depth)

    def add(self, items: Iterable[Any]) -> None:
        """Store ``items`` as the next rows (at most the rows left).

        The top level is inlined because nearly all the time goes there. (Column-wise variants,
        transposing rows in C with ``zip``, measured slower: each value is reached in an order
        that misses the cache.)
        """
        top, named, total, nested = self._top, self.named, self._total, self._fill
        cols, deep = top.cols, top.depth > 0
        row = self.rows - 1
        for row, item in enumerate(items, self.rows):
            try:
                pairs = item.items()
            except AttributeError:  # not an object: a string of getMemberGroups, a null
                pairs = ((SCALAR_COLUMN, item),)
            for key, value in pairs:
                if type(value) is dict and deep:
                    path = top.children.get(key) or top.child(key)
                    if path is not _SKIPPED:
                        nested(path, row, value)
                    continue
                try:
                    cols[key][row] = value
                except KeyError:
                    top.column(key, named, total)[row] = value
        self.rows = row + 1

    def _fill(self, path: _Path, row: int, obj: dict[str, Any]) -> None:
        """Store a nested object's leaves at row ``row``, as :meth:`add` does at the top."""
        cols = path.cols
        for key, value in obj.items():
            if type(value) is dict and path.depth > 0:
                child = path.children.get(key) or path.child(key)
                if child is not _SKIPPED:
                    self._fill(child, row, value)
                continue
            try:
                cols[key][row] = value
            except KeyError:
                path.column(key, self.named, self._total)[row] = value


def flatten_columns(items: Sequence[Any], depth: int) -> dict[str, list[Any]]:
    """Flatten every item into full-length column lists, in one pass over the items."""
    flattener = _Flattener(depth, len(items))
    with _gc_paused():
        flattener.add(items)
    return flattener.named


def _group_order(names: Iterable[str]) -> list[str]:
    """First-seen order, with every object's dotted columns kept together after its own.

    Makes the order independent of how the rows were split into CSV pages: a
    ``manager.id`` first seen on page 7 still sits beside ``manager.displayName``.
    """
    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(name.partition(".")[0], []).append(name)
    ordered: list[str] = []
    for head, members in groups.items():
        if len(members) == 1:
            ordered += members
            continue
        if head in members:
            ordered.append(head)
        rest = [name[len(head) + 1 :] for name in members if name != head]
        ordered += [f"{head}.{name}" for name in _group_order(rest)]
    return ordered


def select_entries(select: Sequence[str] | str | None) -> list[str]:
    """``$select`` as a list of dotted names (``a/b`` and ``a.b`` both name a nested column)."""
    if select is None:
        return []
    if isinstance(select, str):
        select = select.split(",")
    return [s.strip().replace("/", ".") for s in select if s and s.strip()]


def order_columns(seen: Sequence[str], select: Sequence[str] | str | None) -> list[str]:
    """The final column order: ``$select`` entries first, then the rest in first-seen order.

    An entry matches a column of the same name or the dotted columns under it; names match
    case-insensitively (Graph accepts ``$select=DisplayName`` and answers ``displayName``). A
    selected name that no item carried still gets a column, so an empty answer keeps its shape.
    """
    entries = select_entries(select)
    if not entries:
        return _group_order(seen)
    seen = _group_order(seen)
    by_lower: dict[str, str] = {}
    for name in seen:
        by_lower.setdefault(name.lower(), name)
    ordered: list[str] = []
    placed: set[str] = set()
    for entry in entries:
        low = entry.lower()
        exact = by_lower.get(low)
        matched = [exact] if exact is not None else []
        matched += [name for name in seen if name.lower().startswith(low + ".")]
        if not matched and entry not in placed:
            matched = [entry]
        for name in matched:
            if name not in placed:
                placed.add(name)
                ordered.append(name)
    ordered += [name for name in seen if name not in placed]
    return ordered


def flatten_item(item: dict[str, Any], flatten_depth: int = 2) -> dict[str, Any]:
    """One item as a flat ``{dotted name: value}`` dict, by the module's rules."""
    cols = flatten_columns([item], flatten_depth)
    return {name: cols[name][0] for name in _group_order(cols)}


def items_to_frame(
    items: Sequence[dict[str, Any]],
    *,
    select: Sequence[str] | str | None = None,
    flatten_depth: int = 2,
    kinds: KindLookup | None = None,
) -> pd.DataFrame:
    """A collection's items as a DataFrame: one row per item, nested objects as dotted columns.

    Same columns and values as ``pandas.json_normalize(items, max_level=flatten_depth)`` minus
    the OData annotations, in ``$select`` order when given, built in one pass; each column
    typed by :mod:`~graph_magic.notebook.column_types` (``kinds``: what Graph's metadata says
    the columns hold, when it is known).
    """
    with _gc_paused():
        return _typed_frame(items, select, flatten_depth, kinds)


def _typed_frame(
    items: Sequence[Any], select: Sequence[str] | str | None, depth: int, kinds: KindLookup | None
) -> pd.DataFrame:
    """:func:`items_to_frame`'s work, with the collector paused throughout.

    The column lists are dropped when this returns, before the collector resumes: otherwise
    its first pass walks every one of their values (80 ms for 100,000 users).
    """
    flattener = _Flattener(depth, len(items))
    typed = TypedColumns()
    remaining = iter(items)
    for _ in range(0, len(items), _BLOCK):
        flattener.add(islice(remaining, _BLOCK))
        typed.convert(flattener.named, flattener.rows)
    cols = flattener.named
    order = order_columns(list(cols), select)
    if not order:
        return pd.DataFrame(index=range(flattener.rows))
    arrays = typed.arrays(
        order,
        [cols[name] if name in cols else [MISSING] * flattener.rows for name in order],
        [kinds(name) if kinds is not None else None for name in order],
    )
    return pd.DataFrame(dict(zip(order, arrays, strict=True)), columns=order)


def entity_to_frame(obj: dict[str, Any], *, flatten_depth: int = 2) -> pd.DataFrame:
    """A single entity as a two-column property/value table, flattened like a collection row.

    Wide entities (a user has dozens of properties) read better down than across.
    """
    flat = flatten_item(obj, flatten_depth)
    return pd.DataFrame(
        {"property": list(flat), "value": pd.Series(list(flat.values()), dtype=object)}
    )


def csv_to_frame(content: bytes | str) -> pd.DataFrame:
    """A CSV download (Graph's usage reports) as a DataFrame.

    Report CSVs start with a UTF-8 byte-order mark that would otherwise stick to the first
    column's name; an empty body is an empty frame rather than a parser error.
    """
    if isinstance(content, bytes):
        content = content.decode("utf-8-sig", errors="replace")
    else:
        content = content.removeprefix("\ufeff")
    if not content.strip():
        return pd.DataFrame()
    return pd.read_csv(io.StringIO(content))
