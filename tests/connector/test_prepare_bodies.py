"""What goes on the wire for a pasted doc example: framing headers dropped, bodies as typed.

The builder is checked directly, and the promise of issue #18 over real HTTP: a POST pasted
with the docs' ``Content-Length`` reaches the served sandbox and is answered 201 (it used to
fail in the HTTP client with a raw ``h11.LocalProtocolError``).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from graph_magic.connector.client import GraphConnector
from graph_magic.notebook.cell import parse_cell
from graph_magic.notebook.dry_run import batch_request, command_config, describe_requests
from graph_magic.sandbox import create_app
from tests.connector.connector_kit import make_system
from tests.reliability.reliability_kit import app_token, bearer_system, new_user, options, served
from tests.support.fakes import FixedTokenProvider, RecordingSleep


def _built(cell: str, namespace: dict[str, Any] | None = None) -> Any:
    (spec,) = parse_cell(cell, namespace or {})
    connector = GraphConnector(make_system(), token_provider=FixedTokenProvider("t"))
    return connector.build_request(command_config(spec))


def test_framing_headers_are_dropped_and_named() -> None:
    request = _built(
        "POST /users\nContent-Length: 94\nhost: graph.microsoft.com\nTransfer-Encoding: chunked\n"
        'X-Trace: 1\n\n{"a": 1}'
    )
    assert {k.lower() for k in request.headers} == {"x-trace", "content-type", "client-request-id"}
    assert request.dropped == ("Content-Length", "host", "Transfer-Encoding")
    assert request.content == b'{"a": 1}'


def test_a_bytes_body_is_sent_exactly_with_its_content_type() -> None:
    request = _built("PUT /me/photo/$value\nContent-Type: image/jpeg\n\n{{p}}", {"p": b"\xff\xd8"})
    assert request.content == b"\xff\xd8" and request.headers["Content-Type"] == "image/jpeg"


def test_bytes_without_a_content_type_go_as_octet_stream() -> None:
    request = _built("PUT /me/drive/items/1/content\n\n{{p}}", {"p": b"PK"})
    assert request.headers["Content-Type"] == "application/octet-stream"


def test_a_text_body_is_sent_as_its_text() -> None:
    request = _built("PUT /me/drive/items/1/content\nContent-Type: text/plain\n\nThe contents")
    assert request.content == b"The contents" and request.headers["Content-Type"] == "text/plain"


def test_plus_and_spaces_reach_the_wire_as_graph_reads_them() -> None:
    request = _built("GET /groups?$filter=hasMembersWithLicenseErrors+eq+true")
    assert request.target.endswith("/groups?$filter=hasMembersWithLicenseErrors%20eq%20true")
    request = _built("GET /me/drive/root/search(q='Contoso Project')")
    assert httpx.URL(request.url).raw_path == b"/v1.0/me/drive/root/search(q='Contoso%20Project')"


def test_the_dry_run_leaves_framing_headers_out_and_says_so() -> None:
    specs = parse_cell('POST /users\nContent-Length: 94\nHost: x\n\n{"a": 1}')
    connector = GraphConnector(make_system(), token_provider=FixedTokenProvider("t"))
    text = describe_requests(specs, connector, ())
    assert "Content-Length" not in text.split("\n\n")[0] and "Host" not in text.split("\n\n")[0]
    note, footer = text.rsplit("\n\n", 1)[1].split("\n")
    assert note == "(not sent: Content-Length, Host; the HTTP client sets framing headers itself)"
    assert footer.startswith("(dry run: 1 request")


def test_the_dry_run_shows_text_as_text_and_counts_bytes() -> None:
    connector = GraphConnector(make_system(), token_provider=FixedTokenProvider("t"))
    text = describe_requests(
        parse_cell("PUT /x\nContent-Type: text/plain\n\nhi Zoë"), connector, ()
    )
    assert "\n\nhi Zoë\n\n(dry run" in text
    cell = "PUT /me/photo/$value\nContent-Type: image/jpeg\n\n{{p}}"
    text = describe_requests(parse_cell(cell, {"p": b"\xff\xd8" * 600}), connector, ())
    assert "Content-Type: image/jpeg\n\n(1,200 bytes)\n\n(dry run" in text


def test_a_batch_leaves_framing_headers_out() -> None:
    specs = parse_cell('### a\nPOST /users\nContent-Length: 9\n\n{"a": 1}\n### b\nGET /me')
    assert "headers" not in batch_request(specs[0])
    connector = GraphConnector(make_system(), token_provider=FixedTokenProvider("t"))
    text = describe_requests(specs, connector, ())
    assert "(not sent: Content-Length;" in text and "Content-Length: 9" not in text


async def test_a_pasted_post_with_the_docs_content_length_succeeds_over_http() -> None:
    app = create_app(options(5))
    body = json.dumps(new_user("pasted"), indent=2)
    cell = "POST https://graph.microsoft.com/v1.0/users\nContent-type: application/json\n"
    cell += f"Content-length: {len(body) + 40}\nHost: graph.microsoft.com\n\n{body}"
    (spec,) = parse_cell(cell)
    with served(app) as server:
        system = bearer_system(app_token(app), base_url=server.url())
        async with GraphConnector(system, sleep=RecordingSleep()) as connector:
            out = await connector.perform_action("user", "create", None, command_config(spec))
    answer = out["response"]
    assert answer["status_code"] == 201
    assert answer["data"]["userPrincipalName"] == "pasted@contoso.com"
