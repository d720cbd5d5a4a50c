"""A scripted stand-in for GraphConnector, for what the sandbox cannot stage (Ctrl-C mid-scan)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from graph_magic.connector.batch import BatchItem
from graph_magic.connector.client import GraphConnector
from graph_magic.connector.paging import Page
from graph_magic.connector.prepare import PreparedRequest
from tests.support.fakes import FixedTokenProvider


def page(number: int, items: list[dict[str, Any]], next_link: str | None = None) -> Page:
    """A collection page as the connector yields it."""
    body: dict[str, Any] = {"value": items}
    if next_link:
        body["@odata.nextLink"] = next_link
    return Page(
        number,
        f"https://graph.microsoft.com/v1.0/users?page={number}",
        200,
        httpx.Headers({"content-type": "application/json", "request-id": f"r{number}"}),
        body,
    )


def user_pages(pages: int, per_page: int) -> list[Page]:
    """``pages`` pages of ``per_page`` users each, linked by nextLinks."""
    out = []
    for number in range(1, pages + 1):
        items = [
            {"id": f"u{(number - 1) * per_page + i}", "displayName": f"User {number}.{i}"}
            for i in range(per_page)
        ]
        link = f"https://graph.microsoft.com/v1.0/users?$skiptoken=p{number + 1}"
        out.append(page(number, items, link if number < pages else None))
    return out


async def ctrl_c_at(number: int, wanted: int) -> None:
    """Press Ctrl-C (a real SIGINT) while the notebook waits for page ``wanted``.

    Runs on the loop thread; the wait that follows never ends on its own, so the page is only
    abandoned through the cancellation that run_sync's KeyboardInterrupt handling performs.
    """
    if number == wanted:
        main = threading.main_thread().ident
        assert main is not None
        # Like a person, press Ctrl-C while the notebook is blocked waiting for the page.
        while sys._current_frames()[main].f_code.co_name != "wait":
            await asyncio.sleep(0.001)
        os.kill(os.getpid(), signal.SIGINT)
        await asyncio.Event().wait()


@dataclass
class FakeConnector:
    """Serves ``pages`` for any GET; ``before_page(n)`` runs before page n is handed out."""

    system: Any
    pages: list[Page]
    before_page: Callable[[int], Awaitable[None]] | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    closed: bool = False
    generators_closed: int = 0

    def iter_pages(
        self,
        url: str,
        headers: Any = None,
        timeout: float | None = 60.0,
        correlation_id: str | None = None,
        *,
        params: Any = None,
        max_items: int | None = None,
    ) -> AsyncIterator[Page]:
        self.calls.append({"url": url, "headers": headers, "params": params, "timeout": timeout})
        start = 0
        for index, candidate in enumerate(self.pages):
            if candidate.url == url or (index and self.pages[index - 1].next_link == url):
                start = index
        return self._serve(start)

    async def _serve(self, start: int) -> AsyncIterator[Page]:
        try:
            for index in range(start, len(self.pages)):
                if self.before_page is not None:
                    await self.before_page(index + 1)
                yield self.pages[index]
        finally:
            self.generators_closed += 1

    def build_request(self, command_config: Any, **kwargs: Any) -> PreparedRequest:
        """What the real connector would build for this system (nothing is sent)."""
        return self._builder().build_request(command_config, **kwargs)

    def build_batch(self, requests: Any, **kwargs: Any) -> list[BatchItem]:
        return self._builder().build_batch(requests, **kwargs)

    @property
    def base_url(self) -> str:
        return self._builder().base_url

    def _builder(self) -> GraphConnector:
        return GraphConnector(self.system, token_provider=FixedTokenProvider())

    async def close(self) -> None:
        self.closed = True


def scripted_session(magic: Any, pages: int = 4, per_page: int = 3) -> list[FakeConnector]:
    """Give ``magic`` a session whose connectors are FakeConnectors over ``pages`` user pages.

    Returns the list every connector the session makes is appended to (tokens are fixed).
    """
    from graph_magic.notebook.session import GraphSession

    made: list[FakeConnector] = []

    def factory(system: Any, *, token_provider: Any = None) -> FakeConnector:
        made.append(FakeConnector(system, user_pages(pages, per_page)))
        return made[-1]

    magic.session = GraphSession(
        connector_factory=factory, token_provider_factory=lambda system: FixedTokenProvider()
    )
    return made
