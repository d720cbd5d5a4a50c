"""The blocks commands display: a titled panel of rows, and the device-code prompt."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

__all__ = ["Panel"]


@dataclass(frozen=True)
class Panel:
    """A command's output: a title and rows of cells, shown as aligned text and as a table."""

    title: str
    rows: tuple[tuple[str, ...], ...] = ()
    header: tuple[str, ...] = ()
    note: str = ""

    def __repr__(self) -> str:
        lines = [self.title]
        table = [self.header, *self.rows] if self.header else list(self.rows)
        if table:
            widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
            for row in table:
                lines.append(
                    "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                )
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        parts = [f"<div><strong>{escape(self.title)}</strong>"]
        if self.rows or self.header:
            parts.append("<table>")
            if self.header:
                cells = "".join(f"<th>{escape(c)}</th>" for c in self.header)
                parts.append(f"<thead><tr>{cells}</tr></thead>")
            parts.append("<tbody>")
            for row in self.rows:
                parts.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
            parts.append("</tbody></table>")
        if self.note:
            parts.append(f"<pre>{escape(self.note)}</pre>")
        parts.append("</div>")
        return "".join(parts)


@dataclass(frozen=True)
class _PromptView:
    """The device-code prompt: the identity platform's message as text, a clickable link as HTML."""

    prompt: Any

    def __repr__(self) -> str:
        return str(self.prompt)

    def _repr_html_(self) -> str:
        return self.prompt._repr_html_()
