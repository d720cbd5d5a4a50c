"""A log scan in parallel windows: each window pages on its own, the pages come back in order.

:func:`scan_windows` cuts a prepared GET on a time-ordered log collection into windows
(:mod:`graph_magic.connector.window_plan`), scans them concurrently, each following its own
nextLinks through the connector's ``iter_pages`` (so the rate-limit semaphore, retries and
Retry-After apply to every request, as to any scan), and yields their pages merged in the
order a sequential scan would have yielded the items: the newest window's pages first, as they
arrive, while the other windows' pages wait their turn in memory.

A window that fails does not stop the others: every other window's pages are still yielded,
in order, and then the first failure is raised, with a note naming its window. A consumer that
stops early (``--max-items`` honoured by the caller, Ctrl-C) closes the generator, which
cancels the windows still running.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Final

from graph_magic.connector.paging import Page
from graph_magic.connector.prepare import PreparedRequest
from graph_magic.connector.window_plan import Window, plan_windows

if TYPE_CHECKING:
    from graph_magic.connector.client import GraphConnector

__all__ = ["merge_windows", "scan_windows"]

_DONE: Final = object()


def scan_windows(
    connector: GraphConnector,
    request: PreparedRequest,
    parallel: int,
    *,
    timeout: float | None = 60.0,
    now: datetime | None = None,
) -> AsyncIterator[Page]:
    """The pages of ``request`` scanned as ``parallel`` time windows, merged in order.

    ``request`` is a GET built by ``connector.build_request`` on ``/auditLogs/signIns``,
    ``/auditLogs/directoryAudits`` or ``/auditLogs/provisioning``; ``now`` (default: the
    clock) ends the retention range when the request's ``$filter`` does not bound the
    timestamp. How many windows run at once is also bounded by the system's
    ``max_concurrent_requests``. Raises ValueError, before anything is sent, for a request
    that cannot be cut (see :func:`~graph_magic.connector.window_plan.plan_windows`).
    """
    entry, windows = plan_windows(request, parallel, now=now)
    correlation_id = request.headers.get("client-request-id")
    headers = {k: v for k, v in request.headers.items() if k.lower() not in request.implicit}

    def pages_of(window: Window) -> AsyncIterator[Page]:
        return connector.iter_pages(
            window.request.url,
            headers=headers or None,
            timeout=timeout,
            correlation_id=correlation_id,
        )

    return merge_windows(windows, pages_of, lambda w: w.describe(entry.time_property))


async def merge_windows(
    windows: list[Window],
    pages_of: Callable[[Window], AsyncIterator[Page]],
    describe: Callable[[Window], str],
) -> AsyncIterator[Page]:
    """Run every window's scan at once; yield their pages window after window.

    The first window's pages are yielded as they arrive; a later window's wait until every
    window before it has ended. A failed window's pages before the failure are yielded in
    its place; its error is raised after every other window's pages.
    """
    feeds: list[asyncio.Queue[object]] = [asyncio.Queue() for _ in windows]
    tasks = [
        asyncio.create_task(_feed(pages_of(window), feed))
        for window, feed in zip(windows, feeds, strict=True)
    ]
    failures: list[tuple[int, BaseException]] = []
    try:
        for number, feed in enumerate(feeds):
            while (got := await feed.get()) is not _DONE:
                if isinstance(got, BaseException):
                    failures.append((number, got))
                    break
                assert isinstance(got, Page)
                yield got
        if failures:
            number, error = failures[0]
            note = f"window {number + 1} of {len(windows)} ({describe(windows[number])}) failed"
            others = [str(n + 1) for n, _ in failures[1:]]
            note += f"; windows {', '.join(others)} failed too" if others else ""
            error.add_note(note + "; the other windows' items were kept")
            raise error
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _feed(pages: AsyncIterator[Page], feed: asyncio.Queue[object]) -> None:
    """Put one window's pages on its queue, then ``_DONE`` or the error that stopped it."""
    try:
        async with contextlib.aclosing(pages):  # type: ignore[type-var]
            async for page in pages:
                feed.put_nowait(page)
    except Exception as exc:  # every failure is the scan's to raise, after the other windows
        feed.put_nowait(exc)
    else:
        feed.put_nowait(_DONE)
