"""Collections are made on first read, and that changes no byte of what the tenant answers.

A first request for ``/users`` pays for the users only. Whatever order requests read the
collections in, and whether a write came first, the same seed gives the same data: each
generator draws from its own seeded stream, and the app makes every collection still missing
before the first write, so none is drawn from data a write changed.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import httpx

from graph_magic.sandbox import SandboxOptions, Tenant, create_app
from graph_magic.sandbox.tenant.builders import BUILDERS
from tests.sandbox.sandbox_kit import GRAPH, bearer

OPTIONS = {"seed": 5, "users": 70, "groups": 8, "devices": 12, "sign_ins": 60}
COLLECTIONS = [name for builder in BUILDERS for name in builder.provides]


def _dump(tenant: Tenant, names: list[str]) -> dict[str, str]:
    """Each collection as JSON text (the security tables through their dataclass fields)."""
    return {
        name: json.dumps(getattr(tenant, name), sort_keys=True, default=asdict) for name in names
    }


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app), base_url=GRAPH, headers=bearer(app)
    )


async def test_a_users_page_makes_the_users_and_nothing_else() -> None:
    app = create_app(OPTIONS)
    async with _client(app) as client:
        page = await client.get("/v1.0/users", params={"$top": "3"})
    assert page.status_code == 200 and len(page.json()["value"]) == 3
    made = [name for name in COLLECTIONS if name in vars(app.state.tenant)]
    assert made == ["users", "manager_of"]


def test_the_order_collections_are_read_in_changes_none_of_them() -> None:
    options = SandboxOptions.from_dict(OPTIONS)
    forward = _dump(Tenant(options), COLLECTIONS)
    backward = _dump(Tenant(options), COLLECTIONS[::-1])
    assert forward == backward
    settled = Tenant(options)
    settled.settle()
    assert set(COLLECTIONS) <= set(vars(settled))
    assert _dump(settled, COLLECTIONS) == forward


async def test_a_write_before_the_first_read_of_a_collection_does_not_change_it() -> None:
    """Rename the user of the newest sign-in, then read the sign-ins: they show the name the
    user was generated with, as they would have had they been read before the write."""
    plain, written = create_app(OPTIONS), create_app(OPTIONS)
    async with _client(plain) as client:
        before = await client.get("/v1.0/auditLogs/signIns", params={"$top": "5"})
    user_id = before.json()["value"][0]["userId"]
    async with _client(written) as client:
        renamed = await client.patch(f"/v1.0/users/{user_id}", json={"displayName": "Renamed"})
        after = await client.get("/v1.0/auditLogs/signIns", params={"$top": "5"})
    assert renamed.status_code == 204
    assert written.state.tenant.find_user(user_id)["displayName"] == "Renamed"
    assert after.content == before.content
    assert "Renamed" not in after.text


async def test_an_object_is_found_by_id_before_its_collection_was_listed() -> None:
    device = Tenant(SandboxOptions.from_dict(OPTIONS)).devices[3]
    app = create_app(OPTIONS)
    async with _client(app) as client:
        found = await client.get(f"/v1.0/devices/{device['id']}", params={"$select": "id"})
        missing = await client.get("/v1.0/devices/00000000-0000-4000-8000-000000000000")
    assert found.status_code == 200 and found.json()["id"] == device["id"]
    assert missing.status_code == 404
