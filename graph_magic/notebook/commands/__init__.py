"""The ``%graph`` commands: connect, systems, status, logout, history, record and the rest.

A ``%graph`` line whose first word is not an HTTP method, a ``/`` path or a URL is a command.
Each command is a plain function taking what it uses, with its own parser
(:class:`CommandParser`); its module's ``COMMAND`` ties the two together. Tests call the
functions without a shell, and terminal IPython still reads their text form well.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Iterable

from graph_magic.notebook.cell import METHODS
from graph_magic.notebook.commands import (
    connect,
    describe,
    help,
    history,
    logout,
    permissions,
    record,
    status,
    systems,
)
from graph_magic.notebook.commands._base import Command, CommandContext, CommandParser, Show
from graph_magic.notebook.errors import GraphUsageError
from graph_magic.notebook.session import GraphSession

__all__ = ["COMMANDS", "Command", "CommandParser", "misplaced_option", "run_command"]

COMMANDS: dict[str, Command] = {
    command.name: command
    for command in (
        connect.COMMAND,
        systems.COMMAND,
        status.COMMAND,
        logout.COMMAND,
        history.COMMAND,
        describe.COMMAND,
        permissions.COMMAND,
        record.COMMAND,
        help.COMMAND,
    )
}


def run_command(
    text: str,
    *,
    session: GraphSession,
    default_system: str,
    show: Show,
    magic_parser: argparse.ArgumentParser,
    settings: Iterable[str],
) -> None:
    """Run the ``%graph`` command in ``text`` (its first word names it).

    ``magic_parser`` (the magic's ``@argument`` options) and ``settings`` (its setting names)
    are what ``%graph help`` lists besides the commands.
    """
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise GraphUsageError(f"cannot read {text!r}: {exc}") from None
    command = COMMANDS.get(words[0].lower())
    if command is None:
        raise GraphUsageError(
            f"unknown command {words[0]!r}. Commands: {', '.join(COMMANDS)}; a request starts "
            f"with {'/'.join(METHODS)}, a /path or an https:// URL (%graph help)"
        )
    args = command.parser.parse_args(words[1:])
    context = CommandContext(session, default_system, show, magic_parser, tuple(settings), COMMANDS)
    command.run(args, context)


def misplaced_option(words: Iterable[str]) -> str | None:
    """Why an option a command declares cannot stand before the request, or None.

    ``%graph --device-code GET /me`` gives the magic an option that belongs to
    ``%graph connect``; saying so beats argparse's "unrecognized arguments".
    """
    for word in words:
        for command in COMMANDS.values():
            if command.parser.declares(word):
                return f"{word} belongs to {command.parser.synopsis()}"
    return None
