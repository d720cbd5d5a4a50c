"""Hypothesis over the cell grammar and the system YAML: bad input is refused with a location.

Whatever the text, ``parse_cell`` returns request specs or raises GraphSyntaxError pointing at a
line and column inside the cell; ``load_system`` returns a SystemConfig or raises
GraphConfigError naming the file and the key (or the YAML line). Nothing else escapes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from graph_magic.connector.config import load_system
from graph_magic.errors import GraphConfigError
from tests.reliability import reliability_fuzz
from tests.reliability.reliability_fuzz import cell_texts, check_cell, check_system, system_texts

FUZZ = settings(
    max_examples=int(os.environ.get("RELIABILITY_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
"""Examples per property; RELIABILITY_FUZZ_EXAMPLES=10000 for a longer hunt."""


@FUZZ
@given(cell_texts)
def test_cells_parse_or_fail_with_a_location(text: str) -> None:
    check_cell(text)


@FUZZ
@given(system_texts)
def test_system_yaml_loads_or_fails_naming_file_and_key(text: str) -> None:
    check_system(text)


def test_the_checks_refuse_an_error_without_a_location(monkeypatch: pytest.MonkeyPatch) -> None:
    """The properties can fail: a refusal that names no key or line is not accepted."""
    assert check_cell("GET /users\n$top: {{missing}}") == "refused"
    assert check_system("auth_type: nope") == "refused"

    def unlocated(path: Path, **_: object) -> None:
        raise GraphConfigError("something is wrong", file=str(path))

    monkeypatch.setattr(reliability_fuzz, "load_system", unlocated)
    with pytest.raises(AssertionError):
        check_system("base_url: x")


def test_a_control_character_in_system_yaml_is_located_by_line_and_column(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("base_url: https://graph.microsoft.com/v1.0\ntoken: a\x1fb\n", "utf-8")
    with pytest.raises(GraphConfigError) as info:
        load_system(path, environ={})
    assert info.value.file == str(path)
    assert "at line 2, column 9" in info.value.message
