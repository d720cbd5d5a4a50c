"""The first request on the default sandbox loads only what it uses (issue 17's first cell).

A first ``%%graph`` cell pays for every import and every collection its request touches, at
each kernel restart. A request without ``$filter`` must not load the filter grammar
(odata-query, whose parser tables sly builds at import), one not retried must not load
tenacity, one neither recorded nor replayed must load neither module, and a ``/users`` page
must not generate the sign-ins, devices or groups. Each check runs in a fresh interpreter: in
this one, other tests have long imported everything.
"""

from __future__ import annotations

from tests.support.child import run_child

_CHILD = """
import asyncio, json, sys
from graph_magic.connector.client import GraphConnector
from graph_magic.sandbox.app import shared_app

def users(params):
    return {"method": "GET", "endpoint": "/users", "params": params, "auto_paginate": False}

async def main():
    async with GraphConnector("sandbox") as connector:
        first = await connector.perform_action(
            "user", "list", None, users({"$top": 5, "$select": "id,displayName"})
        )
        after_first = sorted(sys.modules)
        made = sorted(shared_app(connector.system.sandbox).state.tenant.__dict__)
        filtered = await connector.perform_action(
            "user", "list", None,
            users({"$filter": "startswith(displayName,'A')", "$select": "displayName"}),
        )
    return {
        "first": [u["displayName"] for u in first["response"]["data"]["value"]],
        "after_first": after_first,
        "made": made,
        "filtered": [u["displayName"] for u in filtered["response"]["data"]["value"]],
        "after_filter": sorted(sys.modules),
    }

print(json.dumps(asyncio.run(main())))
"""


def _loaded(modules: list[str], root: str) -> bool:
    return any(name == root or name.startswith(root + ".") for name in modules)


def _run_child() -> dict[str, list[str]]:
    return run_child(_CHILD)


def test_a_first_request_loads_only_what_it_uses_and_a_filter_loads_the_grammar() -> None:
    report = _run_child()
    assert len(report["first"]) == 5
    assert not _loaded(report["after_first"], "odata_query")
    assert not _loaded(report["after_first"], "tenacity")
    # a system that neither records nor replays loads neither
    assert not _loaded(report["after_first"], "graph_magic.connector.recording")
    assert not _loaded(report["after_first"], "graph_magic.connector.replay")
    assert "users" in report["made"]
    assert {"sign_ins", "directory_audits", "devices", "groups"}.isdisjoint(report["made"])
    # the grammar still loads the moment a request needs it, and filters as before
    assert report["filtered"] and all(name.startswith("A") for name in report["filtered"])
    assert _loaded(report["after_filter"], "odata_query")
