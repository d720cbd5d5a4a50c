"""The connector against the in-process sandbox tenant: real msal auth, paging, batch, faults."""

from __future__ import annotations

import dataclasses

import pytest

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import load_system
from graph_magic.errors import GraphAPIError
from graph_magic.sandbox.options import FaultOptions
from tests.support.fakes import RecordingSleep


@pytest.fixture
async def sandbox():
    async with GraphConnector("sandbox", sleep=RecordingSleep()) as conn:
        yield conn


async def test_pages_through_every_user(sandbox):
    out = await sandbox.perform_action(
        "user",
        "list",
        None,
        {"method": "GET", "endpoint": "/users", "params": {"$top": 50, "$select": "id"}},
    )
    resp = out["response"]
    ids = [u["id"] for u in resp["data"]["value"]]
    assert resp["pages"] == 5 and len(ids) == len(set(ids)) == 250
    assert resp["advanced_query"] is False and resp["request_id"]


async def test_search_goes_in_advanced_mode_and_counts(sandbox):
    out = await sandbox.perform_action(
        "user",
        "search",
        None,
        {"method": "GET", "endpoint": "/users", "params": {"$search": '"displayName:a"'}},
    )
    data = out["response"]["data"]
    assert out["response"]["advanced_query"] is True
    assert data["@odata.count"] == len(data["value"]) > 0


async def test_count_segment_is_text(sandbox):
    out = await sandbox.perform_action(
        "user", "count", None, {"method": "GET", "endpoint": "/users/$count"}
    )
    assert out["response"]["data"] == "250"


async def test_batch_of_25_in_order(sandbox):
    users = await sandbox.perform_action(
        "user",
        "list",
        None,
        {
            "method": "GET",
            "endpoint": "/users",
            "params": {"$top": 25, "$select": "id"},
            "auto_paginate": False,
        },
    )
    ids = [u["id"] for u in users["response"]["data"]["value"]]
    out = await sandbox.perform_batch([{"method": "GET", "url": f"/users/{i}"} for i in ids])
    assert out["response"]["success"] is True
    assert [d["body"]["id"] for d in out["response"]["data"]] == ids


async def test_limited_app_gets_the_audit_log_hint():
    async with GraphConnector("sandbox-limited", sleep=RecordingSleep()) as conn:
        with pytest.raises(GraphAPIError) as info:
            await conn.perform_action(
                "log", "list", None, {"method": "GET", "endpoint": "/auditLogs/signIns"}
            )
    assert info.value.status_code == 403
    assert "AuditLog.Read.All" in info.value.hint


async def test_throttling_faults_are_retried_after_their_retry_after():
    system = load_system("sandbox")
    faulty = dataclasses.replace(
        system,
        sandbox=dataclasses.replace(
            system.sandbox,
            faults=FaultOptions(every_nth_429=2, retry_after=3, retry_after_form="ms"),
        ),
    )
    sleeper = RecordingSleep()
    async with GraphConnector(faulty, sleep=sleeper) as conn:
        out = await conn.perform_action(
            "user",
            "list",
            None,
            {"method": "GET", "endpoint": "/users", "params": {"$top": 100}},
        )
    assert len(out["response"]["data"]["value"]) == 250
    assert sleeper.waits and all(w >= 3.0 for w in sleeper.waits)
