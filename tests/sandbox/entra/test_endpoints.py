"""Real msal against the sandbox's token endpoints, in-process: every flow the connector uses."""

from __future__ import annotations

import base64
import json
import warnings
from collections.abc import Callable

import msal
import pytest

from graph_magic.sandbox import (
    TENANT_ID,
    FaultMiddleware,
    SandboxOptions,
    TokenService,
    approve_device_code,
    msal_http_client,
)
from tests.sandbox.sandbox_kit import AUTHORITY, GRAPH_SCOPE, USERS
from tests.support.fakes import START, Clock

Build = Callable[..., tuple[FaultMiddleware, TokenService]]


def _confidential(app: FaultMiddleware, client_id: str, secret: str) -> msal.ClientApplication:
    return msal.ConfidentialClientApplication(
        client_id,
        client_credential=secret,
        authority=AUTHORITY,
        http_client=msal_http_client(None, app=app),
    )


def _public(app: FaultMiddleware) -> msal.PublicClientApplication:
    return msal.PublicClientApplication(
        "sandbox-public", authority=AUTHORITY, http_client=msal_http_client(None, app=app)
    )


def test_client_credentials_issue_an_app_token(make_app: Build) -> None:
    app, tokens = make_app({"token_lifetime_seconds": 900})
    result = _confidential(app, "sandbox-app", "sandbox-secret").acquire_token_for_client(
        GRAPH_SCOPE
    )
    assert result["token_type"] == "Bearer"
    assert result["expires_in"] == 900
    principal = tokens.verify(f"Bearer {result['access_token']}")
    assert (principal.kind, principal.client_id) == ("app", "sandbox-app")
    assert "AuditLog.Read.All" in principal.roles


def test_limited_app_token_lacks_audit_roles(make_app: Build) -> None:
    app, tokens = make_app()
    result = _confidential(
        app, "sandbox-limited", "sandbox-limited-secret"
    ).acquire_token_for_client(GRAPH_SCOPE)
    assert "AuditLog.Read.All" not in tokens.verify(f"Bearer {result['access_token']}").roles


def test_wrong_secret_is_invalid_client(make_app: Build) -> None:
    app, _ = make_app()
    result = _confidential(app, "sandbox-app", "not-the-secret").acquire_token_for_client(
        GRAPH_SCOPE
    )
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    assert result["error_description"].startswith(
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
        "request is the client secret value, not the client secret ID, for a secret added to "
        "app 'sandbox-app'."
    )
    assert "not-the-secret" not in json.dumps(result)


def test_unknown_client_is_unauthorized(make_app: Build) -> None:
    app, _ = make_app()
    result = _confidential(app, "nobody", "x").acquire_token_for_client(GRAPH_SCOPE)
    assert result["error"] == "unauthorized_client"
    assert result["error_description"].startswith(
        "AADSTS700016: Application with identifier 'nobody' was not found in the directory"
    )


def test_client_credentials_need_a_default_scope(make_app: Build) -> None:
    app, _ = make_app()
    result = _confidential(app, "sandbox-app", "sandbox-secret").acquire_token_for_client(
        ["https://graph.microsoft.com/User.Read"]
    )
    assert result["error"] == "invalid_scope"
    assert result["error_codes"] == [1002012]


def test_basic_auth_and_raw_form(make_app: Build) -> None:
    app, tokens = make_app()
    basic = base64.b64encode(b"sandbox-app:sandbox-secret").decode()
    client = msal_http_client(None, app=app)
    response = client.post(
        f"{AUTHORITY}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "scope": GRAPH_SCOPE[0]},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("no-store")
    assert tokens.verify(f"Bearer {response.json()['access_token']}").client_id == "sandbox-app"


def test_unknown_tenant_fails_discovery(make_app: Build) -> None:
    app, _ = make_app()
    with pytest.raises(ValueError, match="Unable to get authority configuration"):
        msal.ConfidentialClientApplication(
            "sandbox-app",
            client_credential="sandbox-secret",
            authority="https://login.microsoftonline.com/fabrikam.onmicrosoft.com",
            http_client=msal_http_client(None, app=app),
        ).acquire_token_for_client(GRAPH_SCOPE)


def test_openid_configuration_points_back_at_the_tenant(make_app: Build) -> None:
    app, _ = make_app()
    response = msal_http_client(None, app=app).get(
        f"{AUTHORITY}/v2.0/.well-known/openid-configuration"
    )
    config = response.json()
    assert config["token_endpoint"] == (
        f"https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token"
    )
    assert config["device_authorization_endpoint"].endswith("/oauth2/v2.0/devicecode")


def test_device_code_flow_pending_then_approved(make_app: Build) -> None:
    app, tokens = make_app()
    pca = _public(app)
    flow = pca.initiate_device_flow(scopes=["User.Read", "AuditLog.Read.All"])
    assert flow["verification_uri"] == "https://microsoft.com/devicelogin"
    assert flow["user_code"] in flow["message"]
    pending = pca.acquire_token_by_device_flow(flow, exit_condition=lambda _flow: True)
    assert pending["error"] == "authorization_pending"
    assert pending["error_codes"] == [70016]

    approve_device_code(None, flow["user_code"], "Megan@contoso.com", app=app)
    flow["latest_attempt_at"] = 0  # msal warns when polled inside the interval
    result = pca.acquire_token_by_device_flow(flow)
    principal = tokens.verify(f"Bearer {result['access_token']}")
    assert principal.kind == "delegated"
    assert principal.scopes == {"User.Read", "AuditLog.Read.All"}
    assert (principal.user_id, principal.upn) == (USERS[1]["id"], "megan@contoso.com")
    assert result["id_token_claims"]["preferred_username"] == "megan@contoso.com"
    assert "refresh_token" in result
    [account] = pca.get_accounts()
    assert account["username"] == "megan@contoso.com"
    assert account["home_account_id"] == f"{USERS[1]['id']}.{TENANT_ID}"


def test_device_code_is_single_use(make_app: Build) -> None:
    app, _ = make_app({"device_code_auto_approve": "adele@contoso.com"})
    pca = _public(app)
    flow = pca.initiate_device_flow(scopes=["User.Read"])
    assert "access_token" in pca.acquire_token_by_device_flow(flow)
    flow["latest_attempt_at"] = 0
    again = pca.acquire_token_by_device_flow(flow)
    assert again["error"] == "invalid_grant"


def test_auto_approve_option_and_default_scope(make_app: Build) -> None:
    app, tokens = make_app({"device_code_auto_approve": "adele@contoso.com"})
    pca = _public(app)
    flow = pca.initiate_device_flow(scopes=GRAPH_SCOPE)
    result = pca.acquire_token_by_device_flow(flow)
    principal = tokens.verify(f"Bearer {result['access_token']}")
    assert principal.upn == "adele@contoso.com"
    assert {"User.Read", "AuditLog.Read.All", "User.ReadWrite.All"} <= principal.scopes


def test_expired_device_code(make_app: Build, clock: Clock) -> None:
    app, _ = make_app()
    pca = _public(app)
    flow = pca.initiate_device_flow(scopes=["User.Read"])
    clock.now = START + 901
    result = pca.acquire_token_by_device_flow(flow, exit_condition=lambda _flow: True)
    assert result["error"] == "expired_token"


def test_approval_of_unknown_user_or_code_is_refused(make_app: Build) -> None:
    app, _ = make_app()
    flow = _public(app).initiate_device_flow(scopes=["User.Read"])
    with pytest.raises(ValueError, match=r"No user 'nobody@contoso\.com'"):
        approve_device_code(None, flow["user_code"], "nobody@contoso.com", app=app)
    with pytest.raises(ValueError, match="No device code 'NOPE'"):
        approve_device_code(None, "NOPE", "adele@contoso.com", app=app)


def test_unknown_delegated_scope_is_invalid_scope(make_app: Build) -> None:
    app, _ = make_app()
    response = msal_http_client(None, app=app).post(
        f"{AUTHORITY}/oauth2/v2.0/devicecode",
        data={"client_id": "sandbox-public", "scope": "Chat.Nonsense openid"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_refresh_token_renews_an_expired_token(make_app: Build, clock: Clock) -> None:
    app, tokens = make_app({"device_code_auto_approve": "adele@contoso.com"})
    pca = _public(app)
    first = pca.acquire_token_by_device_flow(pca.initiate_device_flow(scopes=["User.Read"]))
    clock.now = START + 3600 + 1
    [account] = pca.get_accounts()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        renewed = pca.acquire_token_silent(["User.Read"], account=account, force_refresh=True)
    assert renewed["token_source"] == "identity_provider"
    assert renewed["access_token"] != first["access_token"]
    assert tokens.verify(f"Bearer {renewed['access_token']}").upn == "adele@contoso.com"


def test_refresh_token_of_another_client_is_refused(make_app: Build) -> None:
    app, tokens = make_app()
    refresh = tokens.issue_refresh_token("sandbox-public", USERS[0], ["User.Read"])
    response = msal_http_client(None, app=app).post(
        f"{AUTHORITY}/oauth2/v2.0/token",
        data={"grant_type": "refresh_token", "client_id": "other", "refresh_token": refresh},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_msal_client_works_while_an_event_loop_runs() -> None:
    """The sync client is usable from a coroutine's thread (a notebook cell calling msal)."""
    import asyncio

    from tests.sandbox.sandbox_kit import tiny_app

    app, tokens = tiny_app(SandboxOptions(), Clock())

    async def inside_loop() -> dict:
        return _confidential(app, "sandbox-app", "sandbox-secret").acquire_token_for_client(
            GRAPH_SCOPE
        )

    result = asyncio.run(inside_loop())
    assert tokens.verify(f"Bearer {result['access_token']}").kind == "app"


async def test_msal_in_a_worker_thread_while_this_loop_runs(make_app: Build) -> None:
    """As the connector runs msal: in a worker thread, with the caller's loop still running."""
    import asyncio

    app, tokens = make_app()
    cca = _confidential(app, "sandbox-app", "sandbox-secret")
    results = await asyncio.gather(
        *(asyncio.to_thread(cca.acquire_token_for_client, GRAPH_SCOPE) for _ in range(3))
    )
    assert all(tokens.verify(f"Bearer {r['access_token']}").kind == "app" for r in results)


def test_device_code_of_another_client_is_refused_and_kept(make_app: Build) -> None:
    app, _ = make_app({"device_code_auto_approve": "adele@contoso.com"})
    pca = _public(app)
    flow = pca.initiate_device_flow(scopes=["User.Read"])
    stolen = msal_http_client(None, app=app).post(
        f"{AUTHORITY}/oauth2/v2.0/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "client_id": "someone-else",
            "device_code": flow["device_code"],
        },
    )
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"
    assert "access_token" in pca.acquire_token_by_device_flow(flow)
