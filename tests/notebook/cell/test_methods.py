"""The HTTP method sets the grammar exports are the ones it enforces."""

from __future__ import annotations

import pytest

from graph_magic.errors import GraphSyntaxError
from graph_magic.notebook.cell import BODYLESS_METHODS, METHODS, parse_cell


@pytest.mark.parametrize("method", METHODS)
def test_every_exported_method_is_accepted(method: str) -> None:
    body = "" if method in BODYLESS_METHODS else "\n\n{}"
    assert parse_cell(f"{method} /me{body}")[0].method == method


@pytest.mark.parametrize("method", sorted(BODYLESS_METHODS))
def test_bodyless_methods_refuse_a_body(method: str) -> None:
    with pytest.raises(GraphSyntaxError, match=f"a body is not allowed on {method}"):
        parse_cell(f"{method} /me\n\n{{}}")


def test_the_unknown_method_error_lists_the_exported_methods() -> None:
    with pytest.raises(GraphSyntaxError) as caught:
        parse_cell("HEAD /me")
    assert caught.value.message == f"unknown HTTP method 'HEAD' (use {', '.join(METHODS)})"
    assert METHODS == ("GET", "POST", "PATCH", "PUT", "DELETE")
    assert sorted(BODYLESS_METHODS) == ["DELETE", "GET"]
