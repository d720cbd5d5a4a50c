"""OAuth plumbing of the sandbox's Entra endpoints: error answers, form parsing, scopes and the
pending device codes, kept apart from the endpoints that use them.

Errors have Entra's shape (``error``, an AADSTS code and text) so msal reports them as it would
report Entra's own.
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse

from graph_magic.sandbox.entra.apps import DELEGATED_SCOPES, OIDC_SCOPES
from graph_magic.sandbox.tenant.constants import GRAPH_APP_ID, INITIAL_DOMAIN


class AuthError(Exception):
    """An OAuth error answer: status, ``error`` and the AADSTS code and text."""

    def __init__(self, status: int, error: str, code: int, text: str) -> None:
        super().__init__(text)
        self.status, self.error, self.code, self.text = status, error, code, text


@dataclass
class DeviceCode:
    client_id: str
    user_code: str
    scopes: frozenset[str]
    oidc: frozenset[str]
    expires_at: float
    upn: str | None = None


@dataclass
class DeviceCodes:
    """Pending device authorizations of one tenant, shared by the token and approval routes."""

    by_device_code: dict[str, DeviceCode] = field(default_factory=dict)
    by_user_code: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: DeviceCode) -> str:
        device_code = secrets.token_urlsafe(48)
        with self.lock:
            self.by_device_code[device_code] = entry
            self.by_user_code[entry.user_code] = device_code
        return device_code

    def find_user_code(self, user_code: str) -> DeviceCode | None:
        with self.lock:
            device_code = self.by_user_code.get(user_code.strip().upper())
            return self.by_device_code.get(device_code) if device_code else None

    def approve(self, entry: DeviceCode, upn: str) -> None:
        with self.lock:
            entry.upn = upn

    def redeem(self, device_code: str, client_id: str) -> DeviceCode | None:
        """The code's entry if ``client_id`` asked for it; an approved one is taken out (single
        use), a pending one stays for the next poll."""
        with self.lock:
            entry = self.by_device_code.get(device_code)
            if entry is None or entry.client_id != client_id:
                return None
            if entry.upn is not None:
                del self.by_device_code[device_code]
                self.by_user_code.pop(entry.user_code, None)
            return entry


async def read_form(request: Request) -> dict[str, str]:
    """The url-encoded form body (parsed here, so the sandbox needs no multipart package)."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))


def client_credentials_of(request: Request, form: Mapping[str, str]) -> tuple[str, str]:
    """(client_id, secret) from the form, or from HTTP Basic as RFC 6749 2.3.1 allows."""
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            basic_id, _, basic_secret = base64.b64decode(value).decode().partition(":")
        except ValueError:
            basic_id = basic_secret = ""
        client_id = client_id or unquote_plus(basic_id)
        secret = secret or unquote_plus(basic_secret)
    return client_id, secret


def delegated_scopes(scope: str, resource: str) -> tuple[frozenset[str], frozenset[str]]:
    """(Graph scopes, OpenID scopes) a delegated request asks for; ``.default`` means all.

    A scope may be prefixed by ``resource`` (the cloud's Graph URL) or Graph's app id.
    """
    prefixes = (resource + "/", GRAPH_APP_ID + "/")
    canonical = {name.lower(): name for name in DELEGATED_SCOPES}
    graph: set[str] = set()
    oidc: set[str] = set()
    for raw in scope.split():
        name = raw
        for prefix in prefixes:
            if name.lower().startswith(prefix.lower()):
                name = name[len(prefix) :]
        if name.lower() in OIDC_SCOPES:
            oidc.add(name.lower())
        elif name == ".default":
            graph |= DELEGATED_SCOPES
        elif name.lower() in canonical:
            graph.add(canonical[name.lower()])
        else:
            raise AuthError(
                400,
                "invalid_scope",
                70011,
                f"The provided value for the input parameter 'scope' is not valid. The scope "
                f"'{raw}' does not exist.",
            )
    return frozenset(graph or {"User.Read"}), frozenset(oidc)


def missing_parameter(name: str) -> AuthError:
    return AuthError(
        400,
        "invalid_request",
        900144,
        f"The request body must contain the following parameter: '{name}'.",
    )


def app_not_found(client_id: str) -> AuthError:
    return AuthError(
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{client_id}' was not found in the directory 'Contoso'. "
        "This can happen if the application has not been installed by the administrator of the "
        "tenant or consented to by any user in the tenant. You may have sent your "
        "authentication request to the wrong tenant.",
    )


def tenant_not_found(tenant: str) -> AuthError:
    return AuthError(
        400,
        "invalid_tenant",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud.",
    )


def user_not_found(upn: str) -> AuthError:
    return AuthError(
        400,
        "invalid_grant",
        50034,
        f"The user account {upn} does not exist in the {INITIAL_DOMAIN} directory.",
    )


def sandbox_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)
