"""The sandbox's authorization endpoint and code grant: PKCE, single use, the redirect it names."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import AsyncIterator
from html import unescape
from typing import Any

import httpx
import pytest

from graph_magic.sandbox import create_app

LOGIN = "https://login.microsoftonline.com"
TENANT = "contoso.onmicrosoft.com"
VERIFIER = "a-verifier-of-forty-three-characters-or-more-xx"
REDIRECT = "http://localhost:51234"


def _challenge(verifier: str) -> str:
    return (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )


ASK = {
    "client_id": "sandbox-public",
    "response_type": "code",
    "redirect_uri": REDIRECT,
    "scope": "User.Read openid profile offline_access",
    "state": "s-1",
    "code_challenge": _challenge(VERIFIER),
    "code_challenge_method": "S256",
    "response_mode": "form_post",
}


@pytest.fixture
async def login() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app({"users": 5, "groups": 1, "devices": 1, "sign_ins": 1})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=LOGIN) as client:
        yield client


async def _code(login: httpx.AsyncClient, **ask: Any) -> str:
    users = await login.get(f"/{TENANT}/oauth2/v2.0/authorize", params={**ASK, **ask})
    assert users.status_code == 200 and 'name="username"' in users.text  # the sign-in page
    page = await login.post(
        f"/{TENANT}/oauth2/v2.0/authorize",
        params={**ASK, **ask},
        data={"username": "EnricoE@contoso.com"},
    )
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
    assert f'action="{REDIRECT}"' in page.text and unescape(fields["state"]) == "s-1"
    return unescape(fields["code"])


async def _redeem(login: httpx.AsyncClient, issued: str, **form: str) -> httpx.Response:
    data = {
        "grant_type": "authorization_code",
        "client_id": "sandbox-public",
        "code": issued,
        "redirect_uri": REDIRECT,
        "code_verifier": VERIFIER,
        **form,
    }
    return await login.post(f"/{TENANT}/oauth2/v2.0/token", data=data)


async def test_a_code_is_redeemed_once_with_its_verifier(login: httpx.AsyncClient) -> None:
    code = await _code(login, nonce="n-1")
    first = await _redeem(login, code)
    assert first.status_code == 200 and first.json()["access_token"]
    again = await _redeem(login, code)
    assert again.status_code == 400 and "AADSTS54005" in again.json()["error_description"]


@pytest.mark.parametrize(
    ("form", "aadsts"),
    [
        ({"code_verifier": "another-verifier-of-forty-three-characters-xx"}, "AADSTS501481"),
        ({"redirect_uri": "http://localhost:9"}, "AADSTS50148"),
        ({"client_id": "another-app"}, "AADSTS50148"),
        ({"code": "forged"}, "AADSTS70008"),
    ],
)
async def test_a_code_grant_entra_would_refuse(
    login: httpx.AsyncClient, form: dict[str, str], aadsts: str
) -> None:
    answer = await _redeem(login, await _code(login), **form)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"
    assert aadsts in answer.json()["error_description"]


@pytest.mark.parametrize(
    ("ask", "text"),
    [
        ({"code_challenge": ""}, "'code_challenge'"),
        ({"code_challenge_method": "plain"}, "S256"),
        ({"redirect_uri": "http://evil.example/cb"}, "AADSTS50011"),
        ({"response_type": "token"}, "'response_type' set to 'code'"),
    ],
)
async def test_the_authorize_page_refuses_a_bad_request(
    login: httpx.AsyncClient, ask: dict[str, str], text: str
) -> None:
    page = await login.get(f"/{TENANT}/oauth2/v2.0/authorize", params={**ASK, **ask})
    assert page.status_code == 400 and text in unescape(page.text)


async def test_query_mode_redirects_with_the_code(login: httpx.AsyncClient) -> None:
    ask = {**ASK, "response_mode": "query", "username": "EnricoE@contoso.com"}
    answer = await login.post(f"/{TENANT}/oauth2/v2.0/authorize", data=ask)
    assert answer.status_code == 302
    assert answer.headers["location"].startswith(f"{REDIRECT}?code=")
