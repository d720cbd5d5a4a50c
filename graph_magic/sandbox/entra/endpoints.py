"""The sandbox's Entra ID endpoints: what msal calls, answered as login.microsoftonline.com does.

Client credentials, device code and refresh-token grants on the v2.0 token endpoint, the device
authorization endpoint, OpenID discovery and instance discovery, with Entra's error shapes
(``error``, ``error_description`` starting with an AADSTS code, ``error_codes``), so real msal
runs unmodified against the sandbox. Device codes are approved without a browser by
``POST /sandbox/devicecode/approve`` (``user_code`` and ``upn``, form or JSON) or automatically
by the ``device_code_auto_approve`` option.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlparse

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from graph_magic.sandbox._clock import entra_timestamp
from graph_magic.sandbox.entra._oauth import (
    AuthError,
    DeviceCode,
    DeviceCodes,
    app_not_found,
    client_credentials_of,
    delegated_scopes,
    missing_parameter,
    read_form,
    sandbox_error,
    tenant_not_found,
    user_not_found,
)
from graph_magic.sandbox.entra.authorize import BrowserSignIn
from graph_magic.sandbox.entra.federation import WorkloadIssuer, check_assertion
from graph_magic.sandbox.entra.managed_identity import routes as managed_identity_routes
from graph_magic.sandbox.entra.tokens import TokenService
from graph_magic.sandbox.tenant.constants import GRAPH_APP_ID

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEVICE_CODE_LIFETIME = 900
DEVICE_CODE_INTERVAL = 5
VERIFICATION_URI = "https://microsoft.com/devicelogin"
APPROVE_PATH = "/sandbox/devicecode/approve"

_USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_ALIASES = ("login.windows.net", "login.microsoft.com")
_NO_STORE = {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"}


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
        Route(
            "/{tenant}/oauth2/v2.0/authorize",
            endpoints.browser.authorize,
            methods=["GET", "POST"],
        ),
        *managed_identity_routes(token_service),
    ]


class _IdentityEndpoints:
    """Request handlers; one instance per tenant holds its pending device codes."""

    def __init__(self, tokens: TokenService) -> None:
        self.tokens = tokens
        self.codes = DeviceCodes()
        self.browser = BrowserSignIn(tokens)

    # -- discovery -------------------------------------------------------------------------

    async def instance_discovery(self, request: Request) -> JSONResponse:
        authorize = urlparse(request.query_params.get("authorization_endpoint", ""))
        tenant = authorize.path.strip("/").split("/")[0] or "common"
        return JSONResponse(
            {
                "tenant_discovery_endpoint": (
                    f"https://{self.tokens.login_host}/{tenant}/v2.0/.well-known/openid-configuration"
                ),
                "api-version": "1.1",
                "metadata": [
                    {
                        "preferred_network": self.tokens.login_host,
                        "preferred_cache": "login.windows.net",
                        "aliases": [self.tokens.login_host, *_ALIASES],
                    }
                ],
            }
        )

    async def openid_configuration(self, request: Request) -> JSONResponse:
        tenant = request.path_params["tenant"]
        if not self.tokens.is_tenant(tenant):
            return self._error_response(request, tenant_not_found(tenant))
        base = f"https://{self._login_host(request)}/{self.tokens.tenant_id}"
        return JSONResponse(
            {
                "issuer": f"https://{self.tokens.login_host}/{self.tokens.tenant_id}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "jwks_uri": f"https://{self.tokens.login_host}/{self.tokens.tenant_id}/discovery/v2.0/keys",
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
            form = await read_form(request)
            grant_type = form.get("grant_type")
            if not grant_type:
                raise missing_parameter("grant_type")
            if grant_type == "client_credentials":
                body = self._client_credentials(request, form)
            elif grant_type == DEVICE_CODE_GRANT:
                body = self._device_code_grant(form)
            elif grant_type == "refresh_token":
                body = self._refresh_token_grant(form)
            elif grant_type == "authorization_code":
                code = self.browser.redeem(form)
                body = self._delegated_answer(
                    form["client_id"], code.user, code.scopes, code.oidc, nonce=code.nonce
                )
            else:
                raise AuthError(
                    400,
                    "unsupported_grant_type",
                    70003,
                    f"The app requested an unsupported grant type '{grant_type}'.",
                )
        except AuthError as exc:
            return self._error_response(request, exc)
        return JSONResponse(body, headers=_NO_STORE)

    def _client_credentials(self, request: Request, form: Mapping[str, str]) -> dict[str, Any]:
        client_id, secret = client_credentials_of(request, form)
        if not client_id:
            raise missing_parameter("client_id")
        app = self.tokens.app(client_id)
        if app is None:
            raise app_not_found(client_id)
        assertion = form.get("client_assertion")
        if assertion:
            issuer = WorkloadIssuer(self.tokens.options.seed, self.tokens.clock)
            check_assertion(app, assertion, form.get("client_assertion_type", ""), issuer)
        elif not secret:
            raise AuthError(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.",
            )
        elif app.secret is None or not secrets.compare_digest(secret, app.secret):
            raise AuthError(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID, for a secret added to app "
                f"'{client_id}'.",
            )
        scope = form.get("scope", "")
        if scope.split() not in (
            [f"{self.tokens.resource}/.default"],
            [f"{GRAPH_APP_ID}/.default"],
        ):
            raise AuthError(
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
            raise missing_parameter("device_code")
        entry = self.codes.redeem(device_code, form.get("client_id", ""))
        if entry is None:
            raise AuthError(
                400,
                "invalid_grant",
                70000,
                "The provided value for the input parameter 'device_code' is not valid.",
            )
        if self.tokens.clock() >= entry.expires_at:
            raise AuthError(
                400,
                "expired_token",
                70020,
                "The provided value for the input parameter 'device_code' is not valid. This "
                "device code has expired.",
            )
        if entry.upn is None:
            raise AuthError(
                400,
                "authorization_pending",
                70016,
                "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
            )
        user = self.tokens.resolve_user(entry.upn)
        if user is None:
            raise user_not_found(entry.upn)
        return self._delegated_answer(entry.client_id, user, entry.scopes, entry.oidc)

    def _refresh_token_grant(self, form: Mapping[str, str]) -> dict[str, Any]:
        refresh_token = form.get("refresh_token")
        if not refresh_token:
            raise missing_parameter("refresh_token")
        claims = self.tokens.read_refresh_token(refresh_token)
        client_id = form.get("client_id", "")
        if claims is None or claims.get("aud") != client_id:
            raise AuthError(
                400,
                "invalid_grant",
                9002313,
                "Invalid request. Request is malformed or invalid.",
            )
        granted = frozenset(claims["scp"].split())
        if form.get("scope"):
            scopes, oidc = delegated_scopes(form["scope"], self.tokens.resource)
        else:
            scopes, oidc = granted, frozenset({"offline_access"})
        if not scopes <= granted:
            raise AuthError(
                400,
                "invalid_grant",
                65001,
                "The user or administrator has not consented to use the application with ID "
                f"'{client_id}'. Send an interactive authorization request for this user and "
                "resource.",
            )
        user = self.tokens.resolve_user(claims["oid"])
        if user is None:
            raise user_not_found(claims["oid"])
        return self._delegated_answer(client_id, user, scopes, oidc)

    def _delegated_answer(
        self,
        client_id: str,
        user: Mapping[str, Any],
        scopes: frozenset[str],
        oidc: frozenset[str],
        *,
        nonce: str | None = None,
    ) -> dict[str, Any]:
        token, expires_in = self.tokens.issue_delegated_token(client_id, user, scopes)
        return {
            "token_type": "Bearer",
            "scope": " ".join(sorted(scopes | oidc)),
            "expires_in": expires_in,
            "ext_expires_in": expires_in,
            "access_token": token,
            "refresh_token": self.tokens.issue_refresh_token(client_id, user, scopes),
            "id_token": self.tokens.issue_id_token(client_id, user, nonce=nonce),
            "client_info": self.tokens.client_info(user),
        }

    # -- device authorization --------------------------------------------------------------

    async def device_code(self, request: Request) -> JSONResponse:
        try:
            self._check_tenant(request)
            form = await read_form(request)
            client_id = form.get("client_id")
            if not client_id:
                raise missing_parameter("client_id")
            scopes, oidc = delegated_scopes(form.get("scope", ""), self.tokens.resource)
        except AuthError as exc:
            return self._error_response(request, exc)
        user_code = "".join(secrets.choice(_USER_CODE_ALPHABET) for _ in range(9))
        entry = DeviceCode(
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
                return sandbox_error(400, "invalid_request", "The body must be a JSON object.")
        else:
            data = dict(parse_qsl(raw.decode("utf-8", "replace")))
        user_code, upn = str(data.get("user_code") or ""), str(data.get("upn") or "")
        if not user_code or not upn:
            return sandbox_error(400, "invalid_request", "Both user_code and upn are required.")
        entry = self.codes.find_user_code(user_code)
        if entry is None:
            return sandbox_error(404, "invalid_user_code", f"No device code '{user_code}'.")
        if self.tokens.clock() >= entry.expires_at:
            return sandbox_error(400, "expired_token", f"Device code '{user_code}' expired.")
        user = self.tokens.resolve_user(upn)
        if user is None:
            return sandbox_error(404, "user_not_found", f"No user '{upn}' in the sandbox.")
        self.codes.approve(entry, str(user.get("userPrincipalName") or upn))
        return JSONResponse({"approved": True, "user_code": entry.user_code, "upn": entry.upn})

    # -- helpers ---------------------------------------------------------------------------

    def _check_tenant(self, request: Request) -> None:
        tenant = request.path_params["tenant"]
        if not self.tokens.is_tenant(tenant):
            raise tenant_not_found(tenant)

    def _login_host(self, request: Request) -> str:
        """The host msal should come back to: the one it asked, when that is https."""
        return request.url.netloc if request.url.scheme == "https" else self.tokens.login_host

    def _error_response(self, request: Request, error: AuthError) -> JSONResponse:
        stamp = entra_timestamp(self.tokens.clock())
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
                "error_uri": f"https://{self.tokens.login_host}/error?code={error.code}",
            },
            status_code=error.status,
            headers=_NO_STORE,
        )
