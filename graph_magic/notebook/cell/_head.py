"""The head of a request: the request line (method, target, path, query) and the header lines.

Header lines are ``?``/``&`` query lines, ``$name: value`` OData options and ``Name: value``
headers. A value is placed by where it stands: a percent-encoded path segment, OData string
data in a query, a header value without line breaks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote, unquote_plus, urlsplit

from graph_magic.knowledge.clouds import cloud_of
from graph_magic.notebook.cell._lines import CellLines
from graph_magic.notebook.cell._pieces import Piece, render
from graph_magic.notebook.cell._spec import METHOD_WORD, METHODS
from graph_magic.notebook.cell._template import Values, read_line

#: The origin of the global cloud's Graph: a cell's default, when no system says otherwise.
GLOBAL_GRAPH_ORIGIN = "https://graph.microsoft.com"
_DEFAULT_PORTS = {"https": 443, "http": 80}
# "@" is a path character (RFC 3986 pchar) that cannot change a path's structure; leaving it
# unencoded keeps user principal names readable in results and dry runs.
_SEGMENT_SAFE = "@"
_VERSIONS = {"v1.0": "v1.0", "beta": "beta"}
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_OPTION = re.compile(r"\$(\w+)\s*([:=])")
_HTTP_VERSION = re.compile(r"\s+HTTP/\d+(?:\.\d+)?\s*$")
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*)")

# What the request line holds: method, target (as the cell wrote it, values in), path,
# version (None when the target names none) and the query parameters.
RequestLine = tuple[str, str, str, str | None, dict[str, str]]


class HeadReader:
    """Reads the request line and header lines of one cell."""

    def __init__(self, cell: CellLines, values: Values, graph_origin: str) -> None:
        self.cell = cell
        self.values = values
        self.origin = urlsplit(graph_origin)

    def request_line(self, number: int) -> RequestLine:
        """``[METHOD] TARGET [HTTP/x]``: GET when no method is named, as Graph's docs print it."""
        piece = read_line(self.cell, number).strip()
        method = "GET"
        word = METHOD_WORD.match(piece.masked)
        if word:
            if word.group().upper() not in METHODS:
                raise self.cell.error(
                    f"unknown HTTP method '{word.group()}' (use {', '.join(METHODS)})",
                    number,
                    piece.column,
                )
            method = word.group().upper()
            piece = piece.sub(word.end()).strip()
        elif piece.masked.upper() in METHODS:
            raise self.cell.error(
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
        target = render(piece, lambda slot: rendered[slot.column])
        return method, target, path, version, params

    def head_line(self, number: int, params: dict[str, str], headers: dict[str, str]) -> None:
        """One line between the request line and the body, added to ``params`` or ``headers``."""
        piece = read_line(self.cell, number).strip()
        first = piece.masked[:1]
        if first in ("?", "&"):
            self._query(piece.sub(1), params, {})
        elif first == "$":
            self._option(piece, params)
        elif first in ("{", "["):
            raise self.cell.error(
                "the body must be separated from the headers by a blank line",
                number,
                piece.column,
            )
        elif (word := METHOD_WORD.match(piece.masked)) and word.group().upper() in METHODS:
            raise self.cell.error(
                "a second request needs a '###' line before it", number, piece.column
            )
        else:
            self._header(piece, headers)

    # ---- target ---------------------------------------------------------------------------

    def _path(self, piece: Piece, rendered: dict[int, str]) -> tuple[str, str | None]:
        """The path relative to the version root, and the version if the target names one."""
        hash_at = piece.masked.find("#")
        if hash_at >= 0:
            raise self.cell.error(
                "a '#' fragment is never sent; write %23 for a literal '#'",
                piece.line,
                piece.column + hash_at,
            )
        url = _URL.match(piece.masked)
        if url:
            self._check_origin(piece, url)
            piece = piece.sub(url.end())
        self._check_path_characters(piece)
        segments = piece.split("/")
        if segments and not segments[0].masked:
            segments = segments[1:]
        version = None
        if segments and not segments[0].slots and segments[0].masked.lower() in _VERSIONS:
            version = _VERSIONS[segments[0].masked.lower()]
            segments = segments[1:]
        elif url:
            first = segments[0] if segments else piece
            raise self.cell.error(
                "a Graph URL names its version: /v1.0/ or /beta/ after the host",
                first.line,
                first.column,
            )
        path = "/" + "/".join(self._segment(segment, rendered) for segment in segments)
        return path, version

    def _check_path_characters(self, piece: Piece) -> None:
        """Refuse white space and control characters the cell wrote (values are encoded later).

        A space inside a function's parentheses, ``search(q='Contoso Project')``, is argument
        data as the docs print it, and ``_segment`` sends it as ``%20``.
        """
        depth = 0
        for at, char in enumerate(piece.masked):
            if char == "\0" and piece.text[at] != "\0":
                continue  # a masked {{...}}
            depth += {"(": 1, ")": -1}.get(char, 0)
            if char == " " and depth > 0:
                continue
            if char.isspace() or ord(char) < 32 or char == "\x7f":
                self._check_placeholder(piece, at)
                what = "a space" if char == " " else f"the character {char!r}"
                raise self.cell.error(
                    f"{what} in the path; only the query string may hold spaces",
                    piece.line,
                    piece.column + at,
                )

    def _check_placeholder(self, piece: Piece, at: int) -> None:
        """Name a docs placeholder (``{id | userPrincipalName}``) that a space at ``at`` is in."""
        opened = piece.masked.rfind("{", 0, at)
        closed = piece.masked.find("}", at)
        if opened < 0 or closed < 0 or "}" in piece.masked[opened:at]:
            return
        raise self.cell.error(
            f"'{piece.text[opened : closed + 1]}' is a placeholder from the docs: put a value "
            "in its place (or {{name}} for a variable)",
            piece.line,
            piece.column + opened,
        )

    def _check_origin(self, piece: Piece, url: re.Match[str]) -> None:
        """A full URL must name the system's Graph origin: a token is never sent anywhere else."""
        scheme, authority = url.group(1).lower(), url.group(2)
        column = piece.column + url.start(2)
        if any(slot.start < url.end() for slot in piece.slots):
            raise self.cell.error(
                "{{...}} cannot be part of the scheme or host", piece.line, column
            )
        if scheme != self.origin.scheme:
            raise self.cell.error(
                f"Graph is only reached over {self.origin.scheme}, not {scheme}",
                piece.line,
                piece.column,
            )
        if "@" in authority:
            raise self.cell.error("a URL with user info is not a Graph URL", piece.line, column)
        if not self._same_host(scheme, authority):
            expected = self.origin.netloc
            other = cloud_of(f"https://{authority}")
            why = f" ({authority} is the {other} cloud's Graph)" if other else ""
            raise self.cell.error(
                f"host '{authority}' is not {expected}{why}; write the path alone to use the "
                "system's host, or a system of that cloud",
                piece.line,
                column,
            )

    def _same_host(self, scheme: str, authority: str) -> bool:
        """Whether ``authority`` names the system's host and port (a default port counts)."""
        try:
            parts = urlsplit(f"{scheme}://{authority}")
            port = parts.port or _DEFAULT_PORTS[scheme]
        except (ValueError, KeyError):
            return False
        expected_port = self.origin.port or _DEFAULT_PORTS.get(self.origin.scheme)
        return parts.hostname == self.origin.hostname and port == expected_port

    def _segment(self, segment: Piece, rendered: dict[int, str]) -> str:
        """One path segment: literal text as written (a space as %20), values encoded as data."""
        if not segment.slots:
            return _spaces_encoded(segment.text)
        parts: dict[int, str] = {}
        for slot in segment.slots:
            # text() has already refused text that UTF-8 (what quote encodes with) cannot hold.
            parts[slot.start] = quote(self.values.text(slot), safe=_SEGMENT_SAFE)
        result = render(segment, lambda slot: parts[slot.start], literal=_spaces_encoded)
        if not result:
            slot = segment.slots[0]
            raise self.cell.error(
                f"'{slot.label}' is empty, and an empty path segment would change the request",
                slot.line,
                slot.column,
            )
        if set(result) == {"."}:
            parts = {k: v.replace(".", "%2E") for k, v in parts.items()}
            result = render(segment, lambda slot: parts[slot.start], literal=_spaces_encoded)
        for slot in segment.slots:
            rendered[slot.column] = parts[slot.start]
        return result

    # ---- query and $options ---------------------------------------------------------------

    def _query(self, piece: Piece, params: dict[str, str], rendered: dict[int, str]) -> None:
        """A query string: ``&``-separated ``name=value`` pairs, form-decoded once (+ a space)."""
        for pair in piece.split("&"):
            if not pair.masked.strip():
                continue
            name_piece, value_piece = pair.partition("=")
            for slot in name_piece.slots:
                if not slot.escape:
                    raise self.cell.error(
                        "{{...}} cannot be a query option's name", slot.line, slot.column
                    )
                rendered[slot.column] = quote(self.values.text(slot), safe="")
            name = self._decoded(
                name_piece, {s.start: self.values.text(s) for s in name_piece.slots}
            )
            if not name.strip():
                raise self.cell.error("a query option without a name", pair.line, pair.column)
            value = ""
            if value_piece is not None:
                parts = {slot.start: self.values.odata_text(slot) for slot in value_piece.slots}
                for slot in value_piece.slots:
                    rendered[slot.column] = quote(parts[slot.start], safe="")
                value = self._decoded(value_piece, parts)
            self._add_param(params, name, value, pair)

    def _decoded(self, piece: Piece, parts: Mapping[int, str]) -> str:
        """The text the cell wrote percent-decoded, with the values (``parts``, by start) between.

        Only what the cell wrote is decoded, as a browser reads a query string (``+`` is a
        space): a value's own ``%`` and ``+`` are data, never an escape.
        """

        def unquoted(text: str) -> str:
            try:
                return unquote_plus(text, errors="strict")
            except UnicodeDecodeError:
                raise self.cell.error(
                    "percent-encoding that is not UTF-8", piece.line, piece.column
                ) from None

        return render(piece, lambda slot: parts[slot.start], literal=unquoted)

    def _add_param(self, params: dict[str, str], name: str, value: str, where: Piece) -> None:
        if name in params:
            raise self.cell.error(f"query option '{name}' is given twice", where.line, where.column)
        params[name] = value

    def _option(self, piece: Piece, params: dict[str, str]) -> None:
        """``$name: value`` (or ``=``), taken exactly as written: no percent-decoding."""
        match = _OPTION.match(piece.masked)
        if not match:
            bad = re.match(r"\$\w*", piece.masked)
            column = piece.column + (bad.end() if bad else 1)
            if bad and len(bad.group()) > 1:
                message = f"expected ':' or '=' after '{bad.group()}'"
            else:
                message = "expected a query option name after '$', e.g. $top: 10"
            raise self.cell.error(message, piece.line, column)
        value_piece = piece.sub(match.end()).strip()
        if not value_piece.masked:
            raise self.cell.error(
                f"query option '${match.group(1)}' has no value",
                piece.line,
                piece.column + match.end(),
            )
        value = render(value_piece, self.values.odata_text)
        self._add_param(params, "$" + match.group(1), value, piece)

    # ---- headers --------------------------------------------------------------------------

    def _header(self, piece: Piece, headers: dict[str, str]) -> None:
        """``Name: value``; a value may not smuggle a line break (a second header) in."""
        name_piece, value_piece = piece.partition(":")
        if value_piece is None:
            raise self.cell.error(
                "expected a header 'Name: value', a '$option: value' line, or a blank line "
                "before the body",
                piece.line,
                piece.column,
            )
        name = self._header_name(piece, name_piece)
        if any(existing.lower() == name.lower() for existing in headers):
            raise self.cell.error(f"header '{name}' is given twice", piece.line, piece.column)
        value_piece = value_piece.strip()
        parts = {}
        for slot in value_piece.slots:
            text = self.values.text(slot)
            bad = _bad_header_char(text)
            if bad is not None:
                raise self.cell.error(
                    f"'{slot.label}' would put {bad} into header '{name}'",
                    slot.line,
                    slot.column,
                )
            parts[slot.start] = text
        bad = _bad_header_char(render(value_piece, lambda slot: ""))
        if bad is not None:
            raise self.cell.error(f"header '{name}' holds {bad}", piece.line, value_piece.column)
        headers[name] = render(value_piece, lambda slot: parts[slot.start])

    def _header_name(self, piece: Piece, name_piece: Piece) -> str:
        """The header's name, checked to be an HTTP token and not ``Authorization``."""
        name = name_piece.masked.strip()
        if not _TOKEN.fullmatch(name):
            raise self.cell.error(
                f"header name '{name_piece.text.strip()}' is not a valid HTTP token",
                piece.line,
                piece.column,
            )
        if name.lower() == "authorization":
            # The refused line may hold a pasted token: the error block must not echo it.
            masked = self.cell[piece.line].split(":", 1)[0] + ": ***"
            raise self.cell.error(
                "the Authorization header comes from the system's credentials; remove this line",
                piece.line,
                piece.column,
                source_line=masked,
            )
        return name


def _spaces_encoded(text: str) -> str:
    """Literal path text with its spaces (function-argument data) percent-encoded."""
    return text.replace(" ", "%20")


def _bad_header_char(text: str) -> str | None:
    """What in ``text`` cannot stand in a header value, worded for an error; None if nothing."""
    for char in text:
        if char in "\r\n":
            return "a line break"
        if (ord(char) < 32 and char != "\t") or ord(char) == 127:
            return f"the control character {char!r}"
        if ord(char) > 126:
            return f"the non-ASCII character {char!r}"
    return None
