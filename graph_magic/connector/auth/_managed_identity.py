"""``auth_type: managed_identity``: the Azure resource's own identity, through msal.

On an Azure VM, App Service, Functions, Azure ML or a Synapse notebook, the host hands out
tokens for the identity Azure gave it, so a notebook there needs no secret at all. msal's
managed identity client finds the host's endpoint (IMDS, or App Service's ``IDENTITY_ENDPOINT``)
and caches the token; ``credentials.client_id`` picks a user-assigned identity. Tokens stay in
memory: the host renews them cheaply, and they must not land in the shared cache file.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import httpx
import msal

from graph_magic.connector.auth._base import (
    Clock,
    _auth_error,
    _exception_error,
    _Provider,
    _token_identity,
)
from graph_magic.connector.auth._http import httpx_for_msal
from graph_magic.connector.config import SystemConfig
from graph_magic.errors import GraphAuthError


class ManagedIdentityProvider(_Provider):
    """Tokens for the system-assigned identity, or the user-assigned one ``client_id`` names."""

    auth_type = "managed_identity"

    def __init__(
        self, system: SystemConfig, *, clock: Clock = time.time, http_client: Any = None
    ) -> None:
        super().__init__(system, clock=clock)
        self._http_client = http_client
        self._client: msal.ManagedIdentityClient | None = None

    def _msal_client(self) -> msal.ManagedIdentityClient:
        if self._client is None:
            client_id = self.system.credentials.client_id
            identity = (
                msal.UserAssignedManagedIdentity(client_id=client_id)
                if client_id
                else msal.SystemAssignedManagedIdentity()
            )
            self._client = msal.ManagedIdentityClient(
                identity, http_client=self._http(), token_cache=msal.TokenCache()
            )
        return self._client

    def _http(self) -> Any:
        if self._http_client is not None:
            return self._http_client
        if self.system.transport == "sandbox":
            from graph_magic.connector.sandbox_transport import msal_kwargs

            return msal_kwargs(self.system.sandbox)["http_client"]
        return httpx_for_msal(self.system.timeouts)

    async def _acquire(self, *, force: bool) -> tuple[str, float | None]:
        resource = self.system.credentials.resource

        def blocking() -> dict[str, Any]:
            if force:
                self._client = None  # a new client, a new in-memory cache: the host is asked
            return self._msal_client().acquire_token_for_client(resource=resource)

        try:
            result = await asyncio.to_thread(blocking)
        except (httpx.ConnectError, httpx.TimeoutException) as exc:
            raise GraphAuthError(_no_endpoint(type(exc).__name__)) from None
        except Exception as exc:
            raise _exception_error("managed identity sign-in", exc, (self._token,)) from None
        if not result or "access_token" not in result:
            raise _auth_error("managed identity sign-in", result or {}, (self._token,))
        return result["access_token"], self._clock() + float(result.get("expires_in", 3600))

    def _identity(self) -> dict[str, Any]:
        client_id = self.system.credentials.client_id
        kind = f"user-assigned ({client_id})" if client_id else "system-assigned"
        return {"credential": f"managed identity, {kind}", **_token_identity(self._token)}


def _no_endpoint(reason: str) -> str:
    where = os.environ.get("IDENTITY_ENDPOINT") or "the Azure Instance Metadata Service"
    return (
        f"no managed identity endpoint answered ({where}: {reason}). A managed identity exists "
        "only on Azure (VMs, App Service, Functions, Azure ML, Synapse) with an identity "
        "assigned; elsewhere use auth_type azure_cli (after 'az login'), azure or device_code"
    )
