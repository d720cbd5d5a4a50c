"""Browser sign-in: the authorization endpoint and the code grant, with PKCE, as msal uses them.

``GET /{tenant}/oauth2/v2.0/authorize`` shows a one-field sign-in page (the sandbox's users
have no passwords); posting a user principal name back signs that user in and redirects to the
app's ``redirect_uri`` with a one-time code, as Entra ID does after its own pages. With the
``browser_auto_approve`` option the page is skipped and the option's user is signed in at once,
so a test (or a headless notebook) needs no person. The code is redeemed at the token endpoint
(``grant_type=authorization_code``) with the PKCE verifier it was asked for with.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from graph_magic.sandbox._signing import Signer
from graph_magic.sandbox.entra._oauth import (
    AuthError,
    delegated_scopes,
    missing_parameter,
    read_form,
)
from graph_magic.sandbox.entra.tokens import TokenService

CODE_LIFETIME = 600
_ASKED = ("client_id", "redirect_uri", "scope", "state", "code_challenge", "nonce", "response_mode")


@dataclass(frozen=True)
class Redeemed:
    """A redeemed code: the user, the scopes granted, and the nonce the id token must carry."""

    user: dict[str, Any]
    scopes: frozenset[str]
    oidc: frozenset[str]
    nonce: str | None


class BrowserSignIn:
    """The authorize endpoint of one tenant, and the codes it has handed out."""

    def __init__(self, tokens: TokenService) -> None:
        self.tokens = tokens
        self._signer = Signer(tokens.options.seed, "authorization-code")
        self._redeemed: set[str] = set()
        self._lock = threading.Lock()

    async def authorize(self, request: Request) -> Response:
        """The sign-in page, or (auto-approval, or the page's answer) the redirect with a code."""
        asked = dict(request.query_params)
        if request.method == "POST":
            asked.update(await read_form(request))
        try:
            self._check(asked)
        except AuthError as error:
            return HTMLResponse(_page(f"AADSTS{error.code}: {error.text}"), status_code=400)
        upn = asked.get("username") or self.tokens.options.browser_auto_approve
        if not upn:
            return HTMLResponse(_page("", asked))
        user = self.tokens.resolve_user(upn)
        if user is None:
            return HTMLResponse(_page(f"We couldn't find an account with {upn}.", asked))
        answer = {"code": self._issue(asked, user["id"]), "state": asked.get("state", "")}
        if asked.get("response_mode") == "form_post":  # what msal's own browser flow asks for
            return HTMLResponse(_form_post(asked["redirect_uri"], answer))
        return RedirectResponse(f"{asked['redirect_uri']}?{urlencode(answer)}", status_code=302)

    def redeem(self, form: dict[str, str]) -> Redeemed:
        """Who signed in and what they consented to, or the AuthError Entra sends."""
        code = form.get("code") or ""
        if not code:
            raise missing_parameter("code")
        sealed = self._signer.unseal(code, 16)
        grant = json.loads(sealed) if sealed else None
        if not grant or self.tokens.clock() >= grant["exp"]:
            raise AuthError(
                400,
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to inactivity.",
            )
        if grant["client_id"] != form.get("client_id") or grant["redirect_uri"] != form.get(
            "redirect_uri"
        ):
            raise AuthError(
                400, "invalid_grant", 50148, "The code was issued to another app or redirect URI."
            )
        if _challenge(form.get("code_verifier", "")) != grant["challenge"]:
            raise AuthError(
                400,
                "invalid_grant",
                501481,
                "The Code_Verifier does not match the "
                "code_challenge supplied in the authorization request.",
            )
        with self._lock:
            if code in self._redeemed:
                raise AuthError(
                    400,
                    "invalid_grant",
                    54005,
                    "OAuth2 Authorization code was "
                    "already redeemed, please retry with a new valid code.",
                )
            self._redeemed.add(code)
        user = self.tokens.resolve_user(grant["user"])
        scopes, oidc = delegated_scopes(grant["scope"], self.tokens.resource)
        return Redeemed(user or {}, scopes, oidc, grant.get("nonce"))

    def _check(self, asked: dict[str, str]) -> None:
        for name in ("client_id", "redirect_uri", "code_challenge"):
            if not asked.get(name):
                raise missing_parameter(name)
        if asked.get("response_type") != "code":
            raise AuthError(
                400,
                "unsupported_response_type",
                900144,
                "The request body must contain the following parameter: "
                "'response_type' set to 'code'.",
            )
        if asked.get("code_challenge_method", "plain") != "S256":
            raise AuthError(
                400,
                "invalid_request",
                50147,
                "The code_challenge_method is not supported. Supported values: S256.",
            )
        redirect = urlsplit(asked["redirect_uri"])
        if redirect.scheme != "https" and redirect.hostname not in ("localhost", "127.0.0.1"):
            raise AuthError(
                400,
                "invalid_request",
                50011,
                "The redirect URI "
                f"'{asked['redirect_uri']}' specified in the request does not match "
                "the redirect URIs configured for the application.",
            )

    def _issue(self, asked: dict[str, str], user_id: str) -> str:
        grant = {
            "client_id": asked["client_id"],
            "redirect_uri": asked["redirect_uri"],
            "scope": asked.get("scope", ""),
            "challenge": asked["code_challenge"],
            "user": user_id,
            "nonce": asked.get("nonce"),
            "exp": self.tokens.clock() + CODE_LIFETIME,
            "n": secrets.token_hex(8),  # two sign-ins never share a code
        }
        return self._signer.seal(json.dumps(grant, sort_keys=True).encode(), 16)


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _form_post(redirect_uri: str, answer: dict[str, str]) -> str:
    """The page that posts the answer to the app, as Entra's does for ``form_post``."""
    fields = "".join(
        f'<input type="hidden" name="{name}" value="{escape(value)}">'
        for name, value in answer.items()
    )
    return (
        f'<!doctype html><form method="post" action="{escape(redirect_uri)}">{fields}</form>'
        "<script>document.forms[0].submit()</script>"
    )


def _page(message: str, asked: dict[str, str] | None = None) -> str:
    """The sandbox's sign-in page: a user principal name field, or only an error."""
    hidden = "".join(
        f'<input type="hidden" name="{name}" value="{escape(value)}">'
        for name, value in (asked or {}).items()
        if name in (*_ASKED, "response_type", "code_challenge_method", "login_hint")
    )
    form = (
        f'<form method="post">{hidden}<label>Account <input name="username" '
        f'value="{escape((asked or {}).get("login_hint", ""))}"></label>'
        '<button type="submit">Sign in</button></form>'
        if asked is not None
        else ""
    )
    error = f'<p class="error">{escape(message)}</p>' if message else ""
    return (
        "<!doctype html><title>Sign in to the sandbox tenant</title>"
        f"<h1>Sign in to contoso.onmicrosoft.com (sandbox)</h1>{error}{form}"
    )
