"""%graph commands against the in-process sandbox: connect, systems, status, logout, history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import graph_magic
from graph_magic.notebook import runtime
from graph_magic.notebook.commands import COMMANDS
from graph_magic.notebook.errors import GraphUsageError


def _token(magic: Any, name: str = "sandbox") -> str:
    return runtime.run_sync(magic.session.provider(name).get_token())


def test_connect_signs_in_and_shows_who(run: Any, magic: Any) -> None:
    ran = run("%graph connect sandbox")
    assert not ran.failed, ran.everything
    assert magic.session.current == "sandbox"
    assert "Connected to 'sandbox'" in ran.text
    assert "sandbox-app" in ran.text
    assert _token(magic) not in ran.everything


def test_connect_to_an_unknown_system_fails_short(run: Any) -> None:
    ran = run("%graph connect nowhere")
    assert ran.failed
    assert "unknown system 'nowhere'" in ran.stdout
    assert "Traceback" not in ran.stdout


def test_status_never_shows_the_token(sandbox: Any, magic: Any) -> None:
    sandbox("%graph --max-items 1 GET /users")
    ran = sandbox("%graph status")
    assert not ran.failed
    token = _token(magic)
    assert len(token) > 20 and token not in ran.everything
    assert token.split(".")[0] not in ran.everything  # not even the JWT header
    assert "valid until" in ran.text and "UTC" in ran.text
    assert "contoso.onmicrosoft.com" in ran.text
    assert "<table>" in ran.htmls()[0]


def test_status_and_systems_name_files_without_this_machines_folders(
    sandbox: Any, monkeypatch: Any, tmp_path: Any
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./systems here: the built-in files are used
    status = sandbox("%graph status").text
    assert "defined in built-in sandbox.yaml" in status
    systems = sandbox("%graph systems").text
    assert "built-in sandbox.yaml" in systems
    package_dir = str(Path(graph_magic.__file__).parent)
    assert package_dir not in status and package_dir not in systems


def test_status_before_any_sign_in_says_so(run: Any) -> None:
    ran = run("%graph status")
    assert not ran.failed, ran.everything
    assert "none yet" in ran.text


def test_logout_forgets_the_token(sandbox: Any, magic: Any) -> None:
    ran = sandbox("%graph logout")
    assert "Signed out of 'sandbox'" in ran.text
    assert magic.session.current is None
    assert "none yet" in sandbox("%graph status").text
    assert "was not signed in" in sandbox("%graph logout").text


def test_systems_lists_where_each_comes_from(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "mine.yaml").write_text("base_url: https://graph.microsoft.com/v1.0\n")
    monkeypatch.setenv("GRAPH_MAGIC_SYSTEMS", str(extra))
    ran = run("%graph systems")
    text = ran.text
    assert "mine" in text and "$GRAPH_MAGIC_SYSTEMS" in text
    assert "sandbox-limited" in text and "built-in" in text
    sandbox_line = next(line for line in text.splitlines() if " sandbox " in f"{line} ")
    assert sandbox_line.strip().startswith("*")  # the default system is marked


def test_history_lists_requests_masked(sandbox: Any) -> None:
    sandbox("%graph --max-items 3 GET /users?$select=id")
    sandbox("%graph --dry-run GET /groups")
    ran = sandbox("%graph history")
    lines = ran.text.splitlines()
    assert any(
        "GET" in line and "/v1.0/users?$select=id" in line and "200" in line for line in lines
    )
    assert any("/v1.0/groups" in line and "dry-run" in line for line in lines)


def test_help_lists_commands_and_options(run: Any) -> None:
    for line in ("%graph help", "%graph"):
        text = run(line).text
        for word in [*COMMANDS, "--max-items", "--expect", "%config GraphMagic"]:
            assert word in text


def test_unknown_command_fails_listing_the_commands(run: Any) -> None:
    ran = run("%graph frobnicate")
    assert isinstance(ran.error, GraphUsageError)
    assert ran.stdout.strip().startswith("UsageError: unknown command 'frobnicate'")
    for name in COMMANDS:
        assert name in ran.stdout
    assert "Traceback" not in ran.stdout


def test_device_code_prompt_shows_link_and_completes(
    run: Any, shell: Any, magic: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not run("%graph connect sandbox").failed
    run("%graph -o first --max-items 1 GET /users?$filter=userType eq 'Member'")
    upn = shell.user_ns["first"]["userPrincipalName"][0]
    systems = tmp_path / "systems-dc"
    systems.mkdir()
    (systems / "analyst.yaml").write_text(
        yaml.safe_dump(
            {
                "auth_type": "device_code",
                "transport": "sandbox",
                "token_cache": False,
                "credentials": {
                    "tenant_id": "contoso.onmicrosoft.com",
                    "client_id": "sandbox-public",
                },
                "scopes": ["User.Read"],
                "sandbox": {"seed": 42, "device_code_auto_approve": upn},
            }
        )
    )
    monkeypatch.setenv("GRAPH_MAGIC_SYSTEMS", str(systems))

    ran = run("%graph connect analyst --device-code")

    assert not ran.failed, ran.everything
    prompt_text, prompt_html = ran.texts()[0], ran.htmls()[0]
    assert "code" in prompt_text.lower()
    assert '<a href="' in prompt_html and "target=" in prompt_html
    assert upn in ran.text  # status after connecting: who is signed in
    me = run("%graph -o me GET /me?$select=userPrincipalName")
    assert not me.failed, me.everything
    me_frame = shell.user_ns["me"]
    assert (
        dict(zip(me_frame["property"], me_frame["value"], strict=True))["userPrincipalName"] == upn
    )


def test_device_code_in_the_sandbox_approved_as_a_user(sandbox: Any, shell: Any) -> None:
    sandbox("%graph -o first --max-items 1 GET /users?$filter=userType eq 'Member'")
    shell.user_ns["upn"] = upn = shell.user_ns["first"]["userPrincipalName"][0]
    ran = sandbox(f"%graph connect sandbox --device-code --as {upn}")
    assert not ran.failed, ran.everything
    assert "signed in as" in ran.texts()[1] and upn in ran.texts()[1]
    assert "device_code" in ran.texts()[1]
    me = sandbox("%graph -o me GET /me?$select=userPrincipalName")
    assert not me.failed, me.everything
    frame = shell.user_ns["me"]
    assert dict(zip(frame["property"], frame["value"], strict=True))["userPrincipalName"] == upn


def test_approving_as_is_for_the_sandbox_only(
    run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    systems = tmp_path / "real"
    systems.mkdir()
    (systems / "tenant.yaml").write_text(
        "auth_type: device_code\ncredentials:\n  tenant_id: t\n  client_id: c\n"
    )
    monkeypatch.setenv("GRAPH_MAGIC_SYSTEMS", str(systems))
    ran = run("%graph connect tenant --device-code --as someone@contoso.com")
    assert ran.failed and "only in the sandbox" in ran.stdout


@pytest.mark.parametrize(
    "line", ["%graph connect", "%graph connect a b", "%graph connect sandbox --bogus"]
)
def test_connect_usage(run: Any, line: str) -> None:
    ran = run(line)
    assert isinstance(ran.error, GraphUsageError)
    assert "usage: %graph connect NAME" in ran.stdout
