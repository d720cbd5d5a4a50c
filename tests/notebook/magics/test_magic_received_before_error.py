"""A scan that fails mid-way keeps what arrived: on the error, never in the ``-o`` variable.

The scripted connector serves 4 pages of 3 users and fails while the notebook waits for page 3,
the way a connection that keeps dropping or a refused nextLink ends a long scan.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from graph_magic.errors import GraphAPIError, GraphSecurityError, GraphTransportError
from tests.notebook.magics.magics_fakes import scripted_session

RECEIVED_LINE = (
    "received before the error: 6 items in 2 pages, kept as a DataFrame in "
    "sys.last_value.received (the -o variable was not changed)"
)


async def _fail_at(number: int, wanted: int, error: Exception) -> None:
    if number == wanted:
        raise error


def _transport_error() -> GraphTransportError:
    return GraphTransportError(
        "GET https://graph.microsoft.com/v1.0/users failed after 3 attempt(s): ConnectError",
        url="https://graph.microsoft.com/v1.0/users",
        attempts=3,
    )


def _throttled() -> GraphAPIError:
    return GraphAPIError(
        429,
        url="https://graph.microsoft.com/v1.0/users",
        method="GET",
        code="TooManyRequests",
        message="Please retry again later.",
        attempts=5,
    )


def _refused() -> GraphSecurityError:
    return GraphSecurityError(
        "Refusing to send the Graph token to https://evil.example:443", url="https://evil.example"
    )


@pytest.fixture
def failing(magic: Any, run: Any) -> Any:
    """``failing(error)``: the next scan fails with ``error`` while waiting for page 3."""
    made = scripted_session(magic)
    run("%graph connect sandbox")
    run("%graph --quiet GET /users")  # makes the connector

    def arm(error: Exception) -> None:
        made[0].before_page = functools.partial(_fail_at, wanted=3, error=error)

    return arm


@pytest.mark.parametrize("error", [_transport_error, _throttled, _refused])
def test_items_received_before_the_error_are_on_it(
    failing: Any, run: Any, shell: Any, error: Any
) -> None:
    failing(error())
    shell.user_ns["users"] = "before"

    ran = run("%%graph -o users\nGET /users")

    assert type(ran.error) is type(error())
    assert RECEIVED_LINE in ran.stdout
    assert shell.user_ns["users"] == "before"
    received = run("import sys\nreceived = sys.last_value.received")
    assert not received.failed
    frame = shell.user_ns["received"]
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["id"]) == [f"u{i}" for i in range(6)]
    assert list(frame.columns) == ["id", "displayName"]


def test_select_orders_the_received_columns(failing: Any, run: Any, shell: Any) -> None:
    failing(_transport_error())
    run("%%graph\nGET /users\n$select: displayName,id")
    run("import sys\nreceived = sys.last_value.received")
    assert list(shell.user_ns["received"].columns) == ["displayName", "id"]


def test_failure_on_the_first_page_reports_nothing_received(magic: Any, run: Any) -> None:
    made = scripted_session(magic, pages=2)
    run("%graph connect sandbox")
    run("%graph --quiet GET /users")  # makes the connector
    made[0].before_page = functools.partial(_fail_at, wanted=1, error=_transport_error())
    ran = run("%graph GET /users")
    assert isinstance(ran.error, GraphTransportError)
    assert "received before the error" not in ran.stdout
    assert not hasattr(ran.error, "received")


def test_csv_export_is_removed_but_the_items_stay_on_the_error(
    failing: Any, run: Any, tmp_path: Path
) -> None:
    failing(_transport_error())
    ran = run("%%graph -o users --csv users.csv\nGET /users")
    assert RECEIVED_LINE in ran.stdout
    assert not (tmp_path / "users.csv").exists()


def test_csv_without_out_keeps_no_items_and_says_nothing(
    failing: Any, run: Any, tmp_path: Path
) -> None:
    failing(_transport_error())
    ran = run("%%graph --csv users.csv\nGET /users")
    assert isinstance(ran.error, GraphTransportError)
    assert "received before the error" not in ran.stdout
    assert not (tmp_path / "users.csv").exists()
