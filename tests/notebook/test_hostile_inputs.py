"""Hostile cells and answers in the notebook: YAML bombs in a body, secrets in a dry run,
formulas in exported CSV, collections that are not objects.

An alias bomb is judged by the memory its refusal took (deterministic), not by a timing.
"""

from __future__ import annotations

import tracemalloc

import pytest

from graph_magic.connector.system_files import ALIAS_BUDGET, MAX_NESTING
from graph_magic.errors import GraphSyntaxError
from graph_magic.notebook.cell import parse_cell

# ---- YAML bodies are bounded like system files ---------------------------------------------

LAUGHS_BODY = "POST /groups\n\n" + "".join(
    f"{level}: &{level} [{','.join([f'*{prev}'] * 9) if prev else ','.join(['lol'] * 9)}]\n"
    for prev, level in zip(["", *"abcdef"], "abcdefg", strict=True)
)


def _syntax_error(cell: str, namespace: dict | None = None) -> tuple[GraphSyntaxError, int]:
    tracemalloc.start()
    try:
        with pytest.raises(GraphSyntaxError) as info:
            parse_cell(cell, namespace or {})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return info.value, peak


def test_a_billion_laughs_body_is_refused_at_the_alias() -> None:
    error, peak = _syntax_error(LAUGHS_BODY)
    # The body starts on line 3; level e (line 7) is where the repeats pass the budget.
    assert (error.line, error.column) == (7, 8)
    assert error.source_line.startswith("e: &e [*d")
    assert f"YAML aliases repeat more than {ALIAS_BUDGET:,} nodes" in error.message
    assert peak < 2_000_000  # walking the expanded body took 1.6 s before the bound


def test_a_laughs_body_with_values_put_in_is_refused_at_the_alias_column() -> None:
    cell = LAUGHS_BODY.replace("e: &e [", "e: &e [{{name}}, ")
    error, _ = _syntax_error(cell, {"name": "a longer value than the placeholder"})
    assert (error.line, error.column) == (7, 8 + len("{{name}}, "))


def test_a_body_that_aliases_itself_is_refused() -> None:
    error, _ = _syntax_error("POST /groups\n\nmembers: &m [a, *m]\n")
    assert (error.line, error.column) == (3, 17)
    assert "inside its own anchor" in error.message


def test_a_deeply_nested_yaml_body_is_refused_where_it_passes_the_bound() -> None:
    body = "owners: " + "[" * 20_000 + "]" * 20_000
    error, peak = _syntax_error(f"POST /groups\n\n# a comment makes it YAML\n{body}\n")
    assert error.line == 4
    assert error.column == len("owners: ") + MAX_NESTING + 1  # the first bracket too many
    assert f"nests deeper than {MAX_NESTING} levels" in error.message
    assert peak < 2_000_000


def test_a_yaml_body_with_a_few_aliases_is_sent_expanded() -> None:
    (spec,) = parse_cell("POST /groups\n\nowner: &o abc\nmembers: [*o, *o]\n", {})
    assert spec.body == {"owner": "abc", "members": ["abc", "abc"]}
