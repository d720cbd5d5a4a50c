"""``%graph logout [NAME]``: forget a system's tokens."""

from __future__ import annotations

import argparse

from graph_magic.notebook.commands._base import Command, CommandContext, CommandParser, Show
from graph_magic.notebook.display.blocks import Panel
from graph_magic.notebook.session import GraphSession

__all__ = ["COMMAND", "logout"]

parser = CommandParser("logout", "forget a system's tokens (and its msal cache entry)")
parser.add_argument("name", nargs="?", metavar="NAME", help="a system (default: the current one)")


def logout(session: GraphSession, name: str, show: Show) -> None:
    """Sign out of ``name``, saying whether it was signed in."""
    was_signed_in = session.logout(name)
    text = f"Signed out of '{name}'." if was_signed_in else f"'{name}' was not signed in."
    show(Panel(text))


def _run(args: argparse.Namespace, context: CommandContext) -> None:
    logout(context.session, context.system(args.name), context.show)


COMMAND = Command(parser, _run)
