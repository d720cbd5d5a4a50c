"""Paging behaviour the sandbox cannot stage on demand, with a scripted connector in a real shell.

Ctrl-C arrives as a real SIGINT while the notebook waits for a page; the CSV export and the
``-o`` variable must come out of it untouched.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from tests.notebook.magics.magics_fakes import FakeConnector, ctrl_c_at, scripted_session


@pytest.fixture
def connectors(magic: Any) -> list[FakeConnector]:
    """Every connector the session made; each serves 4 pages of 3 users."""
    return scripted_session(magic)


def test_ctrl_c_mid_scan_assigns_nothing_and_leaves_no_file(
    run: Any, shell: Any, connectors: list[FakeConnector], tmp_path: Path
) -> None:
    run("%graph connect sandbox")
    connectors.clear()
    shell.user_ns["users"] = "before"
    run("%%graph -o users --all --max-items 5\nGET /users")  # makes the connector
    shell.user_ns["users"] = "before"
    connectors[0].before_page = functools.partial(ctrl_c_at, wanted=3)

    ran = run("%%graph -o users --csv export.csv\nGET /users")

    assert isinstance(ran.error, KeyboardInterrupt)
    assert shell.user_ns["users"] == "before"
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    assert connectors[0].generators_closed == 2  # the interrupted scan was closed too


def test_interrupted_request_is_in_history(
    run: Any, magic: Any, connectors: list[FakeConnector]
) -> None:
    run("%graph connect sandbox")
    run("%graph GET /users")
    connectors[0].before_page = functools.partial(ctrl_c_at, wanted=2)
    run("%graph GET /users")
    assert [entry.outcome for entry in magic.session.history] == ["ok", "interrupted"]


def test_max_items_cuts_mid_page_and_loading_more_skips_nothing(
    run: Any, shell: Any, magic: Any, connectors: list[FakeConnector]
) -> None:
    run("%%graph -o users --max-items 4\nGET /users")
    assert list(shell.user_ns["users"]["id"]) == ["u0", "u1", "u2", "u3"]
    (result,) = magic.session.last
    assert result.more and result.truncated_reason == "max_items"

    assert result.load_more(3) == 3  # the two cut from page 2, then one of page 3
    assert list(shell.user_ns["users"]["id"]) == [f"u{i}" for i in range(7)]
    assert result.more
    assert result.load_more(None) == 5
    assert list(shell.user_ns["users"]["id"]) == [f"u{i}" for i in range(12)]
    assert not result.more and result.pages == 4
