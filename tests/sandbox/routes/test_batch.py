"""$batch: envelope rules, per-item answers through the same routes, dependsOn and 424."""

from __future__ import annotations

import base64

import httpx

from graph_magic.sandbox import create_app
from tests.sandbox.sandbox_kit import GRAPH, bearer, error_of


async def test_batch_runs_each_item_through_the_routes(client, app):
    user = app.state.tenant.users[2]
    r = await client.post(
        "/v1.0/$batch",
        json={
            "requests": [
                {"id": "1", "method": "GET", "url": "/users?$top=2&$select=id"},
                {"id": "2", "method": "GET", "url": f"users/{user['id']}/manager"},
                {
                    "id": "3",
                    "method": "GET",
                    "url": "/users/$count",
                    "headers": {"ConsistencyLevel": "eventual"},
                },
                {"id": "4", "method": "GET", "url": "/users/does-not-exist"},
            ]
        },
    )
    assert r.status_code == 200
    items = {i["id"]: i for i in r.json()["responses"]}
    assert [i["id"] for i in r.json()["responses"]] == ["1", "2", "3", "4"]
    assert items["1"]["status"] == 200 and len(items["1"]["body"]["value"]) == 2
    assert items["1"]["headers"]["Content-Type"].startswith("application/json;odata.metadata")
    assert items["2"]["body"]["@odata.type"] == "#microsoft.graph.user"
    assert items["3"]["body"] == "250"
    assert items["4"]["status"] == 404
    assert items["4"]["body"]["error"]["code"] == "Request_ResourceNotFound"


async def test_depends_on_a_failure_gives_424(client):
    r = await client.post(
        "/v1.0/$batch",
        json={
            "requests": [
                {"id": "a", "method": "GET", "url": "/users/missing"},
                {"id": "b", "method": "GET", "url": "/users?$top=1", "dependsOn": ["a"]},
                {"id": "c", "method": "GET", "url": "/users?$top=1", "dependsOn": ["b"]},
            ]
        },
    )
    statuses = [(i["id"], i["status"]) for i in r.json()["responses"]]
    assert statuses == [("a", 404), ("b", 424), ("c", 424)]


async def test_batch_writes_need_content_type(client):
    body = {"requests": [{"id": "1", "method": "POST", "url": "/users", "body": {}}]}
    r = await client.post("/v1.0/$batch", json=body)
    assert error_of(r) == (
        400,
        "BadRequest",
        "Write request id : 1 does not contain Content-Type header or body.",
    )


async def test_malformed_oversized_and_duplicate_batches_are_400(client):
    r = await client.post("/v1.0/$batch", json={"nope": []})
    assert error_of(r) == (400, "BadRequest", "Invalid batch payload format.")
    many = [{"id": str(i), "method": "GET", "url": "/users"} for i in range(21)]
    assert error_of(await client.post("/v1.0/$batch", json={"requests": many}))[:2] == (
        400,
        "BadRequest",
    )
    twice = [{"id": "1", "method": "GET", "url": "/users"}] * 2
    assert error_of(await client.post("/v1.0/$batch", json={"requests": twice})) == (
        400,
        "BadRequest",
        "Request Id 1 has to be unique in a batch.",
    )
    r = await client.post(
        "/v1.0/$batch", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400


async def test_batch_write_then_read(client):
    new = {
        "accountEnabled": True,
        "displayName": "Batch Made",
        "mailNickname": "batchmade",
        "userPrincipalName": "batchmade@contoso.com",
        "passwordProfile": {"password": "x"},
    }
    r = await client.post(
        "/v1.0/$batch",
        json={
            "requests": [
                {
                    "id": "1",
                    "method": "POST",
                    "url": "/users",
                    "body": new,
                    "headers": {"Content-Type": "application/json"},
                },
                {
                    "id": "2",
                    "method": "GET",
                    "url": "/users/batchmade@contoso.com",
                    "dependsOn": ["1"],
                },
            ]
        },
    )
    first, second = r.json()["responses"]
    assert first["status"] == 201 and second["status"] == 200
    assert second["body"]["id"] == first["body"]["id"]


async def test_item_429_from_fault_settings_keeps_envelope_200():
    app = create_app({"users": 20, "faults": {"batch_item_429_rate": 1.0, "retry_after": 3}})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=bearer(app)
    ) as c:
        r = await c.post(
            "/v1.0/$batch", json={"requests": [{"id": "1", "method": "GET", "url": "/users"}]}
        )
    assert r.status_code == 200
    item = r.json()["responses"][0]
    assert item["id"] == "1" and item["status"] == 429
    assert item["headers"]["Retry-After"] == "3"
    assert item["body"]["error"]["code"] == "TooManyRequests"


async def test_a_base64_body_is_decoded_and_bad_base64_refuses_the_whole_batch(client, app):
    user = app.state.tenant.users[2]
    text = base64.b64encode(b'{"jobTitle": "From base64"}').decode()
    patch = {
        "id": "1",
        "method": "PATCH",
        "url": f"/users/{user['id']}",
        "headers": {"Content-Type": "text/plain"},
        "body": text,
    }
    r = await client.post("/v1.0/$batch", json={"requests": [patch]})
    assert r.json()["responses"][0]["status"] == 204 and user["jobTitle"] == "From base64"
    first = {**patch, "body": base64.b64encode(b'{"jobTitle": "Not written"}').decode()}
    broken = {**patch, "id": "2", "body": "not base64!"}
    r = await client.post("/v1.0/$batch", json={"requests": [first, broken]})
    assert error_of(r) == (400, "BadRequest", "Invalid batch payload format.")
    assert user["jobTitle"] == "From base64"
