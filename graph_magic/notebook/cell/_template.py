r"""``{{...}}``: finding the slots in a line, and looking up the values they name.

A slot is a name with ``.attribute`` and ``[key]`` steps, read from the namespace without
evaluating code, so a cell can never run anything. ``\{{`` is an escape slot standing for ``{{``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any

from graph_magic.errors import GraphSyntaxError
from graph_magic.notebook.cell._lines import CellLines
from graph_magic.notebook.cell._pieces import Piece, Slot, Step

_NAME = re.compile(r"[^\W\d]\w*")
_INDEX = re.compile(r"-?\d{1,18}")
_ONLY = "only a name, '.attribute' and '[key]' may stand inside {{...}}"
_UNCLOSED = "'{{' is not closed by '}}'"

_Fail = Callable[[str, int], GraphSyntaxError]


def read_line(cell: CellLines, number: int) -> Piece:
    """Line ``number`` as a Piece: its slots found, and masked so structure is read around them."""
    text = cell[number]
    slots, masked = scan(cell, text, number, 1)
    return Piece(text, masked, slots, number, 1)


def scan(cell: CellLines, text: str, line: int, column: int) -> tuple[list[Slot], str]:
    r"""Find every ``{{...}}`` and ``\{{`` in one line; return them and the line masked."""
    slots: list[Slot] = []
    masked: list[str] = []
    at = 0
    while True:
        found = text.find("{{", at)
        if found < 0:
            masked.append(text[at:])
            return slots, "".join(masked)
        backslashes = found - at - len(text[at:found].rstrip("\\"))
        if backslashes % 2:  # the last backslash is not itself escaped: it escapes the {{
            slot = Slot(found - 1, found + 2, line, column + found - 1, "", (), escape=True)
        else:
            slot = _expression(cell, text, found, line, column)
        masked.append(text[at : slot.start])
        masked.append("\0" * (slot.end - slot.start))
        slots.append(slot)
        at = slot.end


def _expression(cell: CellLines, text: str, start: int, line: int, column: int) -> Slot:
    """The slot opened by the ``{{`` at ``start``: a name, then steps, then ``}}``."""

    def fail(message: str, at: int) -> GraphSyntaxError:
        # The {{ may have been meant as text (a template in a body, say): say how to write it.
        return cell.error(f"{message}; a literal '{{{{' is written '\\{{{{'", line, column + at)

    at = start + 2
    while at < len(text) and text[at] in " \t":
        at += 1
    name = _NAME.match(text, at)
    if not name:
        raise fail("expected a variable name after '{{'", at)
    at = name.end()
    steps: list[Step] = []
    while True:
        if text.startswith("}}", at):
            return Slot(start, at + 2, line, column + start, name.group(), tuple(steps))
        char = text[at] if at < len(text) else ""
        if not char:
            raise fail(_UNCLOSED, start)
        if char in " \t":
            while at < len(text) and text[at] in " \t":
                at += 1
            if not text.startswith("}}", at):
                raise fail(_UNCLOSED, start) if at >= len(text) else fail(_ONLY, at)
        elif char == ".":
            at = _attribute(text, at, steps, column, fail)
        elif char == "[":
            at = _index(text, at, steps, column, fail)
        else:
            raise fail(_ONLY, at)


def _attribute(text: str, at: int, steps: list[Step], column: int, fail: _Fail) -> int:
    """Read the ``.name`` at ``at`` into ``steps``; return where it ends."""
    attr = _NAME.match(text, at + 1)
    if not attr:
        raise fail("expected an attribute name after '.'", at + 1)
    if attr.group().startswith("__"):
        raise fail(f"'{attr.group()}' is private; use a plain attribute", at + 1)
    steps.append(Step(attr.group(), True, column + at))
    return attr.end()


def _index(text: str, at: int, steps: list[Step], column: int, fail: _Fail) -> int:
    """Read the ``[key]`` at ``at`` into ``steps``; return where it ends."""
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
    steps.append(Step(key, False, column + at))
    return end + 1


def suggest(name: str, candidates: list[str]) -> str:
    """A "did you mean" hint for a misspelt name, or nothing; private names are never offered."""
    public = [c for c in candidates if not c.startswith("_")]
    close = difflib.get_close_matches(name, public, n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


class Values:
    """The values slots name, looked up in the notebook's namespace.

    Every failure of a user's object (a ``__getitem__``, ``__getattr__`` or ``__str__`` that
    raises) becomes a GraphSyntaxError at the slot, so nothing else escapes the parser.
    """

    def __init__(self, cell: CellLines, namespace: Mapping[str, Any]) -> None:
        self.cell = cell
        self.namespace = namespace

    def value(self, slot: Slot) -> Any:
        """The value a slot names, looked up in the namespace without evaluating code."""
        if slot.escape:
            return "{{"
        try:
            value = self.namespace[slot.name]
        except KeyError:
            hint = suggest(slot.name, [k for k in self.namespace if isinstance(k, str)])
            raise self.cell.error(
                f"name '{slot.name}' is not defined{hint}", slot.line, slot.column
            ) from None
        # A user's mapping or object may raise anything from __getitem__/__getattr__.
        except Exception as exc:
            raise self.cell.error(
                f"reading '{slot.name}' failed: {type(exc).__name__}", slot.line, slot.column
            ) from None
        label = slot.name
        for step in slot.steps:
            try:
                value = getattr(value, step.key) if step.is_attr else value[step.key]
            except Exception as exc:  # user objects raise whatever they like
                raise self._missing(label, value, step, exc, slot.line) from None
            label += step.text
        return value

    def _missing(
        self, label: str, value: object, step: Step, exc: Exception, line: int
    ) -> GraphSyntaxError:
        """The error for a step that ``value`` (what ``label`` names) does not have."""
        hint = ""
        if not step.is_attr and isinstance(value, Mapping) and isinstance(step.key, str):
            hint = suggest(step.key, [k for k in value if isinstance(k, str)])
        if isinstance(exc, AttributeError):
            reason = "no such attribute"
        elif isinstance(exc, (KeyError, IndexError)):
            reason = "no such key"
        else:
            reason = type(exc).__name__
        return self.cell.error(f"'{label}' has no {step.text} ({reason}){hint}", line, step.column)

    def text(self, slot: Slot) -> str:
        """The value as text that UTF-8 can carry, as every position but a bare JSON value needs."""
        value = self.value(slot)
        try:
            text = str(value)
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise self.cell.error(
                f"'{slot.label}' holds a character that is not valid Unicode",
                slot.line,
                slot.column,
            ) from None
        except Exception as exc:  # a user's __str__ may raise anything
            raise self.cell.error(
                f"'{slot.label}' cannot be shown as text ({type(exc).__name__})",
                slot.line,
                slot.column,
            ) from None
        return text

    def odata_text(self, slot: Slot) -> str:
        """A value as OData string data: a quote is doubled, so it cannot close the literal."""
        return self.text(slot).replace("'", "''")
