"""Every bad cell raises GraphSyntaxError naming the problem, with its line, column and caret."""

from __future__ import annotations

import pytest

from graph_magic.errors import GraphSyntaxError
from graph_magic.notebook.cell import parse_cell


def error_of(text: str, namespace: dict | None = None) -> GraphSyntaxError:
    with pytest.raises(GraphSyntaxError) as info:
        parse_cell(text, namespace)
    return info.value


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("", "the cell holds no request", 1, 1),
        ("\n  \n# only a comment\n", "the cell holds no request", 1, 1),
        ("GTE /users", "unknown HTTP method 'GTE'", 1, 1),
        ("  HEAD /users", "unknown HTTP method 'HEAD'", 1, 3),
        ("GET", "GET needs a target after it", 1, 4),
        ("GET /users/a b", "a space in the path", 1, 13),
        ("GET /users#frag", "a '#' fragment is never sent", 1, 11),
        ("GET https://evil.example.com/v1.0/users", "host 'evil.example.com' is not", 1, 13),
        ("GET https://graph.microsoft.com:8443/v1.0/me", "host 'graph.microsoft.com:8443'", 1, 13),
        ("GET https://me@graph.microsoft.com/v1.0/me", "a URL with user info", 1, 13),
        ("GET http://graph.microsoft.com/v1.0/me", "only reached over https, not http", 1, 5),
        ("GET https://graph.microsoft.com/users", "a Graph URL names its version", 1, 33),
        (
            "GET /users\nContent type: application/json",
            "header name 'Content type' is not a valid HTTP token",
            2,
            1,
        ),
        ("GET /users\nConsistencyLevel eventual", "expected a header 'Name: value'", 2, 1),
        ("GET /users\nAuthorization: Bearer {token}", "the Authorization header comes from", 2, 1),
        ("GET /users\nPrefer: a\nprefer: b", "header 'prefer' is given twice", 3, 1),
        ("GET /users\nX-Name: café", "non-ASCII character 'é'", 2, 9),
        ("GET /users\nX-Name: a\rb", "a line break", 2, 9),
        ("GET /users\n$top 5", "expected ':' or '=' after '$top'", 2, 5),
        ("GET /users\n$: 5", "expected a query option name after '$'", 2, 2),
        ("GET /users\n$top:", "query option '$top' has no value", 2, 6),
        ("GET /users?$top=1\n$top: 2", "query option '$top' is given twice", 2, 1),
        ("GET /users?=1", "a query option without a name", 1, 12),
        ("GET /users?$filter=%FF", "percent-encoding that is not UTF-8", 1, 20),
        (
            'GET /users\n{"a": 1}',
            "the body must be separated from the headers by a blank line",
            2,
            1,
        ),
        ("GET /me\nGET /users", "a second request needs a '###' line before it", 2, 1),
        ('GET /users\n\n{"a": 1}', "a body is not allowed on GET", 3, 1),
        ("DELETE /users/x\n\n  a: 1", "a body is not allowed on DELETE", 3, 3),
        (
            "GET /me\n\nGET /users",
            "a body is not allowed on GET (separate requests with a '###'",
            3,
            1,
        ),
        (
            'POST /users\n\n{"a": 1,\n "b" 2}',
            "the body is not valid JSON: Expecting ':' delimiter",
            4,
            6,
        ),
        ("POST /users\n\n[1, 2", "the body is not valid JSON", 3, 6),
        ("POST /users\n\nhello world", "the body is neither JSON nor a YAML mapping or list", 3, 1),
        ("POST /users\n\na: [1, 2\nb: 3", "the body is not valid JSON or YAML", 4, 2),
        ("POST /users\n\nwhen: 2020-13-45", "the body is not valid", 3, 1),
        ("POST /users\n\nx: !!binary aGVsbG8=", "the body holds a bytes", 3, 1),
        ('POST /users\n\n{"a": NaN}', "the body holds nan", 3, 1),
        ("POST /x\n\n" + "[" * 100_000 + "]" * 100_000, "nests too deeply", 3, 1),
        ("### a\nGET /me\n### a\nGET /users", "duplicate request id 'a'", 3, 5),
        ("GET /me\n### 1\nGET /users", "duplicate request id '1'", 2, 5),
        (
            "### a\nGET /me\n### b after c\nGET /x",
            "'after' names 'c', which is not a request id",
            3,
            13,
        ),
        ("### a after b\nGET /me\n### b\nGET /x", "'after' names 'b', which comes later", 1, 13),
        ("### a after a\nGET /me", "request 'a' cannot come after itself", 1, 13),
        ("### a\nGET /me\n### b after a, a\nGET /x", "'a' is listed twice", 3, 16),
        ("### a\nGET /me\n### b after a,,\nGET /x", "an empty id in the 'after' list", 3, 15),
        ("### a\nGET /me\n### b after\nGET /x", "'after' needs the ids of earlier requests", 3, 7),
        ("### a b\nGET /me", "expected 'after' or the end of the line, not 'b'", 1, 7),
        ("### a/b\nGET /me", "request id 'a/b' may only hold", 1, 5),
        ("GET /me\n### trailing\n\n", "'###' is not followed by a request", 2, 1),
        ("GET /users/\ud800", "not valid Unicode", 1, 12),
    ],
)
def test_error_message_and_position(text: str, message: str, line: int, column: int) -> None:
    error = error_of(text)
    assert message in error.message
    assert (error.line, error.column) == (line, column)


def test_error_renders_the_source_line_and_a_caret() -> None:
    error = error_of("GET /users\nContent type: application/json")
    assert error.source_line == "Content type: application/json"
    assert str(error) == (
        "line 2, column 1: header name 'Content type' is not a valid HTTP token\n"
        "    Content type: application/json\n"
        "    ^"
    )


def test_caret_points_into_the_body() -> None:
    error = error_of('POST /users\n\n{"a": 1,\n "b" 2}')
    assert str(error).splitlines()[1:] == ['     "b" 2}', "         ^"]


def test_the_cell_must_be_text() -> None:
    error = error_of(b"GET /me")  # type: ignore[arg-type]
    assert "a cell is text, not bytes" in error.message
