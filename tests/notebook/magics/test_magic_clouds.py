"""A government system in the notebook: its host in cells and dry runs, its cloud in status."""

from __future__ import annotations

from typing import Any

import pandas as pd


def test_a_cell_on_the_usgov_sandbox_reaches_its_host_and_binds_every_item(
    run: Any, shell: Any
) -> None:
    ran = run(
        "%%graph --system sandbox-usgov -o users\n"
        "GET https://graph.microsoft.us/v1.0/users?$select=displayName&$top=100"
    )
    assert not ran.failed, ran.everything
    users = shell.user_ns["users"]
    assert isinstance(users, pd.DataFrame) and len(users) == 250
    assert list(users.columns) == ["displayName", "id"]


def test_a_dry_run_shows_the_clouds_host(run: Any) -> None:
    ran = run("%%graph --system sandbox-usgov --dry-run\nGET /groups?$top=3")
    assert not ran.failed, ran.everything
    assert ran.text.startswith("GET https://graph.microsoft.us/v1.0/groups?$top=3\n")


def test_a_url_of_the_global_graph_is_refused_on_a_usgov_system(run: Any, shell: Any) -> None:
    shell.user_ns["users"] = "before"
    ran = run("%%graph --system sandbox-usgov -o users\nGET https://graph.microsoft.com/v1.0/users")
    assert ran.failed
    message = str(ran.error)
    assert "host 'graph.microsoft.com' is not graph.microsoft.us" in message
    assert "global cloud's Graph" in message
    assert shell.user_ns["users"] == "before"


def test_status_names_a_national_cloud_and_its_sign_in_host(run: Any) -> None:
    ran = run("%graph connect sandbox-usgov")
    assert not ran.failed, ran.everything
    status = run("%graph status").text
    assert "cloud" in status and "usgov (sign-in at https://login.microsoftonline.us)" in status
    assert "base_url" in status and "https://graph.microsoft.us/v1.0" in status


def test_status_of_a_global_system_names_no_cloud(run: Any) -> None:
    assert not run("%graph connect sandbox").failed
    status = run("%graph status").text
    assert "usgov" not in status and "cloud " not in status
