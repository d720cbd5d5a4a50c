"""The sandbox's Entra ID endpoints: what msal calls, answered as login.microsoftonline.com does.

Client credentials, device code and refresh-token grants on the v2.0 token endpoint, the device
authorization endpoint, OpenID discovery and instance discovery, with Entra's error shapes
(``error``, ``error_description`` starting with an AADSTS code, ``error_codes``), so real msal
runs unmodified against the sandbox. Device codes are approved without a browser by
``POST /sandbox/devicecode/approve`` (``user_code`` and ``upn``, form or JSON) or automatically
by the ``device_code_auto_approve`` option.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlparse

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from graph_magic.sandbox.tokens import (
    DELEGATED_SCOPES,
    GRAPH_APP_ID,
    GRAPH_RESOURCE,
    LOGIN_HOST,
    OIDC_SCOPES,
    TokenService,
)

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_CODE_LIFETIME = 900
DEVICE_CODE_INTERVAL = 5
VERIFICATION_URI = "https://microsoft.com/devicelogin"
APPROVE_PATH = "/sandbox/devicecode/approve"

_USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_RESOURCE_PREFIXES = (GRAPH_RESOURCE + "/", GRAPH_APP_ID + "/")
_NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


class _AuthError(Exception):
    """An OAuth error answer: status, ``error`` and the AADSTS code and text."""

    def __init__(self, status: int, error: str, code: int, text: str) -> None:
        super().__init__(text)
        self.status, self.error, self.code, self.text = status, error, code, text


@dataclass
class _DeviceCode:
    client_id: str
    user_code: str
    scopes: frozenset[str]
    oidc: frozenset[str]
    expires_at: float
    upn: str | None = None


@dataclass
class _DeviceCodes:
    """Pending device authorizations of one tenant, shared by the token and approval routes."""

    by_device_code: dict[str, _DeviceCode] = field(default_factory=dict)
    by_user_code: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, entry: _DeviceCode) -> str:
        device_code = secrets.token_urlsafe(48)
        with self.lock:
            self.by_device_code[device_code] = entry
            self.by_user_code[entry.user_code] = device_code
        return device_code

    def find_user_code(self, user_code: str) -> _DeviceCode | None:
        with self.lock:
            device_code = self.by_user_code.get(user_code.strip().upper())
            return self.by_device_code.get(device_code) if device_code else None

    def approve(self, entry: _DeviceCode, upn: str) -> None:
        with self.lock:
            entry.upn = upn

    def redeem(self, device_code: str, client_id: str) -> _DeviceCode | None:
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


def routes(token_service: TokenService) -> list[Route]:
    """The identity routes for one tenant, to mount on the sandbox app (any host name)."""
    endpoints = _IdentityEndpoints(token_service)
    return [
        Route("/common/discovery/instance", endpoints.instance_discovery, methods=["GET"]),
        Route(
            "/{tenant}/v2.0/.well-known/openid-configuration",
            endpoints.openid_configuration,
            methods=["GET"],
        ),
        Route("/{tenant}/oauth2/v2.0/token", endpoints.token, methods=["POST"]),
        Route("/{tenant}/oauth2/v2.0/devicecode", endpoints.device_code, methods=["POST"]),
        Route(APPROVE_PATH, endpoints.approve, methods=["POST"]),
    ]


class _IdentityEndpoints:
    """Request handlers; one instance per tenant holds its pending device codes."""

    def __init__(self, tokens: TokenService) -> None:
        self.tokens = tokens
        self.codes = _DeviceCodes()

    # -- discovery -------------------------------------------------------------------------

    async def instance_discovery(self, request: Request) -> JSONResponse:
        authorize = urlparse(request.query_params.get("authorization_endpoint", ""))
        tenant = authorize.path.strip("/").split("/")[0] or "common"
        return JSONResponse(
            {
                "tenant_discovery_endpoint": (
                    f"https://{LOGIN_HOST}/{tenant}/v2.0/.well-known/openid-configuration"
                ),
                "api-version": "1.1",
                "metadata": [
                    {
                        "preferred_network": LOGIN_HOST,
                        "preferred_cache": "login.windows.net",
                        "aliases": [LOGIN_HOST, "login.windows.net", "login.microsoft.com"],
                    }
                ],
            }
        )

    async def openid_configuration(self, request: Request) -> JSONResponse:
        tenant = request.path_params["tenant"]
        if not self.tokens.is_tenant(tenant):
            return self._error_response(request, _tenant_not_found(tenant))
        base = f"https://{self._login_host(request)}/{self.tokens.tenant_id}"
        return JSONResponse(
            {
                "issuer": f"https://{LOGIN_HOST}/{self.tokens.tenant_id}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "jwks_uri": f"https://{LOGIN_HOST}/{self.tokens.tenant_id}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token", "token"],
                "grant_types_supported": [
                    "client_credentials",
                    "refresh_token",
                    DEVICE_CODE_GRANT,
                ],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["HS256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "client_secret_basic",
                ],
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
            }
        )

    # -- token endpoint --------------------------------------------------------------------

    async def token(self, request: Request) -> JSONResponse:
        try:
            self._check_tenant(request)
            form = await _form(request)
            grant_type = form.get("grant_type")
            if not grant_type:
                raise _missing_parameter("grant_type")
            if grant_type == "client_credentials":
                body = self._client_credentials(request, form)
            elif grant_type == DEVICE_CODE_GRANT:
                body = self._device_code_grant(form)
            elif grant_type == "refresh_token":
                body = self._refresh_token_grant(form)
            else:
                raise _AuthError(
                    400,
                    "unsupported_grant_type",
                    70003,
                    f"The app requested an unsupported grant type '{grant_type}'.",
                )
        except _AuthError as exc:
            return self._error_response(request, exc)
        return JSONResponse(body, headers=_NO_STORE)

    def _client_credentials(self, request: Request, form: Mapping[str, str]) -> dict[str, Any]:
        client_id, secret = _client_credentials_of(request, form)
        if not client_id:
            raise _missing_parameter("client_id")
        app = self.tokens.app(client_id)
        if app is None:
            raise _app_not_found(client_id)
        if not secret:
            raise _AuthError(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.",
            )
        if app.secret is None or not secrets.compare_digest(secret, app.secret):
            raise _AuthError(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID, for a secret added to app "
                f"'{client_id}'.",
            )
        scope = form.get("scope", "")
        if scope.split() not in ([f"{GRAPH_RESOURCE}/.default"], [f"{GRAPH_APP_ID}/.default"]):
            raise _AuthError(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows "
                "must have a scope value with /.default suffixed to the resource identifier "
                "(application ID URI).",
            )
        token, expires_in = self.tokens.issue_app_token(client_id)
        return {
            "token_type": "Bearer",
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": token,
        }

    def _device_code_grant(self, form: Mapping[str, str]) -> dict[str, Any]:
        device_code = form.get("device_code")
        if not device_code:
            raise _missing_parameter("device_code")
        entry = self.codes.redeem(device_code, form.get("client_id", ""))
        if entry is None:
            raise _AuthError(
                400,
                "invalid_grant",
                70000,
                "The provided value for the input parameter 'device_code' is not valid.",
            )
        if self.tokens.clock() >= entry.expires_at:
            raise _AuthError(
                400,
                "expired_token",
                70020,
                "The provided value for the input parameter 'device_code' is not valid. This "
                "device code has expired.",
            )
        if entry.upn is None:
            raise _AuthError(
                400,
                "authorization_pending",
                70016,
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            )
        user = self.tokens.resolve_user(entry.upn)
        if user is None:
            raise _user_not_found(entry.upn)
        return self._delegated_answer(entry.client_id, user, entry.scopes, entry.oidc)

    def _refresh_token_grant(self, form: Mapping[str, str]) -> dict[str, Any]:
        refresh_token = form.get("refresh_token")
        if not refresh_token:
            raise _missing_parameter("refresh_token")
        claims = self.tokens.read_refresh_token(refresh_token)
        client_id = form.get("client_id", "")
        if claims is None or claims.get("aud") != client_id:
            raise _AuthError(
                400,
                "invalid_grant",
                9002313,
                "Invalid request. Request is malformed or invalid.",
            )
        granted = frozenset(claims["scp"].split())
        if form.get("scope"):
            scopes, oidc = _delegated_scopes(form["scope"])
        else:
            scopes, oidc = granted, frozenset({"offline_access"})
        if not scopes <= granted:
            raise _AuthError(
                400,
                "invalid_grant",
                65001,
                "The user or administrator has not consented to use the application with ID "
                f"'{client_id}'. Send an interactive authorization request for this user and "
                "resource.",
            )
        user = self.tokens.resolve_user(claims["oid"])
        if user is None:
            raise _user_not_found(claims["oid"])
        return self._delegated_answer(client_id, user, scopes, oidc)

    def _delegated_answer(
        self,
        client_id: str,
        user: Mapping[str, Any],
        scopes: frozenset[str],
        oidc: frozenset[str],
    ) -> dict[str, Any]:
        token, expires_in = self.tokens.issue_delegated_token(client_id, user, scopes)
        return {
            "token_type": "Bearer",
            "scope": " ".join(sorted(scopes | oidc)),
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": token,
            "refresh_token": self.tokens.issue_refresh_token(client_id, user, scopes),
            "id_token": self.tokens.issue_id_token(client_id, user),
            "client_info": self.tokens.client_info(user),
        }

    # -- device authorization --------------------------------------------------------------

    async def device_code(self, request: Request) -> JSONResponse:
        try:
            self._check_tenant(request)
            form = await _form(request)
            client_id = form.get("client_id")
            if not client_id:
                raise _missing_parameter("client_id")
            scopes, oidc = _delegated_scopes(form.get("scope", ""))
        except _AuthError as exc:
            return self._error_response(request, exc)
        user_code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(9))
        entry = _DeviceCode(
            client_id=client_id,
            user_code=user_code,
            scopes=scopes,
            oidc=oidc,
            expires_at=self.tokens.clock() + DEVICE_CODE_LIFETIME,
            upn=self.tokens.options.device_code_auto_approve,
        )
        device_code = self.codes.add(entry)
        message = (
            f"To sign in, use a web browser to open the page {VERIFICATION_URI} and enter the "
            f"code {user_code} to authenticate. (Sandbox: POST {APPROVE_PATH} with user_code "
            "and upn approves it without a browser.)"
        )
        return JSONResponse(
            {
                "user_code": user_code,
                "device_code": device_code,
                "verification_uri": VERIFICATION_URI,
                "expires_in": DEVICE_CODE_LIFETIME,
                "interval": DEVICE_CODE_INTERVAL,
                "message": message,
            },
            headers=_NO_STORE,
        )

    async def approve(self, request: Request) -> JSONResponse:
        """Sandbox-only: sign ``upn`` in on the device code ``user_code`` (no browser)."""
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                data = json.loads(raw or b"{}")
            except ValueError:
                data = None
            if not isinstance(data, dict):
                return _sandbox_error(400, "invalid_request", "The body must be a JSON object.")
        else:
            data = dict(parse_qsl(raw.decode("utf-8", "replace")))
        user_code, upn = str(data.get("user_code") or ""), str(data.get("upn") or "")
        if not user_code or not upn:
            return _sandbox_error(400, "invalid_request", "Both user_code and upn are required.")
        entry = self.codes.find_user_code(user_code)
        if entry is None:
            return _sandbox_error(404, "invalid_user_code", f"No device code '{user_code}'.")
        if self.tokens.clock() >= entry.expires_at:
            return _sandbox_error(400, "expired_token", f"Device code '{user_code}' expired.")
        user = self.tokens.resolve_user(upn)
        if user is None:
            return _sandbox_error(404, "user_not_found", f"No user '{upn}' in the sandbox.")
        self.codes.approve(entry, str(user.get("userPrincipalName") or upn))
        return JSONResponse({"approved": True, "user_code": entry.user_code, "upn": entry.upn})

    # -- helpers ---------------------------------------------------------------------------

    def _check_tenant(self, request: Request) -> None:
        tenant = request.path_params["tenant"]
        if not self.tokens.is_tenant(tenant):
            raise _tenant_not_found(tenant)

    @staticmethod
    def _login_host(request: Request) -> str:
        """The host msal should come back to: the one it asked, when that is https."""
        return request.url.netloc if request.url.scheme == "https" else LOGIN_HOST

    def _error_response(self, request: Request, error: _AuthError) -> JSONResponse:
        now = self.tokens.clock()
        stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(now))
        trace_id = str(uuid.uuid4())
        correlation_id = request.headers.get("client-request-id") or str(uuid.uuid4())
        description = (
            f"AADSTS{error.code}: {error.text} Trace ID: {trace_id} Correlation ID: "
            f"{correlation_id} Timestamp: {stamp}"
        )
        return JSONResponse(
            {
                "error": error.error,
                "error_description": description,
                "error_codes": [error.code],
                "timestamp": stamp,
                "trace_id": trace_id,
                "correlation_id": correlation_id,
                "error_uri": f"https://{LOGIN_HOST}/error?code={error.code}",
            },
            status_code=error.status,
            headers=_NO_STORE,
        )


async def _form(request: Request) -> dict[str, str]:
    """The url-encoded form body (parsed here, so the sandbox needs no multipart package)."""
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace")))


def _client_credentials_of(request: Request, form: Mapping[str, str]) -> tuple[str, str]:
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


def _delegated_scopes(scope: str) -> tuple[frozenset[str], frozenset[str]]:
    """(Graph scopes, OpenID scopes) a delegated request asks for; ``.default`` means all."""
    canonical = {name.lower(): name for name in DELEGATED_SCOPES}
    graph: set[str] = set()
    oidc: set[str] = set()
    for raw in scope.split():
        name = raw
        for prefix in _RESOURCE_PREFIXES:
            if name.lower().startswith(prefix.lower()):
                name = name[len(prefix) :]
        if name.lower() in OIDC_SCOPES:
            oidc.add(name.lower())
        elif name == ".default":
            graph |= DELEGATED_SCOPES
        elif name.lower() in canonical:
            graph.add(canonical[name.lower()])
        else:
            raise _AuthError(
                400,
                "invalid_scope",
                70011,
                f"The provided value for the input parameter 'scope' is not valid. The scope "
                f"'{raw}' does not exist.",
            )
    return frozenset(graph or {"User.Read"}), frozenset(oidc)


def _missing_parameter(name: str) -> _AuthError:
    return _AuthError(
        400,
        "invalid_request",
        900144,
        f"The request body must contain the following parameter: '{name}'.",
    )


def _app_not_found(client_id: str) -> _AuthError:
    return _AuthError(
        400,
        "unauthorized_client",
        700016,
        f"Application with identifier '{client_id}' was not found in the directory 'Contoso'. "
        "This can happen if the application has not been installed by the administrator of the "
        "tenant or consented to by any user in the tenant. You may have sent your "
        "authentication request to the wrong tenant.",
    )


def _tenant_not_found(tenant: str) -> _AuthError:
    return _AuthError(
        400,
        "invalid_tenant",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud.",
    )


def _user_not_found(upn: str) -> _AuthError:
    return _AuthError(
        400,
        "invalid_grant",
        50034,
        f"The user account {upn} does not exist in the contoso.onmicrosoft.com directory.",
    )


def _sandbox_error(status: int, error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)
