"""Paging: a scan's pages, the scan itself, and the PageSet that adds pages up.

A :class:`Page` is the page dict Graph sent (a Mapping: ``page["value"]``,
``page["@odata.nextLink"]``) with what the scan knows about it alongside (number, status,
headers, the items it contributes). :func:`scan` follows nextLinks (through empty pages, only on
the Graph host, resending the advanced-query header) and retries a first page once in
advanced-query mode when Graph asks for it. What is not a Graph page stops the scan with a
GraphResponseError instead of ending it: undecodable JSON, a later page that is not a collection
page, a nextLink that is not a URL or was already followed. :class:`PageSet` is the one
accumulator of a scan: consolidation, the ``max_items`` cut and what it left over; the
connector's ``perform_action`` and the notebook's scan both add pages to one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Iterator, Mapping
from typing import Any

import httpx

from graph_magic.connector.advanced import asks_for_consistency
from graph_magic.connector.masking import mask_text, mask_url
from graph_magic.connector.prepare import PreparedRequest, with_advanced_query
from graph_magic.connector.responses import api_error, data_of, loads, response_error
from graph_magic.connector.retry import RetryPolicy
from graph_magic.connector.send import Bounds, Sender, check_absolute_url, check_no_user_info
from graph_magic.connector.urls import ensure_same_origin
from graph_magic.errors import GraphResponseError

__all__ = ["Page", "PageSet", "scan"]

# Paging annotations that describe one page, not the consolidated collection.
_PAGE_KEYS = frozenset({"value", "@odata.nextLink", "@odata.deltaLink"})
_EMPTY: Mapping[str, Any] = {}


class Page(Mapping[str, Any]):
    """One answer of a scan: the body Graph sent, as a Mapping, and the scan's facts about it.

    A non-collection answer is a single Page with no items; a body that is not a JSON object
    reads as an empty Mapping (its data is :attr:`data`). ``items`` are the items the page
    contributes to the scan: its ``value``, cut to fit ``max_items`` on the last page.
    """

    __slots__ = (
        "_body",
        "advanced_query",
        "content",
        "headers",
        "items",
        "json",
        "number",
        "status_code",
        "url",
    )

    def __init__(
        self,
        number: int,
        url: str,
        status_code: int,
        headers: httpx.Headers,
        json: Any,
        *,
        content: bytes = b"",
        advanced_query: bool = False,
        items: list[Any] | None = None,
    ) -> None:
        self.number = number
        self.url = url
        self.status_code = status_code
        self.headers = headers
        self.json = json
        self.content = content
        self.advanced_query = advanced_query
        self._body: Mapping[str, Any] = json if isinstance(json, dict) else _EMPTY
        value = self._body.get("value")
        self.items: list[Any] = items if items is not None else (value if _is_list(value) else [])

    @classmethod
    def from_response(cls, number: int, url: str, response: httpx.Response, advanced: bool) -> Page:
        """Read one answer off the wire (its JSON decoded once); undecodable JSON is an error."""
        content = response.content
        body = None
        if content and "json" in response.headers.get("content-type", ""):
            try:
                body = loads(content)
            except ValueError as exc:
                raise GraphResponseError(
                    f"page {number} says it is JSON but does not decode ({exc}); "
                    f"{len(content)} bytes from {mask_url(url)}",
                    url=mask_url(url),
                ) from None
        return cls(
            number,
            url,
            response.status_code,
            response.headers,
            body,
            content=content,
            advanced_query=advanced,
        )

    def __getitem__(self, key: str) -> Any:
        return self._body[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._body)

    def __len__(self) -> int:
        return len(self._body)

    def __repr__(self) -> str:
        return f"<Page {self.number} status={self.status_code} items={len(self.items)}>"

    @property
    def is_collection(self) -> bool:
        """True when Graph sent a collection page (``value`` is a list)."""
        return _is_list(self._body.get("value"))

    def _link(self, name: str) -> Any:
        return self._body.get(name) if self.is_collection else None

    @property
    def next_link(self) -> str | None:
        return self._link("@odata.nextLink")

    @property
    def delta_link(self) -> str | None:
        return self._link("@odata.deltaLink")

    @property
    def count(self) -> int | None:
        return self._link("@odata.count")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def data(self) -> Any:
        """The answer's data by the one decoding rule (JSON, text, bytes or None)."""
        return data_of(self.status_code, self.content_type, self.content, self.json)

    def cut(self, keep: int) -> Page:
        """This page contributing only its first ``keep`` items."""
        return Page(
            self.number,
            self.url,
            self.status_code,
            self.headers,
            self.json,
            content=self.content,
            advanced_query=self.advanced_query,
            items=self.items[:keep],
        )


def _is_list(value: Any) -> bool:
    return isinstance(value, list)


class PageSet:
    """What a scan gathered: pages and items counted, the items kept, where it stopped.

    ``max_items`` cuts the scan (the items past it on the last page are the ``leftover``, so a
    later "load more" skips none); ``keep`` bounds how many items are held (None: all; a scan
    streamed to a file keeps a preview).
    """

    def __init__(self, max_items: int | None = None, *, keep: int | None = None) -> None:
        self.max_items = max_items
        self.keep = keep
        self.items: list[Any] = []
        self.leftover: list[Any] = []
        self.total = 0
        self.pages = 0
        self.first: Page | None = None
        self.last: Page | None = None

    def add(self, page: Page) -> list[Any]:
        """Count one page in; returns its items, cut at ``max_items`` (the rest kept aside)."""
        self.pages += 1
        if self.first is None:
            self.first = page
        self.last = page
        fresh = page.items
        if self.max_items is not None and self.total + len(fresh) > self.max_items:
            keep = max(self.max_items - self.total, 0)
            fresh, self.leftover = fresh[:keep], fresh[keep:]
        self.total += len(fresh)
        if self.keep is None:
            self.items.extend(fresh)
        elif len(self.items) < self.keep:
            self.items.extend(fresh[: self.keep - len(self.items)])
        return fresh

    @property
    def full(self) -> bool:
        """True once ``max_items`` items are in."""
        return self.max_items is not None and self.total >= self.max_items

    @property
    def kept_all(self) -> bool:
        return self.keep is None

    @property
    def next_link(self) -> str | None:
        return self.last.next_link if self.last is not None else None

    @property
    def more(self) -> bool:
        """True when the collection holds more than was gathered."""
        return self.next_link is not None or bool(self.leftover)

    def data(self) -> Any:
        """The scan's data: the consolidated collection, or a single answer's data.

        One untouched page is returned as Graph sent it; otherwise ``value`` holds every item
        gathered, ``@odata.deltaLink`` comes from the last page, ``@odata.nextLink`` is kept
        when more remained, and the other annotations (``@odata.count``) from the first.
        """
        first, last = self.first, self.last
        if first is None or last is None:
            return None
        if not first.is_collection:
            return first.data
        if self.pages == 1 and not self.leftover:
            return first.json
        data = {k: v for k, v in first.json.items() if k not in _PAGE_KEYS}
        data["value"] = self.items
        if last.delta_link is not None:
            data["@odata.deltaLink"] = last.delta_link
        if last.next_link is not None:
            data["@odata.nextLink"] = last.next_link
        return data


async def scan(
    sender: Sender,
    request: PreparedRequest,
    bounds: Bounds,
    *,
    base_url: str,
    mode: str,
    expected: Collection[int] = (),
    paginate: bool = True,
) -> AsyncIterator[Page]:
    """Yield the pages of a GET, following nextLinks while ``paginate``; the consumer stops it.

    An error status not in ``expected`` raises GraphAPIError; a nextLink off the Graph host
    raises GraphSecurityError before anything is sent to it; a page after the first that is
    not a collection page, or a nextLink that is malformed or already followed, raises
    GraphResponseError (a scan ends only where Graph says it ends: a page without nextLink).
    """
    response, retried, request = await _first_page(sender, request, bounds, mode)
    number = 1
    followed = {request.url}
    while True:
        if response.status_code >= 400 and response.status_code not in expected:
            raise api_error(
                response, method="GET", url=request.url, path=request.path, retried=retried
            )
        page = Page.from_response(number, request.url, response, request.advanced)
        if number > 1 and not page.is_collection:
            raise _not_a_page(page)
        yield page
        link = page.next_link
        if not paginate or link is None:
            return
        _check_link(link, page, base_url, followed)
        request = request.follow(link)
        number += 1
        response, retried = await sender.send(request, bounds)


def _not_a_page(page: Page) -> GraphResponseError:
    where = mask_url(page.url)
    kind = "no body" if not page.content else f"a {page.content_type or 'body'} body"
    if page.json is not None:
        kind = "JSON without a list under 'value'"
    return GraphResponseError(
        f"page {page.number} of the scan is not a Graph collection page ({kind}, status "
        f"{page.status_code}, from {where}); the pages before it are kept, but the scan did "
        "not reach its end",
        url=where,
    )


def _check_link(link: Any, page: Page, base_url: str, followed: set[str]) -> None:
    """Refuse a nextLink that is not a URL, leaves the Graph host, or was already followed."""
    try:
        check_absolute_url(link)
        ensure_same_origin(link, base_url)  # a foreign host is a security refusal first
        check_no_user_info(link)
    except ValueError as exc:
        raise GraphResponseError(
            f"page {page.number} has an @odata.nextLink that is not a URL ({exc}): "
            f"{mask_text(str(link))[:200]!r}",
            url=mask_url(page.url),
        ) from None
    if link in followed:
        raise GraphResponseError(
            f"page {page.number}'s @odata.nextLink leads back to a page this scan already "
            f"fetched ({mask_url(link)}): the scan would loop forever",
            url=mask_url(link),
        )
    followed.add(link)


async def _first_page(
    sender: Sender, request: PreparedRequest, bounds: Bounds, mode: str
) -> tuple[httpx.Response, RetryPolicy, PreparedRequest]:
    """Send the first page; once more in advanced-query mode if Graph's 400 asks for it."""
    response, retried = await sender.send(request, bounds)
    if request.advanced or mode == "never" or response.status_code != 400:
        return response, retried, request
    fields = response_error(response)
    if not asks_for_consistency(400, fields.code, fields.message):
        return response, retried, request
    request = with_advanced_query(request)
    response, retried = await sender.send(request, bounds)
    return response, retried, request
