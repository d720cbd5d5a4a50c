"""GraphConnector: the async Microsoft Graph client every other part of graph-magic uses.

One ``httpx.AsyncClient`` per connector (made on first use, on the running loop), with the
production behaviour Graph needs in one place: the token only ever goes to the configured Graph
host, paging follows nextLinks through empty pages, advanced queries get their header on every
page, retries follow the server's Retry-After, a process-wide semaphore per ``rate_limit_key``
bounds requests in flight, and errors carry Graph's code, message, request id and a hint.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin

import httpx

from graph_magic.connector import telemetry
from graph_magic.connector.auth import TokenProvider, make_token_provider
from graph_magic.connector.batch import normalize_requests, run_batches, sub_response
from graph_magic.connector.config import SystemConfig, load_system
from graph_magic.connector.hints import hint_for
from graph_magic.connector.retry import NON_IDEMPOTENT, RETRY_ATTEMPT_HEADER, RetryPolicy
from graph_magic.connector.urls import (
    asks_for_consistency,
    ensure_same_origin,
    join_url,
    plan_advanced_query,
    relative_path,
    same_origin,
    split_endpoint,
)
from graph_magic.errors import (
    GraphAPIError,
    GraphBatchError,
    GraphSecurityError,
    GraphTransportError,
)

__all__ = ["RATE_LIMIT_SEMAPHORES", "GraphConnector", "Page"]

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5
# Headers that must not follow a redirect to another host.
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
# Paging annotations that describe one page, not the consolidated collection.
_PAGE_KEYS = frozenset({"value", "@odata.nextLink", "@odata.deltaLink"})
_BODY_METHODS = frozenset({"POST", "PATCH", "PUT"})


@dataclass(slots=True)
class Page:
    """One answer of a paging scan; a non-collection answer is a single Page with no items."""

    number: int
    url: str
    status_code: int
    headers: httpx.Headers
    json: Any
    items: list[Any]
    next_link: str | None
    delta_link: str | None
    count: int | None
    content_type: str
    content: bytes
    advanced_query: bool


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


class GraphConnector:
    """Async Graph client for one system: perform_action, iter_pages, perform_batch, close.

    ``system`` is a SystemConfig, a system name or a dict. ``sleep`` is what retries wait with
    (tests inject a recorder); ``token_provider`` defaults to the system's own;
    ``transport`` replaces httpx's network transport (the in-process sandbox by default when
    ``transport: sandbox``).
    """

    def __init__(
        self,
        system: SystemConfig | str | Mapping[str, Any],
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        token_provider: TokenProvider | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.system: SystemConfig = load_system(system)
        self.token_provider: TokenProvider = (
            token_provider if token_provider is not None else make_token_provider(self.system)
        )
        if self.system.logging.enabled:
            telemetry.configure_logging(self.system.logging)
        self._sleep = sleep
        self._transport = transport
        self._base = self.system.base_url.rstrip("/")
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    # ------------------------------------------------------------------ lifecycle

    def _get_client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            if self._transport is None and self.system.transport == "sandbox":
                from graph_magic.connector.sandbox_transport import asgi_transport

                self._transport = asgi_transport(self.system.sandbox)
            self._client = httpx.AsyncClient(
                transport=self._transport,
                timeout=self.system.timeouts.as_httpx(),
                follow_redirects=False,
            )
            self._client_loop = loop
        return self._client

    async def close(self) -> None:
        """Close the HTTP client; the connector makes a new one if used again."""
        if self._client is not None:
            client, self._client, self._client_loop = self._client, None, None
            await client.aclose()

    async def __aenter__(self) -> GraphConnector:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ one request

    def _timeout(self, timeout: float | None) -> httpx.Timeout:
        # The caller's timeout bounds the wait for an answer (read); the system's timeouts
        # give connect/write/pool, and read too when the caller passes None.
        return self.system.timeouts.as_httpx(read=timeout)

    def _headers(
        self, correlation_id: str, extra: Mapping[str, str], caller: Mapping[str, str] | None
    ) -> dict[str, str]:
        headers = {
            "client-request-id": correlation_id,
            "Content-Type": self.system.default_content_type,
        }
        for source in (extra, caller or {}):
            for name, value in source.items():
                _set_header(headers, name, str(value))
        return headers

    async def _authorize(self, headers: dict[str, str], *, force: bool) -> dict[str, str]:
        if any(name.lower() == "authorization" for name in headers):
            return headers
        token = await self.token_provider.get_token(force_refresh=force)
        return {**headers, "Authorization": f"Bearer {token}"}

    async def _exchange(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        content: bytes | None,
        timeout: httpx.Timeout,
    ) -> httpx.Response:
        """One HTTP exchange inside the rate-limit semaphore, following redirects by hand.

        A redirect to another host (report downloads) is followed without credentials.
        """
        client = self._get_client()
        semaphore = RATE_LIMIT_SEMAPHORES.get(
            self.system.rate_limit_key, self.system.max_concurrent_requests
        )
        log = self.system.logging
        asked = time.perf_counter()
        async with semaphore:
            telemetry.record_semaphore_wait(
                time.perf_counter() - asked, rate_limit_key=self.system.rate_limit_key
            )
            for _ in range(_MAX_REDIRECTS + 1):
                telemetry.log_request(log, method, url, headers, content)
                started = time.perf_counter()
                response = await client.send(
                    client.build_request(
                        method, url, headers=headers, content=content, timeout=timeout
                    )
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

    async def _request(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        content: bytes | None,
        timeout: httpx.Timeout,
        *,
        retry_as: str | None = None,
    ) -> tuple[httpx.Response, RetryPolicy]:
        """Send with retries and one token refresh on an expired token; (response, policy).

        The policy tells how many attempts were made and why retrying stopped, for the error.

        ``retry_as`` names the method whose retry rules apply when they differ from the
        HTTP method's (a $batch of reads is as safe to resend as a GET).
        """
        refreshed = False

        async def send(attempt: int) -> httpx.Response:
            nonlocal refreshed
            sent = headers if attempt == 1 else {**headers, RETRY_ATTEMPT_HEADER: str(attempt - 1)}
            response = await self._exchange(
                method, url, await self._authorize(sent, force=False), content, timeout
            )
            if response.status_code == 401 and not refreshed and _token_expired(response):
                refreshed = True
                telemetry.log_auth(self.system.logging, "token expired; refreshing once")
                response = await self._exchange(
                    method, url, await self._authorize(sent, force=True), content, timeout
                )
            if response.status_code == 429:
                telemetry.record_http_429(method=method)
            return response

        policy = RetryPolicy(
            self.system.retry, retry_as or method, sleep=self._sleep, on_retry=_on_retry
        )
        try:
            response = await policy.run(send)
        except httpx.TransportError as exc:
            where = telemetry.mask_url(url)
            raise GraphTransportError(
                f"{method} {where} failed after {policy.attempts} attempt(s): "
                f"{type(exc).__name__}: {telemetry.mask_text(str(exc))}",
                url=where,
                attempts=policy.attempts,
                retry_stop=policy.stop,
            ) from exc
        return response, policy

    def _api_error(
        self, response: httpx.Response, method: str, url: str, retried: RetryPolicy
    ) -> GraphAPIError:
        upstream, code, message, inner = _error_parts(response)
        return GraphAPIError(
            response.status_code,
            url=telemetry.mask_url(url),
            method=method,
            upstream=upstream,
            code=code,
            message=message,
            request_id=inner.get("request-id") or response.headers.get("request-id"),
            client_request_id=inner.get("client-request-id")
            or response.headers.get("client-request-id"),
            date=inner.get("date") or response.headers.get("date"),
            hint=hint_for(
                response.status_code, code, message, method, relative_path(url, self._base)
            ),
            attempts=retried.attempts,
            retry_stop=retried.stop,
        )

    # ------------------------------------------------------------------ paging

    def iter_pages(
        self,
        url: str,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = 60.0,
        correlation_id: str | None = None,
        *,
        params: Mapping[str, Any] | None = None,
        max_items: int | None = None,
    ) -> AsyncIterator[Page]:
        """Yield every page of a GET, following nextLinks (only on the Graph host).

        ``url`` is a relative endpoint (``/users``) or a full URL on the Graph host. Empty
        pages do not end the scan; ``max_items`` does (the last page is cut to fit).
        Advanced-query headers are resent on every page.
        """
        return self._pages(
            url,
            headers,
            timeout,
            correlation_id or str(uuid.uuid4()),
            params=params,
            max_items=max_items,
            expected=(),
            paginate=True,
        )

    async def _pages(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        timeout: float | None,
        correlation_id: str,
        *,
        params: Mapping[str, Any] | None,
        max_items: int | None,
        expected: Collection[int],
        paginate: bool,
    ) -> AsyncIterator[Page]:
        full, query = split_endpoint(self._base, url)
        if params:
            query.update({str(k): _param_text(v) for k, v in params.items()})
        caller = dict(headers or {})
        mode = self.system.advanced_query
        plan = plan_advanced_query(relative_path(full, self._base), query, caller, mode)
        query.update(plan.params)
        sent_headers = self._headers(correlation_id, plan.headers, caller)
        http_timeout = self._timeout(timeout)
        advanced = plan.advanced
        raw_query = url.partition("?")[2]
        if params or plan.params or not raw_query:
            page_url = join_url(full, query)
        else:
            # A URL handed back as it came (a nextLink to resume from) keeps its exact bytes.
            page_url = f"{full}?{raw_query}"
        number = seen = 0
        while True:
            number += 1
            response, retried = await self._request(
                "GET", page_url, sent_headers, None, http_timeout
            )
            if number == 1 and not advanced and mode != "never" and response.status_code == 400:
                _, code, message, _ = _error_parts(response)
                if asks_for_consistency(400, code, message):
                    query = {k: v for k, v in query.items() if k.lower() != "$count"}
                    query["$count"] = "true"
                    _set_header(sent_headers, "ConsistencyLevel", "eventual")
                    advanced = True
                    page_url = join_url(full, query)
                    response, retried = await self._request(
                        "GET", page_url, sent_headers, None, http_timeout
                    )
            if response.status_code >= 400 and response.status_code not in expected:
                raise self._api_error(response, "GET", page_url, retried)
            page = _to_page(number, page_url, response, advanced)
            if max_items is not None:
                if len(page.items) > max_items - seen:
                    page.items = page.items[: max(max_items - seen, 0)]
                seen += len(page.items)
            yield page
            if not paginate or page.next_link is None:
                return
            if max_items is not None and seen >= max_items:
                return
            ensure_same_origin(page.next_link, self._base)
            page_url = page.next_link

    async def _collect(
        self,
        endpoint: str,
        config: Mapping[str, Any],
        correlation_id: str,
        timeout: float | None,
        expected: Collection[int],
    ) -> tuple[Page, Page, Any, int, str | None, bool]:
        """Run a GET's paging scan; (first page, last page, data, pages, next_link, truncated)."""
        paginate = config.get("auto_paginate")
        if paginate is None:
            paginate = self.system.auto_paginate
        first: Page | None = None
        last: Page | None = None
        items: list[Any] = []
        pages = 0
        try:
            with telemetry.collect_pages_span(endpoint) as span:
                async for page in self._pages(
                    endpoint,
                    config.get("headers"),
                    timeout,
                    correlation_id,
                    params=config.get("params"),
                    max_items=config.get("max_items"),
                    expected=expected,
                    paginate=bool(paginate),
                ):
                    pages += 1
                    if first is None:
                        first, items = page, page.items
                    else:
                        items.extend(page.items)
                    last = page
                span.set_attribute("graph.pages", pages)
        except (GraphAPIError, GraphTransportError, GraphSecurityError) as exc:
            # Whatever stopped the scan, the pages already received stay with the error.
            if pages:
                exc.partial = items
            raise
        assert first is not None and last is not None
        trimmed = _was_trimmed(last)
        next_link = last.next_link
        truncated = next_link is not None or trimmed
        if not _is_collection(first):
            return first, last, _data_of(first), pages, None, False
        if pages == 1 and not trimmed:
            return first, last, first.json, pages, next_link, truncated
        data = {k: v for k, v in first.json.items() if k not in _PAGE_KEYS}
        data["value"] = items
        if last.delta_link is not None:
            data["@odata.deltaLink"] = last.delta_link
        if next_link is not None:
            data["@odata.nextLink"] = next_link
        return first, last, data, pages, next_link, truncated

    async def _single(
        self,
        method: str,
        endpoint: str,
        config: Mapping[str, Any],
        correlation_id: str,
        timeout: float | None,
        expected: Collection[int],
    ) -> Page:
        full, query = split_endpoint(self._base, endpoint)
        for name, value in (config.get("params") or {}).items():
            query[str(name)] = _param_text(value)
        url = join_url(full, query)
        headers = self._headers(correlation_id, {}, config.get("headers"))
        body = config.get("body")
        content = _encode_body(body) if method in _BODY_METHODS and body is not None else None
        response, retried = await self._request(
            method, url, headers, content, self._timeout(timeout)
        )
        if response.status_code >= 400 and response.status_code not in expected:
            raise self._api_error(response, method, url, retried)
        return _to_page(1, url, response, False)

    # ------------------------------------------------------------------ public calls

    async def perform_action(
        self,
        object_type: str | None,
        action: str | None,
        params: Mapping[str, Any] | None,
        command_config: Mapping[str, Any],
        transaction_id: str | None = None,
        expected_outcomes: Collection[int] | None = None,
        correlation_id: str | None = None,
        timeout: float | None = 60.0,
    ) -> dict[str, Any]:
        """Run one Graph request and return the standardized response dict.

        ``command_config``: ``method``, ``endpoint`` (relative or a full Graph URL, whose
        version wins), ``params`` (query options, decoded), ``body``, ``headers``,
        ``auto_paginate`` (default: the system's), ``max_items``. ``params`` (the positional
        argument) fills ``{name}`` placeholders in the endpoint, each as one encoded segment.
        Statuses in ``expected_outcomes`` are returned as results instead of raised.
        ``timeout`` is the read timeout of each HTTP request (None: the system's ``timeouts``).
        """
        method = str(command_config.get("method") or "GET").upper()
        if not command_config.get("endpoint"):
            raise ValueError("command_config needs an 'endpoint' (a path or a Graph URL)")
        if method in ("GET", "DELETE") and command_config.get("body") is not None:
            raise ValueError(f"a {method} request carries no body; remove 'body'")
        endpoint = _fill_placeholders(str(command_config["endpoint"]), params)
        correlation_id = correlation_id or str(uuid.uuid4())
        expected = frozenset(expected_outcomes or ())
        started = time.perf_counter()
        status_code: int | None = None
        with telemetry.perform_action_span(object_type, action, method, endpoint) as span:
            try:
                if method == "GET":
                    first, last, data, pages, next_link, truncated = await self._collect(
                        endpoint, command_config, correlation_id, timeout, expected
                    )
                else:
                    first = last = await self._single(
                        method, endpoint, command_config, correlation_id, timeout, expected
                    )
                    data, pages, next_link, truncated = _data_of(first), 1, None, False
                status_code = last.status_code
                span.set_attribute("http.response.status_code", status_code)
            except GraphAPIError as exc:
                status_code = exc.status_code
                raise
            finally:
                telemetry.record_action_duration(
                    time.perf_counter() - started,
                    method=method,
                    status_code=status_code,
                    object_type=object_type,
                )
        success = 200 <= last.status_code < 300
        return {
            "status": "success" if success or last.status_code in expected else "error",
            "transaction_id": transaction_id or str(uuid.uuid4()),
            "correlation_id": correlation_id,
            "object_type": object_type,
            "action": action,
            "response": {
                "status_code": last.status_code,
                "data": data,
                "headers": dict(last.headers),
                "success": success,
                "pages": pages,
                "next_link": next_link,
                "truncated": truncated,
                "advanced_query": first.advanced_query,
                "request_id": last.headers.get("request-id"),
            },
        }

    async def perform_batch(
        self,
        requests: Sequence[Mapping[str, Any]],
        correlation_id: str | None = None,
        timeout: float | None = 60.0,
        prefer: str | None = None,
        continue_on_error: bool = False,
    ) -> dict[str, Any]:
        """Send any number of requests through ``$batch``; answers come back in request order.

        Each request: ``id`` (optional), ``method``, ``url`` (relative), ``headers``, ``body``,
        ``dependsOn``/``depends_on``. ``prefer`` is added as the Prefer header of every
        sub-request that has none. With ``continue_on_error=False`` the first failed
        sub-request (after retries) raises GraphBatchError carrying every answer on
        ``.partial``.
        """
        correlation_id = correlation_id or str(uuid.uuid4())
        items = normalize_requests(
            requests, base_url=self._base, advanced_mode=self.system.advanced_query, prefer=prefer
        )
        url = f"{self._base}/$batch"
        headers = self._headers(correlation_id, {}, None)
        http_timeout = self._timeout(timeout)

        async def send_chunk(wire: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
            content = json.dumps({"requests": wire}).encode()
            reads_only = all(item["method"] not in NON_IDEMPOTENT for item in wire)
            response, retried = await self._request(
                "POST", url, headers, content, http_timeout, retry_as="GET" if reads_only else None
            )
            if response.status_code >= 400:
                raise self._api_error(response, "POST", url, retried)
            answers = json.loads(response.content).get("responses") or []
            return {str(answer.get("id")).lower(): answer for answer in answers}

        started = time.perf_counter()
        with telemetry.perform_action_span(
            "batch", "$batch", "POST", url, **{"graph.requests": len(items)}
        ):
            try:
                answers, sent = (
                    await run_batches(
                        items,
                        send_chunk,
                        settings=self.system.retry,
                        sleep=self._sleep,
                        on_retry=_on_item_retry,
                    )
                    if items
                    else ({}, 0)
                )
            finally:
                telemetry.record_action_duration(
                    time.perf_counter() - started, method="POST", object_type="batch"
                )
        data = [sub_response(item.id, answers[item.id]) for item in items]
        success = all(200 <= entry["status"] < 300 for entry in data)
        if not success and not continue_on_error:
            raise self._batch_error(items, data)
        return {
            "status": "success" if success else "error",
            "transaction_id": str(uuid.uuid4()),
            "correlation_id": correlation_id,
            "object_type": "batch",
            "action": "$batch",
            "response": {
                "status_code": 200,
                "data": data,
                "headers": {},
                "success": success,
                "pages": sent,
                "next_link": None,
                "truncated": False,
                "advanced_query": False,
                "request_id": None,
            },
        }

    def _batch_error(self, items: Sequence[Any], data: list[dict[str, Any]]) -> GraphBatchError:
        for item, entry in zip(items, data, strict=True):
            if 200 <= entry["status"] < 300:
                continue
            body = entry["body"]
            error = body.get("error") if isinstance(body, dict) else None
            error = error if isinstance(error, dict) else {}
            inner = _inner_error(error)
            code, message = error.get("code"), error.get("message")
            return GraphBatchError(
                entry["status"],
                request_id_in_batch=item.id,
                url=item.url,
                method=item.method,
                upstream=body,
                code=code,
                message=message,
                request_id=inner.get("request-id"),
                client_request_id=inner.get("client-request-id"),
                date=inner.get("date"),
                hint=hint_for(entry["status"], code, message, item.method, item.url),
                attempts=max(item.attempts, 1),
                partial=data,
            )
        raise AssertionError("no failed sub-request")  # pragma: no cover - callers check first


# ---------------------------------------------------------------------- helpers


def _set_header(headers: dict[str, str], name: str, value: str) -> None:
    """Set a header, replacing any existing spelling of the same name."""
    lowered = name.lower()
    for existing in [k for k in headers if k.lower() == lowered]:
        del headers[existing]
    headers[name] = value


def _param_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill_placeholders(endpoint: str, params: Mapping[str, Any] | None) -> str:
    if not params or "{" not in endpoint:
        return endpoint
    for name, value in params.items():
        endpoint = endpoint.replace("{" + str(name) + "}", quote(str(value), safe=""))
    return endpoint


def _encode_body(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def _to_page(number: int, url: str, response: httpx.Response, advanced: bool) -> Page:
    content_type = response.headers.get("content-type", "")
    content = response.content
    data: Any = None
    items: list[Any] = []
    next_link = delta_link = count = None
    if content and "json" in content_type:
        try:
            data = json.loads(content)
        except ValueError:
            data = None
        if isinstance(data, dict):
            value = data.get("value")
            if isinstance(value, list):
                items = value
                next_link = data.get("@odata.nextLink")
                delta_link = data.get("@odata.deltaLink")
                count = data.get("@odata.count")
    return Page(
        number=number,
        url=url,
        status_code=response.status_code,
        headers=response.headers,
        json=data,
        items=items,
        next_link=next_link,
        delta_link=delta_link,
        count=count,
        content_type=content_type,
        content=content,
        advanced_query=advanced,
    )


def _is_collection(page: Page) -> bool:
    return isinstance(page.json, dict) and isinstance(page.json.get("value"), list)


def _was_trimmed(page: Page) -> bool:
    return _is_collection(page) and len(page.items) < len(page.json["value"])


def _data_of(page: Page) -> Any:
    """The response data: JSON, text for text/plain, bytes for anything else, None when empty."""
    if page.status_code == 204 or not page.content:
        return None
    if page.json is not None:
        return page.json
    if page.content_type.startswith("text/plain"):
        charset = "utf-8"
        for part in page.content_type.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        return page.content.decode(charset, errors="replace")
    return page.content


def _inner_error(error: Mapping[str, Any]) -> dict[str, Any]:
    inner = error.get("innerError") or error.get("innererror") or {}
    return inner if isinstance(inner, dict) else {}


def _error_parts(response: httpx.Response) -> tuple[Any, str | None, str | None, dict[str, Any]]:
    """(upstream body, code, message, innerError) from a Graph error answer."""
    try:
        upstream: Any = json.loads(response.content) if response.content else None
    except ValueError:
        upstream = response.text
    error = upstream.get("error") if isinstance(upstream, dict) else None
    if not isinstance(error, dict):
        text = upstream if isinstance(upstream, str) and upstream else None
        return upstream, None, text, {}
    return upstream, error.get("code"), error.get("message"), _inner_error(error)


def _token_expired(response: httpx.Response) -> bool:
    _, code, message, _ = _error_parts(response)
    return code == "InvalidAuthenticationToken" and "expired" in (message or "").lower()


def _on_retry(attempt: int, delay: float, cause: int | str) -> None:
    telemetry.record_retry(delay, attempt + 1, cause)
    telemetry.logger.info("retry %d in %.2fs after %s", attempt + 1, delay, cause)


def _on_item_retry(item_id: str, attempt: int, delay: float, status: int) -> None:
    if status == 429:
        telemetry.record_http_429(batch_item=True)
    telemetry.record_retry(delay, attempt + 1, status)
    telemetry.logger.info(
        "batch item %s: retry %d in %.2fs after %s", item_id, attempt + 1, delay, status
    )
