"""``%graph help``: the grammar in brief, then the options, commands and settings as declared.

Only the grammar is written here. The option and command lists are generated from the magic's
``@argument`` declarations and each command's parser, and the settings from the magic's traits,
so adding an option, a command or a setting cannot leave the help behind.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Iterable, Mapping

from graph_magic.notebook.commands._base import Command, CommandContext, CommandParser, Show
from graph_magic.notebook.display.blocks import Panel

__all__ = ["COMMAND", "help_text", "show_help"]

parser = CommandParser("help", "show this help")

_WIDTH = 100
_GRAMMAR = """\
%%graph [options]          one request per cell, written as Graph's docs print it:
  GET /users?$select=displayName,mail
  $filter: startswith(displayName,'A')
  ConsistencyLevel: eventual
Several requests separated by '### ID' lines go out as one $batch ('### b after a').
{{name}} inserts a notebook variable as data (never changing the request's structure).

%graph [options] GET /me     the one-line form; `users = %graph GET /users` gives a DataFrame."""


def help_text(
    magic_parser: argparse.ArgumentParser,
    commands: Iterable[CommandParser],
    settings: Iterable[str],
) -> str:
    """The help: grammar, ``magic_parser``'s options, ``commands``, ``settings`` names."""
    parts = [_GRAMMAR, "", "Options:", _arguments(magic_parser, "  "), "", "Commands:"]
    for command in commands:
        parts.append(f"  {command.synopsis()}")
        parts.append(f"      {command.description}")
        if command._actions:
            parts.append(_arguments(command, "      "))
    listed = f"Settings: %config GraphMagic ({', '.join(settings)})"
    parts += ["", textwrap.fill(listed, _WIDTH, subsequent_indent="          ")]
    return "\n".join(parts)


def _arguments(declared: argparse.ArgumentParser, indent: str) -> str:
    """The argument rows argparse's own help prints (``-o NAME, --out NAME  assign ...``)."""
    formatter = argparse.HelpFormatter(declared.prog, width=_WIDTH - len(indent))
    formatter.add_arguments(declared._actions)  # argparse keeps its declarations only here
    return textwrap.indent(formatter.format_help().rstrip("\n"), indent)


def show_help(
    magic_parser: argparse.ArgumentParser,
    commands: Mapping[str, Command],
    settings: Iterable[str],
    show: Show,
) -> None:
    """Show :func:`help_text` for ``magic_parser``, ``commands``, ``settings``."""
    text = help_text(magic_parser, [command.parser for command in commands.values()], settings)
    show(Panel("graph-magic: Microsoft Graph in Jupyter", note=text))


def _run(args: argparse.Namespace, context: CommandContext) -> None:
    show_help(context.magic_parser, context.commands, context.settings, context.show)


COMMAND = Command(parser, _run)
