"""GraphConnector: the async Microsoft Graph client every other part of graph-magic uses.

One ``httpx.AsyncClient`` per connector (made on first use, on the running loop), with the
production behaviour Graph needs: the token only ever goes to the configured Graph host, paging
follows nextLinks through empty pages, advanced queries get their header on every page, retries
follow the server's Retry-After, a process-wide semaphore per ``rate_limit_key`` bounds requests
in flight, and errors carry Graph's code, message, request id and a hint. The class is thin: it
builds requests (:mod:`.prepare`), sends them (:mod:`.send`), pages (:mod:`.paging`), batches
(:mod:`.batch`) and reads answers (:mod:`.responses`).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx

import graph_magic.connector.telemetry as telemetry
from graph_magic.connector.auth import TokenProvider, make_token_provider
from graph_magic.connector.batch import (
    BatchItem,
    first_failure,
    normalize_requests,
    record_item_retry,
    run_batches,
    sub_response,
)
from graph_magic.connector.batch_envelope import read_envelope
from graph_magic.connector.config import SystemConfig, load_system
from graph_magic.connector.http_client import base_transport, http_client, system_recording
from graph_magic.connector.pacing import Pacer, RequestPacing, owner_of, system_limits
from graph_magic.connector.paging import Page, PageSet, scan
from graph_magic.connector.prepare import PreparedRequest, prepare
from graph_magic.connector.responses import api_error, standard_response
from graph_magic.connector.retry import NON_IDEMPOTENT
from graph_magic.connector.send import RATE_LIMIT_SEMAPHORES, Bounds, Sender
from graph_magic.errors import (
    GraphAPIError,
    GraphResponseError,
    GraphSecurityError,
    GraphTransportError,
)

if TYPE_CHECKING:
    from graph_magic.connector.recording import Recording

__all__ = ["RATE_LIMIT_SEMAPHORES", "GraphConnector", "Page", "PageSet", "PreparedRequest"]


class GraphConnector:
    """Async Graph client for one system: perform_action, iter_pages, perform_batch, close.

    ``system`` is a SystemConfig, a system name or a dict. ``sleep`` is what retries wait with
    (tests inject a recorder); ``token_provider`` defaults to the system's own;
    ``transport`` replaces httpx's network transport (the in-process sandbox by default when
    ``transport: sandbox``); ``pacer`` the process-wide pacer (a test's has a fake clock).
    """

    def __init__(
        self,
        system: SystemConfig | str | Mapping[str, Any],
        *,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        token_provider: TokenProvider | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        pacer: Pacer | None = None,
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
        self._recording: Recording | None = None
        pacing = RequestPacing(
            system_limits(self.system),
            owner_of(self.system),
            sleep,
            retry_after_names=self.system.retry.retry_after_header_names,
            pacer=pacer,
        )
        self._sender = Sender(
            self.system, lambda: self.token_provider, self._get_client, sleep, pacing
        )

    @property
    def base_url(self) -> str:
        """The version root every relative endpoint hangs off, without a trailing slash."""
        return self._base

    # ------------------------------------------------------------------ lifecycle

    def _get_client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = self._new_client()
            self._client_loop = loop
        return self._client

    def _new_client(self) -> httpx.AsyncClient:
        self._transport = base_transport(self.system, self._transport)
        if self._recording is None:
            self._recording = system_recording(self.system)
        return http_client(self.system, self._transport, self._recording)

    async def record(self, recording: Recording | None) -> None:
        """Record this connector's exchanges into ``recording`` from now on (None: stop).

        The current HTTP client is closed, so the next request goes through the recorder.
        """
        self._recording = recording
        await self.close()

    async def close(self) -> None:
        """Close the HTTP client; the connector makes a new one if used again."""
        if self._client is not None:
            client, self._client, self._client_loop = self._client, None, None
            await client.aclose()

    async def __aenter__(self) -> GraphConnector:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ building

    def build_request(
        self,
        command_config: Mapping[str, Any],
        *,
        params: Mapping[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> PreparedRequest:
        """The exact request ``perform_action`` sends for ``command_config``, Authorization aside.

        Sending and ``--dry-run`` both use it, so a dry run shows what goes on the wire.
        """
        return prepare(
            self.system,
            command_config,
            params=params,
            correlation_id=correlation_id or str(uuid.uuid4()),
        )

    def build_batch(
        self, requests: Sequence[Mapping[str, Any]], *, prefer: str | None = None
    ) -> list[BatchItem]:
        """The sub-requests ``perform_batch`` sends, normalised (ids, URLs, headers)."""
        return normalize_requests(
            requests, base_url=self._base, advanced_mode=self.system.advanced_query, prefer=prefer
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

        ``url`` is a relative endpoint (``/users``) or a full URL on the Graph host. Each page
        is the page dict Graph sent (a Mapping) with ``number``, ``status_code``, ``items``...
        alongside. Empty pages do not end the scan; ``max_items`` does (the last page's
        ``items`` cut to fit). Advanced-query headers are resent on every page.
        """
        config = {"method": "GET", "endpoint": url, "params": params, "headers": headers}
        return self._iter_pages(config, correlation_id, timeout, max_items)

    async def _iter_pages(
        self,
        config: Mapping[str, Any],
        correlation_id: str | None,
        timeout: float | None,
        max_items: int | None,
    ) -> AsyncIterator[Page]:
        request = self.build_request(config, correlation_id=correlation_id)
        counted = PageSet(max_items, keep=0)
        async with contextlib.aclosing(self._scan(request, timeout)) as pages:
            async for page in pages:
                fresh = counted.add(page)
                yield page if len(fresh) == len(page.items) else page.cut(len(fresh))
                if counted.full:
                    return

    def _scan(
        self,
        request: PreparedRequest,
        timeout: float | None,
        expected: Collection[int] = (),
        paginate: bool = True,
    ) -> AsyncIterator[Page]:
        return scan(
            self._sender,
            request,
            self._sender.bounds(timeout),
            base_url=self._base,
            mode=self.system.advanced_query,
            expected=expected,
            paginate=paginate,
        )

    async def _collect(
        self,
        request: PreparedRequest,
        config: Mapping[str, Any],
        timeout: float | None,
        expected: Collection[int],
    ) -> PageSet:
        """Run a GET's paging scan into a PageSet; an error keeps what arrived as ``.partial``."""
        paginate = config.get("auto_paginate")
        if paginate is None:
            paginate = self.system.auto_paginate
        found = PageSet(config.get("max_items"))
        try:
            with telemetry.collect_pages_span(request.endpoint) as span:
                pages = self._scan(request, timeout, expected, bool(paginate))
                async with contextlib.aclosing(pages):
                    async for page in pages:
                        found.add(page)
                        if found.full:
                            break
                span.set_attribute("graph.pages", found.pages)
        except (GraphAPIError, GraphResponseError, GraphSecurityError, GraphTransportError) as exc:
            # Whatever stopped the scan, the pages already received stay with the error.
            if found.pages:
                exc.partial = found.items
            raise
        return found

    async def _single(
        self, request: PreparedRequest, timeout: float | None, expected: Collection[int]
    ) -> PageSet:
        response, retried = await self._sender.send(request, self._sender.bounds(timeout))
        if response.status_code >= 400 and response.status_code not in expected:
            raise api_error(
                response, method=request.method, url=request.url, path=request.path, retried=retried
            )
        found = PageSet()
        found.add(Page.from_response(1, request.url, response, False))
        return found

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
        ``timeout`` bounds each read and each whole attempt (None: the system's ``timeouts``).
        """
        correlation_id = correlation_id or str(uuid.uuid4())
        request = self.build_request(command_config, params=params, correlation_id=correlation_id)
        method, expected = request.method, frozenset(expected_outcomes or ())
        started = time.perf_counter()
        status_code: int | None = None
        with telemetry.perform_action_span(object_type, action, method, request.endpoint) as span:
            try:
                if method == "GET":
                    found = await self._collect(request, command_config, timeout, expected)
                else:
                    found = await self._single(request, timeout, expected)
                assert found.first is not None and found.last is not None
                status_code = found.last.status_code
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
        last, paged = found.last, method == "GET"
        return standard_response(
            status_code=last.status_code,
            data=found.data(),
            headers=last.headers,
            success=200 <= last.status_code < 300,
            accepted=last.status_code in expected,
            transaction_id=transaction_id or str(uuid.uuid4()),
            correlation_id=correlation_id,
            object_type=object_type,
            action=action,
            pages=found.pages,
            next_link=found.next_link if paged else None,
            truncated=found.more and paged,
            advanced_query=found.first.advanced_query,
        )

    async def perform_batch(
        self,
        requests: Sequence[Mapping[str, Any]],
        correlation_id: str | None = None,
        timeout: float | None = 60.0,
        prefer: str | None = None,
        continue_on_error: bool = False,
    ) -> dict[str, Any]:
        """Send any number of requests through ``$batch``; answers come back in request order.

        Each request: ``id`` (optional), ``method``, ``url`` (relative), ``params`` (query
        options, decoded), ``headers``, ``body``, ``dependsOn``/``depends_on``. ``prefer`` is
        added as the Prefer header of every sub-request that has none. With
        ``continue_on_error=False`` the first failed sub-request (after retries) raises
        GraphBatchError carrying every answer on ``.partial``.
        """
        correlation_id = correlation_id or str(uuid.uuid4())
        items = self.build_batch(requests, prefer=prefer)
        envelope = self.build_request(
            {"method": "POST", "endpoint": "/$batch"}, correlation_id=correlation_id
        )
        bounds = self._sender.bounds(timeout)

        async def send_chunk(wire: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
            return await self._send_chunk(envelope, bounds, wire)

        started = time.perf_counter()
        with telemetry.perform_action_span(
            "batch", "$batch", "POST", envelope.url, **{"graph.requests": len(items)}
        ):
            try:
                answers, sent = await run_batches(
                    items,
                    send_chunk,
                    settings=self.system.retry,
                    sleep=self._sleep,
                    on_retry=record_item_retry,
                )
            finally:
                telemetry.record_action_duration(
                    time.perf_counter() - started, method="POST", object_type="batch"
                )
        data = [sub_response(item.id, answers[item.id]) for item in items]
        success = all(200 <= entry["status"] < 300 for entry in data)
        if not success and not continue_on_error:
            raise first_failure(items, data)
        return standard_response(
            status_code=200,
            data=data,
            headers={},
            success=success,
            transaction_id=str(uuid.uuid4()),
            correlation_id=correlation_id,
            object_type="batch",
            action="$batch",
            pages=sent,
        )

    async def _send_chunk(
        self, envelope: PreparedRequest, bounds: Bounds, wire: list[dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """Post one $batch; its sub-responses keyed by lower-cased id."""
        request = dataclasses.replace(envelope, content=json.dumps({"requests": wire}).encode())
        reads_only = all(item["method"] not in NON_IDEMPOTENT for item in wire)
        response, retried = await self._sender.send(
            request, bounds, retry_as="GET" if reads_only else None
        )
        if response.status_code >= 400:
            raise api_error(
                response, method="POST", url=request.url, path=request.path, retried=retried
            )
        answers = read_envelope(response.content, [item["id"] for item in wire], url=request.url)
        self._sender.pacing.items_throttled(wire, answers)
        return answers
