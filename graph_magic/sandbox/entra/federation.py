"""Workload identity federation: the sandbox's stand-in issuer, and the checks Entra ID makes.

A workload platform (an AKS cluster's OIDC issuer, a CI system) signs a short-lived token for
the workload; an app registration trusts it through a federated identity credential naming the
issuer and the subject; the workload presents it as the client assertion of a client-credentials
request. The sandbox plays both sides: :class:`WorkloadIssuer` signs tokens as the platform
would (under a key of its own, from the seed), and :func:`check_assertion` refuses what Entra ID
refuses, with its AADSTS codes: another issuer, audience or subject, an expired token, a forged
signature.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from graph_magic.sandbox._signing import Signer, b64url_decode, b64url_encode
from graph_magic.sandbox.entra._oauth import AuthError
from graph_magic.sandbox.entra.apps import (
    FEDERATED_AUDIENCE,
    FEDERATED_ISSUER,
    FEDERATED_SUBJECT,
    SandboxApp,
)

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class WorkloadIssuer:
    """Signs and reads the workload tokens of the sandbox's platform, for one seed."""

    def __init__(self, seed: int, clock: Callable[[], float]) -> None:
        self._signer = Signer(seed, "workload-issuer")
        self.clock = clock

    def issue(
        self,
        subject: str = FEDERATED_SUBJECT,
        *,
        lifetime: int = 3600,
        issuer: str = FEDERATED_ISSUER,
        audience: str = FEDERATED_AUDIENCE,
    ) -> str:
        """A workload token as the platform writes it to ``AZURE_FEDERATED_TOKEN_FILE``."""
        now = int(self.clock())
        claims = {"iss": issuer, "sub": subject, "aud": audience, "iat": now, "nbf": now}
        claims["exp"] = now + lifetime
        head = _part({"alg": "HS256", "kid": "workload", "typ": "JWT"}) + "." + _part(claims)
        return head + "." + b64url_encode(self._signer.sign(head.encode()))

    def signed_claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this issuer signed, else None (forged, broken, foreign)."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        try:
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except ValueError:
            return None
        signed = self._signer.verify(f"{parts[0]}.{parts[1]}".encode(), signature)
        return claims if signed and isinstance(claims, dict) else None


def check_assertion(
    app: SandboxApp, assertion: str, assertion_type: str, issuer: WorkloadIssuer
) -> None:
    """Refuse ``assertion`` as Entra ID would, unless it signs ``app`` in."""
    if assertion_type != JWT_BEARER:
        raise _invalid_client(700025, f"client_assertion_type must be {JWT_BEARER}.")
    claims = _unverified(assertion)
    if app.federated is None or claims.get("iss") != app.federated[0]:
        raise _invalid_client(
            700211,
            "No matching federated identity record found for presented assertion issuer "
            f"'{claims.get('iss')}'.",
        )
    if claims.get("aud") != FEDERATED_AUDIENCE:
        raise _invalid_client(
            700212,
            "No matching federated identity record found for presented assertion "
            f"audience '{claims.get('aud')}'.",
        )
    if claims.get("sub") != app.federated[1]:
        raise _invalid_client(
            70021,
            "No matching federated identity record found for presented assertion. "
            f"Assertion Issuer: '{claims.get('iss')}'. Assertion Subject: '{claims.get('sub')}'.",
        )
    now = issuer.clock()
    if not claims.get("nbf", 0) <= now < claims.get("exp", 0):
        raise _invalid_client(700024, "Client assertion is not within its valid time range.")
    if issuer.signed_claims(assertion) is None:
        raise _invalid_client(700027, "Client assertion failed signature validation.")


def _unverified(token: str) -> dict[str, Any]:
    try:
        claims = json.loads(b64url_decode(token.split(".")[1]))
    except (ValueError, IndexError):
        raise _invalid_client(50027, "JWT token is invalid or malformed.") from None
    if not isinstance(claims, dict):
        raise _invalid_client(50027, "JWT token is invalid or malformed.")
    return claims


def _invalid_client(code: int, text: str) -> AuthError:
    return AuthError(401 if code != 700025 else 400, "invalid_client", code, text)


def _part(value: dict[str, Any]) -> str:
    return b64url_encode(json.dumps(value, separators=(",", ":"), sort_keys=True).encode())
