"""``auth_type: interactive``: a user signs in in the browser of the machine Jupyter runs on.

For a local Jupyter this is the sign-in people know: msal opens the browser at the tenant's
sign-in page and listens on ``http://localhost`` for the redirect (the app registration needs
that redirect URI under "Mobile and desktop applications"). After the first sign-in, tokens are
renewed silently from msal's cache, as for device code. For ``transport: sandbox`` the browser
step is the sandbox's: msal's own authorization-code flow (with PKCE) runs, and the sandbox
signs in the user given with ``%graph connect NAME --as UPN`` (or its ``browser_auto_approve``
user) where a person would have typed their account.
"""

from __future__ import annotations

import asyncio
from typing import Any

from graph_magic.connector.auth._msal import DeviceCodeProvider

#: How long the browser sign-in may take before msal gives up listening for the redirect.
SIGN_IN_TIMEOUT_SECONDS = 300


class InteractiveProvider(DeviceCodeProvider):
    """Browser sign-in for the first token, then silent renewal from msal's cache."""

    auth_type = "interactive"
    #: The account to sign in as: pre-filled on a real sign-in page, typed in the sandbox's.
    login_hint: str | None = None

    async def _acquire(self, *, force: bool) -> tuple[str, float | None]:
        app = await asyncio.to_thread(self._get_app)
        if await asyncio.to_thread(app.get_accounts):
            return await super()._acquire(force=force)
        result = await self._call("interactive sign-in", lambda: self._sign_in(app))
        return result["access_token"], self._expiry(result)

    def _sign_in(self, app: Any) -> dict[str, Any]:
        if self.system.transport != "sandbox":
            return app.acquire_token_interactive(
                self.scopes, login_hint=self.login_hint, timeout=SIGN_IN_TIMEOUT_SECONDS
            )
        from graph_magic.connector.sandbox_transport import browse_sign_in

        flow = app.initiate_auth_code_flow(
            self.scopes,
            redirect_uri="http://localhost",
            login_hint=self.login_hint,
            response_mode="form_post",  # as msal's own browser flow asks
        )
        answer = browse_sign_in(self.system.sandbox, flow["auth_uri"], self.login_hint)
        return app.acquire_token_by_auth_code_flow(flow, answer)
