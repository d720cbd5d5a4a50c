"""Token refresh under concurrency: one refresh per wave of callers, its failure shared, not kept.

Sixteen requests in flight meet a token that has expired (by the client's clock, so no 401 is
involved; or by Graph's, so each gets a 401), or one that lives shorter than the refresh
margin. The identity platform is the sandbox's, counted on its token endpoint; while it is
"down" it answers in one of the ways a real one fails. Each case asserts: exactly one token
request for the wave; every caller gets the token, or a ``GraphAuthError`` (never a raw msal or
httpx exception); and the next request after a failure asks the identity platform again.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from graph_magic.connector.auth import make_token_provider
from graph_magic.errors import GraphMagicError
from graph_magic.sandbox import create_app, msal_http_client
from tests.reliability.hostile_kit import Case, CaseResult
from tests.reliability.reliability_kit import azure_system, in_process, options
from tests.support.fakes import Clock, RecordingSleep

CALLERS = 16
TOKEN_PATH = "/oauth2/v2.0/token"

# How an identity platform that is down answers the token request.
OUTAGES: dict[str, Any] = {
    "unreachable": httpx.ConnectError("identity platform unreachable"),
    "503 busy": (503, b'{"error": "temporarily_unavailable", "error_description": "busy"}'),
    "400 invalid_client": (
        400,
        b'{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client '
        b'secret provided."}',
    ),
    "200 HTML": (200, b"<html><body>Sign-in service maintenance</body></html>"),
    "200 without a token": (200, b'{"token_type": "Bearer", "expires_in": 3600}'),
}


class IdentityPlatform:
    """ASGI wrapper of the sandbox: counts token requests, and fails them while ``down``."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.token_requests = 0
        self.down: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith(TOKEN_PATH):
            self.token_requests += 1
            await asyncio.sleep(0)  # let every other caller reach the provider meanwhile
            if isinstance(self.down, Exception):
                raise self.down
            if self.down is not None:
                status, body = self.down
                start = {"type": "http.response.start", "status": status}
                await send({**start, "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        if name == "app":
            raise AttributeError(name)
        return getattr(self.app, name)


async def wave(
    *, lifetime: int = 3600, expire_by: str = "client", down: Any = None
) -> dict[str, Any]:
    """Sign in, let the token expire, send CALLERS requests at once, then one more request.

    ``expire_by`` is "client" (the client's clock passes the expiry: the provider refreshes
    before sending) or "graph" (only Graph's clock moves: each request meets a 401).
    """
    app = create_app(options(users=20, lifetime=lifetime))
    server_clock, client_clock = Clock(), Clock()
    app.state.tokens.clock = server_clock
    platform = IdentityPlatform(app)
    system = azure_system()
    provider = make_token_provider(
        system, clock=client_clock, http_client=msal_http_client(None, app=platform)
    )
    ask = {"method": "GET", "endpoint": "/users", "params": {"$top": 1}}
    async with in_process(app, system, RecordingSleep(), token_provider=provider) as conn:
        await conn.perform_action("u", "list", None, ask)
        signed_in = platform.token_requests
        server_clock.now += lifetime + 1
        if expire_by == "client":
            client_clock.now += lifetime + 1
        platform.down = down
        outcomes = await asyncio.gather(
            *(conn.perform_action("u", "list", None, ask) for _ in range(CALLERS)),
            return_exceptions=True,
        )
        in_wave = platform.token_requests - signed_in
        platform.down = None
        after = await asyncio.gather(
            conn.perform_action("u", "list", None, ask), return_exceptions=True
        )
    return {
        "outcomes": outcomes,
        "refreshes": in_wave,
        "next": after[0],
        "next_refreshes": platform.token_requests - signed_in - in_wave,
    }


def _case(name: str, *, failing: bool, **kwargs: Any) -> Case:
    async def run(result: CaseResult) -> None:
        seen = await wave(**kwargs)
        result.extra = seen
        outcomes = seen["outcomes"]
        result.sent = seen["refreshes"] + seen["next_refreshes"]
        result.to_keep = 0 if failing else CALLERS
        result.kept = sum(1 for o in outcomes if isinstance(o, dict))
        if seen["refreshes"] != 1:
            result.problems.append(f"{seen['refreshes']} token requests for one wave, not 1")
        kinds = {type(o).__name__ for o in outcomes}
        if failing and kinds != {"GraphAuthError"}:
            result.problems.append(f"the waiters got {sorted(kinds)}, not GraphAuthError each")
        if not failing and kinds != {"dict"}:
            result.problems.append(f"the callers got {sorted(kinds)}, not their answers")
        raw = [
            o for o in outcomes if isinstance(o, Exception) and not isinstance(o, GraphMagicError)
        ]
        if raw:
            result.problems.append(f"a raw {type(raw[0]).__name__} escaped")
        expected_next = 1 if failing else 0
        if seen["next_refreshes"] != expected_next or not isinstance(seen["next"], dict):
            result.problems.append(
                f"the next request made {seen['next_refreshes']} token requests (expected "
                f"{expected_next}) and got {type(seen['next']).__name__}"
            )

    return Case(name, run)


CASES = [
    _case("expired by the client's clock (no 401)", failing=False),
    _case("expired by Graph's clock (16 x 401)", failing=False, expire_by="graph"),
    _case("a token shorter-lived than the refresh margin", failing=False, lifetime=200),
    *(_case(f"refresh fails: {name}", failing=True, down=down) for name, down in OUTAGES.items()),
]
