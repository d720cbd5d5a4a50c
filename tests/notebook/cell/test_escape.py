r"""``\{{`` is a literal ``{{`` in every position; a stray ``{{`` fails and names the escape.

Each test asserts what Graph would receive: the request is built from the spec the way the
connector builds it (``join_url`` for the URL, ``json.dumps`` for the body), so a literal that
went astray anywhere between the cell and the socket shows up here.
"""

from __future__ import annotations

import json

import httpx
import pytest

from graph_magic.connector.urls import join_url
from graph_magic.errors import GraphSyntaxError
from graph_magic.notebook.cell import RequestSpec, parse_cell
from tests.support.graph import GRAPH

NS = {"n": 42, "name": "Ann"}


def one(text: str, namespace: dict | None = None) -> RequestSpec:
    (spec,) = parse_cell(text, NS if namespace is None else namespace)
    return spec


def on_the_wire(spec: RequestSpec) -> httpx.Request:
    """The HTTP request the connector sends for ``spec`` (URL, headers, body bytes)."""
    body = None if spec.body is None else json.dumps(spec.body).encode()
    url = join_url(GRAPH + spec.path, spec.params)
    return httpx.Request(spec.method, url, headers=spec.headers, content=body)


def error_of(text: str, namespace: dict | None = None) -> GraphSyntaxError:
    with pytest.raises(GraphSyntaxError) as info:
        parse_cell(text, NS if namespace is None else namespace)
    return info.value


# ---- each position ------------------------------------------------------------------------------


def test_path_literal_is_sent_percent_encoded_and_names_nothing() -> None:
    spec = one(r"GET /sites/\{{site}}/lists/{{n}}", {"n": 42})  # 'site' is not defined
    assert spec.path == "/sites/%7B%7Bsite}}/lists/42"
    assert on_the_wire(spec).url.raw_path == b"/v1.0/sites/%7B%7Bsite%7D%7D/lists/42"


def test_request_line_query_literal() -> None:
    spec = one(r"GET /me/messages?$filter=subject eq '\{{draft}}'&$top=5")
    assert spec.params == {"$filter": "subject eq '{{draft}}'", "$top": "5"}
    assert on_the_wire(spec).url.query == b"$filter=subject%20eq%20'%7B%7Bdraft%7D%7D'&$top=5"
    assert spec.target == "/me/messages?$filter=subject eq '%7B%7Bdraft}}'&$top=5"


def test_option_and_query_lines_carry_the_literal() -> None:
    spec = one(
        "GET /me/messages\n"
        r"$filter: startswith(subject,'\{{') and size gt {{n}}" + "\n"
        r"?tag=\{{a}}&b\{{c=x" + "\n"
        r"&both=\{{n}}-{{n}}"
    )
    assert spec.params == {
        "$filter": "startswith(subject,'{{') and size gt 42",
        "tag": "{{a}}",
        "b{{c": "x",
        "both": "{{n}}-42",
    }
    assert on_the_wire(spec).url.query == (
        b"$filter=startswith(subject,'%7B%7B')%20and%20size%20gt%2042"
        b"&tag=%7B%7Ba%7D%7D&b%7B%7Bc=x&both=%7B%7Bn%7D%7D-42"
    )


def test_header_value_literal() -> None:
    spec = one("GET /me\n" r"X-Template: Hello \{{name}}, from {{name}}")
    assert spec.headers == {"X-Template": "Hello {{name}}, from Ann"}
    assert on_the_wire(spec).headers["X-Template"] == "Hello {{name}}, from Ann"


def test_json_body_literal_ends_up_inside_its_string() -> None:
    spec = one(
        "POST /me/sendMail\n\n"
        r'{"subject": "\{{name}} for {{name}}", "html": "<p>\{{#each}}</p>", "n": {{n}}}'
    )
    assert spec.body == {"subject": "{{name}} for Ann", "html": "<p>{{#each}}</p>", "n": 42}
    assert on_the_wire(spec).content == (
        b'{"subject": "{{name}} for Ann", "html": "<p>{{#each}}</p>", "n": 42}'
    )


@pytest.mark.parametrize(
    ("json_string", "sent"),
    [
        (r'"\{{n}}"', "{{n}}"),  # odd run: the backslash escapes the braces
        (r'"\\{{n}}"', "\\42"),  # even run: JSON's escaped backslash, then the value
        (r'"\\\{{n}}"', "\\{{n}}"),  # JSON's escaped backslash, then the escape
        (r'"\{{\{{"', "{{{{"),
        (r'"C:\\temp\n{{n}}"', "C:\\temp\n42"),  # backslashes elsewhere keep their JSON meaning
        (r'"a\{b}"', None),  # \{ alone is no escape, and no JSON escape either
    ],
)
def test_backslashes_in_a_json_string_follow_json(json_string: str, sent: str | None) -> None:
    cell = "POST /x\n\n{" + f'"v": {json_string}' + "}"
    if sent is None:
        assert "not valid JSON" in error_of(cell).message
    else:
        assert one(cell).body == {"v": sent}


def test_yaml_body_literal_in_every_scalar_style() -> None:
    spec = one(
        "POST /x\n\n"
        "plain: \\{{name}} and {{n}}\n"
        "single: '\\{{name}}'\n"
        'double: "\\{{name}}"\n'
        'escaped_backslash: "\\\\{{n}}"\n'
        "alone: \\{{\n"
        "\\{{key}}: 1\n"
    )
    assert spec.body == {
        "plain": "{{name}} and 42",
        "single": "{{name}}",
        "double": "{{name}}",
        "escaped_backslash": "\\42",
        "alone": "{{",
        "{{key}}": 1,
    }
    assert json.loads(on_the_wire(spec).content) == spec.body


def test_an_even_run_outside_json_is_left_as_written() -> None:
    spec = one("GET /me\n" r"X-A: \\{{n}}" + "\n" r"X-B: \\\{{n}}")
    assert spec.headers == {"X-A": "\\\\42", "X-B": "\\\\{{n}}"}


def test_a_lone_backslash_or_brace_is_plain_text() -> None:
    spec = one("GET /me\n" r"X-A: a\b{c}\{d", {})
    assert spec.headers == {"X-A": r"a\b{c}\{d"}


# ---- errors -------------------------------------------------------------------------------------

HINT = r"a literal '{{' is written '\{{'"


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("GET /sites/{{ site", "'{{' is not closed by '}}'", 1, 12),
        ("GET /x?$filter=a eq '{{}}'", "expected a variable name after '{{'", 1, 24),
        ("GET /x\n$filter: a eq '{{ a-b }}'", "only a name, '.attribute' and '[key]'", 2, 20),
        ("GET /x\nX-T: {{#each}}", "expected a variable name after '{{'", 2, 8),
        ('POST /x\n\n{"a": 1,\n "t": "{{#if x}}"}', "expected a variable name after '{{'", 4, 10),
        ("POST /x\n\nt: '{{ x y }}'", "only a name, '.attribute' and '[key]'", 3, 10),
    ],
)
def test_a_stray_open_brace_pair_suggests_the_escape(
    text: str, message: str, line: int, column: int
) -> None:
    error = error_of(text)
    assert message in error.message and HINT in error.message
    assert (error.line, error.column) == (line, column)


def test_the_stray_error_shows_the_line_and_a_caret() -> None:
    error = error_of('POST /x\n\n{"t": "{{ not a name }}"}')
    assert str(error) == (
        "line 3, column 15: only a name, '.attribute' and '[key]' may stand inside {{...}}; "
        + HINT
        + "\n"
        + '    {"t": "{{ not a name }}"}\n'
        + "                  ^"
    )


def test_a_literal_outside_a_json_string_is_refused_where_it_stands() -> None:
    error = error_of("POST /x\n\n" + r'{"a": 1,' + "\n" + r' "b": \{{x}}}')
    assert error.message == r"a literal '{{' (written '\{{') must stand inside a JSON string"
    assert (error.line, error.column) == (4, 7)
    assert str(error).splitlines()[1:] == [r'     "b": \{{x}}}', "          ^"]


def test_an_escaped_backslash_does_not_escape_the_braces() -> None:
    error = error_of("GET /me\n" r"X-A: \\{{missing}}", {})
    assert error.message == "name 'missing' is not defined"
    assert (error.line, error.column) == (2, 8)
