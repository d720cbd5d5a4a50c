"""A GET in the notebook: the connector's pages pulled through the loop thread, into a result.

Pages come from ``GraphConnector.iter_pages`` one at a time, pulled from the caller's thread, so
progress, CSV writing and Ctrl-C all happen where the user is: an interrupted scan closes the
page generator, aborts the CSV file and assigns nothing. The pages add up in the connector's
:class:`~graph_magic.connector.paging.PageSet` (the ``max_items`` cut and what it left over);
the pager's loader fetches what a nextLink left, the same way.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from graph_magic.connector.client import GraphConnector
from graph_magic.connector.paging import Page, PageSet
from graph_magic.connector.windows import scan_windows
from graph_magic.errors import GraphAPIError, GraphMagicError
from graph_magic.notebook.cell import RequestSpec
from graph_magic.notebook.column_types import KindLookup
from graph_magic.notebook.csv_export import CsvExporter
from graph_magic.notebook.display import (
    Fetched,
    GraphResult,
    Loader,
    ProgressReporter,
    make_result,
)
from graph_magic.notebook.dry_run import command_config
from graph_magic.notebook.frames import items_to_frame
from graph_magic.notebook.options import RunOptions, Settings
from graph_magic.notebook.session import GraphSession

if TYPE_CHECKING:
    from graph_magic.notebook.parquet_export import ParquetExporter

__all__ = [
    "Job",
    "Loader",
    "csv_exporter",
    "exporters_for",
    "finish_exports",
    "make_loader",
    "pull_pages",
    "run_get",
    "select_of",
    "spec_pages",
]

# Rows kept for the on-screen preview when --csv streams a scan that nobody assigns.
_CSV_PREVIEW_ROWS = 50


@dataclass(frozen=True)
class Job:
    """One run's options and settings, and what follows from them (decided once)."""

    options: RunOptions
    settings: Settings
    keeps_value: bool
    paginate: bool
    line_form: bool = False

    @property
    def timeout(self) -> float:
        return self.options.timeout or self.settings.timeout

    def rebind(self, value: Any) -> None:
        """After the pager fetched more: the ``-o`` variable follows the grown result."""
        if self.options.out is not None and self.settings.bind is not None:
            self.settings.bind(self.options.out, value)


def run_get(
    session: GraphSession,
    connector: GraphConnector,
    spec: RequestSpec,
    url: str,
    job: Job,
    kinds: KindLookup | None = None,
) -> tuple[GraphResult, list[dict[str, Any]]]:
    """Page through a GET; returns the result and the items --max-items cut off.

    ``kinds`` is what Graph's metadata says the columns hold (it types the frame).
    """
    options, s = job.options, job.settings
    select = select_of(spec)
    exporters = exporters_for(options, select, s, kinds)
    keep = None if not exporters or job.keeps_value else _CSV_PREVIEW_ROWS
    found = PageSet(options.max_items, keep=keep)
    pages = spec_pages(connector, spec, job)
    try:
        _consume(session, pages, found, exporters, job)
    except BaseException as exc:
        for exporter in exporters:
            exporter.abort()
        if isinstance(exc, GraphAPIError) and exc.status_code in options.expect:
            return _expected(spec, url, exc, s), []
        if isinstance(exc, GraphMagicError):
            _keep_received(exc, found, select, s.flatten_depth)
        raise
    result = _result(found, spec, url, select, job, kinds)
    finish_exports(exporters, result)
    return result, found.leftover


def spec_pages(connector: GraphConnector, spec: RequestSpec, job: Job) -> AsyncIterator[Page]:
    """The connector's pages for a GET written in a cell: its path, headers and query.

    With ``--parallel N``, the pages of the connector's window scan, merged in order (the
    run checked that the request can be cut, before anything was sent).
    """
    if job.options.parallel is not None:
        request = connector.build_request(command_config(spec))
        return scan_windows(connector, request, job.options.parallel, timeout=job.timeout)
    return connector.iter_pages(
        spec.path,
        headers=dict(spec.headers) or None,
        timeout=job.timeout,
        params=dict(spec.params) or None,
    )


Exporter: TypeAlias = "CsvExporter | ParquetExporter"
"""Where a scan's pages stream besides the result: ``write_items``, ``close``, ``abort``."""


def exporters_for(
    options: RunOptions, select: list[str] | None, settings: Settings, kinds: KindLookup | None
) -> list[Exporter]:
    """The files ``--csv`` and ``--parquet`` ask for (either, both or none)."""
    exporters: list[Exporter] = []
    if options.csv:
        exporters.append(csv_exporter(options.csv, select, settings))
    if options.parquet:
        from graph_magic.notebook.parquet_export import ParquetExporter  # pyarrow.parquet: 11 ms

        exporters.append(
            ParquetExporter(
                options.parquet, select=select, flatten_depth=settings.flatten_depth, kinds=kinds
            )
        )
    return exporters


def finish_exports(exporters: list[Exporter], result: GraphResult) -> None:
    """Close every export (each file complete, or not there at all) and say where rows went."""
    pending = list(exporters)
    try:
        while pending:
            exporter = pending[0]
            result.rows_written = exporter.close()  # a failed close removes its own parts
            pending.pop(0)
            if isinstance(exporter, CsvExporter):
                result.csv_path = str(exporter.path)
            else:
                result.parquet_path = str(exporter.path)
    except BaseException:
        for exporter in pending[1:]:
            exporter.abort()
        raise


def csv_exporter(path: str, select: list[str] | None, settings: Settings) -> CsvExporter:
    """The ``--csv`` file of a scan, with the settings that shape its columns and cells."""
    return CsvExporter(
        path,
        select=select,
        flatten_depth=settings.flatten_depth,
        formula_guard=settings.csv_formula_guard,
    )


def _consume(
    session: GraphSession,
    pages: AsyncIterator[Page],
    found: PageSet,
    exporters: list[Exporter],
    job: Job,
) -> None:
    """Add pages up (writing and reporting each) until the scan ends, is full, or not paging."""
    options, s = job.options, job.settings
    reporter: ProgressReporter | None = None
    try:
        for page in pull_pages(session, pages):
            fresh = found.add(page)
            for exporter in exporters:
                exporter.write_items(fresh)
            if reporter is None and s.progress and not options.quiet:
                reporter = ProgressReporter(page.count, delay=s.progress_delay)
            if reporter is not None:
                reporter.update(found.total, found.pages)
            if not job.paginate or found.full:
                break
    finally:
        if reporter is not None:
            reporter.close()


def _expected(spec: RequestSpec, url: str, exc: GraphAPIError, s: Settings) -> GraphResult:
    """An error status listed in --expect, as a result."""
    return make_result(
        method=spec.method,
        url=url,
        status_code=exc.status_code,
        data=exc.detail.get("upstream", {}).get("detail"),
        request_id=exc.request_id,
        display_rows=s.display_rows,
        pages=0,
    )


def _keep_received(
    exc: GraphMagicError, found: PageSet, select: list[str] | None, flatten_depth: int
) -> None:
    """Put the items of the pages that arrived before ``exc`` on it, as a DataFrame.

    A scan that fails on page 40 has 39 pages a user may not want to fetch again. The cell
    still fails and ``-o`` is left alone (a partial result must not pass for the whole), but
    ``exc.received`` holds what came, and the error block says so and how many pages it was.
    """
    if found.pages == 0 or not found.kept_all:  # nothing came, or --csv without -o kept none
        return
    exc.received = items_to_frame(found.items, select=select, flatten_depth=flatten_depth)
    exc.received_pages = found.pages


def _result(
    found: PageSet,
    spec: RequestSpec,
    url: str,
    select: list[str] | None,
    job: Job,
    kinds: KindLookup | None,
) -> GraphResult:
    options, s = job.options, job.settings
    first = found.first
    common: dict[str, Any] = {
        "method": spec.method,
        "url": url,
        "select": select,
        "flatten_depth": s.flatten_depth,
        "display_rows": s.display_rows,
    }
    if first is None or not first.is_collection:
        return make_result(
            status_code=first.status_code if first is not None else 204,
            data=first.data if first is not None else None,
            content_type=first.content_type if first is not None else None,
            raw=options.raw,
            request_id=first.headers.get("request-id") if first is not None else None,
            **common,
        )
    more = found.more
    return GraphResult.from_items(
        found.items,
        raw=options.raw,
        count=first.count,
        next_link=found.next_link,
        status_code=first.status_code,
        pages=found.pages,
        more=more,
        truncated_reason=("max_items" if found.full else "no_paginate") if more else None,
        max_items=found.max_items,
        request_id=first.headers.get("request-id"),
        content_type="application/json",
        kinds=kinds,
        **common,
    )


def make_loader(
    session: GraphSession,
    connector: GraphConnector,
    spec: RequestSpec,
    timeout: float,
    leftover: list[dict[str, Any]],
) -> Loader:
    """The pager's "next page" / "load all": up to ``limit`` items (all with None).

    Items cut off a page (by ``--max-items`` or an earlier ``limit``) are kept and handed
    out first, so loading more never skips any.
    """
    headers = dict(spec.headers)
    pending = list(leftover)

    def load(next_link: str, limit: int | None) -> Fetched:
        started = time.monotonic()
        items, fetched, link, request_id = pending[:], 0, next_link, None
        pending.clear()
        if limit is None or len(items) < limit:
            more = PageSet()
            scan = connector.iter_pages(next_link, headers=headers or None, timeout=timeout)
            for page in pull_pages(session, scan):
                more.add(page)
                if limit is not None and len(items) + more.total >= limit:
                    break
            items += more.items
            fetched, link = more.pages, more.next_link
            request_id = more.last.headers.get("request-id") if more.last is not None else None
        if limit is not None and len(items) > limit and link is not None:
            # Keep the surplus for the next call: the link points past it.
            pending.extend(items[limit:])
            items = items[:limit]
        return Fetched(items, link, fetched, request_id, time.monotonic() - started)

    return load


def pull_pages(session: GraphSession, pages: AsyncIterator[Page]) -> Iterator[Page]:
    """Pull pages one at a time through the loop thread; close the generator however we stop."""
    try:
        while True:
            page = session.run_sync(_anext(pages))
            if page is _END:
                return
            yield page
    finally:
        with contextlib.suppress(Exception):
            session.run_sync(_aclose(pages))


_END: Final = object()


async def _anext(pages: AsyncIterator[Page]) -> Page | object:
    """The next page, or ``_END``: StopAsyncIteration must not cross the thread boundary."""
    try:
        return await pages.__anext__()
    except StopAsyncIteration:
        return _END


async def _aclose(pages: AsyncIterator[Page]) -> None:
    close = getattr(pages, "aclose", None)
    if close is not None:
        await close()


def select_of(spec: RequestSpec) -> list[str] | None:
    """The ``$select`` columns of a request, in the order asked."""
    for name, value in spec.params.items():
        if name.lower() == "$select":
            return [part.strip() for part in value.split(",") if part.strip()]
    return None
