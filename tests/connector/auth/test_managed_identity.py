"""``auth_type: managed_identity`` against the sandbox's IMDS and App Service endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from graph_magic import GraphConnector, load_system
from graph_magic.connector.auth import ManagedIdentityProvider, make_token_provider
from graph_magic.connector.auth._base import _jwt_claims
from graph_magic.errors import GraphAuthError
from graph_magic.sandbox import SandboxOptions, msal_http_client
from graph_magic.sandbox.entra.apps import MANAGED_IDENTITIES
from graph_magic.sandbox.entra.managed_identity import IDENTITY_HEADER
from tests.support.served import ServedSandbox

SYSTEM_ASSIGNED, USER_ASSIGNED = (mi.client_id for mi in MANAGED_IDENTITIES)


def _system(**keys: Any) -> Any:
    return load_system(
        {"auth_type": "managed_identity", "transport": "sandbox", "token_cache": False, **keys},
        environ={},
    )


class _Recording:
    """msal's http client for the sandbox, keeping each URL asked."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.urls = inner, []

    def get(self, url: str, **kwargs: Any) -> Any:
        self.urls.append(url)
        return self.inner.get(url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Any:
        self.urls.append(url)
        return self.inner.post(url, **kwargs)


async def test_the_system_assigned_identity_reads_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "IMDS_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    system = _system()
    recording = _Recording(msal_http_client(system.sandbox))
    provider = make_token_provider(system, http_client=recording)
    async with GraphConnector(system, token_provider=provider) as graph:
        out = await graph.perform_action(
            "users", "list", {}, {"method": "GET", "endpoint": "/users", "params": {"$top": "999"}}
        )
    assert len(out["response"]["data"]["value"]) == 250
    # msal asked the VM's metadata service, answered in-process: nothing left the process.
    assert recording.urls == ["http://169.254.169.254/metadata/identity/oauth2/token"]
    described = provider.describe()
    assert described["credential"] == "managed identity, system-assigned"
    assert described["app"] == SYSTEM_ASSIGNED
    assert described["roles"] == ("Directory.Read.All", "Group.Read.All", "User.Read.All")


async def test_a_user_assigned_identity_is_named_by_client_id() -> None:
    provider = make_token_provider(_system(credentials={"client_id": USER_ASSIGNED}))
    token = await provider.get_token()
    assert _jwt_claims(token)["appid"] == USER_ASSIGNED
    assert provider.describe()["credential"] == f"managed identity, user-assigned ({USER_ASSIGNED})"


async def test_an_identity_the_host_does_not_have_is_refused() -> None:
    provider = make_token_provider(_system(credentials={"client_id": "not-assigned-here"}))
    with pytest.raises(GraphAuthError, match="Identity not found"):
        await provider.get_token()


async def test_a_refresh_asks_the_host_again() -> None:
    system = _system()
    recording = _Recording(msal_http_client(system.sandbox))
    provider = ManagedIdentityProvider(system, http_client=recording)
    first = await provider.get_token()
    assert await provider.get_token() == first  # held, not asked again
    await provider.get_token(force_refresh=True)
    assert len(recording.urls) == 2


async def test_no_endpoint_on_this_machine_says_where_a_managed_identity_exists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "IMDS_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    asked: list[str] = []

    class Unreachable:  # stands in for a network where 169.254.169.254 does not answer
        def get(self, url: str, **kwargs: Any) -> Any:
            asked.append(url)
            raise httpx.ConnectError("[Errno 113] No route to host")

        post = get

    system = load_system({"auth_type": "managed_identity", "token_cache": False}, environ={})
    provider = make_token_provider(system, http_client=Unreachable())
    with pytest.raises(GraphAuthError) as info:
        await provider.get_token()
    message = str(info.value)
    assert "no managed identity endpoint answered" in message
    assert "Azure Instance Metadata Service" in message and "azure_cli" in message
    assert asked == ["http://169.254.169.254/metadata/identity/oauth2/token"]


@pytest.fixture
def served() -> Iterator[int]:
    """A small tenant served on a loopback port; yields the port."""
    with ServedSandbox(SandboxOptions(users=20, groups=2, devices=2, sign_ins=2)) as server:
        yield server.port


async def test_app_services_endpoint_over_loopback(
    served: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTITY_ENDPOINT", f"http://127.0.0.1:{served}/msi/token")
    monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
    system = load_system(
        {
            "auth_type": "managed_identity",
            "base_url": f"http://127.0.0.1:{served}/v1.0",
            "token_cache": False,
        },
        environ={},
    )
    async with GraphConnector(system) as graph:
        out = await graph.perform_action(
            "users", "list", {}, {"method": "GET", "endpoint": "/users", "params": {}}
        )
    assert len(out["response"]["data"]["value"]) == 20
    monkeypatch.setenv("IDENTITY_HEADER", "wrong")
    with pytest.raises(GraphAuthError, match="X-IDENTITY-HEADER"):
        await make_token_provider(system).get_token()
