"""The dtype each flattened column gets: the one rule, from Graph's JSON and Graph's metadata.

A million sign-ins held as Python objects (what ``json_normalize`` and a plain ``DataFrame``
give) cost several times what the same values cost typed, so every column a frame is built from
goes through :func:`column_array`:

- strings that repeat (status, app, location, user: at most one distinct value per two rows;
  a column whose first 2,048 values all differ is taken as unique) become a ``category`` whose
  categories are sorted, so ``sort_values`` still sorts by text;
  other strings are Arrow-backed ``str`` (pandas 3's own string dtype, missing shown as NaN);
- timestamps (``Edm.DateTimeOffset`` in the metadata, or, when the metadata does not know the
  column, strings in Graph's ISO 8601 form with a zone, ``2026-11-01T10:00:00.123Z``, every
  one of them an instant) are tz-aware UTC datetimes;
- booleans are ``bool``, or pandas' nullable ``boolean`` when some are missing;
- integers are ``int64``, or nullable ``Int64`` when some are missing (50126 stays 50126);
- enums (the metadata says so) are categories even when they do not repeat;
- anything else (lists, objects, mixed values, all-null columns the metadata does not type)
  is what pandas itself makes of it.

The metadata only says what a column should hold; the JSON must agree, so a value Graph sent in
an unexpected shape never fails the cell: the column falls back to what its values allow.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph_magic.knowledge import Knowledge

__all__ = [
    "STRING",
    "KindLookup",
    "TypedColumns",
    "column_array",
    "concat_frames",
    "metadata_kinds",
]

STRING = pd.StringDtype("pyarrow", na_value=np.nan)
"""Arrow-backed strings with NaN for missing: pandas 3's default ``str``, so values print as
they always did."""

KindLookup = Callable[[str], str | None]
"""A dotted column name -> the kind the metadata gives it (see ``_EDM_KINDS``), or None."""

_EDM_KINDS = {
    "Edm.DateTimeOffset": "datetime",
    "Edm.Boolean": "boolean",
    "Edm.String": "string",
    "Edm.Guid": "string",
    "Edm.Byte": "integer",
    "Edm.SByte": "integer",
    "Edm.Int16": "integer",
    "Edm.Int32": "integer",
    "Edm.Int64": "integer",
}
# Graph's DateTimeOffset on the wire: date, 'T', time (seconds and fraction optional), a zone.
_ISO_INSTANT = r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$"
_ISO_MATCH = re.compile(_ISO_INSTANT).match
_SAMPLE = 2_048
_SCALARS = (str, bool, int, float)
_UNSEEN: Any = object()
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_ARROW_FAILED = (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError)


def metadata_kinds(knowledge: Knowledge, type_name: str | None) -> KindLookup | None:
    """What the metadata says each dotted column of ``type_name``'s items holds.

    ``status.errorCode`` of a ``signIn`` walks ``status`` (a ``signInStatus``) to its
    ``errorCode`` (``Edm.Int32``); an expanded navigation (``manager.displayName``) walks to
    its target type. Collections and unknown names are None: their values decide.
    """
    if type_name is None or not knowledge.schema.is_structured(type_name):
        return None

    @cache
    def kind(column: str) -> str | None:
        current = type_name
        found = None
        for name in column.split("."):
            if found is not None and found.collection:
                return None
            found = knowledge.property(current, name) or _navigation(knowledge, current, name)
            if found is None:
                return None
            current = found.type
        if found is None or found.collection:
            return None
        if knowledge.schema.is_enum(current):
            return None if knowledge.schema.is_flags(current) else "category"
        return _EDM_KINDS.get(current)

    return kind


def _navigation(knowledge: Knowledge, type_name: str, name: str) -> Any:
    return next((n for n in knowledge.navigation(type_name) if n.name == name), None)


def column_array(values: Sequence[Any], kind: str | None = None) -> Any:
    """``values`` (one column, NaN where an item lacked the property) as what a frame holds."""
    return TypedColumns().arrays([""], [values], [kind])[0]


class TypedColumns:
    """Columns typed by the one rule while a flattener fills them, a block of rows at a time.

    Arrow reads every value's Python object. One item's values were allocated together, but one
    column's values lie spread over the whole heap: converting a large frame column after column
    misses the cache at nearly every value. Converting each block of rows just after it was
    flattened reads values still in the cache (about half the time for 100,000 users). Blocks
    that disagree (integers in one, floats in another) or fail are converted again whole, so a
    column is always what converting it whole gives.
    """

    def __init__(self) -> None:
        self._rows = 0
        self._sources: dict[str, Sequence[Any]] = {}
        self._firsts: dict[str, Any] = {}
        self._pieces: dict[str, list[pa.Array] | None] = {}

    def convert(self, columns: Mapping[str, Sequence[Any]], rows: int) -> None:
        """Convert the rows the columns (each ``rows`` long) gained since the last call.

        A name whose column was replaced (a key ``a.b`` beside an object ``a`` holding ``b``:
        the later one keeps the name) starts again from the first row.
        """
        for name, values in columns.items():
            start = self._rows
            if self._sources.setdefault(name, values) is not values:
                self._sources[name] = values
                self._firsts.pop(name, None)
                self._pieces.pop(name, None)
                start = 0
            pieces = self._pieces.get(name, _UNSEEN)
            if pieces is None:
                continue  # lists, objects, mixed values: kept as they are
            block = values[start:rows]
            if pieces is _UNSEEN:
                first = next((v for v in block if v is not None and v == v), None)
                if first is None:
                    continue  # nothing but missing values yet
                self._firsts[name] = first
                pieces = [pa.nulls(start)] if type(first) in _SCALARS else None
                self._pieces[name] = pieces
                if pieces is None:
                    continue
            piece = _arrow(block, self._firsts[name])
            if piece is None:
                self._pieces[name] = None
            else:
                pieces.append(piece)
        self._rows = rows

    def arrays(
        self, names: Sequence[str], columns: Sequence[Sequence[Any]], kinds: Sequence[str | None]
    ) -> list[Any]:
        """The frame's value of each named column (the columns complete, all as long)."""
        rows = len(columns[0]) if columns else 0
        self.convert(dict(zip(names, columns, strict=True)), rows)
        typed = []
        for name, values, kind in zip(names, columns, kinds, strict=True):
            first = self._firsts.get(name)
            pieces = self._pieces.get(name)
            arrow = _joined(pieces, values, first) if type(first) in _SCALARS else None
            typed.append(_typed(values, first, kind, arrow))
        return typed


def _typed(values: Sequence[Any], first: Any, kind: str | None, arrow: pa.Array | None) -> Any:
    """One column's frame value, from its Arrow form (None: lists, objects or mixed values)."""
    if first is None:
        return _all_missing(len(values), kind) if kind else values
    if arrow is None:
        return values  # lists, objects, mixed values: pandas keeps them as they are
    if pa.types.is_string(arrow.type):
        return _strings(arrow, first, kind)
    if pa.types.is_boolean(arrow.type):
        return _numbers(arrow, bool, pd.BooleanDtype())
    if pa.types.is_integer(arrow.type):
        return _numbers(arrow, np.int64, pd.Int64Dtype())
    if pa.types.is_floating(arrow.type):
        return arrow.to_numpy(zero_copy_only=False)
    return values


def _joined(pieces: list[pa.Array] | None, values: Sequence[Any], first: Any) -> pa.Array | None:
    """A column's blocks as one array; converted again whole when they fail or disagree."""
    if pieces is not None:
        types = {piece.type for piece in pieces} - {pa.null()}
        if len(types) == 1:
            target = types.pop()
            try:
                return pa.concat_arrays([p if p.type == target else p.cast(target) for p in pieces])
            except _ARROW_FAILED:
                pass
    return _arrow(values, first)


def _arrow(values: Sequence[Any], first: Any) -> pa.Array | None:
    """``values`` as one Arrow array, NaN and None as null; None when they do not share a type.

    Converting without NaN checks is twice as fast, so a column without a missing cell goes
    that way first (integers beside a NaN come back as floats there: those go the slow way).
    """
    try:
        arrow = pa.array(values)
        if type(first) is float or not pa.types.is_floating(arrow.type):
            return arrow
    except _ARROW_FAILED:
        pass
    try:
        return pa.array(values, from_pandas=True)
    except _ARROW_FAILED:
        return None


def _numbers(arrow: pa.Array, plain: Any, nullable: Any) -> Any:
    if arrow.null_count == 0:
        return arrow.to_numpy(zero_copy_only=False).astype(plain, copy=False)
    return pd.array(arrow.to_pandas(types_mapper={arrow.type: nullable}.get))


def _strings(arrow: pa.Array, first: str, kind: str | None) -> Any:
    if kind == "datetime" or (kind is None and _ISO_MATCH(first)):
        moments = _timestamps(arrow)
        if moments is not None:
            return moments
    if kind == "category" or _repeats(arrow):
        encoded = arrow.dictionary_encode()
        if kind == "category" or len(encoded.dictionary) * 2 <= len(arrow) - arrow.null_count:
            return _categorical(encoded)
    return pd.array(arrow.to_pandas(types_mapper={arrow.type: STRING}.get))


def _repeats(arrow: pa.Array) -> bool:
    """Whether counting the whole column's distinct values is worth it.

    Hashing a column of ids only to learn they are unique costs as much as converting it, so a
    column whose first ``_SAMPLE`` values are all different is taken as unique; one value seen
    twice there (a sign-in's user among thousands) and the whole column is counted.
    """
    sample = arrow.slice(0, _SAMPLE)
    return pc.count_distinct(sample).as_py() < len(sample) - sample.null_count


def _timestamps(arrow: pa.Array) -> Any:
    """Graph's instants as UTC datetimes, or None if one is not an instant with a zone.

    Arrow's parser is the check: a column whose first value is in Graph's form is tried
    whole, and one value that is not a zoned ISO 8601 instant keeps the column strings.

    Graph may send seven fractional digits (100 ns); microseconds keep the year 0001 that Graph
    uses for "never", which nanoseconds cannot hold, so the seventh digit is dropped.
    """
    try:
        return pd.array(arrow.cast(_TIMESTAMP).to_pandas())
    except _ARROW_FAILED:
        pass
    try:
        trimmed = pc.replace_substring_regex(arrow, r"(\.\d{6})\d+", r"\1")
        return pd.array(trimmed.cast(_TIMESTAMP).to_pandas())
    except _ARROW_FAILED:
        return None


def _categorical(encoded: pa.DictionaryArray) -> pd.Categorical:
    """A dictionary-encoded column as a Categorical whose categories are in text order."""
    order = pc.array_sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order) + 1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    rank[-1] = -1  # a missing value's index (-1 below) maps to the missing code
    indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    categories = pd.Index(encoded.dictionary.take(order).to_pandas())
    return pd.Categorical.from_codes(rank[indices], categories=categories, validate=False)


def _all_missing(rows: int, kind: str) -> Any:
    """A column no item had a value for, typed as the metadata says."""
    dtypes = {
        "datetime": pd.DatetimeTZDtype("us", "UTC"),
        "boolean": pd.BooleanDtype(),
        "integer": pd.Int64Dtype(),
        "string": STRING,
        "category": pd.CategoricalDtype(pd.Index(pa.array([], pa.string()).to_pandas())),
    }
    return pd.array([None] * rows, dtype=dtypes[kind])


def concat_frames(frames: Sequence[pd.DataFrame], kinds: KindLookup | None = None) -> pd.DataFrame:
    """Frames stacked (the pager's next pages under the first), each column typed by the rule.

    pandas stacks two categoricals with different categories as plain strings, and a ``bool``
    with a column one frame lacks as ``object``: a column whose type differs between the
    frames (or that one lacks) is typed again, by the same rule, from its values.
    """
    frames = [f for f in frames if len(f.columns)]
    if len(frames) < 2:
        return frames[0] if frames else pd.DataFrame()
    joined = pd.concat(frames, ignore_index=True)
    for name in joined.columns:
        dtypes = [f[name].dtype for f in frames if name in f.columns]
        if len(dtypes) < len(frames) or any(dtype != dtypes[0] for dtype in dtypes):
            kind = kinds(name) if kinds is not None else None
            joined[name] = column_array(joined[name].tolist(), kind)
    return joined
