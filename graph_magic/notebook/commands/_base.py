"""What every ``%graph`` command shares: a parser that fails like the magic, and its context."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from IPython.core.magic_arguments import MagicArgumentParser

from graph_magic.notebook.errors import GraphUsageError
from graph_magic.notebook.session import GraphSession

__all__ = ["Command", "CommandContext", "CommandParser", "Show"]

Show = Callable[[Any], None]
"""Displays one object (IPython's ``display`` in a notebook, ``list.append`` in a test)."""


class CommandParser(MagicArgumentParser):
    """One command's arguments, declared once: they read the words and write the help.

    IPython's magic parser (no ``-h``, never exits), whose ``error`` raises our usage error with
    the command's usage, so a wrong command line fails the cell like a wrong option does.
    """

    def __init__(self, name: str, description: str) -> None:
        super().__init__(
            prog=f"%graph {name}", description=description, formatter_class=argparse.HelpFormatter
        )
        self.name = name
        self.allow_abbrev = False  # "--device" is a typo, not a way to write --device-code

    def error(self, message: str) -> NoReturn:
        raise GraphUsageError(f"{self.prog}: {message}; usage: {self.synopsis()}")

    def declares(self, option: str) -> bool:
        """True when ``option`` (``--as``) is one of this command's options."""
        return option in self._option_string_actions

    def synopsis(self) -> str:
        """The command as the docs write it, NAME first: ``%graph connect NAME [--as UPN]``.

        argparse's own usage puts every option before the positionals.
        """
        positionals = [action for action in self._actions if not action.option_strings]
        optionals = [action for action in self._actions if action.option_strings]
        return " ".join([self.prog, *map(_usage_word, [*positionals, *optionals])])


def _usage_word(action: argparse.Action) -> str:
    metavar = action.metavar or action.dest.upper()
    if not action.option_strings:
        return f"[{metavar}]" if action.nargs == "?" else str(metavar)
    word = action.option_strings[-1]
    return f"[{word}]" if action.nargs == 0 else f"[{word} {metavar}]"


@dataclass(frozen=True)
class CommandContext:
    """What the commands may draw on; each command's ``run`` hands its function only its part.

    ``magic_parser`` (the magic's ``@argument`` options), ``settings`` (the magic's setting
    names) and ``commands`` are what ``%graph help`` is generated from.
    """

    session: GraphSession
    default_system: str
    show: Show
    magic_parser: argparse.ArgumentParser
    settings: tuple[str, ...]
    commands: Mapping[str, Command]

    def system(self, requested: str | None = None) -> str:
        """The system a command acts on (the session's rule: named, connected, default)."""
        return self.session.system_name(requested, self.default_system)


@dataclass(frozen=True)
class Command:
    """A command: its parser, and ``run``, which calls its plain function with what it uses."""

    parser: CommandParser
    run: Callable[[argparse.Namespace, CommandContext], None]

    @property
    def name(self) -> str:
        return self.parser.name
