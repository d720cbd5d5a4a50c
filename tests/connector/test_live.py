"""The same scenarios against a real tenant: ``pytest -m live`` with GRAPH_* set (never in CI)."""

from __future__ import annotations

import os

import pytest

from graph_magic.connector.client import GraphConnector

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(
        not all(
            os.environ.get(name)
            for name in ("GRAPH_TENANT_ID", "GRAPH_CLIENT_ID", "GRAPH_CLIENT_SECRET")
        ),
        reason="set GRAPH_TENANT_ID, GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET to run live tests",
    ),
]


@pytest.fixture
async def live():
    async with GraphConnector("graph") as conn:
        yield conn


async def test_paging_with_max_items(live):
    out = await live.perform_action(
        "user",
        "list",
        None,
        {
            "method": "GET",
            "endpoint": "/users",
            "params": {"$top": 5, "$select": "id"},
            "max_items": 12,
        },
    )
    resp = out["response"]
    assert len(resp["data"]["value"]) <= 12 and resp["request_id"]
    if len(resp["data"]["value"]) == 12:
        assert resp["pages"] == 3


async def test_advanced_search_counts(live):
    out = await live.perform_action(
        "user",
        "search",
        None,
        {
            "method": "GET",
            "endpoint": "/users",
            "params": {"$search": '"displayName:a"'},
            "max_items": 50,
        },
    )
    assert out["response"]["advanced_query"] is True
    assert "@odata.count" in out["response"]["data"]


async def test_batch_in_order(live):
    out = await live.perform_batch(
        [{"method": "GET", "url": "/organization"}, {"method": "GET", "url": "/users?$top=1"}],
        continue_on_error=True,
    )
    assert [d["id"] for d in out["response"]["data"]] == ["1", "2"]
