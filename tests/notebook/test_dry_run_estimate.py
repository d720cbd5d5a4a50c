"""``--dry-run`` of a scan estimates its requests and time from the limits it is paced by,
and ``--priority`` puts x-ms-throttle-priority on the wire (and in the dry run: the wire)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import respx

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.config import SystemConfig
from graph_magic.notebook.errors import GraphUsageError
from graph_magic.notebook.magic import GraphMagic
from graph_magic.notebook.options import RunOptions, Settings, split_line
from graph_magic.notebook.run import DryRun, run_cell
from graph_magic.notebook.session import GraphSession
from tests.support.graph import GRAPH

REPORTS = "reports limit 5 requests per 10 s per app and tenant"


class _Token:
    async def get_token(self, *, force_refresh: bool = False) -> str:
        return "token"

    def describe(self) -> dict[str, Any]:
        return {"auth_type": "bearer", "signed_in": True}

    async def logout(self) -> None:
        return None


def _system(tmp_path: Path, extra: str = "") -> str:
    path = tmp_path / "paced.yaml"
    path.write_text(f"base_url: {GRAPH}\nauth_type: bearer\ntoken: t\n{extra}")
    return str(path)


def _run(cell: str, **options: Any) -> tuple[GraphSession, list[Any]]:
    shown: list[Any] = []

    def factory(system: SystemConfig, *, token_provider: Any = None) -> GraphConnector:
        return GraphConnector(system, token_provider=_Token())

    session = GraphSession(
        connector_factory=factory, token_provider_factory=lambda s: _Token(), show=shown.append
    )
    run_cell(session, cell, {}, RunOptions(**options), Settings(progress=False))
    return session, shown


def _dry(cell: str, **options: Any) -> str:
    session, shown = _run(cell, dry_run=True, **options)
    session.close()
    (dry,) = [item for item in shown if isinstance(item, DryRun)]
    return dry.text


def _estimate(text: str) -> str | None:
    lines = [line for line in text.splitlines() if line.startswith("(estimate: ")]
    return lines[0] if lines else None


@pytest.mark.parametrize(
    ("cell", "max_items", "expected"),
    [
        ("GET /auditLogs/signIns", 25_000, f"{REPORTS}: 25 requests, at least 40 s"),
        ("GET /auditLogs/signIns\n$top: 500", 1_000, f"{REPORTS}: 2 requests, at least 0 s"),
        (
            "GET /auditLogs/signIns",
            None,
            f"{REPORTS}: the number of pages is not known before Graph answers; each request "
            "past the first 5 takes at least 2 s",
        ),
        (
            "GET /users\n$top: 999",
            4_995,
            "identity limit 3,500 resource units per 10 s per app and tenant: 5 requests, "
            "at least 0 s",
        ),
        (
            "GET /auditLogs/directoryAudits",
            5_000,
            f"{REPORTS}: the number of pages is not known before Graph answers; each request "
            "past the first 5 takes at least 2 s",
        ),  # no documented page size for audits, and no $top: pages unknown
    ],
)
def test_a_scans_estimate(tmp_path: Path, cell: str, max_items: int | None, expected: str) -> None:
    text = _dry(cell, system=_system(tmp_path), max_items=max_items)
    assert _estimate(text) == f"(estimate: {expected})"
    assert text.endswith("nothing was sent)")


def test_the_estimate_follows_the_systems_table(tmp_path: Path) -> None:
    system = _system(tmp_path, "limits:\n  reports_table: legacy\n")
    text = _dry("GET /auditLogs/signIns", system=system, max_items=100_000)
    assert _estimate(text) == (
        "(estimate: reports limit 1,000 requests per 20 s per app and tenant: "
        "100 requests, at least 0 s)"
    )


def test_no_estimate_where_nothing_is_paced(tmp_path: Path) -> None:
    unpaced = _system(tmp_path, "limits:\n  pacing: false\n")
    assert _estimate(_dry("GET /auditLogs/signIns", system=unpaced)) is None
    assert _estimate(_dry("GET /auditLogs/signIns", system="sandbox")) is None  # no throttle
    assert _estimate(_dry("POST /invitations\n\n{}", system=_system(tmp_path))) is None


@pytest.mark.parametrize(("priority", "sent"), [("high", "High"), ("low", "Low")])
def test_priority_is_in_the_dry_run_and_on_the_wire(
    tmp_path: Path, priority: str, sent: str
) -> None:
    system = _system(tmp_path, "throttle_priority: normal\n")
    text = _dry("GET /users", system=system, priority=priority)
    assert f"\nx-ms-throttle-priority: {sent}\n" in text
    with respx.mock(assert_all_mocked=True) as graph:
        route = graph.get(f"{GRAPH}/users").mock(
            return_value=httpx.Response(200, json={"value": []})
        )
        session, _ = _run("GET /users", system=system, priority=priority, quiet=True)
        session.close()
    assert route.calls.last.request.headers["x-ms-throttle-priority"] == sent


def test_the_systems_priority_when_the_cell_names_none(tmp_path: Path) -> None:
    text = _dry("GET /users", system=_system(tmp_path, "throttle_priority: low\n"))
    assert "\nx-ms-throttle-priority: Low\n" in text


def test_a_header_written_in_the_cell_wins_over_priority(tmp_path: Path) -> None:
    cell = "GET /users\nx-ms-throttle-priority: Normal"
    text = _dry(cell, system=_system(tmp_path), priority="high")
    assert "\nx-ms-throttle-priority: Normal\n" in text and "High" not in text


def _options(line: str) -> RunOptions:
    argv, _ = split_line(line, GraphMagic.graph.parser)
    return GraphMagic(shell=None)._parse_options(argv)


def test_the_priority_option_is_parsed_in_any_case() -> None:
    assert _options("--priority High GET /users").priority == "high"
    assert _options("GET /users").priority is None
    with pytest.raises(GraphUsageError, match="invalid choice: 'urgent'"):
        _options("--priority urgent GET /users")
