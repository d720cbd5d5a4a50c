"""``%graph help`` is generated from the declarations: nothing declared can be left out of it."""

from __future__ import annotations

import pytest

from graph_magic.notebook.commands import COMMANDS
from graph_magic.notebook.commands.help import help_text, show_help
from graph_magic.notebook.display.blocks import Panel
from graph_magic.notebook.magic import GraphMagic

OPTIONS = GraphMagic.graph.parser
SETTINGS = GraphMagic.class_trait_names(config=True)


def _help() -> str:
    return help_text(OPTIONS, [command.parser for command in COMMANDS.values()], SETTINGS)


@pytest.mark.parametrize("action", OPTIONS._actions, ids=lambda action: action.dest)
def test_help_lists_every_option_the_magic_declares(action: object) -> None:
    text = _help()
    for word in action.option_strings:
        assert word in text
    assert action.help in text


@pytest.mark.parametrize("name", list(COMMANDS))
def test_help_lists_every_command_with_each_of_its_arguments(name: str) -> None:
    parser = COMMANDS[name].parser
    text = _help()
    assert parser.synopsis() in text
    assert parser.description in text
    for action in parser._actions:
        assert action.help.replace("%%", "%") in text
        for word in action.option_strings or [action.metavar]:
            assert word in text


def test_help_names_every_setting() -> None:
    text = _help()
    assert "%config GraphMagic" in text
    for name in SETTINGS:
        assert name in text


def test_the_synopsis_puts_the_name_first() -> None:
    assert COMMANDS["connect"].parser.synopsis() == (
        "%graph connect NAME [--device-code] [--as UPN]"
    )
    assert COMMANDS["status"].parser.synopsis() == "%graph status [NAME]"
    assert COMMANDS["history"].parser.synopsis() == "%graph history"


def test_show_help_shows_one_panel_of_the_text() -> None:
    shown: list[object] = []
    show_help(OPTIONS, COMMANDS, SETTINGS, shown.append)
    assert shown == [Panel("graph-magic: Microsoft Graph in Jupyter", note=_help())]
