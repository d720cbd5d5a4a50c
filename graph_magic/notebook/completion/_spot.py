"""Where the cursor stands in a ``%%graph`` cell or a ``%graph`` line, read without the knowledge.

Completion runs on every Tab, on text that is usually half typed and so is no valid cell: this
reads only the lines that matter (the ``%%graph`` line for ``--system``/``--beta``, the
request's ``###`` segment, its request line and the line the cursor is on) with the cell
grammar's own rules for what a line is (``###``, comments, the blank line before the body),
and answers with a Spot: what kind of word the cursor ends and where it starts.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass

from IPython.core.error import UsageError

from graph_magic.notebook.cell import METHODS
from graph_magic.notebook.options import split_line

_CELL_MAGIC = re.compile(r"%%graph(?=\s|$)")
_LINE_MAGIC = re.compile(r"\s*(?:[A-Za-z_][\w.]*\s*=\s*)?%graph(?=\s)")
_METHOD = re.compile(r"([A-Za-z]+)\s+")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/]*")
_VERSIONS = ("v1.0", "beta")
_TEMPLATE = re.compile(r"\{\{.*?\}\}")
_OPTION_LINE = re.compile(r"(\$\w*)\s*([:=])?")
_NOT_IN_SEGMENT = set("():'")


@dataclass(frozen=True)
class Request:
    """The request the cursor is in: its path, the version it names, its system and ``--beta``.

    ``path`` is relative to the version root (``/users/{id}``); ``version`` is the one the
    target names (``/beta/...``), None when the system's own version applies.
    """

    path: str
    version: str | None
    system: str | None
    beta: bool


@dataclass(frozen=True)
class Spot:
    """What the cursor ends: a ``kind`` of word, the text from ``start`` to the cursor, and why.

    Kinds: ``method``, ``path`` (``text`` is the segment typed so far), ``option`` (a ``$``
    option name), ``value`` (the whole value of option ``name`` up to the cursor), ``header``
    and ``header_value`` (of header ``name``).
    """

    kind: str
    start: int
    text: str
    request: Request
    name: str = ""


def locate(text: str, cursor: int, parser: argparse.ArgumentParser) -> Spot | None:
    """The Spot at ``cursor`` in ``text`` (a whole cell), or None outside graph-magic's words."""
    lines = text[:cursor].split("\n")
    number, column = len(lines) - 1, len(lines[-1])
    start = cursor - column
    all_lines = text.split("\n")
    line = all_lines[number]
    first = next((i for i, each in enumerate(all_lines) if each.strip()), None)
    if first is not None and first < number and _CELL_MAGIC.match(all_lines[first]):
        options = _options(all_lines[first][len("%%graph") :], parser)
        if options is None:
            return None
        return _in_cell(all_lines[first + 1 :], number - first - 1, start, column, options)
    magic = _LINE_MAGIC.match(line)
    if magic is None or magic.end() > column:
        return None
    return _in_line(line[magic.end() : column], start + magic.end(), parser)


def _options(line: str, parser: argparse.ArgumentParser) -> tuple[str | None, bool] | None:
    """``--system`` and ``--beta`` of a magic line's options; None when they do not parse."""
    try:
        argv, _ = split_line(line, parser)
        args = parser.parse_args(argv)
    except UsageError:  # the magic's parser raises it instead of exiting
        return None
    return args.system, bool(args.beta)


def _in_line(before: str, start: int, parser: argparse.ArgumentParser) -> Spot | None:
    """A ``%graph [options] METHOD TARGET`` line, ``before`` the cursor from after ``%graph``."""
    try:
        _, rest = split_line(before, parser)
    except UsageError:
        return None
    offset = len(before.rstrip()) - len(rest)
    options = _options(before[:offset], parser)
    if not rest or options is None:
        return None
    return _request_line(before[offset:], start + offset, options)


def _in_cell(
    body: list[str], number: int, start: int, column: int, options: tuple[str | None, bool]
) -> Spot | None:
    """Line ``number`` of a cell's ``body`` (the lines after ``%%graph``), cursor at ``column``."""
    block = 0
    for index in range(number + 1):
        stripped = body[index].lstrip()
        if stripped.startswith("###") and not stripped.startswith("####"):
            block = index + 1
    request = next((i for i in range(block, number + 1) if not _skippable(body[i])), None)
    if request is None:
        return None
    before = body[number][:column]
    if request == number:
        return _request_line(before, start, options)
    if any(not body[i].strip() for i in range(request + 1, number)) or _skippable(before):
        return None
    return _head_line(before, start, _request_of(body[request], options))


def _skippable(line: str) -> bool:
    """Blank or a ``#`` comment, as the cell grammar reads it before a request or a body."""
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _request_line(before: str, start: int, options: tuple[str | None, bool]) -> Spot | None:
    """The request line up to the cursor: a method being typed, a path or its query."""
    stripped = before.lstrip()
    start += len(before) - len(stripped)
    if stripped.isalpha():
        return Spot("method", start, stripped, _request_of("", options))
    method = _METHOD.match(stripped)
    if method and method.group(1).upper() in METHODS:
        start += method.end()
        stripped = stripped[method.end() :]
    path, mark, query = stripped.partition("?")
    if mark:
        return _query(query, start + len(path) + 1, _request_of(stripped, options))
    return _path(path, start, options)


def _path(target: str, start: int, options: tuple[str | None, bool]) -> Spot | None:
    """A path being typed: the segment before the cursor, and the path it follows."""
    if not target or any(char.isspace() for char in target):
        return None
    url = _URL.match(target)
    if url:
        if url.end() == len(target):
            return None
        start += url.end()
        target = target[url.end() :]
    cut = _last_slash(target)
    segment = target[cut + 1 :]
    if _NOT_IN_SEGMENT & set(segment) or "{{" in segment:
        return None
    parent, version = _split_version(target[: cut + 1])
    request = Request(parent, version, *options)
    return Spot("path", start + cut + 1, segment, request)


def _last_slash(target: str) -> int:
    """Where the last ``/`` outside parentheses and quotes is (-1 when there is none)."""
    depth, quoted, found = 0, False, -1
    for index, char in enumerate(target):
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "()":
            depth = max(depth + (1 if char == "(" else -1), 0)
        elif char == "/" and not quoted and not depth:
            found = index
    return found


def _split_version(path: str) -> tuple[str, str | None]:
    """``/v1.0/users`` -> (``/users``, ``v1.0``); ``{{...}}`` values read as keys (``{id}``)."""
    path = _TEMPLATE.sub("{id}", path)
    head, _, tail = path.lstrip("/").partition("/")
    if head.lower() in _VERSIONS:
        return "/" + tail, head.lower()
    return path, None


def _request_of(line: str, options: tuple[str | None, bool]) -> Request:
    """The Request a whole request line names (its path without host, version or query)."""
    stripped = line.strip()
    method = _METHOD.match(stripped)
    if method and method.group(1).upper() in METHODS:
        stripped = stripped[method.end() :]
    target = stripped.split(None, 1)[0] if stripped else ""
    target = target.partition("?")[0]
    url = _URL.match(target)
    path, version = _split_version(target[url.end() :] if url else target)
    return Request(path, version, *options)


def _query(query: str, start: int, request: Request) -> Spot:
    """A query string up to the cursor: the name or value of its last ``name=value`` pair."""
    offset = query.rfind("&") + 1
    pair = query[offset:]
    name, equals, _ = pair.partition("=")
    if equals:
        value_at = offset + len(name) + 1
        return Spot("value", start + value_at, query[value_at:], request, _option_name(name))
    return Spot("option", start + offset, pair, request)


def _head_line(before: str, start: int, request: Request) -> Spot | None:
    """A line between the request line and the body: query, ``$option`` or header."""
    stripped = before.lstrip()
    start += len(before) - len(stripped)
    if stripped[:1] in ("?", "&"):
        return _query(stripped[1:], start + 1, request)
    if stripped.startswith("$"):
        option = _OPTION_LINE.match(stripped)
        if option is None:
            return None
        if option.group(2) is None:
            if option.end() < len(stripped):
                return None
            return Spot("option", start, option.group(1), request)
        value = stripped[option.end() :]
        at = start + option.end() + len(value) - len(value.lstrip())
        return Spot("value", at, value.lstrip(), request, _option_name(option.group(1)))
    name, colon, value = stripped.partition(":")
    if not colon:
        return Spot("header", start, name, request) if " " not in name else None
    at = start + len(name) + 1 + len(value) - len(value.lstrip())
    return Spot("header_value", at, value.lstrip(), request, name.strip())


def _option_name(name: str) -> str:
    """A query option's name as the ``$`` form (v1.0 takes ``select`` for ``$select`` too)."""
    name = name.strip()
    return name if name.startswith("$") else "$" + name
