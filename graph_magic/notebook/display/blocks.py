"""The small blocks a cell shows besides results: error blocks, command panels, notes, prompts.

Each block is a plain value with a ``text/plain`` form (``__repr__``, what nbval compares and what
terminal IPython prints) and an HTML form (``_repr_html_``) that says the same.

``render_error`` turns a failed cell's exception into a short block: what failed, Graph's own
words and what to try. Which block an exception gets is read from the ``_BLOCKS`` table, by the
nearest class in the exception's MRO that has an entry, so a subclass shows as its parent does
unless it is given its own builder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

import pandas as pd

from graph_magic.errors import (
    GraphAPIError,
    GraphBatchError,
    GraphConfigError,
    GraphSyntaxError,
    GraphTransportError,
)
from graph_magic.notebook.display._text import phrase, plural

if TYPE_CHECKING:
    from graph_magic.connector.auth import DeviceCodePrompt

__all__ = ["DryRun", "Note", "Panel", "PromptView", "render_error"]


# -- errors ------------------------------------------------------------------------------------


def render_error(exc: BaseException) -> str:
    """A short block for a failed cell: what failed, Graph's words, and what to try.

    Used by the magic's ``_render_traceback_``; a GraphAPIError's URL is already masked. The
    exception's notes (``add_note``: which window of a ``--parallel`` scan failed) follow, and
    when pages arrived before the failure, a last line says where their items are.
    """
    notes = "".join(f"\n  {note}" for note in getattr(exc, "__notes__", ()))
    for cls in type(exc).__mro__:
        build = _BLOCKS.get(cls)
        if build is not None:
            return build(exc) + notes + _received(exc)
    return f"{type(exc).__name__}: {exc}" + notes + _received(exc)


def _received(exc: BaseException) -> str:
    """The line about items that arrived before the error, or "" when none were kept."""
    received = getattr(exc, "received", None)
    if not isinstance(received, pd.DataFrame):
        return ""
    pages = getattr(exc, "received_pages", 0)
    return (
        f"\n  received before the error: {len(received):,} items in {plural(pages, 'page')}, "
        "kept as a DataFrame in sys.last_value.received (the -o variable was not changed)"
    )


def _answer_block(name: str, exc: GraphAPIError, batch_line: str | None = None) -> str:
    """Graph's error answer: status and code, message, the request, its ids, and the hint."""
    lines = [f"{name}: {exc.status_code} {exc.code or phrase(exc.status_code)}"]
    if exc.message:
        lines.append(f"  {exc.message}")
    lines.append(f"  request: {exc.method} {exc.url}")
    if batch_line is not None:
        lines.append(batch_line)
    if exc.request_id:
        lines.append(f"  request-id: {exc.request_id}")
    if exc.client_request_id:
        lines.append(f"  client-request-id: {exc.client_request_id}")
    if exc.date:
        lines.append(f"  date: {exc.date}")
    if exc.attempts > 1:
        lines.append(f"  attempts: {exc.attempts}")
    if exc.hint:
        lines.append(f"  hint: {exc.hint}")
    return "\n".join(lines)


def _api_block(exc: GraphAPIError) -> str:
    return _answer_block("GraphAPIError", exc)


def _batch_block(exc: GraphBatchError) -> str:
    return _answer_block("GraphBatchError", exc, f"  batch request id: {exc.request_id_in_batch}")


def _syntax_block(exc: GraphSyntaxError) -> str:
    return f"GraphSyntaxError: {exc.render()}"


def _config_block(exc: GraphConfigError) -> str:
    lines = [f"GraphConfigError: {exc.message}"]
    if exc.key:
        lines.append(f"  key: {exc.key}")
    if exc.file:
        lines.append(f"  file: {exc.file}")
    return "\n".join(lines)


def _transport_block(exc: GraphTransportError) -> str:
    return f"GraphTransportError: {exc}\n  request: {exc.url}\n  attempts: {exc.attempts}"


_BLOCKS: Mapping[type[BaseException], Callable[..., str]] = {
    GraphAPIError: _api_block,
    GraphBatchError: _batch_block,
    GraphSyntaxError: _syntax_block,
    GraphConfigError: _config_block,
    GraphTransportError: _transport_block,
}
"""Exception class -> its block builder; any other exception shows as ``Name: message``."""


# -- command panels, notes and prompts ---------------------------------------------------------


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
class PromptView:
    """The device-code prompt: the identity platform's message as text, a clickable link as HTML."""

    prompt: DeviceCodePrompt

    def __repr__(self) -> str:
        return str(self.prompt)

    def _repr_html_(self) -> str:
        return self.prompt._repr_html_()


@dataclass(frozen=True)
class Note:
    """A few lines of plain text shown as text and as preformatted HTML."""

    text: str

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f"<pre>{escape(self.text)}</pre>"


class DryRun(Note):
    """What ``--dry-run`` shows: each request as it would be sent, secrets masked."""
