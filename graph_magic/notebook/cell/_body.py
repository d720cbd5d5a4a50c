"""The body of a request, read as its Content-Type says: JSON (else YAML), text, or bytes.

A JSON body (no Content-Type, or a JSON one) is first checked as JSON with a same-length
stand-in for each ``{{...}}`` (``null`` outside a string, ``x``s inside one), so errors point at
the cell's own columns. Only once the structure holds are the values put in, each as a JSON
value or as JSON string content. A text body is the lines as written, values as their text,
encoded in the Content-Type's charset. A cell cannot write bytes, so a ``bytes`` value standing
alone as the body is sent as it is, and a binary Content-Type asks for one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from graph_magic.errors import GraphSyntaxError
from graph_magic.notebook.cell._lines import CellLines
from graph_magic.notebook.cell._pieces import Piece, Slot, render
from graph_magic.notebook.cell._plain import json_text, plain
from graph_magic.notebook.cell._spec import BODYLESS_METHODS, METHOD_WORD
from graph_magic.notebook.cell._template import Values, read_line
from graph_magic.notebook.cell._yaml import NotYaml, yaml_body

# Per line of the body: for each slot (by its start), whether it stands inside a JSON string.
_InString = dict[int, bool]
# Media types sent as the text the cell wrote (besides text/*, multipart/* and +xml).
_TEXT_TYPES = frozenset({"application/xml", "application/x-www-form-urlencoded"})
_BYTES = (bytes, bytearray, memoryview)


class BodyReader:
    """Reads the body lines of one request into plain JSON values."""

    def __init__(self, cell: CellLines, values: Values) -> None:
        self.cell = cell
        self.values = values

    def body(self, method: str, numbers: list[int], headers: Mapping[str, str]) -> Any:
        """The body the lines after the blank line hold, or None when they hold nothing.

        JSON values for a JSON body, ``bytes`` (sent exactly) for a text or bytes body.
        """
        content = [n for n in numbers if not self.cell.skippable(n)]
        if not content:
            return None
        if method in BODYLESS_METHODS:
            raise self._bodyless(method, content[0])
        media, charset = _media_type(headers)
        kind = _kind(media)
        if kind != "json":  # a '#' line is text there, not a comment
            content = [n for n in numbers if self.cell[n].strip()]
        numbers = numbers[numbers.index(content[0]) : numbers.index(content[-1]) + 1]
        lines = [read_line(self.cell, n) for n in numbers]
        data = self._bytes_value(lines)
        if data is not None:
            return data
        if kind == "binary":
            first = lines[0].strip()
            raise self.cell.error(
                f"Content-Type {media} means bytes, which a cell cannot write: put them in a "
                "variable (data = Path('file').read_bytes()) and write {{data}} alone as the body",
                first.line,
                first.column,
            )
        if kind == "text":
            return self._text_body(lines, media, charset)
        return self._structured(lines, numbers[0])

    def _bytes_value(self, lines: list[Piece]) -> bytes | None:
        """The bytes of a body that is one bare ``{{...}}`` holding bytes, else None."""
        slots = [slot for piece in lines for slot in piece.slots]
        if len(slots) != 1 or slots[0].escape:
            return None
        if any(render(piece, lambda slot: "").strip() for piece in lines):
            return None
        value = self.values.value(slots[0])
        return bytes(value) if isinstance(value, _BYTES) else None

    def _text_body(self, lines: list[Piece], media: str, charset: str) -> bytes:
        """The lines as written, values as their text; multipart's lines end in CRLF, as its
        boundaries must."""
        newline = "\r\n" if media.startswith("multipart/") else "\n"
        text = newline.join(render(piece, self.values.text) for piece in lines)
        first = lines[0]
        try:
            return text.encode(charset)
        except LookupError:
            raise self.cell.error(
                f"the Content-Type names charset '{charset}', which is unknown",
                first.line,
                1,
            ) from None
        except UnicodeEncodeError as exc:
            raise self.cell.error(
                f"the body holds {text[exc.start]!r}, which charset '{charset}' cannot carry",
                first.line,
                1,
            ) from None

    def _structured(self, lines: list[Piece], first_line: int) -> Any:
        """A JSON body, else YAML: the structure is checked as JSON with stand-ins first, so a
        JSON error points at the cell's own columns."""
        contexts = _json_contexts(lines)
        structure = _rendered(lines, contexts, _stand_in)
        try:
            json.loads(structure)
        except RecursionError:
            raise self.cell.error("the body nests too deeply", first_line, 1) from None
        except ValueError as exc:
            return self._not_json(exc, structure, lines, contexts, first_line)
        return self._json_body(lines, contexts, first_line)

    def _json_body(self, lines: list[Piece], contexts: list[_InString], first_line: int) -> Any:
        """A body whose structure is JSON, with the values put in (its checks passed already)."""
        text = _rendered(lines, contexts, partial(json_text, self.cell, self.values))
        try:
            body = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise self.cell.error(f"the body could not be built: {exc}", first_line, 1) from None
        return plain(self.cell, self.values, body, first_line)

    def _bodyless(self, method: str, first: int) -> GraphSyntaxError:
        """A body on GET or DELETE; most often a second request without its ``###`` line."""
        line = self.cell[first]
        hint = ""
        if METHOD_WORD.match(line.lstrip()) or line.lstrip().startswith(("/", "https://")):
            hint = " (separate requests with a '###' line)"
        return self.cell.error(
            f"a body is not allowed on {method}{hint}",
            first,
            len(line) - len(line.lstrip()) + 1,
        )

    def _not_json(
        self,
        exc: ValueError,
        structure: str,
        lines: list[Piece],
        contexts: list[_InString],
        first_line: int,
    ) -> Any:
        """The body as YAML, or the error that says best why it is neither.

        A JSON error at a bare {{...}} means the value is misplaced in a JSON body (glued to a
        number, say), and at a bare \\{{ that a literal stands outside a string; YAML would read
        the same text as a string, so it gets no say. A body that starts like JSON hears the
        JSON error rather than YAML's.
        """
        bare = _bare_slot_at(exc, lines, contexts)
        if bare is None:
            try:
                return yaml_body(self.cell, self.values, lines, first_line)
            except NotYaml:
                if structure.lstrip()[:1] not in ("{", "["):
                    raise
        elif bare.escape:
            raise self.cell.error(
                "a literal '{{' (written '\\{{') must stand inside a JSON string",
                bare.line,
                bare.column,
            ) from None
        if isinstance(exc, json.JSONDecodeError):
            raise self.cell.error(
                f"the body is not valid JSON: {exc.msg}",
                first_line + exc.lineno - 1,
                exc.colno,
            ) from None
        raise self.cell.error(f"the body is not valid JSON: {exc}", first_line, 1) from None


def _media_type(headers: Mapping[str, str]) -> tuple[str, str]:
    """The Content-Type's media type (lower-case, "" when none) and its charset (UTF-8 if none)."""
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    media, *parameters = value.split(";")
    charset = "utf-8"
    for parameter in parameters:
        name, _, given = parameter.partition("=")
        if name.strip().lower() == "charset" and given.strip():
            charset = given.strip().strip('"')
    return media.strip().lower(), charset


def _kind(media: str) -> str:
    """How a body of this media type is read: ``json`` (or YAML), ``text`` or ``binary``."""
    if media in ("", "application/json") or media.endswith("+json"):
        return "json"
    if media.startswith(("text/", "multipart/")) or media.endswith("+xml") or media in _TEXT_TYPES:
        return "text"
    return "binary"


def _stand_in(slot: Slot, in_string: bool) -> str:
    """What a slot is while the structure is checked: as wide as the slot, so columns hold.

    A bare escape's stand-in keeps its braces, so the JSON check fails right on them: a
    literal ``{{`` outside a string is no JSON value.
    """
    width = slot.end - slot.start
    if in_string:
        return "x" * width
    return " {{" if slot.escape else "null".ljust(width)


def _rendered(
    lines: list[Piece], contexts: list[_InString], part: Callable[[Slot, bool], str]
) -> str:
    """The body's lines with each slot replaced by ``part(slot, in_string)``."""
    return "\n".join(
        _rendered_line(piece, in_string, part)
        for piece, in_string in zip(lines, contexts, strict=True)
    )


def _rendered_line(piece: Piece, in_string: _InString, part: Callable[[Slot, bool], str]) -> str:
    """One line of ``_rendered``; a function of its own so the lambda binds this line's flags."""
    return render(piece, lambda slot: part(slot, in_string[slot.start]))


def _json_contexts(lines: list[Piece]) -> list[_InString]:
    """Each line's slots, each with whether it sits inside a JSON string (else bare)."""
    flags: list[_InString] = []
    in_string = escaped = False
    for piece in lines:
        starts = {slot.start: slot for slot in piece.slots}
        line_flags: _InString = {}
        at = 0
        while at < len(piece.text):
            if at in starts:
                line_flags[at] = in_string
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


def _bare_slot_at(exc: ValueError, lines: list[Piece], contexts: list[_InString]) -> Slot | None:
    """The slot outside a JSON string that the JSON error sits on, if it sits on one."""
    if not isinstance(exc, json.JSONDecodeError) or exc.lineno > len(contexts):
        return None
    in_string = contexts[exc.lineno - 1]
    on_error = (
        slot
        for slot in lines[exc.lineno - 1].slots
        if not in_string[slot.start] and slot.start <= exc.colno - 1 < slot.end
    )
    return next(on_error, None)
