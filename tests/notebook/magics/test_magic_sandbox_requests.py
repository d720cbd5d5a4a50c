"""Cells against the in-process sandbox tenant: options, the line form, CSV, writes, batches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from graph_magic.notebook import runtime


@pytest.fixture
def total_users(sandbox: Any, shell: Any) -> int:
    ran = sandbox("%%graph -o n\nGET /users/$count\nConsistencyLevel: eventual")
    assert not ran.failed, ran.everything
    return int(shell.user_ns["n"])


def test_cell_binds_every_page_as_a_dataframe_in_select_order(
    sandbox: Any, shell: Any, total_users: int
) -> None:
    ran = sandbox("%%graph -o users\nGET /users?$select=mail,displayName\n$top: 7")
    assert not ran.failed, ran.everything
    users = shell.user_ns["users"]
    assert isinstance(users, pd.DataFrame)
    assert list(users.columns)[:2] == ["mail", "displayName"]
    assert len(users) == total_users > 7  # every page, not the first seven
    assert len(ran.outputs) == 1


def test_line_form_returns_what_dash_o_binds(sandbox: Any, shell: Any) -> None:
    ran = sandbox("users = %graph GET /users?$select=id,displayName&$top=5\nbound = 1")
    assert not ran.failed, ran.everything
    sandbox("%%graph -o same\nGET /users?$select=id,displayName&$top=5")
    assert isinstance(shell.user_ns["users"], pd.DataFrame)
    pd.testing.assert_frame_equal(shell.user_ns["users"], shell.user_ns["same"])
    assert ran.outputs == []  # an assignment shows nothing


def test_max_items_stops_and_says_more_remain(sandbox: Any, shell: Any, magic: Any) -> None:
    ran = sandbox("%%graph -o users --max-items 12\nGET /users?$top=5")
    assert len(shell.user_ns["users"]) == 12
    (result,) = magic.session.last
    assert result.more and result.truncated_reason == "max_items"
    assert result.pages == 3
    assert "more" in ran.text.lower()


def test_no_paginate_keeps_the_first_page(sandbox: Any, shell: Any, magic: Any) -> None:
    sandbox("%%graph -o users --no-paginate\nGET /users?$top=4")
    assert len(shell.user_ns["users"]) == 4
    (result,) = magic.session.last
    assert result.more and result.truncated_reason == "no_paginate"
    assert result.next_link


def test_auto_paginate_off_then_all_on_the_cell(sandbox: Any, shell: Any, total_users: int) -> None:
    sandbox("%config GraphMagic.auto_paginate = False")
    sandbox("%%graph -o users\nGET /users?$top=6")
    assert len(shell.user_ns["users"]) == 6
    sandbox("%%graph -o users --all\nGET /users?$top=6")
    assert len(shell.user_ns["users"]) == total_users


def test_raw_binds_graphs_json(sandbox: Any, shell: Any, total_users: int) -> None:
    sandbox("%%graph -o raw --raw\nGET /users?$select=id&$top=50")
    raw = shell.user_ns["raw"]
    assert isinstance(raw, dict)
    assert len(raw["value"]) == total_users
    assert set(raw["value"][0]) == {"id"}


def test_entity_is_a_property_value_table(sandbox: Any, shell: Any) -> None:
    sandbox("%graph -o first --max-items 1 GET /users?$select=id,userPrincipalName")
    upn = shell.user_ns["first"]["userPrincipalName"][0]
    shell.user_ns["upn"] = upn
    ran = sandbox("%%graph -o me\nGET /users/{{upn}}?$select=displayName,userPrincipalName")
    assert not ran.failed, ran.everything
    me = shell.user_ns["me"]
    assert list(me.columns) == ["property", "value"]
    assert dict(zip(me["property"], me["value"], strict=True))["userPrincipalName"] == upn


def test_count_is_a_number(sandbox: Any, shell: Any, total_users: int) -> None:
    ran = sandbox("%%graph -o every\nGET /users?$select=id")
    assert isinstance(shell.user_ns["n"], int)
    assert total_users == len(shell.user_ns["every"])
    assert ran.texts()[0].startswith(f"users: {total_users} rows")


def test_csv_streams_every_item_and_matches_the_dataframe(
    sandbox: Any, shell: Any, tmp_path: Path, total_users: int
) -> None:
    ran = sandbox(
        "%%graph -o users --csv users.csv\nGET /users?$select=id,displayName,mail,accountEnabled"
    )
    assert not ran.failed, ran.everything
    written = pd.read_csv(tmp_path / "users.csv", dtype=str, keep_default_na=False)
    frame = shell.user_ns["users"]
    assert len(written) == len(frame) == total_users
    assert list(written.columns) == list(frame.columns)
    expected = frame.astype(object).where(frame.notna(), "").astype(str)
    expected["accountEnabled"] = frame["accountEnabled"].map({True: "True", False: "False"})
    pd.testing.assert_frame_equal(written, expected.reset_index(drop=True))


def test_csv_without_out_writes_the_file_and_binds_nothing(
    sandbox: Any, shell: Any, tmp_path: Path, total_users: int, magic: Any
) -> None:
    sandbox("%%graph --csv all.csv\nGET /users?$select=id&$top=20")
    assert len(pd.read_csv(tmp_path / "all.csv")) == total_users
    (result,) = magic.session.last
    assert result.rows_written == total_users
    assert result.csv_path.endswith("all.csv")


def test_quiet_shows_nothing_but_assigns(sandbox: Any, shell: Any) -> None:
    ran = sandbox("%%graph -o users --quiet\nGET /users?$top=3&$select=id")
    assert ran.outputs == [] and ran.stdout == ""
    assert len(shell.user_ns["users"]) > 0


def test_expected_status_is_a_result_not_an_error(sandbox: Any, shell: Any, magic: Any) -> None:
    ran = sandbox("%%graph -o missing --expect 404\nGET /users/no-such-user")
    assert not ran.failed, ran.everything
    (result,) = magic.session.last
    assert result.status_code == 404 and result.kind == "error"
    assert shell.user_ns["missing"]["error"]["code"] == "Request_ResourceNotFound"


def test_beta_option_and_beta_url_go_to_beta(sandbox: Any, shell: Any, magic: Any) -> None:
    sandbox("%graph -o a --beta --max-items 1 GET /users?$select=id")
    assert "/beta/" in magic.session.last[0].url
    sandbox("%graph -o b --max-items 1 GET https://graph.microsoft.com/beta/users?$select=id")
    assert "/beta/" in magic.session.last[0].url
    sandbox("%graph -o c --max-items 1 GET /users?$select=id")
    assert "/v1.0/" in magic.session.last[0].url
    assert list(shell.user_ns["a"]["id"]) == list(shell.user_ns["c"]["id"])


def test_system_option_uses_another_system_for_one_cell(sandbox: Any, magic: Any) -> None:
    ran = sandbox("%%graph --system sandbox-limited --max-items 1\nGET /auditLogs/signIns")
    assert ran.failed
    assert ran.error.status_code == 403
    assert magic.session.current == "sandbox"
    assert not sandbox("%%graph --max-items 1\nGET /auditLogs/signIns").failed


def test_writes_create_update_delete(sandbox: Any, shell: Any, magic: Any) -> None:
    shell.user_ns["nick"] = "magic-test"
    ran = sandbox(
        "%%graph -o created\n"
        "POST /users\n"
        "\n"
        '{"accountEnabled": true, "displayName": "Magic Test", "mailNickname": "{{nick}}",\n'
        ' "userPrincipalName": "{{nick}}@contoso.com",\n'
        ' "passwordProfile": {"password": "xWwvJ]6NMw+bWH-d"}}'
    )
    assert not ran.failed, ran.everything
    assert magic.session.last[0].status_code == 201
    values = dict(zip(shell.user_ns["created"]["property"], shell.user_ns["created"]["value"],
                      strict=True))  # fmt: skip
    assert values["userPrincipalName"] == "magic-test@contoso.com"
    shell.user_ns["new_id"] = values["id"]

    ran = sandbox('%%graph\nPATCH /users/{{new_id}}\n\n{"jobTitle": "Tester"}')
    assert not ran.failed, ran.everything
    assert magic.session.last[0].status_code == 204
    sandbox("%graph -o check GET /users/{{new_id}}?$select=jobTitle")
    check = shell.user_ns["check"]
    assert dict(zip(check["property"], check["value"], strict=True))["jobTitle"] == "Tester"

    ran = sandbox("%graph DELETE /users/{{new_id}}")
    assert not ran.failed and magic.session.last[0].status_code == 204
    assert sandbox("%graph GET /users/{{new_id}}").error.status_code == 404


def test_text_plain_is_the_same_on_every_run(sandbox: Any, magic: Any) -> None:
    cell = "%%graph --max-items 30\nGET /users?$select=displayName,mail,accountEnabled&$top=10"
    first, second = sandbox(cell), sandbox(cell)
    assert first.texts() == second.texts() and first.texts()[0]
    request_id = magic.session.last[0].request_id
    assert request_id and request_id not in second.text
    html = second.htmls()[0]
    assert request_id in html and "gm-elapsed" in html  # timing and ids go in the HTML only


def test_timeout_reaches_the_connector(sandbox: Any, magic: Any, monkeypatch: Any) -> None:
    connector = magic.session.connector("sandbox")
    seen: list[Any] = []
    real = connector.iter_pages

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("timeout"))
        return real(*args, **kwargs)

    monkeypatch.setattr(connector, "iter_pages", spy)
    sandbox("%graph --timeout 7.5 --max-items 1 GET /users")
    sandbox("%config GraphMagic.timeout = 12")
    sandbox("%graph --max-items 1 GET /users")
    assert seen == [7.5, 12.0]


def test_runtime_loop_serves_the_connectors(sandbox: Any) -> None:
    assert runtime.get_loop().is_running()


def test_expect_on_a_write(sandbox: Any, shell: Any, magic: Any) -> None:
    ran = sandbox("%graph -o gone --expect 404 DELETE /users/no-such-user")
    assert not ran.failed, ran.everything
    assert magic.session.last[0].kind == "error" and magic.session.last[0].status_code == 404
    assert shell.user_ns["gone"]["error"]["code"] == "Request_ResourceNotFound"
    assert sandbox("%graph DELETE /users/no-such-user").error.status_code == 404


def test_system_can_be_a_yaml_path(run: Any, shell: Any, tmp_path: Path) -> None:
    source = Path(__file__).resolve().parents[3] / "graph_magic" / "systems" / "sandbox.yaml"
    (tmp_path / "mine.yaml").write_text(source.read_text())
    ran = run("%graph -o one --system ./mine.yaml --max-items 1 GET /users?$select=id")
    assert not ran.failed, ran.everything
    assert len(shell.user_ns["one"]) == 1
    assert not run("%graph connect ./mine.yaml").failed
