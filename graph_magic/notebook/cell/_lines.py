"""The cell as lines, so that every error can quote the line it is about."""

from __future__ import annotations

from graph_magic.errors import GraphSyntaxError


class CellLines:
    """A cell's lines (``\\r\\n`` read as ``\\n``), checked once to be text that UTF-8 can carry."""

    def __init__(self, text: object) -> None:
        if not isinstance(text, str):
            raise GraphSyntaxError(
                f"a cell is text, not {type(text).__name__}", line=1, column=1, source_line=""
            )
        self.lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
        self._check_encodable(text)

    def __getitem__(self, number: int) -> str:
        """Line ``number``, counted from 1 as errors count them."""
        return self.lines[number - 1]

    def error(
        self,
        message: str,
        line: int,
        column: int,
        *,
        cls: type[GraphSyntaxError] = GraphSyntaxError,
        source_line: str | None = None,
    ) -> GraphSyntaxError:
        """An error at ``line``/``column`` that quotes its line, or ``source_line`` in its place.

        The position is clamped into the cell, so a position computed one past the end (an
        unclosed body, say) still points at a real line.
        """
        line = min(max(line, 1), len(self.lines))
        source = self.lines[line - 1] if source_line is None else source_line
        return cls(message, line=line, column=max(column, 1), source_line=source)

    def skippable(self, number: int) -> bool:
        """Blank or a ``#`` comment: such lines before a request or a body do not count."""
        stripped = self[number].strip()
        return not stripped or stripped.startswith("#")

    def _check_encodable(self, text: str) -> None:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            before = text[: exc.start]
            line = before.count("\n") + 1
            column = exc.start - (before.rfind("\n") + 1) + 1
            message = "the cell holds a character that is not valid Unicode"
            raise self.error(message, line, column) from None
