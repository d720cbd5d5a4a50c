"""``auth_type: interactive``: browser sign-in through msal, the sandbox standing in for Entra."""

from __future__ import annotations

import re
import threading
import webbrowser
from collections.abc import Iterator
from html import unescape
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from graph_magic import load_system
from graph_magic.connector.auth import InteractiveProvider, make_token_provider
from graph_magic.connector.auth._base import _jwt_claims
from graph_magic.errors import GraphAuthError
from graph_magic.sandbox import TENANT_ID, LoopbackHttpClient, SandboxOptions
from tests.support.served import ServedSandbox

UPN = "AdeleA@contoso.com"


def _system(**keys: Any) -> Any:
    data = {
        "auth_type": "interactive",
        "transport": "sandbox",
        "token_cache": False,
        "credentials": {"tenant_id": "contoso.onmicrosoft.com", "client_id": "sandbox-public"},
        "scopes": ["User.Read", "User.ReadBasic.All"],
        **keys,
    }
    return load_system(data, environ={})


async def test_the_user_signs_in_then_tokens_renew_silently() -> None:
    provider = make_token_provider(_system())
    assert isinstance(provider, InteractiveProvider)
    provider.login_hint = UPN
    claims = _jwt_claims(await provider.get_token())
    assert claims["upn"] == UPN and set(claims["scp"].split()) == {
        "User.Read",
        "User.ReadBasic.All",
    }
    provider.login_hint = "nobody@contoso.com"  # a second sign-in would fail: none happens
    renewed = _jwt_claims(await provider.get_token(force_refresh=True))
    assert renewed["upn"] == UPN and renewed["uti"] != claims["uti"]
    assert provider.describe()["account"] == UPN


async def test_the_sandboxs_auto_approval_needs_no_account() -> None:
    system = _system(sandbox={"browser_auto_approve": "HanaP@contoso.com", "seed": 42})
    token = await make_token_provider(system).get_token()
    assert _jwt_claims(token)["upn"] == "HanaP@contoso.com"


async def test_no_account_to_sign_in_as_says_how_to_give_one() -> None:
    with pytest.raises(GraphAuthError, match=r"give --as UPN"):
        await make_token_provider(_system()).get_token()


async def test_an_unknown_account_is_the_sign_in_pages_message() -> None:
    provider = make_token_provider(_system())
    provider.login_hint = "ghost@contoso.com"
    with pytest.raises(GraphAuthError, match=r"couldn't find an account with ghost@contoso\.com"):
        await provider.get_token()


# -- msal's own browser flow (the path a local Jupyter takes), against the served sandbox -------


@pytest.fixture
def served() -> Iterator[int]:
    """A small tenant served on a loopback port; yields the port."""
    with ServedSandbox(SandboxOptions(users=20, groups=2, devices=2, sign_ins=2)) as server:
        yield server.port


class _Person:
    """A browser with a person at it: opens the sign-in page, types an account, submits.

    It runs beside msal (msal waits for the answer on its localhost port while the page loads).
    """

    def __init__(self, port: int, upn: str) -> None:
        self.port, self.upn = port, upn
        self.opened: list[str] = []
        self.threads: list[threading.Thread] = []

    def open(self, url: str, *args: Any, **kwargs: Any) -> bool:
        self.opened.append(url)
        thread = threading.Thread(target=self._sign_in, args=(url,), daemon=True)
        thread.start()
        self.threads.append(thread)
        return True

    def _sign_in(self, url: str) -> None:
        parts = urlsplit(url)
        local = f"http://127.0.0.1:{self.port}{parts.path}?{parts.query}"
        with httpx.Client(timeout=10) as browser:
            page = browser.post(local, data={"username": self.upn})
            fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
            action = unescape(re.search(r'action="([^"]+)"', page.text).group(1))
            browser.post(action, data={k: unescape(v) for k, v in fields.items()})


async def test_msals_browser_flow_signs_in_through_the_loopback_redirect(
    served: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = _Person(served, UPN)
    monkeypatch.setattr(webbrowser, "open", person.open)
    system = load_system(
        {
            "auth_type": "interactive",
            "base_url": f"http://127.0.0.1:{served}/v1.0",
            "token_cache": False,
            "credentials": {"tenant_id": "contoso.onmicrosoft.com", "client_id": "sandbox-public"},
            "scopes": ["User.Read"],
        },
        environ={},
    )
    http_client = LoopbackHttpClient(served)
    provider = make_token_provider(system, http_client=http_client)
    provider.login_hint = UPN
    try:
        token = await provider.get_token()
    finally:
        http_client.close()
        for thread in person.threads:
            thread.join(timeout=10)
    (opened,) = person.opened
    assert opened.startswith(
        f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/authorize?"
    )
    assert "login_hint=AdeleA%40contoso.com" in opened
    assert "response_mode=form_post" in opened and "code_challenge_method=S256" in opened
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A" in opened
    assert _jwt_claims(token)["upn"] == UPN
