"""What ``%%graph --delta NAME`` keeps between runs: one Parquet file per name.

The file holds the merged objects, typed as a ``-o`` frame is (so DuckDB, Spark or pandas can
read the state as it is), with each object's JSON in an ``_object`` column (what the next round
merges into), and in its metadata the deltaLink, the system and the request it belongs to. One
file, replaced in one ``os.replace``, so a run that is interrupted, or fails, leaves the stored
state exactly as it was. The folder is ``.graph-magic/delta`` beside the notebook (the
``delta_folder`` setting): state belongs to the project that made it, like its notebooks.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from graph_magic.notebook.frames import items_to_frame

__all__ = ["DeltaState", "load_state", "save_state", "state_path"]

_META_KEY = b"graph_magic.delta"
_OBJECT = "_object"


@dataclass(frozen=True)
class DeltaState:
    """One name's stored state: where the next round starts, and the objects so far."""

    delta_link: str
    system: str
    request: str
    objects: dict[str, dict[str, Any]]


def state_path(folder: str | os.PathLike[str], name: str) -> Path:
    """The state file of ``name`` in ``folder``."""
    return Path(folder) / f"{name}.parquet"


def load_state(folder: str | os.PathLike[str], name: str) -> DeltaState | None:
    """The stored state of ``name``, or None when there is none (a first run)."""
    path = state_path(folder, name)
    if not path.is_file():
        return None
    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {})[_META_KEY])
    objects = {}
    for text in table.column(_OBJECT).to_pylist():
        obj = json.loads(text)
        objects[obj["id"]] = obj
    return DeltaState(meta["deltaLink"], meta["system"], meta["request"], objects)


def save_state(
    folder: str | os.PathLike[str],
    name: str,
    state: DeltaState,
    *,
    flatten_depth: int = 2,
) -> Path:
    """Store ``state`` for ``name`` (replacing the old file whole, or not at all)."""
    path = state_path(folder, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = _typed_table(state.objects, flatten_depth)
    meta = {"deltaLink": state.delta_link, "system": state.system, "request": state.request}
    table = table.replace_schema_metadata({_META_KEY: json.dumps(meta).encode()})
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def _typed_table(objects: Mapping[str, Mapping[str, Any]], flatten_depth: int) -> pa.Table:
    from graph_magic.notebook.parquet_export import arrow_table

    items = list(objects.values())
    frame = items_to_frame(items, flatten_depth=flatten_depth)
    table = arrow_table(frame)
    texts = pa.array([json.dumps(obj, sort_keys=True) for obj in items], pa.string())
    return table.append_column(_OBJECT, texts)
