"""``%%graph --parallel N``: a log scan in time windows, as the cell shows and binds it.

Against the sandbox tenant: the windowed frame is the sequential one, row for row; a dry run
shows each window's request; what cannot be windowed is refused before anything is sent; a
window that fails shows the error and keeps the other windows' rows on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph_magic.notebook.session import GraphSession
from tests.support.log_sandbox import log_connector, log_tenant
from tests.support.systems import sandbox_system, systems_folder

BOUNDS = "createdDateTime ge 2025-05-20T00:00:00Z and createdDateTime lt 2025-05-26T00:00:00Z"
CELL = f"GET /auditLogs/signIns\n$filter: {BOUNDS}\n$select: id,createdDateTime,appDisplayName"


def test_the_windowed_frame_is_the_sequential_frame(sandbox: Any, shell: Any) -> None:
    windowed = sandbox(f"%%graph --parallel 4 -o windowed --quiet\n{CELL}\n$top: 40")
    sequential = sandbox(f"%%graph -o sequential --quiet\n{CELL}\n$top: 40")
    assert not windowed.failed and not sequential.failed, windowed.everything
    frame, expected = shell.user_ns["windowed"], shell.user_ns["sequential"]
    assert len(expected) > 300
    assert frame.equals(expected)


def test_provisioning_logs_in_four_windows_are_the_sequential_frame(
    sandbox: Any, shell: Any
) -> None:
    days = "activityDateTime ge 2025-05-02T00:00:00Z and activityDateTime lt 2025-06-01T00:00:00Z"
    cell = (
        f"GET /auditLogs/provisioning\n$filter: {days}\n"
        "$select: id,activityDateTime,provisioningAction\n$top: 25"
    )
    windowed = sandbox(f"%%graph --parallel 4 -o windowed --quiet\n{cell}")
    sequential = sandbox(f"%%graph -o sequential --quiet\n{cell}")
    assert not windowed.failed and not sequential.failed, windowed.everything
    frame, expected = shell.user_ns["windowed"], shell.user_ns["sequential"]
    assert len(expected) == 300  # the sandbox's every provisioning event, once
    assert frame["id"].is_unique
    assert frame.equals(expected)


def test_ascending_order_merges_oldest_first_and_the_csv_matches(
    sandbox: Any, shell: Any, tmp_path: Path
) -> None:
    order = "$orderby: createdDateTime asc"
    windowed = sandbox(f"%%graph --parallel 3 --csv {tmp_path}/w.csv --quiet\n{CELL}\n{order}")
    sequential = sandbox(f"%%graph --csv {tmp_path}/s.csv --quiet\n{CELL}\n{order}")
    assert not windowed.failed and not sequential.failed, windowed.everything
    written = (tmp_path / "w.csv").read_text(encoding="utf-8")
    assert written == (tmp_path / "s.csv").read_text(encoding="utf-8")
    assert written.count("\n") > 300


def test_a_dry_run_shows_each_windows_first_request(sandbox: Any) -> None:
    ran = sandbox(f"%%graph --dry-run --parallel 2\n{CELL}")
    assert not ran.failed, ran.everything
    head = "GET https://graph.microsoft.com/v1.0/auditLogs/signIns?$filter="
    user = BOUNDS.replace(" ", "%20")
    select = "&$select=id,createdDateTime,appDisplayName\nAuthorization: ***"
    assert ran.text == (
        "# window 1 of 2: createdDateTime ge 2025-05-23T00:00:00Z\n"
        f"{head}({user})%20and%20createdDateTime%20ge%202025-05-23T00:00:00Z{select}\n\n"
        "# window 2 of 2: createdDateTime lt 2025-05-23T00:00:00Z\n"
        f"{head}({user})%20and%20createdDateTime%20lt%202025-05-23T00:00:00Z{select}\n\n"
        "(dry run: 1 scan as 2 time windows of createdDateTime, scanned at once and merged "
        "newest first, to system 'sandbox'; nothing was sent)"
    )


@pytest.fixture
def graph_magic_systems(tmp_path: Path) -> Path:
    """A sandbox that holds the reports to Graph's strict table (so cells are paced by it)."""
    faults = {"throttle": True, "throttle_reports_table": "current"}
    return systems_folder(tmp_path, {"strict-reports": sandbox_system(faults=faults)})


def test_a_dry_run_at_a_paced_system_adds_the_limit_and_the_windows_requests(
    sandbox: Any,
) -> None:
    ran = sandbox(f"%%graph --dry-run --parallel 4 --system strict-reports\n{CELL}")
    assert not ran.failed, ran.everything
    assert ran.text.count("# window ") == 4
    assert (
        "(estimate: reports limit 5 requests per 10 s per app and tenant: the number of pages is "
        "not known before Graph answers; each request past the first 5 takes at least 2 s; "
        "4 windows add up to 3 requests)\n(dry run: 1 scan as 4 time windows"
    ) in ran.text


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        (
            "%%graph --parallel 4\nGET /users",
            "UsageError: --parallel cuts a log scan into time windows, so it works only on a GET "
            "of a time-ordered log collection: /auditLogs/signIns (createdDateTime), "
            "/auditLogs/directoryAudits (activityDateTime), /auditLogs/provisioning "
            "(activityDateTime); not GET /users",
        ),
        (
            "%%graph --parallel 4 --dry-run\nGET /users",
            "not GET /users",
        ),
        (
            "%%graph --parallel 4 --max-items 10\nGET /auditLogs/signIns",
            "--parallel scans every window to its end, so --max-items does not fit it",
        ),
        ("%%graph --parallel 0\nGET /auditLogs/signIns", "--parallel takes 1 to 64 windows, not 0"),
        ("%%graph --parallel 65 --dry-run\nGET /auditLogs/signIns", "not 65 (more would only"),
        (
            "%%graph --parallel 2\nGET /auditLogs/signIns\n###\nGET /auditLogs/directoryAudits",
            "--parallel cuts one log scan into time windows; this cell has 2 requests",
        ),
        (
            "%%graph --parallel 2 --system sandbox,sandbox-limited\nGET /auditLogs/signIns",
            "--parallel works on one system's scan; name one system",
        ),
    ],
)
def test_what_cannot_be_windowed_is_refused_and_nothing_is_sent(
    sandbox: Any, magic: Any, cell: str, message: str
) -> None:
    before = len(magic.session.history)
    ran = sandbox(cell)
    assert ran.failed
    assert message in ran.everything
    assert len(magic.session.history) == before


def test_a_failed_window_shows_the_error_and_keeps_the_others_rows(
    magic: Any, run: Any, shell: Any
) -> None:
    app = log_tenant()

    def newest_window(url: Any) -> bool:
        return "ge%202025-05-23T00:00:00Z" in str(url)

    magic.session = GraphSession(
        connector_factory=lambda system, token_provider=None: log_connector(app, newest_window)[0]
    )
    shell.user_ns["logs"] = "before"
    ran = run(f"%%graph --parallel 2 -o logs\n{CELL}")
    assert ran.failed
    stored = app.state.tenant.sign_ins
    older = [s for s in stored if "2025-05-20" <= s["createdDateTime"] < "2025-05-23"]
    assert "400 BadRequest" in ran.stdout
    assert (
        "window 1 of 2 (createdDateTime ge 2025-05-23T00:00:00Z) failed; the other windows' "
        "items were kept" in ran.stdout
    )
    assert f"received before the error: {len(older):,} items" in ran.stdout
    assert shell.user_ns["logs"] == "before"
    run("import sys\nreceived = sys.last_value.received")
    assert list(shell.user_ns["received"]["id"]) == [s["id"] for s in older]
