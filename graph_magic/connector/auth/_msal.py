"""The msal flows: client credentials and device code, each in a worker thread.

msal's calls block on HTTP, so each runs in a worker thread and never stalls the event loop;
its cache is the process's one cache per file (:mod:`._cache`). By default msal reaches the
identity platform through httpx (:mod:`._http`), with the system's timeouts and a deadline on
each exchange; for ``transport: sandbox`` the sandbox seam hands it the in-process client.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msal

from graph_magic.connector.auth._base import (
    Clock,
    _auth_error,
    _exception_error,
    _Provider,
    _Secrets,
)
from graph_magic.connector.auth._cache import open_cache, save_cache
from graph_magic.connector.auth._http import MsalHttpClient, httpx_for_msal
from graph_magic.connector.config import SystemConfig
from graph_magic.errors import GraphAuthError

# The device flow's answers while the user has not finished signing in (RFC 8628).
_DEVICE_FLOW_PENDING = frozenset({"authorization_pending", "slow_down"})
# msal adds these itself and refuses them in a scope list.
_RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access"})


@dataclass(frozen=True)
class DeviceCodePrompt:
    """What the user must do to finish a device-code sign-in; the caller shows it."""

    verification_uri: str
    user_code: str
    message: str
    expires_in: int

    def __str__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        from html import escape

        uri = escape(self.verification_uri)
        return (
            f'<div>To sign in, open <a href="{uri}" target="_blank">{uri}</a> and enter the code '
            f"<code style='font-size:1.2em'>{escape(self.user_code)}</code> "
            f"(valid for {self.expires_in // 60} minutes).</div>"
        )


# --------------------------------------------------------------------------- msal plumbing


class _MsalProvider(_Provider):
    """Common ground of the two msal flows: the app, its cache file and its HTTP client."""

    def __init__(
        self,
        system: SystemConfig,
        *,
        clock: Clock = time.time,
        http_client: MsalHttpClient | None = None,
    ) -> None:
        super().__init__(system, clock=clock)
        self._http_client = http_client
        self._cache = open_cache(system.token_cache)
        self._app: Any = None
        self._app_lock = threading.Lock()
        self._account_name: str | None = None

    @property
    def _authority(self) -> str:
        creds = self.system.credentials
        return f"{creds.authority}/{creds.tenant_id}"

    def _secrets(self) -> _Secrets:
        return (self.system.credentials.client_secret, self._token)

    def _msal_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"authority": self._authority, "token_cache": self._cache}
        if self.system.transport == "sandbox":
            from graph_magic.connector.sandbox_transport import msal_kwargs

            return {**kwargs, **msal_kwargs(self.system.sandbox, http_client=self._http_client)}
        http_client = self._http_client or httpx_for_msal(self.system.timeouts)
        return {**kwargs, "http_client": http_client}

    def _get_app(self) -> Any:
        """Build the msal app once (its constructor fetches the tenant's metadata: blocking)."""
        with self._app_lock:
            if self._app is None:
                self._app = self._build_app()
            return self._app

    def _build_app(self) -> Any:
        raise NotImplementedError

    def _forget_app(self) -> None:
        """Drop the msal app after a failed call, so the next request really asks again.

        msal's HTTP layer replays a failed token answer (a 5xx for 5 s, an OAuth 400 for 60 s)
        from a throttle cache that lives in the app; the provider already lets one request per
        wave of callers through, so a failure is never retried in a burst. The token cache is
        ours, not the app's, so nothing signed in is lost.
        """
        with self._app_lock:
            self._app = None

    async def _call(
        self, action: str, fn: Callable[[], dict[str, Any]], *, pending_ok: bool = False
    ) -> dict[str, Any]:
        """Run a blocking msal call in a worker thread; every failure becomes GraphAuthError.

        ``pending_ok`` lets the device flow's "still waiting for the user" answers through.
        """

        def in_thread() -> dict[str, Any]:
            try:
                return fn()
            finally:
                save_cache(self._cache, self.system.token_cache)

        try:
            result = await asyncio.to_thread(in_thread)
        except GraphAuthError:
            self._forget_app()
            raise
        except Exception as exc:
            self._forget_app()
            raise _exception_error(action, exc, self._secrets()) from None
        pending = pending_ok and (result or {}).get("error") in _DEVICE_FLOW_PENDING
        if (not result or "access_token" not in result) and not pending:
            self._forget_app()
            raise _auth_error(action, result or {}, self._secrets())
        claims = result.get("id_token_claims") or {}
        self._account_name = claims.get("preferred_username") or self._account_name
        return result

    def _expiry(self, result: dict[str, Any]) -> float:
        return self._clock() + float(result.get("expires_in", 3600))

    async def logout(self) -> None:
        """Forget the token and this app's entries in msal's cache (then persist the cache)."""
        await super().logout()
        self._account_name = None
        await asyncio.to_thread(self._forget_cached)

    def _forget_cached(self) -> None:
        client_id = self.system.credentials.client_id
        for kind in (
            msal.TokenCache.CredentialType.ACCESS_TOKEN,
            msal.TokenCache.CredentialType.REFRESH_TOKEN,
            msal.TokenCache.CredentialType.ID_TOKEN,
        ):
            for entry in list(self._cache.search(kind, query={"client_id": client_id})):
                self._cache.modify(kind, entry, None)
        save_cache(self._cache, self.system.token_cache)


# --------------------------------------------------------------------------- client credentials


def _certificate_credential(path: str) -> dict[str, str]:
    """msal's certificate credential from a PEM holding the private key and the certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    try:
        data = Path(path).read_bytes()
        key = serialization.load_pem_private_key(data, password=None)
        cert = x509.load_pem_x509_certificate(data)
    except (OSError, ValueError, TypeError) as exc:
        raise GraphAuthError(
            f"cannot use the certificate file {path}: it must be an unencrypted PEM holding "
            f"the private key and the certificate ({type(exc).__name__})"
        ) from None
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    thumbprint = cert.fingerprint(hashes.SHA1()).hex().upper()
    return {"private_key": key_pem, "thumbprint": thumbprint}


class ClientCredentialsProvider(_MsalProvider):
    """``auth_type: azure``: an app's own token (client secret or certificate) via msal."""

    auth_type = "azure"

    @property
    def scopes(self) -> list[str]:
        return [f"{self.system.credentials.resource}/.default"]

    def _build_app(self) -> Any:
        creds = self.system.credentials
        credential: Any = creds.client_secret
        if creds.certificate_path:
            credential = _certificate_credential(creds.certificate_path)
        return msal.ConfidentialClientApplication(
            creds.client_id, client_credential=credential, **self._msal_kwargs()
        )

    async def _acquire(self, *, force: bool) -> tuple[str, float | None]:
        def blocking() -> dict[str, Any]:
            app = self._get_app()
            if force:
                self._evict_access_tokens()
            return app.acquire_token_for_client(scopes=self.scopes)

        result = await self._call("client credentials sign-in", blocking)
        return result["access_token"], self._expiry(result)

    def _evict_access_tokens(self) -> None:
        """msal serves a cached app token until its own clock says it expired; a refresh we
        decided on (expiring by our clock, or a 401) must reach the identity platform."""
        kind = msal.TokenCache.CredentialType.ACCESS_TOKEN
        query = {"client_id": self.system.credentials.client_id}
        for entry in list(self._cache.search(kind, query=query)):
            self._cache.remove_at(entry)

    def _identity(self) -> dict[str, Any]:
        creds = self.system.credentials
        return {"account": None, "app": creds.client_id, "tenant": creds.tenant_id}


# --------------------------------------------------------------------------- device code


class DeviceCodeProvider(_MsalProvider):
    """``auth_type: device_code``: delegated sign-in for analysts.

    ``start()`` asks for a code and returns the :class:`DeviceCodePrompt` for the caller to show;
    ``await complete()`` waits (in a worker thread) until the user has signed in. Afterwards
    ``get_token()`` renews silently from msal's cache, persisted across sessions.
    """

    auth_type = "device_code"

    def __init__(
        self,
        system: SystemConfig,
        *,
        clock: Clock = time.time,
        http_client: MsalHttpClient | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        super().__init__(system, clock=clock, http_client=http_client)
        self._flow: dict[str, Any] | None = None
        self._sleep = sleep

    @property
    def scopes(self) -> list[str]:
        return [s for s in self.system.scopes if s not in _RESERVED_SCOPES]

    def _build_app(self) -> Any:
        return msal.PublicClientApplication(
            self.system.credentials.client_id, **self._msal_kwargs()
        )

    def start(self) -> DeviceCodePrompt:
        """Ask the identity platform for a device code (blocking: from async code, in a thread)."""
        try:
            flow = self._get_app().initiate_device_flow(scopes=self.scopes)
        except Exception as exc:
            raise _exception_error("device code request", exc, self._secrets()) from None
        if "user_code" not in flow:
            raise _auth_error("device code request", flow, self._secrets())
        # msal's poll loop never checks its exit condition when the interval is 0.
        flow["interval"] = max(int(flow.get("interval", 5)), 1)
        self._flow = flow
        return DeviceCodePrompt(
            verification_uri=flow.get("verification_uri") or flow.get("verification_url", ""),
            user_code=flow["user_code"],
            message=flow.get("message", ""),
            expires_in=int(flow.get("expires_in", 900)),
        )

    async def complete(self) -> str:
        """Wait for the user to finish signing in; returns the token.

        The polling loop is ours, not msal's: each poll is one msal call in a worker thread, and
        the wait between polls is an (injectable) asyncio sleep, so cancelling (Ctrl-C in the
        notebook) stops at once and leaves no thread polling behind.
        """
        flow = self._flow
        if flow is None:
            raise GraphAuthError("device code sign-in was not started: call start() first")
        app = self._get_app()
        deadline = self._clock() + float(flow.get("expires_in", 900))
        try:
            while True:
                result = await self._call(
                    "device code sign-in",
                    lambda: app.acquire_token_by_device_flow(flow, exit_condition=lambda _f: True),
                    pending_ok=True,
                )
                if "access_token" in result:
                    break
                interval = float(flow["interval"])  # msal adds 5 s after a slow_down (RFC 8628)
                if self._clock() + interval >= deadline:
                    raise GraphAuthError(
                        "the device code expired before the sign-in was completed; start again",
                        detail={"error": "expired_token"},
                    )
                await self._sleep(interval)
        finally:
            self._flow = None
        async with self._refresh_lock():
            self._store(result["access_token"], self._expiry(result))
        return result["access_token"]

    async def _acquire(self, *, force: bool) -> tuple[str, float | None]:
        app = await asyncio.to_thread(self._get_app)
        accounts = await asyncio.to_thread(app.get_accounts)
        if not accounts:
            raise GraphAuthError(
                f"system '{self.system.name}' needs a device-code sign-in first: "
                f"run %graph connect {self.system.name} --device-code"
            )
        account = accounts[0]
        result = await self._call(
            "silent token renewal",
            lambda: (
                app.acquire_token_silent_with_error(
                    self.scopes, account=account, force_refresh=force
                )
                or {"error": "interaction_required", "error_description": "sign in again"}
            ),
        )
        self._account_name = account.get("username") or self._account_name
        return result["access_token"], self._expiry(result)

    def _forget_cached(self) -> None:
        if self._app is not None:
            for account in self._app.get_accounts():
                self._app.remove_account(account)
        super()._forget_cached()

    def _identity(self) -> dict[str, Any]:
        creds = self.system.credentials
        return {"account": self._account_name, "app": creds.client_id, "tenant": creds.tenant_id}
