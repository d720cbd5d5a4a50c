"""$batch: chunking by 20, dependsOn chains, shuffled answers, per-item 429, error modes."""

from __future__ import annotations

import json
import random

import httpx
import pytest

from graph_magic.connector.batch import chunk_requests, normalize_requests
from graph_magic.errors import GraphBatchError
from tests.connector.connector_kit import make_connector
from tests.support.graph import GRAPH


@pytest.fixture
async def connector(tokens, sleeper):
    """Batches exactly as the server answers them, unpaced: the waits a throttled item adds
    to the pacer are tests/connector/test_pacing.py's."""
    conn = make_connector(tokens, sleeper, limits={"pacing": False})
    yield conn
    await conn.close()


class FakeBatchEndpoint:
    """Answers POST /$batch: each item 200 with its URL echoed, shuffled, unless told otherwise.

    ``fail`` maps an id to a list of (status, headers) answers given on its successive tries.
    """

    def __init__(self, fail=None):
        self.fail = {k: list(v) for k, v in (fail or {}).items()}
        self.bodies: list[dict] = []
        self.rng = random.Random(7)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        answers = []
        failed: set[str] = set()
        for item in body["requests"]:
            plan = self.fail.get(item["id"])
            if any(dep in failed for dep in item.get("dependsOn", [])):
                answers.append({"id": item["id"], "status": 424, "headers": {}, "body": None})
                failed.add(item["id"])
            elif plan:
                status, headers = plan.pop(0)
                answers.append(
                    {
                        "id": item["id"],
                        "status": status,
                        "headers": headers,
                        "body": {
                            "error": {
                                "code": "TooManyRequests" if status == 429 else "X",
                                "message": "no",
                                "innerError": {"request-id": f"r-{item['id']}"},
                            }
                        },
                    }
                )
                failed.add(item["id"])
            else:
                answers.append(
                    {"id": item["id"], "status": 200, "headers": {}, "body": {"url": item["url"]}}
                )
        self.rng.shuffle(answers)
        return httpx.Response(200, json={"responses": answers})


def _requests(n):
    return [{"id": str(i), "method": "GET", "url": f"/users/u{i}"} for i in range(1, n + 1)]


async def test_45_requests_in_three_batches_answers_in_order_with_one_429(
    graph, connector, sleeper
):
    fake = FakeBatchEndpoint(fail={"7": [(429, {"Retry-After": "5"})]})
    route = graph.post(f"{GRAPH}/$batch").mock(side_effect=fake)
    out = await connector.perform_batch(_requests(45))

    sizes = sorted(len(b["requests"]) for b in fake.bodies)
    assert sizes == [1, 5, 20, 20]
    assert fake.bodies[-1]["requests"] == [{"id": "7", "method": "GET", "url": "/users/u7"}]
    assert sleeper.waits == [5.0]
    data = out["response"]["data"]
    assert [d["id"] for d in data] == [str(i) for i in range(1, 46)]
    assert all(d["status"] == 200 for d in data)
    assert [d["body"]["url"] for d in data] == [f"/users/u{i}" for i in range(1, 46)]
    assert out["response"]["success"] is True and out["status"] == "success"
    assert out["response"]["pages"] == 4
    sent = route.calls[0].request
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["authorization"] == "Bearer token-1"


async def test_depends_on_chain_stays_in_one_batch_and_is_camel_case(graph, connector):
    requests = [
        *_requests(19),
        {"id": "a", "method": "GET", "url": "users/first"},
        {"id": "b", "method": "GET", "url": "/users/second", "depends_on": ["a"]},
        {"id": "c", "method": "GET", "url": "/users/third", "dependsOn": ["b"]},
    ]
    fake = FakeBatchEndpoint()
    graph.post(f"{GRAPH}/$batch").mock(side_effect=fake)
    await connector.perform_batch(requests)
    chains = [b for b in fake.bodies if any(r["id"] == "a" for r in b["requests"])]
    assert len(chains) == 1
    wire = {r["id"]: r for r in chains[0]["requests"]}
    assert {"a", "b", "c"} <= set(wire)
    assert wire["a"]["url"] == "/users/first"
    assert wire["b"]["dependsOn"] == ["a"] and "depends_on" not in wire["b"]
    assert wire["c"]["dependsOn"] == ["b"]


async def test_dependents_of_a_throttled_item_are_retried_with_it(graph, connector, sleeper):
    fake = FakeBatchEndpoint(fail={"1": [(429, {"x-ms-retry-after-ms": "2000"})]})
    graph.post(f"{GRAPH}/$batch").mock(side_effect=fake)
    out = await connector.perform_batch(
        [
            {"id": "1", "method": "POST", "url": "/users", "body": {"displayName": "n"}},
            {"id": "2", "method": "GET", "url": "/users/n/manager", "dependsOn": ["1"]},
            {"id": "3", "method": "GET", "url": "/me"},
        ]
    )
    assert sleeper.waits == [2.0]
    retried = fake.bodies[1]["requests"]
    assert [r["id"] for r in retried] == ["1", "2"]
    assert retried[1]["dependsOn"] == ["1"]
    assert retried[0]["headers"] == {"Content-Type": "application/json"}
    assert retried[0]["body"] == {"displayName": "n"}
    assert [d["status"] for d in out["response"]["data"]] == [200, 200, 200]


async def test_continue_on_error_false_raises_the_first_failure(graph, connector):
    fake = FakeBatchEndpoint(fail={"2": [(404, {})], "3": [(403, {})]})
    graph.post(f"{GRAPH}/$batch").mock(side_effect=fake)
    with pytest.raises(GraphBatchError) as info:
        await connector.perform_batch(_requests(3))
    err = info.value
    assert err.request_id_in_batch == "2" and err.status_code == 404
    assert err.request_id == "r-2"
    assert [d["status"] for d in err.partial] == [200, 404, 403]


async def test_continue_on_error_true_returns_everything(graph, connector):
    fake = FakeBatchEndpoint(fail={"2": [(404, {})]})
    graph.post(f"{GRAPH}/$batch").mock(side_effect=fake)
    out = await connector.perform_batch(_requests(3), continue_on_error=True)
    assert out["response"]["success"] is False and out["status"] == "error"
    assert [d["status"] for d in out["response"]["data"]] == [200, 404, 200]


async def test_throttled_item_gives_up_after_max_attempts(graph, tokens, sleeper):
    from tests.connector.connector_kit import make_connector

    conn = make_connector(tokens, sleeper, retry={"max_attempts": 2})
    fake = FakeBatchEndpoint(fail={"1": [(429, {"Retry-After": "1"})] * 5})
    graph.post(f"{GRAPH}/$batch").mock(side_effect=fake)
    out = await conn.perform_batch(_requests(1), continue_on_error=True)
    assert len(fake.bodies) == 2 and out["response"]["data"][0]["status"] == 429
    await conn.close()


async def test_post_item_not_retried_on_503(graph, connector):
    fake = FakeBatchEndpoint(fail={"1": [(503, {})]})
    graph.post(f"{GRAPH}/$batch").mock(side_effect=fake)
    out = await connector.perform_batch(
        [{"id": "1", "method": "POST", "url": "/users", "body": {}}], continue_on_error=True
    )
    assert len(fake.bodies) == 1 and out["response"]["data"][0]["status"] == 503


def test_normalize_advanced_query_prefer_and_full_urls():
    items = normalize_requests(
        [
            {"method": "get", "url": "users?$filter=endsWith(mail,'@contoso.com')"},
            {"url": f"{GRAPH}/groups/g1/members?$select=id", "id": "x"},
            {"url": "/me/messages?$search=hi"},
        ],
        base_url=GRAPH,
        prefer="odata.maxpagesize=50",
    )
    assert [i.id for i in items] == ["1", "x", "2"]
    first = items[0].to_wire(set())
    assert first["url"] == "/users?$filter=endsWith(mail,'@contoso.com')&$count=true"
    assert first["headers"] == {"ConsistencyLevel": "eventual", "Prefer": "odata.maxpagesize=50"}
    assert items[1].url == "/groups/g1/members?$select=id"
    assert "ConsistencyLevel" not in items[2].headers


@pytest.mark.parametrize(
    ("requests", "message"),
    [
        ([{"id": "1", "url": "/a"}, {"id": "1", "url": "/b"}], "twice"),
        ([{"id": "1", "url": "/a", "dependsOn": ["9"]}], "unknown id"),
        ([{"url": "https://graph.microsoft.com/beta/users"}], "one version"),
    ],
)
def test_normalize_refuses_bad_requests(requests, message):
    with pytest.raises(ValueError, match=message):
        normalize_requests(requests, base_url=GRAPH)


def test_chain_longer_than_a_batch_is_refused():
    chain = [{"id": "0", "url": "/a"}] + [
        {"id": str(i), "url": "/a", "dependsOn": [str(i - 1)]} for i in range(1, 21)
    ]
    with pytest.raises(ValueError, match="does not fit"):
        chunk_requests(normalize_requests(chain, base_url=GRAPH))


async def test_empty_batch_sends_nothing(graph, connector):
    out = await connector.perform_batch([])
    assert out["response"]["data"] == [] and out["response"]["success"] is True
    assert not graph.calls


async def test_envelope_of_reads_is_retried_on_503_but_writes_are_not(graph, connector):
    from graph_magic.errors import GraphAPIError

    fake = FakeBatchEndpoint()
    route = graph.post(f"{GRAPH}/$batch").mock(
        side_effect=[httpx.Response(503), fake, httpx.Response(503)]
    )
    out = await connector.perform_batch(_requests(2))
    assert route.call_count == 2 and out["response"]["success"] is True
    assert route.calls[1].request.headers["retry-attempt"] == "1"
    with pytest.raises(GraphAPIError) as info:
        await connector.perform_batch([{"method": "POST", "url": "/users", "body": {}}])
    assert route.call_count == 3 and info.value.status_code == 503
