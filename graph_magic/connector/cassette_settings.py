"""The ``record:`` and ``replay:`` keys of a system, read and checked at load time.

``record: PATH`` (or ``record: {path: PATH, pseudonymise: [mail, ...]}``) records every Graph
exchange of the system into a cassette; ``replay: PATH`` answers the system's requests from one,
with no network and no credentials. A relative path is taken from the system file's folder, so a
notebook's system and its cassette travel together; a system given as a dict takes it from the
working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph_magic.connector.system_files import ConfigReader, join_key

__all__ = ["RecordSettings", "read_record", "read_replay"]

_RECORD_KEYS = frozenset({"path", "pseudonymise"})


@dataclass(frozen=True)
class RecordSettings:
    """Where a system records to, and which properties get stable fake values there."""

    path: str
    pseudonymise: tuple[str, ...] = ()


def read_record(r: ConfigReader, value: Any, key: str) -> RecordSettings | None:
    """``record:`` as a path or a mapping with ``path`` and ``pseudonymise``."""
    if value is None:
        return None
    if isinstance(value, str):
        return RecordSettings(_cassette_path(r, value, key))
    data = r.mapping(value, key)
    r.check_keys(data, _RECORD_KEYS, key)
    if "path" not in data:
        raise r.error("a recording needs the cassette's path", join_key(key, "path"))
    path = _cassette_path(r, r.string(data["path"], join_key(key, "path")), join_key(key, "path"))
    names = r.string_list(data.get("pseudonymise") or [], join_key(key, "pseudonymise"))
    return RecordSettings(path, tuple(names))


def read_replay(r: ConfigReader, value: Any, key: str) -> str | None:
    """``replay:``: the cassette to answer from; it must exist when the system loads."""
    if value is None:
        return None
    path = _cassette_path(r, value, key)
    if not os.path.isfile(path):
        raise r.error(f"no cassette at {path}; record one first (see docs/replay.md)", key)
    return path


def _cassette_path(r: ConfigReader, value: Any, key: str) -> str:
    text = r.string(value, key, optional=False) or ""
    if not text.strip():
        raise r.error("expected the path of a cassette file", key)
    path = Path(text).expanduser()
    if not path.is_absolute():
        system_file = Path(r.file)
        folder = system_file.parent if system_file.is_file() else Path.cwd()
        path = folder / path
    return str(path.resolve())
