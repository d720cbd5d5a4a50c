"""{{...}} per position: a value is always data and never changes the request's structure."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from urllib.parse import unquote

import pytest

from graph_magic.errors import GraphSyntaxError
from graph_magic.notebook.cell import RequestSpec, parse_cell

NS = {
    "uid": "a1b2",
    "upn": "o'brien@contoso.com",
    "user": SimpleNamespace(id="u-1", profile=SimpleNamespace(city="Zürich")),
    "d": {"key": "v", "with space": "w", 3: "int key"},
    "items": ["zero", "one"],
    "n": 42,
    "obj": {"a": [1, {"b": None}], "t": True},
    "evil": "x'/../?a=b&c#d%2F\n}}",
}


def one(text: str, namespace: dict | None = None) -> RequestSpec:
    (spec,) = parse_cell(text, NS if namespace is None else namespace)
    return spec


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("{{uid}}", "a1b2"),
        ("{{ uid }}", "a1b2"),
        ("{{user.id}}", "u-1"),
        ("{{ user.profile.city }}", "Zürich"),
        ("{{ d['key'] }}", "v"),
        ('{{ d["with space"] }}', "w"),
        ("{{d[3]}}", "int key"),
        ("{{ items[0] }}", "zero"),
        ("{{items[-1]}}", "one"),
        ("{{n}}", "42"),
    ],
)
def test_expression_forms_in_a_path(expression: str, value: str) -> None:
    spec = one(f"GET /users/{expression}/manager")
    segments = spec.path.split("/")
    assert len(segments) == 4
    assert unquote(segments[2]) == value


def test_path_value_is_one_encoded_segment() -> None:
    spec = one("GET /users/{{evil}}/memberOf?$top=1")
    assert spec.path == "/users/x%27%2F..%2F%3Fa%3Db%26c%23d%252F%0A%7D%7D/memberOf"
    assert spec.params == {"$top": "1"}
    assert spec.target == "/users/x%27%2F..%2F%3Fa%3Db%26c%23d%252F%0A%7D%7D/memberOf?$top=1"


@pytest.mark.parametrize("value", [".", ".."])
def test_dot_segments_are_encoded_so_they_stay_data(value: str) -> None:
    spec = one("GET /users/{{v}}/manager", {"v": value})
    assert spec.path == "/users/" + "%2E" * len(value) + "/manager"


def test_value_next_to_literal_text_in_a_segment() -> None:
    assert one("GET /users/{{uid}}-x/y", {"uid": "a/b"}).path == "/users/a%2Fb-x/y"


def test_empty_value_cannot_become_an_empty_segment() -> None:
    with pytest.raises(GraphSyntaxError) as info:
        parse_cell("DELETE /users/{{v}}", {"v": ""})
    assert "'v' is empty" in info.value.message
    assert (info.value.line, info.value.column) == (1, 15)


def test_query_value_doubles_quotes_and_stays_one_value() -> None:
    spec = one("GET /users?$filter=userPrincipalName eq '{{upn}}'&$top=2")
    assert spec.params == {"$filter": "userPrincipalName eq 'o''brien@contoso.com'", "$top": "2"}
    assert spec.target == "/users?$filter=userPrincipalName eq 'o%27%27brien%40contoso.com'&$top=2"


def test_hostile_query_value_cannot_add_parameters() -> None:
    spec = one("GET /users\n?$search={{evil}}&$top=1\n$filter: id eq '{{evil}}'")
    assert spec.params == {
        "$search": "x''/../?a=b&c#d%2F\n}}",
        "$top": "1",
        "$filter": "id eq 'x''/../?a=b&c#d%2F\n}}'",
    }


def test_query_value_literal_is_decoded_but_the_value_is_not() -> None:
    spec = one("GET /x?q=a%20{{v}}", {"v": "%20"})
    assert spec.params == {"q": "a %20"}


def test_header_value_interpolates_text() -> None:
    spec = one("GET /me\nX-Trace: run-{{n}}-{{user.id}}")
    assert spec.headers == {"X-Trace": "run-42-u-1"}


@pytest.mark.parametrize("value", ["a\nInjected: 1", "a\rb", "caf\u00e9", "\x00"])
def test_header_value_refuses_line_breaks_and_non_ascii(value: str) -> None:
    with pytest.raises(GraphSyntaxError) as info:
        parse_cell("GET /me\nX-Trace: {{v}}", {"v": value})
    assert "into header 'X-Trace'" in info.value.message
    assert (info.value.line, info.value.column) == (2, 10)


def test_json_body_bare_value_is_its_json_form() -> None:
    spec = one('POST /x\n\n{"n": {{n}}, "obj": {{obj}}, "list": [{{ items[1] }}, {{uid}}]}')
    assert spec.body == {
        "n": 42,
        "obj": {"a": [1, {"b": None}], "t": True},
        "list": ["one", "a1b2"],
    }


def test_json_body_value_inside_a_string_is_escaped_content() -> None:
    spec = one(
        'POST /x\n\n{"name": "{{evil}}", "city": "in {{ user.profile.city }}!", "n": "{{n}}"}'
    )
    assert spec.body == {"name": NS["evil"], "city": "in Zürich!", "n": "42"}


def test_json_body_string_with_a_quoted_key_inside_the_expression() -> None:
    spec = one('POST /x\n\n{"k": "{{ d["key"] }}", "{{ d[\'key\'] }}": 1}')
    assert spec.body == {"k": "v", "v": 1}


def test_whole_body_from_a_variable() -> None:
    assert one("POST /x\n\n{{obj}}").body == NS["obj"]


def test_json_body_value_cannot_glue_onto_a_number() -> None:
    with pytest.raises(GraphSyntaxError) as info:
        parse_cell('POST /x\n\n{"a": 1{{n}}}', NS)
    assert (info.value.line, info.value.column) == (3, 8)


def test_json_body_value_must_be_json() -> None:
    with pytest.raises(GraphSyntaxError) as info:
        parse_cell('POST /x\n\n{"when": {{t}}}', {"t": datetime.date(2024, 1, 2)})
    assert "'t' cannot be written as JSON (date" in info.value.message
    assert (info.value.line, info.value.column) == (3, 10)


def test_yaml_body_values_are_typed_when_bare_and_text_when_quoted() -> None:
    spec = one(
        "POST /x\n\n"
        "n: {{n}}\n"
        "quoted: '{{n}}'\n"
        "mixed: id-{{uid}}\n"
        "obj: {{obj}}\n"
        "flow: [{{ items[0] }}, {{n}}]\n"
        "{{uid}}: key from a value\n"
        "# {{not_defined_in_a_comment}}\n"
        'evil: "{{evil}}"\n'
    )
    assert spec.body == {
        "n": 42,
        "quoted": "42",
        "mixed": "id-a1b2",
        "obj": NS["obj"],
        "flow": ["zero", 42],
        "a1b2": "key from a value",
        "evil": NS["evil"],
    }


def test_yaml_error_column_maps_back_past_interpolations() -> None:
    with pytest.raises(GraphSyntaxError) as info:
        parse_cell("POST /x\n\na: [{{n}}, 2\nb: 1", NS)
    assert info.value.line == 4


def test_braces_of_plain_json_are_not_interpolation() -> None:
    assert one('POST /x\n\n{"a": {"b": {"c": 1}}}').body == {"a": {"b": {"c": 1}}}


# ---- errors in expressions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("GET /users/{{usr}}", "name 'usr' is not defined; did you mean 'user'?", 12),
        ("GET /users/{{zzz}}", "name 'zzz' is not defined", 12),
        ("GET /users/{{user.nme}}", "'user' has no .nme (no such attribute)", 18),
        ("GET /users/{{d['kye']}}", "'d' has no ['kye'] (no such key); did you mean 'key'?", 15),
        ("GET /users/{{items[5]}}", "'items' has no [5] (no such key)", 19),
        ("GET /users/{{n[0]}}", "'n' has no [0] (TypeError)", 15),
        ("GET /users/{{uid", "'{{' is not closed by '}}'", 12),
        ("GET /users/{{ uid ", "'{{' is not closed by '}}'", 12),
        ("GET /users/{{}}", "expected a variable name after '{{'", 14),
        ("GET /users/{{1 + 1}}", "expected a variable name after '{{'", 14),
        ("GET /users/{{uid + 1}}", "only a name, '.attribute' and '[key]' may stand", 18),
        ("GET /users/{{uid()}}", "only a name, '.attribute' and '[key]' may stand", 17),
        ("GET /users/{{user.__class__}}", "'__class__' is private", 19),
        ("GET /users/{{d[key]}}", "a [key] is a quoted string or a whole number", 16),
        ("GET /users/{{d['key}}", "the key's ' is not closed", 16),
        ("GET /users/{{d['key'}}", "expected ']'", 21),
        ("GET /users/{{d.}}", "expected an attribute name after '.'", 16),
        ("GET https://{{host}}/v1.0/me", "{{...}} cannot be part of the scheme or host", 13),
        ("GET /users?{{uid}}=1", "{{...}} cannot be a query option's name", 12),
    ],
)
def test_expression_errors_point_at_the_spot(text: str, message: str, column: int) -> None:
    with pytest.raises(GraphSyntaxError) as info:
        parse_cell(text, NS)
    assert message in info.value.message
    assert (info.value.line, info.value.column) == (1, column)


def test_missing_name_without_a_namespace() -> None:
    with pytest.raises(GraphSyntaxError) as info:
        parse_cell("GET /users/{{uid}}")
    assert info.value.message == "name 'uid' is not defined"


def test_raising_attribute_and_str_become_syntax_errors() -> None:
    class Awkward:
        @property
        def boom(self) -> str:
            raise RuntimeError("no")

        def __str__(self) -> str:
            raise ValueError("no")

    with pytest.raises(GraphSyntaxError, match=r"has no \.boom"):
        parse_cell("GET /users/{{a.boom}}", {"a": Awkward()})
    with pytest.raises(GraphSyntaxError, match="cannot be shown as text"):
        parse_cell("GET /users/{{a}}", {"a": Awkward()})
