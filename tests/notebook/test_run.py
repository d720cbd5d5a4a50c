"""run_cell without an InteractiveShell: a session on the in-process sandbox, what is shown kept.

The runner is plain functions over a GraphSession, so these tests call it directly and assert
the outcome, what it showed and what history recorded; the magic tests cover the shell side.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from graph_magic.errors import GraphBatchError
from graph_magic.notebook.display import GraphBatchResult, GraphResult
from graph_magic.notebook.options import RunOptions, Settings
from graph_magic.notebook.run import NOTHING, DryRun, Note, run_cell
from graph_magic.notebook.session import GraphSession

SETTINGS = Settings(progress=False)


@pytest.fixture
def shown(isolated: Path) -> list[Any]:
    return []


@pytest.fixture
def session(shown: list[Any]) -> Iterator[GraphSession]:
    session = GraphSession(show=shown.append)
    yield session
    session.close()


def _run(session: GraphSession, cell: str, **options: Any) -> Any:
    return run_cell(session, cell, {}, RunOptions(**options), SETTINGS)


def test_a_scan_is_one_result_with_its_pages_and_a_history_record(
    session: GraphSession, shown: list[Any]
) -> None:
    outcome = _run(session, "GET /users\n$select: id,displayName\n$top: 20", out="users")
    (result,) = outcome.results
    assert isinstance(outcome.value, pd.DataFrame) and list(outcome.value.columns) == [
        "id",
        "displayName",
    ]
    assert result.kind == "collection" and result.pages > 1 and not result.more
    assert len(outcome.value) == result.rows
    assert shown == [result] and session.last == [result]
    (entry,) = session.history
    assert (entry.method, entry.status, entry.outcome) == ("GET", 200, "ok")
    assert entry.url.endswith("/v1.0/users?$select=id,displayName&$top=20")
    assert (entry.rows, entry.pages) == (result.rows, result.pages)


def test_max_items_cuts_the_scan_and_the_loader_hands_out_the_rest(
    session: GraphSession,
) -> None:
    outcome = _run(session, "GET /users\n$select: id\n$top: 4", out="u", max_items=6)
    (result,) = outcome.results
    assert result.rows == 6 and result.more and result.truncated_reason == "max_items"
    first = list(outcome.value["id"])
    result.load_more(5)
    assert result.rows == 11
    everyone = list(result.frame["id"])
    assert everyone[:6] == first and len(set(everyone)) == 11  # none skipped, none twice
    # The caption's facts follow the fetch: a second request, its own Graph request id.
    assert result.fetches == 2
    assert result.last_request_id and result.last_request_id != result.request_id


def test_no_paginate_stops_after_one_page(session: GraphSession) -> None:
    outcome = _run(session, "GET /users\n$top: 3", paginate=False, out="u")
    (result,) = outcome.results
    assert result.pages == 1 and result.rows == 3
    assert result.more and result.truncated_reason == "no_paginate"


def test_the_line_form_returns_text_and_shows_nothing(
    session: GraphSession, shown: list[Any]
) -> None:
    outcome = run_cell(session, "GET /users/$count", {}, RunOptions(), SETTINGS, line_form=True)
    assert isinstance(outcome.value, int) and outcome.value > 0
    assert shown == []


def test_a_write_goes_through_perform_action(session: GraphSession, shown: list[Any]) -> None:
    body = '{"displayName": "Runner", "mailEnabled": false, "mailNickname": "runner", '
    body += '"securityEnabled": true}'
    outcome = _run(session, f"POST /groups\n\n{body}")
    (result,) = outcome.results
    assert result.status_code == 201 and result.kind == "entity"
    assert shown == [result]
    assert [(e.method, e.status, e.outcome) for e in session.history] == [("POST", 201, "ok")]


def test_a_batch_shows_one_block_and_fails_on_a_failed_request(
    session: GraphSession, shown: list[Any]
) -> None:
    cell = "### people\nGET /users?$top=2\n### missing\nGET /users/nobody-has-this-id"
    with pytest.raises(GraphBatchError) as info:
        _run(session, cell)
    assert info.value.request_id_in_batch == "missing" and info.value.status_code == 404
    assert info.value.message.endswith("Statuses listed in --expect are results instead.")
    (block,) = shown
    assert isinstance(block, GraphBatchResult)
    assert [(e.status, e.outcome) for e in session.history] == [(200, "ok"), (404, "error")]


def test_expect_makes_a_failed_sub_request_a_result(session: GraphSession) -> None:
    cell = "### people\nGET /users?$top=2\n### missing\nGET /users/nobody-has-this-id"
    outcome = _run(session, cell, expect=(404,))
    assert set(outcome.value) == {"people", "missing"}
    assert [r.status_code for r in outcome.results] == [200, 404]


def test_a_dry_run_shows_the_request_sends_nothing_and_records_it(
    session: GraphSession, shown: list[Any]
) -> None:
    outcome = _run(session, 'GET /users\n$search: "displayName:a"', dry_run=True)
    assert outcome.value is NOTHING and outcome.results == []
    (dry,) = shown
    assert isinstance(dry, DryRun) and isinstance(dry, Note)
    assert dry.text.splitlines()[:3] == [
        "GET https://graph.microsoft.com/v1.0/users?$search=%22displayName:a%22&$count=true",
        "Authorization: ***",
        "ConsistencyLevel: eventual",
    ]
    (entry,) = session.history
    assert entry.outcome == "dry-run" and entry.status is None
    assert "$count" not in entry.url  # history names the request as asked


def test_results_are_graph_results(session: GraphSession) -> None:
    outcome = _run(session, "GET /users/$count")
    assert all(isinstance(r, GraphResult) for r in outcome.results)
    assert outcome.results[0].kind == "number"
