"""Each ``%graph`` command's function called directly: a session, a list for ``show``, no shell."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from graph_magic.notebook.commands import COMMANDS, run_command
from graph_magic.notebook.commands.connect import connect
from graph_magic.notebook.commands.history import history
from graph_magic.notebook.commands.logout import logout
from graph_magic.notebook.commands.status import status
from graph_magic.notebook.commands.systems import systems
from graph_magic.notebook.display.blocks import Panel
from graph_magic.notebook.errors import GraphUsageError
from graph_magic.notebook.magic import GraphMagic
from graph_magic.notebook.session import GraphSession, HistoryEntry
from tests.support.fakes import FixedTokenProvider


@pytest.fixture
def session(isolated: Path) -> GraphSession:
    """A session signing in with a fixed token; only the package's built-in systems exist."""
    return GraphSession(token_provider_factory=lambda system: FixedTokenProvider(), run=asyncio.run)


def _rows(panel: Panel) -> dict[str, str]:
    return dict(panel.rows)  # type: ignore[arg-type]


def test_connect_signs_in_makes_current_and_shows_the_status(session: GraphSession) -> None:
    shown: list[Any] = []
    connect(session, "sandbox", shown.append)
    assert session.current == "sandbox"
    [panel] = shown
    assert panel.title == "Connected to 'sandbox'"
    assert _rows(panel)["base_url"] == "https://graph.microsoft.com/v1.0"
    assert _rows(panel)["token"] == "held (no expiry known)"
    assert panel.note == "defined in built-in sandbox.yaml"


def test_status_of_a_system_not_signed_in(session: GraphSession) -> None:
    shown: list[Any] = []
    status(session, "sandbox", shown.append)
    [panel] = shown
    assert panel.title == "System 'sandbox' (not the current system)"
    assert _rows(panel)["token"] == "none yet"


def test_logout_says_whether_it_was_signed_in(session: GraphSession) -> None:
    shown: list[Any] = []
    logout(session, "sandbox", shown.append)
    connect(session, "sandbox", lambda _: None)
    logout(session, "sandbox", shown.append)
    assert [panel.title for panel in shown] == [
        "'sandbox' was not signed in.",
        "Signed out of 'sandbox'.",
    ]
    assert session.current is None


def test_systems_marks_the_current_one(isolated: Path) -> None:
    shown: list[Any] = []
    systems("sandbox-limited", shown.append)
    [panel] = shown
    marked = [row[1] for row in panel.rows if row[0] == "*"]
    assert marked == ["sandbox-limited"]
    assert ("", "sandbox", "built-in", "built-in sandbox.yaml") in panel.rows


def test_history_numbers_the_entries_with_their_size() -> None:
    shown: list[Any] = []
    entries = [
        HistoryEntry("sandbox", "GET", "https://g/v1.0/users", 200, "ok", rows=1200, pages=3),
        HistoryEntry("sandbox", "GET", "https://g/v1.0/me", None, "dry-run"),
        HistoryEntry("sandbox", "GET", "https://g/v1.0/me", 200, "ok", rows=1, pages=1),
    ]
    history(entries, shown.append)
    history([], shown.append)
    [listed, empty] = shown
    assert listed.title == "Last 3 requests"
    assert [row[-1] for row in listed.rows] == ["1,200 rows, 3 pages", "", "1 row, 1 page"]
    assert [row[4] for row in listed.rows] == ["200", "", "200"]
    assert empty == Panel("No requests yet")


def _run(session: GraphSession, text: str, default_system: str = "sandbox") -> list[Any]:
    shown: list[Any] = []
    run_command(
        text,
        session=session,
        default_system=default_system,
        show=shown.append,
        magic_parser=GraphMagic.graph.parser,
        settings=GraphMagic.class_trait_names(config=True),
    )
    return shown


def test_commands_act_on_the_named_then_the_connected_then_the_default_system(
    session: GraphSession,
) -> None:
    assert _run(session, "status", "sandbox-limited")[0].title.startswith("System 'sandbox-lim")
    connect(session, "sandbox", lambda _: None)
    assert _run(session, "status", "sandbox-limited")[0].title == "System 'sandbox'"
    named = _run(session, "STATUS sandbox-limited")[0].title
    assert named == "System 'sandbox-limited' (not the current system)"
    assert session.system_name(None, "graph") == "sandbox"
    assert session.system_name("graph", "sandbox-limited") == "graph"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("history now", "%graph history: unrecognized arguments: now; usage: %graph history"),
        ("logout a b", "%graph logout: unrecognized arguments: b; usage: %graph logout [NAME]"),
        ("frobnicate", "unknown command 'frobnicate'. Commands: " + ", ".join(COMMANDS)),
        ("connect 'sandbox", 'cannot read "connect \'sandbox": No closing quotation'),
    ],
)
def test_wrong_command_lines_are_usage_errors(
    session: GraphSession, text: str, complaint: str
) -> None:
    with pytest.raises(GraphUsageError) as caught:
        _run(session, text)
    assert str(caught.value).startswith(complaint)
