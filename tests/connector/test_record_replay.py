"""Record a connector's exchanges with the sandbox, then replay them with no sandbox at all.

Each test records on a sandbox of its own (its own seed), so its writes change no other test's
tenant, and replays through a system that has only ``replay:``: no credentials, no transport.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.recording import stop_recording
from graph_magic.errors import GraphAPIError, GraphReplayError, GraphTransportError
from tests.support.cassettes import secrets_in
from tests.support.fakes import RecordingSleep

SECRET = "sandbox-secret"


def sandbox_system(cassette: Path, seed: int, **extra: Any) -> dict[str, Any]:
    sandbox = {"seed": seed, "users": 30, **extra.pop("sandbox", {})}
    return {
        "auth_type": "azure",
        "transport": "sandbox",
        "token_cache": False,
        "rate_limit_key": f"record-{seed}",
        "credentials": {
            "tenant_id": "contoso.onmicrosoft.com",
            "client_id": "sandbox-app",
            "client_secret": SECRET,
        },
        "sandbox": sandbox,
        "record": {"path": str(cassette), **extra.pop("record", {})},
        **extra,
    }


def get(endpoint: str, **params: str) -> dict[str, Any]:
    return {"method": "GET", "endpoint": endpoint, "params": params}


async def all_items(connector: GraphConnector, config: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    async for page in connector.iter_pages(config["endpoint"], params=config["params"]):
        items.extend(page.items)
    return items


async def recorded(system: dict[str, Any], *work: Any, sleep: Any = None) -> list[Any]:
    """Run each ``work(connector)`` coroutine function while recording; stop the cassette.

    Every cassette written here is searched for the token the run used and the secrets.
    """
    connector = GraphConnector(system, sleep=sleep or RecordingSleep())
    try:
        return [await step(connector) for step in work]
    finally:
        token = await connector.token_provider.get_token()
        await connector.close()
        stop_recording(system["record"]["path"])
        assert secrets_in(Path(system["record"]["path"]), token) == []


async def replayed(cassette: Path, *work: Any, sleep: Any = None, **extra: Any) -> list[Any]:
    connector = GraphConnector({"replay": str(cassette), **extra}, sleep=sleep or RecordingSleep())
    try:
        return [await step(connector) for step in work]
    finally:
        await connector.close()


def lines(cassette: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in cassette.read_text().splitlines()]


def test_paging_replays_every_page_in_order_with_no_sandbox(tmp_path: Path) -> None:
    cassette = tmp_path / "users.jsonl"
    scan = get("/users", **{"$top": "7", "$select": "id,displayName"})

    async def pages(connector: GraphConnector) -> list[dict[str, Any]]:
        return await all_items(connector, scan)

    [live] = asyncio.run(recorded(sandbox_system(cassette, 91), pages))
    [again] = asyncio.run(replayed(cassette, pages))
    assert len(live) == 30
    assert again == live
    requests = [line["request"] for line in lines(cassette)[1:]]
    assert len(requests) == 5  # 30 users, 7 a page
    assert all(r["path"] == "/v1.0/users" for r in requests)
    assert sum("$skiptoken" in dict(r["query"]) for r in requests) == 4


def test_the_query_matches_in_any_order(tmp_path: Path) -> None:
    cassette = tmp_path / "order.jsonl"

    async def first(connector: GraphConnector) -> dict[str, Any]:
        return await connector.perform_action(
            None, None, None, get("/users", **{"$top": "3", "$select": "id"})
        )

    async def reordered(connector: GraphConnector) -> dict[str, Any]:
        return await connector.perform_action(
            None, None, None, get("/users", **{"$select": "id", "$top": "3"})
        )

    [live] = asyncio.run(recorded(sandbox_system(cassette, 92), first))
    [again] = asyncio.run(replayed(cassette, reordered))
    assert again["response"]["data"]["value"] == live["response"]["data"]["value"]


def test_an_unrecorded_request_names_itself_and_the_closest_recorded_one(tmp_path: Path) -> None:
    cassette = tmp_path / "miss.jsonl"

    async def top5(connector: GraphConnector) -> Any:
        return await connector.perform_action(None, None, None, get("/users", **{"$top": "5"}))

    async def top6(connector: GraphConnector) -> Any:
        return await connector.perform_action(None, None, None, get("/users", **{"$top": "6"}))

    asyncio.run(recorded(sandbox_system(cassette, 93), top5))
    with pytest.raises(GraphReplayError) as caught:
        asyncio.run(replayed(cassette, top6))
    error = caught.value
    assert error.request == "GET /v1.0/users?$top=6"
    assert error.closest == "GET /v1.0/users?$top=5"
    assert "query $top differ" in str(error)
    assert str(cassette) in str(error)


def test_a_different_body_is_a_miss_that_says_the_body_differs(tmp_path: Path) -> None:
    cassette = tmp_path / "body.jsonl"

    def post(name: str) -> Any:
        async def step(connector: GraphConnector) -> Any:
            body = {"displayName": name, "mailEnabled": False, "mailNickname": name,
                    "securityEnabled": True}  # fmt: skip
            config = {"method": "POST", "endpoint": "/groups", "params": {}, "body": body}
            return await connector.perform_action("groups", "create", {}, config)

        return step

    [created] = asyncio.run(recorded(sandbox_system(cassette, 94), post("Replayers")))
    [again] = asyncio.run(replayed(cassette, post("Replayers")))
    assert again["response"]["data"]["id"] == created["response"]["data"]["id"]
    with pytest.raises(GraphReplayError, match=r"POST /v1.0/groups .*\(body differ\)"):
        asyncio.run(replayed(cassette, post("Someone else")))


def test_errors_and_throttling_replay_exactly_with_their_waits(tmp_path: Path) -> None:
    cassette = tmp_path / "throttled.jsonl"
    system = sandbox_system(
        cassette, 95, sandbox={"faults": {"every_nth_429": 2, "retry_after": 3}}
    )

    async def missing(connector: GraphConnector) -> Any:
        try:
            await connector.perform_action(None, None, None, get("/users/no-such-user"))
        except GraphAPIError as exc:
            return (exc.status_code, exc.code, exc.request_id)
        raise AssertionError("expected a 404")

    async def users(connector: GraphConnector) -> Any:
        return await all_items(connector, get("/users", **{"$top": "10"}))

    live_sleep, replay_sleep = RecordingSleep(), RecordingSleep()
    live = asyncio.run(recorded(system, missing, users, sleep=live_sleep))
    again = asyncio.run(replayed(cassette, missing, users, sleep=replay_sleep))
    assert again == live
    assert live[0][0] == 404
    assert live_sleep.waits and replay_sleep.waits == live_sleep.waits
    statuses = [line["response"]["status"] for line in lines(cassette)[1:]]
    assert 429 in statuses and 404 in statuses


def test_a_dropped_connection_replays_as_the_same_transport_failure(tmp_path: Path) -> None:
    cassette = tmp_path / "dropped.jsonl"
    system = sandbox_system(
        cassette, 96, sandbox={"faults": {"drop_rate": 1.0}}, retry={"max_attempts": 2}
    )

    async def users(connector: GraphConnector) -> Any:
        try:
            await connector.perform_action(None, None, None, get("/users"))
        except GraphTransportError as exc:
            return (exc.attempts, str(exc))
        raise AssertionError("expected a transport failure")

    [live] = asyncio.run(recorded(system, users))
    [again] = asyncio.run(replayed(cassette, users, retry={"max_attempts": 2}))
    assert again == live
    assert [line["error"]["type"] for line in lines(cassette)[1:]] == ["RemoteProtocolError"] * 2


def test_batches_and_delta_rounds_replay_in_recorded_order(tmp_path: Path) -> None:
    cassette = tmp_path / "batch-delta.jsonl"

    async def batch(connector: GraphConnector) -> Any:
        requests = [
            {"method": "GET", "url": "/users?$top=2"},
            {"method": "GET", "url": "/groups?$top=2"},
            {"method": "GET", "url": "/me"},  # an app has no /me: a failed item, kept
        ]
        result = await connector.perform_batch(requests, continue_on_error=True)
        return result["status"], result["response"]

    async def delta_rounds(connector: GraphConnector) -> Any:
        first = await connector.perform_action(None, None, None, get("/users/delta"))
        data = first["response"]["data"]
        link = data.get("@odata.deltaLink")
        pages = 0
        while link is None:  # the first round spans several pages
            pages += 1
            data = (await connector.perform_action(
                None, None, None, {"method": "GET", "endpoint": data["@odata.nextLink"]}
            ))["response"]["data"]  # fmt: skip
            link = data.get("@odata.deltaLink")
        user = (
            data["value"][0]["id"] if data["value"] else first["response"]["data"]["value"][0]["id"]
        )
        patch = {"method": "PATCH", "endpoint": f"/users/{user}", "params": {},
                 "body": {"jobTitle": "Replayed"}}  # fmt: skip
        await connector.perform_action("users", "update", {}, patch)
        second = await connector.perform_action(
            None, None, None, {"method": "GET", "endpoint": link}
        )
        return pages, [(u["id"], u.get("jobTitle")) for u in second["response"]["data"]["value"]]

    live = asyncio.run(recorded(sandbox_system(cassette, 97), batch, delta_rounds))
    again = asyncio.run(replayed(cassette, batch, delta_rounds))
    assert json.dumps(again, default=str) == json.dumps(live, default=str)
    changed = live[1][1]
    assert len(changed) == 1 and changed[0][1] == "Replayed"


def test_a_replay_under_another_host_leads_its_next_links_back_to_itself(tmp_path: Path) -> None:
    cassette = tmp_path / "host.jsonl"
    scan = get("/users", **{"$top": "12"})

    async def pages(connector: GraphConnector) -> Any:
        return await all_items(connector, scan)

    [live] = asyncio.run(recorded(sandbox_system(cassette, 98), pages))
    [again] = asyncio.run(replayed(cassette, pages, base_url="https://graph.microsoft.us/v1.0"))
    assert again == live


def test_nothing_secret_reaches_the_cassette(tmp_path: Path) -> None:
    cassette = tmp_path / "secrets.jsonl"
    captured: dict[str, str] = {}

    async def app_secret(connector: GraphConnector) -> Any:
        captured["token"] = await connector.token_provider.get_token()
        apps = await connector.perform_action(
            None, None, None, get("/applications", **{"$top": "1"})
        )
        app_id = apps["response"]["data"]["value"][0]["id"]
        config = {"method": "POST", "endpoint": f"/applications/{app_id}/addPassword",
                  "params": {}, "body": {"passwordCredential": {"displayName": "ci"}}}  # fmt: skip
        added = await connector.perform_action("applications", "addPassword", {}, config)
        captured["secretText"] = added["response"]["data"]["secretText"]
        user = {"method": "POST", "endpoint": "/users", "params": {}, "body": {
            "accountEnabled": True, "displayName": "Pat", "mailNickname": "pat",
            "userPrincipalName": "pat@contoso.onmicrosoft.com",
            "passwordProfile": {"password": "Correct-Horse-42!"}}}  # fmt: skip
        return await connector.perform_action("users", "create", {}, user)

    asyncio.run(recorded(sandbox_system(cassette, 99), app_secret))
    assert (
        secrets_in(cassette, captured["token"], captured["secretText"], "Correct-Horse-42!") == []
    )
    assert "bearer" not in cassette.read_text().lower()
    # The masked body still matches on replay: the request is masked the same way there.
    asyncio.run(replayed(cassette, app_secret))


def test_pseudonyms_are_stable_across_pages_and_properties(tmp_path: Path) -> None:
    cassette = tmp_path / "pseudo.jsonl"
    fields = "id,displayName,mail,userPrincipalName"
    scan = get("/users", **{"$top": "8", "$select": fields})
    system = sandbox_system(
        cassette, 100, record={"pseudonymise": ["mail", "userPrincipalName", "displayName"]}
    )

    async def scans_then_one_user(connector: GraphConnector) -> Any:
        users = await all_items(connector, scan)
        again = await all_items(connector, scan)
        upn = users[3]["userPrincipalName"]  # a value from an answer, sent back in a URL
        one = await connector.perform_action(
            None, None, None, get(f"/users/{upn}", **{"$select": fields})
        )
        return users, again, one["response"]["data"]

    [(live, _, live_one)] = asyncio.run(recorded(system, scans_then_one_user))
    [(fake, fake_again, fake_one)] = asyncio.run(replayed(cassette, scans_then_one_user))
    assert fake == fake_again  # the same fakes on every page and every round
    assert fake_one["id"] == live_one["id"] == live[3]["id"]
    assert fake_one["userPrincipalName"] == fake[3]["userPrincipalName"]
    assert [u["id"] for u in fake] == [u["id"] for u in live]
    real = {u["userPrincipalName"] for u in live} | {u["displayName"] for u in live}
    text = cassette.read_text()
    assert not [value for value in real if value in text]
    for user in fake:
        assert user["mail"] == user["userPrincipalName"]  # equal before, equal after
        assert user["mail"].endswith("@example.com")
    assert len({u["displayName"] for u in fake}) == len({u["displayName"] for u in live})
