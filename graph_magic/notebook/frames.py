"""Graph JSON to pandas: collections to DataFrames, entities to property tables, CSV to frames.

Graph answers with lists of JSON objects whose properties nest (``signInActivity``,
``onPremisesExtensionAttributes``, an expanded ``manager``). Analysts want one row per item and
one column per leaf, the way ``pandas.json_normalize`` does it, but a paging scan of a large tenant
hands over hundreds of thousands of items, so the flattener here is a single pass that appends
straight into per-column lists and builds the DataFrame once from a dict of lists: no per-row
dicts or frames.

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
from typing import Any

import pandas as pd

from graph_magic.notebook.column_types import KindLookup, column_array

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


class _Discard(list):  # type: ignore[type-arg]
    """The column an annotation key maps to: takes every value and keeps none.

    Checking a key for ``@odata.`` once, when it is first seen, instead of at every value is a
    measurable part of the flattening time on large page sets.
    """

    def append(self, value: Any) -> None:
        pass

    def extend(self, values: Iterable[Any]) -> None:
        pass


_DISCARD = _Discard()
_SKIPPED: tuple[dict[str, Any], dict[str, Any]] = ({}, {})


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


def _fill(
    cols: dict[str, list[Any]],
    children: dict[str, Any],
    named: dict[str, list[Any]],
    row: int,
    obj: dict[str, Any],
    prefix: str,
    depth: int,
) -> None:
    """Append a nested object's leaves at row ``row``, keyed by its own keys.

    Each object path has its own ``cols`` (key -> column) and ``children`` (key -> the nested
    path's pair), so lookups use Graph's key strings, whose hashes are cached, and the dotted
    name is built once, when a column is born (into ``named``, in first-seen order). A column
    absent from earlier rows is padded with NaN when first touched. Annotation keys map to
    ``_DISCARD`` / ``_SKIPPED``, decided once per key.
    """
    for key, value in obj.items():
        if type(value) is dict and depth > 0:
            child = children.get(key)
            if child is None:
                child = children[key] = _SKIPPED if _ANNOTATION in key else ({}, {})
            if child is not _SKIPPED:
                _fill(child[0], child[1], named, row, value, prefix + key + ".", depth - 1)
            continue
        col = cols.get(key)
        if col is None:
            if _ANNOTATION in key:
                cols[key] = _DISCARD
                continue
            cols[key] = col = [MISSING] * row
            named[prefix + key] = col
        elif len(col) != row:
            col.extend([MISSING] * (row - len(col)))
        col.append(value)


def flatten_columns(items: Iterable[dict[str, Any]], depth: int) -> dict[str, list[Any]]:
    """Flatten every item into full-length column lists, in one pass over the items.

    The top level is inlined because nearly all the time goes there. (A column-wise variant,
    transposing rows in C with ``zip``, measured no faster: the cost is reaching each value.)
    """
    cols: dict[str, list[Any]] = {}
    children: dict[str, Any] = {}
    named: dict[str, list[Any]] = {}
    get = cols.get
    row = -1
    with _gc_paused():
        for row, item in enumerate(items):
            try:
                pairs = item.items()
            except AttributeError:  # not an object: a string of getMemberGroups, a null
                pairs = ((SCALAR_COLUMN, item),)
            for key, value in pairs:
                if type(value) is dict and depth > 0:
                    child = children.get(key)
                    if child is None:
                        child = children[key] = _SKIPPED if _ANNOTATION in key else ({}, {})
                    if child is not _SKIPPED:
                        _fill(child[0], child[1], named, row, value, key + ".", depth - 1)
                    continue
                col = get(key)
                if col is None:
                    if _ANNOTATION in key:
                        cols[key] = _DISCARD
                        continue
                    cols[key] = col = [MISSING] * row
                    named[key] = col
                elif len(col) != row:
                    col.extend([MISSING] * (row - len(col)))
                col.append(value)
    rows = row + 1
    for col in named.values():
        if len(col) != rows:
            col.extend([MISSING] * (rows - len(col)))
    return named


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
    cols = flatten_columns(items, flatten_depth)
    rows = len(items)
    order = order_columns(list(cols), select)
    if not order:
        return pd.DataFrame(index=range(rows))
    with _gc_paused():
        data = {
            name: column_array(
                cols[name] if name in cols else [MISSING] * rows,
                kinds(name) if kinds is not None else None,
            )
            for name in order
        }
        return pd.DataFrame(data, columns=order)


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
