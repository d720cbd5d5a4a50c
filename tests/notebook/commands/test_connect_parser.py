"""``%graph connect``'s own parser: what it reads, and the usage errors it raises."""

from __future__ import annotations

import argparse

import pytest
from IPython.core.error import UsageError

from graph_magic.notebook.commands import COMMANDS, misplaced_option
from graph_magic.notebook.errors import GraphUsageError

PARSER = COMMANDS["connect"].parser
USAGE = "usage: %graph connect NAME [--device-code] [--as UPN]"


def test_reads_the_name_and_both_options_in_any_order() -> None:
    assert PARSER.parse_args(["sandbox"]) == argparse.Namespace(
        name="sandbox", device_code=False, approve_as=None
    )
    assert PARSER.parse_args(["--as", "adele@contoso.com", "sandbox", "--device-code"]) == (
        argparse.Namespace(name="sandbox", device_code=True, approve_as="adele@contoso.com")
    )


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        ([], "the following arguments are required: NAME"),
        (["a", "b"], "unrecognized arguments: b"),
        (["sandbox", "--bogus"], "unrecognized arguments: --bogus"),
        (["sandbox", "--device"], "unrecognized arguments: --device"),  # no abbreviations
        (["sandbox", "--as"], "argument --as: expected one argument"),
    ],
)
def test_bad_lines_are_usage_errors_with_the_usage(argv: list[str], complaint: str) -> None:
    with pytest.raises(GraphUsageError) as caught:
        PARSER.parse_args(argv)
    assert str(caught.value) == f"%graph connect: {complaint}; {USAGE}"
    assert isinstance(caught.value, UsageError)
    assert caught.value._render_traceback_() == [f"UsageError: {caught.value}"]


def test_a_connect_option_before_a_request_is_named_as_connects() -> None:
    assert misplaced_option(["--raw", "--device-code"]) == (
        "--device-code belongs to %graph connect NAME [--device-code] [--as UPN]"
    )
    assert misplaced_option(["--raw", "--bogus"]) is None
