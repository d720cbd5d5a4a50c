"""One cell, several tenants: ``--system a,b`` and ``--system 'customer-*'`` on sandbox tenants."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from graph_magic.errors import GraphFanoutError
from graph_magic.notebook.errors import GraphUsageError
from tests.support.systems import systems_folder

_APP = (
    "auth_type: azure\ntransport: sandbox\ntoken_cache: false\n"
    "credentials:\n  tenant_id: {tenant}.onmicrosoft.com\n  client_id: {client}\n"
    "  client_secret: {secret}\nsandbox:\n  tenant: {tenant}\n"
)
_FULL = {"client": "sandbox-app", "secret": "sandbox-secret"}
SYSTEMS = {
    # Three customers: tenants of their own names, seeds and sizes.
    "customer-a": _APP.format(tenant="adatum", **_FULL) + "  seed: 1\n  users: 30\n  groups: 4\n",
    "customer-b": _APP.format(tenant="fabrikam", **_FULL) + "  seed: 2\n  users: 20\n  groups: 3\n",
    # Its secret has expired: signing in fails, and only this tenant.
    "customer-c": _APP.format(tenant="northwind", client="sandbox-app", secret="expired-secret")
    + "  seed: 3\n  users: 10\n",
    # An app without AuditLog.Read.All: a 403 on sign-ins.
    "limited": _APP.format(
        tenant="contoso", client="sandbox-limited", secret="sandbox-limited-secret"
    )
    + "  seed: 4\n  users: 10\n",
}


@pytest.fixture
def graph_magic_systems(tmp_path: Path) -> Path:
    return systems_folder(tmp_path, SYSTEMS)


def test_a_list_of_systems_gives_one_frame_with_a_system_column(run: Any, shell: Any) -> None:
    cell = (
        "%%graph --system customer-a,customer-b -o users\n"
        "GET /users?$select=displayName,id,userPrincipalName"
    )
    ran = run(cell)
    assert not ran.failed, ran.everything
    users = shell.user_ns["users"]
    assert isinstance(users, pd.DataFrame)
    assert list(users.columns) == ["system", "displayName", "id", "userPrincipalName"]
    assert users["system"].value_counts().to_dict() == {"customer-a": 30, "customer-b": 20}
    assert users.attrs["systems_answered"] == ["customer-a", "customer-b"]
    assert users.attrs["systems_failed"] == {}
    # Each customer is its own tenant: its users are on its own domains only.
    domains = users["userPrincipalName"].str.rsplit("@", n=1).str[-1]
    for system, tenant in (("customer-a", "adatum"), ("customer-b", "fabrikam")):
        own = set(domains[users["system"] == system])
        assert f"{tenant}.com" in own and own <= {f"{tenant}.com", f"{tenant}.onmicrosoft.com"}
    assert "2 of 2 systems answered:\n  customer-a: 30 rows\n  customer-b: 20 rows" in ran.text


def test_a_failing_tenant_is_reported_and_the_others_kept(run: Any, shell: Any) -> None:
    ran = run("%%graph --system 'customer-*' -o groups\nGET /groups?$select=displayName")
    assert not ran.failed, ran.everything
    groups = shell.user_ns["groups"]
    assert sorted(set(groups["system"])) == ["customer-a", "customer-b"]
    assert len(groups) == 7
    failed = groups.attrs["systems_failed"]
    assert list(failed) == ["customer-c"] and failed["customer-c"].startswith("GraphAuthError")
    assert "2 of 3 systems answered:" in ran.text
    assert "customer-c: failed, GraphAuthError: client credentials sign-in failed" in ran.text
    assert "expired-secret" not in ran.everything  # the secret is never shown


def test_a_403_in_one_tenant_is_its_own_failure(run: Any, shell: Any) -> None:
    ran = run(
        "%%graph --system customer-a,limited -o signins --max-items 5\nGET /auditLogs/signIns"
    )
    assert not ran.failed, ran.everything
    signins = shell.user_ns["signins"]
    assert set(signins["system"]) == {"customer-a"} and len(signins) == 5
    assert "limited: failed, GraphAPIError: 403" in ran.text


def test_every_tenant_failing_fails_the_cell_and_binds_nothing(run: Any, shell: Any) -> None:
    shell.user_ns["out"] = "before"
    ran = run("%%graph --system customer-c,limited -o out\nGET /auditLogs/signIns")
    assert ran.failed and isinstance(ran.error, GraphFanoutError)
    assert set(ran.error.failures) == {"customer-c", "limited"}
    assert shell.user_ns["out"] == "before"


def test_csv_holds_the_combined_rows(run: Any, tmp_path: Path) -> None:
    target = tmp_path / "users.csv"
    ran = run(f"%%graph --system customer-a,customer-b --csv {target}\nGET /users?$select=id")
    assert not ran.failed, ran.everything
    with target.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 50 and list(rows[0]) == ["system", "id"]


def test_a_dry_run_shows_each_systems_request_and_sends_nothing(run: Any, magic: Any) -> None:
    ran = run("%%graph --system 'customer-*' --dry-run\nGET /users?$top=5")
    assert not ran.failed, ran.everything
    for name in ("customer-a", "customer-b", "customer-c"):
        assert f"system {name}:\nGET https://graph.microsoft.com/v1.0/users?$top=5" in ran.text
    assert magic.session.history[-1].outcome == "dry-run"


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%graph --system 'nobody-*'\nGET /users", "--system 'nobody-*' matches no system"),
        ("%%graph --system customer-a,customer-b\nPOST /users\n\n{}", "only reads go to several"),
        (
            "%%graph --system customer-a,customer-b\nGET /users\n###\nGET /groups",
            "holds one request",
        ),
    ],
)
def test_what_cannot_fan_out_is_refused_before_sending(run: Any, cell: str, message: str) -> None:
    ran = run(cell)
    assert ran.failed and isinstance(ran.error, GraphUsageError)
    assert message in str(ran.error)


def test_the_report_names_entras_reason_without_its_trace_ids(run: Any) -> None:
    ran = run("%%graph --system customer-a,customer-c\nGET /users?$top=1&$select=id")
    assert not ran.failed, ran.everything
    line = next(x for x in ran.text.splitlines() if x.startswith("  customer-c: failed"))
    assert line.endswith("for a secret added to app 'sandbox-app'.")
    assert "Trace ID" not in line and "Correlation ID" not in line


def test_parquet_holds_the_combined_rows_with_their_system(run: Any, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    target = tmp_path / "users.parquet"
    cell = f"%%graph --system customer-a,customer-b --parquet {target}\nGET /users?$select=id"
    ran = run(cell)
    assert not ran.failed, ran.everything
    table = pq.read_table(target)
    assert table.column_names == ["system", "id"]
    assert sorted(set(table.column("system").to_pylist())) == ["customer-a", "customer-b"]
    assert table.num_rows == 50
