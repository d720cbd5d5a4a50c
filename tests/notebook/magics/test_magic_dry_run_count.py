"""``--dry-run`` on a scan that asks ``$count=true``: one counting request, then the estimate.

The count is the one request a dry run sends, and only when the cell asks for it; the line
says so, and the estimate of a paced system counts its pages from Graph's answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.systems import sandbox_system, systems_folder

PACED = sandbox_system(seed=42, faults={"throttle": True})


@pytest.fixture
def graph_magic_systems(tmp_path: Path) -> Path:
    return systems_folder(tmp_path, {"paced": PACED})


def _sent(run: Any, cell: str, tmp_path: Path) -> tuple[Any, list[dict[str, Any]]]:
    """Run ``cell`` while recording, so what went on the wire can be read back."""
    cassette = tmp_path / "wire.jsonl"
    run(f"%graph record {cassette}")
    ran = run(cell)
    run("%graph record stop")
    lines = cassette.read_text().splitlines()[1:]
    return ran, [json.loads(line)["request"] for line in lines]


def test_a_counted_dry_run_sends_one_request_and_estimates_the_pages(
    run: Any, tmp_path: Path
) -> None:
    assert not run("%graph connect paced").failed
    cell = "%%graph --dry-run\nGET /users?$count=true&$top=100\nConsistencyLevel: eventual"
    ran, sent = _sent(run, cell, tmp_path)
    assert not ran.failed, ran.everything
    assert [(r["path"], dict(r["query"])) for r in sent] == [
        ("/v1.0/users", {"$count": "true", "$top": "1"})
    ]
    text = ran.text
    assert "(count: Graph counts 250 items; one request with $top=1 was sent to ask)" in text
    assert "(dry run: 1 request to system 'paced'; nothing else was sent)" in text
    # 250 users in pages of 100: three requests, each GET /users costing 2 resource units
    # (Graph's documented cost, $top >= 20), well inside the identity budget: no wait.
    assert "identity limit" in text and ": 3 requests, at least 0 s)" in text


def test_a_dry_run_without_count_sends_nothing(run: Any, tmp_path: Path) -> None:
    assert not run("%graph connect paced").failed
    ran, sent = _sent(run, "%%graph --dry-run\nGET /users?$top=100", tmp_path)
    assert sent == []
    assert "(count:" not in ran.text
    assert "nothing was sent" in ran.text


def test_a_count_without_a_known_page_size_leaves_the_pages_unknown(
    run: Any, tmp_path: Path
) -> None:
    assert not run("%graph connect paced").failed
    ran, sent = _sent(run, "%%graph --dry-run\nGET /subscribedSkus?$count=true", tmp_path)
    assert len(sent) == 1
    assert "(count: Graph counts 5 items; one request with $top=1 was sent to ask)" in ran.text
    assert "the number of pages is not known before Graph answers" in ran.text


def test_a_count_graph_refuses_is_said_and_nothing_more_is_sent(run: Any, tmp_path: Path) -> None:
    assert not run("%graph connect paced").failed
    ran, sent = _sent(
        run, "%%graph --dry-run\nGET /users/nobody@contoso.com/memberOf?$count=true", tmp_path
    )
    assert not ran.failed, ran.everything
    assert len(sent) == 1
    assert "(count: Graph did not count: " in ran.text
