"""The newer credentials from a notebook: browser sign-in and managed identity on the sandbox."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.support.systems import systems_folder

SYSTEMS = {
    "browser": (
        "auth_type: interactive\ntransport: sandbox\ntoken_cache: false\n"
        "credentials:\n  tenant_id: contoso.onmicrosoft.com\n  client_id: sandbox-public\n"
        "scopes: [User.Read, User.ReadBasic.All]\n"
    ),
    "vm": "auth_type: managed_identity\ntransport: sandbox\ntoken_cache: false\n",
}


@pytest.fixture
def graph_magic_systems(tmp_path: Path) -> Path:
    return systems_folder(tmp_path, SYSTEMS)


def test_a_browser_sign_in_as_a_user_then_me(run: Any, shell: Any) -> None:
    connected = run("%graph connect browser --as EstherC@contoso.com")
    assert not connected.failed, connected.everything
    assert re.search(r"\n  signed in as +EstherC@contoso\.com\n", connected.text)
    ran = run("%%graph -o me\nGET /me?$select=displayName,userPrincipalName")
    assert not ran.failed, ran.everything
    me = shell.user_ns["me"]
    assert isinstance(me, pd.DataFrame)
    assert "EstherC@contoso.com" in me.to_string()


def test_a_browser_sign_in_without_an_account_says_how_to_give_one(run: Any) -> None:
    ran = run("%graph connect browser")
    assert ran.failed
    assert "give --as UPN" in str(ran.error)


def test_a_managed_identity_is_named_in_status(run: Any) -> None:
    connected = run("%graph connect vm")
    assert not connected.failed, connected.everything
    assert re.search(r"\n  credential +managed identity, system-assigned\n", connected.text)
    ran = run("%%graph\nGET /groups?$top=2&$select=displayName")
    assert not ran.failed, ran.everything
