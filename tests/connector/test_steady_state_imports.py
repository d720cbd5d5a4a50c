"""Once warm, a request imports nothing: no module search on the hot path.

Python caches a module once imported but not a failed import, so a library that tries an
optional import on every call searches sys.path on every call. httpcore does exactly that with
``sniffio`` (encode/httpcore#1103) since anyio stopped installing it, costing a directory scan
per request; graph-magic depends on sniffio so that import succeeds once and is cached. This
test watches the path finder while the connector pages, batches and sends single requests.
"""

from __future__ import annotations

import importlib.machinery
from typing import Any

import pytest

from graph_magic.connector.client import GraphConnector
from tests.support.fakes import RecordingSleep

USERS = {"method": "GET", "endpoint": "/users", "params": {"$top": 20, "$select": "id"}}


async def _traffic(connector: GraphConnector) -> None:
    listed = await connector.perform_action("user", "list", None, USERS)
    ids = [u["id"] for u in listed["response"]["data"]["value"]][:3]
    await connector.perform_batch([{"method": "GET", "url": f"/users/{i}"} for i in ids])
    await connector.perform_action(
        "user", "get", None, {"method": "GET", "endpoint": f"/users/{ids[0]}"}
    )


async def test_warm_requests_search_for_no_module(monkeypatch: pytest.MonkeyPatch) -> None:
    async with GraphConnector("sandbox", sleep=RecordingSleep()) as connector:
        await _traffic(connector)  # first use: token, client and lazy imports
        searched: list[str] = []
        find_spec = importlib.machinery.PathFinder.find_spec

        def spy(cls: Any, fullname: str, path: Any = None, target: Any = None) -> Any:
            searched.append(fullname)
            return find_spec(fullname, path, target)

        monkeypatch.setattr(importlib.machinery.PathFinder, "find_spec", classmethod(spy))
        for _ in range(3):
            await _traffic(connector)
    assert searched == []
