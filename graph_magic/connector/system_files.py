"""System files: where ``NAME.yaml`` is searched, reading one, and reading its values by type.

This is the half of loading that knows nothing of what the keys mean: the search order, YAML
syntax errors with line and column, the bound on what YAML aliases may repeat (shared with the
cell grammar's YAML bodies), ``${VAR}`` interpolation, and typed reads whose errors name the key
and the file, never a secret's value. ``config.py`` says which keys there are and what they must
hold; ``config.load_system`` joins the two.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from graph_magic.connector.masking import is_secret_name
from graph_magic.errors import GraphConfigError

__all__ = [
    "ALIAS_BUDGET",
    "MAX_NESTING",
    "MAX_SYSTEM_FILE_BYTES",
    "BoundedSafeLoader",
    "ConfigReader",
    "find_system_file",
    "find_systems",
    "join_key",
    "read_system_file",
    "system_dirs",
]

_PACKAGE_SYSTEMS = Path(__file__).resolve().parents[1] / "systems"
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

ALIAS_BUDGET = 10_000
"""How many nodes YAML aliases may repeat in one document, all aliases together.

A 400-byte "billion laughs" file (nested anchors, each aliased nine times by the next) expands to
billions of nodes in whoever walks what it loaded; a real system file or cell body repeats a few.
"""
MAX_SYSTEM_FILE_BYTES = 64 * 1024
"""The largest system file read: a system is a few keys; PyYAML's pure-Python scanner needs
about ten seconds per megabyte, so a large file (a 10 MB value) would stall loading."""
MAX_NESTING = 100
"""How deep YAML collections may nest: Graph bodies and system files need a handful of levels.

Deeper text would cost PyYAML's scanner time quadratic in the depth before its recursion failed.
"""


class BoundedSafeLoader(yaml.SafeLoader):
    """A SafeLoader that refuses an alias bomb or a nesting bomb where it starts.

    PyYAML shares an aliased node instead of copying it, so loading stays cheap, but every walk
    of the result (``${VAR}`` interpolation, a cell's JSON values) pays the expanded size. Each
    alias adds its anchor's expanded node count (memoised per node, so the count is linear in the
    text) to a budget of :data:`ALIAS_BUDGET`; an alias inside its own anchor, which would make
    an endless structure, is refused too, and so is nesting beyond :data:`MAX_NESTING`, aliases
    expanded (a walk of the result must not exhaust the stack). Each
    refusal is a ``MarkedYAMLError`` marked where it starts, so callers report the line and
    column as for any YAML error.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._repeated = 0
        self._depth = 0
        self._sizes: dict[int, tuple[int, int]] = {}
        self._open: set[str | None] = set()  # anchors being composed

    def fetch_flow_collection_start(self, token_class: type[yaml.Token]) -> None:
        if self.flow_level >= MAX_NESTING:
            raise yaml.scanner.ScannerError(None, None, _too_deep(), self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._count(event)
            return super().compose_node(parent, index)
        if self._depth >= MAX_NESTING:
            raise yaml.composer.ComposerError(None, None, _too_deep(), event.start_mark)
        anchor = event.anchor
        self._open.add(anchor)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open.discard(anchor)

    def _count(self, event: yaml.AliasEvent) -> None:
        if event.anchor in self._open:
            problem = f"alias *{event.anchor} is inside its own anchor (an endless structure)"
            raise yaml.composer.ComposerError(None, None, problem, event.start_mark)
        node = self.anchors.get(event.anchor)
        if node is None:
            return  # PyYAML reports the undefined alias itself
        size, depth = self._measure(node)
        if self._depth + depth > MAX_NESTING:  # an alias inside an alias... nests deeper
            raise yaml.composer.ComposerError(None, None, _too_deep(), event.start_mark)
        self._repeated += size
        if self._repeated > ALIAS_BUDGET:
            problem = f"YAML aliases repeat more than {ALIAS_BUDGET:,} nodes (an alias bomb?)"
            raise yaml.composer.ComposerError(None, None, problem, event.start_mark)

    def _measure(self, node: yaml.Node) -> tuple[int, int]:
        """Node count and depth of ``node`` with every alias under it expanded."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = node.value
        elif isinstance(node, yaml.MappingNode):
            children = [child for pair in node.value for child in pair]
        measured = [self._measure(child) for child in children]
        result = (
            1 + sum(size for size, _ in measured),
            1 + max((depth for _, depth in measured), default=0),
        )
        self._sizes[id(node)] = result
        return result


def _too_deep() -> str:
    return f"YAML nests deeper than {MAX_NESTING} levels"


def system_dirs(environ: Mapping[str, str] | None = None) -> list[Path]:
    """The directories searched for ``NAME.yaml``, first match wins.

    ``$GRAPH_MAGIC_SYSTEMS`` (one or more paths, ``os.pathsep``-separated), ``./systems/``,
    ``~/.config/graph-magic/systems/``, then the package's shipped defaults.
    """
    env = os.environ if environ is None else environ
    dirs: list[Path] = []
    for part in (env.get("GRAPH_MAGIC_SYSTEMS") or "").split(os.pathsep):
        if part.strip():
            dirs.append(Path(part.strip()).expanduser())
    dirs.append(Path.cwd() / "systems")
    dirs.append(Path.home() / ".config" / "graph-magic" / "systems")
    dirs.append(_PACKAGE_SYSTEMS)
    return dirs


def find_systems(environ: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Every system name visible from here and the file that defines it, in discovery order."""
    found: dict[str, Path] = {}
    for directory in system_dirs(environ):
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if path.suffix in (".yaml", ".yml") and path.is_file():
                found.setdefault(path.stem, path)
    return found


def find_system_file(source: str | os.PathLike[str], env: Mapping[str, str]) -> Path:
    """The file ``source`` names: a path to a YAML file, or a system name found in the dirs."""
    text = os.fspath(source)
    candidate = Path(text).expanduser()
    looks_like_path = candidate.suffix in (".yaml", ".yml") or os.sep in text or "/" in text
    if looks_like_path:
        if candidate.is_file():
            return candidate
        raise GraphConfigError(f"system file '{text}' not found", file=text)
    known = find_systems(env)
    if text in known:
        return known[text]
    names = ", ".join(sorted(known)) or "none"
    raise GraphConfigError(
        f"unknown system '{text}'; known systems: {names} "
        f"(searched {', '.join(str(d) for d in system_dirs(env))})"
    )


def _line_and_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character offset in ``text``."""
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def read_system_file(path: Path) -> dict[str, Any]:
    """The mapping a system file holds; unreadable files and bad YAML say where, at once."""
    text = _system_text(path)
    try:
        data = yaml.load(text, Loader=_SystemFileLoader)
    except RecursionError:
        raise GraphConfigError("invalid YAML: it nests too deeply", file=str(path)) from None
    except yaml.reader.ReaderError as exc:
        # The reader refuses a character before any parsing, so it has no mark: locate it.
        line, column = _line_and_column(text, exc.position)
        raise GraphConfigError(
            f"invalid YAML at line {line}, column {column}: "
            f"character {exc.character!r} is not allowed in YAML",
            file=str(path),
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise GraphConfigError(f"invalid YAML{where}: {problem}", file=str(path)) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise GraphConfigError(
            f"a system file must hold a mapping of keys, not {type(data).__name__}",
            file=str(path),
        )
    return data


def _system_text(path: Path) -> str:
    """The file's text: at most MAX_SYSTEM_FILE_BYTES, UTF-8, each refusal saying where."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SYSTEM_FILE_BYTES + 1)
    except OSError as exc:
        raise GraphConfigError(
            f"cannot read the system file: {exc.strerror}", file=str(path)
        ) from None
    if len(data) > MAX_SYSTEM_FILE_BYTES:
        raise GraphConfigError(
            f"the system file is larger than {MAX_SYSTEM_FILE_BYTES // 1024} KiB; a system "
            "holds a few keys (is this the right file?)",
            file=str(path),
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _line_and_column(data[: exc.start].decode("utf-8"), exc.start)
        raise GraphConfigError(
            f"the system file is not UTF-8: byte 0x{data[exc.start]:02x} at line {line}, "
            f"column {column}",
            file=str(path),
        ) from None


class _SystemFileLoader(BoundedSafeLoader):
    """The bounded loader that also refuses a key written twice in one mapping.

    PyYAML keeps the last one silently; in a system file that is a paste gone wrong (two
    ``token:`` lines), so the second is refused where it stands. The value is never shown.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key != "<<" and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key '{key}' is written twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


class ConfigReader:
    """Reads typed values out of one config dict, raising errors that name the key and file."""

    def __init__(self, file: str, env: Mapping[str, str]) -> None:
        self.file = file
        self.env = env

    def error(self, message: str, key: str) -> GraphConfigError:
        return GraphConfigError(message, key=key, file=self.file)

    def interpolate(self, value: Any, key: str) -> Any:
        if isinstance(value, str):
            return _VAR.sub(lambda m: self._lookup(m.group(1), key), value)
        if isinstance(value, list):
            return [self.interpolate(v, f"{key}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dict):
            return {k: self.interpolate(v, join_key(key, str(k))) for k, v in value.items()}
        return value

    def _lookup(self, var: str, key: str) -> str:
        if var not in self.env:
            raise self.error(f"environment variable '{var}' is not set", key)
        return self.env[var]

    def check_keys(self, data: Mapping[str, Any], allowed: frozenset[str], prefix: str) -> None:
        for k in data:
            if not isinstance(k, str) or k not in allowed:
                close = difflib.get_close_matches(str(k), sorted(allowed), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                raise self.error(
                    f"unknown key; {hint}allowed here: {', '.join(sorted(allowed))}",
                    join_key(prefix, str(k)),
                )

    def string(self, value: Any, key: str, *, optional: bool = True) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str):
            raise self.error(f"expected a string, got {_kind(value, key)}", key)
        return value

    def boolean(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.error(f"expected true or false, got {_kind(value, key)}", key)
        return value

    def integer(self, value: Any, key: str, *, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"expected an integer, got {_kind(value, key)}", key)
        if value < minimum:
            raise self.error(f"must be at least {minimum}, got {value}", key)
        return value

    def number(self, value: Any, key: str, *, optional: bool = False) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"expected a number, got {_kind(value, key)}", key)
        if value < 0:
            raise self.error(f"must not be negative, got {value}", key)
        return float(value)

    def choice(self, value: Any, key: str, choices: tuple[str, ...]) -> str:
        if not isinstance(value, str) or value not in choices:
            raise self.error(f"must be one of {', '.join(choices)}; got {value!r}", key)
        return value

    def mapping(self, value: Any, key: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(f"expected a mapping, got {_kind(value, key)}", key)
        return dict(value)

    def string_list(self, value: Any, key: str) -> tuple[str, ...]:
        if isinstance(value, str):
            return tuple(value.split())
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(f"expected a list of strings, got {_kind(value, key)}", key)
        return tuple(value)


def join_key(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _kind(value: Any, key: str) -> str:
    """What ``value`` is, for an error; a secret's value (by its key's name) is never echoed."""
    if value is None:
        return "nothing (null)"
    if is_secret_name(key.rpartition(".")[2]):
        return f"{type(value).__name__} (value not shown: it is a secret)"
    if isinstance(value, (bool, int, float, str)):
        return f"{type(value).__name__} {value!r}"
    return type(value).__name__
