"""What the sandbox answers from Graph's metadata: ``$metadata``, and the 501 for real Graph it
does not model (a path that is not Graph keeps Graph's own 400, a wrong method its 405)."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from tests.sandbox.sandbox_kit import GRAPH, error_of

SOURCE_CSDL = "v1.0-Prod.csdl"


async def test_metadata_is_the_global_csdl_served_to_anyone(app) -> None:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=GRAPH) as c:
        r = await c.get("/v1.0/$metadata")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/xml;charset=utf-8"
    assert r.headers["request-id"] and r.headers["date"]
    assert r.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<edmx:Edmx')
    assert b'<Singleton Name="me" Type="microsoft.graph.user"' in r.content


async def test_metadata_is_byte_for_byte_microsofts_document(client, app) -> None:
    from tests.knowledge.conftest import SOURCE

    if not (SOURCE / SOURCE_CSDL).exists():
        pytest.skip(f"no Graph metadata at {SOURCE}")
    r = await client.get("/v1.0/$METADATA")  # with a token too, and in any case
    expected = hashlib.sha256((SOURCE / SOURCE_CSDL).read_bytes()).hexdigest()
    assert hashlib.sha256(r.content).hexdigest() == expected


@pytest.mark.parametrize(
    ("cloud", "csdl"), [("usgov", "v1.0-Fairfax.csdl"), ("china", "v1.0-Mooncake.csdl")]
)
async def test_a_sandbox_standing_in_for_a_cloud_serves_that_clouds_metadata(
    cloud: str, csdl: str
) -> None:
    from graph_magic.sandbox import create_app
    from tests.knowledge.conftest import SOURCE

    app = create_app({"cloud": cloud, "users": 3, "groups": 1, "devices": 1, "sign_ins": 1})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=GRAPH) as c:
        r = await c.get("/v1.0/$metadata")
    assert r.status_code == 200
    if (SOURCE / csdl).exists():
        assert r.content == (SOURCE / csdl).read_bytes()
    prod = SOURCE / SOURCE_CSDL
    if prod.exists():
        assert r.content != prod.read_bytes()


async def test_beta_metadata_is_not_modelled_and_metadata_is_read_only(client) -> None:
    status, code, message = error_of(await client.get("/beta/$metadata"))
    assert (status, code) == (501, "NotImplemented")
    assert message.startswith("The sandbox does not model GET /beta/$metadata:")
    r = await client.post("/v1.0/$metadata", json={})
    assert error_of(r)[0] == 405


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1.0/sites"),
        ("GET", "/v1.0/groups/0a1b/events"),
        ("GET", "/v1.0/teams/0a1b/channels"),
        ("POST", "/v1.0/users/0a1b/sendMail"),
        ("GET", "/beta/education/classes"),
    ],
)
async def test_real_graph_the_sandbox_lacks_is_a_501_naming_method_and_path(
    client, method: str, path: str
) -> None:
    r = await client.request(method, path, json={} if method == "POST" else None)
    assert error_of(r) == (
        501,
        "NotImplemented",
        f"The sandbox does not model {method} {path}: it is real Microsoft Graph (Graph's v1.0 "
        "metadata knows it), but the offline sandbox tenant does not answer it.",
    )
    inner = r.json()["error"]["innerError"]
    assert inner["request-id"] == r.headers["request-id"]


@pytest.mark.parametrize(
    ("path", "segment"),
    [
        ("/v1.0/nothingHere", "nothingHere"),
        ("/v1.0/groups/0a1b/ownerz", "ownerz"),
        ("/v1.0/users/0a1b/memberOf/microsoft.graph.message", "microsoft.graph.message"),
    ],
)
async def test_a_path_that_is_not_graph_keeps_graphs_400(client, path: str, segment: str) -> None:
    assert error_of(await client.get(path)) == (
        400,
        "BadRequest",
        f"Resource not found for the segment '{segment}'.",
    )


async def test_a_method_graph_has_on_a_modelled_route_is_the_501(client, app) -> None:
    org_id = app.state.tenant.organization[0]["id"]
    status, code, message = error_of(
        await client.patch(f"/v1.0/organization/{org_id}", json={"marketingNotificationEmails": []})
    )
    assert (status, code) == (501, "NotImplemented")
    assert message.startswith(f"The sandbox does not model PATCH /v1.0/organization/{org_id}:")
    # Graph has no PUT on /users: that stays Graph's 405
    assert error_of(await client.put("/v1.0/users", json={})) == (
        405,
        "Request_BadRequest",
        "Specified HTTP method is not allowed for the request target.",
    )


async def test_the_501_reaches_batch_items(client) -> None:
    r = await client.post(
        "/v1.0/$batch",
        json={"requests": [{"id": "1", "method": "GET", "url": "/sites"}]},
    )
    item = r.json()["responses"][0]
    assert item["status"] == 501
    assert item["body"]["error"]["message"].startswith(
        "The sandbox does not model GET /v1.0/sites:"
    )
