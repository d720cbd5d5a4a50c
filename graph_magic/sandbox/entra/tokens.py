"""The sandbox's token service: issuing, signing and verifying its JWT-shaped tokens.

Tokens are JWT-shaped (``header.payload.signature``, base64url JSON) so clients that peek at
claims (``exp``, ``roles``, ``scp``) see what Entra ID would give them, and are signed with
HMAC-SHA256 under a key derived from the sandbox seed so the sandbox alone can verify them. A token
from one seed is rejected by a sandbox with another seed, as a token from another tenant would be.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from graph_magic.knowledge.clouds import cloud_named
from graph_magic.sandbox._signing import Signer, b64url_decode, b64url_encode
from graph_magic.sandbox.entra.apps import APPS, SandboxApp
from graph_magic.sandbox.options import SandboxOptions
from graph_magic.sandbox.tenant.constants import INITIAL_DOMAIN, TENANT_ID

LOGIN_HOST = "login.microsoftonline.com"
REFRESH_TOKEN_LIFETIME = 90 * 24 * 3600


@dataclass(frozen=True)
class Principal:
    """Who a verified access token speaks for, and what it may do."""

    kind: Literal["app", "delegated"]
    client_id: str
    tenant_id: str
    roles: frozenset[str]
    scopes: frozenset[str]
    user_id: str | None
    upn: str | None
    expires_at: int


TokenRejectReason = Literal["empty", "malformed", "invalid", "expired"]


class TokenRejected(Exception):
    """The Authorization header does not carry a valid token; ``message`` is Graph's text.

    ``reason`` (empty, malformed, invalid, expired) lets callers tell an expired token, which a
    client should refresh, from a forged or broken one.
    """

    def __init__(self, message: str, reason: TokenRejectReason = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


_EMPTY = "Access token is empty."
_INVALID = "Access token validation failure."
_EXPIRED = "Access token has expired or is not yet valid."
_MALFORMED = "CompactToken parsing failed with error code: 80049217"


def _json_part(value: Mapping[str, Any]) -> str:
    return b64url_encode(json.dumps(value, separators=(",", ":"), sort_keys=True).encode())


def unverified_claims(authorization: str | None) -> dict[str, Any]:
    """The claims of a bearer token, unverified: for keying (throttling by app and tenant),
    never for trust. Empty when the header holds no JWT-shaped token."""
    _, _, token = (authorization or "").partition(" ")
    parts = token.strip().split(".")
    if len(parts) != 3:
        return {}
    try:
        claims = json.loads(b64url_decode(parts[1]))
    except ValueError:
        return {}
    return claims if isinstance(claims, dict) else {}


def principal_object_id(client_id: str) -> str:
    """The service principal object id of an app in the sandbox tenant (stable per client id)."""
    return str(uuid.uuid5(uuid.UUID(TENANT_ID), f"servicePrincipal:{client_id}"))


class TokenService:
    """Issues and verifies the sandbox's tokens for one tenant.

    ``resolve_user(upn_or_id)`` comes from the tenant's data (delegated sign-ins name a user);
    ``clock`` returns epoch seconds and is injectable so tests can expire tokens without sleeping.
    """

    def __init__(
        self,
        options: SandboxOptions,
        resolve_user: Callable[[str], dict | None],
        clock: Callable[[], float] = time.time,
        *,
        tenant_id: str = TENANT_ID,
        domain: str = INITIAL_DOMAIN,
    ) -> None:
        self.options = options
        self.resolve_user = resolve_user
        self.clock = clock
        self.tenant_id = tenant_id
        self.domain = domain
        cloud = cloud_named(options.cloud)
        #: The token audience and sign-in host of the cloud this tenant stands in for.
        self.resource = cloud.graph_url
        self.login_host = cloud.login_host
        self._signer = Signer(options.seed, "sandbox")
        self._serial = 0
        self._serial_lock = threading.Lock()

    # -- tenants and apps ------------------------------------------------------------------

    def is_tenant(self, name: str) -> bool:
        """Whether an authority path segment names this tenant (or a multi-tenant alias)."""
        return name.lower() in {
            self.domain.lower(),
            self.tenant_id,
            "organizations",
            "common",
        }

    @staticmethod
    def app(client_id: str) -> SandboxApp | None:
        """The fixed app registration with this client id, if any."""
        return APPS.get(client_id)

    # -- issuing ---------------------------------------------------------------------------

    def issue_app_token(self, client_id: str) -> tuple[str, int]:
        """An app-only Graph token carrying the app's ``roles``; returns (token, expires_in)."""
        app = APPS.get(client_id)
        roles = sorted(app.roles) if app else []
        now = int(self.clock())
        lifetime = self.options.token_lifetime_seconds
        oid = principal_object_id(client_id)
        claims = {
            **self._common_claims(now, lifetime),
            "app_displayname": app.display_name if app else client_id,
            "appid": client_id,
            "idtyp": "app",
            "oid": oid,
            "roles": roles,
            "sub": oid,
        }
        return self._sign(claims), lifetime

    def issue_delegated_token(
        self, client_id: str, user: Mapping[str, Any], scopes: Iterable[str]
    ) -> tuple[str, int]:
        """A delegated Graph token for ``user`` with ``scp`` set to ``scopes``."""
        now = int(self.clock())
        lifetime = self.options.token_lifetime_seconds
        claims = {
            **self._common_claims(now, lifetime),
            "appid": client_id,
            "idtyp": "user",
            "name": user.get("displayName"),
            "oid": user["id"],
            "scp": " ".join(sorted(set(scopes))),
            "sub": user["id"],
            "unique_name": user.get("userPrincipalName"),
            "upn": user.get("userPrincipalName"),
        }
        return self._sign(claims), lifetime

    def issue_refresh_token(
        self, client_id: str, user: Mapping[str, Any], scopes: Iterable[str]
    ) -> str:
        """A refresh token (same envelope, ``typ: refresh``) that only the token endpoint takes."""
        now = int(self.clock())
        claims = {
            "typ": "refresh",
            "aud": client_id,
            "tid": self.tenant_id,
            "oid": user["id"],
            "scp": " ".join(sorted(set(scopes))),
            "iat": now,
            "exp": now + REFRESH_TOKEN_LIFETIME,
            "uti": self._next_uti(),
        }
        return self._sign(claims)

    def issue_id_token(
        self, client_id: str, user: Mapping[str, Any], *, nonce: str | None = None
    ) -> str:
        """An OpenID Connect id token, so msal can name the signed-in account (and check the
        ``nonce`` of a browser sign-in)."""
        now = int(self.clock())
        claims = {
            "aud": client_id,
            "iss": f"https://{self.login_host}/{self.tenant_id}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + self.options.token_lifetime_seconds,
            "name": user.get("displayName"),
            "oid": user["id"],
            "preferred_username": user.get("userPrincipalName"),
            "sub": user["id"],
            "tid": self.tenant_id,
            "ver": "2.0",
        }
        if nonce:
            claims["nonce"] = nonce
        return self._sign(claims)

    def client_info(self, user: Mapping[str, Any]) -> str:
        """msal's ``client_info``: base64url JSON naming the account (uid) and tenant (utid)."""
        return _json_part({"uid": user["id"], "utid": self.tenant_id})

    # -- verifying -------------------------------------------------------------------------

    def verify(self, authorization_header: str | None) -> Principal:
        """The principal of a ``Bearer`` Authorization header, or ``TokenRejected``."""
        scheme, _, token = (authorization_header or "").strip().partition(" ")
        token = token.strip()
        if not scheme:
            raise TokenRejected(_EMPTY, "empty")
        if scheme.lower() != "bearer":
            raise TokenRejected(_INVALID, "invalid")
        if not token:
            raise TokenRejected(_EMPTY, "empty")
        claims = self._decode(token)
        if (
            claims.get("typ") == "refresh"
            or claims.get("aud") != self.resource
            or claims.get("tid") != self.tenant_id
        ):
            raise TokenRejected(_INVALID, "invalid")
        now = self.clock()
        if not claims.get("nbf", 0) <= now < claims.get("exp", 0):
            raise TokenRejected(_EXPIRED, "expired")
        delegated = "scp" in claims
        return Principal(
            kind="delegated" if delegated else "app",
            client_id=str(claims.get("appid", "")),
            tenant_id=self.tenant_id,
            roles=frozenset(claims.get("roles", ())),
            scopes=frozenset(str(claims.get("scp", "")).split()),
            user_id=claims.get("oid") if delegated else None,
            upn=claims.get("upn") if delegated else None,
            expires_at=int(claims["exp"]),
        )

    def read_refresh_token(self, token: str) -> dict[str, Any] | None:
        """The claims of a refresh token this tenant issued and that has not expired, else None."""
        try:
            claims = self._decode(token)
        except TokenRejected:
            return None
        if claims.get("typ") != "refresh" or claims.get("tid") != self.tenant_id:
            return None
        if self.clock() >= claims.get("exp", 0):
            return None
        return claims

    # -- internals -------------------------------------------------------------------------

    def _common_claims(self, now: int, lifetime: int) -> dict[str, Any]:
        return {
            "aud": self.resource,
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "tid": self.tenant_id,
            "uti": self._next_uti(),
            "ver": "1.0",
        }

    def _next_uti(self) -> str:
        with self._serial_lock:
            self._serial += 1
            serial = self._serial
        return b64url_encode(self._signer.derive(serial.to_bytes(8, "big"))[:16])

    def _sign(self, claims: Mapping[str, Any]) -> str:
        signing_input = (
            _json_part({"alg": "HS256", "kid": "sandbox", "typ": "JWT"})
            + "."
            + (_json_part(claims))
        )
        return signing_input + "." + b64url_encode(self._signer.sign(signing_input.encode()))

    def _decode(self, token: str) -> dict[str, Any]:
        parts = token.split(".")
        if len(parts) != 3:
            raise TokenRejected(_MALFORMED, "malformed")
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except ValueError as exc:  # binascii.Error is one
            raise TokenRejected(_MALFORMED, "malformed") from exc
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise TokenRejected(_MALFORMED, "malformed")
        signed = self._signer.verify(f"{parts[0]}.{parts[1]}".encode(), signature)
        if header.get("alg") != "HS256" or not signed:
            raise TokenRejected(_INVALID, "invalid")
        return claims
