"""masking.py: secrets in text, headers and URLs become ***, and what is not secret stays."""

from __future__ import annotations

import httpx
import pytest

from graph_magic.connector.masking import mask_headers, mask_text, mask_url
from tests.connector.auth.identity_platform import make_jwt

SECRET = "Zx8~client-secret-value"
JWT = make_jwt({"aud": "https://graph.microsoft.com", "upn": "adele@contoso.com"})


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.DEF-123_x", "abc.DEF-123_x"),
        (f"token {JWT} sent", JWT),
        ("grant_type=client_credentials&client_secret=p%40ss&client_id=x", "p%40ss"),
        ('{"access_token": "at-1", "token_type": "Bearer"}', "at-1"),
        ('{"refresh_token":"rt-2","id_token":"it-3"}', "rt-2"),
        ('{"refresh_token":"rt-2","id_token":"it-3"}', "it-3"),
        ("refresh_token=rt-9&grant_type=refresh_token", "rt-9"),
        ('{"passwordProfile": {"password": "Hunter2!"}}', "Hunter2!"),
        ("client_assertion=eyJabc.def.ghi&x=1", "eyJabc.def.ghi"),
        ('{"clientSecret": "cs-1"}', "cs-1"),
    ],
)
def test_mask_text_hides_secrets(text: str, secret: str) -> None:
    masked = mask_text(text)
    assert secret not in masked
    assert "***" in masked


def test_mask_text_keeps_what_is_not_secret() -> None:
    text = '{"token_type": "Bearer", "expires_in": 3599} $skiptoken=abc GET /users?$top=5'
    assert mask_text(text) == text


def test_mask_headers() -> None:
    headers = httpx.Headers(
        {
            "Authorization": f"Bearer {JWT}",
            "Cookie": "session=1",
            "Set-Cookie": "x=y",
            "x-ms-refresh-token": "r",
            "client-request-id": "abc",
            "Content-Type": "application/json",
        }
    )
    masked = mask_headers(headers)
    assert masked["authorization"] == "***"
    assert masked["cookie"] == "***"
    assert masked["set-cookie"] == "***"
    assert masked["x-ms-refresh-token"] == "***"
    assert masked["client-request-id"] == "abc"
    assert masked["content-type"] == "application/json"
    assert headers["Authorization"].startswith("Bearer ")  # the original is untouched


def test_mask_url() -> None:
    graph = "https://graph.microsoft.com/v1.0/users?$filter=x&$skiptoken=abc"
    assert mask_url(graph) == graph
    sas = "https://x.blob.core.windows.net/r.csv?sv=2020&sig=abc%2Bdef&se=1"
    assert "abc" not in mask_url(sas)
    assert "sv=2020" in mask_url(sas)
    assert "c0de" not in mask_url("https://app/callback?code=c0de&state=s")
    assert "at" not in mask_url("https://h/p?access_token=at").split("?")[1].replace(
        "access_token", ""
    )
