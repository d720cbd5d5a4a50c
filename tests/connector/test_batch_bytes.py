"""Bytes bodies inside a ``$batch``: sent as base64 with the item's Content-Type (Graph's JSON
batching carries a body as JSON or base64), shown counted in a dry run, and decoded by the
served sandbox into the very bytes the cell held."""

from __future__ import annotations

import base64

import pytest

from graph_magic.connector.batch import normalize_requests
from graph_magic.connector.client import GraphConnector
from graph_magic.notebook.cell import parse_cell
from graph_magic.notebook.dry_run import batch_request, describe_requests
from graph_magic.sandbox import create_app
from tests.connector.connector_kit import make_system
from tests.reliability.reliability_kit import app_token, bearer_system, options, served
from tests.support.fakes import FixedTokenProvider, RecordingSleep
from tests.support.graph import GRAPH

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4


def wire(request: dict) -> dict:
    (item,) = normalize_requests([request], base_url=GRAPH)
    return item.to_wire(set())


def test_bytes_go_as_base64_with_their_content_type() -> None:
    sent = wire(
        {"method": "PUT", "url": "/me/photo/$value", "headers": {"Content-Type": "image/jpeg"},
         "body": PHOTO}
    )  # fmt: skip
    assert base64.b64decode(sent["body"]) == PHOTO
    assert sent["headers"] == {"Content-Type": "image/jpeg"}


def test_bytes_without_a_content_type_are_octet_stream() -> None:
    sent = wire({"method": "PUT", "url": "/me/drive/items/1/content", "body": b"PK\x03\x04"})
    assert sent["headers"] == {"Content-Type": "application/octet-stream"}
    assert sent["body"] == base64.b64encode(b"PK\x03\x04").decode()


def test_bytes_declared_json_go_as_json_and_bad_json_is_refused() -> None:
    sent = wire(
        {"method": "PATCH", "url": "/me", "headers": {"content-type": "application/json"},
         "body": b'{"jobTitle": "x"}'}
    )  # fmt: skip
    assert sent["body"] == {"jobTitle": "x"}
    with pytest.raises(ValueError, match="declared JSON"):
        wire(
            {"method": "PATCH", "url": "/me", "headers": {"Content-Type": "application/json"},
             "body": b"\xff"}
        )  # fmt: skip


def test_a_batched_photo_is_counted_in_the_dry_run() -> None:
    cell = "### photo\nPUT /me/photo/$value\nContent-Type: image/jpeg\n\n{{p}}\n### me\nGET /me"
    specs = parse_cell(cell, {"p": PHOTO})
    assert batch_request(specs[0])["body"] == PHOTO
    connector = GraphConnector(make_system(), token_provider=FixedTokenProvider("t"))
    text = describe_requests(specs, connector, ())
    assert f"Content-Type: image/jpeg\n\n({len(PHOTO):,} bytes, sent base64-encoded)" in text
    assert base64.b64encode(PHOTO).decode()[:40] not in text


async def test_the_served_sandbox_receives_the_bytes_the_cell_held() -> None:
    """A text body (the cell encodes it to bytes) batched to PATCH a user: the sandbox decodes
    the base64, reads the JSON text it holds, and the user changes."""
    app = create_app(options(5))
    user = app.state.tenant.users[1]
    cell = (
        f"### a\nPATCH /users/{user['id']}\nContent-Type: text/plain\n\n"
        '{"jobTitle": "Sent as bytes"}\n### b\nGET /organization'
    )
    specs = parse_cell(cell)
    with served(app) as server:
        system = bearer_system(app_token(app), base_url=server.url())
        async with GraphConnector(system, sleep=RecordingSleep()) as connector:
            out = await connector.perform_batch([batch_request(s) for s in specs])
    statuses = {sub["id"]: sub["status"] for sub in out["response"]["data"]}
    assert statuses == {"a": 204, "b": 200}
    assert user["jobTitle"] == "Sent as bytes"
