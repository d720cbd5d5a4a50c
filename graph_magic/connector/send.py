"""Sending one request: pacing, the rate-limit semaphore, Authorization, retries, redirects.

Everything between a :class:`~graph_magic.connector.prepare.PreparedRequest` and its answer:
the wait for the request's service budget (:mod:`.pacing`), the wait for the process-wide
semaphore of the system's ``rate_limit_key``, the token (asked per attempt, so a refresh is
picked up), one refresh and resend on Graph's "token expired" 401,
the retry policy (Retry-After, budgets, no double submits), and redirects, where the token and
a request body never follow to another host and https is never given up for http. Each attempt
is bounded twice: its answer may not grow past ``max_response_bytes`` (decompressed, counted as
it streams in) and it must be complete within the caller's deadline, however slowly it trickles.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

import graph_magic.connector.telemetry as telemetry
from graph_magic.connector.auth import TokenProvider
from graph_magic.connector.config import SystemConfig
from graph_magic.connector.masking import mask_text, mask_url
from graph_magic.connector.pacing import RequestPacing
from graph_magic.connector.prepare import PreparedRequest
from graph_magic.connector.responses import token_expired
from graph_magic.connector.retry import RETRY_ATTEMPT_HEADER, RetryPolicy
from graph_magic.connector.urls import same_origin
from graph_magic.errors import (
    GraphAuthError,
    GraphResponseError,
    GraphSecurityError,
    GraphTransportError,
)

__all__ = [
    "RATE_LIMIT_SEMAPHORES",
    "Bounds",
    "Sender",
    "check_absolute_url",
    "check_no_user_info",
    "read_capped",
]

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


@dataclass(frozen=True, slots=True)
class Bounds:
    """How long one attempt may take: httpx's per-phase timeouts and the whole-answer deadline.

    A read timeout alone lets a server that drips a byte just inside it hold a request for
    ever; ``deadline`` (seconds, None: none) bounds the exchange as a whole, redirects and
    the body's last byte included.
    """

    timeout: httpx.Timeout
    deadline: float | None


class Sender:
    """Sends prepared requests for one connector; ``client()`` gives the loop's httpx client."""

    def __init__(
        self,
        system: SystemConfig,
        token_provider: Callable[[], TokenProvider],
        client: Callable[[], httpx.AsyncClient],
        sleep: Callable[[float], Awaitable[Any]],
        pacing: RequestPacing,
    ) -> None:
        self.system = system
        self._provider = token_provider
        self._client = client
        self._sleep = sleep
        self.pacing = pacing
        self._base = system.base_url.rstrip("/")

    def bounds(self, timeout: float | None) -> Bounds:
        """The caller's timeout bounds each read and each attempt whole; the system's the rest."""
        return Bounds(self.system.timeouts.as_httpx(read=timeout), timeout)

    async def send(
        self, request: PreparedRequest, bounds: Bounds, *, retry_as: str | None = None
    ) -> tuple[httpx.Response, RetryPolicy]:
        """Send with retries and one token refresh on an expired token; (response, policy).

        The policy tells how many attempts were made and why retrying stopped, for the error.
        ``retry_as`` names the method whose retry rules apply when they differ from the
        HTTP method's (a $batch of reads is as safe to resend as a GET).
        """
        method, url = request.method, request.url
        refreshed = False
        turn_kept = False  # a 429 reserved the retry's turn in the pacer

        async def attempt(number: int) -> httpx.Response:
            nonlocal refreshed, turn_kept
            sent = request.headers
            if number > 1:
                sent = {**sent, RETRY_ATTEMPT_HEADER: str(number - 1)}
            if not turn_kept:
                await self.pacing.wait_turn(request)
            turn_kept = False
            response = await self._exchange(request, await self._authorize(sent, False), bounds)
            if response.status_code == 401 and not refreshed and token_expired(response):
                refreshed = True
                telemetry.log_auth(self.system.logging, "token expired; refreshing once")
                headers = await self._authorize(sent, True)
                response = await self._exchange(request, headers, bounds)
            if response.status_code == 429:
                telemetry.record_http_429(method=method)
                turn_kept = self.pacing.throttled(request, response)
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
        if not token.isprintable() or any(c.isspace() for c in token):
            # h11 would refuse the header with the token in its message
            raise GraphAuthError(
                f"the token of system '{self.system.name}' holds a space or a line break, "
                "which no bearer token has (value not shown): check the token key or "
                "$GRAPH_TOKEN"
            )
        return {**headers, "Authorization": f"Bearer {token}"}

    async def _exchange(
        self, request: PreparedRequest, headers: dict[str, str], bounds: Bounds
    ) -> httpx.Response:
        """One HTTP exchange inside the rate-limit semaphore and the deadline; redirects followed.

        Past the deadline the attempt is a read timeout, retried (or not) like any other.
        """
        key = self.system.rate_limit_key
        semaphore = RATE_LIMIT_SEMAPHORES.get(key, self.system.max_concurrent_requests)
        asked = time.perf_counter()
        async with semaphore:
            telemetry.record_semaphore_wait(time.perf_counter() - asked, rate_limit_key=key)
            try:
                async with asyncio.timeout(bounds.deadline):
                    return await self._follow(request, headers, bounds.timeout)
            except TimeoutError:
                raise httpx.ReadTimeout(
                    f"no complete answer within the {bounds.deadline:g} s timeout"
                ) from None

    async def _follow(
        self, request: PreparedRequest, headers: dict[str, str], timeout: httpx.Timeout
    ) -> httpx.Response:
        """Send, following redirects by hand (Graph's report downloads redirect to storage).

        Credentials never follow to another host, nor a body (a 307/308 elsewhere is refused),
        and a redirect from https to http is refused; past ``_MAX_REDIRECTS`` hops (a loop)
        the request is a GraphResponseError, not the last 3xx passed off as an answer.
        """
        client = self._client()
        method, url, content = request.method, request.url, request.content
        for _ in range(_MAX_REDIRECTS + 1):
            response = await self._hop(client, method, url, headers, content, timeout)
            location = response.headers.get("location")
            if response.status_code not in _REDIRECT_STATUSES or not location:
                return response
            target = _redirect_target(url, location)
            if response.status_code == 303 or (
                response.status_code in (301, 302) and method == "POST"
            ):
                method, content = "GET", None
            if not same_origin(target, self._base):
                if content:
                    raise _refused(target, f"the {method} body on a {response.status_code}")
                headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIAL_HEADERS}
            url = target
        raise GraphResponseError(
            f"{request.method} {mask_url(request.url)} was redirected more than "
            f"{_MAX_REDIRECTS} times without an answer (a redirect loop?)",
            url=mask_url(url),
        )

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
        built = client.build_request(method, url, headers=headers, content=content, timeout=timeout)
        try:
            response = await client.send(built, stream=True)
        except httpx.InvalidURL as exc:  # httpx reads a redirect's Location for next_request
            raise GraphResponseError(
                f"a redirect from {mask_url(url)} has a Location that is not a URL ({exc})",
                url=mask_url(url),
            ) from None
        try:
            await read_capped(response, self.system.max_response_bytes, url)
        finally:
            await response.aclose()
        if log.enabled:
            telemetry.log_response(
                log,
                method,
                url,
                response.status_code,
                response.headers,
                response.content,
                time.perf_counter() - started,
                sent=content,
            )
        return response


async def read_capped(response: httpx.Response, cap: int, url: str) -> None:
    """Read the body, decompressed, refusing it once it grows past ``cap`` bytes.

    Counting as it streams means a small gzip that inflates to gigabytes is stopped near the
    cap instead of allocated; what was read becomes the response's content, as httpx's own
    ``aread`` leaves it.
    """
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise _too_large(url, cap)
            chunks.append(chunk)
    except httpx.DecodingError as exc:
        encoding = response.headers.get("content-encoding", "")
        raise GraphResponseError(
            f"the answer from {mask_url(url)} says it is {encoding}-encoded but does not "
            f"decode ({exc})",
            url=mask_url(url),
        ) from None
    response._content = b"".join(chunks)  # what Response.aread sets; the body is now read


def _too_large(url: str, cap: int) -> GraphResponseError:
    where = mask_url(url)
    return GraphResponseError(
        f"the answer from {where} is larger than max_response_bytes ({cap} bytes, counted "
        "after decompression); raise the system's max_response_bytes if it is expected",
        url=where,
        setting="max_response_bytes",
    )


def _redirect_target(url: str, location: str) -> str:
    """Where a redirect leads; refused when it is not a URL or gives up https for http."""
    try:
        target = urljoin(url, location)
        check_absolute_url(target)
        check_no_user_info(target)
    except ValueError as exc:
        raise GraphResponseError(
            f"a redirect from {mask_url(url)} has a Location that is not a URL ({exc})",
            url=mask_url(url),
        ) from None
    if urlsplit(url).scheme == "https" and urlsplit(target).scheme != "https":
        raise _refused(target, "a request from https")
    return target


def check_absolute_url(url: object) -> None:
    """Raise ValueError unless ``url`` is an absolute http(s) URL with a host and a valid port.

    For the URLs an answer hands over (nextLinks, redirect Locations), so a hostile one is
    refused by name rather than as a raw InvalidURL (httpx's own limits, length included, are
    checked here too). The host is then compared with the Graph host's, and user info refused
    (:func:`check_no_user_info`).
    """
    if not isinstance(url, str):
        raise ValueError(f"a {type(url).__name__}, not a string")
    if not url.isprintable():
        raise ValueError("a control character")
    parts = urlsplit(url)  # ValueError on unbalanced IPv6 brackets
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("not an absolute URL")
    if parts.port == 0:  # .port raises ValueError on a port out of range or not a number
        raise ValueError("port 0")
    try:
        httpx.URL(url)  # httpx's own limits (length, IDNA) must fail here, by name
    except httpx.InvalidURL as exc:
        raise ValueError(str(exc)) from None


def check_no_user_info(url: str) -> None:
    """Raise ValueError when ``url`` (already checked absolute) has ``user:password@``.

    httpx would send it as Basic auth in place of the bearer token.
    """
    if "@" in urlsplit(url).netloc:
        raise ValueError("it has user info")


def _refused(target: str, what: str) -> GraphSecurityError:
    parts = urlsplit(target)
    origin = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
    return GraphSecurityError(
        f"Refusing to follow a redirect to {origin}: {what} is never forwarded there "
        "(a redirect never carries a request body to another host, nor leaves https).",
        url=origin,
    )


def _on_retry(attempt: int, delay: float, cause: int | str) -> None:
    telemetry.record_retry(delay, attempt + 1, cause)
    telemetry.logger.info("retry %d in %.2fs after %s", attempt + 1, delay, cause)
