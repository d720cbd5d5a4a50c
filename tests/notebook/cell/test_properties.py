"""Property-based: no input escapes as anything but GraphSyntaxError; values round-trip as data."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_magic.errors import GraphSyntaxError
from graph_magic.notebook.cell import RequestSpec, parse_cell

MODEST = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

FRAGMENTS = [
    "GET", "post", "PATCH", "GTE", " ", "  ", "\t", "\n", "\n\n", "\r\n", "/users", "users/", "me",
    "https://graph.microsoft.com/v1.0/", "https://evil.com/", "/beta/", "v1.0", "HTTP/1.1",
    "{{", "}}", "{{x}}", "{{ d['k'] }}", '{{d["k"][0]}}', "{{n.real}}", "{{missing}}", "{{x",
    "\\", "\\{{", "\\\\{{x}}",
    "###", "### a", "### b after a", " after ", ",", "$top", "$filter", ":", "=", "?", "&", "#",
    "{", "}", "[", "]", '"', "'", "''", "%", "%2F", "%FF", "..", ".", "Content-Type", "X-A",
    "null", "true", "1", "-", "- ", "a: 1", "!!binary", "&anchor", "*anchor", "\x00", "é", "\u2028",
]  # fmt: skip

NAMESPACE = {"x": "v/'&?#", "d": {"k": [1, "two"]}, "n": 5}

HOSTILE = [
    "'", "''", "' or 1 eq 1 or '", "&", "&$top=999", "#", "?", "/", "..", ".", "../..", "%2F",
    "%25", "%", "\n", "\r\n", "}}", "{{x}}", "a\u2028b", "ünï©ødé 🚀", '"', "\\", "\\u0000", " ",
    "$filter=x", "a=b&c=d", "\x00", "\t",
]  # fmt: skip

cells = st.one_of(
    st.text(),
    st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=5)), max_size=20).map("".join),
)

hostile_text = st.one_of(
    st.text(),
    st.sampled_from(HOSTILE),
    st.lists(st.sampled_from(HOSTILE), min_size=1, max_size=5).map("".join),
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | hostile_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=8,
)


def _check_spec(spec: RequestSpec) -> None:
    assert spec.method in {"GET", "POST", "PATCH", "PUT", "DELETE"}
    assert spec.path.startswith("/")
    assert "?" not in spec.path
    assert spec.version in {None, "v1.0", "beta"}
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in spec.params.items())
    assert all("\n" not in v and "\r" not in v for v in spec.headers.values())
    assert spec.line >= 1
    json.dumps(spec.body, allow_nan=False)  # whatever parsed can be sent as JSON


@MODEST
@given(text=cells, with_namespace=st.booleans())
def test_any_text_parses_or_raises_graph_syntax_error(text: str, with_namespace: bool) -> None:
    try:
        specs = parse_cell(text, NAMESPACE if with_namespace else None)
    except GraphSyntaxError as error:
        assert 1 <= error.line <= len(text.split("\n"))
        assert error.column >= 1
        assert error.source_line == text.split("\n")[error.line - 1].removesuffix("\r")
        return
    assert specs
    assert len({spec.id for spec in specs}) == len(specs)
    for spec in specs:
        _check_spec(spec)


JSON_CELL = """POST /users/{{v}}/items?$filter=name eq '{{v}}'&$top=5
$search: "{{v}}"
&extra={{v}}
X-Static: fixed
Content-Type: application/json

{"name": "{{v}}", "raw": {{j}}, "n": 1}
"""

YAML_CELL = """POST /users/{{v}}/items?$filter=name eq '{{v}}'&$top=5
$search: "{{v}}"
&extra={{v}}
X-Static: fixed
Content-Type: application/json

name: "{{v}}"
raw: {{j}}
n: 1
"""


def _odata_unescape(text: str) -> str:
    return text.replace("''", "'")


@settings(MODEST, max_examples=150)
@pytest.mark.parametrize("cell", [JSON_CELL, YAML_CELL], ids=["json", "yaml"])
@given(value=hostile_text, raw=json_values)
def test_hostile_values_stay_data_in_every_position(cell: str, value: str, raw: Any) -> None:
    namespace = {"v": value, "j": raw}
    if value == "":
        with pytest.raises(GraphSyntaxError, match="'v' is empty"):
            parse_cell(cell, namespace)
        return
    (spec,) = parse_cell(cell, namespace)
    assert spec.method == "POST"
    segments = spec.path.split("/")
    assert len(segments) == 4
    assert segments[:2] == ["", "users"]
    assert segments[3] == "items"
    assert unquote(segments[2]) == value
    sent = httpx.URL("https://graph.microsoft.com/v1.0" + spec.path).raw_path.decode()
    assert sent == "/v1.0" + spec.path  # no dot segment for an HTTP client to fold away
    assert list(spec.params) == ["$filter", "$top", "$search", "extra"]
    assert spec.params["$filter"].startswith("name eq '")
    assert spec.params["$filter"].endswith("'")
    assert _odata_unescape(spec.params["$filter"][len("name eq '") : -1]) == value
    assert spec.params["$top"] == "5"
    assert _odata_unescape(spec.params["$search"][1:-1]) == value
    assert _odata_unescape(spec.params["extra"]) == value
    assert spec.headers == {"X-Static": "fixed", "Content-Type": "application/json"}
    assert spec.body == {"name": value, "raw": json.loads(json.dumps(raw)), "n": 1}


@MODEST
@given(value=hostile_text)
def test_header_values_are_kept_or_refused_never_split(value: str) -> None:
    cell = "GET /me\nX-Value: {{v}}\nX-After: 1"
    try:
        (spec,) = parse_cell(cell, {"v": value})
    except GraphSyntaxError as error:
        assert any(c in value for c in "\r\n") or any(
            (ord(c) < 32 and c != "\t") or ord(c) > 126 for c in value
        )
        assert (error.line, error.column) == (2, 10)
        return
    assert spec.headers == {"X-Value": value, "X-After": "1"}
