"""$batch of 200 requests with per-item 429s: every sub-request ends with its real result."""

from __future__ import annotations

import pytest

from graph_magic.errors import GraphAPIError, GraphBatchError
from graph_magic.sandbox import create_app
from tests.reliability.reliability_faults import batch_envelope_lost, batch_with_throttling
from tests.reliability.reliability_kit import (
    RecordingSleep,
    app_token,
    bearer_system,
    in_process,
    injector,
    options,
)


async def test_200_requests_with_item_429s_all_end_with_their_real_result() -> None:
    outcome = await batch_with_throttling(200, rate=0.3, writes=20, chains=10)
    data = outcome.items
    requests = outcome.expected_items
    assert len(data) == 200
    assert [d["id"] for d in data] == [r["id"] for r in requests]  # in the order given
    assert outcome.extra["wrong"] == {}
    assert outcome.figures.faults > 30  # many items really were throttled first
    # each read came back with the user it asked for, not a neighbour's answer
    for request, answer in zip(requests, data, strict=True):
        if request["method"] == "GET" and answer["status"] == 200:
            assert answer["body"]["id"] == request["url"].rsplit("/", 1)[1]
    # throttled creations were sent again, yet each user exists exactly once
    assert len(outcome.extra["created"]) == 20
    assert outcome.figures.duplicates == 0
    # every throttled item was retried and counted as a 429 and a retry in the metrics
    assert outcome.extra["item_429_metric"] == outcome.figures.faults
    assert outcome.figures.retries >= outcome.figures.faults
    assert outcome.waits and min(outcome.waits) >= 1.0  # each round waited out Retry-After


async def test_dependents_of_a_failed_request_are_reported_as_424() -> None:
    outcome = await batch_with_throttling(60, rate=0.3, writes=0, chains=5)
    by_id = {d["id"]: d for d in outcome.items}
    assert by_id["missing"]["status"] == 404
    for n in range(3):
        assert by_id[f"dep{n}"]["status"] == 424
        assert by_id[f"dep{n}"]["body"]["error"]["code"] == "FailedDependency"
    # a dependent whose dependency was merely throttled ends with its own real answer
    for n in range(5):
        assert by_id[f"c{n}b"]["status"] == 200


async def test_without_continue_on_error_the_first_real_failure_is_raised(
    sleeper: RecordingSleep,
) -> None:
    app = create_app(options(users=30, batch_item_429_rate=0.3))
    users = [u["id"] for u in app.state.tenant.users]
    requests = [{"id": f"g{n}", "method": "GET", "url": f"/users/{users[n]}"} for n in range(25)]
    requests.insert(7, {"id": "missing", "method": "GET", "url": "/users/nobody@contoso.com"})
    requests.insert(
        8, {"id": "after", "method": "GET", "url": "/users/x", "dependsOn": ["missing"]}
    )
    async with in_process(app, bearer_system(app_token(app)), sleeper) as conn:
        with pytest.raises(GraphBatchError) as info:
            await conn.perform_batch(requests)
    error = info.value
    assert error.status_code == 404 and error.request_id_in_batch == "missing"
    statuses = {d["id"]: d["status"] for d in error.partial}
    assert statuses["after"] == 424
    assert all(statuses[f"g{n}"] == 200 for n in range(25))  # 429s were retried first
    assert injector(app).counters.faults["batch_item_429"] > 0


async def test_answers_already_received_survive_a_failed_envelope() -> None:
    outcome = await batch_envelope_lost(20, rate=0.4)
    created = outcome.items
    assert 0 < len(created) < 20  # the scenario happened: some created, some throttled
    assert isinstance(outcome.error, GraphAPIError) and outcome.error.status_code == 503
    assert outcome.data is not None  # the answers received before the 503 are on the error
    assert sum(1 for a in outcome.data if a["status"] == 201) == len(created)
    assert outcome.figures.duplicates == 0
