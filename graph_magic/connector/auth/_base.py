"""The provider base (one token, its expiry, one refresh at a time), bearer, azure credentials.

What every authentication mode shares lives in :class:`_Provider`: the five-minute refresh
margin, a refresh lock per event loop, the ``describe()`` that never shows the token, and the
GraphAuthError texts with secrets masked. The two modes that need no msal sit here too: a static
bearer token, and any azure-core credential. Both describe themselves from the token's own
claims, read by :func:`_token_identity`.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from graph_magic.connector.config import SystemConfig
from graph_magic.connector.masking import MASK, mask_text
from graph_magic.connector.telemetry import log_auth
from graph_magic.errors import GraphAuthError

REFRESH_MARGIN_SECONDS = 300
"""A token that expires within this many seconds is refreshed before it is used."""

Clock = Callable[[], float]
_Secrets = tuple[str | None, ...]


class _Provider:
    """Holds the current token and its expiry; one refresh at a time per event loop.

    Callers that meet an expiring token while a refresh is in flight share its outcome: its
    token, or its failure (a fresh GraphAuthError each). A failure is not kept: the next caller
    after it asks again.
    """

    auth_type = ""

    def __init__(self, system: SystemConfig, *, clock: Clock = time.time) -> None:
        self.system = system
        self._clock = clock
        self._token: str | None = None
        self._expires_on: float | None = None
        self._margin = float(REFRESH_MARGIN_SECONDS)
        self._attempts = 0
        self._failure: GraphAuthError | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:
        state = "signed in" if self._token else "no token"
        return f"<{type(self).__name__} system={self.system.name!r} {state}>"

    async def get_token(self, *, force_refresh: bool = False) -> str:
        """The current token, refreshed first when it expires within five minutes."""
        if not force_refresh and self._fresh():
            return self._token  # type: ignore[return-value]
        seen = self._attempts
        async with self._refresh_lock():
            if self._attempts != seen:  # a refresh ended while we waited: share its outcome
                if self._failure is not None:
                    raise GraphAuthError(str(self._failure), detail=dict(self._failure.detail))
                if self._fresh():
                    return self._token  # type: ignore[return-value]
            if not force_refresh and self._fresh():
                return self._token  # type: ignore[return-value]
            return await self._refresh(force_refresh)

    async def _refresh(self, force_refresh: bool) -> str:
        """Acquire a new token (under the lock); its outcome is what the waiters share."""
        reason = "forced" if force_refresh else ("expiring" if self._token else "first use")
        try:
            token, expires_on = await self._acquire(force=force_refresh or self._token is not None)
        except GraphAuthError as exc:
            self._failure = exc
            raise
        except Exception as exc:  # a provider's bug or a library's raw error: still an auth error
            self._failure = _exception_error("token acquisition", exc, (self._token,))
            raise self._failure from None
        else:
            self._store(token, expires_on)
        finally:
            self._attempts += 1  # counted once it has ended: whoever waited since shares it
        log_auth(
            self.system.logging,
            "token acquired",
            system=self.system.name,
            auth_type=self.auth_type,
            reason=reason,
            expires_on=int(expires_on) if expires_on else None,
        )
        return token

    def _store(self, token: str, expires_on: float | None) -> None:
        """Keep a new token; one shorter-lived than twice the margin is refreshed at half its
        life instead (else it would never count as fresh and every request would fetch one)."""
        life = expires_on - self._clock() if expires_on is not None else 2 * REFRESH_MARGIN_SECONDS
        self._token, self._expires_on, self._failure = token, expires_on, None
        self._margin = max(0.0, min(float(REFRESH_MARGIN_SECONDS), life / 2))

    def describe(self) -> dict[str, Any]:
        """Who and until when; never the token."""
        return {
            "system": self.system.name,
            "auth_type": self.auth_type,
            "signed_in": self._token is not None,
            "expires_on": int(self._expires_on) if self._expires_on else None,
            **self._identity(),
            **token_grants(self._token),
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
        return self._expires_on - self._clock() > self._margin

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


# --------------------------------------------------------------------------- token claims


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


def _token_identity(token: str | None) -> dict[str, Any]:
    """Who a token was issued to, by its claims: the account (user tokens), app and tenant."""
    claims = _jwt_claims(token or "")
    return {
        "account": claims.get("upn") or claims.get("preferred_username"),
        "app": claims.get("appid") or claims.get("azp"),
        "tenant": claims.get("tid"),
    }


def token_grants(token: str | None) -> dict[str, tuple[str, ...]]:
    """The permission names a token holds (``roles``: app, ``scopes``: delegated ``scp``).

    Names only, for the pre-flight checks and the 403 hint; a claim the token lacks is left out.
    """
    claims = _jwt_claims(token or "")
    grants: dict[str, tuple[str, ...]] = {}
    roles = claims.get("roles")
    if isinstance(roles, list) and roles:
        grants["roles"] = tuple(str(role) for role in roles)
    scopes = claims.get("scp")
    if isinstance(scopes, str) and scopes.split():
        grants["scopes"] = tuple(scopes.split())
    return grants


# --------------------------------------------------------------------------- errors, masked


def _auth_error(action: str, result: Mapping[str, Any], secrets: _Secrets) -> GraphAuthError:
    """GraphAuthError from msal's error dict, keeping the AADSTS text and masking secrets."""
    description = _scrub(str(result.get("error_description") or ""), secrets)
    first_line = description.strip().splitlines()[0] if description.strip() else ""
    # The ids and time Entra appends are for a support ticket: kept in ``detail``, not said.
    first_line = first_line.split(" Trace ID: ", 1)[0]
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
        return _token_identity(self._token)


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
        return {"credential": type(self.system.credential).__name__, **_token_identity(self._token)}


# --------------------------------------------------------------------------- replay


class ReplayTokenProvider(_Provider):
    """A system with ``replay:``: its answers come from a cassette, so no token is ever asked.

    The Authorization it lets the connector send stops at the replay transport; the placeholder
    is no credential, so there is nothing to refresh, cache or hide.
    """

    auth_type = "replay"

    async def _acquire(self, *, force: bool) -> tuple[str, float | None]:
        return "replayed-session", None
