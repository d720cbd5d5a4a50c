r"""The %%graph cell grammar: turn a cell's text into RequestSpecs or say exactly where it is wrong.

A cell is written the way Graph's documentation prints an HTTP request, so a documented example
can be pasted as it is::

    POST https://graph.microsoft.com/v1.0/users          <- request line: [METHOD] TARGET
    $select: id,displayName                               <- OData option ($name=value too)
    ?format=json&x=1                                      <- query string line (? or &)
    Content-type: application/json                        <- header: Name: value
                                                          <- blank line
    {"displayName": "{{name}}"}                           <- body: JSON, else YAML
    ### second after 1                                    <- next request, with dependsOn

Decisions worth knowing:

- Query strings (in the target, on ``?``/``&`` lines) are URL syntax, so their names and values are
  percent-decoded once here and encoded once by the sender; ``+`` stays a plus. ``$name: value``
  lines are taken exactly as written (not decoded).
- ``#`` lines are comments before the body. Inside the body they belong to the body: strict JSON
  has no comments, so such a body is read as YAML (flow style), which does.
- A ``###`` line always starts a new request, even inside a YAML block scalar; ``####`` and more
  is a comment. ``### ID``, ``### ID after A,B`` and ``### after A`` (numbered id) are the forms;
  unnamed requests are numbered by position from 1.
- A body that starts like JSON but is not JSON is tried as YAML (flow style), unless the JSON
  error sits on a bare ``{{...}}``: then the value is misplaced and the JSON error is reported.
  A ``{{...}}`` in a YAML comment is ignored, like the comment.
- ``{{...}}`` is interpolated per position after the structure has been split, never by text
  substitution first: a value is one path segment (percent-encoded, never empty, never a dot
  segment), OData string data in a query value (``'`` doubled), a header value without line breaks,
  a JSON value or JSON string content in a body.
- ``\{{`` is a literal ``{{``: nothing is interpolated there, and the escape is then placed like a
  value whose text is ``{{`` (percent-encoded in a path, JSON string content in a body). A
  backslash escapes ``{{`` only when it is not itself escaped: an odd run of backslashes right
  before ``{{`` escapes it (that one backslash is dropped), an even run is left as written and the
  ``{{...}}`` is interpolated. That is how JSON and YAML's double quotes read backslashes, so
  ``"\\{{x}}"`` in a body stays a backslash followed by x's value, and no JSON escape is taken
  away (``\{`` is none). Backslashes anywhere else are plain text; outside a JSON or YAML string a
  single backslash right before a value is written ``%5C`` (path, query).
- An ``Authorization`` header is refused: the connector sets it from the system's credentials, and a
  token pasted into a notebook is a leaked token.

Pure: no I/O. Every failure is a GraphSyntaxError with 1-based line and column in the cell.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, unquote

import yaml

from graph_magic.errors import GraphSyntaxError

__all__ = ["RequestSpec", "parse_cell"]

_METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
_NO_BODY = frozenset({"GET", "DELETE"})
_GRAPH_HOST = "graph.microsoft.com"
# "@" is a path character (RFC 3986 pchar) that cannot change a path's structure; leaving it
# unencoded keeps user principal names readable in results and dry runs.
_SEGMENT_SAFE = "@"
_VERSIONS = {"v1.0": "v1.0", "beta": "beta"}
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_REQUEST_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
_NAME = re.compile(r"[^\W\d]\w*")
_INDEX = re.compile(r"-?\d{1,18}")
_OPTION = re.compile(r"\$(\w+)\s*([:=])")
_HTTP_VERSION = re.compile(r"\s+HTTP/\d+(?:\.\d+)?\s*$")
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*)")
_METHOD_WORD = re.compile(r"[A-Za-z]+(?=\s)")
_MAX_BODY_NODES = 1_000_000


@dataclass(frozen=True)
class RequestSpec:
    """One request of a cell, ready for the connector.

    ``path`` is relative to the version root and already percent-encoded where a value was
    interpolated; ``params`` hold decoded values that the sender URL-encodes exactly once.
    """

    id: str
    method: str
    target: str
    path: str
    version: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    depends_on: tuple[str, ...] = ()
    line: int = 1


@dataclass(frozen=True)
class _Step:
    """One ``.attr`` or ``[key]`` after the name in ``{{...}}``."""

    key: str | int
    is_attr: bool
    column: int


@dataclass(frozen=True)
class _Slot:
    r"""A ``{{...}}`` found in a line: where it is and what it names.

    An ``escape`` slot is a ``\{{``: it names nothing and stands for the text ``{{``. Keeping it a
    slot lets every position place the literal exactly as it places a value, so the braces are
    never read as structure (a JSON object, a YAML flow mapping) or as an interpolation.
    """

    start: int  # index in the scanned text
    end: int
    line: int
    column: int
    name: str
    steps: tuple[_Step, ...]
    escape: bool = False

    @property
    def label(self) -> str:
        text = self.name
        for step in self.steps:
            text += f".{step.key}" if step.is_attr else f"[{step.key!r}]"
        return text


@dataclass(frozen=True)
class _Hole:
    """Stands for a bare ``{{...}}`` inside a YAML body until the value is put in."""

    index: int


class _NotYaml(GraphSyntaxError):
    """The body is not YAML either; the caller decides whether to report this or the JSON error."""


@dataclass
class _Piece:
    """A span of one line plus the slots inside it; structure is found on ``masked``."""

    text: str
    masked: str
    slots: list[_Slot]
    line: int
    column: int  # 1-based column of text[0] in the cell

    def sub(self, start: int, end: int | None = None) -> _Piece:
        end = len(self.text) if end is None else end
        slots = [s for s in self.slots if s.start >= start and s.end <= end]
        shifted = [replace(s, start=s.start - start, end=s.end - start) for s in slots]
        return _Piece(
            self.text[start:end], self.masked[start:end], shifted, self.line, self.column + start
        )

    def strip(self) -> _Piece:
        left = len(self.masked) - len(self.masked.lstrip())
        right = len(self.masked.rstrip())
        return self.sub(left, max(left, right))

    def split(self, sep: str) -> list[_Piece]:
        pieces, start = [], 0
        while True:
            at = self.masked.find(sep, start)
            if at < 0:
                pieces.append(self.sub(start))
                return pieces
            pieces.append(self.sub(start, at))
            start = at + len(sep)

    def partition(self, sep: str) -> tuple[_Piece, _Piece | None]:
        at = self.masked.find(sep)
        if at < 0:
            return self, None
        return self.sub(0, at), self.sub(at + len(sep))


@dataclass
class _Draft:
    """A request before ids and dependencies are settled."""

    given_id: str | None
    after: list[tuple[str, int, int]]  # (name, line, column)
    separator_line: int | None
    spec: dict[str, Any]


def parse_cell(text: str, namespace: Mapping[str, Any] | None = None) -> list[RequestSpec]:
    """Parse a %%graph cell into one RequestSpec per request, in order.

    ``namespace`` supplies ``{{name}}`` values (the notebook's user namespace). Raises
    GraphSyntaxError, with the line and column of the problem, for every bad input.
    """
    return _Parser(text, namespace).parse()


class _Parser:
    """One parse of one cell; holds the lines so every error can quote its source line."""

    def __init__(self, text: Any, namespace: Mapping[str, Any] | None) -> None:
        if not isinstance(text, str):
            raise GraphSyntaxError(
                f"a cell is text, not {type(text).__name__}", line=1, column=1, source_line=""
            )
        self.namespace: Mapping[str, Any] = namespace if namespace is not None else {}
        self.lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
        self._check_encodable(text)

    # ---- errors ---------------------------------------------------------------------------

    def error(self, message: str, line: int, column: int) -> GraphSyntaxError:
        line = min(max(line, 1), len(self.lines))
        source = self.lines[line - 1]
        return GraphSyntaxError(message, line=line, column=max(column, 1), source_line=source)

    def _check_encodable(self, text: str) -> None:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            before = text[: exc.start]
            line = before.count("\n") + 1
            column = exc.start - (before.rfind("\n") + 1) + 1
            message = "the cell holds a character that is not valid Unicode"
            raise self.error(message, line, column) from None

    # ---- cell level -----------------------------------------------------------------------

    def parse(self) -> list[RequestSpec]:
        drafts = [d for d in (self._request(seg) for seg in self._segments()) if d is not None]
        if not drafts:
            raise self.error("the cell holds no request", 1, 1)
        return self._settle_ids(drafts)

    def _segments(self) -> list[tuple[int | None, list[int]]]:
        """Split the cell at ``###`` lines: (separator line number or None, body line numbers)."""
        segments: list[tuple[int | None, list[int]]] = [(None, [])]
        for number, line in enumerate(self.lines, start=1):
            stripped = line.lstrip()
            if stripped.startswith("###") and not stripped.startswith("####"):
                segments.append((number, []))
            else:
                segments[-1][1].append(number)
        return segments

    def _separator(self, number: int) -> tuple[str | None, list[tuple[str, int, int]]]:
        line = self.lines[number - 1]
        offset = line.index("###") + 3
        words = [(m.group(), m.start() + 1) for m in re.finditer(r"\S+", line[offset:])]
        words = [(w, c + offset) for w, c in words]
        given: str | None = None
        if words and words[0][0].lower() != "after":
            word, column = words.pop(0)
            if not _REQUEST_ID.fullmatch(word):
                raise self.error(
                    f"request id '{word}' may only hold letters, digits, '_', '.' and '-'",
                    number,
                    column,
                )
            given = word
        if not words:
            return given, []
        word, column = words.pop(0)
        if word.lower() != "after":
            raise self.error(
                f"expected 'after' or the end of the line, not '{word}'", number, column
            )
        if not words:
            raise self.error("'after' needs the ids of earlier requests", number, column)
        after: list[tuple[str, int, int]] = []
        offset = words[0][1] - 1
        for chunk in line[offset:].split(","):
            name = chunk.strip()
            column = offset + len(chunk) - len(chunk.lstrip()) + 1
            offset += len(chunk) + 1
            if not name:
                raise self.error("an empty id in the 'after' list", number, column)
            if not _REQUEST_ID.fullmatch(name):
                raise self.error(f"'{name}' is not a request id", number, column)
            after.append((name, number, column))
        return given, after

    def _settle_ids(self, drafts: list[_Draft]) -> list[RequestSpec]:
        seen: dict[str, int] = {}
        specs: list[RequestSpec] = []
        for position, draft in enumerate(drafts, start=1):
            request_id = draft.given_id or str(position)
            where = draft.separator_line or draft.spec["line"]
            if request_id in seen:
                note = "" if draft.given_id else " (requests without an id are numbered from 1)"
                column = self.lines[where - 1].find(request_id) + 1 if draft.given_id else 1
                raise self.error(f"duplicate request id '{request_id}'{note}", where, column)
            depends: list[str] = []
            for name, line, column in draft.after:
                if name == request_id:
                    raise self.error(f"request '{name}' cannot come after itself", line, column)
                if name not in seen:
                    later = any(d.given_id == name for d in drafts[position:])
                    reason = "comes later in the cell" if later else "is not a request id here"
                    hint = self._suggest(name, list(seen))
                    raise self.error(f"'after' names '{name}', which {reason}{hint}", line, column)
                if name in depends:
                    raise self.error(f"'{name}' is listed twice after 'after'", line, column)
                depends.append(name)
            seen[request_id] = position
            specs.append(RequestSpec(id=request_id, depends_on=tuple(depends), **draft.spec))
        return specs

    # ---- one request ----------------------------------------------------------------------

    def _request(self, segment: tuple[int | None, list[int]]) -> _Draft | None:
        separator, numbers = segment
        given, after = self._separator(separator) if separator else (None, [])
        rest = iter(numbers)
        request_line = next((n for n in rest if not self._skippable(n)), None)
        if request_line is None:
            if separator is None:
                return None
            raise self.error("'###' is not followed by a request", separator, 1)
        method, target, path, version, params = self._request_line(request_line)
        headers: dict[str, str] = {}
        body_numbers: list[int] = []
        for number in rest:
            if not self.lines[number - 1].strip():
                body_numbers = [n for n in numbers if n > number]
                break
            if self.lines[number - 1].lstrip().startswith("#"):
                continue
            self._head_line(number, params, headers)
        body = self._body(method, body_numbers)
        spec = {
            "method": method,
            "target": target,
            "path": path,
            "version": version,
            "params": params,
            "headers": headers,
            "body": body,
            "line": request_line,
        }
        return _Draft(given, after, separator, spec)

    def _skippable(self, number: int) -> bool:
        stripped = self.lines[number - 1].strip()
        return not stripped or stripped.startswith("#")

    def _piece(self, number: int) -> _Piece:
        text = self.lines[number - 1]
        slots, masked = self._scan(text, number, 1)
        return _Piece(text, masked, slots, number, 1)

    def _request_line(self, number: int) -> tuple[str, str, str, str | None, dict[str, str]]:
        piece = self._piece(number).strip()
        method = "GET"
        word = _METHOD_WORD.match(piece.masked)
        if word:
            if word.group().upper() not in _METHODS:
                raise self.error(
                    f"unknown HTTP method '{word.group()}' (use {', '.join(_METHODS)})",
                    number,
                    piece.column,
                )
            method = word.group().upper()
            piece = piece.sub(word.end()).strip()
        elif piece.masked.upper() in _METHODS:
            raise self.error(
                f"{piece.masked.upper()} needs a target after it",
                number,
                piece.column + len(piece.masked),
            )
        trailer = _HTTP_VERSION.search(piece.masked)
        if trailer:
            piece = piece.sub(0, trailer.start())
        rendered: dict[int, str] = {}  # each slot's text in the target, by column
        path_piece, query = piece.partition("?")
        path, version = self._path(path_piece, rendered)
        params: dict[str, str] = {}
        if query is not None:
            self._query(query, params, rendered)
        target = self._render_with(piece, {s.start: rendered[s.column] for s in piece.slots})
        return method, target, path, version, params

    # ---- target ---------------------------------------------------------------------------

    def _path(self, piece: _Piece, rendered: dict[int, str]) -> tuple[str, str | None]:
        """The path relative to the version root, and the version if the target names one."""
        hash_at = piece.masked.find("#")
        if hash_at >= 0:
            raise self.error(
                "a '#' fragment is never sent; write %23 for a literal '#'",
                piece.line,
                piece.column + hash_at,
            )
        url = _URL.match(piece.masked)
        if url:
            self._check_origin(piece, url)
            piece = piece.sub(url.end())
        for at, char in enumerate(piece.masked):
            if char == "\0" and piece.text[at] != "\0":
                continue  # a masked {{...}}
            if char.isspace() or ord(char) < 32 or char == "\x7f":
                what = "a space" if char == " " else f"the character {char!r}"
                raise self.error(
                    f"{what} in the path; only the query string may hold spaces",
                    piece.line,
                    piece.column + at,
                )
        segments = piece.split("/")
        if segments and not segments[0].masked:
            segments = segments[1:]
        version = None
        if segments and not segments[0].slots and segments[0].masked.lower() in _VERSIONS:
            version = _VERSIONS[segments[0].masked.lower()]
            segments = segments[1:]
        elif url:
            first = segments[0] if segments else piece
            raise self.error(
                "a Graph URL names its version: /v1.0/ or /beta/ after the host",
                first.line,
                first.column,
            )
        path = "/" + "/".join(self._segment(segment, rendered) for segment in segments)
        return path, version

    def _check_origin(self, piece: _Piece, url: re.Match[str]) -> None:
        scheme, authority = url.group(1), url.group(2)
        column = piece.column + url.start(2)
        if any(slot.start < url.end() for slot in piece.slots):
            raise self.error("{{...}} cannot be part of the scheme or host", piece.line, column)
        if scheme.lower() != "https":
            raise self.error(
                f"Graph is only reached over https, not {scheme}", piece.line, piece.column
            )
        if "@" in authority:
            raise self.error("a URL with user info is not a Graph URL", piece.line, column)
        host, _, port = authority.partition(":")
        if host.lower() != _GRAPH_HOST or port not in ("", "443"):
            raise self.error(
                f"host '{authority}' is not {_GRAPH_HOST}; write the path alone to use the "
                "system's host",
                piece.line,
                column,
            )

    def _segment(self, segment: _Piece, rendered: dict[int, str]) -> str:
        """One path segment: literal text as written, each value percent-encoded as data."""
        if not segment.slots:
            return segment.text
        parts: dict[int, str] = {}
        for slot in segment.slots:
            # _text_of has already refused text that UTF-8 (what quote encodes with) cannot hold.
            parts[slot.start] = quote(self._text_of(slot), safe=_SEGMENT_SAFE)
        result = self._render_with(segment, parts)
        if not result:
            slot = segment.slots[0]
            raise self.error(
                f"'{slot.label}' is empty, and an empty path segment would change the request",
                slot.line,
                slot.column,
            )
        if set(result) == {"."}:
            parts = {k: v.replace(".", "%2E") for k, v in parts.items()}
            result = self._render_with(segment, parts)
        for slot in segment.slots:
            rendered[slot.column] = parts[slot.start]
        return result

    @staticmethod
    def _render_with(piece: _Piece, parts: Mapping[int, str]) -> str:
        """``piece`` with each slot replaced by its rendering in ``parts`` (keyed by start)."""
        out, last = [], 0
        for slot in piece.slots:
            out.append(piece.text[last : slot.start])
            out.append(parts[slot.start])
            last = slot.end
        out.append(piece.text[last:])
        return "".join(out)

    # ---- query, options and headers -------------------------------------------------------

    def _query(self, piece: _Piece, params: dict[str, str], rendered: dict[int, str]) -> None:
        """A query string: ``&``-separated ``name=value`` pairs, percent-decoded once."""
        for pair in piece.split("&"):
            if not pair.masked.strip():
                continue
            name_piece, value_piece = pair.partition("=")
            for slot in name_piece.slots:
                if not slot.escape:
                    raise self.error(
                        "{{...}} cannot be a query option's name", slot.line, slot.column
                    )
                rendered[slot.column] = quote(self._text_of(slot), safe="")
            name = self._decode(name_piece, {s.start: self._text_of(s) for s in name_piece.slots})
            if not name.strip():
                raise self.error("a query option without a name", pair.line, pair.column)
            value = ""
            if value_piece is not None:
                parts = {}
                for slot in value_piece.slots:
                    parts[slot.start] = self._odata_text(slot)
                    rendered[slot.column] = quote(parts[slot.start], safe="")
                value = self._decode(value_piece, parts)
            self._add_param(params, name, value, pair)

    def _decode(self, piece: _Piece, parts: Mapping[int, str] | None = None) -> str:
        out, last = [], 0
        for slot in piece.slots:
            out.append(self._unquote(piece.text[last : slot.start], piece))
            out.append((parts or {})[slot.start])
            last = slot.end
        out.append(self._unquote(piece.text[last:], piece))
        return "".join(out)

    def _unquote(self, text: str, piece: _Piece) -> str:
        try:
            return unquote(text, errors="strict")
        except UnicodeDecodeError:
            raise self.error(
                "percent-encoding that is not UTF-8", piece.line, piece.column
            ) from None

    def _add_param(self, params: dict[str, str], name: str, value: str, where: _Piece) -> None:
        if name in params:
            raise self.error(f"query option '{name}' is given twice", where.line, where.column)
        params[name] = value

    def _head_line(self, number: int, params: dict[str, str], headers: dict[str, str]) -> None:
        piece = self._piece(number).strip()
        first = piece.masked[:1]
        if first in ("?", "&"):
            self._query(piece.sub(1), params, {})
        elif first == "$":
            self._option(piece, params)
        elif first in ("{", "["):
            raise self.error(
                "the body must be separated from the headers by a blank line",
                number,
                piece.column,
            )
        elif (word := _METHOD_WORD.match(piece.masked)) and word.group().upper() in _METHODS:
            raise self.error("a second request needs a '###' line before it", number, piece.column)
        else:
            self._header(piece, headers)

    def _option(self, piece: _Piece, params: dict[str, str]) -> None:
        match = _OPTION.match(piece.masked)
        if not match:
            bad = re.match(r"\$\w*", piece.masked)
            column = piece.column + (bad.end() if bad else 1)
            if bad and len(bad.group()) > 1:
                message = f"expected ':' or '=' after '{bad.group()}'"
            else:
                message = "expected a query option name after '$', e.g. $top: 10"
            raise self.error(message, piece.line, column)
        value_piece = piece.sub(match.end()).strip()
        if not value_piece.masked:
            raise self.error(
                f"query option '${match.group(1)}' has no value",
                piece.line,
                piece.column + match.end(),
            )
        parts = {slot.start: self._odata_text(slot) for slot in value_piece.slots}
        value = self._render_with(value_piece, parts)
        self._add_param(params, "$" + match.group(1), value, piece)

    def _header(self, piece: _Piece, headers: dict[str, str]) -> None:
        name_piece, value_piece = piece.partition(":")
        if value_piece is None:
            raise self.error(
                "expected a header 'Name: value', a '$option: value' line, or a blank line "
                "before the body",
                piece.line,
                piece.column,
            )
        name = name_piece.masked.strip()
        if not _TOKEN.fullmatch(name):
            raise self.error(
                f"header name '{name_piece.text.strip()}' is not a valid HTTP token",
                piece.line,
                piece.column,
            )
        if name.lower() == "authorization":
            error = self.error(
                "the Authorization header comes from the system's credentials; remove this line",
                piece.line,
                piece.column,
            )
            # The refused line may hold a pasted token: the error block must not echo it.
            masked = error.source_line.split(":", 1)[0] + ": ***"
            raise GraphSyntaxError(
                error.message, line=error.line, column=error.column, source_line=masked
            )
        if any(existing.lower() == name.lower() for existing in headers):
            raise self.error(f"header '{name}' is given twice", piece.line, piece.column)
        value_piece = value_piece.strip()
        parts = {}
        for slot in value_piece.slots:
            text = self._text_of(slot)
            bad = self._bad_header_char(text)
            if bad is not None:
                raise self.error(
                    f"'{slot.label}' would put {bad} into header '{name}'",
                    slot.line,
                    slot.column,
                )
            parts[slot.start] = text
        literal = self._render_with(value_piece, {s.start: "" for s in value_piece.slots})
        bad = self._bad_header_char(literal)
        if bad is not None:
            raise self.error(f"header '{name}' holds {bad}", piece.line, value_piece.column)
        headers[name] = self._render_with(value_piece, parts)

    @staticmethod
    def _bad_header_char(text: str) -> str | None:
        for char in text:
            if char in "\r\n":
                return "a line break"
            if (ord(char) < 32 and char != "\t") or ord(char) == 127:
                return f"the control character {char!r}"
            if ord(char) > 126:
                return f"the non-ASCII character {char!r}"
        return None

    # ---- body -----------------------------------------------------------------------------

    def _body(self, method: str, numbers: list[int]) -> Any:
        content = [n for n in numbers if not self._skippable(n)]
        if not content:
            return None
        if method in _NO_BODY:
            first = content[0]
            line = self.lines[first - 1]
            hint = ""
            if _METHOD_WORD.match(line.lstrip()) or line.lstrip().startswith(("/", "https://")):
                hint = " (separate requests with a '###' line)"
            raise self.error(
                f"a body is not allowed on {method}{hint}",
                first,
                len(line) - len(line.lstrip()) + 1,
            )
        numbers = numbers[numbers.index(content[0]) : numbers.index(content[-1]) + 1]
        lines = [self._piece(n) for n in numbers]
        contexts = self._json_contexts(lines)
        first_body_line = numbers[0]
        structure = "\n".join(self._fill(p, c, None) for p, c in zip(lines, contexts, strict=True))
        try:
            json.loads(structure)
        except RecursionError:
            raise self.error("the body nests too deeply", first_body_line, 1) from None
        except ValueError as exc:
            # A JSON error at a bare {{...}} means the value is misplaced in a JSON body (glued to
            # a number, say), and at a bare \{{ that a literal stands outside a string; YAML
            # would read the same text as a string, so it gets no say.
            bare = self._bare_slot_at(exc, contexts)
            if bare is None:
                try:
                    return self._yaml_body(lines, first_body_line)
                except _NotYaml:
                    if structure.lstrip()[:1] not in ("{", "["):
                        raise
            elif bare.escape:
                raise self.error(
                    "a literal '{{' (written '\\{{') must stand inside a JSON string",
                    bare.line,
                    bare.column,
                ) from None
            if isinstance(exc, json.JSONDecodeError):
                raise self.error(
                    f"the body is not valid JSON: {exc.msg}",
                    first_body_line + exc.lineno - 1,
                    exc.colno,
                ) from None
            raise self.error(f"the body is not valid JSON: {exc}", first_body_line, 1) from None
        text = "\n".join(
            self._fill(p, c, self._json_text) for p, c in zip(lines, contexts, strict=True)
        )
        try:
            body = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise self.error(f"the body could not be built: {exc}", first_body_line, 1) from None
        return self._plain(body, first_body_line)

    @staticmethod
    def _bare_slot_at(exc: ValueError, contexts: list[list[tuple[_Slot, bool]]]) -> _Slot | None:
        """The slot outside a JSON string that the JSON error sits on, if it sits on one."""
        if not isinstance(exc, json.JSONDecodeError) or exc.lineno > len(contexts):
            return None
        on_error = (
            slot
            for slot, in_string in contexts[exc.lineno - 1]
            if not in_string and slot.start <= exc.colno - 1 < slot.end
        )
        return next(on_error, None)

    @staticmethod
    def _json_contexts(lines: list[_Piece]) -> list[list[tuple[_Slot, bool]]]:
        """Each line's slots, each with whether it sits inside a JSON string (else bare)."""
        flags: list[list[tuple[_Slot, bool]]] = []
        in_string = escaped = False
        for piece in lines:
            starts = {slot.start: slot for slot in piece.slots}
            line_flags: list[tuple[_Slot, bool]] = []
            at = 0
            while at < len(piece.text):
                if at in starts:
                    line_flags.append((starts[at], in_string))
                    at = starts[at].end
                    continue
                char = piece.text[at]
                if escaped:
                    escaped = False
                elif in_string and char == "\\":
                    escaped = True
                elif char == '"':
                    in_string = not in_string
                at += 1
            flags.append(line_flags)
            in_string = escaped = False  # a JSON string never spans lines
        return flags

    @staticmethod
    def _fill(
        piece: _Piece,
        slots: list[tuple[_Slot, bool]],
        render: Callable[[_Slot, bool], str] | None,
    ) -> str:
        """The line with each slot replaced: by a same-length stand-in, or by ``render``.

        A bare escape's stand-in keeps its braces, so the JSON check fails right on them: a
        literal ``{{`` outside a string is no JSON value.
        """
        out, last = [], 0
        for slot, in_string in slots:
            out.append(piece.text[last : slot.start])
            width = slot.end - slot.start
            if render is not None:
                out.append(render(slot, in_string))
            elif in_string:
                out.append("x" * width)
            else:
                out.append(" {{" if slot.escape else "null".ljust(width))
            last = slot.end
        out.append(piece.text[last:])
        return "".join(out)

    def _json_text(self, slot: _Slot, in_string: bool) -> str:
        if in_string:
            return json.dumps(self._text_of(slot))[1:-1]
        value = self._resolve(slot)
        try:
            return json.dumps(value, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            raise self.error(
                f"'{slot.label}' cannot be written as JSON ({type(value).__name__}: {exc})",
                slot.line,
                slot.column,
            ) from None

    def _yaml_body(self, lines: list[_Piece], first_line: int) -> Any:
        text = "\n".join(p.text for p in lines)
        nonce = 0
        while f"gmslot{nonce}n" in text:
            nonce += 1
        prefix = f"gmslot{nonce}n"
        slots: list[_Slot] = [slot for piece in lines for slot in piece.slots]
        index = {(s.line, s.column): i for i, s in enumerate(slots)}
        yaml_text = "\n".join(
            self._fill(
                piece,
                [(s, False) for s in piece.slots],
                lambda s, _: f"{prefix}{index[s.line, s.column]}z",
            )
            for piece in lines
        )
        loader_class = type("_SlotLoader", (yaml.SafeLoader,), {})
        tag = "tag:graph-magic,2026:slot"
        loader_class.add_implicit_resolver(tag, re.compile(rf"^{prefix}\d+z$"), ["g"])
        loader_class.add_constructor(
            tag, lambda loader, node: _Hole(int(node.value[len(prefix) : -1]))
        )
        try:
            loaded = yaml.load(yaml_text, Loader=loader_class)
        # PyYAML raises plain ValueError/TypeError for some scalars (an impossible date), and
        # RecursionError for deep nesting, besides its own YAMLError.
        except Exception as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            line, column = first_line, 1
            if mark is not None:
                piece = lines[min(mark.line, len(lines) - 1)]
                line, column = piece.line, self._unshift(piece, mark.column, prefix, index)
            message = f"the body is not valid JSON or YAML: {problem}"
            raise self._not_yaml(message, line, column) from None
        if loaded is not None and not isinstance(loaded, (dict, list, _Hole)):
            raise self._not_yaml(
                "the body is neither JSON nor a YAML mapping or list", first_line, 1
            )
        return self._plain(loaded, first_line, slots, re.compile(rf"{prefix}(\d+)z"))

    def _not_yaml(self, message: str, line: int, column: int) -> _NotYaml:
        error = self.error(message, line, column)
        return _NotYaml(
            error.message, line=error.line, column=error.column, source_line=error.source_line
        )

    @staticmethod
    def _unshift(
        piece: _Piece, column: int, prefix: str, index: Mapping[tuple[int, int], int]
    ) -> int:
        """Map a 0-based column in the placeholder text back to the 1-based cell column."""
        shift = 0
        for slot in piece.slots:
            width = len(f"{prefix}{index[slot.line, slot.column]}z")
            new_start = slot.start + shift
            if column < new_start:
                break
            if column < new_start + width:
                return piece.column + slot.start
            shift += width - (slot.end - slot.start)
        return piece.column + column - shift

    def _plain(
        self,
        body: Any,
        line: int,
        slots: list[_Slot] | None = None,
        placeholder: re.Pattern[str] | None = None,
    ) -> Any:
        """The body as plain JSON values (dates as ISO text), or an error saying what is not.

        For a YAML body this also puts the values in: a ``_Hole`` (a bare ``{{...}}``) becomes
        the value, a placeholder inside text becomes the value's text. The node budget stops
        YAML aliases that would expand a small text into a huge body.
        """
        budget = [_MAX_BODY_NODES]

        def text(item: str) -> str:
            if placeholder is None or slots is None:
                return item
            return placeholder.sub(lambda m: self._text_of(slots[int(m.group(1))]), item)

        def key(item: Any) -> str:
            if isinstance(item, _Hole) and slots is not None:
                return self._text_of(slots[item.index])
            return text(item) if isinstance(item, str) else self._plain_key(item, line)

        def walk(item: Any) -> Any:
            budget[0] -= 1
            if budget[0] < 0:
                raise self.error("the body is too large (do YAML aliases repeat it?)", line, 1)
            if isinstance(item, _Hole) and slots is not None:
                return json.loads(self._json_text(slots[item.index], in_string=False))
            if item is None or isinstance(item, (bool, int)):
                return item
            if isinstance(item, float):
                if not math.isfinite(item):
                    raise self.error(f"the body holds {item}, which JSON cannot carry", line, 1)
                return item
            if isinstance(item, str):
                item = text(item)
                try:
                    item.encode("utf-8")
                except UnicodeEncodeError:
                    raise self.error(
                        "the body holds text that is not valid Unicode", line, 1
                    ) from None
                return item
            if isinstance(item, list):
                return [walk(v) for v in item]
            if isinstance(item, dict):
                return {key(k): walk(v) for k, v in item.items()}
            if hasattr(item, "isoformat"):
                return item.isoformat()
            raise self.error(
                f"the body holds a {type(item).__name__}, which JSON cannot carry", line, 1
            )

        try:
            return walk(body)
        except RecursionError:
            raise self.error("the body nests too deeply", line, 1) from None

    def _plain_key(self, key: Any, line: int) -> str:
        if key is None or isinstance(key, (bool, int, float)):
            return json.dumps(key)
        if hasattr(key, "isoformat"):
            return key.isoformat()
        raise self.error(
            f"the body has a {type(key).__name__} as a key; JSON keys are text", line, 1
        )

    # ---- {{...}} --------------------------------------------------------------------------

    def _scan(self, text: str, line: int, column: int) -> tuple[list[_Slot], str]:
        r"""Find every ``{{...}}`` and ``\{{`` in one line; return them and the line masked."""
        slots: list[_Slot] = []
        masked: list[str] = []
        at = 0
        while True:
            found = text.find("{{", at)
            if found < 0:
                masked.append(text[at:])
                return slots, "".join(masked)
            backslashes = found - at - len(text[at:found].rstrip("\\"))
            if backslashes % 2:  # the last backslash is not itself escaped: it escapes the {{
                slot = _Slot(found - 1, found + 2, line, column + found - 1, "", (), escape=True)
            else:
                slot = self._expression(text, found, line, column)
            masked.append(text[at : slot.start])
            masked.append("\0" * (slot.end - slot.start))
            slots.append(slot)
            at = slot.end

    def _expression(self, text: str, start: int, line: int, column: int) -> _Slot:
        def fail(message: str, at: int) -> GraphSyntaxError:
            # The {{ may have been meant as text (a template in a body, say): say how to write it.
            return self.error(f"{message}; a literal '{{{{' is written '\\{{{{'", line, column + at)

        at = start + 2
        while at < len(text) and text[at] in " \t":
            at += 1
        name = _NAME.match(text, at)
        if not name:
            raise fail("expected a variable name after '{{'", at)
        at = name.end()
        steps: list[_Step] = []
        while True:
            if text.startswith("}}", at):
                return _Slot(start, at + 2, line, column + start, name.group(), tuple(steps))
            char = text[at] if at < len(text) else ""
            if not char:
                raise fail("'{{' is not closed by '}}'", start)
            if char in " \t":
                while at < len(text) and text[at] in " \t":
                    at += 1
                if not text.startswith("}}", at):
                    raise fail(
                        "'{{' is not closed by '}}'"
                        if at >= len(text)
                        else "only a name, '.attribute' and '[key]' may stand inside {{...}}",
                        start if at >= len(text) else at,
                    )
            elif char == ".":
                attr = _NAME.match(text, at + 1)
                if not attr:
                    raise fail("expected an attribute name after '.'", at + 1)
                if attr.group().startswith("__"):
                    raise fail(f"'{attr.group()}' is private; use a plain attribute", at + 1)
                steps.append(_Step(attr.group(), True, column + at))
                at = attr.end()
            elif char == "[":
                at = self._index(text, at, steps, column, fail)
            else:
                raise fail("only a name, '.attribute' and '[key]' may stand inside {{...}}", at)

    @staticmethod
    def _index(
        text: str, at: int, steps: list[_Step], column: int, fail: Callable[[str, int], Exception]
    ) -> int:
        quote_char = text[at + 1 : at + 2]
        if quote_char in ("'", '"'):
            close = text.find(quote_char, at + 2)
            if close < 0:
                raise fail(f"the key's {quote_char} is not closed", at + 1)
            key: str | int = text[at + 2 : close]
            end = close + 1
        else:
            number = _INDEX.match(text, at + 1)
            if not number:
                raise fail("a [key] is a quoted string or a whole number", at + 1)
            key = int(number.group())
            end = number.end()
        if not text.startswith("]", end):
            raise fail("expected ']'", end)
        steps.append(_Step(key, False, column + at))
        return end + 1

    def _resolve(self, slot: _Slot) -> Any:
        """The value a slot names, looked up in the namespace without evaluating code."""
        if slot.escape:
            return "{{"
        try:
            value = self.namespace[slot.name]
        except KeyError:
            hint = self._suggest(slot.name, [k for k in self.namespace if isinstance(k, str)])
            raise self.error(
                f"name '{slot.name}' is not defined{hint}", slot.line, slot.column
            ) from None
        # A user's mapping or object may raise anything from __getitem__/__getattr__.
        except Exception as exc:
            raise self.error(
                f"reading '{slot.name}' failed: {type(exc).__name__}", slot.line, slot.column
            ) from None
        label = slot.name
        for step in slot.steps:
            try:
                value = getattr(value, step.key) if step.is_attr else value[step.key]
            except Exception as exc:  # user objects raise whatever they like
                what = f".{step.key}" if step.is_attr else f"[{step.key!r}]"
                hint = ""
                if not step.is_attr and isinstance(value, Mapping) and isinstance(step.key, str):
                    hint = self._suggest(step.key, [k for k in value if isinstance(k, str)])
                reason = (
                    "no such attribute"
                    if isinstance(exc, AttributeError)
                    else (
                        "no such key"
                        if isinstance(exc, (KeyError, IndexError))
                        else type(exc).__name__
                    )
                )
                raise self.error(
                    f"'{label}' has no {what} ({reason}){hint}", slot.line, step.column
                ) from None
            label += f".{step.key}" if step.is_attr else f"[{step.key!r}]"
        return value

    def _text_of(self, slot: _Slot) -> str:
        value = self._resolve(slot)
        try:
            text = str(value)
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.error(
                f"'{slot.label}' holds a character that is not valid Unicode",
                slot.line,
                slot.column,
            ) from None
        except Exception as exc:  # a user's __str__ may raise anything
            raise self.error(
                f"'{slot.label}' cannot be shown as text ({type(exc).__name__})",
                slot.line,
                slot.column,
            ) from None
        return text

    def _odata_text(self, slot: _Slot) -> str:
        """A value as OData string data: a quote is doubled, so it cannot close the literal."""
        return self._text_of(slot).replace("'", "''")

    @staticmethod
    def _suggest(name: str, candidates: list[str]) -> str:
        public = [c for c in candidates if not c.startswith("_")]
        close = difflib.get_close_matches(name, public, n=1)
        return f"; did you mean '{close[0]}'?" if close else ""
