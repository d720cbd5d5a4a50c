"""``%graph history``: the recent requests, as the session remembered them (URLs masked)."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from graph_magic.notebook.commands._base import Command, CommandContext, CommandParser, Show
from graph_magic.notebook.display._text import plural
from graph_magic.notebook.display.blocks import Panel
from graph_magic.notebook.session import HistoryEntry

__all__ = ["COMMAND", "history"]

parser = CommandParser("history", "list the recent requests (URLs masked, never a token)")


def history(entries: Iterable[HistoryEntry], show: Show) -> None:
    """Show ``entries`` numbered from the oldest, with each one's outcome and size."""
    rows = []
    for number, entry in enumerate(entries, 1):
        size = (
            ""
            if entry.rows is None
            else f"{plural(entry.rows, 'row')}, {plural(entry.pages, 'page')}"
        )
        status = "" if entry.status is None else str(entry.status)
        rows.append(
            (str(number), entry.system, entry.method, entry.url, status, entry.outcome, size)
        )
    title = f"Last {len(rows)} requests" if rows else "No requests yet"
    header = ("#", "system", "method", "url", "status", "outcome", "size") if rows else ()
    show(Panel(title, tuple(rows), header=header))


def _run(args: argparse.Namespace, context: CommandContext) -> None:
    history(context.session.history, context.show)


COMMAND = Command(parser, _run)
