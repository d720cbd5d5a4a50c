"""``auth_type: azure_cli``: a fake ``az`` on PATH hands out a sandbox user's token.

The fake is a small script written per test: it records the arguments it was called with and
prints what the real CLI prints (``az account get-access-token --output json``), or fails as
the real one does when nobody ran ``az login``.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from graph_magic import GraphConnector, load_system
from graph_magic.connector.auth import AzureCliProvider, make_token_provider
from graph_magic.errors import GraphAuthError
from graph_magic.sandbox import shared_app
from tests.support.fakes import Clock

#: The Azure CLI's own (public) app id, which its tokens carry as ``appid``.
AZ_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
UPN = "AdeleA@contoso.com"


def _system(**keys: Any) -> Any:
    data = {
        "auth_type": "azure_cli",
        "transport": "sandbox",
        "credentials": {"tenant_id": "contoso.onmicrosoft.com"},
        **keys,
    }
    return load_system(data, environ={})


def _sandbox_user_token(system: Any) -> tuple[str, int]:
    """A delegated token for UPN from the system's own sandbox, as ``az`` would hold one."""
    tokens = shared_app(system.sandbox).state.tokens
    user = tokens.resolve_user(UPN)
    return tokens.issue_delegated_token(AZ_CLIENT_ID, user, ("User.Read", "User.Read.All"))


def _fake_az(folder: Path, *, stdout: str = "", stderr: str = "", code: int = 0) -> Path:
    """An ``az`` that records its argv (one JSON line per call) and answers as given."""
    folder.mkdir(parents=True, exist_ok=True)
    calls = folder / "calls.jsonl"
    script = folder / "az"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"open({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
        f"sys.stdout.write({stdout!r})\n"
        f"sys.stderr.write({stderr!r})\n"
        f"sys.exit({code})\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return calls


def _calls(calls: Path) -> list[list[str]]:
    return [json.loads(line) for line in calls.read_text().splitlines()] if calls.exists() else []


@pytest.fixture
def az_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder first on PATH for the fake ``az`` (and nothing else of the machine's az)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    return folder


async def test_the_signed_in_account_reads_graph_through_the_cli_token(az_path: Path) -> None:
    system = _system()
    token, _ = _sandbox_user_token(system)
    answer = {"accessToken": token, "expires_on": 2_000_000_000, "tokenType": "Bearer"}
    calls = _fake_az(az_path, stdout=json.dumps(answer))

    async with GraphConnector(system) as graph:
        out = await graph.perform_action(
            "me", "get", {}, {"method": "GET", "endpoint": "/me", "params": {}}
        )
        described = graph.token_provider.describe()
    assert out["response"]["data"]["userPrincipalName"] == UPN
    (argv,) = _calls(calls)
    assert argv == [
        "account",
        "get-access-token",
        "--output",
        "json",
        "--resource",
        "https://graph.microsoft.com",
        "--tenant",
        "contoso.onmicrosoft.com",
    ]
    assert described["credential"] == "Azure CLI" and described["account"] == UPN
    assert described["expires_on"] == 2_000_000_000
    assert token not in json.dumps(described)


async def test_a_national_cloud_asks_the_cli_for_its_own_resource(az_path: Path) -> None:
    system = _system(cloud="usgov")
    token, _ = _sandbox_user_token(system)
    calls = _fake_az(az_path, stdout=json.dumps({"accessToken": token, "expires_on": 2**31}))
    await make_token_provider(system).get_token()
    (argv,) = _calls(calls)
    assert argv[argv.index("--resource") + 1] == "https://graph.microsoft.us"


async def test_a_token_close_to_expiry_is_asked_for_again(az_path: Path) -> None:
    clock = Clock(1_000_000.0)
    answer = {"accessToken": "t1", "expires_on": 1_000_000 + 3600}
    calls = _fake_az(az_path, stdout=json.dumps(answer))
    provider = AzureCliProvider(_system(), clock=clock)
    assert await provider.get_token() == "t1"
    assert await provider.get_token() == "t1"
    assert len(_calls(calls)) == 1
    clock.now += 3600 - 200  # inside the five-minute margin
    await provider.get_token()
    assert len(_calls(calls)) == 2


async def test_the_older_local_time_expiry_is_read(az_path: Path) -> None:
    _fake_az(
        az_path, stdout=json.dumps({"accessToken": "t", "expiresOn": "2031-01-02 03:04:05.000000"})
    )
    provider = AzureCliProvider(_system(), clock=Clock(0.0))
    await provider.get_token()
    assert provider.describe()["expires_on"] == int(datetime(2031, 1, 2, 3, 4, 5).timestamp())


async def test_no_az_on_path_says_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a folder with no az
    with pytest.raises(GraphAuthError) as info:
        await make_token_provider(_system()).get_token()
    assert "'az' is not on PATH" in str(info.value) and "az login" in str(info.value)


async def test_a_cli_nobody_signed_in_to_says_to_run_az_login(az_path: Path) -> None:
    _fake_az(
        az_path,
        stderr="ERROR: Please run 'az login' to setup account.\n",
        code=1,
    )
    with pytest.raises(GraphAuthError) as info:
        await make_token_provider(_system()).get_token()
    message = str(info.value)
    assert "Please run 'az login' to setup account." in message
    assert "run 'az login --tenant contoso.onmicrosoft.com'" in message


async def test_an_answer_without_a_token_is_a_clear_error(az_path: Path) -> None:
    _fake_az(az_path, stdout="<html>proxy login</html>")
    with pytest.raises(GraphAuthError, match="answered without a token"):
        await make_token_provider(_system()).get_token()


async def test_a_cli_that_hangs_is_bounded() -> None:
    def hang(argv: Any, timeout: float) -> Any:
        raise subprocess.TimeoutExpired(argv, timeout)

    provider = AzureCliProvider(_system(), clock=Clock(0.0), run=hang, which=lambda _: "/x/az")
    with pytest.raises(GraphAuthError, match="did not answer within 60 s"):
        await provider.get_token()


async def test_a_token_in_the_clis_error_text_is_masked(az_path: Path) -> None:
    leaked = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
    _fake_az(az_path, stderr=f"ERROR: refresh failed for {leaked}\n", code=1)
    with pytest.raises(GraphAuthError) as info:
        await make_token_provider(_system()).get_token()
    assert leaked not in str(info.value) and leaked not in str(info.value.detail)
