"""A sandbox standing in for a national cloud: its tokens are that cloud's, and only those."""

from __future__ import annotations

from collections.abc import Callable

import msal
import pytest

from graph_magic.sandbox import FaultMiddleware, SandboxOptions, TokenService, msal_http_client
from graph_magic.sandbox.entra.tokens import TokenRejected

Build = Callable[..., tuple[FaultMiddleware, TokenService]]
GOV_AUTHORITY = "https://login.microsoftonline.us/contoso.onmicrosoft.com"


def _app_token(app: FaultMiddleware, scope: str) -> dict:
    client = msal.ConfidentialClientApplication(
        "sandbox-app",
        client_credential="sandbox-secret",
        authority=GOV_AUTHORITY,
        http_client=msal_http_client(None, app=app),
        instance_discovery=False,
    )
    return client.acquire_token_for_client([scope])


def test_a_usgov_sandbox_issues_tokens_for_its_own_graph(make_app: Build) -> None:
    app, tokens = make_app({"cloud": "usgov"})
    result = _app_token(app, "https://graph.microsoft.us/.default")
    principal = tokens.verify(f"Bearer {result['access_token']}")
    assert principal.client_id == "sandbox-app"
    assert tokens.resource == "https://graph.microsoft.us"
    assert tokens.login_host == "login.microsoftonline.us"


def test_a_usgov_sandbox_refuses_the_global_resource(make_app: Build) -> None:
    app, _ = make_app({"cloud": "usgov"})
    result = _app_token(app, "https://graph.microsoft.com/.default")
    assert result["error"] == "invalid_scope"
    assert "AADSTS1002012" in result["error_description"]


def test_a_global_token_is_not_accepted_by_a_usgov_sandbox(make_app: Build) -> None:
    global_app, _ = make_app({"seed": 9})
    _, gov_tokens = make_app({"seed": 9, "cloud": "usgov"})
    token = _app_token(global_app, "https://graph.microsoft.com/.default")["access_token"]
    with pytest.raises(TokenRejected) as info:
        gov_tokens.verify(f"Bearer {token}")
    assert info.value.reason == "invalid"
    assert info.value.message == "Access token validation failure."


def test_an_unknown_sandbox_cloud_is_refused() -> None:
    with pytest.raises(ValueError, match="cloud"):
        SandboxOptions(cloud="mars")
