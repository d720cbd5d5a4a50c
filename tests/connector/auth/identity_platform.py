"""A respx fake of the Microsoft identity platform, for the auth and telemetry tests."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import parse_qsl

import httpx
import respx

LOGIN = "https://login.microsoftonline.com"
OPENID = "v2.0/.well-known/openid-configuration"


def make_jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT-shaped string carrying ``claims`` (for tokens msal only decodes)."""

    def part(obj: dict[str, Any]) -> str:
        raw = json.dumps(obj).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.sig"


class FakeIdentityPlatform:
    """respx routes for what msal calls on a sign-in host (``login``), and what was sent."""

    def __init__(self, mock: respx.MockRouter, login: str = LOGIN) -> None:
        self.mock = mock
        self.login = login
        self.issued = 0
        self.token_errors: list[dict[str, Any]] = []
        self.device_scope = ""
        self.device_expires_in = 900
        mock.get(url__regex=rf"{login}/common/discovery/instance.*", name="instance").respond(
            json={
                "tenant_discovery_endpoint": f"{self.login}/common/{OPENID}",
                "metadata": [],
            }
        )
        mock.get(
            url__regex=rf"{login}/(?P<tenant>[^/]+)/v2.0/.well-known/openid-configuration",
            name="openid",
        ).mock(side_effect=self._openid)
        self.token = mock.post(
            url__regex=rf"{login}/(?P<tenant>[^/]+)/oauth2/v2.0/token", name="token"
        ).mock(side_effect=self._token)
        self.devicecode = mock.post(
            url__regex=rf"{login}/(?P<tenant>[^/]+)/oauth2/v2.0/devicecode", name="devicecode"
        ).mock(side_effect=self._devicecode)

    def _openid(self, request: httpx.Request, tenant: str) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                "token_endpoint": f"{self.login}/{tenant}/oauth2/v2.0/token",
                "authorization_endpoint": f"{self.login}/{tenant}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{self.login}/{tenant}/oauth2/v2.0/devicecode",
                "issuer": f"{self.login}/{tenant}/v2.0",
            },
        )

    def _devicecode(self, request: httpx.Request, tenant: str) -> httpx.Response:
        self.device_scope = self.form(request).get("scope", "")
        return httpx.Response(
            200,
            json={
                "device_code": "device-code-secret-123",
                "user_code": "ABCD-EFGH",
                "verification_uri": "https://microsoft.com/devicelogin",
                "expires_in": self.device_expires_in,
                "interval": 0,
                "message": "To sign in, use a web browser to open the page "
                "https://microsoft.com/devicelogin and enter the code ABCD-EFGH.",
            },
        )

    def _token(self, request: httpx.Request, tenant: str) -> httpx.Response:
        if self.token_errors:
            return httpx.Response(400, json=self.token_errors.pop(0))
        self.issued += 1
        form = self.form(request)
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": 3600,
            "access_token": f"access-token-{self.issued}",
        }
        if form["grant_type"] != "client_credentials":
            now = int(time.time())
            client_info = {"uid": "user-oid", "utid": tenant}
            body.update(
                refresh_token=f"refresh-token-{self.issued}",
                scope=form.get("scope") or self.device_scope,
                client_info=base64.urlsafe_b64encode(json.dumps(client_info).encode()).decode(),
                id_token=make_jwt(
                    {
                        "aud": form["client_id"],
                        "iss": f"{self.login}/{tenant}/v2.0",
                        "tid": tenant,
                        "oid": "user-oid",
                        "sub": "subject",
                        "preferred_username": "adele@contoso.com",
                        "iat": now,
                        "nbf": now,
                        "exp": now + 3600,
                    }
                ),
            )
        return httpx.Response(200, json=body)

    @staticmethod
    def form(request: httpx.Request) -> dict[str, str]:
        """The x-www-form-urlencoded body of a captured request."""
        return dict(parse_qsl(request.content.decode()))

    def forms(self) -> list[dict[str, str]]:
        return [self.form(call.request) for call in self.token.calls]
