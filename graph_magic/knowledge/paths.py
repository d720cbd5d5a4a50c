"""How a Graph path splits into segments, and the template key each segment matches.

One rule for the resolver, the permission matcher and the build script alike, so a path a user
types and a path template from Microsoft's permissions map are cut and normalised the same way:
slashes inside parentheses or quotes do not split, ``name(...)`` is a key (``users('abc')``) or
a function call / alternate key (``getX(period='D7')``), and OneDrive's path addressing
(``root:/folder/file.txt:/content``) becomes one address segment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ID = "{id}"
ADDRESS = "{path}"
_PLACEHOLDER = re.compile(r"^'?\{[^}]*\}'?$")
_CALL = re.compile(r"^([^(]*)\((.*)\)$", re.DOTALL)


@dataclass(frozen=True)
class Segment:
    """One segment of a path: a name, and what its parentheses or colons said.

    ``args`` is None without parentheses, a tuple of (name, value) pairs for a call or an
    alternate key; ``key`` holds a key given in parentheses (``users('abc')``); ``address``
    marks a ``:/folder/file:`` path address (its text is the address).
    """

    text: str
    name: str
    args: tuple[tuple[str, str], ...] | None = None
    key: str | None = None
    address: bool = False


def _split_raw(path: str) -> list[str]:
    """Cut at slashes that are outside parentheses and quotes."""
    parts: list[str] = []
    depth, quoted, current = 0, False, []
    for char in path:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth = max(depth - 1, 0)
        elif char == "/" and not quoted and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part for part in parts if part]


def _parse_args(inner: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for item in _split_commas(inner):
        name, _, value = item.partition("=")
        pairs.append((name.strip(), value.strip()))
    return tuple(pairs)


def _split_commas(inner: str) -> list[str]:
    items, quoted, current = [], False, []
    for char in inner:
        if char == "'":
            quoted = not quoted
        if char == "," and not quoted:
            items.append("".join(current))
            current = []
            continue
        current.append(char)
    items.append("".join(current))
    return [item for item in items if item.strip()]


def _segment(text: str) -> Segment:
    match = _CALL.match(text)
    if not match:
        return Segment(text=text, name=text)
    name, inner = match.group(1), match.group(2).strip()
    if inner and "=" not in inner:
        return Segment(text=text, name=name, key=inner.strip("'"))
    return Segment(text=text, name=name, args=_parse_args(inner))


def split_path(path: str) -> list[Segment]:
    """The segments of ``path``: query string, scheme and host, ``v1.0`` prefix dropped."""
    path = path.split("?", 1)[0].strip()
    if "://" in path:
        path = path.split("://", 1)[1].partition("/")[2]
    raw = _split_raw(path)
    if raw and raw[0].lower() == "v1.0":
        raw = raw[1:]
    segments: list[Segment] = []
    index = 0
    while index < len(raw):
        part = raw[index]
        if part.endswith(":") and "(" not in part:
            segments.append(_segment(part[:-1]))
            address, index = _take_address(raw, index + 1)
            segments.append(Segment(text=address, name=address, address=True))
            continue
        segments.append(_segment(part))
        index += 1
    return segments


def _take_address(raw: list[str], start: int) -> tuple[str, int]:
    """The ``/a/b`` of ``x:/a/b:`` (or ``x:/a/b`` to the end), and the index after it."""
    taken: list[str] = []
    index = start
    while index < len(raw):
        part = raw[index]
        index += 1
        if part.endswith(":"):
            taken.append(part[:-1])
            break
        taken.append(part)
    return "/" + "/".join(taken), index


def template_tokens(segment: Segment) -> list[str]:
    """The lower-case tokens a segment matches in a permission template.

    A placeholder (``{id}``, ``'{anything}'``) and a key in parentheses become ``{id}``; a call
    keeps only its sorted parameter names (``getx(period)``), since values never matter.
    """
    if segment.address:
        return [ADDRESS]
    name = segment.name.lower()
    if _PLACEHOLDER.match(name):
        name = ID
    if segment.key is not None:
        return [name, ID]
    if segment.args:
        params = ",".join(sorted(arg.lower() for arg, _ in segment.args))
        return [f"{name}({params})"]
    return [name]


def template_key(path: str) -> tuple[str, ...]:
    """All tokens of ``path``, as the permission index keys a template."""
    return tuple(token for segment in split_path(path) for token in template_tokens(segment))
