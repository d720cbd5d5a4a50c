"""``%graph permissions``: what allows a request, and what this notebook's requests needed."""

from __future__ import annotations

from graph_magic.knowledge import Knowledge
from graph_magic.notebook.commands.permissions import needed_permissions, request_permissions
from graph_magic.notebook.display.blocks import Panel
from graph_magic.notebook.session import HistoryEntry

GLOBAL = Knowledge.for_cloud("global")
V1 = "https://graph.microsoft.com/v1.0"


def _shown(call: object, *args: object) -> Panel:
    shown: list[object] = []
    call(GLOBAL, *args, shown.append)  # type: ignore[operator]
    (only,) = shown
    assert isinstance(only, Panel)
    return only


def test_a_request_shows_least_privileged_and_other_permissions_per_scheme() -> None:
    panel = _shown(request_permissions, "GET", "/auditLogs/signIns")
    assert panel.title == "Permissions for GET /auditLogs/signIns"
    assert panel.header == ("scheme", "least privileged", "also allowed")
    rows = {row[0]: row for row in panel.rows}
    assert rows["application"][1] == "AuditLog.Read.All"
    assert rows["delegated (work or school)"][1] == "AuditLog.Read.All"
    assert "auditlogs/signins" in panel.note


def test_the_others_that_also_allow_it_are_listed() -> None:
    panel = _shown(request_permissions, "GET", "/users")
    application = next(row for row in panel.rows if row[0] == "application")
    answer = GLOBAL.permissions("GET", "/users")
    assert application[1] == ", ".join(answer.application.least)
    assert "Directory.Read.All" in application[2]


def test_a_request_the_map_does_not_know_says_so() -> None:
    panel = _shown(request_permissions, "GET", "/noSuchThing")
    assert panel.rows == ()
    assert "no entry" in panel.note


def test_no_request_lists_what_the_history_needed_deduplicated() -> None:
    entries = [
        HistoryEntry("sandbox", "GET", f"{V1}/users?$top=5", 200, "ok"),
        HistoryEntry("sandbox", "GET", f"{V1}/users", 200, "ok"),
        HistoryEntry("sandbox", "GET", f"{V1}/auditLogs/signIns", 403, "error"),
        HistoryEntry("sandbox", "DELETE", f"{V1}/users/abc", None, "dry-run"),
    ]
    panel = _shown(needed_permissions, entries)
    assert [row[0] for row in panel.rows] == ["GET /users", "GET /auditlogs/signins"]
    users_least = GLOBAL.permissions("GET", "/users").application.least[0]
    assert panel.note.splitlines() == [
        f"app registration, delegated: {users_least}, AuditLog.Read.All",
        f"app registration, application: {users_least}, AuditLog.Read.All",
    ]


def test_no_requests_yet() -> None:
    assert _shown(needed_permissions, []).title == "No requests with known permissions yet"
