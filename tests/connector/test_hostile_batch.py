"""$batch answers are matched to the ids asked; what does not match is an error that keeps the
sound answers (the writes that happened), never a raw JSONDecodeError or a silent winner."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from graph_magic.errors import GraphBatchError, GraphResponseError
from tests.support.graph import GRAPH

BATCH = f"{GRAPH}/$batch"


def _creations(n: int) -> list[dict]:
    return [
        {"id": str(i), "method": "POST", "url": "/users", "body": {"n": i}} for i in range(1, n + 1)
    ]


def _ok(item_id: str) -> dict:
    return {"id": item_id, "status": 201, "headers": {}, "body": {"id": f"user-{item_id}"}}


def _answering(edit: Callable[[list[dict]], object]) -> Callable[[httpx.Request], httpx.Response]:
    """Answer each envelope with every item created, then let ``edit`` spoil the list."""

    def handler(request: httpx.Request) -> httpx.Response:
        answers = [_ok(item["id"]) for item in json.loads(request.content)["requests"]]
        spoiled = edit(answers)
        if isinstance(spoiled, bytes):
            return httpx.Response(
                200, content=spoiled, headers={"content-type": "application/json"}
            )
        return httpx.Response(200, json=spoiled)

    return handler


async def test_a_duplicated_id_is_that_items_failure_and_the_rest_is_kept(graph, connector):
    graph.post(BATCH).mock(side_effect=_answering(lambda a: {"responses": [*a, _ok("1")]}))
    with pytest.raises(GraphBatchError) as info:
        await connector.perform_batch(_creations(3))
    error = info.value
    assert error.request_id_in_batch == "1"
    assert error.code == "DuplicateBatchResponse"
    assert [(e["id"], e["status"]) for e in error.partial] == [("1", 502), ("2", 201), ("3", 201)]


async def test_a_duplicate_with_continue_on_error_is_reported_not_chosen(graph, connector):
    second = {**_ok("2"), "status": 400}
    graph.post(BATCH).mock(side_effect=_answering(lambda a: {"responses": [*a, second]}))
    out = await connector.perform_batch(_creations(2), continue_on_error=True)
    assert out["status"] == "error"
    entries = out["response"]["data"]
    assert [(e["id"], e["status"]) for e in entries] == [("1", 201), ("2", 502)]
    assert len(entries[1]["body"]["error"]["upstream"]) == 2  # both answers, for the record


async def test_an_id_case_duplicate_counts_too(graph, connector):
    requests = [{"id": "a", "method": "GET", "url": "/me"}]
    upper = {"id": "A", "status": 200, "headers": {}, "body": {}}
    graph.post(BATCH).mock(side_effect=_answering(lambda a: {"responses": [*a, upper]}))
    with pytest.raises(GraphBatchError) as info:
        await connector.perform_batch(requests)
    assert info.value.code == "DuplicateBatchResponse"


async def test_a_missing_id_is_that_items_failure(graph, connector):
    graph.post(BATCH).mock(side_effect=_answering(lambda a: {"responses": a[1:]}))
    with pytest.raises(GraphBatchError) as info:
        await connector.perform_batch(_creations(3))
    assert info.value.code == "MissingBatchResponse"
    assert [e["status"] for e in info.value.partial] == [502, 201, 201]


@pytest.mark.parametrize(
    "stray",
    [
        {"id": "99", "status": 201, "headers": {}, "body": {}},
        {"status": 201},
        "not an object",
        None,
        {"id": None, "status": 200},
    ],
)
async def test_an_answer_for_no_id_asked_is_an_error_with_the_sound_answers(
    graph, connector, stray
):
    graph.post(BATCH).mock(side_effect=_answering(lambda a: {"responses": [*a, stray]}))
    with pytest.raises(GraphResponseError) as info:
        await connector.perform_batch(_creations(2))
    assert "no id that was asked" in str(info.value)
    assert [(e["id"], e["status"]) for e in info.value.partial] == [("1", 201), ("2", 201)]


@pytest.mark.parametrize(
    "envelope",
    [
        b'{"responses": [',
        b"<html>Bad gateway</html>",
        b"",
        b"[" * 100_000 + b"]" * 100_000,
        {"responses": {"1": {}}},
        {"responses": None},
        {"value": []},
        [],
        "responses",
    ],
    ids=repr,
)
async def test_a_broken_envelope_is_an_error_not_a_crash(graph, connector, envelope):
    graph.post(BATCH).mock(side_effect=_answering(lambda a: envelope))
    with pytest.raises(GraphResponseError) as info:
        await connector.perform_batch(_creations(2))
    assert "$batch answer" in str(info.value)
    assert info.value.partial == []


async def test_a_broken_envelope_keeps_the_other_envelopes_writes(graph, connector):
    """25 creations go in two envelopes; the second answer is truncated, the first is kept."""

    def edit(answers: list[dict]) -> object:
        return b'{"responses": [' if len(answers) == 5 else {"responses": answers}

    graph.post(BATCH).mock(side_effect=_answering(edit))
    with pytest.raises(GraphResponseError) as info:
        await connector.perform_batch(_creations(25))
    kept = info.value.partial
    assert [e["id"] for e in kept] == [str(i) for i in range(1, 21)]
    assert all(e["status"] == 201 for e in kept)
    assert "writes may have happened" in str(info.value)


@pytest.mark.parametrize(
    "spoil",
    [{"status": "201"}, {"status": None}, {"status": True}, {"status": 99}, {"headers": ["x"]}],
    ids=repr,
)
async def test_a_sub_response_not_in_graphs_shape_is_that_items_failure(graph, connector, spoil):
    graph.post(BATCH).mock(
        side_effect=_answering(lambda a: {"responses": [{**a[0], **spoil}, *a[1:]]})
    )
    with pytest.raises(GraphBatchError) as info:
        await connector.perform_batch(_creations(2))
    assert info.value.code == "MalformedBatchResponse"
    assert [e["status"] for e in info.value.partial] == [502, 201]
