"""``%graph systems``: the systems a notebook can use, and where each is defined."""

from __future__ import annotations

import argparse
from pathlib import Path

from graph_magic.connector.config import find_systems, system_dirs
from graph_magic.notebook.commands._base import Command, CommandContext, CommandParser, Show
from graph_magic.notebook.display.blocks import Panel

__all__ = ["COMMAND", "shown_path", "systems"]

parser = CommandParser("systems", "list the systems and where each is defined")


def systems(current: str, show: Show) -> None:
    """Show every system found, marking ``current`` (the one the next request uses)."""
    rows = []
    for name, path in find_systems().items():
        marker = "*" if name == current else ""
        rows.append((marker, name, _origin_of(path), shown_path(path)))
    show(
        Panel(
            "Systems (* = used by the next request)",
            tuple(rows),
            header=("", "name", "from", "file"),
            note="%graph connect NAME switches; --system NAME picks one for a cell.",
        )
    )


def _origin_of(path: Path) -> str:
    """Which discovery place a system file comes from, in the order DESIGN searches them."""
    dirs = system_dirs()
    parent = path.parent
    if parent == dirs[-1]:
        return "built-in"
    if parent == dirs[-2]:
        return "~/.config/graph-magic/systems"
    if parent == dirs[-3]:
        return "./systems"
    return "$GRAPH_MAGIC_SYSTEMS"


def shown_path(path: Path) -> str:
    """A system file's place as a reader needs it, without this machine's folders.

    Notebooks keep these outputs and nbval compares them on other machines, so a built-in
    file shows by name, and one under the working or home directory relative to it.
    """
    if path.parent == system_dirs()[-1]:
        return f"built-in {path.name}"
    for base, shown in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            return shown + path.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(path)


def _run(args: argparse.Namespace, context: CommandContext) -> None:
    systems(context.system(), context.show)


COMMAND = Command(parser, _run)
