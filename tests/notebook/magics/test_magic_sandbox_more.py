"""Progress, fetching more after the fact, auth failures, history size, the line form's notes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graph_magic.errors import GraphAuthError
from tests.support.systems import sandbox_system


def test_progress_shows_while_paging_and_is_gone_after(sandbox: Any) -> None:
    sandbox("%config GraphMagic.progress_delay = 0.0")
    ran = sandbox("%%graph --max-items 40\nGET /users?$top=10&$select=id")
    assert "fetching: 40 items · 4 pages" in ran.stderr
    assert ran.stderr.endswith("\r")  # the line was wiped at the end
    sandbox("%config GraphMagic.progress = False")
    assert sandbox("%%graph --max-items 40\nGET /users?$top=10&$select=id").stderr == ""


def test_quick_scans_show_no_progress(sandbox: Any) -> None:
    sandbox("%config GraphMagic.progress_delay = 3600.0")
    assert sandbox("%%graph --max-items 40\nGET /users?$top=10&$select=id").stderr == ""


def test_loading_more_later_rebinds_the_variable(sandbox: Any, shell: Any, magic: Any) -> None:
    sandbox("%%graph -o users --max-items 7\nGET /users?$top=5&$select=id")
    (result,) = magic.session.last
    assert result.can_load
    result.load_more(5)
    assert len(shell.user_ns["users"]) == 12
    result.load_more(None)
    users = shell.user_ns["users"]
    assert len(users) == users["id"].nunique() == sandbox_users(sandbox, shell)
    assert not result.more


def sandbox_users(sandbox: Any, shell: Any) -> int:
    sandbox("%%graph -o n\nGET /users/$count\nConsistencyLevel: eventual")
    return int(shell.user_ns["n"])


def test_a_bad_secret_fails_connect_short_without_the_secret(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    systems = tmp_path / "bad-systems"
    systems.mkdir()
    (systems / "wrong.yaml").write_text(sandbox_system(client_secret="not-the-secret-42"))
    monkeypatch.setenv("GRAPH_MAGIC_SYSTEMS", str(systems))
    ran = run("%graph connect wrong")
    assert isinstance(ran.error, GraphAuthError)
    assert "not-the-secret-42" not in ran.everything
    assert "Traceback" not in ran.stdout
    assert ran.stdout.startswith("GraphAuthError:")


def test_history_size_keeps_the_latest(sandbox: Any, magic: Any) -> None:
    sandbox("%config GraphMagic.history_size = 2")
    for top in (1, 2, 3):
        sandbox(f"%graph --no-paginate GET /users?$top={top}&$select=id")
    assert [entry.url.rsplit("=", 1)[-1] for entry in magic.session.history] == ["id", "id"]
    assert [e.url.split("$top=")[1][0] for e in magic.session.history] == ["2", "3"]


def test_line_form_shows_a_status_when_there_is_no_data(sandbox: Any, shell: Any) -> None:
    shell.user_ns["body"] = {"displayName": "Line Form"}
    ran = sandbox(
        '%%graph -o made\nPOST /users\n\n{"accountEnabled": true, "displayName": "Line Form",'
        ' "mailNickname": "lineform", "userPrincipalName": "lineform@contoso.com",'
        ' "passwordProfile": {"password": "xWwvJ]6NMw+bWH-d"}}'
    )
    assert not ran.failed, ran.everything
    made = shell.user_ns["made"]
    shell.user_ns["new_id"] = dict(zip(made["property"], made["value"], strict=True))["id"]
    ran = sandbox("result = %graph DELETE /users/{{new_id}}")
    assert not ran.failed, ran.everything
    assert shell.user_ns["result"] is None
    assert ran.texts() == ["DELETE " + shell.user_ns["new_id"] + ": 204 No Content"]


def test_line_form_notes_what_the_frame_cannot_say(sandbox: Any, shell: Any) -> None:
    ran = sandbox("users = %graph --max-items 3 GET /users?$select=id")
    assert len(shell.user_ns["users"]) == 3
    assert ran.texts() == [
        "users: 3 rows · 1 page\nmore available: stopped at --max-items 3 (nextLink kept)"
    ]
    ran = sandbox("everyone = %graph GET /users?$select=id")
    assert ran.outputs == []


def test_raw_entity_is_the_json(sandbox: Any, shell: Any) -> None:
    sandbox("%graph -o first --max-items 1 GET /users?$select=id")
    shell.user_ns["uid"] = shell.user_ns["first"]["id"][0]
    sandbox("%graph -o raw --raw GET /users/{{uid}}?$select=id,displayName")
    raw = shell.user_ns["raw"]
    assert isinstance(raw, dict) and raw["id"] == shell.user_ns["uid"]
