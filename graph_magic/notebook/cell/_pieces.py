"""Spans of a cell line and the ``{{...}}`` slots inside them, and one way to render them.

Structure (``?``, ``&``, ``/``, ``:``) is always looked for on ``Piece.masked``, where every slot
is blanked out, so a value's text can never be read as structure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Step:
    """One ``.attr`` or ``[key]`` after the name in ``{{...}}``."""

    key: str | int
    is_attr: bool
    column: int

    @property
    def text(self) -> str:
        """The step as it reads in a label: errors name a value the way the cell wrote it."""
        return f".{self.key}" if self.is_attr else f"[{self.key!r}]"


@dataclass(frozen=True)
class Slot:
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
    steps: tuple[Step, ...]
    escape: bool = False

    @property
    def label(self) -> str:
        """The slot's expression, for error messages."""
        return self.name + "".join(step.text for step in self.steps)


@dataclass
class Piece:
    """A span of one line plus the slots inside it; structure is found on ``masked``."""

    text: str
    masked: str
    slots: list[Slot]
    line: int
    column: int  # 1-based column of text[0] in the cell

    def sub(self, start: int, end: int | None = None) -> Piece:
        """The span ``[start:end]``, keeping the slots inside it and their cell columns."""
        end = len(self.text) if end is None else end
        slots = [s for s in self.slots if s.start >= start and s.end <= end]
        shifted = [replace(s, start=s.start - start, end=s.end - start) for s in slots]
        return Piece(
            self.text[start:end], self.masked[start:end], shifted, self.line, self.column + start
        )

    def strip(self) -> Piece:
        """Without white space at either end (a slot is never white space)."""
        left = len(self.masked) - len(self.masked.lstrip())
        right = len(self.masked.rstrip())
        return self.sub(left, max(left, right))

    def split(self, sep: str) -> list[Piece]:
        """Split at ``sep`` outside slots."""
        pieces, start = [], 0
        while True:
            at = self.masked.find(sep, start)
            if at < 0:
                pieces.append(self.sub(start))
                return pieces
            pieces.append(self.sub(start, at))
            start = at + len(sep)

    def partition(self, sep: str) -> tuple[Piece, Piece | None]:
        """Split at the first ``sep`` outside slots; None after it when there is none."""
        at = self.masked.find(sep)
        if at < 0:
            return self, None
        return self.sub(0, at), self.sub(at + len(sep))


def _as_written(text: str) -> str:
    return text


def render(
    piece: Piece, part: Callable[[Slot], str], literal: Callable[[str], str] = _as_written
) -> str:
    """``piece`` with each slot replaced by ``part(slot)`` and the text between by ``literal``.

    Every position (path segment, query value, header, body stand-in) places its values through
    this one function, so slots are replaced the same way everywhere; ``literal`` lets a query
    percent-decode what the cell wrote without touching the values put between.
    """
    out, last = [], 0
    for slot in piece.slots:
        out.append(literal(piece.text[last : slot.start]))
        out.append(part(slot))
        last = slot.end
    out.append(literal(piece.text[last:]))
    return "".join(out)
