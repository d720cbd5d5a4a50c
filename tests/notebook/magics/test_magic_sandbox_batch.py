"""Cells with several requests: one $batch, one result per request, -o by id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from graph_magic.errors import GraphBatchError, GraphSyntaxError
from tests.support.systems import sandbox_system, systems_folder

CELL = """%%graph -o out
### people
GET /users?$select=displayName&$top=3
### teams
GET /groups?$select=displayName&$top=3
### count
GET /users/$count
ConsistencyLevel: eventual
"""


def test_each_request_is_shown_and_bound_by_id(sandbox: Any, shell: Any, magic: Any) -> None:
    ran = sandbox(CELL)
    assert not ran.failed, ran.everything
    out = shell.user_ns["out"]
    assert list(out) == ["people", "teams", "count"]
    assert isinstance(out["people"], pd.DataFrame) and isinstance(out["teams"], pd.DataFrame)
    assert out["count"] == len(out["people"])  # every page of users was followed
    texts = ran.texts()
    assert len(texts) == 3
    assert texts[0].startswith("[people] users:") and texts[1].startswith("[teams] groups:")
    assert [r.label for r in magic.session.last] == ["people", "teams", "count"]


def test_batch_text_is_deterministic(sandbox: Any) -> None:
    assert sandbox(CELL).texts() == sandbox(CELL).texts()


def test_no_paginate_keeps_each_first_page(sandbox: Any, shell: Any, magic: Any) -> None:
    sandbox(CELL.replace("-o out", "-o out --no-paginate"))
    assert len(shell.user_ns["out"]["people"]) == 3
    people = magic.session.last[0]
    assert people.more and people.next_link
    people.load_more(None)  # the pager's "load all" rebinds -o
    assert len(shell.user_ns["out"]["people"]) == shell.user_ns["out"]["count"]


def test_max_items_applies_to_each_request(sandbox: Any, shell: Any) -> None:
    sandbox(CELL.replace("-o out", "-o out --max-items 5"))
    assert len(shell.user_ns["out"]["people"]) == 5
    assert len(shell.user_ns["out"]["teams"]) == 5


def test_a_failed_request_fails_the_cell_after_showing_all(sandbox: Any, shell: Any) -> None:
    shell.user_ns["out"] = "before"
    cell = "%%graph -o out\nGET /users?$top=1&$select=id\n###\nGET /users/nobody\n###\nGET /me"
    ran = sandbox(cell)
    assert isinstance(ran.error, GraphBatchError)
    assert ran.error.request_id_in_batch == "2"
    assert len(ran.outputs) == 3  # every answer is still shown
    assert "404" in ran.stdout and "also failed: 3" in ran.stdout and "--expect" in ran.stdout
    assert "Traceback" not in ran.stdout
    assert shell.user_ns["out"] == "before"


def test_expect_turns_the_failure_into_a_result(sandbox: Any, shell: Any) -> None:
    ran = sandbox(
        "%%graph -o out --expect 404\nGET /users?$top=1&$select=id\n###\nGET /users/nobody"
    )
    assert not ran.failed, ran.everything
    assert shell.user_ns["out"]["2"]["error"]["code"] == "Request_ResourceNotFound"


@pytest.fixture
def graph_magic_systems(tmp_path: Path) -> Path:
    """A sandbox of its own for the write below, so the shared tenant keeps its 250 users."""
    return systems_folder(tmp_path, {"writable": sandbox_system(seed=43)})


def test_depends_on_orders_writes(sandbox: Any, shell: Any) -> None:
    ran = sandbox(
        "%%graph -o out --system writable\n"
        "### make\n"
        'POST /users\n\n{"accountEnabled": true, "displayName": "Batch User",'
        ' "mailNickname": "batchuser", "userPrincipalName": "batchuser@contoso.com",'
        ' "passwordProfile": {"password": "xWwvJ]6NMw+bWH-d"}}\n'
        "### look after make\n"
        "GET /users?$filter=userPrincipalName eq 'batchuser@contoso.com'&$select=displayName"
    )
    assert not ran.failed, ran.everything
    assert list(shell.user_ns["out"]["look"]["displayName"]) == ["Batch User"]


def test_one_batch_cannot_mix_versions(sandbox: Any) -> None:
    ran = sandbox("%%graph\nGET /me\n###\nGET https://graph.microsoft.com/beta/users")
    assert isinstance(ran.error, GraphSyntaxError)
    assert "one Graph version" in ran.stdout


def test_max_items_smaller_than_a_page_keeps_the_rest_for_later(
    sandbox: Any, shell: Any, magic: Any
) -> None:
    sandbox(CELL.replace("-o out", "-o out --max-items 2").replace("$top=3", "$top=5"))
    people = magic.session.last[0]
    first = list(shell.user_ns["out"]["people"]["displayName"])
    assert len(first) == 2 and people.more and people.truncated_reason == "max_items"
    assert people.load_more(3) == 3
    grown = list(shell.user_ns["out"]["people"]["displayName"])
    sandbox("%graph -o direct --max-items 5 GET /users?$select=displayName&$top=5")
    assert grown == list(shell.user_ns["direct"]["displayName"])
