"""``%graph connect NAME [--device-code] [--as UPN]``: sign in now, then use NAME."""

from __future__ import annotations

import argparse

from graph_magic.notebook.commands._base import Command, CommandContext, CommandParser, Show
from graph_magic.notebook.commands.status import status_panel
from graph_magic.notebook.display.blocks import PromptView
from graph_magic.notebook.session import GraphSession

__all__ = ["COMMAND", "connect"]

parser = CommandParser(
    "connect", "sign in to NAME now (a bad secret fails here) and make it the current system"
)
parser.add_argument("name", metavar="NAME", help="a system name or YAML file (%%graph systems)")
parser.add_argument(
    "--device-code", action="store_true", help="sign a user in with a device code instead"
)
parser.add_argument(
    "--as",
    dest="approve_as",
    metavar="UPN",
    help="the account to sign in as (a browser sign-in, or a sandbox device code)",
)


def connect(
    session: GraphSession,
    name: str,
    show: Show,
    *,
    device_code: bool = False,
    approve_as: str | None = None,
) -> None:
    """Sign in to ``name`` and show its status; a device-code prompt is shown before the wait."""
    system = session.connect(
        name,
        device_code=device_code,
        approve_as=approve_as,
        on_prompt=lambda prompt: show(PromptView(prompt)),
    )
    show(status_panel(session.describe(name), f"Connected to '{name}'", system.base_url))


def _run(args: argparse.Namespace, context: CommandContext) -> None:
    connect(
        context.session,
        args.name,
        context.show,
        device_code=args.device_code,
        approve_as=args.approve_as,
    )


COMMAND = Command(parser, _run)
