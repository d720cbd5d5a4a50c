"""Sending one request: the rate-limit semaphore, Authorization, refresh-once, retries, redirects.

Everything between a :class:`~graph_magic.connector.prepare.PreparedRequest` and its answer:
the wait for the process-wide semaphore of the system's ``rate_limit_key``, the token (asked
per attempt, so a refresh is picked up), one refresh and resend on Graph's "token expired" 401,
the retry policy (Retry-After, budgets, no double submits), and redirects, where the token never
follows to another host.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urljoin

import httpx

import graph_magic.connector.telemetry as telemetry
from graph_magic.connector.auth import TokenProvider
from graph_magic.connector.config import SystemConfig
from graph_magic.connector.masking import mask_text, mask_url
from graph_magic.connector.prepare import PreparedRequest
from graph_magic.connector.responses import token_expired
from graph_magic.connector.retry import RETRY_ATTEMPT_HEADER, RetryPolicy
from graph_magic.connector.urls import same_origin
from graph_magic.errors import GraphTransportError

__all__ = ["RATE_LIMIT_SEMAPHORES", "Sender"]

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5
# Headers that must not follow a redirect to another host.
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})


class _RateLimitSemaphores:
    """Process-wide registry: one semaphore per (rate_limit_key, event loop).

    Every connector with the same ``rate_limit_key`` shares one bound on requests in flight.
    asyncio semaphores belong to one loop, so each loop gets its own; the first connector to ask
    for a key on a loop sets its bound (``max_concurrent_requests``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]
        ] = weakref.WeakKeyDictionary()

    def get(self, key: str, bound: int) -> asyncio.Semaphore:
        """The semaphore for ``key`` on the running loop, created with ``bound`` if new."""
        loop = asyncio.get_running_loop()
        with self._lock:
            per_loop = self._by_loop.setdefault(loop, {})
            semaphore = per_loop.get(key)
            if semaphore is None:
                semaphore = per_loop[key] = asyncio.Semaphore(bound)
            return semaphore


RATE_LIMIT_SEMAPHORES = _RateLimitSemaphores()


class Sender:
    """Sends prepared requests for one connector; ``client()`` gives the loop's httpx client."""

    def __init__(
        self,
        system: SystemConfig,
        token_provider: Callable[[], TokenProvider],
        client: Callable[[], httpx.AsyncClient],
        sleep: Callable[[float], Awaitable[Any]],
    ) -> None:
        self.system = system
        self._provider = token_provider
        self._client = client
        self._sleep = sleep
        self._base = system.base_url.rstrip("/")

    def timeout(self, timeout: float | None) -> httpx.Timeout:
        """The caller's timeout bounds the wait for an answer (read); the system's the rest."""
        return self.system.timeouts.as_httpx(read=timeout)

    async def send(
        self, request: PreparedRequest, timeout: httpx.Timeout, *, retry_as: str | None = None
    ) -> tuple[httpx.Response, RetryPolicy]:
        """Send with retries and one token refresh on an expired token; (response, policy).

        The policy tells how many attempts were made and why retrying stopped, for the error.
        ``retry_as`` names the method whose retry rules apply when they differ from the
        HTTP method's (a $batch of reads is as safe to resend as a GET).
        """
        method, url = request.method, request.url
        refreshed = False

        async def attempt(number: int) -> httpx.Response:
            nonlocal refreshed
            sent = request.headers
            if number > 1:
                sent = {**sent, RETRY_ATTEMPT_HEADER: str(number - 1)}
            response = await self._exchange(request, await self._authorize(sent, False), timeout)
            if response.status_code == 401 and not refreshed and token_expired(response):
                refreshed = True
                telemetry.log_auth(self.system.logging, "token expired; refreshing once")
                headers = await self._authorize(sent, True)
                response = await self._exchange(request, headers, timeout)
            if response.status_code == 429:
                telemetry.record_http_429(method=method)
            return response

        policy = RetryPolicy(
            self.system.retry, retry_as or method, sleep=self._sleep, on_retry=_on_retry
        )
        try:
            response = await policy.run(attempt)
        except httpx.TransportError as exc:
            where = mask_url(url)
            raise GraphTransportError(
                f"{method} {where} failed after {policy.attempts} attempt(s): "
                f"{type(exc).__name__}: {mask_text(str(exc))}",
                url=where,
                attempts=policy.attempts,
                retry_stop=policy.stop,
            ) from exc
        return response, policy

    async def _authorize(self, headers: dict[str, str], force: bool) -> dict[str, str]:
        if any(name.lower() == "authorization" for name in headers):
            return headers
        token = await self._provider().get_token(force_refresh=force)
        return {**headers, "Authorization": f"Bearer {token}"}

    async def _exchange(
        self, request: PreparedRequest, headers: dict[str, str], timeout: httpx.Timeout
    ) -> httpx.Response:
        """One HTTP exchange inside the rate-limit semaphore, following redirects by hand.

        A redirect to another host (report downloads) is followed without credentials.
        """
        client = self._client()
        key = self.system.rate_limit_key
        semaphore = RATE_LIMIT_SEMAPHORES.get(key, self.system.max_concurrent_requests)
        method, url, content = request.method, request.url, request.content
        asked = time.perf_counter()
        async with semaphore:
            telemetry.record_semaphore_wait(time.perf_counter() - asked, rate_limit_key=key)
            for _ in range(_MAX_REDIRECTS + 1):
                response = await self._hop(client, method, url, headers, content, timeout)
                location = response.headers.get("location")
                if response.status_code not in _REDIRECT_STATUSES or not location:
                    return response
                url = urljoin(url, location)
                if not same_origin(url, self._base):
                    headers = {
                        k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS
                    }
                if response.status_code == 303 or (
                    response.status_code in (301, 302) and method == "POST"
                ):
                    method, content = "GET", None
            return response

    async def _hop(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        headers: dict[str, str],
        content: bytes | None,
        timeout: httpx.Timeout,
    ) -> httpx.Response:
        """One request and its answer on the wire, logged when logging is on."""
        log = self.system.logging
        telemetry.log_request(log, method, url, headers, content)
        started = time.perf_counter()
        response = await client.send(
            client.build_request(method, url, headers=headers, content=content, timeout=timeout)
        )
        if log.enabled:
            telemetry.log_response(
                log,
                method,
                url,
                response.status_code,
                response.headers,
                response.content,
                time.perf_counter() - started,
            )
        return response


def _on_retry(attempt: int, delay: float, cause: int | str) -> None:
    telemetry.record_retry(delay, attempt + 1, cause)
    telemetry.logger.info("retry %d in %.2fs after %s", attempt + 1, delay, cause)
