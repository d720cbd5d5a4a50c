"""Option parsing and request/command dispatch, without a shell."""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError
from traitlets.config import Config

from graph_magic.notebook.errors import GraphUsageError, SettingRejected
from graph_magic.notebook.magic import GraphMagic
from graph_magic.notebook.options import RunOptions, Settings, is_request, split_line


def _parse(line: str) -> tuple[RunOptions, str]:
    argv, rest = split_line(line, GraphMagic.graph.parser)
    magic = GraphMagic(shell=None)
    return magic._parse_options(argv), rest


def test_request_text_after_options_is_kept_exactly() -> None:
    line = "-o users --max-items 10 GET /users?$filter=startswith(displayName,'A B')  &$top=5"
    options, rest = _parse(line)
    assert options.out == "users"
    assert options.max_items == 10
    assert rest == "GET /users?$filter=startswith(displayName,'A B')  &$top=5"


def test_every_option_is_parsed() -> None:
    options, rest = _parse(
        "-o x --raw --all --max-items 3 --system sandbox-limited --beta "
        '--csv "my file.csv" --dry-run --quiet --timeout 2.5 --expect 200,404 /me'
    )
    assert options == RunOptions(
        out="x",
        raw=True,
        paginate=True,
        max_items=3,
        system="sandbox-limited",
        beta=True,
        csv="my file.csv",
        dry_run=True,
        quiet=True,
        timeout=2.5,
        expect=(200, 404),
    )
    assert rest == "/me"


def test_no_paginate_turns_paging_off_and_default_leaves_it_to_the_setting() -> None:
    assert _parse("--no-paginate GET /users")[0].paginate is False
    assert _parse("GET /users")[0].paginate is None


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("--all --no-paginate GET /users", "contradict"),
        ("--max-items 0 GET /users", "at least 1"),
        ("--max-items ten GET /users", "invalid int"),
        ("--timeout -1 GET /users", "positive"),
        ("--expect 200,abc GET /users", "status codes"),
        ("--expect 999 GET /users", "status codes"),
        ("-o 1x GET /users", "variable name"),
        ("--bogus GET /users", "unrecognized"),
    ],
)
def test_bad_options_are_usage_errors(line: str, complaint: str) -> None:
    with pytest.raises(GraphUsageError, match=complaint) as caught:
        _parse(line)
    assert isinstance(caught.value, UsageError)
    assert caught.value._render_traceback_() == [f"UsageError: {caught.value}"]


@pytest.mark.parametrize(
    "rest",
    [
        "GET /users",
        "get /users",
        "post /users",
        "/me",
        "https://graph.microsoft.com/v1.0/me",
        "DELETE /users/1",
        "Patch /me",
    ],
)
def test_requests_are_recognised(rest: str) -> None:
    assert is_request(rest)


@pytest.mark.parametrize("rest", ["connect sandbox", "status", "help", "", "users", "me"])
def test_other_first_words_are_commands(rest: str) -> None:
    assert not is_request(rest)


def test_options_after_a_command_word_stay_with_the_command() -> None:
    options, rest = _parse("connect sandbox --device-code")
    assert rest == "connect sandbox --device-code"
    assert options == RunOptions()  # nothing taken as the magic's own option


def test_device_code_is_only_for_connect(shell: Any) -> None:
    magic = shell.magics_manager.registry["GraphMagic"]
    with pytest.raises(GraphUsageError, match="connect"):
        magic.graph("--device-code GET /me")


_DECLARED = GraphMagic.graph.parser._actions


@pytest.mark.parametrize(
    "action", [a for a in _DECLARED if a.nargs != 0], ids=lambda action: action.dest
)
def test_every_option_declared_with_a_value_takes_the_next_word(action: Any) -> None:
    for word in action.option_strings:
        argv, rest = split_line(f"{word} 'a b' GET /me", GraphMagic.graph.parser)
        assert (argv, rest) == ([word, "a b"], "GET /me")


def test_every_declared_option_is_a_run_option_field() -> None:
    fields = set(RunOptions.__dataclass_fields__)
    dests = {action.dest for action in _DECLARED} - {"all", "no_paginate"}
    assert dests == fields - {"paginate"}


def test_settings_are_a_snapshot_of_the_traits_of_the_same_name() -> None:
    magic = GraphMagic(shell=None, masked_headers=["X-Secret"], display_rows=7)
    settings = magic.settings()
    names = set(Settings.__dataclass_fields__) - {"bind"}
    assert names <= set(magic.trait_names(config=True))
    for name in names - {"masked_headers"}:
        assert getattr(settings, name) == getattr(magic, name)
    assert settings.masked_headers == ("X-Secret",)
    assert settings.display_rows == 7


def test_the_timeout_rule_is_the_settings_and_the_options() -> None:
    with pytest.raises(GraphUsageError, match=r"--timeout must be a positive .* not 0.0"):
        _parse("--timeout 0 GET /me")
    with pytest.raises(SettingRejected, match=r"^timeout must be a positive .* not 0.0$"):
        GraphMagic(shell=None).update_config(Config({"GraphMagic": {"timeout": 0}}))


def test_settings_defaults_are_the_traits_defaults() -> None:
    assert Settings.of(GraphMagic(shell=None)) == Settings()
