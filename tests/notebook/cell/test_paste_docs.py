"""Requests as Graph's documentation prints them parse as the docs mean them (issue #18).

A query string is read as a browser reads it (``+`` a space), a space inside a function's
argument is data, and a body is read as its Content-Type says: text as text, bytes only from a
``bytes`` value standing alone.
"""

from __future__ import annotations

import pytest

from graph_magic.errors import GraphSyntaxError
from graph_magic.notebook.cell import RequestSpec, parse_cell


def one(text: str, namespace: dict | None = None) -> RequestSpec:
    (spec,) = parse_cell(text, namespace or {})
    return spec


def error_of(text: str, namespace: dict | None = None) -> GraphSyntaxError:
    with pytest.raises(GraphSyntaxError) as info:
        parse_cell(text, namespace or {})
    return info.value


# ---- + in a query string ------------------------------------------------------------------------


def test_plus_in_the_request_line_query_is_a_space() -> None:
    spec = one(
        "GET https://graph.microsoft.com/v1.0/groups?$filter=hasMembersWithLicenseErrors+eq+true"
    )
    assert spec.params == {"$filter": "hasMembersWithLicenseErrors eq true"}
    assert spec.target.endswith("$filter=hasMembersWithLicenseErrors+eq+true")  # as written


def test_plus_on_query_lines_is_a_space_and_percent_2b_is_a_plus() -> None:
    spec = one('GET /users\n?$search="display+name"\n&x=a%2Bb+c')
    assert spec.params == {"$search": '"display name"', "x": "a+b c"}


def test_plus_on_an_option_line_is_sent_as_written() -> None:
    assert one("GET /users\n$filter: a+b eq 'c+d'").params == {"$filter": "a+b eq 'c+d'"}


def test_a_values_plus_is_data_in_a_query_string() -> None:
    spec = one("GET /users?$filter=mail eq '{{m}}'", {"m": "a+b@contoso.com"})
    assert spec.params == {"$filter": "mail eq 'a+b@contoso.com'"}


# ---- spaces in a function's argument ------------------------------------------------------------


def test_a_space_in_a_function_argument_is_sent_percent_encoded() -> None:
    spec = one("GET https://graph.microsoft.com/v1.0/me/drive/root/search(q='Contoso Project')")
    assert spec.path == "/me/drive/root/search(q='Contoso%20Project')"


def test_a_space_in_an_argument_next_to_a_value() -> None:
    spec = one("GET /me/drive/root/search(q='{{w}} Project')", {"w": "a/b"})
    assert spec.path == "/me/drive/root/search(q='a%2Fb%20Project')"


def test_a_space_outside_parentheses_is_still_refused() -> None:
    error = error_of("GET /me/drive/root/search(q='x') y")
    assert "a space in the path" in error.message and error.column == 33


# ---- bodies that are not JSON -------------------------------------------------------------------


def test_a_text_plain_body_is_sent_as_the_text_written() -> None:
    spec = one(
        "PUT /me/drive/items/1/content\nContent-Type: text/plain\n\n"
        "# The contents of the file\n{not json}: {{name}}\n\n",
        {"name": "Zoë"},
    )
    assert spec.body == "# The contents of the file\n{not json}: Zoë".encode()


def test_a_text_body_uses_the_charset_the_content_type_names() -> None:
    spec = one("PUT /x/content\nContent-Type: text/plain; charset=iso-8859-1\n\nZoë")
    assert spec.body == "Zoë".encode("latin-1")
    error = error_of("PUT /x/content\nContent-Type: text/plain; charset=ascii\n\nZoë")
    assert "charset 'ascii' cannot carry" in error.message and error.line == 4


def test_a_multipart_body_has_crlf_line_ends() -> None:
    spec = one(
        "POST /me/onenote/pages\nContent-Type: multipart/form-data; boundary=b\n\n--b\nx\n--b--"
    )
    assert spec.body == b"--b\r\nx\r\n--b--"


@pytest.mark.parametrize("media", ["application/zip", "application/octet-stream", "image/jpeg"])
def test_a_binary_content_type_refuses_text_and_says_how_to_send_bytes(media: str) -> None:
    error = error_of(f'PUT /me/photo/$value\nContent-Type: {media}\n\n  ["binary data"]')
    assert (error.line, error.column) == (4, 3)
    assert f"Content-Type {media} means bytes" in error.message
    assert "{{data}} alone as the body" in error.message


@pytest.mark.parametrize("data", [b"\xff\xd8\x00", bytearray(b"PK\x03\x04")])
def test_a_bytes_value_alone_is_the_body(data: bytes) -> None:
    spec = one("PUT /me/photo/$value\nContent-Type: image/jpeg\n\n  {{ data }}\n", {"data": data})
    assert spec.body == bytes(data) and type(spec.body) is bytes


def test_a_bytes_value_with_other_text_is_not_the_body() -> None:
    error = error_of("PUT /x\nContent-Type: application/zip\n\nzip: {{data}}", {"data": b"x"})
    assert "means bytes" in error.message


def test_json_bodies_are_read_as_before() -> None:
    spec = one('POST /users\nContent-type: application/json\n\n# a comment\n{"a": 1}')
    assert spec.body == {"a": 1}
    assert one("POST /users\n\nname: x").body == {"name": "x"}  # no Content-Type: JSON or YAML


def test_framing_headers_are_kept_by_the_grammar_for_the_connector_to_drop() -> None:
    # The cell says what was pasted; connector.prepare leaves them off the wire.
    spec = one('POST /users\nContent-Length: 94\nHost: graph.microsoft.com\n\n{"a": 1}')
    assert spec.headers == {"Content-Length": "94", "Host": "graph.microsoft.com"}


def test_a_docs_placeholder_with_spaces_is_named() -> None:
    error = error_of("GET /users/{id | userPrincipalName}/memberOf")
    assert error.message.startswith("'{id | userPrincipalName}' is a placeholder from the docs")
    assert (error.line, error.column) == (1, 12)
