"""``%graph record PATH`` ... ``%graph record stop``: record a system's exchanges into a cassette.

The cassette replays the session later with no tenant and no credential: a system with
``replay: PATH`` answers from it (docs/replay.md). Nothing secret is written; ``--pseudonymise``
gives the named properties stable fake values so the cassette can be shared.
"""

from __future__ import annotations

import argparse

from graph_magic.notebook.commands._base import Command, CommandContext, CommandParser, Show
from graph_magic.notebook.commands.systems import shown_path
from graph_magic.notebook.display.blocks import Panel
from graph_magic.notebook.errors import GraphUsageError
from graph_magic.notebook.session import GraphSession

__all__ = ["COMMAND", "record", "stop"]

parser = CommandParser("record", "record a system's Graph exchanges into a cassette, or stop")
parser.add_argument("target", metavar="PATH", help="the cassette to write, or 'stop'")
parser.add_argument(
    "--system", metavar="NAME", help="the system to record (default: the current one)"
)
parser.add_argument(
    "--pseudonymise",
    metavar="NAMES",
    default="",
    help="properties given stable fake values: mail,displayName",
)


def record(session: GraphSession, name: str, path: str, pseudonymise: str, show: Show) -> None:
    """Start recording ``name`` into ``path``, saying what is recorded and what is faked."""
    if session.system(name).replay:
        raise GraphUsageError(f"system '{name}' replays a cassette; there is nothing to record")
    names = tuple(part.strip() for part in pseudonymise.split(",") if part.strip())
    recording = session.start_recording(name, path, names)
    faked = f", with fake values for {', '.join(names)}" if names else ""
    where = shown_path(recording.path)
    show(Panel(f"Recording system '{name}' into {where}{faked}. Nothing secret is kept."))


def stop(session: GraphSession, show: Show) -> None:
    """Stop recording, saying how many exchanges the cassette holds."""
    recording = session.stop_recording()
    if recording is None:
        show(Panel("Nothing was being recorded."))
        return
    count = recording.exchanges
    noun = "exchange" if count == 1 else "exchanges"
    show(Panel(f"Recorded {count} {noun} into {shown_path(recording.path)}."))


def _run(args: argparse.Namespace, context: CommandContext) -> None:
    if args.target == "stop":
        stop(context.session, context.show)
    else:
        name = context.system(args.system)
        record(context.session, name, args.target, args.pseudonymise, context.show)


COMMAND = Command(parser, _run)
