"""Tokens: claims Entra would put there, and Graph's 401 texts for every way one goes wrong."""

from __future__ import annotations

import base64
import json

import pytest

from graph_magic.sandbox import TENANT_ID, SandboxOptions, TokenRejected, TokenService
from tests.sandbox.sandbox_kit import USERS, find_user
from tests.support.fakes import START, Clock


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.fixture
def service(clock: Clock) -> TokenService:
    return TokenService(SandboxOptions(token_lifetime_seconds=600), find_user, clock)


def test_app_token_claims_and_principal(service: TokenService) -> None:
    token, expires_in = service.issue_app_token("sandbox-app")
    claims = _claims(token)
    assert expires_in == 600
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["iss"] == f"https://sts.windows.net/{TENANT_ID}/"
    assert claims["tid"] == TENANT_ID
    assert claims["appid"] == "sandbox-app"
    assert (claims["iat"], claims["nbf"], claims["exp"]) == (START, START, START + 600)
    assert "scp" not in claims
    principal = service.verify(f"Bearer {token}")
    assert principal.kind == "app"
    assert principal.client_id == "sandbox-app"
    assert {"AuditLog.Read.All", "User.Invite.All", "User.ReadWrite.All"} <= principal.roles
    assert principal.user_id is None and principal.scopes == frozenset()
    assert principal.expires_at == START + 600


def test_limited_app_lacks_audit_and_invite_roles(service: TokenService) -> None:
    token, _ = service.issue_app_token("sandbox-limited")
    roles = service.verify(f"Bearer {token}").roles
    assert "AuditLog.Read.All" not in roles and "User.Invite.All" not in roles
    assert {"User.ReadWrite.All", "Group.ReadWrite.All", "Directory.ReadWrite.All"} <= roles


def test_delegated_token_has_scp_and_user(service: TokenService) -> None:
    token, _ = service.issue_delegated_token("sandbox-public", USERS[0], ["User.Read", "Mail.Read"])
    claims = _claims(token)
    assert claims["scp"] == "Mail.Read User.Read"
    assert claims["upn"] == "adele@contoso.com"
    assert "roles" not in claims
    principal = service.verify(f"bearer {token}")
    assert principal.kind == "delegated"
    assert principal.scopes == {"User.Read", "Mail.Read"}
    assert (principal.user_id, principal.upn) == (USERS[0]["id"], "adele@contoso.com")


@pytest.mark.parametrize(
    ("header", "message", "reason"),
    [
        (None, "Access token is empty.", "empty"),
        ("", "Access token is empty.", "empty"),
        ("Bearer ", "Access token is empty.", "empty"),
        ("Basic c2FuZGJveDpzZWNyZXQ=", "Access token validation failure.", "invalid"),
        ("Bearer not-a-jwt", "CompactToken parsing failed with error code: 80049217", "malformed"),
        ("Bearer a.b!.c", "CompactToken parsing failed with error code: 80049217", "malformed"),
    ],
)
def test_rejects_missing_and_malformed(
    service: TokenService, header: str | None, message: str, reason: str
) -> None:
    with pytest.raises(TokenRejected) as info:
        service.verify(header)
    assert (info.value.message, info.value.reason) == (message, reason)


def test_rejects_tampered_payload(service: TokenService) -> None:
    token, _ = service.issue_app_token("sandbox-limited")
    header, _payload, signature = token.split(".")
    claims = _claims(token) | {"roles": ["AuditLog.Read.All"]}
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenRejected) as info:
        service.verify(f"Bearer {header}.{forged}.{signature}")
    assert info.value.message == "Access token validation failure."


def test_token_of_another_seed_is_rejected(service: TokenService, clock: Clock) -> None:
    other = TokenService(SandboxOptions(seed=7), find_user, clock)
    token, _ = other.issue_app_token("sandbox-app")
    with pytest.raises(TokenRejected, match=r"Access token validation failure\."):
        service.verify(f"Bearer {token}")


def test_expired_token_is_told_apart(service: TokenService, clock: Clock) -> None:
    token, _ = service.issue_app_token("sandbox-app")
    clock.now = START + 599
    assert service.verify(f"Bearer {token}").kind == "app"
    clock.now = START + 600
    with pytest.raises(TokenRejected) as info:
        service.verify(f"Bearer {token}")
    assert info.value.message == "Access token has expired or is not yet valid."
    assert info.value.reason == "expired"


def test_token_not_yet_valid(service: TokenService, clock: Clock) -> None:
    token, _ = service.issue_app_token("sandbox-app")
    clock.now = START - 10
    with pytest.raises(TokenRejected, match="expired or is not yet valid"):
        service.verify(f"Bearer {token}")


def test_refresh_token_is_not_an_access_token(service: TokenService) -> None:
    refresh = service.issue_refresh_token("sandbox-public", USERS[0], ["User.Read"])
    with pytest.raises(TokenRejected, match=r"Access token validation failure\."):
        service.verify(f"Bearer {refresh}")
    assert service.read_refresh_token(refresh)["oid"] == USERS[0]["id"]
    access, _ = service.issue_app_token("sandbox-app")
    assert service.read_refresh_token(access) is None
