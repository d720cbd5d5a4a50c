"""JSON $batch: request normalisation, chunking by 20, and per-item retry of throttled items.

Graph takes at most 20 requests per ``POST /$batch``, answers them in any order, and throttles
items one by one (a 429 inside a 200 envelope, with the item's own Retry-After). This module turns
any number of requests into wire batches that keep each dependsOn chain together, and re-sends
only the items that were throttled (plus the 424s that failed because of them) in later
batches, after their Retry-After. An envelope that does not answer the ids asked
(:mod:`.batch_envelope`) fails with every sound answer, the writes that happened, on the
error. It sends nothing itself:
the connector hands it a function that posts one batch, so the HTTP, auth, semaphore and
envelope retries stay in one place.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import graph_magic.connector.telemetry as telemetry
from graph_magic.connector.advanced import plan_advanced_query
from graph_magic.connector.batch_body import wire_body
from graph_magic.connector.batch_envelope import missing_response
from graph_magic.connector.responses import batch_error
from graph_magic.connector.retry import (
    BATCH_RETRY_STATUSES,
    NON_IDEMPOTENT,
    RetrySettingsLike,
    backoff_delay,
    parse_retry_after,
)
from graph_magic.connector.urls import encode_query, ensure_same_origin, parse_query
from graph_magic.errors import (
    GraphAPIError,
    GraphBatchError,
    GraphResponseError,
    GraphTransportError,
)

MAX_BATCH_SIZE = 20

SendChunk = Callable[[list[dict[str, Any]]], Awaitable[dict[str, dict[str, Any]]]]
"""Posts one batch (wire requests) and returns its sub-responses keyed by lower-cased id."""

OnItemRetry = Callable[[str, int, float, int], None]
"""Called with (item id, attempt just failed, delay, status) when an item is scheduled again."""


@dataclass
class BatchItem:
    """One sub-request, normalised: string id, relative URL, headers, camelCase dependsOn."""

    id: str
    method: str
    url: str
    headers: dict[str, str]
    body: Any
    depends_on: tuple[str, ...]
    index: int
    attempts: int = 0

    def to_wire(self, pending: set[str]) -> dict[str, Any]:
        """The JSON Graph expects; dependencies already answered are dropped from dependsOn."""
        wire: dict[str, Any] = {"id": self.id, "method": self.method, "url": self.url}
        if self.headers:
            wire["headers"] = self.headers
        if self.body is not None:
            wire["body"] = self.body
        depends = [d for d in self.depends_on if d.lower() in pending]
        if depends:
            wire["dependsOn"] = depends
        return wire


def normalize_requests(
    requests: Sequence[Mapping[str, Any]],
    *,
    base_url: str,
    advanced_mode: str = "auto",
    prefer: str | None = None,
) -> list[BatchItem]:
    """Validate and normalise the caller's requests, in the order given.

    Missing ids are numbered from 1 (skipping ids already used); ids must be unique (Graph
    compares them case-insensitively); ``depends_on`` and ``dependsOn`` are both accepted and
    must name requests of the same call. Advanced queries get ConsistencyLevel in the item's
    headers and ``$count=true`` in its URL.
    """
    given = {str(r["id"]).lower() for r in requests if r.get("id") is not None}
    items: list[BatchItem] = []
    seen: set[str] = set()
    counter = 0
    for index, request in enumerate(requests):
        if request.get("id") is not None:
            item_id = str(request["id"])
        else:
            counter += 1
            while str(counter) in given or str(counter) in seen:
                counter += 1
            item_id = str(counter)
        if item_id.lower() in seen:
            raise ValueError(f"batch request id {item_id!r} is used twice; ids must be unique")
        seen.add(item_id.lower())
        items.append(_normalize_one(request, item_id, index, base_url, advanced_mode, prefer))
    for item in items:
        for dep in item.depends_on:
            if dep.lower() not in seen:
                raise ValueError(f"batch request {item.id!r} depends on unknown id {dep!r}")
    return items


def _normalize_one(
    request: Mapping[str, Any],
    item_id: str,
    index: int,
    base_url: str,
    advanced_mode: str,
    prefer: str | None,
) -> BatchItem:
    method = str(request.get("method") or "GET").upper()
    url = _relative_url(str(request["url"]), base_url)
    if request.get("params"):
        url += ("&" if "?" in url else "?") + encode_query(request["params"])
    headers = {str(k): str(v) for k, v in (request.get("headers") or {}).items()}
    body = request.get("body")
    depends = request.get("dependsOn", request.get("depends_on")) or ()
    if isinstance(depends, str):
        depends = (depends,)

    path, _, query = url.partition("?")
    plan = plan_advanced_query(path, parse_query(query), headers, advanced_mode, method=method)
    if plan.params:
        extra = "&".join(f"{k}={v}" for k, v in plan.params.items())
        url = f"{url}&{extra}" if query else f"{url}?{extra}"
    headers = {**plan.headers, **headers}
    body = wire_body(body, headers)
    lowered = {k.lower() for k in headers}
    if body is not None and "content-type" not in lowered:
        headers["Content-Type"] = "application/json"
    if prefer and "prefer" not in lowered:
        headers["Prefer"] = prefer
    return BatchItem(
        id=item_id,
        method=method,
        url=url,
        headers=headers,
        body=body,
        depends_on=tuple(str(d) for d in depends),
        index=index,
    )


def _relative_url(url: str, base_url: str) -> str:
    """A sub-request URL relative to the version root: ``/users/abc?$select=id``.

    Graph resolves batch URLs against the batch's own version, so a full URL must be on the
    Graph host and in the same version.
    """
    if "://" not in url:
        return "/" + url.lstrip("/")
    ensure_same_origin(url, base_url)
    parts = urlsplit(url)
    base_path = urlsplit(base_url).path.rstrip("/")
    if not (parts.path == base_path or parts.path.startswith(base_path + "/")):
        raise ValueError(
            f"batch request URL {url!r} is not under {base_url}: one $batch goes to one version"
        )
    rest = parts.path[len(base_path) :] or "/"
    return rest + (f"?{parts.query}" if parts.query else "")


def chunk_requests(items: Sequence[BatchItem], size: int = MAX_BATCH_SIZE) -> list[list[BatchItem]]:
    """Split into batches of at most ``size``, each dependsOn chain kept whole in one batch.

    Chains are placed in the order of their first request; a chain longer than ``size`` cannot
    be sent and raises ValueError.
    """
    parent: dict[str, str] = {item.id.lower(): item.id.lower() for item in items}

    def find(key: str) -> str:
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    for item in items:
        for dep in item.depends_on:
            if dep.lower() in parent:
                parent[find(item.id.lower())] = find(dep.lower())

    groups: dict[str, list[BatchItem]] = {}
    for item in items:
        groups.setdefault(find(item.id.lower()), []).append(item)

    chunks: list[list[BatchItem]] = []
    current: list[BatchItem] = []
    for group in groups.values():
        if len(group) > size:
            raise ValueError(
                f"a dependsOn chain of {len(group)} requests (starting at id {group[0].id!r}) "
                f"does not fit in one batch of {size}"
            )
        if len(current) + len(group) > size:
            chunks.append(current)
            current = []
        current.extend(group)
    if current:
        chunks.append(current)
    return [sorted(chunk, key=lambda i: i.index) for chunk in chunks]


async def run_batches(
    items: Sequence[BatchItem],
    send_chunk: SendChunk,
    *,
    settings: RetrySettingsLike,
    sleep: Callable[[float], Awaitable[Any]],
    on_retry: OnItemRetry | None = None,
    now: Callable[[], float] = time.time,
    rng: Callable[[], float] = random.random,
) -> tuple[dict[str, dict[str, Any]], int]:
    """Send every item, retrying throttled ones alone; returns (answers by id, batches sent).

    Each round sends all pending items (chunked) concurrently. An item answered 429 (or
    503/504 for idempotent methods) goes into the next round after the largest wait asked for
    in this round (its Retry-After or the backoff), within the retry budgets; an item that got
    424 because its dependency is being retried goes with it.
    """
    results: dict[str, dict[str, Any]] = {}
    pending = list(items)
    sent = 0
    waited = 0.0
    while pending:
        pending_ids = {item.id.lower() for item in pending}
        chunks = chunk_requests(pending)
        # Let every chunk finish before reporting a failed envelope, so none is left running.
        answers = await asyncio.gather(
            *(send_chunk([item.to_wire(pending_ids) for item in chunk]) for chunk in chunks),
            return_exceptions=True,
        )
        sent += len(chunks)
        merged = _merge_round(answers, items, results)
        retry: dict[str, BatchItem] = {}
        wait = 0.0
        for item in pending:
            item.attempts += 1
            answer = merged.get(item.id.lower()) or missing_response(item.id)
            status = int(answer.get("status", 0))
            if _item_retried(item, status, settings):
                delay = _item_delay(item, answer, settings, now, rng)
                if waited + delay <= settings.max_total_seconds:
                    retry[item.id.lower()] = item
                    wait = max(wait, delay)
                    if on_retry is not None:
                        on_retry(item.id, item.attempts, delay, status)
            results[item.id] = answer
        _carry_failed_dependents(pending, results, retry)

        pending = sorted(retry.values(), key=lambda i: i.index)
        if pending:
            await sleep(wait)
            waited += wait
    return results, sent


def _merge_round(
    answers: Sequence[dict[str, dict[str, Any]] | BaseException],
    items: Sequence[BatchItem],
    earlier: Mapping[str, dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """One round's sub-responses by id; a failed envelope raises, with every answer so far."""
    merged: dict[str, dict[str, Any]] = {}
    failure: BaseException | None = None
    for answer in answers:
        if isinstance(answer, BaseException):
            failure = failure or answer
        else:
            merged.update(answer)
    if failure is not None:
        raise _with_answers(failure, items, earlier, merged)
    return merged


def _with_answers(
    failure: BaseException,
    items: Sequence[BatchItem],
    earlier: Mapping[str, dict[str, Any]],
    this_round: Mapping[str, dict[str, Any]],
) -> BaseException:
    """Put every sub-response received so far on a failed envelope's error, in request order.

    A $batch envelope can fail after other envelopes (or earlier rounds) were answered; their
    writes happened, so the caller must see them rather than a bare error.
    """
    if isinstance(failure, GraphResponseError) and isinstance(failure.partial, dict):
        this_round = {**this_round, **failure.partial}  # the broken envelope's sound answers
    if isinstance(failure, (GraphAPIError, GraphResponseError, GraphTransportError)):
        answered = []
        for item in items:
            answer = this_round.get(item.id.lower()) or earlier.get(item.id)
            if answer is not None:
                answered.append(sub_response(item.id, answer))
        failure.partial = answered
    return failure


def sub_response(item_id: str, answer: Mapping[str, Any]) -> dict[str, Any]:
    """One sub-response in the connector's shape: id, status, headers, body."""
    return {
        "id": item_id,
        "status": int(answer.get("status", 0)),
        "headers": answer.get("headers") or {},
        "body": answer.get("body"),
    }


def _item_retried(item: BatchItem, status: int, settings: RetrySettingsLike) -> bool:
    if status not in BATCH_RETRY_STATUSES or item.attempts >= settings.max_attempts:
        return False
    return status == 429 or item.method not in NON_IDEMPOTENT


def _item_delay(
    item: BatchItem,
    answer: Mapping[str, Any],
    settings: RetrySettingsLike,
    now: Callable[[], float],
    rng: Callable[[], float],
) -> float:
    delay = backoff_delay(item.attempts, settings, rng)
    asked = parse_retry_after(
        answer.get("headers") or {}, settings.retry_after_header_names, now=now
    )
    return max(delay, asked) if asked is not None else delay


def _carry_failed_dependents(
    pending: Sequence[BatchItem], results: Mapping[str, Any], retry: dict[str, BatchItem]
) -> None:
    """Add to ``retry`` every 424 whose dependency (directly or through others) is retried."""
    changed = True
    while changed:
        changed = False
        for item in pending:
            key = item.id.lower()
            if key in retry or int(results[item.id].get("status", 0)) != 424:
                continue
            if any(dep.lower() in retry for dep in item.depends_on):
                retry[key] = item
                item.attempts -= 1  # a 424 is not this item's own failure
                changed = True


def first_failure(items: Sequence[BatchItem], data: list[dict[str, Any]]) -> GraphBatchError:
    """The error for the first failed sub-response, carrying every answer on ``.partial``."""
    for item, entry in zip(items, data, strict=True):
        if not 200 <= entry["status"] < 300:
            return batch_error(
                entry["status"],
                entry["body"],
                item_id=item.id,
                method=item.method,
                url=item.url,
                path=item.url,
                attempts=max(item.attempts, 1),
                partial=data,
            )
    raise AssertionError("no failed sub-request")  # pragma: no cover - callers check first


def record_item_retry(item_id: str, attempt: int, delay: float, status: int) -> None:
    """Telemetry for a sub-request scheduled again (an OnItemRetry)."""
    if status == 429:
        telemetry.record_http_429(batch_item=True)
    telemetry.record_retry(delay, attempt + 1, status)
    telemetry.logger.info(
        "batch item %s: retry %d in %.2fs after %s", item_id, attempt + 1, delay, status
    )
