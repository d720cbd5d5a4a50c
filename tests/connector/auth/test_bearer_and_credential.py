"""The providers without msal: a static bearer token and any azure-core credential."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from graph_magic.connector.auth import (
    BearerTokenProvider,
    CredentialProvider,
    make_token_provider,
)
from graph_magic.connector.config import load_system
from graph_magic.errors import GraphAuthError
from tests.connector.auth.auth_kit import Clock
from tests.connector.auth.identity_platform import make_jwt


async def test_bearer_static_token_and_describe() -> None:
    token = make_jwt({"upn": "adele@contoso.com", "tid": "t", "exp": 2_000_000_000})
    provider = make_token_provider(load_system({"token": token}, environ={}))
    assert isinstance(provider, BearerTokenProvider)
    assert await provider.get_token() == token
    info = provider.describe()
    assert info == {
        "system": "custom",
        "auth_type": "bearer",
        "signed_in": True,
        "expires_on": 2_000_000_000,
        "account": "adele@contoso.com",
        "app": None,
        "tenant": "t",
    }
    assert token not in repr(info) + repr(provider)


async def test_bearer_force_refresh_rereads_graph_token(monkeypatch: pytest.MonkeyPatch) -> None:
    system = load_system({}, environ={"GRAPH_TOKEN": "old-token"})
    provider = make_token_provider(system)
    assert await provider.get_token() == "old-token"
    monkeypatch.setenv("GRAPH_TOKEN", "new-token")
    assert await provider.get_token() == "old-token"
    assert await provider.get_token(force_refresh=True) == "new-token"


# --------------------------------------------------------------------------- azure-core credential


class AccessToken(NamedTuple):
    token: str
    expires_on: int


class SyncCredential:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str) -> AccessToken:
        self.calls.append(scopes)
        return AccessToken(f"cred-token-{len(self.calls)}", int(self.clock.now) + 3600)


class AsyncCredential(SyncCredential):
    async def get_token(self, *scopes: str) -> AccessToken:  # type: ignore[override]
        return SyncCredential.get_token(self, *scopes)


@pytest.mark.parametrize("kind", [SyncCredential, AsyncCredential])
async def test_credential_provider(kind: type[SyncCredential]) -> None:
    clock = Clock()
    credential = kind(clock)
    system = load_system({"auth_type": "credential", "credential": credential})
    provider = make_token_provider(system, clock=clock)
    assert isinstance(provider, CredentialProvider)

    assert await provider.get_token() == "cred-token-1"
    assert credential.calls == [("https://graph.microsoft.com/.default",)]
    assert await provider.get_token() == "cred-token-1"
    clock.now += 3600 - 100
    assert await provider.get_token() == "cred-token-2"
    assert provider.describe()["credential"] == kind.__name__
    assert "cred-token" not in repr(provider.describe())


async def test_credential_failure_is_an_auth_error() -> None:
    class Broken:
        def get_token(self, *scopes: str) -> AccessToken:
            raise RuntimeError("no az login")

    provider = make_token_provider(load_system({"auth_type": "credential", "credential": Broken()}))
    with pytest.raises(GraphAuthError, match=r"Broken.get_token failed.*no az login"):
        await provider.get_token()
