"""Token providers: bearer, client credentials and device code over msal, or any azure credential.

Every provider answers ``await get_token()`` with a token valid for at least five more minutes,
refreshing it first when needed; concurrent callers share one refresh. msal's calls block on HTTP,
so they run in a worker thread and never stall the event loop. msal's token cache is persisted
to ``token_cache`` with mode 0600 (or kept in memory). Tokens and secrets never appear in
``describe()``, a repr, a log line or an error message.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import httpx
import msal

from graph_magic.connector.config import SystemConfig
from graph_magic.connector.telemetry import MASK, log_auth, mask_text
from graph_magic.errors import GraphAuthError

__all__ = [
    "REFRESH_MARGIN_SECONDS",
    "BearerTokenProvider",
    "ClientCredentialsProvider",
    "CredentialProvider",
    "DeviceCodePrompt",
    "DeviceCodeProvider",
    "TokenProvider",
    "make_token_provider",
]

REFRESH_MARGIN_SECONDS = 300
"""A token that expires within this many seconds is refreshed before it is used."""

# The device flow's answers while the user has not finished signing in (RFC 8628).
_DEVICE_FLOW_PENDING = frozenset({"authorization_pending", "slow_down"})
# msal adds these itself and refuses them in a scope list.
_RESERVED_SCOPES = frozenset({"openid", "profile", "offline_access"})

Clock = Callable[[], float]


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


def make_token_provider(
    system: SystemConfig,
    *,
    clock: Clock = time.time,
    http_client: Any = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> TokenProvider:
    """The provider for ``system.auth_type``.

    ``http_client`` (a requests-like object for msal), ``clock`` and ``sleep`` (the wait between
    device-code polls) are for tests. By default msal talks through httpx (so proxies and respx
    behave as for Graph calls), or to the in-process sandbox when ``transport`` is "sandbox".
    """
    if system.auth_type == "bearer":
        return BearerTokenProvider(system, clock=clock)
    if system.auth_type == "azure":
        return ClientCredentialsProvider(system, clock=clock, http_client=http_client)
    if system.auth_type == "device_code":
        return DeviceCodeProvider(system, clock=clock, http_client=http_client, sleep=sleep)
    if system.auth_type == "credential":
        return CredentialProvider(system, clock=clock)
    raise GraphAuthError(f"unknown auth_type '{system.auth_type}'")


# --------------------------------------------------------------------------- shared machinery


class _Provider:
    """Holds the current token and its expiry; serialises refreshes per event loop."""

    auth_type = ""

    def __init__(self, system: SystemConfig, *, clock: Clock = time.time) -> None:
        self.system = system
        self._clock = clock
        self._token: str | None = None
        self._expires_on: float | None = None
        self._generation = 0
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        state = "signed in" if self._token else "no token"
        return f"<{type(self).__name__} system={self.system.name!r} {state}>"

    async def get_token(self, *, force_refresh: bool = False) -> str:
        """The current token, refreshed first when it expires within five minutes."""
        if not force_refresh and self._fresh():
            return self._token  # type: ignore[return-value]
        seen = self._generation
        async with self._refresh_lock():
            if self._token and self._generation != seen and self._fresh():
                return self._token  # another caller refreshed while we waited
            if not force_refresh and self._fresh():
                return self._token  # type: ignore[return-value]
            reason = "forced" if force_refresh else ("expiring" if self._token else "first use")
            token, expires_on = await self._acquire(force=force_refresh or self._token is not None)
            self._token, self._expires_on = token, expires_on
            self._generation += 1
            log_auth(
                self.system.logging,
                "token acquired",
                system=self.system.name,
                auth_type=self.auth_type,
                reason=reason,
                expires_on=int(expires_on) if expires_on else None,
            )
            return token

    def describe(self) -> dict[str, Any]:
        """Who and until when; never the token."""
        return {
            "system": self.system.name,
            "auth_type": self.auth_type,
            "signed_in": self._token is not None,
            "expires_on": int(self._expires_on) if self._expires_on else None,
            **self._identity(),
        }

    async def logout(self) -> None:
        """Forget the in-memory token."""
        self._token = None
        self._expires_on = None

    def _fresh(self) -> bool:
        if self._token is None:
            return False
        if self._expires_on is None:
            return True
        return self._expires_on - self._clock() > REFRESH_MARGIN_SECONDS

    def _refresh_lock(self) -> asyncio.Lock:
        """One lock per event loop (an asyncio.Lock must not be shared between loops)."""
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def _acquire(self, *, force: bool) -> tuple[str, float | None]:
        raise NotImplementedError

    def _identity(self) -> dict[str, Any]:
        return {}


def _jwt_claims(token: str) -> dict[str, Any]:
    """The unverified claims of a JWT (for expiry and display only), or {} if it is not one."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


# --------------------------------------------------------------------------- bearer


class BearerTokenProvider(_Provider):
    """A static token from the config or ``$GRAPH_TOKEN``; it cannot be refreshed, only re-read."""

    auth_type = "bearer"

    async def _acquire(self, *, force: bool) -> tuple[str, float | None]:
        token = self.system.token
        if force or not token:
            token = os.environ.get("GRAPH_TOKEN") or token
        if not token:
            raise GraphAuthError(
                f"system '{self.system.name}' has no bearer token: set 'token' or $GRAPH_TOKEN"
            )
        exp = _jwt_claims(token).get("exp")
        return token, float(exp) if isinstance(exp, (int, float)) else None

    def _identity(self) -> dict[str, Any]:
        claims = _jwt_claims(self._token or "")
        return {
            "account": claims.get("upn") or claims.get("preferred_username"),
            "app": claims.get("appid") or claims.get("azp"),
            "tenant": claims.get("tid"),
        }


# --------------------------------------------------------------------------- msal plumbing


class _HttpxForMsal:
    """msal's "requests-like" http_client over httpx: same proxies and timeouts as Graph calls."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def post(
        self, url: str, params: Any = None, data: Any = None, headers: Any = None, **kwargs: Any
    ) -> httpx.Response:
        if isinstance(data, (str, bytes)):
            body: dict[str, Any] = {"content": data}
        else:
            # requests form-encodes bytes values as their text; httpx would send "b'...'"
            # (msal passes the signed client assertion as bytes).
            body = {"data": {k: _text(v) for k, v in (data or {}).items()}}
        return self._client.post(
            url, params=params, headers=headers, timeout=kwargs.get("timeout"), **body
        )

    def get(
        self, url: str, params: Any = None, headers: Any = None, **kwargs: Any
    ) -> httpx.Response:
        return self._client.get(url, params=params, headers=headers, timeout=kwargs.get("timeout"))

    def close(self) -> None:
        self._client.close()


def _text(value: Any) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _default_http_client(system: SystemConfig) -> Any:
    if system.transport == "sandbox":
        from graph_magic.sandbox.inprocess import msal_http_client
        from graph_magic.sandbox.options import SandboxOptions

        return msal_http_client(SandboxOptions.from_dict(system.sandbox))
    t = system.timeouts
    timeout = httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool)
    return _HttpxForMsal(httpx.Client(timeout=timeout, follow_redirects=False))


# Process-wide: one msal cache per cache file, so every system sharing the default file sees the
# same accounts and no provider overwrites another's entries. Guarded by _CACHE_LOCK.
_CACHE_LOCK = threading.Lock()
_FILE_CACHES: dict[str, msal.SerializableTokenCache] = {}


def _open_cache(path: str | None) -> msal.SerializableTokenCache:
    if path is None:
        return msal.SerializableTokenCache()
    with _CACHE_LOCK:
        cache = _FILE_CACHES.get(path)
        if cache is None:
            cache = msal.SerializableTokenCache()
            try:
                cache.deserialize(Path(path).read_text(encoding="utf-8"))
            except FileNotFoundError:
                pass
            except (OSError, ValueError):
                pass  # an unreadable or corrupt cache only costs a new sign-in
            _FILE_CACHES[path] = cache
        return cache


def _save_cache(cache: msal.SerializableTokenCache, path: str | None) -> None:
    """Write the cache atomically, created 0600 in a 0700 directory: it holds refresh tokens."""
    if path is None or not cache.has_state_changed:
        return
    with _CACHE_LOCK:
        target = Path(path)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(cache.serialize())
        os.replace(tmp, target)
        cache.has_state_changed = False


_Secrets = tuple[str | None, ...]


def _auth_error(action: str, result: dict[str, Any], secrets: _Secrets) -> GraphAuthError:
    """GraphAuthError from msal's error dict, keeping the AADSTS text and masking secrets."""
    description = _scrub(str(result.get("error_description") or ""), secrets)
    first_line = description.strip().splitlines()[0] if description.strip() else ""
    message = f"{action} failed: {result.get('error', 'unknown_error')}"
    if first_line:
        message += f": {first_line}"
    detail = {
        key: _scrub(result[key], secrets) if isinstance(result[key], str) else result[key]
        for key in ("error", "error_description", "error_codes", "correlation_id", "trace_id")
        if key in result
    }
    return GraphAuthError(message, detail=detail)


def _exception_error(action: str, exc: BaseException, secrets: _Secrets) -> GraphAuthError:
    text = _scrub(str(exc), secrets) or type(exc).__name__
    return GraphAuthError(f"{action} failed: {type(exc).__name__}: {text}", detail={"error": text})


def _scrub(text: str, secrets: _Secrets) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return mask_text(text)


class _MsalProvider(_Provider):
    """Common ground of the two msal flows: the app, its cache file and its HTTP client."""

    def __init__(
        self, system: SystemConfig, *, clock: Clock = time.time, http_client: Any = None
    ) -> None:
        super().__init__(system, clock=clock)
        self._http_client = http_client
        self._cache = _open_cache(system.token_cache)
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
        http_client = self._http_client or _default_http_client(self.system)
        kwargs: dict[str, Any] = {
            "authority": self._authority,
            "token_cache": self._cache,
            "http_client": http_client,
        }
        if self.system.transport == "sandbox":
            kwargs["instance_discovery"] = False
        return kwargs

    def _get_app(self) -> Any:
        """Build the msal app once (its constructor fetches the tenant's metadata: blocking)."""
        with self._app_lock:
            if self._app is None:
                self._app = self._build_app()
            return self._app

    def _build_app(self) -> Any:
        raise NotImplementedError

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
                _save_cache(self._cache, self.system.token_cache)

        try:
            result = await asyncio.to_thread(in_thread)
        except GraphAuthError:
            raise
        except Exception as exc:
            raise _exception_error(action, exc, self._secrets()) from None
        pending = pending_ok and (result or {}).get("error") in _DEVICE_FLOW_PENDING
        if (not result or "access_token" not in result) and not pending:
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
        _save_cache(self._cache, self.system.token_cache)


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
        http_client: Any = None,
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
        """Ask the identity platform for a device code (blocking; see :meth:`start_async`)."""
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

    async def start_async(self) -> DeviceCodePrompt:
        """:meth:`start` from async code, without blocking the event loop."""
        return await asyncio.to_thread(self.start)

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
            self._token, self._expires_on = result["access_token"], self._expiry(result)
            self._generation += 1
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


# --------------------------------------------------------------------------- azure-core credential


class CredentialProvider(_Provider):
    """``auth_type: credential``: any object with azure-core's ``get_token(*scopes)``.

    Sync credentials run in a worker thread; async ones (``azure.identity.aio``) are awaited.
    """

    auth_type = "credential"

    async def _acquire(self, *, force: bool) -> tuple[str, float | None]:
        credential = self.system.credential
        scopes = tuple(self.system.scopes)
        get_token = credential.get_token  # type: ignore[union-attr]
        try:
            if inspect.iscoroutinefunction(get_token):
                access = await get_token(*scopes)
            else:
                access = await asyncio.to_thread(get_token, *scopes)
                if inspect.isawaitable(access):
                    access = await access
        except Exception as exc:
            raise _exception_error(
                f"{type(credential).__name__}.get_token", exc, (self._token,)
            ) from None
        token = getattr(access, "token", None)
        if not token:
            raise GraphAuthError(f"{type(credential).__name__}.get_token returned no token")
        expires_on = getattr(access, "expires_on", None)
        return token, float(expires_on) if expires_on else None

    def _identity(self) -> dict[str, Any]:
        claims = _jwt_claims(self._token or "")
        return {
            "credential": type(self.system.credential).__name__,
            "account": claims.get("upn") or claims.get("preferred_username"),
            "app": claims.get("appid") or claims.get("azp"),
            "tenant": claims.get("tid"),
        }
