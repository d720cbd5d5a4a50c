"""Token providers: bearer, client credentials and device code over msal, or any azure credential.

Every provider answers ``await get_token()`` with a token valid for at least five more minutes,
refreshing it first when needed; concurrent callers share one refresh. msal's calls block on HTTP,
so they run in a worker thread and never stall the event loop. msal's token cache is persisted
to ``token_cache`` with mode 0600 (or kept in memory). Tokens and secrets never appear in
``describe()``, a repr, a log line or an error message.

The modules: ``_base`` (the provider base, bearer, azure-core credentials, token claims),
``_msal`` (client credentials, device code), ``_http`` (msal's httpx adapter, with a deadline
on each exchange), ``_cache`` (the cache files), ``_interactive`` (browser sign-in),
``_azure_cli`` (the Azure CLI's signed-in account), ``_managed_identity`` (an Azure host's own
identity) and ``_workload_identity`` (a platform's federated token as the client assertion).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, runtime_checkable

from graph_magic.connector.auth._azure_cli import AzureCliProvider
from graph_magic.connector.auth._base import (
    REFRESH_MARGIN_SECONDS,
    BearerTokenProvider,
    Clock,
    CredentialProvider,
    ReplayTokenProvider,
)
from graph_magic.connector.auth._interactive import InteractiveProvider
from graph_magic.connector.auth._managed_identity import ManagedIdentityProvider
from graph_magic.connector.auth._msal import (
    ClientCredentialsProvider,
    DeviceCodePrompt,
    DeviceCodeProvider,
    MsalHttpClient,
)
from graph_magic.connector.auth._workload_identity import WorkloadIdentityProvider
from graph_magic.connector.config import SystemConfig
from graph_magic.errors import GraphAuthError

__all__ = [
    "REFRESH_MARGIN_SECONDS",
    "AzureCliProvider",
    "BearerTokenProvider",
    "ClientCredentialsProvider",
    "CredentialProvider",
    "DeviceCodePrompt",
    "DeviceCodeProvider",
    "InteractiveProvider",
    "ManagedIdentityProvider",
    "MsalHttpClient",
    "ReplayTokenProvider",
    "TokenProvider",
    "WorkloadIdentityProvider",
    "make_token_provider",
]


@runtime_checkable
class TokenProvider(Protocol):
    """What the connector needs from any authentication mode."""

    async def get_token(self, *, force_refresh: bool = False) -> str:
        """A bearer token valid for at least five minutes (a new one when ``force_refresh``)."""
        ...

    def describe(self) -> dict[str, Any]:
        """auth_type, expires_on, account or app: what ``%graph status`` shows; never the token."""
        ...

    async def logout(self) -> None:
        """Forget the token, and the account in msal's cache where there is one."""
        ...


def make_token_provider(
    system: SystemConfig,
    *,
    clock: Clock = time.time,
    http_client: MsalHttpClient | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> TokenProvider:
    """The provider for ``system.auth_type``.

    ``http_client`` (a requests-like object for msal), ``clock`` and ``sleep`` (the wait between
    device-code polls) are for tests. By default msal talks through httpx (so proxies and respx
    behave as for Graph calls), or to the in-process sandbox when ``transport`` is "sandbox".
    """
    if system.replay:
        return ReplayTokenProvider(system, clock=clock)
    if system.auth_type == "bearer":
        return BearerTokenProvider(system, clock=clock)
    if system.auth_type == "azure":
        return ClientCredentialsProvider(system, clock=clock, http_client=http_client)
    if system.auth_type == "device_code":
        return DeviceCodeProvider(system, clock=clock, http_client=http_client, sleep=sleep)
    if system.auth_type == "credential":
        return CredentialProvider(system, clock=clock)
    if system.auth_type == "interactive":
        return InteractiveProvider(system, clock=clock, http_client=http_client)
    if system.auth_type == "azure_cli":
        return AzureCliProvider(system, clock=clock)
    if system.auth_type == "managed_identity":
        return ManagedIdentityProvider(system, clock=clock, http_client=http_client)
    if system.auth_type == "workload_identity":
        return WorkloadIdentityProvider(system, clock=clock, http_client=http_client)
    raise GraphAuthError(f"unknown auth_type '{system.auth_type}'")
